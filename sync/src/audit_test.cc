#include "dala/sync/audit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "audit_test_util.h"
#include "dala/base/sqlite.h"
#include "dala/schema/form.h"
#include "dala/sync/audit_report.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merge.h"
#include "dala/sync/merkle.h"
#include "dala/sync/verify.h"

namespace dala::sync {
namespace {

using namespace audit_testing;

class AuditTest : public BundleTest {
 protected:
  AuditReport Audit(const std::string& path, AuditOptions options = {}) {
    if (!options.trusted_server_key) options.trusted_server_key = sim_.server_key();
    options.threads = 3;
    auto reader = BundleReader::Open(path);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return {};
    auto report = AuditBundle(*reader, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : AuditReport();
  }
};

// --- the honest bundle ---------------------------------------------------------------

TEST_F(AuditTest, HonestBundlePassesWithNoProblems) {
  AuditReport r = Audit(Honest());
  EXPECT_TRUE(r.ok()) << Codes(r);
  EXPECT_FALSE(r.server_key_self_asserted);
  EXPECT_EQ(r.counts.log_size, 11u);
  EXPECT_EQ(r.counts.envelopes, 11u);
  EXPECT_EQ(r.counts.revisions, 6u);
  EXPECT_EQ(r.counts.events, 5u);
  EXPECT_EQ(r.counts.submissions, 3u);
  EXPECT_EQ(r.counts.devices, 3u);
  EXPECT_EQ(r.counts.forms, 2u);
  EXPECT_EQ(r.counts.checkpoints, 2u);
  EXPECT_EQ(r.by_volunteer["aigerim"].revisions, 3u);
  EXPECT_EQ(r.by_volunteer["aigerim"].submissions, 1u);
  EXPECT_EQ(r.by_volunteer["bolat"].revisions, 1u);
  EXPECT_EQ(r.by_volunteer["server for anna"].revisions, 1u);
  EXPECT_EQ(r.by_form["psc_observation"].revisions, 6u);
  EXPECT_EQ(r.by_form["psc_observation"].submissions, 3u);
  EXPECT_EQ(r.root, sim_.Tree(11).Root());
  std::string text = AuditReportText(r);
  EXPECT_NE(text.find("Verdict: OK"), std::string::npos) << text;
  EXPECT_NE(text.find("aigerim"), std::string::npos);
  json j = json::parse(AuditReportJson(r));
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["counts"]["revisions"], 6);
}

TEST_F(AuditTest, ResultDoesNotDependOnTheThreadCount) {
  std::string path = Mutated([&](sql::Database& db) { Exec(db, "DELETE FROM log WHERE idx = 6"); });
  AuditOptions one;
  one.trusted_server_key = sim_.server_key();
  one.threads = 1;
  auto reader = BundleReader::Open(path);
  ASSERT_TRUE(reader.ok());
  auto single = AuditBundle(*reader, one);
  ASSERT_TRUE(single.ok());
  AuditReport many = Audit(path);
  EXPECT_EQ(AuditReportJson(*single), AuditReportJson(many));
}

TEST_F(AuditTest, WithoutATrustedKeyTheBundlesOwnKeyIsUsedAndSaidToBeSelfAsserted) {
  auto reader = BundleReader::Open(Honest());
  ASSERT_TRUE(reader.ok());
  auto r = AuditBundle(*reader, AuditOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok()) << Codes(*r);
  EXPECT_TRUE(r->server_key_self_asserted);
  EXPECT_NE(AuditReportText(*r).find("SELF-ASSERTED"), std::string::npos);
}

TEST_F(AuditTest, ServerKeyOtherThanTheTrustedOneIsReportedAndNothingItSignedIsTrusted) {
  SeededRandom other_random(1234);
  SigningKey other = SigningKey::Generate(other_random);
  AuditOptions o;
  o.trusted_server_key = other.public_key();
  AuditReport r = Audit(Honest(), o);
  EXPECT_TRUE(HasCode(r, "server_key.mismatch")) << Codes(r);
  EXPECT_TRUE(HasCode(r, "checkpoint.bad_signature"));
  EXPECT_TRUE(HasCode(r, "enrolment.unenrolled_author"));
}

TEST_F(AuditTest, ProgressIsReportedUpToTheLogSize) {
  uint64_t last = 0, total = 0;
  AuditOptions o;
  o.progress = [&](const AuditProgress& p) {
    if (p.phase == "log") {
      last = p.done;
      total = p.total;
    }
  };
  AuditReport r = Audit(Honest(), o);
  EXPECT_EQ(last, 11u);
  EXPECT_EQ(total, 11u);
}

// --- 1. envelopes ------------------------------------------------------------------------

TEST_F(AuditTest, ByteFlippedInARevisionFailsItsSignatureAndTheRoot) {
  std::string path = Mutated([&](sql::Database& db) {
    std::string e = Envelope(db, story_.a2_index);
    size_t at = e.find("\"queue_length\":13");
    ASSERT_NE(at, std::string::npos);
    e[at + 16] = '4';  // 13 -> 14: still valid JSON, no longer what was signed
    SetEnvelope(db, story_.a2_index, e);
  });
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "envelope.bad_signature");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->log_indices, std::vector<uint64_t>{story_.a2_index});
  EXPECT_EQ(p->submission, story_.s1);
  EXPECT_EQ(p->sequence, 2u);
  EXPECT_TRUE(HasCode(r, "checkpoint.root_mismatch"));
  EXPECT_TRUE(HasCode(r, "checkpoint.inconsistent"));  // the size-4 checkpoint covers index 3 too
}

