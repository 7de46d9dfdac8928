// Exports: tables, CSV and JSON for analysts; the audit bundle for auditors.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <nlohmann/json.hpp>

#include "api_errors.h"
#include "api_handlers.h"
#include "bundle_export.h"
#include "export.h"
#include "record_service.h"
#include "submission_views.h"

namespace dala::server::handlers {

using nlohmann::json;

Result<HttpResponse> ExportTables(const Call& call) {
  const std::string form = call.request.Query("form");
  DALA_ASSIGN_OR_RETURN(auto tables, server::ExportTables(call.api.store(), form));
  return JsonResponse({{"form", form}, {"tables", tables}});
}

namespace {

// Files are named after the form, or "dala" for every form.
void NameAttachment(HttpResponse& out, const ExportOptions& o, ExportFormat format) {
  out.content_type = ExportContentType(format);
  out.headers["Content-Disposition"] = "attachment; filename=\"" +
                                       (o.filter.form_id.empty() ? std::string("dala") : o.filter.form_id) + "." +
                                       ExportFormatName(format) + "\"";
}

Result<HttpResponse> ExportAs(const Call& call, ExportFormat format) {
  DALA_ASSIGN_OR_RETURN(ExportOptions o, ExportOptionsOf(call.request));
  o.now_ms = call.api.ctx().clock.NowMs();
  std::ostringstream body;
  DALA_RETURN_IF_ERROR(WriteExport(call.api.store(), format, o, body).status());
  HttpResponse out;
  NameAttachment(out, o, format);
  out.body = std::move(body).str();
  return out;
}

// libxlsxwriter writes a file: a private temporary directory holds it.
Result<HttpResponse> ExportXlsxFile(const Call& call, const ExportOptions& o) {
  std::string dir_template = (std::filesystem::temp_directory_path() / "dala-export-XXXXXX").string();
  if (::mkdtemp(dir_template.data()) == nullptr) return Status::IoError("cannot create a temporary directory");
  const std::string path = dir_template + "/export.xlsx";
  auto written = WriteXlsxExport(call.api.store(), o, path);
  HttpResponse out;
  if (written.ok()) {
    std::ifstream in(path, std::ios::binary);
    out.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    NameAttachment(out, o, ExportFormat::kXlsx);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_template, ignored);
  DALA_RETURN_IF_ERROR(written.status());
  return out;
}

}  // namespace

Result<HttpResponse> ExportCsv(const Call& call) { return ExportAs(call, ExportFormat::kCsv); }
Result<HttpResponse> ExportJson(const Call& call) { return ExportAs(call, ExportFormat::kJson); }
Result<HttpResponse> ExportGeoJson(const Call& call) { return ExportAs(call, ExportFormat::kGeoJson); }

Result<HttpResponse> ExportXlsx(const Call& call) {
  DALA_ASSIGN_OR_RETURN(ExportOptions o, ExportOptionsOf(call.request));
  o.now_ms = call.api.ctx().clock.NowMs();
  return ExportXlsxFile(call, o);
}

// The audit bundle: the same file as `dala-server export --bundle`.
Result<HttpResponse> ExportBundle(const Call& call) {
  std::string dir_template = (std::filesystem::temp_directory_path() / "dala-bundle-XXXXXX").string();
  if (::mkdtemp(dir_template.data()) == nullptr) return Status::IoError("cannot create a temporary directory");
  const std::string path = dir_template + "/audit.dala";
  auto written = WriteBundle(call.api.store(), call.api.records(), path);
  HttpResponse out;
  if (written.ok()) {
    std::ifstream in(path, std::ios::binary);
    out.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    out.content_type = "application/vnd.sqlite3";
    out.headers["Content-Disposition"] = "attachment; filename=\"audit.dala\"";
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_template, ignored);
  DALA_RETURN_IF_ERROR(written.status());
  return out;
}

}  // namespace dala::server::handlers
