#include "dala/sync/checkpoint.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "dala/sync/merkle.h"

namespace dala::sync {
namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";
constexpr std::string_view kName = "dala.example.org/log";
constexpr std::string_view kForeignName = "witness.example.net/w1";

// Keys live in sodium_malloc'd memory, which needs libsodium initialised
// before the fixture's members are built.
SigningKey TestKey(uint64_t seed) {
  if (!InitCrypto().ok()) std::abort();
  SeededRandom random(seed);
  return SigningKey::Generate(random);
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MerkleTree tree;
    for (int i = 0; i < 1234; ++i) tree.AppendLeafHash(LeafHash("record " + std::to_string(i)));
    checkpoint_ = {std::string(kName), tree.size(), tree.Root()};
  }

  Result<Checkpoint> Verify(std::string_view note) const {
    return VerifyCheckpoint(note, kName, key_.public_key(), kName);
  }

  // A signature line built by hand from the spec, independently of
  // SignCheckpoint, so that the tests can sign bodies SignCheckpoint would
  // never produce.
  static std::string SignatureLine(std::string_view name, const SigningKey& key,
                                   std::string_view text) {
    const uint32_t id = NoteKeyHash(name, key.public_key());
    std::string blob;
    for (int shift = 24; shift >= 0; shift -= 8) blob += static_cast<char>(id >> shift);
    const Signature sig = key.Sign("", text);
    blob.append(reinterpret_cast<const char*>(sig.data()), sig.size());
    return std::string(kEmDashSpace) + std::string(name) + " " + ToBase64(blob) + "\n";
  }

  std::string SignBody(std::string_view body) const {
    return std::string(body) + "\n" + SignatureLine(kName, key_, body);
  }

  std::string Body(std::string_view size, std::string_view root_b64) const {
    return std::string(kName) + "\n" + std::string(size) + "\n" + std::string(root_b64) + "\n";
  }

  std::string RootBase64() const { return ToBase64(AsBytes(checkpoint_.root)); }

  SigningKey key_ = TestKey(2024);
  SigningKey other_key_ = TestKey(2025);
  Checkpoint checkpoint_;
};

Status::Code CodeOf(const Result<Checkpoint>& r) { return r.status().code(); }

// RFC 4648 section 4 with padding, canonical: only the alphabet, and
// FromBase64 checks the padding and the unused bits.
bool IsStrictBase64(std::string_view text) {
  const std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
  return text.find_first_not_of(alphabet) == std::string_view::npos && FromBase64(text).ok();
}

// --- accepted ---------------------------------------------------------------

TEST_F(CheckpointTest, SignedCheckpointVerifiesAndRoundTrips) {
  const std::string note = SignCheckpoint(checkpoint_, kName, key_);
  auto verified = Verify(note);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(*verified, checkpoint_);
}

TEST_F(CheckpointTest, SignedNoteHasExactlyTheSpecifiedBytes) {
  const std::string note = SignCheckpoint(checkpoint_, kName, key_);
  const std::string body = "dala.example.org/log\n1234\n" + RootBase64() + "\n";
  EXPECT_EQ(CheckpointBody(checkpoint_), body);
  EXPECT_EQ(note, body + "\n" + SignatureLine(kName, key_, body));
}

