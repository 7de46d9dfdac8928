// `dala coord` with a coordinator's own key, between real binaries: the key
// file is made and sealed, enrolled with an admin's one-time code, and
// signs every decision; without it the coordinator can no longer decide;
// the volunteer's laptop takes her signed decisions in, and the auditor
// reports them as signed by her.

#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "dala/client/transport.h"
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

  const std::string bundle = dir_ / "audit.dala";
  ASSERT_EQ(Server({"export", "--bundle", bundle, "--data", data_}).exit_code, 0);
  CommandResult audit = Dala({"audit", "verify", bundle, "--server-key", data_ + "/server.pub", "--json",
                              "--strict-after", Today()});
  ASSERT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  json report = json::parse(audit.out);
  ASSERT_EQ(report["decisions"].size(), 2u);
  for (const json& d : report["decisions"]) {
    EXPECT_EQ(d["by"], "aigerim");
    EXPECT_EQ(d["signed_by"], "person");
  }
}

}  // namespace
}  // namespace dala::e2e
