// The admin requests that change a data directory, carried out in one
// place whether a command does it itself or a running server does it for
// the command (admin_control.h).
//
//   op             fields                        answer
//   user_add       name, role, password          name, role
//   user_password  name, password                user
//   user_unlock    name                          user, running, cleared
//   enroll_code    volunteer, ttl_hours, by      code, volunteer, expires_ms
//   device_revoke  key (or 8+ hex of it), by,    key, volunteer, label
//                  reason
//   person_key_code  person, ttl_hours, by      code, person, expires_ms
//   person_key_revoke  person, key (fingerprint  key, fingerprint, person,
//                  or 8+ hex of it), by, reason  label
//   form_publish   document, project             form, version, hash
//   form_retire    form (id or hash), version,   form, version, hash
//                  by
//   export_bundle  path (absolute)               path, log_size, submissions
//
// A failure is a Status, sent back as admin_control.h's FailureJson.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "auth.h"
#include "dala/base/clock.h"
#include "dala/server/store.h"
#include "record_service.h"
#include "server_context.h"

namespace dala::server {

struct AdminTarget {
  Store& store;
  const Clock& clock;
  sync::Random& random;
  // The records core, for the requests that append to the log or load
  // forms: the server's own, or opened by a command on first use.
  std::function<Result<RecordService*>()> records;
  // The running server's logins; null in a command, where there are no
  // login delays to clear.
  SessionAuth* sessions = nullptr;
};

Result<nlohmann::json> RunAdminRequest(const nlohmann::json& request, AdminTarget& target);

// What a request is about, for the server's log: the op and whom it names,
// never a password or a document.
std::string DescribeAdminRequest(const nlohmann::json& request);

// A data directory opened by a command that works on it itself: the
// store, and the server key and records core when a request needs them.
class LocalDataDir {
 public:
  static Result<std::unique_ptr<LocalDataDir>> Open(const std::string& data_dir);
  Store& store() { return *store_; }
  // Loads the server key (asking its passphrase if it is sealed) and the
  // log, once.
  Result<RecordService*> Records();
  AdminTarget Target();

 private:
  std::string dir_;
  std::unique_ptr<Store> store_;
  SystemClock clock_;
  sync::SystemRandom random_;
  std::optional<sync::SigningKey> key_;
  std::unique_ptr<ServerContext> ctx_;
  std::shared_ptr<RecordService> records_;
};

}  // namespace dala::server
