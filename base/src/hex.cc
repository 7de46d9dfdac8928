#include "dala/base/hex.h"

#include <sodium.h>

namespace dala {

std::string ToHex(const uint8_t* data, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

std::string ToHex(std::string_view bytes) {
  return ToHex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

bool FromHex(std::string_view hex, uint8_t* out, size_t size) {
  if (hex.size() != size * 2) return false;
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out, size, hex.data(), hex.size(), nullptr, &written, &end) != 0) return false;
  return written == size && end == hex.data() + hex.size();
}

Result<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return Status::InvalidArgument("hex string has an odd length");
  std::string out(hex.size() / 2, '\0');
  if (!FromHex(hex, reinterpret_cast<uint8_t*>(out.data()), out.size()))
    return Status::InvalidArgument("not a hex string");
  return out;
}

std::string ToBase64(std::string_view bytes) {
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.pop_back();  // the terminating NUL
  return out;
}

Result<std::string> FromBase64(std::string_view text) {
  // libsodium 1.0.18 maps every byte >= 0x80 to '/', so the alphabet is
  // checked here first: "é" must not decode as "//".
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
              c == '/' || c == '=';
    if (!ok) return Status::InvalidArgument("not valid base64");
  }
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t written = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &written, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return Status::InvalidArgument("not valid base64");
  }
  out.resize(written);
  return out;
}

}  // namespace dala
