// Who is asking: devices (signed requests, see dala/sync/request_auth.h)
// and people (password login, session cookie, CSRF token). Failures are
// Status values whose reason() is the stable code API.md lists
// ("bad_signature", "revoked_device", "csrf"...); api_errors.h turns them
// into answers. Which routes need what is declared in the route table
// (api.h), not here.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <semaphore>
#include <string>
#include <string_view>
#include <utility>

#include "auth_throttle.h"
#include "dala/server/http_types.h"
#include "dala/sync/request_auth.h"
#include "server_context.h"

namespace dala::server {

// --- roles ----------------------------------------------------------------------

// The roles that log in: coordinator, auditor, admin. Volunteers act
// through their laptops' keys.
bool CanLogIn(Role role);

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

  // The enrolled, unrevoked device that signed `request`. Failure reasons
  // (API.md): unauthenticated (headers missing or malformed), bad_signature,
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

  // Checks the password and opens a session. Failure reasons: bad_credentials
  // (unknown user, wrong password, or a user without a password: one
  // answer for all), too_many_attempts (this name from this address, or
  // this address under a spraying attack, must still wait after earlier
  // failures: LoginThrottle; checked before the password, and
  // `*retry_after_s` says when to try again).
  Result<LoginResult> Login(std::string_view username, std::string_view password,
                            std::string_view remote_address, int64_t* retry_after_s = nullptr);
  // Clears the login delays of `username` from every address (an
  // administrator's unlock), on every node. Returns how many addresses it
  // had failed from.
  Result<size_t> Unlock(std::string_view username);
  // Ends the session whose cookie value is `token` (unknown tokens are fine).
  Status Logout(std::string_view token);

  // The logged-in user and their session: "unauthenticated" without a
  // valid, unexpired session cookie, or for a user who can no longer log in.
  Result<std::pair<User, Session>> CurrentSession(const HttpRequest& request);
  // "csrf" unless the request carries the session's token in X-CSRF-Token
  // (compared in constant time). The route layer asks this of every
  // state-changing request a person makes.
  static Status CheckCsrf(const Session& session, const HttpRequest& request);

  // Set-Cookie values: the session cookie (Secure over TLS), and one that
  // clears it.
  std::string SessionCookie(const LoginResult& login, bool tls) const;
  static std::string ClearedSessionCookie(bool tls);

  // Each password check (and the rehash of an outdated hash) holds
  // Argon2id's 19 MiB for tens of milliseconds; this many run at once and
  // the rest wait, so that logins arriving together, or a flood of them,
  // cannot take a worker's worth each.
  static constexpr int kPasswordChecksAtOnce = 2;
  // The most that ever ran at once (what the tests hold to the bound).
  int PeakPasswordChecks() const { return peak_password_checks_.load(); }

 private:
  // Checks `password` against `hash` in one of the slots.
  bool CheckPasswordInSlot(const std::string& hash, std::string_view password);
  // Hashes `password` again over an outdated hash of it, in a slot.
  void RehashPassword(const User& user, std::string_view password);

  ServerContext& ctx_;
  std::string dummy_hash_;
  std::counting_semaphore<kPasswordChecksAtOnce> password_slots_{kPasswordChecksAtOnce};
  std::atomic<int> password_checks_{0};
  std::atomic<int> peak_password_checks_{0};
  // Guards ctx_.random, and makes this node's logins check and count
  // their failures one at a time. The throttle's state is in the store.
  std::mutex mutex_;
};

}  // namespace dala::server
