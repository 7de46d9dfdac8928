// SqliteStore: people, sessions, enrolment codes, devices and projects;
// and retiring forms, which is administration.
#include <cstring>

#include "sqlite_store.h"

namespace dala::server {

namespace {

std::string_view KeyBytes(const sync::PublicKey& key) {
  return std::string_view(reinterpret_cast<const char*>(key.data()), key.size());
}

Result<User> ReadUser(const sql::Statement& st) {
  User u;
  u.id = st.ColumnInt(0);
  u.name = st.ColumnText(1);
  DALA_ASSIGN_OR_RETURN(u.role, ParseRole(st.ColumnText(2)));
  u.password_hash = st.ColumnText(3);
  u.created_ms = st.ColumnInt(4);
  u.language = st.ColumnText(5);
  return u;
}

Result<Device> ReadDevice(const sql::Statement& st) {
  Device d;
  std::string key = st.ColumnBlob(0);
  if (key.size() != d.key.size()) return Status::Corruption("a device key in the database is not 32 bytes");
  std::memcpy(d.key.data(), key.data(), key.size());
  d.volunteer = st.ColumnText(1);
  d.label = st.ColumnText(2);
  d.enrolled_ms = st.ColumnInt(3);
  d.enrolled_by = st.ColumnText(4);
  d.revoked_ms = st.ColumnInt(5);
  d.revoked_by = st.ColumnText(6);
  d.revoke_reason = st.ColumnText(7);
  d.last_sync_ms = st.ColumnInt(8);
  return d;
}

constexpr std::string_view kUserColumns = "id, name, role, password_hash, created_ms, language";
constexpr std::string_view kDeviceColumns =
    "key, volunteer, label, enrolled_ms, enrolled_by, revoked_ms, revoked_by, revoke_reason, last_sync_ms";

std::string Sql(std::string_view a, std::string_view b, std::string_view c = "") {
  std::string s(a);
  s.append(b).append(c);
  return s;
}

// Every row `st` gives, each read by `read`.
template <typename T>
Result<std::vector<T>> ReadAll(sql::Statement& st, Result<T> (*read)(const sql::Statement&)) {
  std::vector<T> out;
  for (;;) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DALA_ASSIGN_OR_RETURN(T item, read(st));
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

// --- projects -------------------------------------------------------------------

Status SqliteStore::AddProject(const Project& project) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT INTO projects (name, title, created_ms) VALUES (?, ?, ?)"));
  Status s = st.Bind(1, project.name).Bind(2, project.title).Bind(3, project.created_ms).Run();
  if (s.code() == Status::Code::kAlreadyExists)
    return Status::AlreadyExists("a project named '" + project.name + "' already exists");
  return s;
}

Result<std::vector<Project>> SqliteStore::ListProjects() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT name, title, created_ms FROM projects ORDER BY name"));
  std::vector<Project> out;
  for (;;) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.ColumnText(0), st.ColumnText(1), st.ColumnInt(2)});
  }
  return out;
}

// --- users --------------------------------------------------------------------------

Result<User> SqliteStore::AddUser(std::string_view name, Role role, std::string_view password_hash,
                                  int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(
      auto st, db_.Prepare("INSERT INTO users (name, role, password_hash, created_ms) VALUES (?, ?, ?, ?)"));
  Status s = st.Bind(1, name).Bind(2, std::string_view(RoleName(role))).Bind(3, password_hash).Bind(4, now_ms).Run();
  if (s.code() == Status::Code::kAlreadyExists)
    return Status::AlreadyExists("a user named '" + std::string(name) + "' already exists");
  DALA_RETURN_IF_ERROR(s);
  User u;
  u.id = db_.LastInsertRowId();
  u.name = std::string(name);
  u.role = role;
  u.password_hash = std::string(password_hash);
  u.created_ms = now_ms;
  return u;
}

Result<std::optional<User>> SqliteStore::FindUser(std::string_view name) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(Sql("SELECT ", kUserColumns, " FROM users WHERE name = ?")));
  st.Bind(1, name);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<User>();
  DALA_ASSIGN_OR_RETURN(User u, ReadUser(st));
  return std::optional<User>(std::move(u));
}

