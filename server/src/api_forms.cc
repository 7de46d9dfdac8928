// Forms: the published documents, their reference lists, and publishing.

#include <nlohmann/json.hpp>

#include "api_errors.h"
#include "api_handlers.h"
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

Result<HttpResponse> PublishForm(const Call& call) {
  std::string project = call.request.Query("project").empty() ? "default" : call.request.Query("project");
  auto info = call.api.records().PublishForm(call.request.body, project);
  if (!info.ok()) {
    if (info.status().code() == Status::Code::kAlreadyExists) return info.status().WithReason("already_exists");
    if (info.status().code() == Status::Code::kInvalidArgument) return info.status().WithReason("invalid_form");
    return info.status();
  }
  return JsonResponse({{"hash", info->hash}, {"form", info->form_id}, {"version", info->version}});
}

}  // namespace dala::server::handlers
