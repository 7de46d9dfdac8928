#include "auth.h"

#include <algorithm>
#include <iostream>

#include "dala/base/utf8.h"

namespace dala::server {

namespace {

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string TokenHash(std::string_view token) { return ToHex(sync::Sha256(token)); }

std::string RandomHex(sync::Random& random, size_t bytes) {
  std::string raw(bytes, '\0');
  random.Fill(reinterpret_cast<uint8_t*>(raw.data()), raw.size());
  return ToHex(raw);
}

// A user name is looked up, not trusted: cap what an attacker can make the
// rate limiter remember.
std::string UserKey(std::string_view username) { return std::string(username.substr(0, 128)); }

// The login throttle's state, replayed from the failed logins the store
// holds: every node of a deployment records its failures there, so the
// delays are the same whichever node is asked. Each failure is replayed
// as it happened then: asked about first (which forgets a pair that was
// quiet for a window), then counted and confirmed.
LoginThrottle ReplayedThrottle(const ThrottlePolicy& policy, const std::vector<AccountStore::LoginFailure>& failures) {
  LoginThrottle throttle(policy);
  for (const AccountStore::LoginFailure& f : failures) {
    (void)throttle.WaitMs(f.user, f.address, f.at_ms);
    throttle.Confirm(throttle.Begin(f.user, f.address, f.at_ms), f.at_ms);
  }
  return throttle;
}

}  // namespace

// --- roles ----------------------------------------------------------------------

bool CanLogIn(Role role) { return role == Role::kCoordinator || role == Role::kAuditor || role == Role::kAdmin; }

Status ValidateUserName(std::string_view name) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  bool ok = !name.empty() && name.size() <= 64 && alnum(name.front()) &&
            std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
  if (!ok) {
    return Status::InvalidArgument("a user name is 1 to 64 letters (A-Z, a-z), digits, '.', '_' or '-', "
                                   "starting with a letter or digit");
  }
  return Status::Ok();
}

Status ValidatePassword(std::string_view password) {
  if (password.size() < 8) return Status::InvalidArgument("a password needs at least 8 characters");
  if (password.size() > 1024) return Status::InvalidArgument("a password may have at most 1024 bytes");
  if (!utf8::IsValid(password)) return Status::InvalidArgument("a password must be valid UTF-8");
  return Status::Ok();
}

// --- devices ---------------------------------------------------------------------

DeviceAuthenticator::DeviceAuthenticator(ServerContext& ctx) : ctx_(ctx), replay_(ctx.clock.NowMs()) {}

Result<Device> DeviceAuthenticator::Authenticate(const HttpRequest& request) {
  auto credentials = sync::VerifyRequestSignature(
      request.method, request.target, request.body, request.Header(sync::kDeviceHeader),
      request.Header(sync::kTimestampHeader), request.Header(sync::kNonceHeader),
      request.Header(sync::kSignatureHeader));
  if (!credentials.ok()) {
    const Status& s = credentials.status();
    if (s.code() == Status::Code::kInvalidArgument)
      return Status(Status::Code::kUnauthenticated, "unauthenticated", s.message());
    return Status(Status::Code::kUnauthenticated, "bad_signature", s.message());
  }
  const int64_t now = ctx_.clock.NowMs();
  const int64_t window = ctx_.config.request_freshness_ms;
  // Cheap refusals first; the nonce is only remembered for real devices.
  if (Status s = sync::CheckTimestamp(credentials->timestamp_ms, now, window); !s.ok())
    return s;

  DALA_ASSIGN_OR_RETURN(std::optional<Device> device, ctx_.store.FindDevice(credentials->device));
  if (!device) {
    return Status(Status::Code::kUnauthenticated, "unknown_device",
                       "this device is not enrolled on this server; enrol it with a code from a coordinator");
  }
  if (device->revoked_ms != 0) {
    return Status(Status::Code::kPermissionDenied, "revoked_device",
                       "this device was revoked; ask a coordinator");
  }
  DALA_RETURN_IF_ERROR(replay_.CheckFresh(*credentials, now, window));
  // Where other nodes share the store, one of them may have seen this
  // nonce: the store remembers it for them all, as long as the timestamp
  // could still pass CheckTimestamp anywhere.
  if (ctx_.store.SharedByNodes()) {
    Status s = ctx_.store.RememberRequestNonce(credentials->device, credentials->nonce,
                                               credentials->timestamp_ms + window, now);
    if (s.code() == Status::Code::kAlreadyExists)
      return Status(Status::Code::kUnauthenticated, sync::kReplayedRequest,
                    "this request was already received (a replay); sign a new one");
    DALA_RETURN_IF_ERROR(s);
  }
  return std::move(*device);
}

