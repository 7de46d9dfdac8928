#include "dala/client/store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "migrations.h"
#include "store_queries.h"

namespace dala::client {

using sync::Hash;
using sync::SubmissionId;

const char* UploadStateName(UploadState s) {
  switch (s) {
    case UploadState::kPending: return "pending";
    case UploadState::kAccepted: return "accepted";
    case UploadState::kRejected: return "rejected";
    case UploadState::kReceived: return "received";
  }
  return "pending";
}

namespace {

UploadState ParseUploadState(const std::string& s) {
  if (s == "accepted") return UploadState::kAccepted;
  if (s == "rejected") return UploadState::kRejected;
  if (s == "received") return UploadState::kReceived;
  return UploadState::kPending;
}


}  // namespace

Result<std::unique_ptr<LocalStore>> LocalStore::Create(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return Status::AlreadyExists("a profile already exists at " + path);
  DALA_ASSIGN_OR_RETURN(sql::Database db, sql::Database::Open(path, {sql::OpenMode::kReadWriteCreate}));
  DALA_RETURN_IF_ERROR(db.Migrate(ClientMigrations()));
  ::chmod(path.c_str(), 0600);
  return std::unique_ptr<LocalStore>(new LocalStore(std::move(db)));
}

Result<std::unique_ptr<LocalStore>> LocalStore::Open(const std::string& path) {
  auto db = sql::Database::Open(path, {sql::OpenMode::kReadWrite});
  if (!db.ok()) {
    if (db.status().code() == Status::Code::kNotFound)
      return Status(Status::Code::kNotFound, "no_profile", "no Dala profile at " + path + " (run `dala init` first)");
    return db.status();
  }
  // A database that is not ours, or is damaged, is refused before any
  // migration could write to it.
  int64_t tables = 0;
  {
    // Reset before migrating (when it goes out of scope): a statement
    // still reading the schema makes DROP and ALTER fail as "locked".
    auto probe = db->Prepare("SELECT count(*) FROM sqlite_schema WHERE name IN ('profile', 'envelopes')");
    if (!probe.ok()) return Status::Corruption(path + " is damaged: " + probe.status().message());
    auto has = probe->Step();
    if (!has.ok()) return Status::Corruption(path + " is damaged: " + has.status().message());
    tables = probe->ColumnInt(0);
  }
  DALA_ASSIGN_OR_RETURN(int version, db->UserVersion());
  if (version == 0 || tables != 2) return Status::Corruption(path + " is not a Dala profile database");
  DALA_RETURN_IF_ERROR(db->Migrate(ClientMigrations()));
  return std::unique_ptr<LocalStore>(new LocalStore(std::move(*db)));
}

// --- backup ------------------------------------------------------------------

namespace {

// Copies every page of `from` into `to` with the online backup API.
Status CopyDatabase(sql::Database& from, sql::Database& to, std::string_view what) {
  sqlite3_backup* backup = sqlite3_backup_init(to.handle(), "main", from.handle(), "main");
  if (backup == nullptr) return to.Error(what);
  int rc;
  // Busy or locked: a writer holds the source for a moment; try again.
  while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return to.Error(what);
  return Status::Ok();
}

}  // namespace

Status LocalStore::BackupTo(const std::string& path) {
  const std::string partial = path + ".partial";
  ::unlink(partial.c_str());
  {
    DALA_ASSIGN_OR_RETURN(sql::Database copy,
                          sql::Database::Open(partial, {sql::OpenMode::kReadWriteCreate, false, true}));
    ::chmod(partial.c_str(), 0600);
    Status s = CopyDatabase(db_, copy, "backup to " + partial);
    // One file, no -wal beside it, for removable media.
    if (s.ok()) s = copy.Exec("PRAGMA journal_mode=DELETE");
    if (!s.ok()) {
      ::unlink(partial.c_str());
      return s;
    }
  }
  // std::filesystem's rename replaces an older backup on Windows too,
  // where rename() refuses an existing target.
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) {
    ::unlink(partial.c_str());
    return Status::IoError("cannot write " + path + ": " + ec.message());
  }
  return Status::Ok();
}

