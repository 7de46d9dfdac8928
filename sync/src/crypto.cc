#include "dala/sync/crypto.h"

#include <sodium.h>

#ifdef DALA_SHA256_OPENSSL
#include <openssl/evp.h>
#endif

#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "dala/base/strings.h"

namespace dala::sync {

Status InitCrypto() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] { result = sodium_init(); });
  if (result < 0) return Status::Internal("libsodium failed to initialise");
  return Status::Ok();
}

void SystemRandom::Fill(uint8_t* out, size_t size) {
  (void)InitCrypto();
  randombytes_buf(out, size);
}

SeededRandom::SeededRandom(uint64_t seed) {
  for (size_t i = 0; i < 8; ++i) key_[i] = static_cast<uint8_t>(seed >> (8 * i));
}

void SeededRandom::Fill(uint8_t* out, size_t size) {
  // Each call draws from a fresh nonce, so the stream never repeats.
  unsigned char nonce[crypto_stream_chacha20_NONCEBYTES] = {};
  for (size_t i = 0; i < 8; ++i) nonce[i] = static_cast<unsigned char>(counter_ >> (8 * i));
  ++counter_;
  crypto_stream_chacha20(out, size, nonce, key_.data());
}

#ifdef DALA_SHA256_OPENSSL
// SHA-256 is the audit's and the server's second cost after Ed25519: every
// envelope is hashed for its id and its Merkle leaf, and every state for
// its digest. libsodium's SHA-256 is portable C; OpenSSL's uses the CPU's
// SHA extensions or vector units, 3-4 times faster on a 700-byte envelope
// (2.7 against 0.7 us here). The algorithm object is fetched once: an
// implicit fetch on every hash costs a fifth of the hash. The Windows build
// has no OpenSSL and keeps libsodium's (sync/CMakeLists.txt).
namespace {

const EVP_MD* Sha256Algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

EVP_MD_CTX*& Context(unsigned char* state) { return *reinterpret_cast<EVP_MD_CTX**>(state); }

// OpenSSL fails only on allocation failure or a missing provider; a hash
// that silently came out wrong would pass for tampering, so stop instead.
void Require(bool ok) {
  if (!ok) throw std::bad_alloc();
}

}  // namespace

Hash Sha256(std::string_view data) {
  Hash h;
  Require(EVP_Digest(data.data(), data.size(), h.data(), nullptr, Sha256Algorithm(), nullptr) == 1);
  return h;
}

Sha256Builder::Sha256Builder() {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Require(ctx != nullptr && EVP_DigestInit_ex(ctx, Sha256Algorithm(), nullptr) == 1);
  Context(state_) = ctx;
}

Sha256Builder::~Sha256Builder() { EVP_MD_CTX_free(Context(state_)); }

Sha256Builder& Sha256Builder::Add(const uint8_t* data, size_t size) {
  Require(EVP_DigestUpdate(Context(state_), data, size) == 1);
  return *this;
}

Hash Sha256Builder::Finish() {
  Hash h;
  Require(EVP_DigestFinal_ex(Context(state_), h.data(), nullptr) == 1);
  return h;
}

#else

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "Sha256Builder state too small");

Hash Sha256(std::string_view data) {
  Hash h;
  crypto_hash_sha256(h.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return h;
}

Sha256Builder::Sha256Builder() {
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_));
}

Sha256Builder::~Sha256Builder() = default;

Sha256Builder& Sha256Builder::Add(const uint8_t* data, size_t size) {
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_), data, size);
  return *this;
}

Hash Sha256Builder::Finish() {
  Hash h;
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_), h.data());
  return h;
}

#endif

Sha256Builder& Sha256Builder::Add(std::string_view data) {
  return Add(reinterpret_cast<const uint8_t*>(data.data()), data.size());
}

