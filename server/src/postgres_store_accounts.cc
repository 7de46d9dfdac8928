// PostgresStore: people, sessions, enrolment codes, devices, projects,
// retiring forms, and people's keys with the codes that enrol them, as
// sqlite_store_accounts.cc and sqlite_store_person_keys.cc keep them.
#include "postgres_store.h"

namespace dala::server {

namespace {

using Lock = std::lock_guard<std::recursive_mutex>;
using pg::Params;

constexpr std::string_view kUserColumns = "id, name, role, password_hash, created_ms, language";
constexpr std::string_view kDeviceColumns =
    "key, volunteer, label, enrolled_ms, enrolled_by, revoked_ms, revoked_by, revoke_reason, last_sync_ms";
constexpr std::string_view kPersonKeyColumns =
    "key, person, role, label, enrolled_ms, enrolled_by, revoked_ms, revoked_by, revoke_reason, enrolled_index";

std::string Sql(std::string_view a, std::string_view b, std::string_view c = "") {
  std::string s(a);
  s.append(b).append(c);
  return s;
}

Result<User> ReadUser(const pg::Rows& r, int i) {
  User u;
  u.id = r.Int(i, 0);
  u.name = r.Text(i, 1);
  DALA_ASSIGN_OR_RETURN(u.role, ParseRole(r.Text(i, 2)));
  u.password_hash = r.Text(i, 3);
  u.created_ms = r.Int(i, 4);
  u.language = r.Text(i, 5);
  return u;
}

Result<Device> ReadDevice(const pg::Rows& r, int i) {
  Device d;
  if (!r.ReadBytes(i, 0, &d.key, "devices").ok())
    return Status::Corruption("a device key in the database is not 32 bytes");
  d.volunteer = r.Text(i, 1);
  d.label = r.Text(i, 2);
  d.enrolled_ms = r.Int(i, 3);
  d.enrolled_by = r.Text(i, 4);
  d.revoked_ms = r.Int(i, 5);
  d.revoked_by = r.Text(i, 6);
  d.revoke_reason = r.Text(i, 7);
  d.last_sync_ms = r.Int(i, 8);
  return d;
}

Result<PersonKeyRow> ReadPersonKey(const pg::Rows& r, int i) {
  PersonKeyRow k;
  if (!r.ReadBytes(i, 0, &k.key, "person_keys").ok())
    return Status::Corruption("a person key in the database is not 32 bytes");
  k.person = r.Text(i, 1);
  k.role = r.Text(i, 2);
  k.label = r.Text(i, 3);
  k.enrolled_ms = r.Int(i, 4);
  k.enrolled_by = r.Text(i, 5);
  k.revoked_ms = r.Int(i, 6);
  k.revoked_by = r.Text(i, 7);
  k.revoke_reason = r.Text(i, 8);
  k.enrolled_index = static_cast<uint64_t>(r.Int(i, 9));
  return k;
}

// Every row, each read by `read`.
template <typename T>
Result<std::vector<T>> ReadAll(const pg::Rows& rows, Result<T> (*read)(const pg::Rows&, int)) {
  std::vector<T> out;
  for (int i = 0; i < rows.size(); ++i) {
    DALA_ASSIGN_OR_RETURN(T item, read(rows, i));
    out.push_back(std::move(item));
  }
  return out;
}

template <typename T>
Result<std::optional<T>> ReadFirst(const pg::Rows& rows, Result<T> (*read)(const pg::Rows&, int)) {
  if (rows.empty()) return std::optional<T>();
  DALA_ASSIGN_OR_RETURN(T item, read(rows, 0));
  return std::optional<T>(std::move(item));
}

}  // namespace

FormInfo ReadFormInfoRow(const pg::Rows& r, int i) {
  return {r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3),
          r.Int(i, 4),  r.Int(i, 5),  r.Int(i, 6),  r.Text(i, 7)};
}

// --- projects -------------------------------------------------------------------

Status PostgresStore::AddProject(const Project& project) {
  Lock lock(mutex_);
  Status s = RunMayFail("INSERT INTO projects (name, title, created_ms) VALUES ($1, $2, $3)",
                        Params().Text(project.name).Text(project.title).Int(project.created_ms))
                 .status();
  if (s.code() == Status::Code::kAlreadyExists)
    return Status::AlreadyExists("a project named '" + project.name + "' already exists");
  return s;
}

Result<std::vector<Project>> PostgresStore::ListProjects() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT name, title, created_ms FROM projects ORDER BY name"));
  std::vector<Project> out;
  for (int i = 0; i < r.size(); ++i) out.push_back({r.Text(i, 0), r.Text(i, 1), r.Int(i, 2)});
  return out;
}

