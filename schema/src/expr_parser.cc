// Parsing and printing of form expressions. The grammar is in
// schema/EXPRESSIONS.md; this is a recursive-descent parser with precedence
// climbing for the binary operators.
#include <algorithm>
#include <cmath>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "dala/base/utf8.h"
#include "dala/schema/expr.h"
#include "expr_node.h"
#include "expr_number.h"

namespace dala::schema {

namespace internal {

namespace {

constexpr FunctionInfo kFunctions[] = {
    {"if", Function::kIf, 3, 3},
    {"not", Function::kNot, 1, 1},
    {"true", Function::kTrue, 0, 0},
    {"false", Function::kFalse, 0, 0},
    {"boolean", Function::kBoolean, 1, 1},
    {"coalesce", Function::kCoalesce, 2, 2},
    {"selected", Function::kSelected, 2, 2},
    {"count-selected", Function::kCountSelected, 1, 1},
    {"selected-at", Function::kSelectedAt, 2, 2},
    {"concat", Function::kConcat, 1, -1},
    {"join", Function::kJoin, 2, 2},
    {"string", Function::kString, 1, 1},
    {"string-length", Function::kStringLength, 0, 1},
    {"substr", Function::kSubstr, 2, 3},
    {"contains", Function::kContains, 2, 2},
    {"starts-with", Function::kStartsWith, 2, 2},
    {"ends-with", Function::kEndsWith, 2, 2},
    {"normalize-space", Function::kNormalizeSpace, 1, 1},
    {"regex", Function::kRegex, 2, 2},
    {"number", Function::kNumber, 1, 1},
    {"int", Function::kInt, 1, 1},
    {"round", Function::kRound, 1, 2},
    {"floor", Function::kFloor, 1, 1},
    {"ceiling", Function::kCeiling, 1, 1},
    {"abs", Function::kAbs, 1, 1},
    {"pow", Function::kPow, 2, 2},
    {"min", Function::kMin, 1, -1},
    {"max", Function::kMax, 1, -1},
    {"sum", Function::kSum, 1, 1},
    {"count", Function::kCount, 1, 1},
    {"today", Function::kToday, 0, 0},
    {"now", Function::kNow, 0, 0},
    {"date", Function::kDate, 1, 1},
    {"decimal-date-time", Function::kDecimalDateTime, 1, 1},
    {"format-date", Function::kFormatDate, 2, 2},
    {"pulldata", Function::kPulldata, 4, 4},
    {"position", Function::kPosition, 0, 1},
    {"indexed-repeat", Function::kIndexedRepeat, 3, 3},
    {"jr:choice-name", Function::kChoiceName, 2, 2},
    {"once", Function::kOnce, 1, 1},
    {"uuid", Function::kUuid, 0, 0},
};

const char* RegexErrorText(std::regex_constants::error_type code) {
  namespace rc = std::regex_constants;
  if (code == rc::error_collate || code == rc::error_ctype) return "invalid character class";
  if (code == rc::error_escape) return "invalid escape";
  if (code == rc::error_backref) return "invalid back-reference";
  if (code == rc::error_brack) return "unmatched '['";
  // libstdc++ reports most syntax errors, not only unbalanced parentheses,
  // as error_paren.
  if (code == rc::error_paren) return "unbalanced parentheses or a quantifier with nothing to repeat";
  if (code == rc::error_brace) return "unmatched '{'";
  if (code == rc::error_badbrace) return "invalid count in '{}'";
  if (code == rc::error_range) return "invalid character range";
  if (code == rc::error_badrepeat) return "nothing to repeat";
  // The breadth-first matcher refuses back-references with error_complexity.
  if (code == rc::error_complexity) return "back-references are not supported";
  return "too complex";
}

}  // namespace

const FunctionInfo* FindFunction(std::string_view name) {
  for (const FunctionInfo& info : kFunctions) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string_view ChoiceNameQuestion(const Expr::Node& call) {
  std::string_view t = call.args[1]->literal.string_value();
  return t.substr(2, t.size() - 3);
}

const FunctionInfo& GetFunctionInfo(Function function) {
  for (const FunctionInfo& info : kFunctions) {
    if (info.function == function) return info;
  }
  return kFunctions[0];  // unreachable: every Function is in the table
}

int Precedence(Op op) {
  switch (op) {
    case Op::kOr: return 1;
    case Op::kAnd: return 2;
    case Op::kEq:
    case Op::kNe: return 3;
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: return 4;
    case Op::kAdd:
    case Op::kSub: return 5;
    case Op::kMul:
    case Op::kDiv:
    case Op::kMod: return 6;
    case Op::kNegate: return 7;
    case Op::kLiteral:
    case Op::kField:
    case Op::kCurrent:
    case Op::kParent:
    case Op::kChoiceColumn:
    case Op::kCall: return 8;
  }
  return 8;
}

std::string_view OperatorText(Op op) {
  switch (op) {
    case Op::kOr: return "or";
    case Op::kAnd: return "and";
    case Op::kEq: return "=";
    case Op::kNe: return "!=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kAdd: return "+";
    case Op::kSub: return "-";
    case Op::kMul: return "*";
    case Op::kDiv: return "div";
    case Op::kMod: return "mod";
    case Op::kNegate: return "-";
    default: return "";
  }
}

std::unique_ptr<const std::regex> CompileRegex(std::string_view pattern, std::string* error) {
  if (pattern.size() > kMaxRegexPatternBytes) {
    *error = "pattern longer than " + std::to_string(kMaxRegexPatternBytes) + " bytes";
    return nullptr;
  }
  try {
    return std::make_unique<const std::regex>(pattern.begin(), pattern.end(), kRegexFlags);
  } catch (const std::regex_error& e) {
    *error = RegexErrorText(e.code());
  } catch (const std::exception&) {
    *error = "too complex";
  }
  return nullptr;
}

}  // namespace internal

namespace {

using internal::Function;
using internal::FunctionInfo;
using internal::kMaxDepth;
using internal::Op;
using Node = Expr::Node;
using NodePtr = std::unique_ptr<Node>;

enum class Tok {
  kEnd,
  kNumber,
  kString,
  kField,
  kDot,
  kDotDot,
  kName,
  kLParen,
  kRParen,
  kComma,
  kPlus,
  kMinus,
  kStar,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t begin = 0;  // byte offsets into the source
  size_t end = 0;
  std::string_view text;  // name, field name, or string contents
  double number = 0;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsNameStart(char c) { return IsLetter(c) || c == '_'; }
bool IsFieldNameChar(char c) { return IsLetter(c) || IsDigit(c) || c == '_' || c == '-' || c == '.'; }
// Function names also take ':' (namespaced XPath names such as jr:...).
bool IsNameChar(char c) { return IsFieldNameChar(c) || c == ':'; }

// Byte length of the UTF-8 sequence that starts with `lead`, by its lead
// byte alone.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Byte offset of the first malformed UTF-8 sequence, or npos.
size_t FirstInvalidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = SequenceLength(static_cast<unsigned char>(s[i]));
    if (i + n > s.size() || !utf8::IsValid(s.substr(i, n))) return i;
    i += n;
  }
  return std::string_view::npos;
}

bool IsKeyword(std::string_view name) {
  return name == "and" || name == "or" || name == "div" || name == "mod";
}

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options) : text_(text), options_(options) {}

