// Forms: loading a form document, and checking answers against it.
//
// A Form is immutable once loaded; every expression in it is parsed once by
// Load and evaluated many times. The document format is in schema/README.md.
#pragma once

#include <cstdint>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dala/base/clock.h"
#include "dala/base/status.h"
#include "dala/schema/expr.h"
#include "dala/schema/value.h"

namespace dala::schema {

enum class QuestionType {
  kText,
  kInteger,
  kDecimal,
  kSelectOne,
  kSelectMultiple,
  kDate,
  kTime,
  kDateTime,
  kGeopoint,
  kNote,
  kAcknowledge,
  kRating,
  kCalculate,
  kGroup,
  kRepeat,
};

const char* QuestionTypeName(QuestionType type);

// A text in several languages.
class LocalizedText {
 public:
  // The text in `language`, else in the form's default language, else in
  // any language it has, else "".
  const std::string& Get(std::string_view language) const;
  bool empty() const { return texts_.empty(); }
  const std::map<std::string, std::string, std::less<>>& texts() const { return texts_; }

 private:
  friend class FormLoader;
  std::map<std::string, std::string, std::less<>> texts_;
  std::string default_language_;
};

// Hashes names as views, so that looking one up (every answer's key, every
// chosen item, on every check) builds no string.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
};
template <typename V>
using NameIndex = std::unordered_map<std::string, V, NameHash, std::equal_to<>>;

struct ListItem {
  std::string name;
  LocalizedText label;
  std::map<std::string, Value, std::less<>> columns;  // every column but name and label
};

struct ItemList {
  std::string name;
  std::vector<ListItem> items;
  NameIndex<size_t> index_by_name;
  const ListItem* Find(std::string_view name) const;
};

struct Question {
  QuestionType type = QuestionType::kText;
  std::string name;
  int index = 0;        // position in Form::questions()
  int parent = -1;      // enclosing group or repeat, -1 at the top
  int repeat = -1;      // innermost enclosing repeat, -1 if none
  int repeat_depth = 0; // number of enclosing repeats
  std::vector<int> children;

  LocalizedText label, hint, required_message, constraint_message;
  bool required = false;  // a constant `true`
  Expr required_if;       // or an expression
  Expr constraint, relevant, calculation, choice_filter;
  Expr repeat_count;             // when given as an expression
  int64_t fixed_repeat_count = -1;  // when given as a number
  std::string default_answer;    // JSON text of a literal answer, or ""
  bool read_only = false;
  std::string list;
  int scale = 0;
  std::string appearance;  // XLSForm's words, space-separated; "" when absent or not text
  // A group shown as one screen (appearance has the word `field-list`).
  bool IsFieldList() const;

  // Whether the question stores an answer under its name (repeats store an
  // array of instances; groups and notes store nothing).
  bool HasAnswer() const;
  bool IsStructural() const { return type == QuestionType::kGroup || type == QuestionType::kRepeat; }
};

// Where a question sits among repeat instances: one 0-based index per
// enclosing repeat, outermost first. Empty outside repeats.
using InstancePath = std::vector<int>;

// A problem with a set of answers, in the language asked for.
struct AnswerProblem {
  std::string field;    // "queue_length", or "issues[2].category" inside a repeat
  std::string message;
  int question = -1;    // the question concerned, -1 for the answers as a whole
  InstancePath path;
};

class Form {
 public:
  // Parses and checks a form document. On failure the Status lists every
  // problem, one per line (see schema/README.md).
  static Result<std::shared_ptr<const Form>> Load(std::string_view document);

  const std::string& id() const { return id_; }
  const std::string& version() const { return version_; }
  // SHA-256 of the exact document bytes, and its lower-case hex.
  const std::array<uint8_t, 32>& hash() const { return hash_; }
  const std::string& hash_hex() const { return hash_hex_; }
  const std::string& document() const { return document_; }
  const LocalizedText& title() const { return title_; }
  const std::vector<std::string>& languages() const { return languages_; }
  const std::string& default_language() const { return default_language_; }
  bool HasLanguage(std::string_view language) const;
  const std::vector<std::string>& summary() const { return summary_; }
  const std::vector<std::string>& duplicate_key() const { return duplicate_key_; }

  const std::vector<Question>& questions() const { return questions_; }
  const std::vector<int>& top_level() const { return top_level_; }
  const Question* Find(std::string_view name) const;
  const ItemList* List(std::string_view name) const;

  // --- answers -------------------------------------------------------------

