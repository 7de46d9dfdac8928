#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>
#include <xlsxwriter.h>

#include "../../schema/src/form_test_util.h"
#include "dala/schema/form.h"
#include "dala/xlsform/xlsform.h"

namespace dala::xlsform {
namespace {

using nlohmann::json;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Vector(const std::string& name) {
  return ReadFile(std::filesystem::path(DALA_SOURCE_DIR) / "tests/vectors/xlsforms" / name);
}

json Convert(const std::string& name) {
  ReadOptions options;
  options.fallback_id = "x";
  auto c = XlsFormToForm(Vector(name), options);
  EXPECT_TRUE(c.ok()) << name << ": " << c.status().message();
  if (!c.ok()) return json();
  EXPECT_TRUE(schema::Form::Load(c.value().document).ok());
  return json::parse(c.value().document);
}

std::string Refusal(const std::string& name) {
  auto c = XlsFormToForm(Vector(name));
  EXPECT_FALSE(c.ok()) << name;
  if (c.ok()) return "";
  EXPECT_EQ(c.status().reason(), "bad_xlsform");
  return c.status().message();
}

// A sheet from rows of text; "#5" is the numeric cell 5.
Sheet MakeSheet(const std::string& name, const std::vector<std::vector<std::string>>& rows) {
  Sheet s;
  s.name = name;
  for (const auto& row : rows) {
    s.rows.emplace_back();
    for (const auto& text : row) {
      bool number = text.size() > 1 && text[0] == '#';
      s.rows.back().push_back(Cell{number ? text.substr(1) : text, number});
    }
  }
  return s;
}

Result<Conversion> FromSheets(const std::vector<Sheet>& sheets, const ReadOptions& options = {}) {
  return SheetsToForm(sheets, options);
}

json Document(const Result<Conversion>& c) {
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? json::parse(c.value().document) : json();
}

// --- the real XLSForms -----------------------------------------------------

TEST(RealXlsForms, TextAndIntegerGiveTheirQuestionsWithEnglishLabels) {
  json doc = Convert("text_and_integer.xlsx");
  ASSERT_EQ(doc["questions"].size(), 2u);
  EXPECT_EQ(doc["questions"][0]["type"], "text");
  EXPECT_EQ(doc["questions"][0]["label"]["en"], "What is your name?");
  EXPECT_EQ(doc["questions"][1]["type"], "integer");
  EXPECT_EQ(doc["questions"][1]["name"], "your_age");
  EXPECT_EQ(doc["languages"], json::array({"en"}));
}

TEST(RealXlsForms, GroupHoldsItsQuestionsAndPhoneNumberIsDigitsOnly) {
  json doc = Convert("group.xlsx");
  ASSERT_EQ(doc["questions"].size(), 2u);
  const json& father = doc["questions"][1];
  EXPECT_EQ(father["type"], "group");
  EXPECT_EQ(father["label"]["en"], "Father");
  ASSERT_EQ(father["children"].size(), 2u);
  EXPECT_EQ(father["children"][0]["name"], "phone_number");
  EXPECT_EQ(father["children"][0]["constraint"], "regex(., '^[0-9]*$')");
  EXPECT_EQ(father["children"][1]["type"], "integer");
}

TEST(RealXlsForms, FieldListKeepsChoicesInEveryLanguageAndTheGroup) {
  json doc = Convert("field-list.xlsx");
  EXPECT_EQ(doc["languages"], json::array({"en", "zh"}));
  EXPECT_EQ(doc["lists"]["yes_no"][1]["label"], json({{"en", "No"}, {"zh", "没有"}}));
  const json& group = doc["questions"][0];
  EXPECT_EQ(group["type"], "group");
  EXPECT_EQ(group["children"][0]["list"], "yes_no");
  EXPECT_EQ(group["children"][0]["hint"], "hint");
}

TEST(RealXlsForms, SelectOneFromWithSingleColonLanguageAndSpacedListName) {
  json doc = Convert("yes_or_no_question.xlsx");
  EXPECT_EQ(doc["questions"][0]["type"], "select_one");
  EXPECT_EQ(doc["questions"][0]["list"], "yes_or_no");
  EXPECT_EQ(doc["questions"][0]["label"]["en"], "have you had a good day today?");
  EXPECT_EQ(doc["lists"]["yes_or_no"].size(), 2u);
}

TEST(RealXlsForms, ExtraColumnsFarToTheRightAreRead) {
  json doc = Convert("extra_columns.xlsx");
  EXPECT_EQ(doc["questions"][0]["label"], "A");
}

TEST(RealXlsForms, BadCalcIsRefusedAtItsRowAndColumn) {
  EXPECT_EQ(Refusal("bad_calc.xlsx"),
            "survey row 2, column 'calculation': position 1: bare name 'because': write ${because} to refer to a "
            "question (cell: \"because pyxform doesn't know what to do\")");
}

TEST(RealXlsForms, UpperCaseSheetsAreReadAndTheOsmQuestionRefused) {
  // Every other row of this form (upper-case sheet and column names) is read.
  EXPECT_EQ(Refusal("case_insensitivity.xlsx"),
            "survey row 4, column 'TYPE': Dala cannot take 'osm c1': an OpenStreetMap question (cell: \"osm c1\")");
}

TEST(RealXlsForms, ChoiceNamesRepeatedInOneListAreRefusedAtTheRepeat) {
  EXPECT_EQ(Refusal("choice_filter_test.xlsx"), "choices row 6, list 'counties': item name 'king' appears twice");
}

TEST(RealXlsForms, LoopIsRefusedAtBothItsRows) {
  EXPECT_EQ(Refusal("loop.xlsx"),
            "survey row 3, column 'type': unknown question type (Dala has groups and repeats) (cell: \"begin loop over "
            "toilet_type\")\n"
            "survey row 5, column 'type': unknown question type (cell: \"end loop\")");
}

TEST(RealXlsForms, ChoiceFilterOnAMissingColumnIsRefused) {
  EXPECT_EQ(Refusal("or_other.xlsx"),
            "survey row 3, column 'choice_filter': list 'colors' has no column 'yes' (cell: \"pastel=yes\")");
  EXPECT_EQ(Refusal("xl_date_ambiguous.xlsx"),
            "survey row 5, column 'choice_filter': list 'names_list' has no column 'label::English' (cell: "
            "\"label::English != ''\")");
}

TEST(RealXlsForms, FlatTestFormListsEveryMediaAndMetadataProblemAtOnce) {
  std::string message = Refusal("flat_xlsform_test.xlsx");
  for (const char* line : {
           "choices row 4, column 'image': Dala does not take media in choices (cell: \"a.jpg\")",
           "survey row 9, column 'media::audio::chinese': Dala does not take media in forms (cell: "
           "\"chinese_audio.wav\")",
           "survey row 35, column 'type': Dala cannot take 'barcode': a barcode scan (Dala has no camera input) "
           "(cell: \"barcode\")",
           "survey row 36, column 'type': Dala cannot take 'image': a photo (Dala does not take media questions) "
           "(cell: \"image\")",
           "survey row 54, column 'type': Dala cannot take 'phonenumber': metadata Dala does not collect (cell: "
           "\"phonenumber\")",
       })
    EXPECT_NE(message.find(line), std::string::npos) << line << "\nin\n" << message;
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 13) << message;
}

// --- spellings and mapping -------------------------------------------------

std::vector<Sheet> YesNoChoices() {
  return {MakeSheet("choices", {{"list_name", "name", "label::English (en)", "label::Русский (ru)"},
                                {"yn", "yes", "Yes", "Да"},
                                {"yn", "no", "No", "Нет"}})};
}

TEST(XlsFormSpelling, LanguageColumnsInEverySpellingMeetInOneText) {
  auto sheets = YesNoChoices();
  sheets.push_back(MakeSheet("Survey", {{"TYPE", "Name", "label::English (en)", "label:ru", "Label::kk",
                                         "hint::Kazakh (kk)"},
                                        {"select_one yn", "q", "Agree?", "Согласны?", "Келісесіз бе?", "Кеңес"}}));
  sheets.push_back(MakeSheet("SETTINGS", {{"form_id", "version", "default_language"}, {"f", "#3", "Russian (ru)"}}));
  json doc = Document(FromSheets(sheets));
  EXPECT_EQ(doc["questions"][0]["label"], json({{"en", "Agree?"}, {"ru", "Согласны?"}, {"kk", "Келісесіз бе?"}}));
  EXPECT_EQ(doc["questions"][0]["hint"], json({{"kk", "Кеңес"}}));
  EXPECT_EQ(doc["default_language"], "ru");
  EXPECT_EQ(doc["version"], "3");
  EXPECT_EQ(doc["languages"], json::array({"en", "ru", "kk"}));
}

TEST(XlsFormSpelling, ColumnsInAnyOrderAndTypesInAnyCase) {
  std::vector<Sheet> sheets = {
      MakeSheet("survey", {{"required", "label", "name", "type", "constraint"},
                           {"yes", "Age", "age", "Integer", ". > 0"},
                           {"", "When", "when", "dateTime", ""}})};
  json doc = Document(FromSheets(sheets));
  EXPECT_EQ(doc["questions"][0], json({{"type", "integer"}, {"name", "age"}, {"label", "Age"}, {"required", true},
                                       {"constraint", ". > 0"}}));
  EXPECT_EQ(doc["questions"][1]["type"], "datetime");
}

TEST(XlsFormSpelling, OtherSheetsAndUnknownColumnsAreWarnedAbout) {
  std::vector<Sheet> sheets = {MakeSheet("survey", {{"type", "name", "label", "bind::odk:length"}, {"text", "a", "A", "5"}}),
                               MakeSheet("notes", {{"anything"}})};
  auto c = FromSheets(sheets);
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& w = c.value().warnings;
  EXPECT_NE(std::find(w.begin(), w.end(), "sheet 'notes' is not an XLSForm sheet and was ignored"), w.end());
  EXPECT_NE(std::find(w.begin(), w.end(), "survey column 'bind::odk:length' has no place in a Dala form and was ignored"),
            w.end());
}

TEST(XlsFormMapping, OrOtherAddsTheOtherChoiceAndItsTextQuestion) {
  auto sheets = YesNoChoices();
  sheets.push_back(MakeSheet("survey", {{"type", "name", "label"}, {"select_multiple yn or_other", "why", "Why?"}}));
  json doc = Document(FromSheets(sheets));
  EXPECT_EQ(doc["lists"]["yn"].back(), json({{"name", "other"}, {"label", "Other"}}));
  EXPECT_EQ(doc["questions"][1], json({{"type", "text"}, {"name", "why_other"}, {"label", "Specify other."},
                                       {"relevant", "selected(${why}, 'other')"}}));
}

TEST(XlsFormMapping, RangeBecomesRatingOrABoundedNumber) {
  std::vector<Sheet> sheets = {MakeSheet("survey", {{"type", "name", "label", "parameters"},
                                                    {"range", "stars", "Stars", "start=1 end=5 step=1"},
                                                    {"range", "temp", "Temp", "start=-10 end=40 step=0.5"}})};
  json doc = Document(FromSheets(sheets));
  EXPECT_EQ(doc["questions"][0]["type"], "rating");
  EXPECT_EQ(doc["questions"][0]["scale"], 5);
  EXPECT_EQ(doc["questions"][1]["type"], "decimal");
  EXPECT_EQ(doc["questions"][1]["constraint"], ". >= -10 and . <= 40 and (. - -10) mod 0.5 = 0");
}

TEST(XlsFormMapping, RepeatWithCountDefaultsAndMetadata) {
  std::vector<Sheet> sheets = {MakeSheet(
      "survey", {{"type", "name", "label", "repeat_count", "default", "read_only", "relevant"},
                 {"start", "started", "", "", "", "", ""},
                 {"today", "day", "", "", "", "", ""},
                 {"deviceid", "device", "", "", "", "", ""},
                 {"integer", "n", "How many?", "", "#2", "", ""},
                 {"begin_repeat", "people", "People", "${n}", "", "", "${n} > 0"},
                 {"text", "who", "Who?", "", "nobody", "true", ""},
                 {"end_repeat", "", "", "", "", "", ""}})};
  auto c = FromSheets(sheets);
  json doc = Document(c);
  EXPECT_EQ(doc["questions"][0], json({{"type", "calculate"}, {"name", "started"}, {"calculation", "now()"}}));
  EXPECT_EQ(doc["questions"][1]["calculation"], "today()");
  EXPECT_EQ(doc["questions"][2]["default"], 2);
  const json& people = doc["questions"][3];
  EXPECT_EQ(people["repeat_count"], "${n}");
  EXPECT_EQ(people["relevant"], "${n} > 0");
  EXPECT_EQ(people["children"][0]["read_only"], true);
  EXPECT_EQ(people["children"][0]["default"], "nobody");
  ASSERT_TRUE(c.ok());
  const auto& w = c.value().warnings;
  EXPECT_NE(std::find(w.begin(), w.end(), "survey row 4: 'deviceid' was dropped: every Dala record is signed by its device's key"),
            w.end());
}

TEST(XlsFormMapping, DefaultsBecomeAnswersInTheirJsonForm) {
  auto sheets = YesNoChoices();
  sheets.push_back(MakeSheet("survey", {{"type", "name", "label", "default"},
                                        {"select_multiple yn", "both", "Both", "yes  no"},
                                        {"geopoint", "where", "Where", "43.25 76.95 800"},
                                        {"geopoint", "odd", "Odd", "north"},
                                        {"acknowledge", "ok", "OK?", "OK"},
                                        {"decimal", "d", "D", "2.5"}}));
  auto c = FromSheets(sheets);
  ASSERT_FALSE(c.ok()) << "a geopoint default that is no location is refused by Form::Load";
  EXPECT_EQ(c.status().message().rfind("survey row 4, column 'default': ", 0), 0u) << c.status().message();
  sheets.back().rows.erase(sheets.back().rows.begin() + 3);
  json doc = Document(FromSheets(sheets));
  EXPECT_EQ(doc["questions"][0]["default"], json::array({"yes", "no"}));
  EXPECT_EQ(doc["questions"][1]["default"], json({{"lat", 43.25}, {"lon", 76.95}, {"alt", 800}}));
  EXPECT_EQ(doc["questions"][2]["default"], true);
  EXPECT_EQ(doc["questions"][3]["default"], 2.5);
}

TEST(XlsFormMapping, SelectFromFileAndPulldataTakeTheirListsFromCsv) {
  ReadOptions options;
  options.list_files["centres.csv"] =
      "name,label::Russian (ru),region,lat\r\nala_01,\"ЦОН \"\"Алмалы\"\"\",almaty,43.25\r\nast_01,ЦОН Есиль,astana,51.1\r\n";
  std::vector<Sheet> sheets = {MakeSheet(
      "survey", {{"type", "name", "label", "calculation"},
                 {"select_one_from_file centres.csv", "centre", "Centre", ""},
                 {"calculate", "region", "", "pulldata('centres', 'region', 'name', ${centre})"}})};
  auto c = FromSheets(sheets, options);
  json doc = Document(c);
  EXPECT_EQ(doc["questions"][0]["list"], "centres");
  EXPECT_EQ(doc["lists"]["centres"][0],
            json({{"name", "ala_01"}, {"label", {{"ru", "ЦОН \"Алмалы\""}}}, {"region", "almaty"}, {"lat", 43.25}}));
}

TEST(XlsFormMapping, SelectFromFileWithoutItsListFileIsRefused) {
  std::vector<Sheet> sheets = {
      MakeSheet("survey", {{"type", "name", "label"}, {"select_one_from_file centres.csv", "centre", "Centre"}})};
  auto c = FromSheets(sheets);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "survey row 2, column 'type': needs the list file 'centres.csv' (give its folder "
                                  "with --lists) (cell: \"select_one_from_file centres.csv\")");
}

