// Decimal text <-> double, shared by Value conversions, the expression lexer
// and round(). Internal to dala_schema.
#pragma once

#include <string>
#include <string_view>

namespace dala::schema::internal {

// The shortest decimal digits that read back as the same double:
// |d| = 0.digits * 10^exponent, digits without leading or trailing zeros.
struct ShortestDecimal {
  char digits[24];
  int count = 0;
  int exponent = 0;
  bool negative = false;
};

// `d` must be finite and non-zero.
ShortestDecimal ToShortestDecimal(double d);

// Plain decimal notation, never an exponent, because the expression language
// has no exponent syntax and number->string->number must round-trip:
// "3", "0.1", "-2.5", "1000000000000000000000"; "NaN", "Infinity",
// "-Infinity"; negative zero prints as "0".
std::string FormatNumber(double d);

// Strict XPath number syntax: ['-'] (digits ['.' [digits]] | '.' digits).
// No whitespace, no '+', no exponent. Overflow gives +-Infinity and
// underflow +-0, as decimal-to-binary rounding does. False if malformed.
bool ParseDecimal(std::string_view text, bool allow_minus, double* out);

}  // namespace dala::schema::internal