TEST_F(AuditTest, TruncatedEnvelopeIsMalformedAndNamedByItsClaimedAuthor) {
  std::string path = Mutated([&](sql::Database& db) {
    std::string e = Envelope(db, 4);
    SetEnvelope(db, 4, e.substr(0, e.size() - 10));
  });
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "envelope.malformed");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->log_indices, std::vector<uint64_t>{4});
  ASSERT_TRUE(p->author.has_value());
  EXPECT_EQ(*p->author, sim_.device("b").key.public_key());
  EXPECT_EQ(p->submission, story_.s2);
}

TEST_F(AuditTest, DeviceKeySwappedInAnEnvelopeFailsTheSignature) {
  std::string path = Mutated([&](sql::Database& db) {
    std::string e = Envelope(db, 4);  // bolat's revision, claimed now by aigerim's key
    const PublicKey& a = sim_.device("a").key.public_key();
    std::copy(a.begin(), a.end(), e.begin() + 21);
    SetEnvelope(db, 4, e);
  });
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "envelope.bad_signature");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->log_indices, std::vector<uint64_t>{4});
  EXPECT_TRUE(HasCode(r, "checkpoint.root_mismatch"));
}

TEST_F(AuditTest, SameEnvelopeLoggedTwiceIsADuplicate) {
  story_ = Tell(sim_);
  sim_.mutable_log().push_back(sim_.log()[4]);
  std::string path = Path("dup.bundle");
  sim_.Write(path);
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "envelope.duplicate");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->log_indices, (std::vector<uint64_t>{4, 11}));
}

// --- 2, 3. ids and chains ------------------------------------------------------------------------

TEST_F(AuditTest, DeletedRevisionBreaksTheRootAndLeavesAGapInItsChain) {
  story_ = Tell(sim_);
  std::string honest = Path("before.bundle");
  sim_.Write(honest);
  std::string at6 = sim_.CheckpointAt(6), at11 = sim_.CheckpointAt(11);
  // The server deletes aigerim's sequence 2 and renumbers its log, but
  // has only the checkpoints it signed before.
  std::vector<std::string>& log = sim_.mutable_log();
  log.erase(log.begin() + 3);
  std::string path = Path("deleted.bundle");
  {
    auto w = BundleWriter::Create(path);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->SetHeader(kOrigin, sim_.server_key(), kNow).ok());
    for (const std::string& e : log) ASSERT_TRUE(w->AppendLog(e).ok());
    ASSERT_TRUE(w->AddCheckpoint(6, at6).ok());
    ASSERT_TRUE(w->AddCheckpoint(11, at11).ok());
    ASSERT_TRUE(w->Finish().ok());
  }
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "checkpoint.size_mismatch")) << Codes(r);
  EXPECT_TRUE(HasCode(r, "checkpoint.inconsistent")) << Codes(r);  // the first 6 entries' root changed
  const AuditProblem* gap = Find(r, "chain.gap");
  ASSERT_NE(gap, nullptr) << Codes(r);
  EXPECT_EQ(gap->author, sim_.device("a").key.public_key());
  EXPECT_EQ(gap->sequence, 2u);
  EXPECT_TRUE(HasCode(r, "revision.parent_missing"));
}

TEST_F(AuditTest, DeletedRevisionWithTheLogResignedStillLeavesTheChainGap) {
  story_ = Tell(sim_);
  std::vector<std::string>& log = sim_.mutable_log();
  log.erase(log.begin() + 3);  // aigerim #2; its children now name a parent that is gone
  std::string path = Path("resigned.bundle");
  sim_.Write(path);
  AuditReport r = Audit(path);
  EXPECT_FALSE(HasCode(r, "checkpoint.root_mismatch")) << Codes(r);  // the server re-signed
  const AuditProblem* gap = Find(r, "chain.gap");
  ASSERT_NE(gap, nullptr) << Codes(r);
  EXPECT_EQ(gap->sequence, 2u);
  const AuditProblem* parent = Find(r, "revision.parent_missing");
  ASSERT_NE(parent, nullptr);
  EXPECT_EQ(parent->envelope_ids.back(), story_.a2);
}

TEST_F(AuditTest, TwoEntriesSwappedBreakTheRootAndTheChainOrder) {
  std::string path = Mutated([&](sql::Database& db) {
    std::string x = Envelope(db, 2), y = Envelope(db, 3);  // aigerim #1 and #2
    SetEnvelope(db, 2, y);
    SetEnvelope(db, 3, x);
  });
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "checkpoint.root_mismatch")) << Codes(r);
  EXPECT_TRUE(HasCode(r, "checkpoint.inconsistent"));  // the size-4 checkpoint covers both
  const AuditProblem* p = Find(r, "chain.out_of_order");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->log_indices, (std::vector<uint64_t>{3, 2}));
  EXPECT_TRUE(HasCode(r, "revision.parent_after_child"));
}

