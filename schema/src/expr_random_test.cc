// Randomized tests of the expression parser and evaluator, with fixed seeds
// so that a failure reproduces.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/utf8.h"
#include "dala/schema/expr.h"
#include "expr_test_context.h"

namespace dala::schema {
namespace {

using testing::FakeContext;

// Builds random well-formed expression text: random functions with a valid
// argument count, operators, literals and references to the fake context's
// fields, with random spacing and redundant parentheses.
class ExpressionGenerator {
 public:
  explicit ExpressionGenerator(uint32_t seed) : rng_(seed) {}

  std::string Generate(int depth) {
    if (depth <= 0 || Chance(0.2)) return Leaf();
    switch (Pick(4)) {
      case 0: return Binary(depth);
      case 1: return Unary(depth);
      case 2: return Parenthesized(Generate(depth - 1));
      default: return Call(depth);
    }
  }

  std::mt19937& rng() { return rng_; }

 private:
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  template <typename T>
  const T& OneOf(const std::vector<T>& items) {
    return items[Pick(items.size())];
  }

  std::string Space() {
    static const std::vector<std::string> kSpaces = {"", "", " ", " ", "  ", "\t", "\n", "\r\n"};
    return OneOf(kSpaces);
  }
  // Keyword operators need a separator on each side.
  std::string RequiredSpace() {
    static const std::vector<std::string> kSpaces = {" ", " ", "  ", "\t", "\n"};
    return OneOf(kSpaces);
  }

  std::string Parenthesized(const std::string& inner) { return "(" + Space() + inner + Space() + ")"; }

  std::string Number() {
    switch (Pick(5)) {
      case 0: return std::to_string(Pick(10));
      case 1: return std::to_string(Pick(100000));
      case 2: return std::to_string(Pick(1000)) + "." + std::to_string(Pick(1000));
      case 3: return "." + std::to_string(Pick(100));
      default: return std::to_string(Pick(50)) + ".";
    }
  }

  std::string StringLiteral() {
    static const std::vector<std::string> kStrings = {
        "", "a", "abc", "12", " 3.5 ", "-1", "1e3", "wheat", "barley", "wheat barley", "Қазақстан", "Айгүл",
        "Ә", "Россия", "2026-11-27", "1990-05-17", "2026-11-27T10:00:00+05:00", "2026-11-27T04:00Z",
        "09:30", "10:00", "%Y-%m-%d %H:%M", "%e/%n/%y %a %b %%", "true", "NaN", "it's", "say \"hi\"", "  "};
    const std::string& s = OneOf(kStrings);
    if (s.find('\'') != std::string::npos) return "\"" + s + "\"";
    if (s.find('"') != std::string::npos) return "'" + s + "'";
    return Chance(0.5) ? "'" + s + "'" : "\"" + s + "\"";
  }

  std::string Field() {
    static const std::vector<std::string> kFields = {
        "age",        "name",         "empty_q", "blank",       "flag",   "num_str",    "code",
        "crops",      "crops_text",   "dob",     "visit",       "start_time", "member_age",
        "member_name", "members",     "empty_list", "ages_with_blank", "nonexistent"};
    return "${" + OneOf(kFields) + "}";
  }

  std::string Leaf() {
    switch (Pick(9)) {
      case 0:
      case 1: return Number();
      case 2:
      case 3: return StringLiteral();
      case 4:
      case 5:
      case 6: return Field();
      case 7: return ".";
      default: {
        static const std::vector<std::string> kNullary = {"true()", "false()", "today()", "now()", "position(..)",
                                                         "position()", "string-length()"};
        return OneOf(kNullary);
      }
    }
  }

  std::string Binary(int depth) {
    static const std::vector<std::string> kSymbols = {"+", "-", "*", "=", "!=", "<", "<=", ">", ">="};
    static const std::vector<std::string> kKeywords = {"and", "or", "div", "mod"};
    std::string lhs = Operand(depth - 1);
    std::string rhs = Operand(depth - 1);
    if (Chance(0.3)) return lhs + RequiredSpace() + OneOf(kKeywords) + RequiredSpace() + rhs;
    return lhs + Space() + OneOf(kSymbols) + Space() + rhs;
  }

  std::string Operand(int depth) {
    std::string e = Generate(depth);
    return Chance(0.3) ? Parenthesized(e) : e;
  }

