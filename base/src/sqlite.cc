#include "dala/base/sqlite.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <utility>

namespace dala::sql {

namespace {

Status FromCode(int code, std::string message) {
  switch (code & 0xFF) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return Status::Corruption(std::move(message));
    case SQLITE_CANTOPEN:
      return Status::IoError(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(std::move(message));
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return Status::ResourceExhausted(std::move(message));
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Status::PermissionDenied(std::move(message));
    case SQLITE_CONSTRAINT:
      return Status::AlreadyExists(std::move(message));
    case SQLITE_IOERR:
      return Status::IoError(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

}  // namespace

Result<Database> Database::Open(const std::string& path, const OpenOptions& options) {
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (options.mode) {
    case OpenMode::kReadWrite: flags |= SQLITE_OPEN_READWRITE; break;
    case OpenMode::kReadWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    case OpenMode::kReadOnly: flags |= SQLITE_OPEN_READONLY; break;
  }
  if (options.mode != OpenMode::kReadWriteCreate && path != ":memory:") {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Status::NotFound("no database at " + path);
    if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + " is not a file");
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) return FromCode(rc, "cannot open " + path + ": " + sqlite3_errstr(rc));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  // SQLite reads the header lazily: this is where a file that is not a
  // database, or is damaged in its first page, is found.
  if (Status s = db.Exec("SELECT count(*) FROM sqlite_schema"); !s.ok()) {
    return Status(s.code() == Status::Code::kInternal ? Status::Code::kCorruption : s.code(),
                  path + " is not a usable database (" + s.message() + ")");
  }
  if (options.mode != OpenMode::kReadOnly) {
    if (options.wal) DALA_RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode=WAL"));
    DALA_RETURN_IF_ERROR(db.Exec(options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  }
  DALA_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys=ON"));
  return db;
}

Database::Database(sqlite3* db) : db_(db), cache_(std::make_shared<std::multimap<std::string, sqlite3_stmt*, std::less<>>>()) {}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    FinalizeCache();
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Database::~Database() {
  FinalizeCache();
  // close_v2 waits for statements still held elsewhere before closing.
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

void Database::FinalizeCache() {
  if (!cache_) return;
  for (auto& [sql, stmt] : *cache_) sqlite3_finalize(stmt);
  cache_->clear();
}

Status Database::Error(std::string_view context) const {
  int code = sqlite3_extended_errcode(db_);
  return FromCode(code, std::string(context) + ": " + sqlite3_errmsg(db_));
}

Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string message = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return FromCode(rc, message);
  }
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  if (auto it = cache_->find(sql); it != cache_->end()) {
    sqlite3_stmt* stmt = it->second;
    std::string text = it->first;
    cache_->erase(it);
    return Statement(db_, stmt, cache_, std::move(text));
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error("preparing SQL");
  return Statement(db_, stmt, cache_, std::string(sql));
}

Status Database::Begin() { return Exec("BEGIN IMMEDIATE"); }
Status Database::Commit() { return Exec("COMMIT"); }
Status Database::Rollback() {
  if (sqlite3_get_autocommit(db_)) return Status::Ok();
  return Exec("ROLLBACK");
}

Result<int> Database::UserVersion() {
  DALA_ASSIGN_OR_RETURN(Statement st, Prepare("PRAGMA user_version"));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status::Internal("PRAGMA user_version returned nothing");
  return static_cast<int>(st.ColumnInt(0));
}

Status Database::Migrate(const std::vector<std::string_view>& migrations) {
  DALA_ASSIGN_OR_RETURN(int version, UserVersion());
  if (version > static_cast<int>(migrations.size())) {
    return Status::FailedPrecondition("database schema version " + std::to_string(version) +
                                      " is newer than this program knows (" +
                                      std::to_string(migrations.size()) + "); upgrade Dala");
  }
  for (size_t k = static_cast<size_t>(version); k < migrations.size(); ++k) {
    DALA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*this));
    DALA_RETURN_IF_ERROR(Exec(migrations[k]).WithContext("migration " + std::to_string(k + 1)));
    DALA_RETURN_IF_ERROR(Exec("PRAGMA user_version = " + std::to_string(k + 1)));
    DALA_RETURN_IF_ERROR(tx.Commit());
  }
  return Status::Ok();
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int Database::Changes() const { return sqlite3_changes(db_); }
int64_t Database::TotalChanges() const { return sqlite3_total_changes64(db_); }

// --- Statement ---------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      cache_(std::move(other.cache_)),
      sql_(std::move(other.sql_)),
      bind_error_(std::move(other.bind_error_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    cache_ = std::move(other.cache_);
    sql_ = std::move(other.sql_);
    bind_error_ = std::move(other.bind_error_);
  }
  return *this;
}

Statement::~Statement() { Release(); }

void Statement::Release() {
  if (stmt_ == nullptr) return;
  // Reset ends any read the statement had open, so an abandoned iteration
  // never pins an old snapshot of the database.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  auto cache = cache_.lock();
  if (cache && cache->size() < 256) {
    cache->emplace(std::move(sql_), stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
}

namespace {
void Note(int rc, sqlite3* db, Status* error) {
  if (rc != SQLITE_OK && error->ok()) *error = Status::Internal(std::string("binding: ") + sqlite3_errmsg(db));
}
}  // namespace

Statement& Statement::Bind(int index, int64_t value) {
  Note(sqlite3_bind_int64(stmt_, index, value), db_, &bind_error_);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  // A default string_view has a null data pointer, which SQLite would bind
  // as NULL rather than as the empty text it means.
  const char* data = text.data() != nullptr ? text.data() : "";
  Note(sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), db_, &bind_error_);
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) { return BindBlob(index, bytes.data(), bytes.size()); }

Statement& Statement::BindBlob(int index, const void* data, size_t size) {
  // An empty blob must still be a blob, not NULL.
  static const char kEmpty = 0;
  Note(sqlite3_bind_blob64(stmt_, index, size == 0 ? &kEmpty : data, size, SQLITE_TRANSIENT), db_, &bind_error_);
  return *this;
}

Statement& Statement::BindNull(int index) {
  Note(sqlite3_bind_null(stmt_, index), db_, &bind_error_);
  return *this;
}

Result<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return FromCode(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
}

Status Statement::Run() {
  DALA_ASSIGN_OR_RETURN(bool row, Step());
  (void)row;
  return Reset();
}

Status Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = Status::Ok();
  return Status::Ok();
}

int64_t Statement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::ColumnText(int index) const { return std::string(ColumnTextView(index)); }

std::string_view Statement::ColumnTextView(int index) const {
  const unsigned char* p = sqlite3_column_text(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  return p == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

std::string Statement::ColumnBlob(int index) const { return std::string(ColumnBlobView(index)); }

std::string_view Statement::ColumnBlobView(int index) const {
  const void* p = sqlite3_column_blob(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  return p == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(p), static_cast<size_t>(n));
}

std::string Statement::ColumnName(int index) const {
  const char* name = sqlite3_column_name(stmt_, index);
  return name == nullptr ? "column " + std::to_string(index) : std::string(name);
}

Status Statement::WrongSize(int index, size_t expected, std::string_view row) const {
  return Status::Corruption(std::string(row) + ": " + ColumnName(index) + " holds " +
                            std::to_string(ColumnBlob(index).size()) + " bytes where " + std::to_string(expected) +
                            " belong; the database is damaged");
}

bool Statement::ColumnIsNull(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

// --- Transaction -------------------------------------------------------------

Result<Transaction> Transaction::Begin(Database& db) {
  DALA_RETURN_IF_ERROR(db.Begin());
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Rollback();
}

Status Transaction::Commit() {
  if (db_ == nullptr) return Status::Internal("transaction already finished");
  Status s = db_->Commit();
  if (s.ok()) db_ = nullptr;
  return s;
}

}  // namespace dala::sql
