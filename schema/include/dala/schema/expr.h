// The form expression language: XLSForm/ODK-style XPath expressions.
//
// An expression is parsed once, when its form is loaded, into an immutable
// tree, and evaluated many times as answers change. Parsing checks syntax,
// function names and argument counts; the form loader checks that every
// ${field} exists. Evaluation never fails: as in XPath, a value that cannot
// be converted becomes NaN, '' or false, so a constraint on a half-finished
// interview is simply not yet satisfied.
//
// The full grammar and function table are in schema/EXPRESSIONS.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/status.h"
#include "dala/schema/value.h"

namespace dala::schema {

// What an expression can see while it is evaluated. The form model
// implements this over the answers of an interview; tests implement it over
// a map.
class EvalContext {
 public:
  virtual ~EvalContext() = default;

  // ${name}. A question inside the current repeat instance gives that
  // instance's answer; a question inside a repeat seen from outside it gives
  // a List with one item per instance; a repeat's own name gives a List with
  // one item per instance (so count(${repeat}) is the number of instances).
  virtual Value Field(std::string_view name) const = 0;

  // '.', the answer of the question the expression belongs to.
  virtual Value Current() const = 0;

  // A bare name inside a choice_filter: that column of the choice being
  // filtered. Empty elsewhere.
  virtual Value ChoiceColumn(std::string_view column) const;

  // pulldata(list, column, key_column, key): the `column` of the first row of
  // reference list `list` whose `key_column` equals `key`; empty if none.
  virtual Value Lookup(std::string_view list, std::string_view column, std::string_view key_column,
                       const Value& key) const;

  // position(..): the 1-based index of the current repeat instance; 0 outside
  // any repeat.
  virtual int64_t Position() const;

  // indexed-repeat(${field}, ${repeat}, n): `field` in instance n (1-based)
  // of `repeat`; empty if out of range.
  virtual Value IndexedRepeat(std::string_view field, std::string_view repeat, int64_t index) const;

  // The clock behind today() and now(): milliseconds since the Unix epoch,
  // and the local UTC offset in minutes.
  virtual int64_t NowMs() const = 0;
  virtual int32_t UtcOffsetMinutes() const;

  // jr:choice-name(value, '${question}'): the label of the item named
  // `value` in the list of `question` (a select); empty if there is none.
  virtual Value ChoiceName(std::string_view question, std::string_view value) const;

  // uuid(): a new random version-4 UUID, lower-case, 36 characters. The
  // default reads std::random_device (the kernel's randomness); tests
  // override it to get known values.
  virtual std::string NewUuid() const;
};

struct ParseOptions {
  // Bare names (`region` rather than `${region}`) refer to columns of the
  // choice being filtered. Only choice_filter expressions allow them.
  bool allow_choice_columns = false;
};

// pulldata() called with literal list/column names, so the form loader can
// check them against the form's reference lists.
struct LookupUse {
  std::string list;
  std::string column;
  std::string key_column;
};

class Expr {
 public:
  Expr();  // the empty expression; Evaluate() gives an empty value

  // Parses `text`. A failure is InvalidArgument with a message of the form
  // "position N: what is wrong", where N is the 1-based code point where the
  // problem starts.
  static Result<Expr> Parse(std::string_view text, const ParseOptions& options = {});

  bool empty() const { return root_ == nullptr; }

  Value Evaluate(const EvalContext& context) const;
  bool EvaluateBool(const EvalContext& context) const { return Evaluate(context).AsBool(); }

  // A canonical rendering: single spaces around binary operators, the
  // fewest parentheses that keep the meaning, strings in single quotes
  // unless they contain one. Parse(ToString()) gives an equal tree.
  std::string ToString() const;

  // The original text given to Parse.
  const std::string& source() const { return source_; }

  // Names used as ${name}, in order of first use, without repeats.
  const std::vector<std::string>& references() const { return references_; }
  // Bare choice-column names (choice_filter only).
  const std::vector<std::string>& choice_columns() const { return choice_columns_; }
  // pulldata() calls whose first three arguments are string literals.
  const std::vector<LookupUse>& lookups() const { return lookups_; }
  // Whether '.' appears.
  bool uses_current() const { return uses_current_; }
  // Whether the value depends on the clock (today(), now()).
  bool uses_clock() const { return uses_clock_; }
  // Whether uuid() appears: a new value at every evaluation, so a
  // calculation using it keeps the first it gave (Form::Recalculate).
  bool uses_uuid() const { return uses_uuid_; }

  struct Node;  // defined in the implementation

 private:
  std::shared_ptr<const Node> root_;
  std::string source_;
  std::vector<std::string> references_;
  std::vector<std::string> choice_columns_;
  std::vector<LookupUse> lookups_;
  bool uses_current_ = false;
  bool uses_clock_ = false;
  bool uses_uuid_ = false;
};

}  // namespace dala::schema
