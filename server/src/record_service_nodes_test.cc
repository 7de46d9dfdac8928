// Two nodes of one deployment in one process: two RecordServices, each over
// its own connection to one database, with one server key (docs/
// ARCHITECTURE.md, "Several nodes"). On SQLite the second stands for a
// `dala-server` command run beside the server; on PostgreSQL, for a second
// `dala-server serve`. Whatever the interleaving, the log has one entry per
// index, one checkpoint root per size, one server chain, and either node
// proves what the other appended.

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "auth.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/merkle.h"
#include "dala/sync/request_auth.h"
#include "store_test_util.h"

namespace dala::server {
namespace {

using nlohmann::json;
using sync::Envelope;
using sync::Hash;

constexpr const char* kForm = R"({"dala_form":1,"id":"visit","version":"1","title":"Visit",
  "languages":["en"],"default_language":"en",
  "questions":[{"type":"text","name":"centre","label":"Centre","required":true},
               {"type":"integer","name":"queue","label":"Queue","constraint":". >= 0"}]})";

struct Laptop {
  explicit Laptop(sync::Random& random) : key(sync::SigningKey::Generate(random)) {}
  sync::SigningKey key;
  Device device;
  uint64_t sequence = 0;
  Hash last{};
};

class TwoNodesTest : public testing::ServiceTest {
 protected:
  TwoNodesTest() : ServiceTest(kForm) {}

  void SetUp() override {
    ServiceTest::SetUp();
    if (HasFatalFailure()) return;
    auto other = Open();
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    other_store_ = std::move(*other);
    other_ctx_.reset(new ServerContext{*other_store_, other_clock_, other_random_, server_key_, ServerConfig{}});
    auto service = RecordService::Start(*other_ctx_);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    other_ = *service;
  }
  void TearDown() override {
    other_.reset();
    other_ctx_.reset();
    other_store_.reset();
    ServiceTest::TearDown();
  }

  RecordService& Node(int n) { return n == 0 ? *service_ : *other_; }

  std::unique_ptr<Laptop> NewLaptop(const std::string& volunteer) {
    auto laptop = std::make_unique<Laptop>(random_);
    laptop->device = EnrollLaptop(laptop->key.public_key(), IssueLaptopCode(volunteer));
    return laptop;
  }

  // `laptop`'s next `n` revisions, sealed in chain order.
  std::vector<std::string> Records(Laptop& laptop, int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
      sync::EnvelopeFields f = Fields(json{{"centre", "ala_01"}, {"queue", i}});
      f.sequence = ++laptop.sequence;
      f.previous = laptop.last;
      out.push_back(Seal(laptop.key, std::move(f)));
      laptop.last = Envelope::Parse(out.back())->id();
    }
    return out;
  }

  // `n` new records of a new laptop, synced through node 0: their ids.
  std::vector<sync::SubmissionId> NewRecordsThroughNode0(int n) {
    auto laptop = NewLaptop("alma");
    sync::SyncRequest request;
    request.envelopes = Records(*laptop, n);
    auto answer = Node(0).HandleSync(laptop->device, request);
    EXPECT_TRUE(answer.ok()) << answer.status().ToString();
    std::vector<sync::SubmissionId> ids;
    if (answer.ok())
      for (const std::string& e : request.envelopes) ids.push_back(Envelope::Parse(e)->submission());
    return ids;
  }

  sync::Checkpoint Verified(const std::string& note) {
    auto cp = sync::VerifyCheckpoint(note, service_->origin(), service_->server_key(), service_->origin());
    EXPECT_TRUE(cp.ok()) << cp.status().ToString();
    return cp.ok() ? *cp : sync::Checkpoint{};
  }

  // The log as stored: every index once, in order, its envelopes parsed.
  std::vector<Envelope> WholeLog() {
    auto size = store_->LogSize();
    EXPECT_TRUE(size.ok());
    auto range = store_->LogRange(0, size.ok() ? *size : 0);
    EXPECT_TRUE(range.ok()) << range.status().ToString();
    std::vector<Envelope> out;
    if (!range.ok()) return out;
    for (size_t i = 0; i < range->size(); ++i) {
      EXPECT_EQ((*range)[i].log_index, i) << "the log has a gap or a repeat";
      auto e = Envelope::Parse((*range)[i].bytes);
      EXPECT_TRUE(e.ok());
      if (e.ok()) out.push_back(std::move(*e));
    }
    return out;
  }

  // The second node's machine: its clock a minute behind the first's.
  FakeClock other_clock_{kNow - 60'000};
  sync::SeededRandom other_random_{4242};
  std::unique_ptr<Store> other_store_;
  std::unique_ptr<ServerContext> other_ctx_;
  std::shared_ptr<RecordService> other_;
};

