// The storage floor of a sync: what it costs this machine's SQLite to
// store the rows a sync leaves behind, with nothing else done.
//
// The server, for each accepted revision, verifies a signature, checks
// the answers against their form and works out the record's state; then
// it stores the envelope (the log) and the record's row, with their
// indexes, one durable transaction per batch. This program does only the
// last part, in one of two ways:
//
// - a first sync: it reads the envelopes and submissions of a server
//   database that a first sync filled, and inserts the same rows, in log
//   order, into a new database with the same tables and indexes, one
//   transaction per `--batch` log entries;
// - one later sync (`--changes-before`): given a copy of the server's
//   database taken just before that sync (`--snapshot`) and the database
//   after it, it appends the sync's envelopes and writes each record row
//   the sync changed, setting only the columns that differ (as the server
//   does) or inserting a new record's row, into a copy of the snapshot,
//   in one transaction. Its SQLite holds every page in its cache
//   beforehand (the server's holds 32 MiB), so this is below what any
//   store of these rows spends here, never above.
//
// Each database is opened as the server opens its own (WAL,
// synchronous=FULL), and each row is bound from memory and stepped
// through a prepared statement, as a store would.
//
// One Ed25519 verify per revision plus this is what no server that
// verifies and keeps these rows could spend less than, here:
// scripts/bench sets the server's CPU per revision beside it. The
// indicator counts and the rest of the record's state are left out on
// purpose: they are Dala's own work, and belong to the part above the
// floor.
//
// Usage: bench_store_floor --from SERVER_DB --dir EMPTY_DIR [--batch N] [--repeats R]
//        bench_store_floor --snapshot SERVER_DB --to NEW_FILE
//        bench_store_floor --changes-before SNAPSHOT --from SERVER_DB --dir EMPTY_DIR [--repeats R]
// Prints JSON on stdout (nothing for --snapshot).
#include <sqlite3.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.h"

using dala::bench::Die;
using dala::bench::NowSeconds;
using nlohmann::json;

namespace {

struct Db {
  sqlite3* handle = nullptr;
  explicit Db(const std::string& path, int flags) {
    if (sqlite3_open_v2(path.c_str(), &handle, flags, nullptr) != SQLITE_OK)
      Die("cannot open " + path + ": " + sqlite3_errmsg(handle));
  }
  ~Db() { sqlite3_close_v2(handle); }
  void Exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK)
      Die(sql.substr(0, 60) + ": " + (error ? error : "?"));
  }
  sqlite3_stmt* Prepare(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(handle, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      Die(sql.substr(0, 60) + ": " + sqlite3_errmsg(handle));
    return st;
  }
};

// One table's rows, each a copy of its column values, and the log index
// that puts each in a batch.
struct Table {
  std::string name;
  int columns = 0;
  std::vector<uint64_t> log_index;           // per row
  std::vector<std::vector<sqlite3_value*>> rows;
  ~Table() {
    for (auto& row : rows)
      for (sqlite3_value* v : row) sqlite3_value_free(v);
  }
};

