#include "dala/base/utf8.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace dala::utf8 {
namespace {

// "Қазақстан" (Kazakh) and "Россия" (Russian): 2-byte sequences, including
// the Kazakh-specific letters outside the basic Cyrillic block.
const std::string kKazakh = "\xd2\x9a\xd0\xb0\xd0\xb7\xd0\xb0\xd2\x9b\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd";
const std::string kRussian = "\xd0\xa0\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd1\x8f";

TEST(Utf8Test, AcceptsKazakhAndRussianText) {
  EXPECT_TRUE(IsValid(kKazakh));
  EXPECT_TRUE(IsValid(kRussian));
  EXPECT_TRUE(IsValid("ascii only"));
  EXPECT_TRUE(IsValid(""));
}

TEST(Utf8Test, AcceptsThreeAndFourByteSequencesAtTheLimits) {
  EXPECT_TRUE(IsValid("\xe2\x82\xac"));      // U+20AC euro sign
  EXPECT_TRUE(IsValid("\xef\xbf\xbf"));      // U+FFFF
  EXPECT_TRUE(IsValid("\xf0\x9f\x98\x80"));  // U+1F600
  EXPECT_TRUE(IsValid("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the last code point
}

TEST(Utf8Test, RejectsOverlongEncodings) {
  EXPECT_FALSE(IsValid("\xc0\xaf"));          // '/' in two bytes
  EXPECT_FALSE(IsValid("\xc1\xbf"));          // U+007F in two bytes
  EXPECT_FALSE(IsValid("\xe0\x80\xaf"));      // '/' in three bytes
  EXPECT_FALSE(IsValid("\xf0\x80\x80\xaf"));  // '/' in four bytes
}

TEST(Utf8Test, RejectsSurrogates) {
  EXPECT_FALSE(IsValid("\xed\xa0\x80"));  // U+D800
  EXPECT_FALSE(IsValid("\xed\xbf\xbf"));  // U+DFFF
}

TEST(Utf8Test, RejectsTruncatedSequences) {
  EXPECT_FALSE(IsValid("\xd2"));
  EXPECT_FALSE(IsValid("\xe2\x82"));
  EXPECT_FALSE(IsValid("\xf0\x9f\x98"));
  EXPECT_FALSE(IsValid(kKazakh.substr(0, kKazakh.size() - 1)));
}

TEST(Utf8Test, RejectsCodePointsAboveU10FFFF) {
  EXPECT_FALSE(IsValid("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValid("\xf7\xbf\xbf\xbf"));
}

TEST(Utf8Test, RejectsStrayAndInvalidBytes) {
  EXPECT_FALSE(IsValid("\x80"));                 // continuation without a lead
  EXPECT_FALSE(IsValid("a\xbf" "b"));
  EXPECT_FALSE(IsValid("\xff"));
  EXPECT_FALSE(IsValid("\xf8\x88\x80\x80\x80"));  // five-byte form
  EXPECT_FALSE(IsValid("\xd0" "a"));             // lead followed by ASCII
}

TEST(Utf8Test, LengthCountsCodePointsNotBytes) {
  EXPECT_EQ(Length(kKazakh), 9u);
  EXPECT_EQ(Length(kRussian), 6u);
  EXPECT_EQ(Length("\xf0\x9f\x98\x80x"), 2u);
  EXPECT_EQ(Length(""), 0u);
}

TEST(Utf8Test, LengthCountsEachMalformedByteAsOne) {
  EXPECT_EQ(Length("\xff\xfe"), 2u);
  EXPECT_EQ(Length("a\xd0"), 2u);
}

// Random strings of well-formed and malformed pieces, for the fast paths
// of Length and IsValid (ASCII eight bytes at a time, two-byte sequences
// undecoded) to be held to a byte-by-byte account.
std::string RandomPieces(std::mt19937& random) {
  static const std::vector<std::string> pieces = {
      "a", "abcdefgh", "0123456789ab", "\xd0\x96", "\xd2\x9b", "\xc2\x80", "\xdf\xbf", "\xe2\x82\xac",
      "\xe0\xa0\x80", "\xef\xbf\xbf", "\xed\x9f\xbf", "\xf0\x90\x80\x80", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
      // malformed: stray continuations, overlong forms, lone and cut-off
      // leads, surrogates, beyond U+10FFFF, bytes never used
      "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xc2", "\xdf",
      "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf5", "\xff", "\xe2\x82", "\xf0\x9f\x98"};
  std::string s;
  const int parts = static_cast<int>(random() % 12);
  for (int k = 0; k < parts; ++k) s += pieces[random() % pieces.size()];
  return s;
}

// The Unicode Standard's table of well-formed byte sequences (3-7), byte
// by byte: the account IsValid is held to.
bool WellFormedByTable37(std::string_view s) {
  auto in = [&](size_t k, unsigned lo, unsigned hi) {
    return k < s.size() && static_cast<uint8_t>(s[k]) >= lo && static_cast<uint8_t>(s[k]) <= hi;
  };
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<uint8_t>(s[i]);
    const bool tail2 = in(i + 1, 0x80, 0xBF) && in(i + 2, 0x80, 0xBF);
    if (b <= 0x7F) {
      i += 1;
    } else if (b >= 0xC2 && b <= 0xDF && in(i + 1, 0x80, 0xBF)) {
      i += 2;
    } else if ((b == 0xE0 && in(i + 1, 0xA0, 0xBF) && in(i + 2, 0x80, 0xBF)) ||
               (((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) && tail2) ||
               (b == 0xED && in(i + 1, 0x80, 0x9F) && in(i + 2, 0x80, 0xBF))) {
      i += 3;
    } else if ((b == 0xF0 && in(i + 1, 0x90, 0xBF) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF)) ||
               (b >= 0xF1 && b <= 0xF3 && tail2 && in(i + 3, 0x80, 0xBF)) ||
               (b == 0xF4 && in(i + 1, 0x80, 0x8F) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF))) {
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

TEST(Utf8Test, IsValidFollowsTheUnicodeTableOverAnyBytes) {
  std::mt19937 random(20261207);
  for (int round = 0; round < 20000; ++round) {
    const std::string s = RandomPieces(random);
    ASSERT_EQ(IsValid(s), WellFormedByTable37(s)) << "bytes: " << ::testing::PrintToString(s);
  }
}

// Length must count what stepping sequence by sequence counts, malformed
// bytes one each: Substr still steps one sequence at a time.
TEST(Utf8Test, LengthStepsAsSubstrDoesOverAnyBytes) {
  std::mt19937 random(20261208);
  for (int round = 0; round < 20000; ++round) {
    const std::string s = RandomPieces(random);
    size_t steps = 0;
    while (!Substr(s, steps, 1).empty()) ++steps;
    ASSERT_EQ(Length(s), steps) << "bytes: " << ::testing::PrintToString(s);
  }
}

TEST(Utf8Test, SubstrSlicesByCodePoint) {
  EXPECT_EQ(Substr(kKazakh, 0, 2), "\xd2\x9a\xd0\xb0");                  // "Қа"
  EXPECT_EQ(Substr(kKazakh, 4, 1), "\xd2\x9b");                          // "қ"
  EXPECT_EQ(Substr(kRussian, 3), "\xd1\x81\xd0\xb8\xd1\x8f");            // "сия"
}

TEST(Utf8Test, SubstrClampsOutOfRangeRequests) {
  EXPECT_EQ(Substr(kRussian, 6), "");
  EXPECT_EQ(Substr(kRussian, 100, 3), "");
  EXPECT_EQ(Substr(kRussian, 5, 100), "\xd1\x8f");
  EXPECT_EQ(Substr("", 0, 1), "");
}

TEST(Utf8Test, TrimRemovesAsciiWhitespaceOnly) {
  EXPECT_EQ(Trim("  \t\r\n" + kRussian + " \n"), kRussian);
  EXPECT_EQ(Trim("   "), "");
  EXPECT_EQ(Trim("a b"), "a b");
  // U+00A0 (no-break space) is not ASCII whitespace and stays.
  EXPECT_EQ(Trim("\xc2\xa0x\xc2\xa0"), "\xc2\xa0x\xc2\xa0");
}

TEST(Utf8Test, PrintableReplacesEachMalformedByteAndEveryControlCharacter) {
  EXPECT_EQ(Printable(kRussian + " ok\n\tnext"), kRussian + " ok\n\tnext");
  EXPECT_EQ(Printable("caf\xe9 \xff\xfe"), "caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(Printable("\xd0"), "\xEF\xBF\xBD");  // a sequence cut short
  EXPECT_EQ(Printable(std::string("12\x1b[D\x1b[D\r\x7f\x00", 11)), "12?[D?[D???");
  EXPECT_TRUE(IsValid(Printable(std::string("\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", 9))));
  EXPECT_EQ(Printable(""), "");
}

}  // namespace
}  // namespace dala::utf8