  // The whole expression, or nullptr with error() set.
  NodePtr Run() {
    if (size_t bad = FirstInvalidUtf8(text_); bad != std::string_view::npos) {
      return Fail(bad, "invalid UTF-8");
    }
    if (!Advance()) return nullptr;
    if (cur_.kind == Tok::kEnd) return Fail(0, "empty expression");
    NodePtr root = ParseBinary(1);
    if (!root) return nullptr;
    if (cur_.kind != Tok::kEnd) return Fail(cur_.begin, "unexpected " + Describe(cur_) + " after the expression");
    return root;
  }

  const Status& error() const { return error_; }

 private:
  // ---- errors

  NodePtr Fail(size_t byte_offset, const std::string& what) {
    if (error_.ok()) {
      const size_t position = utf8::Length(text_.substr(0, byte_offset)) + 1;
      error_ = Status::InvalidArgument("position " + std::to_string(position) + ": " + what);
    }
    return nullptr;
  }

  // How a token is named in a message: its source text, shortened.
  std::string Describe(const Token& t) const {
    if (t.kind == Tok::kEnd) return "end of expression";
    constexpr size_t kMaxShown = 30;
    std::string_view source = text_.substr(t.begin, t.end - t.begin);
    std::string shown = utf8::Length(source) > kMaxShown ? utf8::Substr(source, 0, kMaxShown) + "..."
                                                          : std::string(source);
    switch (t.kind) {
      case Tok::kString: return "string " + shown;
      case Tok::kNumber: return "number " + shown;
      default: return "'" + shown + "'";
    }
  }

