// Faults: the server killed in the middle of a batch and restarted, the
// connection cut in the middle of a response, the same batch sent twice.
// Afterwards nothing is lost and nothing is duplicated: the server holds
// each revision exactly once and the laptop knows all were accepted.

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "bad_network.h"
#include "dala/sync/protocol.h"
#include "dala/sync/request_auth.h"
#include "e2e_util.h"

namespace dala::e2e {
namespace {

using nlohmann::json;

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_ / "server";
    ASSERT_EQ(Server({"init", "--data", data_}).exit_code, 0);
    ASSERT_EQ(Server({"user", "add", "askar", "--role", "volunteer", "--data", data_}).exit_code, 0);
    for (const char* f : {"psc_observation", "citizen_exit_survey"})
      ASSERT_EQ(Server({"form", "publish", std::string(DALA_SOURCE_DIR) + "/schema/forms/" + f + ".json", "--data", data_}).exit_code, 0);
    env_ = {{"DALA_HOME", dir_ / "laptop"}, {"DALA_PASSPHRASE", "askar-passphrase"}};
  }

  CommandResult Server(std::vector<std::string> args) {
    args.insert(args.begin(), ServerBinary());
    return RunCommand(args);
  }

  CommandResult Dala(std::vector<std::string> args) {
    // The generated profile speaks Russian; the checks read English.
    args.insert(args.begin(), {DalaBinary(), "--lang", "en"});
    return RunCommand(args, env_, "", 600);
  }

  // A laptop holding `revisions` signed records (made by the benchmark's
  // generator, with a cheap key-derivation so the test is fast).
  void MakeLaptop(int revisions) {
    auto r = RunCommand({std::string(DALA_BINARY_DIR) + "/tests/bench/bench_gen", "--profile", dir_ / "laptop",
                         "--revisions", std::to_string(revisions), "--forms",
                         std::string(DALA_SOURCE_DIR) + "/schema/forms", "--span-days", "2"},
                        env_, "", 600);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void Enroll(const std::string& url) {
    std::string code = FindEnrollCode(Server({"enroll-code", "askar", "--data", data_}).out);
    auto r = Dala({"enroll", url, code});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Log size from the server's latest checkpoint.
  uint64_t LogSize(int port) {
    httplib::Client c("127.0.0.1", port);
    auto r = c.Get("/api/v1/log/checkpoint");
    if (!r || r->status != 200) return 0;
    size_t a = r->body.find('\n');
    return std::stoull(r->body.substr(a + 1, r->body.find('\n', a + 1) - a - 1));
  }

  // Revisions the laptop has not had acknowledged.
  int64_t Pending() { return std::stoll(Sql("SELECT count(*) FROM uploads WHERE state != 'accepted'")); }

  std::string Sql(const std::string& statement) {
    auto r = RunCommand({"/usr/bin/sqlite3", dir_ / "laptop/dala.db", statement});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.empty() ? "0" : r.out;
  }

  TempDir dir_;
  std::string data_;
  std::map<std::string, std::string> env_;
};

TEST_F(FaultTest, ServerKilledMidBatchAndRestartedLosesAndDuplicatesNothing) {
  const int kRevisions = 1500;
  MakeLaptop(kRevisions);
  auto server = std::make_unique<ServerProcess>(data_);
  ASSERT_TRUE(server->ok());
  Enroll(server->url());
  const uint64_t base = LogSize(server->port());  // the enrolment event

  // Sync in small batches, and kill the server once some have landed.
  CommandResult first;
  std::thread syncing([&] { first = Dala({"sync", "--batch", "100"}); });
  uint64_t seen = base;
  for (int i = 0; i < 600 && seen < base + 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    seen = LogSize(server->port());
  }
  server->Kill();
  syncing.join();
  const int killed_port = server->port();
  (void)killed_port;
  EXPECT_NE(first.exit_code, 0) << "the sync should have lost its server";
  EXPECT_NE(first.err.find("nothing is lost"), std::string::npos) << first.err;

  // Restart on the same data and port, and sync again: the rest goes, once.
  const int port = server->port();
  server.reset();
  server = std::make_unique<ServerProcess>(data_, port);
  ASSERT_TRUE(server->ok()) << ReadFile(server->log_path());
  auto second = Dala({"sync", "--batch", "500"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(LogSize(server->port()), base + kRevisions);
  EXPECT_EQ(Pending(), 0);
  EXPECT_EQ(Dala({"verify"}).exit_code, 0);
  // Nothing more to send.
  auto third = Dala({"sync"});
  EXPECT_NE(third.out.find("Sent 0 record versions"), std::string::npos) << third.out;
  EXPECT_EQ(LogSize(server->port()), base + kRevisions);
}

TEST_F(FaultTest, ConnectionCutMidResponseIsCompletedByTheNextSync) {
  const int kRevisions = 300;
  MakeLaptop(kRevisions);
  ServerProcess server(data_);
  ASSERT_TRUE(server.ok());
  // The server commits the batch, but the laptop never hears the answer.
  // Connection 1 enrols; connection 2 is the sync whose answer is cut.
  BadNetwork proxy(server.port(), [](int connection) {
    return connection == 2 ? Plan{Act::kTruncateAnswer, 200} : Plan{};
  });
  Enroll("http://127.0.0.1:" + std::to_string(proxy.port()));
  const uint64_t base = LogSize(server.port());
  auto cut = Dala({"sync", "--batch", "1000"});
  EXPECT_EQ(proxy.count(Act::kTruncateAnswer), 1);
  EXPECT_NE(cut.exit_code, 0);
  EXPECT_EQ(LogSize(server.port()), base + kRevisions);  // committed before answering
  EXPECT_EQ(Pending(), kRevisions);                      // unacknowledged on the laptop
  // The next sync sends again; the server recognises every revision.
  auto again = Dala({"sync", "--batch", "1000"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(LogSize(server.port()), base + kRevisions);
  EXPECT_EQ(Pending(), 0);
  // ...and proves it: the laptop holds a receipt covering every record.
  EXPECT_EQ(Sql("SELECT max(sequence) FROM receipts"), std::to_string(kRevisions) + "\n");
  EXPECT_EQ(Dala({"verify"}).exit_code, 0);
}

TEST_F(FaultTest, TheSameBatchSentTwiceIsStoredOnce) {
  MakeLaptop(50);
  ServerProcess server(data_);
  ASSERT_TRUE(server.ok());
  Enroll(server.url());
  const uint64_t base = LogSize(server.port());
  ASSERT_EQ(Dala({"sync"}).exit_code, 0);
  EXPECT_EQ(LogSize(server.port()), base + 50);
  // Mark everything unsent on the laptop, as if every answer had been lost.
  Sql("UPDATE uploads SET state = 'pending'");
  EXPECT_EQ(Pending(), 50);
  auto again = Dala({"sync"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(LogSize(server.port()), base + 50);
  EXPECT_EQ(Pending(), 0);
  EXPECT_NE(again.out.find("Sent 50 record versions"), std::string::npos) << again.out;
}

}  // namespace
}  // namespace dala::e2e