// --- people -----------------------------------------------------------------------

SessionAuth::SessionAuth(ServerContext& ctx) : ctx_(ctx) {
  auto h = sync::HashPassword("dala: a password no account has");
  if (h.ok()) dummy_hash_ = std::move(*h);
}

Result<LoginResult> SessionAuth::Login(std::string_view username, std::string_view password,
                                       std::string_view remote_address, int64_t* retry_after_s) {
  const int64_t now = ctx_.clock.NowMs();
  const std::string user_key = UserKey(username);
  const std::string address(remote_address);
  const ThrottlePolicy& policy = ctx_.config.login_throttle;
  // Nothing older can still hold a delay: a pair is forgotten after a
  // quiet window, and no delay is longer than max_delay_ms.
  const int64_t horizon = now - policy.window_ms - policy.max_delay_ms;
  int64_t failure_id = 0;
  {
    // This node's logins check and count one at a time; another node's
    // may slip one guess in between (docs/SECURITY.md).
    std::lock_guard<std::mutex> lock(mutex_);
    DALA_ASSIGN_OR_RETURN(auto failures,
                          ctx_.store.LoginFailuresAround(user_key, address, horizon,
                                                         static_cast<size_t>(std::max(policy.global_failures, 1))));
    int64_t wait_ms = ReplayedThrottle(policy, failures).WaitMs(user_key, address, now);
    if (wait_ms > 0) {
      int64_t wait = (wait_ms + 999) / 1000;
      if (retry_after_s != nullptr) *retry_after_s = wait;
      return Status(Status::Code::kResourceExhausted, "too_many_attempts",
                    "too many failed logins; try again in " + std::to_string(wait) + " s");
    }
    // Counted as a failure before the password is checked, so that
    // concurrent guesses cannot all slip in before the first one fails.
    DALA_ASSIGN_OR_RETURN(failure_id, ctx_.store.AddLoginFailure(user_key, address, now, horizon));
  }

  std::optional<User> user;
  if (ValidateUserName(username).ok()) {
    DALA_ASSIGN_OR_RETURN(user, ctx_.store.FindUser(username));
  }
  bool can_log_in = user && !user->password_hash.empty() && CanLogIn(user->role);
  // Unknown users pay for a hash too, so timing does not reveal who exists.
  bool right = CheckPasswordInSlot(can_log_in ? user->password_hash : dummy_hash_, password) && can_log_in;
  if (!right) {
    // The delays run from now: hashing took time.
    DALA_RETURN_IF_ERROR(ctx_.store.SetLoginFailureTime(failure_id, ctx_.clock.NowMs()));
    return Status(Status::Code::kUnauthenticated, "bad_credentials", "wrong user name or password");
  }

  DALA_RETURN_IF_ERROR(ctx_.store.ForgetLoginFailures(user_key, address));
  if (sync::PasswordHashIsOutdated(user->password_hash)) RehashPassword(*user, password);
  LoginResult result;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    result.token = RandomHex(ctx_.random, 32);
    result.csrf_token = RandomHex(ctx_.random, 32);
  }
  result.user = std::move(*user);
  result.expires_ms = now + ctx_.config.session_lifetime_ms;
  Session session{TokenHash(result.token), result.user.id, result.csrf_token, now, result.expires_ms};
  DALA_RETURN_IF_ERROR(ctx_.store.AddSession(session));
  if (Status s = ctx_.store.DeleteExpiredSessions(now); !s.ok())
    std::cerr << "dala-server: could not delete expired sessions: " << s.ToString() << "\n";
  return result;
}

