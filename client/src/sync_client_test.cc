#include "dala/client/sync_client.h"

#include <gtest/gtest.h>

#include <functional>
#include <tuple>
#include <nlohmann/json.hpp>

#include "dala/client/clock_check.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/merkle.h"
#include "dala/sync/request_auth.h"
#include "profile_test_fixture.h"

namespace dala::client {
namespace {

using nlohmann::json;

// --- the server's errors ---------------------------------------------------------

TransportResponse JsonAnswer(int status, const std::string& body) { return {status, "application/json", body, {}}; }

TEST(ErrorFromResponseTest, ServersCodeBecomesTheReasonAndTheMessageStaysClean) {
  Status s = ErrorFromResponse(
      JsonAnswer(409, R"({"error":{"code":"already_enrolled","message":"the device key is already enrolled"}})"));
  EXPECT_EQ(s.code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(s.reason(), "already_enrolled");
  EXPECT_EQ(s.message(), "the device key is already enrolled");
}

TEST(ErrorFromResponseTest, HttpStatusChoosesTheCode) {
  const std::pair<int, Status::Code> cases[] = {
      {400, Status::Code::kInvalidArgument},    {401, Status::Code::kUnauthenticated},
      {403, Status::Code::kPermissionDenied},   {404, Status::Code::kNotFound},
      {409, Status::Code::kAlreadyExists},      {413, Status::Code::kResourceExhausted},
      {422, Status::Code::kInvalidArgument},    {429, Status::Code::kResourceExhausted},
      {503, Status::Code::kUnavailable},        {302, Status::Code::kInternal},
  };
  for (const auto& [http, code] : cases)
    EXPECT_EQ(ErrorFromResponse(JsonAnswer(http, R"({"error":{"code":"x","message":"m"}})")).code(), code) << http;
}

TEST(ErrorFromResponseTest, AnswerWithoutAJsonErrorNamesTheHttpStatusAndHasNoReason) {
  Status s = ErrorFromResponse({502, "text/html", "<html>Bad gateway</html>", {}});
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_EQ(s.reason(), "");
  EXPECT_EQ(s.message(), "the server answered HTTP 502");
}

TEST(ErrorFromResponseTest, ErrorThatIsNotAnObjectHasNoReason) {
  Status s = ErrorFromResponse(JsonAnswer(400, R"({"error":"already_enrolled"})"));
  EXPECT_EQ(s.reason(), "");
  EXPECT_EQ(s.message(), "the server answered HTTP 400");
}

TEST(ErrorFromResponseTest, ErrorWithoutAMessageKeepsItsCodeAsTheReason) {
  Status s = ErrorFromResponse(JsonAnswer(401, R"({"error":{"code":"bad_enroll_code"}})"));
  EXPECT_EQ(s.reason(), "bad_enroll_code");
  EXPECT_EQ(s.message(), "the server answered HTTP 401");
}

TEST(ErrorFromResponseTest, CodeThatIsNotASnakeCaseNameIsNoReason) {
  for (const char* code : {"Already Enrolled", "already-enrolled", "", R"(x\u001b[31m)"}) {
    Status s = ErrorFromResponse(
        JsonAnswer(409, std::string(R"({"error":{"code":")") + code + R"(","message":"twice"}})"));
    EXPECT_EQ(s.reason(), "") << code;
    EXPECT_EQ(s.message(), "twice") << code;
  }
}

// --- rejection codes ----------------------------------------------------------------

TEST(RejectionTest, StoredRejectionGivesBackItsCode) {
  EXPECT_EQ(RejectionCodeOf(FormatRejection("fork", "another envelope holds 3")), "fork");
  EXPECT_EQ(FormatRejection("gap", "2 is missing"), "gap: 2 is missing");
}

TEST(RejectionTest, ReasonWithoutACodeHasNone) {
  EXPECT_EQ(RejectionCodeOf(""), "");
  EXPECT_EQ(RejectionCodeOf("fork"), "");
  EXPECT_EQ(RejectionCodeOf("fork:no space"), "");
}

TEST(RejectionTest, OnlyRefusalsForGoodThatAreNoHistoryConflictAreSetAside) {
  for (std::string_view code : {rejection_code::kClockAhead, rejection_code::kHeldBack, rejection_code::kGap}) {
    EXPECT_TRUE(IsRetryableRejection(code)) << code;
    EXPECT_FALSE(CanSetAside(code)) << code;
  }
  for (std::string_view code : {rejection_code::kFork, rejection_code::kChainBroken}) {
    EXPECT_TRUE(IsHistoryConflict(code)) << code;
    EXPECT_FALSE(CanSetAside(code)) << code;
  }
  EXPECT_TRUE(CanSetAside("invalid_answers"));
  EXPECT_FALSE(IsHistoryConflict("Fork"));
}

// --- sync against a server that lies --------------------------------------------

// Answers every exchange with a checkpoint signed by the server key and
// whatever `shape` makes of the answer.
class FakeServer final : public Transport {
 public:
  FakeServer(const sync::SigningKey& key, std::function<void(sync::SyncResponse&)> shape)
      : key_(key), shape_(std::move(shape)) {}
  Result<TransportResponse> Send(const TransportRequest& request) override {
    if (request.target != sync::kSyncPath) return TransportResponse{404, "application/json", "{}", {}};
    auto q = sync::DecodeSyncRequest(request.body);
    if (!q.ok()) return q.status();
    sync::MerkleTree tree;
    for (const std::string& e : q->envelopes) tree.AppendLeafHash(sync::LeafHash(e));
    sync::SyncResponse r;
    r.checkpoint = sync::SignCheckpoint({"test/log", tree.size(), tree.Root()}, "test/log", key_);
    r.server_time_ms = 1795755600000;
    r.cursor = "0.0";
    r.accepted_through = q->envelopes.size();
    last_request_ = *q;
    shape_(r);
    auto body = sync::EncodeSyncResponse(r);
    return TransportResponse{200, std::string(sync::kSyncContentType), *body, {}};
  }
  sync::SyncRequest last_request_;

 private:
  const sync::SigningKey& key_;
  std::function<void(sync::SyncResponse&)> shape_;
};

class LyingServerTest : public ProfileTest {
 protected:
  void Enrolled() {
    ASSERT_TRUE(store_->Put(profile_key::kServerUrl, "http://test").ok());
    ASSERT_TRUE(store_->Put(profile_key::kServerKey, ToHex(server_key_.public_key())).ok());
    ASSERT_TRUE(store_->Put(profile_key::kServerOrigin, "test/log").ok());
  }
  sync::SigningKey server_key_ = sync::SigningKey::Generate(random_);
};

TEST_F(LyingServerTest, ClaimOfAcceptanceWithoutAReceiptLeavesRecordsPending) {
  Enrolled();
  Save(1);
  Save(2);
  FakeServer server(server_key_, [](sync::SyncResponse&) {});  // claims 2, proves nothing
  SyncClient sync(*store_, *device_, server, clock_, random_);
  auto out = sync.Run();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->accepted, 0u);
  ASSERT_FALSE(out->log_warnings.empty());
  EXPECT_NE(out->log_warnings[0].find("proves only up to 0"), std::string::npos) << out->log_warnings[0];
  EXPECT_EQ(*store_->CountPending(), 2);
}

TEST_F(LyingServerTest, EverySyncKeepsTheLatestServerTimeForTheClockCheck) {
  Enrolled();
  int64_t server_time = 1795755600000;
  FakeServer server(server_key_, [&](sync::SyncResponse& r) { r.server_time_ms = server_time; });
  SyncClient sync(*store_, *device_, server, clock_, random_);
  ASSERT_TRUE(sync.Run().ok());
  EXPECT_EQ(*store_->GetNumber(profile_key::kLastServerTimeMs, 0), 1795755600000u);
  // A server answering with an earlier time never moves it back.
  server_time = 1700000000000;
  ASSERT_TRUE(sync.Run().ok());
  EXPECT_EQ(*store_->GetNumber(profile_key::kLastServerTimeMs, 0), 1795755600000u);
  // A minute later is not worth a write; half the clock check's slack is.
  server_time = 1795755600000 + 60'000;
  ASSERT_TRUE(sync.Run().ok());
  EXPECT_EQ(*store_->GetNumber(profile_key::kLastServerTimeMs, 0), 1795755600000u);
  server_time = 1795755600000 + kClockSlackMs / 2;
  ASSERT_TRUE(sync.Run().ok());
  EXPECT_EQ(*store_->GetNumber(profile_key::kLastServerTimeMs, 0), static_cast<uint64_t>(server_time));
}

// A sync with nothing to send or take in writes nothing on the laptop: no
// commit, so no fsync (scripts/bench's no-op sync stays under its floor).
TEST_F(LyingServerTest, ASyncWithNothingToDoWritesNothing) {
  Enrolled();
  FakeServer server(server_key_, [](sync::SyncResponse&) {});
  SyncClient sync(*store_, *device_, server, clock_, random_);
  ASSERT_TRUE(sync.Run().ok());
  const int64_t before = store_->db().TotalChanges();
  ASSERT_TRUE(sync.Run().ok());
  EXPECT_EQ(store_->db().TotalChanges(), before);
}

TEST_F(LyingServerTest, ValidReceiptMarksRecordsAcceptedAndIsKept) {
  Enrolled();
  Save(1);
  Save(2);
  FakeServer* self = nullptr;
  FakeServer server(server_key_, [&](sync::SyncResponse& r) {
    sync::MerkleTree tree;
    for (const std::string& e : self->last_request_.envelopes) tree.AppendLeafHash(sync::LeafHash(e));
    auto last = sync::Envelope::Parse(self->last_request_.envelopes.back());
    auto proof = tree.InclusionProof(tree.size() - 1, tree.size());
    r.receipt = sync::SyncReceipt{last->sequence(), last->id(), tree.size() - 1, *proof};
  });
  self = &server;
  SyncClient sync(*store_, *device_, server, clock_, random_);
  auto out = sync.Run();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->log_warnings.empty()) << out->log_warnings[0];
  EXPECT_EQ(out->accepted, 2u);
  EXPECT_EQ(*store_->CountPending(), 0);
  EXPECT_EQ(*store_->ReceiptedThrough(), 2u);
}

TEST_F(LyingServerTest, ReceiptWithAForgedProofIsRefusedAndNothingCounts) {
  Enrolled();
  Save(1);
  FakeServer* self = nullptr;
  FakeServer server(server_key_, [&](sync::SyncResponse& r) {
    auto last = sync::Envelope::Parse(self->last_request_.envelopes.back());
    r.receipt = sync::SyncReceipt{last->sequence(), last->id(), 0, {sync::Sha256("made up")}};
  });
  self = &server;
  SyncClient sync(*store_, *device_, server, clock_, random_);
  auto out = sync.Run();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->accepted, 0u);
  EXPECT_FALSE(out->log_warnings.empty());
  EXPECT_EQ(*store_->CountPending(), 1);
  EXPECT_EQ(*store_->ReceiptedThrough(), 0u);
}

TEST_F(LyingServerTest, CheckpointSignedByAnotherKeyStopsTheSync) {
  Enrolled();
  Save(1);
  sync::SigningKey impostor = sync::SigningKey::Generate(random_);
  FakeServer server(impostor, [](sync::SyncResponse&) {});
  SyncClient sync(*store_, *device_, server, clock_, random_);
  auto out = sync.Run();
  ASSERT_TRUE(out.ok());
  ASSERT_FALSE(out->log_warnings.empty());
  EXPECT_NE(out->log_warnings[0].find("does not verify"), std::string::npos);
  EXPECT_EQ(*store_->CountPending(), 1);
}

// --- batches prepared while the server answers -------------------------------------

// Keeps one log of every envelope it accepts and proves each acceptance
// with a receipt under it, as a real server does; `verdict` says, per
// request, how many of its envelopes to accept (the rest are held back, or
// only claimed). Records the sequences each request carried.
class LogKeepingServer final : public Transport {
 public:
  // What happens to the envelopes not accepted: held back; claimed as held
  // but not proved; or the first refused for good (its answers do not
  // fit the form) and the rest held back.
  enum class Rest { kHeldBack, kClaimedWithoutProof, kRefusedForGood };
  struct Verdict {
    size_t accept;  // the first `accept` envelopes of the request
    Rest rest = Rest::kHeldBack;
  };
  LogKeepingServer(const sync::SigningKey& key, std::function<Verdict(size_t request)> verdict)
      : key_(key), verdict_(std::move(verdict)) {}
  Result<TransportResponse> Send(const TransportRequest& request) override {
    if (request.target != sync::kSyncPath) return TransportResponse{404, "application/json", "{}", {}};
    auto q = sync::DecodeSyncRequest(request.body);
    if (!q.ok()) return q.status();
    std::vector<uint64_t> sequences;
    for (const std::string& e : q->envelopes) sequences.push_back(sync::Envelope::Parse(e)->sequence());
    const Verdict v = verdict_(requests.size());
    requests.push_back(sequences);
    sync::SyncResponse r;
    r.server_time_ms = 1795755600000;
    r.cursor = "0.0";
    r.accepted_through = held_through_;
    for (size_t i = 0; i < q->envelopes.size(); ++i) {
      auto e = sync::Envelope::Parse(q->envelopes[i]);
      if (e->sequence() <= held_through_) continue;  // sent again: already held
      if (i < v.accept && e->sequence() == held_through_ + 1) {
        tree_.AppendLeafHash(sync::LeafHash(q->envelopes[i]));
        leaf_of_.push_back({e->sequence(), e->id(), tree_.size() - 1});
        r.accepted_through = held_through_ = e->sequence();
      } else if (v.rest == Rest::kRefusedForGood && r.rejected.empty()) {
        r.rejected.push_back({e->sequence(), e->id(), "invalid_answers", "queue: not a number"});
      } else if (v.rest != Rest::kClaimedWithoutProof) {
        r.rejected.push_back({e->sequence(), e->id(), std::string(rejection_code::kHeldBack), "an earlier one waits"});
      } else {
        r.accepted_through = e->sequence();  // a claim the receipt does not cover
      }
    }
    if (!leaf_of_.empty()) {
      const auto& [sequence, id, leaf] = leaf_of_.back();
      r.receipt = sync::SyncReceipt{sequence, id, leaf, *tree_.InclusionProof(leaf, tree_.size())};
    }
    r.checkpoint = sync::SignCheckpoint({"test/log", tree_.size(), tree_.Root()}, "test/log", key_);
    if (q->checkpoint_size > 0 && q->checkpoint_size < tree_.size())
      r.consistency = *tree_.ConsistencyProof(q->checkpoint_size, tree_.size());
    auto body = sync::EncodeSyncResponse(r);
    return TransportResponse{200, std::string(sync::kSyncContentType), *body, {}};
  }
  std::vector<std::vector<uint64_t>> requests;

