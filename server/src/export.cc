#include "export.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "dala/schema/value.h"
#include "dala/sync/ids.h"
#include "api_errors.h"
#include "export_rows.h"
#include "submission_views.h"

namespace dala::server {

using exports::Cell;
using nlohmann::json;
using schema::QuestionType;

namespace {

constexpr struct {
  ExportFormat format;
  const char* name;
  const char* content_type;
} kFormats[] = {
    {ExportFormat::kCsv, "csv", "text/csv; charset=utf-8"},
    {ExportFormat::kJson, "json", "application/json"},
    {ExportFormat::kXlsx, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {ExportFormat::kGeoJson, "geojson", "application/geo+json"},
};

}  // namespace

Result<ExportFormat> ExportFormatNamed(std::string_view name) {
  for (const auto& f : kFormats)
    if (name == f.name) return f.format;
  return Status::InvalidArgument("export as csv, xlsx, json or geojson, not '" + std::string(name) + "'");
}

const char* ExportFormatName(ExportFormat format) {
  for (const auto& f : kFormats)
    if (f.format == format) return f.name;
  return "";
}

const char* ExportContentType(ExportFormat format) {
  for (const auto& f : kFormats)
    if (f.format == format) return f.content_type;
  return "";
}

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += "\"\"";
    else out.push_back(c);
  }
  return out + "\"";
}

std::string InertCsvText(std::string text) {
  if (!text.empty() && std::string_view("=+-@\t\r").find(text[0]) != std::string_view::npos) text.insert(0, "'");
  return text;
}

Result<ExportOptions> ExportOptionsOf(const HttpRequest& r) {
  ExportOptions o;
  DALA_ASSIGN_OR_RETURN(o.filter, SubmissionFilterOf(r));
  if (!r.Query("table").empty()) o.table = r.Query("table");
  o.language = r.Query("lang");
  const std::string choices = r.Query("choices");
  if (!choices.empty() && choices != "labels" && choices != "names")
    return ApiFailure(Status::Code::kInvalidArgument, "invalid_request", "'choices' is labels or names");
  o.choice_names = choices == "names";
  o.bom = r.Query("bom") == "1";
  return o;
}

Result<std::vector<std::string>> ExportTables(Store& store, const std::string& form_id) {
  DALA_ASSIGN_OR_RETURN(auto tables, exports::TablesOf(store, form_id));
  std::vector<std::string> out;
  for (const exports::Table& t : tables.tables) out.push_back(t.name);
  return out;
}

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Numbers and dates as they were stored; only text is made inert.
void CsvLine(std::ostream& out, const std::vector<Cell>& cells, bool inert) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out << ',';
    out << CsvField(inert && cells[i].kind == Cell::Kind::kText ? InertCsvText(cells[i].text) : cells[i].text);
  }
  out << "\r\n";
}

std::vector<Cell> TextCells(const std::vector<std::string>& texts) {
  std::vector<Cell> out;
  for (const std::string& t : texts) out.push_back(Cell{Cell::Kind::kText, 0, t});
  return out;
}

Result<const exports::Table*> TableNamed(const exports::FormTables& tables, const ExportOptions& o) {
  for (const exports::Table& t : tables.tables)
    if (t.name == o.table) return &t;
  return Status::NotFound("form " + o.filter.form_id + " has no table '" + o.table + "'");
}

Result<ExportStats> WriteCsv(Store& store, const exports::CheckpointRef& at, const ExportOptions& o,
                             std::ostream& out) {
  DALA_ASSIGN_OR_RETURN(auto tables, exports::TablesOf(store, o.filter.form_id));
  DALA_ASSIGN_OR_RETURN(const exports::Table* table, TableNamed(tables, o));
  const schema::Form& form = *tables.form;
  const std::string lang = form.HasLanguage(o.language) ? o.language : form.default_language();
  ExportStats stats{0, at.size, at.root_hex};
  if (o.bom) out << "\xEF\xBB\xBF";
  // One header row, of names when choices are shown by name (for R and
  // pandas), else of labels.
  exports::Header header = exports::HeaderOf(form, *table, lang);
  CsvLine(out, TextCells(o.choice_names ? header.names : header.labels), true);
  DALA_RETURN_IF_ERROR(exports::ForEachRecord(
      store, o.filter,
      [&](const exports::Record& r) -> Status {
        if (!r.summary.merged_into.empty()) return Status::Ok();
        exports::RowsOf(form, *table, r, lang, o.choice_names,
                        [&](const std::vector<Cell>& cells) { CsvLine(out, cells, true); });
        ++stats.records;
        return out ? Status::Ok() : Status::IoError("cannot write the export");
      },
      o.progress));
  return stats;
}

