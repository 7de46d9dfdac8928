// The records endpoints: enrolment and sync for devices; submissions,
// review, corrections, conflicts, duplicates and exports for people; the
// transparency log for everyone. Handlers are plain functions of
// HttpRequest; RecordService does the work.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <iostream>
#include <set>
#include <map>
#include <nlohmann/json.hpp>

#include "admin.h"
#include "bundle_export.h"
#include "auth.h"
#include "dala/sync/merge.h"
#include "export.h"
#include "record_service.h"
#include "records_api.h"

namespace dala::server {

using nlohmann::json;
using sync::Envelope;
using sync::Hash;
using sync::SubmissionId;

Result<std::shared_ptr<RecordService>> StartRecordService(ServerContext& ctx) { return RecordService::Start(ctx); }

namespace {

HttpResponse Error(const Status& s) { return AuthErrorResponse(s); }

HttpResponse Ok(const json& body) { return JsonBody(200, body.dump()); }

// A JSON request body: Content-Type application/json (a cross-site form
// cannot send it), at most 32 levels deep and without repeated keys (checked
// in one pass before any tree is built), an object.
Result<json> ParseBody(const HttpRequest& r) {
  std::string type = r.Header("Content-Type");
  type = type.substr(0, type.find(';'));
  if (type != "application/json")
    return AuthFailure(Status::Code::kInvalidArgument, "unsupported_media_type",
                       "send the body as Content-Type: application/json");
  if (Status strict = sync::CheckStrictJsonObject(r.body); !strict.ok())
    return AuthFailure(Status::Code::kInvalidArgument, "malformed_json",
                       "the request body is not a JSON object: " + strict.message());
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return AuthFailure(Status::Code::kInvalidArgument, "malformed_json", "the request body is not a JSON object");
  return j;
}

Status Missing(const char* field) {
  return AuthFailure(Status::Code::kInvalidArgument, "invalid_request", std::string("missing or malformed field '") + field + "'");
}

std::string Str(const json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A submission named by its full id, or by a prefix unique on the server.
Result<SubmissionId> ResolveId(Store& store, const std::string& text) {
  if (auto full = sync::ParseSubmissionId(text); full.ok()) return *full;
  std::string hex;
  for (char c : text) {
    if (c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return AuthFailure(Status::Code::kInvalidArgument, "invalid_request", "'" + text + "' is not a submission id");
    hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (hex.size() < 6)
    return AuthFailure(Status::Code::kInvalidArgument, "invalid_request", "give at least 6 characters of the id");
  DALA_ASSIGN_OR_RETURN(auto ids, store.SubmissionIdsWithPrefix(hex, 2));
  if (ids.empty()) return AuthFailure(Status::Code::kNotFound, "not_found", "no submission " + text);
  if (ids.size() > 1)
    return AuthFailure(Status::Code::kInvalidArgument, "ambiguous_id", "'" + text + "' matches several submissions");
  return ids[0];
}

json SplitIds(const std::string& joined) {
  json out = json::array();
  for (size_t from = 0; from < joined.size();) {
    size_t comma = std::min(joined.find(',', from), joined.size());
    out.push_back(joined.substr(from, comma - from));
    from = comma + 1;
  }
  return out;
}

json SummaryJson(const SubmissionSummary& s) {
  return {{"id", sync::FormatSubmissionId(s.id)},
          {"form", s.form_id},
          {"form_version", s.form_version},
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

// Who signed an envelope, in words: the volunteer of a device, or the
// coordinator the server signed for.
class Names {
 public:
  Names(Store& store, const sync::PublicKey& server) : store_(store), server_(server) {}
  std::string Of(const Envelope& e) {
    if (e.author() == server_) {
      std::string by;
      if (e.kind() == sync::EnvelopeKind::kRevision) {
        auto b = sync::ParseRevisionBody(e.body());
        if (b.ok()) by = b->by;
      } else {
        auto b = sync::ParseEventBody(e.body());
        if (b.ok()) by = b->by;
      }
      return "server for " + (by.empty() ? std::string("?") : by);
    }
    auto it = cache_.find(e.author());
    if (it != cache_.end()) return it->second;
    auto d = store_.FindDevice(e.author());
    std::string name = d.ok() && *d ? (*d)->volunteer + " (" + (*d)->label + ")" : "unknown device " + ToHex(e.author()).substr(0, 8);
    cache_[e.author()] = name;
    return name;
  }

 private:
  Store& store_;
  sync::PublicKey server_;
  std::map<sync::PublicKey, std::string> cache_;
};

struct LoadedSubmission {
  SubmissionSummary summary;
  std::vector<StoredEnvelope> stored;
  std::vector<Envelope> envelopes;
  std::vector<sync::MergeInput> revisions;
  sync::MergedState merged;
};

Result<LoadedSubmission> Load(Store& store, const SubmissionId& id) {
  LoadedSubmission out;
  DALA_ASSIGN_OR_RETURN(auto summary, store.FindSubmission(id));
  if (!summary) return AuthFailure(Status::Code::kNotFound, "not_found", "no submission " + sync::FormatSubmissionId(id));
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

// Requires a logged-in person who may read, or who may write.
#define DALA_REQUIRE_PERSON(sessions, request, writes)                         \
  auto person_ = (sessions).Authenticate((request), (writes));                 \
  if (!person_.ok()) return AuthErrorResponse(person_.status());              \
  if (!CanRead(person_->role))                                                 \
    return AuthErrorResponse(AuthFailure(Status::Code::kPermissionDenied, "forbidden", "this needs a coordinator, auditor or admin")); \
  const User& user = *person_;                                                 \
  (void)user

}  // namespace

void RegisterRecordRoutes(Router& router, ServerContext& ctx, std::shared_ptr<RecordService> service,
                          SessionAuth& sessions, DeviceAuthenticator& devices) {
  Store& store = ctx.store;
  RecordService& records = *service;

  // --- devices -----------------------------------------------------------------------------
  router.Add("POST", "/api/v1/enroll", [&store, &records, service](const HttpRequest& r) -> HttpResponse {
    auto body = ParseBody(r);
    if (!body.ok()) return Error(body.status());
    std::string code = sync::NormalizeEnrollCode(Str(*body, "code"));
    sync::PublicKey key;
    sync::Signature proof;
    if (code.empty()) return Error(Missing("code"));
    if (!FromHex(Str(*body, "public_key"), &key)) return Error(Missing("public_key"));
    if (!FromHex(Str(*body, "proof"), &proof)) return Error(Missing("proof"));
    std::string label = Str(*body, "label");
    if (label.size() > 128) return Error(Missing("label"));
    // The device proves it holds the key it enrols.
    if (!sync::VerifyEnrollProof(key, code, proof))
      return Error(AuthFailure(Status::Code::kUnauthenticated, "bad_signature", "the proof of key possession does not verify"));
    auto enrolled = records.Enroll(code, key, label.empty() ? "laptop" : label);
    if (!enrolled.ok()) {
      if (enrolled.status().code() == Status::Code::kNotFound)
        return Error(AuthFailure(Status::Code::kUnauthenticated, "bad_enroll_code", "the code is unknown, used or expired"));
      if (enrolled.status().code() == Status::Code::kAlreadyExists)
        return Error(AuthFailure(Status::Code::kAlreadyExists, "already_enrolled", enrolled.status().message()));
      return Error(enrolled.status());
    }
    (void)store;
    return Ok({{"volunteer", enrolled->volunteer},
               {"server_key", ToHex(records.server_key())},
               {"origin", records.origin()},
               {"checkpoint", enrolled->checkpoint}});
  });

  router.Add("POST", std::string(sync::kSyncPath), [&ctx, &records, &devices, service](const HttpRequest& r) -> HttpResponse {
    auto device = devices.Authenticate(r);
    if (!device.ok()) return AuthErrorResponse(device.status());
    if (r.Header("Content-Type").rfind(std::string(sync::kSyncContentType), 0) != 0)
      return JsonError(415, "unsupported_media_type", "sync bodies are " + std::string(sync::kSyncContentType));
    sync::SyncLimits limits;
    limits.max_inflated_bytes = ctx.config.max_decompressed_bytes;
    limits.max_envelopes = ctx.config.max_envelopes_per_request;
    auto request = sync::DecodeSyncRequest(r.body, limits);
    if (!request.ok()) {
      if (request.status().code() == Status::Code::kResourceExhausted)
        return JsonError(413, "payload_too_large", request.status().message());
      return JsonError(400, "malformed_sync", request.status().message());
    }
    auto response = records.HandleSync(*device, *request);
    if (!response.ok()) {
      if (response.status().code() == Status::Code::kInvalidArgument)
        return JsonError(400, "malformed_sync", response.status().message());
      return Error(response.status());
    }
    auto encoded = sync::EncodeSyncResponse(*response);
    if (!encoded.ok()) return Error(encoded.status());
    HttpResponse out;
    out.content_type = std::string(sync::kSyncContentType);
    out.body = std::move(*encoded);
    return out;
  });

  // The server's clock, for laptops whose own clock is wrong: they sign
  // requests with the server's time so that they can still sync, and are
  // told about their clock instead of being locked out.
  router.Add("GET", "/api/v1/time", [&ctx](const HttpRequest&) -> HttpResponse {
    return Ok({{"now_ms", ctx.clock.NowMs()}});
  });

  // --- the log: checkpoints and proofs are public; entries need a reader --------------------
  router.Add("GET", "/api/v1/log/checkpoint", [&records, service](const HttpRequest&) -> HttpResponse {
    auto log = records.CurrentLog();
    if (!log.ok()) return Error(log.status());
    HttpResponse out;
    out.content_type = "text/plain; charset=utf-8";
    out.body = log->checkpoint;
    return out;
  });

  router.Add("GET", "/api/v1/log/consistency", [&records, service](const HttpRequest& r) -> HttpResponse {
    uint64_t from = 0, to = 0;
    try {
      from = std::stoull(r.Query("from"));
      to = std::stoull(r.Query("to"));
    } catch (const std::exception&) {
      return JsonError(400, "invalid_request", "give from and to as tree sizes");
    }
    auto proof = records.ConsistencyProof(from, to);
    if (!proof.ok()) return JsonError(400, "invalid_request", proof.status().message());
    json hashes = json::array();
    for (const Hash& h : *proof) hashes.push_back(ToBase64(sync::AsBytes(h)));
    return Ok({{"from", from}, {"to", to}, {"proof", hashes}});
  });

  router.Add("GET", "/api/v1/log/inclusion", [&store, &records, service](const HttpRequest& r) -> HttpResponse {
    Hash id;
    if (!FromHex(r.Query("id"), &id)) return JsonError(400, "invalid_request", "give id as 64 hex digits");
    auto stored = store.FindEnvelope(id);
    if (!stored.ok()) return Error(stored.status());
    if (!*stored) return JsonError(404, "not_found", "no envelope with that id in the log");
    auto log = records.CurrentLog();
    if (!log.ok()) return Error(log.status());
    auto proof = records.InclusionProof((*stored)->log_index, log->size);
    if (!proof.ok()) return Error(proof.status());
    json hashes = json::array();
    for (const Hash& h : *proof) hashes.push_back(ToBase64(sync::AsBytes(h)));
    return Ok({{"leaf_index", (*stored)->log_index}, {"tree_size", log->size}, {"proof", hashes}, {"checkpoint", log->checkpoint}});
  });

  router.Add("GET", "/api/v1/log/entries", [&store, &sessions](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, false);
    uint64_t start = 0, end = 0;
    try {
      start = std::stoull(r.Query("start"));
      end = std::stoull(r.Query("end"));
    } catch (const std::exception&) {
      return JsonError(400, "invalid_request", "give start and end as log indices");
    }
    if (end < start || end - start > 1000) return JsonError(400, "invalid_request", "at most 1000 entries per request");
    auto range = store.LogRange(start, end);
    if (!range.ok()) return Error(range.status());
    json entries = json::array();
    for (const StoredEnvelope& e : *range)
      entries.push_back({{"index", e.log_index}, {"id", ToHex(e.id)}, {"envelope", ToBase64(e.bytes)}});
    return Ok({{"entries", entries}});
  });

  // --- forms ---------------------------------------------------------------------------------
  router.Add("GET", "/api/v1/forms", [&store, &sessions](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, false);
    auto forms = store.ListForms();
    if (!forms.ok()) return Error(forms.status());
    json list = json::array();
    for (const FormInfo& f : *forms)
      list.push_back({{"hash", f.hash}, {"form", f.form_id}, {"version", f.version}, {"project", f.project},
                      {"published_ms", f.published_ms}});
    return Ok({{"forms", list}});
  });

  // The form document as published, byte for byte: labels in every
  // language and the reference lists a report needs beside the answers.
  router.Add("GET", "/api/v1/forms/{hash}", [&store, &sessions](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, false);
    auto doc = store.FormDocument(r.path_params.at("hash"));
    if (!doc.ok()) return Error(doc.status());
    if (!*doc) return JsonError(404, "not_found", "no form with that hash (see GET /api/v1/forms)");
    return JsonBody(200, std::move(**doc));
  });

  // One list of a form: the service centres with their region, district
  // and coordinates, say.
  router.Add("GET", "/api/v1/forms/{hash}/lists/{list}", [&store, &sessions](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, false);
    auto doc = store.FormDocument(r.path_params.at("hash"));
    if (!doc.ok()) return Error(doc.status());
    if (!*doc) return JsonError(404, "not_found", "no form with that hash (see GET /api/v1/forms)");
    // Published documents were validated, so this parses.
    json form = json::parse(**doc, nullptr, false);
    const std::string& name = r.path_params.at("list");
    if (form.is_discarded() || !form.contains("lists") || !form["lists"].contains(name))
      return JsonError(404, "not_found", "the form has no list '" + name + "'");
    return Ok({{"form", form.value("id", "")}, {"version", form.value("version", "")}, {"list", name},
               {"items", form["lists"][name]}});
  });

  router.Add("POST", "/api/v1/forms", [&records, &sessions, service](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, true);
    if (Status s = RequireAdmin(user); !s.ok()) return AuthErrorResponse(s);
    std::string project = r.Query("project").empty() ? "default" : r.Query("project");
    auto info = records.PublishForm(r.body, project);
    if (!info.ok()) {
      if (info.status().code() == Status::Code::kAlreadyExists) return JsonError(409, "conflict", info.status().message());
      return JsonError(400, "invalid_form", info.status().message());
    }
    return Ok({{"hash", info->hash}, {"form", info->form_id}, {"version", info->version}});
  });

  // --- submissions -------------------------------------------------------------------------
  router.Add("GET", "/api/v1/submissions", [&store, &sessions](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, false);
    SubmissionFilter f;
    f.form_id = r.Query("form");
    f.centre = r.Query("centre");
    f.region = r.Query("region");
    f.volunteer = r.Query("volunteer");
    f.date_from = r.Query("from");
    f.date_to = r.Query("to");
    f.review_state = r.Query("state");
    f.only_conflicts = r.Query("conflicts") == "1";
    f.only_duplicates = r.Query("duplicates") == "1";
    if (!f.review_state.empty() && !sync::ParseReviewState(f.review_state).ok())
      return JsonError(400, "invalid_request", "unknown review state '" + f.review_state + "'");
    try {
      if (!r.Query("limit").empty()) f.limit = std::min<size_t>(std::stoul(r.Query("limit")), 10000);
      if (!r.Query("offset").empty()) f.offset = std::stoul(r.Query("offset"));
    } catch (const std::exception&) {
      return JsonError(400, "invalid_request", "limit and offset are numbers");
    }
    auto list = store.ListSubmissions(f);
    if (!list.ok()) return Error(list.status());
    json out = json::array();
    for (const SubmissionSummary& s : *list) out.push_back(SummaryJson(s));
    return Ok({{"submissions", out}});
  });