Status LocalStore::RestoreFrom(const std::string& backup_path, const std::string& profile_path) {
  struct stat st;
  if (::stat(profile_path.c_str(), &st) == 0)
    return Status(Status::Code::kAlreadyExists, "profile_exists", "a profile already exists at " + profile_path);
  if (::stat(backup_path.c_str(), &st) != 0) return Status::NotFound("no backup at " + backup_path);
  auto discard = [&](Status why) {
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((profile_path + suffix).c_str());
    return why;
  };
  {
    // Read only: the backup on its stick stays exactly as it was.
    DALA_ASSIGN_OR_RETURN(sql::Database source,
                          sql::Database::Open(backup_path, {sql::OpenMode::kReadOnly, false, false}));
    DALA_ASSIGN_OR_RETURN(sql::Database target,
                          sql::Database::Open(profile_path, {sql::OpenMode::kReadWriteCreate, false, true}));
    ::chmod(profile_path.c_str(), 0600);
    if (Status s = CopyDatabase(source, target, "restore to " + profile_path); !s.ok()) return discard(s);
  }
  // Opened as the laptop opens it (WAL again, migrations applied); what is
  // not a Dala profile with a device key does not stay behind as one.
  auto restored = Open(profile_path);
  if (!restored.ok()) return discard(restored.status().WithContext(backup_path));
  auto key = (*restored)->Get(profile_key::kDeviceKey);
  restored->reset();
  if (!key.ok()) return discard(key.status());
  if (!*key) return discard(Status::Corruption(backup_path + " is not a Dala profile backup: it holds no device key"));
  return Status::Ok();
}

// --- profile -----------------------------------------------------------------

Result<std::optional<std::string>> LocalStore::Get(std::string_view key) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT value FROM profile WHERE key = ?"));
  st.Bind(1, key);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st.ColumnText(0));
}

Result<std::string> LocalStore::GetOr(std::string_view key, std::string_view fallback) {
  DALA_ASSIGN_OR_RETURN(auto v, Get(key));
  return v ? *v : std::string(fallback);
}

Result<uint64_t> LocalStore::GetNumber(std::string_view key, uint64_t fallback) {
  DALA_ASSIGN_OR_RETURN(auto text, Get(key));
  if (!text) return fallback;
  uint64_t value = 0;
  const char* end = text->data() + text->size();
  auto [stop, error] = std::from_chars(text->data(), end, value);
  if (error == std::errc() && stop == end) return value;
  // The value as stored, cut short: it may be anything.
  constexpr size_t kShown = 40;
  std::string shown = text->size() > kShown ? text->substr(0, kShown) + "…" : *text;
  return Status::Corruption("profile key '" + std::string(key) + "' holds '" + shown +
                            "', which is not a whole number: the profile database is damaged");
}

// An unchanged value is not written: a sync with nothing new then dirties
// no page, and its commit costs no fsync.
Status LocalStore::Put(std::string_view key, std::string_view value) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT INTO profile(key, value) VALUES (?, ?) "
                                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value "
                                             "WHERE value IS NOT excluded.value"));
  return st.Bind(1, key).Bind(2, value).Run();
}

// --- forms ---------------------------------------------------------------------

Result<std::shared_ptr<const schema::Form>> LocalStore::AddForm(std::string_view document, std::string_view source,
                                                                int64_t now_ms) {
  DALA_ASSIGN_OR_RETURN(auto form, schema::Form::Load(document));
  {
    DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT hash FROM forms WHERE form_id = ? AND version = ?"));
    st.Bind(1, form->id()).Bind(2, form->version());
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) {
      if (st.ColumnText(0) == form->hash_hex()) {
        // Already here; a form loaded by hand that the server now
        // publishes too is the server's from now on.
        if (source == "server") {
          DALA_ASSIGN_OR_RETURN(auto up, db_.Prepare("UPDATE forms SET source = 'server' WHERE hash = ?"));
          DALA_RETURN_IF_ERROR(up.Bind(1, form->hash_hex()).Run());
        }
        return form;
      }
      return Status::AlreadyExists("form " + form->id() + " version " + form->version() +
                                   " is already loaded with different content; give the changed form a new version");
    }
  }
  DALA_ASSIGN_OR_RETURN(auto ins, db_.Prepare("INSERT INTO forms(hash, form_id, version, document, source, added_ms) "
                                              "VALUES (?, ?, ?, ?, ?, ?)"));
  DALA_RETURN_IF_ERROR(ins.Bind(1, form->hash_hex())
                           .Bind(2, form->id())
                           .Bind(3, form->version())
                           .BindBlob(4, document)
                           .Bind(5, source)
                           .Bind(6, now_ms)
                           .Run());
  return form;
}

