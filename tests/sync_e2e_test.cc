// End-to-end: a real dala-server on a random loopback port, two volunteers'
// laptops in temporary directories, a coordinator and an auditor, all
// through the real binaries. Enrol, collect offline, sync, edit on both
// sides, resolve, send back, fix, approve, merge duplicates, export.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dala/base/sqlite.h"
#include "e2e_util.h"

namespace dala::e2e {
namespace {

using nlohmann::json;

json Observation(const std::string& centre, const std::string& date, int queue) {
  json a = json::parse(R"({
    "region": "ala", "arrival_time": "09:30", "waiting_source": "test_case", "waiting_minutes": 35,
    "equeue_works": "yes", "signage_languages": ["kk", "ru"], "ramp": "no", "complaints_book": "yes",
    "fees_posted": "yes", "windows_total": 8, "windows_open": 5, "staff_at_windows": 6, "cleanliness": 4,
    "issues": [{"category": "accessibility", "description": "Пандус жоқ, кіреберіс биік"}]
  })");
  a["centre"] = centre;
  a["visit_date"] = date;
  a["queue_length"] = queue;
  return a;
}

// A server with a coordinator, an auditor and two volunteers, and helpers
// to act as each of them.
class SyncE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_ / "server";
    ASSERT_EQ(Server({"init", "--data", data_}).exit_code, 0);
    ASSERT_EQ(Server({"user", "add", "aigerim", "--role", "coordinator", "--data", data_}, {{"DALA_PASSWORD", "coordinator-pw"}}).exit_code, 0);
    ASSERT_EQ(Server({"user", "add", "dana", "--role", "auditor", "--data", data_}, {{"DALA_PASSWORD", "auditor-pw-1"}}).exit_code, 0);
    for (const char* v : {"askar", "dina"}) ASSERT_EQ(Server({"user", "add", v, "--role", "volunteer", "--data", data_}).exit_code, 0);
    for (const char* f : {"psc_observation", "citizen_exit_survey"}) {
      auto r = Server({"form", "publish", std::string(DALA_SOURCE_DIR) + "/schema/forms/" + f + ".json", "--data", data_});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    server_ = std::make_unique<ServerProcess>(data_);
    ASSERT_TRUE(server_->ok()) << ReadFile(server_->log_path());
    Volunteer("askar");
    Volunteer("dina");
  }

  CommandResult Server(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    args.insert(args.begin(), ServerBinary());
    return RunCommand(args, env);
  }