  router.Add("GET", "/api/v1/submissions/{id}", [&ctx, &store, &sessions](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, false);
    auto id = ResolveId(store, r.path_params.at("id"));
    if (!id.ok()) return Error(id.status());
    auto loaded = Load(store, *id);
    if (!loaded.ok()) return Error(loaded.status());
    Names names(store, ctx.server_key.public_key());
    std::map<Hash, const Envelope*> by_id;
    for (const Envelope& e : loaded->envelopes) by_id[e.id()] = &e;
    json out = SummaryJson(loaded->summary);
    json heads = json::array();
    for (const Hash& h : loaded->merged.heads) heads.push_back(ToHex(h));
    out["heads"] = heads;
    json conflicts = json::array();
    for (const auto& c : loaded->merged.conflicts) {
      json cands = json::array();
      for (const auto& k : c.candidates) {
        const Envelope* e = by_id.count(k.revision) ? by_id[k.revision] : nullptr;
        cands.push_back({{"value", json::parse(k.value_json)},
                         {"revision", ToHex(k.revision)},
                         {"who", e ? names.Of(*e) : ""},
                         {"hlc", k.hlc.ToString()}});
      }
      conflicts.push_back({{"field", c.field}, {"candidates", cands}});
    }
    out["conflicts"] = conflicts;
    out["answers"] = json::parse(loaded->merged.answers_json);
    return Ok(out);
  });

