// The XLSX export, written with libxlsxwriter (Debian's libxlsxwriter-dev)
// in constant-memory mode: each sheet's finished rows go to a temporary
// file, so 100,000 records cost the memory of one row per sheet.

#include <xlsxwriter.h>

#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "dala/schema/value.h"
#include "export.h"
#include "export_rows.h"

namespace dala::server {

using exports::Cell;

namespace {

constexpr size_t kMaxCellBytes = 32767;  // Excel's limit, which libxlsxwriter enforces in bytes
constexpr lxw_row_t kHeaderRows = 2;     // labels, then names
constexpr std::string_view kCutMarker = " …[cut: longer than an Excel cell holds; whole in the JSON export]";

}  // namespace

std::string XlsxCellText(const std::string& text) {
  if (text.size() <= kMaxCellBytes) return text;
  size_t end = kMaxCellBytes - kCutMarker.size();
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // at a character's start
  return text.substr(0, end) + std::string(kCutMarker);
}

namespace {

// Sheet names: at most 31 characters, none of []:*?/\, unique.
class SheetNames {
 public:
  std::string Take(std::string name) {
    for (char& c : name)
      if (std::string_view("[]:*?/\\").find(c) != std::string_view::npos) c = '_';
    std::string out = name.substr(0, LXW_SHEETNAME_MAX);
    for (int n = 2; taken_.contains(out); ++n) {
      std::string suffix = "~" + std::to_string(n);
      out = name.substr(0, LXW_SHEETNAME_MAX - suffix.size()) + suffix;
    }
    taken_.insert(out);
    return out;
  }

 private:
  std::set<std::string> taken_;
};

class XlsxWriter {
 public:
  XlsxWriter(const std::string& path, const std::string& tmpdir) : tmpdir_(tmpdir) {
    lxw_workbook_options options = {};
    options.constant_memory = LXW_TRUE;
    options.tmpdir = tmpdir_.data();
    options.use_zip64 = LXW_TRUE;
    book_ = workbook_new_opt(path.c_str(), &options);
    if (book_ == nullptr) return;
    bold_ = workbook_add_format(book_);
    format_set_bold(bold_);
    date_ = NumberFormat("yyyy-mm-dd");
    datetime_ = NumberFormat("yyyy-mm-dd hh:mm:ss");
    time_ = NumberFormat("hh:mm:ss");
  }
  ~XlsxWriter() {
    if (book_ != nullptr) workbook_close(book_);  // only on an error path: the file is then removed
  }
  bool ok() const { return book_ != nullptr; }

  struct Sheet {
    lxw_worksheet* sheet = nullptr;
    lxw_row_t next_row = 0;
    lxw_col_t columns = 0;
    std::string name;
  };

  Result<Sheet> AddSheet(const std::string& name, const exports::Header& header) {
    Sheet s;
    s.name = names_.Take(name);
    s.sheet = workbook_add_worksheet(book_, s.name.c_str());
    if (s.sheet == nullptr) return Status::Internal("libxlsxwriter refused the sheet name '" + s.name + "'");
    s.columns = static_cast<lxw_col_t>(header.names.size());
    // Constant-memory mode takes rows strictly in order.
    for (lxw_col_t c = 0; c < s.columns; ++c)
      DALA_RETURN_IF_ERROR(
          Check(worksheet_write_string(s.sheet, 0, c, XlsxCellText(header.labels[c]).c_str(), bold_)));
    for (lxw_col_t c = 0; c < s.columns; ++c)
      DALA_RETURN_IF_ERROR(Check(worksheet_write_string(s.sheet, 1, c, header.names[c].c_str(), nullptr)));
    worksheet_set_column(s.sheet, 0, s.columns > 0 ? s.columns - 1 : 0, 16, nullptr);
    worksheet_freeze_panes(s.sheet, kHeaderRows, 1);
    s.next_row = kHeaderRows;
    return s;
  }

