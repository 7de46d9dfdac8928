// Who is asking: devices (signed requests, see dala/sync/request_auth.h)
// and people (password login, session cookie, CSRF token).
//
// Failures are Status values whose message starts with a stable error
// code for clients: "<code>: <detail>" (AuthFailure builds them), and
// AuthErrorResponse turns one into the JSON error with the right HTTP
// status. API.md lists the codes.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "dala/server/http_types.h"
#include "dala/sync/request_auth.h"
#include "server_context.h"

namespace dala::server {

// --- errors -----------------------------------------------------------------------

// A Status carrying `error_code` (e.g. "bad_signature") for the client.
Status AuthFailure(Status::Code code, std::string_view error_code, std::string_view detail);
// The error code a Status carries ("<snake_case code>: ..."); empty if none.
std::string AuthErrorCode(const Status& status);
// The JSON refusal for any failed request, authentication or not:
//  - a code in the table of API.md gets its own HTTP status (401, 403, 429...);
//  - another carried code keeps its name, with the status its Status code
//    implies (InvalidArgument 400, Unauthenticated 401, PermissionDenied 403,
//    NotFound 404, AlreadyExists and FailedPrecondition 409);
//  - a Status without a code gets those statuses with a generic code
//    (invalid_request, unauthenticated, forbidden, not_found,
//    already_exists, conflict);
//  - anything else is the server's problem: 503 "unavailable" for
//    Unavailable/ResourceExhausted, else 500 "internal"; the detail goes to
//    stderr, never to the client.
// `retry_after_s` > 0 adds Retry-After.
HttpResponse AuthErrorResponse(const Status& status, int64_t retry_after_s = 0);

// --- roles ----------------------------------------------------------------------

bool CanRead(Role role);   // coordinator, auditor, admin
bool CanWrite(Role role);  // coordinator, admin: auditors only ever read
bool IsAdmin(Role role);
// PermissionDenied "forbidden" unless the user is an admin.
Status RequireAdmin(const User& user);
// PermissionDenied "forbidden" unless the user's role is one of `roles`.
Status RequireRole(const User& user, std::initializer_list<Role> roles);

// User names: 1 to 64 of A-Z a-z 0-9 . _ - starting with a letter or digit.
Status ValidateUserName(std::string_view name);
// Passwords: 8 to 1024 bytes of valid UTF-8.
Status ValidatePassword(std::string_view password);

// --- devices ---------------------------------------------------------------------

class DeviceAuthenticator {
 public:
  // The replay cache starts now: see ReplayCache for why requests signed
  // before this moment are refused.
  explicit DeviceAuthenticator(ServerContext& ctx);

  // The enrolled, unrevoked device that signed `request`. Failures (see
  // API.md): unauthenticated (headers missing or malformed), bad_signature,
  // stale_request, unknown_device, revoked_device, replayed_request. The
  // nonce is only remembered once the device is known to be enrolled, so
  // strangers cannot fill the replay cache.
  Result<Device> Authenticate(const HttpRequest& request);

 private:
  ServerContext& ctx_;
  sync::ReplayCache replay_;
};

// --- people -----------------------------------------------------------------------

inline constexpr std::string_view kSessionCookie = "dala_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

struct LoginResult {
  std::string token;       // the cookie value (64 hex); only its SHA-256 is stored
  std::string csrf_token;  // 64 hex; must accompany every state-changing request
  User user;
  int64_t expires_ms = 0;
};

class SessionAuth {
 public:
  // Hashes a dummy password once, so that logins for unknown users cost
  // as much as logins for known ones.
  explicit SessionAuth(ServerContext& ctx);

  // Checks the password and opens a session. Failures: bad_credentials
  // (unknown user, wrong password, or a user without a password: one
  // answer for all), too_many_attempts (more than
  // login_attempts_per_window failures for this user name or this address
  // within login_window_ms; checked before the password, and
  // `*retry_after_s` says when to try again).
  Result<LoginResult> Login(std::string_view username, std::string_view password,
                            std::string_view remote_address, int64_t* retry_after_s = nullptr);
  // Ends the session whose cookie value is `token` (unknown tokens are fine).
  Status Logout(std::string_view token);

  // The logged-in user. A state-changing request (state_changing; the
  // caller knows, since it chose the method) must also carry the session's
  // CSRF token in X-CSRF-Token ("csrf" otherwise) and come from a role that
  // may write ("read_only_role" for auditors).
  Result<User> Authenticate(const HttpRequest& request, bool state_changing);
  // As Authenticate, but any role may make a state-changing request (still
  // with the CSRF token): for logging out, and for /me, which hands the
  // CSRF token back to a page that was reloaded.
  Result<std::pair<User, Session>> CurrentSession(const HttpRequest& request, bool state_changing);

  // Set-Cookie values: the session cookie (Secure over TLS), and one that
  // clears it.
  std::string SessionCookie(const LoginResult& login, bool tls) const;
  static std::string ClearedSessionCookie(bool tls);

  // True for POST, PUT, PATCH and DELETE.
  static bool IsStateChanging(std::string_view method);

 private:
  struct Attempts {
    std::deque<int64_t> failures_ms;  // within the window, oldest first
  };
  // Seconds until `key` may try again; 0 if it may now. Caller holds mutex_.
  int64_t BlockedForSeconds(std::map<std::string, Attempts>& table, const std::string& key, int64_t now_ms);
  void RecordFailure(const std::string& user_key, const std::string& remote_address, int64_t now_ms);
  void ForgetTentativeFailure(const std::string& user_key, const std::string& remote_address, int64_t at_ms);
  void Sweep(int64_t now_ms);

  ServerContext& ctx_;
  std::string dummy_hash_;
  std::mutex mutex_;  // guards the tables and ctx_.random
  std::map<std::string, Attempts> by_user_;
  std::map<std::string, Attempts> by_address_;
  int64_t last_sweep_ms_ = 0;
};

}  // namespace dala::server
