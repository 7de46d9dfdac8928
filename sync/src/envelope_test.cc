#include "dala/sync/envelope.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace dala::sync {
namespace {

class EnvelopeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }

  EnvelopeFields Fields() {
    EnvelopeFields f;
    f.kind = EnvelopeKind::kRevision;
    f.submission = NewSubmissionId(clock_, random_);
    f.sequence = 1;
    f.hlc = HlcTimestamp::Make(1764219600000, 3);
    f.wall_ms = 1764219600000;
    f.form_hash = Sha256("form");
    f.form_id = "psc_observation";
    f.form_version = "2026.11.1";
    f.body = R"({"answers":{"queue_length":12,"notes":"Кезек ұзын, очередь длинная"}})";
    return f;
  }

  std::string Seal(const EnvelopeFields& f) {
    auto r = SealEnvelope(f, key_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::string();
  }

  FakeClock clock_{1764219600000};
  SeededRandom random_{99};
  SigningKey key_ = SigningKey::Generate(random_);
};

TEST_F(EnvelopeTest, SealedEnvelopeParsesBackToTheSameFields) {
  EnvelopeFields f = Fields();
  f.sequence = 5;
  f.previous = Sha256("prev");
  f.parents = {Sha256("b"), Sha256("a")};
  std::string bytes = Seal(f);
  auto e = Envelope::Parse(bytes);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(e->VerifySignature().ok());
  EXPECT_EQ(e->bytes(), bytes);
  EXPECT_EQ(e->submission(), f.submission);
  EXPECT_EQ(e->author(), key_.public_key());
  EXPECT_EQ(e->sequence(), 5u);
  EXPECT_EQ(e->previous(), f.previous);
  EXPECT_EQ(e->hlc(), f.hlc);
  EXPECT_EQ(e->wall_ms(), f.wall_ms);
  EXPECT_EQ(e->form_hash(), f.form_hash);
  EXPECT_EQ(e->form_id(), "psc_observation");
  EXPECT_EQ(e->form_version(), "2026.11.1");
  EXPECT_EQ(e->body(), f.body);
  ASSERT_EQ(e->parents().size(), 2u);
  EXPECT_LT(e->parents()[0], e->parents()[1]);  // sorted for canonical bytes
  EXPECT_EQ(e->id(), Sha256(bytes.substr(0, bytes.size() - 64)));
}

TEST_F(EnvelopeTest, SameParentsInAnyOrderGiveTheSameBytes) {
  EnvelopeFields a = Fields(), b = a;
  a.parents = {Sha256("x"), Sha256("y")};
  b.parents = {Sha256("y"), Sha256("x")};
  EXPECT_EQ(Seal(a), Seal(b));
}

// The central promise: any single changed byte is caught, by the structure
// check or by the signature.
TEST_F(EnvelopeTest, EverySingleByteChangeIsDetected) {
  EnvelopeFields f = Fields();
  f.sequence = 2;
  f.previous = Sha256("p");
  f.parents = {Sha256("parent")};
  std::string bytes = Seal(f);
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80}) {
      std::string mutated = bytes;
      mutated[i] = static_cast<char>(mutated[i] ^ flip);
      auto e = Envelope::Parse(mutated);
      bool caught = !e.ok() || !e->VerifySignature().ok();
      EXPECT_TRUE(caught) << "byte " << i << " flipped by " << int(flip) << " went unnoticed";
    }
  }
}

TEST_F(EnvelopeTest, TruncatedOrExtendedEnvelopeIsRefused) {
  std::string bytes = Seal(Fields());
  for (size_t n = 0; n < bytes.size(); n += 7) {
    EXPECT_FALSE(Envelope::Parse(bytes.substr(0, n)).ok()) << "prefix of " << n << " bytes";
  }
  EXPECT_FALSE(Envelope::Parse(bytes + "x").ok());
}

TEST_F(EnvelopeTest, WrongMagicIsRefusedWithAReason) {
  std::string bytes = Seal(Fields());
  bytes[0] = 'X';
  auto e = Envelope::Parse(bytes);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Status::Code::kCorruption);
  EXPECT_NE(e.status().message().find("magic"), std::string::npos);
}