Result<std::vector<FormRow>> LocalStore::ListForms() {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT hash, form_id, version, source, added_ms FROM forms "
                                             "ORDER BY form_id, added_ms, rowid"));
  std::vector<FormRow> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.ColumnText(0), st.ColumnText(1), st.ColumnText(2), st.ColumnText(3), st.ColumnInt(4)});
  }
  return out;
}

Result<std::shared_ptr<const schema::Form>> LocalStore::FindFormByName(std::string_view name) {
  std::string id(name), version;
  if (auto at = name.find('@'); at != std::string_view::npos) {
    id = std::string(name.substr(0, at));
    version = std::string(name.substr(at + 1));
  }
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(version.empty()
                                                 ? "SELECT hash FROM forms WHERE form_id = ? ORDER BY added_ms DESC, rowid DESC LIMIT 1"
                                                 : "SELECT hash FROM forms WHERE form_id = ? AND version = ?"));
  st.Bind(1, id);
  if (!version.empty()) st.Bind(2, version);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) {
    return Status::NotFound("no form '" + std::string(name) + "' on this laptop (see `dala forms`)");
  }
  Hash h;
  if (!FromHex(st.ColumnText(0), &h)) return Status::Corruption("forms table holds a malformed hash");
  auto form = FindForm(h);
  if (form == nullptr) return Status::Corruption("form " + std::string(name) + " is stored but does not load");
  return form;
}

std::shared_ptr<const schema::Form> LocalStore::FindForm(const Hash& hash) const {
  std::lock_guard<std::mutex> lock(forms_mutex_);
  if (auto it = forms_by_hash_.find(hash); it != forms_by_hash_.end()) return it->second;
  auto* self = const_cast<LocalStore*>(this);  // the cache and a read: no logical change
  auto st = self->db_.Prepare("SELECT document FROM forms WHERE hash = ?");
  if (!st.ok()) return nullptr;
  st->Bind(1, ToHex(hash));
  auto row = st->Step();
  if (!row.ok() || !*row) return nullptr;
  auto form = schema::Form::Load(st->ColumnBlob(0));
  if (!form.ok() || (*form)->hash_hex() != ToHex(hash)) return nullptr;
  forms_by_hash_[hash] = *form;
  return *form;
}

// --- envelopes ---------------------------------------------------------------------

Status LocalStore::InsertEnvelope(const sync::Envelope& e, bool own, int64_t now_ms) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(
                                     "INSERT INTO envelopes(id, bytes, kind, submission, author, sequence, hlc, own, "
                                     "stored_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  return st.BindBytes(1, e.id())
      .BindBlob(2, e.bytes())
      .Bind(3, static_cast<int64_t>(e.kind()))
      .BindBytes(4, e.submission())
      .BindBytes(5, e.author())
      .Bind(6, static_cast<int64_t>(e.sequence()))
      .Bind(7, static_cast<int64_t>(e.hlc().packed))
      .Bind(8, own ? 1 : 0)
      .Bind(9, now_ms)
      .Run();
}

Result<bool> LocalStore::HasEnvelope(const Hash& id) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT 1 FROM envelopes WHERE id = ?"));
  st.BindBytes(1, id);
  return st.Step();
}

Status LocalStore::AddVolunteerLaptop(const sync::PublicKey& key, std::string_view label, std::string_view event) {
  // A row a revocation made first gets its enrolment, and stays revoked.
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT INTO volunteer_laptops(key, label, event) VALUES (?, ?, ?) "
                                             "ON CONFLICT (key) DO UPDATE SET label = excluded.label, "
                                             "event = excluded.event WHERE event = x''"));
  return st.BindBytes(1, key).Bind(2, label).BindBlob(3, event).Run();
}

Result<bool> LocalStore::IsVolunteerLaptop(const sync::PublicKey& key) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT 1 FROM volunteer_laptops WHERE key = ?"));
  st.BindBytes(1, key);
  return st.Step();
}

Result<std::optional<VolunteerLaptop>> LocalStore::FindVolunteerLaptop(const sync::PublicKey& key) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT revoked_through FROM volunteer_laptops WHERE key = ?"));
  st.BindBytes(1, key);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<VolunteerLaptop>();
  VolunteerLaptop laptop;
  laptop.revoked = !st.ColumnIsNull(0);
  laptop.revoked_through = laptop.revoked ? static_cast<uint64_t>(st.ColumnInt(0)) : 0;
  return std::optional<VolunteerLaptop>(laptop);
}

