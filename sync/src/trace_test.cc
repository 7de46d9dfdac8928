#include "dala/sync/trace.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "audit_test_util.h"
#include "dala/base/sqlite.h"
#include "dala/sync/bundle.h"

namespace dala::sync {
namespace {

using namespace audit_testing;

class TraceTest : public BundleTest {
 protected:
  // The trace of `submission` in the bundle at `path`, under the sim's key.
  std::string Trace(const std::string& path, const SubmissionId& submission,
                    TraceFormat format = TraceFormat::kText) {
    auto reader = BundleReader::Open(path);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return {};
    PublicKey key = sim_.server_key();
    auto trace = TraceSubmission(*reader, submission, &key, format);
    EXPECT_TRUE(trace.ok()) << trace.status().ToString();
    return trace.ok() ? *trace : std::string();
  }
};

TEST_F(TraceTest, ShowsEveryRevisionWithItsAuthorChangesAndTheConflict) {
  auto reader = BundleReader::Open(Honest());
  ASSERT_TRUE(reader.ok());
  PublicKey key = sim_.server_key();
  auto text = TraceSubmission(*reader, story_.s1, &key);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const std::string& t = *text;
  EXPECT_NE(t.find("volunteer aigerim"), std::string::npos) << t;
  EXPECT_NE(t.find("server for anna"), std::string::npos) << t;
  EXPECT_NE(t.find("queue_length: 12 → 13"), std::string::npos) << t;
  EXPECT_NE(t.find("queue_length: 13 → 14"), std::string::npos) << t;
  EXPECT_NE(t.find("notes: (none) → \"queue grew\""), std::string::npos) << t;
  EXPECT_NE(t.find("conflicts  1"), std::string::npos) << t;
  EXPECT_NE(t.find("Server's claim: matches the log."), std::string::npos) << t;
  EXPECT_EQ(t.find("DOES NOT VERIFY"), std::string::npos);

  auto j = TraceSubmission(*reader, story_.s1, &key, TraceFormat::kJson);
  ASSERT_TRUE(j.ok());
  json trace = json::parse(*j);
  ASSERT_EQ(trace["entries"].size(), 4u);
  EXPECT_EQ(trace["entries"][0]["author_name"], "volunteer aigerim");
  EXPECT_TRUE(trace["entries"][0]["signature_ok"].get<bool>());
  EXPECT_EQ(trace["entries"][2]["author_name"], "server for anna (attested only, not signed by them)");
  EXPECT_EQ(trace["state"]["conflicts"].size(), 1u);
  EXPECT_EQ(trace["state"]["heads"].size(), 2u);
  EXPECT_TRUE(trace["claim"]["matches"].get<bool>());
}

TEST_F(TraceTest, ShowsTheReviewDecisionWithItsComment) {
  auto reader = BundleReader::Open(Honest());
  ASSERT_TRUE(reader.ok());
  auto text = TraceSubmission(*reader, story_.s2, nullptr);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("approved by anna: \"Looks right\""), std::string::npos) << *text;
  EXPECT_NE(text->find("SELF-ASSERTED"), std::string::npos);
}

TEST_F(TraceTest, MarksAForgedSignatureAndADifferingClaim) {
  std::string path = Mutated([&](sql::Database& db) {
    std::string e = Envelope(db, 4);
    e[e.size() - 3] ^= 1;
    SetEnvelope(db, 4, e);
    Exec(db, "UPDATE submissions SET review_state = 'rejected'");
  });
  auto reader = BundleReader::Open(path);
  ASSERT_TRUE(reader.ok());
  PublicKey key = sim_.server_key();
  auto text = TraceSubmission(*reader, story_.s2, &key);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("DOES NOT VERIFY"), std::string::npos) << *text;
  EXPECT_NE(text->find("DIFFERS"), std::string::npos) << *text;
}

TEST_F(TraceTest, UnknownSubmissionIsNotFound) {
  auto reader = BundleReader::Open(Honest());
  ASSERT_TRUE(reader.ok());
  SubmissionId nobody{};
  nobody.fill(0x42);
  auto text = TraceSubmission(*reader, nobody, nullptr);
  EXPECT_EQ(text.status().code(), Status::Code::kNotFound);
}

// --- authors as the log stood --------------------------------------------------------------

