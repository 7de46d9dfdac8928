// `dala coord` with a coordinator's own key, between real binaries: the key
// file is made and sealed, enrolled with an admin's one-time code, and
// signs every decision; without it the coordinator can no longer decide;
// the volunteer's laptop takes her signed decisions in, and the auditor
// reports them as signed by her.

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <set>
#include <nlohmann/json.hpp>

#include "dala/client/store.h"
#include "dala/client/transport.h"
#include "dala/sync/person_keys.h"
#include "e2e_util.h"

namespace dala::e2e {
namespace {

using nlohmann::json;

std::string Today() {
  time_t now = time(nullptr);
  char day[16];
  strftime(day, sizeof(day), "%Y-%m-%d", gmtime(&now));
  return day;
}

json Observation() {
  json a = json::parse(R"({"region":"ala","centre":"ala_01","arrival_time":"09:30","waiting_source":"test_case",
    "waiting_minutes":35,"equeue_works":"yes","signage_languages":["kk","ru"],"ramp":"no","complaints_book":"yes",
    "fees_posted":"yes","windows_total":8,"windows_open":5,"staff_at_windows":6,"cleanliness":4,"queue_length":12})");
  time_t now = time(nullptr);
  char day[16];
  strftime(day, sizeof(day), "%Y-%m-%d", localtime(&now));
  a["visit_date"] = day;
  return a;
}

class CoordKeyE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_ / "server";
    ASSERT_EQ(Server({"init", "--data", data_}).exit_code, 0);
    ASSERT_EQ(Server({"user", "add", "aigerim", "--role", "coordinator", "--data", data_},
                     {{"DALA_PASSWORD", "coordinator-pw"}}).exit_code, 0);
    ASSERT_EQ(Server({"user", "add", "ada", "--role", "admin", "--data", data_}, {{"DALA_PASSWORD", "admin-pw-1"}}).exit_code, 0);
    ASSERT_EQ(Server({"user", "add", "askar", "--role", "volunteer", "--data", data_}).exit_code, 0);
    ASSERT_EQ(Server({"form", "publish", std::string(DALA_SOURCE_DIR) + "/schema/forms/psc_observation.json", "--data",
                      data_}).exit_code, 0);
    server_ = std::make_unique<ServerProcess>(data_);
    ASSERT_TRUE(server_->ok());
    laptop_ = {{"DALA_HOME", dir_ / "laptop"}, {"DALA_PASSPHRASE", "askar-passphrase"}};
    ASSERT_EQ(Dala({"init"}, laptop_).exit_code, 0);
    std::string code = FindEnrollCode(Server({"enroll-code", "askar", "--data", data_}).out);
    ASSERT_EQ(Dala({"enroll", server_->url(), code}, laptop_).exit_code, 0);
    ASSERT_EQ(Dala({"sync"}, laptop_).exit_code, 0);  // the forms
    WriteFile(dir_ / "answers.json", Observation().dump());
    record_ = FindUuid(Dala({"collect", "psc_observation", "--answers", dir_ / "answers.json"}, laptop_).out);
    ASSERT_FALSE(record_.empty());
    ASSERT_EQ(Dala({"sync"}, laptop_).exit_code, 0);
    key_file_ = dir_ / "aigerim.key";
  }

  CommandResult Server(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    args.insert(args.begin(), ServerBinary());
    return RunCommand(args, env);
  }
  CommandResult Dala(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    args.insert(args.begin(), DalaBinary());
    return RunCommand(args, env);
  }
  // `dala coord ARGS` as aigerim, with her key file unless `key` is false.
  CommandResult Coord(std::vector<std::string> args, bool key = true, const std::string& passphrase = "aigerim-key-pw") {
    args.insert(args.begin(), {DalaBinary(), "coord"});
    std::map<std::string, std::string> env = {{"DALA_SERVER", server_->url()}, {"DALA_USER", "aigerim"},
                                              {"DALA_PASSWORD", "coordinator-pw"}, {"DALA_KEY_PASSPHRASE", passphrase}};
    if (key) env["DALA_COORD_KEY"] = key_file_;
    return RunCommand(args, env);
  }
  // The one-time code an admin issues for aigerim's key, through the API.
  std::string IssueKeyCode() {
    auto transport = client::MakeHttpTransport(server_->url());
    EXPECT_TRUE(transport.ok());
    auto login = (*transport)->Send({"POST", "/api/v1/login", "application/json",
                                     json{{"username", "ada"}, {"password", "admin-pw-1"}}.dump(), {}});
    EXPECT_TRUE(login.ok() && login->status == 200);
    std::string cookie = login->Header("Set-Cookie");
    auto issued = (*transport)->Send({"POST", "/api/v1/person-key-codes", "application/json",
                                      json{{"person", "aigerim"}}.dump(),
                                      {{"Cookie", cookie.substr(0, cookie.find(';'))},
                                       {"X-CSRF-Token", json::parse(login->body)["csrf_token"]}}});
    EXPECT_TRUE(issued.ok() && issued->status == 201) << (issued.ok() ? issued->body : "");
    return json::parse(issued->body)["code"];
  }

  // The server's bundle, verified with its key: the report, which must pass.
  json Audit(std::vector<std::string> options = {}) {
    const std::string bundle = dir_ / "audit.dala";
    EXPECT_EQ(Server({"export", "--bundle", bundle, "--data", data_}).exit_code, 0);
    std::vector<std::string> args = {"audit", "verify", bundle, "--server-key", data_ + "/server.pub", "--json"};
    args.insert(args.end(), options.begin(), options.end());
    CommandResult audit = Dala(args);
    EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
    return json::parse(audit.out, nullptr, false);
  }
  // `dala-server person-key ARGS --data DIR`.
  CommandResult PersonKey(std::vector<std::string> args) {
    args.insert(args.begin(), "person-key");
    args.push_back("--data");
    args.push_back(data_);
    return Server(args);
  }
  // Aigerim's key made and enrolled with a code from `person-key code`.
  void EnrolWithTheCommandsCode() {
    ASSERT_EQ(Coord({"key", "init"}).exit_code, 0);
    CommandResult code = PersonKey({"code", "aigerim", "--by", "ada"});
    ASSERT_EQ(code.exit_code, 0) << code.err;
    EXPECT_NE(code.err.find(kThroughServer), std::string::npos) << "serve runs: " << code.err;
    CommandResult enrolled = Coord({"key", "enroll", FindEnrollCode(code.out)});
    ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  }
  json ListedKeys(const std::string& person = "aigerim") {
    CommandResult listed = PersonKey({"list", person, "--json"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    return json::parse(listed.out, nullptr, false);
  }

  static constexpr const char* kThroughServer = "done by the server running on";
  TempDir dir_;
  std::string data_, record_, key_file_;
  std::unique_ptr<ServerProcess> server_;
  std::map<std::string, std::string> laptop_;
};

TEST_F(CoordKeyE2ETest, DecisionsSignedWithTheKeyFileReachTheLaptopAndTheAuditorSaysWhoSigned) {
  ASSERT_EQ(Coord({"key", "init"}).exit_code, 0);
  const std::string sealed = ReadFile(key_file_);
  EXPECT_EQ(sealed.rfind("dala-key-v1", 0), 0u) << "sealed like a laptop's key";
  CommandResult again = Coord({"key", "init"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_EQ(ReadFile(key_file_), sealed) << "a key file is never overwritten";
  EXPECT_NE(Coord({"key", "enroll", "AAAA-BBBB-CCCC"}).exit_code, 0) << "a code nobody issued";
  CommandResult enrolled = Coord({"key", "enroll", IssueKeyCode(), "--label", "office"});
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;

  CommandResult wrong = Coord({"review", record_, "--state", "approved"}, true, "not the passphrase");
  EXPECT_NE(wrong.exit_code, 0);
  CommandResult keyless = Coord({"review", record_, "--state", "rejected", "--comment", "no"}, false);
  EXPECT_NE(keyless.exit_code, 0);
  EXPECT_NE(keyless.err.find("--key"), std::string::npos) << keyless.err;

  CommandResult edit = Coord({"edit", record_, "--set", "queue_length=20", "--note", "recounted"});
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  EXPECT_NE(edit.out.find("signed with your key"), std::string::npos) << edit.out;
  ASSERT_EQ(Coord({"review", record_, "--state", "has_issues", "--comment", "check the windows"}).exit_code, 0);

  ASSERT_EQ(Dala({"sync"}, laptop_).exit_code, 0);
  CommandResult returned = Dala({"list", "--returned"}, laptop_);
  EXPECT_NE(returned.out.find("check the windows"), std::string::npos) << returned.out << returned.err;

  json report = Audit({"--strict-after", Today()});
  ASSERT_EQ(report["decisions"].size(), 2u);
  for (const json& d : report["decisions"]) {
    EXPECT_EQ(d["by"], "aigerim");
    EXPECT_EQ(d["signed_by"], "person");
  }
}

// Issue 19, "done when": every kind of decision the demo makes (scripts/demo,
// step 5) is signed by the coordinator who made it, and the auditor says so.
TEST_F(CoordKeyE2ETest, EveryKindOfDecisionTheDemoMakesIsSignedByHerKeyAndTheAuditorSaysSo) {
  EnrolWithTheCommandsCode();
  // A second volunteer's record of the same centre on the same day: a possible duplicate.
  ASSERT_EQ(Server({"user", "add", "dina", "--role", "volunteer", "--data", data_}).exit_code, 0);
  std::map<std::string, std::string> dina = {{"DALA_HOME", dir_ / "dina"}, {"DALA_PASSPHRASE", "dina-passphrase"}};
  ASSERT_EQ(Dala({"init"}, dina).exit_code, 0);
  ASSERT_EQ(Dala({"enroll", server_->url(), FindEnrollCode(Server({"enroll-code", "dina", "--data", data_}).out)}, dina)
                .exit_code,
            0);
  ASSERT_EQ(Dala({"sync"}, dina).exit_code, 0);
  const std::string twin = FindUuid(Dala({"collect", "psc_observation", "--answers", dir_ / "answers.json"}, dina).out);
  ASSERT_EQ(Dala({"sync"}, dina).exit_code, 0);

  // She corrects the queue while askar, offline, recounts it: a conflict she resolves.
  ASSERT_EQ(Coord({"edit", record_, "--set", "queue_length=20", "--note", "counted from the video"}).exit_code, 0);
  ASSERT_EQ(Dala({"edit", record_, "--set", "queue_length=19"}, laptop_).exit_code, 0);
  ASSERT_EQ(Dala({"sync"}, laptop_).exit_code, 0);
  CommandResult resolved = Coord({"resolve", record_, "--choose", "queue_length=19"});
  ASSERT_EQ(resolved.exit_code, 0) << resolved.err;
  ASSERT_EQ(Coord({"review", record_, "--state", "has_issues", "--comment", "check the windows"}).exit_code, 0);
  ASSERT_EQ(Coord({"review", record_, "--state", "approved"}).exit_code, 0);
  CommandResult merged = Coord({"merge-duplicate", twin, "--into", record_});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;

  json report = Audit({"--strict-after", Today()});
  std::set<std::string> kinds;
  for (const json& d : report["decisions"]) {
    EXPECT_EQ(d["by"], "aigerim") << d.dump();
    EXPECT_EQ(d["signed_by"], "person") << d.dump();
    kinds.insert(d["what"].get<std::string>());
  }
  EXPECT_EQ(report["decisions"].size(), 5u) << report["decisions"].dump(1);
  EXPECT_EQ(kinds, (std::set<std::string>{"correction", "review", "duplicate decision"}));
}

TEST_F(CoordKeyE2ETest, AfterAnAdminRevokesHerKeyTheServerRefusesHerDecisionsAndTheLaptopHoldsTheRevocation) {
  EnrolWithTheCommandsCode();
  ASSERT_EQ(Coord({"edit", record_, "--set", "queue_length=20", "--note", "recounted"}).exit_code, 0);
  ASSERT_EQ(Dala({"sync"}, laptop_).exit_code, 0);  // her key's enrolment and her correction

  json keys = ListedKeys();
  ASSERT_EQ(keys.size(), 1u);
  const std::string fingerprint = keys[0]["fingerprint"];
  CommandResult revoked =
      PersonKey({"revoke", "aigerim", fingerprint, "--by", "ada", "--reason", "laptop with the key file stolen"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_NE(revoked.err.find(kThroughServer), std::string::npos) << revoked.err;
  EXPECT_NE(revoked.out.find("Revoked aigerim's key " + fingerprint), std::string::npos) << revoked.out;
  EXPECT_NE(ListedKeys()[0]["revoked_ms"].get<int64_t>(), 0);

  CommandResult late = Coord({"review", record_, "--state", "rejected", "--comment", "with the stolen key"});
  EXPECT_NE(late.exit_code, 0);
  EXPECT_NE(late.err.find("revoked"), std::string::npos) << late.err;

  CommandResult synced = Dala({"sync"}, laptop_);
  ASSERT_EQ(synced.exit_code, 0) << synced.out << synced.err;
  auto store = client::LocalStore::Open(laptop_["DALA_HOME"] + "/dala.db");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto events = (*store)->Get(client::profile_key::kPersonKeyEvents);
  ASSERT_TRUE(events.ok() && events->has_value());
  sync::PersonKeyRegistry held;
  uint64_t index = 0;
  for (const json& body : json::parse(**events)) {
    auto event = sync::ParseEventBody(body.get<std::string>());
    ASSERT_TRUE(event.ok()) << event.status().ToString();
    (void)held.Apply(*event, index++, 0);
  }
  sync::PublicKey key;
  ASSERT_TRUE(FromHex(keys[0]["key"].get<std::string>(), &key));
  const sync::PersonKey* k = held.Find(key);
  ASSERT_NE(k, nullptr);
  EXPECT_TRUE(k->revoked) << **events;
  EXPECT_EQ(k->revoked_through, 1u) << "her correction came before the revocation";
  auto id = sync::ParseSubmissionId(record_);
  ASSERT_TRUE(id.ok());
  auto shown = (*store)->FindSubmission(*id);
  ASSERT_TRUE(shown.ok() && shown->has_value());
  EXPECT_EQ(json::parse((*shown)->answers_json)["queue_length"], 20) << "her earlier correction stands";

  json report = Audit();
  ASSERT_EQ(report["decisions"].size(), 1u);
  EXPECT_EQ(report["decisions"][0]["signed_by"], "person");
}

TEST_F(CoordKeyE2ETest, PersonKeyCommandsRefuseBadInputAndChangeNothing) {
  CommandResult none = PersonKey({"list"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("No one has a signing key"), std::string::npos) << none.out;
  EnrolWithTheCommandsCode();
  const std::string fingerprint = ListedKeys()[0]["fingerprint"];
  CommandResult table = PersonKey({"list"});
  EXPECT_NE(table.out.find(fingerprint), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("aigerim"), std::string::npos) << table.out;

  struct Bad {
    std::vector<std::string> args;
    int exit_code;
    std::string says;
  };
  const std::vector<Bad> bad = {
      {{"code", "nobody"}, 1, "no user named 'nobody'"},
      {{"code", "askar"}, 1, "not a coordinator or an admin"},
      {{"code", "aigerim", "--ttl-hours", "0"}, 2, "--ttl-hours"},
      {{"list", "nobody"}, 1, "no user named 'nobody'"},
      {{"revoke", "nobody", fingerprint}, 1, "no user named 'nobody'"},
      {{"revoke", "aigerim", "ffff ffff ffff ffff"}, 1, "aigerim has no key ffff ffff ffff ffff (theirs: " + fingerprint},
      {{"revoke", "ada", fingerprint}, 1, "ada has no key"},
      {{"revoke", "aigerim", "not-a-key"}, 1, "is not a key's fingerprint"},
      {{"revoke", "aigerim"}, 2, "FINGERPRINT"},
  };
  for (const Bad& b : bad) {
    CommandResult r = PersonKey(b.args);
    EXPECT_EQ(r.exit_code, b.exit_code) << b.args[0] << " " << b.args[1] << ": " << r.err;
    EXPECT_NE(r.err.find(b.says), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  }
  EXPECT_EQ(ListedKeys()[0]["revoked_ms"], 0) << "no bad command revoked anything";
  EXPECT_EQ(ListedKeys("ada").size(), 0u);

  // Spaces are optional, and so is the rest of the key after 8 digits.
  std::string digits = fingerprint;
  digits.erase(std::remove(digits.begin(), digits.end(), ' '), digits.end());
  ASSERT_EQ(PersonKey({"revoke", "aigerim", digits.substr(0, 8)}).exit_code, 0);
  CommandResult twice = PersonKey({"revoke", "aigerim", fingerprint});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_NE(twice.err.find("already revoked"), std::string::npos) << twice.err;

  // The same without a running server: the command does it itself.
  server_->Stop();
  CommandResult code = PersonKey({"code", "aigerim"});
  EXPECT_EQ(code.exit_code, 0) << code.err;
  EXPECT_EQ(code.err.find(kThroughServer), std::string::npos) << code.err;
  EXPECT_FALSE(FindEnrollCode(code.out).empty()) << code.out;
  CommandResult again = PersonKey({"revoke", "aigerim", fingerprint});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already revoked"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace dala::e2e
