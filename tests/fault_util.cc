#include "fault_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dala/base/sqlite.h"

namespace dala::e2e {

namespace fs = std::filesystem;

namespace {

sql::Database Open(const std::string& path) {
  sql::OpenOptions o;
  o.wal = false;  // leave the journal mode as the owner set it
  auto db = sql::Database::Open(path, o);
  if (!db.ok()) ADD_FAILURE() << path << ": " << db.status().ToString();
  return std::move(*db);
}

std::vector<std::string> Rows(const std::string& path, const std::string& statement) {
  std::vector<std::string> out;
  if (!fs::exists(path)) {
    ADD_FAILURE() << "no database at " << path;
    return out;
  }
  sql::Database db = Open(path);
  auto st = db.Prepare(statement);
  if (!st.ok()) {
    ADD_FAILURE() << statement << ": " << st.status().ToString();
    return out;
  }
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) {
      ADD_FAILURE() << statement << ": " << row.status().ToString();
      break;
    }
    if (!*row) break;
    out.push_back(st->ColumnText(0));
  }
  return out;
}

}  // namespace

std::string SqlValue(const std::string& path, const std::string& statement) {
  auto rows = Rows(path, statement);
  return rows.empty() ? "" : rows.front();
}

std::set<std::string> SqlColumn(const std::string& path, const std::string& statement) {
  auto rows = Rows(path, statement);
  return {rows.begin(), rows.end()};
}

std::string IntegrityCheck(const std::string& path) {
  std::string out;
  for (const std::string& line : Rows(path, "PRAGMA integrity_check")) out += (out.empty() ? "" : "\n") + line;
  return out;
}

std::map<std::string, std::string> FaultEnv(const Fault& fault) {
  std::map<std::string, std::string> env = {
      {"LD_PRELOAD", std::string(DALA_BINARY_DIR) + "/tests/libdala_fault_vfs.so"},
      {"DALA_FAULT_OP", fault.op},
      {"DALA_FAULT_AT", std::to_string(fault.at)},
      {"DALA_FAULT_ERRNO", fault.error},
      {"DALA_FAULT_STICKY", fault.sticky ? "1" : "0"},
      {"DALA_FAULT_ACTION", fault.kill ? "kill" : "fail"},
  };
  if (!fault.counts_file.empty()) env["DALA_FAULT_COUNTS"] = fault.counts_file;
  // A sanitized binary wants its runtime first among the libraries; the
  // VFS is preloaded before it, which is harmless (it only wraps SQLite).
  const char* asan = std::getenv("ASAN_OPTIONS");
  env["ASAN_OPTIONS"] = std::string(asan != nullptr ? asan : "") + (asan != nullptr && *asan ? ":" : "") +
                        "verify_asan_link_order=0";
  return env;
}

std::map<std::string, long> ReadCounts(const std::string& counts_file) {
  std::map<std::string, long> counts;
  std::istringstream in(ReadFile(counts_file));
  std::string op;
  long n;
  while (in >> op >> n) counts[op] = n;
  return counts;
}

bool LooksLikeACrash(const std::string& output) {
  for (const char* sign : {"AddressSanitizer", "LeakSanitizer", "runtime error:", "terminate called",
                           "Assertion", "Segmentation fault", "what():"})
    if (output.find(sign) != std::string::npos) return true;
  return false;
}

::testing::AssertionResult IsAClearFailure(const CommandResult& r) {
  if (r.exit_code != 1)
    return ::testing::AssertionFailure() << "exit code " << r.exit_code << " (1 expected); stderr: " << r.err;
  if (LooksLikeACrash(r.err)) return ::testing::AssertionFailure() << "a crash, not a message: " << r.err;
  // Warnings may come first; the failure is the last line.
  std::istringstream lines(r.err);
  std::string line, last;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line.rfind("dala", 0) != 0)
      return ::testing::AssertionFailure() << "a line that does not name the program: " << r.err;
    last = line;
  }
  if (last.empty() || last.find("warning:") != std::string::npos)
    return ::testing::AssertionFailure() << "no message says what failed: " << r.err;
  return ::testing::AssertionSuccess();
}

long EnvOr(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atol(v) : fallback;
}

