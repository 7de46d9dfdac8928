#include "pg.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>

namespace dala::server::pg {

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether PREPARE takes `sql`: a plain query, not a utility statement
// such as DECLARE, SET or SAVEPOINT.
bool Preparable(std::string_view sql) {
  size_t i = sql.find_first_not_of(" \t\n");
  if (i == std::string_view::npos) return false;
  for (std::string_view word : {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}) {
    if (sql.size() - i < word.size()) continue;
    bool same = true;
    for (size_t k = 0; k < word.size() && same; ++k)
      same = (sql[i + k] & ~0x20) == word[k];
    if (same) return true;
  }
  return false;
}

std::string Trimmed(const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

}  // namespace

// --- Params ------------------------------------------------------------------------

Params& Params::Int(int64_t value) {
  values_.push_back(std::to_string(value));
  null_.push_back(false);
  binary_.push_back(0);
  return *this;
}

Params& Params::Text(std::string_view text) {
  values_.emplace_back(text);
  null_.push_back(false);
  binary_.push_back(0);
  return *this;
}

Params& Params::Bytes(std::string_view bytes) {
  values_.emplace_back(bytes);
  null_.push_back(false);
  binary_.push_back(1);
  return *this;
}

Params& Params::Null() {
  values_.emplace_back();
  null_.push_back(true);
  binary_.push_back(0);
  return *this;
}

Params& Params::Bool(bool value) { return Text(value ? "true" : "false"); }

// --- Rows ------------------------------------------------------------------------------

void Rows::Clear::operator()(pg_result* r) const { PQclear(r); }

Rows::Rows(pg_result* result) : result_(result) {}

int Rows::size() const { return result_ ? PQntuples(result_.get()) : 0; }

int64_t Rows::affected() const {
  if (!result_) return 0;
  const char* n = PQcmdTuples(result_.get());
  return (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
}

bool Rows::IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }

int64_t Rows::Int(int row, int column) const {
  if (IsNull(row, column)) return 0;
  const char* v = PQgetvalue(result_.get(), row, column);
  // Booleans come back as "t" and "f".
  if (v[0] == 't' && v[1] == '\0') return 1;
  if (v[0] == 'f' && v[1] == '\0') return 0;
  return std::strtoll(v, nullptr, 10);
}

std::string Rows::Text(int row, int column) const {
  if (IsNull(row, column)) return {};
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<size_t>(PQgetlength(result_.get(), row, column)));
}

std::string Rows::Bytes(int row, int column) const {
  if (IsNull(row, column)) return {};
  const char* v = PQgetvalue(result_.get(), row, column);
  size_t n = static_cast<size_t>(PQgetlength(result_.get(), row, column));
  // bytea_output = hex (the default since 9.0): "\x" then two digits a byte.
  if (n < 2 || v[0] != '\\' || v[1] != 'x') return std::string(v, n);
  std::string out;
  out.reserve((n - 2) / 2);
  for (size_t i = 2; i + 1 < n; i += 2) {
    int hi = HexDigit(v[i]), lo = HexDigit(v[i + 1]);
    if (hi < 0 || lo < 0) break;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

Status Rows::WrongSize(int column, size_t expected, size_t got, std::string_view what) const {
  const char* name = result_ ? PQfname(result_.get(), column) : nullptr;
  return Status::Corruption(std::string(what) + ": column " + (name ? name : "?") + " holds " + std::to_string(got) +
                            " bytes, not " + std::to_string(expected));
}

// --- Connection ------------------------------------------------------------------

void Connection::Finish::operator()(pg_conn* c) const { PQfinish(c); }

Connection::~Connection() = default;

Result<Connection> Connection::Open(const std::string& conninfo) {
  pg_conn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return Status::ResourceExhausted("libpq could not allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string m = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Status(Status::Code::kUnavailable, "database_unavailable",
                  "cannot connect to PostgreSQL at " + Redacted(conninfo) + ": " + m);
  }
  Connection c(conn);
  // Messages in English whatever the server's locale, and no notices on
  // stderr (CREATE TABLE IF NOT EXISTS says "already exists, skipping").
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  DALA_RETURN_IF_ERROR(c.Exec("SET client_encoding = 'UTF8'; SET lc_messages = 'C'; SET bytea_output = 'hex'"));
  return c;
}

Status Connection::Failure(pg_result* result, std::string_view sql) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state ? state : "";
  std::string m = Trimmed(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_.get()));
  if (m.empty()) m = Trimmed(PQerrorMessage(conn_.get()));
  if (result) PQclear(result);
  // Every integrity violation, as SQLite's SQLITE_CONSTRAINT is (base/sqlite.cc).
  if (last_sqlstate_ == kUniqueViolation || last_sqlstate_.rfind("23", 0) == 0) return Status::AlreadyExists(m);
  if (last_sqlstate_ == kSerializationFailure || last_sqlstate_ == kDeadlockDetected)
    return Status(Status::Code::kUnavailable, "database_busy", m);
  if (PQstatus(conn_.get()) != CONNECTION_OK)
    return Status(Status::Code::kUnavailable, "database_unavailable", "lost the PostgreSQL connection: " + m);
  std::string head(sql.substr(0, 80));
  return Status::Internal("PostgreSQL: " + m + " (in: " + head + (sql.size() > 80 ? "..." : "") + ")");
}

