#include "dala/schema/expr.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "expr_test_context.h"

namespace dala::schema {
namespace {

using testing::FakeContext;
using testing::kNowMs;
using testing::kOffsetMinutes;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Value N(double d) { return Value::Number(d); }
Value S(std::string s) { return Value::String(std::move(s)); }
Value B(bool b) { return Value::Bool(b); }
Value D(int y, unsigned m, unsigned d) { return Value::Date(DaysFromCivil(y, m, d)); }
Value E() { return Value(); }

std::string Describe(const Value& v) {
  static const char* kKinds[] = {"empty", "bool", "number", "string", "date", "datetime", "list"};
  return std::string(kKinds[static_cast<int>(v.kind())]) + " " + v.AsString();
}

struct Case {
  const char* text;
  Value expected;
};

void ExpectResults(const std::vector<Case>& cases, const ParseOptions& options = {}) {
  FakeContext context;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Result<Expr> expr = Expr::Parse(c.text, options);
    ASSERT_TRUE(expr.ok()) << expr.status().ToString();
    const Value got = expr->Evaluate(context);
    EXPECT_TRUE(got.SameAs(c.expected)) << "got " << Describe(got) << ", want " << Describe(c.expected);
  }
}

std::string ParseError(std::string_view text, const ParseOptions& options = {}) {
  Result<Expr> expr = Expr::Parse(text, options);
  if (expr.ok()) return "(parsed)";
  EXPECT_EQ(expr.status().code(), Status::Code::kInvalidArgument);
  return expr.status().message();
}

// ---------------------------------------------------------------------------
// Known results

TEST(ExprTest, ArithmeticOperatorsFollowIeee) {
  ExpectResults({
      {"1 + 2", N(3)},
      {"5 - 7", N(-2)},
      {"2 * 3.5", N(7)},
      {"7 div 2", N(3.5)},
      {"7 mod 3", N(1)},
      {"-7 mod 3", N(-1)},
      {"5.5 mod 2", N(1.5)},
      {"5 mod 0", N(kNaN)},
      {"1 div 0", N(kInf)},
      {"-1 div 0", N(-kInf)},
      {"0 div 0", N(kNaN)},
      {"-(3)", N(-3)},
      {"- -3", N(3)},
      {"--3", N(3)},
      {".5 + 1.", N(1.5)},
      {"2 + 3 * 4", N(14)},
      {"(2 + 3) * 4", N(20)},
      {"10 - 4 - 3", N(3)},
      {"10 - (4 - 3)", N(9)},
      {"2 * 3 mod 4", N(2)},
      {"12 div 2 div 3", N(2)},
      {"'3' + 1", N(4)},
      {"' 3 ' * 2", N(6)},
      {"'' + 1", N(kNaN)},
      {"${empty_q} + 1", N(kNaN)},
      {"true() + 1", N(2)},
      {"${age}*2", N(68)},
      {"${member_age} + 0", N(30)},  // a list as a number is its first item
      {"today() + 1", N(20785)},
      {"${dob} - date('1990-05-01')", N(16)},
      {"round(now() - today(), 4)", N(0.4167)},
  });
}

TEST(ExprTest, EqualityComparesByTheStrongestType) {
  ExpectResults({
      {"1 = 1", B(true)},
      {"1 = '1'", B(true)},
      {"1 = '1.0'", B(true)},
      {"'1' = '1.0'", B(false)},
      {"'a' = 'a'", B(true)},
      {"'a' != 'b'", B(true)},
      {"'a' != 'a'", B(false)},
      {"${empty_q} = ''", B(true)},
      {"${empty_q} = 0", B(false)},
      {"${empty_q} != 0", B(true)},
      {"${blank} = ''", B(true)},
      {"true() = 'x'", B(true)},
      {"false() = ''", B(true)},
      {"${flag} = 1", B(true)},
      {"0 div 0 = 0 div 0", B(false)},
      {"0 div 0 != 0 div 0", B(true)},
      {"${name} = 'Айгүл'", B(true)},
      {"${crops} = 'barley'", B(true)},
      {"${crops} = 'oats'", B(false)},
      {"'wheat' = ${crops}", B(true)},
      {"${crops} != 'wheat'", B(true)},
      {"${empty_list} = ''", B(false)},
      {"${empty_list} != ''", B(false)},
      {"${dob} = '1990-05-17'", B(true)},
      {"today() = '2026-11-27'", B(true)},
      {"today() = 20784", B(true)},
      {"${visit} = '2026-11-27T04:00:00Z'", B(true)},
      {"${visit} = '2026-11-27T09:00'", B(true)},  // no zone: the date-time's own offset
      {"${visit} = '2026-11-27T09:00:00+06:00'", B(false)},
  });
}

TEST(ExprTest, OrderingComparesDatesStringsAndNumbers) {
  ExpectResults({
      {"2 < 10", B(true)},
      {"'2' < '10'", B(true)},
      {"'10' < '9'", B(false)},
      {"1 <= 1", B(true)},
      {"2 >= 3", B(false)},
      {"3 > 2", B(true)},
      {"'09:30' < '10:00'", B(true)},
      {"${start_time} < '10:00'", B(true)},
      {"${start_time} >= '10:00'", B(false)},
      {"'b' > 'a'", B(true)},
      {"'abc' < 'abd'", B(true)},
      {"'Ә' > 'А'", B(true)},
      {"'' < 'a'", B(false)},
      {"'abc' < 5", B(false)},
      {"0 div 0 < 1", B(false)},
      {"${member_age} > 60", B(true)},
      {"${member_age} > 70", B(false)},
      {"${member_age} < 10", B(true)},
      {"${empty_list} < 1", B(false)},
      {"${dob} < '2000-01-01'", B(true)},
      {"today() > ${dob}", B(true)},
      {"${dob} < today()", B(true)},
      {"today() < now()", B(true)},
      {"today() <= '2026-11-27T00:00:00+05:00'", B(true)},
      {"now() > '2026-11-27T09:59:59+05:00'", B(true)},
      {"now() < '2026-11-27T05:00:01Z'", B(true)},
      {"${dob} > 7000", B(true)},
  });
}

TEST(ExprTest, LogicalOperatorsGiveBooleans) {
  ExpectResults({
      {"1 = 1 and 2 = 2", B(true)},
      {"1 = 1 and ''", B(false)},
      {"0 or 'x'", B(true)},
      {"0 or ''", B(false)},
      {"${empty_q} or ${crops}", B(true)},
      {"1 or 0 and 0", B(true)},  // and binds tighter
      {"(1 or 0) and 0", B(false)},
      {"1 = 1 = true()", B(true)},
  });
}

TEST(ExprTest, AndOrSkipTheRightSideWhenTheLeftDecides) {
  FakeContext context;
  Result<Expr> expr = Expr::Parse("true() or ${age} and false() and ${name}");
  ASSERT_TRUE(expr.ok());
  EXPECT_TRUE(expr->Evaluate(context).SameAs(B(true)));
  EXPECT_EQ(context.field_reads, 0);
}

TEST(ExprTest, LogicAndConditionalFunctions) {
  ExpectResults({
      {"if(1 = 1, 'yes', 'no')", S("yes")},
      {"if('', 1, 2)", N(2)},
      {"if(${empty_q}, 1, ${age})", N(34)},
      {"not(0)", B(true)},
      {"not('a')", B(false)},
      {"true()", B(true)},
      {"false()", B(false)},
      {"boolean('0')", B(true)},
      {"boolean(0)", B(false)},
      {"boolean(${crops})", B(true)},
      {"boolean(${empty_list})", B(false)},
      {"coalesce(${empty_q}, 'x')", S("x")},
      {"coalesce(${blank}, 5)", N(5)},
      {"coalesce(${name}, 'x')", S("Айгүл")},
      {"coalesce(${empty_list}, 'none')", S("none")},
      {"coalesce(0, 5)", N(0)},
  });
}

TEST(ExprTest, SelectFunctions) {
  ExpectResults({
      {"selected(${crops}, 'barley')", B(true)},
      {"selected(${crops}, 'bar')", B(false)},
      {"selected(${crops_text}, 'oats')", B(true)},
      {"selected(${crops_text}, ' oats ')", B(true)},
      {"selected(${crops_text}, 'wheat barley')", B(false)},
      {"selected(${empty_q}, '')", B(false)},
      {"count-selected(${crops})", N(2)},
      {"count-selected(${crops_text})", N(3)},
      {"count-selected(${empty_q})", N(0)},
      {"count-selected('  ')", N(0)},
      {"selected-at(${crops}, 1)", S("barley")},
      {"selected-at(${crops_text}, 2)", S("oats")},
      {"selected-at(${crops}, 1.9)", S("barley")},
      {"selected-at(${crops}, 5)", S("")},
      {"selected-at(${crops}, -1)", S("")},
      {"selected-at(${crops}, 'x')", S("")},
  });
}

TEST(ExprTest, StringFunctions) {
  ExpectResults({
      {"concat('a', 1, true())", S("a1true")},
      {"concat(${name}, ' ', ${age})", S("Айгүл 34")},
      {"concat(${crops})", S("wheat barley")},
      {"concat(${empty_q})", S("")},
      {"join(', ', ${crops})", S("wheat, barley")},
      {"join('-', ${member_age})", S("30-5-62")},
      {"join(',', 'solo')", S("solo")},
      {"join(',', ${empty_list})", S("")},
      {"string(1.50)", S("1.5")},
      {"string(${dob})", S("1990-05-17")},
      {"string(1 div 0)", S("Infinity")},
      {"string(true())", S("true")},
      {"string(now())", S("2026-11-27T10:00:00.000+05:00")},
      {"string-length(${name})", N(5)},
      {"string-length()", N(5)},  // '.', which is 'hello'
      {"string-length(12.5)", N(4)},
      {"string-length('')", N(0)},
      {"substr('Қазақстан', 0, 5)", S("Қазақ")},
      {"substr('Қазақстан', 5)", S("стан")},
      {"substr('hello', 1, 3)", S("el")},
      {"substr('hello', -2, 2)", S("he")},
      {"substr('hello', 3, 100)", S("lo")},
      {"substr('hello', 4, 2)", S("")},
      {"substr('hello', 'x')", S("hello")},
      {"contains('Қазақстан', 'ақ')", B(true)},
      {"contains('abc', '')", B(true)},
      {"contains('abc', 'd')", B(false)},
      {"starts-with('Қазақстан', 'Қаз')", B(true)},
      {"starts-with('abc', 'b')", B(false)},
      {"ends-with('Қазақстан', 'стан')", B(true)},
      {"ends-with('abc', 'b')", B(false)},
      {"normalize-space('  a \t b  ')", S("a b")},
      {"normalize-space('')", S("")},
      {"regex('12345', '^[0-9]+$')", B(true)},
      {"regex('12a45', '^[0-9]+$')", B(false)},
      {"regex('abc123', '[0-9]')", B(true)},  // matches anywhere, as ODK
      {"regex(${num_str}, ${pattern})", B(true)},
      {"regex('Қазақ', '^Қ')", B(true)},
      {"regex('', '^$')", B(true)},
  });
}

TEST(ExprTest, NumberFunctions) {
  ExpectResults({
      {"number('12')", N(12)},
      {"number(' 3.5 ')", N(3.5)},
      {"number(true())", N(1)},
      {"number(${dob})", N(static_cast<double>(DaysFromCivil(1990, 5, 17)))},
      {"int(3.7)", N(3)},
      {"int(-3.7)", N(-3)},
      {"round(2.5)", N(3)},
      {"round(-2.5)", N(-3)},
      {"round(2.4)", N(2)},
      {"round(2.675, 2)", N(2.68)},
      {"round(-1.005, 2)", N(-1.01)},
      {"round(1.23456, 3)", N(1.235)},
      {"round(9.995, 2)", N(10)},
      {"round(1234.5, -2)", N(1200)},
      {"round(0.004, 2)", N(0)},
      {"round(12, 2)", N(12)},
      {"floor(-1.5)", N(-2)},
      {"floor(1.5)", N(1)},
      {"ceiling(1.1)", N(2)},
      {"ceiling(-1.1)", N(-1)},
      {"abs(-3)", N(3)},
      {"pow(2, 10)", N(1024)},
      {"pow(4, 0.5)", N(2)},
      {"min(3, 1, 2)", N(1)},
      {"max(3, 1, 2)", N(3)},
      {"max(${member_age})", N(62)},
      {"min(${member_age}, 4)", N(4)},
      {"sum(${member_age})", N(97)},
      {"sum(${empty_list})", N(0)},
      {"sum(5)", N(5)},
      {"count(${members})", N(3)},
      {"count(${empty_list})", N(0)},
      {"count(${empty_q})", N(0)},
      {"count(${name})", N(1)},
  });
}

TEST(ExprTest, DateFunctions) {
  const double now_days = Value::DateTime(kNowMs, kOffsetMinutes).AsNumber();
  ExpectResults({
      {"today()", D(2026, 11, 27)},
      {"now()", Value::DateTime(kNowMs, kOffsetMinutes)},
      {"date('2026-01-31')", D(2026, 1, 31)},
      {"date(today() + 1)", D(2026, 11, 28)},
      {"date(0)", D(1970, 1, 1)},
      {"date(-1.5)", D(1969, 12, 30)},
      {"date('2026-11-27T23:30:00-02:00')", D(2026, 11, 27)},
      {"date(now())", D(2026, 11, 27)},
      {"date(${dob})", D(1990, 5, 17)},
      {"decimal-date-time('1970-01-02T12:00:00Z')", N(1.5)},
      {"decimal-date-time('1970-01-01T06:00:00+06:00')", N(0.25)},
      {"decimal-date-time(${dob})", N(static_cast<double>(DaysFromCivil(1990, 5, 17)))},
      {"decimal-date-time(now())", N(now_days)},
      {"format-date('2026-03-05', '%Y/%m/%d')", S("2026/03/05")},
      {"format-date('2026-03-05', '%e.%n.%y')", S("5.3.26")},
      {"format-date(now(), '%H:%M:%S')", S("10:00:00")},
      {"format-date(${visit}, '%a %b %d %h:%M %3')", S("Fri Nov 27 9:00 000")},
      {"format-date(date('2008-01-05'), '%y %a')", S("08 Sat")},
      {"format-date(today(), '100%% %q')", S("100% %q")},
  });
}

TEST(ExprTest, DateFunctionsGiveEmptyOrNaNForNonDates) {
  ExpectResults({
      {"date('31/01/2026')", E()},
      {"date('2026-01-31 ')", E()},
      {"date('2023-02-29')", E()},
      {"date('2026-11-27T24:00')", E()},
      {"date(true())", E()},
      {"date(1 div 0)", E()},
      {"date(0 div 0)", E()},
      {"date(1000000000)", E()},
      {"date(-1000000000)", E()},
      {"date(${empty_q})", E()},
      {"date(${crops})", E()},
      {"decimal-date-time('x')", N(kNaN)},
      {"decimal-date-time(${empty_q})", N(kNaN)},
      {"format-date('garbage', '%Y')", S("")},
      {"format-date(${empty_q}, '%Y')", S("")},
      {"format-date('2026-02-30', '%Y')", S("")},
  });
}

TEST(ExprTest, NumberFunctionsGiveNaNForNonNumbers) {
  ExpectResults({
      {"number('1e3')", N(kNaN)},
      {"number('')", N(kNaN)},
      {"int('x')", N(kNaN)},
      {"round('x')", N(kNaN)},
      {"round(1.5, 'x')", N(kNaN)},
      {"floor(${empty_q})", N(kNaN)},
      {"abs('-')", N(kNaN)},
      {"pow('a', 2)", N(kNaN)},
      {"max(${ages_with_blank})", N(kNaN)},
      {"min(${empty_list})", N(kNaN)},
      {"max(1, 'x')", N(kNaN)},
      {"sum(${empty_q})", N(kNaN)},
      {"sum(${crops})", N(kNaN)},
  });
}

TEST(ExprTest, InvalidRuntimeRegexPatternIsFalse) {
  ExpectResults({
      {"regex('x', ${bad_pattern})", B(false)},
      {"regex('aa', concat('(a)', '\\1'))", B(false)},  // back-reference
      {"regex('a', ${empty_q})", B(true)},                 // the empty pattern matches
  });
}

TEST(ExprTest, ComparisonsWithUnparsableDatesAreFalse) {
  ExpectResults({
      {"${dob} = 'not a date'", B(false)},
      {"${dob} != 'not a date'", B(true)},
      {"${dob} = '1990-02-30'", B(false)},
      {"today() > 'soon'", B(false)},
      {"today() <= 'soon'", B(false)},
      {"${dob} < ''", B(false)},
      {"now() = ${empty_q}", B(false)},
  });
}

TEST(ExprTest, TodayUsesTheLocalDateNotTheUtcDate) {
  FakeContext context;
  Result<Expr> today = Expr::Parse("today()");
  ASSERT_TRUE(today.ok());
  context.now_ms = kNowMs + 13 * 3'600'000;  // 23:00 local on the 27th
  EXPECT_TRUE(today->Evaluate(context).SameAs(D(2026, 11, 27)));
  context.now_ms = kNowMs + 14 * 3'600'000;  // 00:00 local on the 28th, still the 27th in UTC
  EXPECT_TRUE(today->Evaluate(context).SameAs(D(2026, 11, 28)));
  context.now_ms = kNowMs + 20 * 3'600'000;  // 01:00 UTC on the 28th, 15:00 on the 27th at -10:00
  context.offset_minutes = -600;
  EXPECT_TRUE(today->Evaluate(context).SameAs(D(2026, 11, 27)));
}

TEST(ExprTest, ContextFunctions) {
  ExpectResults({
      {"pulldata('crops', 'name_kk', 'code', 'wh')", S("Бидай")},
      {"pulldata('crops', 'price', 'code', ${code})", S("95.5")},
      {"pulldata('crops', 'price', 'code', 'zz')", E()},
      {"pulldata('nope', 'price', 'code', 'wh')", E()},
      {"position(..)", N(2)},
      {"position()", N(2)},
      {"indexed-repeat(${member_name}, ${members}, 2)", S("Берік")},
      {"indexed-repeat(${member_name}, ${members}, 1.9)", S("Айгүл")},
      {"indexed-repeat(${member_age}, ${members}, 3)", S("62")},
      {"indexed-repeat(${member_name}, ${members}, 4)", E()},
      {"indexed-repeat(${member_name}, ${members}, 'x')", E()},
      {".", S("hello")},
      {"${nonexistent}", E()},
  });
}

// The three functions real XLSForms use most that ODK's own engine adds.
TEST(ExprTest, ChoiceNameOnceAndUuid) {
  ExpectResults({
      {"jr:choice-name(${code}, '${code}')", S(testing::kArpa)},
      {"jr:choice-name(' wh ', '${code}')", S(testing::kBidai)},
      {"jr:choice-name('zz', '${code}')", E()},
      {"jr:choice-name('wh', '${age}')", E()},
      {"once(${age} + 1)", S("hello")},  // '.' has an answer: it stays
      {"uuid()", S("uuid-1")},
  });
  FakeContext context;
  context.current = Value();
  EXPECT_TRUE(Expr::Parse("once(${age} + 1)")->Evaluate(context).SameAs(N(35)));
  context.current = S("");
  EXPECT_TRUE(Expr::Parse("once(concat('a', uuid()))")->Evaluate(context).SameAs(S("auuid-1")));
  context.current = S("kept");
  EXPECT_TRUE(Expr::Parse("once(uuid())")->Evaluate(context).SameAs(S("kept")));
  EXPECT_EQ(context.uuids, 1) << "once() does not evaluate its argument when '.' has an answer";
}

TEST(ExprTest, ChoiceNameOnceAndUuidRefuseBadArguments) {
  EXPECT_EQ(ParseError("jr:choice-name(${code})"), "position 1: jr:choice-name() takes 2 arguments, got 1");
  EXPECT_EQ(ParseError("jr:choice-name(${code}, '${code}', 1)"),
            "position 1: jr:choice-name() takes 2 arguments, got 3");
  for (const char* second : {"${code}", "'code'", "'${code'", "'${}'", "'${1a}'", "'${a b}'", "concat('${', 'a}')"})
    EXPECT_EQ(ParseError(std::string("jr:choice-name(., ") + second + ")"),
              "position 19: jr:choice-name() argument 2 must name a question in quotes, as in '${question}'")
        << second;
  EXPECT_EQ(ParseError("once()"), "position 1: once() takes 1 argument, got 0");
  EXPECT_EQ(ParseError("once(1, 2)"), "position 1: once() takes 1 argument, got 2");
  EXPECT_EQ(ParseError("uuid(8)"), "position 1: uuid() takes 0 arguments, got 1");
  EXPECT_EQ(ParseError("uuid"), "position 1: bare name 'uuid': write ${uuid} to refer to a question");
}

TEST(ExprTest, ChoiceNameNamesItsQuestionOnceAndUsesCurrentAndUuidIsKnown) {
  auto e = Expr::Parse("jr:choice-name(${crop}, '${crop}') = jr:choice-name(${other}, '${kind}')");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->references(), (std::vector<std::string>{"crop", "other", "kind"}));
  EXPECT_FALSE(e->uses_uuid());
  EXPECT_TRUE(Expr::Parse("once(1)")->uses_current());
  EXPECT_TRUE(Expr::Parse("concat('r-', uuid())")->uses_uuid());
  EXPECT_FALSE(Expr::Parse("concat('r-', uuid())")->uses_clock());
}