  std::string Code(const std::string& volunteer) {
    auto r = Server({"enroll-code", volunteer, "--data", data_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string code = FindEnrollCode(r.out);
    EXPECT_FALSE(code.empty()) << r.out;
    return code;
  }

  void Volunteer(const std::string& name) {
    env_[name] = {{"DALA_HOME", dir_ / ("laptop-" + name)}, {"DALA_PASSPHRASE", name + "-passphrase"}};
    ASSERT_EQ(As(name, {"init", "--lang", "en"}).exit_code, 0);
    auto r = As(name, {"enroll", server_->url(), Code(name), "--label", name + "-laptop"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto s = As(name, {"sync"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
  }

  CommandResult As(const std::string& who, std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), DalaBinary());
    return RunCommand(args, env_[who], input);
  }

  CommandResult Coord(std::vector<std::string> args, const std::string& user = "aigerim",
                      const std::string& password = "coordinator-pw") {
    args.insert(args.begin(), "coord");
    args.insert(args.begin(), DalaBinary());
    return RunCommand(args, {{"DALA_SERVER", server_->url()}, {"DALA_USER", user}, {"DALA_PASSWORD", password}});
  }

  std::string Collect(const std::string& who, const json& answers, const char* form = "psc_observation") {
    std::string path = dir_ / ("answers-" + std::to_string(files_++) + ".json");
    WriteFile(path, answers.dump());
    auto r = As(who, {"collect", form, "--answers", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return FindUuid(r.out);
  }

  json CoordJson(std::vector<std::string> args) {
    args.push_back("--json");
    auto r = Coord(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  json Shown(const std::string& who, const std::string& id) {
    auto r = As(who, {"show", id, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  // Stops the server, runs `statement` on its database (to make it look
  // as an older server left it), and starts it again on the same port.
  void RestartServerAfter(const std::string& statement) {
    int port = server_->port();
    server_->Stop();
    if (!statement.empty()) {
      auto db = sql::Database::Open(data_ + "/dala-server.db");
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      ASSERT_TRUE(db->Exec(statement).ok()) << statement;
    }
    server_ = std::make_unique<ServerProcess>(data_, port);
    ASSERT_TRUE(server_->ok()) << ReadFile(server_->log_path());
  }

  std::string Today() {
    // The server judges today() at each revision's own time, so records
    // made now with today's date are valid.
    time_t now = time(nullptr);
    char buf[16];
    strftime(buf, sizeof(buf), "%Y-%m-%d", localtime(&now));
    return buf;
  }

  TempDir dir_;
  std::string data_;
  std::unique_ptr<ServerProcess> server_;
  std::map<std::string, std::map<std::string, std::string>> env_;
  int files_ = 0;
};

TEST_F(SyncE2ETest, TwoVolunteersAndACoordinatorRunTheWholeCycle) {
  // Both volunteers observe the same centre on the same day, offline.
  std::string a = Collect("askar", Observation("ala_01", Today(), 14));
  std::string d = Collect("dina", Observation("ala_01", Today(), 16));
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(d.empty());
  for (const char* v : {"askar", "dina"}) {
    auto s = As(v, {"sync"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_NE(s.out.find("Sent 1 record version"), std::string::npos) << s.out;
  }
  json list = CoordJson({"list"});
  ASSERT_EQ(list["submissions"].size(), 2u);
  EXPECT_EQ(CoordJson({"list", "--volunteer", "askar"})["submissions"].size(), 1u);

  // Possible duplicates: same form, centre and day, different volunteers.
  json dups = CoordJson({"duplicates"});
  ASSERT_EQ(dups["groups"].size(), 1u);
  EXPECT_EQ(dups["groups"][0]["submissions"].size(), 2u);

  // The coordinator corrects the queue while askar, offline, changes the
  // queue and the notes: the queue conflicts, the notes do not.
  ASSERT_EQ(Coord({"edit", a, "--set", "queue_length=20", "--note", "recounted"}).exit_code, 0);
  ASSERT_EQ(As("askar", {"edit", a, "--set", "queue_length=25", "--set", "notes=Тексерілді"}).exit_code, 0);
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  json shown = CoordJson({"show", a});
  ASSERT_EQ(shown["conflicts"].size(), 1u) << shown.dump(2);
  EXPECT_EQ(shown["conflicts"][0]["field"], "queue_length");
  EXPECT_EQ(shown["answers"]["notes"], "Тексерілді");
  EXPECT_EQ(CoordJson({"list", "--conflicts"})["submissions"].size(), 1u);

  // The resolution is a signed revision on both heads.
  ASSERT_EQ(Coord({"resolve", a, "--choose", "queue_length=25"}).exit_code, 0);
  shown = CoordJson({"show", a});
  EXPECT_TRUE(shown["conflicts"].empty());
  EXPECT_EQ(shown["heads"].size(), 1u);
  EXPECT_EQ(shown["answers"]["queue_length"], 25);

  // Sent back with a comment; the volunteer sees it, fixes, resubmits.
  ASSERT_EQ(Coord({"review", a, "--state", "has_issues", "--comment", "Укажите число окон точнее"}).exit_code, 0);
  auto s = As("askar", {"sync"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("sent back for correction"), std::string::npos) << s.out;
  auto returned = As("askar", {"list", "--returned"});
  EXPECT_NE(returned.out.find("Укажите число окон точнее"), std::string::npos) << returned.out;
  json mine = Shown("askar", a);
  EXPECT_EQ(mine["answers"], shown["answers"]);  // the laptop converged with the server
  EXPECT_EQ(mine["review"]["state"], "has_issues");
  ASSERT_EQ(As("askar", {"edit", a, "--set", "windows_total=9"}).exit_code, 0);
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  shown = CoordJson({"show", a});
  EXPECT_EQ(shown["review_state"], "received");
  EXPECT_TRUE(shown["changed_since_review"].get<bool>());
  ASSERT_EQ(Coord({"review", a, "--state", "approved"}).exit_code, 0);
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  EXPECT_EQ(Shown("askar", a)["review"]["state"], "approved");

  // History: who changed which field.
  json history = CoordJson({"history", a});
  bool coordinator_change = false;
  for (const json& e : history["entries"]) {
    if (e["who"] == "attested by the server for aigerim" && e["signer"] == json{{"kind", "server"}, {"name", "aigerim"}} &&
        e["kind"] == "revision") {
      for (const json& c : e["changes"]) coordinator_change = coordinator_change || c["field"] == "queue_length";
    }
  }
  EXPECT_TRUE(coordinator_change);

  // Duplicates: dina's record is merged into askar's, and leaves the list.
  ASSERT_EQ(Coord({"merge-duplicate", d, "--into", a}).exit_code, 0);
  EXPECT_TRUE(CoordJson({"duplicates"})["groups"].empty()) << CoordJson({"duplicates"}).dump(2);

  // Exports: CSV per table with labels in the chosen language; JSON.
  std::string out = dir_ / "export";
  auto e = Coord({"export", "--form", "psc_observation", "--lang", "kk", "--out", out});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  std::string main_csv = ReadFile(out + "/psc_observation.csv");
  std::string issues_csv = ReadFile(out + "/psc_observation-issues.csv");
  EXPECT_EQ(std::count(main_csv.begin(), main_csv.end(), '\n'), 2) << main_csv;  // header + askar's record
  EXPECT_NE(main_csv.find(a), std::string::npos);
  EXPECT_EQ(main_csv.find(d), std::string::npos);  // merged away
  EXPECT_NE(issues_csv.find("Пандус жоқ, кіреберіс биік"), std::string::npos) << issues_csv;
  EXPECT_NE(issues_csv.find(a), std::string::npos);
  ASSERT_EQ(Coord({"export", "--form", "psc_observation", "--format", "json", "--out", out}).exit_code, 0);
  json exported = json::parse(ReadFile(out + "/psc_observation.json"));
  EXPECT_EQ(exported.size(), 2u);

  // Both laptops still verify, and hold receipts from the log.
  for (const char* v : {"askar", "dina"}) {
    EXPECT_EQ(As(v, {"verify"}).exit_code, 0) << v;
    EXPECT_NE(As(v, {"receipts"}).out.find("1.."), std::string::npos) << v;
  }
}

json DuplicateIds(const json& duplicates) {
  json ids = json::array();
  for (const json& g : duplicates["groups"])
    for (const json& s : g["submissions"]) ids.push_back(s["id"]);
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST_F(SyncE2ETest, KeepingTwoRecordsApartStillFlagsAThirdVolunteersRecordAgainstBoth) {
  std::string a = Collect("askar", Observation("ala_01", Today(), 14));
  std::string d = Collect("dina", Observation("ala_01", Today(), 16));
  for (const char* v : {"askar", "dina"}) ASSERT_EQ(As(v, {"sync"}).exit_code, 0);
  std::vector<std::string> flagged = {a, d};
  std::sort(flagged.begin(), flagged.end());
  ASSERT_EQ(DuplicateIds(CoordJson({"duplicates"})), json(flagged));
  auto kept = Coord({"keep-both", a, d});
  ASSERT_EQ(kept.exit_code, 0) << kept.err << kept.out;
  EXPECT_TRUE(CoordJson({"duplicates"})["groups"].empty());

  // A third volunteer observed the same centre that day: the coordinator
  // kept askar's and dina's apart from each other, not from erlan's.
  ASSERT_EQ(Server({"user", "add", "erlan", "--role", "volunteer", "--data", data_}).exit_code, 0);
  Volunteer("erlan");
  std::string e = Collect("erlan", Observation("ala_01", Today(), 15));
  ASSERT_EQ(As("erlan", {"sync"}).exit_code, 0);
  json dups = CoordJson({"duplicates"});
  ASSERT_EQ(dups["groups"].size(), 1u) << dups.dump(2);
  std::vector<std::string> all = {a, d, e};
  std::sort(all.begin(), all.end());
  EXPECT_EQ(DuplicateIds(dups), json(all));
  EXPECT_EQ(CoordJson({"show", a})["distinct_from"], json::array({d}));
  EXPECT_NE(Coord({"duplicates"}).out.find("kept apart from " + d.substr(d.size() - 8)), std::string::npos);

  ASSERT_EQ(Coord({"keep-both", e, a}).exit_code, 0);
  EXPECT_EQ(CoordJson({"duplicates"})["groups"].size(), 1u);  // e and d are still undecided
  ASSERT_EQ(Coord({"keep-both", d, e}).exit_code, 0);
  EXPECT_TRUE(CoordJson({"duplicates"})["groups"].empty());

  // The coordinator changes their mind about askar's record: a duplicate
  // of dina's after all, then of erlan's instead, then not of erlan's
  // either. The latest word on askar's and dina's pair is the merge, so
  // the two are possible duplicates again.
  ASSERT_EQ(Coord({"merge-duplicate", a, "--into", d}).exit_code, 0);
  ASSERT_EQ(Coord({"merge-duplicate", a, "--into", e}).exit_code, 0);
  ASSERT_EQ(Coord({"keep-both", a, e}).exit_code, 0);
  EXPECT_EQ(CoordJson({"show", a})["merged_into"], "");
  EXPECT_EQ(DuplicateIds(CoordJson({"duplicates"})), json(flagged));

  // A database a server before version 3 left, with one all-or-nothing
  // marker instead of the pairs: the next start puts the pairs back.
  ASSERT_NO_FATAL_FAILURE(RestartServerAfter("UPDATE submissions SET duplicate_group = '-', distinct_from = ''"));
  EXPECT_EQ(DuplicateIds(CoordJson({"duplicates"})), json(flagged));
  std::vector<std::string> apart_from_e = {a, d};
  std::sort(apart_from_e.begin(), apart_from_e.end());
  EXPECT_EQ(CoordJson({"show", e})["distinct_from"], json(apart_from_e));
}

TEST_F(SyncE2ETest, NonsenseDuplicateDecisionsAreRefusedAndChangeNothing) {
  std::string a = Collect("askar", Observation("ala_02", Today(), 14));
  std::string d = Collect("dina", Observation("ala_02", Today(), 16));
  std::string survey = Collect("dina", json::parse(R"({"consent": "no"})"), "citizen_exit_survey");
  for (const char* v : {"askar", "dina"}) ASSERT_EQ(As(v, {"sync"}).exit_code, 0);
  json before = CoordJson({"duplicates"});
  ASSERT_EQ(before["groups"].size(), 1u);
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const std::vector<Case> cases = {
      {{"keep-both", a, a}, "cannot be a duplicate of itself"},
      {{"merge-duplicate", a, "--into", survey}, "different forms"},
      {{"merge-duplicate", a, "--into", "0190a0b0-0000-7000-8000-000000000000"}, "no submission"},
  };
  for (const Case& c : cases) {
    auto r = Coord(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args[0];
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  // A record merged away cannot take others in.
  ASSERT_EQ(Coord({"merge-duplicate", d, "--into", a}).exit_code, 0);
  auto r = Coord({"merge-duplicate", a, "--into", d});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("merged away"), std::string::npos) << r.err;
  EXPECT_EQ(CoordJson({"show", a})["merged_into"], "");
  EXPECT_EQ(CoordJson({"show", d})["merged_into"], a);
}

TEST_F(SyncE2ETest, RecordMovedToAnotherCentreLeavesItsOldDuplicateGroup) {
  std::string a = Collect("askar", Observation("ala_02", Today(), 14));
  std::string d = Collect("dina", Observation("ala_02", Today(), 16));
  for (const char* v : {"askar", "dina"}) ASSERT_EQ(As(v, {"sync"}).exit_code, 0);
  ASSERT_EQ(CoordJson({"duplicates"})["groups"].size(), 1u);
  // askar chose the wrong centre and corrects it: dina's record is no
  // longer anyone's possible duplicate.
  auto edit = As("askar", {"edit", a, "--set", "centre=ala_01"});
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  json dups = CoordJson({"duplicates"});
  EXPECT_TRUE(dups["groups"].empty()) << dups.dump(2);
  EXPECT_EQ(CoordJson({"show", d})["duplicate"], "");
}

TEST_F(SyncE2ETest, RecordSentBackCanBeFixedOnTheVolunteersOtherLaptop) {
  // askar's first laptop makes a record; the coordinator sends it back.
  std::string a = Collect("askar", Observation("ala_01", Today(), 14));
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  ASSERT_EQ(Coord({"review", a, "--state", "has_issues", "--comment", "Проверьте очередь"}).exit_code, 0);

  // The first laptop breaks down; a second one is enrolled for askar and
  // gets the record, with the coordinator's comment.
  env_["askar2"] = {{"DALA_HOME", dir_ / "laptop-askar-2"}, {"DALA_PASSPHRASE", "askar2-passphrase"}};
  ASSERT_EQ(As("askar2", {"init", "--lang", "en"}).exit_code, 0);
  ASSERT_EQ(As("askar2", {"enroll", server_->url(), Code("askar"), "--label", "askar-second"}).exit_code, 0);
  auto r = As("askar2", {"sync"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto returned = As("askar2", {"list", "--returned"});
  EXPECT_NE(returned.out.find("Проверьте очередь"), std::string::npos) << returned.out;
  EXPECT_EQ(Shown("askar2", a)["answers"]["queue_length"], 14);

  // Fixed there, it goes to the server and on to the first laptop.
  ASSERT_EQ(As("askar2", {"edit", a, "--set", "queue_length=18"}).exit_code, 0);
  r = As("askar2", {"sync"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(CoordJson({"show", a})["answers"]["queue_length"], 18);
  EXPECT_EQ(CoordJson({"show", a})["review_state"], "received");
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  EXPECT_EQ(Shown("askar", a)["answers"]["queue_length"], 18);

  // The first laptop, repaired, records again: the second gets it, and
  // neither is sent back what it signed itself.
  std::string b = Collect("askar", Observation("ala_02", Today(), 3));
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  r = As("askar2", {"sync"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("received 1 update"), std::string::npos) << r.out;
  EXPECT_EQ(Shown("askar2", b)["answers"]["centre"], "ala_02");
  for (const char* laptop : {"askar", "askar2"}) {
    r = As(laptop, {"sync"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Sent 0 record versions, received 0 updates"), std::string::npos) << laptop << ": " << r.out;
    EXPECT_NE(r.out.find("in 1 exchange"), std::string::npos) << laptop << ": " << r.out;
    EXPECT_EQ(As(laptop, {"verify"}).exit_code, 0) << laptop;
  }
  // dina, another volunteer, gets none of it.
  EXPECT_EQ(json::parse(As("dina", {"list", "--json"}).out).size(), 0u);
}

TEST_F(SyncE2ETest, LaptopsEnrolledBeforeTheUpgradeGetEachOthersRecordsAfterIt) {
  env_["askar2"] = {{"DALA_HOME", dir_ / "laptop-askar-2"}, {"DALA_PASSPHRASE", "askar2-passphrase"}};
  ASSERT_EQ(As("askar2", {"init", "--lang", "en"}).exit_code, 0);
  ASSERT_EQ(As("askar2", {"enroll", server_->url(), Code("askar"), "--label", "askar-second"}).exit_code, 0);
  std::string a = Collect("askar", Observation("ala_01", Today(), 14));
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  // A server before database version 4 queued only coordinators' actions.
  ASSERT_NO_FATAL_FAILURE(RestartServerAfter("DELETE FROM outbox"));
  auto r = As("askar2", {"sync"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Shown("askar2", a)["answers"]["queue_length"], 14);
  // Starting again queues nothing twice.
  ASSERT_NO_FATAL_FAILURE(RestartServerAfter(""));
  r = As("askar2", {"sync"});
  EXPECT_NE(r.out.find("received 0 updates"), std::string::npos) << r.out;
}

TEST_F(SyncE2ETest, FormLoadedByHandThatClashesWithTheServersIsReportedAndTheSyncGoesOn) {
  // A laptop given an early draft of the observation form by hand, under
  // the version the server later publishes with other content.
  env_["baur"] = {{"DALA_HOME", dir_ / "laptop-baur"}, {"DALA_PASSPHRASE", "baur-passphrase"}};
  ASSERT_EQ(Server({"user", "add", "baur", "--role", "volunteer", "--data", data_}).exit_code, 0);
  ASSERT_EQ(As("baur", {"init", "--lang", "en"}).exit_code, 0);
  json draft = json::parse(ReadFile(std::string(DALA_SOURCE_DIR) + "/schema/forms/psc_observation.json"));
  draft["title"]["en"] = "Draft checklist";
  std::string path = dir_ / "draft.json";
  WriteFile(path, draft.dump());
  ASSERT_EQ(As("baur", {"forms", "add", path}).exit_code, 0);
  ASSERT_EQ(As("baur", {"enroll", server_->url(), Code("baur")}).exit_code, 0);

  auto r = As("baur", {"sync"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("not taken in: a form from the server"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("different content"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("not every update from the server was taken in"), std::string::npos) << r.err;
  // The other form arrived, and the laptop still works with it.
  EXPECT_NE(r.out.find("received 0 updates and 1 form"), std::string::npos) << r.out;
  Collect("baur", json::parse(R"({"consent": "no"})"), "citizen_exit_survey");
  EXPECT_EQ(As("baur", {"sync"}).exit_code, 0);
}

TEST_F(SyncE2ETest, NoOpSyncIsOneSmallExchange) {
  auto r = As("askar", {"sync"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("in 1 exchange"), std::string::npos) << r.out;
  long long up = NumberBefore(r.out, "bytes up"), down = NumberBefore(r.out, "down)");
  ASSERT_GT(up, 0) << r.out;
  ASSERT_GT(down, 0) << r.out;
  EXPECT_LE(up + down, 1024) << r.out;
}

// Issue 18: a server restored from a copy older than the log its laptops
// verified must not quietly answer them. It refuses, says so in its log, and
// `dala sync` tells the volunteer in their language; nothing is lost.
TEST_F(SyncE2ETest, ServerRestoredFromAnOldCopyIsReportedAsAPossibleRollback) {
  const int port = server_->port();
  const std::filesystem::path copy = dir_ / "server-copy";
  std::filesystem::create_directories(copy);
  server_->Stop();
  // Files only: the admin socket is not a copy's business.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data_)) {
    const auto to = copy / std::filesystem::relative(entry.path(), data_);
    if (entry.is_directory()) std::filesystem::create_directories(to);
    if (entry.is_regular_file()) std::filesystem::copy_file(entry.path(), to);
  }
  server_ = std::make_unique<ServerProcess>(data_, port);
  ASSERT_TRUE(server_->ok()) << ReadFile(server_->log_path());
  std::string a = Collect("askar", Observation("ala_01", Today(), 14));
  auto synced = As("askar", {"sync"});
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  server_->Stop();
  std::filesystem::remove_all(data_);
  std::filesystem::rename(copy, data_);
  server_ = std::make_unique<ServerProcess>(data_, port);
  ASSERT_TRUE(server_->ok()) << ReadFile(server_->log_path());
  auto r = As("askar", {"--lang", "ru", "sync"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("откатили"), std::string::npos) << r.err;
  EXPECT_NE(ReadFile(server_->log_path()).find("WARNING"), std::string::npos);
  // The laptop keeps its record, accepted under the receipt it holds.
  EXPECT_NE(As("askar", {"list"}).out.find(a.substr(a.size() - 8)), std::string::npos);
}

TEST_F(SyncE2ETest, EnrolmentCodeWorksOnlyOnce) {
  std::string code = Code("askar");
  env_["second"] = {{"DALA_HOME", dir_ / "laptop-second"}, {"DALA_PASSPHRASE", "second-passphrase"}};
  ASSERT_EQ(As("second", {"init", "--lang", "en"}).exit_code, 0);
  ASSERT_EQ(As("second", {"enroll", server_->url(), code}).exit_code, 0);
  env_["third"] = {{"DALA_HOME", dir_ / "laptop-third"}, {"DALA_PASSPHRASE", "third-passphrase"}};
  ASSERT_EQ(As("third", {"init", "--lang", "en"}).exit_code, 0);
  auto r = As("third", {"enroll", server_->url(), code});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the code " + code + " is unknown, used or expired: ask your coordinator for a new one"),
            std::string::npos)
      << r.err;
  auto garbage = As("third", {"enroll", server_->url(), "AAAA-BBBB-CCCC"});
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_NE(garbage.err.find("the code AAAA-BBBB-CCCC is unknown"), std::string::npos) << garbage.err;
}

TEST_F(SyncE2ETest, RevokedDeviceIsRefusedButItsRecordsStayValidAndVisible) {
  std::string a = Collect("askar", Observation("ala_02", Today(), 3));
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  json devices;
  {
    // The coordinator finds askar's device key.
    auto r = RunCommand({DalaBinary(), "show", a, "--json"}, env_["askar"]);
    devices = json::parse(r.out)["revisions"][0]["author"];
  }
  auto revoke = Server({"device", "revoke", devices.get<std::string>(), "--data", data_, "--reason", "laptop stolen"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  Collect("askar", Observation("ala_02", Today(), 4));
  auto r = As("askar", {"sync"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("revoked_device"), std::string::npos) << r.err;
  json list = CoordJson({"list", "--volunteer", "askar"});
  EXPECT_EQ(list["submissions"].size(), 1u);  // the earlier record is still there
}

TEST_F(SyncE2ETest, AuditorReadsButCannotChangeAnything) {
  std::string a = Collect("askar", Observation("ala_01", Today(), 5));
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  auto list = Coord({"list"}, "dana", "auditor-pw-1");
  EXPECT_EQ(list.exit_code, 0) << list.err;
  auto review = Coord({"review", a, "--state", "approved"}, "dana", "auditor-pw-1");
  EXPECT_EQ(review.exit_code, 1);
  EXPECT_NE(review.err.find("read_only_role"), std::string::npos) << review.err;
  auto bad = Coord({"list"}, "dana", "wrong-password");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("bad_credentials"), std::string::npos) << bad.err;
}

TEST_F(SyncE2ETest, LaptopClockFarAheadIsRefusedAndTheRecordWaits) {
  // A laptop whose clock says tomorrow; the volunteer types the real date.
  auto ahead = std::to_string(static_cast<long long>(time(nullptr)) * 1000 + 86400000LL);
  env_["askar"]["DALA_TEST_NOW_MS"] = ahead;
  Collect("askar", Observation("ala_01", Today(), 5));
  auto r = As("askar", {"sync"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the record did not go
  EXPECT_NE(r.out.find("clock_ahead"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Set the correct date and time"), std::string::npos) << r.out;
  EXPECT_EQ(CoordJson({"list"})["submissions"].size(), 0u);
  json local = json::parse(As("askar", {"list", "--json"}).out);
  ASSERT_EQ(local.size(), 1u);
  EXPECT_EQ(local[0]["sync"], "pending");  // kept, to go once the clock is right

  // The volunteer fixes the clock: the record is stamped again and goes,
  // claiming no time later than the corrected clock's.
  env_["askar"].erase("DALA_TEST_NOW_MS");
  auto fixed = As("askar", {"sync"});
  ASSERT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  EXPECT_NE(fixed.out.find("stamped again"), std::string::npos) << fixed.out;
  json listed = CoordJson({"list"})["submissions"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(As("askar", {"verify"}).exit_code, 0);
  EXPECT_EQ(json::parse(As("askar", {"list", "--json"}).out)[0]["answers"]["visit_date"], Today());
}

TEST_F(SyncE2ETest, RecordTheServerRefusesGoesBackAsADraftAndDoesNotHoldBackTheRest) {
  // A form loaded by hand, which the server does not know (yet).
  std::string extra = dir_ / "extra.json";
  WriteFile(extra, R"J({"dala_form":1,"id":"extra","version":"1","title":"Extra","languages":["ru"],
    "default_language":"ru","questions":[{"type":"integer","name":"visitors","label":"Посетители"}]})J");
  ASSERT_EQ(As("askar", {"forms", "add", extra}).exit_code, 0);
  std::string answers = dir_ / "extra-answers.json";
  WriteFile(answers, R"({"visitors": 12})");
  // The profile speaks English, the form only Russian: asked in Russian.
  // Only an explicit --lang the form lacks is refused.
  auto demanded = As("askar", {"--lang", "en", "collect", "extra", "--answers", answers});
  EXPECT_EQ(demanded.exit_code, 1);
  EXPECT_NE(demanded.err.find("has no language 'en'"), std::string::npos) << demanded.err;
  auto made = As("askar", {"collect", "extra", "--answers", answers});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_NE(made.err.find("will refuse its records"), std::string::npos) << made.err;
  std::string refused = FindUuid(made.out);
  std::string observation = Collect("askar", Observation("ala_01", Today(), 7));

  // The refused record comes back as a draft; the one after it still goes.
  auto r = As("askar", {"sync"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("unknown_form"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dala collect --draft 1"), std::string::npos) << r.out;
  json on_server = CoordJson({"list"})["submissions"];
  ASSERT_EQ(on_server.size(), 1u);
  EXPECT_EQ(on_server[0]["id"], observation);
  json local = json::parse(As("askar", {"list", "--json"}).out);
  ASSERT_EQ(local.size(), 1u);
  EXPECT_EQ(local[0]["sync"], "synced");
  auto drafts = As("askar", {"drafts"});
  EXPECT_NE(drafts.out.find("refused by the server: unknown_form"), std::string::npos) << drafts.out;
  EXPECT_EQ(As("askar", {"verify"}).exit_code, 0);

  // Once a coordinator publishes the form, the draft is finalised and goes.
  ASSERT_EQ(Server({"form", "publish", extra, "--data", data_}).exit_code, 0);
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  auto finished = As("askar", {"collect", "--draft", "1"}, "\nда\n");  // keep the answer, sign
  ASSERT_EQ(finished.exit_code, 0) << finished.out << finished.err;
  EXPECT_EQ(finished.err.find("will refuse"), std::string::npos) << finished.err;
  auto again = As("askar", {"sync"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err << finished.out;
  on_server = CoordJson({"list"})["submissions"];
  ASSERT_EQ(on_server.size(), 2u);
  EXPECT_NE(refused, "");
  EXPECT_TRUE(As("askar", {"drafts"}).out.find("No drafts") != std::string::npos);
  EXPECT_EQ(As("askar", {"verify"}).exit_code, 0);
}

}  // namespace
}  // namespace dala::e2e

namespace dala::e2e {
namespace {

TEST_F(SyncE2ETest, EditingAnApprovedRecordAsksFirstAndScriptsMustSayYes) {
  std::string a = Collect("askar", Observation("ala_01", Today(), 14));
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  ASSERT_EQ(Coord({"review", a, "--state", "approved"}).exit_code, 0);
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  ASSERT_EQ(Shown("askar", a)["review"]["state"], "approved");
  // Without a terminal and without --yes: refused, nothing signed.
  auto refused = As("askar", {"edit", a, "--set", "queue_length=15"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("approved by a coordinator"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--yes"), std::string::npos) << refused.err;
  // The laptop's history of the record also holds the review event; only
  // its own revisions count here.
  auto own_revisions = [&] {
    size_t n = 0;
    const auto shown = Shown("askar", a);
    for (const auto& entry : shown["revisions"]) n += entry["kind"] == "revision";
    return n;
  };
  EXPECT_EQ(own_revisions(), 1u);
  auto ru = As("askar", {"--lang", "ru", "edit", a, "--set", "queue_length=15"});
  EXPECT_NE(ru.err.find("одобрена"), std::string::npos) << ru.err;
  // Said plainly, the change is made and the decision no longer stands.
  auto edited = As("askar", {"edit", a, "--set", "queue_length=15", "--yes"});
  ASSERT_EQ(edited.exit_code, 0) << edited.err;
  EXPECT_EQ(Shown("askar", a)["answers"]["queue_length"], 15);
  EXPECT_TRUE(Shown("askar", a)["review"]["changed_since_review"].get<bool>());
  // Changed since the decision: asking again would repeat a settled question.
  EXPECT_EQ(As("askar", {"edit", a, "--set", "queue_length=16"}).exit_code, 0);
}

TEST_F(SyncE2ETest, SyncKeepsTheServersTimeAndALaptopClockBehindItIsWarnedAtCollection) {
  // The laptop's clock a day behind the server's time seen at the last sync.
  auto early = std::to_string((time(nullptr) - 86400) * 1000LL);
  std::string path = dir_ / "exit.json";
  WriteFile(path, R"({"consent":"no"})");
  auto r = RunCommand({DalaBinary(), "collect", "citizen_exit_survey", "--answers", path},
                      [&] {
                        auto env = env_["askar"];
                        env["DALA_TEST_NOW_MS"] = early;
                        env["DALA_TEST_BUILD_MS"] = "0";
                        return env;
                      }());
  ASSERT_EQ(r.exit_code, 0) << r.err;  // a warning, not a refusal
  EXPECT_NE(r.err.find("but the server's time at the last sync was"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("set the correct date and time"), std::string::npos) << r.err;
  // With the clock right, nothing to say.
  WriteFile(path, R"({"consent":"no"})");
  auto fine = As("askar", {"collect", "citizen_exit_survey", "--answers", path});
  ASSERT_EQ(fine.exit_code, 0) << fine.err;
  EXPECT_EQ(fine.err.find("warning"), std::string::npos) << fine.err;
}

// HTTPS as the README tells it: `dala-server tls init` makes a private CA
// and a certificate for the server's address; the laptop trusts it through
// --ca at enrolment (remembered for later syncs). Every way of getting it
// wrong is refused with a message that says which.
class TlsE2ETest : public ::testing::Test {
 protected:
  CommandResult ServerCmd(std::vector<std::string> args) {
    args.insert(args.begin(), ServerBinary());
    return RunCommand(args);
  }
  CommandResult Enroll(const std::string& url, const std::vector<std::string>& extra = {}) {
    std::string code = FindEnrollCode(ServerCmd({"enroll-code", "askar", "--data", data_}).out);
    // In English: the checks below read its sentences (the laptop has no
    // language of its own, and would speak Russian).
    std::vector<std::string> args = {DalaBinary(), "--lang", "en", "enroll", url, code};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCommand(args, env_);
  }
  void SetUp() override {
    ASSERT_EQ(ServerCmd({"init", "--data", data_}).exit_code, 0);
    ASSERT_EQ(ServerCmd({"user", "add", "askar", "--role", "volunteer", "--data", data_}).exit_code, 0);
    ASSERT_EQ(ServerCmd({"form", "publish", std::string(DALA_SOURCE_DIR) + "/schema/forms/psc_observation.json",
                         "--data", data_}).exit_code, 0);
    ASSERT_EQ(RunCommand({DalaBinary(), "init"}, env_).exit_code, 0);
  }

  TempDir dir_;
  std::string data_ = dir_ / "server";
  std::map<std::string, std::string> env_ = {{"DALA_HOME", dir_ / "laptop"}, {"DALA_PASSPHRASE", "askar-passphrase"}};
};

TEST_F(TlsE2ETest, TlsInitThenHttpsEnrolmentAndSyncWithTheCaItNames) {
  auto made = ServerCmd({"tls", "init", "--host", "127.0.0.1", "--host", "dala.example.kz", "--data", data_});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string tls = data_ + "/tls";
  EXPECT_NE(made.out.find(tls + "/ca.pem"), std::string::npos) << made.out;
  EXPECT_NE(made.out.find("Give a copy to every volunteer"), std::string::npos) << made.out;
  ServerProcess server(data_, {"--tls-cert", tls + "/cert.pem", "--tls-key", tls + "/key.pem"});
  ASSERT_TRUE(server.ok()) << ReadFile(server.log_path());
  const std::string port = std::to_string(server.port());
  const std::string url = "https://127.0.0.1:" + port;

  auto untrusted = Enroll(url);
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_NE(untrusted.err.find("not signed by an authority this computer trusts"), std::string::npos)
      << untrusted.err;
  EXPECT_EQ(untrusted.err.find("when the link is back"), std::string::npos) << untrusted.err;
  // Another server's CA is not this one's.
  ASSERT_EQ(ServerCmd({"tls", "init", "--host", "127.0.0.1", "--out", dir_ / "other"}).exit_code, 0);
  auto wrong_ca = Enroll(url, {"--ca", dir_ / "other/ca.pem"});
  EXPECT_EQ(wrong_ca.exit_code, 1);
  EXPECT_NE(wrong_ca.err.find("the certificate is not signed by the CA you gave"), std::string::npos) << wrong_ca.err;
  auto plain = Enroll("http://127.0.0.1:" + port, {"--ca", tls + "/ca.pem"});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_NE(plain.err.find("this is an https server; use " + url), std::string::npos) << plain.err;

  auto enrolled = Enroll(url, {"--ca", tls + "/ca.pem"});
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  auto synced = RunCommand({DalaBinary(), "--lang", "en", "sync"}, env_);
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_NE(synced.out.find("1 form"), std::string::npos) << synced.out;
}

TEST_F(TlsE2ETest, ACertificateForAnotherNameIsRefusedNamingTheAddress) {
  auto made = ServerCmd({"tls", "init", "--host", "dala.example.kz", "--out", dir_ / "tls"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  ServerProcess server(data_, {"--tls-cert", dir_ / "tls/cert.pem", "--tls-key", dir_ / "tls/key.pem"});
  ASSERT_TRUE(server.ok()) << ReadFile(server.log_path());
  auto r = Enroll("https://127.0.0.1:" + std::to_string(server.port()), {"--ca", dir_ / "tls/ca.pem"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the server's certificate is not for 127.0.0.1"), std::string::npos) << r.err;
}

TEST_F(TlsE2ETest, ACertificateMadeForClientsOnlyIsRefusedSayingWhichCheckFailed) {
  // A certificate the CA signed for 127.0.0.1, but for client
  // authentication only: none of the refusals that have words of their
  // own, so the volunteer's message keeps the library's code for whoever
  // helps them.
  const std::string d = dir_ / "client-only";
  std::filesystem::create_directories(d);
  std::ofstream(d + "/ext.cnf") << "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=clientAuth\n";
  auto openssl = [](std::vector<std::string> args) {  // found on PATH (scripts/bootstrap installs it)
    args.insert(args.begin(), {"/bin/sh", "-c", "exec openssl \"$@\"", "openssl"});
    return RunCommand(args);
  };
  auto ec = [](const std::string& key) {
    return std::vector<std::string>{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key};
  };
  std::vector<std::string> ca = {"req", "-x509", "-subj", "/CN=Dala test CA", "-days", "2", "-out", d + "/ca.pem",
                                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                                 "keyUsage=critical,keyCertSign"};
  for (const std::string& a : ec(d + "/ca.key")) ca.push_back(a);
  auto made_ca = openssl(ca);
  ASSERT_EQ(made_ca.exit_code, 0) << made_ca.err;
  std::vector<std::string> request = {"req", "-subj", "/CN=127.0.0.1", "-out", d + "/cert.csr"};
  for (const std::string& a : ec(d + "/key.pem")) request.push_back(a);
  auto made_request = openssl(request);
  ASSERT_EQ(made_request.exit_code, 0) << made_request.err;
  auto signed_cert = openssl({"x509", "-req", "-in", d + "/cert.csr", "-CA", d + "/ca.pem", "-CAkey", d + "/ca.key",
                              "-CAcreateserial", "-days", "2", "-extfile", d + "/ext.cnf", "-out", d + "/cert.pem"});
  ASSERT_EQ(signed_cert.exit_code, 0) << signed_cert.err;
  ServerProcess server(data_, {"--tls-cert", d + "/cert.pem", "--tls-key", d + "/key.pem"});
  ASSERT_TRUE(server.ok()) << ReadFile(server.log_path());
  auto r = Enroll("https://127.0.0.1:" + std::to_string(server.port()), {"--ca", d + "/ca.pem"});
  EXPECT_EQ(r.exit_code, 1);
  // X509_V_ERR_INVALID_PURPOSE: "unsupported certificate purpose".
  EXPECT_NE(r.err.find("the server's certificate was refused (OpenSSL verify error 26)"), std::string::npos) << r.err;
  // Trying again later would meet the same certificate.
  EXPECT_EQ(r.err.find("when the link is back"), std::string::npos) << r.err;
}

TEST_F(TlsE2ETest, TlsInitRefusesWhatIsNotAHostAndWritesNothing) {
  for (const char* bad : {"", "-x.example", "a..b", "*.example.kz", "dala example", "1.2.3.4.5.6", "300.1.1.1"}) {
    auto r = ServerCmd({"tls", "init", "--host", bad, "--out", dir_ / "bad"});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "bad")) << bad;
  }
}

TEST_F(SyncE2ETest, CoordinatorSeesThatAVolunteerChangedARecordAfterTheDecision) {
  std::string a = Collect("askar", Observation("ala_01", Today(), 14));
  std::string d = Collect("dina", Observation("ala_02", Today(), 3));
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  ASSERT_EQ(As("dina", {"sync"}).exit_code, 0);
  ASSERT_EQ(Coord({"review", a, "--state", "approved"}).exit_code, 0);
  ASSERT_EQ(Coord({"review", d, "--state", "approved"}).exit_code, 0);
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  EXPECT_EQ(Coord({"list"}).out.find("changed-after-decision"), std::string::npos);
  ASSERT_EQ(As("askar", {"edit", a, "--set", "windows_total=9", "--yes"}).exit_code, 0);
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  auto list = Coord({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  size_t row = list.out.find(a.substr(a.size() - 8));
  ASSERT_NE(row, std::string::npos) << list.out;
  EXPECT_NE(list.out.substr(row, list.out.find('\n', row) - row).find("changed-after-decision"), std::string::npos)
      << list.out;
  json changed = CoordJson({"list", "--changed"});
  ASSERT_EQ(changed["submissions"].size(), 1u);
  EXPECT_EQ(changed["submissions"][0]["id"], a);
  auto shown = Coord({"show", a});
  EXPECT_NE(shown.out.find("changed by the volunteer after this decision"), std::string::npos) << shown.out;
  EXPECT_EQ(Coord({"show", d}).out.find("changed by the volunteer"), std::string::npos);
}

TEST_F(SyncE2ETest, CoordinatorListFiltersAreUnderstoodOrRefusedNeverIgnored) {
  std::string a = Collect("askar", Observation("ala_01", Today(), 14));
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  const std::string today = Today();
  const std::string typed = today.substr(8, 2) + "." + today.substr(5, 2) + "." + today.substr(0, 4);
  EXPECT_EQ(CoordJson({"list", "--from", typed})["submissions"].size(), 1u);
  EXPECT_EQ(CoordJson({"list", "--to", "01.01.2000"})["submissions"].size(), 0u);
  for (const char* bad : {"31.02.2026", "20.13.2026", "tomorrow", "!"}) {
    auto r = Coord({"list", "--from", bad});
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.err.find("is not a date"), std::string::npos) << r.err;
  }
  auto form = Coord({"list", "--form", "psc_observaton"});
  EXPECT_NE(form.exit_code, 0);
  EXPECT_NE(form.err.find("no such form 'psc_observaton'"), std::string::npos) << form.err;
  auto user = Coord({"list", "--volunteer", "Bota"});
  EXPECT_NE(user.exit_code, 0);
  EXPECT_NE(user.err.find("no such user 'Bota'"), std::string::npos) << user.err;
  EXPECT_EQ(Coord({"list", "--volunteer", "askar", "--to", "01.01.2000"}).exit_code, 0);  // exists, nothing then
  for (const char* centre : {"ala_01", "ЦОН Алмалинского района г. Алматы", "PSC, Almaly district, Almaty", "Алмалы"})
    EXPECT_EQ(CoordJson({"list", "--centre", centre})["submissions"].size(), 1u) << centre;
  auto nowhere = Coord({"list", "--centre", "Nowhere at all"});
  EXPECT_NE(nowhere.exit_code, 0);
  EXPECT_NE(nowhere.err.find("no such centre"), std::string::npos) << nowhere.err;
}

TEST_F(SyncE2ETest, CoordinatorShowPrintsLabelsInFormOrderAndReviewTakesSeveralIds) {
  std::string a = Collect("askar", Observation("ala_01", Today(), 14));
  std::string d = Collect("dina", Observation("ala_02", Today(), 3));
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  ASSERT_EQ(As("dina", {"sync"}).exit_code, 0);
  auto shown = Coord({"show", a, "--lang", "en"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out.find("windows_total"), std::string::npos) << shown.out;  // labels, not codes
  size_t centre = shown.out.find("PSC, Almaly district, Almaty");
  size_t issue = shown.out.find("Пандус жоқ");
  ASSERT_NE(centre, std::string::npos) << shown.out;
  ASSERT_NE(issue, std::string::npos) << shown.out;
  EXPECT_LT(centre, issue) << "the centre comes first in the form, the issues last";
  auto codes = Coord({"show", a, "--lang", "en", "--codes"});
  EXPECT_NE(codes.out.find("[windows_total]"), std::string::npos) << codes.out;
  EXPECT_NE(codes.out.find("[\"ala_01\"]"), std::string::npos) << codes.out;

  auto both = Coord({"review", a, d, "--state", "approved"});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_EQ(CoordJson({"show", a})["review_state"], "approved");
  EXPECT_EQ(CoordJson({"show", d})["review_state"], "approved");
  auto partly = Coord({"review", "no-such-id", a, "--state", "rejected"});
  EXPECT_NE(partly.exit_code, 0);
  EXPECT_EQ(CoordJson({"show", a})["review_state"], "rejected");  // the good id still went through
}

TEST_F(TlsE2ETest, CoordinatorLogsInOnceAndLaterCommandsNeedNeitherPasswordNorCa) {
  ASSERT_EQ(RunCommand({ServerBinary(), "user", "add", "aigerim", "--role", "coordinator", "--data", data_},
                       {{"DALA_PASSWORD", "coordinator-pw"}}).exit_code, 0);
  // A certificate for 127.0.0.1 that only itself vouches for.
  const std::string ca = dir_ / "cert.pem", key = dir_ / "key.pem";
  auto made = RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                          "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", ca});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  ServerProcess server(data_, {"--tls-cert", ca, "--tls-key", key});
  ASSERT_TRUE(server.ok()) << ReadFile(server.log_path());
  const std::string url_ = "https://127.0.0.1:" + std::to_string(server.port());
  const std::string config = dir_ / "config";
  const std::string saved = config + "/dala/coord-session.json";
  std::map<std::string, std::string> login_env = {{"XDG_CONFIG_HOME", config}, {"DALA_PASSWORD", "coordinator-pw"}};
  std::vector<std::string> login = {DalaBinary(), "coord", "--server", url_, "--user", "aigerim", "login"};
  // The certificate is trusted only through the CA, given by DALA_CA.
  EXPECT_NE(RunCommand(login, login_env).exit_code, 0);
  login_env["DALA_CA"] = ca;
  auto in = RunCommand(login, login_env);
  ASSERT_EQ(in.exit_code, 0) << in.err;
  struct stat st {};
  ASSERT_EQ(::stat(saved.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string kept = ReadFile(saved);
  // No server, user, password or CA: the kept session has them.
  const std::map<std::string, std::string> bare = {{"XDG_CONFIG_HOME", config}};
  auto listed = RunCommand({DalaBinary(), "coord", "list"}, bare);
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("No submissions match."), std::string::npos) << listed.out;
  auto out = RunCommand({DalaBinary(), "coord", "logout"}, bare);
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(::stat(saved.c_str(), &st), 0);
  EXPECT_NE(RunCommand({DalaBinary(), "coord", "list"}, bare).exit_code, 0);
  // The server ended the session too: a copy of the file is worth nothing.
  {
    std::ofstream copy(saved, std::ios::binary);
    copy << kept;
  }
  auto stolen = RunCommand({DalaBinary(), "coord", "list"}, bare);
  EXPECT_NE(stolen.exit_code, 0);
  EXPECT_NE(stolen.err.find("log in again"), std::string::npos) << stolen.err;
}

}  // namespace
}  // namespace dala::e2e