TEST_F(EnvelopeTest, SignatureFromAnotherKeyIsRefused) {
  SigningKey other = SigningKey::Generate(random_);
  std::string bytes = Seal(Fields());
  // Re-sign the same bytes with another key but keep the author field.
  std::string body = bytes.substr(0, bytes.size() - 64);
  Signature sig = other.Sign(kEnvelopeSignatureDomain, body);
  std::string forged = body + std::string(reinterpret_cast<const char*>(sig.data()), 64);
  auto e = Envelope::Parse(forged);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->VerifySignature().ok());
}

TEST_F(EnvelopeTest, BodyWithDuplicateKeysIsRefusedAtSealing) {
  EnvelopeFields f = Fields();
  f.body = R"({"answers":{"a":1,"a":2}})";
  auto r = SealEnvelope(f, key_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("appears twice"), std::string::npos);
}

TEST_F(EnvelopeTest, BodyThatIsNotAJsonObjectIsRefused) {
  for (const char* body : {"", "[]", "12", "\"x\"", "{", "{\"a\":}", "{} {}", "{\"a\":1}x",
                           "{\"a\":\"\xff\"}"}) {
    EnvelopeFields f = Fields();
    f.body = body;
    EXPECT_FALSE(SealEnvelope(f, key_).ok()) << body;
  }
}

TEST_F(EnvelopeTest, DeeplyNestedBodyIsRefused) {
  EnvelopeFields f = Fields();
  f.body = std::string(40, '[');
  f.body = "{\"a\":" + f.body + std::string(40, ']') + "}";
  EXPECT_FALSE(SealEnvelope(f, key_).ok());
}

TEST_F(EnvelopeTest, FirstEnvelopeMustHaveNoPreviousAndLaterOnesMust) {
  EnvelopeFields f = Fields();
  f.previous = Sha256("x");
  EXPECT_FALSE(SealEnvelope(f, key_).ok());
  f.sequence = 2;
  f.previous = Hash{};
  EXPECT_FALSE(SealEnvelope(f, key_).ok());
  f.sequence = 0;
  EXPECT_FALSE(SealEnvelope(f, key_).ok());
}

TEST_F(EnvelopeTest, RevisionWithoutSubmissionOrFormIsRefused) {
  EnvelopeFields f = Fields();
  f.submission = SubmissionId{};
  EXPECT_FALSE(SealEnvelope(f, key_).ok());
  f = Fields();
  f.form_id.clear();
  EXPECT_FALSE(SealEnvelope(f, key_).ok());
  // An event may concern no submission (an enrolment, say).
  f = Fields();
  f.kind = EnvelopeKind::kEvent;
  f.submission = SubmissionId{};
  f.form_id.clear();
  f.form_version.clear();
  f.body = R"({"type":"enroll"})";
  EXPECT_TRUE(SealEnvelope(f, key_).ok());
}

TEST_F(EnvelopeTest, TooManyOrRepeatedParentsAreRefused) {
  EnvelopeFields f = Fields();
  for (int i = 0; i < 17; ++i) f.parents.push_back(Sha256(std::to_string(i)));
  EXPECT_FALSE(SealEnvelope(f, key_).ok());
  f.parents = {Sha256("a"), Sha256("a")};
  EXPECT_FALSE(SealEnvelope(f, key_).ok());
}

TEST_F(EnvelopeTest, ParentsOutOfOrderInStoredBytesAreRefused) {
  EnvelopeFields f = Fields();
  f.parents = {Sha256("a"), Sha256("b")};
  std::string bytes = Seal(f);
  // Swap the two 32-byte parents in place: same set, non-canonical bytes.
  const size_t first = 4 + 1 + 16 + 32 + 8 + 32 + 8 + 8 + 32 + 1;
  std::string a = bytes.substr(first, 32), b = bytes.substr(first + 32, 32);
  bytes.replace(first, 32, b);
  bytes.replace(first + 32, 32, a);
  auto e = Envelope::Parse(bytes);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("ascending"), std::string::npos);
}

TEST(StrictJsonTest, AcceptsNestedObjectsWithRepeatedKeysInDifferentObjects) {
  EXPECT_TRUE(CheckStrictJsonObject(R"({"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]})").ok());
  EXPECT_FALSE(CheckStrictJsonObject(R"({"c":[{"x":1,"x":2}]})").ok());
}

