// XLSForm (survey, choices, settings, external_choices) to a form document.
//
// The document is built as XLSForm says it, then checked by Form::Load; the
// loader's problems (which name questions and document columns) are turned
// back into the spreadsheet's sheet, row, column and cell, so an author sees
// every problem where it is in the file they edit.
#include <algorithm>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "dala/base/strings.h"
#include "dala/schema/form.h"
#include "dala/xlsform/xlsform.h"

namespace dala::xlsform {
namespace {

using ojson = nlohmann::ordered_json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// "select_one  yes_no" -> "select_one yes_no" (case kept: list names are
// case-sensitive; the type words are matched lower-cased).
std::string NormalizeType(std::string_view s) {
  std::string out;
  for (char c : Trim(s)) {
    if ((c == ' ' || c == '\t') && !out.empty() && out.back() == ' ') continue;
    out += (c == '\t' ? ' ' : c);
  }
  return out;
}

// A language as written after "label::": "English (en)", "en", "Русский".
std::optional<std::string> LanguageCode(std::string_view spelled) {
  std::string s = Trim(spelled);
  size_t open = s.rfind('('), close = s.rfind(')');
  if (open != std::string::npos && close != std::string::npos && close > open + 1)
    s = Trim(std::string_view(s).substr(open + 1, close - open - 1));
  std::string lower = Lower(s);
  static const std::map<std::string, std::string> kNames = {
      {"english", "en"}, {"russian", "ru"},  {"русский", "ru"}, {"kazakh", "kk"},     {"қазақша", "kk"},
      {"french", "fr"},  {"français", "fr"}, {"spanish", "es"}, {"español", "es"},    {"portuguese", "pt"},
      {"german", "de"},  {"arabic", "ar"},   {"swahili", "sw"}, {"hindi", "hi"},      {"chinese", "zh"},
      {"uzbek", "uz"},   {"kyrgyz", "ky"},   {"tajik", "tg"},   {"turkmen", "tk"},    {"ukrainian", "uk"},
      {"default", ""}};
  if (auto it = kNames.find(lower); it != kNames.end()) return it->second;
  bool code = lower.size() >= 2 && lower.size() <= 12 &&
              std::all_of(lower.begin(), lower.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
  if (code) return lower;
  return std::nullopt;
}

// The translatable columns of each sheet.
bool IsTextColumn(std::string_view base) {
  return base == "label" || base == "hint" || base == "constraint_message" || base == "required_message" ||
         base == "form_title";
}

// A header cell split into its column and language: "label::English (en)"
// is ("label", "en"), "label:ru" ("label", "ru"), "constraint" ("constraint", "").
struct Header {
  std::string written;   // as in the spreadsheet, for messages
  std::string base;      // lower-case column name
  std::string language;  // code, "" for none
  bool bad_language = false;
};

Header SplitHeader(std::string_view written) {
  Header h;
  h.written = Trim(written);
  std::string_view w = h.written;
  size_t sep = w.find("::");
  size_t len = 2;
  if (sep == std::string_view::npos) {
    sep = w.find(':');
    len = 1;
  }
  if (sep == std::string_view::npos) {
    h.base = Lower(w);
    return h;
  }
  h.base = Lower(Trim(w.substr(0, sep)));
  if (!IsTextColumn(h.base)) {
    // "bind::odk:length", "media::image::English": a name, not a language.
    h.base = Lower(w);
    return h;
  }
  auto code = LanguageCode(w.substr(sep + len));
  if (code) h.language = *code;
  else h.bad_language = true;
  return h;
}

struct Table {
  std::string sheet;  // lower-case sheet name, as messages name it
  const Sheet* source = nullptr;
  std::vector<Header> headers;  // by column
  int header_row = 0;           // 0-based
};

struct RowRef {
  const Table* table = nullptr;
  size_t row = 0;  // 0-based in the sheet
  int number() const { return static_cast<int>(row) + 1; }
  const std::vector<Cell>& cells() const { return table->source->rows[row]; }

  // The cell of the column with this base and language ("" if none).
  const Cell* Find(std::string_view base, std::string_view language = "") const {
    const auto& c = cells();
    for (size_t i = 0; i < table->headers.size() && i < c.size(); ++i)
      if (table->headers[i].base == base && table->headers[i].language == language && !table->headers[i].bad_language)
        return &c[i];
    return nullptr;
  }
  std::string Get(std::string_view base) const {
    const Cell* cell = Find(base);
    return cell == nullptr ? "" : Trim(cell->text);
  }
  std::string Written(std::string_view base) const {
    for (const auto& h : table->headers)
      if (h.base == base) return h.written;
    return std::string(base);
  }
  bool Empty() const {
    for (const auto& c : cells())
      if (!Trim(c.text).empty()) return false;
    return true;
  }
};

bool IsYes(std::string_view v) {
  std::string l = Lower(Trim(v));
  return l == "yes" || l == "true" || l == "true()" || l == "1";
}
bool IsNo(std::string_view v) {
  std::string l = Lower(Trim(v));
  return l == "no" || l == "false" || l == "false()" || l == "0";
}

// A numeric cell's text as a JSON number, integers as integers.
ojson NumberJson(const std::string& text) {
  try {
    size_t used = 0;
    long long i = std::stoll(text, &used);
    if (used == text.size()) return ojson(static_cast<int64_t>(i));
    double d = std::stod(text, &used);
    if (used == text.size()) return ojson(d);
  } catch (const std::exception&) {
  }
  return ojson(text);
}

bool LooksNumeric(const std::string& s) {
  if (s.empty()) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') digits = true;
    else if (s[i] == '.' && !dot) dot = true;
    else return false;
  }
  // "007" is a code, not a number: keep it text so it reads back the same.
  bool leading_zero = s.size() > 1 && s[s[0] == '-' ? 1 : 0] == '0' && s.find('.') != (s[0] == '-' ? 2u : 1u);
  return digits && !leading_zero && s.back() != '.';
}

std::vector<std::string> Words(std::string_view text) {
  auto words = Split(text, ' ', EmptyParts::kSkip);
  return {words.begin(), words.end()};
}

// A `default` cell as the literal answer of a question of type `type`.
ojson DefaultJson(const std::string& type, const std::string& v) {
  if (type == "integer" || type == "decimal" || type == "rating") return LooksNumeric(v) ? NumberJson(v) : ojson(v);
  if (type == "select_multiple") return Words(v);
  if (type == "acknowledge") return IsYes(v) || Lower(v) == "ok";
  if (type == "geopoint") {
    // "lat lon [alt [accuracy]]", as ODK writes a location.
    auto parts = Words(v);
    if (parts.size() < 2 || parts.size() > 4 || !std::all_of(parts.begin(), parts.end(), LooksNumeric)) return v;
    ojson point = ojson::object();
    const char* keys[] = {"lat", "lon", "alt", "accuracy"};
    for (size_t i = 0; i < parts.size(); ++i) point[keys[i]] = NumberJson(parts[i]);
    return point;
  }
  return v;
}

// Types Dala cannot take, and why.
const char* RefusedType(std::string_view type) {
  static const std::map<std::string_view, const char*> kRefused = {
      {"image", "a photo (Dala does not take media questions)"},
      {"audio", "a recording (Dala does not take media questions)"},
      {"video", "a video (Dala does not take media questions)"},
      {"file", "a file upload (Dala does not take media questions)"},
      {"background-audio", "background recording (Dala does not take media questions)"},
      {"barcode", "a barcode scan (Dala has no camera input)"},
      {"audit", "an audit log (Dala records who signed what and when in every record instead)"},
      {"geoshape", "a shape (Dala takes geopoint only)"},
      {"geotrace", "a trace (Dala takes geopoint only)"},
      {"start-geopoint", "a location at start (Dala takes geopoint questions only)"},
      {"rank", "a ranking (not in Dala's form model)"},
      {"hidden", "a hidden value (use calculate)"},
      {"xml-external", "an external XML instance"},
      {"csv-external", "an external CSV instance (use --lists with pulldata)"},
      {"username", "metadata Dala does not collect"},
      {"phonenumber", "metadata Dala does not collect"},
      {"simserial", "metadata Dala does not collect"},
      {"subscriberid", "metadata Dala does not collect"},
      {"email", "metadata Dala does not collect"},
      {"trigger", "a trigger"},
  };
  auto it = kRefused.find(type);
  return it == kRefused.end() ? nullptr : it->second;
}

const std::set<std::string>& KnownSurveyColumns() {
  static const std::set<std::string> k = {"type",       "name",        "label",         "hint",     "required",
                                          "required_message", "constraint", "constraint_message", "relevant",
                                          "calculation", "default",    "read_only",     "choice_filter",
                                          "appearance", "parameters",  "repeat_count"};
  return k;
}

// Survey columns whose non-empty cells Dala cannot honour.
bool IsMediaColumn(std::string_view base) {
  for (std::string_view media : {"image", "audio", "video", "big-image", "media"})
    if (base == media || base.starts_with(std::string(media) + ":")) return true;
  return false;
}

struct QuestionRow {
  int row = 0;
  std::map<std::string, std::pair<std::string, std::string>> cells;  // document column -> (header, text)
};

class Reader {
 public:
  explicit Reader(const ReadOptions& options) : options_(options) {}