TEST_F(CheckpointTest, EmptyTreeAndLargestSizeRoundTrip) {
  for (uint64_t size : {uint64_t{0}, UINT64_MAX}) {
    Checkpoint c{std::string(kName), size, size == 0 ? EmptyRoot() : checkpoint_.root};
    auto verified = Verify(SignCheckpoint(c, kName, key_));
    ASSERT_TRUE(verified.ok()) << size << ": " << verified.status().ToString();
    EXPECT_EQ(*verified, c);
  }
  EXPECT_EQ(CheckpointBody({"o", 0, EmptyRoot()}),
            "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
}

TEST_F(CheckpointTest, ExtraSignatureFromAnotherKeyStillVerifies) {
  const std::string body = CheckpointBody(checkpoint_);
  const std::string ours = SignatureLine(kName, key_, body);
  const std::string theirs = SignatureLine(kForeignName, other_key_, body);
  for (const std::string& note : {body + "\n" + theirs + ours, body + "\n" + ours + theirs}) {
    auto verified = Verify(note);
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    EXPECT_EQ(*verified, checkpoint_);
  }
}

TEST_F(CheckpointTest, SignatureSharingOnlyOurNameOrOnlyOurKeyHashIsIgnored) {
  const std::string body = CheckpointBody(checkpoint_);
  // Another key under our name: its key hash differs, so it is not ours.
  const std::string same_name = SignatureLine(kName, other_key_, body);
  // Our key hash under another name: a different key by the spec's rule.
  std::string same_hash = SignatureLine(kName, key_, body);
  same_hash.replace(kEmDashSpace.size(), kName.size(), "dala.example.org/old");
  const std::string ours = SignatureLine(kName, key_, body);
  EXPECT_TRUE(Verify(body + "\n" + same_name + same_hash + ours).ok());
  EXPECT_EQ(CodeOf(Verify(body + "\n" + same_name + same_hash)), Status::Code::kUnauthenticated);
}

TEST_F(CheckpointTest, ExtensionLinesAreAcceptedAndDropped) {
  const std::string body = CheckpointBody(checkpoint_) + "extension one\nx\n";
  auto verified = Verify(SignBody(body));
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(*verified, checkpoint_);
}

TEST_F(CheckpointTest, SixteenSignaturesAreAccepted) {
  const std::string body = CheckpointBody(checkpoint_);
  std::string note = body + "\n";
  for (int i = 0; i < 15; ++i) {
    note += SignatureLine("witness" + std::to_string(i) + ".example", other_key_, body);
  }
  note += SignatureLine(kName, key_, body);
  EXPECT_TRUE(Verify(note).ok());
}

// golang.org/x/mod/sumdb/note's own example key and note (note_test.go):
// Ed25519 is deterministic, so matching it byte for byte shows that key
// hashes, verifier keys and signature lines are what other tools expect.
TEST_F(CheckpointTest, GoReferenceKeyAndSignatureMatchKnownAnswers) {
  auto typed_seed = FromBase64("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz");
  ASSERT_TRUE(typed_seed.ok());
  ASSERT_EQ(typed_seed->size(), 33u);
  ASSERT_EQ((*typed_seed)[0], '\x01');
  const SigningKey peter =
      SigningKey::FromSeed(reinterpret_cast<const uint8_t*>(typed_seed->data() + 1));
  const std::string vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  EXPECT_EQ(NoteKeyHash("PeterNeumann", peter.public_key()), 0xc74f20a3u);
  EXPECT_EQ(VerifierKeyString("PeterNeumann", peter.public_key()), vkey);
  auto parsed = ParseVerifierKey(vkey);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->first, "PeterNeumann");
  EXPECT_EQ(parsed->second, peter.public_key());

  const std::string text =
      "If you think cryptography is the answer to your problem,\n"
      "then you don't know what your problem is.\n";
  const std::string signature =
      "x08go/ZJkuBS9UG/"
      "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
  const std::string note =
      text + "\n" + std::string(kEmDashSpace) + "PeterNeumann " + signature + "\n";
  EXPECT_EQ(text + "\n" + SignatureLine("PeterNeumann", peter, text), note);
  // The signature verifies, so what is refused is the text: not a checkpoint.
  auto verified = VerifyCheckpoint(note, "PeterNeumann", peter.public_key(), "PeterNeumann");
  EXPECT_EQ(CodeOf(verified), Status::Code::kInvalidArgument);
  EXPECT_NE(verified.status().message().find("checkpoint body"), std::string::npos)
      << verified.status().message();
}

TEST_F(CheckpointTest, VerifierKeyRoundTrips) {
  for (std::string_view name : {kName, std::string_view("журнал.kz/лог")}) {
    auto parsed = ParseVerifierKey(VerifierKeyString(name, key_.public_key()));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->first, name);
    EXPECT_EQ(parsed->second, key_.public_key());
  }
}

TEST_F(CheckpointTest, KeyNamesFollowTheSignedNoteRules) {
  EXPECT_TRUE(IsValidNoteKeyName("dala.example.org/log"));
  EXPECT_TRUE(IsValidNoteKeyName("журнал"));
  EXPECT_FALSE(IsValidNoteKeyName(""));
  EXPECT_FALSE(IsValidNoteKeyName("a b"));
  EXPECT_FALSE(IsValidNoteKeyName("a+b"));
  EXPECT_FALSE(IsValidNoteKeyName("a\tb"));
  EXPECT_FALSE(IsValidNoteKeyName("a\u00A0z"));  // no-break space
  EXPECT_FALSE(IsValidNoteKeyName("a\u3000z"));  // ideographic space
  EXPECT_FALSE(IsValidNoteKeyName("a\u2028z"));  // line separator
  EXPECT_FALSE(IsValidNoteKeyName("a\xFFz"));    // not UTF-8
  EXPECT_FALSE(IsValidNoteKeyName("a\xC3"));     // truncated UTF-8
}