TEST_F(AuditTest, DroppedLogRowLeavesAnIndexGapAndASizeMismatch) {
  std::string path = Mutated([&](sql::Database& db) { Exec(db, "DELETE FROM log WHERE idx = 9"); });
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "log.index_gap");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->log_indices, std::vector<uint64_t>{10});
  EXPECT_TRUE(HasCode(r, "log.size_mismatch"));
  EXPECT_TRUE(HasCode(r, "checkpoint.size_mismatch"));
  EXPECT_TRUE(HasCode(r, "submission.not_in_log"));  // dana's only revision went with it
}

TEST_F(AuditTest, ForkedDeviceChainIsReportedWithBothEnvelopes) {
  story_ = Tell(sim_);
  SimServer::Device& a = sim_.device("a");
  // A cloned laptop: the same key signs two different sequence 4s.
  uint64_t sequence = a.sequence;
  Hash previous = a.previous;
  Hash first = sim_.Revise("a", story_.s1, {story_.a3}, PscAnswers(16));
  size_t first_index = sim_.log().size() - 1;
  a.sequence = sequence;
  a.previous = previous;
  Hash second = sim_.Revise("a", story_.s1, {story_.a3}, PscAnswers(17));
  size_t second_index = sim_.log().size() - 1;
  std::string path = Path("fork.bundle");
  sim_.Write(path);
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "chain.fork");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->sequence, 4u);
  EXPECT_EQ(p->log_indices, (std::vector<uint64_t>{first_index, second_index}));
  EXPECT_EQ(p->envelope_ids, (std::vector<Hash>{first, second}));
  EXPECT_EQ(p->author, a.key.public_key());
}

TEST_F(AuditTest, PreviousNamingTheWrongEnvelopeIsABrokenLink) {
  story_ = Tell(sim_);
  SimServer::Device& b = sim_.device("b");
  b.previous = Sha256("not bolat's first envelope");
  sim_.Revise("b", story_.s2, {story_.b1}, PscAnswers(41));
  std::string path = Path("link.bundle");
  sim_.Write(path);
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "chain.broken_link");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->sequence, 2u);
}

TEST_F(AuditTest, ParentFromAnotherSubmissionIsInvalid) {
  story_ = Tell(sim_);
  sim_.Revise("b", story_.s2, {story_.a1}, PscAnswers(42));
  std::string path = Path("parent.bundle");
  sim_.Write(path);
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "revision.parent_invalid")) << Codes(r);
}

// --- 4. checkpoints ------------------------------------------------------------------------

TEST_F(AuditTest, CheckpointSignedByAnotherKeyIsRejected) {
  SeededRandom rnd(77);
  SigningKey impostor = SigningKey::Generate(rnd);
  std::string path = Mutated([&](sql::Database& db) {
    std::string note = SignCheckpoint({kOrigin, 11, sim_.Tree(11).Root()}, kOrigin, impostor);
    auto st = db.Prepare("UPDATE checkpoints SET note = ? WHERE size = 11");
    st->Bind(1, note);
    ASSERT_TRUE(st->Run().ok());
  });
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "checkpoint.bad_signature")) << Codes(r);
}

TEST_F(AuditTest, ValidlySignedCheckpointForAnotherRootIsAMismatch) {
  std::string path = Mutated([&](sql::Database& db) {
    std::string note = SignCheckpoint({kOrigin, 11, Sha256("another tree")}, kOrigin, sim_.server_signer());
    auto st = db.Prepare("UPDATE checkpoints SET note = ? WHERE size = 11");
    st->Bind(1, note);
    ASSERT_TRUE(st->Run().ok());
  });
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "checkpoint.root_mismatch")) << Codes(r);
}

TEST_F(AuditTest, OlderCheckpointForAnotherHistoryIsInconsistent) {
  std::string path = Mutated([&](sql::Database& db) {
    std::string note = SignCheckpoint({kOrigin, 4, Sha256("old tree")}, kOrigin, sim_.server_signer());
    auto st = db.Prepare("UPDATE checkpoints SET note = ? WHERE size = 4");
    st->Bind(1, note);
    ASSERT_TRUE(st->Run().ok());
  });
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "checkpoint.inconsistent")) << Codes(r);
  EXPECT_FALSE(HasCode(r, "checkpoint.root_mismatch"));
}

TEST_F(AuditTest, NoCheckpointAtAllIsReported) {
  std::string path = Mutated([&](sql::Database& db) { Exec(db, "DELETE FROM checkpoints"); });
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "checkpoint.missing")) << Codes(r);
}

