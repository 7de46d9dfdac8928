#include "dala/sync/ids.h"

#include <gtest/gtest.h>

namespace dala::sync {
namespace {

TEST(SubmissionIdTest, IdsAreVersion7TimeOrderedAndRoundTrip) {
  ASSERT_TRUE(InitCrypto().ok());
  FakeClock clock(1764219600000);
  SystemRandom random;
  SubmissionId a = NewSubmissionId(clock, random);
  clock.Advance(1);
  SubmissionId b = NewSubmissionId(clock, random);
  EXPECT_LT(a, b);
  EXPECT_EQ(a[6] >> 4, 7);
  EXPECT_EQ(a[8] >> 6, 2);
  std::string text = FormatSubmissionId(a);
  EXPECT_EQ(text.size(), 36u);
  auto parsed = ParseSubmissionId(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, a);
  auto bare = ParseSubmissionId(ToHex(a));
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*bare, a);
}

TEST(SubmissionIdTest, MalformedIdsAreRefused) {
  for (const char* s : {"", "xyz", "0193a1b2-0000-7000-8000-00000000000",
                        "0193a1b2_0000_7000_8000_000000000000", "0193a1b20000700080000000000000zz"}) {
    EXPECT_FALSE(ParseSubmissionId(s).ok()) << s;
  }
}

// 36 characters with four dashes is not enough: they must be where the
// 8-4-4-4-12 groups put them, or two spellings would name one id.
TEST(SubmissionIdTest, DashesOutOfPlaceAreRefused) {
  for (const char* s : {"0193a1b20-000-7000-8000-000000000000", "0193a1b2-0000-70008-000-000000000000",
                        "0193a1b2-0000-7000-8000-00000000000-", "-0193a1b2-0000-7000-8000-00000000000"}) {
    EXPECT_FALSE(ParseSubmissionId(s).ok()) << s;
  }
}

// Events about no submission carry the zero id; a single set bit anywhere
// makes it a real one.
TEST(SubmissionIdTest, OnlyVersion7WithTheRfcVariantIsAUuidV7) {
  ASSERT_TRUE(InitCrypto().ok());
  FakeClock clock(1795755600000);
  SystemRandom random;
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(IsUuidV7(NewSubmissionId(clock, random)));
  SubmissionId v4 = NewSubmissionId(clock, random);
  v4[6] = static_cast<uint8_t>(0x40 | (v4[6] & 0x0F));
  EXPECT_FALSE(IsUuidV7(v4));
  SubmissionId wrong_variant = NewSubmissionId(clock, random);
  wrong_variant[8] = static_cast<uint8_t>(wrong_variant[8] & 0x3F);
  EXPECT_FALSE(IsUuidV7(wrong_variant));
  EXPECT_FALSE(IsUuidV7(SubmissionId{}));
}

TEST(SubmissionIdTest, OnlyTheAllZeroIdIsZero) {
  EXPECT_TRUE(IsZero(SubmissionId{}));
  for (size_t i = 0; i < SubmissionId{}.size(); ++i) {
    SubmissionId id{};
    id[i] = 1;
    EXPECT_FALSE(IsZero(id)) << "byte " << i;
  }
  Hash h{};
  EXPECT_TRUE(IsZero(h));
  h[31] = 0x80;
  EXPECT_FALSE(IsZero(h));
}

}  // namespace
}  // namespace dala::sync