std::string_view AsBytes(const Hash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

bool ConstantTimeEqual(const uint8_t* a, const uint8_t* b, size_t size) {
  return sodium_memcmp(a, b, size) == 0;
}

// --- Ed25519 ----------------------------------------------------------------

SigningKey::SigningKey() {
  (void)InitCrypto();  // sodium_malloc needs the library initialised
  secret_ = static_cast<unsigned char*>(sodium_malloc(crypto_sign_SECRETKEYBYTES));
  if (secret_ == nullptr) throw std::bad_alloc();
}

SigningKey::~SigningKey() {
  if (secret_ != nullptr) sodium_free(secret_);  // zeroes before freeing
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : secret_(other.secret_), public_key_(other.public_key_) {
  other.secret_ = nullptr;
}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    if (secret_ != nullptr) sodium_free(secret_);
    secret_ = other.secret_;
    public_key_ = other.public_key_;
    other.secret_ = nullptr;
  }
  return *this;
}

SigningKey SigningKey::FromSeed(const uint8_t seed[kSeedSize]) {
  SigningKey key;
  crypto_sign_seed_keypair(key.public_key_.data(), key.secret_, seed);
  return key;
}

SigningKey SigningKey::Generate(Random& random) {
  (void)InitCrypto();
  unsigned char* seed = static_cast<unsigned char*>(sodium_malloc(kSeedSize));
  if (seed == nullptr) throw std::bad_alloc();
  random.Fill(seed, kSeedSize);
  SigningKey key = FromSeed(seed);
  sodium_free(seed);
  return key;
}

void SigningKey::CopySeed(uint8_t out[kSeedSize]) const {
  crypto_sign_ed25519_sk_to_seed(out, secret_);
}

namespace {

// Domain label and message joined in one buffer: messages are small
// (envelopes, request digests), so one copy costs less than a streaming API.
std::string Join(std::string_view domain, std::string_view message) {
  std::string m;
  m.reserve(domain.size() + message.size());
  m.append(domain);
  m.append(message);
  return m;
}

}  // namespace

Signature SigningKey::Sign(std::string_view domain, std::string_view message) const {
  Signature sig;
  std::string m = Join(domain, message);
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(m.data()),
                       m.size(), secret_);
  return sig;
}

bool VerifySignature(const PublicKey& key, std::string_view domain, std::string_view message,
                     const Signature& signature) {
  std::string m = Join(domain, message);
  return crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const unsigned char*>(m.data()), m.size(),
                                     key.data()) == 0;
}

bool VerifyRaw(const PublicKey& key, std::string_view message, std::string_view signature) {
  if (signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.data()) == 0;
}

// --- keys at rest -------------------------------------------------------------

namespace {

constexpr std::string_view kSealedKeyTag = "dala-key-v1";

// A key derived from a passphrase, in guarded memory.
class DerivedKey {
 public:
  DerivedKey() : key_(nullptr) {
    (void)InitCrypto();  // sodium_malloc needs the library initialised
    key_ = static_cast<unsigned char*>(sodium_malloc(crypto_secretbox_KEYBYTES));
    if (key_ == nullptr) throw std::bad_alloc();
  }
  ~DerivedKey() { sodium_free(key_); }
  DerivedKey(const DerivedKey&) = delete;
  DerivedKey& operator=(const DerivedKey&) = delete;
  unsigned char* data() { return key_; }

