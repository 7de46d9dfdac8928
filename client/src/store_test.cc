#include "dala/client/store.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dala/client/clock_check.h"
#include "dala/client/device.h"
#include "dala/client/rejection.h"
#include "migrations.h"
#include "profile_test_fixture.h"
#include "store_queries.h"

namespace dala::client {
namespace {

using nlohmann::json;

class StoreTest : public ProfileTest {
 protected:
  // The server accepted every record before `sequence` and refused that
  // one for `reason`; then the refused records are set aside.
  Result<std::vector<SetAsideRecord>> RefuseAndSetAside(uint64_t sequence, const std::string& reason) {
    EXPECT_EQ(*store_->MarkAccepted(sequence - 1), static_cast<int64_t>(sequence - 1));
    EXPECT_TRUE(store_->MarkRejected(sequence, reason).ok());
    return SetAsideRefused(*store_, device_->key(), clock_, "ru");
  }
};

TEST_F(StoreTest, OpeningAMissingProfileSaysToInit) {
  auto s = LocalStore::Open((dir_ / "nothing.db").string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("dala init"), std::string::npos);
}

TEST_F(StoreTest, OpeningAnotherProgramsDatabaseIsRefusedUntouched) {
  std::string other = (dir_ / "other.db").string();
  {
    auto db = sql::Database::Open(other, {sql::OpenMode::kReadWriteCreate});
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE notes(x)").ok());
  }
  auto s = LocalStore::Open(other);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kCorruption);
  auto db = sql::Database::Open(other);
  auto st = db->Prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'envelopes'");
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->ColumnInt(0), 0);  // no migration ran on it
}

TEST_F(StoreTest, CreatingOverAnExistingProfileIsRefused) {
  auto again = LocalStore::Create(Path());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists);
}

TEST_F(StoreTest, SameFormBytesAgainIsANoOpAndChangedBytesAreRefused) {
  EXPECT_TRUE(store_->AddForm(kForm, "server", clock_.NowMs()).ok());
  std::string changed(kForm);
  changed.replace(changed.find("Visit"), 5, "Visit2");
  auto r = store_->AddForm(changed, "local", clock_.NowMs());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(store_->ListForms()->size(), 1u);
}

TEST_F(StoreTest, RecordsAreFoundByTheirWholeIdOrAnEndOfAtLeastEightDigitsNeverTheirStart) {
  sync::SubmissionId a = Save(1);
  Save(2);
  std::string hex = ToHex(a);
  EXPECT_EQ(*store_->ResolveSubmission(hex.substr(24)), a);            // the end, as `dala list` shows it
  EXPECT_EQ(*store_->ResolveSubmission(hex.substr(20)), a);            // a longer end
  EXPECT_EQ(*store_->ResolveSubmission(sync::FormatSubmissionId(a)), a);  // the whole id
  // The start is the timestamp, which records made together share: never matched.
  EXPECT_EQ(store_->ResolveSubmission(hex.substr(0, 8)).status().reason(), "no_such_record");
  EXPECT_EQ(store_->ResolveSubmission(hex.substr(25)).status().reason(), "bad_record_id");  // 7 digits
  EXPECT_FALSE(store_->ResolveSubmission("xyzwxyzw").ok());  // not hex
}

