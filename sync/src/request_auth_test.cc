#include "dala/sync/request_auth.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <string>
#include <thread>

namespace dala::sync {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kWindow = 5 * 60 * 1000;

class RequestAuthTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }

  // The headers of a signed request, by name.
  std::map<std::string, std::string> Sign(std::string_view method, std::string_view target,
                                          std::string_view body, int64_t now_ms = kNow) {
    std::map<std::string, std::string> h;
    for (auto& [k, v] : SignRequest(key_, method, target, body, now_ms, random_)) h[k] = v;
    return h;
  }

  static Result<RequestCredentials> Verify(std::string_view method, std::string_view target,
                                           std::string_view body, std::map<std::string, std::string> h) {
    return VerifyRequestSignature(method, target, body, h["X-Dala-Device"], h["X-Dala-Timestamp"],
                                  h["X-Dala-Nonce"], h["X-Dala-Signature"]);
  }

  SeededRandom random_{7};
  SigningKey key_ = SigningKey::Generate(random_);
};

TEST_F(RequestAuthTest, SignedRequestVerifiesAndNamesTheDevice) {
  auto h = Sign("POST", "/api/v1/sync?since=3", "{\"a\":1}");
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h["X-Dala-Device"].size(), 64u);
  EXPECT_EQ(h["X-Dala-Nonce"].size(), 32u);
  EXPECT_EQ(h["X-Dala-Signature"].size(), 128u);
  EXPECT_EQ(h["X-Dala-Timestamp"], std::to_string(kNow));
  auto c = Verify("POST", "/api/v1/sync?since=3", "{\"a\":1}", h);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->device, key_.public_key());
  EXPECT_EQ(c->timestamp_ms, kNow);
  EXPECT_EQ(c->nonce, h["X-Dala-Nonce"]);
}

TEST_F(RequestAuthTest, SignatureCoversTheDocumentedCanonicalText) {
  auto h = Sign("GET", "/x?y=1", "");
  std::string text = "dala-request-v1\nGET\n/x?y=1\n"
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
                     std::to_string(kNow) + "\n" + h["X-Dala-Nonce"];
  auto sig = FromHex(h["X-Dala-Signature"]);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(VerifyRaw(key_.public_key(), text, *sig));
}

TEST_F(RequestAuthTest, ChangedMethodIsRefused) {
  auto h = Sign("POST", "/a", "b");
  EXPECT_EQ(Verify("PUT", "/a", "b", h).status().code(), Status::Code::kUnauthenticated);
}

