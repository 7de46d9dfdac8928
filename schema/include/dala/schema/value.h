// Value: what an expression evaluates to.
//
// The model is XPath 1.0 as ODK uses it, with dates made explicit: an answer
// is empty, a boolean, a number, a string, a date, a date-time, or a list
// (the choices of a select_multiple, or one value per repeat instance).
// Conversions follow XPath: number('') is NaN, boolean('') is false, and a
// date used as a number is its count of days since 1970-01-01.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dala::schema {

class Value {
 public:
  enum class Kind { kEmpty, kBool, kNumber, kString, kDate, kDateTime, kList };

  Value() = default;  // empty: an unanswered question
  static Value Bool(bool b);
  static Value Number(double d);
  static Value String(std::string s);
  // Days since 1970-01-01 (negative before).
  static Value Date(int64_t days);
  // Milliseconds since the Unix epoch (UTC), and the UTC offset in minutes of
  // the place it was recorded, kept so that formatting round-trips.
  static Value DateTime(int64_t epoch_ms, int32_t utc_offset_minutes);
  static Value List(std::vector<Value> items);

  Kind kind() const { return kind_; }
  bool is_empty() const { return kind_ == Kind::kEmpty; }

  // Raw accessors; valid only for the matching kind.
  bool bool_value() const { return bool_; }
  double number_value() const { return number_; }
  const std::string& string_value() const { return string_; }
  int64_t date_days() const { return integer_; }
  int64_t datetime_ms() const { return integer_; }
  int32_t utc_offset_minutes() const { return offset_minutes_; }
  const std::vector<Value>& list_items() const { return list_; }

  // XPath conversions.
  //  boolean: empty -> false; number -> != 0 and not NaN; string -> non-empty;
  //           date/datetime -> true; list -> non-empty.
  //  number:  empty -> NaN; bool -> 0/1; string -> parsed decimal or NaN;
  //           date -> days; datetime -> local decimal days; list -> first item.
  //  string:  empty -> ""; bool -> "true"/"false"; number -> shortest decimal
  //           without a trailing ".0" ("NaN", "Infinity", "-Infinity");
  //           date -> "YYYY-MM-DD"; datetime -> "YYYY-MM-DDTHH:MM:SS.mmm+HH:MM";
  //           list -> items joined by single spaces (as select_multiple).
  bool AsBool() const;
  double AsNumber() const;
  std::string AsString() const;

  // Structural equality, for tests (NaN equals NaN here).
  bool SameAs(const Value& other) const;

 private:
  Kind kind_ = Kind::kEmpty;
  bool bool_ = false;
  double number_ = 0;
  int64_t integer_ = 0;
  int32_t offset_minutes_ = 0;
  std::string string_;
  std::vector<Value> list_;
};

// Calendar helpers shared by the evaluator and the form model.
// Parses "YYYY-MM-DD" (proleptic Gregorian). False if malformed or impossible.
bool ParseIsoDate(const std::string& text, int64_t* days);
// A date as people type it: ISO "2026-12-04" or "04.12.2026" / "4.12.2026"
// (day first, as in Kazakhstan). kNoSuchDay when it has that shape but
// names no day of the calendar ("31.02.2026"), so the message can say so.
enum class TypedDate { kValid, kMalformed, kNoSuchDay };
TypedDate ParseTypedDate(std::string_view text, int64_t* days);
// Parses "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z" or "+HH:MM"/"-HH:MM" (or no
// zone, meaning `default_offset_minutes`).
bool ParseIsoDateTime(const std::string& text, int32_t default_offset_minutes, int64_t* epoch_ms,
                      int32_t* offset_minutes);
// Parses "HH:MM" or "HH:MM:SS"; returns milliseconds since midnight.
bool ParseIsoTime(const std::string& text, int64_t* ms_of_day);
std::string FormatIsoDate(int64_t days);
std::string FormatIsoDateTime(int64_t epoch_ms, int32_t offset_minutes);
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);

}  // namespace dala::schema