// --- refusals --------------------------------------------------------------

TEST(XlsFormRefusal, EveryProblemIsListedWithSheetRowColumnAndCell) {
  std::vector<Sheet> sheets = {MakeSheet("survey", {{"type", "name", "label", "constraint", "relevant"},
                                                    {"text", "a", "A", "", ""},
                                                    {"integer", "b", "B", "lenght(.) < 5", ""},
                                                    {"text", "c", "C", "", "${missing} = 1"},
                                                    {"begin group", "g", "G", "", ""}})};
  auto c = FromSheets(sheets);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "survey row 5, column 'type': 'begin group' is never ended (cell: \"begin group\")");
  sheets[0].rows.pop_back();
  c = FromSheets(sheets);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "survey row 3, column 'constraint': position 1: unknown function 'lenght' (cell: \"lenght(.) < 5\")\n"
            "survey row 4, column 'relevant': ${missing} names no question (cell: \"${missing} = 1\")");
}

TEST(XlsFormMapping, ChoiceNameOnceAndUuidAreTakenAsWrittenAndTheirMisuseRefused) {
  auto survey = [](const std::string& id_calc, const std::string& label_calc) {
    return std::vector<Sheet>{
        MakeSheet("survey", {{"type", "name", "label", "calculation"},
                             {"select_one yn", "ok", "OK?", ""},
                             {"calculate", "record_id", "", id_calc},
                             {"calculate", "ok_label", "", label_calc}}),
        MakeSheet("choices", {{"list_name", "name", "label"}, {"yn", "y", "Yes"}, {"yn", "n", "No"}})};
  };
  json doc = Document(FromSheets(survey("once(uuid())", "jr:choice-name(${ok}, '${ok}')")));
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["questions"][1]["calculation"], "once(uuid())");
  EXPECT_EQ(doc["questions"][2]["calculation"], "jr:choice-name(${ok}, '${ok}')");
  EXPECT_TRUE(schema::Form::Load(doc.dump()).ok());

  auto c = FromSheets(survey("once(uuid(1))", "jr:choice-name(${ok}, ${ok})"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "survey row 3, column 'calculation': position 6: uuid() takes 0 arguments, got 1 "
            "(cell: \"once(uuid(1))\")\n"
            "survey row 4, column 'calculation': position 23: jr:choice-name() argument 2 must name a question in "
            "quotes, as in '${question}' (cell: \"jr:choice-name(${ok}, ${ok})\")");
}

