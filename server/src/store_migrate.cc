#include "store_migrate.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>

#include "admin_control.h"
#include "dala/base/hex.h"
#include "dala/base/sqlite.h"
#include "dala/server/postgres_store.h"
#include "dala/server/sqlite_store.h"
#include "dala/server/store.h"
#include "dala/sync/merkle.h"
#include "pg.h"

namespace dala::server {

namespace {

// A batch is one INSERT of many rows: few round trips, and never more
// than one batch of a table in memory (envelopes run to 100,000s of rows
// of up to a few KiB each).
constexpr size_t kBatchRows = 500;
constexpr size_t kBatchBytes = 4u << 20;
constexpr size_t kBatchParams = 30000;  // PostgreSQL takes at most 65535

// SQLite's own tables, and the ones whose rows must not move:
//   indicator_counts_pending  SQLite's marker that the counts are still to
//                             fill; opening the store first fills them, so
//                             it is empty when the copy reads it.
//   request_nonces            a SQLite deployment's one node keeps its
//                             nonces in memory, and a nonce guards only
//                             until it expires, minutes after its request;
//                             the server is stopped for the copy, which
//                             is longer than that.
bool StaysBehind(std::string_view table) {
  return table.rfind("sqlite_", 0) == 0 || table == "indicator_counts_pending" || table == "request_nonces";
}

// How a column's values travel, from PostgreSQL's type.
enum class Kind { kInt, kBool, kText, kBytes };

struct Column {
  std::string name;
  Kind kind = Kind::kText;
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  bool has_identity = false;  // an INSERT of its ids needs OVERRIDING SYSTEM VALUE
};

std::string Quoted(std::string_view name) {
  std::string q = "\"";
  for (char c : name) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// SQLite's type affinity of a declared type (https://sqlite.org/datatype3.html, 3.1).
std::string_view Affinity(std::string declared) {
  for (char& c : declared) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (declared.find("INT") != std::string::npos) return "integer";
  if (declared.find("CHAR") != std::string::npos || declared.find("CLOB") != std::string::npos ||
      declared.find("TEXT") != std::string::npos)
    return "text";
  if (declared.empty() || declared.find("BLOB") != std::string::npos) return "blob";
  return "numeric";
}

std::optional<Kind> KindOf(std::string_view pg_type) {
  if (pg_type == "bigint" || pg_type == "integer" || pg_type == "smallint") return Kind::kInt;
  if (pg_type == "boolean") return Kind::kBool;
  if (pg_type == "text" || pg_type == "character varying" || pg_type == "character") return Kind::kText;
  if (pg_type == "bytea") return Kind::kBytes;
  return std::nullopt;
}

bool Fits(std::string_view affinity, Kind kind) {
  switch (kind) {
    case Kind::kInt:
    case Kind::kBool: return affinity == "integer";
    case Kind::kText: return affinity == "text";
    case Kind::kBytes: return affinity == "blob";
  }
  return false;
}

// Whether a value SQLite stored as `storage` (typeof) may go into a
// column of `kind`. Bytes may have been bound as text by hand; anything
// else is a damaged row, which must not arrive as a 0 or an empty string.
bool Holds(std::string_view storage, Kind kind) {
  switch (kind) {
    case Kind::kInt:
    case Kind::kBool: return storage == "integer";
    case Kind::kText: return storage == "text";
    case Kind::kBytes: return storage == "blob" || storage == "text";
  }
  return false;
}

// The tables to copy, in the order SQLite created them but those that
// foreign keys name first, with the columns and kinds both databases
// agree on; FailedPrecondition naming every difference.
Result<std::vector<Table>> MatchTables(sql::Database& sqlite, pg::Connection& pg, const std::string& data_dir) {
  std::vector<std::string> names;
  {
    DALA_ASSIGN_OR_RETURN(auto st, sqlite.Prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY rowid"));
    while (true) {
      DALA_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      names.push_back(st.ColumnText(0));
    }
  }
  // The target's columns: name -> (type, identity), by table.
  struct PgColumn {
    std::string type;
    bool identity = false;
  };
  std::map<std::string, std::map<std::string, PgColumn>> target;
  {
    DALA_ASSIGN_OR_RETURN(pg::Rows rows, pg.Query("SELECT table_name, column_name, data_type, is_identity "
                                                 "FROM information_schema.columns "
                                                 "WHERE table_schema = current_schema()"));
    for (int r = 0; r < rows.size(); ++r)
      target[rows.Text(r, 0)][rows.Text(r, 1)] = {rows.Text(r, 2), rows.Text(r, 3) == "YES"};
  }

  std::vector<Table> tables;
  std::vector<std::string> problems;
  for (const std::string& name : names) {
    if (StaysBehind(name)) continue;
    auto pg_table = target.find(name);
    if (pg_table == target.end()) {
      problems.push_back("PostgreSQL has no table " + name);
      continue;
    }
    Table table{name, {}, false};
    std::set<std::string> seen;
    DALA_ASSIGN_OR_RETURN(auto st, sqlite.Prepare("SELECT name, type FROM pragma_table_info(?) ORDER BY cid"));
    st.Bind(1, std::string_view(name));
    while (true) {
      DALA_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      std::string column = st.ColumnText(0), declared = st.ColumnText(1);
      seen.insert(column);
      auto pg_column = pg_table->second.find(column);
      if (pg_column == pg_table->second.end()) {
        problems.push_back(name + "." + column + " is missing in PostgreSQL");
        continue;
      }
      std::optional<Kind> kind = KindOf(pg_column->second.type);
      if (!kind || !Fits(Affinity(declared), *kind)) {
        problems.push_back(name + "." + column + " is " + declared + " in SQLite but " + pg_column->second.type +
                           " in PostgreSQL");
        continue;
      }
      table.has_identity = table.has_identity || pg_column->second.identity;
      table.columns.push_back({column, *kind});
    }
    for (const auto& [column, unused] : pg_table->second)
      if (seen.count(column) == 0) problems.push_back(name + "." + column + " is in PostgreSQL only");
    tables.push_back(std::move(table));
  }
  // Tables other tables' foreign keys point to go first, whatever order
  // a rebuilt SQLite file lists them in (one level: sessions -> users is
  // the only chain).
  {
    DALA_ASSIGN_OR_RETURN(pg::Rows referenced, pg.Query("SELECT DISTINCT c.relname FROM pg_constraint f "
                                                       "JOIN pg_class c ON c.oid = f.confrelid "
                                                       "WHERE f.contype = 'f' AND f.connamespace = "
                                                       "current_schema()::regnamespace"));
    std::set<std::string> first;
    for (int r = 0; r < referenced.size(); ++r) first.insert(referenced.Text(r, 0));
    std::stable_partition(tables.begin(), tables.end(), [&](const Table& t) { return first.count(t.name) > 0; });
  }
  if (!problems.empty()) {
    return Status::FailedPrecondition("the PostgreSQL database's tables differ from those of " + data_dir +
                                      "/dala-server.db (" + Joined(problems) +
                                      "); is one of them from another dala-server version?");
  }
  return tables;
}

// FailedPrecondition naming the tables that hold rows, if any do.
Status RefuseIfNotEmpty(pg::Connection& pg, const std::vector<Table>& tables, const std::string& conninfo) {
  std::vector<std::string> holding;
  for (const Table& t : tables) {
    DALA_ASSIGN_OR_RETURN(pg::Rows rows, pg.Query("SELECT EXISTS (SELECT 1 FROM " + Quoted(t.name) + ")"));
    if (rows.Int(0, 0) != 0) holding.push_back(t.name);
  }
  if (holding.empty()) return Status::Ok();
  return Status(Status::Code::kFailedPrecondition, "target_not_empty",
                "the PostgreSQL database " + pg::Redacted(conninfo) + " is not empty (" + Joined(holding) +
                    " hold rows): migrate into a new, empty database");
}

// One INSERT of many rows of one table.
class Batch {
 public:
  Batch(pg::Connection& pg, const Table& table) : pg_(pg), table_(table) {
    std::vector<std::string> names;
    for (const Column& c : table.columns) names.push_back(Quoted(c.name));
    head_ = "INSERT INTO " + Quoted(table.name) + " (" + Joined(names) + ")" +
            (table.has_identity ? " OVERRIDING SYSTEM VALUE" : "") + " VALUES ";
  }

  pg::Params& params() { return params_; }
  void RowAdded(size_t bytes) {
    ++rows_;
    bytes_ += bytes;
  }
  bool Full() const {
    return rows_ >= kBatchRows || bytes_ >= kBatchBytes || params_.size() + table_.columns.size() > kBatchParams;
  }

  // Writes the rows held; `first_row` is the first one's number in the
  // table, for the message when PostgreSQL refuses one.
  Status Flush(uint64_t first_row) {
    if (rows_ == 0) return Status::Ok();
    std::string sql = head_;
    size_t n = 0;
    for (size_t r = 0; r < rows_; ++r) {
      sql += r == 0 ? "(" : ", (";
      for (size_t c = 0; c < table_.columns.size(); ++c) sql += (c == 0 ? "$" : ", $") + std::to_string(++n);
      sql += ")";
    }
    auto done = pg_.Query(sql, params_);
    if (!done.ok()) {
      return done.status().WithContext("copying " + table_.name + " (rows " + std::to_string(first_row + 1) + " to " +
                                       std::to_string(first_row + rows_) + ")");
    }
    params_ = pg::Params();
    rows_ = 0;
    bytes_ = 0;
    return Status::Ok();
  }

 private:
  pg::Connection& pg_;
  const Table& table_;
  std::string head_;
  pg::Params params_;
  size_t rows_ = 0;
  size_t bytes_ = 0;
};

// Copies every row of `table`; the number copied.
Result<uint64_t> CopyTable(sql::Database& sqlite, pg::Connection& pg, const Table& table) {
  std::vector<std::string> selected;
  for (const Column& c : table.columns) selected.push_back(Quoted(c.name));
  for (const Column& c : table.columns) selected.push_back("typeof(" + Quoted(c.name) + ")");
  DALA_ASSIGN_OR_RETURN(auto st, sqlite.Prepare("SELECT " + Joined(selected) + " FROM " + Quoted(table.name)));
  const int n = static_cast<int>(table.columns.size());
  Batch batch(pg, table);
  uint64_t copied = 0, flushed = 0;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    size_t bytes = 0;
    pg::Params& p = batch.params();
    for (int c = 0; c < n; ++c) {
      const Column& column = table.columns[static_cast<size_t>(c)];
      std::string storage = st.ColumnText(n + c);
      if (storage == "null") {
        p.Null();
        continue;
      }
      if (!Holds(storage, column.kind)) {
        return Status::Corruption("row " + std::to_string(copied + 1) + " of " + table.name + " holds " + storage +
                                  " in " + column.name + ", which is no value of its type; nothing was copied");
      }
      switch (column.kind) {
        case Kind::kInt: p.Int(st.ColumnInt(c)); break;
        case Kind::kBool: p.Bool(st.ColumnInt(c) != 0); break;
        case Kind::kText: {
          std::string text = st.ColumnText(c);
          bytes += text.size();
          p.Text(text);
          break;
        }
        case Kind::kBytes: {
          std::string blob = st.ColumnBlob(c);
          bytes += blob.size();
          p.Bytes(blob);
          break;
        }
      }
      bytes += 8;
    }
    batch.RowAdded(bytes);
    ++copied;
    if (batch.Full()) {
      DALA_RETURN_IF_ERROR(batch.Flush(flushed));
      flushed = copied;
    }
  }
  DALA_RETURN_IF_ERROR(batch.Flush(flushed));
  return copied;
}

// Moves each sequence behind a copied column (users.id, outbox.id) past the
// largest value copied, so that the next row PostgreSQL numbers does not
// take an id already given.
Status MoveSequences(pg::Connection& pg, const Table& table) {
  for (const Column& c : table.columns) {
    if (c.kind != Kind::kInt) continue;
    DALA_ASSIGN_OR_RETURN(pg::Rows seq, pg.Query("SELECT pg_get_serial_sequence($1, $2)",
                                                 pg::Params().Text(Quoted(table.name)).Text(c.name)));
    if (seq.empty() || seq.IsNull(0, 0)) continue;
    DALA_RETURN_IF_ERROR(pg.Query("SELECT setval($1::regclass, m) FROM (SELECT max(" + Quoted(c.name) + ") AS m FROM " +
                                      Quoted(table.name) + ") AS copied WHERE m IS NOT NULL",
                                  pg::Params().Text(seq.Text(0, 0)))
                             .status());
  }
  return Status::Ok();
}

// What the checks compare, as a Store answers it.
struct Facts {
  uint64_t log_size = 0;
  sync::Hash root{};
  std::optional<std::pair<uint64_t, std::string>> checkpoint;
  uint64_t users = 0, devices = 0, submissions = 0;
};

Result<Facts> FactsOf(Store& store) {
  Facts f;
  DALA_ASSIGN_OR_RETURN(f.log_size, store.LogSize());
  sync::MerkleTree tree;
  bool in_order = true;
  DALA_RETURN_IF_ERROR(store.ForEachLeafHash(0, [&](uint64_t index, const sync::Hash& leaf) {
    in_order = in_order && index == tree.size();
    tree.AppendLeafHash(leaf);
  }));
  if (!in_order) return Status::Corruption("the log's leaves do not come in index order");
  if (tree.size() != f.log_size) {
    return Status::Corruption("the log holds " + std::to_string(tree.size()) + " leaves but says its size is " +
                              std::to_string(f.log_size));
  }
  f.root = tree.Root();
  DALA_ASSIGN_OR_RETURN(f.checkpoint, store.LastCheckpoint());
  DALA_ASSIGN_OR_RETURN(auto users, store.ListUsers());
  f.users = users.size();
  DALA_ASSIGN_OR_RETURN(auto devices, store.ListDevices());
  f.devices = devices.size();
  DALA_ASSIGN_OR_RETURN(f.submissions, store.CountSubmissions(SubmissionFilter{}));
  return f;
}

std::string CheckpointText(const std::optional<std::pair<uint64_t, std::string>>& cp) {
  return cp ? "size " + std::to_string(cp->first) : std::string("none");
}

Status Compare(const Facts& from, const Facts& to) {
  std::vector<std::string> differ;
  auto number = [&](const char* what, uint64_t a, uint64_t b) {
    if (a != b) differ.push_back(std::string(what) + " " + std::to_string(a) + " in SQLite, " + std::to_string(b) +
                                 " in PostgreSQL");
  };
  number("log size", from.log_size, to.log_size);
  if (from.root != to.root)
    differ.push_back("log root " + ToHex(from.root) + " in SQLite, " + ToHex(to.root) + " in PostgreSQL");
  if (from.checkpoint != to.checkpoint) {
    bool same_size = from.checkpoint && to.checkpoint && from.checkpoint->first == to.checkpoint->first;
    differ.push_back("last checkpoint " + CheckpointText(from.checkpoint) + " in SQLite, " +
                     CheckpointText(to.checkpoint) + " in PostgreSQL" + (same_size ? " (their notes differ)" : ""));
  }
  number("users", from.users, to.users);
  number("devices", from.devices, to.devices);
  number("submissions", from.submissions, to.submissions);
  if (differ.empty()) return Status::Ok();
  return Status::Corruption("the copy differs from the original: " + Joined(differ));
}

Result<MigrationReport> CopyAndCheck(const std::string& data_dir, const std::string& conninfo,
                                     std::ostream& progress) {
  // As the server opens it: the current schema, the indicator counts
  // filled, and a Dala database at all.
  { DALA_RETURN_IF_ERROR(OpenSqliteStore(data_dir, /*create=*/false).status()); }

  // The schema, if the database has none yet; then our own connection,
  // with which the copy is one transaction.
  DALA_RETURN_IF_ERROR(OpenPostgresStore(conninfo, /*create=*/true).status());
  DALA_ASSIGN_OR_RETURN(pg::Connection pg, pg::Connection::Open(conninfo));

  DALA_ASSIGN_OR_RETURN(sql::Database sqlite,
                        sql::Database::Open(data_dir + "/dala-server.db", {sql::OpenMode::kReadOnly}));
  // One read transaction for everything read: no table from before and
  // another from after some write, whoever might write.
  DALA_RETURN_IF_ERROR(sqlite.Exec("BEGIN"));
  DALA_RETURN_IF_ERROR(sqlite.Exec("SELECT count(*) FROM sqlite_schema"));
  {
    DALA_ASSIGN_OR_RETURN(auto st, sqlite.Prepare("SELECT count(*) FROM indicator_counts_pending"));
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row && st.ColumnInt(0) != 0)
      return Status::Internal("the indicator counts of " + data_dir + " are still to fill after opening it");
  }

  DALA_ASSIGN_OR_RETURN(std::vector<Table> tables, MatchTables(sqlite, pg, data_dir));

  MigrationReport report;
  DALA_RETURN_IF_ERROR(pg.Exec("BEGIN ISOLATION LEVEL SERIALIZABLE"));
  // Rolled back on every early return below: the target stays as it was.
  struct Rollback {
    pg::Connection& pg;
    bool committed = false;
    ~Rollback() {
      if (!committed) (void)pg.Exec("ROLLBACK");
    }
  } rollback{pg};

  {
    // Another migration, or a server started on the target meanwhile,
    // waits for this one rather than writing between its check and copy.
    std::vector<std::string> names;
    for (const Table& t : tables) names.push_back(Quoted(t.name));
    DALA_RETURN_IF_ERROR(pg.Exec("LOCK TABLE " + Joined(names) + " IN EXCLUSIVE MODE"));
  }
  DALA_RETURN_IF_ERROR(RefuseIfNotEmpty(pg, tables, conninfo));

  for (const Table& t : tables) {
    DALA_ASSIGN_OR_RETURN(uint64_t rows, CopyTable(sqlite, pg, t));
    DALA_RETURN_IF_ERROR(MoveSequences(pg, t));
    progress << "  " << t.name << ": " << rows << (rows == 1 ? " row" : " rows") << "\n";
    report.tables.emplace_back(t.name, rows);
  }
  // The counts came complete from SQLite: nothing is left for
  // PostgresStore to fill from the records, if it keeps such a marker.
  {
    DALA_ASSIGN_OR_RETURN(pg::Rows marker, pg.Query("SELECT to_regclass('indicator_counts_pending') IS NOT NULL"));
    if (marker.Int(0, 0) != 0) DALA_RETURN_IF_ERROR(pg.Exec("DELETE FROM indicator_counts_pending"));
  }
  DALA_RETURN_IF_ERROR(pg.Exec("COMMIT"));
  rollback.committed = true;
  (void)sqlite.Exec("COMMIT");  // a read transaction: nothing to lose

  // The check reads each store as the server will, through Store.
  DALA_ASSIGN_OR_RETURN(auto from_store, OpenSqliteStore(data_dir, /*create=*/false));
  DALA_ASSIGN_OR_RETURN(Facts from, FactsOf(*from_store));
  from_store.reset();
  DALA_ASSIGN_OR_RETURN(auto to_store, OpenPostgresStore(conninfo, /*create=*/false));
  DALA_ASSIGN_OR_RETURN(Facts to, FactsOf(*to_store));
  if (Status same = Compare(from, to); !same.ok()) {
    return same.WithContext("the copy into " + pg::Redacted(conninfo) +
                            " is committed but does not match; drop that database before trying again");
  }
  report.log_size = to.log_size;
  report.root = to.root;
  if (to.checkpoint) report.checkpoint_size = to.checkpoint->first;
  report.users = to.users;
  report.devices = to.devices;
  report.submissions = to.submissions;
  return report;
}

}  // namespace

Result<MigrationReport> MigrateSqliteToPostgres(const std::string& data_dir, const std::string& conninfo,
                                                std::ostream& progress) {
  if (data_dir.empty()) return Status::InvalidArgument("name the data directory to copy with --from DIR");
  if (conninfo.empty()) return Status::InvalidArgument("name the PostgreSQL database with --to postgresql://...");
  // Held until the check is done: no server starts on DIR meanwhile, and
  // none may be running, since what it accepted after the copy would be
  // in SQLite only.
  std::string holder;
  long pid = 0;
  auto lock = DataDirLock::TryAcquire(data_dir, kCommandRole, &holder, &pid);
  if (!lock.ok()) {
    if (lock.status().reason() == "data_dir_busy" && holder == kServeRole) {
      return Status(Status::Code::kFailedPrecondition, "data_dir_busy",
                    "a server is running on " + data_dir + " (pid " + std::to_string(pid) +
                        "): stop it first, since records it accepted after the copy would not be in PostgreSQL");
    }
    return lock.status();
  }
  return CopyAndCheck(data_dir, conninfo, progress);
}

}  // namespace dala::server