// --- refused ----------------------------------------------------------------

// Changing any one byte of a signed note must be refused, except inside a
// signature line of a key we do not know: there a change that leaves the
// line well formed (a name that is still a name, base64 that is still
// base64) only changes a signature nobody is asked to check, and the note
// must still verify. Whether such a change leaves the line well formed is
// predicted from the spec's rules for each part of the line.
TEST_F(CheckpointTest, EverySingleByteChangeIsRefusedUnlessInAForeignSignature) {
  const std::string body = CheckpointBody(checkpoint_);
  const std::string ours = SignatureLine(kName, key_, body);
  const std::string theirs = SignatureLine(kForeignName, other_key_, body);
  for (bool foreign_first : {true, false}) {
    const std::string note = body + "\n" + (foreign_first ? theirs + ours : ours + theirs);
    ASSERT_TRUE(Verify(note).ok());
    const size_t foreign_begin = body.size() + 1 + (foreign_first ? 0 : ours.size());
    const size_t name_begin = foreign_begin + kEmDashSpace.size();
    const size_t name_end = name_begin + kForeignName.size();
    const size_t b64_begin = name_end + 1;
    const size_t b64_end = foreign_begin + theirs.size() - 1;  // before the newline
    int still_verified = 0;
    for (size_t pos = 0; pos < note.size(); ++pos) {
      for (int value = 0; value < 256; ++value) {
        if (static_cast<char>(value) == note[pos]) continue;
        std::string changed = note;
        changed[pos] = static_cast<char>(value);
        bool expect_ok = false;
        if (pos >= name_begin && pos < name_end) {
          expect_ok = value > 0x20 && value < 0x80 && value != '+';
        } else if (pos >= b64_begin && pos < b64_end) {
          const std::string_view b64 =
              std::string_view(changed).substr(b64_begin, b64_end - b64_begin);
          expect_ok = IsStrictBase64(b64) && FromBase64(b64)->size() > 4;
        }
        auto verified = Verify(changed);
        ASSERT_EQ(verified.ok(), expect_ok)
            << "byte " << pos << " set to " << value << ": " << verified.status().ToString();
        if (verified.ok()) {
          EXPECT_EQ(*verified, checkpoint_);
          ++still_verified;
        }
      }
    }
    EXPECT_GT(still_verified, 0);  // the rule above was exercised both ways
  }
}

TEST_F(CheckpointTest, TruncatedNoteIsRefusedAtEveryLength) {
  const std::string note = SignCheckpoint(checkpoint_, kName, key_);
  for (size_t length = 0; length < note.size(); ++length) {
    EXPECT_FALSE(Verify(std::string_view(note).substr(0, length)).ok()) << length;
  }
}

TEST_F(CheckpointTest, EmptyNoteIsRefused) {
  auto r = Verify("");
  EXPECT_EQ(CodeOf(r), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "note is empty");
}

TEST_F(CheckpointTest, WrongKeyIsRefused) {
  auto r = Verify(SignCheckpoint(checkpoint_, kName, other_key_));
  EXPECT_EQ(CodeOf(r), Status::Code::kUnauthenticated);
  auto r2 = VerifyCheckpoint(SignCheckpoint(checkpoint_, kName, key_), kName,
                             other_key_.public_key(), kName);
  EXPECT_EQ(CodeOf(r2), Status::Code::kUnauthenticated);
}

TEST_F(CheckpointTest, WrongKeyNameIsRefused) {
  const std::string note = SignCheckpoint(checkpoint_, kName, key_);
  EXPECT_EQ(CodeOf(VerifyCheckpoint(note, "dala.example.org/log2", key_.public_key(), kName)),
            Status::Code::kUnauthenticated);
  EXPECT_EQ(CodeOf(Verify(SignCheckpoint(checkpoint_, "dala.example.org/log2", key_))),
            Status::Code::kUnauthenticated);
}