// --- users --------------------------------------------------------------------------

Result<User> PostgresStore::AddUser(std::string_view name, Role role, std::string_view password_hash,
                                    int64_t now_ms) {
  Lock lock(mutex_);
  auto rows = RunMayFail("INSERT INTO users (name, role, password_hash, created_ms) VALUES ($1, $2, $3, $4) RETURNING id",
                         Params().Text(name).Text(RoleName(role)).Text(password_hash).Int(now_ms));
  if (rows.status().code() == Status::Code::kAlreadyExists)
    return Status::AlreadyExists("a user named '" + std::string(name) + "' already exists");
  DALA_RETURN_IF_ERROR(rows.status());
  User u;
  u.id = rows->Int(0, 0);
  u.name = std::string(name);
  u.role = role;
  u.password_hash = std::string(password_hash);
  u.created_ms = now_ms;
  return u;
}

Result<std::optional<User>> PostgresStore::FindUser(std::string_view name) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(Sql("SELECT ", kUserColumns, " FROM users WHERE name = $1"), Params().Text(name)));
  return ReadFirst(r, ReadUser);
}

Result<std::optional<User>> PostgresStore::FindUserById(int64_t id) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(Sql("SELECT ", kUserColumns, " FROM users WHERE id = $1"), Params().Int(id)));
  return ReadFirst(r, ReadUser);
}

Status PostgresStore::SetPassword(std::string_view name, std::string_view password_hash) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("UPDATE users SET password_hash = $1 WHERE name = $2",
                                        Params().Text(password_hash).Text(name)));
  if (r.affected() == 0) return Status::NotFound("no user named '" + std::string(name) + "'");
  return Status::Ok();
}

Result<bool> PostgresStore::ReplacePasswordHash(std::string_view name, std::string_view old_hash,
                                                std::string_view new_hash) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("UPDATE users SET password_hash = $1 WHERE name = $2 AND password_hash = $3",
                                        Params().Text(new_hash).Text(name).Text(old_hash)));
  return r.affected() > 0;
}

Status PostgresStore::SetLanguage(int64_t user_id, std::string_view language) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r,
                        Run("UPDATE users SET language = $1 WHERE id = $2", Params().Text(language).Int(user_id)));
  if (r.affected() == 0) return Status::NotFound("no user with id " + std::to_string(user_id));
  return Status::Ok();
}

Status PostgresStore::NoteDeviceSync(const sync::PublicKey& key, int64_t now_ms) {
  Lock lock(mutex_);
  return Run("UPDATE devices SET last_sync_ms = $1 WHERE key = $2 AND last_sync_ms < $3",
             Params().Int(now_ms).Bytes(key).Int(now_ms - 60'000))
      .status();
}

Result<std::vector<User>> PostgresStore::ListUsers() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(Sql("SELECT ", kUserColumns, " FROM users ORDER BY name")));
  return ReadAll(r, ReadUser);
}

// --- sessions ---------------------------------------------------------------------

Status PostgresStore::AddSession(const Session& session) {
  Lock lock(mutex_);
  return RunMayFail("INSERT INTO sessions (token_hash, user_id, csrf_token, created_ms, expires_ms) "
                    "VALUES ($1, $2, $3, $4, $5)",
                    Params()
                        .Text(session.token_hash)
                        .Int(session.user_id)
                        .Text(session.csrf_token)
                        .Int(session.created_ms)
                        .Int(session.expires_ms))
      .status();
}

Result<std::optional<Session>> PostgresStore::FindSession(std::string_view token_hash) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT token_hash, user_id, csrf_token, created_ms, expires_ms "
                                        "FROM sessions WHERE token_hash = $1",
                                        Params().Text(token_hash)));
  if (r.empty()) return std::optional<Session>();
  Session s;
  s.token_hash = r.Text(0, 0);
  s.user_id = r.Int(0, 1);
  s.csrf_token = r.Text(0, 2);
  s.created_ms = r.Int(0, 3);
  s.expires_ms = r.Int(0, 4);
  return std::optional<Session>(std::move(s));
}

Status PostgresStore::DeleteSession(std::string_view token_hash) {
  Lock lock(mutex_);
  return Run("DELETE FROM sessions WHERE token_hash = $1", Params().Text(token_hash)).status();
}

Status PostgresStore::DeleteExpiredSessions(int64_t now_ms) {
  Lock lock(mutex_);
  return Run("DELETE FROM sessions WHERE expires_ms <= $1", Params().Int(now_ms)).status();
}

Status PostgresStore::DeleteSessionsOf(int64_t user_id) {
  Lock lock(mutex_);
  return Run("DELETE FROM sessions WHERE user_id = $1", Params().Int(user_id)).status();
}

