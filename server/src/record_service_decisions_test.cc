// Decisions signed by people's own keys (record_service_decisions.cc), over
// each store: the server appends what the person signed, refuses
// what they did not, and stops signing in the name of anyone with a key.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dala/sync/enrolment.h"
#include "dala/sync/person_keys.h"
#include "record_service.h"
#include "store_test_util.h"

namespace dala::server {
namespace {

using nlohmann::json;
using sync::Envelope;
using sync::Hash;
using sync::SubmissionId;

constexpr const char* kForm = R"({"dala_form":1,"id":"visit","version":"1","title":"Visit",
  "languages":["en"],"default_language":"en",
  "questions":[{"type":"text","name":"centre","label":"Centre","required":true},
               {"type":"integer","name":"queue","label":"Queue","constraint":". >= 0"}]})";
constexpr const char* kCode = "K7MX-Q4TR-P2NW";

class SignedDecisionTest : public testing::ServiceTest {
 protected:
  SignedDecisionTest() : ServiceTest(kForm) {}
  void SetUp() override {
    ServiceTest::SetUp();
    if (HasFatalFailure()) return;
    for (auto [name, role] : {std::pair{"aigerim", Role::kCoordinator}, {"bolat", Role::kCoordinator}}) {
      auto u = store_->AddUser(name, role, "x", kNow);
      ASSERT_TRUE(u.ok());
      users_[name] = *u;
    }
    // A volunteer's laptop and one record of theirs.
    device_ = EnrollLaptop(laptop_.public_key(), IssueLaptopCode("alma"));
    sync::EnvelopeFields f = Fields(json{{"centre", "ala_01"}, {"queue", 3}});
    f.sequence = 1;
    submission_ = f.submission;
    sync::SyncRequest request;
    request.envelopes = {Seal(laptop_, std::move(f))};
    ASSERT_EQ(service_->HandleSync(device_, request)->accepted_through, 1u);
    clock_.Advance(1000);
  }

  // Issues a code for `person` and enrols `key` with it.
  Result<PersonKeyRow> EnrolKey(const std::string& person, const sync::SigningKey& key) {
    const std::string code = person == "bolat" ? "BBBB-CCCC-DDDD" : kCode;
    const std::string normalized = sync::NormalizeEnrollCode(code);
    Status s = store_->AddPersonKeyCode(ToHex(sync::Sha256(normalized)), person, kNow + 3'600'000, "admin", kNow);
    if (!s.ok()) return s;
    return service_->EnrollPersonKey(users_.at(person), code, key.public_key(),
                                     sync::SignPersonKeyProof(key, normalized), "browser");
  }

  // Completes drafts as a browser does: the key's chain, its clocks, its signature.
  std::vector<std::string> Sign(std::vector<sync::EnvelopeFields> drafts, const sync::SigningKey& key) {
    auto tip = store_->Tip(key.public_key());
    EXPECT_TRUE(tip.ok());
    std::vector<std::string> out;
    for (sync::EnvelopeFields& f : drafts) {
      f.sequence = tip->sequence + 1;
      f.previous = tip->id;
      f.wall_ms = clock_.NowMs();
      f.hlc = sync::HlcTimestamp{std::max(service_->hlc_floor() + 1,
                                          sync::HlcTimestamp::Make(static_cast<uint64_t>(clock_.NowMs()), 0).packed)};
      auto bytes = sync::SealEnvelope(f, key);
      EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
      auto e = Envelope::Parse(*bytes);
      tip = sync::ChainTip{e->sequence(), e->id()};
      out.push_back(*bytes);
    }
    return out;
  }
  std::vector<std::string> Review(const std::string& by, const sync::SigningKey& key, const std::string& state = "approved") {
    auto drafts = service_->DraftReview(submission_, by, state, "seen");
    EXPECT_TRUE(drafts.ok()) << drafts.status().ToString();
    return Sign(*drafts, key);
  }

  sync::SigningKey laptop_ = sync::SigningKey::Generate(random_);
  sync::SigningKey aigerim_key_ = sync::SigningKey::Generate(random_);
  sync::SigningKey bolat_key_ = sync::SigningKey::Generate(random_);
  std::map<std::string, User> users_;
  Device device_;
  SubmissionId submission_{};
};

INSTANTIATE_TEST_SUITE_P(, SignedDecisionTest, testing::EachStore(), testing::StoreName);

