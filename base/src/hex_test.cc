#include "dala/base/hex.h"

#include <gtest/gtest.h>

namespace dala {
namespace {

TEST(HexTest, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  std::string hex = ToHex(all);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  auto back = FromHex(hex);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
}

TEST(HexTest, UpperCaseIsAccepted) {
  std::array<uint8_t, 2> out{};
  ASSERT_TRUE(FromHex("ABcd", &out));
  EXPECT_EQ(out[0], 0xab);
  EXPECT_EQ(out[1], 0xcd);
}

TEST(HexTest, WrongLengthOddLengthAndNonHexAreRefused) {
  std::array<uint8_t, 2> out{};
  EXPECT_FALSE(FromHex("abc", &out));
  EXPECT_FALSE(FromHex("abcdef", &out));
  EXPECT_FALSE(FromHex("zz00", &out));
  EXPECT_FALSE(FromHex("ab c", &out));
  EXPECT_FALSE(FromHex("abc").ok());
  EXPECT_FALSE(FromHex("0g").ok());
}

TEST(Base64Test, RoundTripsAndRefusesBytesOutsideTheAlphabet) {
  EXPECT_EQ(ToBase64("hello"), "aGVsbG8=");
  auto back = FromBase64("aGVsbG8=");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "hello");
  EXPECT_FALSE(FromBase64("aGVsbG8").ok()) << "missing padding";
  EXPECT_FALSE(FromBase64("é").ok()) << "libsodium alone would read it as //";
  EXPECT_FALSE(FromBase64("aGV sbG8=").ok());
}

}  // namespace
}  // namespace dala