  Result<Conversion> Run(const std::vector<Sheet>& sheets) {
    for (const auto& sheet : sheets) {
      std::string name = Lower(Trim(sheet.name));
      if (name == "survey" || name == "choices" || name == "settings" || name == "external_choices")
        tables_[name] = MakeTable(name, sheet);
      else
        out_.warnings.push_back("sheet '" + sheet.name + "' is not an XLSForm sheet and was ignored");
    }
    if (!tables_.count("survey")) return Fail({"the workbook has no 'survey' sheet"});
    ReadSettings();
    if (default_language_.empty()) default_language_ = languages_.empty() ? "en" : languages_.front();
    ReadChoices("choices");
    ReadChoices("external_choices");
    ReadSurvey();
    if (!problems_.empty()) return Fail(problems_);
    ojson doc = Assemble();
    out_.document = doc.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
    auto loaded = schema::Form::Load(out_.document);
    if (!loaded.ok()) return Fail(Locate(loaded.status().message()));
    return std::move(out_);
  }

 private:
  Status Fail(const std::vector<std::string>& problems) {
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p;
    return Status(Status::Code::kInvalidArgument, "bad_xlsform", message);
  }

  void Problem(const RowRef& row, std::string_view header, std::string_view what, std::string_view cell = "") {
    std::string s = row.table->sheet + " row " + std::to_string(row.number());
    if (!header.empty()) s += ", column '" + std::string(header) + "'";
    s += ": " + std::string(what);
    if (!cell.empty()) s += " (cell: \"" + std::string(cell) + "\")";
    problems_.push_back(std::move(s));
  }

