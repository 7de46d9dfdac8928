// End-to-end tests of the volunteer's `dala` binary: a real profile in a
// temporary directory, the real sample forms, answers from files and from
// an interview typed on standard input.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dala/base/sqlite.h"
#include "e2e_util.h"

namespace dala::e2e {
namespace {

using nlohmann::json;

// 2026-11-27 10:00 in Almaty (UTC+5): the sample forms accept visits from
// the last 30 days, so tests fix "today".
constexpr const char* kNow = "1795755600000";

const char* kObservationAnswers = R"({
  "region": "ala", "centre": "ala_01", "visit_date": "2026-11-26", "arrival_time": "09:30",
  "queue_length": 14, "waiting_source": "test_case", "waiting_minutes": 35, "equeue_works": "yes",
  "signage_languages": ["kk", "ru"], "ramp": "no", "complaints_book": "yes", "fees_posted": "yes",
  "windows_total": 8, "windows_open": 5, "staff_at_windows": 6, "cleanliness": 4,
  "issues": [{"category": "accessibility", "description": "Пандус жоқ, кіреберіс биік"}],
  "notes": "Кезек ұзын, бірақ тәртіпті. Очередь длинная."
})";

// Typed answers for the observation checklist, one line per question.
std::string ObservationInput(const std::string& description, const std::string& notes) {
  return "1\n1\n26.11.2026\n09:30\n12\n1\n25\n1\n1 2\n1\n1\n1\n6\n4\n5\n4\n1\n1\n" + description + "\n0\n" + notes +
         "\n1\n";
}