TEST_P(SignedDecisionTest, ACorrectionAndReviewSignedByTheirPersonAreAppendedUnchanged) {
  ASSERT_TRUE(EnrolKey("aigerim", aigerim_key_).ok());
  CoordinatorEdit edit{"aigerim", R"({"centre":"ala_01","queue":20})", "counted again", {}};
  auto drafts = service_->DraftEdit(submission_, edit);
  ASSERT_TRUE(drafts.ok()) << drafts.status().ToString();
  std::vector<std::string> correction = Sign(*drafts, aigerim_key_);
  auto ids = service_->AppendSignedDecisions(users_["aigerim"], correction);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  auto stored = store_->FindEnvelope(ids->front());
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->bytes, correction.front()) << "the server appends the bytes the person signed";
  auto summary = store_->FindSubmission(submission_);
  EXPECT_EQ(json::parse((*summary)->answers_json)["queue"], 20);
  ASSERT_TRUE(service_->AppendSignedDecisions(users_["aigerim"], Review("aigerim", aigerim_key_)).ok());
  EXPECT_EQ((*store_->FindSubmission(submission_))->review_state, "approved");
}

// README condition 14: a decision is made on revisions of its own record.
// A parent that is an earlier decision, a revision of another record or
// unknown is refused, and decides nothing.
TEST_P(SignedDecisionTest, ADecisionMadeOnAnythingButARevisionOfItsRecordIsRefused) {
  ASSERT_TRUE(EnrolKey("aigerim", aigerim_key_).ok());
  auto earlier = service_->AppendSignedDecisions(users_["aigerim"], Review("aigerim", aigerim_key_, "has_issues"));
  ASSERT_TRUE(earlier.ok()) << earlier.status().ToString();
  // Another record of the same laptop.
  auto tip = store_->Tip(laptop_.public_key());
  ASSERT_TRUE(tip.ok());
  sync::EnvelopeFields f = Fields(json{{"centre", "ala_02"}, {"queue", 1}});
  f.sequence = tip->sequence + 1;
  f.previous = tip->id;
  sync::SyncRequest request;
  request.envelopes = {Seal(laptop_, std::move(f))};
  ASSERT_EQ(service_->HandleSync(device_, request)->accepted_through, 2u);
  const Hash other_record = Envelope::Parse(request.envelopes[0])->id();
  for (const Hash& parent : {earlier->front(), other_record, sync::Sha256("never appended")}) {
    auto drafts = service_->DraftReview(submission_, "aigerim", "approved", "seen");
    ASSERT_TRUE(drafts.ok()) << drafts.status().ToString();
    for (sync::EnvelopeFields& draft : *drafts) draft.parents = {parent};
    auto appended = service_->AppendSignedDecisions(users_["aigerim"], Sign(*drafts, aigerim_key_));
    EXPECT_EQ(appended.status().reason(), "invalid_decision") << ToHex(parent);
  }
  EXPECT_EQ((*store_->FindSubmission(submission_))->review_state, "has_issues");
}

TEST_P(SignedDecisionTest, TheServerNoLongerSignsForAPersonWithAKey) {
  EXPECT_TRUE(service_->Review(submission_, "aigerim", "approved", "").ok()) << "no key yet: attested";
  ASSERT_TRUE(EnrolKey("aigerim", aigerim_key_).ok());
  auto review = service_->Review(submission_, "aigerim", "rejected", "forged");
  EXPECT_EQ(review.status().reason(), "decision_must_be_signed");
  auto edit = service_->Edit(submission_, CoordinatorEdit{"aigerim", R"({"centre":"x","queue":1})", "", {}});
  EXPECT_EQ(edit.status().reason(), "decision_must_be_signed");
  EXPECT_TRUE(service_->Review(submission_, "bolat", "approved", "").ok()) << "bolat has no key";
}

TEST_P(SignedDecisionTest, ADecisionSignedByAKeyNeverEnrolledForThatPersonIsRefused) {
  ASSERT_TRUE(EnrolKey("aigerim", aigerim_key_).ok());
  ASSERT_TRUE(EnrolKey("bolat", bolat_key_).ok());
  sync::SigningKey stranger = sync::SigningKey::Generate(random_);
  EXPECT_EQ(service_->AppendSignedDecisions(users_["aigerim"], Review("aigerim", stranger)).status().reason(),
            "unknown_person_key");
  // bolat's key, sent in aigerim's session or naming her.
  EXPECT_EQ(service_->AppendSignedDecisions(users_["aigerim"], Review("aigerim", bolat_key_)).status().reason(),
            "unknown_person_key");
  EXPECT_EQ(service_->AppendSignedDecisions(users_["bolat"], Review("aigerim", bolat_key_)).status().reason(),
            "invalid_decision");
  // The laptop's key is no person's.
  EXPECT_EQ(service_->AppendSignedDecisions(users_["aigerim"], Review("aigerim", laptop_)).status().reason(),
            "unknown_person_key");
  EXPECT_EQ((*store_->FindSubmission(submission_))->review_state, "received");
}