json SummaryObject(const SubmissionSummary& s, const std::string& revision) {
  return {{"id", sync::FormatSubmissionId(s.id)},
          {"form", s.form_id},
          {"form_version", s.form_version},
          {"volunteer", s.volunteer},
          {"centre", s.centre},
          {"region", s.region},
          {"created", schema::FormatIsoDateTime(s.created_ms, 0)},
          {"updated", schema::FormatIsoDateTime(s.updated_ms, 0)},
          {"review_state", s.review_state},
          {"review_comment", s.review_comment},
          {"conflicts", s.conflicts},
          {"merged_into", s.merged_into},
          {"revision", revision}};
}

Result<ExportStats> WriteJson(Store& store, const exports::CheckpointRef& at, const ExportOptions& o,
                              std::ostream& out) {
  ExportStats stats{0, at.size, at.root_hex};
  out << "[";
  DALA_RETURN_IF_ERROR(exports::ForEachRecord(
      store, o.filter,
      [&](const exports::Record& r) -> Status {
        json item = SummaryObject(r.summary, r.revision);
        item["answers"] = r.answers;
        out << (stats.records++ == 0 ? "\n" : ",\n") << Dump(item);
        return out ? Status::Ok() : Status::IoError("cannot write the export");
      },
      o.progress));
  out << "\n]\n";
  return stats;
}

// Where a record is, as [lon, lat] (RFC 7946 order): from the form's first
// geopoint outside repeats, else from the item a select_one chose when its
// list has `lat` and `lon` columns (a list of centres), else, for a form
// whose geopoints are all inside repeats (each site visited), a MultiPoint
// of its first such geopoint in every instance.
class Locator {
 public:
  explicit Locator(const schema::Form& form) : form_(form) {
    for (const schema::Question& q : form.questions()) {
      if (q.type == QuestionType::kGeopoint && q.repeat != -1 && repeated_geopoint_ < 0) {
        repeated_geopoint_ = q.index;
        for (int r = q.repeat; r != -1; r = form.questions()[r].repeat) chain_.insert(chain_.begin(), r);
      }
      if (q.repeat != -1) continue;
      if (q.type == QuestionType::kGeopoint && geopoint_ < 0) geopoint_ = q.index;
      if (q.type == QuestionType::kSelectOne && located_select_ < 0 && ListHasCoordinates(q.list))
        located_select_ = q.index;
    }
  }
  bool CanLocate() const { return geopoint_ >= 0 || located_select_ >= 0 || repeated_geopoint_ >= 0; }

  json Geometry(const json& answers) const {
    if (geopoint_ >= 0) {
      if (json at = Position(form_.FindAnswer(answers, geopoint_, {})); !at.is_null())
        return {{"type", "Point"}, {"coordinates", std::move(at)}};
    }
    if (located_select_ >= 0) {
      const json* a = form_.FindAnswer(answers, located_select_, {});
      const schema::ItemList* list = form_.List(form_.questions()[located_select_].list);
      const schema::ListItem* item = (a && a->is_string() && list) ? list->Find(a->get<std::string>()) : nullptr;
      if (item != nullptr) return Point(item->columns.at("lon").AsNumber(), item->columns.at("lat").AsNumber());
    }
    if (geopoint_ < 0 && located_select_ < 0 && repeated_geopoint_ >= 0) {
      json points = json::array();
      schema::InstancePath path;
      CollectPoints(answers, 0, path, points);
      if (!points.empty()) return {{"type", "MultiPoint"}, {"coordinates", std::move(points)}};
    }
    return nullptr;  // a Feature without a place (RFC 7946 §3.2)
  }

 private:
  bool ListHasCoordinates(const std::string& name) const {
    const schema::ItemList* list = form_.List(name);
    if (list == nullptr || list->items.empty()) return false;
    for (const schema::ListItem& item : list->items)
      if (!item.columns.contains("lat") || !item.columns.contains("lon")) return false;
    return true;
  }
  static json Point(double lon, double lat) { return {{"type", "Point"}, {"coordinates", {lon, lat}}}; }

  // [lon, lat] of an answered geopoint, or null.
  static json Position(const json* p) {
    if (p == nullptr || !p->is_object() || !p->contains("lat") || !p->contains("lon") || !(*p)["lat"].is_number() ||
        !(*p)["lon"].is_number())
      return nullptr;
    return {(*p)["lon"].get<double>(), (*p)["lat"].get<double>()};
  }

  // The repeated geopoint of every instance, through nested repeats.
  void CollectPoints(const json& answers, size_t level, schema::InstancePath& path, json& points) const {
    if (level == chain_.size()) {
      if (json at = Position(form_.FindAnswer(answers, repeated_geopoint_, path)); !at.is_null())
        points.push_back(std::move(at));
      return;
    }
    const int n = form_.InstanceCount(answers, chain_[level], path);
    for (int i = 0; i < n; ++i) {
      path.push_back(i);
      CollectPoints(answers, level + 1, path, points);
      path.pop_back();
    }
  }

