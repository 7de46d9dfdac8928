// Reads worksheets out of an .xlsx with libzip (the container) and expat
// (the XML). See xlsx.h for what is refused and why.
#include <expat.h>
#include <zip.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "dala/xlsform/xlsx.h"

#include "dala/base/strings.h"

namespace dala::xlsform {
namespace {

Status Bad(std::string message) {
  return Status(Status::Code::kInvalidArgument, "bad_spreadsheet", "not a usable .xlsx: " + message);
}

std::string Size(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  if (bytes < (1u << 20)) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes >> 20) + " MiB";
}

// Entry names are only looked up, never written to disk, but an archive
// that holds "../" or absolute names was made to attack someone.
bool IsUnsafeEntryName(std::string_view name) {
  if (name.empty() || name[0] == '/' || name[0] == '\\') return true;
  if (name.find('\\') != std::string_view::npos || name.find(':') != std::string_view::npos) return true;
  for (std::string_view part : Split(name, '/'))
    if (part == "..") return true;
  return false;
}

class Archive {
 public:
  static Result<std::unique_ptr<Archive>> Open(std::string_view bytes, const XlsxLimits& limits) {
    auto archive = std::unique_ptr<Archive>(new Archive(limits));
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr) return Bad("cannot read the archive");
    archive->zip_ = zip_open_from_source(source, ZIP_RDONLY, &error);
    zip_error_fini(&error);
    if (archive->zip_ == nullptr) {
      zip_source_free(source);
      return Bad("not a zip archive (an .xlsx is one)");
    }
    DALA_RETURN_IF_ERROR(archive->CheckEntries());
    return archive;
  }
  ~Archive() {
    if (zip_ != nullptr) zip_discard(zip_);
  }

  bool Has(const std::string& name) const { return sizes_.count(name) != 0; }
  uint64_t SizeOf(const std::string& name) const { return Has(name) ? sizes_.at(name) : 0; }

  Result<std::string> Read(const std::string& name) const {
    auto size = sizes_.find(name);
    if (size == sizes_.end()) return Bad("the archive has no '" + name + "'");
    zip_file_t* file = zip_fopen(zip_, name.c_str(), 0);
    if (file == nullptr) return Bad("cannot open '" + name + "' in the archive");
    // Read one byte more than declared: a lying header shows as extra data.
    std::string out(size->second + 1, '\0');
    zip_int64_t got = zip_fread(file, out.data(), out.size());
    zip_fclose(file);
    if (got < 0 || static_cast<uint64_t>(got) != size->second) return Bad("'" + name + "' is damaged");
    out.resize(static_cast<size_t>(got));
    return out;
  }

 private:
  explicit Archive(const XlsxLimits& limits) : limits_(limits) {}

  Status CheckEntries() {
    zip_int64_t count = zip_get_num_entries(zip_, 0);
    if (count < 0 || count > 10000) return Bad("too many entries in the archive");
    uint64_t total = 0;
    for (zip_int64_t i = 0; i < count; ++i) {
      zip_stat_t st;
      zip_stat_init(&st);
      if (zip_stat_index(zip_, static_cast<zip_uint64_t>(i), 0, &st) != 0 || st.name == nullptr)
        return Bad("unreadable archive entry");
      std::string_view name = st.name;
      if (IsUnsafeEntryName(name))
        return Bad("entry name '" + std::string(name) + "' points outside the archive");
      total += st.size;
      if (total > limits_.max_uncompressed_bytes)
        return Bad("it expands to more than " + Size(limits_.max_uncompressed_bytes) + " (a zip bomb?)");
      if (st.size > (1u << 20) && st.size / std::max<uint64_t>(st.comp_size, 1) > limits_.max_compression_ratio)
        return Bad("entry '" + std::string(name) + "' is compressed more than " +
                   std::to_string(limits_.max_compression_ratio) + " to 1 (a zip bomb?)");
      sizes_[std::string(name)] = st.size;
    }
    return Status::Ok();
  }

