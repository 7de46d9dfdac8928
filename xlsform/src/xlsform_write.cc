// A form document as an XLSForm, written with libxlsxwriter.
//
// The layout is what xlsform_read.cc reads back to the same document: one
// column per language ("label::Russian (ru)"), a plain column only where a
// text is a plain string, every list on `choices`, and `settings` carrying
// the form's id, version, title, default language, summary and duplicate key.
#include <xlsxwriter.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unistd.h>

#include "dala/xlsform/xlsform.h"

namespace dala::xlsform {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

std::string LanguageHeader(const std::string& code) {
  static const std::map<std::string, std::string> kNames = {
      {"kk", "Kazakh"}, {"ru", "Russian"}, {"en", "English"}, {"fr", "French"}, {"es", "Spanish"}};
  auto it = kNames.find(code);
  return it == kNames.end() ? code : it->second + " (" + code + ")";
}

// Which columns a sheet needs: the plain one where a text is a string, one
// per language where it is an object.
struct TextColumns {
  bool plain = false;
  std::vector<std::string> languages;
};

void NoteText(const ojson& text, TextColumns* columns) {
  if (text.is_string()) columns->plain = true;
  if (!text.is_object()) return;
  for (auto& [lang, value] : text.items())
    if (std::find(columns->languages.begin(), columns->languages.end(), lang) == columns->languages.end())
      columns->languages.push_back(lang);
}

// One sheet being filled: a header of named columns and rows of cells.
class SheetWriter {
 public:
  SheetWriter(lxw_workbook* book, const char* name, lxw_format* bold)
      : sheet_(workbook_add_worksheet(book, name)), bold_(bold) {}

  void AddColumn(const std::string& key, const std::string& header) {
    if (column_of_.count(key)) return;
    column_of_[key] = static_cast<lxw_col_t>(column_of_.size());
    headers_.push_back(header);
  }
  // Adds the plain and per-language columns of a text column, languages in
  // the form's order.
  void AddTextColumns(const std::string& base, const TextColumns& used, const std::vector<std::string>& order) {
    if (used.plain) AddColumn(base, base);
    for (const auto& lang : order)
      if (std::find(used.languages.begin(), used.languages.end(), lang) != used.languages.end())
        AddColumn(base + "::" + lang, base + "::" + LanguageHeader(lang));
  }
  bool Has(const std::string& key) const { return column_of_.count(key) != 0; }

  void NewRow() { ++row_; }
  void Put(const std::string& key, const ojson& value) {
    auto it = column_of_.find(key);
    if (it == column_of_.end() || value.is_null()) return;
    lxw_error e = LXW_NO_ERROR;
    if (value.is_number()) e = worksheet_write_number(sheet_, row_, it->second, value.get<double>(), nullptr);
    else if (value.is_string()) e = worksheet_write_string(sheet_, row_, it->second, value.get<std::string>().c_str(), nullptr);
    else if (value.is_boolean()) e = worksheet_write_string(sheet_, row_, it->second, value.get<bool>() ? "yes" : "no", nullptr);
    else e = worksheet_write_string(sheet_, row_, it->second, value.dump().c_str(), nullptr);
    if (e != LXW_NO_ERROR && error_.empty()) error_ = std::string("cell ") + key + ": " + lxw_strerror(e);
  }
  void PutText(const std::string& base, const ojson& text) {
    if (text.is_string()) Put(base, text);
    else if (text.is_object())
      for (auto& [lang, value] : text.items()) Put(base + "::" + lang, value);
  }
  // The header row, frozen and bold, so the sheet reads like any XLSForm.
  void Finish() {
    for (size_t c = 0; c < headers_.size(); ++c) {
      worksheet_write_string(sheet_, 0, static_cast<lxw_col_t>(c), headers_[c].c_str(), bold_);
      worksheet_set_column(sheet_, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c),
                           headers_[c].starts_with("label") ? 40 : 16, nullptr);
    }
    worksheet_freeze_panes(sheet_, 1, 0);
  }
  const std::string& error() const { return error_; }

 private:
  lxw_worksheet* sheet_;
  lxw_format* bold_;
  std::map<std::string, lxw_col_t> column_of_;
  std::vector<std::string> headers_;
  lxw_row_t row_ = 0;
  std::string error_;
};

const char* kTextColumns[] = {"label", "hint", "required_message", "constraint_message"};
const char* kPlainColumns[] = {"required", "constraint", "relevant", "calculation", "default", "read_only",
                               "choice_filter", "appearance", "parameters", "repeat_count"};

void NoteSurveyColumns(const ojson& questions, std::map<std::string, TextColumns>* texts, std::set<std::string>* plain) {
  for (const auto& q : questions) {
    for (const char* t : kTextColumns)
      if (q.contains(t)) NoteText(q[t], &(*texts)[t]);
    for (const char* p : kPlainColumns)
      if (q.contains(p)) plain->insert(p);
    if (q.value("type", "") == "rating") plain->insert("parameters");
    if (q.contains("children")) NoteSurveyColumns(q["children"], texts, plain);
  }
}

ojson DefaultCell(const ojson& value) {
  if (value.is_array()) {
    std::string joined;
    for (const auto& v : value) joined += (joined.empty() ? "" : " ") + (v.is_string() ? v.get<std::string>() : v.dump());
    return joined;
  }
  if (value.is_object()) {
    std::string joined;
    for (const char* k : {"lat", "lon", "alt", "accuracy"})
      if (value.contains(k)) joined += (joined.empty() ? "" : " ") + value[k].dump();
    return joined;
  }
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return value;
}

