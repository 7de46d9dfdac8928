#include "dala/sync/verify.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

namespace dala::sync {
namespace {

constexpr const char* kForm = R"J({"dala_form":1,"id":"visit","version":"1","title":"Visit","languages":["ru"],
  "default_language":"ru","questions":[
    {"type":"date","name":"day","label":"Day","required":true,"constraint":". <= today()"},
    {"type":"integer","name":"queue","label":"Queue","constraint":". >= 0"}]})J";

class MapRegistry : public FormRegistry {
 public:
  void Add(std::shared_ptr<const schema::Form> f) {
    Hash h = f->hash();
    forms_[h] = std::move(f);
  }
  std::shared_ptr<const schema::Form> FindForm(const Hash& h) const override {
    auto it = forms_.find(h);
    return it == forms_.end() ? nullptr : it->second;
  }

 private:
  std::map<Hash, std::shared_ptr<const schema::Form>> forms_;
};

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = schema::Form::Load(kForm);
    ASSERT_TRUE(f.ok()) << f.status().message();
    form_ = *f;
    registry_.Add(form_);
  }

  Envelope Make(const std::string& answers, int64_t wall_ms, int32_t tz, uint64_t seq = 1, Hash prev = {}) {
    EnvelopeFields f;
    f.submission = NewSubmissionId(clock_, random_);
    f.sequence = seq;
    f.previous = prev;
    f.hlc = HlcTimestamp::Make(static_cast<uint64_t>(wall_ms), 0);
    f.wall_ms = wall_ms;
    f.form_hash = form_->hash();
    f.form_id = form_->id();
    f.form_version = form_->version();
    f.body = MakeRevisionBody(answers, tz);
    auto bytes = SealEnvelope(f, key_);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return *Envelope::Parse(*bytes);
  }

  // A first revision of the form at kEarlyMorningAlmaty with `body` as it is.
  std::string SealWithBody(const std::string& body);

  FakeClock clock_{1795755600000};
  SeededRandom random_{5};
  SigningKey key_ = SigningKey::Generate(random_);
  std::shared_ptr<const schema::Form> form_;
  MapRegistry registry_;
};

// 2026-11-27 03:00 in Almaty is still 2026-11-26 in UTC.
constexpr int64_t kEarlyMorningAlmaty = 1795730400000;