TEST_F(CheckpointTest, WrongOriginIsRefused) {
  auto r = VerifyCheckpoint(SignCheckpoint(checkpoint_, kName, key_), kName, key_.public_key(),
                            "other.example.org/log");
  EXPECT_EQ(CodeOf(r), Status::Code::kUnauthenticated);
  EXPECT_NE(r.status().message().find("other.example.org/log"), std::string::npos);
  Checkpoint elsewhere = checkpoint_;
  elsewhere.origin = "dala.example.org/log-staging";
  EXPECT_EQ(CodeOf(Verify(SignCheckpoint(elsewhere, kName, key_))), Status::Code::kUnauthenticated);
}

TEST_F(CheckpointTest, InvalidKeyNameArgumentIsRefused) {
  const std::string note = SignCheckpoint(checkpoint_, kName, key_);
  for (std::string_view name : {"", "a b", "a+b"}) {
    EXPECT_EQ(CodeOf(VerifyCheckpoint(note, name, key_.public_key(), kName)),
              Status::Code::kInvalidArgument)
        << name;
  }
}

TEST_F(CheckpointTest, MissingBlankLineIsRefused) {
  const std::string body = CheckpointBody(checkpoint_);
  auto r = Verify(body + SignatureLine(kName, key_, body));
  EXPECT_EQ(CodeOf(r), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("blank line"), std::string::npos);
}

TEST_F(CheckpointTest, CrlfLineEndingsAreRefused) {
  const std::string note = SignCheckpoint(checkpoint_, kName, key_);
  std::string crlf;
  for (char c : note) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  EXPECT_EQ(CodeOf(Verify(crlf)), Status::Code::kInvalidArgument);
  // Even signed as CRLF text, the note breaks the no-control-character rule.
  std::string crlf_body = CheckpointBody(checkpoint_);
  crlf_body.insert(crlf_body.find('\n'), "\r");
  EXPECT_EQ(CodeOf(Verify(SignBody(crlf_body))), Status::Code::kInvalidArgument);
}

TEST_F(CheckpointTest, ControlCharactersAndInvalidUtf8AreRefused) {
  for (std::string_view bad : {std::string_view("\t"), std::string_view("\x7F\xFF"),
                               std::string_view("\xC3"), std::string_view("\0", 1)}) {
    std::string body = CheckpointBody(checkpoint_);
    body.insert(3, bad);
    auto r = Verify(SignBody(body));
    if (bad == "\x7F\xFF" || bad == "\xC3") {
      EXPECT_NE(r.status().message().find("UTF-8"), std::string::npos) << r.status().ToString();
    }
    EXPECT_EQ(CodeOf(r), Status::Code::kInvalidArgument);
  }
}

TEST_F(CheckpointTest, SizeWithLeadingZeroIsRefused) {
  for (std::string_view size : {"007", "00", "01234"}) {
    auto r = Verify(SignBody(Body(size, RootBase64())));
    EXPECT_EQ(CodeOf(r), Status::Code::kInvalidArgument) << size;
    EXPECT_NE(r.status().message().find("leading zero"), std::string::npos) << size;
  }
}

TEST_F(CheckpointTest, NegativeOrSignedSizeIsRefused) {
  for (std::string_view size : {"-1", "-0", "+5", "−5"}) {
    EXPECT_EQ(CodeOf(Verify(SignBody(Body(size, RootBase64())))), Status::Code::kInvalidArgument)
        << size;
  }
}

TEST_F(CheckpointTest, SizeThatIsNotPlainDecimalIsRefused) {
  for (std::string_view size : {"", " 5", "5 ", "0x10", "1e3", "1,234", "12.0", "١٢"}) {
    EXPECT_EQ(CodeOf(Verify(SignBody(Body(size, RootBase64())))), Status::Code::kInvalidArgument)
        << size;
  }
}

TEST_F(CheckpointTest, SizeBeyond64BitsIsRefused) {
  auto r = Verify(SignBody(Body("18446744073709551616", RootBase64())));
  EXPECT_EQ(CodeOf(r), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("64 bits"), std::string::npos);
  EXPECT_TRUE(Verify(SignBody(Body("18446744073709551615", RootBase64()))).ok());
}