TEST_F(RequestAuthTest, ChangedTargetIsRefused) {
  auto h = Sign("POST", "/a?x=1", "b");
  EXPECT_EQ(Verify("POST", "/a?x=2", "b", h).status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(Verify("POST", "/a", "b", h).status().code(), Status::Code::kUnauthenticated);
  // The same query, escaped differently, is another target.
  auto e = Sign("GET", "/a?x=%41", "");
  EXPECT_EQ(Verify("GET", "/a?x=A", "", e).status().code(), Status::Code::kUnauthenticated);
}

TEST_F(RequestAuthTest, ChangedBodyIsRefused) {
  auto h = Sign("POST", "/a", "body");
  EXPECT_EQ(Verify("POST", "/a", "bodY", h).status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(Verify("POST", "/a", "", h).status().code(), Status::Code::kUnauthenticated);
}

TEST_F(RequestAuthTest, ChangedTimestampIsRefused) {
  auto h = Sign("POST", "/a", "b");
  h["X-Dala-Timestamp"] = std::to_string(kNow + 1);
  EXPECT_EQ(Verify("POST", "/a", "b", h).status().code(), Status::Code::kUnauthenticated);
}

TEST_F(RequestAuthTest, ChangedNonceIsRefused) {
  auto h = Sign("POST", "/a", "b");
  std::string& n = h["X-Dala-Nonce"];
  n[0] = n[0] == '0' ? '1' : '0';
  EXPECT_EQ(Verify("POST", "/a", "b", h).status().code(), Status::Code::kUnauthenticated);
}

TEST_F(RequestAuthTest, AnotherDevicesKeyIsRefused) {
  auto h = Sign("POST", "/a", "b");
  SigningKey other = SigningKey::Generate(random_);
  h["X-Dala-Device"] = ToHex(other.public_key());
  EXPECT_EQ(Verify("POST", "/a", "b", h).status().code(), Status::Code::kUnauthenticated);
}

TEST_F(RequestAuthTest, MissingHeaderIsInvalidArgument) {
  for (const char* name : {"X-Dala-Device", "X-Dala-Timestamp", "X-Dala-Nonce", "X-Dala-Signature"}) {
    auto h = Sign("GET", "/a", "");
    h.erase(name);
    EXPECT_EQ(Verify("GET", "/a", "", h).status().code(), Status::Code::kInvalidArgument) << name;
  }
}

TEST_F(RequestAuthTest, MalformedDeviceHexIsInvalidArgument) {
  for (std::string bad : {std::string(63, 'a'), std::string(66, 'a'), std::string(64, 'g'),
                          std::string(62, 'a') + "z1"}) {
    auto h = Sign("GET", "/a", "");
    h["X-Dala-Device"] = bad;
    EXPECT_EQ(Verify("GET", "/a", "", h).status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

TEST_F(RequestAuthTest, MalformedSignatureHexIsInvalidArgument) {
  for (std::string bad : {std::string(127, 'a'), std::string(130, 'a'), std::string(128, 'x')}) {
    auto h = Sign("GET", "/a", "");
    h["X-Dala-Signature"] = bad;
    EXPECT_EQ(Verify("GET", "/a", "", h).status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

TEST_F(RequestAuthTest, NonCanonicalTimestampIsInvalidArgument) {
  for (std::string bad : std::initializer_list<std::string>{"abc", "-1700000000000", "+1700000000000", "01700000000000", "1700000000000.5",
                          " 1700000000000", "1e12", "99999999999999999999999"}) {
    auto h = Sign("GET", "/a", "");
    h["X-Dala-Timestamp"] = bad;
    EXPECT_EQ(Verify("GET", "/a", "", h).status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

TEST_F(RequestAuthTest, MalformedNonceIsInvalidArgument) {
  for (std::string bad : {std::string(31, 'a'), std::string(34, 'a'), std::string(32, 'A'), std::string(32, 'q')}) {
    auto h = Sign("GET", "/a", "");
    h["X-Dala-Nonce"] = bad;
    EXPECT_EQ(Verify("GET", "/a", "", h).status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

TEST_F(RequestAuthTest, TargetThatCannotBeOnARequestLineIsInvalidArgument) {
  for (std::string bad : {std::string(), std::string("a/b"), std::string("/a b"), std::string("/a\nb"),
                          std::string("/a\0b", 4)}) {
    auto h = Sign("GET", bad, "");
    EXPECT_EQ(Verify("GET", bad, "", h).status().code(), Status::Code::kInvalidArgument);
  }
  auto h = Sign("get", "/a", "");
  EXPECT_EQ(Verify("get", "/a", "", h).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(RequestAuthTest, FreshRequestIsAccepted) {
  ReplayCache cache(kNow - 1000);
  auto c = Verify("GET", "/a", "", Sign("GET", "/a", ""));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(cache.CheckFresh(*c, kNow + 1000, kWindow).ok());
}

TEST_F(RequestAuthTest, TooOldTimestampIsStale) {
  ReplayCache cache(kNow - 10 * kWindow);
  auto c = Verify("GET", "/a", "", Sign("GET", "/a", ""));
  ASSERT_TRUE(c.ok());
  Status s = cache.CheckFresh(*c, kNow + kWindow + 1, kWindow);
  EXPECT_EQ(s.code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(s.reason(), kStaleRequest) << s.ToString();
  EXPECT_TRUE(cache.CheckFresh(*c, kNow + kWindow, kWindow).ok());  // the edge is inside
}

TEST_F(RequestAuthTest, TimestampTooFarInTheFutureIsStale) {
  ReplayCache cache(kNow - 10 * kWindow);
  auto c = Verify("GET", "/a", "", Sign("GET", "/a", ""));
  ASSERT_TRUE(c.ok());
  Status s = cache.CheckFresh(*c, kNow - kWindow - 1, kWindow);
  EXPECT_EQ(s.code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(s.reason(), kStaleRequest) << s.ToString();
}

TEST_F(RequestAuthTest, TimestampBeforeCacheCreationIsStale) {
  ReplayCache cache(kNow + 1);  // the server restarted after the request was signed
  auto c = Verify("GET", "/a", "", Sign("GET", "/a", ""));
  ASSERT_TRUE(c.ok());
  Status s = cache.CheckFresh(*c, kNow + 2, kWindow);
  EXPECT_EQ(s.code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(s.reason(), kStaleRequest) << s.ToString();
}

TEST_F(RequestAuthTest, ReplayedNonceIsRefused) {
  ReplayCache cache(kNow - 1000);
  auto c = Verify("GET", "/a", "", Sign("GET", "/a", ""));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(cache.CheckFresh(*c, kNow, kWindow).ok());
  Status s = cache.CheckFresh(*c, kNow + 10, kWindow);
  EXPECT_EQ(s.code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(s.reason(), kReplayedRequest) << s.ToString();
  // Still refused at the last moment it is fresh.
  EXPECT_EQ(cache.CheckFresh(*c, kNow + kWindow, kWindow).code(), Status::Code::kUnauthenticated);
}

TEST_F(RequestAuthTest, ReplayAfterServerClockStepsBackIsRefused) {
  ReplayCache cache(kNow - 1000);
  auto c = Verify("GET", "/a", "", Sign("GET", "/a", ""));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(cache.CheckFresh(*c, kNow, kWindow).ok());
  // Time moves on far enough to evict the entry, then the clock steps back.
  RequestCredentials later = *c;
  later.nonce = std::string(32, 'f');
  later.timestamp_ms = kNow + 2 * kWindow;
  ASSERT_TRUE(cache.CheckFresh(later, kNow + 2 * kWindow, kWindow).ok());
  EXPECT_EQ(cache.CheckFresh(*c, kNow + 1, kWindow).code(), Status::Code::kUnauthenticated);
}

TEST_F(RequestAuthTest, SameNonceFromAnotherDeviceIsNotAReplay) {
  ReplayCache cache(kNow - 1000);
  RequestCredentials a{key_.public_key(), kNow, std::string(32, 'a')};
  RequestCredentials b = a;
  b.device[0] ^= 1;
  EXPECT_TRUE(cache.CheckFresh(a, kNow, kWindow).ok());
  EXPECT_TRUE(cache.CheckFresh(b, kNow, kWindow).ok());
}

TEST_F(RequestAuthTest, DifferentNonceIsAccepted) {
  ReplayCache cache(kNow - 1000);
  auto first = Verify("GET", "/a", "", Sign("GET", "/a", ""));
  auto second = Verify("GET", "/a", "", Sign("GET", "/a", ""));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->nonce, second->nonce);
  EXPECT_TRUE(cache.CheckFresh(*first, kNow, kWindow).ok());
  EXPECT_TRUE(cache.CheckFresh(*second, kNow, kWindow).ok());
}

TEST_F(RequestAuthTest, EvictionKeepsTheCacheBoundedByTheWindow) {
  ReplayCache cache(kNow - 1000);
  const int64_t step = 1000;  // one request a second
  size_t largest = 0;
  for (int i = 0; i < 5000; ++i) {
    int64_t now = kNow + i * step;
    char nonce[33];
    std::snprintf(nonce, sizeof nonce, "%032x", i);
    RequestCredentials c{key_.public_key(), now, nonce};
    ASSERT_TRUE(cache.CheckFresh(c, now, kWindow).ok()) << i;
    largest = std::max(largest, cache.size());
  }
  // At one a second, a window holds at most window/step + 1 entries.
  EXPECT_LE(largest, static_cast<size_t>(kWindow / step + 1));
  EXPECT_GE(largest, static_cast<size_t>(kWindow / step));
}

TEST_F(RequestAuthTest, FullCacheRefusesInsteadOfGrowing) {
  ReplayCache cache(kNow - 1000, 3);
  for (int i = 0; i < 3; ++i) {
    RequestCredentials c{key_.public_key(), kNow, std::string(31, 'a') + char('0' + i)};
    ASSERT_TRUE(cache.CheckFresh(c, kNow, kWindow).ok());
  }
  RequestCredentials c{key_.public_key(), kNow, std::string(32, 'b')};
  EXPECT_EQ(cache.CheckFresh(c, kNow, kWindow).code(), Status::Code::kUnavailable);
  EXPECT_EQ(cache.size(), 3u);
}

TEST_F(RequestAuthTest, ConcurrentChecksAcceptEachNonceOnce) {
  ReplayCache cache(kNow - 1000);
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        char nonce[33];
        std::snprintf(nonce, sizeof nonce, "%032x", i);
        if (cache.CheckFresh({key_.public_key(), kNow, nonce}, kNow, kWindow).ok()) ++accepted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 200);
}

}  // namespace
}  // namespace dala::sync
