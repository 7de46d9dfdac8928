// The server key at rest: sealed under a passphrase, from a descriptor,
// from systemd's credentials directory (admin.h LoadServerKeyFrom).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "admin.h"
#include "dala/base/hex.h"

namespace dala::server {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
  fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
}

std::function<Result<std::string>()> Passphrase(std::string p) {
  return [p]() -> Result<std::string> { return p; };
}

class AdminKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sync::InitCrypto().ok());
    ::unsetenv("CREDENTIALS_DIRECTORY");
    root_ = fs::temp_directory_path() / ("dala_key_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    data_ = Init("data");
    auto key = LoadServerKey(data_);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    public_key_ = key->public_key();
    plain_ = ReadAll(KeyFile());
  }
  void TearDown() override {
    ::unsetenv("CREDENTIALS_DIRECTORY");
    fs::remove_all(root_);
  }

  std::string Init(const std::string& name) {
    InitOptions o;
    o.data_dir = (root_ / name).string();
    EXPECT_TRUE(InitDataDir(o, random_, clock_).ok());
    return o.data_dir;
  }
  std::string KeyFile() const { return data_ + "/server.key"; }

  // A pipe holding `text`, its write end closed: what `serve --key-fd` reads.
  int PipeWith(const std::string& text) {
    int p[2];
    EXPECT_EQ(::pipe(p), 0);
    EXPECT_EQ(::write(p[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(p[1]);
    return p[0];
  }

  fs::path root_;
  std::string data_;
  std::string plain_;
  sync::PublicKey public_key_{};
  sync::SeededRandom random_{7};
  FakeClock clock_{1'700'000'000'000};
};

TEST_F(AdminKeyTest, ASealedKeyHoldsNoSeedAndOpensOnlyWithItsPassphrase) {
  ASSERT_TRUE(SealServerKey(data_, "steppe wind 2026", random_).ok());
  std::string sealed = ReadAll(KeyFile());
  EXPECT_EQ(sealed.rfind("dala-key-v1 ", 0), 0u) << sealed;
  EXPECT_EQ(sealed.find(plain_.substr(0, 64)), std::string::npos) << "the seed is not in the file";
  EXPECT_EQ(fs::status(KeyFile()).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);

  auto loaded = LoadServerKeyFrom(data_, {-1, Passphrase("steppe wind 2026")});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(loaded->sealed);
  EXPECT_EQ(loaded->key.public_key(), public_key_);
  auto wrong = LoadServerKeyFrom(data_, {-1, Passphrase("steppe wind 2025")});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), Status::Code::kUnauthenticated);
  EXPECT_NE(wrong.status().message().find("wrong passphrase"), std::string::npos) << wrong.status().message();
}

TEST_F(AdminKeyTest, UnsealingGivesBackThePlainKeyOnlyWithThePassphrase) {
  ASSERT_TRUE(SealServerKey(data_, "steppe wind 2026", random_).ok());
  std::string sealed = ReadAll(KeyFile());
  EXPECT_EQ(UnsealServerKey(data_, "not the passphrase").code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(ReadAll(KeyFile()), sealed) << "a refused unseal changes nothing";
  ASSERT_TRUE(UnsealServerKey(data_, "steppe wind 2026").ok());
  EXPECT_EQ(ReadAll(KeyFile()), plain_);
  EXPECT_EQ(UnsealServerKey(data_, "steppe wind 2026").code(), Status::Code::kFailedPrecondition);
}

TEST_F(AdminKeyTest, SealingTwiceOrUnderAShortPassphraseIsRefusedAndChangesNothing) {
  EXPECT_EQ(SealServerKey(data_, "short", random_).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ReadAll(KeyFile()), plain_);
  ASSERT_TRUE(SealServerKey(data_, "steppe wind 2026", random_).ok());
  std::string sealed = ReadAll(KeyFile());
  EXPECT_EQ(SealServerKey(data_, "another passphrase", random_).code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(ReadAll(KeyFile()), sealed);
}

TEST_F(AdminKeyTest, AGarbledSealedKeyIsCorruptionNotACrash) {
  Write(KeyFile(), "dala-key-v1 not base64 at all\n");
  auto r = LoadServerKeyFrom(data_, {-1, Passphrase("steppe wind 2026")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
}

TEST_F(AdminKeyTest, AKeyFromADescriptorIsReadThereAndTheDescriptorClosed) {
  fs::remove(KeyFile());  // so that nothing else could have supplied it
  int fd = PipeWith(plain_);
  auto loaded = LoadServerKeyFrom(data_, {fd, nullptr});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->key.public_key(), public_key_);
  EXPECT_NE(loaded->from.find("descriptor"), std::string::npos) << loaded->from;
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "closed after reading";
}

TEST_F(AdminKeyTest, ASealedKeyFromADescriptorAsksItsPassphrase) {
  ASSERT_TRUE(SealServerKey(data_, "steppe wind 2026", random_).ok());
  std::string sealed = ReadAll(KeyFile());
  fs::remove(KeyFile());
  auto loaded = LoadServerKeyFrom(data_, {PipeWith(sealed), Passphrase("steppe wind 2026")});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(loaded->sealed);
  EXPECT_EQ(loaded->key.public_key(), public_key_);
}

TEST_F(AdminKeyTest, AKeyFromSystemdsCredentialsDirectoryComesFirst) {
  fs::create_directories(root_ / "credentials");
  Write(root_ / "credentials" / "dala-server.key", plain_);
  Write(KeyFile(), "not a key\n");  // would fail if it were read
  ::setenv("CREDENTIALS_DIRECTORY", (root_ / "credentials").c_str(), 1);
  auto loaded = LoadServerKeyFrom(data_, {-1, nullptr});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->key.public_key(), public_key_);
  EXPECT_NE(loaded->from.find("credentials"), std::string::npos) << loaded->from;
}

TEST_F(AdminKeyTest, AnotherServersKeyIsRefusedWhereverItComesFrom) {
  std::string other = Init("other");
  std::string other_key = ReadAll(other + "/server.key");
  auto from_fd = LoadServerKeyFrom(data_, {PipeWith(other_key), nullptr});
  ASSERT_FALSE(from_fd.ok());
  EXPECT_NE(from_fd.status().message().find("another server"), std::string::npos) << from_fd.status().message();
  Write(KeyFile(), other_key);
  EXPECT_FALSE(LoadServerKey(data_).ok()) << "server.pub names the key this directory must hold";
}

TEST_F(AdminKeyTest, GarbageOnTheDescriptorIsRefused) {
  for (std::string bad : {std::string(), std::string("zz"), std::string(5000, 'a'), plain_.substr(0, 30)}) {
    auto r = LoadServerKeyFrom(data_, {PipeWith(bad.substr(0, 4000)), nullptr});
    EXPECT_FALSE(r.ok()) << bad.size();
  }
}

}  // namespace
}  // namespace dala::server
