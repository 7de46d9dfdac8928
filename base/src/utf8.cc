#include "dala/base/utf8.h"

#include <cstdint>
#include <cstring>

namespace dala::utf8 {
namespace {

// Length of the well-formed sequence starting at s[i], or 0 if malformed.
size_t SequenceLength(std::string_view s, size_t i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<uint8_t>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[n]) return 0;            // overlong
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;     // surrogate
  if (cp > 0x10FFFF) return 0;
  return n;
}

// Every text answer is checked (IsValid) and measured (Length) on the
// laptop, on the server and in an audit, and string-length() in
// constraints measures again; most are ASCII or Cyrillic and Kazakh. So
// both loops skip ASCII eight bytes at a time, and take a two-byte
// sequence without decoding it: a lead of C2-DF and a continuation byte is
// always well formed (at least U+0080, never a surrogate). Anything else
// goes through SequenceLength. Utf8Test's ...OverAnyBytes tests hold both
// to a byte-by-byte account over random well-formed and malformed input.
size_t AsciiRun(std::string_view s, size_t i) {
  const size_t start = i;
  while (i + 8 <= s.size()) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if ((word & 0x8080808080808080ULL) != 0) break;
    i += 8;
  }
  return i - start;
}

size_t FastSequenceLength(std::string_view s, size_t i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF && i + 1 < s.size() && (static_cast<uint8_t>(s[i + 1]) & 0xC0) == 0x80) return 2;
  return SequenceLength(s, i);
}

size_t StepLength(std::string_view s, size_t i) {
  size_t n = SequenceLength(s, i);
  return n == 0 ? 1 : n;
}

}  // namespace

bool IsValid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    i += AsciiRun(s, i);
    if (i == s.size()) break;
    const size_t n = FastSequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

size_t Length(std::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size();) {
    const size_t ascii = AsciiRun(s, i);
    count += ascii;
    i += ascii;
    if (i == s.size()) break;
    const size_t n = FastSequenceLength(s, i);
    i += n == 0 ? 1 : n;
    ++count;
  }
  return count;
}

std::string Substr(std::string_view s, size_t start, size_t count) {
  size_t i = 0;
  for (size_t cp = 0; cp < start && i < s.size(); ++cp) i += StepLength(s, i);
  size_t j = i;
  for (size_t cp = 0; cp < count && j < s.size(); ++cp) j += StepLength(s, j);
  return std::string(s.substr(i, j - i));
}

std::string Printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = SequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (n == 1 && ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F))
      out.push_back('?');
    else
      out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace dala::utf8
