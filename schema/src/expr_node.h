// The parsed expression tree, shared by the parser and the evaluator.
// Internal to dala_schema.
#pragma once

#include <cstdint>
#include <memory>
// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s regex
// compiler (GCC bug 105562); it is not ours to fix and -Werror is on.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <string>
#include <string_view>
#include <vector>

#include "dala/schema/expr.h"
#include "dala/schema/value.h"

namespace dala::schema {

namespace internal {

// Deeper trees are refused at parse time so that the recursive evaluator,
// printer and destructor cannot exhaust the stack.
inline constexpr int kMaxDepth = 200;

enum class Op : uint8_t {
  kLiteral,       // literal: a Number or a String
  kField,         // ${name}
  kCurrent,       // .
  kParent,        // .. (only as the argument of position())
  kChoiceColumn,  // bare name in a choice_filter
  kNegate,        // unary minus; args[0]
  kCall,          // function; args
  // Binary operators, args[0] op args[1].
  kOr,
  kAnd,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
};

enum class Function : uint8_t {
  kIf,
  kNot,
  kTrue,
  kFalse,
  kBoolean,
  kCoalesce,
  kSelected,
  kCountSelected,
  kSelectedAt,
  kConcat,
  kJoin,
  kString,
  kStringLength,
  kSubstr,
  kContains,
  kStartsWith,
  kEndsWith,
  kNormalizeSpace,
  kRegex,
  kNumber,
  kInt,
  kRound,
  kFloor,
  kCeiling,
  kAbs,
  kPow,
  kMin,
  kMax,
  kSum,
  kCount,
  kToday,
  kNow,
  kDate,
  kDecimalDateTime,
  kFormatDate,
  kPulldata,
  kPosition,
  kIndexedRepeat,
  kChoiceName,
  kOnce,
  kUuid,
};

struct FunctionInfo {
  std::string_view name;
  Function function;
  int min_args;
  int max_args;  // -1: no limit
};

// nullptr if `name` is not a function of the language.
const FunctionInfo* FindFunction(std::string_view name);
const FunctionInfo& GetFunctionInfo(Function function);

// Binding strength for printing and parsing: or 1 ... unary minus 7,
// operands that need no parentheses 8.
int Precedence(Op op);
std::string_view OperatorText(Op op);

// Flags for regex(): ECMAScript with libstdc++'s breadth-first matcher, whose
// stack use does not grow with the subject's length (the default depth-first
// matcher recurses once per character and overflows on long answers).
inline constexpr auto kRegexFlags = std::regex::ECMAScript | std::regex_constants::__polynomial;
// libstdc++ compiles a pattern by recursing once per term; longer patterns
// are refused before they can exhaust the stack.
inline constexpr size_t kMaxRegexPatternBytes = 1000;

// Compiles `pattern` for regex(). Never throws: on failure returns nullptr
// and sets *error to what is wrong with the pattern.
std::unique_ptr<const std::regex> CompileRegex(std::string_view pattern, std::string* error);

}  // namespace internal

struct Expr::Node {
  internal::Op op = internal::Op::kLiteral;
  internal::Function function = internal::Function::kIf;  // kCall only
  uint16_t height = 1;      // 1 for a leaf
  uint32_t byte_offset = 0;  // where the node starts in the source text
  Value literal;             // kLiteral
  std::string name;          // kField, kChoiceColumn; the function name for kCall
  std::vector<std::unique_ptr<const Node>> args;
  // regex() whose pattern is a literal: compiled once, at parse time.
  std::unique_ptr<const std::regex> regex;
};

namespace internal {
// The question a jr:choice-name() call names: its second argument, a
// string literal '${name}' (checked when parsed).
std::string_view ChoiceNameQuestion(const Expr::Node& call);
}  // namespace internal

}  // namespace dala::schema