// A workbook as Excel writes one, made with libxlsxwriter: `survey` and
// `choices` rows of text, then `merge` run on the workbook's sheets.
std::string XlsxWithMerges(const std::vector<std::vector<std::string>>& survey,
                           const std::vector<std::vector<std::string>>& choices,
                           const std::function<void(lxw_worksheet* survey, lxw_worksheet* choices)>& merge) {
  char path[] = "/tmp/dala-merge-test-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  lxw_workbook* book = workbook_new(path);
  lxw_worksheet* sheets[2] = {workbook_add_worksheet(book, "survey"), workbook_add_worksheet(book, "choices")};
  const std::vector<std::vector<std::string>>* rows[2] = {&survey, &choices};
  for (int s = 0; s < 2; ++s)
    for (size_t r = 0; r < rows[s]->size(); ++r)
      for (size_t c = 0; c < (*rows[s])[r].size(); ++c)
        if (!(*rows[s])[r][c].empty())
          worksheet_write_string(sheets[s], static_cast<lxw_row_t>(r), static_cast<lxw_col_t>(c),
                                 (*rows[s])[r][c].c_str(), nullptr);
  merge(sheets[0], sheets[1]);
  EXPECT_EQ(workbook_close(book), LXW_NO_ERROR);
  std::string bytes = ReadFile(path);
  std::remove(path);
  return bytes;
}

