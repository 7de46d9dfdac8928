// I/O faults: the fault VFS (fault_vfs.cc) fails the N-th write, fsync or
// read of the real `dala` or `dala-server`, with EIO or a full disk
// (ENOSPC, which stays full), for every N that a sync or a `dala collect
// --answers` performs. After each run:
//   - the failure, if any, is one clear message, never a crash;
//   - nothing the laptop was told is saved or accepted is lost, and
//     nothing exists twice (the server holds each of the laptop's records
//     once: the same ids, no more);
//   - the next run, without the fault, succeeds, and leaves both databases
//     passing PRAGMA integrity_check and the laptop passing `dala verify`.
// Each test counts the operations of a clean run first, then fails each
// one in turn: every one in scripts/soak; in scripts/test (ctest) the first
// and last kEdgePoints, where opening and committing happen, and every
// DALA_IO_FAULT_STRIDE-th in between (8 by default, starting at
// DALA_IO_FAULT_OFFSET, 0 by default). The sweeps are the longest tests
// under the sanitizers, and CI has a time budget; the fixed default keeps a
// CI failure reproducible, and the soak covers every point.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "fault_util.h"

namespace dala::e2e {
namespace {

constexpr int kRecords = 5;
constexpr long kEdgePoints = 3;

// The N of 1..last that a sweep fails (see the top of the file).
std::vector<long> FaultPoints(long last) {
  const long stride = std::max(1L, EnvOr("DALA_IO_FAULT_STRIDE", 8));
  const long offset = EnvOr("DALA_IO_FAULT_OFFSET", 0) % stride;
  std::vector<long> points;
  for (long n = 1; n <= last; ++n)
    if (n <= kEdgePoints || n > last - kEdgePoints || n % stride == offset) points.push_back(n);
  std::printf("io fault: %zu of %ld points (stride %ld, offset %ld)\n", points.size(), last, stride, offset);
  return points;
}

class IoFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { fleet_ = std::make_unique<Fleet>(dir_.path(), 1, kRecords); }

  // How many `op`s `run` performs without a fault, with the VFS loaded.
  template <typename Run>
  long CountOps(const std::string& op, Run run) {
    Fault count;
    count.counts_file = dir_ / "counts";
    run(FaultEnv(count));
    long n = ReadCounts(count.counts_file)[op];
    EXPECT_GT(n, 0) << "the VFS saw no " << op << ": is it loaded?";
    return n;
  }

  // Every N of a laptop's first sync: a fresh copy of the unsynced laptop
  // each time, against one server (which, after the first N, already holds
  // the records and recognises them, as it would a resend).
  void LaptopSyncFaults(const std::string& op, const std::string& error, bool sticky) {
    ServerProcess server(fleet_->data());
    ASSERT_TRUE(server.ok());
    const std::string home = dir_ / "run";
    auto fresh = [&] {
      CopyTree(fleet_->laptop(0), home);
      PointAt(home, server.url());
    };
    fresh();
    const long total = CountOps(op, [&](const auto& env) { EXPECT_EQ(Dala(home, {"sync"}, env).exit_code, 0); });
    for (long n : FaultPoints(total)) {
      if (HasFatalFailure()) break;
      SCOPED_TRACE(op + " " + error + " #" + std::to_string(n) + " of " + std::to_string(total));
      fresh();
      auto faulted = Dala(home, {"sync"}, FaultEnv({op, n, error, sticky}));
      if (faulted.exit_code != 0) {
        EXPECT_TRUE(IsAClearFailure(faulted));
      }
      EXPECT_EQ(IntegrityCheck(LaptopDb(home)), "ok");
      // What the laptop holds as accepted, the server has.
      const auto accepted = AcceptedIds(home);
      const auto on_server = ServerIdsOf(fleet_->data(), home);
      for (const std::string& id : accepted) EXPECT_EQ(on_server.count(id), 1u) << id;
      ExpectRecovered(home, fleet_->data());
    }
  }