 private:
  const sync::SigningKey& key_;
  std::function<Verdict(size_t)> verdict_;
  sync::MerkleTree tree_;
  uint64_t held_through_ = 0;
  std::vector<std::tuple<uint64_t, sync::Hash, uint64_t>> leaf_of_;
};

SyncOptions BatchesOfThree() {
  SyncOptions o;
  o.batch_envelopes = 3;
  return o;
}

TEST_F(LyingServerTest, BatchesPreparedDuringAnExchangeAreSentInOrderNoneTwiceNoneSkipped) {
  Enrolled();
  for (int i = 0; i < 7; ++i) Save(i);
  LogKeepingServer server(server_key_, [](size_t) { return LogKeepingServer::Verdict{1000}; });
  SyncClient sync(*store_, *device_, server, clock_, random_, BatchesOfThree());
  auto out = sync.Run();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->log_warnings.empty()) << out->log_warnings[0];
  EXPECT_EQ(server.requests, (std::vector<std::vector<uint64_t>>{{1, 2, 3}, {4, 5, 6}, {7}}));
  EXPECT_EQ(out->accepted, 7u);
  EXPECT_EQ(*store_->CountPending(), 0);
}

// `dala sync --batch N` takes any N: a batch is as large as the pending
// envelopes, the byte bound and the protocol's 2,000 make it, never what N
// would reserve.
TEST_F(LyingServerTest, BatchOfAnAbsurdSizeSendsWhatIsPendingInOneRequest) {
  Enrolled();
  for (int i = 0; i < 4; ++i) Save(i);
  LogKeepingServer server(server_key_, [](size_t) { return LogKeepingServer::Verdict{1000}; });
  SyncOptions o;
  o.batch_envelopes = SIZE_MAX / 8;
  SyncClient sync(*store_, *device_, server, clock_, random_, o);
  auto out = sync.Run();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(server.requests, (std::vector<std::vector<uint64_t>>{{1, 2, 3, 4}}));
  EXPECT_EQ(*store_->CountPending(), 0);
}