Status Connection::Exec(std::string_view sql) {
  last_sqlstate_.clear();
  std::string text(sql);
  pg_result* r = PQexec(conn_.get(), text.c_str());
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Failure(r, sql);
  PQclear(r);
  return Status::Ok();
}

Result<const std::string*> Connection::PreparedName(const std::string& sql, int params) {
  if (!Preparable(sql)) return nullptr;
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    if (prepared_.size() < kMaxPrepared) prepared_.emplace(sql, std::string());
    return nullptr;
  }
  if (!it->second.empty()) return &it->second;
  std::string name = "dala_s" + std::to_string(++prepared_count_);
  pg_result* r = PQprepare(conn_.get(), name.c_str(), sql.c_str(), params, nullptr);
  if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) return Failure(r, sql);
  PQclear(r);
  it->second = std::move(name);
  return &it->second;
}

Result<Rows> Connection::Query(std::string_view sql, const Params& params) {
  last_sqlstate_.clear();
  std::string text(sql);
  size_t n = params.values_.size();
  std::vector<const char*> values(n);
  std::vector<int> lengths(n);
  for (size_t i = 0; i < n; ++i) {
    values[i] = params.null_[i] ? nullptr : params.values_[i].data();
    lengths[i] = static_cast<int>(params.values_[i].size());
  }
  DALA_ASSIGN_OR_RETURN(const std::string* name, PreparedName(text, static_cast<int>(n)));
  pg_result* r = name != nullptr
                     ? PQexecPrepared(conn_.get(), name->c_str(), static_cast<int>(n), values.data(), lengths.data(),
                                      params.binary_.data(), /*resultFormat=*/0)
                     : PQexecParams(conn_.get(), text.c_str(), static_cast<int>(n), nullptr, values.data(),
                                    lengths.data(), params.binary_.data(), /*resultFormat=*/0);
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Failure(r, sql);
  return Rows(r);
}

bool Connection::Healthy() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

Status Connection::Reset() {
  PQreset(conn_.get());
  // A new session: what was prepared on the old one is gone.
  prepared_.clear();
  if (!Healthy())
    return Status(Status::Code::kUnavailable, "database_unavailable",
                  "cannot reconnect to PostgreSQL: " + Trimmed(PQerrorMessage(conn_.get())));
  return Exec("SET client_encoding = 'UTF8'; SET lc_messages = 'C'; SET bytea_output = 'hex'");
}

bool Connection::InTransactionBlock() const {
  if (!conn_) return false;
  PGTransactionStatusType t = PQtransactionStatus(conn_.get());
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

bool Connection::TransactionFailed() const { return conn_ && PQtransactionStatus(conn_.get()) == PQTRANS_INERROR; }

bool IsConnectionUri(std::string_view text) {
  return text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0;
}

std::string Redacted(std::string_view conninfo) {
  std::string s(conninfo);
  if (IsConnectionUri(s)) {
    // postgresql://user:secret@host/db: the password sits between the
    // first ':' after the scheme and the '@'.
    size_t scheme = s.find("://") + 3;
    size_t at = s.find('@', scheme);
    size_t colon = s.find(':', scheme);
    if (at != std::string::npos && colon != std::string::npos && colon < at)
      s.replace(colon + 1, at - colon - 1, "***");
  }
  size_t p = s.find("password=");
  if (p != std::string::npos) {
    size_t end = s.find_first_of(" &", p);
    s.replace(p + 9, (end == std::string::npos ? s.size() : end) - p - 9, "***");
  }
  return s;
}

}  // namespace dala::server::pg
