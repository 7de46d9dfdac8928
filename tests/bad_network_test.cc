// A bad network between `dala` and `dala-server`: a proxy on loopback that,
// connection by connection, passes, delays, cuts the request, truncates the
// answer, delivers the request twice, or keeps it and delivers it again
// later, after newer ones (reordering). Two laptops collect and sync through
// it round after round; then, after one clean sync each:
//   - every record arrived exactly once (the server holds each laptop's
//     records once: the same ids, no more);
//   - the laptop's view and the server's agree: everything the laptop holds
//     is in the server's log, the laptop's verified checkpoint is the
//     server's log size, and every record's answers are the same on both.
// DALA_NETWORK_ROUNDS sets the rounds (default 40; scripts/soak passes
// more), DALA_NETWORK_SEED the seed (default fixed; printed).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "bad_network.h"
#include "fault_util.h"

namespace dala::e2e {
namespace {

TEST(BadNetworkTest, EveryRecordArrivesOnceAndTheLaptopsAgreeWithTheServer) {
  const long rounds = EnvOr("DALA_NETWORK_ROUNDS", 40);
  const uint64_t seed = static_cast<uint64_t>(EnvOr("DALA_NETWORK_SEED", 20261204));
  std::printf("bad network: %ld rounds, seed %llu (DALA_NETWORK_SEED replays it)\n", rounds,
              static_cast<unsigned long long>(seed));
  TempDir dir;
  Fleet fleet(dir.path(), 2, 8);
  ServerProcess server(fleet.data());
  ASSERT_TRUE(server.ok());
  std::mt19937_64 plans(seed);
  BadNetwork network(server.port(), [&plans](int) {
    Plan p;
    p.act = static_cast<Act>(plans() % static_cast<int>(Act::kCount));
    p.cut = 1 + plans() % 600;
    p.delay_ms = static_cast<int>(plans() % 150);
    p.deliver_kept = plans() % 2 == 0;
    return p;
  });
  const std::string via = "http://127.0.0.1:" + std::to_string(network.port());
  for (int i = 0; i < fleet.laptops(); ++i) PointAt(fleet.laptop(i), via);
  std::mt19937_64 rng(seed);
  int failed_syncs = 0;
  for (long round = 0; round < rounds; ++round) {
    const std::string home = fleet.laptop(static_cast<int>(round % fleet.laptops()));
    if (rng() % 3 == 0) {
      ASSERT_EQ(Dala(home, {"collect", "psc_observation", "--answers", fleet.answers_file()}).exit_code, 0);
    }
    // Small batches: several exchanges, so a connection may fail half-way.
    auto sync = Dala(home, {"sync", "--batch", "3"}, {}, 60);
    if (sync.exit_code != 0) {
      ++failed_syncs;
      EXPECT_TRUE(IsAClearFailure(sync));
    }
  }
  network.set_clean(true);
  std::string counts;
  for (int a = 0; a < static_cast<int>(Act::kCount); ++a)
    counts += std::string(a ? ", " : "") + kActNames[a] + " " + std::to_string(network.count(static_cast<Act>(a)));
  std::printf("bad network: connections: %s; %d of %ld syncs failed\n", counts.c_str(), failed_syncs, rounds);
  EXPECT_GT(failed_syncs, 0) << "the network should have failed some syncs";

  // Each laptop syncs until it has nothing more to send or receive (the
  // server may have queued more while requests arrived late).
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < fleet.laptops(); ++i) ASSERT_EQ(Dala(fleet.laptop(i), {"sync"}).exit_code, 0);
  const std::string server_db = ServerDb(fleet.data());
  const auto server_ids = SqlColumn(server_db, "SELECT hex(id) FROM envelopes");
  const std::string log_size = SqlValue(server_db, "SELECT count(*) FROM envelopes");
  for (int i = 0; i < fleet.laptops(); ++i) {
    SCOPED_TRACE("laptop " + std::to_string(i));
    const std::string home = fleet.laptop(i), db = LaptopDb(home);
    const auto own = OwnIds(home);
    EXPECT_EQ(AcceptedIds(home), own);
    EXPECT_EQ(ServerIdsOf(fleet.data(), home), own);
    for (const std::string& id : SqlColumn(db, "SELECT hex(id) FROM envelopes"))
      EXPECT_EQ(server_ids.count(id), 1u) << "the laptop holds " << id << ", the server does not";
    const std::string checkpoint = SqlValue(db, "SELECT value FROM profile WHERE key = 'checkpoint'");
    EXPECT_EQ(checkpoint.substr(checkpoint.find('\n') + 1, log_size.size() + 1), log_size + "\n") << checkpoint;
    for (const std::string& id : SqlColumn(db, "SELECT hex(id) FROM submissions")) {
      const std::string where = " FROM submissions WHERE hex(id) = '" + id + "'";
      EXPECT_EQ(nlohmann::json::parse(SqlValue(db, "SELECT answers" + where)),
                nlohmann::json::parse(SqlValue(server_db, "SELECT answers" + where)))
          << "record " << id;
    }
    EXPECT_EQ(IntegrityCheck(db), "ok");
    EXPECT_EQ(Dala(home, {"verify"}).exit_code, 0);
  }
  EXPECT_EQ(IntegrityCheck(server_db), "ok");
}

}  // namespace
}  // namespace dala::e2e