Status LocalStore::RevokeVolunteerLaptop(const sync::PublicKey& key, std::optional<uint64_t> through,
                                         std::string_view event) {
  // A revocation before the laptop heard of the key still stands: the row
  // is made without an enrolment, which AddVolunteerLaptop cannot undo.
  DALA_ASSIGN_OR_RETURN(auto add, db_.Prepare("INSERT OR IGNORE INTO volunteer_laptops(key, label, event) "
                                              "VALUES (?, '', x'')"));
  DALA_RETURN_IF_ERROR(add.BindBytes(1, key).Run());
  DALA_ASSIGN_OR_RETURN(
      auto st, db_.Prepare("UPDATE volunteer_laptops SET revoked_through = COALESCE(?, (SELECT max(sequence) FROM "
                           "envelopes WHERE author = ?), 0), revoke_event = ? WHERE key = ? AND revoked_through IS NULL"));
  if (through) {
    st.Bind(1, static_cast<int64_t>(*through));
  } else {
    st.BindNull(1);
  }
  return st.BindBytes(2, key).BindBlob(3, event).BindBytes(4, key).Run();
}

Status LocalStore::AddSetAsideUpdate(const sync::Hash& id, std::string_view bytes, std::string_view form_hash,
                                     int64_t now_ms) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT OR IGNORE INTO set_aside_updates(id, bytes, form_hash, "
                                             "stored_ms) VALUES (?, ?, ?, ?)"));
  return st.BindBytes(1, id).BindBlob(2, bytes).Bind(3, form_hash).Bind(4, now_ms).Run();
}

Result<std::vector<SetAsideUpdate>> LocalStore::SetAsideUpdates() {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT id, bytes, form_hash FROM set_aside_updates ORDER BY rowid"));
  std::vector<SetAsideUpdate> out;
  for (;;) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    SetAsideUpdate u;
    DALA_RETURN_IF_ERROR(st.ReadBytes(0, &u.id, "set_aside_updates row"));
    u.bytes = st.ColumnBlob(1);
    u.form_hash = st.ColumnText(2);
    out.push_back(std::move(u));
  }
}

Status LocalStore::DropSetAsideUpdate(const sync::Hash& id) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("DELETE FROM set_aside_updates WHERE id = ?"));
  return st.BindBytes(1, id).Run();
}

Result<std::vector<sync::Hash>> LocalStore::FormsLacked(size_t limit) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT DISTINCT form_hash FROM set_aside_updates WHERE form_hash != '' "
                                             "AND form_hash NOT IN (SELECT hash FROM forms) LIMIT ?"));
  st.Bind(1, static_cast<int64_t>(limit));
  std::vector<sync::Hash> out;
  for (;;) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    sync::Hash h;
    if (FromHex(st.ColumnText(0), &h)) out.push_back(h);
  }
}

Result<EnvelopeRow> LocalStore::ReadEnvelopeRow(sql::Statement& st) {
  EnvelopeRow r;
  // Key columns of the wrong size mean a damaged database: an error naming
  // the row, never an all-zero id. Columns that merely disagree with the
  // envelope bytes are reported by `dala verify`, which compares them.
  r.sequence = static_cast<uint64_t>(st.ColumnInt(5));
  const std::string row = "envelopes row of sequence " + std::to_string(r.sequence);
  DALA_RETURN_IF_ERROR(st.ReadBytes(0, &r.id, row));
  r.bytes = st.ColumnBlob(1);
  r.kind = static_cast<int>(st.ColumnInt(2));
  DALA_RETURN_IF_ERROR(st.ReadBytes(3, &r.submission, row));
  DALA_RETURN_IF_ERROR(st.ReadBytes(4, &r.author, row));
  r.hlc = static_cast<uint64_t>(st.ColumnInt(6));
  r.own = st.ColumnInt(7) != 0;
  r.upload = ParseUploadState(st.ColumnText(8));
  r.reject_reason = st.ColumnText(9);
  r.stored_ms = st.ColumnInt(10);
  return r;
}

namespace {
// Envelopes (e) with what the server said of them (u): own ones have an
// uploads row, received ones none.
constexpr const char* kEnvelopeColumns =
    "e.id, e.bytes, e.kind, e.submission, e.author, e.sequence, e.hlc, e.own, coalesce(u.state, 'received'), "
    "coalesce(u.reject_reason, ''), e.stored_ms";
constexpr const char* kEnvelopesAndUploads = " FROM envelopes e LEFT JOIN uploads u ON u.envelope = e.id";
}

