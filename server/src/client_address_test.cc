#include "client_address.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "api_test_util.h"
#include "http_edge.h"

namespace dala::server {
namespace {

TrustedProxies Trust(std::vector<std::string> entries) {
  auto t = TrustedProxies::Parse(entries);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : TrustedProxies();
}

// --- addresses -----------------------------------------------------------------------------

TEST(CanonicalIpTest, AddressesComeBackInOneSpelling) {
  EXPECT_EQ(CanonicalIp("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(CanonicalIp("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  EXPECT_EQ(CanonicalIp("::1"), "::1");
  // How a dual-stack listener sees an IPv4 client: the same client.
  EXPECT_EQ(CanonicalIp("::ffff:203.0.113.7"), "203.0.113.7");
}

TEST(CanonicalIpTest, AnythingButOneBareAddressIsRefused) {
  for (const char* bad : {"", " 203.0.113.7", "203.0.113.7 ", "203.0.113.7:443", "[2001:db8::1]", "[2001:db8::1]:443",
                          "fe80::1%eth0", "203.0.113", "203.0.113.256", "0x7f.0.0.1", "localhost", "unknown",
                          "203.0.113.7,198.51.100.1", "2001:db8::1::2", "1.2.3.4/32"}) {
    EXPECT_FALSE(CanonicalIp(bad).has_value()) << bad;
  }
  EXPECT_FALSE(CanonicalIp(std::string(100, '1')).has_value());
  EXPECT_FALSE(CanonicalIp(std::string_view("1.2.3.4\0", 8)).has_value());
}

// --- the trusted proxies ----------------------------------------------------------------------

TEST(TrustedProxiesTest, AMalformedEntryIsRefusedByName) {
  for (const char* bad : {"", "10.0.0", "proxy.internal", "10.0.0.1:80", "[fd00::1]", "10.0.0.0/", "10.0.0.0/33",
                          "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/x", "fd00::/129", "fd00::/1000", " 10.0.0.1",
                          "10.0.0.1,10.0.0.2"}) {
    auto t = TrustedProxies::Parse({"10.0.0.9", bad});
    ASSERT_FALSE(t.ok()) << "'" << bad << "' was taken";
    EXPECT_EQ(t.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(t.status().message().find("'" + std::string(bad) + "'"), std::string::npos) << t.status().message();
    EXPECT_NE(t.status().message().find("trusted proxy"), std::string::npos) << t.status().message();
  }
}

TEST(TrustedProxiesTest, NoneTrustsNoOne) {
  TrustedProxies none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.Contains("127.0.0.1"));
  EXPECT_TRUE(Trust({}).empty());
}

TEST(TrustedProxiesTest, AnAddressTrustsThatAddressOnly) {
  TrustedProxies t = Trust({"10.0.0.2", "fd00::2"});
  EXPECT_TRUE(t.Contains("10.0.0.2"));
  EXPECT_TRUE(t.Contains("::ffff:10.0.0.2"));
  EXPECT_TRUE(t.Contains("fd00::2"));
  EXPECT_TRUE(t.Contains("fd00:0::2"));
  for (const char* other : {"10.0.0.3", "10.0.0.20", "fd00::3", "::2", "", "garbage", "10.0.0.2:80"})
    EXPECT_FALSE(t.Contains(other)) << other;
}

TEST(TrustedProxiesTest, ABlockTrustsItsAddressesAndNoOthers) {
  TrustedProxies t = Trust({"10.1.2.0/23", "fd00:ab::/33", "::ffff:192.0.2.0/120"});
  EXPECT_TRUE(t.Contains("10.1.2.0"));
  EXPECT_TRUE(t.Contains("10.1.3.255"));
  EXPECT_FALSE(t.Contains("10.1.4.0"));
  EXPECT_FALSE(t.Contains("10.1.1.255"));
  EXPECT_TRUE(t.Contains("fd00:ab:7fff::1"));
  EXPECT_FALSE(t.Contains("fd00:ab:8000::1"));
  EXPECT_TRUE(t.Contains("192.0.2.77"));  // a mapped block is its IPv4 block
  EXPECT_FALSE(t.Contains("192.0.3.1"));
  EXPECT_TRUE(Trust({"0.0.0.0/0"}).Contains("198.51.100.1"));
  EXPECT_FALSE(Trust({"0.0.0.0/0"}).Contains("2001:db8::1"));
}

// --- whose request it is ------------------------------------------------------------------

TEST(ClientAddressTest, AnUntrustedPeersXForwardedForIsIgnored) {
  EXPECT_EQ(ClientAddress("198.51.100.1", "203.0.113.7", Trust({"10.0.0.2"})), "198.51.100.1");
  EXPECT_EQ(ClientAddress("198.51.100.1", "203.0.113.7", TrustedProxies()), "198.51.100.1");
}

TEST(ClientAddressTest, TheEntryTheTrustedProxyAppendedWinsOverSpoofedOnes) {
  TrustedProxies t = Trust({"10.0.0.2"});
  EXPECT_EQ(ClientAddress("10.0.0.2", "203.0.113.7", t), "203.0.113.7");
  EXPECT_EQ(ClientAddress("10.0.0.2", "127.0.0.1, 10.0.0.1,  203.0.113.7\t", t), "203.0.113.7");
  EXPECT_EQ(ClientAddress("10.0.0.2", "2001:DB8::7", t), "2001:db8::7");
}

TEST(ClientAddressTest, AMalformedOrEmptyLastEntryLeavesTheProxysAddress) {
  TrustedProxies t = Trust({"10.0.0.2"});
  for (const char* xff : {"", " ", ",", "203.0.113.7,", "203.0.113.7, unknown", "203.0.113.7:5000", "[::1]",
                          "203.0.113.7 198.51.100.1", "_hidden"})
    EXPECT_EQ(ClientAddress("10.0.0.2", xff, t), "10.0.0.2") << "'" << xff << "'";
}

TEST(ForwardedOverTlsTest, OnlyATrustedProxySaysTheClientUsedTls) {
  TrustedProxies t = Trust({"10.0.0.2"});
  EXPECT_TRUE(ForwardedOverTls("10.0.0.2", "https", t));
  EXPECT_TRUE(ForwardedOverTls("10.0.0.2", "http, HTTPS ", t));
  EXPECT_FALSE(ForwardedOverTls("198.51.100.1", "https", t));
  EXPECT_FALSE(ForwardedOverTls("198.51.100.1", "https", TrustedProxies()));
  for (const char* no : {"", "http", "https, http", "httpsx", "https:", "wss"})
    EXPECT_FALSE(ForwardedOverTls("10.0.0.2", no, t)) << no;
}

// --- the login throttle, behind a proxy or not ---------------------------------------------

// The whole server over loopback, its Api on a real store: the address the
// login throttle sees is the one the edge gives the request.
class LoginBehindProxyTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> trusted) {
    world_ = std::make_unique<testing::ApiWorld>(1'700'000'000'000, 7);
    Status s = world_->Open(testing::ScratchDirectory("client_address_test"), testing::PasswordHash());
    ASSERT_TRUE(s.ok()) << s.ToString();
    EdgeOptions options;
    options.trusted_proxies = Trust(std::move(trusted));
    server_ = std::make_unique<HttpServer>(world_->ctx_->config, world_->router_, options);
    s = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(s.ok()) << s.ToString();
    runner_ = std::thread([this] { server_->Run(); });
    ASSERT_TRUE(server_->WaitUntilReady());
  }

  void TearDown() override {
    if (server_) server_->Stop();
    if (runner_.joinable()) runner_.join();
    server_.reset();
    world_.reset();
  }

  // A wrong password for cora, sent from 127.0.0.1 with this
  // X-Forwarded-For; the answer's status (401 refused, 429 throttled).
  int FailedLogin(const std::string& xff) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    httplib::Headers headers;
    if (!xff.empty()) headers.emplace("X-Forwarded-For", xff);
    auto res = c.Post("/api/v1/login", headers,
                      nlohmann::json{{"username", "cora"}, {"password", "not the password"}}.dump(),
                      "application/json");
    return res ? res->status : -1;
  }