// --- enrolment codes ------------------------------------------------------------

Status PostgresStore::AddEnrollCode(std::string_view code_hash, std::string_view volunteer, int64_t expires_ms,
                                    std::string_view created_by, int64_t now_ms) {
  Lock lock(mutex_);
  Status s = RunMayFail("INSERT INTO enroll_codes (code_hash, volunteer, created_by, created_ms, expires_ms) "
                        "VALUES ($1, $2, $3, $4, $5)",
                        Params().Text(code_hash).Text(volunteer).Text(created_by).Int(now_ms).Int(expires_ms))
                 .status();
  if (s.code() == Status::Code::kAlreadyExists) return Status::AlreadyExists("this enrolment code already exists");
  return s;
}

Result<AccountStore::EnrollCode> PostgresStore::ConsumeEnrollCode(std::string_view code_hash, int64_t now_ms) {
  Lock lock(mutex_);
  // One statement marks and reads the code: of two nodes racing for it,
  // the second waits for the first's row lock, then finds it used.
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("UPDATE enroll_codes SET used_ms = $1 "
                                        "WHERE code_hash = $2 AND used_ms IS NULL AND expires_ms > $1 "
                                        "RETURNING volunteer, created_by",
                                        Params().Int(now_ms).Text(code_hash)));
  if (r.empty()) return Status::NotFound("unknown, used or expired enrolment code");
  if (r.size() > 1) return Status::Internal("an enrolment code hash matched twice");
  return EnrollCode{r.Text(0, 0), r.Text(0, 1)};
}

Result<std::optional<std::string>> PostgresStore::UsedEnrollCodeVolunteer(std::string_view code_hash) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT volunteer FROM enroll_codes WHERE code_hash = $1 AND used_ms IS NOT NULL",
                                        Params().Text(code_hash)));
  if (r.empty()) return std::optional<std::string>();
  return std::optional<std::string>(r.Text(0, 0));
}

// --- devices ------------------------------------------------------------------------

Status PostgresStore::AddDevice(const Device& device) {
  Lock lock(mutex_);
  Status s = RunMayFail(Sql("INSERT INTO devices (", kDeviceColumns, ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
                        Params()
                            .Bytes(device.key)
                            .Text(device.volunteer)
                            .Text(device.label)
                            .Int(device.enrolled_ms)
                            .Text(device.enrolled_by)
                            .Int(device.revoked_ms)
                            .Text(device.revoked_by)
                            .Text(device.revoke_reason)
                            .Int(device.last_sync_ms))
                 .status();
  if (s.code() == Status::Code::kAlreadyExists) return Status::AlreadyExists("this device key is already enrolled");
  return s;
}

Result<std::optional<Device>> PostgresStore::FindDevice(const sync::PublicKey& key) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(Sql("SELECT ", kDeviceColumns, " FROM devices WHERE key = $1"), Params().Bytes(key)));
  return ReadFirst(r, ReadDevice);
}

Result<std::vector<Device>> PostgresStore::ListDevices() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(Sql("SELECT ", kDeviceColumns, " FROM devices ORDER BY volunteer, enrolled_ms, key")));
  return ReadAll(r, ReadDevice);
}

Result<std::vector<Device>> PostgresStore::DevicesOf(std::string_view volunteer) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(Sql("SELECT ", kDeviceColumns,
                                            " FROM devices WHERE volunteer = $1 ORDER BY enrolled_ms, key"),
                                        Params().Text(volunteer)));
  return ReadAll(r, ReadDevice);
}

Status PostgresStore::RevokeDevice(const sync::PublicKey& key, std::string_view by, std::string_view reason,
                                   int64_t now_ms) {
  Lock lock(mutex_);
  // The first revocation stands: who revoked it and why is evidence.
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("UPDATE devices SET revoked_ms = $1, revoked_by = $2, revoke_reason = $3 "
                                        "WHERE key = $4 AND revoked_ms = 0",
                                        Params().Int(now_ms).Text(by).Text(reason).Bytes(key)));
  if (r.affected() > 0) return Status::Ok();
  DALA_ASSIGN_OR_RETURN(auto existing, FindDevice(key));
  if (!existing) return Status::NotFound("no enrolled device has this key");
  return Status::FailedPrecondition("the device was already revoked by " + existing->revoked_by);
}

// --- retiring forms -------------------------------------------------------------------

Result<std::optional<FormInfo>> PostgresStore::FindFormInfo(std::string_view hash_hex) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r,
                        Run(Sql("SELECT ", kPgFormColumns, " FROM forms WHERE hash = $1"), Params().Text(hash_hex)));
  if (r.empty()) return std::optional<FormInfo>();
  return std::optional<FormInfo>(ReadFormInfoRow(r, 0));
}