// A server refuses a request of more than 2,000 envelopes whole (the fake
// decodes with the protocol's limits, as the server does): `--batch 5000`
// must not make every sync fail.
TEST_F(LyingServerTest, BatchLargerThanAServerTakesIsSentInRequestsOfAtMost2000) {
  Enrolled();
  const size_t most = sync::SyncLimits{}.max_envelopes;
  for (size_t i = 0; i <= most; ++i) Save(static_cast<int>(i % 100));
  LogKeepingServer server(server_key_, [](size_t) { return LogKeepingServer::Verdict{SIZE_MAX}; });
  SyncOptions o;
  o.batch_envelopes = 5000;
  SyncClient sync(*store_, *device_, server, clock_, random_, o);
  auto out = sync.Run();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[0].size(), most);
  EXPECT_EQ(server.requests[1], std::vector<uint64_t>{most + 1});
  EXPECT_EQ(out->accepted, most + 1);
  EXPECT_EQ(*store_->CountPending(), 0);
}

// The batch after {1,2,3} was read while the server answered; the server
// then held back 2 and 3, so the next request must start at 2, not 4.
TEST_F(LyingServerTest, PreparedBatchIsNotSentWhenTheServerHeldBackPartOfTheOneBefore) {
  Enrolled();
  for (int i = 0; i < 7; ++i) Save(i);
  LogKeepingServer server(server_key_, [](size_t request) { return LogKeepingServer::Verdict{request == 0 ? 1u : 1000u}; });
  SyncClient sync(*store_, *device_, server, clock_, random_, BatchesOfThree());
  auto out = sync.Run();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(server.requests, (std::vector<std::vector<uint64_t>>{{1, 2, 3}, {2, 3, 4}, {5, 6, 7}}));
  EXPECT_EQ(out->accepted, 7u);
  EXPECT_EQ(*store_->CountPending(), 0);
}