// The sequences of one request's batch, as ForEachPendingEnvelope hands
// them, each checked against the envelope's stored bytes.
std::vector<uint64_t> BatchOf(LocalStore& store, size_t limit, size_t max_bytes, uint64_t after = 0) {
  std::vector<uint64_t> sequences;
  Status s = store.ForEachPendingEnvelope(limit, max_bytes, after, [&](uint64_t sequence, std::string_view bytes) {
    auto row = store.OwnEnvelope(sequence);
    EXPECT_TRUE(row.ok() && row->has_value()) << sequence;
    if (row.ok() && row->has_value()) {
      EXPECT_EQ((*row)->bytes, bytes) << sequence;
    }
    sequences.push_back(sequence);
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return sequences;
}

TEST_F(StoreTest, PendingBatchesAreBoundedByCountAndBytesButNeverEmpty) {
  for (int i = 0; i < 5; ++i) Save(i);
  using Seqs = std::vector<uint64_t>;
  EXPECT_EQ(BatchOf(*store_, 3, 1u << 20), (Seqs{1, 2, 3}));
  EXPECT_EQ(BatchOf(*store_, 10, 1), (Seqs{1}));  // one, however large
  const size_t one = (*store_->OwnEnvelope(1))->bytes.size();
  EXPECT_EQ(BatchOf(*store_, 10, 2 * one + one / 2).size(), 2u);  // the bytes bound, between two and three
  EXPECT_EQ(BatchOf(*store_, 10, 1u << 20, 3), (Seqs{4, 5}));     // after a sequence
  EXPECT_EQ(BatchOf(*store_, 0, 1u << 20), Seqs{});
  EXPECT_EQ(*store_->CountPending(), 5);
  EXPECT_EQ(*store_->MarkAccepted(2), 2);
  EXPECT_EQ(*store_->MarkAccepted(2), 0);  // already
  EXPECT_EQ(*store_->CountPending(), 3);
  EXPECT_TRUE(*store_->HasPending());
  EXPECT_EQ(BatchOf(*store_, 10, 1u << 20), (Seqs{3, 4, 5}));
  ASSERT_TRUE(store_->MarkRejected(4, "invalid_answers").ok());  // refused for good: no longer pending
  EXPECT_EQ(BatchOf(*store_, 10, 1u << 20), (Seqs{3, 5}));
  auto rows = store_->PendingEnvelopes();  // the same, as whole rows
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].sequence, 3u);
  EXPECT_EQ((*rows)[1].sequence, 5u);
  EXPECT_EQ(*store_->MarkAccepted(5), 2);
  EXPECT_FALSE(*store_->HasPending());  // all sent: the sync stops asking
}

// A batch is read in sequence order through two indexes, never through
// the envelope ids' index, whose pages a batch visits at random.
TEST_F(StoreTest, PendingBatchFindsEachEnvelopeBySequenceNotByItsRandomId) {
  for (int i = 0; i < 3; ++i) Save(i);
  auto plan = store_->db().Prepare(std::string("EXPLAIN QUERY PLAN SELECT e.bytes") + internal::kPendingEnvelopesFrom);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  plan->Bind(1, int64_t{0}).Bind(2, int64_t{1000});
  std::string steps;
  while (*plan->Step()) steps += plan->ColumnText(3) + "\n";
  EXPECT_NE(steps.find("u USING INDEX uploads_pending"), std::string::npos) << steps;
  EXPECT_NE(steps.find("e USING INDEX envelopes_own_sequence (sequence=?)"), std::string::npos) << steps;
  EXPECT_EQ(steps.find("autoindex"), std::string::npos) << steps;
  EXPECT_EQ(steps.find("TEMP B-TREE"), std::string::npos) << steps;
}

