// Evaluation of parsed form expressions. Runs for every answer of every
// record validated, so operands are taken by reference where they are
// literals, strings are compared without copying, and dispatch is a switch.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

#include "dala/base/utf8.h"
#include "dala/schema/expr.h"
#include "expr_node.h"
#include "expr_number.h"
#include "calendar_math.h"

namespace dala::schema {

using internal::FloorDivMod;
using internal::LocalMs;

// ---------------------------------------------------------------------------
// EvalContext defaults: a context without choices, reference lists, repeats
// or a time zone.

Value EvalContext::ChoiceColumn(std::string_view) const { return Value(); }

Value EvalContext::Lookup(std::string_view, std::string_view, std::string_view, const Value&) const {
  return Value();
}

int64_t EvalContext::Position() const { return 0; }

Value EvalContext::IndexedRepeat(std::string_view, std::string_view, int64_t) const { return Value(); }

int32_t EvalContext::UtcOffsetMinutes() const { return 0; }

Value EvalContext::ChoiceName(std::string_view, std::string_view) const { return Value(); }

std::string EvalContext::NewUuid() const {
  std::random_device device;
  uint8_t b[16];
  for (size_t i = 0; i < sizeof b; i += 4) {
    const uint32_t r = device();
    for (size_t j = 0; j < 4; ++j) b[i + j] = static_cast<uint8_t>(r >> (8 * j));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < sizeof b; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0x0F];
  }
  return out;
}

Expr::Expr() = default;