 private:
  unsigned char* key_;
};

Status Derive(std::string_view passphrase, const SealedKey& sealed, DerivedKey* out) {
  if (sealed.opslimit < crypto_pwhash_OPSLIMIT_MIN || sealed.opslimit > crypto_pwhash_OPSLIMIT_MAX ||
      sealed.memlimit < crypto_pwhash_MEMLIMIT_MIN || sealed.memlimit > (size_t{1} << 32)) {
    return Status::InvalidArgument("key file has out-of-range Argon2id parameters");
  }
  if (crypto_pwhash(out->data(), crypto_secretbox_KEYBYTES, passphrase.data(), passphrase.size(),
                    sealed.salt.data(), sealed.opslimit, static_cast<size_t>(sealed.memlimit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::ResourceExhausted("not enough memory to derive the key from the passphrase");
  }
  return Status::Ok();
}

}  // namespace

Result<SealedKey> SealKey(const SigningKey& key, std::string_view passphrase, Random& random,
                          const KdfParams& params) {
  static_assert(crypto_pwhash_SALTBYTES == 16 && crypto_secretbox_NONCEBYTES == 24);
  SealedKey sealed;
  random.Fill(sealed.salt.data(), sealed.salt.size());
  random.Fill(sealed.nonce.data(), sealed.nonce.size());
  sealed.opslimit = params.opslimit;
  sealed.memlimit = params.memlimit;
  sealed.public_key = key.public_key();

  DerivedKey derived;
  DALA_RETURN_IF_ERROR(Derive(passphrase, sealed, &derived));
  unsigned char* seed = static_cast<unsigned char*>(sodium_malloc(SigningKey::kSeedSize));
  if (seed == nullptr) return Status::ResourceExhausted("out of memory");
  key.CopySeed(seed);
  sealed.ciphertext.assign(SigningKey::kSeedSize + crypto_secretbox_MACBYTES, '\0');
  crypto_secretbox_easy(reinterpret_cast<unsigned char*>(sealed.ciphertext.data()), seed,
                        SigningKey::kSeedSize, sealed.nonce.data(), derived.data());
  sodium_free(seed);
  return sealed;
}

Result<SigningKey> OpenKey(const SealedKey& sealed, std::string_view passphrase) {
  if (sealed.ciphertext.size() != SigningKey::kSeedSize + crypto_secretbox_MACBYTES)
    return Status::Corruption("key file ciphertext has the wrong length");
  DerivedKey derived;
  DALA_RETURN_IF_ERROR(Derive(passphrase, sealed, &derived));
  unsigned char* seed = static_cast<unsigned char*>(sodium_malloc(SigningKey::kSeedSize));
  if (seed == nullptr) return Status::ResourceExhausted("out of memory");
  if (crypto_secretbox_open_easy(seed,
                                 reinterpret_cast<const unsigned char*>(sealed.ciphertext.data()),
                                 sealed.ciphertext.size(), sealed.nonce.data(),
                                 derived.data()) != 0) {
    sodium_free(seed);
    return Status::Unauthenticated("wrong passphrase");
  }
  SigningKey key = SigningKey::FromSeed(seed);
  sodium_free(seed);
  if (key.public_key() != sealed.public_key)
    return Status::Corruption("key file public key does not match its secret key");
  return key;
}

std::string SealedKey::Serialize() const {
  std::string s(kSealedKeyTag);
  s += " argon2id13 " + std::to_string(opslimit) + " " + std::to_string(memlimit) + " " +
       ToHex(salt) + " xsalsa20poly1305 " + ToHex(nonce) + " " + ToHex(ciphertext) + " ed25519 " +
       ToHex(public_key);
  return s;
}

Result<SealedKey> SealedKey::Parse(std::string_view text) {
  const std::vector<std::string_view> fields = Split(text, ' ');
  auto bad = [] { return Status::Corruption("key file is not a dala-key-v1 record"); };
  if (fields.size() != 10 || fields[0] != kSealedKeyTag || fields[1] != "argon2id13" ||
      fields[5] != "xsalsa20poly1305" || fields[8] != "ed25519") {
    return bad();
  }
  SealedKey k;
  try {
    k.opslimit = std::stoull(std::string(fields[2]));
    k.memlimit = std::stoull(std::string(fields[3]));
  } catch (...) {
    return bad();
  }
  if (!FromHex(fields[4], &k.salt) || !FromHex(fields[6], &k.nonce) ||
      !FromHex(fields[9], &k.public_key)) {
    return bad();
  }
  auto ct = FromHex(fields[7]);
  if (!ct.ok()) return bad();
  k.ciphertext = std::move(ct).value();
  return k;
}

Result<std::string> HashPassword(std::string_view password) {
  DALA_RETURN_IF_ERROR(InitCrypto());
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), kPasswordHashPasses, kPasswordHashBytes) != 0) {
    return Status::ResourceExhausted("not enough memory to hash the password");
  }
  return std::string(out);
}

bool CheckPassword(std::string_view encoded_hash, std::string_view password) {
  std::string h(encoded_hash);  // needs NUL termination
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

bool PasswordHashIsOutdated(std::string_view encoded_hash) {
  std::string h(encoded_hash);  // needs NUL termination
  // 1: other parameters; -1: not an Argon2id hash at all (Argon2i too).
  return crypto_pwhash_argon2id_str_needs_rehash(h.c_str(), kPasswordHashPasses, kPasswordHashBytes) != 0;
}

}  // namespace dala::sync
