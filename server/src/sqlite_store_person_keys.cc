// SqliteStore: people's keys and the codes that enrol them.
#include <cstring>

#include "sqlite_store.h"

namespace dala::server {

namespace {

std::string_view Bytes(const sync::PublicKey& key) {
  return std::string_view(reinterpret_cast<const char*>(key.data()), key.size());
}

constexpr const char* kColumns =
    "key, person, role, label, enrolled_ms, enrolled_by, revoked_ms, revoked_by, revoke_reason, enrolled_index";

Result<PersonKeyRow> ReadPersonKey(const sql::Statement& st) {
  PersonKeyRow k;
  std::string key = st.ColumnBlob(0);
  if (key.size() != k.key.size()) return Status::Corruption("a person key in the database is not 32 bytes");
  std::memcpy(k.key.data(), key.data(), key.size());
  k.person = st.ColumnText(1);
  k.role = st.ColumnText(2);
  k.label = st.ColumnText(3);
  k.enrolled_ms = st.ColumnInt(4);
  k.enrolled_by = st.ColumnText(5);
  k.revoked_ms = st.ColumnInt(6);
  k.revoked_by = st.ColumnText(7);
  k.revoke_reason = st.ColumnText(8);
  k.enrolled_index = static_cast<uint64_t>(st.ColumnInt(9));
  return k;
}

}  // namespace

Status SqliteStore::AddPersonKeyCode(std::string_view code_hash, std::string_view person, int64_t expires_ms,
                                     std::string_view created_by, int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT INTO person_key_codes (code_hash, person, created_by, "
                                             "created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)"));
  Status s = st.Bind(1, code_hash).Bind(2, person).Bind(3, created_by).Bind(4, now_ms).Bind(5, expires_ms).Run();
  if (s.code() == Status::Code::kAlreadyExists) return Status::AlreadyExists("this code already exists");
  return s;
}

Result<AccountStore::EnrollCode> SqliteStore::ConsumePersonKeyCode(std::string_view code_hash, std::string_view person,
                                                                  int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  // One statement marks and reads, so two browsers racing for one code
  // cannot both win.
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE person_key_codes SET used_ms = ? "
                                             "WHERE code_hash = ? AND person = ? AND used_ms IS NULL AND expires_ms > ? "
                                             "RETURNING person, created_by"));
  st.Bind(1, now_ms).Bind(2, code_hash).Bind(3, person).Bind(4, now_ms);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status::NotFound("unknown, used or expired code, or issued for someone else");
  EnrollCode code{st.ColumnText(0), st.ColumnText(1)};
  DALA_ASSIGN_OR_RETURN(bool more, st.Step());
  if (more) return Status::Internal("a person key code hash matched twice");
  return code;
}

Status SqliteStore::AddPersonKey(const PersonKeyRow& k) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("INSERT INTO person_keys (") + kColumns +
                                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  Status s = st.BindBlob(1, Bytes(k.key))
                 .Bind(2, k.person)
                 .Bind(3, k.role)
                 .Bind(4, k.label)
                 .Bind(5, k.enrolled_ms)
                 .Bind(6, k.enrolled_by)
                 .Bind(7, k.revoked_ms)
                 .Bind(8, k.revoked_by)
                 .Bind(9, k.revoke_reason)
                 .Bind(10, static_cast<int64_t>(k.enrolled_index))
                 .Run();
  if (s.code() == Status::Code::kAlreadyExists) return Status::AlreadyExists("this key is already enrolled");
  return s;
}

Result<std::optional<PersonKeyRow>> SqliteStore::FindPersonKey(const sync::PublicKey& key) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kColumns + " FROM person_keys WHERE key = ?"));
  st.BindBlob(1, Bytes(key));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<PersonKeyRow>();
  DALA_ASSIGN_OR_RETURN(PersonKeyRow k, ReadPersonKey(st));
  return std::optional<PersonKeyRow>(std::move(k));
}

Result<std::vector<PersonKeyRow>> SqliteStore::PersonKeysOf(std::string_view person) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kColumns +
                                             " FROM person_keys WHERE ? = '' OR person = ? "
                                             "ORDER BY person, enrolled_ms, key"));
  st.Bind(1, person).Bind(2, person);
  std::vector<PersonKeyRow> out;
  for (;;) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DALA_ASSIGN_OR_RETURN(PersonKeyRow k, ReadPersonKey(st));
    out.push_back(std::move(k));
  }
  return out;
}

Status SqliteStore::RevokePersonKey(const sync::PublicKey& key, std::string_view by, std::string_view reason,
                                    int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE person_keys SET revoked_ms = ?, revoked_by = ?, revoke_reason = ? "
                                             "WHERE key = ? AND revoked_ms = 0"));
  DALA_RETURN_IF_ERROR(st.Bind(1, now_ms).Bind(2, by).Bind(3, reason).BindBlob(4, Bytes(key)).Run());
  if (db_.Changes() > 0) return Status::Ok();
  return Status::FailedPrecondition("the key is unknown or already revoked");
}

}  // namespace dala::server