Result<std::optional<User>> SqliteStore::FindUserById(int64_t id) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(Sql("SELECT ", kUserColumns, " FROM users WHERE id = ?")));
  st.Bind(1, id);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<User>();
  DALA_ASSIGN_OR_RETURN(User u, ReadUser(st));
  return std::optional<User>(std::move(u));
}

Status SqliteStore::SetPassword(std::string_view name, std::string_view password_hash) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE users SET password_hash = ? WHERE name = ?"));
  DALA_RETURN_IF_ERROR(st.Bind(1, password_hash).Bind(2, name).Run());
  if (db_.Changes() == 0) return Status::NotFound("no user named '" + std::string(name) + "'");
  return Status::Ok();
}

Result<bool> SqliteStore::ReplacePasswordHash(std::string_view name, std::string_view old_hash,
                                              std::string_view new_hash) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?"));
  DALA_RETURN_IF_ERROR(st.Bind(1, new_hash).Bind(2, name).Bind(3, old_hash).Run());
  return db_.Changes() > 0;
}

Status SqliteStore::SetLanguage(int64_t user_id, std::string_view language) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE users SET language = ? WHERE id = ?"));
  DALA_RETURN_IF_ERROR(st.Bind(1, language).Bind(2, user_id).Run());
  if (db_.Changes() == 0) return Status::NotFound("no user with id " + std::to_string(user_id));
  return Status::Ok();
}

Status SqliteStore::NoteDeviceSync(const sync::PublicKey& key, int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE devices SET last_sync_ms = ? WHERE key = ? AND last_sync_ms < ?"));
  return st.Bind(1, now_ms).BindBlob(2, KeyBytes(key)).Bind(3, now_ms - 60'000).Run();
}

Status SqliteStore::RememberRequestNonce(const sync::PublicKey& device, std::string_view nonce, int64_t expires_ms,
                                         int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto sweep, db_.Prepare("DELETE FROM request_nonces WHERE expires_ms < ?"));
  DALA_RETURN_IF_ERROR(sweep.Bind(1, now_ms).Run());
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT INTO request_nonces (device, nonce, expires_ms) VALUES (?, ?, ?) "
                                             "ON CONFLICT DO NOTHING"));
  DALA_RETURN_IF_ERROR(st.BindBlob(1, KeyBytes(device)).Bind(2, nonce).Bind(3, expires_ms).Run());
  if (db_.Changes() == 0) return Status::AlreadyExists("request nonce already used");
  return Status::Ok();
}

// --- failed logins ------------------------------------------------------------------

Result<int64_t> SqliteStore::AddLoginFailure(std::string_view user, std::string_view address, int64_t at_ms,
                                             int64_t forget_before_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto sweep, db_.Prepare("DELETE FROM login_failures WHERE at_ms < ?"));
  DALA_RETURN_IF_ERROR(sweep.Bind(1, forget_before_ms).Run());
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT INTO login_failures (user, address, at_ms) VALUES (?, ?, ?)"));
  DALA_RETURN_IF_ERROR(st.Bind(1, user).Bind(2, address).Bind(3, at_ms).Run());
  return db_.LastInsertRowId();
}

Status SqliteStore::SetLoginFailureTime(int64_t id, int64_t at_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE login_failures SET at_ms = max(at_ms, ?) WHERE id = ?"));
  return st.Bind(1, at_ms).Bind(2, id).Run();
}

Result<std::vector<AccountStore::LoginFailure>> SqliteStore::LoginFailuresAround(std::string_view user,
                                                                                std::string_view address,
                                                                                int64_t since_ms, size_t limit) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(
      auto st,
      db_.Prepare("SELECT id, user, address, at_ms FROM login_failures WHERE id IN ("
                  "  SELECT id FROM login_failures WHERE user = ?1 AND address = ?2 AND at_ms >= ?3"
                  "  UNION SELECT id FROM (SELECT id FROM login_failures WHERE address = ?2 AND at_ms >= ?3"
                  "                        ORDER BY at_ms DESC LIMIT ?4)"
                  "  UNION SELECT id FROM (SELECT id FROM login_failures WHERE at_ms >= ?3 ORDER BY at_ms DESC LIMIT ?4))"
                  " ORDER BY at_ms, id"));
  st.Bind(1, user).Bind(2, address).Bind(3, since_ms).Bind(4, static_cast<int64_t>(limit));
  std::vector<LoginFailure> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.ColumnInt(0), st.ColumnText(1), st.ColumnText(2), st.ColumnInt(3)});
  }
  return out;
}