TEST_P(TwoNodesTest, SyncsThroughBothNodesAtOnceNeverShareALogIndexOrACheckpointSize) {
  constexpr int kLaptops = 6, kRounds = 3, kRecords = 4;
  std::vector<std::unique_ptr<Laptop>> laptops;
  for (int k = 0; k < kLaptops; ++k) laptops.push_back(NewLaptop("v" + std::to_string(k)));
  const uint64_t before = *store_->LogSize();
  std::map<uint64_t, Hash> root_of_size;
  std::set<Hash> appended;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::vector<std::string>> batches;
    for (auto& laptop : laptops) batches.push_back(Records(*laptop, kRecords));
    std::vector<Result<sync::SyncResponse>> answers(kLaptops, Status::Internal("not run"));
    std::vector<std::thread> threads;
    for (int k = 0; k < kLaptops; ++k)
      threads.emplace_back([&, k] {
        sync::SyncRequest request;
        request.envelopes = batches[k];
        // Laptops alternate between the nodes from round to round.
        answers[k] = Node((k + round) % 2).HandleSync(laptops[k]->device, request);
      });
    for (auto& t : threads) t.join();
    for (int k = 0; k < kLaptops; ++k) {
      ASSERT_TRUE(answers[k].ok()) << answers[k].status().ToString();
      const sync::SyncResponse& r = *answers[k];
      EXPECT_TRUE(r.rejected.empty()) << r.rejected.size() << " refused, the first: " << r.rejected[0].code;
      EXPECT_EQ(r.accepted_through, laptops[k]->sequence);
      sync::Checkpoint cp = Verified(r.checkpoint);
      auto [at, fresh] = root_of_size.emplace(cp.size, cp.root);
      EXPECT_EQ(at->second, cp.root) << "two checkpoints of size " << cp.size << " with different roots";
      ASSERT_TRUE(r.receipt.has_value());
      EXPECT_TRUE(sync::VerifyInclusion(r.receipt->leaf_index, cp.size, sync::LeafHash(batches[k].back()),
                                        r.receipt->proof, cp.root)
                      .ok())
          << "a receipt of node " << (k + round) % 2 << " does not prove its record";
      for (const std::string& e : batches[k]) appended.insert(Envelope::Parse(e)->id());
    }
  }
  EXPECT_EQ(*store_->LogSize(), before + kLaptops * kRounds * kRecords);
  std::vector<Envelope> log = WholeLog();
  std::set<Hash> ids;
  for (const Envelope& e : log) EXPECT_TRUE(ids.insert(e.id()).second) << "an envelope is in the log twice";
  for (const Hash& id : appended) EXPECT_EQ(ids.count(id), 1u);
  // Both nodes now prove the same log.
  auto a = Node(0).CurrentLog(), b = Node(1).CurrentLog();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size, b->size);
  EXPECT_EQ(a->root, b->root);
  EXPECT_EQ(a->size, log.size());
}

TEST_P(TwoNodesTest, ALaptopThatSyncedWithOneNodeIsNotTakenForARollbackByTheOther) {
  auto laptop = NewLaptop("alma");
  sync::SyncRequest first;
  first.envelopes = Records(*laptop, 3);
  auto one = Node(0).HandleSync(laptop->device, first);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  sync::Checkpoint seen = Verified(one->checkpoint);
  // Node 1 has appended nothing since it started; the laptop's checkpoint
  // is larger than any node 1 signed.
  sync::SyncRequest second;
  second.envelopes = Records(*laptop, 1);
  second.checkpoint_size = seen.size;
  auto two = Node(1).HandleSync(laptop->device, second);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  sync::Checkpoint now = Verified(two->checkpoint);
  EXPECT_GT(now.size, seen.size);
  EXPECT_TRUE(sync::VerifyConsistency(seen.size, now.size, seen.root, now.root, two->consistency).ok())
      << "node 1's checkpoint does not extend the one node 0 gave";
}

TEST_P(TwoNodesTest, ServerEventsSignedOnBothNodesFormOneChainInHlcOrder) {
  const std::vector<sync::SubmissionId> records = NewRecordsThroughNode0(1);
  ASSERT_EQ(records.size(), 1u);
  const sync::SubmissionId record = records[0];
  // Decisions alternate between the nodes; the second node's clock is a
  // minute behind the first's, as another machine's may be.
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(Node(i % 2).Review(record, "aigerim", i % 2 == 0 ? "approved" : "has_issues", "check").ok()) << i;
  }
  uint64_t sequence = 0, hlc = 0;
  for (const Envelope& e : WholeLog()) {
    if (e.author() != service_->server_key()) continue;
    EXPECT_EQ(e.sequence(), sequence + 1) << "the server's chain forks or skips";
    EXPECT_GT(e.hlc().packed, hlc) << "the server's HLC went back at sequence " << e.sequence();
    sequence = e.sequence();
    hlc = e.hlc().packed;
  }
  EXPECT_GE(sequence, 7u);  // the enrolment and six decisions
}