  Status WriteRow(Sheet& s, const std::vector<Cell>& cells) {
    if (s.next_row >= LXW_ROW_MAX)
      return Status::InvalidArgument("sheet " + s.name + " would have more rows than Excel's 1,048,576: filter the "
                                     "export (by date, region or centre) into smaller ones");
    const lxw_row_t row = s.next_row++;
    for (lxw_col_t c = 0; c < cells.size(); ++c) DALA_RETURN_IF_ERROR(WriteCell(s.sheet, row, c, cells[c]));
    return Status::Ok();
  }

  // The filter's buttons sit on the names row, over the data below it.
  void Finish(Sheet& s) {
    if (s.columns > 0) worksheet_autofilter(s.sheet, kHeaderRows - 1, 0, s.next_row - 1, s.columns - 1);
  }

  Status WriteMetadata(const std::vector<std::pair<std::string, std::string>>& rows) {
    lxw_worksheet* sheet = workbook_add_worksheet(book_, names_.Take("_export").c_str());
    if (sheet == nullptr) return Status::Internal("libxlsxwriter refused the metadata sheet");
    worksheet_set_column(sheet, 0, 0, 24, nullptr);
    worksheet_set_column(sheet, 1, 1, 80, nullptr);
    for (lxw_row_t r = 0; r < rows.size(); ++r) {
      DALA_RETURN_IF_ERROR(Check(worksheet_write_string(sheet, r, 0, rows[r].first.c_str(), bold_)));
      DALA_RETURN_IF_ERROR(
          Check(worksheet_write_string(sheet, r, 1, XlsxCellText(rows[r].second).c_str(), nullptr)));
    }
    return Status::Ok();
  }

  Status Close() {
    lxw_error e = workbook_close(book_);
    book_ = nullptr;
    return Check(e);
  }

 private:
  lxw_format* NumberFormat(const char* pattern) {
    lxw_format* f = workbook_add_format(book_);
    format_set_num_format(f, pattern);
    return f;
  }

  static Status Check(lxw_error e) {
    if (e == LXW_NO_ERROR) return Status::Ok();
    return Status::IoError(std::string("cannot write the XLSX file: ") + lxw_strerror(e));
  }

  // Text is always written as a string cell, never as a formula: an answer
  // like =HYPERLINK(...) stays text in Excel and LibreOffice (as XlsxWriter
  // with strings_to_formulas off, which is how KoboToolbox's exports write).
  Status WriteCell(lxw_worksheet* sheet, lxw_row_t row, lxw_col_t col, const Cell& cell) {
    switch (cell.kind) {
      case Cell::Kind::kEmpty: return Status::Ok();
      case Cell::Kind::kText:
        return Check(worksheet_write_string(sheet, row, col, XlsxCellText(cell.text).c_str(), nullptr));
      case Cell::Kind::kNumber: return Check(worksheet_write_number(sheet, row, col, cell.number, nullptr));
      case Cell::Kind::kBool: return Check(worksheet_write_boolean(sheet, row, col, cell.number != 0, nullptr));
      case Cell::Kind::kDate: return Check(worksheet_write_number(sheet, row, col, cell.number, date_));
      case Cell::Kind::kDateTime: return Check(worksheet_write_number(sheet, row, col, cell.number, datetime_));
      case Cell::Kind::kTime: return Check(worksheet_write_number(sheet, row, col, cell.number, time_));
    }
    return Status::Ok();
  }

