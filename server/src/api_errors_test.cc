// WholeNumberParam: how every route reads a number from the query, so that
// "7x" is refused everywhere instead of read as 7 in one place and
// refused in another.
#include "api_errors.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace dala::server {
namespace {

Result<uint64_t> Read(const std::map<std::string, std::string>& query, const WholeNumberRule& rule) {
  HttpRequest request;
  request.query = query;
  return WholeNumberParam(request, "days", rule);
}

TEST(WholeNumberParamTest, TextThatIsNotAllOneWholeNumberIsRefusedNamingTheParameter) {
  for (const char* text : {"7x", "x7", "-1", "+7", " 7", "7 ", "7.0", "1e3", "0x10", "18446744073709551616", "٣"}) {
    auto read = Read({{"days", text}}, {.fallback = 7});
    ASSERT_FALSE(read.ok()) << text;
    EXPECT_EQ(read.status().reason(), "invalid_request") << text;
    EXPECT_NE(read.status().message().find("'days' must be a whole number"), std::string::npos)
        << read.status().message();
  }
}

TEST(WholeNumberParamTest, AbsentIsTheFallbackOrRefusedWhenThereIsNone) {
  EXPECT_EQ(Read({}, {.fallback = 7}).value(), 7u);
  EXPECT_EQ(Read({{"other", "3"}}, {.fallback = 7}).value(), 7u);
  auto missing = Read({}, {.what = "a tree size"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "'days' (a tree size) is missing: give a whole number");
}

TEST(WholeNumberParamTest, OutOfRangeIsRefusedWithTheRangeUnlessClamped) {
  const WholeNumberRule week_to_year{.fallback = 7, .min = 1, .max = 365};
  EXPECT_EQ(Read({{"days", "1"}}, week_to_year).value(), 1u);
  EXPECT_EQ(Read({{"days", "365"}}, week_to_year).value(), 365u);
  for (const char* text : {"0", "366"}) {
    auto read = Read({{"days", text}}, week_to_year);
    ASSERT_FALSE(read.ok()) << text;
    EXPECT_EQ(read.status().message(), std::string("'days' must be a whole number from 1 to 365, not '") + text + "'");
  }
  const WholeNumberRule page{.fallback = 50, .max = 10000, .clamp = true};
  EXPECT_EQ(Read({{"days", "99999999"}}, page).value(), 10000u);
  EXPECT_EQ(Read({{"days", "123456789012345678901234567890"}}, page).value(), 10000u) << "past 2^64";
  auto huge = Read({{"days", "123456789012345678901234567890"}}, week_to_year);
  ASSERT_FALSE(huge.ok()) << "past 2^64, unclamped";
  EXPECT_EQ(huge.status().message(), "'days' must be a whole number from 1 to 365, not '123456789012345678901234567890'");
  EXPECT_EQ(Read({{"days", "0"}}, page).value(), 0u);
  EXPECT_FALSE(Read({{"days", "-5"}}, page).ok()) << "clamping is for large numbers, not for what is not one";
}

}  // namespace
}  // namespace dala::server