namespace {

using internal::Function;
using internal::Op;
using Kind = Value::Kind;
using Node = Expr::Node;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kMsPerDay = 86'400'000;

// Truncates toward zero; false for NaN and values beyond int64.
bool ToInt64(double d, int64_t* out) {
  if (!(d > -9.2e18 && d < 9.2e18)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

// The string form of `v`, without a copy when it already is a string.
std::string_view StringOf(const Value& v, std::string* scratch) {
  if (v.kind() == Kind::kString) return v.string_value();
  *scratch = v.AsString();
  return *scratch;
}

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Calls `f(token)` for each whitespace-separated token of `s` until it
// returns true; returns whether one did.
template <typename F>
bool AnyToken(std::string_view s, F f) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsAsciiSpace(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !IsAsciiSpace(s[j])) ++j;
    if (j > i && f(s.substr(i, j - i))) return true;
    i = j;
  }
  return false;
}

// Unanswered, for coalesce(): empty, '' or a list with no items.
bool IsBlank(const Value& v) {
  return v.is_empty() || (v.kind() == Kind::kString && v.string_value().empty()) ||
         (v.kind() == Kind::kList && v.list_items().empty());
}

bool IsDateKind(const Value& v) { return v.kind() == Kind::kDate || v.kind() == Kind::kDateTime; }

// ---- dates in comparisons

struct DateLike {
  bool has_time = false;
  int64_t days = 0;  // when !has_time
  int64_t ms = 0;    // when has_time
  int32_t offset = 0;
};

// A Date, DateTime or ISO date/date-time string. A string without a zone
// takes `default_offset`.
bool ToDateLike(const Value& v, int32_t default_offset, DateLike* out) {
  switch (v.kind()) {
    case Kind::kDate: out->days = v.date_days(); return true;
    case Kind::kDateTime:
      out->has_time = true;
      out->ms = v.datetime_ms();
      out->offset = v.utc_offset_minutes();
      return true;
    case Kind::kString:
      if (ParseIsoDate(v.string_value(), &out->days)) return true;
      out->has_time = true;
      return ParseIsoDateTime(v.string_value(), default_offset, &out->ms, &out->offset);
    default: return false;
  }
}

double LocalDays(const DateLike& d) {
  if (!d.has_time) return static_cast<double>(d.days);
  return Value::DateTime(d.ms, d.offset).AsNumber();
}

// <0, 0 or >0. Two date-times compare as instants; a date against a
// date-time compares local days, each in its own offset.
int CompareDateLike(const DateLike& a, const DateLike& b) {
  if (!a.has_time && !b.has_time) return (a.days > b.days) - (a.days < b.days);
  if (a.has_time && b.has_time) return (a.ms > b.ms) - (a.ms < b.ms);
  const double x = LocalDays(a);
  const double y = LocalDays(b);
  return (x > y) - (x < y);
}

int32_t OffsetOf(const Value& v) { return v.kind() == Kind::kDateTime ? v.utc_offset_minutes() : 0; }

// Both as dates, when one is a date and the other a date or date string.
bool BothDateLike(const Value& a, const Value& b, DateLike* x, DateLike* y) {
  return ToDateLike(a, OffsetOf(b), x) && ToDateLike(b, OffsetOf(a), y);
}

// ---- comparison operators

bool ScalarEqual(const Value& a, const Value& b) {
  if (a.kind() == Kind::kBool || b.kind() == Kind::kBool) return a.AsBool() == b.AsBool();
  if (a.kind() == Kind::kNumber || b.kind() == Kind::kNumber) return a.AsNumber() == b.AsNumber();
  if (IsDateKind(a) || IsDateKind(b)) {
    DateLike x, y;
    return BothDateLike(a, b, &x, &y) && CompareDateLike(x, y) == 0;
  }
  std::string sa, sb;
  return StringOf(a, &sa) == StringOf(b, &sb);
}

bool Holds(int order, Op op) {
  switch (op) {
    case Op::kLt: return order < 0;
    case Op::kLe: return order <= 0;
    case Op::kGt: return order > 0;
    case Op::kGe: return order >= 0;
    default: return false;
  }
}

bool NumbersHold(double x, double y, Op op) {
  switch (op) {
    case Op::kLt: return x < y;
    case Op::kLe: return x <= y;
    case Op::kGt: return x > y;
    case Op::kGe: return x >= y;
    default: return false;
  }
}

bool ScalarOrder(const Value& a, const Value& b, Op op) {
  if (IsDateKind(a) || IsDateKind(b)) {
    DateLike x, y;
    if (BothDateLike(a, b, &x, &y)) return Holds(CompareDateLike(x, y), op);
  }
  const double x = a.AsNumber();
  const double y = b.AsNumber();
  // Deviation from XPath, which compares numerically only: two non-numeric
  // strings compare by bytes, so that '09:30' < '10:00' works for times.
  if (std::isnan(x) && std::isnan(y) && a.kind() == Kind::kString && b.kind() == Kind::kString &&
      !a.string_value().empty() && !b.string_value().empty()) {
    const int c = a.string_value().compare(b.string_value());
    return Holds((c > 0) - (c < 0), op);
  }
  return NumbersHold(x, y, op);
}

// XPath's node-set rule: a list compares true if any of its items does.
bool Compare(const Value& a, const Value& b, Op op) {
  if (a.kind() == Kind::kList) {
    for (const Value& item : a.list_items()) {
      if (Compare(item, b, op)) return true;
    }
    return false;
  }
  if (b.kind() == Kind::kList) {
    for (const Value& item : b.list_items()) {
      if (Compare(a, item, op)) return true;
    }
    return false;
  }
  if (op == Op::kEq) return ScalarEqual(a, b);
  if (op == Op::kNe) return !ScalarEqual(a, b);
  return ScalarOrder(a, b, op);
}

// ---- numbers

// Half away from zero at 10^-digits, rounding the shortest decimal form of
// `x` rather than its binary value, so that round(2.675, 2) is 2.68 as the
// form author expects.
double RoundDigits(double x, int64_t digits) {
  if (!std::isfinite(x) || x == 0) return x;
  if (digits == 0) return std::round(x);
  digits = std::clamp<int64_t>(digits, -400, 400);
  const internal::ShortestDecimal s = internal::ToShortestDecimal(x);
  const int64_t keep = s.exponent + digits;  // significant digits kept
  if (keep >= s.count) return x;
  if (keep < 0) return std::copysign(0.0, x);
  char buf[64];
  int n = static_cast<int>(keep);
  std::copy(s.digits, s.digits + n, buf + 1);
  buf[0] = '0';  // room for a carry
  if (s.digits[n] >= '5') {
    int i = n;
    while (buf[i] == '9') buf[i--] = '0';
    ++buf[i];
  }
  const int written = std::snprintf(buf + n + 1, sizeof(buf) - static_cast<size_t>(n) - 1, "e%lld",
                                    static_cast<long long>(s.exponent - keep));
  double result = 0;
  std::from_chars(buf, buf + n + 1 + written, result, std::chars_format::scientific);
  return s.negative ? -result : result;
}

// ---- dates in functions

const int64_t kMinDateDays = DaysFromCivil(0, 1, 1);
const int64_t kMaxDateDays = DaysFromCivil(9999, 12, 31);

// A local calendar instant: the day, and milliseconds into it.
struct LocalTime {
  int64_t days = 0;
  int64_t ms_of_day = 0;
};

LocalTime LocalOf(int64_t epoch_ms, int32_t offset) {
  LocalTime t;
  FloorDivMod(LocalMs(epoch_ms, offset), kMsPerDay, &t.days, &t.ms_of_day);
  return t;
}

// What date(), format-date() and decimal-date-time() accept as a date.
// Numbers are days since 1970-01-01 (fractions are time of day), limited to
// the years an ISO date can spell.
bool ToLocalTime(const Value& v, int32_t default_offset, LocalTime* out) {
  switch (v.kind()) {
    case Kind::kNumber: {
      const double d = v.number_value();
      const double day = std::floor(d);
      if (!(day >= static_cast<double>(kMinDateDays) && day <= static_cast<double>(kMaxDateDays))) return false;
      out->days = static_cast<int64_t>(day);
      out->ms_of_day = std::clamp<int64_t>(static_cast<int64_t>((d - day) * kMsPerDay), 0, kMsPerDay - 1);
      return true;
    }
    case Kind::kDate: *out = {v.date_days(), 0}; return true;
    case Kind::kDateTime: *out = LocalOf(v.datetime_ms(), v.utc_offset_minutes()); return true;
    case Kind::kString: {
      int64_t days;
      if (ParseIsoDate(v.string_value(), &days)) {
        *out = {days, 0};
        return true;
      }
      int64_t ms;
      int32_t offset;
      if (!ParseIsoDateTime(v.string_value(), default_offset, &ms, &offset)) return false;
      *out = LocalOf(ms, offset);
      return true;
    }
    default: return false;
  }
}

void AppendPadded(std::string* out, int64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*lld", width, static_cast<long long>(v));
  *out += buf;
}

std::string FormatDate(const LocalTime& t, std::string_view format) {
  static constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t y;
  unsigned m, d;
  CivilFromDays(t.days, &y, &m, &d);
  const int64_t hour = t.ms_of_day / 3'600'000;
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out += format[i];
      continue;
    }
    const char directive = format[++i];
    switch (directive) {
      case 'Y': AppendPadded(&out, y, 4); break;
      case 'y': AppendPadded(&out, ((y % 100) + 100) % 100, 2); break;
      case 'm': AppendPadded(&out, m, 2); break;
      case 'n': AppendPadded(&out, m, 1); break;
      case 'b': out += kMonths[m - 1]; break;
      case 'd': AppendPadded(&out, d, 2); break;
      case 'e': AppendPadded(&out, d, 1); break;
      case 'a': out += kWeekdays[(t.days % 7 + 11) % 7]; break;  // 1970-01-01 was a Thursday (4)
      case 'H': AppendPadded(&out, hour, 2); break;
      case 'h': AppendPadded(&out, hour, 1); break;
      case 'M': AppendPadded(&out, t.ms_of_day / 60'000 % 60, 2); break;
      case 'S': AppendPadded(&out, t.ms_of_day / 1000 % 60, 2); break;
      case '3': AppendPadded(&out, t.ms_of_day % 1000, 3); break;
      case '%': out += '%'; break;
      default:
        out += '%';
        out += directive;
        break;
    }
  }
  return out;
}

