#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "dala/xlsform/xlsx.h"

namespace dala::xlsform {
namespace {

// Builds a zip archive with libzip (stored or deflated as libzip chooses).
std::string Zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  char path[] = "/tmp/dala-xlsx-test-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  int error = 0;
  zip_t* z = zip_open(path, ZIP_TRUNCATE, &error);
  EXPECT_NE(z, nullptr);
  for (const auto& [name, data] : entries) {
    zip_source_t* src = zip_source_buffer(z, data.data(), data.size(), 0);
    EXPECT_GE(zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8), 0) << name;
  }
  EXPECT_EQ(zip_close(z), 0);
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  std::remove(path);
  return s.str();
}

const char* kWorkbook =
    R"(<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="survey" sheetId="1" r:id="rId1"/></sheets></workbook>)";
const char* kRels =
    R"(<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>)";

std::string SheetXml(const std::string& rows) {
  return R"(<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>)" +
         rows + "</sheetData></worksheet>";
}

std::string Book(const std::string& rows, const std::string& shared = "", const std::string& styles = "") {
  std::vector<std::pair<std::string, std::string>> entries = {
      {"xl/workbook.xml", kWorkbook}, {"xl/_rels/workbook.xml.rels", kRels}, {"xl/worksheets/sheet1.xml", SheetXml(rows)}};
  if (!shared.empty()) entries.emplace_back("xl/sharedStrings.xml", shared);
  if (!styles.empty()) entries.emplace_back("xl/styles.xml", styles);
  return Zip(entries);
}

std::string Refusal(const std::string& xlsx, const XlsxLimits& limits = {}) {
  auto sheets = ReadXlsx(xlsx, limits);
  EXPECT_FALSE(sheets.ok());
  if (sheets.ok()) return "";
  EXPECT_EQ(sheets.status().reason(), "bad_spreadsheet");
  return sheets.status().message();
}

TEST(XlsxReader, EveryKindOfCellIsReadAsText) {
  std::string shared =
      R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>type</t></si>)"
      R"(<si><r><t>Қазақ</t></r><r><t xml:space="preserve"> тілі</t></r><rPh><t>ignored</t></rPh></si></sst>)";
  std::string styles =
      R"(<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1">)"
      R"(<numFmt numFmtId="164" formatCode="dd/mm/yyyy\ hh:mm"/></numFmts>)"
      R"(<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs></styleSheet>)";
  std::string rows =
      R"(<row r="1"><c r="C1" t="s"><v>1</v></c><c r="A1" t="s"><v>0</v></c></row>)"  // columns in any order
      R"(<row r="3"><c t="inlineStr"><is><t>inline</t></is></c><c><v>2.50</v></c><c t="b"><v>1</v></c>)"
      R"(<c r="E3" s="1"><v>45352</v></c><c r="F3" s="2"><v>45352.5</v></c><c r="G3"/><c r="H3" t="str"><f>A1</f><v>type</v></c></row>)";
  auto sheets = ReadXlsx(Book(rows, shared, styles));
  ASSERT_TRUE(sheets.ok()) << sheets.status().message();
  ASSERT_EQ(sheets->size(), 1u);
  const Sheet& s = (*sheets)[0];
  EXPECT_EQ(s.name, "survey");
  ASSERT_EQ(s.rows.size(), 3u);
  EXPECT_EQ(s.rows[0][0].text, "type");
  EXPECT_EQ(s.rows[0][1].text, "");
  EXPECT_EQ(s.rows[0][2].text, "Қазақ тілі");
  EXPECT_TRUE(s.rows[1].empty());
  const auto& r = s.rows[2];
  ASSERT_EQ(r.size(), 8u);
  EXPECT_EQ(r[0].text, "inline");
  EXPECT_EQ(r[1].text, "2.5");
  EXPECT_TRUE(r[1].number);
  EXPECT_EQ(r[2].text, "TRUE");
  EXPECT_EQ(r[4].text, "2024-03-01");
  EXPECT_FALSE(r[4].number);
  EXPECT_EQ(r[5].text, "2024-03-01T12:00:00");
  EXPECT_EQ(r[6].text, "");
  EXPECT_EQ(r[7].text, "type");
}

std::string BookWithMerges(const std::string& rows, const std::string& merges) {
  std::string sheet = SheetXml(rows);
  sheet.insert(sheet.rfind("</worksheet>"), "<mergeCells>" + merges + "</mergeCells>");
  return Zip({{"xl/workbook.xml", kWorkbook}, {"xl/_rels/workbook.xml.rels", kRels}, {"xl/worksheets/sheet1.xml", sheet}});
}

TEST(XlsxReader, MergedRangesAreReadWithTheirCellsAsStored) {
  auto sheets = ReadXlsx(BookWithMerges(R"(<row r="2"><c r="A2" t="inlineStr"><is><t>yn</t></is></c></row>)",
                                        R"(<mergeCell ref="A2:A4"/><mergeCell ref="C1:D1"/><mergeCell ref="F7"/>)"));
  ASSERT_TRUE(sheets.ok()) << sheets.status().message();
  const auto& m = (*sheets)[0].merges;
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].first_row, 1);
  EXPECT_EQ(m[0].last_row, 3);
  EXPECT_EQ(m[0].first_column, 0);
  EXPECT_EQ(m[0].last_column, 0);
  EXPECT_EQ(m[1].first_column, 2);
  EXPECT_EQ(m[1].last_column, 3);
  EXPECT_EQ(m[2].first_row, 6);
  EXPECT_EQ(m[2].last_column, 5);
  EXPECT_EQ((*sheets)[0].rows.size(), 2u) << "no cell is made up for a merge";
}