std::string VerifyTest::SealWithBody(const std::string& body) {
  EnvelopeFields f;
  f.submission = NewSubmissionId(clock_, random_);
  f.sequence = 1;
  f.hlc = HlcTimestamp::Make(static_cast<uint64_t>(kEarlyMorningAlmaty), 0);
  f.wall_ms = kEarlyMorningAlmaty;
  f.form_hash = form_->hash();
  f.form_id = form_->id();
  f.form_version = form_->version();
  f.body = body;
  auto bytes = SealEnvelope(f, key_);
  EXPECT_TRUE(bytes.ok()) << body << ": " << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

TEST_F(VerifyTest, ValidRevisionPasses) {
  Envelope e = Make(R"({"day":"2026-11-26","queue":3})", kEarlyMorningAlmaty, 300);
  EXPECT_TRUE(VerifyRevisionContent(e, registry_).ok());
}

TEST_F(VerifyTest, TodayIsJudgedInTheAuthorsTimeZone) {
  Envelope local = Make(R"({"day":"2026-11-27"})", kEarlyMorningAlmaty, 300);
  EXPECT_TRUE(VerifyRevisionContent(local, registry_).ok());
  Envelope utc = Make(R"({"day":"2026-11-27"})", kEarlyMorningAlmaty, 0);
  EXPECT_FALSE(VerifyRevisionContent(utc, registry_).ok());
}

TEST_F(VerifyTest, InvalidAnswersAreRefusedNamingTheField) {
  Envelope e = Make(R"({"day":"2026-11-20","queue":-4})", kEarlyMorningAlmaty, 300);
  Status s = VerifyRevisionContent(e, registry_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("queue"), std::string::npos) << s.message();
}

// Issue 18: "tz": 300.0 was refused as having no tz at all, and a body
// without tz came back as invalid_answers, sending the sender to the form.
TEST_F(VerifyTest, RevisionBodyWithoutATzOrWithOneInAnotherFormIsAnInvalidRevisionSayingWhich) {
  auto with_body = [&](const std::string& body) { return *Envelope::Parse(SealWithBody(body)); };
  struct Case {
    const char* body;
    const char* says;
  };
  for (const Case& c : {Case{R"({"answers":{"day":"2026-11-20"}})", "no \"tz\""},
                        Case{R"({"answers":{"day":"2026-11-20"},"tz":300.0})", "300.0, not an integer"},
                        Case{R"({"answers":{"day":"2026-11-20"},"tz":"300"})", "not an integer"},
                        Case{R"({"answers":{"day":"2026-11-20"},"tz":841})", "outside -840..840"},
                        Case{R"({"answers":{"day":"2026-11-20"},"tz":300,"extra":1})", "unknown field"}}) {
    Status s = VerifyRevisionContent(with_body(c.body), registry_);
    ASSERT_FALSE(s.ok()) << c.body;
    EXPECT_EQ(s.reason(), "invalid_revision") << c.body;
    EXPECT_NE(s.message().find(c.says), std::string::npos) << c.body << ": " << s.message();
  }
}

// The server and the auditor check a body's strictness and read it in one
// parse (Envelope::Parse's `body`); a verdict must not depend on which way
// the body came.
TEST_F(VerifyTest, BodyHandedBackByParseGivesTheSameVerdictAsParsingItAgain) {
  for (const char* body : {R"({"answers":{"day":"2026-11-20","queue":3},"tz":300})",
                           R"({"answers":{"day":"2026-11-20","queue":-4},"tz":300})",
                           R"({"answers":{"queue":3},"tz":300})",
                           R"({"answers":{"day":"2026-11-20"},"tz":300.0})",
                           R"({"answers":{"day":"2026-11-20"},"tz":300,"extra":[1,{"a":null}]})",
                           R"({"answers":[],"tz":300})"}) {
    std::string bytes = SealWithBody(body);
    nlohmann::json parsed;
    auto e = Envelope::Parse(bytes, &parsed);
    ASSERT_TRUE(e.ok()) << body;
    EXPECT_EQ(parsed, nlohmann::json::parse(body)) << body;

    nlohmann::json again_answers, handed_answers;
    nlohmann::json for_verify = parsed, for_check = parsed;
    Status again = VerifyRevisionContent(*e, registry_, &again_answers);
    Status handed = VerifyRevisionContent(*e, registry_, &handed_answers, &for_verify);
    EXPECT_EQ(handed.ok(), again.ok()) << body;
    EXPECT_EQ(handed.reason(), again.reason()) << body;
    EXPECT_EQ(handed.message(), again.message()) << body;
    EXPECT_EQ(handed_answers, again_answers) << body;
    // A body that is not the parsed object (a Parse not asked for it) is
    // parsed again, not read as an empty body.
    nlohmann::json nothing;
    Status from_nothing = VerifyRevisionContent(*e, registry_, nullptr, &nothing);
    EXPECT_EQ(from_nothing.ok(), again.ok()) << body;
    EXPECT_EQ(from_nothing.message(), again.message()) << body;

    auto checked_again = CheckRevision(*e, registry_);
    auto checked_handed = CheckRevision(*e, registry_, &for_check);
    ASSERT_EQ(checked_handed.ok(), checked_again.ok()) << body;
    if (!checked_again.ok()) {
      EXPECT_EQ(checked_handed.status().message(), checked_again.status().message()) << body;
      continue;
    }
    EXPECT_EQ(checked_handed->body.answers_json, checked_again->body.answers_json) << body;
    EXPECT_EQ(checked_handed->content.message(), checked_again->content.message()) << body;
  }
}

TEST_F(VerifyTest, UnknownFormIsAFailedPrecondition) {
  MapRegistry empty;
  Envelope e = Make(R"({"day":"2026-11-20"})", kEarlyMorningAlmaty, 300);
  Status s = VerifyRevisionContent(e, empty);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(s.message().find("not known"), std::string::npos);
}

TEST_F(VerifyTest, ChainLinksMustFollowInOrder) {
  Envelope first = Make(R"({"day":"2026-11-20"})", kEarlyMorningAlmaty, 300);
  EXPECT_TRUE(CheckChainLink(first, {}).ok());
  Envelope second = Make(R"({"day":"2026-11-20"})", kEarlyMorningAlmaty, 300, 2, first.id());
  EXPECT_TRUE(CheckChainLink(second, {1, first.id()}).ok());
  // Wrong previous hash.
  EXPECT_EQ(CheckChainLink(second, {1, Sha256("other")}).code(), Status::Code::kCorruption);
  // A gap.
  EXPECT_EQ(CheckChainLink(second, {}).code(), Status::Code::kFailedPrecondition);
  // A repeat (fork).
  EXPECT_EQ(CheckChainLink(first, {1, first.id()}).code(), Status::Code::kCorruption);
}

TEST(RevisionBodyTest, MalformedBodiesAreRefused) {
  EXPECT_TRUE(ParseRevisionBody(R"({"answers":{},"tz":300})").ok());
  for (const char* bad : {R"({"tz":300})", R"({"answers":[],"tz":0})", R"({"answers":{}})",
                          R"({"answers":{},"tz":900})", R"({"answers":{},"tz":"5"})",
                          R"({"answers":{},"tz":0,"extra":1})", R"({"answers":{},"tz":0,"by":3})", "[]", "{",
                          R"({"answers":{},"tz":18446744073709551615})", R"({"answers":{},"tz":-9223372036854775808})",
                          R"({"answers":{},"tz":841})", R"({"answers":{},"tz":-841})", R"({"answers":{},"tz":1.5})"}) {
    EXPECT_FALSE(ParseRevisionBody(bad).ok()) << bad;
  }
}

TEST(RevisionBodyTest, MakeAndParseRoundTrip) {
  auto b = ParseRevisionBody(MakeRevisionBody(R"({"q":1})", -120, "aigerim", "fixed the queue"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->answers_json, R"({"q":1})");
  EXPECT_EQ(b->utc_offset_minutes, -120);
  EXPECT_EQ(b->by, "aigerim");
  EXPECT_EQ(b->note, "fixed the queue");
}

TEST(EventBodyTest, EachTypeNeedsItsFields) {
  EventBody review{"review", "aigerim", "has_issues", "check the queue"};
  auto r = ParseEventBody(MakeEventBody(review));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->comment, "check the queue");
  EXPECT_FALSE(ParseEventBody(R"({"type":"review"})").ok());
  EXPECT_FALSE(ParseEventBody(R"({"type":"duplicate","decision":"maybe","other":"x"})").ok());
  EXPECT_FALSE(ParseEventBody(R"({"type":"enroll","device":"abc"})").ok());
  EXPECT_FALSE(ParseEventBody(R"({"type":"party"})").ok());
  EXPECT_FALSE(ParseEventBody(R"({"type":"review","state":1})").ok());
}

}  // namespace
}  // namespace dala::sync
