// A server without sockets, as api_routes_test.cc, auth_test.cc and the API
// fuzzer (tests/fuzz/fuzz_api.cc) drive it: a fresh SqliteStore in a
// directory of its own with the people who sign in, the Api behind a
// Router, and requests built as the HTTP edge hands them over. Test-only.
// No gtest here, since the fuzzer has none: Open() says what failed.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "api.h"
#include "dala/base/clock.h"
#include "dala/server/sqlite_store.h"
#include "dala/sync/crypto.h"
#include "dala/sync/request_auth.h"
#include "router.h"

namespace dala::server::testing {

inline constexpr const char* kPassword = "correct horse battery";

// kPassword's Argon2id hash, made once per process: hashing is slow on
// purpose.
inline const std::string& PasswordHash() {
  static const std::string hash = sync::HashPassword(kPassword).value();
  return hash;
}

// `name` in the temporary directory, per process: tests run side by side.
inline std::filesystem::path ScratchDirectory(const std::string& name) {
  return std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
}

// A request as the HTTP edge hands it to the router; a body says it is
// JSON unless `headers` say otherwise.
inline HttpRequest MakeRequest(std::string method, std::string target, std::string body = "", HeaderMap headers = {},
                               std::string remote = "10.0.0.9") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = target.substr(0, target.find('?'));
  r.target = std::move(target);
  r.body = std::move(body);
  r.headers = std::move(headers);
  if (!r.body.empty() && r.headers.count("Content-Type") == 0) r.headers["Content-Type"] = "application/json";
  r.remote_address = std::move(remote);
  return r;
}

// The headers that carry the session a login answer opened: its cookie and
// its CSRF token. Empty when the login was refused.
inline HeaderMap SessionHeaders(const HttpResponse& login) {
  if (login.status != 200) return {};
  auto cookie = login.headers.find("Set-Cookie");
  auto body = nlohmann::json::parse(login.body, nullptr, false);
  if (cookie == login.headers.end() || !body.is_object() || !body.contains("csrf_token")) return {};
  HeaderMap h;
  h["Cookie"] = cookie->second.substr(0, cookie->second.find(';'));
  h["X-CSRF-Token"] = body["csrf_token"].get<std::string>();
  return h;
}

// A device request's signature headers, as a laptop sends them.
inline HeaderMap SignedHeaders(const sync::SigningKey& key, std::string_view method, std::string_view target,
                               std::string_view body, int64_t at_ms, sync::Random& random) {
  HeaderMap h;
  for (auto& [k, v] : sync::SignRequest(key, method, target, body, at_ms, random)) h[k] = v;
  return h;
}

// The device row of a laptop of `volunteer`, enrolled by `by` at `ms`.
inline Device LaptopRow(const sync::PublicKey& key, std::string volunteer, std::string by, int64_t ms) {
  Device d;
  d.key = key;
  d.volunteer = std::move(volunteer);
  d.label = "laptop";
  d.enrolled_ms = ms;
  d.enrolled_by = std::move(by);
  return d;
}

// The server: its store, clock, randomness and key, and the Api on a
// Router. People: ada (admin), cora (coordinator), audrey (auditor), who
// sign in with the password of `password_hash`, and vera (volunteer).
class ApiWorld {
 public:
  ApiWorld(int64_t start_ms, uint64_t seed, int32_t utc_offset_minutes = 0)
      : clock_(start_ms, utc_offset_minutes), random_(seed), server_key_(sync::SigningKey::Generate(random_)) {}
  ApiWorld(const ApiWorld&) = delete;
  ApiWorld& operator=(const ApiWorld&) = delete;
  virtual ~ApiWorld() {
    api_.reset();
    ctx_.reset();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Opens a fresh store in `dir` (anything there is removed first).
  Status Open(const std::filesystem::path& dir, const std::string& password_hash) {
    DALA_RETURN_IF_ERROR(sync::InitCrypto());
    dir_ = dir;
    std::filesystem::remove_all(dir_);
    DALA_ASSIGN_OR_RETURN(store_, OpenSqliteStore(dir_.string(), true));
    const int64_t now = clock_.NowMs();
    for (auto [name, role] : {std::pair{"ada", Role::kAdmin}, std::pair{"cora", Role::kCoordinator},
                              std::pair{"audrey", Role::kAuditor}})
      DALA_RETURN_IF_ERROR(store_->AddUser(name, role, password_hash, now).status());
    DALA_RETURN_IF_ERROR(store_->AddUser("vera", Role::kVolunteer, "", now).status());
    ctx_ = std::make_unique<ServerContext>(ServerContext{*store_, clock_, random_, server_key_, config_});
    DALA_ASSIGN_OR_RETURN(api_, Api::Start(*ctx_));
    api_->Register(router_);
    return Status::Ok();
  }

  // Logs `user` in; the headers of their session, empty when refused.
  HeaderMap LogIn(const std::string& user, const std::string& password = kPassword) {
    HttpRequest login =
        MakeRequest("POST", "/api/v1/login", nlohmann::json{{"username", user}, {"password", password}}.dump());
    return SessionHeaders(router_.Dispatch(login));
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  sync::SeededRandom random_;
  sync::SigningKey server_key_;
  ServerConfig config_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ServerContext> ctx_;
  std::unique_ptr<Api> api_;
  Router router_;
};

}  // namespace dala::server::testing
