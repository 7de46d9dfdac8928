#include "submission_views.h"

#include <algorithm>
#include <cctype>

#include "api_errors.h"
#include "dala/base/strings.h"
#include "dala/schema/value.h"

namespace dala::server {

using nlohmann::json;

namespace {

// A date filter: empty, or a real YYYY-MM-DD date. Compared as text by the
// store, so anything else would match by accident ("!" sorts before every
// date).
Result<std::string> DateParam(const HttpRequest& r, std::string_view name) {
  std::string text = r.Query(name);
  int64_t days = 0;
  if (!text.empty() && (text.size() != 10 || !schema::ParseIsoDate(text, &days)))
    return ApiFailure(Status::Code::kInvalidArgument, "invalid_request",
                      "'" + std::string(name) + "' must be a date written YYYY-MM-DD, not '" + text + "'");
  return text;
}

Result<SubmissionFilter::Sort> SortParam(const HttpRequest& r) {
  using Sort = SubmissionFilter::Sort;
  static const std::pair<const char*, Sort> kSorts[] = {{"created", Sort::kCreated}, {"updated", Sort::kUpdated},
                                                        {"day", Sort::kDay},         {"centre", Sort::kCentre},
                                                        {"volunteer", Sort::kVolunteer}, {"state", Sort::kState}};
  std::string name = r.Query("sort");
  if (name.empty()) return Sort::kCreated;
  for (const auto& [n, sort] : kSorts)
    if (name == n) return sort;
  return ApiFailure(Status::Code::kInvalidArgument, "invalid_request",
                    "sort by created, updated, day, centre, volunteer or state, not '" + name + "'");
}

}  // namespace

Result<SubmissionFilter> SubmissionFilterOf(const HttpRequest& r) {
  SubmissionFilter f;
  f.form_id = r.Query("form");
  f.centre = r.Query("centre");
  f.region = r.Query("region");
  f.volunteer = r.Query("volunteer");
  DALA_ASSIGN_OR_RETURN(f.date_from, DateParam(r, "from"));
  DALA_ASSIGN_OR_RETURN(f.date_to, DateParam(r, "to"));
  f.review_state = r.Query("state");
  f.only_conflicts = r.Query("conflicts") == "1";
  f.only_duplicates = r.Query("duplicates") == "1";
  f.only_changed = r.Query("changed") == "1";
  f.search = r.Query("q");
  if (f.search.size() > 200)
    return ApiFailure(Status::Code::kInvalidArgument, "invalid_request", "'q' may have at most 200 bytes");
  DALA_ASSIGN_OR_RETURN(f.sort, SortParam(r));
  std::string order = r.Query("order");
  if (!order.empty() && order != "asc" && order != "desc")
    return ApiFailure(Status::Code::kInvalidArgument, "invalid_request", "'order' is asc or desc");
  f.descending = order == "desc";
  if (!f.review_state.empty() && !sync::ParseReviewState(f.review_state).ok())
    return ApiFailure(Status::Code::kInvalidArgument, "invalid_request",
                      "unknown review state '" + f.review_state + "'");
  DALA_ASSIGN_OR_RETURN(f.limit, WholeNumberParam(r, "limit", {.fallback = f.limit, .max = 10000, .clamp = true}));
  DALA_ASSIGN_OR_RETURN(f.offset, WholeNumberParam(r, "offset", {.fallback = 0}));
  return f;
}


using sync::Envelope;
using sync::SubmissionId;

Result<SubmissionId> ResolveSubmissionId(Store& store, const std::string& text) {
  if (auto full = sync::ParseSubmissionId(text); full.ok()) return *full;
  auto hex = sync::ShortIdDigits(text);
  if (!hex.ok()) return ApiFailure(Status::Code::kInvalidArgument, "invalid_request", hex.status().message());
  DALA_ASSIGN_OR_RETURN(auto ids, store.SubmissionIdsEndingWith(*hex, 2));
  if (ids.empty()) return ApiFailure(Status::Code::kNotFound, "not_found", "no submission " + text);
  if (ids.size() > 1)
    return ApiFailure(Status::Code::kInvalidArgument, "ambiguous_id", "'" + text + "' matches several submissions");
  return ids[0];
}

Result<LoadedSubmission> LoadSubmission(Store& store, const SubmissionId& id) {
  LoadedSubmission out;
  DALA_ASSIGN_OR_RETURN(auto summary, store.FindSubmission(id));
  if (!summary)
    return ApiFailure(Status::Code::kNotFound, "not_found", "no submission " + sync::FormatSubmissionId(id));
  out.summary = *summary;
  DALA_ASSIGN_OR_RETURN(out.stored, store.EnvelopesOf(id));
  for (const StoredEnvelope& s : out.stored) {
    DALA_ASSIGN_OR_RETURN(Envelope e, Envelope::Parse(s.bytes));
    if (e.kind() == sync::EnvelopeKind::kRevision) {
      DALA_ASSIGN_OR_RETURN(sync::RevisionBody body, sync::ParseRevisionBody(e.body()));
      out.revisions.push_back({e.id(), e.parents(), e.hlc(), e.author(), body.answers_json});
    }
    out.envelopes.push_back(std::move(e));
  }
  DALA_ASSIGN_OR_RETURN(out.merged, sync::Merge(out.revisions));
  return out;
}

namespace {

json SplitIds(const std::string& joined) {
  json out = json::array();
  for (std::string_view id : Split(joined, ',', EmptyParts::kSkip)) out.push_back(id);
  return out;
}

}  // namespace

json SummaryJson(const SubmissionSummary& s) {
  return {{"id", sync::FormatSubmissionId(s.id)},
          {"form", s.form_id},
          {"form_version", s.form_version},
          {"form_hash", s.form_hash},
          {"volunteer", s.volunteer},
          {"centre", s.centre},
          {"region", s.region},
          {"visit_date", s.visit_date},
          {"created_ms", s.created_ms},
          {"updated_ms", s.updated_ms},
          {"review_state", s.review_state},
          {"review_by", s.review_by},
          {"review_comment", s.review_comment},
          {"changed_since_review", s.changed_since_review},
          {"heads", s.heads},
          {"conflicts", s.conflicts},
          {"duplicate", s.duplicate_group.empty() ? "" : "possible"},
          {"merged_into", s.merged_into},
          {"distinct_from", SplitIds(s.distinct_from)},
          {"log_index", s.last_log_index},
          {"answers", json::parse(s.answers_json, nullptr, false)}};
}

json SignerNames::Of(const Envelope& e) {
  if (e.author() == server_) {
    std::string by;
    if (e.kind() == sync::EnvelopeKind::kRevision) {
      auto b = sync::ParseRevisionBody(e.body());
      if (b.ok()) by = b->by;
    } else {
      auto b = sync::ParseEventBody(e.body());
      if (b.ok()) by = b->by;
    }
    return {{"kind", "server"}, {"name", by.empty() ? std::string("?") : by}};
  }
  auto it = cache_.find(e.author());
  if (it != cache_.end()) return it->second;
  auto d = store_.FindDevice(e.author());
  auto k = d.ok() && *d ? Result<std::optional<PersonKeyRow>>(std::nullopt) : store_.FindPersonKey(e.author());
  json signer = d.ok() && *d   ? json{{"kind", "laptop"}, {"name", (*d)->volunteer}, {"laptop", (*d)->label}}
                : k.ok() && *k ? json{{"kind", "person"}, {"name", (*k)->person}}
                               : json{{"kind", "unknown"}, {"name", ToHex(e.author()).substr(0, 8)}};
  cache_[e.author()] = signer;
  return signer;
}

std::string SignerNames::Who(const json& signer) {
  const std::string kind = signer.value("kind", "");
  const std::string name = signer.value("name", "");
  if (kind == "laptop") return name + " (" + signer.value("laptop", "") + ")";
  if (kind == "person") return "signed by " + name;
  if (kind == "server") return "attested by the server for " + name;
  return "unknown device " + name;
}

}  // namespace dala::server
