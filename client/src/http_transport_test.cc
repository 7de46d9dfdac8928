#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dala/client/transport.h"
#include "transport_common.h"

namespace dala::client {
namespace {

TEST(RefusalDetailTest, ARefusedCertificateKeepsWhichCheckFailedAndNothingElseHasADetail) {
  using transport_internal::CannotReach;
  using transport_internal::RefusalDetail;
  const std::string url = "https://127.0.0.1:8443";
  Status refused = CannotReach("tls_refused", url, "", "OpenSSL verify error 26");
  EXPECT_EQ(RefusalDetail(refused), "OpenSSL verify error 26") << refused.message();
  EXPECT_EQ(RefusalDetail(CannotReach("tls_refused", url, "", "CertGetCertificateChain (error 0x80092004)")),
            "CertGetCertificateChain (error 0x80092004)");
  EXPECT_EQ(RefusalDetail(CannotReach("tls_refused", url, "")), "");
  // Other reasons, even with a detail, and look-alike statuses have none.
  EXPECT_EQ(RefusalDetail(CannotReach("unreachable", url, "", "Connection refused")), "");
  EXPECT_EQ(RefusalDetail(CannotReach("tls_untrusted", url, "")), "");
  EXPECT_EQ(RefusalDetail(Status(Status::Code::kUnavailable, "tls_refused", "refused (x)")), "");
  EXPECT_EQ(RefusalDetail(Status::Ok()), "");
}

TEST(LoopbackUrlTest, AddressesOfThisMachineAreLoopback) {
  for (const char* url : {"http://127.0.0.1:8443", "http://127.0.0.1", "http://127.1.2.3:80/api", "http://localhost:9",
                          "http://localhost", "http://[::1]:8443", "https://127.0.0.1/x?y"})
    EXPECT_TRUE(IsLoopbackUrl(url)) << url;
}

TEST(LoopbackUrlTest, LookalikesOfLoopbackAreNot) {
  for (const char* url : {"http://127.0.0.1.evil.example:80", "http://localhost.example.kz", "http://128.0.0.1",
                          "http://127.0.0.256", "http://127.0.0", "http://127.0.0.1@evil.example",
                          "http://[::1].example", "http://dala.example.kz", "http://10.0.0.5:8443", "127.0.0.1",
                          "http://", "http://[::1", "http://127..0.1"})
    EXPECT_FALSE(IsLoopbackUrl(url)) << url;
}

TEST(PlainHttpTest, UnencryptedServerElsewhereIsRefusedWithoutConnecting) {
  auto t = MakeHttpTransport("http://dala.example.kz:8443");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(t.status().message().find("https://"), std::string::npos) << t.status().message();
  EXPECT_NE(t.status().message().find("--allow-http"), std::string::npos) << t.status().message();
}

TEST(PlainHttpTest, UnencryptedServerElsewhereIsAllowedWhenAskedFor) {
  HttpTransportOptions options;
  options.allow_plain_http = true;
  EXPECT_TRUE(MakeHttpTransport("http://dala.example.kz:8443", options).ok());
}

TEST(PlainHttpTest, ThisMachineAndHttpsNeedNoPermission) {
  EXPECT_TRUE(MakeHttpTransport("http://127.0.0.1:8443").ok());
  EXPECT_TRUE(MakeHttpTransport("https://dala.example.kz").ok());
}

TEST(PlainHttpTest, AddressWithoutAKnownSchemeIsRefused) {
  auto t = MakeHttpTransport("ftp://dala.example.kz");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("http:// or https://"), std::string::npos);
}

// A plain HTTP server on 127.0.0.1 port 0 for the transport to talk to:
// both builds (cpp-httplib on Linux, WinHTTP on Windows) must pass these.
class LoopbackServer {
 public:
  LoopbackServer() {
    server_.Get("/teapot", [](const httplib::Request&, httplib::Response& res) {
      res.status = 418;
      res.set_header("X-Dala-Test", "kept");
      res.set_content("short and stout", "text/plain; charset=utf-8");
    });
    server_.Get("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.target, "text/plain");
    });
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.get_header_value("Content-Type") + "|" + req.get_header_value("X-Device") + "|" + req.body,
                      "application/octet-stream");
    });
    // WinHTTP (Wine) keeps idle connections pooled after its handles close;
    // stop() waits for them to time out.
    server_.set_keep_alive_timeout(1);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LoopbackServer() { Stop(); }
  void Stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(HttpTransportTest, ErrorStatusIsAResponseWithItsHeadersAndBody) {
  LoopbackServer server;
  auto t = MakeHttpTransport(server.url());
  ASSERT_TRUE(t.ok()) << t.status().message();
  auto r = (*t)->Send({"GET", "/teapot", "", "", {}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 418);
  EXPECT_EQ(r->body, "short and stout");
  EXPECT_EQ(r->content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r->Header("x-dala-test"), "kept");
}

TEST(HttpTransportTest, TargetGoesOutExactlyAsSignedWithoutReencoding) {
  LoopbackServer server;
  auto t = MakeHttpTransport(server.url());
  ASSERT_TRUE(t.ok()) << t.status().message();
  const std::string target = "/echo?after=%2Fx%2B&name=a+b&raw=%41";
  auto r = (*t)->Send({"GET", target, "", "", {}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, target);
}

TEST(HttpTransportTest, PostBodyAndHeadersArriveWholeOverOneKeptConnection) {
  LoopbackServer server;
  auto t = MakeHttpTransport(server.url());
  ASSERT_TRUE(t.ok()) << t.status().message();
  std::string body(300000, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7);
  for (int round = 0; round < 3; ++round) {
    auto r = (*t)->Send({"POST", "/echo", "application/x-dala", body, {{"X-Device", "dev-1"}}});
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "application/x-dala|dev-1|" + body);
  }
}

TEST(HttpTransportTest, ClosedPortIsUnreachable) {
  LoopbackServer server;
  const std::string url = server.url();
  server.Stop();
  HttpTransportOptions options;
  options.connect_timeout_seconds = 5;
  auto t = MakeHttpTransport(url, options);
  ASSERT_TRUE(t.ok()) << t.status().message();
  auto r = (*t)->Send({"GET", "/api/v1/health", "", "", {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(r.status().reason(), "unreachable") << r.status().message();
  EXPECT_NE(r.status().message().find("cannot reach the server"), std::string::npos) << r.status().message();
}

#ifdef _WIN32
// The private CA is read before anything is sent: a file that is not a PEM
// certificate, or no file at all, is named, and no connection is tried.
class WindowsCaFileTest : public ::testing::Test {
 protected:
  Status SendWithCa(const std::string& ca_file) {
    HttpTransportOptions options;
    options.ca_file = ca_file;
    auto t = MakeHttpTransport("https://127.0.0.1:9", options);
    if (!t.ok()) return t.status();
    auto r = (*t)->Send({"GET", "/api/v1/health", "", "", {}});
    return r.ok() ? Status::Ok() : r.status();
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::filesystem::path path = std::filesystem::temp_directory_path() / ("dala-transport-test-" + name);
    std::ofstream(path, std::ios::binary) << text;
    files_.push_back(path);
    return path.string();
  }
  void TearDown() override {
    for (const auto& f : files_) std::filesystem::remove(f);
  }
  std::vector<std::filesystem::path> files_;
};

TEST_F(WindowsCaFileTest, MissingCaFileIsUnreadable) {
  Status s = SendWithCa((std::filesystem::temp_directory_path() / "dala-no-such-ca.pem").string());
  EXPECT_EQ(s.reason(), "tls_ca_unreadable") << s.message();
  EXPECT_NE(s.message().find("dala-no-such-ca.pem"), std::string::npos) << s.message();
}

TEST_F(WindowsCaFileTest, CaFileThatIsNotPemIsUnreadable) {
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"empty.pem", ""},
           {"words.pem", "this is not a certificate\n"},
           {"bad-base64.pem", "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"},
           {"not-der.pem", "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n"}}) {
    Status s = SendWithCa(Write(name, text));
    EXPECT_EQ(s.code(), Status::Code::kUnavailable) << name;
    EXPECT_EQ(s.reason(), "tls_ca_unreadable") << name << ": " << s.message();
  }
}

TEST(WindowsTransportTest, TargetOutsidePrintableAsciiIsRefusedNotReencoded) {
  auto t = MakeHttpTransport("http://127.0.0.1:9");
  ASSERT_TRUE(t.ok());
  auto r = (*t)->Send({"GET", "/api/v1/forms/\xd0\xb4\xd0\xb0", "", "", {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << r.status().message();
}
#endif

}  // namespace
}  // namespace dala::client