void WriteQuestions(const ojson& questions, SheetWriter* survey) {
  for (const auto& q : questions) {
    std::string type = q.value("type", "");
    std::string written = type;
    if (type == "select_one" || type == "select_multiple") written += " " + q.value("list", "");
    else if (type == "datetime") written = "dateTime";
    else if (type == "rating") written = "range";
    else if (type == "group" || type == "repeat") written = "begin_" + type;
    survey->NewRow();
    survey->Put("type", written);
    survey->Put("name", q["name"]);
    for (const char* t : kTextColumns)
      if (q.contains(t)) survey->PutText(t, q[t]);
    for (const char* p : kPlainColumns)
      if (q.contains(p)) survey->Put(p, std::string(p) == "default" ? DefaultCell(q[p]) : q[p]);
    if (type == "rating") survey->Put("parameters", "start=1 end=" + q["scale"].dump() + " step=1");
    if (q.contains("children")) {
      WriteQuestions(q["children"], survey);
      survey->NewRow();
      survey->Put("type", "end_" + type);
    }
  }
}

void WriteSurvey(const ojson& doc, const std::vector<std::string>& languages, SheetWriter* survey) {
  std::map<std::string, TextColumns> texts;
  std::set<std::string> plain;
  NoteSurveyColumns(doc["questions"], &texts, &plain);
  survey->AddColumn("type", "type");
  survey->AddColumn("name", "name");
  // Every language gets a label column, so the languages read back in order.
  texts["label"].languages = languages;
  for (const char* t : kTextColumns) survey->AddTextColumns(t, texts[t], languages);
  for (const char* p : kPlainColumns)
    if (plain.count(p)) survey->AddColumn(p, p);
  WriteQuestions(doc["questions"], survey);
}

void WriteChoices(const ojson& doc, const std::vector<std::string>& languages, SheetWriter* choices) {
  TextColumns labels;
  std::vector<std::string> extra;
  const ojson lists = doc.value("lists", ojson::object());
  for (auto& [name, items] : lists.items())
    for (const auto& item : items) {
      NoteText(item["label"], &labels);
      for (auto& [k, v] : item.items())
        if (k != "name" && k != "label" && std::find(extra.begin(), extra.end(), k) == extra.end()) extra.push_back(k);
    }
  choices->AddColumn("list_name", "list_name");
  choices->AddColumn("name", "name");
  choices->AddTextColumns("label", labels, languages);
  for (const auto& k : extra) choices->AddColumn("x:" + k, k);
  for (auto& [name, items] : lists.items())
    for (const auto& item : items) {
      choices->NewRow();
      choices->Put("list_name", name);
      choices->Put("name", item["name"]);
      choices->PutText("label", item["label"]);
      for (auto& [k, v] : item.items())
        if (k != "name" && k != "label") choices->Put("x:" + k, v);
    }
}

void WriteSettings(const ojson& doc, const std::vector<std::string>& languages, SheetWriter* settings) {
  TextColumns title;
  NoteText(doc["title"], &title);
  settings->AddTextColumns("form_title", title, languages);
  for (const char* k : {"form_id", "version", "default_language"}) settings->AddColumn(k, k);
  for (const char* k : {"summary", "duplicate_key"})
    if (doc.contains(k)) settings->AddColumn(k, k);
  settings->NewRow();
  settings->PutText("form_title", doc["title"]);
  settings->Put("form_id", doc["id"]);
  settings->Put("version", doc["version"]);
  settings->Put("default_language", LanguageHeader(doc.value("default_language", "")));
  for (const char* k : {"summary", "duplicate_key"})
    if (doc.contains(k)) settings->Put(k, DefaultCell(doc[k]));
}

Result<std::string> ReadAndRemove(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  std::remove(path.c_str());
  if (!in.good() && !in.eof()) return Status::IoError("cannot read back the spreadsheet just written");
  return bytes.str();
}

}  // namespace

Result<std::string> FormToXlsForm(std::string_view document) {
  ojson doc;
  try {
    doc = ojson::parse(document);
  } catch (const ojson::exception& e) {
    return Status(Status::Code::kInvalidArgument, "bad_form", std::string("not JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("questions"))
    return Status(Status::Code::kInvalidArgument, "bad_form", "not a form document");
  std::vector<std::string> languages;
  for (const auto& l : doc.value("languages", ojson::array()))
    if (l.is_string()) languages.push_back(l.get<std::string>());

  // libxlsxwriter 1.1.4 writes only to a file: a private temporary one.
  const char* tmp = std::getenv("TMPDIR");
  std::string path = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/dala-xlsform-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) return Status::IoError("cannot create a temporary file for the spreadsheet");
  close(fd);
  lxw_workbook* book = workbook_new(path.c_str());
  if (book == nullptr) {
    std::remove(path.c_str());
    return Status::IoError("cannot start the spreadsheet");
  }
  lxw_format* bold = workbook_add_format(book);
  format_set_bold(bold);
  SheetWriter survey(book, "survey", bold), choices(book, "choices", bold), settings(book, "settings", bold);
  WriteSurvey(doc, languages, &survey);
  WriteChoices(doc, languages, &choices);
  WriteSettings(doc, languages, &settings);
  for (SheetWriter* s : {&survey, &choices, &settings}) s->Finish();
  lxw_error closed = workbook_close(book);
  std::string error;
  for (SheetWriter* s : {&survey, &choices, &settings})
    if (error.empty()) error = s->error();
  if (closed != LXW_NO_ERROR || !error.empty()) {
    std::remove(path.c_str());
    return Status(Status::Code::kInvalidArgument, "bad_form",
                  "cannot write the spreadsheet: " + (error.empty() ? std::string(lxw_strerror(closed)) : error));
  }
  return ReadAndRemove(path);
}

}  // namespace dala::xlsform