  // ---- lexer

  // Reads the next token into cur_. False (with the error set) if the text
  // there is not a token.
  bool Advance() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
    cur_ = Token();
    cur_.begin = pos_;
    if (pos_ >= text_.size()) {
      cur_.end = pos_;
      return true;
    }
    const char c = text_[pos_];
    const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    auto single = [&](Tok kind, size_t length) {
      cur_.kind = kind;
      pos_ += length;
      cur_.end = pos_;
      return true;
    };
    switch (c) {
      case '(': return single(Tok::kLParen, 1);
      case ')': return single(Tok::kRParen, 1);
      case ',': return single(Tok::kComma, 1);
      case '+': return single(Tok::kPlus, 1);
      case '-': return single(Tok::kMinus, 1);
      case '*': return single(Tok::kStar, 1);
      case '=': return single(Tok::kEq, 1);
      case '<': return next == '=' ? single(Tok::kLe, 2) : single(Tok::kLt, 1);
      case '>': return next == '=' ? single(Tok::kGe, 2) : single(Tok::kGt, 1);
      case '!':
        if (next == '=') return single(Tok::kNe, 2);
        break;
      case '/': Fail(pos_, "use 'div' for division"); return false;
      case '$': return LexField();
      case '\'':
      case '"': return LexString(c);
      case '.':
        if (next == '.') return single(Tok::kDotDot, 2);
        if (IsDigit(next)) return LexNumber();
        return single(Tok::kDot, 1);
      default:
        if (IsDigit(c)) return LexNumber();
        if (IsNameStart(c)) {
          size_t end = pos_ + 1;
          while (end < text_.size() && IsNameChar(text_[end])) ++end;
          cur_.kind = Tok::kName;
          cur_.text = text_.substr(pos_, end - pos_);
          pos_ = end;
          cur_.end = end;
          return true;
        }
        break;
    }
    const size_t length = std::min(SequenceLength(static_cast<unsigned char>(c)), text_.size() - pos_);
    Fail(pos_, "unexpected character '" + std::string(text_.substr(pos_, length)) + "'");
    return false;
  }

  bool LexField() {
    const size_t start = pos_;
    if (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '{') {
      Fail(start, "expected '{' after '$'");
      return false;
    }
    const size_t name_begin = pos_ + 2;
    const size_t close = text_.find('}', name_begin);
    if (close == std::string_view::npos) {
      Fail(start, "unterminated ${");
      return false;
    }
    const std::string_view name = text_.substr(name_begin, close - name_begin);
    if (name.empty()) {
      Fail(start, "empty ${}");
      return false;
    }
    if (!IsNameStart(name[0])) {
      Fail(name_begin, "field name must start with a letter or '_'");
      return false;
    }
    for (size_t i = 1; i < name.size(); ++i) {
      if (!IsFieldNameChar(name[i])) {
        const size_t at = name_begin + i;
        const size_t length = std::min(SequenceLength(static_cast<unsigned char>(name[i])), name.size() - i);
        Fail(at, "invalid character '" + std::string(text_.substr(at, length)) + "' in field name");
        return false;
      }
    }
    cur_.kind = Tok::kField;
    cur_.text = name;
    pos_ = close + 1;
    cur_.end = pos_;
    return true;
  }

  bool LexString(char quote) {
    const size_t close = text_.find(quote, pos_ + 1);
    if (close == std::string_view::npos) {
      Fail(pos_, "unterminated string");
      return false;
    }
    cur_.kind = Tok::kString;
    cur_.text = text_.substr(pos_ + 1, close - pos_ - 1);
    pos_ = close + 1;
    cur_.end = pos_;
    return true;
  }

  bool LexNumber() {
    size_t end = pos_;
    while (end < text_.size() && IsDigit(text_[end])) ++end;
    if (end < text_.size() && text_[end] == '.' && !(end + 1 < text_.size() && text_[end + 1] == '.')) {
      ++end;
      while (end < text_.size() && IsDigit(text_[end])) ++end;
    }
    if (end < text_.size() && (text_[end] == 'e' || text_[end] == 'E') && end + 1 < text_.size() &&
        (IsDigit(text_[end + 1]) || text_[end + 1] == '-' || text_[end + 1] == '+')) {
      Fail(end, "numbers cannot have an exponent");
      return false;
    }
    double value = 0;
    if (!internal::ParseDecimal(text_.substr(pos_, end - pos_), false, &value)) {
      Fail(pos_, "malformed number");  // unreachable: the scan above admits only valid numbers
      return false;
    }
    if (std::isinf(value)) {
      Fail(pos_, "number too large");
      return false;
    }
    cur_.kind = Tok::kNumber;
    cur_.number = value;
    pos_ = end;
    cur_.end = end;
    return true;
  }

  // True if the next non-space character after the current token is '('.
  bool CallFollows() const {
    size_t i = cur_.end;
    while (i < text_.size() && IsSpace(text_[i])) ++i;
    return i < text_.size() && text_[i] == '(';
  }

  // ---- grammar

  NodePtr Make(Op op, size_t byte_offset) {
    auto node = std::make_unique<Node>();
    node->op = op;
    node->byte_offset = static_cast<uint32_t>(byte_offset);
    return node;
  }

  // Adopts `args` as the children of `node`; fails at `error_offset` if the
  // tree would be too deep.
  NodePtr Adopt(NodePtr node, std::vector<NodePtr> args, size_t error_offset) {
    int height = 0;
    for (NodePtr& arg : args) {
      height = std::max<int>(height, arg->height);
      node->args.push_back(std::move(arg));
    }
    if (height + 1 > kMaxDepth) return Fail(error_offset, "expression nested too deeply");
    node->height = static_cast<uint16_t>(height + 1);
    return node;
  }

  bool BinaryOpAt(const Token& t, Op* op) const {
    switch (t.kind) {
      case Tok::kPlus: *op = Op::kAdd; return true;
      case Tok::kMinus: *op = Op::kSub; return true;
      case Tok::kStar: *op = Op::kMul; return true;
      case Tok::kEq: *op = Op::kEq; return true;
      case Tok::kNe: *op = Op::kNe; return true;
      case Tok::kLt: *op = Op::kLt; return true;
      case Tok::kLe: *op = Op::kLe; return true;
      case Tok::kGt: *op = Op::kGt; return true;
      case Tok::kGe: *op = Op::kGe; return true;
      case Tok::kName:
        if (t.text == "or") *op = Op::kOr;
        else if (t.text == "and") *op = Op::kAnd;
        else if (t.text == "div") *op = Op::kDiv;
        else if (t.text == "mod") *op = Op::kMod;
        else return false;
        return true;
      default: return false;
    }
  }

  // Binary operators binding at least as tightly as `min_precedence`.
  NodePtr ParseBinary(int min_precedence) {
    NodePtr lhs = ParseUnary();
    if (!lhs) return nullptr;
    Op op;
    while (BinaryOpAt(cur_, &op) && internal::Precedence(op) >= min_precedence) {
      const size_t op_offset = cur_.begin;
      if (!Advance()) return nullptr;
      NodePtr rhs = ParseBinary(internal::Precedence(op) + 1);  // +1: left-associative
      if (!rhs) return nullptr;
      const size_t start = lhs->byte_offset;
      std::vector<NodePtr> args;
      args.push_back(std::move(lhs));
      args.push_back(std::move(rhs));
      lhs = Adopt(Make(op, start), std::move(args), op_offset);
      if (!lhs) return nullptr;
    }
    return lhs;
  }

  // Every level of nesting passes through here, so this is where the
  // recursion is bounded.
  NodePtr ParseUnary() {
    struct DepthGuard {
      int* depth;
      ~DepthGuard() { --*depth; }
    } guard{&depth_};
    if (++depth_ > kMaxDepth) return Fail(cur_.begin, "expression nested too deeply");
    if (cur_.kind != Tok::kMinus) return ParsePrimary();
    const size_t start = cur_.begin;
    if (!Advance()) return nullptr;
    NodePtr operand = ParseUnary();
    if (!operand) return nullptr;
    std::vector<NodePtr> args;
    args.push_back(std::move(operand));
    return Adopt(Make(Op::kNegate, start), std::move(args), start);
  }

  NodePtr ParsePrimary() {
    const Token t = cur_;
    switch (t.kind) {
      case Tok::kNumber: {
        NodePtr node = Make(Op::kLiteral, t.begin);
        node->literal = Value::Number(t.number);
        return Advance() ? std::move(node) : nullptr;
      }
      case Tok::kString: {
        NodePtr node = Make(Op::kLiteral, t.begin);
        node->literal = Value::String(std::string(t.text));
        return Advance() ? std::move(node) : nullptr;
      }
      case Tok::kField: {
        NodePtr node = Make(Op::kField, t.begin);
        node->name = std::string(t.text);
        return Advance() ? std::move(node) : nullptr;
      }
      case Tok::kDot: {
        NodePtr node = Make(Op::kCurrent, t.begin);
        return Advance() ? std::move(node) : nullptr;
      }
      case Tok::kDotDot: return Fail(t.begin, "'..' is only allowed as the argument of position()");
      case Tok::kLParen: {
        if (!Advance()) return nullptr;
        NodePtr inner = ParseBinary(1);
        if (!inner) return nullptr;
        if (cur_.kind != Tok::kRParen) return Fail(cur_.begin, "expected ')', found " + Describe(cur_));
        return Advance() ? std::move(inner) : nullptr;
      }
      case Tok::kName: {
        if (CallFollows()) return ParseCall();
        if (IsKeyword(t.text)) return Fail(t.begin, "expected a value, found " + Describe(t));
        if (!options_.allow_choice_columns) {
          const std::string name(t.text);
          if (name == "true" || name == "false") {
            return Fail(t.begin, "bare name '" + name + "': write " + name + "() for the boolean");
          }
          return Fail(t.begin, "bare name '" + name + "': write ${" + name + "} to refer to a question");
        }
        NodePtr node = Make(Op::kChoiceColumn, t.begin);
        node->name = std::string(t.text);
        return Advance() ? std::move(node) : nullptr;
      }
      default: return Fail(t.begin, "expected a value, found " + Describe(t));
    }
  }

  // '${name}', exactly: what jr:choice-name() takes as its second argument.
  static bool IsQuestionNameLiteral(const Node& n) {
    if (n.op != Op::kLiteral || n.literal.kind() != Value::Kind::kString) return false;
    const std::string& t = n.literal.string_value();
    if (t.size() < 4 || !t.starts_with("${") || !t.ends_with("}") || !IsNameStart(t[2])) return false;
    return std::all_of(t.begin() + 3, t.end() - 1, IsFieldNameChar);
  }

  static std::string ArityText(const FunctionInfo& info) {
    auto count = [](int n) { return std::to_string(n) + (n == 1 ? " argument" : " arguments"); };
    if (info.max_args < 0) return "at least " + count(info.min_args);
    if (info.min_args == info.max_args) return count(info.min_args);
    const char* joiner = info.max_args == info.min_args + 1 ? " or " : " to ";
    return std::to_string(info.min_args) + joiner + std::to_string(info.max_args) + " arguments";
  }

  NodePtr ParseCall() {
    const Token name = cur_;
    const FunctionInfo* info = internal::FindFunction(name.text);
    if (info == nullptr) return Fail(name.begin, "unknown function '" + std::string(name.text) + "'");
    if (!Advance()) return nullptr;  // now at '('
    if (!Advance()) return nullptr;
    std::vector<NodePtr> args;
    if (cur_.kind != Tok::kRParen) {
      while (true) {
        NodePtr arg;
        if (info->function == Function::kPosition) {
          if (cur_.kind != Tok::kDotDot) return Fail(cur_.begin, "the argument of position() must be '..'");
          arg = Make(Op::kParent, cur_.begin);
          if (!Advance()) return nullptr;
        } else {
          arg = ParseBinary(1);
          if (!arg) return nullptr;
        }
        args.push_back(std::move(arg));
        if (cur_.kind == Tok::kComma) {
          if (!Advance()) return nullptr;
          continue;
        }
        if (cur_.kind == Tok::kRParen) break;
        return Fail(cur_.begin, "expected ',' or ')', found " + Describe(cur_));
      }
    }
    if (!Advance()) return nullptr;  // past ')'

    const int argc = static_cast<int>(args.size());
    if (argc < info->min_args || (info->max_args >= 0 && argc > info->max_args)) {
      return Fail(name.begin, std::string(info->name) + "() takes " + ArityText(*info) + ", got " +
                                  std::to_string(argc));
    }
    if (info->function == Function::kIndexedRepeat) {
      for (int i = 0; i < 2; ++i) {
        if (args[static_cast<size_t>(i)]->op != Op::kField) {
          return Fail(args[static_cast<size_t>(i)]->byte_offset,
                      "indexed-repeat() argument " + std::to_string(i + 1) + " must be a ${field} reference");
        }
      }
    }
    if (info->function == Function::kChoiceName && !IsQuestionNameLiteral(*args[1])) {
      return Fail(args[1]->byte_offset,
                  "jr:choice-name() argument 2 must name a question in quotes, as in '${question}'");
    }
    std::unique_ptr<const std::regex> regex;
    if (info->function == Function::kRegex && args[1]->op == Op::kLiteral &&
        args[1]->literal.kind() == Value::Kind::kString) {
      std::string what;
      regex = internal::CompileRegex(args[1]->literal.string_value(), &what);
      if (!regex) return Fail(args[1]->byte_offset, "invalid regular expression: " + what);
    }
    NodePtr node = Make(Op::kCall, name.begin);
    node->function = info->function;
    node->name = std::string(info->name);
    node->regex = std::move(regex);
    return Adopt(std::move(node), std::move(args), name.begin);
  }

  std::string_view text_;
  ParseOptions options_;
  size_t pos_ = 0;
  Token cur_;
  int depth_ = 0;
  Status error_;
};

