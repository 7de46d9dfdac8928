// The API's route table and the one layer every request passes before a
// handler runs.
//
// Each route is declared once, in api_routes.cc, with its method, path,
// who may call it, what body it takes and a named handler. The layer in
// api.cc then does, in this order and for every route alike:
//
//   0. where from: a browser's state-changing request from another origin
//      is refused (403 "cross_origin");
//   1. who is calling: a signed device request (kDevice routes), or a
//      session cookie (person routes); refused with 401 otherwise;
//   2. may they: the caller's role must be in the route's Access (403);
//   3. CSRF: a person's POST, PUT, PATCH or DELETE must carry the session's
//      X-CSRF-Token (403 "csrf"). The method decides, never a flag;
//   4. the body: within the route's limit (413), and for kJson routes
//      Content-Type application/json, a strict JSON object (415, 400);
//   5. the handler, whose failures become JSON errors (api_errors.h).
//
// Access has no default, so a route declared without saying who may call
// it does not compile; api_routes_test.cc walks the table and proves each
// route refuses a caller without credentials, every wrong role, and a
// missing CSRF token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "auth.h"
#include "dala/server/http_types.h"
#include "router.h"
#include "server_context.h"

namespace dala::server {

class RecordService;

// Who may call a route: a set of callers.
class Access {
 public:
  enum Caller : uint32_t {
    kAnyone = 1u << 0,       // no credentials at all
    kDevice = 1u << 1,       // an enrolled, unrevoked laptop signing the request
    kCoordinator = 1u << 2,  // people, by role, through a session
    kAuditor = 1u << 3,
    kAdmin = 1u << 4,
  };
  constexpr explicit Access(uint32_t callers) : callers_(callers) {}

  constexpr bool Public() const { return (callers_ & kAnyone) != 0; }
  constexpr bool Devices() const { return (callers_ & kDevice) != 0; }
  constexpr bool People() const { return (callers_ & (kCoordinator | kAuditor | kAdmin)) != 0; }
  bool Allows(Role role) const;
  uint32_t callers() const { return callers_; }

 private:
  uint32_t callers_;
};

inline constexpr Access kAnyone{Access::kAnyone};
inline constexpr Access kDevicesOnly{Access::kDevice};
inline constexpr Access kReaders{Access::kCoordinator | Access::kAuditor | Access::kAdmin};
inline constexpr Access kDeciders{Access::kCoordinator | Access::kAdmin};
inline constexpr Access kAdminsOnly{Access::kAdmin};
inline constexpr Access kAuditorsAndAdmins{Access::kAuditor | Access::kAdmin};

// What a route takes as its body.
enum class BodyKind {
  kNone,   // nothing is read; a body sent anyway is refused (413)
  kJson,   // a strict JSON object, Content-Type application/json
  kBytes,  // the bytes as sent (sync frames, form documents); the handler checks them
};

// Everything a handler may need, passed by the layer.
class Api;
struct Call {
  Api& api;
  const HttpRequest& request;
  const User* person = nullptr;         // person routes: the logged-in user
  const Session* session = nullptr;     // person routes: that user's session
  const Device* device = nullptr;       // device routes: the laptop that signed
  const nlohmann::json* body = nullptr;  // kJson routes: the parsed object
};

using ApiHandler = Result<HttpResponse> (*)(const Call& call);

struct ApiRoute {
  std::string_view method;
  std::string_view pattern;
  Access access;
  BodyKind body;
  ApiHandler handler;
  size_t max_body_bytes = 64u << 10;  // kJson and kBytes; ServerConfig bounds sync bodies separately
};

// The route table, in api_routes.cc.
std::span<const ApiRoute> ApiRoutes();

// The long-lived parts of the API, created once per process.
class Api {
 public:
  // Loads the log into memory (RecordService::Start).
  static Result<std::unique_ptr<Api>> Start(ServerContext& ctx);
  ~Api();

  // Adds every route of ApiRoutes(), each behind the layer above.
  void Register(Router& router);

  ServerContext& ctx() { return ctx_; }
  Store& store() { return ctx_.store; }
  SessionAuth& sessions() { return sessions_; }
  DeviceAuthenticator& devices() { return devices_; }
  RecordService& records() { return *records_; }

 private:
  Api(ServerContext& ctx, std::shared_ptr<RecordService> records);
  HttpResponse Handle(const ApiRoute& route, const HttpRequest& request);

  ServerContext& ctx_;
  SessionAuth sessions_;
  DeviceAuthenticator devices_;
  std::shared_ptr<RecordService> records_;
};

// True for POST, PUT, PATCH and DELETE: the methods that need a CSRF token.
bool IsStateChanging(std::string_view method);

}  // namespace dala::server
