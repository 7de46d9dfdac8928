#include "admin.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "dala/server/sqlite_store.h"
#include "dala/sync/checkpoint.h"
#include "server_context.h"

namespace dala::server {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNow = 1'700'000'000'000;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

unsigned Mode(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

// Every file under `dir` with its bytes.
std::map<std::string, std::string> Snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out[e.path().string()] = ReadAll(e.path());
  return out;
}

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sync::InitCrypto().ok());
    root_ = fs::temp_directory_path() / ("dala_admin_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    data_ = (root_ / "data").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  Result<InitResult> Init(InitOptions o = {}) {
    if (o.data_dir.empty()) o.data_dir = data_;
    return InitDataDir(o, random_, clock_);
  }

  fs::path root_;
  std::string data_;
  sync::SeededRandom random_{5};
  FakeClock clock_{kNow};
};

TEST_F(AdminTest, InitCreatesDatabaseKeyAndPublicFiles) {
  InitOptions o;
  o.project = "elections";
  o.title = "Сайлау 2025";
  o.origin = "dala.example.org/log";
  auto r = Init(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Mode(data_), 0700u);
  EXPECT_EQ(Mode(data_ + "/server.key"), 0600u);
  EXPECT_EQ(Mode(data_ + "/dala-server.db"), 0600u);
  EXPECT_TRUE(fs::exists(data_ + "/server.pub"));

  std::string key_text = ReadAll(data_ + "/server.key");
  ASSERT_EQ(key_text.size(), 65u);
  EXPECT_EQ(key_text.back(), '\n');

  auto key = LoadServerKey(data_);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->public_key(), r->public_key);

  EXPECT_EQ(ReadAll(data_ + "/server.pub"), r->verifier_key + "\n");
  auto parsed = sync::ParseVerifierKey(r->verifier_key);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->first, "dala.example.org/log");
  EXPECT_EQ(parsed->second, r->public_key);

  auto origin = LoadOrigin(data_);
  ASSERT_TRUE(origin.ok());
  EXPECT_EQ(*origin, "dala.example.org/log");

  auto store = OpenSqliteStore(data_, false);
  ASSERT_TRUE(store.ok());
  auto projects = (*store)->ListProjects();
  ASSERT_TRUE(projects.ok());
  ASSERT_EQ(projects->size(), 1u);
  EXPECT_EQ((*projects)[0].name, "elections");
  EXPECT_EQ((*projects)[0].title, "Сайлау 2025");
  EXPECT_EQ((*projects)[0].created_ms, kNow);
}

TEST_F(AdminTest, InitDefaultsToProjectDefaultAndTheDefaultOrigin) {
  auto r = Init();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->origin, ServerConfig{}.origin);
  auto store = OpenSqliteStore(data_, false);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*(*store)->ListProjects())[0].name, "default");
}

TEST_F(AdminTest, InitTwiceRefusesAndLeavesFilesUntouched) {
  ASSERT_TRUE(Init().ok());
  auto before = Snapshot(data_);
  auto again = Init();
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(Snapshot(data_), before);
  EXPECT_EQ(Mode(data_ + "/server.key"), 0600u);
}

