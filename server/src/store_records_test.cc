// The records half of the Store interface: forms, the log, derived
// submission state, outboxes and checkpoints, against each store
// (store_test_util.h). On SQLite, damage is made with raw SQL, as a
// failing disk or a careless hand would make it.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "dala/base/hex.h"
#include "dala/server/sqlite_store.h"
#include "sqlite_store.h"
#include "store_test_util.h"

namespace dala::server {
namespace {

using sync::Hash;
using sync::SubmissionId;

constexpr int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kDay = 86'400'000;

class StoreRecordsTest : public testing::StoreTest {
 protected:

  static SubmissionId Id(uint8_t fill) {
    SubmissionId id;
    id.fill(fill);
    return id;
  }

  // The next revision (or event) of `author`'s chain, for `submission`.
  sync::Envelope Next(const sync::SigningKey& author, const SubmissionId& submission,
                      sync::EnvelopeKind kind = sync::EnvelopeKind::kRevision) {
    auto& [sequence, previous] = chains_[author.public_key()];
    sync::EnvelopeFields f;
    f.kind = kind;
    f.submission = submission;
    f.sequence = ++sequence;
    f.previous = previous;
    f.hlc = sync::HlcTimestamp::Make(static_cast<uint64_t>(kNow) + sequence, 0);
    f.wall_ms = kNow;
    f.form_hash = sync::Sha256("form");
    f.form_id = "visit";
    f.form_version = "1";
    f.body = R"({"answers":{},"tz":0})";
    auto bytes = sync::SealEnvelope(f, author);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    auto e = sync::Envelope::Parse(*bytes);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    previous = e->id();
    return *e;
  }

  // Appends at the end of the log.
  sync::Envelope Append(const sync::SigningKey& author, const SubmissionId& submission,
                        sync::EnvelopeKind kind = sync::EnvelopeKind::kRevision) {
    sync::Envelope e = Next(author, submission, kind);
    auto size = store_->LogSize();
    EXPECT_TRUE(size.ok());
    Status s = store_->AppendEnvelope(e, sync::LeafHash(e.bytes()), *size, kNow);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return e;
  }

  static SubmissionSummary Summary(uint8_t fill, std::string volunteer, int64_t created_ms = kNow) {
    SubmissionSummary s;
    s.id = Id(fill);
    s.form_id = "visit";
    s.form_version = "1";
    s.form_hash = ToHex(sync::Sha256("form"));
    s.volunteer = std::move(volunteer);
    s.created_ms = s.updated_ms = created_ms;
    s.answers_json = "{}";
    s.heads = 1;
    s.review_state = "received";
    return s;
  }

  void Put(const SubmissionSummary& s) { ASSERT_TRUE(store_->PutSubmission(s).ok()); }

  std::vector<SubmissionId> List(const SubmissionFilter& f) {
    auto list = store_->ListSubmissions(f);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    std::vector<SubmissionId> out;
    if (list.ok())
      for (const SubmissionSummary& s : *list) out.push_back(s.id);
    return out;
  }

  FormInfo Form(const std::string& document, const std::string& version) {
    FormInfo info;
    info.hash = ToHex(sync::Sha256(document));
    info.form_id = "visit";
    info.version = version;
    info.project = "p";
    info.published_ms = kNow;
    return info;
  }

