// People's keys and the decisions they sign: an admin's one-time code, the
// person enrolling their key, the list of their keys, revocation, and the
// two steps of a signed decision (draft, then the signed envelopes).
// sync/README.md ("Decisions") has the rules; server/API.md the routes.

#include <nlohmann/json.hpp>

#include "admin.h"
#include "api_errors.h"
#include "api_fields.h"
#include "api_handlers.h"
#include "dala/sync/person_keys.h"
#include "record_service.h"
#include "submission_views.h"

namespace dala::server::handlers {

using nlohmann::json;
using sync::Hash;

namespace {

Result<sync::PublicKey> KeyOf(std::string_view hex, std::string_view field) {
  sync::PublicKey key;
  if (!FromHex(hex, &key)) return BadField(field, "must be a key of 64 hex digits");
  return key;
}

json PersonKeyJson(const PersonKeyRow& k) {
  return {{"key", ToHex(k.key)},
          {"fingerprint", sync::KeyFingerprint(k.key)},
          {"person", k.person},
          {"role", k.role},
          {"label", k.label},
          {"enrolled_ms", k.enrolled_ms},
          {"enrolled_by", k.enrolled_by},
          {"revoked_ms", k.revoked_ms},
          {"revoked_by", k.revoked_by},
          {"revoke_reason", k.revoke_reason}};
}

// The fields of a draft the signer fills in nothing of: what they sign.
json DraftJson(const sync::EnvelopeFields& f) {
  json parents = json::array();
  for (const Hash& p : f.parents) parents.push_back(ToHex(p));
  return {{"kind", f.kind == sync::EnvelopeKind::kRevision ? 1 : 2},
          {"submission", ToHex(f.submission)},
          {"form_hash", ToHex(f.form_hash)},
          {"form_id", f.form_id},
          {"form_version", f.form_version},
          {"parents", parents},
          {"body", f.body}};
}

Result<std::vector<sync::EnvelopeFields>> DraftOf(const Call& call, const std::string& action) {
  const json& body = *call.body;
  RecordService& records = call.api.records();
  const std::string& by = call.person->name;
  DALA_ASSIGN_OR_RETURN(std::string subject, StringField(body, "submission"));
  DALA_ASSIGN_OR_RETURN(auto id, ResolveSubmissionId(call.api.store(), subject));
  if (action == "review") {
    DALA_ASSIGN_OR_RETURN(std::string state, StringField(body, "state"));
    DALA_ASSIGN_OR_RETURN(std::string comment, OptionalStringField(body, "comment"));
    return records.DraftReview(id, by, state, comment);
  }
  if (action == "edit" || action == "resolve") {
    DALA_ASSIGN_OR_RETURN(CoordinatorEdit edit, EditOf(call, id, action == "resolve"));
    auto drafts = records.DraftEdit(id, edit);
    if (!drafts.ok() && drafts.status().code() == Status::Code::kInvalidArgument)
      return drafts.status().WithReason("invalid_answers");
    return drafts;
  }
  if (action == "duplicate") {
    DALA_ASSIGN_OR_RETURN(std::string other_text, StringField(body, "other"));
    DALA_ASSIGN_OR_RETURN(std::string decision, StringField(body, "decision"));
    DALA_ASSIGN_OR_RETURN(auto other, ResolveSubmissionId(call.api.store(), other_text));
    return records.DraftDuplicate(id, other, decision, by);
  }
  return BadField("action", "must be review, edit, resolve or duplicate");
}

}  // namespace

Result<CoordinatorEdit> EditOf(const Call& call, const sync::SubmissionId& id, bool resolve) {
  const json& body = *call.body;
  auto set = body.find("set");
  if (set != body.end() && !set->is_object()) return BadField("set", "must be an object of answers");
  if (!resolve && (set == body.end() || set->empty())) return BadField("set", "(the answers to change) is required");
  DALA_ASSIGN_OR_RETURN(std::string note, OptionalStringField(body, "note"));
  DALA_ASSIGN_OR_RETURN(LoadedSubmission loaded, LoadSubmission(call.api.store(), id));
  if (resolve && loaded.merged.heads.size() < 2 && loaded.merged.conflicts.empty())
    return ApiFailure(Status::Code::kFailedPrecondition, "nothing_to_resolve",
                      "the submission has one head and no conflicts");
  json answers = json::parse(loaded.merged.answers_json);
  if (set != body.end()) {
    for (auto it = set->begin(); it != set->end(); ++it) {
      if (it->is_null())
        answers.erase(it.key());
      else
        answers[it.key()] = *it;
    }
  }
  return CoordinatorEdit{call.person->name, answers.dump(), note, loaded.merged.heads};
}

Result<HttpResponse> IssuePersonKeyCode(const Call& call) {
  DALA_ASSIGN_OR_RETURN(std::string person, StringField(*call.body, "person"));
  DALA_ASSIGN_OR_RETURN(int64_t ttl, OptionalIntField(*call.body, "ttl_hours", kDefaultEnrollTtlHours));
  if (ttl < 1 || ttl > kMaxEnrollTtlHours)
    return BadField("ttl_hours", "must be between 1 and " + std::to_string(kMaxEnrollTtlHours));
  ServerContext& ctx = call.api.ctx();
  DALA_ASSIGN_OR_RETURN(auto issued, server::IssuePersonKeyCode(ctx.store, person, static_cast<int>(ttl),
                                                                call.person->name, ctx.random, ctx.clock));
  return JsonResponse({{"code", issued.code}, {"person", issued.user}, {"expires_ms", issued.expires_ms}}, 201);
}

Result<HttpResponse> MyKeys(const Call& call) {
  DALA_ASSIGN_OR_RETURN(auto keys, call.api.store().PersonKeysOf(call.person->name));
  json list = json::array();
  for (const PersonKeyRow& k : keys) list.push_back(PersonKeyJson(k));
  return JsonResponse({{"person", call.person->name}, {"signs_own_decisions", !keys.empty()}, {"keys", list}});
}

Result<HttpResponse> EnrollMyKey(const Call& call) {
  const json& body = *call.body;
  DALA_ASSIGN_OR_RETURN(std::string key_hex, StringField(body, "key"));
  DALA_ASSIGN_OR_RETURN(sync::PublicKey key, KeyOf(key_hex, "key"));
  DALA_ASSIGN_OR_RETURN(std::string proof_hex, StringField(body, "proof"));
  sync::Signature proof;
  if (!FromHex(proof_hex, &proof)) return BadField("proof", "must be a signature of 128 hex digits");
  DALA_ASSIGN_OR_RETURN(std::string code, StringField(body, "code"));
  DALA_ASSIGN_OR_RETURN(std::string label, OptionalStringField(body, "label"));
  if (label.size() > 200) return BadField("label", "must be at most 200 bytes");
  DALA_ASSIGN_OR_RETURN(PersonKeyRow row, call.api.records().EnrollPersonKey(*call.person, code, key, proof, label));
  return JsonResponse(PersonKeyJson(row), 201);
}

Result<HttpResponse> ListPersonKeys(const Call& call) {
  DALA_ASSIGN_OR_RETURN(auto keys, call.api.store().PersonKeysOf(""));
  json list = json::array();
  for (const PersonKeyRow& k : keys) list.push_back(PersonKeyJson(k));
  return JsonResponse({{"keys", list}});
}

Result<HttpResponse> RevokePersonKey(const Call& call) {
  DALA_ASSIGN_OR_RETURN(sync::PublicKey key, KeyOf(call.request.path_params.at("key"), "key"));
  DALA_ASSIGN_OR_RETURN(std::string reason, OptionalStringField(*call.body, "reason"));
  DALA_RETURN_IF_ERROR(call.api.records().RevokePersonKey(key, call.person->name, reason));
  return JsonResponse({{"revoked", ToHex(key)}});
}

Result<HttpResponse> DraftDecision(const Call& call) {
  const json& body = *call.body;
  DALA_ASSIGN_OR_RETURN(std::string action, StringField(body, "action"));
  DALA_ASSIGN_OR_RETURN(std::string key_hex, StringField(body, "key"));
  DALA_ASSIGN_OR_RETURN(sync::PublicKey key, KeyOf(key_hex, "key"));
  DALA_ASSIGN_OR_RETURN(auto row, call.api.store().FindPersonKey(key));
  if (!row || row->person != call.person->name)
    return ApiFailure(Status::Code::kPermissionDenied, "unknown_person_key",
                      "key " + sync::KeyFingerprint(key) + " is not enrolled for " + call.person->name);
  if (row->revoked_ms != 0)
    return ApiFailure(Status::Code::kPermissionDenied, "revoked_person_key",
                      "key " + sync::KeyFingerprint(key) + " was revoked by " + row->revoked_by + "; enrol a new one");
  auto drafts = DraftOf(call, action);
  if (!drafts.ok()) {
    if (drafts.status().code() == Status::Code::kInvalidArgument && drafts.status().reason().empty())
      return drafts.status().WithReason("invalid_request");
    return drafts.status();
  }
  DALA_ASSIGN_OR_RETURN(sync::ChainTip tip, call.api.store().Tip(key));
  json envelopes = json::array();
  for (const sync::EnvelopeFields& f : *drafts) envelopes.push_back(DraftJson(f));
  // 64-bit numbers as decimal text: a browser's numbers stop at 2^53.
  return JsonResponse({{"envelopes", envelopes},
                       {"key", ToHex(key)},
                       {"sequence", std::to_string(tip.sequence + 1)},
                       {"previous", ToHex(tip.id)},
                       {"hlc_floor", std::to_string(call.api.records().hlc_floor())},
                       {"server_time_ms", call.api.ctx().clock.NowMs()}});
}

Result<HttpResponse> AppendDecision(const Call& call) {
  auto list = call.body->find("envelopes");
  if (list == call.body->end() || !list->is_array() || list->empty())
    return BadField("envelopes", "(the signed envelopes, in base64) is required");
  std::vector<std::string> envelopes;
  for (const json& item : *list) {
    if (!item.is_string()) return BadField("envelopes", "must hold base64 strings");
    auto bytes = FromBase64(item.get<std::string>());
    if (!bytes.ok()) return BadField("envelopes", "must hold base64 strings");
    envelopes.push_back(std::move(*bytes));
  }
  DALA_ASSIGN_OR_RETURN(auto ids, call.api.records().AppendSignedDecisions(*call.person, envelopes));
  json out = json::array();
  for (const Hash& id : ids) out.push_back(ToHex(id));
  return JsonResponse({{"ids", out}}, 201);
}

}  // namespace dala::server::handlers