// No refusal this time: the server claims all three but proves only the
// first, so 2 and 3 stay pending and go again before the prepared batch.
TEST_F(LyingServerTest, PreparedBatchIsNotSentWhenTheServerProvedLessThanItClaimed) {
  Enrolled();
  for (int i = 0; i < 7; ++i) Save(i);
  LogKeepingServer server(server_key_, [](size_t request) {
    return request == 0 ? LogKeepingServer::Verdict{1, LogKeepingServer::Rest::kClaimedWithoutProof}
                        : LogKeepingServer::Verdict{1000};
  });
  SyncClient sync(*store_, *device_, server, clock_, random_, BatchesOfThree());
  auto out = sync.Run();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(server.requests.size(), 3u);
  EXPECT_EQ(server.requests[1], (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_EQ(server.requests[2], (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_EQ(*store_->CountPending(), 0);
}

// The last of {1,2,3} is refused for good while {4,5,6} is prepared: the
// refused record goes back to the volunteer, and 4-6 are signed again on
// the chain without it (SetAsideRefusedForGood), so the prepared bytes,
// still pending under the same sequences, must not be what is sent.
TEST_F(LyingServerTest, PreparedBatchIsNotSentWhenTheServerRefusedTheOneBeforeForGood) {
  Enrolled();
  for (int i = 0; i < 6; ++i) Save(i);
  LogKeepingServer server(server_key_, [](size_t request) {
    return request == 0 ? LogKeepingServer::Verdict{2, LogKeepingServer::Rest::kRefusedForGood}
                        : LogKeepingServer::Verdict{1000};
  });
  SyncClient sync(*store_, *device_, server, clock_, random_, BatchesOfThree());
  auto out = sync.Run();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->set_aside.size(), 1u);
  EXPECT_TRUE(out->rejections.empty());
  EXPECT_EQ(out->accepted, 5u);  // 1, 2, and the three signed again
  EXPECT_EQ(*store_->CountPending(), 0);
}

// A record saved while a sync runs (the page saves while `dala sync` is
// under way) is sent by that same sync, after the batch prepared before it.
TEST_F(LyingServerTest, RecordSavedDuringASyncGoesInALaterExchangeOfTheSameSync) {
  Enrolled();
  for (int i = 0; i < 4; ++i) Save(i);
  LogKeepingServer server(server_key_, [](size_t) { return LogKeepingServer::Verdict{1000}; });
  SyncClient sync(*store_, *device_, server, clock_, random_, BatchesOfThree());
  int calls = 0;
  auto out = sync.Run([&](const SyncProgress&) {
    if (++calls == 2) Save(100);  // after the first exchange, its next batch already read
  });
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(server.requests, (std::vector<std::vector<uint64_t>>{{1, 2, 3}, {4}, {5}}));
  EXPECT_EQ(out->accepted, 5u);
  EXPECT_EQ(*store_->CountPending(), 0);
}

// Refuses the first `refusals` sync requests with `error` (a JSON body, HTTP
// `status`), then answers as `inner`; says its time when asked.
class RefusingServer final : public Transport {
 public:
  RefusingServer(Transport& inner, std::string error, int refusals, int64_t now_ms, int status = 401)
      : inner_(inner), error_(std::move(error)), refusals_(refusals), now_ms_(now_ms), status_(status) {}
  Result<TransportResponse> Send(const TransportRequest& request) override {
    if (request.target == "/api/v1/time") {
      ++time_asked_;
      return JsonAnswer(200, json{{"now_ms", now_ms_}}.dump());
    }
    for (const auto& [name, value] : request.headers)
      if (name == sync::kTimestampHeader) timestamps_.push_back(value);
    if (refusals_-- > 0) return JsonAnswer(status_, error_);
    return inner_.Send(request);
  }
  int time_asked_ = 0;
  std::vector<std::string> timestamps_;

 private:
  Transport& inner_;
  std::string error_;
  int refusals_;
  int64_t now_ms_;
  int status_;
};

// A server restored from an old copy refuses the laptop's larger checkpoint:
// the sync stops with that reason (which `dala sync` words as a possible
// rollback) and the laptop keeps everything as it was.
TEST_F(LyingServerTest, ServerWhoseLogIsShorterThanTheLaptopsCheckpointStopsTheSyncAndChangesNothing) {
  Enrolled();
  Save(1);
  FakeServer inner(server_key_, [](sync::SyncResponse&) {});
  RefusingServer server(inner, R"({"error":{"code":"log_behind_checkpoint","message":"the log holds 3"}})", 1,
                        clock_.NowMs(), 409);
  SyncClient sync(*store_, *device_, server, clock_, random_);
  const int64_t before = store_->db().TotalChanges();
  auto out = sync.Run();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().reason(), sync::kLogBehindCheckpoint);
  EXPECT_EQ(store_->db().TotalChanges(), before);
  EXPECT_EQ(*store_->CountPending(), 1);
}

// The fork trap: the server holds another envelope at this laptop's
// sequence 1, says accepted_through 1 and proves its own envelope's
// inclusion. The laptop compares the receipt's envelope with its own id.
TEST_F(LyingServerTest, ReceiptForAnotherEnvelopeAtTheSameSequenceCountsNothing) {
  Enrolled();
  Save(1);
  FakeServer* self = nullptr;
  FakeServer server(server_key_, [&](sync::SyncResponse& r) {
    auto mine = sync::Envelope::Parse(self->last_request_.envelopes.back());
    const std::string theirs = "the server's own envelope at sequence 1";
    sync::MerkleTree tree;
    tree.AppendLeafHash(sync::LeafHash(theirs));
    r.checkpoint = sync::SignCheckpoint({"test/log", tree.size(), tree.Root()}, "test/log", server_key_);
    r.receipt = sync::SyncReceipt{mine->sequence(), sync::Sha256(theirs), 0, *tree.InclusionProof(0, 1)};
    r.rejected.push_back({1, mine->id(), "fork", "the server already holds a different envelope with sequence 1"});
  });
  self = &server;
  SyncClient sync(*store_, *device_, server, clock_, random_);
  auto out = sync.Run();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->accepted, 0u);
  ASSERT_FALSE(out->log_warnings.empty());
  EXPECT_NE(out->log_warnings[0].find("did not sign"), std::string::npos) << out->log_warnings[0];
  EXPECT_EQ(*store_->ReceiptedThrough(), 0u);
  ASSERT_EQ(out->rejections.size(), 1u);
  EXPECT_EQ(out->rejections[0].code, "fork");
}

TEST_F(LyingServerTest, StaleRequestIsSignedAgainWithTheServersTime) {
  Enrolled();
  const int64_t server_now = clock_.NowMs() + 3600000;  // the laptop's clock is an hour behind
  FakeServer inner(server_key_, [](sync::SyncResponse&) {});
  RefusingServer server(inner, R"({"error":{"code":"stale_request","message":"the timestamp is 3600 s off"}})", 1,
                        server_now);
  SyncClient sync(*store_, *device_, server, clock_, random_);
  auto out = sync.Run();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(server.time_asked_, 1);
  EXPECT_EQ(out->clock_offset_ms, 3600000);
  ASSERT_EQ(server.timestamps_.size(), 2u);
  EXPECT_EQ(server.timestamps_[1], std::to_string(server_now));
}

TEST_F(LyingServerTest, RefusalThatOnlyMentionsStaleRequestInItsWordsIsNotRetried) {
  Enrolled();
  Save(1);
  FakeServer inner(server_key_, [](sync::SyncResponse&) {});
  RefusingServer server(
      inner, R"({"error":{"code":"revoked_device","message":"not a stale_request: this laptop was revoked"}})", 1,
      clock_.NowMs());
  SyncClient sync(*store_, *device_, server, clock_, random_);
  auto out = sync.Run();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(out.status().reason(), "revoked_device");
  EXPECT_EQ(out.status().message(), "not a stale_request: this laptop was revoked");
  EXPECT_EQ(server.time_asked_, 0);
  EXPECT_EQ(*store_->CountPending(), 1);
}

TEST_F(LyingServerTest, StaleRequestIsRetriedOnlyOnce) {
  Enrolled();
  FakeServer inner(server_key_, [](sync::SyncResponse&) {});
  RefusingServer server(inner, R"({"error":{"code":"stale_request","message":"off"}})", 2, clock_.NowMs() + 3600000);
  SyncClient sync(*store_, *device_, server, clock_, random_);
  auto out = sync.Run();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().reason(), sync::kStaleRequest);
  EXPECT_EQ(server.time_asked_, 1);
}

// `f` as the envelope number `sequence` that `key` signs.
sync::Envelope Seal(sync::EnvelopeFields f, const sync::SigningKey& key, uint64_t sequence = 1) {
  f.sequence = sequence;
  if (sequence > 1) f.previous = sync::Sha256("the envelope before");  // the client does not follow others' chains
  f.hlc = sync::HlcTimestamp{uint64_t{1795755600000} << 16};
  f.wall_ms = 1795755600000;
  auto bytes = sync::SealEnvelope(std::move(f), key);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto e = sync::Envelope::Parse(*bytes);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return *e;
}

