// Exports: tables, CSV and JSON for analysts; the audit bundle for auditors.

#include <stdlib.h>

#include <filesystem>
#include <functional>
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

}  // namespace

Result<HttpResponse> ExportCsv(const Call& call) { return ExportAs(call, ExportFormat::kCsv); }
Result<HttpResponse> ExportJson(const Call& call) { return ExportAs(call, ExportFormat::kJson); }
Result<HttpResponse> ExportGeoJson(const Call& call) { return ExportAs(call, ExportFormat::kGeoJson); }

namespace {

// What is written as a file (by libxlsxwriter, or SQLite for the bundle),
// in a private temporary directory, then sent.
Result<HttpResponse> FileResponse(const std::string& file_name,
                                  const std::function<Status(const std::string& path)>& write) {
  std::string dir_template = (std::filesystem::temp_directory_path() / "dala-export-XXXXXX").string();
  if (::mkdtemp(dir_template.data()) == nullptr) return Status::IoError("cannot create a temporary directory");
  const std::string path = dir_template + "/" + file_name;
  Status written = write(path);
  HttpResponse out;
  if (written.ok()) {
    std::ifstream in(path, std::ios::binary);
    out.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_template, ignored);
  DALA_RETURN_IF_ERROR(written);
  return out;
}

}  // namespace

Result<HttpResponse> ExportXlsx(const Call& call) {
  DALA_ASSIGN_OR_RETURN(ExportOptions o, ExportOptionsOf(call.request));
  o.now_ms = call.api.ctx().clock.NowMs();
  DALA_ASSIGN_OR_RETURN(HttpResponse out, FileResponse("export.xlsx", [&](const std::string& path) {
    return WriteXlsxExport(call.api.store(), o, path).status();
  }));
  NameAttachment(out, o, ExportFormat::kXlsx);
  return out;
}

// The audit bundle: the same file as `dala-server export --bundle`.
Result<HttpResponse> ExportBundle(const Call& call) {
  DALA_ASSIGN_OR_RETURN(HttpResponse out, FileResponse("audit.dala", [&](const std::string& path) {
    return WriteBundle(call.api.store(), call.api.records(), path).status();
  }));
  out.content_type = "application/vnd.sqlite3";
  out.headers["Content-Disposition"] = "attachment; filename=\"audit.dala\"";
  return out;
}

}  // namespace dala::server::handlers
