// People and laptops: login and logout, who am I, health, users,
// enrolment codes, the device list and revocation.

#include <map>
#include <nlohmann/json.hpp>

#include "admin.h"
#include "api_errors.h"
#include "api_fields.h"
#include "api_handlers.h"
#include "record_service.h"

namespace dala::server::handlers {

using nlohmann::json;

namespace {

json UserJson(const User& u) {
  return {{"name", u.name},
          {"role", RoleName(u.role)},
          {"created_ms", u.created_ms},
          {"can_log_in", !u.password_hash.empty() && CanLogIn(u.role)}};
}

json DeviceJson(const Device& d, uint64_t revisions) {
  return {{"key", ToHex(d.key)},
          {"revisions", revisions},
          {"last_sync_ms", d.last_sync_ms},
          {"volunteer", d.volunteer},
          {"label", d.label},
          {"enrolled_ms", d.enrolled_ms},
          {"enrolled_by", d.enrolled_by},
          {"revoked", d.revoked_ms != 0},
          {"revoked_ms", d.revoked_ms},
          {"revoked_by", d.revoked_by},
          {"revoke_reason", d.revoke_reason}};
}

}  // namespace

namespace {

// Who is signed in and what they may do, as the dashboard shows it. The
// server still checks every request: these only decide which controls a
// page draws.
json SessionJson(const User& user, const std::string& csrf_token, int64_t expires_ms) {
  return {{"user", user.name},
          {"role", RoleName(user.role)},
          {"csrf_token", csrf_token},
          {"expires_ms", expires_ms},
          {"language", user.language},
          {"can_decide", user.role == Role::kCoordinator || user.role == Role::kAdmin},
          {"can_administer", user.role == Role::kAdmin}};
}

}  // namespace

Result<HttpResponse> Health(const Call&) { return JsonResponse({{"ok", true}}); }

Result<HttpResponse> Login(const Call& call) {
  DALA_ASSIGN_OR_RETURN(std::string username, StringField(*call.body, "username"));
  DALA_ASSIGN_OR_RETURN(std::string password, StringField(*call.body, "password"));
  int64_t retry_after_s = 0;
  auto login = call.api.sessions().Login(username, password, call.request.remote_address, &retry_after_s);
  if (!login.ok()) return ErrorResponse(login.status(), retry_after_s);
  HttpResponse r = JsonResponse(SessionJson(login->user, login->csrf_token, login->expires_ms));
  r.headers["Set-Cookie"] = call.api.sessions().SessionCookie(*login, call.request.tls);
  return r;
}

Result<HttpResponse> Logout(const Call& call) {
  DALA_RETURN_IF_ERROR(call.api.sessions().Logout(call.request.Cookie(kSessionCookie)));
  HttpResponse r = JsonResponse({{"ok", true}});
  r.headers["Set-Cookie"] = SessionAuth::ClearedSessionCookie(call.request.tls);
  return r;
}

// Hands the CSRF token back to a page that was reloaded.
Result<HttpResponse> Me(const Call& call) {
  return JsonResponse(SessionJson(*call.person, call.session->csrf_token, call.session->expires_ms));
}

// Public: whether the caller is signed in, without a 401 (a page asks this
// first; a refusal would show as an error in the browser's console).
Result<HttpResponse> CurrentSession(const Call& call) {
  auto current = call.api.sessions().CurrentSession(call.request);
  if (!current.ok()) {
    if (current.status().code() == Status::Code::kUnauthenticated) return JsonResponse({{"signed_in", false}});
    return current.status();
  }
  json out = SessionJson(current->first, current->second.csrf_token, current->second.expires_ms);
  out["signed_in"] = true;
  return JsonResponse(out);
}

Result<HttpResponse> SetLanguage(const Call& call) {
  DALA_ASSIGN_OR_RETURN(std::string language, StringField(*call.body, "language"));
  if (language != "kk" && language != "ru" && language != "en")
    return BadField("language", "must be one of kk, ru, en");
  DALA_RETURN_IF_ERROR(call.api.store().SetLanguage(call.person->id, language));
  return JsonResponse({{"language", language}});
}

Result<HttpResponse> ListUsers(const Call& call) {
  DALA_ASSIGN_OR_RETURN(auto users, call.api.store().ListUsers());
  json list = json::array();
  for (const User& u : users) list.push_back(UserJson(u));
  return JsonResponse({{"users", list}});
}

Result<HttpResponse> AddUser(const Call& call) {
  const json& body = *call.body;
  DALA_ASSIGN_OR_RETURN(std::string name, StringField(body, "name"));
  DALA_ASSIGN_OR_RETURN(std::string role_name, StringField(body, "role"));
  DALA_ASSIGN_OR_RETURN(std::string password, OptionalStringField(body, "password"));
  DALA_RETURN_IF_ERROR(ValidateUserName(name));
  DALA_ASSIGN_OR_RETURN(Role role, ParseRole(role_name));
  if (role == Role::kVolunteer && !password.empty())
    return BadField("password", "must be left out: volunteers do not log in");
  if (role != Role::kVolunteer && password.empty())
    return BadField("password", std::string("is required for a ") + RoleName(role));
  DALA_ASSIGN_OR_RETURN(User user, AddUserAccount(call.api.store(), name, role_name, password, call.api.ctx().clock));
  return JsonResponse(UserJson(user), 201);
}

Result<HttpResponse> IssueEnrollCode(const Call& call) {
  DALA_ASSIGN_OR_RETURN(std::string volunteer, StringField(*call.body, "volunteer"));
  DALA_ASSIGN_OR_RETURN(int64_t ttl, OptionalIntField(*call.body, "ttl_hours", kDefaultEnrollTtlHours));
  if (ttl < 1 || ttl > kMaxEnrollTtlHours)
    return BadField("ttl_hours", "must be between 1 and " + std::to_string(kMaxEnrollTtlHours));
  ServerContext& ctx = call.api.ctx();
  DALA_ASSIGN_OR_RETURN(auto issued, server::IssueEnrollCode(ctx.store, volunteer, static_cast<int>(ttl),
                                                             call.person->name, ctx.random, ctx.clock));
  return JsonResponse({{"code", issued.code}, {"volunteer", issued.user}, {"expires_ms", issued.expires_ms}},
                      201);
}

Result<HttpResponse> ListDevices(const Call& call) {
  DALA_ASSIGN_OR_RETURN(auto devices, call.api.store().ListDevices());
  DALA_ASSIGN_OR_RETURN(auto counts, call.api.store().RevisionsPerAuthor());
  std::map<sync::PublicKey, uint64_t> revisions(counts.begin(), counts.end());
  json list = json::array();
  for (const Device& d : devices) list.push_back(DeviceJson(d, revisions[d.key]));
  return JsonResponse({{"devices", list}});
}

Result<HttpResponse> RevokeDevice(const Call& call) {
  sync::PublicKey key;
  if (!FromHex(call.request.path_params.at("key"), &key))
    return ApiFailure(Status::Code::kInvalidArgument, "invalid_request", "the key is 64 hex digits");
  DALA_ASSIGN_OR_RETURN(std::string reason, OptionalStringField(*call.body, "reason"));
  Status s = call.api.records().Revoke(key, call.person->name, reason);
  if (s.code() == Status::Code::kFailedPrecondition) return s.WithReason("already_revoked");
  DALA_RETURN_IF_ERROR(s);
  return JsonResponse({{"revoked", ToHex(key)}});
}

}  // namespace dala::server::handlers