TEST_F(AuditTest, CheckpointUnderTheWrongOriginIsRejected) {
  std::string path = Mutated([&](sql::Database& db) {
    std::string note = SignCheckpoint({"other.log", 11, sim_.Tree(11).Root()}, "other.log", sim_.server_signer());
    auto st = db.Prepare("UPDATE checkpoints SET note = ? WHERE size = 11");
    st->Bind(1, note);
    ASSERT_TRUE(st->Run().ok());
  });
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "checkpoint.bad_signature")) << Codes(r);
}

// --- 5. what the auditor brings ----------------------------------------------------------

TEST_F(AuditTest, BroughtCheckpointsAndReceiptsOfTheSameHistoryPass) {
  Honest();
  AuditOptions o;
  o.checkpoints = {sim_.CheckpointAt(6), sim_.CheckpointAt(11)};
  o.receipts = {sim_.ReceiptFor("a", 3, 8), sim_.ReceiptFor("b", 1, 5)};
  AuditReport r = Audit(honest_, o);
  EXPECT_TRUE(r.ok()) << Codes(r);
  EXPECT_EQ(r.counts.receipts, 2u);
  EXPECT_EQ(r.counts.auditor_checkpoints, 2u);
}

TEST_F(AuditTest, ReceiptCatchesARevisionDroppedEvenWhenTheServerResignedItsLog) {
  story_ = Tell(sim_);
  // Bolat syncs a second record and keeps the receipt.
  SubmissionId s4 = sim_.NewSubmission();
  sim_.Revise("b", s4, {}, PscAnswers(7));                   // index 11, bolat #2
  sim_.Revise("a", story_.s1, {story_.a3}, PscAnswers(18));  // index 12
  ReceiptInput receipt = sim_.ReceiptFor("b", 2, 13);
  // The server then deletes it, rebuilds its log and signs a new checkpoint.
  sim_.mutable_log().erase(sim_.mutable_log().begin() + 11);
  std::string path = Path("rewritten.bundle");
  sim_.Write(path);

  AuditReport alone = Audit(path);
  EXPECT_TRUE(alone.ok()) << "the rewritten bundle is self-consistent:\n" << Codes(alone);

  AuditOptions o;
  o.receipts = {receipt};
  AuditReport r = Audit(path, o);
  const AuditProblem* missing = Find(r, "receipt.envelope_missing");
  ASSERT_NE(missing, nullptr) << Codes(r);
  EXPECT_EQ(missing->author, sim_.device("b").key.public_key());
  EXPECT_EQ(missing->sequence, 2u);
  EXPECT_EQ(missing->envelope_ids, std::vector<Hash>{receipt.envelope_id});
  EXPECT_TRUE(HasCode(r, "receipt.beyond_log"));  // signed for 13 entries; the bundle has 12
  const AuditProblem* chain = Find(r, "receipt.chain_missing");
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(chain->sequence, 2u);
}

TEST_F(AuditTest, ReceiptCheckpointInconsistentWithARewrittenHistoryOfTheSameLength) {
  story_ = Tell(sim_);
  SubmissionId s4 = sim_.NewSubmission();
  sim_.Revise("b", s4, {}, PscAnswers(7));  // index 11
  ReceiptInput receipt = sim_.ReceiptFor("b", 2, 12);
  // Dropped, and replaced by something else so the size stays 12.
  sim_.mutable_log().erase(sim_.mutable_log().begin() + 11);
  sim_.Revise("a", story_.s1, {story_.a3}, PscAnswers(19));
  std::string path = Path("rewritten.bundle");
  sim_.Write(path);
  AuditOptions o;
  o.receipts = {receipt};
  o.checkpoints = {receipt.checkpoint_note};
  AuditReport r = Audit(path, o);
  EXPECT_TRUE(HasCode(r, "receipt.checkpoint_inconsistent")) << Codes(r);
  EXPECT_TRUE(HasCode(r, "receipt.envelope_missing"));
  EXPECT_TRUE(HasCode(r, "auditor_checkpoint.inconsistent"));
}

TEST_F(AuditTest, ReceiptVouchesForEveryEarlierSequenceOfItsDevice) {
  story_ = Tell(sim_);
  ReceiptInput receipt = sim_.ReceiptFor("a", 3, 11);
  // The server hides aigerim's #1 and #2 (and re-signs); #3 stays.
  std::vector<std::string>& log = sim_.mutable_log();
  log.erase(log.begin() + 2, log.begin() + 4);
  std::string path = Path("hidden.bundle");
  sim_.Write(path);
  AuditOptions o;
  o.receipts = {receipt};
  AuditReport r = Audit(path, o);
  const AuditProblem* p = Find(r, "receipt.chain_missing");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->sequence, 1u);
  EXPECT_NE(p->message.find("1..2"), std::string::npos) << p->message;
  EXPECT_TRUE(HasCode(r, "receipt.envelope_moved"));
}

TEST_F(AuditTest, ReceiptWithAForgedProofFails) {
  Honest();
  ReceiptInput receipt = sim_.ReceiptFor("b", 1, 11);
  receipt.proof[0][0] ^= 1;
  AuditOptions o;
  o.receipts = {receipt};
  AuditReport r = Audit(honest_, o);
  EXPECT_TRUE(HasCode(r, "receipt.proof_invalid")) << Codes(r);
}

