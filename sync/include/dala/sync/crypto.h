// Cryptographic primitives, all from libsodium: SHA-256, Ed25519, Argon2id
// and XSalsa20-Poly1305. Nothing here invents cryptography; it only gives
// libsodium's functions types that are hard to misuse.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dala/base/hex.h"
#include "dala/base/status.h"

namespace dala::sync {

using Hash = std::array<uint8_t, 32>;
using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

// Must be called once before any other function here (idempotent, thread-safe).
Status InitCrypto();

// Random bytes, behind an interface so tests can be deterministic.
class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(uint8_t* out, size_t size) = 0;
};

// libsodium's randombytes_buf (the kernel's getrandom).
class SystemRandom final : public Random {
 public:
  void Fill(uint8_t* out, size_t size) override;
};

// A deterministic stream (ChaCha20 keyed by a seed): for tests only.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed);
  void Fill(uint8_t* out, size_t size) override;

 private:
  std::array<uint8_t, 32> key_{};
  uint64_t counter_ = 0;
};

// --- hashing --------------------------------------------------------------

[[nodiscard]] Hash Sha256(std::string_view data);

class Sha256Builder {
 public:
  Sha256Builder();
  ~Sha256Builder();
  Sha256Builder(const Sha256Builder&) = delete;
  Sha256Builder& operator=(const Sha256Builder&) = delete;
  Sha256Builder& Add(std::string_view data);
  Sha256Builder& Add(const uint8_t* data, size_t size);
  [[nodiscard]] Hash Finish();

 private:
  // libsodium's state in place, or a pointer to OpenSSL's context where
  // OpenSSL hashes (crypto.cc).
  alignas(16) unsigned char state_[128];
};

// --- encodings --------------------------------------------------------------

[[nodiscard]] std::string_view AsBytes(const Hash& h);

// Constant-time comparison.
[[nodiscard]] bool ConstantTimeEqual(const uint8_t* a, const uint8_t* b, size_t size);

// --- Ed25519 ----------------------------------------------------------------

// A signing key in guarded memory (sodium_malloc: guard pages, mlock, and
// zeroed when freed). Move-only, so the secret has exactly one owner.
class SigningKey {
 public:
  static constexpr size_t kSeedSize = 32;

  [[nodiscard]] static SigningKey Generate(Random& random);
  [[nodiscard]] static SigningKey FromSeed(const uint8_t seed[kSeedSize]);

  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey();

  const PublicKey& public_key() const { return public_key_; }

  // Ed25519 signature over `domain` followed by `message`. The domain label
  // keeps a signature made for one purpose from being replayed as another.
  [[nodiscard]] Signature Sign(std::string_view domain, std::string_view message) const;

  // The 32-byte seed, for sealing at rest. The caller must wipe `out`.
  void CopySeed(uint8_t out[kSeedSize]) const;

 private:
  SigningKey();
  unsigned char* secret_ = nullptr;  // 64 bytes, libsodium layout (seed || pk)
  PublicKey public_key_{};
};

// Ed25519 verification of `domain` || `message` (libsodium: canonical S,
// small-order and non-canonical keys rejected).
[[nodiscard]] bool VerifySignature(const PublicKey& key, std::string_view domain, std::string_view message,
                                   const Signature& signature);
// The same over a raw message, with no domain label: used for test vectors.
[[nodiscard]] bool VerifyRaw(const PublicKey& key, std::string_view message, std::string_view signature);

// --- keys at rest -------------------------------------------------------------

// An Ed25519 seed sealed under a passphrase: Argon2id derives a key from the
// passphrase and a random salt; XSalsa20-Poly1305 (crypto_secretbox)
// encrypts the seed. The parameters travel with the ciphertext so they can
// be raised later without breaking old profiles.
struct SealedKey {
  std::array<uint8_t, 16> salt{};
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;
  std::array<uint8_t, 24> nonce{};
  std::string ciphertext;  // seed + 16-byte MAC
  PublicKey public_key{};  // stored in clear, to name the device before unlocking

  [[nodiscard]] std::string Serialize() const;  // one line of text, "dala-key-v1 ..." fields
  static Result<SealedKey> Parse(std::string_view text);
};

struct KdfParams {
  // Argon2id, 3 passes over 32 MiB: about a quarter of a second on an old
  // laptop, and within the client's memory budget.
  uint64_t opslimit = 3;
  uint64_t memlimit = 32u << 20;
};

Result<SealedKey> SealKey(const SigningKey& key, std::string_view passphrase, Random& random,
                          const KdfParams& params = {});
// Unauthenticated("wrong passphrase") if the passphrase does not open it.
Result<SigningKey> OpenKey(const SealedKey& sealed, std::string_view passphrase);

// Argon2id password hashes for people logging in to the server
// (crypto_pwhash_str: the encoded string carries salt and parameters).
// Two passes over 19 MiB, OWASP's baseline for Argon2id: a login's hash
// is the largest allocation a server makes, and libsodium's "interactive"
// 64 MiB alone took a server that had just synced 100,000 records past
// the dashboard's 150 MB.
inline constexpr uint64_t kPasswordHashPasses = 2;
inline constexpr size_t kPasswordHashBytes = size_t{19} << 20;
Result<std::string> HashPassword(std::string_view password);
[[nodiscard]] bool CheckPassword(std::string_view encoded_hash, std::string_view password);
// Whether `encoded_hash` was made with other parameters than HashPassword
// uses now (servers before this one hashed over 64 MiB), or is no Argon2id
// hash at all: the login that proves the password stores it again.
[[nodiscard]] bool PasswordHashIsOutdated(std::string_view encoded_hash);

}  // namespace dala::sync
