#include "dala/sync/envelope.h"

#include <gtest/gtest.h>

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

TEST(SubmissionIdTest, IdsAreVersion7TimeOrderedAndRoundTrip) {
  ASSERT_TRUE(InitCrypto().ok());
  FakeClock clock(1764219600000);
  SystemRandom random;
  SubmissionId a = NewSubmissionId(clock, random);
  clock.Advance(1);
  SubmissionId b = NewSubmissionId(clock, random);
  EXPECT_LT(a, b);
  EXPECT_EQ(a[6] >> 4, 7);
  EXPECT_EQ(a[8] >> 6, 2);
  std::string text = FormatSubmissionId(a);
  EXPECT_EQ(text.size(), 36u);
  auto parsed = ParseSubmissionId(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, a);
  auto bare = ParseSubmissionId(ToHex(a));
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*bare, a);
}

TEST(SubmissionIdTest, MalformedIdsAreRefused) {
  for (const char* s : {"", "xyz", "0193a1b2-0000-7000-8000-00000000000",
                        "0193a1b2_0000_7000_8000_000000000000", "0193a1b20000700080000000000000zz"}) {
    EXPECT_FALSE(ParseSubmissionId(s).ok()) << s;
  }
}

TEST(HybridClockTest, NeverRunsBackwardsWhenTheWallClockDoes) {
  FakeClock wall(10'000);
  HybridClock hlc(wall);
  HlcTimestamp a = hlc.Now();
  wall.Set(5'000);  // the laptop's clock was set back
  HlcTimestamp b = hlc.Now();
  HlcTimestamp c = hlc.Now();
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(b.physical_ms(), 10'000u);
  wall.Set(20'000);
  HlcTimestamp d = hlc.Now();
  EXPECT_EQ(d.physical_ms(), 20'000u);
  EXPECT_EQ(d.logical(), 0);
}

TEST(HybridClockTest, EventsAfterObservingARemoteTimestampSortAfterIt) {
  FakeClock wall(1'000);
  HybridClock hlc(wall);
  HlcTimestamp remote = HlcTimestamp::Make(9'000, 41);
  hlc.Observe(remote);
  HlcTimestamp next = hlc.Now();
  EXPECT_GT(next, remote);
  EXPECT_EQ(next.physical_ms(), 9'000u);
}

TEST(HybridClockTest, CounterOverflowCarriesIntoTheNextMillisecond) {
  FakeClock wall(1'000);
  HybridClock hlc(wall, HlcTimestamp::Make(1'000, 0xFFFF));
  HlcTimestamp t = hlc.Now();
  EXPECT_EQ(t.physical_ms(), 1'001u);
  EXPECT_EQ(t.logical(), 0);
}

TEST(HybridClockTest, RestoredClockContinuesAfterItsLastTimestamp) {
  FakeClock wall(1'000);
  HybridClock hlc(wall, HlcTimestamp::Make(50'000, 7));
  EXPECT_EQ(hlc.Now(), HlcTimestamp::Make(50'000, 8));
}

}  // namespace
}  // namespace dala::sync

namespace dala::sync {
namespace {

TEST(HybridClockTest, TimestampsPrintAsUtcTimeAndCounter) {
  EXPECT_EQ(HlcTimestamp::Make(1795755600123, 7).ToString(), "2026-11-27T05:00:00.123Z/7");
}

}  // namespace
}  // namespace dala::sync
