// End-to-end tests of the volunteer's `dala` binary: a real profile in a
// temporary directory, the real sample forms, answers from files and from
// an interview typed on standard input.

#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "dala/base/sqlite.h"
#include "e2e_util.h"

namespace dala::e2e {
namespace {

using nlohmann::json;

// 2026-11-27 10:00 in Almaty (UTC+5): the sample forms accept visits from
// the last 30 days, so tests fix "today".
constexpr const char* kNow = "1795755600000";
constexpr const char* kBuilt = "1793000000000";  // 2026-10-26

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
            {"DALA_TEST_UTC_OFFSET_MINUTES", "300"},
            // The fixed "today" is earlier than this build: say the build is older.
            {"DALA_TEST_BUILD_MS", kBuilt}};
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

  // "dala: <headline>", then one "  ✗ field: problem" line per problem;
  // returns the problem lines.
  std::vector<std::string> ExpectProblemLines(const CommandResult& r) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.err.rfind("dala: ", 0), 0u) << r.err;
    std::vector<std::string> problems;
    size_t start = r.err.find('\n');
    while (start != std::string::npos && start + 1 < r.err.size()) {
      size_t end = r.err.find('\n', start + 1);
      std::string line = r.err.substr(start + 1, end - start - 1);
      EXPECT_EQ(line.rfind("  ✗ ", 0), 0u) << r.err;
      problems.push_back(line);
      start = end;
    }
    return problems;
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
  auto problems = ExpectProblemLines(r);
  ASSERT_EQ(problems.size(), 1u) << r.err;
  EXPECT_NE(problems[0].find("queue_length"), std::string::npos) << r.err;
  EXPECT_TRUE(ListJson().empty());
}

TEST_F(ClientE2ETest, AnswersFileListsEveryProblemOnItsOwnLineInTheChosenLanguageWithASuggestion) {
  json a = json::parse(kObservationAnswers);
  a["queue_length"] = 9000;
  a["queue_lenght"] = 3;
  a.erase("visit_date");
  a["ramp"] = true;
  for (const char* lang : {"kk", "ru", "en"}) {
    auto r = Dala({"--lang", lang, "collect", "psc_observation", "--answers", SaveAnswers(a.dump())});
    auto problems = ExpectProblemLines(r);
    ASSERT_EQ(problems.size(), 4u) << r.err;
    EXPECT_NE(r.err.find("queue_lenght"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("`queue_length`") == std::string::npos ? r.err.find("«queue_length»") : 0,
              std::string::npos)
        << r.err;
    // Nothing English in a Kazakh or Russian report but the names.
    if (std::string(lang) != "en") {
      EXPECT_EQ(r.err.find("does not fit"), std::string::npos) << r.err;
      EXPECT_EQ(r.err.find("The form has no"), std::string::npos) << r.err;
    }
  }
  auto en = Dala({"--lang", "en", "collect", "psc_observation", "--answers", SaveAnswers(a.dump())});
  EXPECT_NE(en.err.find("  ✗ queue_lenght: The form has no such question. Did you mean `queue_length`?"),
            std::string::npos)
      << en.err;
  EXPECT_TRUE(ListJson().empty());
}

TEST_F(ClientE2ETest, AnswersFileDatesAreTakenAsTheInterviewTakesThemAndImpossibleOnesAreNamed) {
  json a = json::parse(kObservationAnswers);
  a["visit_date"] = "26.11.2026";
  auto ok = Dala({"collect", "psc_observation", "--answers", SaveAnswers(a.dump())});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ListJson()[0]["answers"]["visit_date"], "2026-11-26");
  a["visit_date"] = "31.02.2026";
  auto bad = Dala({"--lang", "en", "collect", "psc_observation", "--answers", SaveAnswers(a.dump())});
  auto problems = ExpectProblemLines(bad);
  ASSERT_EQ(problems.size(), 1u) << bad.err;
  EXPECT_EQ(problems[0], "  ✗ visit_date: There is no such date: check the day and the month.");
  // The same in the interview.
  auto typed = Dala({"--lang", "en", "collect", "psc_observation"}, "1\n1\n31.02.2026\n:save\n");
  EXPECT_NE(typed.out.find("✗ There is no such date"), std::string::npos) << typed.out;
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
    EXPECT_LE(ExpectProblemLines(r).size(), 1u) << r.err;
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
  EXPECT_NE(r.err.find("неверная парольная фраза"), std::string::npos) << r.err;
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
  auto r = Dala({"init", "--lang", "en"});
  ExpectOneClearLine(r);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  std::string id = CollectObservation();  // the old key still signs
  EXPECT_FALSE(id.empty());
}