// The trace names authors from the auditor's own enrolment replay: a
// revision after its device's revocation is flagged, one before it is not.
TEST_F(TraceTest, RevisionAfterItsDeviceWasRevokedIsNamedRevoked) {
  story_ = Tell(sim_);
  sim_.Revise("d", story_.s3, {story_.d1}, PscAnswers(4));  // 11: after the revocation at 10
  std::string path = Path("revoked.bundle");
  sim_.Write(path);
  json trace = json::parse(Trace(path, story_.s3, TraceFormat::kJson));
  ASSERT_EQ(trace["entries"].size(), 2u);
  EXPECT_EQ(trace["entries"][0]["author_name"], "volunteer dana");
  EXPECT_EQ(trace["entries"][1]["author_name"], "volunteer dana (device REVOKED at log 10)");
}

TEST_F(TraceTest, RevisionByAKeyTheLogNeverEnrolledIsNamedUnenrolled) {
  story_ = Tell(sim_);
  sim_.NewDevice("x");
  SubmissionId s = sim_.NewSubmission();
  sim_.Revise("x", s, {}, PscAnswers(1));
  std::string path = Path("unenrolled.bundle");
  sim_.Write(path);
  std::string text = Trace(path, s);
  EXPECT_NE(text.find("author    UNENROLLED key"), std::string::npos) << text;
}

// A device cannot vouch for another key: only the server enrols.
TEST_F(TraceTest, EnrolmentSignedByADeviceDoesNotNameTheKeyItEnrols) {
  story_ = Tell(sim_);
  SimServer::Device& a = sim_.device("a");
  sim_.NewDevice("x");
  EventBody ev{"enroll", "aigerim", "", "", "", "", ToHex(sim_.device("x").key.public_key()), "xavier", "x", ""};
  sim_.Append(a.key, a, EnvelopeKind::kEvent, SubmissionId{}, {}, MakeEventBody(ev));
  SubmissionId s = sim_.NewSubmission();
  sim_.Revise("x", s, {}, PscAnswers(2));
  std::string path = Path("selfenrol.bundle");
  sim_.Write(path);
  std::string text = Trace(path, s);
  EXPECT_NE(text.find("UNENROLLED key"), std::string::npos) << text;
  EXPECT_EQ(text.find("xavier"), std::string::npos) << text;
}

// Enrolment is judged at each entry's place in the log, not at its end.
TEST_F(TraceTest, RevisionLoggedBeforeItsDevicesEnrolmentIsNamedUnenrolled) {
  sim_.NewDevice("a");
  SubmissionId s = sim_.NewSubmission();
  Hash first = sim_.Revise("a", s, {}, PscAnswers(1));  // 0: not yet enrolled
  sim_.Enroll("a", "aigerim");                          // 1
  sim_.Revise("a", s, {first}, PscAnswers(2));          // 2
  std::string path = Path("early.bundle");
  sim_.Write(path);
  json trace = json::parse(Trace(path, s, TraceFormat::kJson));
  ASSERT_EQ(trace["entries"].size(), 2u);
  EXPECT_EQ(trace["entries"][0]["author_name"], "UNENROLLED key");
  EXPECT_EQ(trace["entries"][1]["author_name"], "volunteer aigerim");
}

// The parse error of a damaged entry quotes its bytes, which need not be
// UTF-8; the JSON trace must still be JSON.
TEST_F(TraceTest, JsonTraceOfAnEntryWhoseErrorQuotesBytesThatAreNotUtf8IsStillJson) {
  std::string path = Mutated([&](sql::Database& db) {
    std::string e = Envelope(db, 4);  // b's revision of s2
    size_t at = e.find("Almaly");
    ASSERT_NE(at, std::string::npos);
    e[at] = '\xA4';
    SetEnvelope(db, 4, e);
  });
  std::string text = Trace(path, story_.s2, TraceFormat::kJson);
  json trace = json::parse(text);
  ASSERT_GE(trace["entries"].size(), 1u);
  EXPECT_TRUE(trace["entries"][0].contains("malformed")) << text;
}

TEST_F(TraceTest, BundleWithoutAValidServerKeyAndNoneGivenIsRefused) {
  std::string path =
      Mutated([&](sql::Database& db) { Exec(db, "UPDATE bundle_meta SET value = 'zz' WHERE key = 'server_key'"); });
  auto reader = BundleReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto trace = TraceSubmission(*reader, story_.s1, nullptr);
  EXPECT_EQ(trace.status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace dala::sync
