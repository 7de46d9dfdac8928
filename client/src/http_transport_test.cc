#include <gtest/gtest.h>

#include "dala/client/transport.h"

namespace dala::client {
namespace {

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

}  // namespace
}  // namespace dala::client