Result<std::vector<EnvelopeRow>> LocalStore::EnvelopesOf(const SubmissionId& submission) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kEnvelopeColumns +
                                             kEnvelopesAndUploads + " WHERE e.submission = ? ORDER BY e.hlc, e.id"));
  st.BindBytes(1, submission);
  std::vector<EnvelopeRow> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DALA_ASSIGN_OR_RETURN(EnvelopeRow r, ReadEnvelopeRow(st));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<EnvelopeRow>> LocalStore::OwnEnvelope(uint64_t sequence) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kEnvelopeColumns +
                                             kEnvelopesAndUploads + " WHERE e.own = 1 AND e.sequence = ?"));
  st.Bind(1, static_cast<int64_t>(sequence));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<EnvelopeRow>();
  DALA_ASSIGN_OR_RETURN(EnvelopeRow r, ReadEnvelopeRow(st));
  return std::optional<EnvelopeRow>(std::move(r));
}

Result<std::vector<EnvelopeRow>> LocalStore::AllEnvelopes() {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kEnvelopeColumns +
                                             kEnvelopesAndUploads + " ORDER BY e.author, e.sequence, e.id"));
  std::vector<EnvelopeRow> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DALA_ASSIGN_OR_RETURN(EnvelopeRow r, ReadEnvelopeRow(st));
    out.push_back(std::move(r));
  }
  return out;
}

Result<sync::ChainTip> LocalStore::OwnTip() {
  return Tip("SELECT sequence, id FROM envelopes WHERE own = 1 ORDER BY sequence DESC LIMIT 1");
}

Result<sync::ChainTip> LocalStore::AcceptedTip() {
  return Tip("SELECT sequence, envelope FROM uploads WHERE state = 'accepted' ORDER BY sequence DESC LIMIT 1");
}

Result<sync::ChainTip> LocalStore::Tip(std::string_view query) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(query));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  sync::ChainTip tip;
  if (!row) return tip;
  tip.sequence = static_cast<uint64_t>(st.ColumnInt(0));
  if (!st.ColumnBytes(1, &tip.id)) return Status::Corruption("an envelope id is not 32 bytes");
  return tip;
}

Status LocalStore::ForEachPendingEnvelope(size_t limit, size_t max_bytes, uint64_t after_sequence,
                                          const std::function<void(uint64_t sequence, std::string_view bytes)>& take) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT u.sequence, e.bytes") + internal::kPendingEnvelopesFrom));
  st.Bind(1, static_cast<int64_t>(after_sequence));
  st.Bind(2, static_cast<int64_t>(limit));
  size_t bytes = 0;
  for (size_t taken = 0;; ++taken) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    std::string_view envelope = st.ColumnBlobView(1);
    bytes += envelope.size();
    // Always at least one, so a single large envelope still goes.
    if (taken > 0 && bytes > max_bytes) break;
    take(static_cast<uint64_t>(st.ColumnInt(0)), envelope);
  }
  return Status::Ok();
}

Result<std::vector<EnvelopeRow>> LocalStore::PendingEnvelopes() {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kEnvelopeColumns + internal::kPendingEnvelopesFrom));
  st.Bind(1, int64_t{0});
  st.Bind(2, int64_t{-1});  // no limit
  std::vector<EnvelopeRow> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DALA_ASSIGN_OR_RETURN(EnvelopeRow r, ReadEnvelopeRow(st));
    out.push_back(std::move(r));
  }
  return out;
}

Result<LocalStore::PendingSpan> LocalStore::PendingThrough(uint64_t sequence) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT count(*), coalesce(min(sequence), 0) FROM uploads "
                                             "WHERE state = 'pending' AND sequence <= ?"));
  st.Bind(1, static_cast<int64_t>(sequence));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  (void)row;
  return PendingSpan{st.ColumnInt(0), static_cast<uint64_t>(st.ColumnInt(1))};
}

Result<int64_t> LocalStore::MarkAccepted(uint64_t through_sequence) {
  // Only pending rows can change, and the partial index finds them without
  // walking every earlier sequence.
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE uploads SET state = 'accepted', reject_reason = '' "
                                             "WHERE state = 'pending' AND sequence <= ?"));
  DALA_RETURN_IF_ERROR(st.Bind(1, static_cast<int64_t>(through_sequence)).Run());
  return static_cast<int64_t>(db_.Changes());
}

