// What laptops call: enrolment, sync, and the server's clock.

#include <nlohmann/json.hpp>

#include "api_errors.h"
#include "api_fields.h"
#include "api_handlers.h"
#include "dala/sync/enrolment.h"
#include "dala/sync/protocol.h"
#include "dala/sync/signature_domains.h"
#include "record_service.h"

namespace dala::server::handlers {

using nlohmann::json;

Result<HttpResponse> Enroll(const Call& call) {
  const json& body = *call.body;
  DALA_ASSIGN_OR_RETURN(std::string typed_code, StringField(body, "code"));
  DALA_ASSIGN_OR_RETURN(std::string key_hex, StringField(body, "public_key"));
  DALA_ASSIGN_OR_RETURN(std::string proof_hex, StringField(body, "proof"));
  DALA_ASSIGN_OR_RETURN(std::string label, OptionalStringField(body, "label"));
  DALA_ASSIGN_OR_RETURN(std::string code, NormalizedEnrollCode(typed_code));
  sync::PublicKey key;
  sync::Signature proof;
  if (!FromHex(key_hex, &key)) return BadField("public_key", "must be 64 hex digits");
  if (!FromHex(proof_hex, &proof)) return BadField("proof", "must be 128 hex digits");
  if (label.size() > 128) return BadField("label", "may have at most 128 bytes");
  // The device proves it holds the key it enrols; checked before the code
  // is looked up, so a caller who cannot sign learns nothing about codes.
  // The refusal spells out the signed bytes, the commonest mistake.
  if (!sync::VerifyEnrollProof(key, code, proof)) {
    std::string message = std::string(sync::kEnrollProofDomain) + sync::EnrollProofMessage(code, key);
    for (size_t at = 0; (at = message.find('\n', at)) != std::string::npos; at += 2) message.replace(at, 1, "\\n");
    return ApiFailure(Status::Code::kUnauthenticated, "bad_signature",
                      "the proof of key possession does not verify: it must be the Ed25519 signature, by the key "
                      "being enrolled, of the bytes \"" + message + "\"");
  }
  RecordService& records = call.api.records();
  auto enrolled = records.Enroll(code, key, label.empty() ? "laptop" : label);
  if (!enrolled.ok()) {
    const Status& s = enrolled.status();
    if (s.code() == Status::Code::kNotFound)
      return ApiFailure(Status::Code::kUnauthenticated, "bad_enroll_code", "the code is unknown, used or expired");
    if (s.code() == Status::Code::kAlreadyExists) return s.WithReason("already_enrolled");
    return s;
  }
  return JsonResponse({{"volunteer", enrolled->volunteer},
                       {"server_key", ToHex(records.server_key())},
                       {"origin", records.origin()},
                       {"checkpoint", enrolled->checkpoint}});
}

Result<HttpResponse> Sync(const Call& call) {
  const HttpRequest& r = call.request;
  if (r.Header("Content-Type").rfind(std::string(sync::kSyncContentType), 0) != 0)
    return ApiFailure(Status::Code::kInvalidArgument, "unsupported_media_type",
                      "sync bodies are " + std::string(sync::kSyncContentType));
  const ServerConfig& config = call.api.ctx().config;
  sync::SyncLimits limits;
  limits.max_inflated_bytes = config.max_decompressed_bytes;
  limits.max_envelopes = config.max_envelopes_per_request;
  auto request = sync::DecodeSyncRequest(r.body, limits);
  if (!request.ok()) {
    if (request.status().code() == Status::Code::kResourceExhausted)
      return request.status().WithReason("payload_too_large");
    return request.status().WithReason("malformed_sync");
  }
  // It notes the laptop's sync, for the dashboard, in the same commit.
  auto response = call.api.records().HandleSync(*call.device, *request);
  if (!response.ok()) {
    if (response.status().code() == Status::Code::kInvalidArgument)
      return response.status().WithReason("malformed_sync");
    return response.status();
  }
  // The fastest gzip level: the server compresses an answer for every
  // laptop, and at zlib's default that was its largest cost under load
  // (docs/BENCHMARKS.md E); a first answer, which carries the forms, grows
  // by about a quarter (15 to 19 KB for the two bundled forms).
  DALA_ASSIGN_OR_RETURN(std::string encoded, sync::EncodeSyncResponse(*response, 1));
  HttpResponse out;
  out.content_type = std::string(sync::kSyncContentType);
  out.body = std::move(encoded);
  return out;
}

// The server's clock, for laptops whose own clock is wrong: they sign
// requests with the server's time so that they can still sync, and are
// told about their clock instead of being locked out.
Result<HttpResponse> Time(const Call& call) { return JsonResponse({{"now_ms", call.api.ctx().clock.NowMs()}}); }

}  // namespace dala::server::handlers