TEST_P(SignedDecisionTest, ARevokedKeyDecidesNothingMoreButItsEarlierDecisionsStand) {
  ASSERT_TRUE(EnrolKey("aigerim", aigerim_key_).ok());
  ASSERT_TRUE(service_->AppendSignedDecisions(users_["aigerim"], Review("aigerim", aigerim_key_)).ok());
  ASSERT_TRUE(service_->RevokePersonKey(aigerim_key_.public_key(), "admin", "browser profile lost").ok());
  auto late = service_->AppendSignedDecisions(users_["aigerim"], Review("aigerim", aigerim_key_, "rejected"));
  EXPECT_EQ(late.status().reason(), "revoked_person_key");
  EXPECT_EQ(service_->Review(submission_, "aigerim", "rejected", "x").status().reason(), "decision_must_be_signed")
      << "revoking the key does not hand her decisions back to the server";
  EXPECT_EQ((*store_->FindSubmission(submission_))->review_state, "approved");
  EXPECT_EQ(service_->RevokePersonKey(aigerim_key_.public_key(), "admin", "again").reason(), "already_revoked");
}

TEST_P(SignedDecisionTest, TwoDecisionsDraftedOnOneChainPositionConflictAndTheSecondIsRefused) {
  ASSERT_TRUE(EnrolKey("aigerim", aigerim_key_).ok());
  std::vector<std::string> first = Review("aigerim", aigerim_key_);
  std::vector<std::string> second = Review("aigerim", aigerim_key_, "rejected");
  ASSERT_TRUE(service_->AppendSignedDecisions(users_["aigerim"], first).ok());
  EXPECT_EQ(service_->AppendSignedDecisions(users_["aigerim"], second).status().reason(), "chain_conflict");
}

TEST_P(SignedDecisionTest, ATamperedDecisionOrOneThatDoesNotFitItsRecordIsRefused) {
  ASSERT_TRUE(EnrolKey("aigerim", aigerim_key_).ok());
  std::vector<std::string> review = Review("aigerim", aigerim_key_);
  std::string tampered = review[0];
  tampered[tampered.size() - 70] ^= 1;  // inside the body
  EXPECT_FALSE(service_->AppendSignedDecisions(users_["aigerim"], {tampered}).ok());
  // A correction whose answers break the form.
  CoordinatorEdit edit{"aigerim", R"({"centre":"ala_01","queue":3})", "", {}};
  auto drafts = service_->DraftEdit(submission_, edit);
  ASSERT_TRUE(drafts.ok());
  (*drafts)[0].body = sync::MakeRevisionBody(R"({"centre":"ala_01","queue":-5})", 0, "aigerim");
  EXPECT_EQ(service_->AppendSignedDecisions(users_["aigerim"], Sign(*drafts, aigerim_key_)).status().reason(),
            "invalid_answers");
  EXPECT_EQ((*store_->LogSize()), 3u) << "enrol laptop, its record, enrol key, nothing else";
}

TEST_P(SignedDecisionTest, AKeyIsEnrolledOnlyWithItsProofAndACodeIssuedForThatPerson) {
  const std::string normalized = sync::NormalizeEnrollCode(kCode);
  ASSERT_TRUE(store_->AddPersonKeyCode(ToHex(sync::Sha256(normalized)), "bolat", kNow + 3'600'000, "admin", kNow).ok());
  auto wrong_person = service_->EnrollPersonKey(users_["aigerim"], kCode, aigerim_key_.public_key(),
                                                sync::SignPersonKeyProof(aigerim_key_, normalized), "");
  EXPECT_EQ(wrong_person.status().reason(), "bad_enroll_code");
  auto device_proof = service_->EnrollPersonKey(users_["bolat"], kCode, bolat_key_.public_key(),
                                                sync::SignEnrollProof(bolat_key_, normalized), "");
  EXPECT_EQ(device_proof.status().reason(), "bad_signature");
  auto laptop_key = service_->EnrollPersonKey(users_["bolat"], kCode, laptop_.public_key(),
                                              sync::SignPersonKeyProof(laptop_, normalized), "");
  EXPECT_EQ(laptop_key.status().reason(), "already_enrolled");
  auto ok = service_->EnrollPersonKey(users_["bolat"], kCode, bolat_key_.public_key(),
                                      sync::SignPersonKeyProof(bolat_key_, normalized), "office");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  // The log has the server-signed event naming the person, role and key.
  auto events = store_->EnvelopesOf(SubmissionId{});
  auto last = Envelope::Parse(events->back().bytes);
  auto body = sync::ParseEventBody(last->body());
  EXPECT_EQ(last->author(), server_key_.public_key());
  EXPECT_EQ(body->type, "person_key_enrolled");
  EXPECT_EQ(body->person, "bolat");
  EXPECT_EQ(body->role, "coordinator");
  EXPECT_EQ(body->key, ToHex(bolat_key_.public_key()));
}