  Table MakeTable(const std::string& name, const Sheet& sheet) {
    Table t;
    t.sheet = name;
    t.source = &sheet;
    // The header is the first row with any text (pyxform skips blank rows).
    size_t r = 0;
    while (r < sheet.rows.size() &&
           std::all_of(sheet.rows[r].begin(), sheet.rows[r].end(), [](const Cell& c) { return Trim(c.text).empty(); }))
      ++r;
    t.header_row = static_cast<int>(r);
    if (r >= sheet.rows.size()) return t;
    if (!sheet.merges.empty()) t.source = WithMerges(name, sheet, r);
    std::map<std::pair<std::string, std::string>, size_t> seen;
    for (size_t c = 0; c < sheet.rows[r].size(); ++c) {
      Header h = SplitHeader(sheet.rows[r][c].text);
      if (!h.written.empty()) {
        auto key = std::make_pair(h.base, h.language);
        if (seen.count(key))
          problems_.push_back(name + " row " + std::to_string(r + 1) + ", column '" + h.written +
                              "': the column appears twice (also column " + std::to_string(seen[key] + 1) + ")");
        seen[key] = c;
        if (h.bad_language && !IsMediaColumn(h.base))
          problems_.push_back(name + " row " + std::to_string(r + 1) + ", column '" + h.written +
                              "': no language code; write it as '" + h.base + "::Name (xx)'");
        else if (!h.language.empty() && IsTextColumn(h.base) && !languages_set_.count(h.language)) {
          languages_set_.insert(h.language);
          languages_.push_back(h.language);
        }
      }
      t.headers.push_back(std::move(h));
    }
    return t;
  }

  // Merged cells mean what their author sees. A merge below the header
  // repeats its text in every cell it covers (a list_name, a group's
  // relevant, merged down the rows it is meant for). A header cell merged
  // across columns leaves every column after its first without a name, so
  // their cells would be dropped: refused instead. A header merged down
  // covers cells that read as empty, as they show.
  const Sheet* WithMerges(const std::string& name, const Sheet& sheet, size_t header_row) {
    Sheet& out = merged_.emplace_back(sheet);
    const size_t width = sheet.rows[header_row].size();
    uint64_t budget = options_.limits.max_shared_string_bytes;
    for (const Merge& m : sheet.merges) {
      const auto first_row = static_cast<size_t>(m.first_row);
      const auto first_column = static_cast<size_t>(m.first_column);
      if (first_row <= header_row && header_row <= static_cast<size_t>(m.last_row)) {
        if (m.last_column > m.first_column) {
          const std::string written = first_column < width ? Trim(sheet.rows[header_row][first_column].text) : "";
          problems_.push_back(name + " row " + std::to_string(header_row + 1) + ", column '" + written +
                              "': the header is merged across columns " + std::to_string(m.first_column + 1) +
                              " to " + std::to_string(m.last_column + 1) +
                              "; give each column its own header (as label::English (en), label::Русский (ru))");
        }
        continue;
      }
      if (first_row < header_row || first_row >= sheet.rows.size() || first_column >= sheet.rows[first_row].size())
        continue;
      const Cell value = sheet.rows[first_row][first_column];
      if (Trim(value.text).empty()) continue;
      const size_t last_row = std::min(static_cast<size_t>(m.last_row), sheet.rows.size() - 1);
      const size_t last_column = std::min(static_cast<size_t>(m.last_column), width == 0 ? 0 : width - 1);
      for (size_t r = first_row; r <= last_row; ++r) {
        for (size_t c = first_column; c <= last_column; ++c) {
          if (value.text.size() > budget) {
            problems_.push_back(name + ": merged cells repeat more than " +
                                std::to_string(options_.limits.max_shared_string_bytes >> 20) + " MiB of text");
            return &out;
          }
          budget -= value.text.size();
          if (out.rows[r].size() <= c) out.rows[r].resize(c + 1);
          out.rows[r][c] = value;
        }
      }
    }
    return &out;
  }

