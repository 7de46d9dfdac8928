// Device request signatures: how a laptop proves that an HTTP request comes
// from its enrolled key, and how the server refuses stale or replayed ones.
// Pure functions over bytes; no HTTP library here.
//
// The signed message (the canonical request) is
//
//   "dala-request-v1\n" METHOD "\n" TARGET "\n" hex(SHA-256(body)) "\n"
//   TIMESTAMP_MS "\n" NONCE
//
// signed as SigningKey::Sign(kRequestDomain, <everything after the domain
// line>), so the Ed25519 input is exactly the text above. TARGET is the
// request target byte for byte as it appears on the request line (path
// and query, no fragment), TIMESTAMP_MS decimal milliseconds since the
// Unix epoch without sign or leading zeros, NONCE 32 lowercase hex digits
// (16 random bytes). The domain line keeps these signatures apart from
// every other signature a device key makes (envelopes, enrolment).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "dala/base/status.h"
#include "dala/sync/crypto.h"
#include "dala/sync/signature_domains.h"

namespace dala::sync {

inline constexpr std::string_view kDeviceHeader = "X-Dala-Device";        // 64 hex: the public key
inline constexpr std::string_view kTimestampHeader = "X-Dala-Timestamp";  // decimal ms
inline constexpr std::string_view kNonceHeader = "X-Dala-Nonce";          // 32 lowercase hex
inline constexpr std::string_view kSignatureHeader = "X-Dala-Signature";  // 128 hex

// The reasons (Status::reason) of the two refusals ReplayCache::CheckFresh
// and CheckTimestamp return, so callers can tell them apart.
inline constexpr std::string_view kStaleRequest = "stale_request";
inline constexpr std::string_view kReplayedRequest = "replayed_request";

// The text after the domain line: METHOD "\n" TARGET "\n" ... NONCE.
[[nodiscard]] std::string CanonicalRequest(std::string_view method, std::string_view target, std::string_view body,
                                           int64_t timestamp_ms, std::string_view nonce);

// The four headers, in the order above. `target` must be the exact target
// the HTTP client will put on the request line (after its own escaping).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> SignRequest(const SigningKey& key,
                                                                           std::string_view method,
                                                                           std::string_view target,
                                                                           std::string_view body, int64_t now_ms,
                                                                           Random& random);

struct RequestCredentials {
  PublicKey device{};
  int64_t timestamp_ms = 0;
  std::string nonce;
};

// Checks the header values and the signature. InvalidArgument when a
// header is missing or malformed (odd hex, wrong length, a timestamp that
// is not canonical decimal, a method or target that cannot be canonical);
// Unauthenticated when the signature does not verify. Says nothing about
// freshness: see ReplayCache.
[[nodiscard]] Result<RequestCredentials> VerifyRequestSignature(std::string_view method, std::string_view target,
                                                                std::string_view body, std::string_view device_hex,
                                                                std::string_view timestamp_text, std::string_view nonce,
                                                                std::string_view signature_hex);

// Unauthenticated(kStaleRequest ...) when |now - timestamp| > window.
[[nodiscard]] Status CheckTimestamp(int64_t timestamp_ms, int64_t now_ms, int64_t window_ms);

// Remembers the (device, nonce) pairs of accepted requests for as long as
// their timestamps are inside the freshness window, and refuses a pair
// seen again. Thread-safe.
//
// Across a restart the cache is empty and cannot know which nonces it has
// seen, so it refuses every timestamp earlier than its own creation
// (`started_ms`, the process start): a request captured before a restart
// can never be replayed after it. The cost is that, just after a restart, a
// device whose clock lags the server's is refused (as stale) until its
// clock passes the start time, at most one window; clients retry.
//
// Memory is bounded by the request rate times the window: entries whose
// timestamp has left the window are evicted on every check, and past
// `max_entries` live entries new requests are refused as Unavailable
// rather than letting the cache grow.
class ReplayCache {
 public:
  explicit ReplayCache(int64_t started_ms, size_t max_entries = size_t{1} << 20)
      : started_ms_(started_ms), max_entries_(max_entries) {}

  // OK records the request. Unauthenticated(kStaleRequest ...) when
  // |now - timestamp| > window or the timestamp predates the cache;
  // Unauthenticated(kReplayedRequest ...) when the pair was seen within
  // the window.
  [[nodiscard]] Status CheckFresh(const RequestCredentials& credentials, int64_t now_ms, int64_t window_ms);

  size_t size() const;

 private:
  void EvictOlderThan(int64_t cutoff_ms);

  const int64_t started_ms_;
  const size_t max_entries_;
  mutable std::mutex mutex_;
  int64_t high_water_ms_ = 0;  // the latest `now` seen
  // (device, nonce) -> timestamp, and the same ordered by timestamp for
  // eviction.
  std::map<std::pair<PublicKey, std::string>, int64_t> seen_;
  std::set<std::tuple<int64_t, PublicKey, std::string>> by_time_;
};

}  // namespace dala::sync
