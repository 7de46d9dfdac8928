#include "dala/schema/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>

#include "dala/base/utf8.h"
#include "expr_number.h"
#include "calendar_math.h"

namespace dala::schema {

using internal::FloorDivMod;
using internal::LocalMs;

// ---------------------------------------------------------------------------
// Numbers as text.

namespace internal {

ShortestDecimal ToShortestDecimal(double d) {
  // std::to_chars without a precision gives the shortest round-tripping form;
  // scientific notation makes its digits and exponent easy to pick apart.
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  ShortestDecimal out;
  const char* p = buf;
  if (*p == '-') {
    out.negative = true;
    ++p;
  }
  for (; p < result.ptr && *p != 'e'; ++p) {
    if (*p == '.') continue;
    out.digits[out.count++] = *p;
  }
  int exp10 = 0;
  if (p < result.ptr) std::from_chars(p + (p[1] == '+' ? 2 : 1), result.ptr, exp10);
  while (out.count > 1 && out.digits[out.count - 1] == '0') --out.count;
  // "d.ddd e X" is 0.dddd * 10^(X+1).
  out.exponent = exp10 + 1;
  return out;
}

std::string FormatNumber(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";
  ShortestDecimal s = ToShortestDecimal(d);
  std::string out;
  if (s.negative) out += '-';
  if (s.exponent <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-s.exponent), '0');
    out.append(s.digits, static_cast<size_t>(s.count));
  } else if (s.exponent >= s.count) {
    out.append(s.digits, static_cast<size_t>(s.count));
    out.append(static_cast<size_t>(s.exponent - s.count), '0');
  } else {
    out.append(s.digits, static_cast<size_t>(s.exponent));
    out += '.';
    out.append(s.digits + s.exponent, static_cast<size_t>(s.count - s.exponent));
  }
  return out;
}

bool ParseDecimal(std::string_view text, bool allow_minus, double* out) {
  size_t i = 0;
  bool negative = false;
  if (allow_minus && i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  const size_t start = i;
  size_t int_digits = 0;
  size_t frac_digits = 0;
  bool nonzero_int_digit = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    nonzero_int_digit |= text[i] != '0';
    ++i;
    ++int_digits;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
      ++frac_digits;
    }
  }
  if (i != text.size() || int_digits + frac_digits == 0) return false;
  double value = 0;
  auto result = std::from_chars(text.data() + start, text.data() + text.size(), value,
                                std::chars_format::fixed);
  if (result.ec == std::errc::result_out_of_range) {
    value = nonzero_int_digit ? std::numeric_limits<double>::infinity() : 0.0;
  } else if (result.ec != std::errc() || result.ptr != text.data() + text.size()) {
    return false;
  }
  *out = negative ? -value : value;
  return true;
}

}  // namespace internal

// ---------------------------------------------------------------------------
// Calendar.