// A record version signed by `key`, as another laptop would make it.
sync::Envelope Signed(const sync::SigningKey& key, const schema::Form& form, sync::SubmissionId submission,
                      const std::string& answers, sync::EnvelopeKind kind = sync::EnvelopeKind::kRevision,
                      uint64_t sequence = 1) {
  sync::EnvelopeFields f;
  f.kind = kind;
  f.submission = submission;
  f.form_hash = form.hash();
  f.form_id = form.id();
  f.form_version = form.version();
  if (kind == sync::EnvelopeKind::kRevision) {
    f.body = sync::MakeRevisionBody(answers, 300);
  } else {
    sync::EventBody review;
    review.type = "review";
    review.state = "approved";
    review.by = "someone";
    f.body = sync::MakeEventBody(review);
  }
  return Seal(std::move(f), key, sequence);
}

// The server's event saying that `laptop` is one of `volunteer`'s laptops.
sync::Envelope Enrolment(const sync::SigningKey& server, const sync::PublicKey& laptop, const std::string& volunteer) {
  sync::EventBody enroll;
  enroll.type = "enroll";
  enroll.by = "admin";
  enroll.device = ToHex(laptop);
  enroll.volunteer = volunteer;
  enroll.label = "second laptop";
  sync::EnvelopeFields f;
  f.kind = sync::EnvelopeKind::kEvent;
  f.body = sync::MakeEventBody(enroll);
  return Seal(std::move(f), server);
}

// The server's event saying that `laptop` is revoked, its revisions
// trusted up to `through` ("" as before revocations said it).
sync::Envelope Revocation(const sync::SigningKey& server, const sync::PublicKey& laptop, const std::string& volunteer,
                          const std::string& through) {
  sync::EventBody revoke;
  revoke.type = "revoke";
  revoke.by = "admin";
  revoke.device = ToHex(laptop);
  revoke.volunteer = volunteer;
  revoke.reason = "stolen";
  revoke.through = through;
  sync::EnvelopeFields f;
  f.kind = sync::EnvelopeKind::kEvent;
  f.body = sync::MakeEventBody(revoke);
  return Seal(std::move(f), server);
}

class OtherLaptopTest : public LyingServerTest {
 protected:
  void SetUp() override {
    LyingServerTest::SetUp();
    Enrolled();
    ASSERT_TRUE(store_->Put(profile_key::kVolunteer, "askar").ok());
  }
  // Runs one sync in which the server delivers `envelopes`.
  Result<SyncOutcome> Receive(std::vector<sync::Envelope> envelopes, std::vector<std::string> forms = {},
                              std::vector<std::string> raw = {}) {
    FakeServer server(server_key_, [&](sync::SyncResponse& r) {
      r.forms = forms;
      for (const sync::Hash& h : server.last_request_.forms_wanted)
        if (h == wanted_form_hash_) r.forms.push_back(wanted_form_);
      r.envelopes = raw;
      for (const sync::Envelope& e : envelopes) r.envelopes.push_back(e.bytes());
    });
    SyncClient sync(*store_, *device_, server, clock_, random_);
    auto out = sync.Run();
    last_request_ = server.last_request_;
    return out;
  }
  bool Stored(const sync::Envelope& e) { return *store_->HasEnvelope(e.id()); }
  sync::Envelope Revision(const sync::SigningKey& key, uint64_t sequence) {
    return Signed(key, *form_, sync::NewSubmissionId(clock_, random_), R"({"queue":1})", sync::EnvelopeKind::kRevision,
                  sequence);
  }

  // A form the server holds and sends when the laptop asks for it again.
  sync::Hash wanted_form_hash_{};
  std::string wanted_form_;
  sync::SyncRequest last_request_;

  sync::SigningKey other_laptop_ = sync::SigningKey::Generate(random_);
};

TEST_F(OtherLaptopTest, RecordFromALaptopTheServerVouchedForIsTakenIn) {
  sync::SubmissionId id = sync::NewSubmissionId(clock_, random_);
  sync::Envelope made_there = Signed(other_laptop_, *form_, id, R"({"queue":7})");
  auto out = Receive({Enrolment(server_key_, other_laptop_.public_key(), "askar"), made_there});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->refused_updates.empty()) << out->refused_updates[0];
  EXPECT_EQ(out->received_envelopes, 1u);
  auto shown = store_->FindSubmission(id);
  ASSERT_TRUE(shown.ok() && shown->has_value());
  EXPECT_EQ(json::parse((*shown)->answers_json)["queue"], 7);
  auto report = VerifyLocalStore(*store_);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems[0].what;
}

TEST_F(OtherLaptopTest, RecordFromAKeyNobodyVouchedForIsLeftOutAndTheRestStillArrives) {
  sync::SigningKey stranger = sync::SigningKey::Generate(random_);
  sync::Envelope injected = Signed(stranger, *form_, sync::NewSubmissionId(clock_, random_), R"({"queue":99})");
  sync::Envelope genuine = Signed(other_laptop_, *form_, sync::NewSubmissionId(clock_, random_), R"({"queue":2})");
  auto out = Receive({injected, Enrolment(server_key_, other_laptop_.public_key(), "askar"), genuine});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_NE(out->refused_updates[0].find("never enrolled as one of this volunteer's laptops"), std::string::npos)
      << out->refused_updates[0];
  EXPECT_FALSE(Stored(injected));
  EXPECT_TRUE(Stored(genuine));
  EXPECT_EQ(*store_->GetOr(profile_key::kDownloadCursor, ""), "0.0");  // the download moved on
}

TEST_F(OtherLaptopTest, EnrolmentOfAnotherVolunteersLaptopVouchesForNothing) {
  sync::Envelope theirs = Signed(other_laptop_, *form_, sync::NewSubmissionId(clock_, random_), R"({"queue":5})");
  auto out = Receive({Enrolment(server_key_, other_laptop_.public_key(), "dina"), theirs});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_FALSE(Stored(theirs));
}

TEST_F(OtherLaptopTest, EnrolmentNotSignedByTheServerVouchesForNothing) {
  sync::Envelope forged = Enrolment(other_laptop_, other_laptop_.public_key(), "askar");
  sync::Envelope theirs = Signed(other_laptop_, *form_, sync::NewSubmissionId(clock_, random_), R"({"queue":5})");
  auto out = Receive({forged, theirs});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 2u);
  EXPECT_NE(out->refused_updates[0].find("event not signed by the server"), std::string::npos);
  EXPECT_FALSE(Stored(theirs));
  EXPECT_FALSE(*store_->IsVolunteerLaptop(other_laptop_.public_key()));
}

TEST_F(OtherLaptopTest, EventSignedByAnotherKeyThanTheServersIsLeftOut) {
  sync::SubmissionId id = Save(3);
  sync::Envelope forged = Signed(other_laptop_, *form_, id, "", sync::EnvelopeKind::kEvent);
  auto out = Receive({forged});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_NE(out->refused_updates[0].find("event not signed by the server"), std::string::npos);
  EXPECT_FALSE(Stored(forged));
  EXPECT_EQ((*store_->FindSubmission(id))->review_by, "");
}