class ClientE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = {{"DALA_HOME", dir_ / "profile"},
            {"DALA_PASSPHRASE", "steppe-wind-42"},
            {"DALA_TEST_NOW_MS", kNow},
            {"DALA_TEST_UTC_OFFSET_MINUTES", "300"}};
    auto init = Dala({"init", "--lang", "ru"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    for (const char* f : {"psc_observation", "citizen_exit_survey"}) {
      auto add = Dala({"forms", "add", std::string(DALA_SOURCE_DIR) + "/schema/forms/" + f + ".json"});
      ASSERT_EQ(add.exit_code, 0) << add.err;
    }
  }

  CommandResult Dala(std::vector<std::string> args, const std::string& input = "",
                     const std::map<std::string, std::string>& extra_env = {}) {
    args.insert(args.begin(), DalaBinary());
    auto env = env_;
    for (const auto& [k, v] : extra_env) env[k] = v;
    return RunCommand(args, env, input);
  }

  json ListJson() {
    auto r = Dala({"list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  std::string SaveAnswers(const std::string& text) {
    std::string path = dir_ / ("answers-" + std::to_string(files_++) + ".json");
    WriteFile(path, text);
    return path;
  }

  std::string CollectObservation() {
    auto r = Dala({"collect", "psc_observation", "--answers", SaveAnswers(kObservationAnswers)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto list = ListJson();
    return list.empty() ? "" : list.back()["id"].get<std::string>();
  }

  // Exactly one line on stderr, starting "dala: ".
  void ExpectOneClearLine(const CommandResult& r) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.err.rfind("dala: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }

  TempDir dir_;
  std::map<std::string, std::string> env_;
  int files_ = 0;
};

TEST_F(ClientE2ETest, AnswersFileIsValidatedSignedAndListed) {
  std::string id = CollectObservation();
  ASSERT_EQ(id.size(), 36u);
  auto show = Dala({"show", id, "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  json s = json::parse(show.out);
  EXPECT_EQ(s["answers"]["queue_length"], 14);
  EXPECT_EQ(s["answers"]["centre_district"], json::parse(kObservationAnswers)["centre"].is_string() ? s["answers"]["centre_district"] : json());
  EXPECT_EQ(s["answers"]["notes"], "Кезек ұзын, бірақ тәртіпті. Очередь длинная.");
  ASSERT_EQ(s["revisions"].size(), 1u);
  EXPECT_EQ(s["revisions"][0]["upload"], "pending");
  auto verify = Dala({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(ClientE2ETest, AnswerBreakingAConstraintIsRefusedWithItsMessageAndNothingIsStored) {
  json a = json::parse(kObservationAnswers);
  a["queue_length"] = 9000;
  auto r = Dala({"collect", "psc_observation", "--answers", SaveAnswers(a.dump())});
  ExpectOneClearLine(r);
  EXPECT_NE(r.err.find("queue_length"), std::string::npos) << r.err;
  EXPECT_TRUE(ListJson().empty());
}

TEST_F(ClientE2ETest, AnswersFileThatDoesNotFitTheFormIsRefused) {
  json unknown = json::parse(kObservationAnswers);
  unknown["queue_lenght"] = 3;
  json missing = json::parse(kObservationAnswers);
  missing.erase("visit_date");
  json wrong_type = json::parse(kObservationAnswers);
  wrong_type["ramp"] = true;
  for (const std::string& text : {unknown.dump(), missing.dump(), wrong_type.dump(), std::string("[1,2]"),
                                  std::string("{not json"), std::string("")}) {
    auto r = Dala({"collect", "psc_observation", "--answers", SaveAnswers(text)});
    ExpectOneClearLine(r);
  }
  EXPECT_TRUE(ListJson().empty());
}

TEST_F(ClientE2ETest, UnknownFormIsOneClearError) {
  auto r = Dala({"collect", "no_such_form", "--answers", SaveAnswers(kObservationAnswers)});
  ExpectOneClearLine(r);
  EXPECT_NE(r.err.find("no form 'no_such_form'"), std::string::npos) << r.err;
}

TEST_F(ClientE2ETest, WrongPassphraseIsRefusedAndNothingIsStored) {
  auto r = Dala({"collect", "psc_observation", "--answers", SaveAnswers(kObservationAnswers)}, "",
                {{"DALA_PASSPHRASE", "not-the-passphrase"}});
  ExpectOneClearLine(r);
  EXPECT_NE(r.err.find("wrong passphrase"), std::string::npos) << r.err;
  EXPECT_TRUE(ListJson().empty());
}

TEST_F(ClientE2ETest, MissingProfileIsOneClearError) {
  auto r = Dala({"list"}, "", {{"DALA_HOME", dir_ / "nowhere"}});
  ExpectOneClearLine(r);
  EXPECT_NE(r.err.find("dala init"), std::string::npos) << r.err;
}

TEST_F(ClientE2ETest, CorruptDatabaseIsOneClearErrorAndTheFileIsUntouched) {
  std::string db = dir_ / "profile/dala.db";
  std::string garbage(8192, 'x');
  WriteFile(db, garbage);
  for (auto args : {std::vector<std::string>{"list"}, {"verify"}, {"collect", "psc_observation", "--answers",
                                                                   SaveAnswers(kObservationAnswers)}}) {
    auto r = Dala(args);
    ExpectOneClearLine(r);
    EXPECT_EQ(ReadFile(db), garbage);
  }
}

TEST_F(ClientE2ETest, InitOnAnExistingProfileIsRefusedAndKeepsTheKey) {
  std::string before = ReadFile(dir_ / "profile/dala.db");
  auto r = Dala({"init"});
  ExpectOneClearLine(r);
  EXPECT_NE(r.err.find("already exists"), std::string::npos);
  std::string id = CollectObservation();  // the old key still signs
  EXPECT_FALSE(id.empty());
}

TEST_F(ClientE2ETest, ChangingAnyStoredByteOfARevisionMakesVerifyFailAndNameTheRecord) {
  std::string id = CollectObservation();
  std::string db_path = dir_ / "profile/dala.db";
  std::string original;
  {
    auto db = sql::Database::Open(db_path);
    ASSERT_TRUE(db.ok());
    auto st = db->Prepare("SELECT bytes FROM envelopes");
    ASSERT_TRUE(st.ok() && *st->Step());
    original = st->ColumnBlob(0);
  }
  // Every byte would take thousands of processes; sample across the whole
  // envelope, including header, parents, body and signature. Every byte is
  // covered in-process by EnvelopeTest.EverySingleByteChangeIsDetected.
  std::vector<size_t> positions;
  for (size_t i = 0; i < original.size(); i += original.size() / 23) positions.push_back(i);
  positions.push_back(original.size() - 1);
  for (size_t pos : positions) {
    std::string mutated = original;
    mutated[pos] = static_cast<char>(mutated[pos] ^ 0x20);
    {
      auto db = sql::Database::Open(db_path);
      ASSERT_TRUE(db.ok());
      auto st = db->Prepare("UPDATE envelopes SET bytes = ?");
      ASSERT_TRUE(st->BindBlob(1, mutated).Run().ok());
    }
    auto r = Dala({"verify"});
    EXPECT_EQ(r.exit_code, 1) << "byte " << pos << " changed and verify passed";
    EXPECT_NE(r.out.find(id), std::string::npos) << "byte " << pos << ": the record is not named\n" << r.out;
  }
  {
    auto db = sql::Database::Open(db_path);
    auto st = db->Prepare("UPDATE envelopes SET bytes = ?");
    ASSERT_TRUE(st->BindBlob(1, original).Run().ok());
  }
  EXPECT_EQ(Dala({"verify"}).exit_code, 0);
}

TEST_F(ClientE2ETest, DeletedRevisionBreaksTheDeviceChain) {
  CollectObservation();
  std::string second = CollectObservation();
  CollectObservation();
  {
    auto db = sql::Database::Open(dir_ / "profile/dala.db");
    ASSERT_TRUE(db->Exec("DELETE FROM envelopes WHERE sequence = 2").ok());
  }
  auto r = Dala({"verify"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("device chain"), std::string::npos) << r.out;
}

class InterviewLanguageTest : public ClientE2ETest, public ::testing::WithParamInterface<const char*> {};

// The label of a question in a language, straight from the form file.
std::string Label(const char* form, const char* question, const char* lang) {
  json f = json::parse(ReadFile(std::string(DALA_SOURCE_DIR) + "/schema/forms/" + form + ".json"));
  std::function<std::string(const json&)> find = [&](const json& qs) -> std::string {
    for (const json& q : qs) {
      if (q["name"] == question) return q["label"][lang].get<std::string>();
      if (q.contains("children")) {
        std::string s = find(q["children"]);
        if (!s.empty()) return s;
      }
    }
    return "";
  };
  return find(f["questions"]);
}

TEST_P(InterviewLanguageTest, ObservationChecklistCanBeCompletedInEachLanguage) {
  const char* lang = GetParam();
  const std::string description = "Пандус жоқ — кіреберіс биік, ҚҰҮҒӘІҢҺӨ";
  const std::string notes = "Очередь длинная; кезек ұзын. English too.";
  auto r = Dala({"--lang", lang, "collect", "psc_observation"}, ObservationInput(description, notes));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string label = Label("psc_observation", "queue_length", lang);
  ASSERT_FALSE(label.empty());
  EXPECT_NE(r.out.find(label), std::string::npos) << "the interview did not speak " << lang;
  auto list = ListJson();
  ASSERT_EQ(list.size(), 1u);
  const json& a = list[0]["answers"];
  // Kazakh and Russian typed in the terminal come back byte for byte.
  EXPECT_EQ(a["issues"][0]["description"].get<std::string>(), description);
  EXPECT_EQ(a["notes"].get<std::string>(), notes);
  EXPECT_EQ(a["visit_date"], "2026-11-26");
  EXPECT_EQ(a["signage_languages"], json::parse(R"(["kk","ru"])"));
}

TEST_P(InterviewLanguageTest, ExitSurveyCanBeCompletedInEachLanguage) {
  const char* lang = GetParam();
  std::string input = "1\n1\n1\n1\n15\n1\n5\n3\n1\n3\n1\n2\nРахмет, бәрі жақсы!\n\n1\n";
  auto r = Dala({"--lang", lang, "collect", "citizen_exit_survey"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(Label("citizen_exit_survey", "satisfaction", lang)), std::string::npos);
  auto list = ListJson();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["answers"]["satisfaction"], 5);
  EXPECT_EQ(list[0]["answers"]["informal_payment"], "prefer_not_to_say");
  EXPECT_EQ(list[0]["answers"]["comment"], "Рахмет, бәрі жақсы!");
}

INSTANTIATE_TEST_SUITE_P(Languages, InterviewLanguageTest, ::testing::Values("kk", "ru", "en"));

TEST_F(ClientE2ETest, NoConsentEndsTheExitSurvey) {
  auto r = Dala({"collect", "citizen_exit_survey"}, "2\n\n1\n");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto list = ListJson();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["answers"], json::parse(R"({"consent":"no"})"));
}

TEST_F(ClientE2ETest, InvalidTypedAnswerIsRefusedWithTheConstraintMessageAndAskedAgain) {
  // queue_length 9000 is refused, then 12 is accepted.
  std::string input = "1\n1\n26.11.2026\n09:30\n9000\n12\n1\n25\n1\n1 2\n1\n1\n1\n6\n4\n5\n4\n0\n\n1\n";
  auto r = Dala({"--lang", "en", "collect", "psc_observation"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json f = json::parse(ReadFile(std::string(DALA_SOURCE_DIR) + "/schema/forms/psc_observation.json"));
  std::string message;
  for (const json& q : f["questions"])
    if (q["name"] == "queue_length") message = q["constraint_message"]["en"];
  EXPECT_NE(r.out.find("✗ " + message), std::string::npos) << r.out;
  EXPECT_EQ(ListJson()[0]["answers"]["queue_length"], 12);
}

TEST_F(ClientE2ETest, GoingBackChangesAnEarlierAnswer) {
  // Region 1, then back, region 2; the centre list follows the new region.
  std::string input = "1\n<\n2\n1\n26.11.2026\n09:30\n12\n1\n25\n1\n1 2\n1\n1\n1\n6\n4\n5\n4\n0\n\n1\n";
  auto r = Dala({"collect", "psc_observation"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto a = ListJson()[0]["answers"];
  EXPECT_EQ(a["region"], "ast");
  EXPECT_EQ(a["centre"], "ast_01");
}

TEST_F(ClientE2ETest, DraftIsKeptAndResumed) {
  auto first = Dala({"collect", "psc_observation"}, "1\n1\n26.11.2026\n:save\n");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(ListJson().empty());
  auto drafts = Dala({"drafts"});
  EXPECT_NE(drafts.out.find("psc_observation"), std::string::npos) << drafts.out;
  // Resuming starts at the first question with the answers kept: Enter
  // keeps each one.
  std::string rest = "\n\n\n09:30\n12\n1\n25\n1\n1 2\n1\n1\n1\n6\n4\n5\n4\n0\n\n1\n";
  auto second = Dala({"collect", "--draft", "1"}, rest);
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  auto list = ListJson();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["answers"]["visit_date"], "2026-11-26");
  EXPECT_NE(Dala({"drafts"}).out.find("No drafts"), std::string::npos);
}

TEST_F(ClientE2ETest, InterviewCutOffMidwayLeavesADraftNotARecord) {
  auto r = Dala({"collect", "psc_observation"}, "1\n1\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ListJson().empty());
  EXPECT_NE(Dala({"drafts"}).out.find("psc_observation"), std::string::npos);
}

TEST_F(ClientE2ETest, EditMakesANewRevisionWhoseParentIsTheCurrentOne) {
  std::string id = CollectObservation();
  auto r = Dala({"edit", id.substr(0, 8), "--set", "queue_length=15", "--set", "notes=Исправлено"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json s = json::parse(Dala({"show", id, "--json"}).out);
  ASSERT_EQ(s["revisions"].size(), 2u);
  EXPECT_EQ(s["revisions"][1]["parents"][0], s["revisions"][0]["id"]);
  EXPECT_EQ(s["answers"]["queue_length"], 15);
  EXPECT_EQ(s["answers"]["notes"], "Исправлено");
  EXPECT_EQ(Dala({"verify"}).exit_code, 0);
}

TEST_F(ClientE2ETest, EditWithAnInvalidValueIsRefusedAndKeepsTheRecord) {
  std::string id = CollectObservation();
  for (auto set : {"queue_length=-5", "queue_length=many", "nonexistent=1", "centre_district=x"}) {
    auto r = Dala({"edit", id, "--set", set});
    ExpectOneClearLine(r);
  }
  json s = json::parse(Dala({"show", id, "--json"}).out);
  EXPECT_EQ(s["revisions"].size(), 1u);
  EXPECT_EQ(s["answers"]["queue_length"], 14);
}

TEST_F(ClientE2ETest, InteractiveEditStartsFromTheCurrentAnswers) {
  std::string id = CollectObservation();
  // Enter keeps every answer; the queue (5th question) becomes 20.
  std::string input = "\n\n\n\n20\n";
  for (int i = 0; i < 30; ++i) input += "\n";
  input += "1\n";
  auto r = Dala({"edit", id}, input);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json s = json::parse(Dala({"show", id, "--json"}).out);
  EXPECT_EQ(s["answers"]["queue_length"], 20);
  EXPECT_EQ(s["answers"]["notes"], json::parse(kObservationAnswers)["notes"]);
}

TEST_F(ClientE2ETest, UnknownOrAmbiguousRecordIdIsOneClearError) {
  CollectObservation();
  ExpectOneClearLine(Dala({"show", "ffffffff"}));
  ExpectOneClearLine(Dala({"show", "zz"}));
  ExpectOneClearLine(Dala({"edit", "0", "--set", "queue_length=1"}));
}

TEST_F(ClientE2ETest, EveryCommandHasHelpAndBadUsageExitsTwo) {
  for (const char* cmd : {"init", "forms", "collect", "drafts", "list", "show", "edit", "verify", "enroll", "sync",
                          "receipts", "coord"}) {
    auto r = Dala({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd << ": " << r.out;
  }
  EXPECT_EQ(Dala({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(Dala({"show"}).exit_code, 2);
  EXPECT_EQ(Dala({}).exit_code, 2);
}

TEST_F(ClientE2ETest, BadFormFileIsRefusedWithEveryProblemListed) {
  std::string bad = R"({"dala_form":1,"id":"bad","version":"1","title":"T","languages":["ru"],"default_language":"ru",
    "questions":[{"type":"integer","name":"a","label":"A","constraint":". >"},
                 {"type":"text","name":"b","label":"B","relevant":"${nope} = 1"}]})";
  auto r = Dala({"forms", "add", SaveAnswers(bad)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("question 'a', column 'constraint': position"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("question 'b', column 'relevant': ${nope} names no question"), std::string::npos) << r.err;
  EXPECT_EQ(Dala({"forms"}).out.find("bad "), std::string::npos);
}

}  // namespace
}  // namespace dala::e2e