  // The next sync without a fault finishes the job: every record on the
  // server exactly once, both databases sound, the laptop verifies.
  void ExpectRecovered(const std::string& home, const std::string& data, size_t records = kRecords) {
    auto again = Dala(home, {"sync"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    const auto own = OwnIds(home);
    EXPECT_EQ(own.size(), records);
    EXPECT_EQ(AcceptedIds(home), own);
    EXPECT_EQ(ServerIdsOf(data, home), own);
    EXPECT_EQ(IntegrityCheck(LaptopDb(home)), "ok");
    EXPECT_EQ(IntegrityCheck(ServerDb(data)), "ok");
    auto verify = Dala(home, {"verify"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  }

  // Every N of `dala collect --answers` on one laptop: a record the
  // command reports saved is there; a failed command saved nothing; the
  // same command without the fault saves it. The records then sync once.
  void CollectFaults(const std::string& op, const std::string& error, bool sticky) {
    const std::string home = fleet_->laptop(0);
    const std::vector<std::string> collect = {"collect", "psc_observation", "--answers", fleet_->answers_file()};
    auto records = [&] { return std::stoul(SqlValue(LaptopDb(home), "SELECT count(*) FROM envelopes WHERE own = 1")); };
    const long total = CountOps(op, [&](const auto& env) { EXPECT_EQ(Dala(home, collect, env).exit_code, 0); });
    const std::vector<long> points = FaultPoints(total + 1);
    for (long n : points) {
      if (HasFatalFailure()) break;
      SCOPED_TRACE(op + " " + error + " #" + std::to_string(n) + " of " + std::to_string(total));
      const size_t before = records();
      auto faulted = Dala(home, collect, FaultEnv({op, n, error, sticky}));
      EXPECT_EQ(IntegrityCheck(LaptopDb(home)), "ok");
      if (faulted.exit_code == 0) {
        const std::string id = FindUuid(faulted.out);
        EXPECT_EQ(records(), before + 1) << faulted.out;
        EXPECT_EQ(SqlValue(LaptopDb(home), "SELECT count(*) FROM submissions WHERE hex(id) = upper(replace('" + id + "', '-', ''))"), "1")
            << "the record reported saved is missing: " << id;
      } else {
        EXPECT_TRUE(IsAClearFailure(faulted));
        EXPECT_EQ(records(), before) << "a failed collect left a record behind";
        auto again = Dala(home, collect);
        EXPECT_EQ(again.exit_code, 0) << again.err;
      }
    }
    // The clean count, then one per N (the N past the end included).
    const size_t collected = points.size() + 1;
    EXPECT_EQ(Dala(home, {"verify"}).exit_code, 0);
    ServerProcess server(fleet_->data());
    ASSERT_TRUE(server.ok());
    PointAt(home, server.url());
    ExpectRecovered(home, fleet_->data(), kRecords + collected);
  }

  // Every N of the server's life through one sync (start-up, the sync,
  // shutdown), each on a fresh copy of the server and laptop; then a clean
  // server on the same data finishes the job.
  void ServerFaults(const std::string& op, const std::string& error, bool sticky) {
    const std::string data = dir_ / "data", home = dir_ / "run";
    auto life = [&](const std::map<std::string, std::string>& env) {
      CopyTree(fleet_->data(), data);
      CopyTree(fleet_->laptop(0), home);
      auto server = std::make_unique<ServerProcess>(data, std::vector<std::string>{}, env);
      CommandResult sync;
      if (server->ok()) {
        PointAt(home, server->url());
        sync = Dala(home, {"sync"});
        if (sync.exit_code != 0) {
          EXPECT_TRUE(IsAClearFailure(sync));
        }
      }
      server->Stop();
      const std::string log = ReadFile(server->log_path());
      EXPECT_FALSE(LooksLikeACrash(log)) << log;
      EXPECT_TRUE(server->exit_code() == 0 || server->exit_code() == 1) << server->exit_code() << ": " << log;
      return sync;
    };
    Fault count;
    count.counts_file = dir_ / "counts";
    EXPECT_EQ(life(FaultEnv(count)).exit_code, 0);
    const long total = ReadCounts(count.counts_file)[op];
    ASSERT_GT(total, 0);
    for (long n : FaultPoints(total)) {
      if (HasFatalFailure()) break;
      SCOPED_TRACE(op + " " + error + " #" + std::to_string(n) + " of " + std::to_string(total));
      life(FaultEnv({op, n, error, sticky}));
      EXPECT_EQ(IntegrityCheck(ServerDb(data)), "ok");
      const auto accepted = AcceptedIds(home);
      ServerProcess server(data);
      ASSERT_TRUE(server.ok()) << ReadFile(server.log_path());
      for (const std::string& id : accepted) EXPECT_EQ(ServerIdsOf(data, home).count(id), 1u) << id;
      PointAt(home, server.url());
      ExpectRecovered(home, data);
    }
  }

  TempDir dir_;
  std::unique_ptr<Fleet> fleet_;
};

TEST_F(IoFaultTest, LaptopSyncSurvivesEachFailedWrite) { LaptopSyncFaults("write", "EIO", false); }
TEST_F(IoFaultTest, LaptopSyncSurvivesAFullDiskFromEachWriteOn) { LaptopSyncFaults("write", "ENOSPC", true); }
TEST_F(IoFaultTest, LaptopSyncSurvivesEachFailedFsync) { LaptopSyncFaults("sync", "EIO", false); }
TEST_F(IoFaultTest, LaptopSyncSurvivesEachFailedRead) { LaptopSyncFaults("read", "EIO", false); }

TEST_F(IoFaultTest, CollectSurvivesEachFailedWrite) { CollectFaults("write", "EIO", false); }
TEST_F(IoFaultTest, CollectSurvivesAFullDiskFromEachWriteOn) { CollectFaults("write", "ENOSPC", true); }
TEST_F(IoFaultTest, CollectSurvivesEachFailedFsync) { CollectFaults("sync", "EIO", false); }
TEST_F(IoFaultTest, CollectSurvivesEachFailedRead) { CollectFaults("read", "EIO", false); }

TEST_F(IoFaultTest, ServerSurvivesEachFailedWriteDuringASync) { ServerFaults("write", "EIO", false); }
TEST_F(IoFaultTest, ServerSurvivesAFullDiskFromEachWriteOn) { ServerFaults("write", "ENOSPC", true); }
TEST_F(IoFaultTest, ServerSurvivesEachFailedFsyncDuringASync) { ServerFaults("sync", "EIO", false); }
TEST_F(IoFaultTest, ServerSurvivesEachFailedReadDuringASync) { ServerFaults("read", "EIO", false); }

}  // namespace
}  // namespace dala::e2e