  std::unique_ptr<testing::ApiWorld> world_;
  std::unique_ptr<HttpServer> server_;
  std::thread runner_;
};

// ThrottlePolicy's default: three failures free, then a delay (the fake
// clock never moves, so it does not run out during the test).
constexpr int kFreeFailures = 3;

TEST_F(LoginBehindProxyTest, AnUntrustedPeerCannotDodgeTheThrottleByVaryingXForwardedFor) {
  Start({"127.0.0.2"});
  for (int i = 0; i < kFreeFailures; ++i) EXPECT_EQ(FailedLogin("203.0.113." + std::to_string(i + 1)), 401) << i;
  EXPECT_EQ(FailedLogin("203.0.113.99"), 429);
  EXPECT_EQ(FailedLogin(""), 429);
}

TEST_F(LoginBehindProxyTest, BehindATrustedProxyEachClientIsThrottledOnItsOwn) {
  Start({"127.0.0.1"});
  for (int i = 0; i < kFreeFailures; ++i) EXPECT_EQ(FailedLogin("203.0.113.1"), 401) << i;
  EXPECT_EQ(FailedLogin("203.0.113.1"), 429);
  // Another client of the same proxy is not held back by the first one's failures...
  EXPECT_EQ(FailedLogin("203.0.113.2"), 401);
  // ...nor is the proxy's own address, which is neither of them.
  EXPECT_EQ(FailedLogin(""), 401);
  // ...and a spoofed first entry does not get the first client out of its delay.
  EXPECT_EQ(FailedLogin("198.51.100.50, 203.0.113.1"), 429);
}

TEST_F(LoginBehindProxyTest, AMalformedXForwardedForIsThrottledAsTheProxyItself) {
  Start({"127.0.0.1"});
  for (int i = 0; i < kFreeFailures; ++i) EXPECT_EQ(FailedLogin("bogus-" + std::to_string(i)), 401) << i;
  // Every malformed one counted against 127.0.0.1, which is now held back.
  EXPECT_EQ(FailedLogin(""), 429);
  EXPECT_EQ(FailedLogin("203.0.113.5"), 401);
}

}  // namespace
}  // namespace dala::server