TEST_F(EnvelopeTest, ParseHandsBackTheBodyItChecked) {
  std::string bytes = Seal(Fields());
  nlohmann::json body;
  auto e = Envelope::Parse(bytes, &body);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(body, nlohmann::json::parse(e->body()));
  EXPECT_EQ(body["answers"]["notes"], "Кезек ұзын, очередь длинная");
}

TEST_F(EnvelopeTest, ParseWithTheBodyRefusesARepeatedKeyAsPlainParseDoes) {
  EnvelopeFields f = Fields();
  f.body = R"({"answers":{"a":1,"b":2}})";
  std::string bytes = Seal(f);
  // Same length, so the structure still parses: only the body is wrong.
  size_t b = bytes.find("\"b\"");
  ASSERT_NE(b, std::string::npos);
  bytes[b + 1] = 'a';
  nlohmann::json body;
  auto with_body = Envelope::Parse(bytes, &body);
  auto plain = Envelope::Parse(bytes);
  ASSERT_FALSE(with_body.ok());
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(with_body.status().message(), plain.status().message());
  EXPECT_NE(with_body.status().message().find("\"a\" appears twice"), std::string::npos)
      << with_body.status().message();
}

// ParseStrictJsonObject builds the object while it checks; what it builds
// must be what a plain parse gives, number types and key order included.
TEST(StrictJsonTest, ParsedObjectIsWhatAPlainParseGives) {
  for (const char* text :
       {R"({})", R"( {"a":1} )", R"({"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]})",
        R"({"n":[0,-1,18446744073709551615,-9223372036854775808,1.5,-0.0,1e300,2E-7]})",
        R"({"s":"Кезек \u049b\n\"q\"","t":true,"f":false,"z":null,"e":[],"o":{}})",
        R"({"deep":[[[[{"k":[1,[2,[3]]]}]]]]})", R"({"b":1,"a":2,"c":{"z":0,"y":[]}})"}) {
    nlohmann::json got;
    Status s = ParseStrictJsonObject(text, &got);
    ASSERT_TRUE(s.ok()) << text << ": " << s.message();
    nlohmann::json want = nlohmann::json::parse(text);
    EXPECT_EQ(got, want) << text;
    EXPECT_EQ(got.dump(), want.dump()) << text;
  }
}

TEST(StrictJsonTest, ParseRefusesWhatTheCheckRefusesAndKeepsNothing) {
  struct Case {
    std::string text;
    const char* says;
  };
  std::string deepest_allowed = "{\"a\":" + std::string(31, '[') + std::string(31, ']') + "}";
  std::string one_too_deep = "{\"a\":" + std::string(32, '[') + std::string(32, ']') + "}";
  ASSERT_TRUE(CheckStrictJsonObject(deepest_allowed).ok());
  for (const Case& c : {Case{R"({"a":1,"a":2})", "\"a\" appears twice"},
                        Case{R"({"o":{"k":[{"x":1,"y":{},"x":3}]}})", "\"x\" appears twice"},
                        Case{one_too_deep, "nested more than 32"},
                        Case{"[1,2]", "not a JSON object"},
                        Case{"12", "not a JSON object"},
                        Case{"", "not a JSON object"},
                        Case{"{} {}", "invalid JSON"},
                        Case{R"({"a":1}x)", "invalid JSON"},
                        Case{R"({"a":})", "invalid JSON"},
                        Case{"{\"a\":\"\xff\"}", "invalid JSON"}}) {
    nlohmann::json got = {{"stale", 1}};
    Status parsed = ParseStrictJsonObject(c.text, &got);
    Status checked = CheckStrictJsonObject(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.message(), checked.message()) << c.text;
    EXPECT_NE(parsed.message().find(c.says), std::string::npos) << c.text << ": " << parsed.message();
    if (!got.is_null()) ADD_FAILURE() << c.text << " left " << got.dump();
  }
}

// --- peeking at header fields -------------------------------------------------

// Where each peeked field ends, from the table in sync/README.md: a prefix
// one byte shorter than this cannot hold the field.
constexpr size_t kKindEnd = 5;
constexpr size_t kAuthorEnd = 53;
constexpr size_t kSequenceEnd = 61;
constexpr size_t kFormHashEnd = 141;