// A profile from before migration 7 keeps what the server said of each of
// its envelopes when the upload state moves to a table of its own.
TEST_F(StoreTest, UploadStatesOfAnOlderProfileSurviveTheirMoveToTheUploadsTable) {
  const std::string old_profile = (dir_ / "v6.db").string();
  {
    auto db = sql::Database::Open(old_profile, {sql::OpenMode::kReadWriteCreate});
    ASSERT_TRUE(db.ok());
    const auto& all = ClientMigrations();
    ASSERT_GE(all.size(), 7u);
    ASSERT_TRUE(db->Migrate({all.begin(), all.begin() + 6}).ok());
    // Sequences 1-3 this laptop's (accepted, refused for good, pending with
    // a retryable reason), 1 from another laptop.
    // x'00...0N': 32 (or 16) bytes ending in N.
    auto blob = [](size_t bytes, char last) { return "x'" + std::string(2 * bytes - 1, '0') + last + "'"; };
    const std::string mine = blob(32, '0'), other = blob(32, '9'), record = blob(16, '0');
    const std::string insert =
        "INSERT INTO envelopes (id, bytes, kind, submission, author, sequence, hlc, own, upload, reject_reason, "
        "stored_ms) VALUES "
        "(" + blob(32, '1') + ", x'aa', 1, " + record + ", " + mine + ", 1, 10, 1, 'accepted', '', 1), "
        "(" + blob(32, '2') + ", x'bb', 1, " + record + ", " + mine + ", 2, 20, 1, 'rejected', 'invalid_answers: queue', 2), "
        "(" + blob(32, '3') + ", x'cc', 1, " + record + ", " + mine + ", 3, 30, 1, 'pending', 'clock_ahead: later', 3), "
        "(" + blob(32, '4') + ", x'dd', 1, " + record + ", " + other + ", 1, 40, 0, 'received', '', 4)";
    ASSERT_TRUE(db->Exec(insert).ok());
  }
  auto store = LocalStore::Open(old_profile);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto state_of = [&](uint64_t sequence) {
    auto row = (*store)->OwnEnvelope(sequence);
    EXPECT_TRUE(row.ok() && row->has_value()) << sequence;
    return row.ok() && row->has_value() ? std::string(UploadStateName((*row)->upload)) + " " + (*row)->reject_reason
                                        : std::string();
  };
  EXPECT_EQ(state_of(1), "accepted ");
  EXPECT_EQ(state_of(2), "rejected invalid_answers: queue");
  EXPECT_EQ(state_of(3), "pending clock_ahead: later");
  auto all = (*store)->AllEnvelopes();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  const EnvelopeRow& received = all->back();  // ordered by author: the other laptop's last
  EXPECT_FALSE(received.own);
  EXPECT_EQ(received.upload, UploadState::kReceived);
  EXPECT_EQ(received.bytes, "\xdd");
  EXPECT_EQ(*(*store)->CountPending(), 1);
  EXPECT_EQ((*store)->AcceptedTip()->sequence, 1u);
  // The columns are gone from envelopes, whose rows are now written once.
  EXPECT_FALSE((*store)->db().Prepare("SELECT upload FROM envelopes").ok());
  // What happens next is as for any profile: the pending one is accepted.
  EXPECT_EQ(*(*store)->MarkAccepted(3), 1);
  EXPECT_EQ(state_of(3), "accepted ");
  EXPECT_EQ(state_of(2), "rejected invalid_answers: queue");
}

// The trigger, not the caller, starts an own envelope pending; one from
// the server is received and counts for nothing to send.
TEST_F(StoreTest, AnOwnEnvelopeIsStoredPendingAndAReceivedOneIsNot) {
  auto seal = [&](const sync::SigningKey& key) {
    sync::EnvelopeFields f;
    f.kind = sync::EnvelopeKind::kEvent;
    f.sequence = 1;
    f.submission = sync::NewSubmissionId(clock_, random_);
    f.hlc = sync::HlcTimestamp::Make(static_cast<uint64_t>(clock_.NowMs()), 0);
    f.wall_ms = clock_.NowMs();
    f.body = R"({"type":"review","state":"approved","by":"aigerim"})";
    auto bytes = sync::SealEnvelope(f, key);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    auto e = sync::Envelope::Parse(bytes.ok() ? *bytes : std::string());
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return *e;
  };
  const sync::SigningKey other = sync::SigningKey::Generate(random_);
  ASSERT_TRUE(store_->InsertEnvelope(seal(other), /*own=*/false, 1).ok());
  EXPECT_EQ(*store_->CountPending(), 0);
  ASSERT_TRUE(store_->InsertEnvelope(seal(device_->key()), /*own=*/true, 1).ok());
  EXPECT_EQ(*store_->CountPending(), 1);
  auto all = store_->AllEnvelopes();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  for (const EnvelopeRow& row : *all)
    EXPECT_EQ(row.upload, row.own ? UploadState::kPending : UploadState::kReceived);
}

