// The request-signature headers (sync/request_auth.h): every device request
// carries four headers the server checks before anything else. The input
// is method, target, body and the four header values, separated by
// newlines. Byte 0 picks whether the signature is the input's own (odd) or
// a true one made here over the other fields, so that the fuzzer also
// reaches the checks that follow a good signature.
#include "dala/base/hex.h"
#include "dala/sync/crypto.h"
#include "dala/sync/request_auth.h"
#include "fuzz_util.h"

namespace {

const dala::sync::SigningKey& Key() {
  static const dala::sync::SigningKey key = [] {
    (void)dala::sync::InitCrypto();
    uint8_t seed[dala::sync::SigningKey::kSeedSize] = {9};
    return dala::sync::SigningKey::FromSeed(seed);
  }();
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool sign_here = (data[0] & 1) == 0;
  auto f = dala::fuzz::Split(dala::fuzz::Bytes(data + 1, size - 1), '\n', 7);
  f.resize(7);
  const std::string_view method = f[0], target = f[1], body = f[2], timestamp = f[4], nonce = f[5];
  std::string device(f[3]), signature(f[6]);
  if (sign_here) {
    device = dala::ToHex(std::string_view(reinterpret_cast<const char*>(Key().public_key().data()), 32));
    // The signed text needs a number; an input whose timestamp is not one
    // is still checked, with a signature over 0.
    int64_t ms = 0;
    for (char c : timestamp.substr(0, 18)) ms = c >= '0' && c <= '9' ? ms * 10 + (c - '0') : ms;
    const dala::sync::Signature s =
        Key().Sign(dala::sync::kRequestDomain, dala::sync::CanonicalRequest(method, target, body, ms, nonce));
    signature = dala::ToHex(std::string_view(reinterpret_cast<const char*>(s.data()), s.size()));
  }
  auto credentials =
      dala::sync::VerifyRequestSignature(method, target, body, device, timestamp, nonce, signature);
  if (!credentials.ok()) return 0;
  if (credentials->nonce != nonce) dala::fuzz::Fail("accepted credentials name another nonce");
  static dala::sync::ReplayCache cache(0, 1024);
  (void)cache.CheckFresh(*credentials, credentials->timestamp_ms, 300'000);
  return 0;
}
