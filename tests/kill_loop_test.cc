// The laptop killed at every step: `dala sync` and `dala collect --answers`
// are SIGKILLed at random points, over and over, against one server, and
// every run ends with the checks the issue names:
//   - every record exactly once: a killed collect saved its record or did
//     not (never two), and after the next clean sync the server holds each
//     of the laptop's records once (the same ids, no more);
//   - PRAGMA integrity_check ok on the laptop and on the server;
//   - `dala verify` ok on the laptop;
//   - `dala audit verify` ok on a bundle exported from the server: every
//     DALA_KILL_AUDIT_EVERY rounds (25 by default, 1 in scripts/soak) and
//     at the end, since an export and an audit cost more than a run (the
//     server is stopped for the export, as admin commands want, and
//     restarted on the same port). The log only grows, so each audit
//     covers every run before it.
// The random points are of two kinds, alternately: a delay drawn from the
// command's clean run time, and the N-th write or fsync (the fault VFS
// kills the process just before it), N drawn from the command's own count.
// Every twentieth round also kills the server in the middle of a sync.
//
// Two laptops run at once (each its own profile, against the one server),
// so the loop uses both cores. DALA_KILL_RUNS sets the number of runs
// (default 100, scripts/soak passes 1000); DALA_KILL_SEED the seed
// (default fixed, so that a failure in CI replays; the seed is printed).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include "fault_util.h"

namespace dala::e2e {
namespace {

constexpr int kLaptops = 2;
constexpr int kServerKillEvery = 20;

struct Stats {
  int timed = 0, at_write = 0, at_sync = 0, killed = 0, finished = 0, collects_saved = 0;
};

class KillLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fleet_ = std::make_unique<Fleet>(dir_.path(), kLaptops, 2);
    server_ = std::make_unique<ServerProcess>(fleet_->data());
    ASSERT_TRUE(server_->ok());
    port_ = server_->port();
    for (int i = 0; i < kLaptops; ++i) PointAt(fleet_->laptop(i), server_->url());
    collect_ = {"collect", "psc_observation", "--answers", fleet_->answers_file()};
    // What a clean run of each command costs, in time and in operations:
    // the range the random points are drawn from.
    const std::string home = fleet_->laptop(0);
    ASSERT_EQ(Dala(home, {"sync"}).exit_code, 0);
    for (const auto* command : {&collect_, &sync_}) {
      Fault count;
      count.counts_file = dir_ / "counts";
      auto start = std::chrono::steady_clock::now();
      auto r = Dala(home, *command, FaultEnv(count));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      Profile& p = command == &collect_ ? collect_profile_ : sync_profile_;
      p.micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
      auto counts = ReadCounts(count.counts_file);
      p.writes = counts["write"];
      p.syncs = counts["sync"];
    }
    ASSERT_EQ(Dala(home, {"sync"}).exit_code, 0);
  }

  struct Profile {
    long micros = 0, writes = 0, syncs = 0;
  };

  // One run on laptop `i`: a command killed at a random point, then a
  // clean sync, then the per-run checks. Safe to run for two laptops at once.
  void KillOnce(int i, std::mt19937_64& rng, Stats& stats) {
    const std::string home = fleet_->laptop(i);
    const bool collect = rng() % 2 == 0;
    const auto& command = collect ? collect_ : sync_;
    const Profile& p = collect ? collect_profile_ : sync_profile_;
    const size_t before = OwnIds(home).size();
    int code;
    switch (rng() % 3) {
      case 0: {  // a moment in the command's life
        std::vector<std::string> argv = {DalaBinary()};
        argv.insert(argv.end(), command.begin(), command.end());
        code = RunKilledAfter(argv, LaptopEnv(home), static_cast<long>(rng() % static_cast<uint64_t>(p.micros * 6 / 5 + 1)));
        ++stats.timed;
        break;
      }
      case 1:  // just before the N-th write
        code = Dala(home, command, FaultEnv({"write", static_cast<long>(1 + rng() % static_cast<uint64_t>(p.writes + 1)), "EIO", false, true})).exit_code;
        ++stats.at_write;
        break;
      default:  // just before the N-th fsync
        code = Dala(home, command, FaultEnv({"sync", static_cast<long>(1 + rng() % static_cast<uint64_t>(p.syncs + 1)), "EIO", false, true})).exit_code;
        ++stats.at_sync;
        break;
    }
    (code == 128 + SIGKILL ? stats.killed : stats.finished)++;
    EXPECT_TRUE(code == 0 || code == 128 + SIGKILL) << "the command failed by itself: exit " << code;
    EXPECT_EQ(IntegrityCheck(LaptopDb(home)), "ok");
    const size_t after_kill = OwnIds(home).size();
    if (collect) {
      EXPECT_TRUE(after_kill == before || after_kill == before + 1) << before << " -> " << after_kill;
      stats.collects_saved += static_cast<int>(after_kill - before);
    } else {
      EXPECT_EQ(after_kill, before);
    }
    auto sync = Dala(home, {"sync"});
    EXPECT_EQ(sync.exit_code, 0) << sync.err;
    const auto own = OwnIds(home);
    EXPECT_EQ(own.size(), after_kill);
    EXPECT_EQ(AcceptedIds(home), own);
    EXPECT_EQ(ServerIdsOf(fleet_->data(), home), own);
    auto verify = Dala(home, {"verify"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  }

  // The server SIGKILLed in the middle of a laptop's sync, and restarted
  // on its port.
  void KillServerDuringSync(std::mt19937_64& rng) {
    const std::string home = fleet_->laptop(0);
    ASSERT_EQ(Dala(home, collect_).exit_code, 0);
    std::thread syncing([&] { (void)Dala(home, {"sync"}); });
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % static_cast<uint64_t>(sync_profile_.micros + 1)));
    server_->Kill();
    syncing.join();
    EXPECT_EQ(IntegrityCheck(ServerDb(fleet_->data())), "ok");
    server_ = std::make_unique<ServerProcess>(fleet_->data(), port_);
    ASSERT_TRUE(server_->ok()) << ReadFile(server_->log_path());
  }