TEST(ExprTest, ChoiceColumnsReadTheChoiceBeingFiltered) {
  ParseOptions options;
  options.allow_choice_columns = true;
  ExpectResults(
      {
          {"region = 'north'", B(true)},
          {"code = ${code}", B(true)},
          {"missing_column = ''", B(true)},
      },
      options);
}

class MinimalContext : public EvalContext {
 public:
  Value Field(std::string_view) const override { return Value(); }
  Value Current() const override { return Value(); }
  int64_t NowMs() const override { return 0; }
};

TEST(ExprTest, DefaultContextHasNoListsRepeatsOrZone) {
  MinimalContext context;
  auto eval = [&](const char* text) {
    Result<Expr> expr = Expr::Parse(text);
    EXPECT_TRUE(expr.ok()) << text;
    return expr.ok() ? expr->Evaluate(context) : Value();
  };
  EXPECT_TRUE(eval("pulldata('a', 'b', 'c', 1)").SameAs(E()));
  EXPECT_TRUE(eval("position(..)").SameAs(N(0)));
  EXPECT_TRUE(eval("indexed-repeat(${a}, ${r}, 1)").SameAs(E()));
  EXPECT_TRUE(eval("jr:choice-name('x', '${a}')").SameAs(E()));
  EXPECT_TRUE(eval("now()").SameAs(Value::DateTime(0, 0)));
  EXPECT_TRUE(Expr::Parse("x", ParseOptions{true})->Evaluate(context).SameAs(E()));
}