TEST_F(OtherLaptopTest, RecordVersionInThisLaptopsNameThatItNeverMadeIsLeftOut) {
  // Signed with this laptop's key, as after a restored backup or a stolen
  // key: it must not slip into the laptop's own chain.
  sync::Envelope foreign = Signed(device_->key(), *form_, sync::NewSubmissionId(clock_, random_), R"({"queue":1})");
  auto out = Receive({foreign});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_NE(out->refused_updates[0].find("never made"), std::string::npos) << out->refused_updates[0];
  EXPECT_FALSE(Stored(foreign));
}

TEST_F(OtherLaptopTest, RecordOfAFormThisLaptopLacksIsLeftOutAndDoesNotBlockLaterOnes) {
  auto other_form = schema::Form::Load(std::string(kForm).replace(std::string(kForm).find("\"version\":\"1\""), 13,
                                                                  "\"version\":\"9\""));
  ASSERT_TRUE(other_form.ok()) << other_form.status().ToString();
  sync::Envelope unknown_form = Signed(other_laptop_, **other_form, sync::NewSubmissionId(clock_, random_), R"({"queue":1})");
  sync::Envelope later = Signed(other_laptop_, *form_, sync::NewSubmissionId(clock_, random_), R"({"queue":2})");
  auto out = Receive({Enrolment(server_key_, other_laptop_.public_key(), "askar"), unknown_form, later});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_FALSE(Stored(unknown_form));
  EXPECT_TRUE(Stored(later));
}

TEST_F(OtherLaptopTest, FormThisDalaCannotReadIsReportedAndTheRestStillArrives) {
  sync::SubmissionId id = Save(3);
  sync::Envelope edit = Signed(server_key_, *form_, id, R"({"queue":4})");
  std::string newer = R"({"dala_form":99,"id":"visit","version":"2"})";
  auto out = Receive({edit}, {newer});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_NE(out->refused_updates[0].find("a form from the server"), std::string::npos) << out->refused_updates[0];
  EXPECT_TRUE(Stored(edit));
}

TEST_F(OtherLaptopTest, ServerFormCollidingWithOneLoadedByHandIsReported) {
  std::string other(kForm);
  other.replace(other.find("\"title\":\"Visit\""), 15, "\"title\":\"Other\"");
  auto out = Receive({}, {other});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_NE(out->refused_updates[0].find("already loaded with different content"), std::string::npos)
      << out->refused_updates[0];
  auto kept = store_->FindFormByName("visit");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ((*kept)->hash_hex(), form_->hash_hex());  // the laptop's records still verify
}