TEST(XlsFormMerges, AMergeBelowTheHeaderRepeatsItsTextInEveryCellItCovers) {
  // list_name "yn" written once and merged down its three choices; a
  // relevant merged down the two questions it is meant for.
  const std::string xlsx = XlsxWithMerges(
      {{"type", "name", "label", "relevant"},
       {"select_one yn", "ok", "OK?", ""},
       {"text", "why", "Why?", "${ok} = 'n'"},
       {"integer", "how_long", "How long?", ""}},
      {{"list_name", "name", "label"}, {"yn", "y", "Yes"}, {"", "n", "No"}, {"", "dk", "Don't know"}},
      [](lxw_worksheet* survey, lxw_worksheet* choices) {
        worksheet_merge_range(survey, 2, 3, 3, 3, "${ok} = 'n'", nullptr);
        worksheet_merge_range(choices, 1, 0, 3, 0, "yn", nullptr);
      });
  auto sheets = ReadXlsx(xlsx);
  ASSERT_TRUE(sheets.ok()) << sheets.status().message();
  ASSERT_EQ((*sheets)[1].merges.size(), 1u);
  EXPECT_EQ((*sheets)[1].merges[0].first_row, 1);
  EXPECT_EQ((*sheets)[1].merges[0].last_row, 3);
  EXPECT_EQ((*sheets)[1].rows[2][0].text, "") << "the reader gives the cells as stored";
  ReadOptions options;
  options.fallback_id = "merged";
  json doc = Document(XlsFormToForm(xlsx, options));
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["lists"]["yn"].size(), 3u) << doc["lists"].dump();
  EXPECT_EQ(doc["questions"][1]["relevant"], "${ok} = 'n'");
  EXPECT_EQ(doc["questions"][2]["relevant"], "${ok} = 'n'");
}