TEST(ExprTest, TheDefaultUuidIsAFreshVersion4Uuid) {
  MinimalContext context;
  Result<Expr> uuid = Expr::Parse("uuid()");
  ASSERT_TRUE(uuid.ok());
  const std::string a = uuid->Evaluate(context).AsString(), b = uuid->Evaluate(context).AsString();
  ASSERT_EQ(a.size(), 36u) << a;
  EXPECT_NE(a, b);
  for (size_t i : {8u, 13u, 18u, 23u}) EXPECT_EQ(a[i], '-') << a;
  EXPECT_EQ(a[14], '4') << a;
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos) << a;
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef-"), std::string::npos) << a;
}

TEST(ExprTest, EmptyExprEvaluatesToEmpty) {
  Expr expr;
  FakeContext context;
  EXPECT_TRUE(expr.empty());
  EXPECT_TRUE(expr.Evaluate(context).is_empty());
  EXPECT_FALSE(expr.EvaluateBool(context));
  EXPECT_EQ(expr.ToString(), "");
}

// ---------------------------------------------------------------------------
// Printing

TEST(ExprTest, ToStringIsCanonicalWithFewestParentheses) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"1+2*3", "1 + 2 * 3"},
      {"(1+2)*3", "(1 + 2) * 3"},
      {"${a} - (${b} - ${c})", "${a} - (${b} - ${c})"},
      {"(${a} - ${b}) - ${c}", "${a} - ${b} - ${c}"},
      {"${a} div (${b} * ${c})", "${a} div (${b} * ${c})"},
      {"(${a} = ${b}) = ${c}", "${a} = ${b} = ${c}"},
      {"${a} = (${b} = ${c})", "${a} = (${b} = ${c})"},
      {"(${a} or ${b}) and ${c}", "(${a} or ${b}) and ${c}"},
      {"${a} or (${b} and ${c})", "${a} or ${b} and ${c}"},
      {"(1 = 2) < 3", "(1 = 2) < 3"},
      {"1 < (2 = 3)", "1 < (2 = 3)"},
      {"-(-5)", "- -5"},
      {"-(1+2)", "-(1 + 2)"},
      {"2*-3", "2 * -3"},
      {"(-2)*3", "-2 * 3"},
      {"-${a}*2", "-${a} * 2"},
      {"((.))", "."},
      {"1.50", "1.5"},
      {".5", "0.5"},
      {"007", "7"},
      {"12345678901234567890", "12345678901234567000"},
      {"\"it's\"", "\"it's\""},
      {"\"plain\"", "'plain'"},
      {"'say \"hi\"'", "'say \"hi\"'"},
      {"position( .. )", "position(..)"},
      {"not( ${a}=1 or ${b}=2 )", "not(${a} = 1 or ${b} = 2)"},
      {"concat ('a',${b}  ,  'c')", "concat('a', ${b}, 'c')"},
      {"today()", "today()"},
      {"${a}!=1 and ${b}>=2", "${a} != 1 and ${b} >= 2"},
      {"'Қазақ'", "'Қазақ'"},
  };
  for (const auto& [text, want] : cases) {
    Result<Expr> expr = Expr::Parse(text);
    ASSERT_TRUE(expr.ok()) << text << ": " << expr.status().ToString();
    EXPECT_EQ(expr->ToString(), want) << text;
    Result<Expr> again = Expr::Parse(expr->ToString());
    ASSERT_TRUE(again.ok()) << want;
    EXPECT_EQ(again->ToString(), want);
  }
}

