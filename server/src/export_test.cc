#include "export.h"

#include <gtest/gtest.h>

namespace dala::server {
namespace {

TEST(CsvTest, FieldsWithSeparatorsQuotesOrNewlinesAreQuoted) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("Алматы, Алмалы"), "\"Алматы, Алмалы\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField(""), "");
}

TEST(CsvTest, TextThatASpreadsheetWouldRunIsMadeInert) {
  for (const char* formula : {"=HYPERLINK(\"http://x\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"})
    EXPECT_EQ(InertCsvText(formula), std::string("'") + formula) << formula;
  EXPECT_EQ(InertCsvText("Очередь длинная"), "Очередь длинная");
  EXPECT_EQ(InertCsvText(""), "");
  EXPECT_EQ(InertCsvText("a=b"), "a=b");
}

}  // namespace
}  // namespace dala::server
