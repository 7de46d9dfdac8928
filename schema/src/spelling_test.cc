#include "dala/schema/spelling.h"

#include <gtest/gtest.h>

namespace dala::schema {
namespace {

TEST(SpellingTest, SwappedLettersAreOneEdit) {
  EXPECT_EQ(EditDistance("sycn", "sync"), 1u);
  EXPECT_EQ(EditDistance("queue_lenght", "queue_length"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(SpellingTest, NearestNameSuggestsASlipButNotAStranger) {
  std::vector<std::string> commands = {"init", "sync", "list", "show", "collect", "receipts"};
  EXPECT_EQ(NearestName("sycn", commands), "sync");
  EXPECT_EQ(NearestName("colect", commands), "collect");
  EXPECT_EQ(NearestName("recipts", commands), "receipts");
  EXPECT_EQ(NearestName("frobnicate", commands), "");
  EXPECT_EQ(NearestName("xy", {"ab"}), "");
  EXPECT_EQ(NearestName("", commands), "");
}

TEST(SpellingTest, TwoEquallyCloseNamesSuggestNeither) {
  EXPECT_EQ(NearestName("lisk", {"list", "lism"}), "");
}

}  // namespace
}  // namespace dala::schema