TEST(ExprTest, ToStringKeepsChoiceColumnsAsWritten) {
  Result<Expr> expr = Expr::Parse("region=${region}", ParseOptions{true});
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ(expr->ToString(), "region = ${region}");
  EXPECT_EQ(expr->source(), "region=${region}");
}

// ---------------------------------------------------------------------------
// Metadata

TEST(ExprTest, ReferencesAreUniqueInOrderOfFirstUse) {
  Result<Expr> expr = Expr::Parse("${b} + ${a} * ${b} + count(${c}) + ${a}");
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ(expr->references(), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_FALSE(expr->uses_current());
  EXPECT_FALSE(expr->uses_clock());
  EXPECT_TRUE(expr->choice_columns().empty());
  EXPECT_TRUE(expr->lookups().empty());
}

TEST(ExprTest, IndexedRepeatArgumentsAreReferences) {
  Result<Expr> expr = Expr::Parse("indexed-repeat(${name}, ${members}, ${n})");
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ(expr->references(), (std::vector<std::string>{"name", "members", "n"}));
}

TEST(ExprTest, ChoiceColumnsAreListedSeparately) {
  Result<Expr> expr = Expr::Parse("region = ${region} and district != region and zone", ParseOptions{true});
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ(expr->choice_columns(), (std::vector<std::string>{"region", "district", "zone"}));
  EXPECT_EQ(expr->references(), (std::vector<std::string>{"region"}));
}

TEST(ExprTest, LookupsListOnlyPulldataWithLiteralNames) {
  Result<Expr> expr = Expr::Parse(
      "pulldata('crops', 'price', 'code', ${c}) + pulldata(${list}, 'price', 'code', 1) + "
      "pulldata('farms', 'area', 'id', pulldata('crops', 'id', 'code', 'wh'))");
  ASSERT_TRUE(expr.ok());
  ASSERT_EQ(expr->lookups().size(), 3u);
  EXPECT_EQ(expr->lookups()[0].list, "crops");
  EXPECT_EQ(expr->lookups()[0].column, "price");
  EXPECT_EQ(expr->lookups()[0].key_column, "code");
  EXPECT_EQ(expr->lookups()[1].list, "farms");
  EXPECT_EQ(expr->lookups()[1].column, "area");
  EXPECT_EQ(expr->lookups()[1].key_column, "id");
  EXPECT_EQ(expr->lookups()[2].column, "id");
}

TEST(ExprTest, CurrentAnswerUseIncludesStringLengthWithoutArguments) {
  EXPECT_TRUE(Expr::Parse(". > 3")->uses_current());
  EXPECT_TRUE(Expr::Parse("string-length() < 10")->uses_current());
  EXPECT_FALSE(Expr::Parse("string-length(${a}) < 10")->uses_current());
  EXPECT_FALSE(Expr::Parse("position(..)")->uses_current());
}

TEST(ExprTest, ClockUseIsDetected) {
  EXPECT_TRUE(Expr::Parse("${dob} < today()")->uses_clock());
  EXPECT_TRUE(Expr::Parse("format-date(now(), '%Y')")->uses_clock());
  EXPECT_FALSE(Expr::Parse("date('2026-01-01')")->uses_clock());
}

TEST(ExprTest, SourceIsKeptVerbatim) {
  Result<Expr> expr = Expr::Parse("  ${a}+1 ");
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ(expr->source(), "  ${a}+1 ");
}

// ---------------------------------------------------------------------------
// Parse errors: one test per class, each checking position and wording.

TEST(ExprTest, EmptyTextIsAnError) {
  EXPECT_EQ(ParseError(""), "position 1: empty expression");
  EXPECT_EQ(ParseError(" \t\n"), "position 1: empty expression");
}

TEST(ExprTest, UnknownFunctionIsReportedAtItsName) {
  EXPECT_EQ(ParseError("1 + foo(1)"), "position 5: unknown function 'foo'");
  EXPECT_EQ(ParseError("jr:itext('a')"), "position 1: unknown function 'jr:itext'");
  EXPECT_EQ(ParseError("and(1)"), "position 1: unknown function 'and'");
}

TEST(ExprTest, WrongArgumentCountSaysWhatIsExpected) {
  EXPECT_EQ(ParseError("if(1, 2)"), "position 1: if() takes 3 arguments, got 2");
  EXPECT_EQ(ParseError("not(1, 2)"), "position 1: not() takes 1 argument, got 2");
  EXPECT_EQ(ParseError("today(1)"), "position 1: today() takes 0 arguments, got 1");
  EXPECT_EQ(ParseError("concat()"), "position 1: concat() takes at least 1 argument, got 0");
  EXPECT_EQ(ParseError("'Қ' = substr('a')"), "position 7: substr() takes 2 or 3 arguments, got 1");
  EXPECT_EQ(ParseError("string-length(1, 2)"), "position 1: string-length() takes 0 or 1 arguments, got 2");
  EXPECT_EQ(ParseError("pulldata('a', 'b', 'c')"), "position 1: pulldata() takes 4 arguments, got 3");
  EXPECT_EQ(ParseError("position(.., ..)"), "position 1: position() takes 0 or 1 arguments, got 2");
}

TEST(ExprTest, UnterminatedStringIsReportedAtItsOpeningQuote) {
  EXPECT_EQ(ParseError("'Қазақ' = 'abc"), "position 11: unterminated string");
  EXPECT_EQ(ParseError("\"it's"), "position 1: unterminated string");
  EXPECT_EQ(ParseError("concat(\"a', 'b')"), "position 8: unterminated string");
}

TEST(ExprTest, UnterminatedFieldReferenceIsReportedAtTheDollar) {
  EXPECT_EQ(ParseError("1 + ${age"), "position 5: unterminated ${");
  EXPECT_EQ(ParseError("${"), "position 1: unterminated ${");
}

TEST(ExprTest, EmptyFieldReferenceIsAnError) {
  EXPECT_EQ(ParseError("1 + ${}"), "position 5: empty ${}");
}

TEST(ExprTest, MalformedFieldNameIsReportedAtTheBadCharacter) {
  EXPECT_EQ(ParseError("${1a}"), "position 3: field name must start with a letter or '_'");
  EXPECT_EQ(ParseError("${a b}"), "position 4: invalid character ' ' in field name");
  EXPECT_EQ(ParseError("${имя}"), "position 3: field name must start with a letter or '_'");
  EXPECT_EQ(ParseError("${aб}"), "position 4: invalid character 'б' in field name");
  EXPECT_EQ(ParseError("$a"), "position 1: expected '{' after '$'");
}

TEST(ExprTest, MissingOperandIsAnUnexpectedToken) {
  EXPECT_EQ(ParseError("1 +"), "position 4: expected a value, found end of expression");
  EXPECT_EQ(ParseError("'Алматы' = ${city} and"), "position 23: expected a value, found end of expression");
  EXPECT_EQ(ParseError("1 + * 2"), "position 5: expected a value, found '*'");
  EXPECT_EQ(ParseError("1 + div 2"), "position 5: expected a value, found 'div'");
  EXPECT_EQ(ParseError("()"), "position 2: expected a value, found ')'");
  EXPECT_EQ(ParseError("concat('a',)"), "position 12: expected a value, found ')'");
  EXPECT_EQ(ParseError("= 1"), "position 1: expected a value, found '='");
}

TEST(ExprTest, UnbalancedParenthesesAreUnexpectedTokens) {
  EXPECT_EQ(ParseError("(1 + 2"), "position 7: expected ')', found end of expression");
  EXPECT_EQ(ParseError("(1 2)"), "position 4: expected ')', found number 2");
  EXPECT_EQ(ParseError("concat('a' 'b')"), "position 12: expected ',' or ')', found string 'b'");
  EXPECT_EQ(ParseError("concat('a', 'b'"), "position 16: expected ',' or ')', found end of expression");
}

TEST(ExprTest, TrailingGarbageIsReported) {
  EXPECT_EQ(ParseError("1 2"), "position 3: unexpected number 2 after the expression");
  EXPECT_EQ(ParseError("1 = 1 )"), "position 7: unexpected ')' after the expression");
  EXPECT_EQ(ParseError("${a} b"), "position 6: unexpected 'b' after the expression");
  EXPECT_EQ(ParseError("'Қ' 'ab'"), "position 5: unexpected string 'ab' after the expression");
}

TEST(ExprTest, KeywordOperatorGluedToANumberIsNotAnOperator) {
  EXPECT_EQ(ParseError("1div2"), "position 2: unexpected 'div2' after the expression");
  EXPECT_EQ(ParseError("${a} mod2"), "position 6: unexpected 'mod2' after the expression");
}

TEST(ExprTest, SlashIsNotDivision) {
  EXPECT_EQ(ParseError("${a} / 2"), "position 6: use 'div' for division");
  EXPECT_EQ(ParseError("/data/a"), "position 1: use 'div' for division");
}

TEST(ExprTest, BareNameOutsideChoiceFilterPointsToFieldSyntax) {
  EXPECT_EQ(ParseError("region = 'x'"), "position 1: bare name 'region': write ${region} to refer to a question");
  EXPECT_EQ(ParseError("1 + a.b-c"), "position 5: bare name 'a.b-c': write ${a.b-c} to refer to a question");
  EXPECT_EQ(ParseError("true"), "position 1: bare name 'true': write true() for the boolean");
}

TEST(ExprTest, StrayCharactersAreReported) {
  EXPECT_EQ(ParseError("1 # 2"), "position 3: unexpected character '#'");
  EXPECT_EQ(ParseError("'a' = «b»"), "position 7: unexpected character '«'");
  EXPECT_EQ(ParseError("1 ! 2"), "position 3: unexpected character '!'");
  EXPECT_EQ(ParseError("${a}[1]"), "position 5: unexpected character '['");
  EXPECT_EQ(ParseError("${a} | ${b}"), "position 6: unexpected character '|'");
}

TEST(ExprTest, InvalidUtf8IsReportedWhereItStarts) {
  EXPECT_EQ(ParseError("'ab\xff'"), "position 4: invalid UTF-8");
  EXPECT_EQ(ParseError("'Қ\xd2'"), "position 3: invalid UTF-8");
  EXPECT_EQ(ParseError("'\xed\xa0\x80'"), "position 2: invalid UTF-8");
}

TEST(ExprTest, MalformedNumbersAreRejected) {
  EXPECT_EQ(ParseError("1e3"), "position 2: numbers cannot have an exponent");
  EXPECT_EQ(ParseError("2.5E-1"), "position 4: numbers cannot have an exponent");
  EXPECT_EQ(ParseError("1" + std::string(400, '0')), "position 1: number too large");
  EXPECT_EQ(ParseError("1.2.3"), "position 4: unexpected number .3 after the expression");
}

TEST(ExprTest, ParentStepOnlyInsidePosition) {
  EXPECT_EQ(ParseError(".."), "position 1: '..' is only allowed as the argument of position()");
  EXPECT_EQ(ParseError("count(..)"), "position 7: '..' is only allowed as the argument of position()");
  EXPECT_EQ(ParseError("position(1)"), "position 10: the argument of position() must be '..'");
  EXPECT_EQ(ParseError("position(.. + 1)"), "position 13: expected ',' or ')', found '+'");
}

TEST(ExprTest, IndexedRepeatNeedsFieldReferences) {
  EXPECT_EQ(ParseError("indexed-repeat('a', ${r}, 1)"),
            "position 16: indexed-repeat() argument 1 must be a ${field} reference");
  EXPECT_EQ(ParseError("indexed-repeat(${a}, concat(${r}), 1)"),
            "position 22: indexed-repeat() argument 2 must be a ${field} reference");
}

TEST(ExprTest, InvalidLiteralRegexIsAParseError) {
  const std::string syntax = "invalid regular expression: unbalanced parentheses or a quantifier with nothing to repeat";
  EXPECT_EQ(ParseError("regex(., '(ab')"), "position 10: " + syntax);
  EXPECT_EQ(ParseError("regex(., '*a')"), "position 10: " + syntax);
  EXPECT_EQ(ParseError("regex(., '[a')"), "position 10: invalid regular expression: unmatched '['");
  EXPECT_EQ(ParseError("regex(., '[b-a]')"), "position 10: invalid regular expression: invalid character range");
  EXPECT_EQ(ParseError("regex(., '[[:foo:]]')"), "position 10: invalid regular expression: invalid character class");
  EXPECT_EQ(ParseError("regex(., 'a\\')"), "position 10: invalid regular expression: invalid escape");
  EXPECT_EQ(ParseError("regex(., 'a{99999}')"), "position 10: invalid regular expression: too complex");
  EXPECT_EQ(ParseError("regex(., 'a{2,1}')"), "position 10: invalid regular expression: invalid count in '{}'");
  EXPECT_EQ(ParseError("regex(., '(a)\\1')"),
            "position 10: invalid regular expression: back-references are not supported");
  EXPECT_EQ(ParseError("regex(., '" + std::string(1001, 'a') + "')"),
            "position 10: invalid regular expression: pattern longer than 1000 bytes");
}

TEST(ExprTest, DeepParenthesesAreRefused) {
  const std::string text = std::string(300, '(') + "1" + std::string(300, ')');
  EXPECT_EQ(ParseError(text), "position 201: expression nested too deeply");
}

TEST(ExprTest, DeepUnaryMinusIsRefused) {
  EXPECT_EQ(ParseError(std::string(100000, '-') + "1"), "position 201: expression nested too deeply");
}

TEST(ExprTest, DeepFunctionNestingIsRefused) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "abs(";
  text += "1" + std::string(1000, ')');
  EXPECT_EQ(ParseError(text), "position 801: expression nested too deeply");
}