  std::string Unary(int depth) { return "-" + Space() + Operand(depth - 1); }

  struct Signature {
    const char* name;
    int min_args;
    int max_args;
  };

  std::string Call(int depth) {
    static const std::vector<Signature> kFunctions = {
        {"if", 3, 3},         {"not", 1, 1},           {"boolean", 1, 1},        {"coalesce", 2, 2},
        {"selected", 2, 2},   {"count-selected", 1, 1}, {"selected-at", 2, 2},   {"concat", 1, 4},
        {"join", 2, 2},       {"string", 1, 1},        {"string-length", 0, 1}, {"substr", 2, 3},
        {"contains", 2, 2},   {"starts-with", 2, 2},   {"ends-with", 2, 2},     {"normalize-space", 1, 1},
        {"number", 1, 1},     {"int", 1, 1},           {"round", 1, 2},         {"floor", 1, 1},
        {"ceiling", 1, 1},    {"abs", 1, 1},           {"pow", 2, 2},           {"min", 1, 4},
        {"max", 1, 4},        {"sum", 1, 1},           {"count", 1, 1},         {"date", 1, 1},
        {"decimal-date-time", 1, 1}, {"format-date", 2, 2}, {"pulldata", 4, 4}, {"regex", 2, 2},
        {"indexed-repeat", 3, 3}, {"true", 0, 0},      {"false", 0, 0},         {"today", 0, 0},
        {"now", 0, 0},        {"position", 0, 1},
    };
    const Signature& f = OneOf(kFunctions);
    const std::string name = f.name;
    std::vector<std::string> args;
    if (name == "position") {
      if (Chance(0.5)) args.push_back("..");
    } else if (name == "indexed-repeat") {
      args.push_back(Chance(0.5) ? "${member_name}" : "${member_age}");
      args.push_back(Chance(0.8) ? "${members}" : "${crops}");
      args.push_back(Generate(depth - 1));
    } else if (name == "regex") {
      // A literal pattern is compiled at parse time, so only valid ones are
      // generated; non-literal patterns may be anything.
      static const std::vector<std::string> kPatterns = {
          "'^[0-9]+$'", "'[a-z]'", "'^Қ'", "'a|b'", "'^$'", "'(wh|bar)'", "'\\d{2}:\\d{2}'", "'.'",
          "${pattern}", "${bad_pattern}", "concat('(', 'x')", "${name}"};
      args.push_back(Generate(depth - 1));
      args.push_back(OneOf(kPatterns));
    } else if (name == "pulldata") {
      static const std::vector<std::string> kNames = {"'crops'", "'name_kk'", "'price'", "'code'", "'nope'",
                                                      "${code}"};
      for (int i = 0; i < 3; ++i) args.push_back(OneOf(kNames));
      args.push_back(Chance(0.5) ? "'wh'" : Generate(depth - 1));
    } else {
      const int count = f.min_args + static_cast<int>(Pick(static_cast<size_t>(f.max_args - f.min_args + 1)));
      for (int i = 0; i < count; ++i) args.push_back(Generate(depth - 1));
    }
    std::string text = name + (Chance(0.2) ? " " : "") + "(" + Space();
    for (size_t i = 0; i < args.size(); ++i) {
      if (i > 0) text += Space() + "," + Space();
      text += args[i];
    }
    return text + Space() + ")";
  }