TEST_F(AuditTest, ReceiptWhoseCheckpointIsNotTheServersIsRejected) {
  Honest();
  ReceiptInput receipt = sim_.ReceiptFor("b", 1, 11);
  SeededRandom rnd(5);
  SigningKey impostor = SigningKey::Generate(rnd);
  receipt.checkpoint_note = SignCheckpoint({kOrigin, 11, sim_.Tree(11).Root()}, kOrigin, impostor);
  AuditOptions o;
  o.receipts = {receipt};
  AuditReport r = Audit(honest_, o);
  EXPECT_TRUE(HasCode(r, "receipt.bad_checkpoint")) << Codes(r);
}

TEST_F(AuditTest, BroughtCheckpointLargerThanTheBundleShowsItIsTruncated) {
  story_ = Tell(sim_);
  std::string later = sim_.CheckpointAt(11);
  sim_.mutable_log().resize(9);
  std::string path = Path("short.bundle");
  sim_.Write(path);
  AuditOptions o;
  o.checkpoints = {later};
  AuditReport r = Audit(path, o);
  EXPECT_TRUE(HasCode(r, "auditor_checkpoint.beyond_log")) << Codes(r);
}

TEST_F(AuditTest, BroughtCheckpointWithABadSignatureIsReported) {
  Honest();
  AuditOptions o;
  std::string note = sim_.CheckpointAt(11);
  note[note.size() - 5] = note[note.size() - 5] == 'A' ? 'B' : 'A';
  o.checkpoints = {note};
  AuditReport r = Audit(honest_, o);
  EXPECT_TRUE(HasCode(r, "auditor_checkpoint.bad_signature")) << Codes(r);
}

// --- 6. enrolment ------------------------------------------------------------------------

TEST_F(AuditTest, DeviceKeySwappedInTheDevicesTableIsAnEnrolmentMismatch) {
  std::string path = Mutated([&](sql::Database& db) {
    auto st = db.Prepare("UPDATE devices SET key = ? WHERE volunteer = 'bolat'");
    PublicKey fake{};
    fake.fill(9);
    st->BindBlob(1, fake.data(), fake.size());
    ASSERT_TRUE(st->Run().ok());
  });
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "devices.not_enrolled")) << Codes(r);
  const AuditProblem* p = Find(r, "devices.missing_row");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->author, sim_.device("b").key.public_key());
}

TEST_F(AuditTest, DeviceRowGivenToAnotherVolunteerIsAMismatch) {
  std::string path = Mutated(
      [&](sql::Database& db) { Exec(db, "UPDATE devices SET volunteer = 'mallory' WHERE volunteer = 'bolat'"); });
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "devices.mismatch");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_NE(p->message.find("mallory"), std::string::npos);
  EXPECT_EQ(p->log_indices, std::vector<uint64_t>{1});
}

TEST_F(AuditTest, RevocationHiddenFromTheDevicesTableIsAMismatch) {
  std::string path = Mutated([&](sql::Database& db) {
    Exec(db, "UPDATE devices SET revoked_ms = 0, revoked_by = '', revoke_reason = '' WHERE volunteer = 'dana'");
  });
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "devices.mismatch")) << Codes(r);
}

TEST_F(AuditTest, ForgedDeviceRowForAKeyTheLogNeverEnrolledIsReported) {
  std::string path = Mutated([&](sql::Database& db) {
    Exec(db,
         "INSERT INTO devices(key, volunteer, label, enrolled_ms, enrolled_by) "
         "VALUES (x'0000000000000000000000000000000000000000000000000000000000000001', 'ghost', 'ghost laptop', 1, "
         "'admin')");
  });
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "devices.not_enrolled");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_NE(p->message.find("ghost"), std::string::npos);
}

TEST_F(AuditTest, EnvelopeFromAnUnenrolledDeviceIsReported) {
  story_ = Tell(sim_);
  sim_.NewDevice("x");
  SubmissionId s = sim_.NewSubmission();
  sim_.Revise("x", s, {}, PscAnswers(1));  // index 11
  std::string path = Path("unenrolled.bundle");
  sim_.Write(path);
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "enrolment.unenrolled_author");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->log_indices, std::vector<uint64_t>{11});
  EXPECT_EQ(p->author, sim_.device("x").key.public_key());
  EXPECT_EQ(r.by_volunteer.count("unenrolled " + ToHex(sim_.device("x").key.public_key()).substr(0, 16)), 1u);
}

TEST_F(AuditTest, EnvelopeLoggedBeforeItsDevicesEnrolmentIsReported) {
  sim_.NewDevice("a");
  SubmissionId s = sim_.NewSubmission();
  sim_.Revise("a", s, {}, PscAnswers(1));  // 0: not yet enrolled
  sim_.Enroll("a", "aigerim");             // 1
  std::string path = Path("early.bundle");
  sim_.Write(path);
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "enrolment.unenrolled_author");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->log_indices, std::vector<uint64_t>{0});
}