// `dala ui` on a new laptop makes the profile before its page makes the
// key; a page closed before that leaves a profile without one, which
// `dala init` takes up instead of refusing, and then refuses like any other.
TEST_F(ClientE2ETest, InitTakesUpAProfileLeftWithoutAKey) {
  const std::filesystem::path home = dir_ / "page-left";
  ASSERT_EQ(Dala({"init", "--lang", "en"}, "", {{"DALA_HOME", home}}).exit_code, 0);
  // The stored key pair, as text to compare: "" when there is none.
  auto stored_key = [&]() -> std::string {
    auto db = sql::Database::Open(home / "dala.db");
    if (!db.ok()) return "cannot open: " + db.status().message();
    auto st = db->Prepare(
        "SELECT coalesce(group_concat(key || '=' || hex(value), ' '), '') FROM "
        "(SELECT key, value FROM profile WHERE key IN ('device_key', 'device_public') ORDER BY key)");
    if (!st.ok()) return "cannot read: " + st.status().message();
    auto row = st->Step();
    return row.ok() && *row ? st->ColumnText(0) : "no row";
  };
  {
    auto db = sql::Database::Open(home / "dala.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("DELETE FROM profile WHERE key IN ('device_key', 'device_public')").ok());
  }
  ASSERT_EQ(stored_key(), "");
  auto taken_up = Dala({"init", "--lang", "en"}, "", {{"DALA_HOME", home}});
  ASSERT_EQ(taken_up.exit_code, 0) << taken_up.err;
  EXPECT_NE(taken_up.out.find("unsynced ones are lost"), std::string::npos) << taken_up.out;
  const std::string key = stored_key();
  EXPECT_EQ(key.rfind("device_key=", 0), 0u) << key;
  EXPECT_NE(key.find(" device_public="), std::string::npos) << key;
  auto again = Dala({"init", "--lang", "en"}, "", {{"DALA_HOME", home}});
  ExpectOneClearLine(again);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(stored_key(), key);  // refused, and the key it took up is the one kept
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
  // Resuming starts at the first unanswered question (the arrival time);
  // `<` goes back to the date, whose answer Enter keeps.
  std::string rest = "<\n\n09:30\n12\n1\n25\n1\n1 2\n1\n1\n1\n6\n4\n5\n4\n0\n\n1\n";
  auto second = Dala({"collect", "--draft", "1"}, rest);
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  size_t first_step = second.out.find("── ");
  ASSERT_NE(first_step, std::string::npos);
  EXPECT_EQ(second.out.compare(first_step, 9, "── 4/"), 0) << second.out.substr(first_step, 200);
  auto list = ListJson();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["answers"]["visit_date"], "2026-11-26");
  EXPECT_EQ(list[0]["answers"]["arrival_time"], "09:30");
  EXPECT_NE(Dala({"--lang", "en", "drafts"}).out.find("No drafts"), std::string::npos);
}

