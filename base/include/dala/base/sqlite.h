// A thin layer over SQLite: RAII handles, Status instead of error codes,
// transactions, and versioned migrations. It adds no query language of its
// own; callers write SQL.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace dala::sql {

class Statement;

enum class OpenMode {
  kReadWrite,        // the file must exist
  kReadWriteCreate,  // created if missing
  kReadOnly,
};

struct OpenOptions {
  OpenMode mode = OpenMode::kReadWrite;
  // WAL journal; FULL makes every commit durable before it returns, so
  // nothing reported as saved is lost in a crash or power cut.
  bool wal = true;
  bool synchronous_full = true;
  int busy_timeout_ms = 5000;
};

class Database {
 public:
  // Opens `path`. A missing file (for kReadWrite/kReadOnly) is NotFound; a
  // file that is not a SQLite database is Corruption.
  static Result<Database> Open(const std::string& path, const OpenOptions& options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more statements that return no rows.
  Status Exec(std::string_view sql);
  // A statement for `sql`. Compiled statements are kept and reused: a
  // Statement returned to the cache is reset, not finalised, so running
  // the same query again costs no parsing. A statement still in use when
  // its SQL is asked for again is simply compiled anew.
  Result<Statement> Prepare(std::string_view sql);

  Status Begin();      // BEGIN IMMEDIATE: takes the write lock now
  Status Commit();
  Status Rollback();   // never fails in a way the caller can act on

  // Applies migrations[k] for every k >= PRAGMA user_version, each in its
  // own transaction that also sets user_version = k + 1. A database newer
  // than the migrations known is refused rather than damaged.
  Status Migrate(const std::vector<std::string_view>& migrations);
  Result<int> UserVersion();

  int64_t LastInsertRowId() const;
  int Changes() const;
  // Rows changed since the connection opened: a test's way to see that an
  // operation wrote nothing.
  int64_t TotalChanges() const;
  sqlite3* handle() { return db_; }

  // Status for the last error on this connection, with context.
  Status Error(std::string_view context) const;

 private:
  explicit Database(sqlite3* db);
  void FinalizeCache();

  sqlite3* db_ = nullptr;
  // Idle compiled statements by their SQL. Statements hold it weakly, so
  // one that outlives its Database is finalised instead of returned.
  std::shared_ptr<std::multimap<std::string, sqlite3_stmt*, std::less<>>> cache_;
};

// A prepared statement. Bind with 1-based indices, Step through rows, read
// columns with 0-based indices.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);  // TEXT
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindBlob(int index, const void* data, size_t size);
  Statement& BindNull(int index);
  // A fixed-size byte array (keys, hashes, ids) as a blob.
  template <size_t N>
  Statement& BindBytes(int index, const std::array<uint8_t, N>& bytes) {
    return BindBlob(index, bytes.data(), N);
  }

  // True with a row to read, false when done; a failure is a Status.
  Result<bool> Step();
  // Steps once, expecting no row.
  Status Run();
  Status Reset();  // also clears bindings

  int64_t ColumnInt(int index) const;
  std::string ColumnText(int index) const;
  std::string ColumnBlob(int index) const;
  // The blob in SQLite's own memory, without a copy: valid until the next
  // Step or Reset.
  std::string_view ColumnBlobView(int index) const;
  // The text in SQLite's own memory, likewise; empty for NULL.
  std::string_view ColumnTextView(int index) const;
  bool ColumnIsNull(int index) const;
  // Reads a blob of exactly N bytes into `out`; false, leaving `out` as it
  // was, for a blob of any other size.
  template <size_t N>
  [[nodiscard]] bool ColumnBytes(int index, std::array<uint8_t, N>* out) const {
    std::string_view b = ColumnBlobView(index);
    if (b.size() != N) return false;
    std::copy(b.begin(), b.end(), out->begin());
    return true;
  }
  // As ColumnBytes, but a blob of the wrong size is Corruption naming the
  // row (`row`, e.g. "envelopes row at log index 17") and the column: a
  // damaged database is reported, never read as an all-zero id.
  template <size_t N>
  Status ReadBytes(int index, std::array<uint8_t, N>* out, std::string_view row) const {
    if (ColumnBytes(index, out)) return Status::Ok();
    return WrongSize(index, N, row);
  }
  // The name of result column `index`.
  std::string ColumnName(int index) const;

 private:
  friend class Database;
  using Cache = std::multimap<std::string, sqlite3_stmt*, std::less<>>;
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::weak_ptr<Cache> cache, std::string sql)
      : db_(db), stmt_(stmt), cache_(std::move(cache)), sql_(std::move(sql)) {}
  void Release();
  Status WrongSize(int index, size_t expected, std::string_view row) const;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::weak_ptr<Cache> cache_;  // where to return the statement; expired: finalise
  std::string sql_;
  Status bind_error_;
};

// Commits on Commit(), rolls back if destroyed without it.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace dala::sql