TEST_F(CheckpointTest, RootOf31BytesIsRefused) {
  const std::string short_root = ToBase64(AsBytes(checkpoint_.root).substr(0, 31));
  auto r = Verify(SignBody(Body("1234", short_root)));
  EXPECT_EQ(CodeOf(r), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("32 bytes"), std::string::npos);
}

TEST_F(CheckpointTest, RootOfWrongLengthOrEncodingIsRefused) {
  std::string long_root(AsBytes(checkpoint_.root));
  long_root += '\0';
  const std::string b64 = RootBase64();
  std::string noncanonical = b64;
  // The last character before '=' carries two padding bits that must be
  // zero; setting one keeps the decoded bytes but breaks canonical form.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  noncanonical[42] = alphabet[alphabet.find(noncanonical[42]) ^ 1];
  for (const std::string& root : {ToBase64(long_root), ToBase64(""), b64.substr(0, 43), b64 + "=",
                                  noncanonical, ToHex(checkpoint_.root), " " + b64}) {
    EXPECT_EQ(CodeOf(Verify(SignBody(Body("1234", root)))), Status::Code::kInvalidArgument) << root;
  }
}

// libsodium 1.0.18 reads any byte from 0x80 up as '/'; "é" is two such
// bytes, so without an alphabet check it would stand in for "//".
TEST_F(CheckpointTest, NonAsciiInBase64IsRefused) {
  Hash all_ones;
  all_ones.fill(0xFF);
  std::string root = ToBase64(AsBytes(all_ones));
  ASSERT_EQ(root.substr(0, 2), "//");
  root.replace(0, 2, "\xC3\xA9");
  auto r = Verify(SignBody(Body("1234", root)));
  EXPECT_EQ(CodeOf(r), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("root hash"), std::string::npos) << r.status().message();

  std::string vkey = VerifierKeyString(kName, key_.public_key());
  const size_t slash = vkey.rfind('/');
  if (slash != std::string::npos) {
    vkey.replace(slash, 1, "\xC3");
    EXPECT_FALSE(ParseVerifierKey(vkey).ok());
  }
  const std::string body = CheckpointBody(checkpoint_);
  const std::string foreign = std::string(kEmDashSpace) +
                              "witness \xC3\xA9\xC3\xA9"
                              "AAAAAAAAAA==\n";
  EXPECT_EQ(CodeOf(Verify(body + "\n" + SignatureLine(kName, key_, body) + foreign)),
            Status::Code::kInvalidArgument);
}

TEST_F(CheckpointTest, EmptyOriginIsRefused) {
  const std::string body = "\n1234\n" + RootBase64() + "\n";
  EXPECT_EQ(CodeOf(Verify(SignBody(body))), Status::Code::kInvalidArgument);
}

TEST_F(CheckpointTest, BodyWithoutRootLineIsRefused) {
  const std::string body = std::string(kName) + "\n1234\n";
  EXPECT_EQ(CodeOf(Verify(SignBody(body))), Status::Code::kInvalidArgument);
}

TEST_F(CheckpointTest, EmptyExtensionLineIsRefused) {
  const std::string body = CheckpointBody(checkpoint_) + "\nafter a gap\n";
  EXPECT_EQ(CodeOf(Verify(SignBody(body))), Status::Code::kInvalidArgument);
}

TEST_F(CheckpointTest, FailedSignatureByOurKeyRefusesNoteEvenIfAnotherVerifies) {
  const std::string body = CheckpointBody(checkpoint_);
  const std::string good = SignatureLine(kName, key_, body);
  const std::string bad = SignatureLine(kName, key_, body + "x");  // our key, other text
  EXPECT_EQ(CodeOf(Verify(body + "\n" + bad + good)), Status::Code::kUnauthenticated);
  EXPECT_EQ(CodeOf(Verify(body + "\n" + good + bad)), Status::Code::kUnauthenticated);
}

TEST_F(CheckpointTest, OurSignatureOfWrongLengthIsRefused) {
  const std::string body = CheckpointBody(checkpoint_);
  std::string line = SignatureLine(kName, key_, body);
  // Re-encode the blob with one signature byte dropped.
  const size_t b64_begin = kEmDashSpace.size() + kName.size() + 1;
  auto blob = FromBase64(std::string_view(line).substr(b64_begin, line.size() - b64_begin - 1));
  ASSERT_TRUE(blob.ok());
  blob->pop_back();
  line = line.substr(0, b64_begin) + ToBase64(*blob) + "\n";
  EXPECT_EQ(CodeOf(Verify(body + "\n" + line)), Status::Code::kUnauthenticated);
}

