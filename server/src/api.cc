#include "api.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "api_errors.h"
#include "dala/sync/envelope.h"
#include "dala/sync/request_auth.h"
#include "record_service.h"

namespace dala::server {

using nlohmann::json;

bool IsStateChanging(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool Access::Allows(Role role) const {
  switch (role) {
    case Role::kCoordinator: return (callers_ & kCoordinator) != 0;
    case Role::kAuditor: return (callers_ & kAuditor) != 0;
    case Role::kAdmin: return (callers_ & kAdmin) != 0;
    case Role::kVolunteer: return false;  // volunteers act through their laptops
  }
  return false;
}

namespace {

std::string RolesOf(Access access) {
  std::string out;
  for (Role r : {Role::kCoordinator, Role::kAuditor, Role::kAdmin})
    if (access.Allows(r)) out += (out.empty() ? "" : ", ") + std::string(RoleName(r));
  return out;
}

std::string LowerMediaType(const HttpRequest& r) {
  std::string type = r.Header("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

// The body of a kJson route: an empty body reads as {}; anything else must
// be sent as application/json (which a cross-site HTML form cannot send)
// and be a strict JSON object: at most 32 levels deep and without repeated
// keys, checked in one pass before any tree is built.
Result<json> ParseJsonBody(const HttpRequest& r) {
  if (r.body.empty()) return json::object();
  if (LowerMediaType(r) != "application/json")
    return ApiFailure(Status::Code::kInvalidArgument, "unsupported_media_type",
                      "send the body as Content-Type: application/json");
  if (Status strict = sync::CheckStrictJsonObject(r.body); !strict.ok())
    return ApiFailure(Status::Code::kInvalidArgument, "malformed_json",
                      "the request body is not a JSON object: " + strict.message());
  json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return ApiFailure(Status::Code::kInvalidArgument, "malformed_json", "the request body is not a JSON object");
  return j;
}

// A browser names the page that sent a request in Origin. A
// state-changing request from another origin is refused whoever sends it,
// before anything else: the session's SameSite cookie and CSRF token already
// stop a forged request, and this stops it even on a site that shares ours
// (another port of the same address), and a login forged from elsewhere.
// Programs send no Origin and are not affected.
Status CheckOrigin(const HttpRequest& r) {
  if (!IsStateChanging(r.method)) return Status::Ok();
  std::string origin = r.Header("Origin");
  if (origin.empty()) return Status::Ok();
  std::string expected = std::string(r.tls ? "https://" : "http://") + r.Header("Host");
  if (origin == expected) return Status::Ok();
  return ApiFailure(Status::Code::kPermissionDenied, "cross_origin",
                    "a request from " + origin + " may not change anything on this server");
}

}  // namespace

Api::Api(ServerContext& ctx, std::shared_ptr<RecordService> records)
    : ctx_(ctx), sessions_(ctx), devices_(ctx), records_(std::move(records)) {}

Api::~Api() = default;

Result<std::unique_ptr<Api>> Api::Start(ServerContext& ctx) {
  DALA_ASSIGN_OR_RETURN(std::shared_ptr<RecordService> records, RecordService::Start(ctx));
  return std::unique_ptr<Api>(new Api(ctx, std::move(records)));
}

void Api::Register(Router& router) {
  for (const ApiRoute& route : ApiRoutes()) {
    size_t limit = route.body == BodyKind::kNone ? 0 : std::min(route.max_body_bytes, ctx_.config.max_body_bytes);
    router.Add(std::string(route.method), std::string(route.pattern),
               [this, &route](const HttpRequest& r) { return Handle(route, r); }, limit);
  }
}

HttpResponse Api::Handle(const ApiRoute& route, const HttpRequest& r) {
  if (Status s = CheckOrigin(r); !s.ok()) return ErrorResponse(s);
  Call call{*this, r};
  std::optional<Device> device;
  std::optional<std::pair<User, Session>> person;

  // 1 and 2: who is calling, and may they.
  if (!route.access.Public()) {
    const bool signed_request = !r.Header(sync::kDeviceHeader).empty();
    if (route.access.Devices() && (signed_request || !route.access.People())) {
      auto d = devices_.Authenticate(r);
      if (!d.ok()) return ErrorResponse(d.status());
      device = std::move(*d);
      call.device = &*device;
    } else {
      auto current = sessions_.CurrentSession(r);
      if (!current.ok()) return ErrorResponse(current.status());
      const User& user = current->first;
      if (user.role == Role::kAuditor && IsStateChanging(r.method) && !route.access.Allows(user.role)) {
        return ErrorResponse(ApiFailure(Status::Code::kPermissionDenied, "read_only_role",
                                        "an auditor may read everything but change nothing"));
      }
      if (!route.access.People() || !route.access.Allows(user.role)) {
        std::string who = route.access.People() ? RolesOf(route.access) : "an enrolled laptop";
        return ErrorResponse(ApiFailure(Status::Code::kPermissionDenied, "forbidden",
                                        std::string("the role ") + RoleName(user.role) +
                                            " may not do this (it needs: " + who + ")"));
      }
      // 3. CSRF, decided by the method alone.
      if (IsStateChanging(r.method)) {
        if (Status s = sessions_.CheckCsrf(current->second, r); !s.ok()) return ErrorResponse(s);
      }
      person = std::move(*current);
      call.person = &person->first;
      call.session = &person->second;
    }
  }

  // 4. The body.
  const size_t limit = std::min(route.max_body_bytes, ctx_.config.max_body_bytes);
  if ((route.body == BodyKind::kNone && !r.body.empty()) || r.body.size() > limit) {
    return ErrorResponse(ApiFailure(Status::Code::kResourceExhausted, "payload_too_large",
                                    route.body == BodyKind::kNone
                                        ? "this endpoint takes no request body"
                                        : "the request body is over this endpoint's limit of " +
                                              std::to_string(limit) + " bytes"));
  }
  std::optional<json> body;
  if (route.body == BodyKind::kJson) {
    auto parsed = ParseJsonBody(r);
    if (!parsed.ok()) return ErrorResponse(parsed.status());
    body = std::move(*parsed);
    call.body = &*body;
  }

  // 5. The handler.
  Result<HttpResponse> out = route.handler(call);
  if (!out.ok()) return ErrorResponse(out.status());
  HttpResponse response = std::move(*out);
  // API answers are about people and records: nothing is cached unless a
  // handler says otherwise.
  if (response.headers.count("Cache-Control") == 0) response.headers["Cache-Control"] = "no-store";
  return response;
}

}  // namespace dala::server
