// The transparency log: checkpoints and proofs are public, so anyone can
// check what the server committed to; the entries themselves (records)
// need a reader.

#include <nlohmann/json.hpp>

#include "api_errors.h"
#include "api_handlers.h"
#include "dala/sync/checkpoint.h"
#include "record_service.h"

namespace dala::server::handlers {

using nlohmann::json;
using sync::Hash;

namespace {

json Base64Hashes(const std::vector<Hash>& hashes) {
  json out = json::array();
  for (const Hash& h : hashes) out.push_back(ToBase64(sync::AsBytes(h)));
  return out;
}

}  // namespace

Result<HttpResponse> LogCheckpoint(const Call& call) {
  DALA_ASSIGN_OR_RETURN(auto log, call.api.records().CurrentLog());
  HttpResponse out;
  out.content_type = "text/plain; charset=utf-8";
  out.body = log.checkpoint;
  return out;
}

Result<HttpResponse> LogConsistency(const Call& call) {
  DALA_ASSIGN_OR_RETURN(uint64_t from, WholeNumberParam(call.request, "from", {.what = "a tree size"}));
  DALA_ASSIGN_OR_RETURN(uint64_t to, WholeNumberParam(call.request, "to", {.what = "a tree size"}));
  auto proof = call.api.records().ConsistencyProof(from, to);
  if (!proof.ok()) return ApiFailure(Status::Code::kInvalidArgument, "invalid_request", proof.status().message());
  return JsonResponse({{"from", from}, {"to", to}, {"proof", Base64Hashes(*proof)}});
}

Result<HttpResponse> LogInclusion(const Call& call) {
  Hash id;
  if (!FromHex(call.request.Query("id"), &id))
    return ApiFailure(Status::Code::kInvalidArgument, "invalid_request", "give id as 64 hex digits");
  DALA_ASSIGN_OR_RETURN(auto stored, call.api.store().FindEnvelope(id));
  if (!stored) return ApiFailure(Status::Code::kNotFound, "not_found", "no envelope with that id in the log");
  RecordService& records = call.api.records();
  DALA_ASSIGN_OR_RETURN(auto log, records.CurrentLog());
  DALA_ASSIGN_OR_RETURN(auto proof, records.InclusionProof(stored->log_index, log.size));
  return JsonResponse({{"leaf_index", stored->log_index},
                       {"tree_size", log.size},
                       {"proof", Base64Hashes(proof)},
                       {"checkpoint", log.checkpoint}});
}

// What an auditor needs from the server out of band, and what the
// dashboard's transparency page shows: the key, its verifier line and
// fingerprint, and the latest signed checkpoint.
Result<HttpResponse> ServerIdentity(const Call& call) {
  RecordService& records = call.api.records();
  DALA_ASSIGN_OR_RETURN(auto log, records.CurrentLog());
  const std::string& origin = records.origin();
  return JsonResponse({{"origin", origin},
                       {"public_key", ToHex(records.server_key())},
                       {"verifier_key", sync::VerifierKeyString(origin, records.server_key())},
                       {"fingerprint", ToHex(sync::Sha256(sync::AsBytes(records.server_key()))).substr(0, 32)},
                       {"checkpoint", {{"size", log.size}, {"root", ToHex(log.root)}, {"note", log.checkpoint}}}});
}

Result<HttpResponse> LogEntries(const Call& call) {
  DALA_ASSIGN_OR_RETURN(uint64_t start, WholeNumberParam(call.request, "start", {.what = "a log index"}));
  DALA_ASSIGN_OR_RETURN(uint64_t end, WholeNumberParam(call.request, "end", {.what = "a log index"}));
  if (end < start || end - start > 1000)
    return ApiFailure(Status::Code::kInvalidArgument, "invalid_request", "at most 1000 entries per request");
  DALA_ASSIGN_OR_RETURN(auto range, call.api.store().LogRange(start, end));
  json entries = json::array();
  for (const StoredEnvelope& e : range)
    entries.push_back({{"index", e.log_index}, {"id", ToHex(e.id)}, {"envelope", ToBase64(e.bytes)}});
  return JsonResponse({{"entries", entries}});
}

}  // namespace dala::server::handlers