TEST_F(AdminTest, InitIntoANonEmptyDirectoryChangesNothing) {
  fs::create_directories(data_);
  std::ofstream(data_ + "/notes.txt") << "mine";
  ::chmod(data_.c_str(), 0755);
  EXPECT_EQ(Init().status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(fs::directory_iterator(data_)->path().filename(), "notes.txt");
  EXPECT_EQ(std::distance(fs::directory_iterator(data_), fs::directory_iterator()), 1);
  EXPECT_EQ(Mode(data_), 0755u);
}

TEST_F(AdminTest, InitIntoAnEmptyDirectoryWorks) {
  fs::create_directories(data_);
  ASSERT_TRUE(Init().ok());
  EXPECT_EQ(Mode(data_), 0700u);
}

TEST_F(AdminTest, InitOnAFileRefuses) {
  std::ofstream(data_) << "x";
  EXPECT_EQ(Init().status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(ReadAll(data_), "x");
}

TEST_F(AdminTest, InitWithBadInputCreatesNothing) {
  InitOptions bad_project;
  bad_project.project = "has space";
  InitOptions bad_origin;
  bad_origin.origin = "with+plus";
  InitOptions spaced_origin;
  spaced_origin.origin = "a b";
  InitOptions bad_title;
  bad_title.title = "two\nlines";
  for (const InitOptions& o : {bad_project, bad_origin, spaced_origin, bad_title}) {
    EXPECT_EQ(Init(o).status().code(), Status::Code::kInvalidArgument);
    EXPECT_FALSE(fs::exists(data_));
  }
}

TEST_F(AdminTest, InitCreatesTheParentDirectoriesItLacks) {
  InitOptions o;
  o.data_dir = (root_ / "srv" / "ngo" / "dala").string();
  auto r = Init(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Mode(root_ / "srv"), 0755u);
  EXPECT_EQ(Mode(root_ / "srv" / "ngo"), 0755u);
  EXPECT_EQ(Mode(o.data_dir), 0700u);
  EXPECT_TRUE(LoadServerKey(o.data_dir).ok());
}

TEST_F(AdminTest, InitUnderAFileFailsAndCreatesNothing) {
  { std::ofstream(root_ / "a-file") << "x"; }
  InitOptions o;
  o.data_dir = (root_ / "a-file" / "sub" / "data").string();
  auto r = Init(o);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("a-file"), std::string::npos) << r.status().message();
  EXPECT_EQ(ReadAll(root_ / "a-file"), "x");
}

TEST_F(AdminTest, LoadServerKeyRefusesAKeyOthersCanRead) {
  ASSERT_TRUE(Init().ok());
  ::chmod((data_ + "/server.key").c_str(), 0644);
  auto key = LoadServerKey(data_);
  EXPECT_EQ(key.status().code(), Status::Code::kPermissionDenied);
  EXPECT_NE(key.status().message().find("chmod 600"), std::string::npos) << key.status().message();
  EXPECT_NE(key.status().message().find("0644"), std::string::npos);
  ::chmod((data_ + "/server.key").c_str(), 0640);
  EXPECT_EQ(LoadServerKey(data_).status().code(), Status::Code::kPermissionDenied);
}

TEST_F(AdminTest, LoadServerKeyRefusesAMissingKey) {
  EXPECT_EQ(LoadServerKey(data_).status().code(), Status::Code::kNotFound);
}

TEST_F(AdminTest, LoadServerKeyRefusesAGarbledKey) {
  ASSERT_TRUE(Init().ok());
  std::string path = data_ + "/server.key";
  for (std::string content : {std::string("zz\n"), std::string(63, 'a') + "\n", std::string(64, 'g'), std::string()}) {
    fs::remove(path);
    { std::ofstream(path) << content; }
    ::chmod(path.c_str(), 0600);
    EXPECT_EQ(LoadServerKey(data_).status().code(), Status::Code::kCorruption) << content;
  }
  fs::remove(path);
  { std::ofstream(path) << std::string(100000, 'a'); }
  ::chmod(path.c_str(), 0600);
  EXPECT_FALSE(LoadServerKey(data_).ok());
}

TEST_F(AdminTest, LoadServerKeyRefusesASymlink) {
  ASSERT_TRUE(Init().ok());
  fs::rename(data_ + "/server.key", root_ / "elsewhere.key");
  fs::create_symlink(root_ / "elsewhere.key", data_ + "/server.key");
  EXPECT_FALSE(LoadServerKey(data_).ok());
}

TEST_F(AdminTest, LoadOriginRefusesAGarbledOrigin) {
  ASSERT_TRUE(Init().ok());
  fs::remove(data_ + "/origin");
  std::ofstream(data_ + "/origin") << "two words\n";
  EXPECT_EQ(LoadOrigin(data_).status().code(), Status::Code::kCorruption);
  fs::remove(data_ + "/origin");
  EXPECT_EQ(LoadOrigin(data_).status().code(), Status::Code::kNotFound);
}

TEST_F(AdminTest, EnrollCodeHasThreeGroupsOfFourFromTheAlphabet) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string code = GenerateEnrollCode(random_);
    ASSERT_EQ(code.size(), 14u) << code;
    EXPECT_EQ(code[4], '-');
    EXPECT_EQ(code[9], '-');
    for (size_t j = 0; j < code.size(); ++j) {
      if (j == 4 || j == 9) continue;
      EXPECT_NE(sync::kEnrollCodeAlphabet.find(code[j]), std::string_view::npos) << code;
    }
    seen.insert(code);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST_F(AdminTest, EnrollCodeUsesEveryCharacterOfTheAlphabet) {
  std::set<char> used;
  for (int i = 0; i < 300; ++i)
    for (char c : GenerateEnrollCode(random_))
      if (c != '-') used.insert(c);
  EXPECT_EQ(used.size(), sync::kEnrollCodeAlphabet.size());
}

TEST_F(AdminTest, NormalizeAcceptsLowerCaseAndMissingDashes) {
  EXPECT_EQ(sync::NormalizeEnrollCode("K7MX-Q4TR-P2NW"), "K7MXQ4TRP2NW");
  EXPECT_EQ(sync::NormalizeEnrollCode("k7mx-q4tr-p2nw"), "K7MXQ4TRP2NW");
  EXPECT_EQ(sync::NormalizeEnrollCode("k7mxq4trp2nw"), "K7MXQ4TRP2NW");
  EXPECT_EQ(sync::NormalizeEnrollCode("K7MX Q4TR P2NW"), "K7MXQ4TRP2NW");
  EXPECT_EQ(EnrollCodeHash(sync::NormalizeEnrollCode("k7mx-q4tr-p2nw")),
            EnrollCodeHash(sync::NormalizeEnrollCode("K7MXQ4TRP2NW")));
}

TEST_F(AdminTest, NormalizeRefusesWhatCannotBeACode) {
  for (const char* bad : {"", "K7MX-Q4TR", "K7MX-Q4TR-P2NW-AAAA", "K7MX-Q4TR-P2N0", "K7MX-Q4TR-P2NI",
                          "K7MX_Q4TR_P2NW", "К7MX-Q4TR-P2NW", "K7MX-Q4TR-P2N\n"})
    EXPECT_EQ(sync::NormalizeEnrollCode(bad), "") << bad;
  EXPECT_EQ(sync::NormalizeEnrollCode(std::string(1000, '-') + "K7MXQ4TRP2NW"), "");
}

TEST_F(AdminTest, IssuedCodeIsStoredAsTheHashOfItsNormalForm) {
  ASSERT_TRUE(Init().ok());
  auto store = OpenSqliteStore(data_, false);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->AddUser("vera", Role::kVolunteer, "", kNow).ok());
  auto issued = IssueEnrollCode(**store, "vera", 72, "cli", random_, clock_);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_EQ(issued->expires_ms, kNow + 72 * 3600 * 1000);
  std::string lower = issued->code;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto consumed = (*store)->ConsumeEnrollCode(EnrollCodeHash(sync::NormalizeEnrollCode(lower)), kNow + 1);
  ASSERT_TRUE(consumed.ok());
  EXPECT_EQ(consumed->volunteer, "vera");
  EXPECT_EQ(consumed->created_by, "cli");
}