Status PostgresStore::RetireForm(std::string_view hash_hex, std::string_view by, int64_t now_ms) {
  Lock lock(mutex_);
  // The first retirement stands, as the first revocation does.
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("UPDATE forms SET retired_ms = $1, retired_by = $2 "
                                        "WHERE hash = $3 AND retired_ms = 0",
                                        Params().Int(now_ms).Text(by).Text(hash_hex)));
  if (r.affected() > 0) return Status::Ok();
  DALA_ASSIGN_OR_RETURN(auto existing, FindFormInfo(hash_hex));
  if (!existing) return Status::NotFound("no published form has the hash " + std::string(hash_hex));
  return Status::FailedPrecondition("form " + existing->form_id + " version " + existing->version +
                                    " was already retired by " + existing->retired_by);
}

// --- people's keys ----------------------------------------------------------------------

Status PostgresStore::AddPersonKeyCode(std::string_view code_hash, std::string_view person, int64_t expires_ms,
                                       std::string_view created_by, int64_t now_ms) {
  Lock lock(mutex_);
  Status s = RunMayFail("INSERT INTO person_key_codes (code_hash, person, created_by, created_ms, expires_ms) "
                        "VALUES ($1, $2, $3, $4, $5)",
                        Params().Text(code_hash).Text(person).Text(created_by).Int(now_ms).Int(expires_ms))
                 .status();
  if (s.code() == Status::Code::kAlreadyExists) return Status::AlreadyExists("this code already exists");
  return s;
}

Result<AccountStore::EnrollCode> PostgresStore::ConsumePersonKeyCode(std::string_view code_hash,
                                                                    std::string_view person, int64_t now_ms) {
  Lock lock(mutex_);
  // One statement marks and reads, so two browsers racing for one code
  // cannot both win.
  DALA_ASSIGN_OR_RETURN(pg::Rows r,
                        Run("UPDATE person_key_codes SET used_ms = $1 "
                            "WHERE code_hash = $2 AND person = $3 AND used_ms IS NULL AND expires_ms > $1 "
                            "RETURNING person, created_by",
                            Params().Int(now_ms).Text(code_hash).Text(person)));
  if (r.empty()) return Status::NotFound("unknown, used or expired code, or issued for someone else");
  if (r.size() > 1) return Status::Internal("a person key code hash matched twice");
  return EnrollCode{r.Text(0, 0), r.Text(0, 1)};
}

Status PostgresStore::AddPersonKey(const PersonKeyRow& k) {
  Lock lock(mutex_);
  Status s = RunMayFail(Sql("INSERT INTO person_keys (", kPersonKeyColumns,
                            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"),
                        Params()
                            .Bytes(k.key)
                            .Text(k.person)
                            .Text(k.role)
                            .Text(k.label)
                            .Int(k.enrolled_ms)
                            .Text(k.enrolled_by)
                            .Int(k.revoked_ms)
                            .Text(k.revoked_by)
                            .Text(k.revoke_reason)
                            .Int(static_cast<int64_t>(k.enrolled_index)))
                 .status();
  if (s.code() == Status::Code::kAlreadyExists) return Status::AlreadyExists("this key is already enrolled");
  return s;
}

Result<std::optional<PersonKeyRow>> PostgresStore::FindPersonKey(const sync::PublicKey& key) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r,
                        Run(Sql("SELECT ", kPersonKeyColumns, " FROM person_keys WHERE key = $1"), Params().Bytes(key)));
  return ReadFirst(r, ReadPersonKey);
}

Result<std::vector<PersonKeyRow>> PostgresStore::PersonKeysOf(std::string_view person) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(Sql("SELECT ", kPersonKeyColumns,
                                            " FROM person_keys WHERE $1::text = '' OR person = $1::text "
                                            "ORDER BY person, enrolled_ms, key"),
                                        Params().Text(person)));
  return ReadAll(r, ReadPersonKey);
}

Status PostgresStore::RevokePersonKey(const sync::PublicKey& key, std::string_view by, std::string_view reason,
                                      int64_t now_ms) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("UPDATE person_keys SET revoked_ms = $1, revoked_by = $2, revoke_reason = $3 "
                                        "WHERE key = $4 AND revoked_ms = 0",
                                        Params().Int(now_ms).Text(by).Text(reason).Bytes(key)));
  if (r.affected() > 0) return Status::Ok();
  return Status::FailedPrecondition("the key is unknown or already revoked");
}

}  // namespace dala::server