namespace {

constexpr int64_t kMsPerDay = 86'400'000;
constexpr int32_t kMaxOffsetMinutes = 14 * 60;

bool IsLeap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at text[*i].
bool ReadDigits(const std::string& text, size_t* i, int n, int* value) {
  if (*i + static_cast<size_t>(n) > text.size()) return false;
  int v = 0;
  for (int k = 0; k < n; ++k) {
    char c = text[*i + static_cast<size_t>(k)];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *i += static_cast<size_t>(n);
  *value = v;
  return true;
}

bool Expect(const std::string& text, size_t* i, char c) {
  if (*i >= text.size() || text[*i] != c) return false;
  ++*i;
  return true;
}

bool ReadDate(const std::string& text, size_t* i, int64_t* days) {
  int y, m, d;
  if (!ReadDigits(text, i, 4, &y) || !Expect(text, i, '-') || !ReadDigits(text, i, 2, &m) ||
      !Expect(text, i, '-') || !ReadDigits(text, i, 2, &d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || static_cast<unsigned>(d) > DaysInMonth(y, static_cast<unsigned>(m))) {
    return false;
  }
  *days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

// "HH:MM[:SS[.fff]]"; fractional digits beyond milliseconds are dropped.
bool ReadTime(const std::string& text, size_t* i, bool allow_fraction, int64_t* ms_of_day) {
  int h, m, s = 0, ms = 0;
  if (!ReadDigits(text, i, 2, &h) || !Expect(text, i, ':') || !ReadDigits(text, i, 2, &m)) return false;
  if (*i < text.size() && text[*i] == ':') {
    ++*i;
    if (!ReadDigits(text, i, 2, &s)) return false;
    if (allow_fraction && *i < text.size() && text[*i] == '.') {
      ++*i;
      int count = 0;
      while (*i < text.size() && IsDigit(text[*i])) {
        if (count < 3) ms = ms * 10 + (text[*i] - '0');
        ++count;
        ++*i;
      }
      if (count == 0 || count > 9) return false;
      for (int k = count; k < 3; ++k) ms *= 10;
    }
  }
  if (h > 23 || m > 59 || s > 59) return false;
  *ms_of_day = ((h * 60 + m) * 60 + s) * int64_t{1000} + ms;
  return true;
}

void AppendYear(std::string* out, int64_t y) {
  char buf[32];
  if (y >= 0 && y <= 9999) {
    std::snprintf(buf, sizeof(buf), "%04lld", static_cast<long long>(y));
  } else if (y < 0) {
    std::snprintf(buf, sizeof(buf), "-%04lld", -static_cast<long long>(y));
  } else {
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(y));
  }
  *out += buf;
}

void AppendTwo(std::string* out, int64_t v) {
  out->push_back(static_cast<char>('0' + v / 10 % 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's days_from_civil; valid for |y| well beyond any date a
  // form can hold.
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d) {
  // Hinnant's civil_from_days, with the era split done before the +719468
  // shift so that no int64 input overflows.
  int64_t era, doe;
  FloorDivMod(days, 146097, &era, &doe);
  doe += 135080;  // 719468 == 4 * 146097 + 135080
  era += 4;
  if (doe >= 146097) {
    doe -= 146097;
    ++era;
  }
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

bool ParseIsoDate(const std::string& text, int64_t* days) {
  size_t i = 0;
  int64_t result;
  if (!ReadDate(text, &i, &result) || i != text.size()) return false;
  *days = result;
  return true;
}

TypedDate ParseTypedDate(std::string_view text, int64_t* days) {
  // Three runs of digits split by one separator: '-' (year first) or '.'
  // (day first).
  int64_t parts[3] = {0, 0, 0};
  size_t widths[3] = {0, 0, 0};
  char separator = 0;
  size_t part = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (widths[part] == 4) return TypedDate::kMalformed;
      parts[part] = parts[part] * 10 + (c - '0');
      ++widths[part];
    } else if ((c == '-' || c == '.') && (separator == 0 || separator == c) && part < 2 && widths[part] > 0) {
      separator = c;
      ++part;
    } else {
      return TypedDate::kMalformed;
    }
  }
  if (part != 2 || widths[2] == 0) return TypedDate::kMalformed;
  int64_t y, m, d;
  if (separator == '-') {
    if (widths[0] != 4 || widths[1] != 2 || widths[2] != 2) return TypedDate::kMalformed;
    y = parts[0], m = parts[1], d = parts[2];
  } else {
    if (widths[0] > 2 || widths[1] > 2 || widths[2] != 4) return TypedDate::kMalformed;
    d = parts[0], m = parts[1], y = parts[2];
  }
  if (m < 1 || m > 12 || d < 1 || d > static_cast<int64_t>(DaysInMonth(y, static_cast<unsigned>(m))))
    return TypedDate::kNoSuchDay;
  *days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return TypedDate::kValid;
}

bool ParseIsoDateTime(const std::string& text, int32_t default_offset_minutes, int64_t* epoch_ms,
                      int32_t* offset_minutes) {
  size_t i = 0;
  int64_t days, ms_of_day;
  if (!ReadDate(text, &i, &days) || !Expect(text, &i, 'T') || !ReadTime(text, &i, true, &ms_of_day)) {
    return false;
  }
  int32_t offset = default_offset_minutes;
  if (i < text.size()) {
    if (text[i] == 'Z') {
      offset = 0;
      ++i;
    } else if (text[i] == '+' || text[i] == '-') {
      const int sign = text[i] == '-' ? -1 : 1;
      ++i;
      int h, m;
      if (!ReadDigits(text, &i, 2, &h) || !Expect(text, &i, ':') || !ReadDigits(text, &i, 2, &m)) return false;
      if (m > 59 || h * 60 + m > kMaxOffsetMinutes) return false;
      offset = sign * (h * 60 + m);
    } else {
      return false;
    }
  }
  if (i != text.size()) return false;
  *epoch_ms = days * kMsPerDay + ms_of_day - int64_t{offset} * 60'000;
  *offset_minutes = offset;
  return true;
}

bool ParseIsoTime(const std::string& text, int64_t* ms_of_day) {
  size_t i = 0;
  int64_t ms;
  if (!ReadTime(text, &i, false, &ms) || i != text.size()) return false;
  *ms_of_day = ms;
  return true;
}

std::string FormatIsoDate(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  std::string out;
  out.reserve(10);
  AppendYear(&out, y);
  out += '-';
  AppendTwo(&out, m);
  out += '-';
  AppendTwo(&out, d);
  return out;
}

std::string FormatIsoDateTime(int64_t epoch_ms, int32_t offset_minutes) {
  int64_t days, ms;
  FloorDivMod(LocalMs(epoch_ms, offset_minutes), kMsPerDay, &days, &ms);
  std::string out = FormatIsoDate(days);
  out += 'T';
  AppendTwo(&out, ms / 3'600'000);
  out += ':';
  AppendTwo(&out, ms / 60'000 % 60);
  out += ':';
  AppendTwo(&out, ms / 1000 % 60);
  out += '.';
  out.push_back(static_cast<char>('0' + ms % 1000 / 100));
  AppendTwo(&out, ms % 100);
  const int64_t abs_offset = offset_minutes < 0 ? -int64_t{offset_minutes} : int64_t{offset_minutes};
  out += offset_minutes < 0 ? '-' : '+';
  AppendTwo(&out, abs_offset / 60);
  out += ':';
  AppendTwo(&out, abs_offset % 60);
  return out;
}

// ---------------------------------------------------------------------------
// Value.

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.bool_ = b;
  return v;
}

Value Value::Number(double d) {
  Value v;
  v.kind_ = Kind::kNumber;
  v.number_ = d;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.string_ = std::move(s);
  return v;
}

Value Value::Date(int64_t days) {
  Value v;
  v.kind_ = Kind::kDate;
  v.integer_ = days;
  return v;
}

Value Value::DateTime(int64_t epoch_ms, int32_t utc_offset_minutes) {
  Value v;
  v.kind_ = Kind::kDateTime;
  v.integer_ = epoch_ms;
  v.offset_minutes_ = utc_offset_minutes;
  return v;
}

Value Value::List(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::kList;
  v.list_ = std::move(items);
  return v;
}

bool Value::AsBool() const {
  switch (kind_) {
    case Kind::kEmpty: return false;
    case Kind::kBool: return bool_;
    case Kind::kNumber: return number_ != 0 && !std::isnan(number_);
    case Kind::kString: return !string_.empty();
    case Kind::kDate:
    case Kind::kDateTime: return true;
    case Kind::kList: return !list_.empty();
  }
  return false;
}

double Value::AsNumber() const {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  switch (kind_) {
    case Kind::kEmpty: return kNaN;
    case Kind::kBool: return bool_ ? 1 : 0;
    case Kind::kNumber: return number_;
    case Kind::kString: {
      double d;
      return internal::ParseDecimal(utf8::Trim(string_), true, &d) ? d : kNaN;
    }
    case Kind::kDate: return static_cast<double>(integer_);
    case Kind::kDateTime: {
      // Whole days and the rest apart, so that the day count stays exact.
      int64_t days, ms;
      FloorDivMod(integer_, kMsPerDay, &days, &ms);
      return static_cast<double>(days) +
             (static_cast<double>(ms) + static_cast<double>(offset_minutes_) * 60'000.0) /
                 static_cast<double>(kMsPerDay);
    }
    case Kind::kList: return list_.empty() ? kNaN : list_.front().AsNumber();
  }
  return kNaN;
}

std::string Value::AsString() const {
  switch (kind_) {
    case Kind::kEmpty: return std::string();
    case Kind::kBool: return bool_ ? "true" : "false";
    case Kind::kNumber: return internal::FormatNumber(number_);
    case Kind::kString: return string_;
    case Kind::kDate: return FormatIsoDate(integer_);
    case Kind::kDateTime: return FormatIsoDateTime(integer_, offset_minutes_);
    case Kind::kList: {
      std::string out;
      for (size_t i = 0; i < list_.size(); ++i) {
        if (i > 0) out += ' ';
        if (list_[i].kind() == Kind::kString) {
          out += list_[i].string_value();
        } else {
          out += list_[i].AsString();
        }
      }
      return out;
    }
  }
  return std::string();
}

bool Value::SameAs(const Value& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::kEmpty: return true;
    case Kind::kBool: return bool_ == other.bool_;
    case Kind::kNumber:
      return number_ == other.number_ || (std::isnan(number_) && std::isnan(other.number_));
    case Kind::kString: return string_ == other.string_;
    case Kind::kDate: return integer_ == other.integer_;
    case Kind::kDateTime: return integer_ == other.integer_ && offset_minutes_ == other.offset_minutes_;
    case Kind::kList:
      if (list_.size() != other.list_.size()) return false;
      for (size_t i = 0; i < list_.size(); ++i) {
        if (!list_[i].SameAs(other.list_[i])) return false;
      }
      return true;
  }
  return false;
}

}  // namespace dala::schema