TEST_F(AuditTest, EnrolmentSignedByADeviceIsNotAnEnrolment) {
  story_ = Tell(sim_);
  SimServer::Device& a = sim_.device("a");
  sim_.NewDevice("x");
  EventBody ev{"enroll", "aigerim", "", "", "", "", ToHex(sim_.device("x").key.public_key()), "xavier", "x", ""};
  sim_.Append(a.key, a, EnvelopeKind::kEvent, SubmissionId{}, {}, MakeEventBody(ev));  // 11
  sim_.Revise("x", sim_.NewSubmission(), {}, PscAnswers(2));                           // 12
  std::string path = Path("selfenrol.bundle");
  sim_.Write(path);
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "enrolment.not_by_server")) << Codes(r);
  EXPECT_TRUE(HasCode(r, "enrolment.unenrolled_author"));
  // The exporter listed the device because the event said so; the log does not.
  EXPECT_TRUE(HasCode(r, "devices.not_enrolled"));
}

TEST_F(AuditTest, RevisionAfterItsDeviceWasRevokedIsReported) {
  story_ = Tell(sim_);
  sim_.Revise("d", story_.s3, {story_.d1}, PscAnswers(4));  // 11: after the revocation at 10
  std::string path = Path("revoked.bundle");
  sim_.Write(path);
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "enrolment.revoked_author");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->log_indices, (std::vector<uint64_t>{11, 10}));
  EXPECT_EQ(p->sequence, 2u);
  EXPECT_EQ(p->submission, story_.s3);
}

TEST_F(AuditTest, ReviewSignedByADeviceIsIgnoredAndReported) {
  story_ = Tell(sim_);
  SimServer::Device& b = sim_.device("b");
  EventBody ev{"review", "bolat", "approved", "I approve myself"};
  sim_.Append(b.key, b, EnvelopeKind::kEvent, story_.s2, {story_.b1}, MakeEventBody(ev));
  std::string path = Path("selfreview.bundle");
  sim_.Write(path);  // the sim's own state counts the review: the auditor must not
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "event.not_by_server")) << Codes(r);
}

// --- 7. forms ------------------------------------------------------------------------

TEST_F(AuditTest, AlteredFormDocumentNoLongerMatchesItsHash) {
  std::string path = Mutated([&](sql::Database& db) {
    Exec(db,
         "UPDATE forms SET document = CAST(replace(CAST(document AS TEXT), '. <= 500', '. <= 5') AS BLOB) "
         "WHERE form_id = 'psc_observation'");
  });
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "form.hash_mismatch");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_NE(p->message.find("psc_observation"), std::string::npos);
  EXPECT_TRUE(HasCode(r, "revision.form_unknown"));
}

TEST_F(AuditTest, FormRowMissingLeavesItsRevisionsUnverifiable) {
  std::string path =
      Mutated([&](sql::Database& db) { Exec(db, "DELETE FROM forms WHERE form_id = 'psc_observation'"); });
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "revision.form_unknown");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_TRUE(p->submission.has_value());
}

TEST_F(AuditTest, AnswersInvalidForTheirFormAreReported) {
  story_ = Tell(sim_);
  json bad = PscAnswers(12);
  bad["queue_length"] = 9000;  // the form allows 0..500
  sim_.Revise("b", story_.s2, {story_.b1}, bad);
  std::string path = Path("invalid.bundle");
  sim_.Write(path);
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "revision.answers_invalid");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_NE(p->message.find("queue_length"), std::string::npos) << p->message;
}

TEST_F(AuditTest, FormRowWhoseMetadataDisagreesWithItsDocumentIsReported) {
  std::string path =
      Mutated([&](sql::Database& db) { Exec(db, "UPDATE forms SET version = '9' WHERE form_id = 'tally'"); });
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "form.metadata_mismatch")) << Codes(r);
}

// --- 8. submission state ------------------------------------------------------------------------

TEST_F(AuditTest, AlteredClaimedAnswersAreReportedWithTheFieldsThatDiffer) {
  std::string path = Mutated([&](sql::Database& db) {
    auto st = db.Prepare("UPDATE submissions SET answers = ? WHERE id = ?");
    json a = PscAnswers(40);
    a["ramp"] = "no";
    st->Bind(1, a.dump()).BindBlob(2, story_.s2.data(), 16);
    ASSERT_TRUE(st->Run().ok());
  });
  AuditReport r = Audit(path);
  const AuditProblem* p = Find(r, "submission.answers_mismatch");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->submission, story_.s2);
  EXPECT_NE(p->message.find("ramp"), std::string::npos) << p->message;
  EXPECT_EQ(r.problems.size(), 1u) << Codes(r);
}

TEST_F(AuditTest, ClaimedAnswersEqualAsJsonButFormattedDifferentlyPass) {
  std::string path = Mutated([&](sql::Database& db) {
    auto st = db.Prepare("UPDATE submissions SET answers = ? WHERE id = ?");
    st->Bind(1, PscAnswers(40).dump(2)).BindBlob(2, story_.s2.data(), 16);
    ASSERT_TRUE(st->Run().ok());
  });
  AuditReport r = Audit(path);
  EXPECT_TRUE(r.ok()) << Codes(r);
}