Status SqliteStore::ForgetLoginFailures(std::string_view user, std::string_view address) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("DELETE FROM login_failures WHERE user = ? AND address = ?"));
  return st.Bind(1, user).Bind(2, address).Run();
}

Result<size_t> SqliteStore::ForgetLoginFailuresOf(std::string_view user) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto count, db_.Prepare("SELECT count(DISTINCT address) FROM login_failures WHERE user = ?"));
  count.Bind(1, user);
  DALA_ASSIGN_OR_RETURN(bool row, count.Step());
  const size_t addresses = row ? static_cast<size_t>(count.ColumnInt(0)) : 0;
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("DELETE FROM login_failures WHERE user = ?"));
  DALA_RETURN_IF_ERROR(st.Bind(1, user).Run());
  return addresses;
}

Result<std::vector<User>> SqliteStore::ListUsers() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(Sql("SELECT ", kUserColumns, " FROM users ORDER BY name")));
  return ReadAll(st, ReadUser);
}

// --- sessions ---------------------------------------------------------------------

Status SqliteStore::AddSession(const Session& session) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT INTO sessions (token_hash, user_id, csrf_token, created_ms, "
                                             "expires_ms) VALUES (?, ?, ?, ?, ?)"));
  return st.Bind(1, session.token_hash)
      .Bind(2, session.user_id)
      .Bind(3, session.csrf_token)
      .Bind(4, session.created_ms)
      .Bind(5, session.expires_ms)
      .Run();
}

Result<std::optional<Session>> SqliteStore::FindSession(std::string_view token_hash) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT token_hash, user_id, csrf_token, created_ms, expires_ms "
                                             "FROM sessions WHERE token_hash = ?"));
  st.Bind(1, token_hash);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<Session>();
  Session s;
  s.token_hash = st.ColumnText(0);
  s.user_id = st.ColumnInt(1);
  s.csrf_token = st.ColumnText(2);
  s.created_ms = st.ColumnInt(3);
  s.expires_ms = st.ColumnInt(4);
  return std::optional<Session>(std::move(s));
}

Status SqliteStore::DeleteSession(std::string_view token_hash) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("DELETE FROM sessions WHERE token_hash = ?"));
  return st.Bind(1, token_hash).Run();
}

Status SqliteStore::DeleteExpiredSessions(int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("DELETE FROM sessions WHERE expires_ms <= ?"));
  return st.Bind(1, now_ms).Run();
}

Status SqliteStore::DeleteSessionsOf(int64_t user_id) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("DELETE FROM sessions WHERE user_id = ?"));
  return st.Bind(1, user_id).Run();
}

// --- enrolment codes ------------------------------------------------------------

Status SqliteStore::AddEnrollCode(std::string_view code_hash, std::string_view volunteer, int64_t expires_ms,
                                  std::string_view created_by, int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT INTO enroll_codes (code_hash, volunteer, created_by, "
                                             "created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)"));
  Status s = st.Bind(1, code_hash).Bind(2, volunteer).Bind(3, created_by).Bind(4, now_ms).Bind(5, expires_ms).Run();
  if (s.code() == Status::Code::kAlreadyExists) return Status::AlreadyExists("this enrolment code already exists");
  return s;
}

Result<AccountStore::EnrollCode> SqliteStore::ConsumeEnrollCode(std::string_view code_hash, int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  // One statement marks and reads the code, so two devices racing for the
  // same code (even through two connections) cannot both win.
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE enroll_codes SET used_ms = ? "
                                             "WHERE code_hash = ? AND used_ms IS NULL AND expires_ms > ? "
                                             "RETURNING volunteer, created_by"));
  st.Bind(1, now_ms).Bind(2, code_hash).Bind(3, now_ms);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status::NotFound("unknown, used or expired enrolment code");
  EnrollCode code{st.ColumnText(0), st.ColumnText(1)};
  // RETURNING rows are only final once the statement has run to the end.
  DALA_ASSIGN_OR_RETURN(bool more, st.Step());
  if (more) return Status::Internal("an enrolment code hash matched twice");
  return code;
}