  // The answer of question `q` at `path` as an expression value (empty if
  // absent). `answers` is the answers object of the whole submission.
  Value AnswerAt(const nlohmann::json& answers, int q, const InstancePath& path) const;

  // Whether `q` and all its enclosing groups and repeats are relevant.
  bool IsRelevant(const nlohmann::json& answers, int q, const InstancePath& path,
                  const Clock& clock) const;
  // Whether an answer is required there (`required`, or `required_if` true).
  bool IsRequired(const nlohmann::json& answers, int q, const InstancePath& path,
                  const Clock& clock) const;

  // The items a select offers at `path`, after its choice_filter.
  std::vector<const ListItem*> OfferedItems(const nlohmann::json& answers, int q,
                                            const InstancePath& path, const Clock& clock) const;

  // Checks one answer as if it were stored for `q` at `path`: its JSON type,
  // list membership and constraint. Missing required answers are not this
  // function's concern. The message is in `language`.
  Status CheckAnswer(const nlohmann::json& answers, int q, const InstancePath& path,
                     const nlohmann::json& value, const Clock& clock,
                     std::string_view language) const;

  // Brings derived answers up to date: fills calculations, sizes repeats
  // that have a repeat_count and, with `clear_irrelevant`, removes answers
  // of questions that are not relevant. An interview keeps them while it
  // runs (going back and changing one answer should not lose others) and
  // clears them when it is finalized. Idempotent.
  void Recalculate(nlohmann::json* answers, const Clock& clock, bool clear_irrelevant = true) const;

  // Applies `default` answers to questions that are unanswered at `path`
  // (the top level, or a new repeat instance).
  void ApplyDefaults(nlohmann::json* answers, int scope, const InstancePath& path) const;

  // Every reason `answers` is not a complete, valid set for this form; empty
  // if it is. Clock-dependent expressions see `clock`: for a signed
  // revision, its own claimed time.
  std::vector<AnswerProblem> Validate(const nlohmann::json& answers, const Clock& clock,
                                      std::string_view language) const;

  // The JSON of a question's answer at `path`, or nullptr if absent.
  const nlohmann::json* FindAnswer(const nlohmann::json& answers, int q,
                                   const InstancePath& path) const;
  // Where a question's answer lives at `path`, creating repeat instances
  // and the containing object as needed. Null for questions without answers.
  nlohmann::json* AnswerSlot(nlohmann::json* answers, int q, const InstancePath& path) const;
  // The number of instances of repeat `q` at `path` (the repeat's own path).
  int InstanceCount(const nlohmann::json& answers, int q, const InstancePath& path) const;

  // "queue_length" or "issues[2].category" (1-based, as shown to people).
  std::string FieldLabel(int q, const InstancePath& path) const;

 private:
  friend class FormLoader;
  class Context;

  std::string document_;
  std::array<uint8_t, 32> hash_{};
  std::string hash_hex_;
  std::string id_, version_;
  LocalizedText title_;
  std::vector<std::string> languages_;
  std::string default_language_;
  std::vector<std::string> summary_;
  std::vector<std::string> duplicate_key_;
  std::vector<Question> questions_;
  std::vector<int> top_level_;
  NameIndex<int> index_by_name_;
  std::map<std::string, ItemList, std::less<>> lists_;
  std::vector<int> calculation_order_;  // calculate questions, dependencies first
};

// Messages the form machinery shows to volunteers, in kk, ru or en.
enum class Message {
  kRequired,
  kConstraintFailed,
  kNotText,
  kNotInteger,
  kNotNumber,
  kNotDate,
  kNotTime,
  kNotDateTime,
  kNotGeopoint,
  kNotChoice,
  kNotChoices,
  kNotAcknowledged,
  kNotRating,
  kNotApplicable,
  kCalculated,
  kCalculatedMissing,  // "{}" stands for the value the calculation gives
  kCalculatedWrong,    // likewise
  kUnknownField,
  kWrongRepeatCount,
  kTooLong,
  kNoSuchDate,        // "31.02.2026": the shape of a date, but no such day
  kDateNotIso,        // a stored date written as people type it
  kControlCharacter,  // an escape sequence or other control code in an answer
  kAnswersNotObject,
  kInstanceNotObject,
  kDidYouMean,        // "{}" stands for the suggested name
  kMessageCount,
};
std::string LocalMessage(Message message, std::string_view language);

// True if `text` holds a control character other than tab and newline (C0,
// DEL or C1): the bytes an arrow key sends to a terminal that cannot edit.
// No answer may hold one, whatever path it came by.
bool HasControlCharacter(std::string_view text);

}  // namespace dala::schema