TEST_F(OtherLaptopTest, GarbledUpdateIsLeftOutAndTheRestStillArrives) {
  sync::SubmissionId id = Save(3);
  sync::Envelope edit = Signed(server_key_, *form_, id, R"({"queue":4})");
  auto out = Receive({edit}, {}, {"DLE1 certainly not an envelope"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_NE(out->refused_updates[0].find("not a valid envelope"), std::string::npos) << out->refused_updates[0];
  EXPECT_TRUE(Stored(edit));
}

TEST_F(OtherLaptopTest, UpdateWithABrokenSignatureIsLeftOut) {
  sync::SubmissionId id = Save(3);
  sync::Envelope edit = Signed(server_key_, *form_, id, R"({"queue":4})");
  std::string bytes = edit.bytes();
  size_t answer = bytes.find("\"queue\":4");
  ASSERT_NE(answer, std::string::npos);
  bytes[answer + 8] = '5';  // the answer changed after signing
  auto damaged = sync::Envelope::Parse(bytes);
  ASSERT_TRUE(damaged.ok()) << damaged.status().ToString();
  auto out = Receive({*damaged});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_FALSE(Stored(*damaged));
}

// --- a damaged profile ----------------------------------------------------------------

TEST_F(OtherLaptopTest, GarbledClockInTheProfileStopsTheSyncAndChangesNothing) {
  sync::SubmissionId id = Save(3);
  sync::Envelope edit = Signed(server_key_, *form_, id, R"({"queue":4})");
  ASSERT_TRUE(store_->Put(profile_key::kHlc, "12abc").ok());
  auto out = Receive({edit});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kCorruption);
  EXPECT_NE(out.status().message().find("'hlc'"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("'12abc'"), std::string::npos) << out.status().message();
  // The exchange's transaction is undone: nothing taken in, nothing moved.
  EXPECT_FALSE(Stored(edit));
  EXPECT_EQ(*store_->CountPending(), 1);
  EXPECT_EQ(*store_->GetOr(profile_key::kHlc, ""), "12abc");
  EXPECT_FALSE(store_->Get(profile_key::kDownloadCursor)->has_value());
  EXPECT_FALSE(store_->Get(profile_key::kCheckpoint)->has_value());
  EXPECT_EQ(json::parse((*store_->FindSubmission(id))->answers_json), json({{"queue", 3}}));
}

TEST_F(OtherLaptopTest, ClockBeyondWhatANumberHoldsInTheProfileIsCorruption) {
  ASSERT_TRUE(store_->Put(profile_key::kHlc, "18446744073709551616").ok());
  auto out = Receive({});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kCorruption);
  EXPECT_NE(out.status().message().find("18446744073709551616"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace dala::client

namespace dala::client {
namespace {

// --- coordinators' own keys (sync/README.md, "Decisions") ---------------------------------

// The server's event enrolling `key` as `person`'s decision key.
sync::Envelope PersonKeyEnrolment(const sync::SigningKey& server, const sync::PublicKey& key, const std::string& person) {
  sync::EventBody event;
  event.type = "person_key_enrolled";
  event.by = "admin";
  event.person = person;
  event.role = "coordinator";
  event.key = ToHex(key);
  sync::EnvelopeFields f;
  f.kind = sync::EnvelopeKind::kEvent;
  f.body = sync::MakeEventBody(event);
  return Seal(std::move(f), server);
}

// The server's event revoking `person`'s `key`, trusting its decisions up
// to `through` ("" as before revocations said it).
sync::Envelope PersonKeyRevocation(const sync::SigningKey& server, const sync::PublicKey& key,
                                   const std::string& person, const std::string& through) {
  sync::EventBody event;
  event.type = "person_key_revoked";
  event.by = "admin";
  event.person = person;
  event.key = ToHex(key);
  event.reason = "browser profile lost";
  event.through = through;
  sync::EnvelopeFields f;
  f.kind = sync::EnvelopeKind::kEvent;
  f.body = sync::MakeEventBody(event);
  return Seal(std::move(f), server);
}

// A review of `id` in the name of `by`, signed by `key` as the `sequence`th
// envelope of its chain.
sync::Envelope ReviewBy(const sync::SigningKey& key, const schema::Form& form, sync::SubmissionId id,
                        const std::string& by, const std::string& state, uint64_t sequence = 1) {
  sync::EnvelopeFields f;
  f.kind = sync::EnvelopeKind::kEvent;
  f.submission = id;
  f.form_hash = form.hash();
  f.form_id = form.id();
  f.form_version = form.version();
  sync::EventBody review;
  review.type = "review";
  review.state = state;
  review.by = by;
  review.comment = "see the windows";
  f.body = sync::MakeEventBody(review);
  return Seal(std::move(f), key, sequence);
}

class CoordinatorKeyTest : public OtherLaptopTest {
 protected:
  sync::SigningKey aigerim_ = sync::SigningKey::Generate(random_);
  sync::SigningKey bolat_ = sync::SigningKey::Generate(random_);
};

TEST_F(CoordinatorKeyTest, ReviewSignedByTheKeyTheServerEnrolledForThatCoordinatorIsTakenIn) {
  sync::SubmissionId id = Save(3);
  sync::Envelope review = ReviewBy(aigerim_, *form_, id, "aigerim", "has_issues");
  auto out = Receive({PersonKeyEnrolment(server_key_, aigerim_.public_key(), "aigerim"), review});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->refused_updates.empty()) << out->refused_updates[0];
  EXPECT_TRUE(Stored(review));
  EXPECT_EQ((*store_->FindSubmission(id))->review_by, "aigerim");
}

TEST_F(CoordinatorKeyTest, DecisionTheServerForgesForACoordinatorWithAKeyIsLeftOut) {
  sync::SubmissionId id = Save(3);
  sync::Envelope forged = ReviewBy(server_key_, *form_, id, "aigerim", "rejected");
  auto out = Receive({PersonKeyEnrolment(server_key_, aigerim_.public_key(), "aigerim"), forged});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_NE(out->refused_updates[0].find("has an enrolled key"), std::string::npos) << out->refused_updates[0];
  EXPECT_FALSE(Stored(forged));
  EXPECT_EQ((*store_->FindSubmission(id))->review_by, "");
  // For a coordinator who never had a key, the server still attests.
  sync::Envelope attested = ReviewBy(server_key_, *form_, id, "bolat", "approved");
  auto later = Receive({attested});
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_TRUE(Stored(attested));
}

TEST_F(CoordinatorKeyTest, DecisionSignedByAKeyNeverEnrolledForThatCoordinatorIsLeftOut) {
  sync::SubmissionId id = Save(3);
  sync::Envelope wrong_person = ReviewBy(bolat_, *form_, id, "aigerim", "rejected");
  sync::SigningKey stranger = sync::SigningKey::Generate(random_);
  sync::Envelope unenrolled = ReviewBy(stranger, *form_, id, "aigerim", "rejected");
  auto out = Receive({PersonKeyEnrolment(server_key_, aigerim_.public_key(), "aigerim"),
                      PersonKeyEnrolment(server_key_, bolat_.public_key(), "bolat"), wrong_person, unenrolled});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 2u);
  EXPECT_NE(out->refused_updates[0].find("enrolled for bolat"), std::string::npos) << out->refused_updates[0];
  EXPECT_FALSE(Stored(wrong_person));
  EXPECT_FALSE(Stored(unenrolled));
  EXPECT_EQ((*store_->FindSubmission(id))->review_by, "");
}

// A correction of `id` in the name of `by`, signed by `key`, on the record's revision.
sync::Envelope CorrectionBy(const sync::SigningKey& key, const schema::Form& form, sync::SubmissionId id,
                            const sync::Hash& parent, const std::string& by, int queue) {
  sync::EnvelopeFields f;
  f.kind = sync::EnvelopeKind::kRevision;
  f.submission = id;
  f.parents = {parent};
  f.form_hash = form.hash();
  f.form_id = form.id();
  f.form_version = form.version();
  f.body = sync::MakeRevisionBody(json{{"queue", queue}}.dump(), 300, by, "counted again");
  return Seal(std::move(f), key);
}

TEST_F(CoordinatorKeyTest, CorrectionTheServerOrAKeyNeverEnrolledForHerSignsInHerNameIsLeftOut) {
  sync::SubmissionId id = Save(3);
  auto mine = store_->EnvelopesOf(id);
  ASSERT_TRUE(mine.ok() && mine->size() == 1u);
  const sync::Hash parent = (*mine)[0].id;
  sync::Envelope by_server = CorrectionBy(server_key_, *form_, id, parent, "aigerim", 99);
  sync::SigningKey stranger = sync::SigningKey::Generate(random_);
  sync::Envelope by_stranger = CorrectionBy(stranger, *form_, id, parent, "aigerim", 98);
  sync::Envelope by_bolat = CorrectionBy(bolat_, *form_, id, parent, "aigerim", 97);
  sync::Envelope hers = CorrectionBy(aigerim_, *form_, id, parent, "aigerim", 20);
  auto out = Receive({PersonKeyEnrolment(server_key_, aigerim_.public_key(), "aigerim"),
                      PersonKeyEnrolment(server_key_, bolat_.public_key(), "bolat"), by_server, by_stranger, by_bolat,
                      hers});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 3u);
  EXPECT_NE(out->refused_updates[0].find("has an enrolled key"), std::string::npos) << out->refused_updates[0];
  EXPECT_NE(out->refused_updates[1].find("never enrolled"), std::string::npos) << out->refused_updates[1];
  EXPECT_NE(out->refused_updates[2].find("enrolled for bolat"), std::string::npos) << out->refused_updates[2];
  EXPECT_FALSE(Stored(by_server));
  EXPECT_FALSE(Stored(by_stranger));
  EXPECT_FALSE(Stored(by_bolat));
  EXPECT_TRUE(Stored(hers));
  EXPECT_EQ(json::parse((*store_->FindSubmission(id))->answers_json)["queue"], 20);
}

TEST_F(CoordinatorKeyTest, PersonKeyEnrolmentNotSignedByTheServerEnrolsNothing) {
  sync::SubmissionId id = Save(3);
  sync::Envelope review = ReviewBy(aigerim_, *form_, id, "aigerim", "rejected");
  auto out = Receive({PersonKeyEnrolment(aigerim_, aigerim_.public_key(), "aigerim"), review});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->refused_updates.size(), 2u);
  EXPECT_FALSE(Stored(review));
}

TEST_F(CoordinatorKeyTest, DecisionOfARevokedCoordinatorKeyAfterItsRevocationIsRefusedAndTheEarlierOneKept) {
  sync::SubmissionId id = Save(3);
  sync::Envelope earlier = ReviewBy(aigerim_, *form_, id, "aigerim", "has_issues", 1);
  sync::Envelope later = ReviewBy(aigerim_, *form_, id, "aigerim", "rejected", 2);  // with the lost key
  auto out = Receive({PersonKeyEnrolment(server_key_, aigerim_.public_key(), "aigerim"), earlier,
                      PersonKeyRevocation(server_key_, aigerim_.public_key(), "aigerim", "1"), later});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(Stored(earlier));
  EXPECT_FALSE(Stored(later));
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_NE(out->refused_updates[0].find("after its revocation"), std::string::npos) << out->refused_updates[0];
  // And in every later sync.
  sync::Envelope even_later = ReviewBy(aigerim_, *form_, id, "aigerim", "approved", 3);
  ASSERT_TRUE(Receive({even_later}).ok());
  EXPECT_FALSE(Stored(even_later));
  EXPECT_TRUE(Stored(earlier));
}

TEST_F(CoordinatorKeyTest, DecisionARevokedCoordinatorKeyMadeBeforeItsRevocationIsTakenInWhenItArrivesAfterIt) {
  // As a decision set aside for a form the laptop lacked is, when the
  // form comes after the revocation: the log order decides, not arrival.
  sync::SubmissionId id = Save(3);
  sync::Envelope before = ReviewBy(aigerim_, *form_, id, "aigerim", "approved", 2);
  auto out = Receive({PersonKeyEnrolment(server_key_, aigerim_.public_key(), "aigerim"),
                      PersonKeyRevocation(server_key_, aigerim_.public_key(), "aigerim", "2"), before});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->refused_updates.empty()) << out->refused_updates[0];
  EXPECT_TRUE(Stored(before));
}

TEST_F(CoordinatorKeyTest, RevocationOfACoordinatorKeyThatDoesNotSayWhereRefusesWhatComesAfterIt) {
  sync::SubmissionId id = Save(3);
  sync::Envelope held = ReviewBy(aigerim_, *form_, id, "aigerim", "has_issues", 1);
  ASSERT_TRUE(Receive({PersonKeyEnrolment(server_key_, aigerim_.public_key(), "aigerim"), held}).ok());
  sync::Envelope after = ReviewBy(aigerim_, *form_, id, "aigerim", "rejected", 2);
  auto out = Receive({PersonKeyRevocation(server_key_, aigerim_.public_key(), "aigerim", ""), after});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(Stored(held));
  EXPECT_FALSE(Stored(after));
}

TEST_F(CoordinatorKeyTest, CoordinatorKeyRevocationNotSignedByTheServerRevokesNothing) {
  sync::SubmissionId id = Save(3);
  sync::Envelope review = ReviewBy(aigerim_, *form_, id, "aigerim", "approved", 2);
  auto out = Receive({PersonKeyEnrolment(server_key_, aigerim_.public_key(), "aigerim"),
                      PersonKeyRevocation(bolat_, aigerim_.public_key(), "aigerim", "0"), review});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_NE(out->refused_updates[0].find("event not signed by the server"), std::string::npos)
      << out->refused_updates[0];
  EXPECT_TRUE(Stored(review));
}

// --- a revoked laptop of the same volunteer (issue 10, item 7) ------------------------------

TEST_F(OtherLaptopTest, RevisionsOfARevokedLaptopAfterWhereTheServerStoppedTrustingItAreRefused) {
  sync::Envelope before = Revision(other_laptop_, 1);
  sync::Envelope after = Revision(other_laptop_, 2);  // made with the stolen key
  auto out = Receive({Enrolment(server_key_, other_laptop_.public_key(), "askar"), before,
                      Revocation(server_key_, other_laptop_.public_key(), "askar", "1"), after});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(Stored(before));
  EXPECT_FALSE(Stored(after));
  ASSERT_EQ(out->refused_updates.size(), 1u);
  EXPECT_NE(out->refused_updates[0].find("after the server revoked it"), std::string::npos) << out->refused_updates[0];
  // And in every later sync, whatever order they come in.
  sync::Envelope later = Revision(other_laptop_, 3);
  auto next = Receive({later});
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(Stored(later));
}

TEST_F(OtherLaptopTest, RevisionsARevokedLaptopMadeBeforeItsRevocationStillArriveAfterIt) {
  // A laptop enrolled after the theft hears of the revocation before the
  // stolen laptop's earlier, genuine records.
  sync::Envelope genuine = Revision(other_laptop_, 2);
  auto out = Receive({Enrolment(server_key_, other_laptop_.public_key(), "askar"),
                      Revocation(server_key_, other_laptop_.public_key(), "askar", "2"), genuine});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->refused_updates.empty()) << out->refused_updates[0];
  EXPECT_TRUE(Stored(genuine));
}

