#include "accounts_api.h"

#include "dala/sync/envelope.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "admin.h"

namespace dala::server {

using nlohmann::json;

struct JsonFields::Impl {
  json object;
};

JsonFields::JsonFields() : impl_(std::make_shared<Impl>()) {}

JsonFields JsonFields::Parse(const HttpRequest& request) {
  JsonFields f;
  std::string type = request.Header("Content-Type");
  std::string media = type.substr(0, type.find(';'));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (media != "application/json") {
    f.error_ = JsonError(415, "unsupported_media_type", "send the body as Content-Type: application/json");
    return f;
  }
  // A shallow, single-pass check first: a body of deeply nested brackets
  // would otherwise cost far more memory as a tree than as text.
  if (Status strict = sync::CheckStrictJsonObject(request.body); !strict.ok()) {
    f.error_ = JsonError(400, "malformed_json", "the request body is not a JSON object: " + strict.message());
    return f;
  }
  // The non-throwing parse: a malformed body is an answer, not an exception.
  f.impl_->object = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (f.impl_->object.is_discarded()) {
    f.error_ = JsonError(400, "malformed_json", "the request body is not valid JSON");
  } else if (!f.impl_->object.is_object()) {
    f.error_ = JsonError(400, "malformed_json", "the request body must be a JSON object");
  }
  return f;
}

std::string JsonFields::String(std::string_view name) {
  if (error_) return std::string();
  auto it = impl_->object.find(name);
  if (it == impl_->object.end() || !it->is_string()) {
    error_ = JsonError(400, "invalid_request", "the field \"" + std::string(name) + "\" (a string) is required");
    return std::string();
  }
  return it->get<std::string>();
}

std::string JsonFields::OptionalString(std::string_view name) {
  if (error_) return std::string();
  auto it = impl_->object.find(name);
  if (it == impl_->object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    error_ = JsonError(400, "invalid_request", "the field \"" + std::string(name) + "\" must be a string");
    return std::string();
  }
  return it->get<std::string>();
}

int64_t JsonFields::OptionalInt(std::string_view name, int64_t fallback) {
  if (error_) return fallback;
  auto it = impl_->object.find(name);
  if (it == impl_->object.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) {
    error_ = JsonError(400, "invalid_request", "the field \"" + std::string(name) + "\" must be an integer");
    return fallback;
  }
  return it->get<int64_t>();
}

namespace {

// Account data is personal and the CSRF token secret: no caches.
HttpResponse Private(HttpResponse r) {
  r.headers["Cache-Control"] = "no-store";
  return r;
}

HttpResponse Json(int status, const json& body) {
  return Private(JsonBody(status, body.dump(-1, ' ', false, json::error_handler_t::replace)));
}

// A store refusal as the client should see it (see AuthErrorResponse).
HttpResponse StoreError(const Status& s) { return AuthErrorResponse(s); }

json UserJson(const User& u) {
  return {{"name", u.name},
          {"role", RoleName(u.role)},
          {"created_ms", u.created_ms},
          {"can_log_in", !u.password_hash.empty() && CanRead(u.role)}};
}

json DeviceJson(const Device& d) {
  return {{"key", ToHex(d.key)},
          {"volunteer", d.volunteer},
          {"label", d.label},
          {"enrolled_ms", d.enrolled_ms},
          {"enrolled_by", d.enrolled_by},
          {"revoked", d.revoked_ms != 0},
          {"revoked_ms", d.revoked_ms},
          {"revoked_by", d.revoked_by},
          {"revoke_reason", d.revoke_reason}};
}

HttpResponse Login(ServerContext&, SessionAuth& sessions, const HttpRequest& req) {
  JsonFields f = JsonFields::Parse(req);
  std::string username = f.String("username");
  std::string password = f.String("password");
  if (f.error()) return *f.error();
  int64_t retry_after_s = 0;
  auto login = sessions.Login(username, password, req.remote_address, &retry_after_s);
  if (!login.ok()) return Private(AuthErrorResponse(login.status(), retry_after_s));
  HttpResponse r = Json(200, {{"user", login->user.name},
                              {"role", RoleName(login->user.role)},
                              {"csrf_token", login->csrf_token},
                              {"expires_ms", login->expires_ms}});
  r.headers["Set-Cookie"] = sessions.SessionCookie(*login, req.tls);
  return r;
}

HttpResponse Logout(SessionAuth& sessions, const HttpRequest& req) {
  auto current = sessions.CurrentSession(req, /*state_changing=*/true);
  if (!current.ok()) return AuthErrorResponse(current.status());
  if (Status s = sessions.Logout(req.Cookie(kSessionCookie)); !s.ok()) return StoreError(s);
  HttpResponse r = Json(200, {{"ok", true}});
  r.headers["Set-Cookie"] = SessionAuth::ClearedSessionCookie(req.tls);
  return r;
}

HttpResponse Me(SessionAuth& sessions, const HttpRequest& req) {
  auto current = sessions.CurrentSession(req, /*state_changing=*/false);
  if (!current.ok()) return AuthErrorResponse(current.status());
  const auto& [user, session] = *current;
  return Json(200, {{"user", user.name},
                    {"role", RoleName(user.role)},
                    {"csrf_token", session.csrf_token},
                    {"expires_ms", session.expires_ms}});
}

HttpResponse ListUsers(ServerContext& ctx, SessionAuth& sessions, const HttpRequest& req) {
  auto user = sessions.Authenticate(req, false);
  if (!user.ok()) return AuthErrorResponse(user.status());
  if (Status s = RequireAdmin(*user); !s.ok()) return AuthErrorResponse(s);
  auto users = ctx.store.ListUsers();
  if (!users.ok()) return StoreError(users.status());
  json list = json::array();
  for (const User& u : *users) list.push_back(UserJson(u));
  return Json(200, {{"users", list}});
}

HttpResponse AddUser(ServerContext& ctx, SessionAuth& sessions, const HttpRequest& req) {
  auto admin = sessions.Authenticate(req, true);
  if (!admin.ok()) return AuthErrorResponse(admin.status());
  if (Status s = RequireAdmin(*admin); !s.ok()) return AuthErrorResponse(s);
  JsonFields f = JsonFields::Parse(req);
  std::string name = f.String("name");
  std::string role_name = f.String("role");
  std::string password = f.OptionalString("password");
  if (f.error()) return *f.error();
  if (Status s = ValidateUserName(name); !s.ok()) return JsonError(400, "invalid_request", s.message());
  auto role = ParseRole(role_name);
  if (!role.ok()) return JsonError(400, "invalid_request", role.status().message());
  if (*role == Role::kVolunteer && !password.empty()) {
    return JsonError(400, "invalid_request", "volunteers do not log in: leave out \"password\"");
  }
  if (*role != Role::kVolunteer && password.empty()) {
    return JsonError(400, "invalid_request",
                     std::string("the field \"password\" is required for a ") + RoleName(*role));
  }
  auto user = AddUserAccount(ctx.store, name, role_name, password, ctx.clock);
  if (!user.ok()) return StoreError(user.status());
  return Json(201, UserJson(*user));
}

HttpResponse IssueCode(ServerContext& ctx, SessionAuth& sessions, const HttpRequest& req) {
  auto issuer = sessions.Authenticate(req, true);
  if (!issuer.ok()) return AuthErrorResponse(issuer.status());
  if (Status s = RequireRole(*issuer, {Role::kCoordinator, Role::kAdmin}); !s.ok()) return AuthErrorResponse(s);
  JsonFields f = JsonFields::Parse(req);
  std::string volunteer = f.String("volunteer");
  int64_t ttl = f.OptionalInt("ttl_hours", kDefaultEnrollTtlHours);
  if (f.error()) return *f.error();
  if (ttl < 1 || ttl > kMaxEnrollTtlHours) {
    return JsonError(400, "invalid_request",
                     "\"ttl_hours\" must be between 1 and " + std::to_string(kMaxEnrollTtlHours));
  }
  auto issued = IssueEnrollCode(ctx.store, volunteer, static_cast<int>(ttl), issuer->name, ctx.random, ctx.clock);
  if (!issued.ok()) return StoreError(issued.status());
  return Json(201, {{"code", issued->code}, {"volunteer", issued->volunteer}, {"expires_ms", issued->expires_ms}});
}

HttpResponse ListDevices(ServerContext& ctx, SessionAuth& sessions, const HttpRequest& req) {
  auto user = sessions.Authenticate(req, false);
  if (!user.ok()) return AuthErrorResponse(user.status());
  if (Status s = RequireRole(*user, {Role::kCoordinator, Role::kAuditor, Role::kAdmin}); !s.ok())
    return AuthErrorResponse(s);
  auto devices = ctx.store.ListDevices();
  if (!devices.ok()) return StoreError(devices.status());
  json list = json::array();
  for (const Device& d : *devices) list.push_back(DeviceJson(d));
  return Json(200, {{"devices", list}});
}

}  // namespace

void RegisterAccountRoutes(Router& router, ServerContext& ctx, SessionAuth& sessions) {
  router.Add("GET", "/api/v1/health", [](const HttpRequest&) { return JsonBody(200, R"({"ok":true})"); });
  router.Add("POST", "/api/v1/login", [&](const HttpRequest& r) { return Login(ctx, sessions, r); });
  router.Add("POST", "/api/v1/logout", [&](const HttpRequest& r) { return Logout(sessions, r); });
  router.Add("GET", "/api/v1/me", [&](const HttpRequest& r) { return Me(sessions, r); });
  router.Add("GET", "/api/v1/users", [&](const HttpRequest& r) { return ListUsers(ctx, sessions, r); });
  router.Add("POST", "/api/v1/users", [&](const HttpRequest& r) { return AddUser(ctx, sessions, r); });
  router.Add("POST", "/api/v1/enroll-codes", [&](const HttpRequest& r) { return IssueCode(ctx, sessions, r); });
  router.Add("GET", "/api/v1/devices", [&](const HttpRequest& r) { return ListDevices(ctx, sessions, r); });
}

}  // namespace dala::server
