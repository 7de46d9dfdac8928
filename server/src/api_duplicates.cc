// Possible duplicates (same centre, same day, different volunteers) and the
// coordinator's decision on a pair.

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api_errors.h"
#include "api_fields.h"
#include "api_handlers.h"
#include "record_service.h"
#include "submission_views.h"

namespace dala::server::handlers {

using nlohmann::json;

Result<HttpResponse> ListDuplicates(const Call& call) {
  SubmissionFilter f;
  f.only_duplicates = true;
  f.limit = 10000;
  DALA_ASSIGN_OR_RETURN(auto list, call.api.store().ListSubmissions(f));
  std::map<std::string, json> groups;
  for (const SubmissionSummary& s : list) {
    if (s.duplicate_group.empty()) continue;
    json& g = groups[s.duplicate_group];
    if (g.is_null()) {
      // The group key is the form id and the duplicate_key values, joined
      // by the unit separator; its label is the values.
      std::string label = s.duplicate_group.substr(s.duplicate_group.find('\x1f') + 1);
      std::replace(label.begin(), label.end(), '\x1f', ' ');
      g = {{"form", s.form_id}, {"label", label}, {"submissions", json::array()}};
    }
    g["submissions"].push_back(SummaryJson(s));
  }
  json out = json::array();
  for (auto& [key, g] : groups) out.push_back(std::move(g));
  return JsonResponse({{"groups", out}});
}

Result<HttpResponse> DecideDuplicate(const Call& call) {
  const json& body = *call.body;
  DALA_ASSIGN_OR_RETURN(std::string subject_text, StringField(body, "submission"));
  DALA_ASSIGN_OR_RETURN(std::string other_text, StringField(body, "other"));
  DALA_ASSIGN_OR_RETURN(std::string decision, StringField(body, "decision"));
  DALA_ASSIGN_OR_RETURN(auto subject, ResolveSubmissionId(call.api.store(), subject_text));
  DALA_ASSIGN_OR_RETURN(auto other, ResolveSubmissionId(call.api.store(), other_text));
  auto event = call.api.records().DecideDuplicate(subject, other, decision, call.person->name);
  if (!event.ok()) {
    if (event.status().code() == Status::Code::kInvalidArgument) return event.status().WithReason("invalid_request");
    return event.status();
  }
  return JsonResponse({{"event", ToHex(*event)}});
}

}  // namespace dala::server::handlers