// ---- metadata

struct Metadata {
  std::vector<std::string>* references;
  std::vector<std::string>* choice_columns;
  std::vector<LookupUse>* lookups;
  bool* uses_current;
  bool* uses_clock;
  bool* uses_uuid;
};

void AddUnique(std::vector<std::string>* names, const std::string& name) {
  if (std::find(names->begin(), names->end(), name) == names->end()) names->push_back(name);
}

bool IsStringLiteral(const Node& node) {
  return node.op == Op::kLiteral && node.literal.kind() == Value::Kind::kString;
}

// Pre-order, which is source order.
void Collect(const Node& node, const Metadata& m) {
  switch (node.op) {
    case Op::kField: AddUnique(m.references, node.name); break;
    case Op::kChoiceColumn: AddUnique(m.choice_columns, node.name); break;
    case Op::kCurrent: *m.uses_current = true; break;
    case Op::kCall:
      switch (node.function) {
        case Function::kToday:
        case Function::kNow: *m.uses_clock = true; break;
        case Function::kUuid: *m.uses_uuid = true; break;
        case Function::kOnce: *m.uses_current = true; break;
        case Function::kStringLength:
          if (node.args.empty()) *m.uses_current = true;
          break;
        case Function::kPulldata:
          if (IsStringLiteral(*node.args[0]) && IsStringLiteral(*node.args[1]) && IsStringLiteral(*node.args[2])) {
            m.lookups->push_back(LookupUse{node.args[0]->literal.string_value(),
                                           node.args[1]->literal.string_value(),
                                           node.args[2]->literal.string_value()});
          }
          break;
        default: break;
      }
      break;
    default: break;
  }
  for (const auto& arg : node.args) Collect(*arg, m);
  // Its '${question}' is the last thing in the call's text.
  if (node.op == Op::kCall && node.function == Function::kChoiceName)
    AddUnique(m.references, std::string(internal::ChoiceNameQuestion(node)));
}

