#include "dala/client/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dala/client/device.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/merkle.h"
#include "dala/client/sync_client.h"

namespace dala::client {
namespace {

using nlohmann::json;

constexpr const char* kForm = R"J({"dala_form":1,"id":"visit","version":"1","title":"Visit","languages":["ru"],
  "default_language":"ru","questions":[{"type":"integer","name":"queue","label":"Queue","constraint":". >= 0"}]})J";

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dala-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = LocalStore::Create(Path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    ASSERT_TRUE(InitDevice(*store_, "passphrase", random_, clock_, {1, 64u << 10}).ok());
    auto form = store_->AddForm(kForm, "local", clock_.NowMs());
    ASSERT_TRUE(form.ok());
    form_ = *form;
    auto d = Device::Unlock(*store_, "passphrase");
    ASSERT_TRUE(d.ok());
    device_.emplace(std::move(*d));
  }
  void TearDown() override {
    device_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string Path() const { return (dir_ / "dala.db").string(); }

  sync::SubmissionId Save(int queue) {
    sync::SubmissionId id = sync::NewSubmissionId(clock_, random_);
    clock_.Advance(1);
    auto saved = device_->SaveRevision(*form_, id, {}, json{{"queue", queue}}.dump(), clock_, "en");
    EXPECT_TRUE(saved.ok()) << saved.status().ToString();
    return id;
  }

  std::filesystem::path dir_;
  FakeClock clock_{1795755600000, 300};
  sync::SeededRandom random_{42};
  std::unique_ptr<LocalStore> store_;
  std::shared_ptr<const schema::Form> form_;
  std::optional<Device> device_;
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

TEST_F(StoreTest, RecordsAreFoundByAnyUniqueStartOrEndOfTheirId) {
  sync::SubmissionId a = Save(1);
  Save(2);
  std::string hex = ToHex(a);
  EXPECT_EQ(*store_->ResolveSubmission(hex.substr(24)), a);            // the end, as `dala list` shows it
  EXPECT_EQ(*store_->ResolveSubmission(sync::FormatSubmissionId(a)), a);  // the whole id
  // Two records made a millisecond apart share their first digits.
  auto ambiguous = store_->ResolveSubmission(hex.substr(0, 8));
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.status().message().find("several"), std::string::npos);
  EXPECT_FALSE(store_->ResolveSubmission("abc").ok());   // too short
  EXPECT_FALSE(store_->ResolveSubmission("xyzw").ok());  // not hex
}

TEST_F(StoreTest, PendingBatchesAreBoundedByCountAndBytesButNeverEmpty) {
  for (int i = 0; i < 5; ++i) Save(i);
  EXPECT_EQ(store_->PendingEnvelopes(3, 1u << 20)->size(), 3u);
  EXPECT_EQ(store_->PendingEnvelopes(10, 1)->size(), 1u);  // one, however large
  EXPECT_EQ(*store_->CountPending(), 5);
  EXPECT_EQ(*store_->MarkAccepted(2), 2);
  EXPECT_EQ(*store_->MarkAccepted(2), 0);  // already
  EXPECT_EQ(*store_->CountPending(), 3);
  EXPECT_EQ((*store_->PendingEnvelopes(10, 1u << 20))[0].sequence, 3u);
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
  auto pending = store_->PendingEnvelopes(10, 1 << 20);
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
  auto pending = store_->PendingEnvelopes(10, 1 << 20);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].submission, other);
  EXPECT_EQ((*pending)[0].sequence, 2u);
  EXPECT_TRUE(VerifyLocalStore(*store_)->problems.empty());
}

TEST_F(StoreTest, ForkIsNotRebuiltAndNothingChanges) {
  Save(1);
  Save(2);
  ASSERT_EQ(*store_->MarkAccepted(1), 1);
  ASSERT_TRUE(store_->MarkRejected(2, "fork: the server already holds a different envelope").ok());
  auto before = store_->AllEnvelopes();
  auto aside = SetAsideRefused(*store_, device_->key(), clock_, "ru");
  ASSERT_FALSE(aside.ok());
  EXPECT_EQ(aside.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_TRUE(store_->ListDrafts()->empty());
  auto after = store_->AllEnvelopes();
  ASSERT_EQ(before->size(), after->size());
  for (size_t i = 0; i < after->size(); ++i) EXPECT_EQ((*before)[i].bytes, (*after)[i].bytes);
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
  auto pending = store_->PendingEnvelopes(10, 1 << 20);
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

class LyingServerTest : public StoreTest {
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

// `f` as the first envelope `key` signs.
sync::Envelope Seal(sync::EnvelopeFields f, const sync::SigningKey& key) {
  f.sequence = 1;
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
                      const std::string& answers, sync::EnvelopeKind kind = sync::EnvelopeKind::kRevision) {
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
  return Seal(std::move(f), key);
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
      r.envelopes = raw;
      for (const sync::Envelope& e : envelopes) r.envelopes.push_back(e.bytes());
    });
    SyncClient sync(*store_, *device_, server, clock_, random_);
    return sync.Run();
  }
  bool Stored(const sync::Envelope& e) { return *store_->HasEnvelope(e.id()); }

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
  EXPECT_EQ((*store_->FindSubmission(id))->review_state, "received");
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

}  // namespace
}  // namespace dala::client