TEST_F(StoreTest, DraftsAreSavedUpdatedAndDeleted) {
  DraftRow d{0, form_->hash_hex(), std::nullopt, R"({"queue":3})", "ru", clock_.NowMs()};
  auto id = store_->SaveDraft(d);
  ASSERT_TRUE(id.ok());
  d.id = *id;
  d.answers_json = R"({"queue":4})";
  ASSERT_TRUE(store_->SaveDraft(d).ok());
  auto found = store_->FindDraft(*id);
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ((*found)->answers_json, R"({"queue":4})");
  ASSERT_TRUE(store_->DeleteDraft(*id).ok());
  EXPECT_FALSE(*store_->FindDraft(*id));
  d.id = 999;
  EXPECT_EQ(store_->SaveDraft(d).status().code(), Status::Code::kNotFound);
}

TEST_F(StoreTest, RecordRefusedForGoodBecomesADraftAndNoLongerHoldsBackTheOthers) {
  sync::SubmissionId first = Save(1), refused = Save(2), later = Save(3);
  ASSERT_EQ(*store_->MarkAccepted(1), 1);
  ASSERT_TRUE(store_->MarkRejected(2, "invalid_answers: queue: too long").ok());
  auto first_tip = store_->OwnEnvelope(1);
  ASSERT_TRUE(first_tip.ok() && *first_tip);

  auto aside = SetAsideRefused(*store_, device_->key(), clock_, "ru");
  ASSERT_TRUE(aside.ok()) << aside.status().ToString();
  ASSERT_EQ(aside->size(), 1u);
  EXPECT_EQ((*aside)[0].submission, refused);
  EXPECT_EQ((*aside)[0].reason, "invalid_answers: queue: too long");

  // The answers wait as a draft of a new record, with the server's reason.
  auto drafts = store_->ListDrafts();
  ASSERT_TRUE(drafts.ok());
  ASSERT_EQ(drafts->size(), 1u);
  EXPECT_EQ((*drafts)[0].id, (*aside)[0].draft);
  EXPECT_EQ(json::parse((*drafts)[0].answers_json), json({{"queue", 2}}));
  EXPECT_EQ((*drafts)[0].note, "invalid_answers: queue: too long");
  EXPECT_FALSE((*drafts)[0].submission.has_value());
  EXPECT_FALSE(store_->FindSubmission(refused)->has_value());

  // The later record now directly follows the accepted one in the chain.
  auto pending = store_->PendingEnvelopes();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].submission, later);
  EXPECT_EQ((*pending)[0].sequence, 2u);
  auto e = sync::Envelope::Parse((*pending)[0].bytes);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->previous(), (**first_tip).id);
  EXPECT_TRUE(store_->FindSubmission(first)->has_value());
  auto report = VerifyLocalStore(*store_);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems[0].record << ": " << report->problems[0].what;
}

TEST_F(StoreTest, EditsBuiltOnARefusedRevisionGoBackWithIt) {
  sync::SubmissionId id = sync::NewSubmissionId(clock_, random_);
  auto v1 = device_->SaveRevision(*form_, id, {}, json{{"queue", 1}}.dump(), clock_, "ru");
  ASSERT_TRUE(v1.ok());
  clock_.Advance(1);
  auto v2 = device_->SaveRevision(*form_, id, {*v1}, json{{"queue", 2}}.dump(), clock_, "ru");
  ASSERT_TRUE(v2.ok());
  clock_.Advance(1);
  auto v3 = device_->SaveRevision(*form_, id, {*v2}, json{{"queue", 3}}.dump(), clock_, "ru");
  ASSERT_TRUE(v3.ok());
  sync::SubmissionId other = Save(9);
  ASSERT_EQ(*store_->MarkAccepted(1), 1);
  ASSERT_TRUE(store_->MarkRejected(2, "not_owner: the submission belongs to another volunteer").ok());

  auto aside = SetAsideRefused(*store_, device_->key(), clock_, "ru");
  ASSERT_TRUE(aside.ok()) << aside.status().ToString();
  ASSERT_EQ(aside->size(), 1u);
  auto drafts = store_->ListDrafts();
  ASSERT_EQ(drafts->size(), 1u);
  // The volunteer's latest answers, as an edit of what the server holds.
  EXPECT_EQ(json::parse((*drafts)[0].answers_json), json({{"queue", 3}}));
  ASSERT_TRUE((*drafts)[0].submission.has_value());
  EXPECT_EQ(*(*drafts)[0].submission, id);
  EXPECT_EQ((*drafts)[0].note, "not_owner: the submission belongs to another volunteer");
  auto row = store_->FindSubmission(id);
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(json::parse((**row).answers_json), json({{"queue", 1}}));
  auto pending = store_->PendingEnvelopes();
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].submission, other);
  EXPECT_EQ((*pending)[0].sequence, 2u);
  EXPECT_TRUE(VerifyLocalStore(*store_)->problems.empty());
}