TEST_F(AuditTest, AlteredReviewStateConflictsAndHeadsAreEachReported) {
  std::string path = Mutated([&](sql::Database& db) {
    auto st = db.Prepare("UPDATE submissions SET review_state = 'rejected' WHERE id = ?");
    st->BindBlob(1, story_.s2.data(), 16);
    ASSERT_TRUE(st->Run().ok());
    auto st2 = db.Prepare("UPDATE submissions SET conflicts = 0, heads = ? WHERE id = ?");
    st2->Bind(1, json::array({ToHex(story_.c1)}).dump()).BindBlob(2, story_.s1.data(), 16);
    ASSERT_TRUE(st2->Run().ok());
  });
  AuditReport r = Audit(path);
  const AuditProblem* review = Find(r, "submission.review_mismatch");
  ASSERT_NE(review, nullptr) << Codes(r);
  EXPECT_EQ(review->submission, story_.s2);
  const AuditProblem* conflicts = Find(r, "submission.conflicts_mismatch");
  ASSERT_NE(conflicts, nullptr);
  EXPECT_EQ(conflicts->submission, story_.s1);
  EXPECT_TRUE(HasCode(r, "submission.heads_mismatch"));
}

TEST_F(AuditTest, ClaimedHeadThatIsNotInTheLogIsReported) {
  std::string path = Mutated([&](sql::Database& db) {
    auto st = db.Prepare("UPDATE submissions SET heads = ? WHERE id = ?");
    st->Bind(1, json::array({ToHex(Sha256("nothing"))}).dump()).BindBlob(2, story_.s2.data(), 16);
    ASSERT_TRUE(st->Run().ok());
  });
  AuditReport r = Audit(path);
  EXPECT_TRUE(HasCode(r, "submission.unknown_head")) << Codes(r);
}

TEST_F(AuditTest, SubmissionMissingFromTheTableOrInventedInItIsReported) {
  std::string path = Mutated([&](sql::Database& db) {
    auto st = db.Prepare("DELETE FROM submissions WHERE id = ?");
    st->BindBlob(1, story_.s3.data(), 16);
    ASSERT_TRUE(st->Run().ok());
    Exec(db,
         "INSERT INTO submissions VALUES (x'00000000000000000000000000000007', 'psc_observation', '{}', '[]', 0, "
         "'received')");
  });
  AuditReport r = Audit(path);
  const AuditProblem* missing = Find(r, "submission.missing_row");
  ASSERT_NE(missing, nullptr) << Codes(r);
  EXPECT_EQ(missing->submission, story_.s3);
  EXPECT_EQ(missing->log_indices, std::vector<uint64_t>{9});
  EXPECT_TRUE(HasCode(r, "submission.not_in_log"));
}

TEST_F(AuditTest, ConflictAndReviewStateAreRecomputedFromTheLog) {
  // The honest bundle's s1 has two heads and one conflict; s2 is approved.
  auto reader = BundleReader::Open(Honest());
  ASSERT_TRUE(reader.ok());
  auto s1 = reader->FindSubmission(story_.s1);
  ASSERT_TRUE(s1.ok() && s1->has_value());
  EXPECT_EQ((*s1)->conflicts, 1);
  EXPECT_EQ((*s1)->heads.size(), 2u);
  auto s2 = reader->FindSubmission(story_.s2);
  EXPECT_EQ((*s2)->review_state, "approved");
  AuditReport r = Audit(honest_);
  EXPECT_TRUE(r.ok()) << Codes(r);
}

TEST_F(AuditTest, SingleRevisionStateEqualsMerge) {
  // The auditor computes a submission of one parentless revision without
  // calling Merge when it can; the simulated server always calls Merge.
  // Answers with nulls, nested nulls, "null" inside text, decimals and
  // non-ASCII text must all come out the same.
  sim_.NewDevice("a");
  sim_.Enroll("a", "aigerim");
  for (const char* extra : {R"({})", R"({"notes":null})", R"({"notes":"null and void"})",
                            R"({"issues":[{"category":"other","description":"a null here: null"}]})",
                            R"({"notes":"Кезек ұзын, очередь длинная"})", R"({"notes":"tab\t and \u00e9"})"}) {
    json a = PscAnswers(12);
    json more = json::parse(extra);
    for (auto& [k, v] : more.items()) {
      if (v.is_null())
        a[k] = nullptr;
      else
        a[k] = v;
    }
    sim_.Revise("a", sim_.NewSubmission(), {}, a);
  }
  std::string path = Path("single.bundle");
  sim_.Write(path);
  AuditReport r = Audit(path);
  EXPECT_TRUE(r.ok()) << Codes(r);
  EXPECT_EQ(r.counts.submissions, 6u);
}