TEST(XlsxReader, AMergedRangeWithoutAValidPlaceIsRefused) {
  for (const char* ref : {"A0:B2", "B2:A1", ":", "A1:B", "1A:B2", "A1:B99999999", "", "a1:b2"}) {
    std::string message = Refusal(BookWithMerges("", std::string("<mergeCell ref=\"") + ref + "\"/>"));
    EXPECT_NE(message.find("a merged range without a valid position"), std::string::npos) << ref << ": " << message;
  }
  EXPECT_NE(Refusal(BookWithMerges("", "<mergeCell/>")).find("without a valid position"), std::string::npos);
}

TEST(XlsxReader, MergedRangesCountAgainstTheCellLimit) {
  XlsxLimits limits;
  limits.max_cells = 3;
  std::string merges;
  for (int i = 1; i <= 4; ++i) merges += "<mergeCell ref=\"A" + std::to_string(i) + ":B" + std::to_string(i) + "\"/>";
  EXPECT_NE(Refusal(BookWithMerges("", merges), limits).find("more than 3 cells"), std::string::npos);
}

TEST(XlsxReader, NotAZipIsRefused) {
  EXPECT_EQ(Refusal("type,name\n"), "not a usable .xlsx: not a zip archive (an .xlsx is one)");
}

TEST(XlsxReader, ZipWithoutAWorkbookIsRefused) {
  EXPECT_EQ(Refusal(Zip({{"hello.txt", "hi"}})), "not a usable .xlsx: the archive has no 'xl/workbook.xml'");
}

TEST(XlsxReader, ZipBombIsRefusedByItsRatio) {
  std::string zeros(4u << 20, '\0');
  EXPECT_EQ(Refusal(Book("", "", zeros)),
            "not a usable .xlsx: entry 'xl/styles.xml' is compressed more than 200 to 1 (a zip bomb?)");
}

TEST(XlsxReader, ZipBombIsRefusedByItsTotalSize) {
  XlsxLimits limits;
  limits.max_uncompressed_bytes = 64u << 10;
  std::string text(100u << 10, 'x');
  EXPECT_EQ(Refusal(Book("", text), limits), "not a usable .xlsx: it expands to more than 64 KiB (a zip bomb?)");
}

TEST(XlsxReader, PathTraversalEntryIsRefused) {
  EXPECT_EQ(Refusal(Zip({{"xl/workbook.xml", kWorkbook}, {"../../etc/cron.d/evil", "x"}})),
            "not a usable .xlsx: entry name '../../etc/cron.d/evil' points outside the archive");
  EXPECT_EQ(Refusal(Zip({{"/etc/passwd", "x"}})), "not a usable .xlsx: entry name '/etc/passwd' points outside the archive");
}

TEST(XlsxReader, EntityDeclarationsAreRefused) {
  std::string laughs =
      R"(<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>)"
      R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>)";
  EXPECT_EQ(Refusal(Book("", laughs)),
            "not a usable .xlsx: 'xl/sharedStrings.xml' declares a DOCTYPE or entities, which a spreadsheet never needs");
}

TEST(XlsxReader, HugeSharedStringsTableIsRefused) {
  XlsxLimits limits;
  limits.max_shared_string_bytes = 1024;
  std::string shared = R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)";
  for (int i = 0; i < 100; ++i) shared += "<si><t>" + std::string(20, 'a') + "</t></si>";
  shared += "</sst>";
  EXPECT_EQ(Refusal(Book("", shared), limits),
            "not a usable .xlsx: 'xl/sharedStrings.xml': the shared-strings table holds more than 1 KiB of text");
  // A table far larger than the limit is refused before it is read.
  limits.max_shared_string_bytes = 64;
  EXPECT_EQ(Refusal(Book("", shared), limits), "not a usable .xlsx: the shared-strings table is larger than 256 bytes");
}

TEST(XlsxReader, SheetWithAMillionRowsIsRefused) {
  EXPECT_EQ(Refusal(Book(R"(<row r="1000000"><c r="A1000000"><v>1</v></c></row>)")),
            "not a usable .xlsx: 'xl/worksheets/sheet1.xml': sheet 'survey' has more than 20000 rows");
  XlsxLimits limits;
  limits.max_cells = 100;
  std::string rows;
  for (int i = 1; i <= 101; ++i) rows += "<row><c><v>" + std::to_string(i) + "</v></c></row>";
  EXPECT_EQ(Refusal(Book(rows), limits),
            "not a usable .xlsx: 'xl/worksheets/sheet1.xml': the workbook has more than 100 cells");
}

TEST(XlsxReader, BrokenXmlAndMissingSharedStringAreRefused) {
  EXPECT_EQ(Refusal(Book("<row><c>")), "not a usable .xlsx: 'xl/worksheets/sheet1.xml' is not well-formed XML (line 1: "
                                       "mismatched tag)");
  EXPECT_EQ(Refusal(Book(R"(<row><c t="s"><v>7</v></c></row>)")),
            "not a usable .xlsx: 'xl/worksheets/sheet1.xml': a cell names shared string 7, which does not exist");
}

}  // namespace
}  // namespace dala::xlsform
