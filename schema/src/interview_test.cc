#include "dala/schema/interview.h"

#include <gtest/gtest.h>

#include "form_test_util.h"

namespace dala::schema {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1795755600000;  // 2026-11-27 10:00 +05:00

class InterviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = Form::Load(testing::kTestForm);
    ASSERT_TRUE(f.ok()) << f.status().message();
    form_ = *f;
  }

  std::string CurrentName(const Interview& iv) {
    if (iv.at_end()) return "<end>";
    const auto& step = *iv.current();
    std::string name = form_->questions()[step.question].name;
    if (step.kind == InterviewStep::Kind::kAddRepeat) name = "+" + name;
    return name;
  }

  void Say(Interview& iv, const char* text) {
    Status s = iv.Answer(text, "en");
    ASSERT_TRUE(s.ok()) << CurrentName(iv) << " <- " << text << ": " << s.message();
  }

  FakeClock clock_{kNow, 300};
  std::shared_ptr<const Form> form_;
};

TEST_F(InterviewTest, NoConsentEndsTheInterview) {
  Interview iv(form_, clock_);
  EXPECT_EQ(CurrentName(iv), "consent");
  Say(iv, "2");  // "no", by its number
  EXPECT_TRUE(iv.at_end());
  EXPECT_TRUE(iv.Validate("en").empty());
  EXPECT_EQ(iv.FinalAnswers(), json::parse(R"({"consent":"no"})"));
}

TEST_F(InterviewTest, FullInterviewFollowsSkipLogicAndProducesValidAnswers) {
  Interview iv(form_, clock_);
  Say(iv, "yes");
  EXPECT_EQ(CurrentName(iv), "region");
  Say(iv, "2");  // astana
  EXPECT_EQ(CurrentName(iv), "centre");
  ASSERT_EQ(iv.OfferedItems().size(), 1u);  // cascading select
  Say(iv, "1");
  EXPECT_EQ(CurrentName(iv), "visit_date");
  Say(iv, "26.11.2026");
  Say(iv, "80");  // queue: makes why_long relevant
  EXPECT_EQ(CurrentName(iv), "wait_hours");
  Say(iv, "1,5");
  Say(iv, "1 2");  // signs: kk and ru
  EXPECT_EQ(CurrentName(iv), "why_long");
  Say(iv, "Бір ғана терезе ашық");
  Say(iv, "5");  // clean
  EXPECT_EQ(CurrentName(iv), "thanks");
  ASSERT_TRUE(iv.Next("en").ok());
  EXPECT_EQ(CurrentName(iv), "+issues");
  Say(iv, "y");
  EXPECT_EQ(CurrentName(iv), "issue");
  Say(iv, "Нет пандуса");
  Say(iv, "3");
  EXPECT_EQ(CurrentName(iv), "+issues");
  Say(iv, "n");
  EXPECT_EQ(CurrentName(iv), "staff");
  ASSERT_TRUE(iv.Next("en").ok());  // keep the default of 2
  EXPECT_EQ(CurrentName(iv), "badge");
  Say(iv, "1");
  Say(iv, "2");
  EXPECT_EQ(CurrentName(iv), "notes");
  ASSERT_TRUE(iv.Next("en").ok());
  EXPECT_TRUE(iv.at_end());

  const json a = iv.FinalAnswers();
  EXPECT_EQ(a["district"], "Yesil");
  EXPECT_EQ(a["visit_date"], "2026-11-26");
  EXPECT_EQ(a["wait_hours"], 1.5);
  EXPECT_EQ(a["signs"], json::parse(R"(["kk","ru"])"));
  EXPECT_EQ(a["why_long"], "Бір ғана терезе ашық");
  EXPECT_EQ(a["issues"][0]["issue_no"], 1);
  EXPECT_EQ(a["staff_members"].size(), 2u);
  auto problems = iv.Validate("en");
  EXPECT_TRUE(problems.empty()) << problems[0].field << ": " << problems[0].message;
}

TEST_F(InterviewTest, ConstraintViolationIsRefusedWithItsMessageAndNothingIsStored) {
  Interview iv(form_, clock_);
  Say(iv, "1");
  Say(iv, "1");
  Say(iv, "1");
  Status s = iv.Answer("2026-12-01", "ru");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "Дата не может быть в будущем");
  EXPECT_EQ(CurrentName(iv), "visit_date");
  EXPECT_FALSE(iv.answers().contains("visit_date"));
}