  std::vector<RowRef> Rows(const std::string& table) {
    std::vector<RowRef> rows;
    auto it = tables_.find(table);
    if (it == tables_.end()) return rows;
    const Table& t = it->second;
    for (size_t r = static_cast<size_t>(t.header_row) + 1; r < t.source->rows.size(); ++r) {
      RowRef row{&t, r};
      if (!row.Empty()) rows.push_back(row);
    }
    return rows;
  }

  // A translatable column as a text: a string when only the plain column has
  // it, else an object of language to string.
  std::optional<ojson> Text(const RowRef& row, std::string_view base) {
    std::string plain;
    ojson texts = ojson::object();
    const auto& cells = row.cells();
    for (size_t i = 0; i < row.table->headers.size() && i < cells.size(); ++i) {
      const Header& h = row.table->headers[i];
      if (h.base != base || h.bad_language) continue;
      std::string text = Trim(cells[i].text);
      if (text.empty()) continue;
      if (h.language.empty()) plain = text;
      else texts[h.language] = text;
    }
    if (texts.empty()) {
      if (plain.empty()) return std::nullopt;
      return ojson(plain);
    }
    if (!plain.empty() && !texts.contains(default_language_)) texts[default_language_] = plain;
    return texts;
  }

  void WarnUnknownColumns(const std::string& table, const std::set<std::string>& known) {
    auto it = tables_.find(table);
    if (it == tables_.end()) return;
    for (const auto& h : it->second.headers)
      if (!h.written.empty() && !known.count(h.base) && !IsMediaColumn(h.base))
        out_.warnings.push_back(table + " column '" + h.written + "' has no place in a Dala form and was ignored");
  }

  void ReadSettings() {
    auto rows = Rows("settings");
    if (rows.empty()) return;
    const RowRef& row = rows.front();
    id_ = row.Get("form_id");
    version_ = row.Get("version");
    if (auto title = Text(row, "form_title")) title_ = *title;
    std::string def = row.Get("default_language");
    if (!def.empty()) {
      auto code = LanguageCode(def);
      if (!code || code->empty()) Problem(row, row.Written("default_language"), "not a language", def);
      else default_language_ = *code;
    }
    if (!row.Get("instance_name").empty())
      out_.warnings.push_back("settings column 'instance_name' was ignored: Dala lists records by the form's summary");
    for (const char* names : {"summary", "duplicate_key"}) {
      std::string text = row.Get(names);
      if (text.empty()) continue;
      settings_extra_[names] = Words(text);
    }
    WarnUnknownColumns("settings", {"form_title", "form_id", "version", "default_language", "instance_name",
                                    "summary", "duplicate_key", "style", "public_key", "submission_url"});
  }

  void ReadChoices(const std::string& table) {
    for (const RowRef& row : Rows(table)) {
      std::string list = row.Get("list_name");
      if (list.empty()) list = row.Get("list name");
      std::string name = row.Get("name");
      if (list.empty()) {
        Problem(row, "list_name", "a choice needs a list_name");
        continue;
      }
      if (name.empty()) {
        Problem(row, "name", "a choice needs a name");
        continue;
      }
      ojson item = ojson::object();
      item["name"] = name;
      auto label = Text(row, "label");
      item["label"] = label ? *label : ojson(name);
      const auto& cells = row.cells();
      for (size_t i = 0; i < row.table->headers.size() && i < cells.size(); ++i) {
        const Header& h = row.table->headers[i];
        std::string text = Trim(cells[i].text);
        if (h.written.empty() || text.empty() || h.base == "list_name" || h.base == "list name" ||
            h.base == "name" || h.base == "label")
          continue;
        if (IsMediaColumn(h.base)) {
          Problem(row, h.written, "Dala does not take media in choices", text);
          continue;
        }
        item[h.written] = cells[i].number ? NumberJson(text) : ojson(text);
      }
      if (!list_rows_.count(list)) list_rows_[list] = row.number();
      item_rows_[list][name].push_back(row.number());
      list_sheet_[list] = table;
      lists_[list].push_back(std::move(item));
    }
  }

