// Exports: tables, CSV and JSON for analysts; the audit bundle for auditors.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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
  DALA_ASSIGN_OR_RETURN(auto tables, server::ExportTables(call.api.store(), call.api.records(), form));
  return JsonResponse({{"form", form}, {"tables", tables}});
}

// The same filters as the submissions list: an export holds exactly what
// the list shows.
Result<HttpResponse> ExportCsv(const Call& call) {
  const HttpRequest& r = call.request;
  DALA_ASSIGN_OR_RETURN(SubmissionFilter filter, SubmissionFilterOf(r));
  DALA_ASSIGN_OR_RETURN(std::string csv, server::ExportCsv(call.api.store(), call.api.records(), filter,
                                                           r.Query("table").empty() ? "main" : r.Query("table"),
                                                           r.Query("lang").empty() ? "ru" : r.Query("lang")));
  HttpResponse out;
  out.content_type = "text/csv; charset=utf-8";
  out.headers["Content-Disposition"] =
      "attachment; filename=\"" + (filter.form_id.empty() ? std::string("dala") : filter.form_id) + ".csv\"";
  out.body = std::move(csv);
  return out;
}

Result<HttpResponse> ExportJson(const Call& call) {
  DALA_ASSIGN_OR_RETURN(SubmissionFilter filter, SubmissionFilterOf(call.request));
  DALA_ASSIGN_OR_RETURN(std::string out, server::ExportJson(call.api.store(), filter));
  return JsonBody(200, std::move(out));
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