Status LocalStore::MarkRejected(uint64_t sequence, std::string_view reason) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE uploads SET state = 'rejected', reject_reason = ? "
                                             "WHERE sequence = ?"));
  return st.Bind(1, reason).Bind(2, static_cast<int64_t>(sequence)).Run();
}

Status LocalStore::NoteRetryableRejection(uint64_t sequence, std::string_view reason) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE uploads SET reject_reason = ? WHERE sequence = ?"));
  return st.Bind(1, reason).Bind(2, static_cast<int64_t>(sequence)).Run();
}

Result<int64_t> LocalStore::CountPending() {
  // The literal 'pending' matches the partial index; a bound value would
  // not, and the count would scan every envelope.
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT count(*) FROM uploads WHERE state = 'pending'"));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  (void)row;
  return st.ColumnInt(0);
}

Result<bool> LocalStore::HasPending() {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT EXISTS (SELECT 1 FROM uploads WHERE state = 'pending')"));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  (void)row;
  return st.ColumnInt(0) != 0;
}

Result<int64_t> LocalStore::CountReturned() {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT count(*) FROM submissions WHERE review_state = 'has_issues'"));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  (void)row;
  return st.ColumnInt(0);
}

// --- submissions ---------------------------------------------------------------------

Result<sync::MergedState> LocalStore::MergedStateOf(const SubmissionId& id) {
  DALA_ASSIGN_OR_RETURN(auto rows, EnvelopesOf(id));
  std::vector<sync::MergeInput> inputs;
  for (EnvelopeRow& r : rows) {
    if (r.kind != static_cast<int>(sync::EnvelopeKind::kRevision)) continue;
    auto e = sync::Envelope::Parse(r.bytes);
    if (!e.ok()) return e.status().WithContext("submission " + sync::FormatSubmissionId(id));
    auto body = sync::ParseRevisionBody(e->body());
    if (!body.ok()) return body.status().WithContext("submission " + sync::FormatSubmissionId(id));
    inputs.push_back({e->id(), e->parents(), e->hlc(), e->author(), std::move(body->answers_json)});
  }
  return sync::Merge(inputs);
}