TEST_F(ClientE2ETest, InterviewCutOffMidwayLeavesADraftNotARecord) {
  auto r = Dala({"collect", "psc_observation"}, "1\n1\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ListJson().empty());
  EXPECT_NE(Dala({"drafts"}).out.find("psc_observation"), std::string::npos);
}

TEST_F(ClientE2ETest, EditMakesANewRevisionWhoseParentIsTheCurrentOne) {
  std::string id = CollectObservation();
  auto r = Dala({"edit", id.substr(id.size() - 8), "--set", "queue_length=15", "--set", "notes=Исправлено"});
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
    EXPECT_LE(ExpectProblemLines(r).size(), 1u) << r.err;
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

// A coordinator's script run from cron: no terminal (setsid drops it even
// when the tests run in one) and no password. The message must name the
// variable `dala coord` reads, not the laptop's passphrase variable.
TEST_F(ClientE2ETest, CoordWithoutATerminalOrAPasswordSaysToSetDalaPassword) {
  auto r = RunCommand({"/usr/bin/setsid", "-w", DalaBinary(), "coord", "list", "--server", "http://127.0.0.1:9",
                       "--user", "aigerim"},
                      env_);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("set DALA_PASSWORD"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("DALA_PASSPHRASE"), std::string::npos) << r.err;
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

// --- a real terminal ---------------------------------------------------------------

// `dala` run on a pseudo-terminal, as a volunteer's typing reaches it.
class Terminal {
 public:
  Terminal(const std::vector<std::string>& args, std::map<std::string, std::string> env) {
    env["TERM"] = "xterm";
    env["LANG"] = "C.UTF-8";
    env["PATH"] = "/usr/bin:/bin";
    std::vector<std::string> argv = {DalaBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> envv;
    for (const auto& [k, v] : env) envv.push_back(k + "=" + v);
    winsize size{24, 100, 0, 0};
    pid_ = ::forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      std::vector<char*> a, e;
      for (auto& x : argv) a.push_back(x.data());
      for (auto& x : envv) e.push_back(x.data());
      a.push_back(nullptr);
      e.push_back(nullptr);
      ::execve(a[0], a.data(), e.data());
      ::_exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0 && exit_code_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  bool ok() const { return pid_ > 0 && master_ >= 0; }

  // Reads until `text` appears after what earlier waits consumed; false if
  // the program ends or stays silent (a safety net, not a timing check).
  bool WaitFor(const std::string& text) {
    while (true) {
      size_t at = seen_.find(text, consumed_);
      if (at != std::string::npos) {
        consumed_ = at + text.size();
        return true;
      }
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 30000) <= 0) return false;
      char buf[4096];
      ssize_t n = ::read(master_, buf, sizeof(buf));
      if (n <= 0) return false;
      seen_.append(buf, static_cast<size_t>(n));
    }
  }
  // Waits for the answer prompt and for the line editor to hold the
  // terminal: libedit prints the prompt before it turns the kernel's line
  // editing off, and keys typed in between are echoed and buffered by the
  // kernel instead (seen on a loaded machine). The master side reads the
  // terminal's modes.
  bool WaitForPrompt() {
    if (!WaitFor("> ")) return false;
    for (int polls = 0; polls < 3000; ++polls) {
      termios modes{};
      if (::tcgetattr(master_, &modes) != 0) return false;
      if ((modes.c_lflag & ICANON) == 0) return true;
      ::usleep(10000);
    }
    return false;
  }
  void Type(const std::string& keys) { ASSERT_EQ(::write(master_, keys.data(), keys.size()), ssize_t(keys.size())); }
  int Finish() {
    while (WaitFor("\x01never\x01")) {
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return exit_code_;
  }
  const std::string& seen() const { return seen_; }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string seen_;
  size_t consumed_ = 0;
};

constexpr const char* kLeft = "\x1b[D";
constexpr const char* kHome = "\x1b[H";
constexpr const char* kEnd = "\x1b[F";
constexpr const char* kUp = "\x1b[A";
constexpr const char* kBackspace = "\x7f";

TEST_F(ClientE2ETest, CursorKeysEditTheLineOnATerminalAndNeverReachTheSignedAnswer) {
  auto add = Dala({"forms", "add", SaveAnswers(R"({"dala_form":1,"id":"note","version":"1","title":"Note",
    "languages":["ru"],"default_language":"ru","questions":[
      {"type":"text","name":"place","label":"Место"},{"type":"text","name":"other","label":"Другое"},
      {"type":"integer","name":"count","label":"Сколько"}]})")});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  Terminal t({"collect", "note"}, env_);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t.WaitFor("Место")) << t.seen();
  ASSERT_TRUE(t.WaitForPrompt()) << t.seen();
  // "Школа 12", ← twice, "№": the № goes before the 12.
  t.Type(std::string("Школа 12") + kLeft + kLeft + "№\r");
  ASSERT_TRUE(t.WaitFor("Другое")) << t.seen();
  ASSERT_TRUE(t.WaitForPrompt()) << t.seen();
  // Home, End, and a backspace that deletes a whole Cyrillic letter.
  t.Type(std::string("Школа") + kHome + "№ " + kEnd + kBackspace + "\r");
  ASSERT_TRUE(t.WaitFor("Сколько")) << t.seen();
  ASSERT_TRUE(t.WaitForPrompt()) << t.seen();
  // A refused answer comes back with ↑ to be corrected, not retyped.
  t.Type("12x\r");
  ASSERT_TRUE(t.WaitFor("✗")) << t.seen();
  ASSERT_TRUE(t.WaitForPrompt()) << t.seen();
  t.Type(std::string(kUp) + kBackspace + "\r");
  ASSERT_TRUE(t.WaitFor("[да/нет]")) << t.seen();
  ASSERT_TRUE(t.WaitForPrompt()) << t.seen();
  t.Type("да\r");
  EXPECT_EQ(t.Finish(), 0) << t.seen();
  auto list = ListJson();
  ASSERT_EQ(list.size(), 1u) << t.seen();
  EXPECT_EQ(list[0]["answers"]["place"], "Школа №12");
  EXPECT_EQ(list[0]["answers"]["other"], "№ Школ");
  EXPECT_EQ(list[0]["answers"]["count"], 12);
}

TEST_F(ClientE2ETest, EscapeSequencesTypedWithoutATerminalAreRefusedAndAskedAgain) {
  std::string input = std::string("1\n1\n26.11.2026\n09:30\n12\n1\n25\n1\n1 2\n1\n1\n1\n6\n4\n5\n4\n1\n1\n") +
                      "Пандус\x1b[D\x1b[Dжоқ\nПандус жоқ\n0\nОк\n1\n";
  auto r = Dala({"--lang", "en", "collect", "psc_observation"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("✗ The answer holds a control character"), std::string::npos) << r.out;
  EXPECT_EQ(ListJson()[0]["answers"]["issues"][0]["description"], "Пандус жоқ");
  // And from an answers file.
  json a = json::parse(kObservationAnswers);
  a["notes"] = "Школа 12\x1b[D\x1b[D№";
  auto file = Dala({"--lang", "kk", "collect", "psc_observation", "--answers", SaveAnswers(a.dump())});
  auto problems = ExpectProblemLines(file);
  ASSERT_EQ(problems.size(), 1u) << file.err;
  EXPECT_NE(problems[0].find("notes: Жауапта басқару таңбасы бар"), std::string::npos) << file.err;
  EXPECT_EQ(ListJson().size(), 1u);
}

TEST_F(ClientE2ETest, ClockSetTo2015IsWarnedAboutBeforeTheRecordIsMade) {
  std::string consent_no = SaveAnswers(R"({"consent":"no"})");
  auto r = Dala({"--lang", "en", "collect", "citizen_exit_survey", "--answers", consent_no}, "",
                {{"DALA_TEST_NOW_MS", "1433152800000"}});  // 2015-06-01
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: this laptop's clock says 2015-06-01"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("before this version of dala was made"), std::string::npos) << r.err;
  // Behind the newest record on the laptop (made at the fixed "today").
  ASSERT_EQ(Dala({"collect", "citizen_exit_survey", "--answers", consent_no}).exit_code, 0);
  auto behind = Dala({"--lang", "en", "collect", "citizen_exit_survey", "--answers", consent_no}, "",
                     {{"DALA_TEST_NOW_MS", "1795660000000"}});  // a day before "today"
  EXPECT_NE(behind.err.find("earlier than the newest record on this laptop"), std::string::npos) << behind.err;
  EXPECT_EQ(behind.err.find("before this version"), std::string::npos) << behind.err;
  // A right clock says nothing.
  auto fine = Dala({"collect", "citizen_exit_survey", "--answers", consent_no});
  EXPECT_EQ(fine.err, "");
}

TEST_F(ClientE2ETest, MistypedCommandIsNamedWithTheNearestOne) {
  auto r = Dala({"sycn"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("there is no command 'sycn'; did you mean `sync`?"), std::string::npos) << r.err;
  auto kk = Dala({"--lang", "kk", "colect"});
  EXPECT_NE(kk.err.find("«collect»"), std::string::npos) << kk.err;
  EXPECT_EQ(Dala({"frobnicate"}).err.find("did you mean"), std::string::npos);
}

TEST_F(ClientE2ETest, UnknownLanguageIsRefusedWithTheList) {
  for (auto args : {std::vector<std::string>{"--lang", "de", "list"}, {"init", "--lang", "de"}}) {
    auto r = Dala(args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("kk,ru,en"), std::string::npos) << r.err;
  }
}

TEST_F(ClientE2ETest, KazakhSessionSpeaksKazakhInListsStatesAndErrors) {
  CollectObservation();
  auto list = Dala({"--lang", "kk", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("НӨМІР"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("күтуде"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("pending"), std::string::npos) << list.out;
  auto missing = Dala({"--lang", "kk", "show", "ffffffff"});
  EXPECT_NE(missing.err.find("бұл ноутбукта ffffffff жазбасы жоқ"), std::string::npos) << missing.err;
  auto wrong = Dala({"--lang", "kk", "collect", "psc_observation", "--answers", SaveAnswers(kObservationAnswers)}, "",
                    {{"DALA_PASSPHRASE", "not-the-passphrase"}});
  EXPECT_NE(wrong.err.find("құпия фраза қате"), std::string::npos) << wrong.err;
  auto nowhere = Dala({"--lang", "kk", "list"}, "", {{"DALA_HOME", dir_ / "nowhere"}});
  EXPECT_NE(nowhere.err.find("Dala профилі жоқ"), std::string::npos) << nowhere.err;
}

TEST_F(ClientE2ETest, ConsentScreenCountsTheSurveyAndRepeatsAskYesOrNoInWordsWrappedToTheTerminal) {
  auto r = Dala({"collect", "citizen_exit_survey"}, ":save\n", {{"COLUMNS", "40"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("── 1/1 ──"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("── 1/"), std::string::npos) << r.out;
  size_t start = 0;
  while (start < r.out.size()) {
    size_t end = r.out.find('\n', start);
    if (end == std::string::npos) end = r.out.size();
    std::string line = r.out.substr(start, end - start);
    size_t points = 0;
    for (unsigned char c : line) points += (c & 0xC0) != 0x80;
    EXPECT_LE(points, 40u) << line;
    start = end + 1;
  }
  // The observation's "add another issue?" step.
  auto repeat = Dala({"collect", "psc_observation"}, std::string("1\n1\n26.11.2026\n09:30\n12\n1\n25\n1\n1 2\n1\n1\n1\n6\n4\n5\n4\n1\n1\nx\n:save\n"));
  EXPECT_NE(repeat.out.find("(1)? [да/нет]"), std::string::npos) << repeat.out;
  EXPECT_EQ(repeat.out.find("[1/0]"), std::string::npos) << repeat.out;
}

TEST_F(ClientE2ETest, BackupRestoresTheProfileWithItsRecordsAndNeverOverwritesOne) {
  std::string id = CollectObservation();
  std::string stick = dir_ / "usb-stick";
  auto backup = Dala({"--lang", "en", "backup", stick});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_NE(backup.out.find("sealed by your passphrase"), std::string::npos) << backup.out;
  // Restoring over the profile in use is refused and changes nothing.
  auto over = Dala({"--lang", "en", "restore", stick});
  EXPECT_EQ(over.exit_code, 1);
  EXPECT_NE(over.err.find("restoring never replaces one"), std::string::npos) << over.err;
  // The laptop is lost; a new one gets the profile back from the stick.
  std::map<std::string, std::string> fresh = {{"DALA_HOME", dir_ / "new-laptop"}};
  auto restore = Dala({"restore", stick}, "", fresh);
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  auto shown = Dala({"show", id, "--json"}, "", fresh);
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(json::parse(shown.out)["answers"]["queue_length"], 14);
  EXPECT_EQ(Dala({"verify"}, "", fresh).exit_code, 0);
  // The key is still sealed: the same passphrase opens it, another does not.
  EXPECT_EQ(Dala({"collect", "citizen_exit_survey", "--answers", SaveAnswers(R"({"consent":"no"})")}, "",
                 {{"DALA_HOME", dir_ / "new-laptop"}, {"DALA_PASSPHRASE", "forgotten"}})
                .exit_code,
            1);
  auto nothing = Dala({"restore", dir_ / "empty-dir"}, "", {{"DALA_HOME", dir_ / "third"}});
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "third/dala.db"));
}

TEST_F(ClientE2ETest, InitSaysWhatAForgottenPassphraseMeans) {
  auto r = Dala({"init", "--lang", "en"}, "", {{"DALA_HOME", dir_ / "other"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* words : {"records already synced are safe", "unsynced ones are lost", "new code"})
    EXPECT_NE(r.out.find(words), std::string::npos) << r.out;
}

TEST_F(ClientE2ETest, JsonOutputSurvivesBytesThatAreNotUtf8) {
  std::string id = CollectObservation();
  {
    auto db = sql::Database::Open(dir_ / "profile/dala.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("UPDATE submissions SET answers = CAST(X'7B226E6F746573223A2261FF62227D' AS TEXT), "
                         "review_comment = CAST(X'C0AF' AS TEXT), review_by = CAST(X'FF' AS TEXT)")
                    .ok());
  }
  for (auto args : {std::vector<std::string>{"list", "--json"}, {"show", id, "--json"}, {"verify", "--json"},
                    {"receipts", "--json"}}) {
    auto r = Dala(args);
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << args[0] << ": " << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << args[0] << ": " << r.out;
  }
  auto list = Dala({"list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.find('\xff'), std::string::npos);
}

}  // namespace
}  // namespace dala::e2e
