// CSV for the reference lists of select_*_from_file and pulldata().
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dala/xlsform/xlsform.h"

namespace dala::xlsform {

Result<std::map<std::string, std::string, std::less<>>> ReadListFolder(const std::string& dir) {
  std::map<std::string, std::string, std::less<>> files;
  if (dir.empty()) return files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.size() < 4) continue;
    std::string ext = name.substr(name.size() - 4);
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext != ".csv") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof()) return Status::IoError("cannot read " + entry.path().string());
    files[name] = text.str();
  }
  if (ec) return Status::IoError("cannot read the folder " + dir + ": " + ec.message());
  return files;
}

Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // Excel's UTF-8 mark
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, field_started = false, after_quote = false;
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
        after_quote = true;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"' && field.empty() && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = after_quote = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      field_started = after_quote = false;
      if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));
      row.clear();
      ++line;
    } else if (after_quote && c != ',' && c != '\n' && c != '\r') {
      return Status(Status::Code::kInvalidArgument, "bad_csv",
                    "line " + std::to_string(line) + ": text after a closing quote");
    } else {
      field += c;
    }
  }
  if (quoted)
    return Status(Status::Code::kInvalidArgument, "bad_csv", "line " + std::to_string(line) + ": a quote is not closed");
  if (!field.empty() || field_started || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace dala::xlsform
