// End-to-end: `dala-server serve --config FILE`, the settings file the
// packaged service reads (packaging/deb/dala-server.conf). The file's
// values are used, the command line wins over them, and a file with a key
// or value the server does not know stops it with one line naming the
// file, before anything is opened.

#include <gtest/gtest.h>
#include <httplib.h>

#include <string>
#include <vector>

#include "e2e_util.h"

namespace dala::e2e {
namespace {

class ServerConfigE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_ / "server";
    ASSERT_EQ(Server({"init", "--data", data_}).exit_code, 0);
  }

  CommandResult Server(std::vector<std::string> args) {
    args.insert(args.begin(), ServerBinary());
    return RunCommand(args, {}, "", 30);
  }

  std::string Config(const std::string& text) {
    std::string path = dir_ / "dala-server.conf";
    WriteFile(path, text);
    return path;
  }

  // A refused file: exit 2, one line that names the file and `what`.
  void ExpectRefused(const std::string& text, const std::string& what) {
    std::string path = Config(text);
    auto r = Server({"serve", "--config", path});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }

  TempDir dir_;
  std::string data_;
};

TEST_F(ServerConfigE2ETest, ServeTakesTheDataDirectoryFromTheFile) {
  std::string missing = dir_ / "not-initialised";
  auto r = Server({"serve", "--config", Config("[serve]\ndata = \"" + missing + "\"\n")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no Dala server data in " + missing), std::string::npos) << r.err;
}

TEST_F(ServerConfigE2ETest, TheCommandLineWinsOverTheFileAndTheFilesOtherSettingsStillApply) {
  // ServerProcess gives --data, --listen and --port-file; the file's
  // unusable data directory and address must lose to them, and its
  // access-log must still be taken.
  std::string config = Config("[serve]\ndata = \"" + dir_ / "elsewhere" +
                              "\"\nlisten = \"256.0.0.1:1\"\naccess-log = true\n");
  ServerProcess server(data_, {"--config", config});
  ASSERT_TRUE(server.ok()) << ReadFile(server.log_path());
  httplib::Client http("127.0.0.1", server.port());
  auto res = http.Get("/api/v1/health");
  ASSERT_TRUE(res);
  server.Stop();
  EXPECT_NE(ReadFile(server.log_path()).find(" GET /api/v1/health " + std::to_string(res->status)), std::string::npos)
      << ReadFile(server.log_path());
}

TEST_F(ServerConfigE2ETest, ThePackagedFileHasOnlyKeysTheServerKnows) {
  ServerProcess server(data_, {"--config", std::string(DALA_SOURCE_DIR) + "/packaging/deb/dala-server.conf"});
  EXPECT_TRUE(server.ok()) << ReadFile(server.log_path());
}

TEST_F(ServerConfigE2ETest, AMisspeltKeyIsRefusedNotIgnored) {
  // tls-kye ignored would have served plain HTTP.
  ExpectRefused("[serve]\ndata = \"" + data_ + "\"\ntls-cert = \"c.pem\"\ntls-kye = \"k.pem\"\n",
                "unknown setting `tls-kye` in [serve]");
}

TEST_F(ServerConfigE2ETest, AKeyOutsideAnySectionIsRefusedSayingWhereItGoes) {
  ExpectRefused("data = \"" + data_ + "\"\n", "such as [serve]");
}

TEST_F(ServerConfigE2ETest, ASectionNamingNoCommandIsRefused) {
  ExpectRefused("[server]\ndata = \"" + data_ + "\"\n", "no command `server`");
}

TEST_F(ServerConfigE2ETest, AValueOfTheWrongKindIsRefusedNamingTheOption) {
  ExpectRefused("[serve]\ndata = \"" + data_ + "\"\nkey-fd = \"three\"\n", "--key-fd");
  ExpectRefused("[serve]\ndata = \"" + data_ + "\"\naccess-log = maybe\n", "--access-log");
}

TEST_F(ServerConfigE2ETest, AMissingFileIsRefusedRatherThanServingWithoutIt) {
  std::string missing = dir_ / "nowhere.conf";
  auto r = Server({"serve", "--data", data_, "--config", missing});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dala::e2e