// ---- the evaluator

class Evaluator {
 public:
  explicit Evaluator(const EvalContext& context) : context_(context) {}

  Value Eval(const Node& n) const {
    switch (n.op) {
      case Op::kLiteral: return n.literal;
      case Op::kField: return context_.Field(n.name);
      case Op::kCurrent: return context_.Current();
      case Op::kParent: return Value();  // only ever read by position()
      case Op::kChoiceColumn: return context_.ChoiceColumn(n.name);
      case Op::kNegate: return Value::Number(-Number(*n.args[0]));
      case Op::kCall: return Call(n);
      case Op::kOr: return Value::Bool(Bool(*n.args[0]) || Bool(*n.args[1]));
      case Op::kAnd: return Value::Bool(Bool(*n.args[0]) && Bool(*n.args[1]));
      case Op::kEq:
      case Op::kNe:
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe: {
        Value sa, sb;
        return Value::Bool(Compare(Ref(*n.args[0], sa), Ref(*n.args[1], sb), n.op));
      }
      case Op::kAdd: return Value::Number(Number(*n.args[0]) + Number(*n.args[1]));
      case Op::kSub: return Value::Number(Number(*n.args[0]) - Number(*n.args[1]));
      case Op::kMul: return Value::Number(Number(*n.args[0]) * Number(*n.args[1]));
      case Op::kDiv: return Value::Number(Number(*n.args[0]) / Number(*n.args[1]));
      case Op::kMod: return Value::Number(std::fmod(Number(*n.args[0]), Number(*n.args[1])));
    }
    return Value();
  }

