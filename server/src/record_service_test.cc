// RecordService over each store (store_test_util.h), with a
// fake clock and seeded randomness: laptops are signing keys that seal
// envelopes as the client would, and every answer is checked as a laptop
// or an auditor would check it.

#include "record_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <sstream>

#include <cctype>
#include <nlohmann/json.hpp>
#include <thread>

#include "dala/base/hex.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/enrolment.h"
#include "dala/sync/merge.h"
#include "dala/sync/merkle.h"
#include "export.h"
#include "store_test_util.h"

namespace dala::server {
namespace {

using nlohmann::json;
using sync::Envelope;
using sync::Hash;
using sync::SubmissionId;

constexpr const char* kForm = R"({"dala_form":1,"id":"visit","version":"1","title":"Visit",
  "languages":["en"],"default_language":"en","duplicate_key":["centre","visit_date"],
  "questions":[{"type":"text","name":"centre","label":"Centre","required":true},
               {"type":"date","name":"visit_date","label":"Visit date","required":true},
               {"type":"integer","name":"queue","label":"Queue","constraint":". >= 0"}]})";

json Answers(int queue = 3, const std::string& centre = "ala_01") {
  return {{"centre", centre}, {"visit_date", "2025-12-31"}, {"queue", queue}};
}

// A volunteer's laptop: its key, the device row the server keeps for it,
// and the head of its chain.
struct Laptop {
  explicit Laptop(sync::Random& random) : key(sync::SigningKey::Generate(random)) {}
  sync::SigningKey key;
  Device device;
  uint64_t sequence = 0;
  Hash last{};
};

class RecordServiceTest : public testing::ServiceTest {
 protected:
  RecordServiceTest() : ServiceTest(kForm) {}
  void SetUp() override {
    ServiceTest::SetUp();
    if (HasFatalFailure()) return;
    alma_code_ = Enroll(alma_, "alma");
  }

  // Enrols `laptop` for `volunteer` with a fresh code; the code.
  std::string Enroll(Laptop& laptop, const std::string& volunteer) {
    std::string code = IssueLaptopCode(volunteer);
    laptop.device = EnrollLaptop(laptop.key.public_key(), code);
    return code;
  }

  // Merge of every revision the store holds of `id`, newest first: out of
  // log order, so Merge searches the DAG field by field rather than folding
  // a chain edit by edit as the server may.
  Result<sync::MergedState> MergeOfEveryRevision(const SubmissionId& id) {
    std::vector<sync::MergeInput> in;
    DALA_ASSIGN_OR_RETURN(std::vector<StoredEnvelope> stored, store_->EnvelopesOf(id));
    for (const StoredEnvelope& bytes : stored) {
      Envelope e = Parsed(bytes.bytes);
      if (e.kind() != sync::EnvelopeKind::kRevision) continue;
      in.push_back({e.id(), e.parents(), e.hlc(), e.author(), json::parse(e.body())["answers"].dump()});
    }
    std::reverse(in.begin(), in.end());
    return sync::Merge(in);
  }

  // Seals `f` as `laptop`'s next envelope and moves its chain on.
  std::string Next(Laptop& laptop, sync::EnvelopeFields f) {
    f.sequence = ++laptop.sequence;
    f.previous = laptop.last;
    std::string bytes = Seal(laptop.key, std::move(f));
    laptop.last = IdOf(bytes);
    clock_.Advance(1000);
    return bytes;
  }
  std::string Next(Laptop& laptop, const json& answers = Answers()) { return Next(laptop, Fields(answers)); }

  static Envelope Parsed(const std::string& bytes) {
    auto e = Envelope::Parse(bytes);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return *e;
  }
  static Hash IdOf(const std::string& bytes) { return Parsed(bytes).id(); }
  static SubmissionId SubmissionOf(const std::string& bytes) { return Parsed(bytes).submission(); }