namespace {

// Holds one of SessionAuth's password slots, and counts how many are held.
class PasswordSlot {
 public:
  PasswordSlot(std::counting_semaphore<SessionAuth::kPasswordChecksAtOnce>& slots, std::atomic<int>& held,
               std::atomic<int>& peak)
      : slots_(slots), held_(held) {
    slots_.acquire();
    const int now = ++held_;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  }
  ~PasswordSlot() {
    --held_;
    slots_.release();
  }
  PasswordSlot(const PasswordSlot&) = delete;
  PasswordSlot& operator=(const PasswordSlot&) = delete;

 private:
  std::counting_semaphore<SessionAuth::kPasswordChecksAtOnce>& slots_;
  std::atomic<int>& held_;
};

}  // namespace

bool SessionAuth::CheckPasswordInSlot(const std::string& hash, std::string_view password) {
  PasswordSlot slot(password_slots_, password_checks_, peak_password_checks_);
  return sync::CheckPassword(hash, password);
}

void SessionAuth::RehashPassword(const User& user, std::string_view password) {
  Result<std::string> hash = [&] {
    PasswordSlot slot(password_slots_, password_checks_, peak_password_checks_);
    return sync::HashPassword(password);
  }();
  // The login stands either way: the old hash still checks.
  Result<bool> replaced = hash.ok() ? ctx_.store.ReplacePasswordHash(user.name, user.password_hash, *hash)
                                    : Result<bool>(hash.status());
  if (!replaced.ok())
    std::cerr << "dala-server: could not store " << user.name
              << "'s password hashed again: " << replaced.status().ToString() << "\n";
}

Result<size_t> SessionAuth::Unlock(std::string_view username) {
  return ctx_.store.ForgetLoginFailuresOf(UserKey(username));
}

Status SessionAuth::Logout(std::string_view token) {
  if (token.empty()) return Status::Ok();
  return ctx_.store.DeleteSession(TokenHash(token));
}

Result<std::pair<User, Session>> SessionAuth::CurrentSession(const HttpRequest& request) {
  const std::string token = request.Cookie(kSessionCookie);
  if (token.empty()) return Status(Status::Code::kUnauthenticated, "unauthenticated", "not logged in");
  if (token.size() != 64 || !IsLowerHex(token))
    return Status(Status::Code::kUnauthenticated, "unauthenticated", "not a session cookie; log in again");
  const std::string hash = TokenHash(token);
  DALA_ASSIGN_OR_RETURN(std::optional<Session> session, ctx_.store.FindSession(hash));
  if (!session)
    return Status(Status::Code::kUnauthenticated, "unauthenticated", "the session has ended; log in again");
  if (ctx_.clock.NowMs() >= session->expires_ms) {
    DALA_RETURN_IF_ERROR(ctx_.store.DeleteSession(hash));
    return Status(Status::Code::kUnauthenticated, "unauthenticated", "the session has expired; log in again");
  }
  DALA_ASSIGN_OR_RETURN(std::optional<User> user, ctx_.store.FindUserById(session->user_id));
  if (!user || !CanLogIn(user->role))
    return Status(Status::Code::kUnauthenticated, "unauthenticated", "the session's user no longer exists");
  return std::make_pair(std::move(*user), std::move(*session));
}

Status SessionAuth::CheckCsrf(const Session& session, const HttpRequest& request) {
  const std::string sent = request.Header(kCsrfHeader);
  const std::string& expected = session.csrf_token;
  if (sent.size() != expected.size() ||
      !sync::ConstantTimeEqual(reinterpret_cast<const uint8_t*>(sent.data()),
                               reinterpret_cast<const uint8_t*>(expected.data()), expected.size())) {
    return Status(Status::Code::kPermissionDenied, "csrf",
                  "this request needs the session's X-CSRF-Token header (see /api/v1/me)");
  }
  return Status::Ok();
}

std::string SessionAuth::SessionCookie(const LoginResult& login, bool tls) const {
  int64_t max_age_s = std::max<int64_t>(0, ctx_.config.session_lifetime_ms / 1000);
  return std::string(kSessionCookie) + "=" + login.token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(max_age_s) + (tls ? "; Secure" : "");
}

std::string SessionAuth::ClearedSessionCookie(bool tls) {
  return std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + (tls ? "; Secure" : "");
}

}  // namespace dala::server
