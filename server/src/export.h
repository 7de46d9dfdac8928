// Exports of the current state: JSON, and CSV with one file per form and
// repeats as linked tables, labelled in a chosen language.
#pragma once

#include <string>
#include <vector>

#include "dala/base/status.h"
#include "record_service.h"

namespace dala::server {

// "main" and the name of every repeat, in form order.
Result<std::vector<std::string>> ExportTables(Store& store, RecordService& records, const std::string& form_id);

// One table as RFC 4180 CSV (UTF-8 with a byte order mark, so spreadsheet
// programs read Kazakh and Russian correctly). The main table has one row
// per submission; a repeat's table has one row per instance, linked by
// `_submission` and `_path`. Submissions merged into another are left out.
// `filter` picks the submissions (its form_id names the form).
Result<std::string> ExportCsv(Store& store, RecordService& records, const SubmissionFilter& filter,
                              const std::string& table, const std::string& language);

// Every submission the filter picks, with its metadata and answers.
Result<std::string> ExportJson(Store& store, const SubmissionFilter& filter);

// RFC 4180 quoting of one field.
std::string CsvField(const std::string& value);

// Free text as a spreadsheet will not run it: a leading =, +, -, @, tab or
// carriage return gets an apostrophe in front (OWASP's advice on CSV
// injection), so an answer like =HYPERLINK(...) stays text.
std::string InertCsvText(std::string text);

}  // namespace dala::server