TEST_F(InterviewTest, MalformedTypedAnswersAreRefusedInTheChosenLanguage) {
  Interview iv(form_, clock_);
  Status s = iv.Answer("7", "kk");  // only two choices
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "Ұсынылған нұсқалардың бірін таңдаңыз.");
  Say(iv, "1");
  Say(iv, "1");
  Say(iv, "1");
  EXPECT_FALSE(iv.Answer("31.02.2026", "en").ok());
  EXPECT_FALSE(iv.Answer("yesterday", "en").ok());
  Say(iv, "2026-11-20");
  EXPECT_EQ(iv.Answer("twelve", "ru").message(), "Введите целое число.");
  EXPECT_FALSE(iv.Answer("1.5", "en").ok());
  EXPECT_FALSE(iv.Answer("\xff\xfe", "en").ok());
  EXPECT_EQ(CurrentName(iv), "queue");
}

TEST_F(InterviewTest, RequiredQuestionCannotBeSkipped) {
  Interview iv(form_, clock_);
  Status s = iv.Next("en");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "This question requires an answer.");
  EXPECT_EQ(CurrentName(iv), "consent");
}

TEST_F(InterviewTest, BackReturnsToThePreviousStepWithItsAnswerKept) {
  Interview iv(form_, clock_);
  Say(iv, "1");
  Say(iv, "1");
  EXPECT_EQ(CurrentName(iv), "centre");
  ASSERT_TRUE(iv.Back());
  EXPECT_EQ(CurrentName(iv), "region");
  EXPECT_EQ(iv.answers()["region"], "almaty");
  ASSERT_TRUE(iv.Back());
  EXPECT_EQ(CurrentName(iv), "consent");
  EXPECT_FALSE(iv.Back());
  // Changing an earlier answer re-applies skip logic.
  Say(iv, "2");
  EXPECT_TRUE(iv.at_end());
  EXPECT_FALSE(iv.FinalAnswers().contains("region"));
  // ...but the hidden answer is kept while the interview runs.
  EXPECT_EQ(iv.answers()["region"], "almaty");
}

TEST_F(InterviewTest, ClearRemovesTheAnswer) {
  Interview iv(form_, clock_);
  Say(iv, "1");
  ASSERT_TRUE(iv.Back());
  ASSERT_TRUE(iv.Clear("en").ok());
  EXPECT_FALSE(iv.answers().contains("consent"));
}

TEST_F(InterviewTest, EditingStartsFromExistingAnswers) {
  json a = json::parse(R"({"consent":"yes","region":"almaty","centre":"ala_01","visit_date":"2026-11-20","staff":0})");
  Interview iv(form_, clock_, a);
  EXPECT_EQ(CurrentName(iv), "consent");
  ASSERT_TRUE(iv.Next("en").ok());
  ASSERT_TRUE(iv.Next("en").ok());
  EXPECT_EQ(CurrentName(iv), "centre");
  EXPECT_EQ(iv.answers()["district"], "Almaly");
}

TEST_F(InterviewTest, TypedAnswersAreParsedAsPeopleWriteThem) {
  auto parse = [&](const char* name, const char* text) {
    const Question* q = form_->Find(name);
    auto offered = form_->OfferedItems(json::object(), q->index, {}, clock_);
    return ParseTypedAnswer(*form_, q->index, text, offered, clock_, "en");
  };
  EXPECT_EQ(*parse("visit_date", "1.2.2026"), "2026-02-01");
  EXPECT_EQ(*parse("visit_date", " 2026-02-01 "), "2026-02-01");
  EXPECT_EQ(*parse("wait_hours", "2,25"), 2.25);
  EXPECT_EQ(*parse("wait_hours", "-3"), -3);
  EXPECT_EQ(*parse("signs", "kk, 2"), json::parse(R"(["kk","ru"])"));
  EXPECT_EQ(*parse("consent", "no"), "no");
  EXPECT_EQ(*parse("clean", "5"), 5);
  EXPECT_FALSE(parse("clean", "0").ok());
  EXPECT_FALSE(parse("wait_hours", "1.2.3").ok());
  EXPECT_FALSE(parse("wait_hours", "1e5").ok());
  EXPECT_FALSE(parse("signs", "").ok());
  EXPECT_FALSE(parse("signs", "1 9").ok());
  EXPECT_FALSE(parse("visit_date", "2026-13-01").ok());
  EXPECT_FALSE(parse("queue", "99999999999999999999").ok());
}

