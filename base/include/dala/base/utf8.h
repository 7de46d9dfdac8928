// UTF-8 helpers. Kazakh and Russian text must round-trip byte for byte, so
// Dala never transcodes: it validates, counts and slices by code point.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dala::utf8 {

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValid(std::string_view s);

// Number of code points; each malformed byte counts as one.
size_t Length(std::string_view s);

// The code points [start, start+count) of `s`, clamped to its length.
std::string Substr(std::string_view s, size_t start, size_t count = std::string_view::npos);

// `s` safe to print on a terminal or in a report: each malformed byte
// becomes U+FFFD, and control characters (escape sequences, carriage
// returns, U+007F) become '?'; newlines and tabs are kept.
std::string Printable(std::string_view s);

// Leading and trailing ASCII whitespace removed.
std::string_view Trim(std::string_view s);

}  // namespace dala::utf8
