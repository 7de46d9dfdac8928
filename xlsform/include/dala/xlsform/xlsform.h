// XLSForm spreadsheets to and from Dala form documents.
//
// XlsFormToForm reads an XLSForm (.xlsx) and writes the form document that
// means the same, checked by schema::Form::Load; FormToXlsForm writes a form
// document back as an XLSForm. The mapping, and what is refused, is in
// schema/README.md ("XLSForm").
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/status.h"
#include "dala/xlsform/xlsx.h"

namespace dala::xlsform {

struct ReadOptions {
  // Reference lists for select_*_from_file and pulldata(): file name (as
  // the form names it, e.g. "centres.csv") to the CSV file's bytes.
  std::map<std::string, std::string, std::less<>> list_files;
  // The form id when the settings sheet gives none (pyxform uses the file
  // name the same way).
  std::string fallback_id = "form";
  XlsxLimits limits;
};

struct Conversion {
  std::string document;               // the form document (JSON, UTF-8)
  std::vector<std::string> warnings;  // what was ignored, one line each
};

// On failure the Status (reason "bad_xlsform", or "bad_spreadsheet" when the
// file is not a usable .xlsx) lists every problem, one a line, each naming
// the sheet, row, column and cell text:
//   survey row 14, column 'constraint': unknown function 'lenght' (cell: "lenght(.) < 5")
Result<Conversion> XlsFormToForm(std::string_view xlsx, const ReadOptions& options = {});

// The same conversion from sheets already read (tests build them by hand).
Result<Conversion> SheetsToForm(const std::vector<Sheet>& sheets, const ReadOptions& options = {});

// Writes a form document (already valid for Form::Load) as an XLSForm: one
// column per language, every list on `choices`, `settings` filled in.
// Converting the result back gives the same document, key for key.
Result<std::string> FormToXlsForm(std::string_view document);

// Every .csv file in `dir` (not below it) by file name, for
// ReadOptions::list_files; none if `dir` is "".
Result<std::map<std::string, std::string, std::less<>>> ReadListFolder(const std::string& dir);

// Parses CSV (RFC 4180: quotes, doubled quotes, CRLF or LF) into rows.
Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text);

}  // namespace dala::xlsform