TEST_F(InterviewTest, RepeatPromptAcceptsOnlyYesOrNo) {
  json a = json::parse(R"({"consent":"yes","region":"almaty","centre":"ala_01","visit_date":"2026-11-20"})");
  Interview iv(form_, clock_, a);
  while (!iv.at_end() && CurrentName(iv) != "+issues") ASSERT_TRUE(iv.Next("en").ok()) << CurrentName(iv);
  Status s = iv.Answer("perhaps", "ru");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "Ответьте да (1) или нет (0).");
  Say(iv, "да");
  EXPECT_EQ(CurrentName(iv), "issue");
  EXPECT_EQ(iv.current()->path, InstancePath{0});
}

}  // namespace
}  // namespace dala::schema

namespace dala::schema {
namespace {

class InterviewInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = Form::Load(testing::kTestForm);
    ASSERT_TRUE(f.ok()) << f.status().message();
    form_ = *f;
  }
  Result<json> Parse(const char* name, std::string_view text, const char* lang = "en") {
    const Question* q = form_->Find(name);
    auto offered = form_->OfferedItems(json::object(), q->index, {}, clock_);
    return ParseTypedAnswer(*form_, q->index, text, offered, clock_, lang);
  }
  // A complete, valid set of answers with `extra` merged in (calculations
  // brought up to date).
  json Valid(const json& extra) {
    json a = json::parse(R"({"consent":"yes","region":"almaty","centre":"ala_01","visit_date":"2026-11-20",
                             "staff":0})");
    a.update(extra);
    form_->Recalculate(&a, clock_, false);
    return a;
  }
  FakeClock clock_{1795755600000, 300};
  std::shared_ptr<const Form> form_;
};

TEST_F(InterviewInputTest, ArrowKeyEscapeSequencesAreRefusedInEveryLanguage) {
  // What a terminal without line editing passes on for "Школа 12", ← ←, "№".
  const std::string typed = "Школа 12\x1b[D\x1b[D№";
  for (const char* lang : {"kk", "ru", "en"}) {
    auto r = Parse("notes", typed, lang);
    ASSERT_FALSE(r.ok()) << lang;
    EXPECT_EQ(r.status().message(), LocalMessage(Message::kControlCharacter, lang));
  }
  // The same bytes given by a file or a web page are refused by the
  // validation every signature goes through.
  json answers = Valid({{"notes", typed}});
  auto problems = form_->Validate(answers, clock_, "kk");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "notes");
  EXPECT_EQ(problems[0].message, LocalMessage(Message::kControlCharacter, "kk"));
  for (std::string bad : {"a\x7f", "a\x01", "a\r", "a\xc2\x9b[D"}) {
    answers["notes"] = bad;
    EXPECT_EQ(form_->Validate(answers, clock_, "en").size(), 1u) << bad;
  }
  answers["notes"] = "Два\tстолбца\nи вторая строка";
  EXPECT_TRUE(form_->Validate(answers, clock_, "en").empty());
}

TEST_F(InterviewInputTest, ImpossibleDaySaysTheDateDoesNotExist) {
  for (const char* text : {"31.02.2026", "2026-02-30", "29.02.2027", "0.1.2026", "1.13.2026"}) {
    auto r = Parse("visit_date", text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().message(), LocalMessage(Message::kNoSuchDate, "en")) << text;
  }
  EXPECT_EQ(*Parse("visit_date", "29.02.2028"), "2028-02-29");
  EXPECT_EQ(Parse("visit_date", "31.02").status().message(), LocalMessage(Message::kNotDate, "en"));
  EXPECT_EQ(Parse("visit_date", "2026.02.01").status().message(), LocalMessage(Message::kNotDate, "en"));
  EXPECT_EQ(Parse("visit_date", "1-2-2026").status().message(), LocalMessage(Message::kNotDate, "en"));
}