TEST_F(StoreTest, ForkIsNotRebuiltAndNothingChanges) {
  Save(1);
  Save(2);
  auto before = store_->AllEnvelopes();
  auto aside = RefuseAndSetAside(2, "fork: the server already holds a different envelope");
  ASSERT_FALSE(aside.ok());
  EXPECT_EQ(aside.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_TRUE(store_->ListDrafts()->empty());
  auto after = store_->AllEnvelopes();
  ASSERT_EQ(before->size(), after->size());
  for (size_t i = 0; i < after->size(); ++i) EXPECT_EQ((*before)[i].bytes, (*after)[i].bytes);
}

TEST_F(StoreTest, BrokenChainLinkIsNotRebuiltEither) {
  Save(1);
  Save(2);
  auto aside = RefuseAndSetAside(2, FormatRejection(rejection_code::kChainBroken, "previous is not 1"));
  EXPECT_EQ(aside.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_TRUE(store_->ListDrafts()->empty());
}

TEST_F(StoreTest, RefusalWhoseWordsMentionAForkIsStillSetAside) {
  Save(1);
  sync::SubmissionId refused = Save(2);
  auto aside = RefuseAndSetAside(2, "invalid_answers: fork: is not a queue length");
  ASSERT_TRUE(aside.ok()) << aside.status().ToString();
  ASSERT_EQ(aside->size(), 1u);
  EXPECT_EQ((*aside)[0].submission, refused);
}

TEST_F(StoreTest, NothingRefusedLeavesTheChainAsItWas) {
  Save(1);
  Save(2);
  auto before = store_->AllEnvelopes();
  auto aside = SetAsideRefused(*store_, device_->key(), clock_, "ru");
  ASSERT_TRUE(aside.ok());
  EXPECT_TRUE(aside->empty());
  auto after = store_->AllEnvelopes();
  ASSERT_EQ(before->size(), after->size());
  for (size_t i = 0; i < after->size(); ++i) EXPECT_EQ((*before)[i].bytes, (*after)[i].bytes);
}

TEST_F(StoreTest, RestampedRecordsKeepTheirChainAndClaimNoFutureTime) {
  // Made while the clock ran a day ahead; restamped once it is right.
  FakeClock ahead{clock_.NowMs() + 86400000, 300};
  sync::SubmissionId id = sync::NewSubmissionId(ahead, random_);
  ASSERT_TRUE(device_->SaveRevision(*form_, id, {}, json{{"queue", 4}}.dump(), ahead, "ru").ok());
  auto restamped = RestampPending(*store_, device_->key(), clock_);
  ASSERT_TRUE(restamped.ok());
  EXPECT_EQ(*restamped, 1);
  auto pending = store_->PendingEnvelopes();
  ASSERT_EQ(pending->size(), 1u);
  auto e = sync::Envelope::Parse((*pending)[0].bytes);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->sequence(), 1u);
  EXPECT_LE(e->wall_ms(), clock_.NowMs());
  EXPECT_LE(static_cast<int64_t>(e->hlc().physical_ms()), clock_.NowMs());
  EXPECT_TRUE(VerifyLocalStore(*store_)->problems.empty());
}

TEST_F(StoreTest, InvalidAnswersAreNotSignedOrStored) {
  sync::SubmissionId id = sync::NewSubmissionId(clock_, random_);
  auto saved = device_->SaveRevision(*form_, id, {}, R"({"queue":-1})", clock_, "en");
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(*store_->CountPending(), 0);
  EXPECT_EQ(store_->OwnTip()->sequence, 0u);
}

// --- numbers in the profile -------------------------------------------------------

TEST_F(StoreTest, ProfileNumberIsReadBackAndAnAbsentOneIsTheFallback) {
  ASSERT_TRUE(store_->Put(profile_key::kHlc, "18446744073709551615").ok());
  EXPECT_EQ(*store_->GetNumber(profile_key::kHlc, 7), UINT64_MAX);
  ASSERT_TRUE(store_->Put(profile_key::kHlc, "0").ok());
  EXPECT_EQ(*store_->GetNumber(profile_key::kHlc, 7), 0u);
  EXPECT_EQ(*store_->GetNumber("no_such_key", 7), 7u);
}

TEST_F(StoreTest, ProfileNumberThatIsNotOneIsCorruptionNamingKeyAndValue) {
  for (const char* bad : {"", "abc", "12abc", "-1", "+1", " 1", "1 ", "0x10", "1e3", "1.5",
                          "18446744073709551616"}) {
    ASSERT_TRUE(store_->Put(profile_key::kHlc, bad).ok());
    auto n = store_->GetNumber(profile_key::kHlc, 0);
    ASSERT_FALSE(n.ok()) << "'" << bad << "'";
    EXPECT_EQ(n.status().code(), Status::Code::kCorruption);
    EXPECT_NE(n.status().message().find("'hlc'"), std::string::npos) << n.status().message();
    EXPECT_NE(n.status().message().find("'" + std::string(bad) + "'"), std::string::npos) << n.status().message();
  }
}

TEST_F(StoreTest, LongGarbageInTheProfileIsShownCutShort) {
  ASSERT_TRUE(store_->Put(profile_key::kHlc, std::string(10000, 'x')).ok());
  auto n = store_->GetNumber(profile_key::kHlc, 0);
  ASSERT_FALSE(n.ok());
  EXPECT_LT(n.status().message().size(), 200u) << n.status().message();
}

TEST_F(StoreTest, GarbledClockInTheProfileIsCorruptionAndNothingIsSigned) {
  ASSERT_TRUE(store_->Put(profile_key::kHlc, "yesterday").ok());
  sync::SubmissionId id = sync::NewSubmissionId(clock_, random_);
  auto saved = device_->SaveRevision(*form_, id, {}, R"({"queue":1})", clock_, "en");
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.status().code(), Status::Code::kCorruption);
  EXPECT_NE(saved.status().message().find("'hlc'"), std::string::npos) << saved.status().message();
  EXPECT_NE(saved.status().message().find("'yesterday'"), std::string::npos) << saved.status().message();
  EXPECT_EQ(*store_->CountPending(), 0);
  EXPECT_EQ(store_->OwnTip()->sequence, 0u);
  EXPECT_TRUE(store_->ListSubmissions()->empty());
  EXPECT_EQ(*store_->GetOr(profile_key::kHlc, ""), "yesterday");
}