void Load(Db& src, Table* t, const std::string& log_column, uint64_t after = 0) {
  sqlite3_stmt* st = src.Prepare("SELECT " + log_column + ", * FROM " + t->name + " WHERE " + log_column +
                                 " > ? ORDER BY " + log_column);
  sqlite3_bind_int64(st, 1, static_cast<sqlite3_int64>(after));
  t->columns = sqlite3_column_count(st) - 1;
  while (sqlite3_step(st) == SQLITE_ROW) {
    t->log_index.push_back(static_cast<uint64_t>(sqlite3_column_int64(st, 0)));
    std::vector<sqlite3_value*> row(t->columns);
    for (int c = 0; c < t->columns; ++c) row[c] = sqlite3_value_dup(sqlite3_column_value(st, c + 1));
    t->rows.push_back(std::move(row));
  }
  sqlite3_finalize(st);
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// As sql::Database::Open and SqliteStore open the server's database.
void OpenAsTheServer(Db& db) {
  db.Exec("PRAGMA journal_mode=WAL");
  db.Exec("PRAGMA synchronous=FULL");
  db.Exec("PRAGMA cache_size = -32768");
}

void Put(Db& db, sqlite3_stmt* st, const std::vector<sqlite3_value*>& row) {
  for (size_t c = 0; c < row.size(); ++c) sqlite3_bind_value(st, static_cast<int>(c + 1), row[c]);
  if (sqlite3_step(st) != SQLITE_DONE) Die(std::string("write: ") + sqlite3_errmsg(db.handle));
  sqlite3_reset(st);
}

sqlite3_stmt* PrepareInsert(Db& db, const Table& t) {
  std::string sql = "INSERT INTO " + t.name + " VALUES (";
  for (int c = 0; c < t.columns; ++c) sql += c == 0 ? "?" : ", ?";
  return db.Prepare(sql + ")");
}

json FirstSync(const std::string& from, const std::string& dir, uint64_t batch, int repeats) {
  Db src(from, SQLITE_OPEN_READONLY);
  std::vector<std::string> schema;
  {
    sqlite3_stmt* st = src.Prepare(
        "SELECT sql FROM sqlite_schema WHERE tbl_name IN ('envelopes', 'submissions') AND sql IS NOT NULL "
        "ORDER BY type = 'index', rowid");
    while (sqlite3_step(st) == SQLITE_ROW) schema.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
  }
  Table envelopes{"envelopes"}, submissions{"submissions"};
  Load(src, &envelopes, "log_index");
  Load(src, &submissions, "last_log_index");
  if (envelopes.rows.empty()) Die(from + " holds no envelopes");

  std::vector<double> cpu_us, wall_s;
  for (int r = 0; r < repeats; ++r) {
    const std::string path = dir + "/floor" + std::to_string(r) + ".db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    OpenAsTheServer(db);
    for (const std::string& sql : schema) db.Exec(sql);
    sqlite3_stmt* put_envelope = PrepareInsert(db, envelopes);
    sqlite3_stmt* put_submission = PrepareInsert(db, submissions);
    size_t next_submission = 0;
    const double cpu0 = CpuSeconds(), wall0 = NowSeconds();
    for (size_t e = 0; e < envelopes.rows.size();) {
      const uint64_t end = envelopes.log_index[e] + batch;
      db.Exec("BEGIN IMMEDIATE");
      for (; e < envelopes.rows.size() && envelopes.log_index[e] < end; ++e) Put(db, put_envelope, envelopes.rows[e]);
      for (; next_submission < submissions.rows.size() && submissions.log_index[next_submission] < end;
           ++next_submission)
        Put(db, put_submission, submissions.rows[next_submission]);
      db.Exec("COMMIT");
    }
    const double cpu = CpuSeconds() - cpu0, wall = NowSeconds() - wall0;
    sqlite3_finalize(put_envelope);
    sqlite3_finalize(put_submission);
    cpu_us.push_back(cpu * 1e6 / static_cast<double>(envelopes.rows.size()));
    wall_s.push_back(wall);
  }
  return {{"envelopes", envelopes.rows.size()},
          {"submissions", submissions.rows.size()},
          {"batch", batch},
          {"cpu_us_per_revision", dala::bench::Summary(cpu_us)},
          {"wall_s", dala::bench::Summary(wall_s)}};
}

// A consistent copy of a live server database (SQLite's online backup: the
// server may keep running), as one file in rollback-journal mode.
void Snapshot(const std::string& from, const std::string& to) {
  if (std::filesystem::exists(to)) Die(to + " exists already");
  Db src(from, SQLITE_OPEN_READONLY);
  {
    Db dst(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3_backup* backup = sqlite3_backup_init(dst.handle, "main", src.handle, "main");
    if (backup == nullptr) Die(std::string("backup of ") + from + ": " + sqlite3_errmsg(dst.handle));
    const int rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) Die(std::string("backup of ") + from + ": " + sqlite3_errstr(rc));
    dst.Exec("PRAGMA journal_mode=DELETE");
  }
}

bool SameValue(sqlite3_value* a, sqlite3_value* b) {
  const int type = sqlite3_value_type(a);
  if (type != sqlite3_value_type(b)) return false;
  switch (type) {
    case SQLITE_INTEGER: return sqlite3_value_int64(a) == sqlite3_value_int64(b);
    case SQLITE_FLOAT: return sqlite3_value_double(a) == sqlite3_value_double(b);
    case SQLITE_NULL: return true;
    default: {
      const int n = sqlite3_value_bytes(a);
      return n == sqlite3_value_bytes(b) && std::memcmp(sqlite3_value_blob(a), sqlite3_value_blob(b), n) == 0;
    }
  }
}

// One record row a sync wrote: an UPDATE of the columns that differ from
// the snapshot's row, or an INSERT of a row the snapshot did not have.
struct RowWrite {
  std::string sql;
  std::vector<sqlite3_value*> values;  // borrowed from the loaded table
  sqlite3_stmt* statement = nullptr;   // of the copy being written
};

int CacheMisses(Db& db) {
  int now = 0, highwater = 0;
  sqlite3_db_status(db.handle, SQLITE_DBSTATUS_CACHE_MISS, &now, &highwater, 0);
  return now;
}

json Changes(const std::string& before, const std::string& from, const std::string& dir, int repeats) {
  // Only the main file is copied for each repeat: commits still in a WAL
  // beside it would be left out, and the floor measured against an older
  // database than the one named.
  std::error_code no_wal;
  if (std::filesystem::file_size(before + "-wal", no_wal) > 0 && !no_wal)
    Die(before + " has commits in " + before + "-wal: take it with --snapshot");
  Db old_db(before, SQLITE_OPEN_READONLY);
  Db src(from, SQLITE_OPEN_READONLY);
  uint64_t last_before = 0;
  {
    sqlite3_stmt* st = old_db.Prepare("SELECT coalesce(max(log_index), 0) FROM envelopes");
    if (sqlite3_step(st) == SQLITE_ROW) last_before = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
  }
  Table envelopes{"envelopes"}, submissions{"submissions"};
  Load(src, &envelopes, "log_index", last_before);
  Load(src, &submissions, "last_log_index", last_before);
  if (envelopes.rows.empty()) Die(from + " holds no envelope after the last of " + before);

  std::vector<std::string> names;
  sqlite3_stmt* read_old = old_db.Prepare("SELECT * FROM submissions WHERE id = ?");
  for (int c = 0; c < sqlite3_column_count(read_old); ++c) names.emplace_back(sqlite3_column_name(read_old, c));
  if (static_cast<int>(names.size()) != submissions.columns || names.empty() || names[0] != "id")
    Die(before + " and " + from + " do not have the same submissions table");
  std::vector<RowWrite> writes;
  size_t updated = 0, inserted = 0;
  for (const auto& row : submissions.rows) {
    sqlite3_bind_value(read_old, 1, row[0]);
    RowWrite w;
    if (sqlite3_step(read_old) == SQLITE_ROW) {
      w.sql = "UPDATE submissions SET ";
      for (int c = 1; c < submissions.columns; ++c) {
        if (SameValue(sqlite3_column_value(read_old, c), row[c])) continue;
        w.sql += (w.values.empty() ? "" : ", ") + names[c] + " = ?";
        w.values.push_back(row[c]);
      }
      w.sql += " WHERE id = ?";
      w.values.push_back(row[0]);
      if (w.values.size() == 1) {  // the same row: nothing to write
        sqlite3_reset(read_old);
        continue;
      }
      ++updated;
    } else {
      w.sql = "INSERT INTO submissions VALUES (";
      for (int c = 0; c < submissions.columns; ++c) w.sql += c == 0 ? "?" : ", ?";
      w.sql += ")";
      w.values = row;
      ++inserted;
    }
    sqlite3_reset(read_old);
    writes.push_back(std::move(w));
  }
  sqlite3_finalize(read_old);

  std::vector<double> cpu_ms, wall_ms, misses;
  for (int r = 0; r < repeats; ++r) {
    const std::string path = dir + "/changes" + std::to_string(r) + ".db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    std::filesystem::copy_file(before, path);
    // The copy's pages on disk first, so that the commit's sync waits for
    // the WAL alone (ext4 would otherwise write the copy with it).
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0 || ::fsync(fd) != 0) Die("cannot sync " + path);
    ::close(fd);
    Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
    OpenAsTheServer(db);
    // Every page in SQLite's own cache first: a lower bound, whatever the
    // server's cache held.
    db.Exec("PRAGMA cache_size = -2097152");
    db.Exec("PRAGMA quick_check");
    // The server's WAL file has held commits before and is written over
    // from its start; a new one would make the sync allocate its blocks.
    // (The table stays: dropping it would hand its pages to the writes.)
    db.Exec("CREATE TABLE wal_room(b BLOB)");
    db.Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) "
            "INSERT INTO wal_room SELECT zeroblob(3500) FROM n");
    db.Exec("PRAGMA wal_checkpoint(RESTART)");
    sqlite3_stmt* put_envelope = PrepareInsert(db, envelopes);
    // A store keeps one prepared statement per shape of write.
    std::vector<std::pair<std::string, sqlite3_stmt*>> prepared;
    for (RowWrite& w : writes) {
      auto same = std::find_if(prepared.begin(), prepared.end(), [&](const auto& p) { return p.first == w.sql; });
      w.statement = same != prepared.end() ? same->second : prepared.emplace_back(w.sql, db.Prepare(w.sql)).second;
    }
    const int misses0 = CacheMisses(db);
    const double cpu0 = CpuSeconds(), wall0 = NowSeconds();
    db.Exec("BEGIN IMMEDIATE");
    for (const auto& row : envelopes.rows) Put(db, put_envelope, row);
    for (const RowWrite& w : writes) Put(db, w.statement, w.values);
    db.Exec("COMMIT");
    const double cpu = CpuSeconds() - cpu0, wall = NowSeconds() - wall0;
    misses.push_back(CacheMisses(db) - misses0);
    sqlite3_finalize(put_envelope);
    for (auto& [text, st] : prepared) sqlite3_finalize(st);
    cpu_ms.push_back(cpu * 1e3);
    wall_ms.push_back(wall * 1e3);
  }
  return {{"envelopes", envelopes.rows.size()},
          {"rows_updated", updated},
          {"rows_inserted", inserted},
          {"cpu_ms", dala::bench::Summary(cpu_ms)},
          {"wall_ms", dala::bench::Summary(wall_ms)},
          {"cache_misses", dala::bench::Summary(misses)}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string from, dir, snapshot_to, before;
  bool snapshot = false;
  uint64_t batch = 1000;
  int repeats = 3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--from") from = value();
    else if (a == "--dir") dir = value();
    else if (a == "--batch") batch = dala::bench::FlagNumber<uint64_t>(a, value());
    else if (a == "--repeats") repeats = dala::bench::FlagNumber<int>(a, value());
    else if (a == "--snapshot") { snapshot = true; from = value(); }
    else if (a == "--to") snapshot_to = value();
    else if (a == "--changes-before") before = value();
    else Die("unknown argument " + a);
  }
  if (snapshot) {
    if (from.empty() || snapshot_to.empty()) Die("usage: bench_store_floor --snapshot SERVER_DB --to NEW_FILE");
    Snapshot(from, snapshot_to);
    return 0;
  }
  if (from.empty() || dir.empty() || batch == 0 || repeats < 1)
    Die("usage: bench_store_floor [--changes-before SNAPSHOT] --from SERVER_DB --dir EMPTY_DIR [--batch N] [--repeats R]");
  const json out = before.empty() ? FirstSync(from, dir, batch, repeats) : Changes(before, from, dir, repeats);
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