  sync::SeededRandom random_{11};
  sync::SigningKey alma_ = sync::SigningKey::Generate(random_);
  sync::SigningKey bota_ = sync::SigningKey::Generate(random_);
  std::map<sync::PublicKey, std::pair<uint64_t, Hash>> chains_;
};

INSTANTIATE_TEST_SUITE_P(, StoreRecordsTest, testing::EachStore(), testing::StoreName);
using SqliteStoreRecordsTest = testing::SqliteOnly<StoreRecordsTest>;

// --- forms ------------------------------------------------------------------------

TEST_P(StoreRecordsTest, PublishingTheSameBytesAgainIsANoOp) {
  auto first = store_->PublishForm("{\"v\":1}", Form("{\"v\":1}", "1"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->publish_seq, 1);
  auto again = store_->PublishForm("{\"v\":1}", Form("{\"v\":1}", "1"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->publish_seq, 1);
  EXPECT_EQ(store_->ListForms()->size(), 1u);
}

TEST_P(StoreRecordsTest, OtherBytesUnderAPublishedVersionAreAlreadyExists) {
  ASSERT_TRUE(store_->PublishForm("{\"v\":1}", Form("{\"v\":1}", "1")).ok());
  auto changed = store_->PublishForm("{\"v\":2}", Form("{\"v\":2}", "1"));
  EXPECT_EQ(changed.status().code(), Status::Code::kAlreadyExists);
}

TEST_P(StoreRecordsTest, FormsPublishedAfterASequenceComeInPublicationOrderUpToTheLimit) {
  for (int v = 1; v <= 3; ++v) {
    std::string doc = "{\"v\":" + std::to_string(v) + "}";
    ASSERT_TRUE(store_->PublishForm(doc, Form(doc, std::to_string(v))).ok());
  }
  auto after = store_->FormsPublishedAfter(1, 1);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].first.version, "2");
  EXPECT_EQ((*after)[0].second, "{\"v\":2}");
  EXPECT_TRUE(store_->FormsPublishedAfter(3, 10)->empty());
}

TEST_P(StoreRecordsTest, FormDocumentOfAnUnknownHashIsEmpty) {
  auto doc = store_->FormDocument(ToHex(sync::Sha256("nothing")));
  ASSERT_TRUE(doc.ok());
  EXPECT_FALSE(doc->has_value());
}

// --- the log -------------------------------------------------------------------------

TEST_P(StoreRecordsTest, EmptyLogHasSizeZeroAndNoTips) {
  EXPECT_EQ(*store_->LogSize(), 0u);
  auto tip = store_->Tip(alma_.public_key());
  ASSERT_TRUE(tip.ok());
  EXPECT_EQ(tip->sequence, 0u);
  EXPECT_TRUE(sync::IsZero(tip->id));
  EXPECT_TRUE(store_->LogRange(0, 10)->empty());
}

TEST_P(StoreRecordsTest, LogRangeReturnsTheRangeInLogOrder) {
  std::vector<sync::Envelope> appended;
  for (int i = 0; i < 4; ++i) appended.push_back(Append(i % 2 ? bota_ : alma_, Id(1)));
  auto range = store_->LogRange(1, 3);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  ASSERT_EQ(range->size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ((*range)[k].log_index, k + 1);
    EXPECT_EQ((*range)[k].id, appended[k + 1].id());
    EXPECT_EQ((*range)[k].bytes, appended[k + 1].bytes());
  }
  EXPECT_EQ(*store_->LogSize(), 4u);
  EXPECT_TRUE(store_->LogRange(4, 100)->empty());
}

TEST_P(StoreRecordsTest, AppendAtATakenIndexIsRefused) {
  Append(alma_, Id(1));
  sync::Envelope second = Next(alma_, Id(1));
  EXPECT_FALSE(store_->AppendEnvelope(second, sync::LeafHash(second.bytes()), 0, kNow).ok());
  EXPECT_EQ(*store_->LogSize(), 1u);
}

TEST_P(StoreRecordsTest, AnEnvelopeRefusedInsideATransactionLeavesItUsable) {
  sync::Envelope first = Next(alma_, Id(1));
  Status refused;
  Status s = store_->InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(store_->AppendEnvelope(first, sync::LeafHash(first.bytes()), 0, kNow));
    // The same envelope again, at the next index: its id is taken.
    refused = store_->AppendEnvelope(first, sync::LeafHash(first.bytes()), 1, kNow);
    sync::Envelope second = Next(alma_, Id(1));
    return store_->AppendEnvelope(second, sync::LeafHash(second.bytes()), 1, kNow);
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(refused.code(), Status::Code::kAlreadyExists) << refused.ToString();
  EXPECT_EQ(*store_->LogSize(), 2u);
}

TEST_P(StoreRecordsTest, EnvelopesOfASubmissionAreItsOwnInLogOrder) {
  sync::Envelope a = Append(alma_, Id(1));
  Append(bota_, Id(2));
  sync::Envelope c = Append(bota_, Id(1));
  auto of = store_->EnvelopesOf(Id(1));
  ASSERT_TRUE(of.ok()) << of.status().ToString();
  ASSERT_EQ(of->size(), 2u);
  EXPECT_EQ((*of)[0].id, a.id());
  EXPECT_EQ((*of)[0].log_index, 0u);
  EXPECT_EQ((*of)[1].id, c.id());
  EXPECT_EQ((*of)[1].log_index, 2u);
  EXPECT_TRUE(store_->EnvelopesOf(Id(9))->empty());
}

// What an edit's refresh asks: is the edit the only envelope of its record
// after the row's last log index.
TEST_P(StoreRecordsTest, EnvelopesOfASubmissionAfterALogIndexAreCountedWithoutOthersOrEarlierOnes) {
  Append(alma_, Id(1));  // 0
  Append(bota_, Id(2));  // 1
  Append(bota_, Id(1));  // 2
  Append(alma_, Id(2));  // 3
  auto count = [&](uint8_t submission, uint64_t after) {
    auto n = store_->CountEnvelopesOfAfter(Id(submission), after);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : uint64_t{99};
  };
  EXPECT_EQ(count(1, 0), 1u);
  EXPECT_EQ(count(1, 1), 1u);
  EXPECT_EQ(count(1, 2), 0u);
  EXPECT_EQ(count(2, 0), 2u);
  EXPECT_EQ(count(2, 1), 1u);
  EXPECT_EQ(count(2, 3), 0u);
  EXPECT_EQ(count(9, 0), 0u);
}

TEST_P(StoreRecordsTest, TipIsTheAuthorsHighestSequenceAndEachSequenceFindsItsId) {
  sync::Envelope one = Append(alma_, Id(1));
  Append(bota_, Id(2));
  sync::Envelope two = Append(alma_, Id(1));
  auto tip = store_->Tip(alma_.public_key());
  ASSERT_TRUE(tip.ok());
  EXPECT_EQ(tip->sequence, 2u);
  EXPECT_EQ(tip->id, two.id());
  EXPECT_EQ(**store_->EnvelopeIdAt(alma_.public_key(), 1), one.id());
  EXPECT_FALSE(store_->EnvelopeIdAt(alma_.public_key(), 3)->has_value());
}

TEST_P(StoreRecordsTest, FindEnvelopeOfAnUnknownIdIsEmpty) {
  sync::Envelope e = Append(alma_, Id(1));
  auto found = store_->FindEnvelope(e.id());
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->log_index, 0u);
  EXPECT_FALSE(store_->FindEnvelope(sync::Sha256("nothing"))->has_value());
}

TEST_P(StoreRecordsTest, EnvelopeSubjectSaysWhoseRevisionOrEventItIsAndNothingOfAnUnknownId) {
  sync::Envelope revision = Append(alma_, Id(1));
  sync::Envelope event = Append(bota_, Id(2), sync::EnvelopeKind::kEvent);
  auto of_revision = store_->FindEnvelopeSubject(revision.id());
  ASSERT_TRUE(of_revision.ok()) << of_revision.status().ToString();
  ASSERT_TRUE(of_revision->has_value());
  EXPECT_EQ((*of_revision)->submission, Id(1));
  EXPECT_TRUE((*of_revision)->revision);
  auto of_event = store_->FindEnvelopeSubject(event.id());
  ASSERT_TRUE(of_event.ok() && of_event->has_value());
  EXPECT_EQ((*of_event)->submission, Id(2));
  EXPECT_FALSE((*of_event)->revision);
  auto unknown = store_->FindEnvelopeSubject(sync::Sha256("nothing"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(StoreRecordsTest, FailedTransactionAppendsNothing) {
  Status s = store_->InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(store_->AppendEnvelope(Next(alma_, Id(1)), sync::Sha256("any leaf"), 0, kNow));
    return Status::Internal("changed my mind");
  });
  EXPECT_EQ(s.code(), Status::Code::kInternal);
  EXPECT_EQ(*store_->LogSize(), 0u);
}

TEST_P(StoreRecordsTest, ReadSnapshotDoesNotSeeAnAppendCommittedWhileItRuns) {
  Append(alma_, Id(1));
  uint64_t seen = 0;
  Status s = store_->InReadSnapshot([&](Store& snapshot) -> Status {
    Append(alma_, Id(1));
    DALA_ASSIGN_OR_RETURN(seen, snapshot.LogSize());
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen, 1u);
  EXPECT_EQ(*store_->LogSize(), 2u);
}

// The server's writer never checkpoints in a commit (that put the copy
// of the WAL into the database file, and its fsync, on one unlucky sync
// under the append lock): a transaction well past SQLite's 1,000-page
// automatic checkpoint leaves the database file as it was, its pages in
// the WAL, until the checkpointer's checkpoint copies them.
TEST_F(SqliteStoreRecordsTest, ABigCommitLeavesItsCheckpointToTheCheckpointer) {
  store_.reset();  // the fixture's store checkpoints twice a second; this one only when told
  const std::filesystem::path file = dir_ / "dala-server.db";
  auto db = sql::Database::Open(file.string());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  SqliteStore store(std::move(*db), file.string());
  ASSERT_TRUE(store.StartCheckpointer(std::chrono::hours(24)).ok());
  const uintmax_t before = std::filesystem::file_size(file);
  Status s = store.InTransaction([&]() -> Status {
    for (uint64_t i = 0; i < 8000; ++i)
      DALA_RETURN_IF_ERROR(store.AppendEnvelope(Next(alma_, Id(1 + i % 200)), sync::Sha256(std::to_string(i)), i, kNow));
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_GT(std::filesystem::file_size(dir_ / "dala-server.db-wal"), 1000u * 4096) << "past the automatic checkpoint";
  EXPECT_EQ(std::filesystem::file_size(file), before) << "the commit checkpointed";
  ASSERT_TRUE(store.CheckpointWal().ok());
  EXPECT_GT(std::filesystem::file_size(file), before + 1000u * 4096);
  EXPECT_EQ(*store.LogSize(), 8000u);
}

// The list coordinators open first (every form, oldest or newest first,
// a page of 50) walks an index: sorting every row with its answers held
// the store's lock for tens of milliseconds per list while syncs waited.
TEST_F(SqliteStoreRecordsTest, ListOfEveryFormInTimeOrderWalksAnIndexNotEveryRow) {
  auto db = sql::Database::Open((dir_ / "dala-server.db").string());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (const char* order : {"created_ms ASC, id ASC", "created_ms DESC, id DESC", "updated_ms ASC, id ASC",
                            "updated_ms DESC, id DESC"}) {
    auto plan = db->Prepare(std::string("EXPLAIN QUERY PLAN SELECT id, answers FROM submissions ORDER BY ") + order +
                            " LIMIT 50 OFFSET 0");
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    std::string steps;
    while (*plan->Step()) steps += plan->ColumnText(3) + "\n";
    EXPECT_EQ(steps.find("TEMP B-TREE"), std::string::npos) << order << ":\n" << steps;
    EXPECT_NE(steps.find("USING INDEX submissions_by_"), std::string::npos) << order << ":\n" << steps;
  }
}

// --- a damaged database ---------------------------------------------------------------

TEST_F(SqliteStoreRecordsTest, DamagedEnvelopeIdIsCorruptionNamingItsLogIndex) {
  Append(alma_, Id(1));
  Append(alma_, Id(1));
  Damage("UPDATE envelopes SET id = x'0102' WHERE log_index = 1");
  for (auto read : {store_->LogRange(0, 2), store_->EnvelopesOf(Id(1))}) {
    EXPECT_EQ(read.status().code(), Status::Code::kCorruption);
    EXPECT_NE(read.status().message().find("envelopes row at log index 1"), std::string::npos)
        << read.status().message();
  }
}

TEST_F(SqliteStoreRecordsTest, DamagedEnvelopeIdIsCorruptionNamingItsAuthorAndSequence) {
  Append(alma_, Id(1));
  Damage("UPDATE envelopes SET id = x'0102' WHERE sequence = 1");
  const std::string row = "envelopes row of author " + ToHex(alma_.public_key()) + " at sequence 1";
  auto tip = store_->Tip(alma_.public_key());
  EXPECT_EQ(tip.status().code(), Status::Code::kCorruption);
  EXPECT_NE(tip.status().message().find(row), std::string::npos) << tip.status().message();
  auto at = store_->EnvelopeIdAt(alma_.public_key(), 1);
  EXPECT_EQ(at.status().code(), Status::Code::kCorruption);
  EXPECT_NE(at.status().message().find(row), std::string::npos) << at.status().message();
}

TEST_F(SqliteStoreRecordsTest, DamagedSubmissionIdIsCorruptionNamingTheRowByItsBytes) {
  SubmissionSummary s = Summary(1, "alma");
  s.duplicate_key = "visit\x1f" "ala_01";
  s.duplicate_group = "-";
  Put(s);
  Damage("UPDATE submissions SET id = x'0a0b0c'");
  SubmissionFilter all;
  auto list = store_->ListSubmissions(all);
  auto peers = store_->DuplicatePeers("visit", s.duplicate_key);
  auto legacy = store_->LegacyDistinctSubmissions();
  auto by_end = store_->SubmissionIdsEndingWith("0b0c", 10);
  for (const Status& st : {list.status(), peers.status(), legacy.status(), by_end.status()}) {
    EXPECT_EQ(st.code(), Status::Code::kCorruption);
    EXPECT_NE(st.message().find("submissions row x'0a0b0c'"), std::string::npos) << st.message();
  }
}

// --- derived state -----------------------------------------------------------------------

TEST_P(StoreRecordsTest, PutSubmissionReplacesTheEarlierSummary) {
  SubmissionSummary s = Summary(1, "alma");
  Put(s);
  s.review_state = "approved";
  s.distinct_from = "x";
  s.last_log_index = 7;
  Put(s);
  auto found = store_->FindSubmission(s.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->review_state, "approved");
  EXPECT_EQ((*found)->distinct_from, "x");
  EXPECT_EQ((*found)->last_log_index, 7u);
  EXPECT_EQ(List({}).size(), 1u);
  EXPECT_FALSE(store_->FindSubmission(Id(9))->has_value());
}

// The sync's ownership check reads a record's volunteer from its row.
TEST_P(StoreRecordsTest, FoundSubmissionsVolunteerIsTheStoredOneAndEmptyWhereNotKnown) {
  Put(Summary(1, "alma"));
  Put(Summary(2, ""));  // a record whose creator's volunteer is not known
  auto alma = store_->FindSubmission(Id(1));
  ASSERT_TRUE(alma.ok()) << alma.status().ToString();
  ASSERT_TRUE(alma->has_value());
  EXPECT_EQ((*alma)->volunteer, "alma");
  auto unknown_volunteer = store_->FindSubmission(Id(2));
  ASSERT_TRUE(unknown_volunteer.ok() && unknown_volunteer->has_value());
  EXPECT_EQ((*unknown_volunteer)->volunteer, "");
}

// `s` with every column but its id a value of its own, unlike Summary()'s,
// so that a column written in the wrong place, or left out, shows.
SubmissionSummary EveryColumnSet(SubmissionSummary s) {
  s.form_version = "2";
  s.form_hash = ToHex(sync::Sha256("form 2"));
  s.volunteer = "bota";
  s.centre = "ast_01";
  s.region = "ast";
  s.visit_date = "2026-01-02";
  s.duplicate_key = "k2";
  s.created_ms = kNow - kDay;
  s.updated_ms = kNow + kDay;
  s.answers_json = R"({"queue":4})";
  s.heads = 2;
  s.conflicts = 1;
  s.review_state = "approved";
  s.review_by = "dana";
  s.review_comment = "second";
  s.changed_since_review = true;
  s.duplicate_group = "g2";
  s.merged_into = "m";
  s.last_log_index = 9;
  s.distinct_from = "x,y";
  s.only_head = ToHex(sync::Sha256("head 2"));
  s.only_head_hlc = (uint64_t{1} << 62) + 7;  // above what an int32 holds
  return s;
}

// SQLite writes an edited record by setting only the columns that changed;
// a column left out, or an index not rewritten, would show here.
TEST_P(StoreRecordsTest, PutOverAStoredSummaryChangesEveryColumnThatDiffersAndItsIndexes) {
  SubmissionSummary before = Summary(1, "alma");
  before.centre = "ala_01";
  before.region = "ala";
  before.visit_date = "2026-01-01";
  before.duplicate_key = "k1";
  before.review_by = "aigul";
  before.review_comment = "first";
  before.duplicate_group = "g1";
  Put(before);
  SubmissionSummary after = EveryColumnSet(before);
  Put(after);
  auto found = store_->FindSubmission(after.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(testing::SummaryColumns(**found), testing::SummaryColumns(after));
  EXPECT_EQ(List({.region = "ast"}), (std::vector{after.id}));
  EXPECT_TRUE(List({.region = "ala"}).empty());
  EXPECT_TRUE(List({.centre = "ala_01"}).empty());
  EXPECT_EQ(List({.volunteer = "bota"}), (std::vector{after.id}));
  EXPECT_TRUE(List({.volunteer = "alma"}).empty());
  EXPECT_EQ(List({.review_state = "approved"}), (std::vector{after.id}));
  EXPECT_EQ(List({.only_conflicts = true}), (std::vector{after.id}));

  // Then an edit as most are: new answers, a later time, a new log index,
  // a new only head.
  SubmissionSummary edited = after;
  edited.answers_json = R"({"queue":5})";
  edited.updated_ms = kNow + 2 * kDay;
  edited.last_log_index = 10;
  edited.only_head = ToHex(sync::Sha256("head 3"));
  edited.only_head_hlc = after.only_head_hlc + 1;
  Put(edited);
  found = store_->FindSubmission(edited.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(testing::SummaryColumns(**found), testing::SummaryColumns(edited));
  EXPECT_EQ(List({.sort = SubmissionFilter::Sort::kUpdated}), (std::vector{edited.id}));
}

// Every column a value of its own, so that a new row's columns written in
// the wrong order, or one left out, would show.
TEST_P(StoreRecordsTest, ANewSummaryIsStoredColumnForColumnAndPutAgainLeftAsItWas) {
  SubmissionSummary s = EveryColumnSet(Summary(1, "alma"));
  Put(s);
  auto found = store_->FindSubmission(s.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(testing::SummaryColumns(**found), testing::SummaryColumns(s));
  Put(s);
  found = store_->FindSubmission(s.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(testing::SummaryColumns(**found), testing::SummaryColumns(s));
  EXPECT_EQ(List({.region = "ast"}), (std::vector{s.id}));
}

TEST_P(StoreRecordsTest, EachFilterLeavesOutTheSubmissionsThatDoNotMatch) {
  SubmissionSummary a = Summary(1, "alma");
  a.centre = "ala_01";
  a.region = "ala";
  SubmissionSummary b = Summary(2, "bota", kNow + 1);
  b.centre = "ast_01";
  b.region = "ast";
  b.review_state = "approved";
  b.conflicts = 2;
  SubmissionSummary c = Summary(3, "bota", kNow + 2);
  c.form_id = "exit";
  Put(a);
  Put(b);
  Put(c);
  EXPECT_EQ(List({.form_id = "visit"}), (std::vector{a.id, b.id}));
  EXPECT_EQ(List({.centre = "ast_01"}), (std::vector{b.id}));
  EXPECT_EQ(List({.region = "ala"}), (std::vector{a.id}));
  EXPECT_EQ(List({.volunteer = "bota"}), (std::vector{b.id, c.id}));
  EXPECT_EQ(List({.review_state = "approved"}), (std::vector{b.id}));
  EXPECT_EQ(List({.only_conflicts = true}), (std::vector{b.id}));
}

TEST_P(StoreRecordsTest, DateFilterReadsTheVisitDateElseTheCreationDay) {
  SubmissionSummary visited = Summary(1, "alma", kNow + 5 * kDay);
  visited.visit_date = "2025-12-30";
  SubmissionSummary created = Summary(2, "alma", kNow + kDay);  // 2026-01-02
  Put(visited);
  Put(created);
  SubmissionFilter f;
  f.date_to = "2025-12-31";
  EXPECT_EQ(List(f), (std::vector{visited.id}));
  f = {};
  f.date_from = "2026-01-02";
  f.date_to = "2026-01-02";
  EXPECT_EQ(List(f), (std::vector{created.id}));
}

TEST_P(StoreRecordsTest, OnlyDuplicatesLeavesOutUnflaggedAndMergedSubmissions) {
  SubmissionSummary flagged = Summary(1, "alma");
  flagged.duplicate_group = "k";
  SubmissionSummary merged = Summary(2, "bota");
  merged.duplicate_group = "k";
  merged.merged_into = sync::FormatSubmissionId(flagged.id);
  Put(flagged);
  Put(merged);
  Put(Summary(3, "bota"));
  SubmissionFilter f;
  f.only_duplicates = true;
  EXPECT_EQ(List(f), (std::vector{flagged.id}));
}

// The overview's figures: each store's TallySubmissions counts what the
// eight queries count, over records of every state and flag, days from a
// visit date or from the creation time (before 1970, at a day's last
// millisecond, past year 9999), one centre named in two regions (next
// to each other in the index), and under each filter the dashboard sends.
TEST_P(StoreRecordsTest, TallyOfTheOverviewCountsWhatItsEightQueriesCount) {
  const int64_t kDays[] = {kNow, kNow + kDay - 1, kNow + kDay, -1, -kDay - 1'001, 0, 253'402'300'800'000, kNow - 400 * kDay};
  const char* kStates[] = {"received", "approved", "has_issues", "rejected"};
  const char* kCentres[][2] = {{"ala_01", "ala"}, {"ala_02", "ala"}, {"ast_01", "ast"}, {"ala_02", "alb"}, {"", "ast"}};
  for (uint8_t i = 1; i <= 60; ++i) {
    SubmissionSummary s = Summary(i, i % 3 == 0 ? "bota" : "alma", kDays[i % 8]);
    s.form_id = i % 5 == 0 ? "exit" : "visit";
    s.review_state = kStates[i % 4];
    s.centre = kCentres[i % 5][0];
    s.region = kCentres[i % 5][1];
    if (i % 7 == 0) s.visit_date = i % 2 ? "2025-12-30" : "2026-01-02";  // 2026-01-02 is also a creation day
    s.conflicts = i % 6 == 0 ? 2 : 0;
    s.changed_since_review = i % 4 == 1;
    if (i % 9 == 0) s.duplicate_group = "k";
    if (i % 18 == 0) s.merged_into = sync::FormatSubmissionId(Id(9));
    Put(s);
  }
  std::vector<SubmissionFilter> filters = {{},
                                           {.form_id = "visit"},
                                           {.form_id = "visit", .region = "ala"},
                                           {.centre = "ast_01"},
                                           {.review_state = "approved"},
                                           {.date_from = "2026-01-01", .date_to = "2026-01-02"},
                                           {.only_conflicts = true},
                                           {.only_duplicates = true},
                                           {.only_current = true},
                                           {.form_id = "nothing"}};
  for (const SubmissionFilter& f : filters) {
    auto queried = TallySubmissionsByQueries(*store_, f);
    auto tallied = store_->TallySubmissions(f);
    ASSERT_TRUE(queried.ok() && tallied.ok());
    EXPECT_EQ(tallied->total, queried->total) << f.form_id << f.region << f.centre << f.review_state << f.date_from;
    EXPECT_EQ(tallied->unreviewed, queried->unreviewed);
    EXPECT_EQ(tallied->sent_back, queried->sent_back);
    EXPECT_EQ(tallied->conflicts, queried->conflicts);
    EXPECT_EQ(tallied->duplicates, queried->duplicates);
    EXPECT_EQ(tallied->changed, queried->changed);
    EXPECT_EQ(tallied->per_day, queried->per_day);
    EXPECT_EQ(tallied->current_by_centre, queried->current_by_centre);
  }
  // Not a comparison of two empty answers: the whole store has every kind.
  auto all = store_->TallySubmissions({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->total, 60u);
  EXPECT_GT(all->unreviewed, 0u);
  EXPECT_GT(all->sent_back, 0u);
  EXPECT_GT(all->conflicts, 0u);
  EXPECT_GT(all->duplicates, 0u);
  EXPECT_GT(all->changed, 0u);
  EXPECT_EQ(all->current_by_centre.front().key, "");  // no centre given
  if (GetParam() == testing::StoreKind::kSqlite) {
    ASSERT_EQ(all->per_day.size(), 7u);  // 2026-01-02 both a visit date and a creation day
    EXPECT_EQ(all->per_day[0].key, "");  // past 9999-12-31: date() is NULL
    EXPECT_EQ(all->per_day[1].key, "1969-12-30");  // -86,401,001 ms: -86,401 s, a second into the day before
    EXPECT_EQ(all->per_day[2].key, "1970-01-01");  // -1 ms and 0
    EXPECT_EQ(all->per_day[2].count, 13u);  // i % 8 of 3 or 5, less 21 and 35 (a visit date)
  }
}

TEST_P(StoreRecordsTest, ListPagesInCreationOrderWithLimitAndOffset) {
  Put(Summary(3, "alma", kNow + 2));
  Put(Summary(1, "alma", kNow + 1));
  Put(Summary(2, "alma", kNow + 1));
  SubmissionFilter f;
  f.limit = 2;
  EXPECT_EQ(List(f), (std::vector{Id(1), Id(2)}));
  f.offset = 2;
  EXPECT_EQ(List(f), (std::vector{Id(3)}));
}

TEST_P(StoreRecordsTest, SubmissionIdsMatchByTheirEndOnlyNeverTheirStart) {
  SubmissionSummary s = Summary(0, "alma");
  s.id = {0xab, 0xcd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34};
  Put(s);
  Put(Summary(7, "alma"));
  EXPECT_EQ(*store_->SubmissionIdsEndingWith("00001234", 10), (std::vector{s.id}));
  EXPECT_TRUE(store_->SubmissionIdsEndingWith("abcd0000", 10)->empty());  // the start: the timestamp
  EXPECT_TRUE(store_->SubmissionIdsEndingWith("cd00", 10)->empty());
}

TEST_P(StoreRecordsTest, DuplicatePeersLeaveOutOtherKeysAndTheNamedVolunteer) {
  SubmissionSummary a = Summary(1, "alma");
  SubmissionSummary b = Summary(2, "bota");
  SubmissionSummary other_key = Summary(3, "bota");
  a.duplicate_key = b.duplicate_key = "visit\x1fk";
  other_key.duplicate_key = "visit\x1fz";
  Put(a);
  Put(b);
  Put(other_key);
  auto all = store_->DuplicatePeers("visit", "visit\x1fk");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  auto others = store_->DuplicatePeers("visit", "visit\x1fk", "alma");
  ASSERT_TRUE(others.ok());
  ASSERT_EQ(others->size(), 1u);
  EXPECT_EQ((*others)[0].id, b.id);
  ASSERT_TRUE(store_->SetDuplicateGroup(b.id, "visit\x1fk").ok());
  EXPECT_EQ((*store_->FindSubmission(b.id))->duplicate_group, "visit\x1fk");
}

TEST_P(StoreRecordsTest, LegacyDistinctSubmissionsAreOnlyThoseMarkedWithADash) {
  SubmissionSummary legacy = Summary(1, "alma");
  legacy.duplicate_group = "-";
  SubmissionSummary flagged = Summary(2, "alma");
  flagged.duplicate_group = "k";
  Put(legacy);
  Put(flagged);
  EXPECT_EQ(*store_->LegacyDistinctSubmissions(), (std::vector{legacy.id}));
}

// --- the outbox ---------------------------------------------------------------------------

TEST_P(StoreRecordsTest, OutboxLeavesOutWhatTheReaderSignedAndKeepsWithinTheCursor) {
  ASSERT_TRUE(store_->AddToOutbox("alma", 0, alma_.public_key()).ok());
  ASSERT_TRUE(store_->AddToOutbox("alma", 1, bota_.public_key()).ok());
  ASSERT_TRUE(store_->AddToOutbox("alma", 2, bota_.public_key()).ok());
  ASSERT_TRUE(store_->AddToOutbox("bota", 3, alma_.public_key()).ok());
  auto end = store_->OutboxEnd("alma");
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, 3);
  auto all = store_->Outbox("alma", alma_.public_key(), 0, *end, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::pair<int64_t, uint64_t>>{{2, 1}, {3, 2}}));
  EXPECT_EQ(*store_->Outbox("alma", alma_.public_key(), 2, *end, 10),
            (std::vector<std::pair<int64_t, uint64_t>>{{3, 2}}));
  EXPECT_EQ(*store_->Outbox("alma", alma_.public_key(), 0, 2, 10),
            (std::vector<std::pair<int64_t, uint64_t>>{{2, 1}}));
  EXPECT_EQ(store_->Outbox("alma", alma_.public_key(), 0, *end, 1)->size(), 1u);
}

TEST_P(StoreRecordsTest, OutboxEndOfAVolunteerWithNothingQueuedIsZero) {
  ASSERT_TRUE(store_->AddToOutbox("bota", 0, bota_.public_key()).ok());
  EXPECT_EQ(*store_->OutboxEnd("alma"), 0);
}

TEST_P(StoreRecordsTest, AddToOutboxOnceDoesNotQueueAnEntryTwice) {
  ASSERT_TRUE(store_->AddToOutboxOnce("alma", 4, bota_.public_key()).ok());
  ASSERT_TRUE(store_->AddToOutboxOnce("alma", 4, bota_.public_key()).ok());
  EXPECT_EQ(store_->Outbox("alma", alma_.public_key(), 0, 100, 10)->size(), 1u);
}

TEST_P(StoreRecordsTest, VolunteerHistoryQueuesOnlyTheirSubmissionsNotQueuedYetInLogOrder) {
  Append(alma_, Id(1));  // 0
  Append(bota_, Id(2));  // 1: another volunteer's
  Append(bota_, Id(1));  // 2: a coordinator's edit, say
  Put(Summary(1, "alma"));
  Put(Summary(2, "bota"));
  ASSERT_TRUE(store_->AddToOutbox("alma", 2, bota_.public_key()).ok());
  ASSERT_TRUE(store_->QueueVolunteerHistory("alma").ok());
  auto queued = store_->Outbox("alma", sync::PublicKey{}, 0, 100, 10);
  ASSERT_TRUE(queued.ok());
  std::vector<uint64_t> indexes;
  for (const auto& [id, index] : *queued) indexes.push_back(index);
  EXPECT_EQ(indexes, (std::vector<uint64_t>{2, 0}));
}

// --- checkpoints ----------------------------------------------------------------------------

TEST_P(StoreRecordsTest, NoCheckpointYetIsEmpty) {
  auto last = store_->LastCheckpoint();
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->has_value());
}

TEST_P(StoreRecordsTest, LastCheckpointIsTheLargestWhateverTheOrderOfWriting) {
  ASSERT_TRUE(store_->PutCheckpoint(5, "five").ok());
  ASSERT_TRUE(store_->PutCheckpoint(3, "three").ok());
  auto last = store_->LastCheckpoint();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->first, 5u);
  EXPECT_EQ((*last)->second, "five");
}

}  // namespace
}  // namespace dala::server
