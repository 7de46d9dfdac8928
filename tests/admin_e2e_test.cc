// End-to-end: the `dala-server` admin commands while `serve` runs on the
// same data directory. Each must go through the running server (which
// keeps the log tree, its signing chain and the login delays in memory),
// so that what it does takes effect at once and nothing is written
// behind the server's back; a second server is refused.

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "e2e_util.h"

namespace dala::e2e {
namespace {

using nlohmann::json;

constexpr const char* kThrough = "done by the server running on";

class AdminE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_ / "server";
    ASSERT_EQ(Server({"init", "--data", data_}).exit_code, 0);
    ASSERT_EQ(Server({"user", "add", "ada", "--role", "admin", "--data", data_}, {{"DALA_PASSWORD", "admin-pw-1"}})
                  .exit_code,
              0);
    ASSERT_EQ(Server({"user", "add", "askar", "--role", "volunteer", "--data", data_}).exit_code, 0);
    Start();
  }

  void Start(const std::map<std::string, std::string>& env = {}) {
    server_ = std::make_unique<ServerProcess>(data_, std::vector<std::string>{}, env);
    ASSERT_TRUE(server_->ok()) << ReadFile(server_->log_path());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  CommandResult Server(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    args.insert(args.begin(), ServerBinary());
    return RunCommand(args, env);
  }

  // A command that must have been carried out by the running server.
  CommandResult Through(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    args.push_back("--data");
    args.push_back(data_);
    auto r = Server(args, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(kThrough), std::string::npos) << r.err;
    EXPECT_NE(ReadFile(server_->log_path()).find("admin command from uid"), std::string::npos);
    return r;
  }

  int Login(const std::string& user, const std::string& password, std::string* cookie = nullptr) {
    auto r = http_->Post("/api/v1/login", json{{"username", user}, {"password", password}}.dump(), "application/json");
    if (!r) return -1;
    if (cookie != nullptr) {
      std::string set = r->get_header_value("Set-Cookie");
      *cookie = set.substr(0, set.find(';'));
    }
    return r->status;
  }

  json GetAsAdmin(const std::string& path) {
    std::string cookie;
    EXPECT_EQ(Login("ada", "admin-pw-1", &cookie), 200);
    auto r = http_->Get(path.c_str(), {{"Cookie", cookie}});
    EXPECT_TRUE(r && r->status == 200);
    return r ? json::parse(r->body, nullptr, false) : json();
  }

  std::map<std::string, std::string> Laptop(const std::string& name) {
    std::map<std::string, std::string> env = {{"DALA_HOME", dir_ / ("laptop-" + name)},
                                               {"DALA_PASSPHRASE", name + "-passphrase"}};
    EXPECT_EQ(RunCommand({DalaBinary(), "init"}, env).exit_code, 0);
    std::string code = FindEnrollCode(Through({"enroll-code", "askar"}).out);
    auto r = RunCommand({DalaBinary(), "enroll", server_->url(), code, "--label", name}, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return env;
  }

  std::string Form(const char* name) { return std::string(DALA_SOURCE_DIR) + "/schema/forms/" + name + ".json"; }

  TempDir dir_;
  std::string data_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(AdminE2ETest, UserAddWhileServingGoesThroughTheServerAndCanLogInAtOnce) {
  auto r = Through({"user", "add", "cora", "--role", "coordinator"}, {{"DALA_PASSWORD", "coordinator-pw"}});
  EXPECT_NE(r.out.find("Added coordinator cora"), std::string::npos) << r.out;
  EXPECT_EQ(Login("cora", "coordinator-pw"), 200);
  auto again = Server({"user", "add", "cora", "--role", "auditor", "--data", data_}, {{"DALA_PASSWORD", "other-pw-1"}});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("cora"), std::string::npos) << again.err;
}

TEST_F(AdminE2ETest, UserPasswordWhileServingEndsTheSessionsAndOnlyTheNewPasswordWorks) {
  std::string cookie;
  ASSERT_EQ(Login("ada", "admin-pw-1", &cookie), 200);
  ASSERT_EQ(http_->Get("/api/v1/me", {{"Cookie", cookie}})->status, 200);
  Through({"user", "password", "ada"}, {{"DALA_PASSWORD", "admin-pw-2"}});
  EXPECT_EQ(http_->Get("/api/v1/me", {{"Cookie", cookie}})->status, 401) << "the old session ended";
  EXPECT_EQ(Login("ada", "admin-pw-1"), 401);
  EXPECT_EQ(Login("ada", "admin-pw-2"), 200);
  auto volunteer = Server({"user", "password", "askar", "--data", data_}, {{"DALA_PASSWORD", "whatever-1"}});
  EXPECT_EQ(volunteer.exit_code, 1);
  EXPECT_NE(volunteer.err.find("volunteer"), std::string::npos) << volunteer.err;
}

TEST_F(AdminE2ETest, UserUnlockWhileServingClearsTheRunningServersLoginDelays) {
  int status = 0;
  for (int i = 0; i < 8 && status != 429; ++i) status = Login("ada", "wrong-password");
  ASSERT_EQ(status, 429) << "a delay after repeated failures";
  EXPECT_EQ(Login("ada", "admin-pw-1"), 429) << "even the right password waits";
  auto r = Through({"user", "unlock", "ada"});
  EXPECT_NE(r.out.find("Cleared the login delays of ada"), std::string::npos) << r.out;
  EXPECT_EQ(Login("ada", "admin-pw-1"), 200);
}

TEST_F(AdminE2ETest, LoginDelaysOutliveARestartAndAnUnlockWithNoServerClearsThem) {
  int status = 0;
  for (int i = 0; i < 8 && status != 429; ++i) status = Login("ada", "wrong-password");
  ASSERT_EQ(status, 429);
  // The failures are in the store, not the server's memory: a restart
  // does not wipe a guesser's slate.
  server_->Stop();
  Start();
  if (HasFatalFailure()) return;
  EXPECT_EQ(Login("ada", "admin-pw-1"), 429) << "a restart forgot the delays";
  server_->Stop();
  auto idle = Server({"user", "unlock", "ada", "--data", data_});
  EXPECT_EQ(idle.exit_code, 0) << idle.err;
  EXPECT_NE(idle.out.find("Cleared the login delays of ada"), std::string::npos) << idle.out;
  auto again = Server({"user", "unlock", "ada", "--data", data_});
  EXPECT_NE(again.out.find("ada had no login delays to clear"), std::string::npos) << again.out;
  Start();
  if (HasFatalFailure()) return;
  EXPECT_EQ(Login("ada", "admin-pw-1"), 200);
}

TEST_F(AdminE2ETest, EnrollCodeAndDeviceRevokeWhileServingTakeEffectAtOnce) {
  ASSERT_EQ(Through({"form", "publish", Form("psc_observation")}).exit_code, 0);
  auto laptop = Laptop("first");
  ASSERT_EQ(RunCommand({DalaBinary(), "sync"}, laptop).exit_code, 0);
  auto list = Server({"device", "list", "--json", "--data", data_});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json devices = json::parse(list.out, nullptr, false);
  ASSERT_EQ(devices.size(), 1u) << list.out;
  EXPECT_GT(devices[0]["last_sync_ms"].get<int64_t>(), 0) << "the sync was noted";
  std::string key = devices[0]["key"];
  auto revoke = Through({"device", "revoke", key.substr(0, 16), "--reason", "stolen"});
  EXPECT_NE(revoke.out.find("Revoked device " + key.substr(0, 16)), std::string::npos) << revoke.out;
  auto refused = RunCommand({DalaBinary(), "sync"}, laptop);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("revoked_device"), std::string::npos) << refused.err;
  // The revocation went into the running server's log: its checkpoint covers it.
  json api = GetAsAdmin("/api/v1/devices");
  EXPECT_TRUE(api["devices"][0]["revoked"].get<bool>()) << api.dump();
  auto text = Server({"device", "list", "--data", data_});
  EXPECT_NE(text.out.find("revoked"), std::string::npos) << text.out;
}

TEST_F(AdminE2ETest, FormPublishAndRetireWhileServingChangeWhatLaptopsReceive) {
  auto published = Through({"form", "publish", Form("psc_observation")});
  EXPECT_NE(published.out.find("Published form psc_observation"), std::string::npos) << published.out;
  Through({"form", "publish", Form("citizen_exit_survey")});
  Through({"form", "retire", "citizen_exit_survey"});
  auto laptop = Laptop("first");
  auto synced = RunCommand({DalaBinary(), "--lang", "en", "sync"}, laptop);
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_NE(synced.out.find("1 form"), std::string::npos) << "the retired form is not sent: " << synced.out;
  json forms = GetAsAdmin("/api/v1/forms");
  int retired = 0;
  for (const json& f : forms["forms"]) retired += f["retired_ms"].get<int64_t>() != 0 ? 1 : 0;
  EXPECT_EQ(retired, 1) << forms.dump();
  auto listed = Server({"form", "list", "--data", data_});
  EXPECT_NE(listed.out.find("retired"), std::string::npos) << listed.out;
  auto twice = Server({"form", "retire", "citizen_exit_survey", "--data", data_});
  EXPECT_EQ(twice.exit_code, 1);
}

TEST_F(AdminE2ETest, ExportWhileServingIsWrittenByTheServerAndVerifies) {
  Through({"form", "publish", Form("psc_observation")});
  auto r = Through({"export", "--bundle", dir_ / "audit.zip"});
  EXPECT_NE(r.out.find("Wrote"), std::string::npos) << r.out;
  auto verified = RunCommand({DalaBinary(), "audit", "verify", dir_ / "audit.zip", "--server-key", data_ + "/server.pub"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

// Data exports read the database beside the running server; a bad
// request is refused before anything is written, and a failed one leaves
// the file that was there.
TEST_F(AdminE2ETest, RecordExportsWhileServingAndBadRequestsRefusedLeavingTheFile) {
  Through({"form", "publish", Form("psc_observation")});
  const std::string xlsx = dir_ / "visits.xlsx";
  auto r = Server({"export", "--data", data_, "--format", "xlsx", "-o", xlsx});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("exported 0 records at log checkpoint"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(xlsx).substr(0, 2), "PK") << "a zip container";
  const std::string kept = dir_ / "kept.csv";
  WriteFile(kept, "earlier export\n");
  for (std::vector<std::string> bad : {std::vector<std::string>{"--format", "xls"},
                                       {"--format", "csv", "--form", "psc_observation", "--from", "2026-02-30"},
                                       {"--format", "csv", "--form", "psc_observation", "--choices", "codes"},
                                       {"--format", "csv", "--form", "psc_observation", "--bundle", "b.zip"}}) {
    bad.insert(bad.begin(), {"export", "--data", data_, "-o", kept});
    auto refused = Server(bad);
    EXPECT_EQ(refused.exit_code, 2) << bad[6] << ": " << refused.err;
  }
  auto failed = Server({"export", "--data", data_, "--format", "geojson", "--form", "no_such_form", "-o", kept});
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  EXPECT_NE(failed.err.find("no form 'no_such_form'"), std::string::npos) << failed.err;
  EXPECT_EQ(ReadFile(kept), "earlier export\n");
  EXPECT_FALSE(std::filesystem::exists(kept + ".part"));

  std::string cookie;
  ASSERT_EQ(Login("ada", "admin-pw-1", &cookie), 200);
  auto got = http_->Get("/api/v1/export/xlsx?form=psc_observation&lang=kk", {{"Cookie", cookie}});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body.substr(0, 2), "PK");
  EXPECT_NE(got->get_header_value("Content-Disposition").find("psc_observation.xlsx"), std::string::npos);
  // Streamed from a file in the data directory, which is gone once sent.
  EXPECT_EQ(got->get_header_value("Transfer-Encoding"), "chunked");
  for (const auto& entry : std::filesystem::directory_iterator(data_))
    EXPECT_NE(entry.path().filename().string().rfind("export-", 0), 0u) << entry.path();
  auto csv = http_->Get("/api/v1/export/csv?form=psc_observation", {{"Cookie", cookie}});
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 200);
  EXPECT_EQ(csv->get_header_value("Transfer-Encoding"), "chunked");
  EXPECT_EQ(csv->body.substr(0, 3), "ID,");
  auto bad_date = http_->Get("/api/v1/export/geojson?form=psc_observation&to=31.12.2026", {{"Cookie", cookie}});
  ASSERT_TRUE(bad_date);
  EXPECT_EQ(bad_date->status, 400);
}

TEST_F(AdminE2ETest, ASecondServerOnTheSameDataIsRefusedNamingTheFirst) {
  auto second = Server({"serve", "--data", data_, "--listen", "127.0.0.1:0"});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("already running"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("pid " + std::to_string(server_->pid())), std::string::npos) << second.err;
  EXPECT_EQ(http_->Get("/api/v1/health")->status, 200) << "the first one is untouched";
}

TEST_F(AdminE2ETest, AKilledServerLeavesNothingThatBlocksCommandsOrARestart) {
  server_->Kill();
  auto alone = Server({"user", "add", "vera", "--role", "volunteer", "--data", data_});
  EXPECT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_EQ(alone.err.find(kThrough), std::string::npos) << "no server runs: done by the command itself";
  Start();
  Through({"user", "add", "cora", "--role", "coordinator"}, {{"DALA_PASSWORD", "coordinator-pw"}});
  EXPECT_EQ(Login("cora", "coordinator-pw"), 200);
}

TEST_F(AdminE2ETest, ASealedServerKeyServesOnlyWithItsPassphrase) {
  server_->Stop();
  const std::string key = ReadFile(data_ + "/server.key");
  auto sealed = Server({"key", "seal", "--data", data_}, {{"DALA_SERVER_KEY_PASSPHRASE", "steppe wind 2026"}});
  ASSERT_EQ(sealed.exit_code, 0) << sealed.err;
  EXPECT_EQ(ReadFile(data_ + "/server.key").find(key.substr(0, 64)), std::string::npos);
  auto without = Server({"serve", "--data", data_, "--listen", "127.0.0.1:0"});
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_NE(without.err.find("DALA_SERVER_KEY_PASSPHRASE"), std::string::npos) << without.err;
  auto wrong = Server({"serve", "--data", data_, "--listen", "127.0.0.1:0"},
                      {{"DALA_SERVER_KEY_PASSPHRASE", "steppe wind 2025"}});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("wrong passphrase"), std::string::npos) << wrong.err;
  Start({{"DALA_SERVER_KEY_PASSPHRASE", "steppe wind 2026"}});
  EXPECT_NE(ReadFile(server_->log_path()).find("(sealed)"), std::string::npos);
  Through({"form", "publish", Form("psc_observation")});
}

}  // namespace
}  // namespace dala::e2e