TEST_F(OtherLaptopTest, RevocationThatDoesNotSayWhereKeepsWhatTheLaptopHeldAndRefusesTheRest) {
  sync::Envelope held = Revision(other_laptop_, 1);
  ASSERT_TRUE(Receive({Enrolment(server_key_, other_laptop_.public_key(), "askar"), held}).ok());
  sync::Envelope after = Revision(other_laptop_, 2);
  auto out = Receive({Revocation(server_key_, other_laptop_.public_key(), "", ""), after});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(Stored(held));
  EXPECT_FALSE(Stored(after));
}

TEST_F(OtherLaptopTest, RevocationBeforeTheEnrolmentStillStands) {
  sync::Envelope after = Revision(other_laptop_, 1);
  auto out = Receive({Revocation(server_key_, other_laptop_.public_key(), "askar", "0"),
                      Enrolment(server_key_, other_laptop_.public_key(), "askar"), after});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FALSE(Stored(after));
}

TEST_F(OtherLaptopTest, RevocationNotSignedByTheServerRevokesNothing) {
  sync::Envelope genuine = Revision(other_laptop_, 2);
  auto out = Receive({Enrolment(server_key_, other_laptop_.public_key(), "askar"),
                      Revocation(other_laptop_, other_laptop_.public_key(), "askar", "0"), genuine});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(Stored(genuine));
  auto laptop = store_->FindVolunteerLaptop(other_laptop_.public_key());
  ASSERT_TRUE(laptop.ok() && laptop->has_value());
  EXPECT_FALSE((*laptop)->revoked);
}

TEST_F(OtherLaptopTest, RecordOfAFormThisLaptopLacksIsFetchedAgainAndTakenInOnceTheFormArrives) {
  std::string newer_doc = std::string(kForm).replace(std::string(kForm).find("\"version\":\"1\""), 13,
                                                     "\"version\":\"9\"");
  auto newer = schema::Form::Load(newer_doc);
  ASSERT_TRUE(newer.ok()) << newer.status().ToString();
  sync::Envelope waiting = Signed(other_laptop_, **newer, sync::NewSubmissionId(clock_, random_), R"({"queue":1})");
  auto first = Receive({Enrolment(server_key_, other_laptop_.public_key(), "askar"), waiting});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(Stored(waiting));
  ASSERT_EQ(first->refused_updates.size(), 1u);
  EXPECT_NE(first->refused_updates[0].find("kept"), std::string::npos) << first->refused_updates[0];
  // The server no longer has it in the download; the laptop asks for the form.
  wanted_form_hash_ = (*newer)->hash();
  wanted_form_ = newer_doc;
  auto second = Receive({});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(last_request_.forms_wanted.size(), 1u);
  EXPECT_EQ(last_request_.forms_wanted[0], (*newer)->hash());
  EXPECT_TRUE(second->refused_updates.empty()) << second->refused_updates[0];
  EXPECT_TRUE(Stored(waiting));
  EXPECT_TRUE(store_->SetAsideUpdates()->empty());
  auto report = VerifyLocalStore(*store_);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems[0].what;
  // Nothing more is asked for.
  ASSERT_TRUE(Receive({}).ok());
  EXPECT_TRUE(last_request_.forms_wanted.empty());
}

}  // namespace
}  // namespace dala::client