TEST_P(SignedDecisionTest, APersonKeyCodeThatCannotBeACodeIsRefusedAsBadCodeAndATypedOneIsRead) {
  const std::string normalized = sync::NormalizeEnrollCode(kCode);
  ASSERT_TRUE(store_->AddPersonKeyCode(ToHex(sync::Sha256(normalized)), "aigerim", kNow + 3'600'000, "admin", kNow).ok());
  const uint64_t size = *store_->LogSize();
  // A zero where the alphabet has none; signed over what was typed.
  auto bad = service_->EnrollPersonKey(users_["aigerim"], "K7MX-Q4TR-P2N0", aigerim_key_.public_key(),
                                       sync::SignPersonKeyProof(aigerim_key_, "K7MXQ4TRP2N0"), "");
  EXPECT_EQ(bad.status().reason(), "bad_code") << bad.status().ToString();
  EXPECT_EQ(*store_->LogSize(), size);
  // Lower case, spaces and dashes, as a person types it: the same code.
  auto typed = service_->EnrollPersonKey(users_["aigerim"], "k7mx q4tr-p2nw", aigerim_key_.public_key(),
                                         sync::SignPersonKeyProof(aigerim_key_, normalized), "office");
  ASSERT_TRUE(typed.ok()) << typed.status().ToString();
  EXPECT_EQ(typed->person, "aigerim");
}

TEST_P(SignedDecisionTest, TheVolunteersLaptopGetsTheKeysEnrolmentBeforeThePersonsCorrection) {
  ASSERT_TRUE(EnrolKey("aigerim", aigerim_key_).ok());
  CoordinatorEdit edit{"aigerim", R"({"centre":"ala_01","queue":20})", "", {}};
  ASSERT_TRUE(service_->AppendSignedDecisions(users_["aigerim"], Sign(*service_->DraftEdit(submission_, edit), aigerim_key_)).ok());
  sync::SyncRequest request;
  request.receipted_through = 1;
  auto response = service_->HandleSync(device_, request);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->envelopes.size(), 2u);
  auto enrolment = sync::ParseEventBody(Envelope::Parse(response->envelopes[0])->body());
  EXPECT_EQ(enrolment->type, "person_key_enrolled");
  EXPECT_EQ(Envelope::Parse(response->envelopes[1])->author(), aigerim_key_.public_key());
}

TEST_P(SignedDecisionTest, TheVolunteersLaptopGetsTheKeysRevocationAfterItsDecisionsSayingWhereTheyEnd) {
  ASSERT_TRUE(EnrolKey("aigerim", aigerim_key_).ok());
  ASSERT_TRUE(EnrolKey("bolat", bolat_key_).ok());
  CoordinatorEdit edit{"aigerim", R"({"centre":"ala_01","queue":20})", "", {}};
  ASSERT_TRUE(service_->AppendSignedDecisions(users_["aigerim"], Sign(*service_->DraftEdit(submission_, edit), aigerim_key_)).ok());
  ASSERT_TRUE(service_->AppendSignedDecisions(users_["aigerim"], Review("aigerim", aigerim_key_)).ok());
  sync::SyncRequest request;
  request.receipted_through = 1;
  auto before = service_->HandleSync(device_, request);
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->envelopes.size(), 3u) << "her key's enrolment, her correction, her review";
  ASSERT_TRUE(service_->RevokePersonKey(aigerim_key_.public_key(), "admin", "browser profile lost").ok());
  // bolat's key never decided on alma's records: her laptops need not hear of it.
  ASSERT_TRUE(service_->RevokePersonKey(bolat_key_.public_key(), "admin", "left").ok());
  request.cursor = before->cursor;
  auto after = service_->HandleSync(device_, request);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->envelopes.size(), 1u);
  auto e = Envelope::Parse(after->envelopes[0]);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->author(), server_key_.public_key());
  auto body = sync::ParseEventBody(e->body());
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->type, "person_key_revoked");
  EXPECT_EQ(body->key, ToHex(aigerim_key_.public_key()));
  EXPECT_EQ(body->through, "2") << "the correction and the review came before it";
}

}  // namespace
}  // namespace dala::server
