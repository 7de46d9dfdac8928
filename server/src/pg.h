// A thin layer over libpq for PostgresStore: one connection, statements
// with $1, $2... parameters, and rows read as the types the store keeps.
//
// Parameters travel as text, except bytes (keys, hashes, envelopes), which
// travel as binary so that nothing is escaped. Results come back as text;
// bytea columns arrive in PostgreSQL's hex form ("\x0a1b...") and are
// decoded here. libpq never throws; every failure is a Status whose
// message carries the server's own text.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dala/base/status.h"

struct pg_conn;
struct pg_result;

namespace dala::server::pg {

// The values of one statement's $1, $2, ...
class Params {
 public:
  Params& Int(int64_t value);
  Params& Text(std::string_view text);
  Params& Bytes(std::string_view bytes);  // bytea
  template <size_t N>
  Params& Bytes(const std::array<uint8_t, N>& bytes) {
    return Bytes(std::string_view(reinterpret_cast<const char*>(bytes.data()), N));
  }
  Params& Null();
  Params& Bool(bool value);

  size_t size() const { return values_.size(); }

 private:
  friend class Connection;
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> binary_;
};

// The rows of one answered statement.
class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* result);
  Rows(Rows&&) noexcept = default;
  Rows& operator=(Rows&&) noexcept = default;

  int size() const;
  bool empty() const { return size() == 0; }
  // The number of rows an INSERT, UPDATE or DELETE touched.
  int64_t affected() const;

  bool IsNull(int row, int column) const;
  int64_t Int(int row, int column) const;  // NULL reads as 0
  std::string Text(int row, int column) const;
  std::string Bytes(int row, int column) const;  // bytea
  // A bytea column of exactly N bytes; Corruption naming `what` otherwise.
  template <size_t N>
  Status ReadBytes(int row, int column, std::array<uint8_t, N>* out, std::string_view what) const {
    std::string b = Bytes(row, column);
    if (b.size() != N) return WrongSize(column, N, b.size(), what);
    for (size_t i = 0; i < N; ++i) out->at(i) = static_cast<uint8_t>(b[i]);
    return Status::Ok();
  }

 private:
  Status WrongSize(int column, size_t expected, size_t got, std::string_view what) const;
  struct Clear {
    void operator()(pg_result* r) const;
  };
  std::unique_ptr<pg_result, Clear> result_;
};

// SQLSTATE classes a caller acts on.
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";

class Connection {
 public:
  // `conninfo` is a libpq connection string or URI (postgresql://...).
  // Unavailable when the server cannot be reached.
  static Result<Connection> Open(const std::string& conninfo);
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  ~Connection();

  // Runs one or more statements without parameters (DDL, BEGIN, COMMIT).
  Status Exec(std::string_view sql);
  // Runs one statement. An integrity violation (a unique key, a check, a
  // foreign key: class 23, as SQLite's SQLITE_CONSTRAINT) is AlreadyExists, a
  // serialisation failure or deadlock Unavailable (retry), anything else
  // Internal with the server's message.
  //
  // A SELECT, INSERT, UPDATE, DELETE or WITH whose text comes a second time
  // is prepared on this connection and executed by name from then on: the
  // server parses and plans it once. A text used once (a cursor's DECLARE,
  // a rare filter) costs no extra round trip. At most kMaxPrepared texts
  // are kept; later ones run unprepared.
  Result<Rows> Query(std::string_view sql, const Params& params = {});
  static constexpr size_t kMaxPrepared = 256;
  // The SQLSTATE of the last failure, empty if none.
  const std::string& last_sqlstate() const { return last_sqlstate_; }

  // Whether the connection is still usable (false after the server went
  // away); Reset reconnects.
  bool Healthy() const;
  Status Reset();

  // Whether a transaction block (BEGIN) is open, and whether it failed: a
  // failed statement aborts PostgreSQL's transaction, and COMMIT then
  // rolls back without an error.
  bool InTransactionBlock() const;
  bool TransactionFailed() const;

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  Status Failure(pg_result* result, std::string_view sql);
  struct Finish {
    void operator()(pg_conn* c) const;
  };
  // The statement name for `sql` if it is prepared (preparing it now when
  // this is its second use), or nullptr to run it unprepared.
  Result<const std::string*> PreparedName(const std::string& sql, int params);

  std::unique_ptr<pg_conn, Finish> conn_;
  std::string last_sqlstate_;
  // Statement text -> "dala_s<N>" once prepared, "" after its first use.
  std::unordered_map<std::string, std::string> prepared_;
  size_t prepared_count_ = 0;
};

// Whether `text` names a PostgreSQL database (postgresql:// or postgres://)
// rather than a data directory.
bool IsConnectionUri(std::string_view text);

// `conninfo` with any password replaced by "***", for messages and logs.
std::string Redacted(std::string_view conninfo);

}  // namespace dala::server::pg