TEST(XlsFormMerges, AHeaderMergedAcrossColumnsIsRefusedRatherThanItsColumnsDropped) {
  const std::string xlsx = XlsxWithMerges(
      {{"type", "name", "label", ""}, {"text", "a", "Атауы", "Name"}}, {{"list_name", "name", "label"}},
      [](lxw_worksheet* survey, lxw_worksheet*) { worksheet_merge_range(survey, 0, 2, 0, 3, "label", nullptr); });
  auto c = XlsFormToForm(xlsx);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "survey row 1, column 'label': the header is merged across columns 3 to 4; give each column its own "
            "header (as label::English (en), label::Русский (ru))");
}

TEST(XlsFormRefusal, DuplicateColumnIsRefusedAtTheHeader) {
  std::vector<Sheet> sheets = {
      MakeSheet("survey", {{"type", "name", "label", "Label"}, {"text", "a", "A", "A again"}})};
  auto c = FromSheets(sheets);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "survey row 1, column 'Label': the column appears twice (also column 3)");
}

TEST(XlsFormRefusal, MissingSurveySheetAndNoTypeAreRefused) {
  auto c = FromSheets({MakeSheet("choices", {{"list_name", "name", "label"}})});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "the workbook has no 'survey' sheet");
  c = FromSheets({MakeSheet("survey", {{"type", "name", "label"}, {"", "a", "A"}})});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "survey row 2, column 'type': the row has text but no type");
}

