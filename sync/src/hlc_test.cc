#include "dala/sync/hlc.h"

#include <gtest/gtest.h>

namespace dala::sync {
namespace {

TEST(HybridClockTest, NeverRunsBackwardsWhenTheWallClockDoes) {
  FakeClock wall(10'000);
  HybridClock hlc(wall);
  HlcTimestamp a = hlc.Now();
  wall.Set(5'000);  // the laptop's clock was set back
  HlcTimestamp b = hlc.Now();
  HlcTimestamp c = hlc.Now();
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(b.physical_ms(), 10'000u);
  wall.Set(20'000);
  HlcTimestamp d = hlc.Now();
  EXPECT_EQ(d.physical_ms(), 20'000u);
  EXPECT_EQ(d.logical(), 0);
}

TEST(HybridClockTest, EventsAfterObservingARemoteTimestampSortAfterIt) {
  FakeClock wall(1'000);
  HybridClock hlc(wall);
  HlcTimestamp remote = HlcTimestamp::Make(9'000, 41);
  hlc.Observe(remote);
  HlcTimestamp next = hlc.Now();
  EXPECT_GT(next, remote);
  EXPECT_EQ(next.physical_ms(), 9'000u);
}

// A remote timestamp older than what the device has seen must not pull the
// clock back: the next local event still sorts after every earlier one.
TEST(HybridClockTest, ObservingAnOlderRemoteTimestampDoesNotMoveTheClockBack) {
  FakeClock wall(1'000);
  HybridClock hlc(wall, HlcTimestamp::Make(50'000, 7));
  hlc.Observe(HlcTimestamp::Make(2'000, 0));
  EXPECT_GT(hlc.Now(), HlcTimestamp::Make(50'000, 7));
}

TEST(HybridClockTest, CounterOverflowCarriesIntoTheNextMillisecond) {
  FakeClock wall(1'000);
  HybridClock hlc(wall, HlcTimestamp::Make(1'000, 0xFFFF));
  HlcTimestamp t = hlc.Now();
  EXPECT_EQ(t.physical_ms(), 1'001u);
  EXPECT_EQ(t.logical(), 0);
}

TEST(HybridClockTest, RestoredClockContinuesAfterItsLastTimestamp) {
  FakeClock wall(1'000);
  HybridClock hlc(wall, HlcTimestamp::Make(50'000, 7));
  EXPECT_EQ(hlc.Now(), HlcTimestamp::Make(50'000, 8));
}

// A wall clock before 1970 (a dead CMOS battery) is read as 0, not as a
// huge unsigned time that would poison every later timestamp.
TEST(HybridClockTest, WallClockBeforeTheEpochDoesNotJumpTheClockForward) {
  FakeClock wall(-5'000);
  HybridClock hlc(wall);
  HlcTimestamp t = hlc.Now();
  EXPECT_EQ(t.physical_ms(), 0u);
  EXPECT_EQ(t.logical(), 1);
}

TEST(HybridClockTest, TimestampsPrintAsUtcTimeAndCounter) {
  EXPECT_EQ(HlcTimestamp::Make(1795755600123, 7).ToString(), "2026-11-27T05:00:00.123Z/7");
}

}  // namespace
}  // namespace dala::sync
