#include "dala/base/console.h"

#include <gtest/gtest.h>

namespace dala {
namespace {

TEST(WithoutControlCharactersTest, EscapeSequencesFromArrowKeysNeverReachAnAnswer) {
  EXPECT_EQ(WithoutControlCharacters("ab\x1b[Dc"), "ab[Dc");
  EXPECT_EQ(WithoutControlCharacters(std::string_view("\x08\x7f\x1a\x00x", 5)), "x");
}

TEST(WithoutControlCharactersTest, KazakhAndRussianLettersAndTabsAreKept) {
  EXPECT_EQ(WithoutControlCharacters("Әсел\tҚожа Мария"), "Әсел\tҚожа Мария");
}

TEST(WithoutControlCharactersTest, C1ControlsAreRemovedButLettersThatShareTheirLeadByteAreNot) {
  // U+0085 (next line) is C2 85; U+00A0..U+00BF share the C2 lead byte.
  EXPECT_EQ(WithoutControlCharacters("a\xc2\x85" "b\xc2\xa0" "c"), "ab\xc2\xa0" "c");
}

TEST(WithoutControlCharactersTest, ALoneLeadByteAtTheEndIsKeptForTheUtf8CheckToRefuse) {
  EXPECT_EQ(WithoutControlCharacters("a\xc2"), "a\xc2");
}

#ifdef _WIN32
TEST(Utf16Test, KazakhTextSurvivesTheRoundTripThroughUtf16) {
  const std::string text = "Өтініш қабылданды — Заявление принято 😀";
  std::wstring wide = Utf8ToUtf16(text);
  EXPECT_EQ(wide.size(), 40u);  // 38 BMP characters and one surrogate pair
  EXPECT_EQ(Utf16ToUtf8(wide), text);
}

TEST(Utf16Test, ALoneSurrogateBecomesTheReplacementCharacter) {
  std::wstring broken = L"a";
  broken.push_back(static_cast<wchar_t>(0xd800));
  EXPECT_EQ(Utf16ToUtf8(broken), "a\xef\xbf\xbd");
}
#endif

}  // namespace
}  // namespace dala