TEST(XlsFormRefusal, NotASpreadsheetIsRefusedAsSuch) {
  auto c = XlsFormToForm("name,label\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().reason(), "bad_spreadsheet");
}

// --- writing and reading back ----------------------------------------------

void ExpectRoundTrip(const std::string& document) {
  auto xlsx = FormToXlsForm(document);
  ASSERT_TRUE(xlsx.ok()) << xlsx.status().message();
  json original = json::parse(document);
  ReadOptions options;
  auto back = XlsFormToForm(xlsx.value(), options);
  ASSERT_TRUE(back.ok()) << original["id"] << ": " << back.status().message();
  EXPECT_EQ(json::parse(back.value().document), original) << back.value().document;
  EXPECT_TRUE(back.value().warnings.empty()) << back.value().warnings.front();
}

TEST(XlsFormRoundTrip, EveryFormInTheRepositoryComesBackKeyForKey) {
  int forms = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(DALA_SOURCE_DIR) / "schema/forms")) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    ExpectRoundTrip(ReadFile(entry.path()));
    ++forms;
  }
  EXPECT_GE(forms, 2);
  ExpectRoundTrip(schema::testing::kTestForm);
}

TEST(XlsFormRoundTrip, FormsFromTheRealXlsFormsComeBackKeyForKey) {
  for (const char* name : {"text_and_integer.xlsx", "group.xlsx", "field-list.xlsx", "yes_or_no_question.xlsx"}) {
    SCOPED_TRACE(name);
    json doc = Convert(name);
    ExpectRoundTrip(doc.dump());
  }
}

