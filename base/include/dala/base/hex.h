// Hex and base64, the two text forms of bytes in Dala's formats. Both come
// from libsodium, whose hex encoder runs in constant time (keys and seeds
// pass through here).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dala/base/status.h"

namespace dala {

// Lower-case hex.
std::string ToHex(const uint8_t* data, size_t size);
std::string ToHex(std::string_view bytes);
template <size_t N>
std::string ToHex(const std::array<uint8_t, N>& a) {
  return ToHex(a.data(), N);
}

// Lower- or upper-case hex of exactly `size` bytes. False, leaving `out`
// unspecified, for anything else: callers must not use `out` then.
[[nodiscard]] bool FromHex(std::string_view hex, uint8_t* out, size_t size);
Result<std::string> FromHex(std::string_view hex);
template <size_t N>
[[nodiscard]] bool FromHex(std::string_view hex, std::array<uint8_t, N>* out) {
  return FromHex(hex, out->data(), N);
}

// Standard base64 with padding (RFC 4648 section 4), as C2SP notes use.
std::string ToBase64(std::string_view bytes);
Result<std::string> FromBase64(std::string_view text);

}  // namespace dala
