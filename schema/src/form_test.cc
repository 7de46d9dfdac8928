#include "dala/schema/form.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "form_test_util.h"

namespace dala::schema {
namespace {

using nlohmann::json;
using testing::kTestForm;

// 2026-11-27 10:00 in Almaty (UTC+5).
constexpr int64_t kNow = 1795755600000;

class FormTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = Form::Load(kTestForm);
    ASSERT_TRUE(f.ok()) << f.status().message();
    form_ = *f;
  }

  json ValidAnswers() {
    return json::parse(R"J({
      "consent": "yes", "region": "almaty", "centre": "ala_02", "district": "Bostandyk",
      "visit_date": "2026-11-26", "queue": 12, "queue_double": 24, "signs": ["kk", "ru"],
      "clean": 4, "staff": 1, "staff_members": [{"badge": "yes"}],
      "issues": [{"issue": "Кезек ұзын", "severity": 2, "issue_no": 1}], "issue_count": 1
    })J");
  }

  std::vector<AnswerProblem> Problems(const json& answers, const char* lang = "en") {
    return form_->Validate(answers, clock_, lang);
  }

  std::string Fields(const std::vector<AnswerProblem>& problems) {
    std::string s;
    for (const auto& p : problems) s += p.field + ": " + p.message + "\n";
    return s;
  }

  FakeClock clock_{kNow, 300};
  std::shared_ptr<const Form> form_;
};

std::string FormWith(const std::string& questions, const std::string& extra = "") {
  return R"J({"dala_form":1,"id":"t","version":"1","title":"T","languages":["ru","en"],
             "default_language":"ru",)J" +
         extra + R"J("lists":{"yn":[{"name":"y","label":"Да"},{"name":"n","label":"Нет"}]},
             "questions":)J" +
         questions + "}";
}

// --- loading ------------------------------------------------------------------

TEST(FormLoadTest, SampleFormsLoadWithoutProblems) {
  for (const char* path : {"schema/forms/psc_observation.json", "schema/forms/citizen_exit_survey.json"}) {
    std::string doc = testing::ReadFile(path);
    ASSERT_FALSE(doc.empty()) << path;
    auto f = Form::Load(doc);
    ASSERT_TRUE(f.ok()) << path << ":\n" << f.status().message();
    EXPECT_EQ((*f)->languages().size(), 3u);
    for (const char* lang : {"kk", "ru", "en"}) EXPECT_TRUE((*f)->HasLanguage(lang));
  }
}

TEST(FormLoadTest, FieldListIsAWordOfAGroupsAppearanceAndOtherAppearancesAreKeptOrIgnored) {
  auto f = Form::Load(R"J({"dala_form":1,"id":"a","version":"1","title":"A","languages":["en"],"default_language":"en",
    "questions":[{"type":"group","name":"g","appearance":"compact field-list","children":[
      {"type":"text","name":"t","label":"T","appearance":"multiline field-list"}]},
    {"type":"group","name":"h","appearance":"field-listing","children":[{"type":"text","name":"u","label":"U"}]},
    {"type":"group","name":"k","appearance":7,"children":[{"type":"text","name":"v","label":"V"}]}]})J");
  ASSERT_TRUE(f.ok()) << f.status().message();  // a form signed with any appearance still loads
  EXPECT_TRUE((*f)->Find("g")->IsFieldList());
  EXPECT_FALSE((*f)->Find("h")->IsFieldList());
  EXPECT_FALSE((*f)->Find("k")->IsFieldList());
  EXPECT_EQ((*f)->Find("k")->appearance, "");
  EXPECT_EQ((*f)->Find("t")->appearance, "multiline field-list");
  EXPECT_FALSE((*f)->Find("t")->IsFieldList());  // only a group is a screen
}

TEST(FormLoadTest, HashIsOfTheExactBytes) {
  auto a = Form::Load(kTestForm);
  auto b = Form::Load(std::string(kTestForm) + "\n");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->hash_hex().size(), 64u);
  EXPECT_NE((*a)->hash_hex(), (*b)->hash_hex());
  EXPECT_EQ((*a)->document(), kTestForm);
}