TEST_F(StoreTest, RecordLookupFailuresNameTheirReason) {
  Save(1);
  Save(2);
  EXPECT_EQ(store_->ResolveSubmission("zzzz").status().reason(), "bad_record_id");
  EXPECT_EQ(store_->ResolveSubmission("ab").status().reason(), "bad_record_id");
  EXPECT_EQ(store_->ResolveSubmission("ffffffff").status().reason(), "no_such_record");
  EXPECT_EQ(LocalStore::Open((dir_ / "none.db").string()).status().reason(), "no_profile");
}

TEST_F(StoreTest, ClockBeforeTheBuildTheServerOrTheNewestRecordIsDoubted) {
  const int64_t now = clock_.NowMs();
  auto none = CheckLaptopClock(*store_, now, now - 86400000);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // The laptop clock set back to 2015: before this build.
  const int64_t y2015 = 1420070400000;
  auto early = CheckLaptopClock(*store_, y2015, now - 86400000);
  ASSERT_EQ(early->size(), 1u);
  EXPECT_EQ((*early)[0].doubt, ClockDoubt::kBeforeBuild);
  // A sync saw the server an hour ahead of the laptop.
  ASSERT_TRUE(store_->Put(profile_key::kLastServerTimeMs, std::to_string(now + 3600000)).ok());
  auto behind_server = CheckLaptopClock(*store_, now, 0);
  ASSERT_EQ(behind_server->size(), 1u);
  EXPECT_EQ((*behind_server)[0].doubt, ClockDoubt::kBeforeServer);
  EXPECT_EQ((*behind_server)[0].reference_ms, now + 3600000);
  // A record stored later than the clock now says.
  ASSERT_TRUE(store_->Put(profile_key::kLastServerTimeMs, "0").ok());
  clock_.Advance(2 * 3600000);
  Save(1);
  auto behind_records = CheckLaptopClock(*store_, now, 0);
  ASSERT_EQ(behind_records->size(), 1u);
  EXPECT_EQ((*behind_records)[0].doubt, ClockDoubt::kBehindRecords);
  // A few minutes back is a clock being set, not a wrong one.
  EXPECT_TRUE(CheckLaptopClock(*store_, clock_.NowMs() - 60000, 0)->empty());
}

