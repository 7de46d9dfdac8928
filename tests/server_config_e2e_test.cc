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

// --- behind a reverse proxy (server/src/client_address.h) -----------------------------------

TEST_F(ServerConfigE2ETest, AMalformedTrustedProxyIsRefusedAtStart) {
  auto r = Server({"serve", "--data", data_, "--listen", "127.0.0.1:0", "--trusted-proxy", "10.0.0.1",
                   "--trusted-proxy", "10.0.0.300"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--trusted-proxy: a trusted proxy is an IP address"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'10.0.0.300'"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_EQ(r.err.find("listening"), std::string::npos) << r.err;
  ExpectRefused("[serve]\ndata = \"" + data_ + "\"\nlisten = \"127.0.0.1:0\"\ntrusted-proxy = [\"nginx.internal\"]\n",
                "'nginx.internal'");
}

// The client as the access log names it: "203.0.113.7 via 127.0.0.1" once
// 127.0.0.1 is trusted, "127.0.0.1" alone otherwise.
std::string LoggedClient(ServerProcess& server) {
  httplib::Client http("127.0.0.1", server.port());
  auto res = http.Get("/api/v1/health", {{"X-Forwarded-For", "198.51.100.9, 203.0.113.7"}});
  server.Stop();
  std::string log = ReadFile(server.log_path());  // appended to by every server on this data directory
  size_t at = log.rfind(" GET /api/v1/health ");
  if (!res || at == std::string::npos) return "<no request logged: " + log + ">";
  size_t start = log.rfind("dala-server: ", at);
  return start == std::string::npos ? log : log.substr(start + 13, at - start - 13);
}

TEST_F(ServerConfigE2ETest, TrustedProxiesComeFromTheFile) {
  ServerProcess server(data_, {"--config", Config("[serve]\ntrusted-proxy = [\"10.0.0.2\", \"127.0.0.1\"]\n"
                                                  "access-log = true\n")});
  ASSERT_TRUE(server.ok()) << ReadFile(server.log_path());
  EXPECT_EQ(LoggedClient(server), "203.0.113.7 via 127.0.0.1");
}

TEST_F(ServerConfigE2ETest, TrustedProxyRepeatsOnTheCommandLineAndReplacesTheFilesList) {
  std::string config = Config("[serve]\ntrusted-proxy = \"127.0.0.1\"\naccess-log = true\n");
  ServerProcess replaced(data_, {"--config", config, "--trusted-proxy", "10.0.0.2"});
  ASSERT_TRUE(replaced.ok()) << ReadFile(replaced.log_path());
  EXPECT_EQ(LoggedClient(replaced), "127.0.0.1");
  ServerProcess repeated(data_, {"--access-log", "--trusted-proxy", "10.0.0.2", "--trusted-proxy", "127.0.0.1"});
  ASSERT_TRUE(repeated.ok()) << ReadFile(repeated.log_path());
  EXPECT_EQ(LoggedClient(repeated), "203.0.113.7 via 127.0.0.1");
}

}  // namespace
}  // namespace dala::e2e
