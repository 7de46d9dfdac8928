#include "cli_words.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "dala/base/utf8.h"

namespace dala::client::cli {
namespace {

std::set<std::string> Placeholders(std::string_view text) {
  std::set<std::string> out;
  static const std::regex kPlaceholder(R"(\{([1-9])(:[^}]*)?\})");
  std::string s(text);
  for (auto it = std::sregex_iterator(s.begin(), s.end(), kPlaceholder); it != std::sregex_iterator(); ++it)
    out.insert((*it)[1]);
  return out;
}

TEST(WordsTest, EverySentenceIsThereInKazakhRussianAndEnglishWithTheSamePlaceholders) {
  for (int i = 0; i < static_cast<int>(Say::kCount); ++i) {
    auto what = static_cast<Say>(i);
    std::string_view en = RawWords(what, "en");
    for (const char* lang : {"kk", "ru", "en"}) {
      std::string_view text = RawWords(what, lang);
      EXPECT_FALSE(text.empty()) << "sentence " << i << " has no " << lang;
      EXPECT_TRUE(utf8::IsValid(text)) << "sentence " << i << " in " << lang;
      EXPECT_EQ(Placeholders(text), Placeholders(en)) << "sentence " << i << " in " << lang << ": " << text;
      if (std::string_view(lang) != "en") {
        EXPECT_NE(text, en) << "sentence " << i << " is English in " << lang << ": " << text;
      }
    }
  }
}

TEST(WordsTest, UnknownLanguageGetsEnglish) {
  EXPECT_EQ(Tr(Say::kNoDrafts, "de"), "No drafts.");
  EXPECT_EQ(Tr(Say::kNoDrafts, "kk"), "Черновик жоқ.");
}

TEST(WordsTest, ArgumentsAndNumbersTakeTheirLanguagesForms) {
  EXPECT_EQ(Tr(Say::kConflicts, "en", {"1"}), "1 conflict");
  EXPECT_EQ(Tr(Say::kConflicts, "en", {"3"}), "3 conflicts");
  EXPECT_EQ(Tr(Say::kConflicts, "ru", {"1"}), "1 конфликт");
  EXPECT_EQ(Tr(Say::kConflicts, "ru", {"3"}), "3 конфликта");
  EXPECT_EQ(Tr(Say::kConflicts, "ru", {"11"}), "11 конфликтов");
  EXPECT_EQ(Tr(Say::kConflicts, "ru", {"22"}), "22 конфликта");
  EXPECT_EQ(Tr(Say::kConflicts, "kk", {"5"}), "5 қайшылық");
  EXPECT_EQ(Tr(Say::kFormAdded, "ru", {"psc", "2"}), "Добавлена форма psc, версия 2");
  // A missing argument leaves nothing, never the placeholder.
  EXPECT_EQ(Tr(Say::kNoDraft, "en"), "no draft  (see `dala drafts`)");
}

TEST(WordsTest, WrappingBreaksAtSpacesWithinTheWidth) {
  std::string text = "Сауалнама шамамен 5 минутқа созылады. Ол анонимді: біз сіздің атыңызды жазбаймыз.";
  std::string wrapped = WrapText(text, 24, 2);
  size_t start = 0;
  int lines = 0;
  while (start <= wrapped.size()) {
    size_t end = wrapped.find('\n', start);
    if (end == std::string::npos) end = wrapped.size();
    std::string line = wrapped.substr(start, end - start);
    EXPECT_LE(utf8::Length(line), 24u) << line;
    if (lines > 0) {
      EXPECT_EQ(line.rfind("  ", 0), 0u) << line;
    }
    ++lines;
    start = end + 1;
  }
  EXPECT_GT(lines, 3);
  // No word is cut: joining the lines gives the words back.
  std::string joined;
  for (char c : wrapped) joined += c == '\n' ? ' ' : c;
  std::string squeezed;
  for (char c : joined)
    if (!(c == ' ' && !squeezed.empty() && squeezed.back() == ' ')) squeezed += c;
  EXPECT_EQ(squeezed, text);
  EXPECT_EQ(WrapText(text, 0), text);
  EXPECT_EQ(WrapText("  1) a\n  2) b", 80), "  1) a\n  2) b");
  EXPECT_EQ(WrapText("a verylongwordthatdoesnotfit b", 10), "a\nverylongwordthatdoesnotfit\nb");
}

}  // namespace
}  // namespace dala::client::cli
