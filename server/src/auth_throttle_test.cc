// LoginThrottle on its own: no passwords to hash, so every case can be
// driven through as many failures as it needs, on a clock that only moves
// when told.
#include "auth_throttle.h"

#include <gtest/gtest.h>

namespace dala::server {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;
const std::string kOffice = "192.0.2.10";

class LoginThrottleTest : public ::testing::Test {
 protected:
  // A failed try, made only if it was allowed; returns whether it was.
  bool Fail(const std::string& user, const std::string& address) {
    if (throttle_.WaitMs(user, address, now_) > 0) return false;
    throttle_.Confirm(throttle_.Begin(user, address, now_), now_);
    return true;
  }
  bool Succeed(const std::string& user, const std::string& address) {
    if (throttle_.WaitMs(user, address, now_) > 0) return false;
    throttle_.Forget(throttle_.Begin(user, address, now_));
    return true;
  }
  int64_t Wait(const std::string& user, const std::string& address) { return throttle_.WaitMs(user, address, now_); }

  ThrottlePolicy policy_;
  LoginThrottle throttle_{policy_};
  int64_t now_ = kStart;
};

TEST_F(LoginThrottleTest, OnePersonsTyposBehindAnOfficeAddressDoNotHoldBackColleagues) {
  for (int i = 0; i < 50; ++i) {
    (void)Fail("cora", kOffice);
    now_ += 100;
  }
  EXPECT_GT(Wait("cora", kOffice), 0);
  EXPECT_EQ(Wait("ada", kOffice), 0);
  EXPECT_TRUE(Succeed("ada", kOffice));
  EXPECT_EQ(Wait("audrey", kOffice), 0);
}

TEST_F(LoginThrottleTest, DelaysGrowAfterTheFreeFailuresAndStopGrowingAtTheCap) {
  for (int i = 0; i < policy_.free_failures; ++i) EXPECT_TRUE(Fail("cora", kOffice)) << i;
  int64_t expected = policy_.first_delay_ms;
  for (int i = 0; i < 20; ++i) {
    int64_t wait = Wait("cora", kOffice);
    EXPECT_EQ(wait, std::min(expected, policy_.max_delay_ms)) << "after " << policy_.free_failures + i << " failures";
    EXPECT_FALSE(Fail("cora", kOffice)) << "a try before the delay ended was allowed";
    now_ += wait;
    EXPECT_TRUE(Fail("cora", kOffice));
    expected *= 2;
  }
}

TEST_F(LoginThrottleTest, ATryThatIsRefusedDoesNotMakeTheWaitLonger) {
  for (int i = 0; i < policy_.free_failures + 2; ++i) {
    now_ += Wait("cora", kOffice);
    (void)Fail("cora", kOffice);
  }
  int64_t wait = Wait("cora", kOffice);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(Fail("cora", kOffice));
  EXPECT_EQ(Wait("cora", kOffice), wait);
}

TEST_F(LoginThrottleTest, HammeringOneNameFromManyAddressesLeavesItsOwnerABoundedWait) {
  // 500 addresses, each as far as it is let through over an hour: far
  // past the server-wide limit, so the spraying defence is on too.
  for (int minute = 0; minute < 60; ++minute) {
    for (int a = 0; a < 500; ++a) (void)Fail("cora", "198.51.100." + std::to_string(a));
    now_ += 60 * 1000;
  }
  // The owner, from an address that has not failed, goes straight in.
  EXPECT_EQ(Wait("cora", kOffice), 0);
  // And after a typo of their own, waits at most the longer of the two
  // bounded delays, never the attacker's.
  ASSERT_TRUE(Fail("cora", kOffice));
  int64_t wait = Wait("cora", kOffice);
  EXPECT_GT(wait, 0);
  EXPECT_LE(wait, std::max(policy_.pressure_delay_ms, policy_.max_delay_ms));
  EXPECT_LE(wait, policy_.pressure_delay_ms);  // one typo is within the free failures
  now_ += wait;
  EXPECT_TRUE(Succeed("cora", kOffice));
}

TEST_F(LoginThrottleTest, SprayingOneGuessAtManyNamesSlowsEachAddressOnceTheServerWideLimitIsPassed) {
  const std::string sprayer = "203.0.113.5";
  int allowed = 0;
  for (int i = 0; i < 1000; ++i)
    if (Fail("user" + std::to_string(i), sprayer)) ++allowed;
  // Below the limit every name got its guess; past it, the address waits
  // pressure_delay after each failure, and time has not moved.
  EXPECT_EQ(allowed, policy_.global_failures) << "one guess per name until the server-wide limit";
  EXPECT_EQ(Wait("someone-else", sprayer), policy_.pressure_delay_ms);
  // Other addresses are not held back.
  EXPECT_EQ(Wait("someone-else", kOffice), 0);
  now_ += policy_.pressure_delay_ms;
  EXPECT_TRUE(Fail("user-late", sprayer));
  EXPECT_FALSE(Fail("user-later", sprayer));
}

TEST_F(LoginThrottleTest, BelowTheServerWideLimitAnAddressIsNotSlowedAcrossNames) {
  for (int i = 0; i < policy_.global_failures - 1; ++i) EXPECT_TRUE(Fail("user" + std::to_string(i), kOffice)) << i;
}

TEST_F(LoginThrottleTest, SuccessForgetsThePairsFailuresButNotOtherNames) {
  for (int i = 0; i < policy_.free_failures; ++i) (void)Fail("cora", kOffice);
  now_ += Wait("cora", kOffice);
  for (int i = 0; i < policy_.free_failures; ++i) (void)Fail("ada", kOffice);
  ASSERT_TRUE(Succeed("cora", kOffice));
  for (int i = 0; i < policy_.free_failures; ++i) EXPECT_TRUE(Fail("cora", kOffice)) << i;
  EXPECT_GT(Wait("ada", kOffice), 0);
}

TEST_F(LoginThrottleTest, AWindowWithoutFailuresForgetsThePair) {
  for (int i = 0; i < 12; ++i) {
    now_ += Wait("cora", kOffice);
    (void)Fail("cora", kOffice);
  }
  now_ += policy_.window_ms;
  for (int i = 0; i < policy_.free_failures; ++i) EXPECT_TRUE(Fail("cora", kOffice)) << i;
  EXPECT_EQ(Wait("cora", kOffice), policy_.first_delay_ms);
}

TEST_F(LoginThrottleTest, UnlockClearsOneNameFromEveryAddressAndNothingElse) {
  for (const std::string& a : {std::string("10.0.0.1"), std::string("10.0.0.2"), kOffice})
    for (int i = 0; i < policy_.free_failures; ++i) (void)Fail("cora", a);
  for (int i = 0; i < policy_.free_failures; ++i) (void)Fail("cora2", kOffice);
  EXPECT_EQ(throttle_.Unlock("cora"), 3u);
  EXPECT_EQ(Wait("cora", kOffice), 0);
  EXPECT_EQ(Wait("cora", "10.0.0.1"), 0);
  EXPECT_GT(Wait("cora2", kOffice), 0);
  EXPECT_EQ(throttle_.Unlock("nobody"), 0u);
}

TEST_F(LoginThrottleTest, ForgottenPairsAndAddressesDoNotPileUp) {
  for (int i = 0; i < 20000; ++i) (void)Fail("user" + std::to_string(i), "address-" + std::to_string(i));
  EXPECT_GT(throttle_.remembered(), 10000u);
  now_ += policy_.window_ms + policy_.max_delay_ms;
  (void)Wait("anyone", kOffice);
  EXPECT_EQ(throttle_.remembered(), 0u);
}

}  // namespace
}  // namespace dala::server