TEST(FormLoadTest, InvalidJsonIsRefusedWithOneMessage) {
  auto f = Form::Load("{\"id\": ");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("not valid JSON"), std::string::npos);
  EXPECT_FALSE(Form::Load("[]").ok());
  EXPECT_FALSE(Form::Load("").ok());
}

TEST(FormLoadTest, EveryProblemIsListedNotJustTheFirst) {
  auto f = Form::Load(FormWith(R"J([
    {"type":"integer","name":"a","label":"A","constraint":". >"},
    {"type":"text","name":"b","label":"B","relevant":"${nope} = 1"},
    {"type":"select_one","name":"c","label":"C","list":"missing"},
    {"type":"whatever","name":"d","label":"D"}
  ])J"));
  ASSERT_FALSE(f.ok());
  const std::string& m = f.status().message();
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 3) << m;
  EXPECT_NE(m.find("form 't': question 'a', column 'constraint': position"), std::string::npos) << m;
  EXPECT_NE(m.find("form 't': question 'c', column 'list': no list named 'missing'"), std::string::npos) << m;
  EXPECT_NE(m.find("question 'd', column 'type': unknown type"), std::string::npos) << m;
}

TEST(FormLoadTest, ReferenceToAMissingQuestionIsNamed) {
  auto f = Form::Load(FormWith(R"J([{"type":"text","name":"b","label":"B","relevant":"${nope} = 1"}])J"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("question 'b', column 'relevant': ${nope} names no question"),
            std::string::npos)
      << f.status().message();
}

TEST(FormLoadTest, SyntaxErrorNamesFormQuestionColumnAndPosition) {
  auto f = Form::Load(FormWith(R"J([{"type":"integer","name":"a","label":"A","constraint":". >= 0 and lenght(.) < 3"}])J"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("form 't': question 'a', column 'constraint': position 12: "),
            std::string::npos)
      << f.status().message();
}

TEST(FormLoadTest, DuplicateQuestionNamesAreRefused) {
  auto f = Form::Load(FormWith(R"J([{"type":"text","name":"a","label":"A"},
    {"type":"group","name":"g","children":[{"type":"text","name":"a","label":"A2"}]}])J"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("question 'a', column 'name': is used by another question"), std::string::npos);
}

TEST(FormLoadTest, MisspelledColumnIsRefusedRatherThanIgnored) {
  auto f = Form::Load(FormWith(R"J([{"type":"integer","name":"a","label":"A","constriant":". > 1"}])J"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("column 'constriant': not a column of a integer question"),
            std::string::npos)
      << f.status().message();
}

TEST(FormLoadTest, CalculationCycleIsRefused) {
  auto f = Form::Load(FormWith(R"J([{"type":"calculate","name":"a","calculation":"${b} + 1"},
                                    {"type":"calculate","name":"b","calculation":"${a} + 1"}])J"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("cycle"), std::string::npos) << f.status().message();
}

TEST(FormLoadTest, ChoiceFilterOnAMissingColumnIsRefused) {
  auto f = Form::Load(FormWith(R"J([{"type":"select_one","name":"a","label":"A","list":"yn","choice_filter":"region = 'x'"}])J"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("list 'yn' has no column 'region'"), std::string::npos)
      << f.status().message();
}

TEST(FormLoadTest, PulldataOfAMissingListOrColumnIsRefused) {
  auto f = Form::Load(FormWith(R"J([{"type":"calculate","name":"a","calculation":"pulldata('nope', 'x', 'name', 'y')"},
                                    {"type":"calculate","name":"b","calculation":"pulldata('yn', 'colour', 'name', 'y')"}])J"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("pulldata() names no list 'nope'"), std::string::npos);
  EXPECT_NE(f.status().message().find("list 'yn' has no column 'colour'"), std::string::npos);
}

TEST(FormLoadTest, TextInAnUndeclaredLanguageIsRefused) {
  auto f = Form::Load(FormWith(R"J([{"type":"text","name":"a","label":{"ru":"А","de":"A"}}])J"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("language 'de' is not in 'languages'"), std::string::npos);
}

TEST(FormLoadTest, BadScaleRepeatCountAndDefaultAreRefused) {
  auto f = Form::Load(FormWith(R"J([
    {"type":"rating","name":"r","label":"R","scale":11},
    {"type":"repeat","name":"rep","repeat_count":-1,"children":[{"type":"text","name":"t","label":"T"}]},
    {"type":"integer","name":"i","label":"I","default":"seven"}])J"));
  ASSERT_FALSE(f.ok());
  const std::string& m = f.status().message();
  EXPECT_NE(m.find("question 'r', column 'scale'"), std::string::npos) << m;
  EXPECT_NE(m.find("question 'rep', column 'repeat_count'"), std::string::npos) << m;
  EXPECT_NE(m.find("question 'i', column 'default'"), std::string::npos) << m;
}

TEST(FormLoadTest, SelfReferenceMustUseDot) {
  auto f = Form::Load(FormWith(R"J([{"type":"integer","name":"a","label":"A","constraint":"${a} > 1"}])J"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("use '.'"), std::string::npos);
}

TEST(FormLoadTest, MissingHeaderFieldsAreAllReported) {
  auto f = Form::Load(R"J({"questions":[{"type":"text","name":"a","label":"A"}]})J");
  ASSERT_FALSE(f.ok());
  const std::string& m = f.status().message();
  for (const char* column : {"'id'", "'dala_form'", "'version'", "'languages'", "'default_language'", "'title'"})
    EXPECT_NE(m.find(std::string("column ") + column), std::string::npos) << column << "\n" << m;
}

TEST(FormLoadTest, SummaryNamingARepeatedQuestionIsRefused) {
  auto f = Form::Load(FormWith(R"J([{"type":"repeat","name":"rep","children":[{"type":"text","name":"t","label":"T"}]}])J",
                               R"J("summary":["t"],)J"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("column 'summary'"), std::string::npos) << f.status().message();
}

// --- validating answers ---------------------------------------------------------

TEST_F(FormTest, CompleteValidAnswersHaveNoProblems) {
  EXPECT_EQ(Fields(Problems(ValidAnswers())), "");
}

TEST_F(FormTest, MissingRequiredAnswerIsReported) {
  json a = ValidAnswers();
  a.erase("visit_date");
  auto p = Problems(a);
  ASSERT_EQ(p.size(), 1u) << Fields(p);
  EXPECT_EQ(p[0].field, "visit_date");
  EXPECT_EQ(p[0].message, "This question requires an answer.");
}

TEST_F(FormTest, FailedConstraintGivesTheFormsMessageInTheChosenLanguage) {
  json a = ValidAnswers();
  a["visit_date"] = "2026-11-28";  // tomorrow
  EXPECT_EQ(Problems(a, "kk").at(0).message, "Болашақ күн болмауы керек");
  EXPECT_EQ(Problems(a, "ru").at(0).message, "Дата не может быть в будущем");
  EXPECT_EQ(Problems(a, "en").at(0).message, "Not in the future");
}

TEST_F(FormTest, TimeDependentConstraintIsJudgedAtTheGivenTime) {
  json a = ValidAnswers();
  a["visit_date"] = "2026-11-28";
  FakeClock later(kNow + 2 * 86400000LL, 300);
  EXPECT_TRUE(form_->Validate(a, later, "en").empty());
}

TEST_F(FormTest, UnknownFieldIsReported) {
  json a = ValidAnswers();
  a["queue_lenght"] = 3;
  a["issues"][0]["oops"] = 1;
  auto p = Problems(a);
  std::string f = Fields(p);
  ASSERT_EQ(p.size(), 2u) << f;
  EXPECT_NE(f.find("queue_lenght: The form has no such question."), std::string::npos) << f;
  EXPECT_NE(f.find("issues[1].oops: "), std::string::npos) << f;
}

TEST_F(FormTest, WrongJsonTypesAreReported) {
  json a = ValidAnswers();
  a["queue"] = "twelve";
  a["queue_double"] = nullptr;
  a["clean"] = 6;
  a["signs"] = "kk";
  a["visit_date"] = "27.11.2026";
  auto p = Problems(a);
  std::string f = Fields(p);
  EXPECT_NE(f.find("queue: Enter a whole number."), std::string::npos) << f;
  EXPECT_NE(f.find("clean: Choose a rating"), std::string::npos) << f;
  EXPECT_NE(f.find("signs: Choose one or more"), std::string::npos) << f;
  // Stored answers are ISO only; the message must not offer the typed form.
  EXPECT_NE(f.find("visit_date: A stored date must be written YYYY-MM-DD."), std::string::npos) << f;
}

// A text answer holds at most 10,000 code points: characters, not bytes
// (each Cyrillic letter takes two), and one more is refused.
TEST(FormTextLengthTest, TenThousandCodePointsPassAndOneMoreIsTooLong) {
  auto f = Form::Load(FormWith(R"J([{"type":"text","name":"note","label":{"ru":"Заметка","en":"Note"}}])J"));
  ASSERT_TRUE(f.ok()) << f.status().message();
  FakeClock clock{kNow, 300};
  auto problems = [&](const std::string& text) { return (*f)->Validate(json{{"note", text}}, clock, "en"); };
  std::string cyrillic;
  for (int i = 0; i < 10000; ++i) cyrillic += "Ж";
  EXPECT_TRUE(problems(cyrillic).empty()) << "20,000 bytes are 10,000 code points";
  EXPECT_TRUE(problems(std::string(10000, 'a')).empty());
  for (const std::string& text : {cyrillic + "Ж", std::string(10001, 'a'), std::string(9999, 'a') + "ЖЖ"}) {
    auto p = problems(text);
    ASSERT_EQ(p.size(), 1u) << text.size() << " bytes";
    EXPECT_EQ(p[0].field, "note");
    EXPECT_EQ(p[0].message, "The text is too long.");
  }
}

TEST_F(FormTest, AnswerToAnIrrelevantQuestionIsReported) {
  json a = ValidAnswers();
  a["why_long"] = "because";
  auto p = Problems(a);
  ASSERT_EQ(p.size(), 1u) << Fields(p);
  EXPECT_EQ(p[0].field, "why_long");

  json b = json::parse(R"J({"consent":"no","queue":5})J");
  auto q = Problems(b);
  ASSERT_EQ(q.size(), 1u) << Fields(q);
  EXPECT_EQ(q[0].field, "queue");
}

TEST_F(FormTest, RelevantRequiredQuestionMustBeAnswered) {
  json a = ValidAnswers();
  a["queue"] = 80;
  a["queue_double"] = 160;
  auto p = Problems(a);
  ASSERT_EQ(p.size(), 1u) << Fields(p);
  EXPECT_EQ(p[0].field, "why_long");
}

TEST_F(FormTest, ChoiceFilteredOutIsRefused) {
  json a = ValidAnswers();
  a["centre"] = "ast_01";  // an Astana centre while the region is Almaty
  a["district"] = "Yesil";
  auto p = Problems(a);
  ASSERT_EQ(p.size(), 1u) << Fields(p);
  EXPECT_EQ(p[0].field, "centre");
  a["centre"] = "zzz";
  EXPECT_FALSE(Problems(a).empty());
}

TEST_F(FormTest, CalculatedValueThatDiffersIsReported) {
  json a = ValidAnswers();
  a["queue_double"] = 25;
  auto p = Problems(a);
  ASSERT_EQ(p.size(), 1u) << Fields(p);
  EXPECT_EQ(p[0].field, "queue_double");
}

TEST_F(FormTest, CalculatedValueThatDiffersSaysWrongAndGivesTheValue) {
  json a = ValidAnswers();
  json expected = a["queue_double"];
  a["queue_double"] = 25;
  auto p = Problems(a);
  ASSERT_EQ(p.size(), 1u) << Fields(p);
  EXPECT_EQ(p[0].message, "This calculated value is wrong: the calculation gives " + expected.dump() + ".");
}

TEST_F(FormTest, CalculatedValueLeftOutSaysMissingAndGivesTheValue) {
  json a = ValidAnswers();
  json expected = a["queue_double"];
  a.erase("queue_double");
  auto p = Problems(a);
  ASSERT_EQ(p.size(), 1u) << Fields(p);
  EXPECT_EQ(p[0].field, "queue_double");
  EXPECT_EQ(p[0].message, "This calculated value is missing: the calculation gives " + expected.dump() + ".");
}

TEST_F(FormTest, RepeatCountThatDiffersIsReported) {
  json a = ValidAnswers();
  a["staff"] = 3;
  auto p = Problems(a);
  ASSERT_EQ(p.size(), 1u) << Fields(p);
  EXPECT_EQ(p[0].field, "staff_members");
}

TEST_F(FormTest, ConstraintInsideARepeatNamesTheInstance) {
  json a = ValidAnswers();
  a["issues"].push_back({{"issue", "x"}, {"severity", 9}, {"issue_no", 2}});
  a["issue_count"] = 2;
  auto p = Problems(a);
  ASSERT_EQ(p.size(), 1u) << Fields(p);
  EXPECT_EQ(p[0].field, "issues[2].severity");
  EXPECT_EQ(p[0].path, InstancePath{1});
}

TEST_F(FormTest, SelectMultipleConstraintSeesTheList) {
  json a = ValidAnswers();
  a["signs"] = {"none", "kk"};
  auto p = Problems(a);
  ASSERT_EQ(p.size(), 1u) << Fields(p);
  EXPECT_EQ(p[0].field, "signs");
  a["signs"] = {"kk", "kk"};
  EXPECT_FALSE(Problems(a).empty());
}

TEST_F(FormTest, AnswersThatAreNotAnObjectAreReported) {
  EXPECT_EQ(Problems(json::array()).size(), 1u);
  EXPECT_EQ(Problems(json("x")).size(), 1u);
}

TEST_F(FormTest, RecalculateFillsCalculationsAndClearsIrrelevantAnswers) {
  json a = ValidAnswers();
  a.erase("queue_double");
  a.erase("district");
  a["why_long"] = "x";
  form_->Recalculate(&a, clock_);
  EXPECT_EQ(a["queue_double"], 24);
  EXPECT_EQ(a["district"], "Bostandyk");
  EXPECT_FALSE(a.contains("why_long"));
  EXPECT_EQ(Fields(Problems(a)), "");

  a["consent"] = "no";
  form_->Recalculate(&a, clock_);
  EXPECT_EQ(a, json::parse(R"J({"consent":"no"})J"));
}

// What XLSForms write for a record's own id and a choice's label: the id
// is made once and kept (and never "corrected" by a validator, which would
// make another), the label is in the form's default language.
TEST(FormCalculationTest, UuidIsMadeOnceAndKeptChoiceNameIsTheDefaultLanguageLabel) {
  auto f = Form::Load(FormWith(R"J([{"type":"select_one","name":"ok","label":"OK","list":"yn"},
      {"type":"calculate","name":"record_id","calculation":"concat('r-', uuid())"},
      {"type":"calculate","name":"first_ok","calculation":"once(${ok})"},
      {"type":"calculate","name":"ok_label","calculation":"jr:choice-name(${ok}, '${ok}')"}])J"));
  ASSERT_TRUE(f.ok()) << f.status().message();
  FakeClock clock(kNow, 300);
  json a = {{"ok", "y"}};
  (*f)->Recalculate(&a, clock);
  const std::string id = a.value("record_id", "");
  EXPECT_EQ(id.size(), 38u) << a.dump();
  EXPECT_EQ(a["first_ok"], "y");
  EXPECT_EQ(a["ok_label"], "Да");
  a["ok"] = "n";
  (*f)->Recalculate(&a, clock);
  EXPECT_EQ(a["record_id"], id) << "the same id after every change";
  EXPECT_EQ(a["first_ok"], "y") << "once() keeps its first value";
  EXPECT_EQ(a["ok_label"], "Нет");
  EXPECT_TRUE((*f)->Validate(a, clock, "en").empty());
  a["record_id"] = "r-another";
  EXPECT_TRUE((*f)->Validate(a, clock, "en").empty()) << "a uuid() calculation cannot be recomputed to check";
  a.erase("first_ok");
  EXPECT_EQ((*f)->Validate(a, clock, "en").size(), 1u) << "once() of a missing answer is computed and checked";
}

TEST(FormCalculationTest, ChoiceNameOfAMissingQuestionIsRefused) {
  auto f = Form::Load(FormWith(R"J([{"type":"select_one","name":"ok","label":"OK","list":"yn"},
      {"type":"calculate","name":"l","calculation":"jr:choice-name(${ok}, '${nope}')"}])J"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("question 'l', column 'calculation': ${nope} names no question"),
            std::string::npos)
      << f.status().message();
}

TEST_F(FormTest, RecalculateSizesRepeatsFromTheirCount) {
  json a = ValidAnswers();
  a["staff"] = 3;
  form_->Recalculate(&a, clock_);
  ASSERT_EQ(a["staff_members"].size(), 3u);
  EXPECT_EQ(a["staff_members"][0]["badge"], "yes");
  a["staff"] = 0;
  form_->Recalculate(&a, clock_);
  EXPECT_TRUE(!a.contains("staff_members") || a["staff_members"].empty());
}

TEST_F(FormTest, CalculationInsideARepeatSeesItsOwnInstance) {
  json a = ValidAnswers();
  a["issues"].push_back({{"issue", "y"}});
  form_->Recalculate(&a, clock_);
  EXPECT_EQ(a["issues"][1]["issue_no"], 2);
  EXPECT_EQ(a["issue_count"], 2);
}

TEST_F(FormTest, KazakhAndRussianTextIsKeptByteForByte) {
  json a = ValidAnswers();
  const std::string text = "Кезек өте ұзын болды; очередь — 40 минут. ҚҰҮҒӘІҢҺӨ";
  a["notes"] = text;
  EXPECT_TRUE(Problems(a).empty());
  json back = json::parse(a.dump());
  EXPECT_EQ(back["notes"].get<std::string>(), text);
}

TEST_F(FormTest, LabelsFallBackToTheDefaultLanguage) {
  const Question* centre = form_->Find("region");
  ASSERT_NE(centre, nullptr);
  EXPECT_EQ(centre->label.Get("kk"), "Регион");  // only given in the default language
  const Question* consent = form_->Find("consent");
  EXPECT_EQ(consent->label.Get("kk"), "Келісесіз бе?");
  EXPECT_EQ(consent->label.Get("de"), "Согласны?");
}

// Each chosen item is checked against the filter, not only the first.
TEST(FormChoiceFilterTest, AChoiceFilteredOutOfAMultipleChoiceIsRefusedWhereverItStands) {
  auto f = Form::Load(R"J({"dala_form":1,"id":"t","version":"1","title":"T","languages":["en"],
      "default_language":"en",
      "lists":{"places":[{"name":"ala","label":"Almaty","city":"ala"},{"name":"ala_2","label":"Almaty 2","city":"ala"},
                         {"name":"ast","label":"Astana","city":"ast"}]},
      "questions":[{"type":"text","name":"city","label":"City"},
                   {"type":"select_multiple","name":"seen","label":"Seen","list":"places","choice_filter":"city = ${city}"}]})J");
  ASSERT_TRUE(f.ok()) << f.status().message();
  FakeClock clock(kNow, 300);
  EXPECT_TRUE((*f)->Validate(json{{"city", "ala"}, {"seen", {"ala", "ala_2"}}}, clock, "en").empty());
  for (json seen : {json{"ast"}, json{"ala", "ast"}, json{"ala", "nowhere"}}) {
    auto problems = (*f)->Validate(json{{"city", "ala"}, {"seen", seen}}, clock, "en");
    ASSERT_EQ(problems.size(), 1u) << seen.dump();
    EXPECT_EQ(problems[0].field, "seen");
  }
  // Under a city whose filter offers nothing, no choice stands.
  EXPECT_EQ((*f)->Validate(json{{"city", "kar"}, {"seen", {"ala"}}}, clock, "en").size(), 1u);
}

TEST_F(FormTest, OfferedItemsFollowTheChoiceFilter) {
  json a = json::parse(R"J({"consent":"yes","region":"astana"})J");
  auto items = form_->OfferedItems(a, form_->Find("centre")->index, {}, clock_);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]->name, "ast_01");
}

}  // namespace
}  // namespace dala::schema

namespace dala::schema {
namespace {

TEST(FormLoadTest, DeeplyNestedDocumentIsRefusedWithoutBuildingIt) {
  std::string bomb = std::string(1u << 20, '[') + std::string(1u << 20, ']');
  auto f = Form::Load(bomb);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("nested more than 64 levels"), std::string::npos) << f.status().message();
}

}  // namespace
}  // namespace dala::schema
