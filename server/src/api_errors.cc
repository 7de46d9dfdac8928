#include "api_errors.h"

#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>

namespace dala::server {

namespace {

// Sorted by HTTP status, then reason; server/API.md has the same table and
// api_routes_test.cc checks that the two agree.
constexpr ApiReason kReasons[] = {
    {"ambiguous_id", 400, "a short id matches several submissions; give more characters"},
    {"bad_code", 400, "the text is not an enrolment code (12 letters and digits)"},
    {"bad_request", 400, "the HTTP request itself is malformed"},
    {"invalid_answers", 400, "the answers break the form's rules; the message lists every problem"},
    {"invalid_decision", 400, "a signed decision is malformed or does not fit its submission; the message says how"},
    {"invalid_form", 400, "the form document does not load; the message lists every problem"},
    {"invalid_request", 400, "a field or parameter is missing or malformed; the message names it"},
    {"malformed_json", 400, "the body is not a strict JSON object"},
    {"malformed_sync", 400, "the sync frame cannot be read"},
    {"bad_credentials", 401, "wrong user name or password"},
    {"bad_enroll_code", 401, "the enrolment code is unknown, used or expired"},
    {"bad_signature", 401, "a device request or proof does not verify"},
    {"replayed_request", 401, "this device request was already received"},
    {"stale_request", 401, "the request's timestamp is outside the freshness window; check the laptop's clock"},
    {"unauthenticated", 401, "no credentials, or they have ended; log in or sign the request"},
    {"unknown_device", 401, "the key is not enrolled on this server"},
    {"cross_origin", 403, "a browser's state-changing request from another origin"},
    {"csrf", 403, "a state-changing request without the session's X-CSRF-Token"},
    {"decision_must_be_signed", 403, "the person has an enrolled key: the server no longer signs decisions for them"},
    {"forbidden", 403, "the caller's role may not do this"},
    {"read_only_role", 403, "an auditor asked to change something"},
    {"revoked_device", 403, "the device was revoked"},
    {"revoked_person_key", 403, "the person's key was revoked; they enrol a new one"},
    {"unknown_person_key", 403, "the key is not enrolled for the person whose session this is"},
    {"not_found", 404, "no such thing (the message says which)"},
    {"method_not_allowed", 405, "the path exists, with other methods"},
    {"already_enrolled", 409, "the device key is already enrolled"},
    {"already_exists", 409, "a user, form version or other name is taken"},
    {"already_retired", 409, "the form was retired before"},
    {"already_revoked", 409, "the device or key was revoked before"},
    {"chain_conflict", 409, "another decision signed by the same key came first; draft again"},
    {"conflict", 409, "the request contradicts the current state"},
    {"log_behind_checkpoint", 409,
     "a laptop verified a checkpoint larger than the server's log: the log was rolled back or forked"},
    {"nothing_to_resolve", 409, "the submission has one head and no conflicts"},
    {"length_required", 411, "a body without Content-Length"},
    {"payload_too_large", 413, "the body is over the route's limit"},
    {"uri_too_long", 414, "the request target is too long"},
    {"unsupported_media_type", 415, "a body of the wrong Content-Type or with a Content-Encoding"},
    {"too_many_attempts", 429, "too many failed logins; wait Retry-After seconds"},
    {"headers_too_large", 431, "the request head has too many or too long headers"},
    {"internal", 500, "the server's own fault; it is logged there"},
    {"unavailable", 503, "the server is busy or shutting down; try again shortly"},
};

const ApiReason* FindReason(std::string_view reason) {
  for (const ApiReason& r : kReasons)
    if (r.reason == reason) return &r;
  return nullptr;
}

// What a failure without a reason of the table means to a client.
int StatusForCode(Status::Code code) {
  switch (code) {
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kUnauthenticated: return 401;
    case Status::Code::kPermissionDenied: return 403;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kAlreadyExists:
    case Status::Code::kFailedPrecondition: return 409;
    case Status::Code::kUnavailable:
    case Status::Code::kResourceExhausted: return 503;
    default: return 500;
  }
}

// The reason of a failure that names none, from its code.
std::string_view DefaultReason(Status::Code code) {
  switch (code) {
    case Status::Code::kInvalidArgument: return "invalid_request";
    case Status::Code::kUnauthenticated: return "unauthenticated";
    case Status::Code::kPermissionDenied: return "forbidden";
    case Status::Code::kNotFound: return "not_found";
    case Status::Code::kAlreadyExists: return "already_exists";
    case Status::Code::kFailedPrecondition: return "conflict";
    case Status::Code::kUnavailable:
    case Status::Code::kResourceExhausted: return "unavailable";
    default: return "internal";
  }
}

}  // namespace

std::span<const ApiReason> ApiReasons() { return kReasons; }

int HttpStatusOf(const Status& status) {
  if (const ApiReason* known = FindReason(status.reason())) return known->http_status;
  return StatusForCode(status.code());
}

HttpResponse ErrorResponse(const Status& status, int64_t retry_after_s) {
  HttpResponse r;
  const int http = HttpStatusOf(status);
  if (http == 500) {
    // A bug or a store failure: logged here, never shown to the client.
    std::cerr << "dala-server: internal error: " << status.ToString() << "\n";
    r = JsonError(500, "internal", "internal server error");
  } else if (http == 503) {
    std::cerr << "dala-server: refused for lack of resources: " << status.ToString() << "\n";
    r = JsonError(503, "unavailable", "the server is busy; try again shortly");
  } else {
    // A reason outside the table keeps its name: the client still learns
    // exactly what failed, with the status its code implies.
    std::string_view reason = status.reason().empty() ? DefaultReason(status.code()) : std::string_view(status.reason());
    r = JsonError(http, reason, status.message());
  }
  if (retry_after_s > 0) r.headers["Retry-After"] = std::to_string(retry_after_s);
  return r;
}

Status ApiFailure(Status::Code code, std::string_view reason, std::string message) {
  return Status(code, reason, std::move(message));
}

Status BadField(std::string_view field, std::string_view what) {
  return Status(Status::Code::kInvalidArgument, "invalid_request",
                "the field \"" + std::string(field) + "\" " + std::string(what));
}

Result<uint64_t> WholeNumberParam(const HttpRequest& request, std::string_view name, const WholeNumberRule& rule) {
  const std::string text = request.Query(name);
  if (text.empty() && rule.fallback) return *rule.fallback;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool whole = !text.empty() && end == text.data() + text.size();
  // Digits past 2^64 are still a number, only a large one: clamped like any other.
  if (whole && error == std::errc::result_out_of_range && rule.clamp) return rule.max;
  const bool number = whole && error == std::errc();
  if (number && value > rule.max && rule.clamp) return rule.max;
  if (number && value >= rule.min && value <= rule.max) return value;
  std::string words = "'" + std::string(name) + "'";
  if (!rule.what.empty()) words += " (" + std::string(rule.what) + ")";
  words += text.empty() ? " is missing: give a whole number" : " must be a whole number";
  if (rule.max != UINT64_MAX && !rule.clamp)
    words += " from " + std::to_string(rule.min) + " to " + std::to_string(rule.max);
  else if (rule.min > 0)
    words += " of at least " + std::to_string(rule.min);
  if (!text.empty()) words += ", not '" + text.substr(0, 40) + "'";
  return ApiFailure(Status::Code::kInvalidArgument, "invalid_request", std::move(words));
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpResponse JsonResponse(const nlohmann::json& value, int status) { return JsonBody(status, DumpJson(value)); }

}  // namespace dala::server
