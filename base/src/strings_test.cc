#include "dala/base/strings.h"

#include <gtest/gtest.h>

namespace dala {
namespace {

using Parts = std::vector<std::string_view>;

TEST(SplitTest, KeepsEveryPartBetweenSeparatorsEmptyOnesIncluded) {
  EXPECT_EQ(Split("a b c", ' '), (Parts{"a", "b", "c"}));
  EXPECT_EQ(Split("a,,b", ','), (Parts{"a", "", "b"}));
  EXPECT_EQ(Split(",a,", ','), (Parts{"", "a", ""}));
}

TEST(SplitTest, EmptyTextIsOneEmptyPartSoACountCheckStillRefusesIt) {
  EXPECT_EQ(Split("", ' '), (Parts{""}));
  EXPECT_EQ(Split("no separator", ','), (Parts{"no separator"}));
}

TEST(SplitTest, SkippingEmptyPartsDropsLeadingTrailingAndRepeatedSeparators) {
  EXPECT_EQ(Split("/a//b/", '/', EmptyParts::kSkip), (Parts{"a", "b"}));
  EXPECT_EQ(Split("", ',', EmptyParts::kSkip), Parts{});
  EXPECT_EQ(Split(",,,", ',', EmptyParts::kSkip), Parts{});
}

TEST(SplitTest, PartsAreViewsIntoTheText) {
  const std::string_view text = "key value";
  auto parts = Split(text, ' ');
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].data(), text.data() + 4);
}

}  // namespace
}  // namespace dala