// ---- printing

void Print(const Node& node, std::string* out);

void PrintOperand(const Node& node, bool parenthesize, std::string* out) {
  if (parenthesize) *out += '(';
  Print(node, out);
  if (parenthesize) *out += ')';
}

void Print(const Node& node, std::string* out) {
  switch (node.op) {
    case Op::kLiteral:
      if (node.literal.kind() == Value::Kind::kString) {
        // Literals have no escapes, so one containing ' must use "; the
        // parser never produces one containing both.
        const std::string& s = node.literal.string_value();
        const char quote = s.find('\'') == std::string::npos ? '\'' : '"';
        *out += quote;
        *out += s;
        *out += quote;
      } else {
        *out += internal::FormatNumber(node.literal.number_value());
      }
      return;
    case Op::kField:
      *out += "${";
      *out += node.name;
      *out += '}';
      return;
    case Op::kCurrent: *out += '.'; return;
    case Op::kParent: *out += ".."; return;
    case Op::kChoiceColumn: *out += node.name; return;
    case Op::kNegate: {
      *out += '-';
      const Node& operand = *node.args[0];
      // "- -x" rather than "--x", for the reader; both parse the same.
      if (operand.op == Op::kNegate) *out += ' ';
      PrintOperand(operand, internal::Precedence(operand.op) < internal::Precedence(Op::kNegate), out);
      return;
    }
    case Op::kCall:
      *out += node.name;
      *out += '(';
      for (size_t i = 0; i < node.args.size(); ++i) {
        if (i > 0) *out += ", ";
        Print(*node.args[i], out);
      }
      *out += ')';
      return;
    default: {
      const int precedence = internal::Precedence(node.op);
      const Node& lhs = *node.args[0];
      const Node& rhs = *node.args[1];
      PrintOperand(lhs, internal::Precedence(lhs.op) < precedence, out);
      *out += ' ';
      *out += internal::OperatorText(node.op);
      *out += ' ';
      // Left-associative: an equal-precedence right operand was parenthesized.
      PrintOperand(rhs, internal::Precedence(rhs.op) <= precedence, out);
      return;
    }
  }
}

}  // namespace

Result<Expr> Expr::Parse(std::string_view text, const ParseOptions& options) {
  // Allocation failure is the only exception that can arise here; it must not
  // escape the module.
  try {
    Parser parser(text, options);
    NodePtr root = parser.Run();
    if (!root) return parser.error();
    Expr expr;
    expr.source_ = std::string(text);
    Collect(*root, Metadata{&expr.references_, &expr.choice_columns_, &expr.lookups_, &expr.uses_current_,
                            &expr.uses_clock_, &expr.uses_uuid_});
    expr.root_ = std::shared_ptr<const Node>(std::move(root));
    return expr;
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("expression too large to parse");
  } catch (const std::exception& e) {
    return Status::Internal(std::string("parsing an expression: ") + e.what());
  }
}

std::string Expr::ToString() const {
  std::string out;
  if (root_) Print(*root_, &out);
  return out;
}

}  // namespace dala::schema