TEST_F(StoreTest, BackupIsAWholeProfileThatRestoresWithItsRecordsAndSealedKey) {
  sync::SubmissionId id = Save(7);
  std::string backup = (dir_ / "stick-backup.db").string();
  ASSERT_TRUE(store_->BackupTo(backup).ok());
  // Written again while the profile is in use: replaced whole.
  Save(8);
  ASSERT_TRUE(store_->BackupTo(backup).ok());
  EXPECT_FALSE(std::filesystem::exists(backup + ".partial"));
  EXPECT_FALSE(std::filesystem::exists(backup + "-wal"));
  std::string restored_path = (dir_ / "restored.db").string();
  ASSERT_TRUE(LocalStore::RestoreFrom(backup, restored_path).ok());
  auto restored = LocalStore::Open(restored_path);
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ((*restored)->ListSubmissions()->size(), 2u);
  EXPECT_TRUE((*restored)->FindSubmission(id).ok());
  // The key is still sealed under the same passphrase, and only under it.
  EXPECT_TRUE(Device::Unlock(**restored, "passphrase").ok());
  EXPECT_FALSE(Device::Unlock(**restored, "wrong one!").ok());
}

TEST_F(StoreTest, RestoreNeverOverwritesAProfileNorTakesSomethingElse) {
  Save(1);
  std::string backup = (dir_ / "backup.db").string();
  ASSERT_TRUE(store_->BackupTo(backup).ok());
  Status over = LocalStore::RestoreFrom(backup, Path());
  EXPECT_EQ(over.reason(), "profile_exists");
  EXPECT_EQ(store_->ListSubmissions()->size(), 1u);
  std::string other = (dir_ / "other.db").string();
  {
    auto db = sql::Database::Open(other, {sql::OpenMode::kReadWriteCreate});
    ASSERT_TRUE(db->Exec("CREATE TABLE notes(x)").ok());
  }
  std::string target = (dir_ / "new.db").string();
  EXPECT_FALSE(LocalStore::RestoreFrom(other, target).ok());
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_EQ(LocalStore::RestoreFrom((dir_ / "missing.db").string(), target).code(), Status::Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(target));
}

}  // namespace
}  // namespace dala::client
