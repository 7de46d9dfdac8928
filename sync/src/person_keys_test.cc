#include "dala/sync/person_keys.h"

#include <gtest/gtest.h>

#include "audit_test_util.h"
#include "dala/sync/audit_report.h"
#include "dala/sync/enrolment.h"
#include "dala/sync/trace.h"

namespace dala::sync {
namespace {

using namespace audit_testing;

PublicKey Key(uint8_t n) {
  PublicKey k{};
  k.fill(n);
  return k;
}

EventBody PersonEvent(const std::string& type, const PublicKey& key, const std::string& person) {
  EventBody e;
  e.type = type;
  e.by = "admin";
  e.key = ToHex(key);
  e.person = person;
  e.role = "coordinator";
  return e;
}

// --- the registry and the rule ---------------------------------------------------------------

TEST(PersonKeyRegistryTest, AKeyIsEnrolledOnceForOnePersonAndRevokedForGood) {
  PersonKeyRegistry r;
  EXPECT_FALSE(r.EverKeyed("anna"));
  EXPECT_EQ(r.Apply(PersonEvent("person_key_enrolled", Key(1), "anna"), 3, 1000).outcome,
            PersonKeyRegistry::Outcome::kEnrolled);
  EXPECT_TRUE(r.EverKeyed("anna"));
  auto again = r.Apply(PersonEvent("person_key_enrolled", Key(1), "bolat"), 5, 2000);
  EXPECT_EQ(again.outcome, PersonKeyRegistry::Outcome::kEnrolledAgain);
  EXPECT_EQ(again.first_index, 3u);
  EXPECT_EQ(r.Find(Key(1))->person, "anna") << "a later event cannot move a key to another person";
  EXPECT_EQ(r.Apply(PersonEvent("person_key_revoked", Key(1), "anna"), 6, 3000).outcome,
            PersonKeyRegistry::Outcome::kRevoked);
  EXPECT_EQ(r.Apply(PersonEvent("person_key_revoked", Key(1), "anna"), 7, 4000).outcome,
            PersonKeyRegistry::Outcome::kRevokedAgain);
  EXPECT_EQ(r.Find(Key(1))->revoked_index, 6u);
  EXPECT_TRUE(r.EverKeyed("anna")) << "revoking a key does not hand the person's decisions back to the server";
  EXPECT_EQ(r.Apply(PersonEvent("person_key_revoked", Key(2), "anna"), 8, 4000).outcome,
            PersonKeyRegistry::Outcome::kUnknownKey);
  EventBody bad = PersonEvent("person_key_enrolled", Key(3), "anna");
  bad.key = "zz";
  EXPECT_EQ(r.Apply(bad, 9, 5000).outcome, PersonKeyRegistry::Outcome::kBadKey);
}

TEST(PersonKeyEventTest, EventsWithoutAKeyPersonOrDecidingRoleDoNotParse) {
  EventBody good = PersonEvent("person_key_enrolled", Key(1), "anna");
  EXPECT_TRUE(ParseEventBody(MakeEventBody(good)).ok());
  EventBody no_key = good;
  no_key.key = "abc";
  EXPECT_FALSE(ParseEventBody(MakeEventBody(no_key)).ok());
  EventBody no_person = good;
  no_person.person.clear();
  EXPECT_FALSE(ParseEventBody(MakeEventBody(no_person)).ok());
  EventBody volunteer = good;
  volunteer.role = "volunteer";
  EXPECT_FALSE(ParseEventBody(MakeEventBody(volunteer)).ok());
}

TEST(DecisionRuleTest, TheServerMayAttestOnlyForPeopleWhoNeverHadAKey) {
  PersonKeyRegistry r;
  const PublicKey server = Key(9);
  EXPECT_TRUE(CheckDecisionSigner(server, "anna", 1, server, r).ok());
  ASSERT_EQ(r.Apply(PersonEvent("person_key_enrolled", Key(1), "anna"), 1, 1000).outcome,
            PersonKeyRegistry::Outcome::kEnrolled);
  DecisionCheck forged = CheckDecisionSigner(server, "anna", 1, server, r);
  EXPECT_EQ(forged.problem, "decision.attested_for_keyed_person");
  EXPECT_EQ(forged.signer, DecisionSigner::kServer);
  EXPECT_TRUE(CheckDecisionSigner(server, "bolat", 1, server, r).ok()) << "bolat has no key yet";
  DecisionCheck own = CheckDecisionSigner(Key(1), "anna", 1, server, r);
  EXPECT_TRUE(own.ok());
  EXPECT_EQ(own.signer, DecisionSigner::kPerson);
}

TEST(DecisionRuleTest, AKeyNeverEnrolledForThatPersonOrRevokedIsRefused) {
  PersonKeyRegistry r;
  const PublicKey server = Key(9);
  ASSERT_EQ(r.Apply(PersonEvent("person_key_enrolled", Key(1), "anna"), 1, 1000).outcome,
            PersonKeyRegistry::Outcome::kEnrolled);
  EXPECT_EQ(CheckDecisionSigner(Key(1), "bolat", 1, server, r).problem, "decision.wrong_person");
  EXPECT_EQ(CheckDecisionSigner(Key(2), "anna", 1, server, r).problem, "decision.unenrolled_key");
  ASSERT_EQ(r.Apply(PersonEvent("person_key_revoked", Key(1), "anna"), 2, 2000).outcome,
            PersonKeyRegistry::Outcome::kRevoked);
  EXPECT_EQ(CheckDecisionSigner(Key(1), "anna", 1, server, r).problem, "decision.revoked_key");
}

TEST(DecisionRuleTest, ARevokedKeysDecisionsUpToWhereTheRevocationSaysStandAndLaterOnesDoNot) {
  PersonKeyRegistry r;
  const PublicKey server = Key(9);
  ASSERT_EQ(r.Apply(PersonEvent("person_key_enrolled", Key(1), "anna"), 1, 1000).outcome,
            PersonKeyRegistry::Outcome::kEnrolled);
  EventBody revoked = PersonEvent("person_key_revoked", Key(1), "anna");
  revoked.through = "2";
  ASSERT_EQ(r.Apply(revoked, 5, 2000).outcome, PersonKeyRegistry::Outcome::kRevoked);
  EXPECT_EQ(r.Find(Key(1))->revoked_through, 2u);
  // Judged after the revocation arrived, as a laptop does with a decision
  // that reaches it late: its place in the key's chain says it came first.
  EXPECT_TRUE(CheckDecisionSigner(Key(1), "anna", 1, server, r).ok());
  EXPECT_TRUE(CheckDecisionSigner(Key(1), "anna", 2, server, r).ok());
  DecisionCheck late = CheckDecisionSigner(Key(1), "anna", 3, server, r);
  EXPECT_EQ(late.problem, "decision.revoked_key");
  EXPECT_NE(late.message.find("up to sequence 2"), std::string::npos) << late.message;
}

TEST(DecisionRuleTest, ARevocationThatDoesNotSayWhereRefusesEveryDecisionJudgedAfterIt) {
  PersonKeyRegistry r;
  ASSERT_EQ(r.Apply(PersonEvent("person_key_enrolled", Key(1), "anna"), 1, 1000).outcome,
            PersonKeyRegistry::Outcome::kEnrolled);
  ASSERT_EQ(r.Apply(PersonEvent("person_key_revoked", Key(1), "anna"), 2, 2000).outcome,
            PersonKeyRegistry::Outcome::kRevoked);
  EXPECT_FALSE(r.Find(Key(1))->revoked_through.has_value());
  EXPECT_EQ(CheckDecisionSigner(Key(1), "anna", 1, Key(9), r).problem, "decision.revoked_key");
}

TEST(DecisionRuleTest, TheLogsOwnOrderStandsOverWhatTheRevocationSays) {
  PersonKeyRegistry r;
  ASSERT_EQ(r.Apply(PersonEvent("person_key_enrolled", Key(1), "anna"), 1, 1000).outcome,
            PersonKeyRegistry::Outcome::kEnrolled);
  EventBody lying = PersonEvent("person_key_revoked", Key(1), "anna");
  lying.through = "9";
  ASSERT_EQ(r.Apply(lying, 4, 2000, /*logged_through=*/2).outcome, PersonKeyRegistry::Outcome::kRevoked);
  EXPECT_EQ(CheckDecisionSigner(Key(1), "anna", 3, Key(9), r).problem, "decision.revoked_key");
}

TEST(PersonKeyEventTest, ARevocationWhoseThroughIsNoSequenceNumberDoesNotParse) {
  EventBody revoked = PersonEvent("person_key_revoked", Key(1), "anna");
  revoked.through = "12";
  EXPECT_TRUE(ParseEventBody(MakeEventBody(revoked)).ok());
  for (const char* bad : {"-1", "1e3", "0x10", "99999999999999999999"}) {
    revoked.through = bad;
    EXPECT_FALSE(ParseEventBody(MakeEventBody(revoked)).ok()) << bad;
  }
}

TEST(PersonKeyProofTest, ADeviceProofDoesNotEnrolAPersonKeyNorTheOtherWay) {
  ASSERT_TRUE(InitCrypto().ok());
  SeededRandom random(3);
  SigningKey key = SigningKey::Generate(random);
  const std::string code = NormalizeEnrollCode("K7MX-Q4TR-P2NW");
  Signature person = SignPersonKeyProof(key, code);
  EXPECT_TRUE(VerifyPersonKeyProof(key.public_key(), code, person));
  EXPECT_FALSE(VerifyEnrollProof(key.public_key(), code, person));
  EXPECT_FALSE(VerifyPersonKeyProof(key.public_key(), code, SignEnrollProof(key, code)));
  EXPECT_FALSE(VerifyPersonKeyProof(key.public_key(), NormalizeEnrollCode("K7MX-Q4TR-P2NX"), person));
}

// --- the auditor over person-signed decisions ---------------------------------------------------

class PersonKeyAuditTest : public BundleTest {
 protected:
  // The story, then anna enrols a key (index 11), corrects s1 with it (12)
  // and reviews s1 (13).
  void TellWithKey() {
    story_ = Tell(sim_);
    sim_.NewDevice("anna-key");
    sim_.EnrollPersonKey("anna-key", "anna");
    correction_ = sim_.PersonRevise("anna-key", "anna", story_.s1, {story_.a3, story_.c1}, PscAnswers(16));
    sim_.PersonReview("anna-key", "anna", story_.s1, {correction_}, "approved", "");
  }
  AuditReport Audit(AuditOptions options = {}) {
    std::string path = Path("p" + std::to_string(++written_) + ".bundle");
    sim_.Write(path);
    options.trusted_server_key = sim_.server_key();
    options.threads = 2;
    auto reader = BundleReader::Open(path);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    auto report = AuditBundle(*reader, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    last_path_ = path;
    return report.ok() ? *report : AuditReport();
  }
  Hash correction_{};
  int written_ = 0;
  std::string last_path_;
};

TEST_F(PersonKeyAuditTest, DecisionsSignedByTheirPersonVerifyAndAreReportedAsSigned) {
  TellWithKey();
  AuditReport r = Audit();
  EXPECT_TRUE(r.ok()) << Codes(r);
  EXPECT_EQ(r.counts.person_keys, 1u);
  EXPECT_EQ(r.counts.decisions_signed, 2u);
  EXPECT_EQ(r.counts.decisions_attested, 2u) << "the story's correction and review from before the key";
  ASSERT_EQ(r.decisions.size(), 4u);
  EXPECT_FALSE(r.decisions[0].signed_by_person);
  EXPECT_TRUE(r.decisions[2].signed_by_person);
  EXPECT_EQ(r.decisions[2].by, "anna");
  EXPECT_EQ(r.decisions[2].what, "correction");
  EXPECT_EQ(r.decisions[3].what, "review");
  EXPECT_EQ(r.by_volunteer["signed by anna"].revisions, 1u);
  std::string text = AuditReportText(r);
  EXPECT_NE(text.find("signed by the person"), std::string::npos) << text;
  auto reader = BundleReader::Open(last_path_);
  ASSERT_TRUE(reader.ok());
  auto trace = TraceSubmission(*reader, story_.s1, &sim_.server_key(), TraceFormat::kText);
  ASSERT_TRUE(trace.ok());
  EXPECT_NE(trace->find("signed by anna (key "), std::string::npos) << *trace;
  EXPECT_NE(trace->find("server for anna (attested only"), std::string::npos) << *trace;
}

TEST_F(PersonKeyAuditTest, ACorrectionTheServerForgesForAKeyedCoordinatorIsNamed) {
  TellWithKey();
  Hash forged = sim_.CoordinatorRevise("anna", story_.s1, {correction_}, PscAnswers(99));
  AuditReport r = Audit();
  const AuditProblem* p = Find(r, "decision.attested_for_keyed_person");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->envelope_ids.front(), forged);
  EXPECT_NE(p->message.find("anna"), std::string::npos);
}

TEST_F(PersonKeyAuditTest, ADecisionSignedByAnotherPersonsKeyIsNamed) {
  TellWithKey();
  sim_.NewDevice("boris-key");
  sim_.EnrollPersonKey("boris-key", "boris");
  sim_.PersonRevise("boris-key", "anna", story_.s1, {correction_}, PscAnswers(98));
  AuditReport r = Audit();
  EXPECT_TRUE(HasCode(r, "decision.wrong_person")) << Codes(r);
}

TEST_F(PersonKeyAuditTest, AKeyNeverEnrolledCannotSignADecision) {
  TellWithKey();
  sim_.NewDevice("stranger");
  sim_.PersonReview("stranger", "anna", story_.s2, {story_.b1}, "rejected", "forged");
  AuditReport r = Audit();
  EXPECT_TRUE(HasCode(r, "enrolment.unenrolled_author")) << Codes(r);
  EXPECT_TRUE(HasCode(r, "event.not_by_server")) << Codes(r);
}

TEST_F(PersonKeyAuditTest, ACorrectionSignedInHerNameByAKeyNeverEnrolledIsNamed) {
  TellWithKey();
  sim_.NewDevice("stranger");
  Hash forged = sim_.PersonRevise("stranger", "anna", story_.s1, {correction_}, PscAnswers(97));
  AuditReport r = Audit();
  const AuditProblem* p = Find(r, "enrolment.unenrolled_author");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->envelope_ids.front(), forged);
}

TEST_F(PersonKeyAuditTest, ADecisionSignedAfterTheKeysRevocationIsNamed) {
  TellWithKey();
  sim_.RevokePersonKey("anna-key", "browser profile lost");
  sim_.PersonReview("anna-key", "anna", story_.s1, {correction_}, "rejected", "after revocation");
  AuditReport r = Audit();
  EXPECT_TRUE(HasCode(r, "decision.revoked_key")) << Codes(r);
  // The simulated exporter counted the refused review; the auditor does
  // not, so the claimed state is caught too.
  EXPECT_TRUE(HasCode(r, "submission.review_mismatch")) << Codes(r);
}

TEST_F(PersonKeyAuditTest, DecisionsLoggedBeforeTheRevocationStandAndItsWordOnWhereIsChecked) {
  TellWithKey();
  sim_.RevokePersonKey("anna-key", "browser profile lost");
  AuditReport honest = Audit();
  EXPECT_TRUE(honest.ok()) << Codes(honest);
  EXPECT_EQ(honest.counts.decisions_signed, 2u) << "her correction and review came before the revocation";
}

TEST_F(PersonKeyAuditTest, ARevocationThatSaysMoreOfTheKeysDecisionsCameBeforeItThanTheLogHoldsIsNamed) {
  TellWithKey();
  // Were laptops told "up to 5", they would take in the key's decisions 3
  // to 5 however late they came; the log holds 2 before the revocation.
  sim_.RevokePersonKey("anna-key", "browser profile lost", "5");
  sim_.PersonReview("anna-key", "anna", story_.s1, {correction_}, "rejected", "after revocation");
  AuditReport r = Audit();
  const AuditProblem* wrong = Find(r, "person_key.wrong_through");
  ASSERT_NE(wrong, nullptr) << Codes(r);
  EXPECT_NE(wrong->message.find("up to sequence 5"), std::string::npos) << wrong->message;
  EXPECT_NE(wrong->message.find("up to sequence 2 before it"), std::string::npos) << wrong->message;
  EXPECT_TRUE(HasCode(r, "decision.revoked_key")) << "the log's order stands: " << Codes(r);
}

TEST_F(PersonKeyAuditTest, APersonsKeyThatMakesARecordIsNamed) {
  TellWithKey();
  sim_.PersonRevise("anna-key", "anna", sim_.NewSubmission(), {}, PscAnswers(5));
  AuditReport r = Audit();
  EXPECT_TRUE(HasCode(r, "person_key.not_a_decision")) << Codes(r);
}

TEST_F(PersonKeyAuditTest, StrictAfterFailsOnAttestedDecisionsFromThatDateOnly) {
  TellWithKey();
  AuditOptions late;
  late.strict_after_ms = sim_.last_wall_ms() + 1;
  EXPECT_TRUE(Audit(late).ok()) << "every attested decision is older than the date";
  AuditOptions early;
  early.strict_after_ms = kNow;
  AuditReport r = Audit(early);
  size_t attested = 0;
  for (const AuditProblem& p : r.problems) attested += p.code == "decision.attested_only";
  EXPECT_EQ(attested, 2u) << Codes(r);
}

TEST_F(PersonKeyAuditTest, StrictAfterCatchesAnAttestedDecisionBackdatedBehindALaterLaptopRevision) {
  story_ = Tell(sim_);
  const int64_t date = sim_.last_wall_ms() + 1000;
  // A laptop's revision made on the date, then a review the server signs
  // for bolat (who has no key) and dates the day before.
  sim_.next_wall_ms = date;
  sim_.Revise("a", story_.s1, {story_.a3, story_.c1}, PscAnswers(17));
  sim_.next_wall_ms = date - 24 * 3600 * 1000;
  Hash backdated = sim_.Review("bolat", story_.s2, {story_.b1}, "rejected", "backdated");
  AuditOptions strict;
  strict.strict_after_ms = date;
  AuditReport r = Audit(strict);
  const AuditProblem* p = Find(r, "decision.attested_only");
  ASSERT_NE(p, nullptr) << Codes(r);
  EXPECT_EQ(p->envelope_ids.front(), backdated);
  EXPECT_NE(p->message.find("volunteer aigerim"), std::string::npos) << p->message;
  EXPECT_NE(p->message.find("though the server dates it before"), std::string::npos) << p->message;
  size_t attested = 0;
  for (const AuditProblem& q : r.problems) attested += q.code == "decision.attested_only";
  EXPECT_EQ(attested, 1u) << "the story's attested decisions come before the laptop's revision: " << Codes(r);
}

TEST_F(PersonKeyAuditTest, StrictAfterIsNotSetOffByTheServersOwnLaterDatesNorAnUnenrolledKey) {
  story_ = Tell(sim_);
  const int64_t date = sim_.last_wall_ms() + 1000;
  // Only the server, and a key nobody enrolled, claim the date.
  sim_.next_wall_ms = date;
  sim_.Review("anna", story_.s1, {story_.a3, story_.c1}, "approved", "");
  sim_.NewDevice("stranger");
  sim_.next_wall_ms = date;
  sim_.Revise("stranger", sim_.NewSubmission(), {}, PscAnswers(1));
  Hash before = sim_.Review("bolat", story_.s2, {story_.b1}, "approved", "dated before");
  AuditOptions strict;
  strict.strict_after_ms = date;
  AuditReport r = Audit(strict);
  size_t attested = 0;
  for (const AuditProblem& q : r.problems) {
    if (q.code != "decision.attested_only") continue;
    ++attested;
    EXPECT_NE(q.envelope_ids.front(), before) << q.message;
  }
  EXPECT_EQ(attested, 1u) << "only the review the server itself dated on the date: " << Codes(r);
}

TEST_F(PersonKeyAuditTest, PersonKeyEventsNotSignedByTheServerEnrolNothing) {
  story_ = Tell(sim_);
  sim_.NewDevice("anna-key");
  // The volunteer's own laptop claims to enrol a key for anna.
  EventBody ev = PersonEvent("person_key_enrolled", sim_.device("anna-key").key.public_key(), "anna");
  sim_.Append(sim_.device("a").key, sim_.device("a"), EnvelopeKind::kEvent, SubmissionId{}, {}, MakeEventBody(ev));
  sim_.PersonReview("anna-key", "anna", story_.s2, {story_.b1}, "rejected", "forged");
  AuditReport r = Audit();
  EXPECT_TRUE(HasCode(r, "enrolment.not_by_server")) << Codes(r);
  EXPECT_EQ(r.counts.person_keys, 0u);
}

}  // namespace
}  // namespace dala::sync
