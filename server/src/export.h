// Exports of the current state for analysts: XLSX (one sheet per form and
// per repeat), CSV (one table), JSON and GeoJSON, over the records the
// submissions list's filters pick. Records are read by one cursor from one
// read snapshot and written as they come, so an export never holds them
// all and names exactly the log they were read at.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/status.h"
#include "dala/server/http_types.h"
#include "dala/server/store.h"

namespace dala::server {

enum class ExportFormat { kCsv, kJson, kXlsx, kGeoJson };

// "csv", "json", "xlsx" or "geojson"; InvalidArgument naming them otherwise.
Result<ExportFormat> ExportFormatNamed(std::string_view name);
const char* ExportFormatName(ExportFormat format);  // also the file extension
const char* ExportContentType(ExportFormat format);

struct ExportOptions {
  SubmissionFilter filter;      // its limit and offset are ignored
  std::string table = "main";   // CSV: "main" or a repeat's name
  std::string language;         // labels in this language; empty: the form's default
  bool choice_names = false;    // select answers as item names rather than labels
  bool bom = false;             // CSV: start with a UTF-8 byte order mark
  int64_t now_ms = 0;           // when the export was asked for (XLSX metadata)
  // Called every few hundred records with how many are done and how many
  // the filter picked when the export began.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct ExportStats {
  uint64_t records = 0;         // submissions written
  uint64_t checkpoint_size = 0; // the log's size in the snapshot the records were read from
  std::string checkpoint_root;  // the log's root at that size, hex
};

// The options of an export request: the submissions list's filters, by
// its own parsing and checks (so both refuse the same things), and
// `table`, `lang`, `choices` (labels|names) and `bom` (1).
Result<ExportOptions> ExportOptionsOf(const HttpRequest& request);

// "main" and the name of every repeat, in form order.
Result<std::vector<std::string>> ExportTables(Store& store, const std::string& form_id);

// What WriteExport would refuse before writing a byte: CSV and GeoJSON
// need a form (options.filter.form_id), CSV one with options.table, and
// GeoJSON one with a geopoint question or a select_one whose list has
// `lat` and `lon` columns. A streamed response checks first, since its
// status is sent before its body.
Status CheckExport(Store& store, ExportFormat format, const ExportOptions& options);

// CSV, JSON or GeoJSON into `out`, every record from one read snapshot
// (exports::InExportSnapshot), whose log size and root ExportStats names.
Result<ExportStats> WriteExport(Store& store, ExportFormat format, const ExportOptions& options, std::ostream& out);

// XLSX into the file `path` (libxlsxwriter in constant-memory mode: each
// sheet's rows go to a temporary file as they are written). Every form the
// filter allows gets a sheet, each repeat one more, and a last sheet
// `_export` names the checkpoint and the filters.
Result<ExportStats> WriteXlsxExport(Store& store, const ExportOptions& options, const std::string& path);

// The scratch directories ("export-" and six characters) an HTTP export
// writes its XLSX or bundle in, removed at once in normal use but left by
// a crash mid-export: `serve` removes them from `scratch_dir` when it
// starts, before any export of its own can make one. Returns how many.
size_t RemoveLeftoverExportDirs(const std::string& scratch_dir);

// Text as an XLSX cell holds it: Excel takes at most 32,767 characters a
// cell (libxlsxwriter counts bytes), so longer text is cut at a character
// boundary and ends with a visible marker saying so, never silently.
std::string XlsxCellText(const std::string& text);

// RFC 4180 quoting of one field.
std::string CsvField(const std::string& value);

// Free text as a spreadsheet will not run it: a leading =, +, -, @, tab or
// carriage return gets an apostrophe in front (OWASP's advice on CSV
// injection), so an answer like =HYPERLINK(...) stays text.
std::string InertCsvText(std::string text);

}  // namespace dala::server