  const XlsxLimits& limits_;
  zip_t* zip_ = nullptr;
  std::map<std::string, uint64_t> sizes_;
};

// --- XML -------------------------------------------------------------------

struct XmlHandler {
  // Element names arrive without their namespace prefix.
  std::function<void(std::string_view name, const char** attrs)> start;
  std::function<void(std::string_view name)> end;
  std::function<void(std::string_view text)> text;
  std::string error;  // set by a handler to stop the parse
};

std::string_view LocalName(const char* name) {
  std::string_view n = name;
  size_t colon = n.find(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

const char* Attr(const char** attrs, std::string_view local) {
  for (int i = 0; attrs[i] != nullptr; i += 2)
    if (LocalName(attrs[i]) == local) return attrs[i + 1];
  return nullptr;
}

struct ParseState {
  XML_Parser parser;
  XmlHandler* handler;
  bool doctype = false;
};

Status ParseXml(const std::string& part, const std::string& xml, XmlHandler* handler) {
  XML_Parser parser = XML_ParserCreate("UTF-8");
  if (parser == nullptr) return Status::Internal("cannot create an XML parser");
  ParseState state{parser, handler};
  XML_SetUserData(parser, &state);
  // Spreadsheets never need a DOCTYPE; refusing it refuses every entity
  // declaration, so no expansion attack reaches the handlers.
  XML_SetStartDoctypeDeclHandler(parser, [](void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    auto* s = static_cast<ParseState*>(data);
    s->doctype = true;
    XML_StopParser(s->parser, XML_FALSE);
  });
  XML_SetEntityDeclHandler(parser, [](void* data, const XML_Char*, int, const XML_Char*, int, const XML_Char*,
                                      const XML_Char*, const XML_Char*, const XML_Char*) {
    auto* s = static_cast<ParseState*>(data);
    s->doctype = true;
    XML_StopParser(s->parser, XML_FALSE);
  });
  XML_SetElementHandler(
      parser,
      [](void* data, const XML_Char* name, const XML_Char** attrs) {
        auto* s = static_cast<ParseState*>(data);
        if (s->handler->start) s->handler->start(LocalName(name), attrs);
        if (!s->handler->error.empty()) XML_StopParser(s->parser, XML_FALSE);
      },
      [](void* data, const XML_Char* name) {
        auto* s = static_cast<ParseState*>(data);
        if (s->handler->end) s->handler->end(LocalName(name));
        if (!s->handler->error.empty()) XML_StopParser(s->parser, XML_FALSE);
      });
  XML_SetCharacterDataHandler(parser, [](void* data, const XML_Char* text, int len) {
    auto* s = static_cast<ParseState*>(data);
    if (s->handler->text) s->handler->text(std::string_view(text, static_cast<size_t>(len)));
  });
  XML_Status status = XML_Parse(parser, xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  const XML_LChar* described = XML_ErrorString(XML_GetErrorCode(parser));
  std::string expat_error = described == nullptr ? "unknown error" : described;
  auto line = XML_GetCurrentLineNumber(parser);
  XML_ParserFree(parser);
  if (state.doctype) return Bad("'" + part + "' declares a DOCTYPE or entities, which a spreadsheet never needs");
  if (!handler->error.empty()) return Bad("'" + part + "': " + handler->error);
  if (status != XML_STATUS_OK)
    return Bad("'" + part + "' is not well-formed XML (line " + std::to_string(line) + ": " + expat_error + ")");
  return Status::Ok();
}

// --- cells -----------------------------------------------------------------

// "AB12" -> column 27 (0-based); -1 if there are no letters.
int ColumnOf(std::string_view ref) {
  int column = 0;
  size_t i = 0;
  for (; i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z'; ++i) {
    column = column * 26 + (ref[i] - 'A' + 1);
    if (column > 16384) return -1;
  }
  return i == 0 ? -1 : column - 1;
}

// "B3" → row 2, column 1; false unless a column and a row number > 0.
bool CellOf(std::string_view ref, int64_t* row, int* column) {
  *column = ColumnOf(ref);
  if (*column < 0) return false;
  size_t digits = ref.find_first_of("0123456789");
  if (digits == std::string_view::npos || ref.size() - digits > 7) return false;
  int64_t r = 0;
  auto [ptr, ec] = std::from_chars(ref.data() + digits, ref.data() + ref.size(), r);
  if (ec != std::errc() || ptr != ref.data() + ref.size() || r < 1) return false;
  *row = r - 1;
  return true;
}

// "A1:C2" (or one cell, "B4").
bool MergeOf(std::string_view ref, Merge* m) {
  size_t colon = ref.find(':');
  std::string_view first = ref.substr(0, colon), last = colon == std::string_view::npos ? first : ref.substr(colon + 1);
  if (!CellOf(first, &m->first_row, &m->first_column) || !CellOf(last, &m->last_row, &m->last_column)) return false;
  return m->first_row <= m->last_row && m->first_column <= m->last_column;
}

std::string FormatNumber(double v) {
  if (v == 0) return "0";
  if (std::fabs(v) < 1e15 && v == std::trunc(v)) return std::to_string(static_cast<int64_t>(v));
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// Excel's day 0 is 1899-12-30 (its leap-year bug makes that so for every
// date after February 1900). Days to civil date after Howard Hinnant.
std::string FormatSerialDate(double serial) {
  double whole = std::floor(serial);
  int64_t z = static_cast<int64_t>(whole) - 25569 + 719468;  // days since 1970-01-01, shifted to 0000-03-01
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[160];
  int64_t seconds = std::llround((serial - whole) * 86400);
  if (seconds == 0 || seconds >= 86400) {
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y), static_cast<long long>(m),
                  static_cast<long long>(d));
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld", static_cast<long long>(y),
                  static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  }
  return buf;
}

// A number format shows a date if it is one of the built-in date formats or
// its code has a date or time letter outside quotes and brackets.
bool IsDateFormat(int id, const std::string& code) {
  if ((id >= 14 && id <= 22) || (id >= 45 && id <= 47)) return true;
  bool quoted = false, bracket = false;
  for (char c : code) {
    if (c == '"') quoted = !quoted;
    else if (!quoted && c == '[') bracket = true;
    else if (!quoted && c == ']') bracket = false;
    else if (!quoted && !bracket && std::strchr("dmyhsDMYHS", c) != nullptr) return true;
  }
  return false;
}

struct Workbook {
  std::vector<std::pair<std::string, std::string>> sheets;  // name, part path
  std::vector<std::string> shared;
  std::vector<bool> date_styles;  // by cellXfs index
};

Status ReadWorkbook(const Archive& zip, Workbook* book) {
  std::map<std::string, std::string> targets;
  if (zip.Has("xl/_rels/workbook.xml.rels")) {
    DALA_ASSIGN_OR_RETURN(std::string rels, zip.Read("xl/_rels/workbook.xml.rels"));
    XmlHandler h;
    h.start = [&](std::string_view name, const char** attrs) {
      if (name != "Relationship") return;
      const char* id = Attr(attrs, "Id");
      const char* target = Attr(attrs, "Target");
      if (id == nullptr || target == nullptr) return;
      std::string t = target;
      t = t.starts_with("/") ? t.substr(1) : "xl/" + t;
      targets[id] = t;
    };
    DALA_RETURN_IF_ERROR(ParseXml("xl/_rels/workbook.xml.rels", rels, &h));
  }
  DALA_ASSIGN_OR_RETURN(std::string workbook, zip.Read("xl/workbook.xml"));
  XmlHandler h;
  h.start = [&](std::string_view name, const char** attrs) {
    if (name != "sheet") return;
    const char* sheet_name = Attr(attrs, "name");
    const char* rid = Attr(attrs, "id");
    const char* sheet_id = Attr(attrs, "sheetId");
    if (sheet_name == nullptr) return;
    std::string part;
    if (rid != nullptr && targets.count(rid)) part = targets[rid];
    else if (sheet_id != nullptr) part = std::string("xl/worksheets/sheet") + sheet_id + ".xml";
    book->sheets.emplace_back(sheet_name, part);
  };
  DALA_RETURN_IF_ERROR(ParseXml("xl/workbook.xml", workbook, &h));
  return Status::Ok();
}

Status ReadSharedStrings(const Archive& zip, const XlsxLimits& limits, Workbook* book) {
  const std::string part = "xl/sharedStrings.xml";
  if (!zip.Has(part)) return Status::Ok();
  if (zip.SizeOf(part) > limits.max_shared_string_bytes * 4)
    return Bad("the shared-strings table is larger than " + Size(limits.max_shared_string_bytes * 4));
  DALA_ASSIGN_OR_RETURN(std::string xml, zip.Read(part));
  uint64_t bytes = 0;
  bool in_t = false;
  int phonetic = 0;
  XmlHandler h;
  h.start = [&](std::string_view name, const char**) {
    if (name == "si") book->shared.emplace_back();
    else if (name == "rPh") ++phonetic;  // pronunciation guides are not the cell's text
    else if (name == "t") in_t = phonetic == 0 && !book->shared.empty();
  };
  h.end = [&](std::string_view name) {
    if (name == "t") in_t = false;
    else if (name == "rPh") --phonetic;
  };
  h.text = [&](std::string_view text) {
    if (!in_t) return;
    bytes += text.size();
    if (bytes > limits.max_shared_string_bytes) {
      h.error = "the shared-strings table holds more than " + Size(limits.max_shared_string_bytes) + " of text";
      return;
    }
    book->shared.back() += text;
  };
  return ParseXml(part, xml, &h);
}

Status ReadStyles(const Archive& zip, Workbook* book) {
  if (!zip.Has("xl/styles.xml")) return Status::Ok();
  DALA_ASSIGN_OR_RETURN(std::string xml, zip.Read("xl/styles.xml"));
  std::map<int, std::string> codes;
  std::vector<int> xf_formats;
  bool in_cell_xfs = false;
  XmlHandler h;
  h.start = [&](std::string_view name, const char** attrs) {
    if (name == "numFmt") {
      const char* id = Attr(attrs, "numFmtId");
      const char* code = Attr(attrs, "formatCode");
      if (id != nullptr && code != nullptr) codes[std::atoi(id)] = code;
    } else if (name == "cellXfs") {
      in_cell_xfs = true;
    } else if (name == "xf" && in_cell_xfs) {
      const char* id = Attr(attrs, "numFmtId");
      xf_formats.push_back(id == nullptr ? 0 : std::atoi(id));
    }
  };
  h.end = [&](std::string_view name) {
    if (name == "cellXfs") in_cell_xfs = false;
  };
  DALA_RETURN_IF_ERROR(ParseXml("xl/styles.xml", xml, &h));
  for (int id : xf_formats) book->date_styles.push_back(IsDateFormat(id, codes.count(id) ? codes[id] : ""));
  return Status::Ok();
}

Status ReadSheet(const Archive& zip, const Workbook& book, const XlsxLimits& limits, const std::string& part,
                 int64_t* cells, Sheet* sheet) {
  DALA_ASSIGN_OR_RETURN(std::string xml, zip.Read(part));
  int64_t row = -1;
  int column = -1;
  std::string type, value;
  int style = 0;
  bool in_value = false, in_inline = false, in_t = false;
  int phonetic = 0;
  XmlHandler h;
  h.start = [&](std::string_view name, const char** attrs) {
    if (name == "row") {
      const char* r = Attr(attrs, "r");
      row = r != nullptr ? std::atoll(r) - 1 : row + 1;
      column = -1;
    } else if (name == "c") {
      const char* r = Attr(attrs, "r");
      column = r != nullptr ? ColumnOf(r) : column + 1;
      const char* t = Attr(attrs, "t");
      type = t == nullptr ? "n" : t;
      const char* s = Attr(attrs, "s");
      style = s == nullptr ? 0 : std::atoi(s);
      value.clear();
      if (column < 0 || row < 0)
        h.error = "sheet '" + sheet->name + "' has a cell without a valid position";
      else if (++*cells > limits.max_cells)
        h.error = "the workbook has more than " + std::to_string(limits.max_cells) + " cells";
    } else if (name == "mergeCell") {
      const char* ref = Attr(attrs, "ref");
      Merge m;
      if (ref == nullptr || !MergeOf(ref, &m))
        h.error = "sheet '" + sheet->name + "' has a merged range without a valid position";
      else if (++*cells > limits.max_cells)
        h.error = "the workbook has more than " + std::to_string(limits.max_cells) + " cells";
      else
        sheet->merges.push_back(m);
    } else if (name == "v") {
      in_value = true;
    } else if (name == "is") {
      in_inline = true;
    } else if (name == "rPh") {
      ++phonetic;
    } else if (name == "t" && in_inline) {
      in_t = phonetic == 0;
    }
  };
  h.text = [&](std::string_view text) {
    if (in_value || in_t) value += text;
    if (value.size() > (1u << 20)) h.error = "a cell holds more than 1 MiB";
  };
  h.end = [&](std::string_view name) {
    if (name == "v") in_value = false;
    else if (name == "is") in_inline = false;
    else if (name == "t") in_t = false;
    else if (name == "rPh") --phonetic;
    else if (name == "c" && h.error.empty()) {
      std::string text;
      bool number = false;
      if (type == "s") {
        char* end = nullptr;
        long index = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || index < 0 || static_cast<size_t>(index) >= book.shared.size()) {
          h.error = "a cell names shared string " + value + ", which does not exist";
          return;
        }
        text = book.shared[static_cast<size_t>(index)];
      } else if (type == "b") {
        text = value == "1" ? "TRUE" : value == "0" ? "FALSE" : value;
      } else if (type == "n" && !value.empty()) {
        double v = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc() || ptr != value.data() + value.size()) {
          text = value;
        } else {
          bool is_date = style >= 0 && static_cast<size_t>(style) < book.date_styles.size() &&
                         book.date_styles[static_cast<size_t>(style)];
          number = !(is_date && v >= 1 && v < 2958466);
          text = number ? FormatNumber(v) : FormatSerialDate(v);
        }
      } else {
        text = value;  // inline strings, formula results ("str"), errors ("e")
      }
      if (text.empty()) return;
      if (column >= limits.max_columns) {
        h.error = "sheet '" + sheet->name + "' has text beyond column " + std::to_string(limits.max_columns);
        return;
      }
      if (row >= limits.max_rows) {
        h.error = "sheet '" + sheet->name + "' has more than " + std::to_string(limits.max_rows) + " rows";
        return;
      }
      auto r = static_cast<size_t>(row);
      if (sheet->rows.size() <= r) sheet->rows.resize(r + 1);
      auto& cells_of_row = sheet->rows[r];
      if (cells_of_row.size() <= static_cast<size_t>(column)) cells_of_row.resize(static_cast<size_t>(column) + 1);
      cells_of_row[static_cast<size_t>(column)] = Cell{std::move(text), number};
    }
  };
  return ParseXml(part, xml, &h);
}

}  // namespace

Result<std::vector<Sheet>> ReadXlsx(std::string_view bytes, const XlsxLimits& limits) {
  DALA_ASSIGN_OR_RETURN(auto zip, Archive::Open(bytes, limits));
  Workbook book;
  DALA_RETURN_IF_ERROR(ReadWorkbook(*zip, &book));
  DALA_RETURN_IF_ERROR(ReadSharedStrings(*zip, limits, &book));
  DALA_RETURN_IF_ERROR(ReadStyles(*zip, &book));
  std::vector<Sheet> sheets;
  int64_t cells = 0;
  for (const auto& [name, part] : book.sheets) {
    Sheet sheet;
    sheet.name = name;
    if (!part.empty() && zip->Has(part)) DALA_RETURN_IF_ERROR(ReadSheet(*zip, book, limits, part, &cells, &sheet));
    sheets.push_back(std::move(sheet));
  }
  return sheets;
}

}  // namespace dala::xlsform