  std::mt19937 rng_;
};

// A parse failure must be InvalidArgument "position N: ..." with N inside
// the text or just past its end.
void ExpectWellFormedFailure(const std::string& text, const Status& status) {
  ASSERT_EQ(status.code(), Status::Code::kInvalidArgument) << status.ToString();
  const std::string& message = status.message();
  ASSERT_EQ(message.rfind("position ", 0), 0u) << message;
  size_t i = 9;
  size_t n = 0;
  while (i < message.size() && message[i] >= '0' && message[i] <= '9') n = n * 10 + (message[i++] - '0');
  ASSERT_GT(i, 9u) << message;
  ASSERT_EQ(message.substr(i, 2), ": ") << message;
  ASSERT_GT(message.size(), i + 2) << message;
  EXPECT_GE(n, 1u) << message;
  EXPECT_LE(n, utf8::Length(text) + 1) << text << " -> " << message;
}

TEST(ExprRandomTest, GeneratedExpressionsRoundTripThroughToString) {
  ExpressionGenerator generator(20261127);
  FakeContext context;
  for (int i = 0; i < 5000; ++i) {
    const std::string text = generator.Generate(1 + i % 7);
    SCOPED_TRACE(text);
    Result<Expr> expr = Expr::Parse(text);
    ASSERT_TRUE(expr.ok()) << expr.status().ToString();
    const std::string canonical = expr->ToString();
    Result<Expr> reparsed = Expr::Parse(canonical);
    ASSERT_TRUE(reparsed.ok()) << canonical << ": " << reparsed.status().ToString();
    ASSERT_EQ(reparsed->ToString(), canonical);
    EXPECT_EQ(reparsed->references(), expr->references());
    EXPECT_EQ(reparsed->uses_current(), expr->uses_current());
    EXPECT_EQ(reparsed->uses_clock(), expr->uses_clock());
    EXPECT_EQ(reparsed->lookups().size(), expr->lookups().size());
    const Value original = expr->Evaluate(context);
    const Value again = reparsed->Evaluate(context);
    ASSERT_TRUE(original.SameAs(again)) << canonical << ": " << original.AsString() << " vs " << again.AsString();
  }
}

TEST(ExprRandomTest, RandomBytesNeverCrashTheParser) {
  std::mt19937 rng(7);
  static const std::string kAlphabet = "${}()'\",..+-*=!<>/ \t\n0123456789abcdivmodnrt_:";
  FakeContext context;
  for (int i = 0; i < 3000; ++i) {
    const size_t length = std::uniform_int_distribution<size_t>(0, 40)(rng);
    std::string text;
    for (size_t k = 0; k < length; ++k) {
      const int kind = std::uniform_int_distribution<int>(0, 9)(rng);
      if (kind < 7) {
        text += kAlphabet[std::uniform_int_distribution<size_t>(0, kAlphabet.size() - 1)(rng)];
      } else if (kind < 9) {
        text += "Қ";
      } else {
        text += static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
      }
    }
    SCOPED_TRACE(text);
    Result<Expr> expr = Expr::Parse(text);
    if (expr.ok()) {
      (void)expr->Evaluate(context);
      Result<Expr> again = Expr::Parse(expr->ToString());
      ASSERT_TRUE(again.ok()) << expr->ToString();
      EXPECT_EQ(again->ToString(), expr->ToString());
    } else {
      ExpectWellFormedFailure(text, expr.status());
    }
  }
}

TEST(ExprRandomTest, MutatedExpressionsFailWithAPositionInsideTheText) {
  ExpressionGenerator generator(42);
  static const std::vector<std::string> kInserts = {
      "(", ")", "${", "}", "'", "\"", ",", "..", ".", "-", " div ", "/", "Қ", "\xff", "\xd2", "1e", "$",
      "position(", "regex(., '", "[", "))", "((", " and ", "foo(", "${}", "!", "=", "${a"};
  FakeContext context;
  int failures = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = generator.Generate(1 + i % 4);
    const int mutations = 1 + i % 3;
    for (int m = 0; m < mutations; ++m) {
      const size_t at = std::uniform_int_distribution<size_t>(0, text.size())(generator.rng());
      switch (std::uniform_int_distribution<int>(0, 3)(generator.rng())) {
        case 0:
          if (at < text.size()) text.erase(at, 1);
          break;
        case 1:
          text.insert(at, kInserts[std::uniform_int_distribution<size_t>(0, kInserts.size() - 1)(generator.rng())]);
          break;
        case 2:
          if (at < text.size()) text[at] = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(generator.rng()));
          break;
        default: text.resize(at); break;
      }
    }
    SCOPED_TRACE(text);
    Result<Expr> expr = Expr::Parse(text);
    if (expr.ok()) {
      (void)expr->Evaluate(context);
      Result<Expr> again = Expr::Parse(expr->ToString());
      ASSERT_TRUE(again.ok()) << expr->ToString();
      EXPECT_EQ(again->ToString(), expr->ToString());
    } else {
      ++failures;
      ExpectWellFormedFailure(text, expr.status());
    }
  }
  EXPECT_GT(failures, 1000);  // the mutations do break most expressions
}

}  // namespace
}  // namespace dala::schema