  // Adds list `name` from the CSV file `file` given with --lists; false if
  // there is no such file.
  bool AddListFromFile(const RowRef& row, const std::string& header, const std::string& file, const std::string& name) {
    if (lists_.count(name)) return true;
    auto it = options_.list_files.find(file);
    if (it == options_.list_files.end()) return false;
    auto csv = ParseCsv(it->second);
    if (!csv.ok()) {
      Problem(row, header, "list file '" + file + "': " + csv.status().message());
      return true;
    }
    const auto& rows = csv.value();
    if (rows.empty()) {
      Problem(row, header, "list file '" + file + "' is empty");
      return true;
    }
    std::vector<Header> headers;
    for (const auto& h : rows[0]) {
      headers.push_back(SplitHeader(h));
      const std::string& language = headers.back().language;
      if (!language.empty() && !languages_set_.count(language)) {
        languages_set_.insert(language);
        languages_.push_back(language);
      }
    }
    ojson items = ojson::array();
    for (size_t r = 1; r < rows.size(); ++r) {
      ojson item = ojson::object();
      ojson labels = ojson::object();
      for (size_t c = 0; c < headers.size() && c < rows[r].size(); ++c) {
        const std::string text = Trim(rows[r][c]);
        if (text.empty()) continue;
        if (headers[c].base == "name") item["name"] = text;
        else if (headers[c].base == "label" && headers[c].language.empty()) labels[""] = text;
        else if (headers[c].base == "label") labels[headers[c].language] = text;
        else item[headers[c].written] = LooksNumeric(text) ? NumberJson(text) : ojson(text);
      }
      if (!item.contains("name")) {
        Problem(row, header, "list file '" + file + "' line " + std::to_string(r + 1) + " has no name");
        continue;
      }
      if (labels.contains("") && labels.size() == 1) item["label"] = labels[""];
      else if (!labels.empty()) {
        labels.erase("");
        item["label"] = labels;
      } else {
        item["label"] = item["name"];
      }
      // name and label first, as in a choices sheet.
      ojson ordered = {{"name", item["name"]}, {"label", item["label"]}};
      for (auto& [k, v] : item.items())
        if (k != "name" && k != "label") ordered[k] = v;
      item_rows_[name][ordered["name"].get<std::string>()].push_back(static_cast<int>(r) + 1);
      items.push_back(std::move(ordered));
    }
    lists_[name] = std::move(items);
    list_rows_[name] = 2;
    list_sheet_[name] = "list file '" + file + "' line";
    return true;
  }

  static std::string ListNameOfFile(std::string file) {
    size_t dot = file.rfind('.');
    if (dot != std::string::npos) file.resize(dot);
    for (char& c : file)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) c = '_';
    if (file.empty() || (file[0] >= '0' && file[0] <= '9')) file = "_" + file;
    return file;
  }

  // pulldata('centres', ...) in XLSForm names centres.csv: bring it in as a list.
  void AddPulldataLists(const RowRef& row, const std::string& header, const std::string& expression) {
    size_t p = 0;
    while ((p = expression.find("pulldata", p)) != std::string::npos) {
      p += 8;
      size_t q = expression.find_first_not_of(" \t", p);
      if (q == std::string::npos || expression[q] != '(') continue;
      q = expression.find_first_not_of(" \t", q + 1);
      if (q == std::string::npos || (expression[q] != '\'' && expression[q] != '"')) continue;
      size_t end = expression.find(expression[q], q + 1);
      if (end == std::string::npos) continue;
      std::string name = expression.substr(q + 1, end - q - 1);
      if (!lists_.count(name)) AddListFromFile(row, header, name + ".csv", name);
    }
  }

  void ReadSurvey();
  bool ReadQuestion(const RowRef& row, const std::string& type, ojson* q);
  ojson Assemble();
  std::vector<std::string> Locate(const std::string& load_errors);

