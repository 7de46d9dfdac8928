#include "enrolment_replay.h"

#include <gtest/gtest.h>

#include <string>

namespace dala::sync::internal {
namespace {

using Outcome = EnrolmentReplay::Outcome;

PublicKey Key(uint8_t fill) {
  PublicKey k;
  k.fill(fill);
  return k;
}

EventBody Enroll(const PublicKey& device, const std::string& volunteer) {
  EventBody e;
  e.type = "enroll";
  e.by = "admin";
  e.device = ToHex(device);
  e.volunteer = volunteer;
  e.label = volunteer + " laptop";
  return e;
}

EventBody Revoke(const PublicKey& device, const std::string& reason) {
  EventBody e;
  e.type = "revoke";
  e.by = "admin";
  e.device = ToHex(device);
  e.reason = reason;
  return e;
}

TEST(EnrolmentReplayTest, EnrolThenRevokeRecordsBothWithTheirIndicesAndTimes) {
  EnrolmentReplay replay;
  EXPECT_EQ(replay.Apply(Enroll(Key(1), "aigerim"), 0, 1000).outcome, Outcome::kEnrolled);
  const Enrolment* e = replay.Find(Key(1));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->volunteer, "aigerim");
  EXPECT_EQ(e->label, "aigerim laptop");
  EXPECT_EQ(e->enrolled_by, "admin");
  EXPECT_EQ(e->enrolled_ms, 1000);
  EXPECT_EQ(e->enrolled_index, 0u);
  EXPECT_FALSE(e->revoked);

  EnrolmentReplay::Applied revoked = replay.Apply(Revoke(Key(1), "laptop stolen"), 2, 3000);
  EXPECT_EQ(revoked.outcome, Outcome::kRevoked);
  EXPECT_EQ(revoked.key, Key(1));
  EXPECT_TRUE(e->revoked);
  EXPECT_EQ(e->revoked_index, 2u);
  EXPECT_EQ(e->revoked_ms, 3000);
  EXPECT_EQ(e->revoked_by, "admin");
  EXPECT_EQ(e->revoke_reason, "laptop stolen");
  EXPECT_EQ(replay.devices().size(), 1u);
}

// The worked example of enrolment_replay.h: the first word on a device
// stands, so a forged later event cannot re-enrol it or move its revocation.
TEST(EnrolmentReplayTest, SecondEnrolmentOfADeviceChangesNothingAndNamesTheFirst) {
  EnrolmentReplay replay;
  ASSERT_EQ(replay.Apply(Enroll(Key(1), "aigerim"), 0, 1000).outcome, Outcome::kEnrolled);
  ASSERT_EQ(replay.Apply(Revoke(Key(1), "stolen"), 2, 2000).outcome, Outcome::kRevoked);
  EnrolmentReplay::Applied again = replay.Apply(Enroll(Key(1), "mallory"), 3, 3000);
  EXPECT_EQ(again.outcome, Outcome::kEnrolledAgain);
  EXPECT_EQ(again.first_index, 0u);
  EXPECT_EQ(replay.Find(Key(1))->volunteer, "aigerim");
  EXPECT_TRUE(replay.Find(Key(1))->revoked);
}

TEST(EnrolmentReplayTest, SecondRevocationChangesNothingAndNamesTheFirst) {
  EnrolmentReplay replay;
  ASSERT_EQ(replay.Apply(Enroll(Key(1), "aigerim"), 0, 1000).outcome, Outcome::kEnrolled);
  ASSERT_EQ(replay.Apply(Revoke(Key(1), "stolen"), 2, 2000).outcome, Outcome::kRevoked);
  EnrolmentReplay::Applied again = replay.Apply(Revoke(Key(1), "found"), 4, 4000);
  EXPECT_EQ(again.outcome, Outcome::kRevokedAgain);
  EXPECT_EQ(again.first_index, 2u);
  EXPECT_EQ(replay.Find(Key(1))->revoked_index, 2u);
  EXPECT_EQ(replay.Find(Key(1))->revoke_reason, "stolen");
}

TEST(EnrolmentReplayTest, RevocationOfADeviceNeverEnrolledEnrolsNothing) {
  EnrolmentReplay replay;
  EnrolmentReplay::Applied applied = replay.Apply(Revoke(Key(2), "unknown"), 5, 5000);
  EXPECT_EQ(applied.outcome, Outcome::kUnknownKey);
  EXPECT_EQ(applied.key, Key(2));
  EXPECT_EQ(replay.Find(Key(2)), nullptr);
  EXPECT_TRUE(replay.devices().empty());
}

TEST(EnrolmentReplayTest, DeviceKeyThatIsNotHexIsRefusedWithoutEffect) {
  EnrolmentReplay replay;
  for (const char* device : {"", "zz", "0102", "not a key at all"}) {
    EventBody enroll = Enroll(Key(1), "aigerim");
    enroll.device = device;
    EXPECT_EQ(replay.Apply(enroll, 0, 1000).outcome, Outcome::kBadKey) << device;
    EventBody revoke = Revoke(Key(1), "x");
    revoke.device = device;
    EXPECT_EQ(replay.Apply(revoke, 1, 1000).outcome, Outcome::kBadKey) << device;
  }
  EXPECT_TRUE(replay.devices().empty());
}

TEST(EnrolmentReplayTest, OnlyEnrolAndRevokeEventsConcernTheReplay) {
  EXPECT_TRUE(EnrolmentReplay::Concerns(Enroll(Key(1), "a")));
  EXPECT_TRUE(EnrolmentReplay::Concerns(Revoke(Key(1), "r")));
  for (const char* type : {"review", "duplicate", "", "Enroll", "enrol"}) {
    EventBody e;
    e.type = type;
    EXPECT_FALSE(EnrolmentReplay::Concerns(e)) << type;
  }
}

}  // namespace
}  // namespace dala::sync::internal
