// Reading the cells of an .xlsx workbook (Office Open XML spreadsheet).
//
// The container is read with libzip and the XML with expat; neither is
// hand-written. The reader is meant for spreadsheets from strangers, so it
// refuses before it spends: entry names that climb out of the archive, a
// total or per-entry expansion beyond the limits, any DOCTYPE (and so any
// entity declaration), and more rows, cells or shared-string bytes than the
// limits allow. Every refusal is one Status with reason "bad_spreadsheet".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/status.h"

namespace dala::xlsform {

struct XlsxLimits {
  uint64_t max_uncompressed_bytes = 64u << 20;   // all entries together
  uint64_t max_compression_ratio = 200;          // per entry above 1 MiB
  uint64_t max_shared_string_bytes = 16u << 20;  // text of the shared-strings table
  int64_t max_rows = 20000;                      // per sheet
  int64_t max_cells = 1000000;                   // per workbook
  int max_columns = 1024;
};

// One worksheet as text. rows[r][c] is the cell in spreadsheet row r+1 and
// column c+1 (text "" when empty). Numbers are in their shortest decimal form,
// booleans "TRUE"/"FALSE", and a number whose cell is formatted as a date
// "YYYY-MM-DD" (with "THH:MM:SS" when it has a time of day).
struct Cell {
  std::string text;
  bool number = false;  // a numeric cell (not a date), so "5" can stay a number
};
// A merged range (the sheet's <mergeCells>), 0-based and inclusive. Its
// text is in its top-left cell; the others read as empty, as Excel keeps
// them. What a merge means is the reader of the sheet's to say (an
// XLSForm's, in xlsform_read.cc).
struct Merge {
  int64_t first_row = 0, last_row = 0;
  int first_column = 0, last_column = 0;
};
struct Sheet {
  std::string name;
  std::vector<std::vector<Cell>> rows;
  std::vector<Merge> merges;
};

// The worksheets of a workbook, in workbook order.
Result<std::vector<Sheet>> ReadXlsx(std::string_view bytes, const XlsxLimits& limits = {});

}  // namespace dala::xlsform
