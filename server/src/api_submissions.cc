// Submissions: the list and its filters, one submission with its conflicts,
// its history, and the coordinator's decisions on it (review, edit,
// resolve). Every decision becomes a server-signed envelope in the log.

#include <nlohmann/json.hpp>
#include <set>

#include "api_errors.h"
#include "api_fields.h"
#include "api_handlers.h"
#include "indicators.h"
#include "record_service.h"
#include "submission_views.h"

namespace dala::server::handlers {

using nlohmann::json;
using sync::Envelope;
using sync::Hash;

namespace {

Result<sync::SubmissionId> PathId(const Call& call) {
  return ResolveSubmissionId(call.api.store(), call.request.path_params.at("id"));
}

// What one revision changed against its first parent.
json ChangesOf(const json& before, const json& now) {
  std::set<std::string> fields;
  for (auto it = now.begin(); it != now.end(); ++it) fields.insert(it.key());
  for (auto it = before.begin(); it != before.end(); ++it) fields.insert(it.key());
  json changes = json::array();
  for (const std::string& f : fields) {
    json a = before.contains(f) ? before[f] : json(nullptr);
    json b = now.contains(f) ? now[f] : json(nullptr);
    if (a != b) changes.push_back({{"field", f}, {"from", a}, {"to", b}});
  }
  return changes;
}

// A coordinator's edit (or resolution) on top of the heads just read:
// anything that lands meanwhile becomes a concurrent branch the merge
// reconciles, not lost.
Result<HttpResponse> EditOrResolve(const Call& call, bool resolve) {
  DALA_ASSIGN_OR_RETURN(auto id, PathId(call));
  DALA_ASSIGN_OR_RETURN(CoordinatorEdit edit, EditOf(call, id, resolve));
  auto revision = call.api.records().Edit(id, edit);
  if (!revision.ok()) {
    if (revision.status().code() == Status::Code::kInvalidArgument)
      return revision.status().WithReason("invalid_answers");
    return revision.status();
  }
  return JsonResponse({{"revision", ToHex(*revision)}});
}

}  // namespace

Result<HttpResponse> ListSubmissions(const Call& call) {
  DALA_ASSIGN_OR_RETURN(SubmissionFilter f, SubmissionFilterOf(call.request));
  DALA_ASSIGN_OR_RETURN(auto list, call.api.store().ListSubmissions(f));
  DALA_ASSIGN_OR_RETURN(uint64_t total, call.api.store().CountSubmissions(f));
  json out = json::array();
  for (const SubmissionSummary& s : list) out.push_back(SummaryJson(s));
  return JsonResponse({{"submissions", out}, {"total", total}, {"offset", f.offset}, {"limit", f.limit}});
}

Result<HttpResponse> GetSubmission(const Call& call) {
  DALA_ASSIGN_OR_RETURN(auto id, PathId(call));
  DALA_ASSIGN_OR_RETURN(LoadedSubmission loaded, LoadSubmission(call.api.store(), id));
  SignerNames names(call.api.store(), call.api.records().server_key());
  std::map<Hash, const Envelope*> by_id;
  for (const Envelope& e : loaded.envelopes) by_id[e.id()] = &e;
  json out = SummaryJson(loaded.summary);
  json heads = json::array();
  for (const Hash& h : loaded.merged.heads) heads.push_back(ToHex(h));
  out["heads"] = heads;
  json conflicts = json::array();
  for (const auto& c : loaded.merged.conflicts) {
    json candidates = json::array();
    for (const auto& k : c.candidates) {
      auto e = by_id.find(k.revision);
      json signer = e == by_id.end() ? json{{"kind", "unknown"}, {"name", ""}} : names.Of(*e->second);
      candidates.push_back({{"value", json::parse(k.value_json)},
                            {"revision", ToHex(k.revision)},
                            {"who", e == by_id.end() ? "" : SignerNames::Who(signer)},
                            {"signer", signer},
                            {"hlc", k.hlc.ToString()}});
    }
    conflicts.push_back({{"field", c.field}, {"candidates", candidates}});
  }
  out["conflicts"] = conflicts;
  out["answers"] = json::parse(loaded.merged.answers_json);
  return JsonResponse(out);
}

Result<HttpResponse> SubmissionHistory(const Call& call) {
  DALA_ASSIGN_OR_RETURN(auto id, PathId(call));
  DALA_ASSIGN_OR_RETURN(LoadedSubmission loaded, LoadSubmission(call.api.store(), id));
  SignerNames names(call.api.store(), call.api.records().server_key());
  std::map<Hash, json> answers_of;
  json entries = json::array();
  for (size_t i = 0; i < loaded.envelopes.size(); ++i) {
    const Envelope& e = loaded.envelopes[i];
    json parents = json::array();
    for (const Hash& p : e.parents()) parents.push_back(ToHex(p));
    json signer = names.Of(e);
    json entry = {{"log_index", loaded.stored[i].log_index},
                  {"id", ToHex(e.id())},
                  {"kind", e.kind() == sync::EnvelopeKind::kRevision ? "revision" : "event"},
                  {"author", ToHex(e.author())},
                  {"who", SignerNames::Who(signer)},
                  {"signer", signer},
                  {"sequence", e.sequence()},
                  {"hlc", e.hlc().ToString()},
                  {"wall_ms", e.wall_ms()},
                  {"signature", ToHex(e.signature()).substr(0, 32)},
                  // Checked again here, not taken from the log: the page
                  // shows what the bytes say now.
                  {"verified", e.VerifySignature().ok()},
                  {"parents", parents}};
    if (e.kind() == sync::EnvelopeKind::kRevision) {
      auto body = sync::ParseRevisionBody(e.body());
      json now = body.ok() ? json::parse(body->answers_json) : json::object();
      auto before = e.parents().empty() ? answers_of.end() : answers_of.find(e.parents()[0]);
      entry["changes"] = ChangesOf(before == answers_of.end() ? json::object() : before->second, now);
      if (body.ok() && !body->note.empty()) entry["note"] = body->note;
      answers_of[e.id()] = std::move(now);
    } else {
      entry["event"] = json::parse(e.body(), nullptr, false);
    }
    entries.push_back(std::move(entry));
  }
  return JsonResponse({{"id", sync::FormatSubmissionId(id)}, {"entries", entries}});
}

Result<HttpResponse> Indicators(const Call& call) {
  DALA_ASSIGN_OR_RETURN(SubmissionFilter filter, SubmissionFilterOf(call.request));
  if (filter.form_id.empty()) return BadField("form", "(the form to summarise) is required");
  IndicatorSplit split = IndicatorSplit::kNone;
  if (std::string by = call.request.Query("split"); by == "region") {
    split = IndicatorSplit::kRegion;
  } else if (by == "centre") {
    split = IndicatorSplit::kCentre;
  } else if (!by.empty()) {
    return ApiFailure(Status::Code::kInvalidArgument, "invalid_request", "split by region or centre, not '" + by + "'");
  }
  // The newest published version of the form decides the questions.
  DALA_ASSIGN_OR_RETURN(auto forms, call.api.store().ListForms());
  std::shared_ptr<const schema::Form> form;
  for (const FormInfo& f : forms) {
    Hash h;
    if (f.form_id == filter.form_id && FromHex(f.hash, &h))
      if (auto loaded = call.api.records().FindForm(h)) form = loaded;
  }
  if (!form) return ApiFailure(Status::Code::kNotFound, "not_found", "no form '" + filter.form_id + "' is published");
  DALA_ASSIGN_OR_RETURN(json out, ComputeIndicators(call.api.store(), *form, filter, split));
  return JsonResponse(out);
}

Result<HttpResponse> Review(const Call& call) {
  DALA_ASSIGN_OR_RETURN(auto id, PathId(call));
  DALA_ASSIGN_OR_RETURN(std::string state, StringField(*call.body, "state"));
  DALA_ASSIGN_OR_RETURN(std::string comment, OptionalStringField(*call.body, "comment"));
  auto event = call.api.records().Review(id, call.person->name, state, comment);
  if (!event.ok()) {
    if (event.status().code() == Status::Code::kInvalidArgument) return event.status().WithReason("invalid_request");
    return event.status();
  }
  return JsonResponse({{"event", ToHex(*event)}});
}

Result<HttpResponse> Edit(const Call& call) { return EditOrResolve(call, /*resolve=*/false); }

// What the form says of a correction before it is made: the form's own
// constraint and required messages, from the one form engine, in the
// language asked for. Nothing is stored or signed.
Result<HttpResponse> CheckEdit(const Call& call) {
  DALA_ASSIGN_OR_RETURN(auto id, PathId(call));
  const json& body = *call.body;
  auto set = body.find("set");
  if (set == body.end() || !set->is_object()) return BadField("set", "(the answers to check) is required");
  DALA_ASSIGN_OR_RETURN(std::string language, OptionalStringField(body, "language"));
  DALA_ASSIGN_OR_RETURN(LoadedSubmission loaded, LoadSubmission(call.api.store(), id));
  Hash form_hash;
  if (!FromHex(loaded.summary.form_hash, &form_hash))
    return Status::Corruption("submissions row " + sync::FormatSubmissionId(id) + ": form_hash is not hex");
  auto form = call.api.records().FindForm(form_hash);
  if (form == nullptr) return ApiFailure(Status::Code::kFailedPrecondition, "conflict", "the form is not on the server");
  json answers = json::parse(loaded.merged.answers_json);
  for (auto it = set->begin(); it != set->end(); ++it) {
    if (it->is_null())
      answers.erase(it.key());
    else
      answers[it.key()] = *it;
  }
  const Clock& server_clock = call.api.ctx().clock;
  ZonedClock clock(server_clock, RecordUtcOffset(loaded.envelopes, server_clock.UtcOffsetMinutes()));
  form->Recalculate(&answers, clock, /*clear_irrelevant=*/true);
  json problems = json::array();
  for (const schema::AnswerProblem& p : form->Validate(answers, clock, language.empty() ? "en" : language))
    problems.push_back({{"field", p.field}, {"message", p.message}});
  return JsonResponse({{"problems", problems}, {"answers", answers}});
}

Result<HttpResponse> Resolve(const Call& call) { return EditOrResolve(call, /*resolve=*/true); }

}  // namespace dala::server::handlers