Result<std::optional<std::string>> SqliteStore::UsedEnrollCodeVolunteer(std::string_view code_hash) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st,
                        db_.Prepare("SELECT volunteer FROM enroll_codes WHERE code_hash = ? AND used_ms IS NOT NULL"));
  st.Bind(1, code_hash);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st.ColumnText(0));
}

// --- devices ------------------------------------------------------------------------

Status SqliteStore::AddDevice(const Device& device) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(Sql("INSERT INTO devices (", kDeviceColumns,
                                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")));
  Status s = st.BindBlob(1, KeyBytes(device.key))
                 .Bind(2, device.volunteer)
                 .Bind(3, device.label)
                 .Bind(4, device.enrolled_ms)
                 .Bind(5, device.enrolled_by)
                 .Bind(6, device.revoked_ms)
                 .Bind(7, device.revoked_by)
                 .Bind(8, device.revoke_reason)
                 .Bind(9, device.last_sync_ms)
                 .Run();
  if (s.code() == Status::Code::kAlreadyExists) return Status::AlreadyExists("this device key is already enrolled");
  return s;
}

Result<std::optional<Device>> SqliteStore::FindDevice(const sync::PublicKey& key) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(Sql("SELECT ", kDeviceColumns, " FROM devices WHERE key = ?")));
  st.BindBlob(1, KeyBytes(key));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<Device>();
  DALA_ASSIGN_OR_RETURN(Device d, ReadDevice(st));
  return std::optional<Device>(std::move(d));
}

Result<std::vector<Device>> SqliteStore::ListDevices() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(Sql("SELECT ", kDeviceColumns,
                                                 " FROM devices ORDER BY volunteer, enrolled_ms, key")));
  return ReadAll(st, ReadDevice);
}

Result<std::vector<Device>> SqliteStore::DevicesOf(std::string_view volunteer) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(Sql("SELECT ", kDeviceColumns,
                                                 " FROM devices WHERE volunteer = ? ORDER BY enrolled_ms, key")));
  st.Bind(1, volunteer);
  return ReadAll(st, ReadDevice);
}

Status SqliteStore::RevokeDevice(const sync::PublicKey& key, std::string_view by, std::string_view reason,
                                 int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  // The first revocation stands: who revoked it and why is evidence.
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE devices SET revoked_ms = ?, revoked_by = ?, revoke_reason = ? "
                                             "WHERE key = ? AND revoked_ms = 0"));
  DALA_RETURN_IF_ERROR(st.Bind(1, now_ms).Bind(2, by).Bind(3, reason).BindBlob(4, KeyBytes(key)).Run());
  if (db_.Changes() > 0) return Status::Ok();
  DALA_ASSIGN_OR_RETURN(auto existing, FindDevice(key));
  if (!existing) return Status::NotFound("no enrolled device has this key");
  return Status::FailedPrecondition("the device was already revoked by " + existing->revoked_by);
}

// --- retiring forms -------------------------------------------------------------------

Result<std::optional<FormInfo>> SqliteStore::FindFormInfo(std::string_view hash_hex) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(Sql("SELECT ", kFormColumns, " FROM forms WHERE hash = ?")));
  st.Bind(1, hash_hex);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<FormInfo>();
  return std::optional<FormInfo>(ReadFormInfo(st));
}

Status SqliteStore::RetireForm(std::string_view hash_hex, std::string_view by, int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  // The first retirement stands, as the first revocation does.
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE forms SET retired_ms = ?, retired_by = ? "
                                             "WHERE hash = ? AND retired_ms = 0"));
  DALA_RETURN_IF_ERROR(st.Bind(1, now_ms).Bind(2, by).Bind(3, hash_hex).Run());
  if (db_.Changes() > 0) return Status::Ok();
  DALA_ASSIGN_OR_RETURN(auto existing, FindFormInfo(hash_hex));
  if (!existing) return Status::NotFound("no published form has the hash " + std::string(hash_hex));
  return Status::FailedPrecondition("form " + existing->form_id + " version " + existing->version +
                                    " was already retired by " + existing->retired_by);
}

}  // namespace dala::server