  void ExpectAuditVerifies() {
    server_->Stop();
    EXPECT_EQ(AuditProblems(fleet_->data(), dir_ / "audit.bundle"), "");
    server_ = std::make_unique<ServerProcess>(fleet_->data(), port_);
    ASSERT_TRUE(server_->ok()) << ReadFile(server_->log_path());
  }

  TempDir dir_;
  std::unique_ptr<Fleet> fleet_;
  std::unique_ptr<ServerProcess> server_;
  int port_ = 0;
  std::vector<std::string> collect_, sync_ = {"sync"};
  Profile collect_profile_, sync_profile_;
};

TEST_F(KillLoopTest, EveryRecordOnceAndBothSidesSoundAfterEachKill) {
  const long runs = EnvOr("DALA_KILL_RUNS", 100);
  const uint64_t seed = static_cast<uint64_t>(EnvOr("DALA_KILL_SEED", 20261204));
  std::printf("kill loop: %ld runs, seed %llu (DALA_KILL_SEED replays it); clean collect %ld us, %ld writes, %ld fsyncs;"
              " clean sync %ld us, %ld writes, %ld fsyncs\n",
              runs, static_cast<unsigned long long>(seed), collect_profile_.micros, collect_profile_.writes,
              collect_profile_.syncs, sync_profile_.micros, sync_profile_.writes, sync_profile_.syncs);
  std::vector<std::mt19937_64> rngs;
  for (int i = 0; i < kLaptops; ++i) rngs.emplace_back(seed + static_cast<uint64_t>(i));
  std::vector<Stats> stats(kLaptops);
  const long rounds = (runs + kLaptops - 1) / kLaptops;
  const long audit_every = std::max(1L, EnvOr("DALA_KILL_AUDIT_EVERY", 25));  // rounds (of kLaptops runs)
  for (long round = 1; round <= rounds && !HasFailure(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<std::thread> workers;
    for (int i = 0; i < kLaptops; ++i) workers.emplace_back([&, i] { KillOnce(i, rngs[static_cast<size_t>(i)], stats[static_cast<size_t>(i)]); });
    for (auto& w : workers) w.join();
    EXPECT_EQ(IntegrityCheck(ServerDb(fleet_->data())), "ok");
    if (round % kServerKillEvery == 0) KillServerDuringSync(rngs[0]);
    if (round % audit_every == 0 || round == rounds) ExpectAuditVerifies();
  }
  // After a last clean sync, the laptops' records are the server's, once.
  size_t records = 0;
  for (int i = 0; i < kLaptops; ++i) {
    ASSERT_EQ(Dala(fleet_->laptop(i), {"sync"}).exit_code, 0);
    EXPECT_EQ(ServerIdsOf(fleet_->data(), fleet_->laptop(i)), OwnIds(fleet_->laptop(i)));
    records += OwnIds(fleet_->laptop(i)).size();
  }
  Stats total;
  for (const Stats& s : stats) {
    total.timed += s.timed, total.at_write += s.at_write, total.at_sync += s.at_sync;
    total.killed += s.killed, total.finished += s.finished, total.collects_saved += s.collects_saved;
  }
  std::printf("kill loop: %d runs (%d at a moment, %d at a write, %d at an fsync): %d killed, %d finished first;"
              " %d killed or finished collects saved their record; %zu records, each on the server once\n",
              total.timed + total.at_write + total.at_sync, total.timed, total.at_write, total.at_sync, total.killed,
              total.finished, total.collects_saved, records);
  EXPECT_GT(total.killed, runs / 2) << "most runs should be killed before they finish";
}

}  // namespace
}  // namespace dala::e2e
