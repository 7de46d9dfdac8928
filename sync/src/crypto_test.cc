#include "dala/sync/crypto.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace dala::sync {
namespace {

class CryptoTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }
};

std::string Unhex(std::string_view hex) {
  auto r = FromHex(hex);
  EXPECT_TRUE(r.ok()) << hex;
  return r.ok() ? *r : std::string();
}

// RFC 8032 section 7.1, TEST 1: the empty message.
TEST_F(CryptoTest, Rfc8032Test1KnownAnswer) {
  std::string seed =
      Unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  SigningKey key = SigningKey::FromSeed(reinterpret_cast<const uint8_t*>(seed.data()));
  EXPECT_EQ(ToHex(key.public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  Signature sig = key.Sign("", "");
  EXPECT_EQ(ToHex(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
            "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(VerifySignature(key.public_key(), "", "", sig));
  EXPECT_TRUE(VerifyRaw(key.public_key(), "",
                        std::string_view(reinterpret_cast<const char*>(sig.data()), sig.size())));
}

// Every case of Project Wycheproof's Ed25519 file gives its expected verdict
// through the same function that verifies Dala's records.
TEST_F(CryptoTest, WycheproofEd25519VectorsGiveExpectedVerdicts) {
  // The vectors are part of the repository (tests/vectors/ed25519/README.md):
  // a missing file fails the test rather than skipping it.
  const std::string path = DALA_SOURCE_DIR "/tests/vectors/ed25519/ed25519_test.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path << " is missing: the Wycheproof vectors must be in the checkout";
  nlohmann::json doc = nlohmann::json::parse(in);
  int checked = 0;
  int valid = 0;
  for (const auto& group : doc.at("testGroups")) {
    std::string pk_hex = group.at("publicKey").at("pk");
    PublicKey pk{};
    ASSERT_TRUE(FromHex(pk_hex, &pk)) << pk_hex;
    for (const auto& test : group.at("tests")) {
      std::string msg = Unhex(test.at("msg").get<std::string>());
      std::string sig_hex = test.at("sig");
      // Truncated or odd-length signatures must be refused, not crash.
      auto sig = FromHex(sig_hex);
      bool verdict = sig.ok() && VerifyRaw(pk, msg, *sig);
      bool expected = test.at("result") == "valid";
      EXPECT_EQ(verdict, expected) << "tcId " << test.at("tcId") << ": " << test.at("comment");
      ++checked;
      valid += expected;
    }
  }
  EXPECT_EQ(checked, doc.at("numberOfTests").get<int>());
  EXPECT_GT(valid, 0);
}

TEST_F(CryptoTest, SignatureUnderOneDomainDoesNotVerifyUnderAnother) {
  SeededRandom random(1);
  SigningKey key = SigningKey::Generate(random);
  Signature sig = key.Sign("dala-revision-v1", "payload");
  EXPECT_TRUE(VerifySignature(key.public_key(), "dala-revision-v1", "payload", sig));
  EXPECT_FALSE(VerifySignature(key.public_key(), "dala-request-v1", "payload", sig));
  EXPECT_FALSE(VerifySignature(key.public_key(), "dala-revision-v1", "payloae", sig));
  Signature flipped = sig;
  flipped[10] ^= 1;
  EXPECT_FALSE(VerifySignature(key.public_key(), "dala-revision-v1", "payload", flipped));
}

TEST_F(CryptoTest, Sha256OfEmptyStringIsTheKnownValue) {
  EXPECT_EQ(ToHex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256Builder b;
  b.Add("ab").Add("c");
  EXPECT_EQ(b.Finish(), Sha256("abc"));
}

// FIPS 180-2's multi-block examples, whichever library hashes (OpenSSL on
// Linux, libsodium on Windows: crypto.cc), whole and fed in uneven pieces.
TEST_F(CryptoTest, Sha256OfMultiBlockMessagesIsTheKnownValue) {
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(ToHex(Sha256(two_blocks)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  const std::string want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  EXPECT_EQ(ToHex(Sha256(million)), want);
  Sha256Builder b;
  for (size_t at = 0, piece = 1; at < million.size(); at += piece, piece = piece * 3 % 1000 + 1)
    b.Add(std::string_view(million).substr(at, piece));
  EXPECT_EQ(ToHex(b.Finish()), want);
}

TEST_F(CryptoTest, MalformedHexIsRefused) {
  EXPECT_FALSE(FromHex("abc").ok());
  EXPECT_FALSE(FromHex("zz").ok());
  EXPECT_FALSE(FromHex("00 1").ok());
  Hash h;
  EXPECT_FALSE(FromHex(std::string(62, 'a'), &h));
  EXPECT_TRUE(FromHex(std::string(64, 'A'), &h));
}

TEST_F(CryptoTest, Base64RoundTripsAndRefusesGarbage) {
  std::string bytes("\x00\xff\x10 hello", 9);
  auto back = FromBase64(ToBase64(bytes));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, bytes);
  EXPECT_EQ(ToBase64(""), "");
  EXPECT_FALSE(FromBase64("ab$d").ok());
  EXPECT_FALSE(FromBase64("abc").ok());  // missing padding
  EXPECT_FALSE(FromBase64("AA\xc3\xa9").ok());  // "é" is not two slashes
}

TEST_F(CryptoTest, SealedKeyOpensOnlyWithItsPassphrase) {
  SeededRandom random(7);
  SigningKey key = SigningKey::Generate(random);
  KdfParams fast{1, 8u << 20};
  auto sealed = SealKey(key, "қазақ пароль", random, fast);
  ASSERT_TRUE(sealed.ok());
  auto parsed = SealedKey::Parse(sealed->Serialize());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();

  auto opened = OpenKey(*parsed, "қазақ пароль");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->public_key(), key.public_key());

  auto wrong = OpenKey(*parsed, "қазақ парол");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(wrong.status().message(), "wrong passphrase");
}

TEST_F(CryptoTest, TamperedKeyFileIsRefused) {
  SeededRandom random(8);
  SigningKey key = SigningKey::Generate(random);
  auto sealed = SealKey(key, "pw", random, KdfParams{1, 8u << 20});
  ASSERT_TRUE(sealed.ok());
  SealedKey tampered = *sealed;
  tampered.ciphertext[3] ^= 0x40;
  EXPECT_FALSE(OpenKey(tampered, "pw").ok());

  EXPECT_FALSE(SealedKey::Parse("").ok());
  EXPECT_FALSE(SealedKey::Parse("dala-key-v1 argon2id13 x").ok());
  std::string text = sealed->Serialize();
  EXPECT_FALSE(SealedKey::Parse(text.substr(0, text.size() - 2)).ok());
}

TEST_F(CryptoTest, PasswordHashChecksOnlyTheRightPassword) {
  auto h = HashPassword("correct horse");
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(CheckPassword(*h, "correct horse"));
  EXPECT_FALSE(CheckPassword(*h, "correct hors"));
  EXPECT_FALSE(CheckPassword("not a hash", "x"));
}

TEST_F(CryptoTest, PasswordHashTakesTwoPassesOverNineteenMiB) {
  auto h = HashPassword("correct horse");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *h;
  EXPECT_FALSE(PasswordHashIsOutdated(*h));
}

TEST_F(CryptoTest, AHashOverSixtyFourMiBIsOutdatedButStillChecks) {
  // As servers before this one hashed: libsodium's "interactive" limits.
  char old[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str(old, "correct horse", 13, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE),
            0);
  EXPECT_TRUE(PasswordHashIsOutdated(old));
  EXPECT_TRUE(CheckPassword(old, "correct horse"));
  EXPECT_FALSE(CheckPassword(old, "correct hors"));
}

TEST_F(CryptoTest, SomethingThatIsNoArgon2idHashIsOutdated) {
  EXPECT_TRUE(PasswordHashIsOutdated(""));
  EXPECT_TRUE(PasswordHashIsOutdated("not a hash"));
  EXPECT_TRUE(PasswordHashIsOutdated("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"));
}

TEST_F(CryptoTest, SeededRandomIsDeterministicAndSystemRandomIsNot) {
  SeededRandom a(42), b(42);
  uint8_t x[32], y[32];
  a.Fill(x, 32);
  b.Fill(y, 32);
  EXPECT_EQ(0, memcmp(x, y, 32));
  a.Fill(x, 32);
  EXPECT_NE(0, memcmp(x, y, 32));
  SystemRandom s;
  s.Fill(x, 32);
  s.Fill(y, 32);
  EXPECT_NE(0, memcmp(x, y, 32));
}

}  // namespace
}  // namespace dala::sync

// No fixture here: each test runs in its own process, where nothing has
// initialised libsodium yet, as a library user's first call would.
TEST(CryptoWithoutInitTest, OpeningAKeyFirstInitialisesTheLibraryItself) {
  dala::sync::SealedKey sealed;  // all zeros: opens with no passphrase
  sealed.opslimit = 1;
  sealed.memlimit = 8u << 20;
  sealed.ciphertext.assign(48, '\0');
  auto opened = dala::sync::OpenKey(sealed, "passphrase");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().message(), "wrong passphrase");
}