TEST_P(TwoNodesTest, DecisionsMadeAtTheSameInstantOnBothNodesAreAllTakenIntoOneServerChain) {
  const std::vector<sync::SubmissionId> records = NewRecordsThroughNode0(2);
  ASSERT_EQ(records.size(), 2u);
  const sync::SubmissionId first = records[0], second = records[1];
  // The server's decisions are signed by the node that makes them; each
  // must continue the chain from the other node's last one, however close
  // together they come. Before the signing moved under the log's lock, the
  // second of two such decisions took the same sequence and was refused.
  constexpr int kEach = 8;
  std::vector<Status> refused[2];
  std::vector<std::thread> threads;
  for (int n = 0; n < 2; ++n)
    threads.emplace_back([&, n] {
      for (int i = 0; i < kEach; ++i) {
        auto r = Node(n).Review(n == 0 ? first : second, "aigerim", i % 2 == 0 ? "approved" : "has_issues",
                                "node " + std::to_string(n));
        if (!r.ok()) refused[n].push_back(r.status());
      }
    });
  for (auto& t : threads) t.join();
  for (int n = 0; n < 2; ++n)
    EXPECT_TRUE(refused[n].empty()) << refused[n].size() << " decisions on node " << n
                                    << " refused, the first: " << refused[n][0].ToString();
  uint64_t sequence = 0;
  int decisions = 0;
  for (const Envelope& e : WholeLog()) {
    if (e.author() != service_->server_key()) continue;
    EXPECT_EQ(e.sequence(), sequence + 1) << "the server's chain forks or skips";
    sequence = e.sequence();
    decisions += e.kind() == sync::EnvelopeKind::kEvent && !sync::IsZero(e.submission()) ? 1 : 0;
  }
  EXPECT_EQ(decisions, 2 * kEach);
}

INSTANTIATE_TEST_SUITE_P(, TwoNodesTest, testing::EachStore(), testing::StoreName);

#if DALA_TEST_POSTGRES
// Request nonces are shared only where nodes share a PostgreSQL store.
class PostgresTwoNodesTest : public TwoNodesTest {};

TEST_P(PostgresTwoNodesTest, ARequestReplayedToTheOtherNodeIsRefused) {
  auto laptop = NewLaptop("alma");
  DeviceAuthenticator first(*ctx_), second(*other_ctx_);
  clock_.Advance(1000);
  other_clock_.Advance(61'000);  // both read one time now: the request is fresh on either
  const std::string body = "{}";
  HttpRequest request;
  request.method = "POST";
  request.target = request.path = "/api/v1/sync";
  request.body = body;
  for (auto& [name, value] : sync::SignRequest(laptop->key, "POST", request.target, body, clock_.NowMs(), random_))
    request.headers[name] = value;
  auto accepted = first.Authenticate(request);
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  auto replayed = second.Authenticate(request);
  EXPECT_EQ(replayed.status().reason(), sync::kReplayedRequest) << replayed.status().ToString();
  // And on the node that took it, as before.
  EXPECT_EQ(first.Authenticate(request).status().reason(), sync::kReplayedRequest);
}

TEST_P(PostgresTwoNodesTest, LoginDelaysEarnedOnOneNodeHoldOnTheOther) {
  ASSERT_TRUE(store_->AddUser("cora", Role::kCoordinator, *sync::HashPassword("right-password-1"), clock_.NowMs()).ok());
  SessionAuth on_first(*ctx_), on_second(*other_ctx_);
  const ThrottlePolicy& p = ctx_->config.login_throttle;
  for (int i = 0; i < p.free_failures; ++i) {
    auto failed = (i % 2 ? on_second : on_first).Login("cora", "wrong", "10.0.0.7");
    EXPECT_EQ(failed.status().reason(), "bad_credentials") << i;
  }
  int64_t retry = 0;
  auto held = on_second.Login("cora", "right-password-1", "10.0.0.7", &retry);
  EXPECT_EQ(held.status().reason(), "too_many_attempts") << held.status().ToString();
  EXPECT_GT(retry, 0);
  ASSERT_TRUE(on_first.Unlock("cora").ok());
  EXPECT_TRUE(on_second.Login("cora", "right-password-1", "10.0.0.7").ok());
}

INSTANTIATE_TEST_SUITE_P(, PostgresTwoNodesTest, ::testing::Values(testing::StoreKind::kPostgres),
                         testing::StoreName);
#endif

}  // namespace
}  // namespace dala::server
