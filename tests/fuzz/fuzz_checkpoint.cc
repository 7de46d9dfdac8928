// Checkpoints and signed notes (sync/MERKLE.md): laptops and auditors parse
// notes the server signed, and verifier key lines people paste. Byte 0
// picks: 0, the rest is a whole note; 1, a verifier key line; 2, the rest
// is a note body that is signed here with the fuzzer's key, so that the
// fuzzer reaches the body's checks past the signature.
#include <sodium.h>

#include "dala/base/hex.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/crypto.h"
#include "fuzz_util.h"

namespace {

constexpr std::string_view kKeyName = "fuzz.example/log";

const dala::sync::SigningKey& Key() {
  static const dala::sync::SigningKey key = [] {
    (void)dala::sync::InitCrypto();
    uint8_t seed[dala::sync::SigningKey::kSeedSize] = {7};
    return dala::sync::SigningKey::FromSeed(seed);
  }();
  return key;
}

// `body` with one signature line by Key(), as SignCheckpoint writes it.
std::string SignBody(std::string_view body) {
  const dala::sync::Signature signature = Key().Sign("", body);
  const uint32_t key_hash = dala::sync::NoteKeyHash(kKeyName, Key().public_key());
  std::string blob;
  for (int shift = 24; shift >= 0; shift -= 8) blob.push_back(static_cast<char>(key_hash >> shift));
  blob.append(reinterpret_cast<const char*>(signature.data()), signature.size());
  return std::string(body) + "\n\xE2\x80\x94 " + std::string(kKeyName) + " " + dala::ToBase64(blob) + "\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest = dala::fuzz::Bytes(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      (void)dala::sync::VerifyCheckpoint(rest, kKeyName, Key().public_key(), kKeyName);
      break;
    case 1: {
      auto parsed = dala::sync::ParseVerifierKey(rest);
      if (!parsed.ok()) break;
      auto again = dala::sync::ParseVerifierKey(dala::sync::VerifierKeyString(parsed->first, parsed->second));
      if (!again.ok() || *again != *parsed) dala::fuzz::Fail("a verifier key line changes on a round trip");
      break;
    }
    default: {
      auto checkpoint = dala::sync::VerifyCheckpoint(SignBody(rest), kKeyName, Key().public_key(), kKeyName);
      // Extension lines may follow the three lines of the body; nothing else.
      if (checkpoint.ok() && !rest.starts_with(dala::sync::CheckpointBody(*checkpoint)))
        dala::fuzz::Fail("a checkpoint that verifies is not the body that was signed");
      break;
    }
  }
  return 0;
}