TEST_F(AuditTest, CheckRevisionAgreesWithParseRevisionBodyAndVerifyRevisionContent) {
  story_ = Tell(sim_);
  auto reader = BundleReader::Open([&] {
    std::string p = Path("check.bundle");
    sim_.Write(p);
    return p;
  }());
  ASSERT_TRUE(reader.ok());
  auto forms = reader->Forms();
  ASSERT_TRUE(forms.ok());
  struct Registry : FormRegistry {
    std::map<Hash, std::shared_ptr<const schema::Form>> forms;
    std::shared_ptr<const schema::Form> FindForm(const Hash& h) const override {
      auto it = forms.find(h);
      return it == forms.end() ? nullptr : it->second;
    }
  } registry, empty;
  for (const BundleForm& f : *forms) registry.forms[Sha256(f.document)] = *schema::Form::Load(f.document);
  json bad = PscAnswers(12);
  bad["queue_length"] = 9000;
  sim_.Revise("b", story_.s2, {story_.b1}, bad);
  for (const std::string& bytes : sim_.log()) {
    auto e = Envelope::Parse(bytes);
    ASSERT_TRUE(e.ok());
    if (e->kind() != EnvelopeKind::kRevision) continue;
    for (const FormRegistry* reg :
         {static_cast<const FormRegistry*>(&registry), static_cast<const FormRegistry*>(&empty)}) {
      auto checked = CheckRevision(*e, *reg);
      auto body = ParseRevisionBody(e->body());
      ASSERT_EQ(checked.ok(), body.ok());
      EXPECT_EQ(checked->body.answers_json, body->answers_json);
      EXPECT_EQ(checked->body.by, body->by);
      EXPECT_EQ(checked->body.utc_offset_minutes, body->utc_offset_minutes);
      Status content = VerifyRevisionContent(*e, *reg);
      EXPECT_EQ(checked->content.code(), content.code());
      EXPECT_EQ(checked->content.message(), content.message());
    }
  }
}

// --- every problem at once -------------------------------------------------------------------

TEST_F(AuditTest, SeveralMutationsAreAllReportedNotJustTheFirst) {
  std::string path = Mutated([&](sql::Database& db) {
    std::string e = Envelope(db, 9);
    e[e.size() - 1] ^= 0x20;
    SetEnvelope(db, 9, e);
    Exec(db, "UPDATE devices SET label = 'other' WHERE volunteer = 'aigerim'");
    Exec(db, "UPDATE submissions SET review_state = 'has_issues'");
  });
  AuditReport r = Audit(path);
  for (const char* code :
       {"envelope.bad_signature", "checkpoint.root_mismatch", "devices.mismatch", "submission.review_mismatch"})
    EXPECT_TRUE(HasCode(r, code)) << code << "\n" << Codes(r);
  std::string text = AuditReportText(r);
  EXPECT_NE(text.find("Verdict: FAILED"), std::string::npos);
  EXPECT_NE(text.find("[devices.mismatch]"), std::string::npos);
  json j = json::parse(AuditReportJson(r));
  EXPECT_FALSE(j["ok"].get<bool>());
  EXPECT_EQ(j["problems"].size(), r.problems.size());
}

TEST_F(AuditTest, RandomByteFlipsAnywhereInTheLogAreAllCaught) {
  Honest();
  std::vector<std::string> log = sim_.log();
  std::mt19937_64 rng(20261125);
  for (int round = 0; round < 40; ++round) {
    size_t index = rng() % log.size();
    size_t offset = rng() % log[index].size();
    uint8_t mask = static_cast<uint8_t>(1 + rng() % 255);
    std::string path = Mutated([&](sql::Database& db) {
      std::string e = log[index];
      e[offset] = static_cast<char>(e[offset] ^ mask);
      SetEnvelope(db, static_cast<int64_t>(index), e);
    });
    AuditReport r = Audit(path);
    SCOPED_TRACE("entry " + std::to_string(index) + " byte " + std::to_string(offset));
    EXPECT_TRUE(HasCode(r, "checkpoint.root_mismatch")) << Codes(r);
    EXPECT_TRUE(HasCode(r, "envelope.malformed") || HasCode(r, "envelope.bad_signature")) << Codes(r);
    std::filesystem::remove(path);
  }
}

// --- scale ---------------------------------------------------------------------------------

TEST_F(AuditTest, LogLongerThanOneBatchIsAuditedAcrossBatches) {
  // 5,000 entries: three batches, merges finishing in each.
  sim_.NewDevice("a");
  sim_.NewDevice("b");
  sim_.Enroll("a", "aigerim");
  sim_.Enroll("b", "bolat");
  std::vector<std::pair<SubmissionId, Hash>> open;
  for (int i = 0; i < 2499; ++i) {
    SubmissionId s = sim_.NewSubmission();
    Hash first = sim_.ReviseTiny(i % 2 ? "a" : "b", s, {}, i);
    sim_.ReviseTiny(i % 2 ? "a" : "b", s, {first}, i + 1);
  }
  std::string path = Path("long.bundle");
  sim_.Write(path, {1000, 2048});
  AuditReport r = Audit(path);
  EXPECT_TRUE(r.ok()) << Codes(r);
  EXPECT_EQ(r.counts.log_size, 5000u);
  EXPECT_EQ(r.counts.submissions, 2499u);
  EXPECT_EQ(r.by_form["tally"].revisions, 4998u);
}

}  // namespace
}  // namespace dala::sync
