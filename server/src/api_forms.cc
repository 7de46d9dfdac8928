// Forms: the published documents, their reference lists, and publishing.

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "api_errors.h"
#include "api_handlers.h"
#include "dala/xlsform/xlsform.h"
#include "record_service.h"

namespace dala::server::handlers {

using nlohmann::json;

namespace {

Result<std::string> PublishedDocument(const Call& call) {
  DALA_ASSIGN_OR_RETURN(auto doc, call.api.store().FormDocument(call.request.path_params.at("hash")));
  if (!doc) return ApiFailure(Status::Code::kNotFound, "not_found", "no form with that hash (see GET /api/v1/forms)");
  return std::move(*doc);
}

}  // namespace

Result<HttpResponse> ListForms(const Call& call) {
  DALA_ASSIGN_OR_RETURN(auto forms, call.api.store().ListForms());
  json list = json::array();
  for (const FormInfo& f : forms)
    list.push_back({{"hash", f.hash}, {"form", f.form_id}, {"version", f.version}, {"project", f.project},
                    {"published_ms", f.published_ms}, {"retired_ms", f.retired_ms}, {"retired_by", f.retired_by}});
  return JsonResponse({{"forms", list}});
}

// The form document as published, byte for byte: labels in every
// language and the reference lists a report needs beside the answers.
Result<HttpResponse> GetForm(const Call& call) {
  DALA_ASSIGN_OR_RETURN(std::string doc, PublishedDocument(call));
  HttpResponse out = JsonBody(200, std::move(doc));
  // A document never changes under its hash.
  out.headers["Cache-Control"] = "private, max-age=86400, immutable";
  return out;
}

// One list of a form: the service centres with their region, district
// and coordinates, say.
Result<HttpResponse> GetFormList(const Call& call) {
  DALA_ASSIGN_OR_RETURN(std::string doc, PublishedDocument(call));
  // Published documents were validated, so this parses.
  json form = json::parse(doc, nullptr, false);
  const std::string& name = call.request.path_params.at("list");
  if (form.is_discarded() || !form.contains("lists") || !form["lists"].contains(name))
    return ApiFailure(Status::Code::kNotFound, "not_found", "the form has no list '" + name + "'");
  return JsonResponse({{"form", form.value("id", "")},
                       {"version", form.value("version", "")},
                       {"list", name},
                       {"items", form["lists"][name]}});
}

// A published version as an XLSForm (FormToXlsForm, which converts back to
// the same document): what an NGO opens in Excel or LibreOffice, changes,
// and publishes again under a new version.
Result<HttpResponse> GetFormXlsForm(const Call& call) {
  DALA_ASSIGN_OR_RETURN(std::string doc, PublishedDocument(call));
  DALA_ASSIGN_OR_RETURN(std::string xlsx, xlsform::FormToXlsForm(doc));
  // Published documents were validated, so this parses; the id is a name.
  json form = json::parse(doc, nullptr, false);
  std::string name = form.is_object() ? form.value("id", "form") : "form";
  const std::string version = form.is_object() ? form.value("version", "") : "";
  const bool plain = !version.empty() && std::all_of(version.begin(), version.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-' || c == '_';
  });
  if (plain) name += "-" + version;
  HttpResponse out;
  out.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  out.body = std::move(xlsx);
  out.headers["Content-Disposition"] = "attachment; filename=\"" + name + ".xlsx\"";
  out.headers["Cache-Control"] = "private, max-age=86400, immutable";
  return out;
}

// The body is a form document, or an XLSForm (an .xlsx, which is a zip)
// converted here as `dala-server form publish` converts it: a spreadsheet
// that does not convert publishes nothing, and says why, row by row. Its
// reference lists must be in the workbook: there is no folder of CSV
// files beside an upload.
Result<HttpResponse> PublishForm(const Call& call) {
  std::string project = call.request.Query("project").empty() ? "default" : call.request.Query("project");
  std::string document = call.request.body;
  json warnings = json::array();
  if (document.starts_with(std::string_view("PK\x03\x04", 4))) {
    xlsform::ReadOptions options;
    // As pyxform does: the file's name is the form's id when its settings
    // sheet gives none.
    if (std::string file = call.request.Query("file"); !file.empty())
      options.fallback_id = std::filesystem::path(file).stem().string();
    auto converted = xlsform::XlsFormToForm(document, options);
    if (!converted.ok())
      return ApiFailure(Status::Code::kInvalidArgument, "invalid_form",
                        "the XLSForm does not convert:\n" + converted.status().message());
    for (const std::string& w : converted->warnings) warnings.push_back(w);
    document = std::move(converted->document);
  }
  auto info = call.api.records().PublishForm(document, project);
  if (!info.ok()) {
    if (info.status().code() == Status::Code::kAlreadyExists) return info.status().WithReason("already_exists");
    if (info.status().code() == Status::Code::kInvalidArgument) return info.status().WithReason("invalid_form");
    return info.status();
  }
  return JsonResponse({{"hash", info->hash}, {"form", info->form_id}, {"version", info->version}, {"warnings", warnings}});
}

}  // namespace dala::server::handlers
