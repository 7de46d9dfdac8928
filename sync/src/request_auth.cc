#include "dala/sync/request_auth.h"

#include <charconv>
#include <cstdlib>

namespace dala::sync {

namespace {

constexpr size_t kNonceBytes = 16;
constexpr size_t kMaxTargetBytes = 8192;  // httplib refuses longer request lines anyway

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// An HTTP method token as Dala uses them: upper-case letters only, so it
// can never contain the separator.
bool IsCanonicalMethod(std::string_view method) {
  if (method.empty() || method.size() > 16) return false;
  for (char c : method)
    if (c < 'A' || c > 'Z') return false;
  return true;
}

// A request target as it can appear on an HTTP/1.1 request line: visible
// ASCII, no spaces or controls, so the canonical form is unambiguous.
bool IsCanonicalTarget(std::string_view target) {
  if (target.empty() || target.front() != '/' || target.size() > kMaxTargetBytes) return false;
  for (char c : target)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

// Only one spelling per instant: digits, no sign, no leading zero.
bool ParseTimestamp(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  if (text.size() > 1 && text.front() == '0') return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

std::string CanonicalRequest(std::string_view method, std::string_view target, std::string_view body,
                             int64_t timestamp_ms, std::string_view nonce) {
  std::string m;
  m.reserve(method.size() + target.size() + nonce.size() + 100);
  m.append(method).append("\n");
  m.append(target).append("\n");
  m.append(ToHex(Sha256(body))).append("\n");
  m.append(std::to_string(timestamp_ms)).append("\n");
  m.append(nonce);
  return m;
}

std::vector<std::pair<std::string, std::string>> SignRequest(const SigningKey& key, std::string_view method,
                                                             std::string_view target, std::string_view body,
                                                             int64_t now_ms, Random& random) {
  uint8_t nonce_bytes[kNonceBytes];
  random.Fill(nonce_bytes, sizeof nonce_bytes);
  std::string nonce = ToHex(nonce_bytes, sizeof nonce_bytes);
  Signature sig = key.Sign(kRequestDomain, CanonicalRequest(method, target, body, now_ms, nonce));
  return {
      {std::string(kDeviceHeader), ToHex(key.public_key())},
      {std::string(kTimestampHeader), std::to_string(now_ms)},
      {std::string(kNonceHeader), nonce},
      {std::string(kSignatureHeader), ToHex(sig)},
  };
}

Result<RequestCredentials> VerifyRequestSignature(std::string_view method, std::string_view target,
                                                  std::string_view body, std::string_view device_hex,
                                                  std::string_view timestamp_text, std::string_view nonce,
                                                  std::string_view signature_hex) {
  if (device_hex.empty() || timestamp_text.empty() || nonce.empty() || signature_hex.empty()) {
    return Status::InvalidArgument("a device request needs the headers X-Dala-Device, X-Dala-Timestamp, "
                                   "X-Dala-Nonce and X-Dala-Signature");
  }
  RequestCredentials c;
  if (!FromHex(device_hex, &c.device))
    return Status::InvalidArgument("X-Dala-Device must be 64 hex digits (the device's public key)");
  if (!ParseTimestamp(timestamp_text, &c.timestamp_ms))
    return Status::InvalidArgument("X-Dala-Timestamp must be milliseconds since the epoch, in decimal");
  if (nonce.size() != 2 * kNonceBytes || !IsLowerHex(nonce))
    return Status::InvalidArgument("X-Dala-Nonce must be 32 lowercase hex digits");
  Signature sig;
  if (!FromHex(signature_hex, &sig))
    return Status::InvalidArgument("X-Dala-Signature must be 128 hex digits");
  if (!IsCanonicalMethod(method)) return Status::InvalidArgument("the request method cannot be signed");
  if (!IsCanonicalTarget(target)) return Status::InvalidArgument("the request target cannot be signed");
  c.nonce = std::string(nonce);
  if (!VerifySignature(c.device, kRequestDomain, CanonicalRequest(method, target, body, c.timestamp_ms, nonce),
                       sig)) {
    return Status::Unauthenticated("the request signature does not verify");
  }
  return c;
}

Status CheckTimestamp(int64_t timestamp_ms, int64_t now_ms, int64_t window_ms) {
  // Both are bounded (18 digits, a real clock), so the difference cannot overflow.
  int64_t skew = timestamp_ms - now_ms;
  if (std::llabs(skew) > window_ms) {
    return Status(Status::Code::kUnauthenticated, kStaleRequest, "the timestamp is " +
                                   std::to_string(std::llabs(skew) / 1000) + " s " +
                                   (skew < 0 ? "behind" : "ahead of") +
                                   " the server's clock; check the laptop's date and time");
  }
  return Status::Ok();
}

Status ReplayCache::CheckFresh(const RequestCredentials& credentials, int64_t now_ms, int64_t window_ms) {
  DALA_RETURN_IF_ERROR(CheckTimestamp(credentials.timestamp_ms, now_ms, window_ms));
  if (credentials.timestamp_ms < started_ms_) {
    return Status(Status::Code::kUnauthenticated, kStaleRequest, "the request predates the server's last restart; send it again");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  // Entries are evicted against the latest time seen, so if the server's
  // clock steps back, timestamps older than what may have been evicted are
  // refused rather than accepted twice.
  if (now_ms > high_water_ms_) high_water_ms_ = now_ms;
  if (credentials.timestamp_ms < high_water_ms_ - window_ms) {
    return Status(Status::Code::kUnauthenticated, kStaleRequest, "the timestamp is older than the freshness window");
  }
  // An entry can be replayed only while its timestamp is within the window.
  EvictOlderThan(high_water_ms_ - window_ms);
  auto key = std::make_pair(credentials.device, credentials.nonce);
  if (seen_.count(key) != 0)
    return Status(Status::Code::kUnauthenticated, kReplayedRequest, "this nonce was already used");
  if (seen_.size() >= max_entries_)
    return Status::Unavailable("too many requests in the freshness window; try again shortly");
  seen_.emplace(key, credentials.timestamp_ms);
  by_time_.emplace(credentials.timestamp_ms, credentials.device, credentials.nonce);
  return Status::Ok();
}

void ReplayCache::EvictOlderThan(int64_t cutoff_ms) {
  while (!by_time_.empty() && std::get<0>(*by_time_.begin()) < cutoff_ms) {
    const auto& oldest = *by_time_.begin();
    seen_.erase(std::make_pair(std::get<1>(oldest), std::get<2>(oldest)));
    by_time_.erase(by_time_.begin());
  }
}

size_t ReplayCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seen_.size();
}

}  // namespace dala::sync