 private:
  // The value of `n`; a literal is returned in place rather than copied.
  const Value& Ref(const Node& n, Value& scratch) const {
    if (n.op == Op::kLiteral) return n.literal;
    scratch = Eval(n);
    return scratch;
  }

  double Number(const Node& n) const {
    if (n.op == Op::kLiteral) return n.literal.AsNumber();
    return Eval(n).AsNumber();
  }

  bool Bool(const Node& n) const {
    if (n.op == Op::kLiteral) return n.literal.AsBool();
    return Eval(n).AsBool();
  }

  std::string String(const Node& n) const {
    if (n.op == Op::kLiteral && n.literal.kind() == Kind::kString) return n.literal.string_value();
    return Eval(n).AsString();
  }

  Value Call(const Node& n) const {
    const auto& args = n.args;
    switch (n.function) {
      case Function::kIf: return Bool(*args[0]) ? Eval(*args[1]) : Eval(*args[2]);
      case Function::kNot: return Value::Bool(!Bool(*args[0]));
      case Function::kTrue: return Value::Bool(true);
      case Function::kFalse: return Value::Bool(false);
      case Function::kBoolean: return Value::Bool(Bool(*args[0]));
      case Function::kCoalesce: {
        Value first = Eval(*args[0]);
        return IsBlank(first) ? Eval(*args[1]) : first;
      }
      case Function::kSelected: return Value::Bool(Selected(n));
      case Function::kCountSelected: {
        Value scratch;
        const Value& v = Ref(*args[0], scratch);
        if (v.kind() == Kind::kList) return Value::Number(static_cast<double>(v.list_items().size()));
        std::string s;
        size_t count = 0;
        AnyToken(StringOf(v, &s), [&](std::string_view) {
          ++count;
          return false;
        });
        return Value::Number(static_cast<double>(count));
      }
      case Function::kSelectedAt: return SelectedAt(n);
      case Function::kConcat: {
        std::string out;
        for (const auto& arg : args) {
          Value scratch;
          std::string s;
          out += StringOf(Ref(*arg, scratch), &s);
        }
        return Value::String(std::move(out));
      }
      case Function::kJoin: {
        const std::string separator = String(*args[0]);
        Value scratch;
        const Value& v = Ref(*args[1], scratch);
        if (v.kind() != Kind::kList) return Value::String(v.AsString());
        std::string out;
        for (size_t i = 0; i < v.list_items().size(); ++i) {
          if (i > 0) out += separator;
          std::string s;
          out += StringOf(v.list_items()[i], &s);
        }
        return Value::String(std::move(out));
      }
      case Function::kString: return Value::String(String(*args[0]));
      case Function::kStringLength: {
        Value scratch = args.empty() ? context_.Current() : Value();
        const Value& v = args.empty() ? scratch : Ref(*args[0], scratch);
        std::string s;
        return Value::Number(static_cast<double>(utf8::Length(StringOf(v, &s))));
      }
      case Function::kSubstr: return Substr(n);
      case Function::kContains:
      case Function::kStartsWith:
      case Function::kEndsWith: {
        Value sa, sb;
        std::string ta, tb;
        const std::string_view a = StringOf(Ref(*args[0], sa), &ta);
        const std::string_view b = StringOf(Ref(*args[1], sb), &tb);
        if (n.function == Function::kContains) return Value::Bool(a.find(b) != std::string_view::npos);
        if (n.function == Function::kStartsWith) return Value::Bool(a.starts_with(b));
        return Value::Bool(a.ends_with(b));
      }
      case Function::kNormalizeSpace: {
        Value scratch;
        std::string s;
        const std::string_view in = StringOf(Ref(*args[0], scratch), &s);
        std::string out;
        AnyToken(in, [&](std::string_view token) {
          if (!out.empty()) out += ' ';
          out += token;
          return false;
        });
        return Value::String(std::move(out));
      }
      case Function::kRegex: return Value::Bool(Regex(n));
      case Function::kNumber: return Value::Number(Number(*args[0]));
      case Function::kInt: return Value::Number(std::trunc(Number(*args[0])));
      case Function::kRound: {
        const double x = Number(*args[0]);
        if (args.size() == 1) return Value::Number(std::round(x));
        int64_t digits;
        if (!ToInt64(Number(*args[1]), &digits)) return Value::Number(kNaN);
        return Value::Number(RoundDigits(x, digits));
      }
      case Function::kFloor: return Value::Number(std::floor(Number(*args[0])));
      case Function::kCeiling: return Value::Number(std::ceil(Number(*args[0])));
      case Function::kAbs: return Value::Number(std::fabs(Number(*args[0])));
      case Function::kPow: return Value::Number(std::pow(Number(*args[0]), Number(*args[1])));
      case Function::kMin:
      case Function::kMax: return Value::Number(MinMax(n));
      case Function::kSum: {
        Value scratch;
        const Value& v = Ref(*args[0], scratch);
        if (v.kind() != Kind::kList) return Value::Number(v.AsNumber());
        double sum = 0;
        for (const Value& item : v.list_items()) sum += item.AsNumber();
        return Value::Number(sum);
      }
      case Function::kCount: {
        Value scratch;
        const Value& v = Ref(*args[0], scratch);
        if (v.kind() == Kind::kList) return Value::Number(static_cast<double>(v.list_items().size()));
        return Value::Number(v.is_empty() ? 0 : 1);
      }
      case Function::kToday:
        return Value::Date(LocalOf(context_.NowMs(), context_.UtcOffsetMinutes()).days);
      case Function::kNow: return Value::DateTime(context_.NowMs(), context_.UtcOffsetMinutes());
      case Function::kDate: {
        Value scratch;
        const Value& v = Ref(*args[0], scratch);
        if (v.kind() == Kind::kDate) return v;
        LocalTime t;
        if (!ToLocalTime(v, context_.UtcOffsetMinutes(), &t)) return Value();
        return Value::Date(t.days);
      }
      case Function::kDecimalDateTime: {
        Value scratch;
        const Value& v = Ref(*args[0], scratch);
        switch (v.kind()) {
          case Kind::kNumber:
          case Kind::kDate:
          case Kind::kDateTime: return Value::Number(v.AsNumber());
          default: {
            LocalTime t;
            if (!ToLocalTime(v, context_.UtcOffsetMinutes(), &t)) return Value::Number(kNaN);
            return Value::Number(static_cast<double>(t.days) +
                                 static_cast<double>(t.ms_of_day) / static_cast<double>(kMsPerDay));
          }
        }
      }
      case Function::kFormatDate: {
        Value scratch;
        const Value& v = Ref(*args[0], scratch);
        LocalTime t;
        if (!ToLocalTime(v, context_.UtcOffsetMinutes(), &t)) return Value::String("");
        return Value::String(FormatDate(t, String(*args[1])));
      }
      case Function::kPulldata: {
        Value key = Eval(*args[3]);
        return context_.Lookup(String(*args[0]), String(*args[1]), String(*args[2]), key);
      }
      case Function::kPosition: return Value::Number(static_cast<double>(context_.Position()));
      case Function::kChoiceName: {
        Value value = Eval(*args[0]);
        std::string text;
        return context_.ChoiceName(internal::ChoiceNameQuestion(n), utf8::Trim(StringOf(value, &text)));
      }
      case Function::kOnce: {
        Value current = context_.Current();
        return IsBlank(current) ? Eval(*args[0]) : current;
      }
      case Function::kUuid: return Value::String(context_.NewUuid());
      case Function::kIndexedRepeat: {
        int64_t index;
        if (!ToInt64(Number(*args[2]), &index)) return Value();
        return context_.IndexedRepeat(args[0]->name, args[1]->name, index);
      }
    }
    return Value();
  }