  const ReadOptions& options_;
  Conversion out_;
  std::map<std::string, Table> tables_;
  std::deque<Sheet> merged_;  // sheets with merged cells filled in (WithMerges); tables_ point here
  std::vector<std::string> problems_;
  std::vector<std::string> languages_;
  std::set<std::string> languages_set_;
  std::string id_, version_, default_language_;
  ojson title_;
  ojson settings_extra_ = ojson::object();
  std::map<std::string, ojson> lists_;
  std::map<std::string, int> list_rows_;
  std::map<std::string, std::map<std::string, std::vector<int>>> item_rows_;  // list -> item -> rows
  std::map<std::string, std::string> list_sheet_;
  ojson questions_ = ojson::array();
  std::map<std::string, QuestionRow> question_rows_;
  std::vector<std::string> or_other_lists_;
  bool pending_other_ = false;  // the question just read is an or_other select
};

// --- survey ----------------------------------------------------------------

struct TypeMeaning {
  std::string dala;      // Dala type, "" if refused or structural
  std::string list;      // list name for selects
  std::string file;      // list file for *_from_file
  bool or_other = false;
};

std::optional<TypeMeaning> ParseSelect(const std::string& type, const std::string& as_written) {
  static const std::vector<std::pair<std::string, std::string>> kSelects = {
      {"select_one_from_file ", "select_one"},        {"select_multiple_from_file ", "select_multiple"},
      {"select_one_external ", "select_one"},         {"select_one ", "select_one"},
      {"select one from ", "select_one"},             {"select all that apply from ", "select_multiple"},
      {"select one ", "select_one"},                  {"select1 ", "select_one"},
      {"select_multiple ", "select_multiple"},        {"select multiple ", "select_multiple"},
      {"select all that apply ", "select_multiple"},
  };
  for (const auto& [prefix, dala] : kSelects) {
    if (!type.starts_with(prefix)) continue;
    TypeMeaning m;
    m.dala = dala;
    std::string rest = Trim(as_written.substr(prefix.size()));
    for (const char* tail : {" or_other", " or other"}) {
      if (Lower(rest).ends_with(tail)) {
        m.or_other = true;
        rest = Trim(rest.substr(0, rest.size() - std::string(tail).size()));
      }
    }
    if (prefix.find("from_file") != std::string::npos) m.file = rest;
    else m.list = rest;
    return m;
  }
  return std::nullopt;
}

bool Reader::ReadQuestion(const RowRef& row, const std::string& as_written, ojson* q) {
  const std::string type = Lower(as_written);
  static const std::map<std::string, std::string> kSimple = {
      {"text", "text"},          {"string", "text"},       {"integer", "integer"}, {"int", "integer"},
      {"decimal", "decimal"},    {"date", "date"},         {"time", "time"},       {"datetime", "datetime"},
      {"geopoint", "geopoint"},  {"note", "note"},         {"acknowledge", "acknowledge"},
      {"calculate", "calculate"}, {"range", "range"},
  };
  const std::string type_header = row.Written("type");
  std::string dala;
  std::string list;
  bool or_other = false;
  if (auto it = kSimple.find(type); it != kSimple.end()) {
    dala = it->second;
  } else if (auto select = ParseSelect(type, as_written)) {
    dala = select->dala;
    list = select->list;
    or_other = select->or_other;
    if (!select->file.empty()) {
      list = ListNameOfFile(select->file);
      if (!AddListFromFile(row, type_header, select->file, list)) {
        Problem(row, type_header, "needs the list file '" + select->file + "' (give its folder with --lists)", type);
        return false;
      }
    }
    if (list.empty()) {
      Problem(row, type_header, "a select needs a list name after its type", type);
      return false;
    }
  } else if (type == "start" || type == "end" || type == "today") {
    // Filled automatically: the signing time is in every record's envelope,
    // and a calculation keeps it in the answers where expressions see it.
    dala = "calculate";
    (*q)["calculation"] = type == "today" ? "today()" : "now()";
  } else if (type == "deviceid") {
    out_.warnings.push_back("survey row " + std::to_string(row.number()) +
                            ": 'deviceid' was dropped: every Dala record is signed by its device's key");
    return false;
  } else if (type == "phone number") {
    dala = "text";  // as pyxform: digits only
    (*q)["constraint"] = "regex(., '^[0-9]*$')";
  } else if (type.starts_with("osm")) {
    Problem(row, type_header, "Dala cannot take '" + type + "': an OpenStreetMap question", type);
    return false;
  } else if (const char* why = RefusedType(type)) {
    Problem(row, type_header, std::string("Dala cannot take '") + type + "': " + why, type);
    return false;
  } else {
    Problem(row, type_header, "unknown question type", type);
    return false;
  }

  if (dala == "range") {
    std::map<std::string, std::string> params;
    std::string text = row.Get("parameters");
    for (size_t p = 0; p < text.size();) {
      size_t e = text.find_first_of(" ;,", p);
      if (e == std::string::npos) e = text.size();
      std::string kv = text.substr(p, e - p);
      if (size_t eq = kv.find('='); eq != std::string::npos) params[Lower(Trim(kv.substr(0, eq)))] = Trim(kv.substr(eq + 1));
      p = e + 1;
    }
    std::string start = params.count("start") ? params["start"] : "1";
    std::string end = params.count("end") ? params["end"] : "10";
    std::string step = params.count("step") ? params["step"] : "1";
    if (!LooksNumeric(start) || !LooksNumeric(end) || !LooksNumeric(step) || std::stod(step) <= 0) {
      Problem(row, row.Written("parameters"), "a range needs numeric start, end and a positive step", text);
      return false;
    }
    double s = std::stod(start), e = std::stod(end), st = std::stod(step);
    bool whole = s == std::trunc(s) && st == std::trunc(st) && e == std::trunc(e);
    if (s == 1 && st == 1 && whole && e >= 2 && e <= 10) {
      dala = "rating";
      (*q)["scale"] = static_cast<int>(e);
    } else {
      dala = whole ? "integer" : "decimal";
      // The range's bounds and step become the constraint they imply.
      std::string bounds = ". >= " + start + " and . <= " + end;
      if (st != 1 || !whole) bounds += " and (. - " + start + ") mod " + step + " = 0";
      std::string own = row.Get("constraint");
      (*q)["constraint"] = own.empty() ? bounds : "(" + bounds + ") and (" + own + ")";
    }
  } else if (!row.Get("parameters").empty()) {
    out_.warnings.push_back("survey row " + std::to_string(row.number()) + ": parameters '" + row.Get("parameters") +
                            "' were ignored (Dala uses parameters only for range)");
  }
  (*q)["type"] = dala;
  if (!list.empty()) (*q)["list"] = list;
  if (or_other) {
    or_other_lists_.push_back(list);
    pending_other_ = true;
  }
  return true;
}

void Reader::ReadSurvey() {
  struct Open {
    ojson* children;
    std::string kind;  // "group" or "repeat"
    RowRef row;
  };
  std::vector<Open> stack;
  auto current = [&]() -> ojson* { return stack.empty() ? &questions_ : stack.back().children; };
  std::set<std::string> known = KnownSurveyColumns();
  WarnUnknownColumns("survey", known);

  for (const RowRef& row : Rows("survey")) {
    std::string written_type = NormalizeType(row.Get("type"));
    std::string type = Lower(written_type);
    const std::string type_header = row.Written("type");
    // Media columns on any row: refused, never dropped.
    const auto& cells = row.cells();
    for (size_t i = 0; i < row.table->headers.size() && i < cells.size(); ++i)
      if (IsMediaColumn(row.table->headers[i].base) && !Trim(cells[i].text).empty())
        Problem(row, row.table->headers[i].written, "Dala does not take media in forms", Trim(cells[i].text));
    if (type.empty()) {
      Problem(row, type_header, "the row has text but no type");
      continue;
    }
    if (type.starts_with("uri:")) {
      type = type.substr(4);
      written_type = written_type.substr(4);
    }
    if (type.starts_with("end") && type != "end") {
      std::string kind = type.find("repeat") != std::string::npos ? "repeat" : "group";
      if (type != "end group" && type != "end_group" && type != "end repeat" && type != "end_repeat") {
        Problem(row, type_header, "unknown question type", type);
      } else if (stack.empty() || stack.back().kind != kind) {
        Problem(row, type_header, "'" + type + "' without a matching 'begin " + kind + "'", type);
      } else {
        stack.pop_back();
      }
      continue;
    }
    std::string name = row.Get("name");
    ojson q = ojson::object();
    std::string kind;
    if (type == "begin group" || type == "begin_group") kind = "group";
    else if (type == "begin repeat" || type == "begin_repeat") kind = "repeat";
    else if (type.starts_with("begin")) {
      Problem(row, type_header, "unknown question type (Dala has groups and repeats)", type);
      continue;
    }
    if (kind.empty()) {
      if (!ReadQuestion(row, written_type, &q)) continue;
    } else {
      q["type"] = kind;
    }
    if (name.empty()) {
      Problem(row, row.Written("name"), "a question needs a name");
      continue;
    }
    // Name first, then the columns in the order the README lists them.
    ojson ordered = {{"type", q["type"]}, {"name", name}};
    for (auto& [k, v] : q.items())
      if (k != "type") ordered[k] = v;
    q = std::move(ordered);
    QuestionRow& where = question_rows_[name];
    if (where.row == 0) where.row = row.number();
    where.cells["type"] = {type_header, row.Get("type")};
    where.cells["name"] = {row.Written("name"), name};
    where.cells["list"] = where.cells["type"];
    where.cells["scale"] = {row.Written("parameters"), row.Get("parameters")};
    where.cells["children"] = where.cells["type"];
    for (const char* text : {"label", "hint", "required_message", "constraint_message"}) {
      if (auto t = Text(row, text)) q[text] = *t;
      where.cells[text] = {row.Written(text), row.Get(text)};
    }
    for (const char* column : {"required", "read_only"}) {
      std::string v = row.Get(column);
      where.cells[column] = {row.Written(column), v};
      if (v.empty()) continue;
      if (IsYes(v)) q[column] = true;
      else if (IsNo(v)) q[column] = false;
      else if (std::string(column) == "required") q[column] = v;
      else Problem(row, row.Written(column), "must be yes or no", v);
    }
    for (const char* column : {"constraint", "relevant", "calculation", "choice_filter", "appearance"}) {
      std::string v = row.Get(column);
      if (!where.cells.count(column) || !v.empty()) where.cells[column] = {row.Written(column), v};
      if (v.empty() || q.contains(column)) continue;
      q[column] = v;
      if (std::string(column) != "appearance") AddPulldataLists(row, row.Written(column), v);
    }
    if (std::string v = row.Get("default"); !v.empty()) {
      where.cells["default"] = {row.Written("default"), v};
      q["default"] = DefaultJson(q["type"], v);
    }
    if (std::string v = row.Get("repeat_count"); !v.empty()) {
      where.cells["repeat_count"] = {row.Written("repeat_count"), v};
      bool digits = std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
      q["repeat_count"] = digits && v.size() < 10 ? ojson(std::stoll(v)) : ojson(v);
    }
    if (!kind.empty()) {
      q["children"] = ojson::array();
      current()->push_back(std::move(q));
      stack.push_back(Open{&current()->back()["children"], kind, row});
      continue;
    }
    current()->push_back(std::move(q));
    if (pending_other_) {
      pending_other_ = false;
      // As pyxform: an "other" choice and a text question asked when it is chosen.
      ojson other = {{"type", "text"},
                     {"name", name + "_other"},
                     {"label", "Specify other."},
                     {"relevant", "selected(${" + name + "}, 'other')"}};
      question_rows_[name + "_other"].row = row.number();
      current()->push_back(std::move(other));
    }
  }
  for (const Open& open : stack)
    Problem(open.row, open.row.Written("type"), "'begin " + open.kind + "' is never ended", open.row.Get("type"));
}

ojson Reader::Assemble() {
  // Texts written only in the plain column belong to the default language.
  std::vector<std::string> languages = languages_;
  if (std::find(languages.begin(), languages.end(), default_language_) == languages.end())
    languages.insert(languages.begin(), default_language_);
  for (const std::string& list : or_other_lists_) {
    auto& items = lists_[list];
    bool has = std::any_of(items.begin(), items.end(), [](const ojson& i) { return i["name"] == "other"; });
    if (!has) items.push_back({{"name", "other"}, {"label", "Other"}});
  }
  std::string id = id_.empty() ? options_.fallback_id : id_;
  std::string fixed;
  for (char c : Lower(id)) fixed += ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') ? c : '_';
  if (fixed.empty() || !(fixed[0] >= 'a' && fixed[0] <= 'z')) fixed = "f" + fixed;
  if (fixed.size() > 64) fixed.resize(64);
  if (fixed != id) out_.warnings.push_back("form id '" + id + "' is written '" + fixed + "' (Dala's id syntax)");
  std::string version = version_;
  if (version.empty()) {
    version = "1";
    out_.warnings.push_back("settings has no version; the form is version '1'");
  }
  ojson doc = ojson::object();
  doc["dala_form"] = 1;
  doc["id"] = fixed;
  doc["version"] = version;
  doc["title"] = title_.is_null() ? ojson(fixed) : title_;
  doc["languages"] = languages;
  doc["default_language"] = default_language_;
  if (!lists_.empty()) {
    doc["lists"] = ojson::object();
    for (auto& [name, items] : lists_) doc["lists"][name] = items;
  }
  doc["questions"] = questions_;
  for (auto& [k, v] : settings_extra_.items()) doc[k] = v;
  return doc;
}

// Turns Form::Load's lines ("form 'x': question 'q', column 'c': what")
// into the spreadsheet's sheet, row, column and cell.
std::vector<std::string> Reader::Locate(const std::string& load_errors) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p < load_errors.size()) {
    size_t e = load_errors.find('\n', p);
    if (e == std::string::npos) e = load_errors.size();
    std::string line = load_errors.substr(p, e - p);
    p = e + 1;
    if (line.starts_with("form '")) {
      size_t close = line.find("': ");
      if (close != std::string::npos) line = line.substr(close + 3);
    }
    std::string question, column;
    if (line.starts_with("question '")) {
      size_t end = line.find("'", 10);
      question = line.substr(10, end - 10);
      line = line.substr(end + 1);
      if (line.starts_with(", ")) line = line.substr(2);
    }
    if (line.starts_with("column '")) {
      size_t end = line.find("': ", 8);
      if (end != std::string::npos) {
        column = line.substr(8, end - 8);
        line = line.substr(end + 3);
      }
    }
    auto q = question_rows_.find(question);
    if (!question.empty() && q != question_rows_.end()) {
      std::string s = "survey row " + std::to_string(q->second.row);
      auto cell = q->second.cells.find(column);
      if (cell != q->second.cells.end()) {
        s += ", column '" + cell->second.first + "': " + line;
        if (!cell->second.second.empty()) s += " (cell: \"" + cell->second.second + "\")";
      } else {
        s += (column.empty() ? "" : ", column '" + column + "'") + std::string(": ") + line;
      }
      out.push_back(std::move(s));
    } else if (column.starts_with("lists.")) {
      std::string list = column.substr(6);
      list = list.substr(0, list.find('.'));
      // "item name 'king' appears twice" is at the second 'king'.
      int row = list_rows_.count(list) ? list_rows_[list] : 0;
      size_t quote = line.find("item name '") != std::string::npos ? line.find("item name '") + 11
                     : line.find("item '") != std::string::npos  ? line.find("item '") + 6
                                                                  : std::string::npos;
      if (quote != std::string::npos) {
        std::string item = line.substr(quote, line.find('\'', quote) - quote);
        const auto& rows = item_rows_[list][item];
        if (!rows.empty()) row = rows[line.find("twice") != std::string::npos && rows.size() > 1 ? 1 : 0];
      }
      if (row > 0)
        out.push_back(list_sheet_[list] + (list_sheet_[list].ends_with(" line") ? " " : " row ") + std::to_string(row) + ", list '" + list + "': " + line);
      else
        out.push_back("list '" + list + "': " + line);
    } else if (!column.empty()) {
      out.push_back("settings, column '" + column + "': " + line);
    } else {
      out.push_back(line);
    }
  }
  return out;
}

}  // namespace

Result<Conversion> SheetsToForm(const std::vector<Sheet>& sheets, const ReadOptions& options) {
  return Reader(options).Run(sheets);
}

Result<Conversion> XlsFormToForm(std::string_view xlsx, const ReadOptions& options) {
  DALA_ASSIGN_OR_RETURN(auto sheets, ReadXlsx(xlsx, options.limits));
  return SheetsToForm(sheets, options);
}

}  // namespace dala::xlsform