Status LocalStore::RefreshSubmission(const SubmissionId& id) {
  DALA_ASSIGN_OR_RETURN(auto rows, EnvelopesOf(id));
  std::vector<sync::MergeInput> revisions;
  std::vector<sync::ReviewInput> reviews;
  std::string form_id, form_hash;
  int64_t created = INT64_MAX, updated = 0;
  uint64_t latest_hlc = 0;
  for (EnvelopeRow& r : rows) {
    DALA_ASSIGN_OR_RETURN(sync::Envelope e, sync::Envelope::Parse(r.bytes));
    if (e.kind() == sync::EnvelopeKind::kRevision) {
      DALA_ASSIGN_OR_RETURN(sync::RevisionBody body, sync::ParseRevisionBody(e.body()));
      revisions.push_back({e.id(), e.parents(), e.hlc(), e.author(), std::move(body.answers_json)});
      created = std::min(created, e.wall_ms());
      updated = std::max(updated, e.wall_ms());
      if (e.hlc().packed >= latest_hlc) {
        latest_hlc = e.hlc().packed;
        form_id = e.form_id();
        form_hash = ToHex(e.form_hash());
      }
    } else {
      auto event = sync::ParseEventBody(e.body());
      if (!event.ok() || event->type != "review") continue;
      auto state = sync::ParseReviewState(event->state);
      if (!state.ok()) continue;
      reviews.push_back({e.id(), e.parents(), e.hlc(), *state, event->by, event->comment});
    }
  }
  if (rows.empty()) {
    // Its only envelopes were taken back (a refused record set aside).
    DALA_ASSIGN_OR_RETURN(auto del, db_.Prepare("DELETE FROM submissions WHERE id = ?"));
    return del.BindBytes(1, id).Run();
  }
  if (revisions.empty()) return Status::Ok();  // events that arrived before their revisions
  DALA_ASSIGN_OR_RETURN(sync::MergedState merged, sync::Merge(revisions));
  sync::ReviewSummary review = sync::SummarizeReviews(revisions, merged.heads, reviews);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(
                                     "INSERT OR REPLACE INTO submissions(id, form_id, form_hash, created_ms, "
                                     "updated_ms, answers, heads, conflicts, review_state, review_by, "
                                     "review_comment, changed_since_review) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
  return st.BindBytes(1, id)
      .Bind(2, form_id)
      .Bind(3, form_hash)
      .Bind(4, created)
      .Bind(5, updated)
      .Bind(6, merged.answers_json)
      .Bind(7, static_cast<int64_t>(merged.heads.size()))
      .Bind(8, static_cast<int64_t>(merged.conflicts.size()))
      .Bind(9, sync::ReviewStateName(review.state))
      .Bind(10, review.by)
      .Bind(11, review.comment)
      .Bind(12, review.changed_since_review ? 1 : 0)
      .Run();
}

namespace {
constexpr const char* kSubmissionQuery =
    "SELECT s.id, s.form_id, s.form_hash, s.created_ms, s.updated_ms, s.answers, s.heads, s.conflicts, "
    "s.review_state, s.review_by, s.review_comment, s.changed_since_review, "
    "(SELECT count(*) FROM envelopes e JOIN uploads u ON u.envelope = e.id WHERE e.submission = s.id AND u.state = 'pending'), "
    "(SELECT count(*) FROM envelopes e JOIN uploads u ON u.envelope = e.id WHERE e.submission = s.id AND u.state = 'rejected') "
    "FROM submissions s ";

Result<SubmissionRow> ReadSubmission(const sql::Statement& st) {
  SubmissionRow r;
  DALA_RETURN_IF_ERROR(st.ReadBytes(0, &r.id, "a submissions row"));
  r.form_id = st.ColumnText(1);
  r.form_hash = st.ColumnText(2);
  r.created_ms = st.ColumnInt(3);
  r.updated_ms = st.ColumnInt(4);
  r.answers_json = st.ColumnText(5);
  r.heads = static_cast<int>(st.ColumnInt(6));
  r.conflicts = static_cast<int>(st.ColumnInt(7));
  r.review_state = st.ColumnText(8);
  r.review_by = st.ColumnText(9);
  r.review_comment = st.ColumnText(10);
  r.changed_since_review = st.ColumnInt(11) != 0;
  r.pending = static_cast<int>(st.ColumnInt(12));
  r.rejected = static_cast<int>(st.ColumnInt(13));
  return r;
}
}  // namespace

Result<std::vector<SubmissionRow>> LocalStore::ListSubmissions() {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string(kSubmissionQuery) + "ORDER BY s.created_ms, s.id"));
  std::vector<SubmissionRow> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DALA_ASSIGN_OR_RETURN(SubmissionRow r, ReadSubmission(st));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<SubmissionRow>> LocalStore::FindSubmission(const SubmissionId& id) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string(kSubmissionQuery) + "WHERE s.id = ?"));
  st.BindBytes(1, id);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<SubmissionRow>();
  DALA_ASSIGN_OR_RETURN(SubmissionRow r, ReadSubmission(st));
  return std::optional<SubmissionRow>(std::move(r));
}

Result<SubmissionId> LocalStore::ResolveSubmission(std::string_view prefix) {
  // One rule everywhere: the whole id or a unique end (sync/ids.h).
  DALA_ASSIGN_OR_RETURN(std::string hex, sync::ShortIdDigits(prefix));
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT id FROM submissions WHERE lower(hex(id)) LIKE ? LIMIT 2"));
  st.Bind(1, "%" + hex);
  std::vector<SubmissionId> found;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    SubmissionId id;
    DALA_RETURN_IF_ERROR(st.ReadBytes(0, &id, "a submissions row"));
    found.push_back(id);
  }
  if (found.empty())
    return Status(Status::Code::kNotFound, "no_such_record", "no record " + std::string(prefix) + " on this laptop");
  if (found.size() > 1)
    return Status(Status::Code::kInvalidArgument, "ambiguous_record",
                  "'" + std::string(prefix) + "' matches several records; give more characters");
  return found[0];
}

Result<int64_t> LocalStore::NewestOwnRecordMs() {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT coalesce(max(stored_ms), 0) FROM envelopes WHERE own = 1"));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  (void)row;
  return st.ColumnInt(0);
}

// --- drafts -------------------------------------------------------------------------