  bool Selected(const Node& n) const {
    Value sa, sb;
    std::string ta, tb;
    const Value& haystack = Ref(*n.args[0], sa);
    const std::string_view needle = utf8::Trim(StringOf(Ref(*n.args[1], sb), &tb));
    if (haystack.kind() == Kind::kList) {
      for (const Value& item : haystack.list_items()) {
        std::string s;
        if (StringOf(item, &s) == needle) return true;
      }
      return false;
    }
    return AnyToken(StringOf(haystack, &ta), [&](std::string_view token) { return token == needle; });
  }

  Value SelectedAt(const Node& n) const {
    Value scratch;
    const Value& v = Ref(*n.args[0], scratch);
    int64_t index;
    if (!ToInt64(Number(*n.args[1]), &index) || index < 0) return Value::String("");
    if (v.kind() == Kind::kList) {
      if (index >= static_cast<int64_t>(v.list_items().size())) return Value::String("");
      return Value::String(v.list_items()[static_cast<size_t>(index)].AsString());
    }
    std::string s;
    std::string_view found;
    int64_t at = 0;
    AnyToken(StringOf(v, &s), [&](std::string_view token) {
      if (at++ != index) return false;
      found = token;
      return true;
    });
    return Value::String(std::string(found));
  }

  Value Substr(const Node& n) const {
    Value scratch;
    std::string s;
    const std::string_view text = StringOf(Ref(*n.args[0], scratch), &s);
    const double length = static_cast<double>(utf8::Length(text));
    // As JavaRosa's integer conversion: NaN is 0, and indexes are clamped.
    auto index = [&](double d) {
      if (std::isnan(d)) return 0.0;
      return std::clamp(std::trunc(d), 0.0, length);
    };
    const double start = index(Number(*n.args[1]));
    const double end = n.args.size() == 3 ? index(Number(*n.args[2])) : length;
    if (end <= start) return Value::String("");
    return Value::String(utf8::Substr(text, static_cast<size_t>(start), static_cast<size_t>(end - start)));
  }