void CopyTree(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

int RunKilledAfter(const std::vector<std::string>& argv_in, const std::map<std::string, std::string>& env_in,
                   long delay_us) {
  std::vector<std::string> argv = argv_in;
  std::vector<std::string> env;
  for (const char* keep : {"PATH", "HOME", "LANG", "TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
    if (const char* v = std::getenv(keep); v != nullptr && env_in.count(keep) == 0) env.push_back(std::string(keep) + "=" + v);
  for (const auto& [k, v] : env_in) env.push_back(k + "=" + v);
  std::vector<char*> argv_p, env_p;
  for (auto& a : argv) argv_p.push_back(a.data());
  for (auto& e : env) env_p.push_back(e.data());
  argv_p.push_back(nullptr);
  env_p.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd : {0, 1, 2}) posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, argv_p.data(), env_p.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << argv[0];
    return -1;
  }
  ::usleep(static_cast<useconds_t>(delay_us));
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string AuditProblems(const std::string& data, const std::string& bundle) {
  std::filesystem::remove(bundle);
  auto exported = RunCommand({ServerBinary(), "export", "--bundle", bundle, "--data", data});
  if (exported.exit_code != 0) return "export failed: " + exported.err;
  auto audit = RunCommand({DalaBinary(), "audit", "verify", bundle, "--server-key", data + "/server.pub"}, {}, "", 300);
  return audit.exit_code == 0 ? "" : audit.out + audit.err;
}

std::string ServerDb(const std::string& data) { return data + "/dala-server.db"; }
std::string LaptopDb(const std::string& home) { return home + "/dala.db"; }

std::map<std::string, std::string> LaptopEnv(const std::string& home) {
  return {{"DALA_HOME", home}, {"DALA_PASSPHRASE", "askar-passphrase"}};
}

CommandResult Dala(const std::string& home, std::vector<std::string> args,
                   const std::map<std::string, std::string>& extra, int timeout_seconds) {
  args.insert(args.begin(), DalaBinary());
  auto env = LaptopEnv(home);
  for (const auto& [k, v] : extra) env[k] = v;
  return RunCommand(args, env, "", timeout_seconds);
}

void PointAt(const std::string& home, const std::string& url) {
  sql::Database db = Open(LaptopDb(home));
  auto st = db.Prepare("UPDATE profile SET value = ? WHERE key = 'server_url'");
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  st->Bind(1, url);
  ASSERT_TRUE(st->Run().ok());
}

std::set<std::string> OwnIds(const std::string& home) {
  return SqlColumn(LaptopDb(home), "SELECT hex(id) FROM envelopes WHERE own = 1");
}

std::set<std::string> AcceptedIds(const std::string& home) {
  return SqlColumn(LaptopDb(home), "SELECT hex(envelope) FROM uploads WHERE state = 'accepted'");
}

std::set<std::string> ServerIdsOf(const std::string& data, const std::string& home) {
  const std::string author = SqlValue(LaptopDb(home), "SELECT hex(author) FROM envelopes WHERE own = 1 LIMIT 1");
  return SqlColumn(ServerDb(data), "SELECT hex(id) FROM envelopes WHERE hex(author) = '" + author + "'");
}

Fleet::Fleet(const std::string& dir, int laptops, int records)
    : dir_(dir), data_(dir + "/server"), laptops_(laptops) {
  auto server = [](std::vector<std::string> args) {
    args.insert(args.begin(), ServerBinary());
    auto r = RunCommand(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  };
  server({"init", "--data", data_});
  server({"user", "add", "askar", "--role", "volunteer", "--data", data_});
  for (const char* f : {"psc_observation", "citizen_exit_survey"})
    server({"form", "publish", std::string(DALA_SOURCE_DIR) + "/schema/forms/" + f + ".json", "--data", data_});
  // Codes are issued while the server is stopped: admin commands write the
  // data directory directly.
  std::vector<std::string> codes;
  for (int i = 0; i < laptops; ++i)
    codes.push_back(FindEnrollCode(server({"enroll-code", "askar", "--data", data_}).out));
  for (int i = 0; i < laptops; ++i) {
    std::vector<std::string> gen = {std::string(DALA_BINARY_DIR) + "/tests/bench/bench_gen", "--profile", laptop(i),
                                    "--revisions", std::to_string(records), "--forms",
                                    std::string(DALA_SOURCE_DIR) + "/schema/forms", "--span-days", "1",
                                    "--seed", std::to_string(1000 + i)};
    if (i == 0) gen.insert(gen.end(), {"--answers-file", answers_file()});
    auto r = RunCommand(gen, LaptopEnv(laptop(i)), "", 300);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  ServerProcess running(data_);
  EXPECT_TRUE(running.ok()) << ReadFile(running.log_path());
  for (int i = 0; i < laptops; ++i) {
    auto r = Dala(laptop(i), {"enroll", running.url(), codes[static_cast<size_t>(i)]});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
}

}  // namespace dala::e2e
