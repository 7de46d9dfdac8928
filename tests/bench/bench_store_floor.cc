// The storage floor of a first sync: what it costs this machine's SQLite
// to store the rows a first sync leaves behind, with nothing else done.
//
// The server, for each accepted revision, verifies a signature, checks
// the answers against their form and works out the record's state; then
// it stores the envelope (the log) and the record's row, with their
// indexes, one durable transaction per batch. This program does only the
// last part: it reads the envelopes and submissions of a server database
// that a first sync filled, and inserts the same rows, in log order, into
// a new database with the same tables and indexes, opened as the server
// opens its own (WAL, synchronous=FULL, the same page cache), one
// transaction per `--batch` log entries. Each row is bound from memory
// and stepped through one prepared statement, as a store would.
//
// One Ed25519 verify plus this is what no server that verifies and keeps
// these rows could spend less than, here: scripts/bench sets the server's
// CPU per revision beside it. The indicator counts and the rest of the
// record's state are left out on purpose: they are Dala's own work, and
// belong to the part above the floor.
//
// Usage: bench_store_floor --from SERVER_DB --dir EMPTY_DIR [--batch N] [--repeats R]
// Prints JSON on stdout.
#include <sqlite3.h>
#include <sys/resource.h>

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

void Load(Db& src, Table* t, const std::string& log_column) {
  sqlite3_stmt* st =
      src.Prepare("SELECT " + log_column + ", * FROM " + t->name + " ORDER BY " + log_column);
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

}  // namespace

int main(int argc, char** argv) {
  std::string from, dir;
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
    else if (a == "--batch") batch = std::stoull(value());
    else if (a == "--repeats") repeats = std::stoi(value());
    else Die("unknown argument " + a);
  }
  if (from.empty() || dir.empty() || batch == 0 || repeats < 1)
    Die("usage: bench_store_floor --from SERVER_DB --dir EMPTY_DIR [--batch N] [--repeats R]");

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
    // As sql::Database::Open and SqliteStore open the server's database.
    db.Exec("PRAGMA journal_mode=WAL");
    db.Exec("PRAGMA synchronous=FULL");
    db.Exec("PRAGMA cache_size = -32768");
    for (const std::string& sql : schema) db.Exec(sql);
    auto insert = [&](const Table& t) {
      std::string sql = "INSERT INTO " + t.name + " VALUES (";
      for (int c = 0; c < t.columns; ++c) sql += c == 0 ? "?" : ", ?";
      return db.Prepare(sql + ")");
    };
    sqlite3_stmt* put_envelope = insert(envelopes);
    sqlite3_stmt* put_submission = insert(submissions);
    size_t next_submission = 0;
    const double cpu0 = CpuSeconds(), wall0 = NowSeconds();
    for (size_t e = 0; e < envelopes.rows.size();) {
      const uint64_t end = envelopes.log_index[e] + batch;
      db.Exec("BEGIN IMMEDIATE");
      auto put = [&](sqlite3_stmt* st, const std::vector<sqlite3_value*>& row) {
        for (size_t c = 0; c < row.size(); ++c) sqlite3_bind_value(st, static_cast<int>(c + 1), row[c]);
        if (sqlite3_step(st) != SQLITE_DONE) Die(std::string("insert: ") + sqlite3_errmsg(db.handle));
        sqlite3_reset(st);
      };
      for (; e < envelopes.rows.size() && envelopes.log_index[e] < end; ++e) put(put_envelope, envelopes.rows[e]);
      for (; next_submission < submissions.rows.size() && submissions.log_index[next_submission] < end;
           ++next_submission)
        put(put_submission, submissions.rows[next_submission]);
      db.Exec("COMMIT");
    }
    const double cpu = CpuSeconds() - cpu0, wall = NowSeconds() - wall0;
    sqlite3_finalize(put_envelope);
    sqlite3_finalize(put_submission);
    cpu_us.push_back(cpu * 1e6 / static_cast<double>(envelopes.rows.size()));
    wall_s.push_back(wall);
  }
  json out = {{"envelopes", envelopes.rows.size()},
              {"submissions", submissions.rows.size()},
              {"batch", batch},
              {"cpu_us_per_revision", dala::bench::Summary(cpu_us)},
              {"wall_s", dala::bench::Summary(wall_s)}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