  bool Regex(const Node& n) const {
    Value sa, sb;
    std::string ta, tb;
    const std::string_view subject = StringOf(Ref(*n.args[0], sa), &ta);
    std::unique_ptr<const std::regex> compiled;
    const std::regex* re = n.regex.get();
    if (re == nullptr) {
      std::string error;
      compiled = internal::CompileRegex(StringOf(Ref(*n.args[1], sb), &tb), &error);
      if (!compiled) return false;
      re = compiled.get();
    }
    try {
      return std::regex_search(subject.data(), subject.data() + subject.size(), *re);
    } catch (const std::exception&) {
      return false;  // error_complexity / error_stack: treat as no match
    }
  }

  double MinMax(const Node& n) const {
    const bool is_min = n.function == Function::kMin;
    double best = kNaN;
    bool any = false;
    bool nan = false;
    auto consider = [&](double d) {
      if (std::isnan(d)) nan = true;
      if (!any || (is_min ? d < best : d > best)) best = d;
      any = true;
    };
    for (const auto& arg : n.args) {
      Value scratch;
      const Value& v = Ref(*arg, scratch);
      if (v.kind() == Kind::kList) {
        for (const Value& item : v.list_items()) consider(item.AsNumber());
      } else {
        consider(v.AsNumber());
      }
    }
    return nan || !any ? kNaN : best;
  }

  const EvalContext& context_;
};

}  // namespace

Value Expr::Evaluate(const EvalContext& context) const {
  if (!root_) return Value();
  // Only allocation failure (or a throwing EvalContext) can raise here;
  // evaluation promises never to fail, so the answer is "no value".
  try {
    return Evaluator(context).Eval(*root_);
  } catch (...) {
    return Value();
  }
}

}  // namespace dala::schema