Result<int64_t> LocalStore::SaveDraft(const DraftRow& d) {
  if (d.id == 0) {
    DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT INTO drafts(form_hash, submission, answers, language, "
                                               "updated_ms, note, position) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    st.Bind(1, d.form_hash);
    if (d.submission) st.BindBytes(2, *d.submission); else st.BindNull(2);
    DALA_RETURN_IF_ERROR(
        st.Bind(3, d.answers_json).Bind(4, d.language).Bind(5, d.updated_ms).Bind(6, d.note).Bind(7, d.position).Run());
    return db_.LastInsertRowId();
  }
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE drafts SET answers = ?, language = ?, updated_ms = ?, position = ? "
                                             "WHERE id = ?"));
  DALA_RETURN_IF_ERROR(
      st.Bind(1, d.answers_json).Bind(2, d.language).Bind(3, d.updated_ms).Bind(4, d.position).Bind(5, d.id).Run());
  if (db_.Changes() == 0) return Status::NotFound("no draft " + std::to_string(d.id));
  return d.id;
}

namespace {
Result<DraftRow> ReadDraft(const sql::Statement& st) {
  DraftRow d;
  d.id = st.ColumnInt(0);
  d.form_hash = st.ColumnText(1);
  if (!st.ColumnIsNull(2)) {
    SubmissionId id;
    DALA_RETURN_IF_ERROR(st.ReadBytes(2, &id, "drafts row " + std::to_string(d.id)));
    d.submission = id;
  }
  d.answers_json = st.ColumnText(3);
  d.language = st.ColumnText(4);
  d.updated_ms = st.ColumnInt(5);
  d.note = st.ColumnText(6);
  d.position = st.ColumnText(7);
  return d;
}
}  // namespace

Result<std::vector<DraftRow>> LocalStore::ListDrafts() {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT id, form_hash, submission, answers, language, updated_ms, note, position "
                                             "FROM drafts ORDER BY id"));
  std::vector<DraftRow> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DALA_ASSIGN_OR_RETURN(DraftRow d, ReadDraft(st));
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::optional<DraftRow>> LocalStore::FindDraft(int64_t id) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT id, form_hash, submission, answers, language, updated_ms, note, position "
                                             "FROM drafts WHERE id = ?"));
  st.Bind(1, id);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<DraftRow>();
  DALA_ASSIGN_OR_RETURN(DraftRow d, ReadDraft(st));
  return std::optional<DraftRow>(std::move(d));
}

Status LocalStore::DeleteDraft(int64_t id) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("DELETE FROM drafts WHERE id = ?"));
  return st.Bind(1, id).Run();
}

// --- receipts -------------------------------------------------------------------------

Status LocalStore::AddReceipt(const ReceiptRow& r) {
  std::string proof;
  for (const Hash& h : r.proof) proof.append(sync::AsBytes(h));
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT INTO receipts(envelope, sequence, leaf_index, tree_size, proof, "
                                             "checkpoint, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  return st.BindBytes(1, r.envelope)
      .Bind(2, static_cast<int64_t>(r.sequence))
      .Bind(3, static_cast<int64_t>(r.leaf_index))
      .Bind(4, static_cast<int64_t>(r.tree_size))
      .BindBlob(5, proof)
      .Bind(6, r.checkpoint)
      .Bind(7, r.received_ms)
      .Run();
}

Result<uint64_t> LocalStore::ReceiptedThrough() {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT coalesce(max(sequence), 0) FROM receipts"));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  (void)row;
  return static_cast<uint64_t>(st.ColumnInt(0));
}

Result<std::vector<ReceiptRow>> LocalStore::ListReceipts() {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT id, envelope, sequence, leaf_index, tree_size, proof, checkpoint, "
                                             "received_ms FROM receipts ORDER BY id"));
  std::vector<ReceiptRow> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    ReceiptRow r;
    r.id = st.ColumnInt(0);
    DALA_RETURN_IF_ERROR(st.ReadBytes(1, &r.envelope, "receipts row " + std::to_string(r.id)));
    r.sequence = static_cast<uint64_t>(st.ColumnInt(2));
    r.leaf_index = static_cast<uint64_t>(st.ColumnInt(3));
    r.tree_size = static_cast<uint64_t>(st.ColumnInt(4));
    std::string proof = st.ColumnBlob(5);
    for (size_t i = 0; i + 32 <= proof.size(); i += 32) {
      Hash h;
      std::copy_n(reinterpret_cast<const uint8_t*>(proof.data() + i), 32, h.data());
      r.proof.push_back(h);
    }
    r.checkpoint = st.ColumnText(6);
    r.received_ms = st.ColumnInt(7);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace dala::client