TEST_F(InterviewInputTest, AnswersFileDatesAreTakenAsTheInterviewTakesThem) {
  json answers = Valid(json::parse(R"({"visit_date":"04.11.2026","issues":[{"issue":"x"}]})"));
  NormalizeTypedAnswers(*form_, &answers, clock_);
  EXPECT_EQ(answers["visit_date"], "2026-11-04");
  EXPECT_TRUE(form_->Validate(answers, clock_, "en").empty());
  // A day that does not exist is left for validation, which names it.
  answers["visit_date"] = "31.02.2026";
  NormalizeTypedAnswers(*form_, &answers, clock_);
  auto problems = form_->Validate(answers, clock_, "ru");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].message, LocalMessage(Message::kNoSuchDate, "ru"));
}

TEST_F(InterviewInputTest, UnknownFieldSuggestsTheNearestQuestionName) {
  json answers = Valid(json::parse(R"({"queu":3, "zzzzzzzz":1})"));
  auto problems = form_->Validate(answers, clock_, "en");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].field, "queu");
  EXPECT_EQ(problems[0].message, "The form has no such question. Did you mean `queue`?");
  EXPECT_EQ(problems[1].message, "The form has no such question.");
  EXPECT_EQ(form_->Validate(json::array(), clock_, "kk")[0].message,
            LocalMessage(Message::kAnswersNotObject, "kk"));
}

TEST_F(InterviewInputTest, EveryMessageExistsInEveryLanguage) {
  for (int m = 0; m < static_cast<int>(Message::kMessageCount); ++m) {
    std::set<std::string> distinct;
    for (const char* lang : {"kk", "ru", "en"}) {
      std::string text = LocalMessage(static_cast<Message>(m), lang);
      EXPECT_FALSE(text.empty()) << m << " " << lang;
      distinct.insert(text);
    }
    // " *"-like marks aside, a message the same in all three is untranslated.
    EXPECT_GT(distinct.size(), 1u) << "message " << m << " is not translated";
  }
}

TEST_F(InterviewInputTest, ResumedDraftStartsAtTheFirstUnansweredQuestion) {
  json draft = json::parse(R"({"consent":"yes","region":"almaty","centre":"ala_01"})");
  Interview iv(form_, clock_, draft);
  iv.ResumeAtFirstUnanswered();
  ASSERT_FALSE(iv.at_end());
  EXPECT_EQ(form_->questions()[iv.current()->question].name, "visit_date");
  // `<` goes back through the answered questions as usual.
  ASSERT_TRUE(iv.Back());
  EXPECT_EQ(form_->questions()[iv.current()->question].name, "centre");
  ASSERT_TRUE(iv.Back());
  ASSERT_TRUE(iv.Back());
  EXPECT_FALSE(iv.Back());
  // A draft with nothing left to answer resumes at the end.
  Interview done(form_, clock_, json::parse(R"({"consent":"no"})"));
  done.ResumeAtFirstUnanswered();
  EXPECT_TRUE(done.at_end());
  EXPECT_TRUE(done.Back());
}

TEST_F(InterviewInputTest, ConsentScreenCountsTheQuestionsBehindIt) {
  Interview iv(form_, clock_);
  EXPECT_EQ(iv.Steps().size(), 1u);
  EXPECT_GT(iv.ExpectedStepCount(), 10u);
  ASSERT_TRUE(iv.Answer("2", "en").ok());  // no consent: nothing more to come
  EXPECT_EQ(iv.ExpectedStepCount(), 1u);
}

// A field-list group between two plain questions, then a repeat without a
// count and one with a fixed count.
constexpr const char* kScreensForm = R"J({"dala_form":1,"id":"screens","version":"1","title":"S",
  "languages":["en"],"default_language":"en","questions":[
  {"type":"integer","name":"before","label":"Before"},
  {"type":"group","name":"people","label":"People","appearance":"compact field-list","children":[
    {"type":"integer","name":"adults","label":"Adults","required":true},
    {"type":"integer","name":"children","label":"Children","constraint":". < 20"},
    {"type":"text","name":"why_children","label":"Why","relevant":"${children} > 0","required":true},
    {"type":"calculate","name":"total","label":"Total","calculation":"${adults} + ${children}"}]},
  {"type":"repeat","name":"visits","label":"Visit","children":[
    {"type":"text","name":"place","label":"Place"},
    {"type":"calculate","name":"nth","calculation":"position(..)"}]},
  {"type":"repeat","name":"fixed","label":"Fixed","repeat_count":2,"children":[
    {"type":"text","name":"f","label":"F"}]},
  {"type":"calculate","name":"visit_count","calculation":"count(${place})"},
  {"type":"text","name":"after","label":"After"}]})J";

class InterviewScreenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = Form::Load(kScreensForm);
    ASSERT_TRUE(f.ok()) << f.status().message();
    form_ = *f;
  }
  InterviewStep At(const char* name, InstancePath path = {}) {
    return {InterviewStep::Kind::kQuestion, form_->Find(name)->index, std::move(path)};
  }
  std::vector<std::string> Screen(const Interview& iv) {
    std::vector<std::string> out;
    for (const auto& s : iv.ScreenSteps()) out.push_back(form_->questions()[s.question].name);
    return out;
  }
  std::string Current(const Interview& iv) {
    if (iv.at_end()) return "<end>";
    std::string name = form_->questions()[iv.current()->question].name;
    if (iv.current()->kind == InterviewStep::Kind::kAddRepeat) name = "+" + name;
    for (int i : iv.current()->path) name += "." + std::to_string(i);
    return name;
  }
  FakeClock clock_{kNow, 300};
  std::shared_ptr<const Form> form_;
};

TEST_F(InterviewScreenTest, FieldListGroupIsOneScreenWhoseRelevanceAndCalculationsFollowEachAnswer) {
  Interview iv(form_, clock_);
  EXPECT_EQ(Screen(iv), std::vector<std::string>{"before"});
  ASSERT_TRUE(iv.Answer("1", "en").ok());
  EXPECT_EQ(Screen(iv), (std::vector<std::string>{"adults", "children"}));
  ASSERT_TRUE(iv.Set(At("children"), "2", "en").ok());
  EXPECT_EQ(Screen(iv), (std::vector<std::string>{"adults", "children", "why_children"}));
  EXPECT_EQ(Current(iv), "adults");  // setting answers does not move
  InterviewStep missing;
  Status s = iv.NextScreen("en", &missing);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(form_->questions()[missing.question].name, "adults");
  ASSERT_TRUE(iv.Set(At("adults"), "3", "en").ok());
  EXPECT_EQ(iv.answers()["total"], 5);
  EXPECT_FALSE(iv.NextScreen("en", &missing).ok());
  EXPECT_EQ(form_->questions()[missing.question].name, "why_children");
  ASSERT_TRUE(iv.Set(At("children"), "", "en").ok());  // cleared: the question behind it goes
  EXPECT_EQ(Screen(iv), (std::vector<std::string>{"adults", "children"}));
  ASSERT_TRUE(iv.NextScreen("en").ok());
  EXPECT_EQ(Current(iv), "+visits.0");
  ASSERT_TRUE(iv.Back());
  EXPECT_EQ(Screen(iv), (std::vector<std::string>{"adults", "children"}));
}

TEST_F(InterviewScreenTest, TerminalStillAsksFieldListQuestionsOneAtATime) {
  Interview iv(form_, clock_);
  ASSERT_TRUE(iv.Answer("1", "en").ok());
  ASSERT_TRUE(iv.Answer("3", "en").ok());
  EXPECT_EQ(Current(iv), "children");
  ASSERT_TRUE(iv.Answer("1", "en").ok());
  EXPECT_EQ(Current(iv), "why_children");
}

TEST_F(InterviewScreenTest, SetRefusesAStepOffTheScreenAndAnAnswerTheFormRefusesChangingNothing) {
  Interview iv(form_, clock_);
  ASSERT_TRUE(iv.Answer("1", "en").ok());
  ASSERT_TRUE(iv.Set(At("adults"), "3", "en").ok());
  const json kept = iv.answers();
  EXPECT_EQ(iv.Set(At("after"), "x", "en").reason(), "not_on_screen");
  EXPECT_EQ(iv.Set(At("before"), "2", "en").reason(), "not_on_screen");
  EXPECT_EQ(iv.Set(At("why_children"), "x", "en").reason(), "not_on_screen");  // hidden now
  EXPECT_FALSE(iv.Set(At("children"), "many", "en").ok());
  EXPECT_FALSE(iv.Set(At("children"), "25", "en").ok());  // its constraint
  EXPECT_EQ(iv.answers(), kept);
  EXPECT_EQ(Current(iv), "adults");
}