  const schema::Form& form_;
  int geopoint_ = -1;
  int located_select_ = -1;
  int repeated_geopoint_ = -1;
  std::vector<int> chain_;  // the repeats around repeated_geopoint_, outermost first
};

json PropertyValue(const Cell& c) {
  switch (c.kind) {
    case Cell::Kind::kEmpty: return nullptr;
    case Cell::Kind::kNumber: return c.number;
    case Cell::Kind::kBool: return c.number != 0;
    default: return c.text;
  }
}

Status CheckLocatable(const schema::Form& form) {
  if (Locator(form).CanLocate()) return Status::Ok();
  return Status::InvalidArgument("form " + form.id() +
                                 " has no geopoint question and no list with lat and lon columns: "
                                 "GeoJSON has nothing to place its records by");
}

Result<ExportStats> WriteGeoJson(Store& store, const exports::CheckpointRef& at, const ExportOptions& o,
                                 std::ostream& out) {
  DALA_ASSIGN_OR_RETURN(auto tables, exports::TablesOf(store, o.filter.form_id));
  const schema::Form& form = *tables.form;
  DALA_RETURN_IF_ERROR(CheckLocatable(form));
  Locator locator(form);
  const std::string lang = form.HasLanguage(o.language) ? o.language : form.default_language();
  const exports::Table& main = tables.tables[0];
  const exports::Header header = exports::HeaderOf(form, main, lang);
  ExportStats stats{0, at.size, at.root_hex};
  out << R"({"type":"FeatureCollection","features":[)";
  DALA_RETURN_IF_ERROR(exports::ForEachRecord(
      store, o.filter,
      [&](const exports::Record& r) -> Status {
        if (!r.summary.merged_into.empty()) return Status::Ok();
        json properties = json::object();
        exports::RowsOf(form, main, r, lang, o.choice_names, [&](const std::vector<Cell>& cells) {
          for (size_t i = 0; i < cells.size(); ++i) properties[header.names[i]] = PropertyValue(cells[i]);
        });
        for (const exports::Table& t : tables.tables)  // repeats keep their shape
          if (t.chain.size() == 1 && r.answers.contains(t.name)) properties[t.name] = r.answers[t.name];
        json feature = {{"type", "Feature"},
                        {"id", sync::FormatSubmissionId(r.summary.id)},
                        {"geometry", locator.Geometry(r.answers)},
                        {"properties", std::move(properties)}};
        out << (stats.records++ == 0 ? "\n" : ",\n") << Dump(feature);
        return out ? Status::Ok() : Status::IoError("cannot write the export");
      },
      o.progress));
  out << "\n]}\n";
  return stats;
}

}  // namespace

Status CheckExport(Store& store, ExportFormat format, const ExportOptions& options) {
  if (format == ExportFormat::kJson) return Status::Ok();
  if (format == ExportFormat::kXlsx)
    return Status::InvalidArgument("an XLSX export is written to a file (WriteXlsxExport)");
  DALA_ASSIGN_OR_RETURN(auto tables, exports::TablesOf(store, options.filter.form_id));
  if (format == ExportFormat::kGeoJson) return CheckLocatable(*tables.form);
  return TableNamed(tables, options).status();
}

Result<ExportStats> WriteExport(Store& store, ExportFormat format, const ExportOptions& options, std::ostream& out) {
  DALA_RETURN_IF_ERROR(CheckExport(store, format, options));
  Result<ExportStats> stats = ExportStats{};
  DALA_RETURN_IF_ERROR(exports::InExportSnapshot(store, [&](Store& snapshot, const exports::CheckpointRef& at) {
    switch (format) {
      case ExportFormat::kCsv: stats = WriteCsv(snapshot, at, options, out); break;
      case ExportFormat::kJson: stats = WriteJson(snapshot, at, options, out); break;
      case ExportFormat::kGeoJson: stats = WriteGeoJson(snapshot, at, options, out); break;
      case ExportFormat::kXlsx: break;
    }
    return stats.status();
  }));
  return stats;
}

size_t RemoveLeftoverExportDirs(const std::string& scratch_dir) {
  size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(scratch_dir, ec)) {
    const std::string name = entry.path().filename().string();
    // Exactly what mkdtemp makes of "export-XXXXXX": nothing else of the
    // data directory can be taken for it.
    if (name.size() != 13 || !name.starts_with("export-") || !entry.is_directory(ec) || entry.is_symlink(ec)) continue;
    std::error_code ignored;
    if (std::filesystem::remove_all(entry.path(), ignored) > 0) ++removed;
  }
  return removed;
}

}  // namespace dala::server