TEST_F(EnvelopeTest, PeeksReadTheHeaderFieldsOfASealedEnvelope) {
  EnvelopeFields f = Fields();
  f.sequence = 0x0102030405060708;
  f.previous = Sha256("prev");
  std::string bytes = Seal(f);
  EXPECT_EQ(PeekKindByte(bytes), std::optional<uint8_t>(1));
  EXPECT_EQ(PeekSubmission(bytes), std::optional<SubmissionId>(f.submission));
  EXPECT_EQ(PeekAuthor(bytes), std::optional<PublicKey>(key_.public_key()));
  EXPECT_EQ(PeekSequence(bytes), std::optional<uint64_t>(0x0102030405060708));
  EXPECT_EQ(PeekFormHash(bytes), std::optional<Hash>(f.form_hash));
  // The same values Parse decodes: Peek and Parse read one layout.
  auto e = Envelope::Parse(bytes);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(*PeekSubmission(bytes), e->submission());
  EXPECT_EQ(*PeekAuthor(bytes), e->author());
  EXPECT_EQ(*PeekSequence(bytes), e->sequence());
  EXPECT_EQ(*PeekFormHash(bytes), e->form_hash());
}

TEST_F(EnvelopeTest, PeekKindByteTellsAnEventFromARevision) {
  EnvelopeFields f = Fields();
  f.kind = EnvelopeKind::kEvent;
  f.submission = SubmissionId{};
  f.form_id.clear();
  f.form_version.clear();
  f.form_hash = Hash{};
  f.body = R"({"type":"enroll"})";
  std::string bytes = Seal(f);
  EXPECT_EQ(PeekKindByte(bytes), std::optional<uint8_t>(static_cast<uint8_t>(EnvelopeKind::kEvent)));
  EXPECT_EQ(PeekSubmission(bytes), std::optional<SubmissionId>(SubmissionId{}));
  EXPECT_EQ(PeekFormHash(bytes), std::optional<Hash>(Hash{}));
}

// A prefix is what ForEachLogPrefix hands the auditor's pre-pass: each
// field is there exactly when the prefix reaches its last byte.
TEST_F(EnvelopeTest, PeekOnAPrefixTooShortForItsFieldGivesNothing) {
  std::string bytes = Seal(Fields());
  auto prefix = [&](size_t n) { return std::string_view(bytes).substr(0, n); };
  EXPECT_FALSE(PeekKindByte(prefix(kKindEnd - 1)).has_value());
  EXPECT_TRUE(PeekKindByte(prefix(kKindEnd)).has_value());
  EXPECT_FALSE(PeekSubmission(prefix(kEnvelopeSubmissionEnd - 1)).has_value());
  EXPECT_EQ(PeekSubmission(prefix(kEnvelopeSubmissionEnd)), PeekSubmission(bytes));
  EXPECT_FALSE(PeekAuthor(prefix(kAuthorEnd - 1)).has_value());
  EXPECT_EQ(PeekAuthor(prefix(kAuthorEnd)), PeekAuthor(bytes));
  EXPECT_FALSE(PeekSequence(prefix(kSequenceEnd - 1)).has_value());
  EXPECT_EQ(PeekSequence(prefix(kSequenceEnd)), PeekSequence(bytes));
  EXPECT_FALSE(PeekFormHash(prefix(kFormHashEnd - 1)).has_value());
  EXPECT_EQ(PeekFormHash(prefix(kFormHashEnd)), PeekFormHash(bytes));
}

TEST(EnvelopePeekTest, PeekOnEmptyInputGivesNothing) {
  EXPECT_FALSE(PeekKindByte("").has_value());
  EXPECT_FALSE(PeekSubmission("").has_value());
  EXPECT_FALSE(PeekAuthor("").has_value());
  EXPECT_FALSE(PeekSequence("").has_value());
  EXPECT_FALSE(PeekFormHash("").has_value());
}

// Peeks name damaged log entries in the auditor's report, so they read
// what the bytes claim even where Parse refuses them.
TEST_F(EnvelopeTest, PeekReadsTheClaimedAuthorOfBytesThatDoNotParse) {
  std::string bytes = Seal(Fields());
  bytes[0] = 'X';
  bytes.pop_back();
  ASSERT_FALSE(Envelope::Parse(bytes).ok());
  EXPECT_EQ(PeekAuthor(bytes), std::optional<PublicKey>(key_.public_key()));
  EXPECT_EQ(PeekSequence(bytes), std::optional<uint64_t>(1));
}

}  // namespace
}  // namespace dala::sync