  std::string tmpdir_;
  lxw_workbook* book_ = nullptr;
  lxw_format* bold_ = nullptr;
  lxw_format* date_ = nullptr;
  lxw_format* datetime_ = nullptr;
  lxw_format* time_ = nullptr;
  SheetNames names_;
};

// A form's tables and the sheets they are written to.
struct FormSheets {
  exports::FormTables tables;
  std::string language;
  std::vector<XlsxWriter::Sheet> sheets;  // parallel to tables.tables
};

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

std::vector<std::pair<std::string, std::string>> MetadataRows(const ExportOptions& o,
                                                               const exports::CheckpointRef& checkpoint,
                                                               uint64_t records, int64_t now_ms) {
  const SubmissionFilter& f = o.filter;
  return {{"log_size", std::to_string(checkpoint.size)},
          {"log_root", checkpoint.root_hex},
          {"checkpoint", checkpoint.note},
          {"note", "every row was read at this log size and root: the records as the first log_size entries "
                   "leave them; checkpoint is the server's signed note of that size, when it signed one"},
          {"exported_at", schema::FormatIsoDateTime(now_ms, 0)},
          {"records", std::to_string(records)},
          {"form", f.form_id.empty() ? "(all)" : f.form_id},
          {"region", f.region},
          {"centre", f.centre},
          {"volunteer", f.volunteer},
          {"from", f.date_from},
          {"to", f.date_to},
          {"state", f.review_state},
          {"language", o.language},
          {"choices", o.choice_names ? "names" : "labels"}};
}

}  // namespace

namespace {

Result<ExportStats> WriteXlsx(Store& store, const exports::CheckpointRef& checkpoint, const ExportOptions& o,
                              const std::string& path) {
  // The forms first: the store is not to be asked anything while records stream.
  std::vector<std::string> form_ids = {o.filter.form_id};
  if (o.filter.form_id.empty()) {
    DALA_ASSIGN_OR_RETURN(form_ids, exports::PublishedFormIds(store));
  }
  std::map<std::string, FormSheets> forms;
  for (const std::string& id : form_ids) {
    DALA_ASSIGN_OR_RETURN(auto tables, exports::TablesOf(store, id));
    const std::string lang = tables.form->HasLanguage(o.language) ? o.language : tables.form->default_language();
    forms[id] = FormSheets{std::move(tables), lang, {}};
  }

  XlsxWriter book(path, DirectoryOf(path));
  if (!book.ok()) return Status::IoError("cannot create " + path);
  for (const std::string& id : form_ids) {
    FormSheets& f = forms[id];
    for (const exports::Table& t : f.tables.tables) {
      DALA_ASSIGN_OR_RETURN(auto sheet, book.AddSheet(t.name == "main" ? id : id + "." + t.name,
                                                      exports::HeaderOf(*f.tables.form, t, f.language)));
      f.sheets.push_back(sheet);
    }
  }
  ExportStats stats{0, checkpoint.size, checkpoint.root_hex};
  DALA_RETURN_IF_ERROR(exports::ForEachRecord(
      store, o.filter,
      [&](const exports::Record& r) -> Status {
        auto it = forms.find(r.summary.form_id);
        if (it == forms.end() || !r.summary.merged_into.empty()) return Status::Ok();
        FormSheets& f = it->second;
        Status written;
        for (size_t i = 0; i < f.tables.tables.size() && written.ok(); ++i) {
          exports::RowsOf(*f.tables.form, f.tables.tables[i], r, f.language, o.choice_names,
                          [&](const std::vector<Cell>& cells) {
                            if (written.ok()) written = book.WriteRow(f.sheets[i], cells);
                          });
        }
        ++stats.records;
        return written;
      },
      o.progress));
  for (auto& [id, f] : forms)
    for (XlsxWriter::Sheet& s : f.sheets) book.Finish(s);
  DALA_RETURN_IF_ERROR(book.WriteMetadata(MetadataRows(o, checkpoint, stats.records, o.now_ms)));
  DALA_RETURN_IF_ERROR(book.Close());
  return stats;
}

}  // namespace

// A half-written file is removed: no one should open it as an export.
Result<ExportStats> WriteXlsxExport(Store& store, const ExportOptions& options, const std::string& path) {
  Result<ExportStats> stats = ExportStats{};
  Status read = exports::InExportSnapshot(store, [&](Store& snapshot, const exports::CheckpointRef& at) {
    stats = WriteXlsx(snapshot, at, options, path);
    return stats.status();
  });
  if (!read.ok()) stats = read;
  if (!stats.ok()) std::remove(path.c_str());
  return stats;
}

}  // namespace dala::server