TEST_F(AdminTest, IssueEnrollCodeRefusesNonVolunteersAndBadTtl) {
  ASSERT_TRUE(Init().ok());
  auto store = OpenSqliteStore(data_, false);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->AddUser("cora", Role::kCoordinator, "h", kNow).ok());
  ASSERT_TRUE((*store)->AddUser("vera", Role::kVolunteer, "", kNow).ok());
  EXPECT_EQ(IssueEnrollCode(**store, "ghost", 72, "cli", random_, clock_).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(IssueEnrollCode(**store, "cora", 72, "cli", random_, clock_).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(IssueEnrollCode(**store, "vera", 0, "cli", random_, clock_).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(IssueEnrollCode(**store, "vera", 721, "cli", random_, clock_).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(AdminTest, AddUserWithABadRoleFailsClearly) {
  ASSERT_TRUE(Init().ok());
  auto store = OpenSqliteStore(data_, false);
  ASSERT_TRUE(store.ok());
  auto u = AddUserAccount(**store, "alma", "superuser", "long enough pw", clock_);
  EXPECT_EQ(u.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(u.status().message().find("superuser"), std::string::npos);
  EXPECT_NE(u.status().message().find("coordinator"), std::string::npos);  // says what is allowed
  EXPECT_FALSE((*store)->FindUser("alma")->has_value());
}

TEST_F(AdminTest, AddUserNeedsAGoodPasswordExceptForVolunteers) {
  ASSERT_TRUE(Init().ok());
  auto store = OpenSqliteStore(data_, false);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(AddUserAccount(**store, "alma", "admin", "", clock_).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(AddUserAccount(**store, "alma", "admin", "short", clock_).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(AddUserAccount(**store, "bad name", "volunteer", "", clock_).status().code(),
            Status::Code::kInvalidArgument);
  auto v = AddUserAccount(**store, "vera", "volunteer", "ignored password", clock_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->password_hash, "");
  auto a = AddUserAccount(**store, "alma", "admin", "long enough pw", clock_);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(sync::CheckPassword(a->password_hash, "long enough pw"));
  EXPECT_EQ(AddUserAccount(**store, "alma", "auditor", "long enough pw", clock_).status().code(),
            Status::Code::kAlreadyExists);
}

TEST_F(AdminTest, UserAddCommandWithABadRoleIsAUsageError) {
  ASSERT_TRUE(Init().ok());
  testing::internal::CaptureStderr();
  int code = UserAddCommand(data_, "alma", "superuser");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, kExitUsage);
  EXPECT_EQ(err.rfind("dala-server: ", 0), 0u) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
}

TEST_F(AdminTest, UserAddCommandTakesThePasswordFromTheEnvironment) {
  ASSERT_TRUE(Init().ok());
  ::setenv("DALA_PASSWORD", "from the environment", 1);
  testing::internal::CaptureStdout();
  int code = UserAddCommand(data_, "alma", "admin");
  testing::internal::GetCapturedStdout();
  ::unsetenv("DALA_PASSWORD");
  ASSERT_EQ(code, kExitOk);
  auto store = OpenSqliteStore(data_, false);
  EXPECT_TRUE(sync::CheckPassword((*(*store)->FindUser("alma"))->password_hash, "from the environment"));
}

TEST_F(AdminTest, CommandsOnAMissingDataDirFailWithOneLine) {
  testing::internal::CaptureStderr();
  int code = UserListCommand((root_ / "nothing").string());
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, kExitFailure);
  EXPECT_EQ(err.rfind("dala-server: ", 0), 0u) << err;
  EXPECT_FALSE(fs::exists(root_ / "nothing"));
}

TEST_F(AdminTest, ListenAddressesParse) {
  auto a = ParseListenAddress("127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 8080);
  auto v6 = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 0);
  for (const char* bad : {"", "8080", ":8080", "host:", "host:65536", "host:-1", "host:80a", "::1:80", "[::1:80",
                          "[]:80", "host:123456"})
    EXPECT_EQ(ParseListenAddress(bad).status().code(), Status::Code::kInvalidArgument) << bad;
}

}  // namespace
}  // namespace dala::server