  sync::SyncResponse Sync(const Laptop& laptop, std::vector<std::string> envelopes, std::string cursor = "",
                          uint64_t receipted_through = 0, uint64_t checkpoint_size = 0) {
    sync::SyncRequest request;
    request.envelopes = std::move(envelopes);
    request.cursor = std::move(cursor);
    request.receipted_through = receipted_through;
    request.checkpoint_size = checkpoint_size;
    auto response = service_->HandleSync(laptop.device, request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : sync::SyncResponse{};
  }

  uint64_t LogSize() { return *store_->LogSize(); }

  SubmissionSummary Summary(const SubmissionId& id) {
    auto s = store_->FindSubmission(id);
    EXPECT_TRUE(s.ok() && s->has_value()) << sync::FormatSubmissionId(id);
    return s.ok() && s->has_value() ? **s : SubmissionSummary{};
  }

  // The one refusal in `response`, as "sequence code".
  static std::string OnlyRefusal(const sync::SyncResponse& response) {
    if (response.rejected.size() != 1) return std::to_string(response.rejected.size()) + " refusals";
    return std::to_string(response.rejected[0].sequence) + " " + response.rejected[0].code;
  }

  sync::Checkpoint Verified(const std::string& note) {
    auto cp = sync::VerifyCheckpoint(note, service_->origin(), service_->server_key(), service_->origin());
    EXPECT_TRUE(cp.ok()) << cp.status().ToString();
    return cp.ok() ? *cp : sync::Checkpoint{};
  }

  // Two volunteers' records of the same visit: possible duplicates.
  std::pair<SubmissionId, SubmissionId> TwoRecordsOfOneVisit() {
    Enroll(bota_, "bota");
    std::string a = Next(alma_), b = Next(bota_);
    EXPECT_EQ(Sync(alma_, {a}).accepted_through, 1u);
    EXPECT_EQ(Sync(bota_, {b}).accepted_through, 1u);
    return {SubmissionOf(a), SubmissionOf(b)};
  }

  Laptop alma_{random_};
  Laptop bota_{random_};
  std::string alma_code_;  // the code alma's laptop was enrolled with
};

INSTANTIATE_TEST_SUITE_P(, RecordServiceTest, testing::EachStore(), testing::StoreName);
using SqliteRecordServiceTest = testing::SqliteOnly<RecordServiceTest>;

// --- a sync that goes through ----------------------------------------------------------------

TEST_P(RecordServiceTest, FirstSyncAppendsInSequenceOrderWithAReceiptThatProvesInclusion) {
  const uint64_t before = LogSize();  // the enrolment event
  std::vector<std::string> batch = {Next(alma_), Next(alma_), Next(alma_)};
  sync::SyncResponse r = Sync(alma_, batch);
  EXPECT_TRUE(r.rejected.empty()) << OnlyRefusal(r);
  EXPECT_EQ(r.accepted_through, 3u);
  EXPECT_EQ(r.server_time_ms, clock_.NowMs());
  auto log = store_->LogRange(before, before + 3);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  for (size_t k = 0; k < 3; ++k) EXPECT_EQ((*log)[k].bytes, batch[k]);
  ASSERT_TRUE(r.receipt.has_value());
  EXPECT_EQ(r.receipt->sequence, 3u);
  EXPECT_EQ(r.receipt->envelope, IdOf(batch[2]));
  EXPECT_EQ(r.receipt->leaf_index, before + 2);
  sync::Checkpoint cp = Verified(r.checkpoint);
  EXPECT_EQ(cp.size, before + 3);
  EXPECT_TRUE(sync::VerifyInclusion(r.receipt->leaf_index, cp.size, sync::LeafHash(batch[2]), r.receipt->proof, cp.root)
                  .ok());
  EXPECT_EQ(Summary(SubmissionOf(batch[0])).review_state, "received");
  EXPECT_EQ(Summary(SubmissionOf(batch[0])).volunteer, "alma");
}

TEST_P(RecordServiceTest, SyncNotesWhenTheLaptopLastSynced) {
  // Noted in the sync's own commit, for the dashboard's silent laptops.
  Sync(alma_, {Next(alma_)});
  auto device = store_->FindDevice(alma_.key.public_key());
  ASSERT_TRUE(device.ok() && device->has_value());
  EXPECT_EQ((*device)->last_sync_ms, clock_.NowMs());
}

TEST_P(RecordServiceTest, ConcurrentSyncsAreEachAppendedOnceAndReceiptedUnderTheirAnswersCheckpoint) {
  // Syncs that wait for one another are appended together (group commit):
  // each must still get exactly its own envelopes appended, a receipt that
  // proves them under the checkpoint in its own answer, and that
  // checkpoint must be one the server stored.
  constexpr int kLaptops = 8, kRecords = 5;
  std::vector<std::unique_ptr<Laptop>> laptops;
  std::vector<std::vector<std::string>> batches(kLaptops);
  for (int k = 0; k < kLaptops; ++k) {
    laptops.push_back(std::make_unique<Laptop>(random_));
    Enroll(*laptops[k], "v" + std::to_string(k));
    for (int r = 0; r < kRecords; ++r) batches[k].push_back(Next(*laptops[k], Answers(r, "c" + std::to_string(k))));
  }
  const uint64_t before = LogSize();
  std::vector<Result<sync::SyncResponse>> answers(kLaptops, Status::Internal("not run"));
  std::vector<std::thread> threads;
  for (int k = 0; k < kLaptops; ++k)
    threads.emplace_back([&, k] {
      sync::SyncRequest request;
      request.envelopes = batches[k];
      answers[k] = service_->HandleSync(laptops[k]->device, request);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(LogSize(), before + kLaptops * kRecords);
  for (int k = 0; k < kLaptops; ++k) {
    ASSERT_TRUE(answers[k].ok()) << answers[k].status().ToString();
    const sync::SyncResponse& r = *answers[k];
    EXPECT_TRUE(r.rejected.empty()) << OnlyRefusal(r);
    EXPECT_EQ(r.accepted_through, static_cast<uint64_t>(kRecords));
    ASSERT_TRUE(r.receipt.has_value());
    sync::Checkpoint cp = Verified(r.checkpoint);
    EXPECT_TRUE(sync::VerifyInclusion(r.receipt->leaf_index, cp.size, sync::LeafHash(batches[k].back()),
                                      r.receipt->proof, cp.root)
                    .ok());
    for (const std::string& e : batches[k]) {
      auto stored = store_->FindEnvelope(IdOf(e));
      ASSERT_TRUE(stored.ok() && stored->has_value());
      EXPECT_GE((*stored)->log_index, before);
    }
  }
  auto last = store_->LastCheckpoint();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ(Verified((*last)->second).size, LogSize());
}

TEST_P(RecordServiceTest, BatchSentOutOfOrderIsAppendedInSequenceOrder) {
  const uint64_t before = LogSize();
  std::string one = Next(alma_), two = Next(alma_), three = Next(alma_);
  sync::SyncResponse r = Sync(alma_, {three, one, two});
  EXPECT_TRUE(r.rejected.empty()) << OnlyRefusal(r);
  EXPECT_EQ(r.accepted_through, 3u);
  auto log = store_->LogRange(before, before + 3);
  ASSERT_TRUE(log.ok() && log->size() == 3u);
  EXPECT_EQ((*log)[0].bytes, one);
  EXPECT_EQ((*log)[1].bytes, two);
  EXPECT_EQ((*log)[2].bytes, three);
}

TEST_P(RecordServiceTest, ReplayedBatchAppendsNothingAndIsReceiptedAgain) {
  std::vector<std::string> batch = {Next(alma_), Next(alma_)};
  ASSERT_EQ(Sync(alma_, batch).accepted_through, 2u);
  const uint64_t size = LogSize();
  sync::SyncResponse again = Sync(alma_, batch);  // the first answer was lost
  EXPECT_TRUE(again.rejected.empty()) << OnlyRefusal(again);
  EXPECT_EQ(again.accepted_through, 2u);
  EXPECT_EQ(LogSize(), size);
  ASSERT_TRUE(again.receipt.has_value());
  sync::Checkpoint cp = Verified(again.checkpoint);
  EXPECT_TRUE(
      sync::VerifyInclusion(again.receipt->leaf_index, cp.size, sync::LeafHash(batch[1]), again.receipt->proof, cp.root)
          .ok());
  EXPECT_FALSE(Sync(alma_, {}, again.cursor, 2).receipt.has_value());  // nothing beyond what it has proof of
}

TEST_P(RecordServiceTest, ConsistencyProofLinksTheLaptopsCheckpointToTheNewOne) {
  sync::SyncResponse first = Sync(alma_, {Next(alma_)});
  sync::Checkpoint old_cp = Verified(first.checkpoint);
  sync::SyncResponse second = Sync(alma_, {Next(alma_)}, first.cursor, 1, old_cp.size);
  sync::Checkpoint new_cp = Verified(second.checkpoint);
  EXPECT_EQ(new_cp.size, old_cp.size + 1);
  EXPECT_TRUE(sync::VerifyConsistency(old_cp.size, new_cp.size, old_cp.root, new_cp.root, second.consistency).ok());
}

TEST_P(RecordServiceTest, FormsAreSentOnceAndTheCursorMovesPastThem) {
  sync::SyncResponse first = Sync(alma_, {});
  ASSERT_EQ(first.forms.size(), 1u);
  EXPECT_EQ(first.forms[0], kForm);
  EXPECT_FALSE(first.more);
  sync::SyncResponse second = Sync(alma_, {}, first.cursor);
  EXPECT_TRUE(second.forms.empty());
  EXPECT_EQ(second.cursor, first.cursor);
}

TEST_P(RecordServiceTest, RevisionFromOneLaptopReachesTheVolunteersOtherLaptop) {
  Laptop second(random_);
  Enroll(second, "alma");
  std::string cursor = Sync(second, {}).cursor;
  std::string revision = Next(alma_);
  ASSERT_EQ(Sync(alma_, {revision}).accepted_through, 1u);
  sync::SyncResponse r = Sync(second, {}, cursor);
  ASSERT_EQ(r.envelopes.size(), 1u);
  EXPECT_EQ(r.envelopes[0], revision);
}

TEST_P(RecordServiceTest, RevokingALaptopSendsTheOthersTheRevocationWithWhereItsTrustedChainEnds) {
  Laptop second(random_);
  Enroll(second, "alma");
  std::string cursor = Sync(second, {}).cursor;
  ASSERT_EQ(Sync(alma_, {Next(alma_), Next(alma_)}).accepted_through, 2u);
  ASSERT_TRUE(service_->Revoke(alma_.key.public_key(), "aigerim", "stolen").ok());
  sync::SyncResponse r = Sync(second, {}, cursor);
  ASSERT_EQ(r.envelopes.size(), 3u);  // two revisions, then the revocation
  Envelope revoke = Parsed(r.envelopes[2]);
  EXPECT_EQ(revoke.author(), service_->server_key());
  auto body = sync::ParseEventBody(revoke.body());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(body->type, "revoke");
  EXPECT_EQ(body->device, ToHex(alma_.key.public_key()));
  EXPECT_EQ(body->volunteer, "alma");
  EXPECT_EQ(body->through, "2");
}

TEST_P(RecordServiceTest, ALaptopEnrolledAfterARevocationIsSentItToo) {
  ASSERT_EQ(Sync(alma_, {Next(alma_)}).accepted_through, 1u);
  ASSERT_TRUE(service_->Revoke(alma_.key.public_key(), "aigerim", "stolen").ok());
  Laptop replacement(random_);
  Enroll(replacement, "alma");
  sync::SyncResponse r = Sync(replacement, {});
  bool revocation = false;
  for (const std::string& bytes : r.envelopes) {
    Envelope e = Parsed(bytes);
    auto body = sync::ParseEventBody(e.body());
    if (e.kind() == sync::EnvelopeKind::kEvent && body.ok() && body->type == "revoke") {
      revocation = true;
      EXPECT_EQ(body->through, "1");
    }
  }
  EXPECT_TRUE(revocation);
}

TEST_P(RecordServiceTest, FormsAskedForAgainAreSentWhateverTheCursor) {
  sync::SyncResponse first = Sync(alma_, {});
  ASSERT_EQ(first.forms.size(), 1u);
  sync::SyncRequest request;
  request.cursor = first.cursor;
  request.forms_wanted = {form_->hash(), sync::Sha256("no such form")};
  auto again = service_->HandleSync(alma_.device, request);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->forms.size(), 1u);  // the unknown hash is passed over
  EXPECT_EQ(again->forms[0], kForm);
  EXPECT_EQ(again->cursor, first.cursor);
}

// --- envelopes refused one by one ---------------------------------------------------------

TEST_P(RecordServiceTest, BadSignatureIsRefusedAndTheEnvelopesBeforeItAccepted) {
  std::string one = Next(alma_), two = Next(alma_), three = Next(alma_);
  three[three.size() - 5] ^= 1;  // inside the signature
  const uint64_t before = LogSize();
  sync::SyncResponse r = Sync(alma_, {one, two, three});
  EXPECT_EQ(OnlyRefusal(r), "3 bad_signature");
  EXPECT_EQ(r.accepted_through, 2u);
  EXPECT_EQ(LogSize(), before + 2);
}

TEST_P(RecordServiceTest, EnvelopeSignedByAnotherKeyIsRefusedAsWrongAuthor) {
  std::string one = Next(alma_);
  sync::EnvelopeFields f = Fields(Answers());
  f.sequence = 2;
  f.previous = alma_.last;
  sync::SyncResponse r = Sync(alma_, {one, Seal(bota_.key, f)});
  EXPECT_EQ(OnlyRefusal(r), "2 wrong_author");
  EXPECT_EQ(r.accepted_through, 1u);
}

TEST_P(RecordServiceTest, RevisionOfAnUnpublishedFormIsRefusedAsUnknownForm) {
  std::string doc = kForm;
  doc.replace(doc.find("\"version\":\"1\""), 13, "\"version\":\"2\"");
  auto unpublished = schema::Form::Load(doc);
  ASSERT_TRUE(unpublished.ok());
  std::string one = Next(alma_);
  sync::EnvelopeFields f = Fields(Answers());
  f.form_hash = (*unpublished)->hash();
  f.form_version = "2";
  sync::SyncResponse r = Sync(alma_, {one, Next(alma_, f)});
  EXPECT_EQ(OnlyRefusal(r), "2 unknown_form");
  EXPECT_EQ(r.accepted_through, 1u);
}

TEST_P(RecordServiceTest, RevisionWhoseFormHashNamesAnotherVersionIsRefusedAsInvalidRevision) {
  sync::EnvelopeFields f = Fields(Answers());
  f.form_version = "0";
  sync::SyncResponse r = Sync(alma_, {Next(alma_), Next(alma_, f)});
  EXPECT_EQ(OnlyRefusal(r), "2 invalid_revision");
  EXPECT_EQ(r.accepted_through, 1u);
}

TEST_P(RecordServiceTest, AnswersThatBreakAConstraintAreRefusedAsInvalidAnswers) {
  sync::SyncResponse r = Sync(alma_, {Next(alma_), Next(alma_, Answers(-1))});
  EXPECT_EQ(OnlyRefusal(r), "2 invalid_answers");
  EXPECT_NE(r.rejected[0].reason.find("queue"), std::string::npos) << r.rejected[0].reason;
  EXPECT_EQ(r.accepted_through, 1u);
}

// The sender's encoding, not the volunteer's answers (issue 18: it used to
// come back as invalid_answers, sending a client's author to the form).
TEST_P(RecordServiceTest, RevisionBodyWithoutATimeZoneIsRefusedAsAnInvalidRevision) {
  sync::EnvelopeFields f = Fields(Answers());
  f.body = json{{"answers", Answers()}}.dump();
  sync::SyncResponse r = Sync(alma_, {Next(alma_, f)});
  EXPECT_EQ(OnlyRefusal(r), "1 invalid_revision");
}

TEST_P(RecordServiceTest, RevisionStampedAnHourAheadOfTheServerIsRefusedAsClockAhead) {
  sync::EnvelopeFields f = Fields(Answers());
  f.hlc = sync::HlcTimestamp::Make(static_cast<uint64_t>(clock_.NowMs() + 3'600'000), 0);
  sync::SyncResponse r = Sync(alma_, {Next(alma_), Next(alma_, f)});
  EXPECT_EQ(OnlyRefusal(r), "2 clock_ahead");
  EXPECT_EQ(r.accepted_through, 1u);
}

TEST_P(RecordServiceTest, SequenceThatSkipsOneIsRefusedAsAGap) {
  std::string one = Next(alma_);
  ++alma_.sequence;  // 2 is never sent
  sync::SyncResponse r = Sync(alma_, {one, Next(alma_)});
  EXPECT_EQ(OnlyRefusal(r), "3 gap");
  EXPECT_EQ(r.accepted_through, 1u);
}

TEST_P(RecordServiceTest, DifferentEnvelopeWithAnAcceptedSequenceIsRefusedAsAFork) {
  ASSERT_EQ(Sync(alma_, {Next(alma_)}).accepted_through, 1u);
  const uint64_t size = LogSize();
  alma_.sequence = 0;
  alma_.last = {};
  sync::SyncResponse r = Sync(alma_, {Next(alma_)});
  EXPECT_EQ(OnlyRefusal(r), "1 fork");
  // Not 1: the server holds another envelope there, and a laptop that
  // trusted accepted_through would count its own as acknowledged.
  EXPECT_EQ(r.accepted_through, 0u);
  EXPECT_FALSE(r.receipt.has_value());
  EXPECT_EQ(LogSize(), size);
}

TEST_P(RecordServiceTest, ForkAboveAcceptedEnvelopesStopsAcceptedThroughBelowIt) {
  std::string one = Next(alma_);
  const Hash one_id = alma_.last;
  ASSERT_EQ(Sync(alma_, {one, Next(alma_), Next(alma_)}).accepted_through, 3u);
  alma_.sequence = 1;  // restored from a copy made after sequence 1
  alma_.last = one_id;
  sync::SyncResponse r = Sync(alma_, {one, Next(alma_)});
  EXPECT_EQ(OnlyRefusal(r), "2 fork");
  EXPECT_EQ(r.accepted_through, 1u);
  ASSERT_TRUE(r.receipt.has_value());
  EXPECT_EQ(r.receipt->sequence, 1u);
  EXPECT_EQ(r.receipt->envelope, one_id);
  sync::Checkpoint cp = Verified(r.checkpoint);
  EXPECT_TRUE(sync::VerifyInclusion(r.receipt->leaf_index, cp.size, sync::LeafHash(one), r.receipt->proof, cp.root).ok());
}

TEST_P(RecordServiceTest, NewSubmissionWhoseIdIsNotAUuidV7IsAnInvalidRevision) {
  SubmissionId v4 = sync::NewSubmissionId(clock_, random_);
  v4[6] = static_cast<uint8_t>(0x40 | (v4[6] & 0x0F));
  const uint64_t size = LogSize();
  sync::SyncResponse r = Sync(alma_, {Next(alma_, Fields(Answers(), v4))});
  EXPECT_EQ(OnlyRefusal(r), "1 invalid_revision");
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_NE(r.rejected[0].reason.find("UUIDv7"), std::string::npos) << r.rejected[0].reason;
  EXPECT_EQ(LogSize(), size);
}

TEST_P(RecordServiceTest, CheckpointLargerThanTheLogIsRefusedLoudlyAsARollback) {
  ASSERT_EQ(Sync(alma_, {Next(alma_)}).accepted_through, 1u);
  const uint64_t size = LogSize();
  sync::SyncRequest request;
  request.checkpoint_size = size + 1;
  request.envelopes = {Next(alma_)};
  ::testing::internal::CaptureStderr();
  auto r = service_->HandleSync(alma_.device, request);
  const std::string logged = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "log_behind_checkpoint");
  EXPECT_NE(logged.find("WARNING"), std::string::npos) << logged;
  EXPECT_NE(logged.find("rolled back"), std::string::npos) << logged;
  EXPECT_EQ(LogSize(), size);  // nothing appended to a log the laptop's receipts do not extend
  request.checkpoint_size = size;  // the same laptop, with the log it saw
  EXPECT_TRUE(service_->HandleSync(alma_.device, request).ok());
}

TEST_P(RecordServiceTest, EnvelopesAfterARefusedOneAreHeldBack) {
  std::string one = Next(alma_), bad = Next(alma_, Answers(-1)), three = Next(alma_);
  sync::SyncResponse r = Sync(alma_, {one, bad, three});
  ASSERT_EQ(r.rejected.size(), 2u);
  EXPECT_EQ(r.rejected[0].code, "invalid_answers");
  EXPECT_EQ(r.rejected[1].code, "held_back");
  EXPECT_EQ(r.rejected[1].sequence, 3u);
  EXPECT_EQ(r.accepted_through, 1u);
}

TEST_P(RecordServiceTest, EditNamingAParentTheServerNeverSawIsRefusedAsUnknownParent) {
  std::string created = Next(alma_);
  std::string edit = Next(alma_, Fields(Answers(5), SubmissionOf(created), {sync::Sha256("nothing")}));
  sync::SyncResponse r = Sync(alma_, {created, edit});
  EXPECT_EQ(OnlyRefusal(r), "2 unknown_parent");
}

TEST_P(RecordServiceTest, EditNamingARevisionOfAnotherSubmissionIsRefusedAsUnknownParent) {
  std::string a = Next(alma_), b = Next(alma_);
  std::string edit = Next(alma_, Fields(Answers(5), SubmissionOf(b), {IdOf(a)}));
  sync::SyncResponse r = Sync(alma_, {a, b, edit});
  EXPECT_EQ(OnlyRefusal(r), "3 unknown_parent");
  EXPECT_NE(r.rejected[0].reason.find("another submission"), std::string::npos) << r.rejected[0].reason;
}

// The same, with the parent appended by an earlier sync: looked up in the
// store, not among the batch's own envelopes.
TEST_P(RecordServiceTest, EditNamingAStoredRevisionOfAnotherSubmissionIsRefusedAsUnknownParent) {
  std::string a = Next(alma_), b = Next(alma_);
  ASSERT_EQ(Sync(alma_, {a, b}).accepted_through, 2u);
  sync::SyncResponse r = Sync(alma_, {Next(alma_, Fields(Answers(5), SubmissionOf(b), {IdOf(a)}))});
  EXPECT_EQ(OnlyRefusal(r), "3 unknown_parent");
  EXPECT_NE(r.rejected[0].reason.find("another submission"), std::string::npos) << r.rejected[0].reason;
}

// A coordinator's review is an envelope of the record, but no revision of
// its answers: an edit cannot be made on it.
TEST_P(RecordServiceTest, EditNamingAStoredDecisionAsItsParentIsRefusedAsUnknownParent) {
  std::string created = Next(alma_);
  ASSERT_EQ(Sync(alma_, {created}).accepted_through, 1u);
  ASSERT_TRUE(service_->Review(SubmissionOf(created), "aigerim", "has_issues", "queue looks wrong").ok());
  auto of_record = store_->EnvelopesOf(SubmissionOf(created));
  ASSERT_TRUE(of_record.ok());
  ASSERT_EQ(of_record->size(), 2u);
  const Hash review = of_record->back().id;
  sync::SyncResponse r = Sync(alma_, {Next(alma_, Fields(Answers(5), SubmissionOf(created), {review}))});
  EXPECT_EQ(OnlyRefusal(r), "2 unknown_parent");
  EXPECT_EQ((*store_->FindSubmission(SubmissionOf(created)))->heads, 1);
}

TEST_P(RecordServiceTest, NewSubmissionReusingAnExistingIdIsRefused) {
  std::string created = Next(alma_);
  std::string again = Next(alma_, Fields(Answers(), SubmissionOf(created)));
  sync::SyncResponse r = Sync(alma_, {created, again});
  EXPECT_EQ(OnlyRefusal(r), "2 submission_exists");
}

TEST_P(RecordServiceTest, ARetiredFormTakesNoNewRecordsButItsRecordsCanStillBeEdited) {
  std::string before = Next(alma_);
  ASSERT_EQ(Sync(alma_, {before}).accepted_through, 1u);
  ASSERT_TRUE(store_->RetireForm(form_->hash_hex(), "ada", kNow).ok());
  std::string edit = Next(alma_, Fields(Answers(7), SubmissionOf(before), {IdOf(before)}));
  std::string fresh = Next(alma_);
  sync::SyncResponse r = Sync(alma_, {edit, fresh});
  EXPECT_EQ(OnlyRefusal(r), "3 form_retired");
  EXPECT_EQ(r.accepted_through, 2u);
  EXPECT_EQ(Summary(SubmissionOf(before)).answers_json, Answers(7).dump());
  EXPECT_FALSE(store_->FindSubmission(SubmissionOf(fresh))->has_value());
}

// The shortcut for an edit builds on the stored answers; when those are
// not a JSON object (the row was damaged), the edit is merged from every
// revision instead, and the row is right again.
TEST_P(RecordServiceTest, EditOfARecordWhoseStoredAnswersAreDamagedStoresTheMergeOfEveryRevision) {
  std::string created = Next(alma_, Answers(3));
  const SubmissionId id = SubmissionOf(created);
  EXPECT_EQ(Sync(alma_, {created}).rejected.size(), 0u);
  struct Case {
    const char* damaged;
    int queue;
  };
  for (const Case& c : {Case{"[1,2]", 11}, Case{"not json", 12}}) {
    const char* damaged = c.damaged;
    SubmissionSummary row = Summary(id);
    row.answers_json = damaged;
    ASSERT_TRUE(store_->PutSubmission(row).ok()) << damaged;
    json answers = Answers();
    answers["queue"] = c.queue;
    auto stored = store_->EnvelopesOf(id);
    ASSERT_TRUE(stored.ok());
    std::string edit = Next(alma_, Fields(answers, id, {Parsed(stored->back().bytes).id()}));
    auto outcome = Sync(alma_, {edit});
    EXPECT_EQ(outcome.rejected.size(), 0u) << damaged;
    EXPECT_EQ(json::parse(Summary(id).answers_json), answers) << damaged;
    EXPECT_EQ(Summary(id).heads, 1) << damaged;
  }
}

// 2^53 + 1, then the float 2^53 (equal to it through double), then 2^53
// (not equal to 2^53 + 1): each edit is on the only head, but equality is
// not transitive here, so the shortcut would keep 2^53. The server must
// store what Merge of every revision gives.
TEST_P(RecordServiceTest, AnEditOfIntegersBeyondTwoToThe53rdStoresWhatMergingEveryRevisionGives) {
  json answers = Answers();
  answers["queue"] = uint64_t{9007199254740993};
  std::string created = Next(alma_, answers);
  const SubmissionId id = SubmissionOf(created);
  ASSERT_EQ(Sync(alma_, {created}).rejected.size(), 0u);
  std::string parent = created;
  for (json queue : {json(9007199254740992.0), json(uint64_t{9007199254740992})}) {
    answers["queue"] = queue;
    std::string edit = Next(alma_, Fields(answers, id, {IdOf(parent)}));
    auto r = Sync(alma_, {edit});
    ASSERT_EQ(r.rejected.size(), 0u) << r.rejected[0].reason;
    parent = edit;
  }
  auto merged = MergeOfEveryRevision(id);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(Summary(id).answers_json, merged->answers_json);
  EXPECT_EQ(json::parse(Summary(id).answers_json)["queue"].dump(), "9007199254740993");
}

// What an edit leaves stored is what merging every revision of the record
// gives, byte for byte, however the server made it: from the stored state
// and the edit alone (one edit on the only head), or from every revision
// (two edits in a batch, concurrent laptops, a conflict, its resolution).
TEST_P(RecordServiceTest, EveryEditStoresWhatMergingEveryRevisionGives) {
  Laptop second(random_);
  Enroll(second, "alma");
  std::string created = Next(alma_, Answers(3));
  const SubmissionId id = SubmissionOf(created);
  auto sync = [&](Laptop& laptop, std::vector<std::string> envelopes) {
    EXPECT_EQ(Sync(laptop, std::move(envelopes)).rejected.size(), 0u);
  };
  auto edit = [&](Laptop& laptop, int queue_or_minus, double as_double, std::vector<std::string> parents) {
    json answers = Answers();
    if (queue_or_minus >= 0) answers["queue"] = queue_or_minus;
    else answers["queue"] = as_double;
    std::vector<Hash> ids;
    for (const std::string& p : parents) ids.push_back(IdOf(p));
    return Next(laptop, Fields(answers, id, ids));
  };
  auto expect_merge_of_every_revision = [&](const char* when) {
    auto merged = MergeOfEveryRevision(id);
    ASSERT_TRUE(merged.ok()) << when << ": " << merged.status().ToString();
    SubmissionSummary s = Summary(id);
    EXPECT_EQ(s.answers_json, merged->answers_json) << when;
    EXPECT_EQ(s.heads, static_cast<int>(merged->heads.size())) << when;
    EXPECT_EQ(s.conflicts, static_cast<int>(merged->conflicts.size())) << when;
  };
  sync(alma_, {created});

  // 3.0 equals 3: the edit does not change queue, which keeps the form the
  // record was created with.
  std::string e1 = edit(alma_, -1, 3.0, {created});
  sync(alma_, {e1});
  EXPECT_EQ(Summary(id).answers_json, R"({"centre":"ala_01","queue":3,"visit_date":"2025-12-31"})");
  expect_merge_of_every_revision("one edit on the only head");

  // Two edits in one batch: 4.0 is set, and 4 after it changes nothing.
  std::string e2 = edit(alma_, -1, 4.0, {e1});
  std::string e3 = edit(alma_, 4, 0, {e2});
  sync(alma_, {e2, e3});
  EXPECT_EQ(json::parse(Summary(id).answers_json)["queue"].dump(), "4.0");
  expect_merge_of_every_revision("two edits in one batch");

  // Both laptops edit e3: the second one's edit, then a conflict.
  std::string e4 = edit(second, 5, 0, {e3});
  sync(second, {e4});
  expect_merge_of_every_revision("the other laptop's edit");
  std::string e5 = edit(alma_, 6, 0, {e3});
  sync(alma_, {e5});
  EXPECT_EQ(Summary(id).conflicts, 1);
  expect_merge_of_every_revision("a concurrent edit");

  // An edit of one of two heads, then the resolution naming both.
  std::string e6 = edit(alma_, 7, 0, {e5});
  sync(alma_, {e6});
  EXPECT_EQ(Summary(id).heads, 2);
  expect_merge_of_every_revision("an edit of one of two heads");
  std::string e7 = edit(alma_, 8, 0, {e4, e6});
  sync(alma_, {e7});
  EXPECT_EQ(Summary(id).heads, 1);
  expect_merge_of_every_revision("the resolution");
  std::string e8 = edit(alma_, -1, 8.0, {e7});
  sync(alma_, {e8});
  EXPECT_EQ(json::parse(Summary(id).answers_json)["queue"].dump(), "8");
  expect_merge_of_every_revision("one edit on the only head after the resolution");

  // A coordinator's edit, signed on the server: 8.0 equals 8 again.
  json recounted = Answers();
  recounted["queue"] = 8.0;
  recounted["centre"] = "ala_02";
  auto by_coordinator = service_->Edit(id, {"aigerim", recounted.dump(), "centre corrected", {}});
  ASSERT_TRUE(by_coordinator.ok()) << by_coordinator.status().ToString();
  EXPECT_EQ(Summary(id).answers_json, R"({"centre":"ala_02","queue":8,"visit_date":"2025-12-31"})");
  expect_merge_of_every_revision("a coordinator's edit");
}

// The row records its only head while the next edit of it can be merged
// from the row alone, and records none once a review, a conflict or a
// revision older by its clock than another would make that edit's state
// depend on more than the row.
TEST_P(RecordServiceTest, TheOnlyHeadIsRecordedOnlyWhileAnEditCanBeMergedFromTheRow) {
  std::string created = Next(alma_, Answers(3));
  const SubmissionId id = SubmissionOf(created);
  EXPECT_EQ(Sync(alma_, {created}).rejected.size(), 0u);
  EXPECT_EQ(Summary(id).only_head, ToHex(IdOf(created)));
  EXPECT_EQ(Summary(id).only_head_hlc, Parsed(created).hlc().packed);

  std::string e1 = Next(alma_, Fields(Answers(4), id, {IdOf(created)}));
  EXPECT_EQ(Sync(alma_, {e1}).rejected.size(), 0u);
  EXPECT_EQ(Summary(id).only_head, ToHex(IdOf(e1)));
  EXPECT_EQ(Summary(id).only_head_hlc, Parsed(e1).hlc().packed);

  // An edit stamped before its parent by its clock: the form would be the
  // parent's, not the edit's.
  sync::EnvelopeFields behind = Fields(Answers(5), id, {IdOf(e1)});
  behind.hlc = sync::HlcTimestamp::Make(Parsed(created).hlc().physical_ms() - 1, 0);
  std::string e2 = Next(alma_, behind);
  EXPECT_EQ(Sync(alma_, {e2}).rejected.size(), 0u);
  EXPECT_EQ(Summary(id).heads, 1);
  EXPECT_EQ(Summary(id).only_head, "");
  EXPECT_EQ(json::parse(Summary(id).answers_json)["queue"], 5);

  // The next edit, newer than all, records it again.
  std::string e3 = Next(alma_, Fields(Answers(6), id, {IdOf(e2)}));
  EXPECT_EQ(Sync(alma_, {e3}).rejected.size(), 0u);
  EXPECT_EQ(Summary(id).only_head, ToHex(IdOf(e3)));

  // Two heads: none.
  std::string e4 = Next(alma_, Fields(Answers(7), id, {IdOf(e1)}));
  EXPECT_EQ(Sync(alma_, {e4}).rejected.size(), 0u);
  EXPECT_EQ(Summary(id).heads, 2);
  EXPECT_EQ(Summary(id).only_head, "");
  std::string e5 = Next(alma_, Fields(Answers(8), id, {IdOf(e3), IdOf(e4)}));
  EXPECT_EQ(Sync(alma_, {e5}).rejected.size(), 0u);
  EXPECT_EQ(Summary(id).only_head, ToHex(IdOf(e5)));

  // A review, whatever it says: none, and none after the edit that follows.
  ASSERT_TRUE(service_->Review(id, "aigerim", "approved", "").ok());
  EXPECT_EQ(Summary(id).only_head, "");
  std::string e6 = Next(alma_, Fields(Answers(9), id, {IdOf(e5)}));
  EXPECT_EQ(Sync(alma_, {e6}).rejected.size(), 0u);
  EXPECT_EQ(Summary(id).only_head, "");
  EXPECT_TRUE(Summary(id).changed_since_review);
  EXPECT_EQ(Summary(id).only_head_hlc, 0u);
}

// The shortcut reads no envelope of the record but the edit: with the
// record's first revision damaged on disk, an edit of the only head is
// still stored, where merging every revision fails on the damage.
TEST_F(SqliteRecordServiceTest, AnEditOfTheOnlyHeadIsMergedFromTheRowWithoutReadingEarlierEnvelopes) {
  std::string created = Next(alma_, Answers(3));
  const SubmissionId id = SubmissionOf(created);
  EXPECT_EQ(Sync(alma_, {created}).rejected.size(), 0u);
  std::string e1 = Next(alma_, Fields(Answers(4), id, {IdOf(created)}));
  EXPECT_EQ(Sync(alma_, {e1}).rejected.size(), 0u);
  Damage("UPDATE envelopes SET bytes = x'00' WHERE id = x'" + ToHex(IdOf(created)) + "'");

  std::string e2 = Next(alma_, Fields(Answers(5), id, {IdOf(e1)}));
  EXPECT_EQ(Sync(alma_, {e2}).rejected.size(), 0u);
  SubmissionSummary s = Summary(id);
  EXPECT_EQ(json::parse(s.answers_json)["queue"], 5);
  EXPECT_EQ(s.last_log_index, LogSize() - 1);
  EXPECT_EQ(s.only_head, ToHex(IdOf(e2)));
  EXPECT_EQ(service_->RefreshSubmission(id).code(), Status::Code::kCorruption);
}

// Whatever happens to a record, the row an edit leaves (from the row and
// the edit alone when it can, else from every envelope) is the row the full
// merge of every envelope writes, column for column: over random histories
// of edits on the only head, edits older by their clock, two edits in one
// batch, forks from the other laptop and their resolutions, reviews,
// coordinators' edits and duplicate decisions.
TEST_P(RecordServiceTest, EveryRowAnEditLeavesIsTheRowTheFullMergeWrites) {
  Laptop second(random_);
  Enroll(second, "alma");
  Enroll(bota_, "bota");
  // Revisions made on either of two versions of the form: the row's form
  // is the newest revision's by its clock.
  std::string v2 = kForm;
  v2.replace(v2.find(R"("version":"1")"), 13, R"("version":"2")");
  ASSERT_TRUE(service_->PublishForm(v2, "p").ok());
  auto form_v2 = schema::Form::Load(v2);
  ASSERT_TRUE(form_v2.ok()) << form_v2.status().ToString();
  // What the histories went through, so that a history that never reached
  // a case fails here rather than passing without testing it: edits of a
  // recorded only head, plain and with duplicate decisions on the record,
  // and a batch whose two edits both name it.
  std::map<std::string, int> reached;
  for (uint32_t seed : {1u, 2u, 3u, 4u, 5u}) {
    std::mt19937 rng(seed);
    auto Fields = [&](const json& answers, const SubmissionId& id, std::vector<Hash> parents) {
      sync::EnvelopeFields f = ServiceTest::Fields(answers, id, std::move(parents));
      if (rng() % 2) {
        f.form_hash = (*form_v2)->hash();
        f.form_version = "2";
      }
      return f;
    };
    std::string created = Next(alma_, Answers(3));
    const SubmissionId id = SubmissionOf(created);
    std::string theirs = Next(bota_, Answers(3));  // the same visit: a possible duplicate
    ASSERT_EQ(Sync(alma_, {created}).rejected.size(), 0u);
    ASSERT_EQ(Sync(bota_, {theirs}).rejected.size(), 0u);
    std::vector<Hash> revisions = {IdOf(created)};
    auto answers = [&] {
      json a = Answers(static_cast<int>(rng() % 20));
      if (rng() % 4 == 0) a["queue"] = static_cast<double>(a["queue"].get<int>());  // equal, another text
      if (rng() % 6 == 0) a["centre"] = "ala_02";                                   // another visit
      return a;
    };
    auto heads = [&] {
      auto h = service_->Heads(id);
      EXPECT_TRUE(h.ok()) << h.status().ToString();
      return h.ok() ? *h : std::vector<Hash>{};
    };
    auto sync = [&](Laptop& laptop, std::vector<std::string> envelopes) {
      for (const std::string& e : envelopes) revisions.push_back(IdOf(e));
      EXPECT_EQ(Sync(laptop, std::move(envelopes)).rejected.size(), 0u) << "seed " << seed;
    };
    for (int step = 0; step < 24; ++step) {
      unsigned action = rng() % 10;
      // A review stays: after one no edit is merged from the row, so the
      // first two thirds of each history have none.
      if (action == 6 && step < 16) action = 0;
      std::vector<Hash> now = heads();
      const SubmissionSummary row = Summary(id);
      const bool recorded = now.size() == 1 && row.only_head == ToHex(now[0]);
      if (action <= 2) {  // alma's laptop edits every head (one: on the only head)
        if (recorded) {
          ++reached["an edit of the recorded only head"];
          if (!row.distinct_from.empty()) ++reached["... of a record declared distinct"];
          if (!row.merged_into.empty()) ++reached["... of a record merged away"];
        }
        sync(alma_, {Next(alma_, Fields(answers(), id, now))});
      } else if (action == 3) {  // the other laptop edits an older revision: a fork
        sync(second, {Next(second, Fields(answers(), id, {revisions[rng() % revisions.size()]}))});
      } else if (action == 4) {  // stamped an hour behind by its clock, or by its wall time only
        sync::EnvelopeFields f = Fields(answers(), id, now);
        if (rng() % 2) f.hlc = sync::HlcTimestamp::Make(f.hlc.physical_ms() - 3600000, 0);
        else f.wall_ms -= 3600000;
        sync(alma_, {Next(alma_, f)});
      } else if (action == 5) {  // two edits in one batch, one on the other
        std::string a = Next(alma_, Fields(answers(), id, now));
        std::string b = Next(alma_, Fields(answers(), id, {IdOf(a)}));
        sync(alma_, {a, b});
      } else if (action == 6) {
        static const char* const kStates[][2] = {{"approved", ""}, {"has_issues", "queue?"}, {"rejected", "no"}};
        const auto& st = kStates[rng() % 3];
        ASSERT_TRUE(service_->Review(id, "aigerim", st[0], st[1]).ok());
      } else if (action == 7) {
        auto edited = service_->Edit(id, {"aigerim", answers().dump(), "recounted", {}});
        ASSERT_TRUE(edited.ok()) << edited.status().ToString();
        revisions.push_back(*edited);
      } else if (action == 8) {  // mostly "not a duplicate", which a merge undoes
        auto decided = service_->DecideDuplicate(id, SubmissionOf(theirs),
                                                 rng() % 4 ? "not_duplicate" : "merged_into", "aigerim");
        ASSERT_TRUE(decided.ok()) << decided.status().ToString();
      } else {  // two edits in one batch naming the same heads: a fork the row has not seen
        if (recorded) ++reached["a batch of two edits of the recorded only head"];
        std::string a = Next(alma_, Fields(answers(), id, now));
        std::string b = Next(alma_, Fields(answers(), id, now));
        sync(alma_, {a, b});
      }
      const std::vector<std::string> left = testing::SummaryColumns(Summary(id));
      ASSERT_TRUE(service_->RefreshSubmission(id).ok());
      EXPECT_EQ(left, testing::SummaryColumns(Summary(id))) << "seed " << seed << " step " << step << " action " << action;
    }
  }
  for (const char* what : {"an edit of the recorded only head", "... of a record declared distinct",
                           "... of a record merged away", "a batch of two edits of the recorded only head"})
    EXPECT_GT(reached[what], 0) << what;
}

TEST_P(RecordServiceTest, EditOfAnotherVolunteersSubmissionIsRefusedAsNotOwner) {
  Enroll(bota_, "bota");
  std::string theirs = Next(bota_);
  ASSERT_EQ(Sync(bota_, {theirs}).accepted_through, 1u);
  std::string edit = Next(alma_, Fields(Answers(5), SubmissionOf(theirs), {IdOf(theirs)}));
  sync::SyncResponse r = Sync(alma_, {edit});
  EXPECT_EQ(OnlyRefusal(r), "1 not_owner");
  EXPECT_EQ(Summary(SubmissionOf(theirs)).answers_json, Answers().dump());
}

TEST_P(RecordServiceTest, MalformedCursorIsInvalidArgument) {
  for (const char* cursor : {"x", "1", "1.x", "-1.0", "1.2.3"}) {
    sync::SyncRequest request;
    request.cursor = cursor;
    EXPECT_EQ(service_->HandleSync(alma_.device, request).status().code(), Status::Code::kInvalidArgument) << cursor;
  }
}

// --- coordinators' decisions ----------------------------------------------------------------

TEST_P(RecordServiceTest, ReviewAppendsAServerSignedEventThatReachesTheOwner) {
  std::string created = Next(alma_);
  sync::SyncResponse first = Sync(alma_, {created});
  auto id = service_->Review(SubmissionOf(created), "aigerim", "has_issues", "queue looks wrong");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto stored = store_->FindEnvelope(*id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  Envelope e = Parsed((*stored)->bytes);
  EXPECT_EQ(e.author(), service_->server_key());
  EXPECT_EQ(e.kind(), sync::EnvelopeKind::kEvent);
  EXPECT_EQ(e.parents(), std::vector<Hash>{IdOf(created)});
  SubmissionSummary s = Summary(SubmissionOf(created));
  EXPECT_EQ(s.review_state, "has_issues");
  EXPECT_EQ(s.review_by, "aigerim");
  sync::SyncResponse next = Sync(alma_, {}, first.cursor, 1);
  ASSERT_EQ(next.envelopes.size(), 1u);
  EXPECT_EQ(next.envelopes[0], (*stored)->bytes);
}

TEST_P(RecordServiceTest, HasIssuesWithoutACommentIsRefused) {
  std::string created = Next(alma_);
  Sync(alma_, {created});
  const uint64_t size = LogSize();
  EXPECT_EQ(service_->Review(SubmissionOf(created), "aigerim", "has_issues", "").status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(service_->Review(SubmissionOf(created), "aigerim", "fine", "").status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(LogSize(), size);
}

TEST_P(RecordServiceTest, ReviewOfAnUnknownSubmissionIsNotFound) {
  EXPECT_EQ(service_->Review(SubmissionId{1}, "aigerim", "approved", "").status().code(), Status::Code::kNotFound);
}

TEST_P(RecordServiceTest, CoordinatorEditAppendsAServerSignedRevisionNamingTheCoordinator) {
  std::string created = Next(alma_);
  Sync(alma_, {created});
  auto id = service_->Edit(SubmissionOf(created), {"aigerim", Answers(9).dump(), "counted again", {}});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  Envelope e = Parsed((*store_->FindEnvelope(*id))->bytes);
  EXPECT_EQ(e.author(), service_->server_key());
  auto body = sync::ParseRevisionBody(e.body());
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->by, "aigerim");
  SubmissionSummary s = Summary(SubmissionOf(created));
  EXPECT_EQ(json::parse(s.answers_json)["queue"], 9);
  EXPECT_EQ(s.heads, 1);
}

TEST_P(RecordServiceTest, CoordinatorEditThatBreaksAConstraintIsInvalidArgument) {
  std::string created = Next(alma_);
  Sync(alma_, {created});
  const uint64_t size = LogSize();
  auto id = service_->Edit(SubmissionOf(created), {"aigerim", Answers(-4).dump(), "", {}});
  EXPECT_EQ(id.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(service_->Edit(SubmissionOf(created), {"aigerim", "not json", "", {}}).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(LogSize(), size);
}

// A record made in Almaty (UTC+5) just after its midnight, reviewed on a
// server that runs on UTC, where it is still the day before: the
// correction is checked on the record's day, not the server's, and is
// made in the record's zone.
TEST_P(RecordServiceTest, CoordinatorEditIsCheckedOnTheRecordsDayNotTheServers) {
  auto info = service_->PublishForm(testing::kNoFutureDateForm, "");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  Hash hash;
  ASSERT_TRUE(FromHex(info->hash, &hash));
  clock_.Advance(20 * 3600 * 1000);  // 2026-01-01 20:00 UTC: 01:00 on 2 January in Almaty
  sync::EnvelopeFields f = Fields({});
  f.form_hash = hash;
  f.form_id = "dated";
  f.form_version = "1";
  f.body = sync::MakeRevisionBody(json{{"visit_date", "2026-01-02"}, {"queue", 3}}.dump(), 300);
  std::string created = Next(alma_, f);
  ASSERT_EQ(Sync(alma_, {created}).accepted_through, 1u);

  auto id = service_->Edit(SubmissionOf(created), {"aigerim", json{{"visit_date", "2026-01-02"}, {"queue", 4}}.dump(), "", {}});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto body = sync::ParseRevisionBody(Parsed((*store_->FindEnvelope(*id))->bytes).body());
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->utc_offset_minutes, 300);

  // Still refused: a day that is the future in Almaty too.
  auto ahead = service_->Edit(SubmissionOf(created), {"aigerim", json{{"visit_date", "2026-01-03"}, {"queue", 4}}.dump(), "", {}});
  EXPECT_EQ(ahead.status().code(), Status::Code::kInvalidArgument);
}

TEST_P(RecordServiceTest, CoordinatorEditOnAParentOfAnotherSubmissionIsInvalidArgument) {
  std::string a = Next(alma_), b = Next(alma_);
  Sync(alma_, {a, b});
  auto id = service_->Edit(SubmissionOf(a), {"aigerim", Answers(9).dump(), "", {IdOf(b)}});
  EXPECT_EQ(id.status().code(), Status::Code::kInvalidArgument);
}

TEST_P(RecordServiceTest, TwoVolunteersRecordsOfOneVisitAreFlaggedAsPossibleDuplicates) {
  auto [a, b] = TwoRecordsOfOneVisit();
  EXPECT_FALSE(Summary(a).duplicate_group.empty());
  EXPECT_EQ(Summary(a).duplicate_group, Summary(b).duplicate_group);
}

TEST_P(RecordServiceTest, NotDuplicateAppendsAServerEventOnEachAndUnflagsBoth) {
  auto [a, b] = TwoRecordsOfOneVisit();
  const uint64_t size = LogSize();
  auto id = service_->DecideDuplicate(a, b, "not_duplicate", "aigerim");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(LogSize(), size + 2);
  auto log = store_->LogRange(size, size + 2);
  ASSERT_TRUE(log.ok() && log->size() == 2u);
  EXPECT_EQ(Parsed((*log)[0].bytes).submission(), a);
  EXPECT_EQ(Parsed((*log)[1].bytes).submission(), b);
  for (const StoredEnvelope& stored : *log) EXPECT_EQ(Parsed(stored.bytes).author(), service_->server_key());
  EXPECT_EQ(Summary(a).duplicate_group, "");
  EXPECT_EQ(Summary(b).duplicate_group, "");
  EXPECT_EQ(Summary(a).distinct_from, sync::FormatSubmissionId(b));
}

TEST_P(RecordServiceTest, MergedIntoMarksOnlyTheSubmissionMergedAway) {
  auto [a, b] = TwoRecordsOfOneVisit();
  const uint64_t size = LogSize();
  ASSERT_TRUE(service_->DecideDuplicate(b, a, "merged_into", "aigerim").ok());
  EXPECT_EQ(LogSize(), size + 1);
  EXPECT_EQ(Summary(b).merged_into, sync::FormatSubmissionId(a));
  EXPECT_EQ(Summary(a).merged_into, "");
  EXPECT_EQ(Summary(a).duplicate_group, "");
}

TEST_P(RecordServiceTest, DuplicateDecisionsThatCannotHoldAreRefusedAndAppendNothing) {
  auto [a, b] = TwoRecordsOfOneVisit();
  ASSERT_TRUE(service_->DecideDuplicate(b, a, "merged_into", "aigerim").ok());
  const uint64_t size = LogSize();
  EXPECT_EQ(service_->DecideDuplicate(a, b, "maybe", "aigerim").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(service_->DecideDuplicate(a, a, "not_duplicate", "aigerim").status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(service_->DecideDuplicate(a, SubmissionId{7}, "not_duplicate", "aigerim").status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(service_->DecideDuplicate(a, b, "merged_into", "aigerim").status().code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(LogSize(), size);
}

// --- devices ------------------------------------------------------------------------------

TEST_P(RecordServiceTest, EnrollingTheServersKeyOrAKeyTwiceOrWithAnUnknownCodeIsRefused) {
  // A code of another volunteer: alma's laptop cannot become bota's.
  const std::string spare = IssueLaptopCode("bota");
  const uint64_t size = LogSize();
  EXPECT_EQ(service_->Enroll(spare, service_->server_key(), "x").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(service_->Enroll(spare, alma_.key.public_key(), "x").status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(service_->Enroll("ZZZZ-ZZZZ-ZZZZ", bota_.key.public_key(), "x").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(LogSize(), size);
  EXPECT_TRUE(service_->Enroll(spare, bota_.key.public_key(), "x").ok());  // the code was not used up
}

TEST_P(RecordServiceTest, TextThatCannotBeACodeIsRefusedAsBadCodeAndStoresNothing) {
  const uint64_t size = LogSize();
  for (std::string typed : {std::string("CODE1"), std::string("K7MX-Q4TR-P2N"), std::string("K7MX-Q4TR-P2NWX"),
                            std::string("K7MX-Q4TR-P2N0"), std::string("K7MX_Q4TR_P2NW"), std::string("K7MX\tQ4TR\tP2NW"),
                            std::string(), std::string(100, '-') + "K7MXQ4TRP2NW"}) {
    auto r = service_->Enroll(typed, bota_.key.public_key(), "x");
    EXPECT_EQ(r.status().reason(), "bad_code") << typed << ": " << r.status().ToString();
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << typed;
  }
  EXPECT_EQ(LogSize(), size);
  EXPECT_FALSE(store_->FindDevice(bota_.key.public_key())->has_value());
}

TEST_P(RecordServiceTest, ACodeTypedInLowerCaseWithSpacesAndDashesEnrolsAsTheLaptopReadsIt) {
  const std::string issued = IssueLaptopCode("bota");  // "K7MX-Q4TR-P2xx"
  std::string typed;
  for (char c : issued) typed.push_back(c == '-' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  typed.insert(4, "-");  // "k7mx- q4tr p2xx"
  ASSERT_EQ(sync::NormalizeEnrollCode(typed), sync::NormalizeEnrollCode(issued)) << typed;
  auto enrolled = service_->Enroll(typed, bota_.key.public_key(), "laptop");
  ASSERT_TRUE(enrolled.ok()) << typed << ": " << enrolled.status().ToString();
  EXPECT_EQ(enrolled->volunteer, "bota");
}

TEST_P(RecordServiceTest, EnrollingAgainWithTheSameCodeAnswersAgainAndLogsNothing) {
  // The laptop's first answer was lost: it asks again with the same code.
  const std::string code = IssueLaptopCode("bota");
  auto first = service_->Enroll(code, bota_.key.public_key(), "laptop");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const uint64_t size = LogSize();
  clock_.Advance(10 * 24 * 3'600'000LL);  // even after the code expired
  auto again = service_->Enroll(code, bota_.key.public_key(), "laptop");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->volunteer, "bota");
  EXPECT_FALSE(again->checkpoint.empty());
  EXPECT_EQ(LogSize(), size);
  EXPECT_EQ((*store_->DevicesOf("bota")).size(), 1u);
}

TEST_P(RecordServiceTest, EnrollingAgainWithAnotherKeysCodeIsRefused) {
  // alma's code enrolled alma's laptop; bota's laptop, enrolled with its
  // own, is not answered as alma's.
  ASSERT_TRUE(service_->Enroll(IssueLaptopCode("bota"), bota_.key.public_key(), "laptop").ok());
  const uint64_t size = LogSize();
  EXPECT_EQ(service_->Enroll(alma_code_, bota_.key.public_key(), "laptop").status().code(),
            Status::Code::kAlreadyExists);
  EXPECT_EQ(LogSize(), size);
}

TEST_P(RecordServiceTest, AFreshCodeOfTheSameVolunteerFinishesAnEnrolmentAndIsUsedUp) {
  // A volunteer stuck with a laptop the server knows asks the coordinator
  // for a fresh code, and that answers it.
  const std::string fresh = IssueLaptopCode("alma");
  const uint64_t size = LogSize();
  auto again = service_->Enroll(fresh, alma_.key.public_key(), "laptop");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->volunteer, "alma");
  EXPECT_EQ(LogSize(), size);
  Laptop other(random_);
  EXPECT_EQ(service_->Enroll(fresh, other.key.public_key(), "x").status().code(), Status::Code::kNotFound);
}

TEST_P(RecordServiceTest, ARevokedLaptopCannotEnrolAgainWithItsCode) {
  ASSERT_TRUE(service_->Revoke(alma_.key.public_key(), "aigerim", "stolen").ok());
  auto again = service_->Enroll(alma_code_, alma_.key.public_key(), "laptop");
  EXPECT_EQ(again.status().reason(), "revoked_device") << again.status().ToString();
}

TEST_P(RecordServiceTest, RevokeAppendsAnEventAndASecondRevokeIsFailedPrecondition) {
  const uint64_t size = LogSize();
  ASSERT_TRUE(service_->Revoke(alma_.key.public_key(), "aigerim", "lost").ok());
  EXPECT_EQ(LogSize(), size + 1);
  EXPECT_NE((*store_->FindDevice(alma_.key.public_key()))->revoked_ms, 0);
  EXPECT_EQ(service_->Revoke(alma_.key.public_key(), "aigerim", "lost").code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(service_->Revoke(bota_.key.public_key(), "aigerim", "lost").code(), Status::Code::kNotFound);
  EXPECT_EQ(LogSize(), size + 1);
}

// --- the log across processes and restarts ------------------------------------------------------

TEST_P(RecordServiceTest, AppendsByAnotherProcessAreCaughtUpBeforeTheNextAnswer) {
  std::string created = Next(alma_);
  sync::SyncResponse first = Sync(alma_, {created});
  // An admin command opens its own service over the same data.
  auto admin = RecordService::Start(*ctx_);
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->Review(SubmissionOf(created), "aigerim", "approved", "").ok());
  std::string another = Next(alma_);
  sync::SyncResponse next = Sync(alma_, {another}, first.cursor, 1, Verified(first.checkpoint).size);
  // The answer's checkpoint covers the admin's event, and its proofs hold.
  sync::Checkpoint cp = Verified(next.checkpoint);
  EXPECT_EQ(cp.size, LogSize());
  ASSERT_TRUE(next.receipt.has_value());
  EXPECT_EQ(next.receipt->leaf_index, LogSize() - 1);
  EXPECT_TRUE(
      sync::VerifyInclusion(next.receipt->leaf_index, cp.size, sync::LeafHash(another), next.receipt->proof, cp.root)
          .ok());
  EXPECT_EQ(next.envelopes.size(), 1u);  // the review
}

TEST_P(RecordServiceTest, RestartRebuildsTheSameTreeAndContinuesTheServersChain) {
  std::string created = Next(alma_);
  Sync(alma_, {created});
  ASSERT_TRUE(service_->Review(SubmissionOf(created), "aigerim", "approved", "").ok());
  auto before = service_->CurrentLog();
  ASSERT_TRUE(before.ok());
  service_.reset();
  auto restarted = RecordService::Start(*ctx_);
  ASSERT_TRUE(restarted.ok()) << restarted.status().ToString();
  service_ = *restarted;
  auto after = service_->CurrentLog();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size, before->size);
  EXPECT_EQ(after->root, before->root);
  EXPECT_EQ(after->checkpoint, before->checkpoint);  // nothing new to sign
  const uint64_t server_tip = store_->Tip(service_->server_key())->sequence;
  ASSERT_TRUE(service_->Review(SubmissionOf(created), "aigerim", "rejected", "").ok());
  EXPECT_EQ(store_->Tip(service_->server_key())->sequence, server_tip + 1);
}

TEST_F(SqliteRecordServiceTest, StartRefusesALogCutShortUnderItsLastCheckpoint) {
  Sync(alma_, {Next(alma_), Next(alma_)});
  service_.reset();
  Damage("DELETE FROM envelopes WHERE log_index = (SELECT max(log_index) FROM envelopes)");
  auto restarted = RecordService::Start(*ctx_);
  EXPECT_EQ(restarted.status().code(), Status::Code::kCorruption);
  EXPECT_NE(restarted.status().message().find("rolled back"), std::string::npos) << restarted.status().message();
}

TEST_P(RecordServiceTest, StartRefusesACheckpointSignedWithAnotherKey) {
  service_.reset();
  sync::SigningKey other = sync::SigningKey::Generate(random_);
  ASSERT_TRUE(store_->PutCheckpoint(99, sync::SignCheckpoint({"dala.local/log", 99, Hash{}}, "dala.local/log", other))
                  .ok());
  auto restarted = RecordService::Start(*ctx_);
  EXPECT_EQ(restarted.status().code(), Status::Code::kCorruption);
}

// --- a damaged database ------------------------------------------------------------------------

TEST_F(SqliteRecordServiceTest, StoredFormHashThatIsNotHexIsCorruptionNamingTheRow) {
  std::string created = Next(alma_);
  Sync(alma_, {created});
  Enroll(bota_, "bota");
  std::string theirs = Next(bota_, Answers(1, "ast_01"));
  Sync(bota_, {theirs});
  SubmissionId id = SubmissionOf(created);
  Damage("UPDATE submissions SET form_hash = 'not hex' WHERE id = x'" + ToHex(id) + "'");
  const std::string row = "submissions row " + sync::FormatSubmissionId(id);
  const uint64_t size = LogSize();
  for (Status s : {service_->Review(id, "aigerim", "approved", "").status(),
                   service_->Edit(id, {"aigerim", Answers(9).dump(), "", {}}).status(),
                   service_->DecideDuplicate(id, SubmissionOf(theirs), "not_duplicate", "aigerim").status()}) {
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
    EXPECT_NE(s.message().find(row), std::string::npos) << s.message();
  }
  EXPECT_EQ(LogSize(), size);
}

TEST_F(SqliteRecordServiceTest, CsvExportOfAFormWhoseStoredHashIsNotHexIsCorruptionNamingTheRow) {
  Damage("UPDATE forms SET hash = '" + std::string(64, 'z') + "'");
  ExportOptions visit;
  visit.filter.form_id = "visit";
  std::ostringstream out;
  auto csv = WriteExport(*store_, ExportFormat::kCsv, visit, out);
  EXPECT_EQ(csv.status().code(), Status::Code::kCorruption);
  EXPECT_NE(csv.status().message().find("forms row visit version 1"), std::string::npos) << csv.status().message();
}

}  // namespace
}  // namespace dala::server