TEST(ExprTest, LongOperatorChainIsRefusedAsTooDeep) {
  std::string text = "1";
  for (int i = 0; i < 5000; ++i) text += " + 1";
  // The 200th '+' would make the tree 201 levels deep.
  EXPECT_EQ(ParseError(text), "position " + std::to_string(3 + 4 * 199) + ": expression nested too deeply");
  // 199 operators is fine.
  text = "1";
  for (int i = 0; i < 199; ++i) text += " + 1";
  EXPECT_TRUE(Expr::Parse(text).ok());
}

TEST(ExprTest, BadRuntimeValuesDoNotFailEvaluation) {
  FakeContext context;
  context.fields["huge"] = Value::Number(1e308);
  context.fields["nan"] = Value::Number(kNaN);
  context.fields["far_date"] = Value::Date(std::numeric_limits<int64_t>::max());
  context.fields["far_time"] = Value::DateTime(std::numeric_limits<int64_t>::min(), -840);
  context.fields["long"] = Value::String(std::string(200000, 'a'));
  context.fields["nested"] = Value::List({Value::List({Value::String("x")}), Value::Number(1)});
  for (const char* text : {
           "date(${huge})", "round(${huge}, 400)", "round(1.5, ${huge})", "round(${huge}, -400)",
           "selected-at(${crops}, ${huge})", "indexed-repeat(${a}, ${b}, ${nan})", "substr('abc', ${huge}, ${nan})",
           "format-date(${far_date}, '%Y %a %b')", "format-date(${far_time}, '%Y %H')", "string(${far_date})",
           "${far_date} < today()", "${far_time} = now()", "decimal-date-time(${far_time})",
           "regex(${long}, '^(a|b)*$')", "regex(${long}, ${long})", "${nested} = 'x'", "concat(${nested})",
           "pow(${huge}, ${huge})", "int(${huge} * 10)", "date(${huge} div 0)",
       }) {
    Result<Expr> expr = Expr::Parse(text);
    ASSERT_TRUE(expr.ok()) << text << ": " << expr.status().ToString();
    (void)expr->Evaluate(context);
  }
  EXPECT_TRUE(Expr::Parse("regex(${long}, '^(a|b)*$')")->Evaluate(context).SameAs(B(true)));
  EXPECT_TRUE(Expr::Parse("${nested} = 'x'")->Evaluate(context).SameAs(B(true)));
}

}  // namespace
}  // namespace dala::schema
