// The data directory's lock, the admin socket, and the admin requests'
// refusals (admin_control.h, admin_requests.h). The commands against a
// live server are in tests/admin_e2e_test.cc.
#include "admin_control.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "admin.h"
#include "admin_requests.h"

namespace dala::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class AdminControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sync::InitCrypto().ok());
    root_ = fs::temp_directory_path() / ("dala_control_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    InitOptions o;
    o.data_dir = data_ = (root_ / "data").string();
    ASSERT_TRUE(InitDataDir(o, random_, clock_).ok());
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
  std::string data_;
  sync::SeededRandom random_{3};
  FakeClock clock_{1'700'000'000'000};
};

TEST_F(AdminControlTest, ASecondHolderOfTheLockIsToldWhoHasIt) {
  auto first = DataDirLock::TryAcquire(data_, kServeRole);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  std::string role;
  long pid = 0;
  auto second = DataDirLock::TryAcquire(data_, kCommandRole, &role, &pid);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().reason(), "data_dir_busy");
  EXPECT_EQ(role, kServeRole);
  EXPECT_EQ(pid, ::getpid());
  EXPECT_NE(second.status().message().find("already running"), std::string::npos) << second.status().message();
}

TEST_F(AdminControlTest, TheLockIsFreeAgainWhenItsHolderIsGone) {
  { auto held = DataDirLock::TryAcquire(data_, kCommandRole); ASSERT_TRUE(held.ok()); }
  EXPECT_TRUE(DataDirLock::TryAcquire(data_, kServeRole).ok());
}

TEST_F(AdminControlTest, NoLockOnADirectoryThatHoldsNoServerData) {
  auto r = DataDirLock::TryAcquire((root_ / "empty").string(), kCommandRole);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(fs::exists(root_ / "empty" / "lock"));
}

TEST_F(AdminControlTest, ARequestReachesTheServersHandlerAndItsAnswerComesBack) {
  auto socket = AdminSocket::Listen(data_, [](const json& request, uid_t uid) -> json {
    return {{"echo", request.value("op", "")}, {"uid", uid}};
  });
  ASSERT_TRUE(socket.ok()) << socket.status().ToString();
  auto answer = AskRunningServer(data_, {{"op", "ping"}});
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ((*answer)["echo"], "ping");
  EXPECT_EQ((*answer)["uid"], ::geteuid());
  socket->reset();
  EXPECT_FALSE(fs::exists(data_ + "/admin.sock")) << "removed when the server stops";
  EXPECT_EQ(AskRunningServer(data_, {{"op", "ping"}}).status().code(), Status::Code::kUnavailable);
}

TEST_F(AdminControlTest, AFailureCrossesTheSocketWithItsCodeAndReason) {
  Status refused(Status::Code::kNotFound, "not_found", "no user named 'x'");
  Status back = StatusFromAnswer(FailureJson(refused));
  EXPECT_EQ(back.code(), Status::Code::kNotFound);
  EXPECT_EQ(back.reason(), "not_found");
  EXPECT_EQ(back.message(), "no user named 'x'");
  for (json bad : {json{{"error", 5}}, json{{"error", {{"code", 999}}}}, json{{"error", {{"code", "x"}}}}}) {
    Status s = StatusFromAnswer(bad);
    EXPECT_FALSE(s.ok()) << bad.dump();
  }
  EXPECT_TRUE(StatusFromAnswer(json{{"name", "x"}}).ok());
}

TEST_F(AdminControlTest, MalformedAdminRequestsAreRefusedAndChangeNothing) {
  auto local = LocalDataDir::Open(data_);
  ASSERT_TRUE(local.ok());
  AdminTarget target = (*local)->Target();
  for (json bad : {json::object(), json{{"op", "drop_tables"}}, json{{"op", 7}}, json{{"op", "user_add"}},
                   json{{"op", "user_add"}, {"name", "x"}, {"role", 3}},
                   json{{"op", "enroll_code"}, {"volunteer", "v"}, {"by", "b"}, {"ttl_hours", "72"}},
                   json{{"op", "device_revoke"}, {"key", "abc"}, {"by", "b"}},
                   json{{"op", "person_key_code"}, {"person", "p"}, {"by", "b"}, {"ttl_hours", "72"}},
                   json{{"op", "person_key_code"}, {"by", "b"}, {"ttl_hours", 72}},
                   json{{"op", "person_key_revoke"}, {"person", "p"}, {"by", "b"}},
                   json{{"op", "person_key_revoke"}, {"person", "p"}, {"key", 7}, {"by", "b"}},
                   json{{"op", "export_bundle"}, {"path", "relative.zip"}},
                   json{{"op", "form_publish"}, {"document", "{"}, {"project", "default"}}}) {
    auto r = RunAdminRequest(bad, target);
    EXPECT_FALSE(r.ok()) << bad.dump();
  }
  EXPECT_TRUE((*local)->store().ListUsers()->empty());
  EXPECT_TRUE((*local)->store().ListForms()->empty());
  EXPECT_FALSE(fs::exists("relative.zip"));
}

TEST_F(AdminControlTest, TheServersLogNamesTheRequestButNeverItsSecrets) {
  std::string d = DescribeAdminRequest({{"op", "user_password"}, {"name", "ada"}, {"password", "hunter22-secret"}});
  EXPECT_NE(d.find("ada"), std::string::npos);
  EXPECT_EQ(d.find("hunter22"), std::string::npos) << d;
  EXPECT_EQ(DescribeAdminRequest({{"op", "nonsense"}}), "an unknown request");
}

}  // namespace
}  // namespace dala::server