TEST_F(CheckpointTest, MalformedForeignSignatureLineRefusesTheWholeNote) {
  const std::string body = CheckpointBody(checkpoint_);
  const std::string ours = SignatureLine(kName, key_, body);
  const std::vector<std::string> bad_lines = {
      "-- witness AAAAAAAA\n",                             // ASCII dashes, not U+2014
      "\xE2\x80\x94witness AAAAAAAA\n",                    // no space after the dash
      std::string(kEmDashSpace) + "witnessAAAAAAAA\n",     // no space before the signature
      std::string(kEmDashSpace) + "witness \n",            // no signature
      std::string(kEmDashSpace) + " AAAAAAAA\n",           // no name
      std::string(kEmDashSpace) + "wit+ness AAAAAAAA\n",   // '+' in the name
      std::string(kEmDashSpace) + "witness AAAAAA==\n",    // 4 bytes: a key hash, no signature
      std::string(kEmDashSpace) + "witness AAAA AAAA\n",   // space inside the base64
      std::string(kEmDashSpace) + "witness AAAAAAA\n",     // bad padding
      std::string(kEmDashSpace) + "witness AAAAAAAA\n\n",  // trailing blank line
  };
  for (const std::string& bad : bad_lines) {
    EXPECT_EQ(CodeOf(Verify(body + "\n" + ours + bad)), Status::Code::kInvalidArgument) << bad;
    EXPECT_FALSE(Verify(body + "\n" + bad + ours).ok()) << bad;
  }
}

TEST_F(CheckpointTest, MoreThanAHundredSignaturesAreRefused) {
  const std::string body = CheckpointBody(checkpoint_);
  std::string note = body + "\n" + SignatureLine(kName, key_, body);
  const std::string foreign = SignatureLine(kForeignName, other_key_, body);
  for (int i = 0; i < 99; ++i) note += foreign;
  EXPECT_TRUE(Verify(note).ok());
  note += foreign;
  EXPECT_EQ(CodeOf(Verify(note)), Status::Code::kResourceExhausted);
}

TEST_F(CheckpointTest, MalformedVerifierKeysAreRefused) {
  const std::string vkey = VerifierKeyString(kName, key_.public_key());
  ASSERT_TRUE(ParseVerifierKey(vkey).ok());
  // Every proper substring, as the reference implementation's tests do.
  for (size_t i = 0; i <= vkey.size(); ++i) {
    for (size_t j = i + 1; j <= vkey.size(); ++j) {
      if (i == 0 && j == vkey.size()) continue;
      EXPECT_FALSE(ParseVerifierKey(std::string_view(vkey).substr(i, j - i)).ok())
          << vkey.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < vkey.size(); ++i) {
    std::string changed = vkey;
    ++changed[i];
    EXPECT_FALSE(ParseVerifierKey(changed).ok()) << changed;
  }
  EXPECT_FALSE(ParseVerifierKey("").ok());
  EXPECT_FALSE(ParseVerifierKey("++").ok());
}

TEST_F(CheckpointTest, VerifierKeyForAnotherAlgorithmIsRefused) {
  // A key with signature type 0x02 (ECDSA) and a hash computed for it.
  std::string typed_key(1, '\x02');
  typed_key += AsBytes(key_.public_key());
  std::string hash_input = std::string(kName) + "\n" + typed_key;
  const Hash h = Sha256(hash_input);
  const std::string vkey =
      std::string(kName) + "+" + ToHex(h.data(), 4) + "+" + ToBase64(typed_key);
  auto r = ParseVerifierKey(vkey);
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("Ed25519"), std::string::npos) << r.status().message();
}

TEST_F(CheckpointTest, VerifierKeyWithWrongKeyHashIsRefused) {
  std::string vkey = VerifierKeyString(kName, key_.public_key());
  const std::string other = VerifierKeyString(kName, other_key_.public_key());
  vkey.replace(kName.size() + 1, 8, other.substr(kName.size() + 1, 8));
  auto r = ParseVerifierKey(vkey);
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("does not match"), std::string::npos);
}

}  // namespace
}  // namespace dala::sync