TEST(XlsFormRoundTrip, ShippedSpreadsheetsMatchTheirJson) {
  // schema/forms/*.xlsx are generated from the JSON beside them
  // (dala form convert); this fails when one is edited without the other.
  for (const char* name : {"citizen_exit_survey", "psc_observation"}) {
    SCOPED_TRACE(name);
    std::filesystem::path dir = std::filesystem::path(DALA_SOURCE_DIR) / "schema/forms";
    auto back = XlsFormToForm(ReadFile(dir / (std::string(name) + ".xlsx")));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(json::parse(back.value().document), json::parse(ReadFile(dir / (std::string(name) + ".json"))))
        << "regenerate: dala form convert schema/forms/" << name << ".json -o schema/forms/" << name << ".xlsx";
  }
}

TEST(XlsFormWriter, NotAFormDocumentIsRefused) {
  EXPECT_EQ(FormToXlsForm("[1]").status().reason(), "bad_form");
  EXPECT_EQ(FormToXlsForm("{").status().reason(), "bad_form");
}

TEST(Csv, ListFolderGivesEveryCsvByName) {
  auto dir = std::filesystem::temp_directory_path() / ("dala-lists-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "centres.csv") << "name,label\n";
  std::ofstream(dir / "Regions.CSV") << "name\n";
  std::ofstream(dir / "notes.txt") << "x";
  std::ofstream(dir / "sub/deeper.csv") << "x";
  auto files = ReadListFolder(dir.string());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(files->size(), 2u);
  EXPECT_EQ(files->at("centres.csv"), "name,label\n");
  EXPECT_TRUE(files->count("Regions.CSV"));
  EXPECT_EQ(ReadListFolder("/nonexistent/dala").status().code(), Status::Code::kIoError);
}

TEST(Csv, QuotesDoubledQuotesAndLineEndings) {
  auto rows = ParseCsv("\xEF\xBB\xBF" "a,\"b,c\",\"d\"\"e\"\nf,,\"g\nh\"\r\n");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows.value(), (std::vector<std::vector<std::string>>{{"a", "b,c", "d\"e"}, {"f", "", "g\nh"}}));
  EXPECT_EQ(ParseCsv("a,\"b").status().reason(), "bad_csv");
  EXPECT_EQ(ParseCsv("a,\"b\"c\n").status().reason(), "bad_csv");
}

}  // namespace
}  // namespace dala::xlsform
