// What the fault tests share (io_fault_test.cc, kill_loop_test.cc,
// bad_network_test.cc): a fleet of enrolled laptops holding records, the
// fault VFS's environment, and the checks every run ends with. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "e2e_util.h"

namespace dala::e2e {

// --- SQLite, read directly --------------------------------------------------

// The first column of the first row of `sql` on the database at `path`, as
// text ("" for no row). Fails the test on an error.
std::string SqlValue(const std::string& path, const std::string& sql);
// Every value of the first column.
std::set<std::string> SqlColumn(const std::string& path, const std::string& sql);
// PRAGMA integrity_check: "ok", or what it found.
std::string IntegrityCheck(const std::string& path);

// --- the fault VFS (tests/fault_vfs.cc) ---------------------------------------

struct Fault {
  std::string op = "write";  // write, sync, read
  long at = 0;               // the N-th such operation; 0: none
  std::string error = "EIO";  // EIO, ENOSPC
  bool sticky = false;       // every later one fails too
  bool kill = false;         // SIGKILL instead of failing
  std::string counts_file;   // where to write the counts at exit
};
// The environment that loads the VFS into a binary with `fault`.
std::map<std::string, std::string> FaultEnv(const Fault& fault);
// Operations a run counted: {"write": W, "sync": S, "read": R}.
std::map<std::string, long> ReadCounts(const std::string& counts_file);

// Whether a program's output shows a crash rather than a message: a
// sanitizer report, an uncaught exception, a failed assertion.
bool LooksLikeACrash(const std::string& output);
// A failure reported as it should be: exit code 1, not a signal, and
// stderr lines that all name the program ("dala: ..."), the last saying
// what failed.
::testing::AssertionResult IsAClearFailure(const CommandResult& r);

void CopyTree(const std::string& from, const std::string& to);

// The number in environment variable `name`, or `fallback` if it is unset.
long EnvOr(const char* name, long fallback);

// Starts `argv` (output discarded) and SIGKILLs it after `delay_us`
// microseconds, unless it ended before. Returns its exit code, or 128 + the
// signal.
int RunKilledAfter(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                   long delay_us);

// --- a fleet ----------------------------------------------------------------------

// A server data directory (volunteer "askar", the shipped forms) and
// `laptops` laptop profiles, each holding `records` signed records (made by
// tests/bench/bench_gen with a cheap key) and enrolled with it. The server
// is stopped when the constructor returns; the laptops' records are not
// yet synced. Copy the directories to start runs from this state.
class Fleet {
 public:
  Fleet(const std::string& dir, int laptops, int records);

  const std::string& data() const { return data_; }
  std::string laptop(int i) const { return dir_ + "/laptop" + std::to_string(i); }
  int laptops() const { return laptops_; }
  // Answers valid now for psc_observation, for `dala collect --answers`.
  std::string answers_file() const { return dir_ + "/answers.json"; }

 private:
  std::string dir_, data_;
  int laptops_;
};

// The environment `dala` needs for the profile at `home`.
std::map<std::string, std::string> LaptopEnv(const std::string& home);
// Runs `dala args...` on the profile at `home`, with `extra` environment.
CommandResult Dala(const std::string& home, std::vector<std::string> args,
                   const std::map<std::string, std::string>& extra = {}, int timeout_seconds = 120);
// `dala` audit of a bundle `dala-server export --bundle` writes of the
// stopped server's `data`; "" when the audit verifies, else what it said.
std::string AuditProblems(const std::string& data, const std::string& bundle);
// Points the profile at `home` to another server URL (a copy of a fleet's
// data serves on another port).
void PointAt(const std::string& home, const std::string& url);

// The laptop's own envelope ids, as hex, and those the server accepted.
std::set<std::string> OwnIds(const std::string& home);
std::set<std::string> AcceptedIds(const std::string& home);
// The ids the server holds from the laptop at `home`.
std::set<std::string> ServerIdsOf(const std::string& data, const std::string& home);
std::string ServerDb(const std::string& data);
std::string LaptopDb(const std::string& home);

}  // namespace dala::e2e