  router.Add("GET", "/api/v1/submissions/{id}/history", [&ctx, &store, &sessions](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, false);
    auto id = ResolveId(store, r.path_params.at("id"));
    if (!id.ok()) return Error(id.status());
    auto loaded = Load(store, *id);
    if (!loaded.ok()) return Error(loaded.status());
    Names names(store, ctx.server_key.public_key());
    std::map<Hash, json> answers_of;
    json entries = json::array();
    for (size_t i = 0; i < loaded->envelopes.size(); ++i) {
      const Envelope& e = loaded->envelopes[i];
      json parents = json::array();
      for (const Hash& p : e.parents()) parents.push_back(ToHex(p));
      json entry = {{"log_index", loaded->stored[i].log_index},
                    {"id", ToHex(e.id())},
                    {"kind", e.kind() == sync::EnvelopeKind::kRevision ? "revision" : "event"},
                    {"author", ToHex(e.author())},
                    {"who", names.Of(e)},
                    {"sequence", e.sequence()},
                    {"hlc", e.hlc().ToString()},
                    {"wall_ms", e.wall_ms()},
                    {"signature", ToHex(e.signature()).substr(0, 32)},
                    {"parents", parents}};
      if (e.kind() == sync::EnvelopeKind::kRevision) {
        auto body = sync::ParseRevisionBody(e.body());
        json now = body.ok() ? json::parse(body->answers_json) : json::object();
        json before = e.parents().empty() || !answers_of.count(e.parents()[0]) ? json::object() : answers_of[e.parents()[0]];
        json changes = json::array();
        std::set<std::string> fields;
        for (auto it = now.begin(); it != now.end(); ++it) fields.insert(it.key());
        for (auto it = before.begin(); it != before.end(); ++it) fields.insert(it.key());
        for (const std::string& f : fields) {
          json a = before.contains(f) ? before[f] : json(nullptr);
          json b = now.contains(f) ? now[f] : json(nullptr);
          if (a != b) changes.push_back({{"field", f}, {"from", a}, {"to", b}});
        }
        entry["changes"] = changes;
        if (body.ok() && !body->note.empty()) entry["note"] = body->note;
        answers_of[e.id()] = std::move(now);
      } else {
        entry["event"] = json::parse(e.body(), nullptr, false);
      }
      entries.push_back(std::move(entry));
    }
    return Ok({{"id", sync::FormatSubmissionId(*id)}, {"entries", entries}});
  });

  router.Add("POST", "/api/v1/submissions/{id}/review", [&store, &records, &sessions, service](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, true);
    auto id = ResolveId(store, r.path_params.at("id"));
    if (!id.ok()) return Error(id.status());
    auto body = ParseBody(r);
    if (!body.ok()) return Error(body.status());
    std::string state = Str(*body, "state");
    if (state.empty()) return Error(Missing("state"));
    auto event = records.Review(*id, user.name, state, Str(*body, "comment"));
    if (!event.ok()) {
      if (event.status().code() == Status::Code::kInvalidArgument) return JsonError(400, "invalid_request", event.status().message());
      return Error(event.status());
    }
    return Ok({{"event", ToHex(*event)}});
  });

  auto edit_handler = [&store, &records, &sessions, service](bool resolve) {
    return [&store, &records, &sessions, service, resolve](const HttpRequest& r) -> HttpResponse {
      DALA_REQUIRE_PERSON(sessions, r, true);
      auto id = ResolveId(store, r.path_params.at("id"));
      if (!id.ok()) return Error(id.status());
      auto body = ParseBody(r);
      if (!body.ok()) return Error(body.status());
      auto set = body->find("set");
      if (set != body->end() && !set->is_object()) return Error(Missing("set"));
      auto loaded = Load(store, *id);
      if (!loaded.ok()) return Error(loaded.status());
      if (resolve && loaded->merged.heads.size() < 2 && loaded->merged.conflicts.empty())
        return JsonError(409, "nothing_to_resolve", "the submission has one head and no conflicts");
      if (!resolve && (set == body->end() || set->empty())) return Error(Missing("set"));
      json answers = json::parse(loaded->merged.answers_json);
      if (set != body->end()) {
        for (auto it = set->begin(); it != set->end(); ++it) {
          if (it->is_null()) answers.erase(it.key());
          else answers[it.key()] = *it;
        }
      }
      // Built on the heads just read: anything that lands meanwhile
      // becomes a concurrent branch the merge reconciles, not lost.
      CoordinatorEdit edit{user.name, answers.dump(), Str(*body, "note"), loaded->merged.heads};
      auto revision = records.Edit(*id, edit);
      if (!revision.ok()) {
        if (revision.status().code() == Status::Code::kInvalidArgument)
          return JsonError(400, "invalid_answers", revision.status().message());
        return Error(revision.status());
      }
      return Ok({{"revision", ToHex(*revision)}});
    };
  };
  router.Add("POST", "/api/v1/submissions/{id}/edit", edit_handler(false));
  router.Add("POST", "/api/v1/submissions/{id}/resolve", edit_handler(true));

  router.Add("GET", "/api/v1/duplicates", [&store, &sessions](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, false);
    SubmissionFilter f;
    f.only_duplicates = true;
    f.limit = 10000;
    auto list = store.ListSubmissions(f);
    if (!list.ok()) return Error(list.status());
    std::map<std::string, json> groups;
    for (const SubmissionSummary& s : *list) {
      if (s.duplicate_group.empty()) continue;
      json& g = groups[s.duplicate_group];
      if (g.is_null()) {
        std::string label = s.duplicate_group.substr(s.duplicate_group.find('\x1f') + 1);
        std::replace(label.begin(), label.end(), '\x1f', ' ');
        g = {{"form", s.form_id}, {"label", label}, {"submissions", json::array()}};
      }
      g["submissions"].push_back(SummaryJson(s));
    }
    json out = json::array();
    for (auto& [k, g] : groups) out.push_back(std::move(g));
    return Ok({{"groups", out}});
  });

  router.Add("POST", "/api/v1/duplicates/decide", [&store, &records, &sessions, service](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, true);
    auto body = ParseBody(r);
    if (!body.ok()) return Error(body.status());
    auto a = ResolveId(store, Str(*body, "submission"));
    if (!a.ok()) return Error(a.status());
    auto b = ResolveId(store, Str(*body, "other"));
    if (!b.ok()) return Error(b.status());
    auto event = records.DecideDuplicate(*a, *b, Str(*body, "decision"), user.name);
    if (!event.ok()) {
      if (event.status().code() == Status::Code::kInvalidArgument) return JsonError(400, "invalid_request", event.status().message());
      return Error(event.status());
    }
    return Ok({{"event", ToHex(*event)}});
  });

  router.Add("POST", "/api/v1/devices/{key}/revoke", [&records, &sessions, service](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, true);
    sync::PublicKey key;
    if (!FromHex(r.path_params.at("key"), &key)) return JsonError(400, "invalid_request", "the key is 64 hex digits");
    auto body = ParseBody(r);
    std::string reason = body.ok() ? Str(*body, "reason") : "";
    Status s = records.Revoke(key, user.name, reason);
    if (!s.ok()) {
      if (s.code() == Status::Code::kFailedPrecondition) return JsonError(409, "already_revoked", s.message());
      return Error(s);
    }
    return Ok({{"revoked", ToHex(key)}});
  });

  // --- exports -------------------------------------------------------------------------------
  router.Add("GET", "/api/v1/export/tables", [&store, &records, &sessions, service](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, false);
    auto tables = ExportTables(store, records, r.Query("form"));
    if (!tables.ok()) return Error(tables.status());
    return Ok({{"form", r.Query("form")}, {"tables", *tables}});
  });

  router.Add("GET", "/api/v1/export/csv", [&store, &records, &sessions, service](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, false);
    auto csv = ExportCsv(store, records, r.Query("form"), r.Query("table").empty() ? "main" : r.Query("table"),
                         r.Query("lang").empty() ? "ru" : r.Query("lang"));
    if (!csv.ok()) return Error(csv.status());
    HttpResponse out;
    out.content_type = "text/csv; charset=utf-8";
    out.body = std::move(*csv);
    return out;
  });

  // The audit bundle, for auditors and admins: the same file as
  // `dala-server export --bundle`.
  router.Add("GET", "/api/v1/export/bundle", [&store, &records, &sessions, service](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, false);
    if (Status s = RequireRole(user, {Role::kAuditor, Role::kAdmin}); !s.ok()) return AuthErrorResponse(s);
    char dir_template[] = "/tmp/dala-bundle-XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) return Error(Status::IoError("cannot create a temporary directory"));
    std::string path = std::string(dir_template) + "/audit.dala";
    auto written = WriteBundle(store, records, path);
    HttpResponse out;
    if (written.ok()) {
      std::ifstream in(path, std::ios::binary);
      out.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      out.content_type = "application/vnd.sqlite3";
      out.headers["Content-Disposition"] = "attachment; filename=\"audit.dala\"";
    }
    std::filesystem::remove_all(dir_template);
    if (!written.ok()) return Error(written.status());
    return out;
  });

  router.Add("GET", "/api/v1/export/json", [&store, &sessions](const HttpRequest& r) -> HttpResponse {
    DALA_REQUIRE_PERSON(sessions, r, false);
    auto out = ExportJson(store, r.Query("form"));
    if (!out.ok()) return Error(out.status());
    return JsonBody(200, std::move(*out));
  });
}

}  // namespace dala::server