TEST_F(InterviewScreenTest, AnswerThatHidesTheScreensFirstStepKeepsTheRestOnScreen) {
  // `first` is shown only while `second` is empty: answering the second
  // hides the step the screen was named by.
  auto f = Form::Load(R"J({"dala_form":1,"id":"hide","version":"1","title":"H","languages":["en"],
    "default_language":"en","questions":[{"type":"group","name":"g","label":"G","appearance":"field-list",
    "children":[{"type":"text","name":"first","label":"F","relevant":"${second} = ''"},
    {"type":"text","name":"second","label":"S"}]},{"type":"text","name":"last","label":"L"}]})J");
  ASSERT_TRUE(f.ok()) << f.status().message();
  form_ = *f;
  Interview iv(form_, clock_);
  EXPECT_EQ(Screen(iv), (std::vector<std::string>{"first", "second"}));
  ASSERT_TRUE(iv.Set(At("second"), "x", "en").ok());
  EXPECT_EQ(Current(iv), "second");
  EXPECT_EQ(Screen(iv), std::vector<std::string>{"second"});
}

TEST_F(InterviewScreenTest, RemovingAnInstanceMovesLaterOnesDownAndRecounts) {
  Interview iv(form_, clock_, json::parse(R"({"before":1,"adults":1,"children":0,"visits":[{"place":"a"},{"place":"b"},{"place":"c"}]})"));
  iv.ResumeAtFirstUnanswered();
  EXPECT_EQ(Current(iv), "+visits.3");
  EXPECT_EQ(iv.answers()["visit_count"], 3);
  ASSERT_TRUE(iv.RemoveInstance(form_->Find("visits")->index, {1}).ok());
  EXPECT_EQ(iv.answers()["visits"], json::parse(R"([{"place":"a","nth":1},{"place":"c","nth":2}])"));
  EXPECT_EQ(iv.answers()["visit_count"], 2);
  EXPECT_EQ(Current(iv), "+visits.2");
  // The history lost the removed instance's step and renumbered the next.
  ASSERT_TRUE(iv.Back());
  EXPECT_EQ(Current(iv), "place.1");
  EXPECT_EQ(iv.answers()["visits"][1]["place"], "c");
  ASSERT_TRUE(iv.Back());
  EXPECT_EQ(Current(iv), "place.0");
}

TEST_F(InterviewScreenTest, RemovingTheInstanceShownMovesToTheStepThatTakesItsPlace) {
  Interview iv(form_, clock_, json::parse(R"({"before":1,"adults":1,"visits":[{"place":"a"},{"place":"b"}]})"));
  iv.GoTo(At("place", {0}));
  ASSERT_TRUE(iv.RemoveInstance(form_->Find("visits")->index, {0}).ok());
  EXPECT_EQ(Current(iv), "place.0");
  EXPECT_EQ(iv.answers()["visits"][0]["place"], "b");
  ASSERT_TRUE(iv.RemoveInstance(form_->Find("visits")->index, {0}).ok());
  EXPECT_EQ(Current(iv), "+visits.0");
  EXPECT_EQ(iv.answers()["visits"], json::array());
}

TEST_F(InterviewScreenTest, RemovingAnInstanceTheFormCountsOrThatDoesNotExistIsRefused) {
  Interview iv(form_, clock_, json::parse(R"({"visits":[{"place":"a"}],"fixed":[{"f":"1"},{"f":"2"}]})"));
  const json kept = iv.answers();
  EXPECT_EQ(iv.RemoveInstance(form_->Find("fixed")->index, {0}).reason(), "fixed_repeat");
  EXPECT_EQ(iv.RemoveInstance(form_->Find("visits")->index, {1}).reason(), "no_such_instance");
  EXPECT_EQ(iv.RemoveInstance(form_->Find("visits")->index, {-1}).reason(), "no_such_instance");
  EXPECT_EQ(iv.RemoveInstance(form_->Find("visits")->index, {0, 0}).reason(), "no_such_instance");
  EXPECT_EQ(iv.RemoveInstance(form_->Find("after")->index, {0}).reason(), "not_a_repeat");
  EXPECT_EQ(iv.answers(), kept);
}

}  // namespace
}  // namespace dala::schema
