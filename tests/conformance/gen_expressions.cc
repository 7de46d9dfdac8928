// Expression and validation cases (schema/EXPRESSIONS.md), expected values
// stated by hand. The world's time is 2026-11-25 09:46:40 UTC, a Wednesday.
#include "generate.h"

namespace dala::conformance {
namespace {

constexpr int64_t kHour = 3600 * 1000;

json Expr(const std::string& name, const std::string& expression, json answers, json expect, int32_t tz = 300,
          int64_t wall = kWorldMs) {
  return {{"name", name}, {"expression", expression}, {"answers", std::move(answers)}, {"wall_ms", wall},
          {"tz", tz},     {"expect", std::move(expect)}};
}

json Problem(const std::string& field, const std::string& message) {
  return {{"field", field}, {"message", message}};
}

json Check(const std::string& name, json answers, json problems, int32_t tz = 300, int64_t wall = kWorldMs) {
  return {{"name", name}, {"answers", std::move(answers)}, {"wall_ms", wall}, {"tz", tz}, {"expect", problems}};
}

}  // namespace

json ExpressionCases() {
  const json none = json::object();
  const json picks = {{"picks", {"red", "blue"}}};
  return json::array({
      Expr("add", "1 + 2", none, 3),
      Expr("div", "7 div 2", none, 3.5),
      Expr("div_by_zero_is_no_value", "1 div 0", none, nullptr),
      Expr("mod_takes_the_dividend_sign", "-7 mod 3", none, -1),
      Expr("precedence", "2 + 3 * 4", none, 14),
      Expr("left_associative", "10 - 4 - 3", none, 3),
      Expr("no_exponent_in_strings", "number('1e3')", none, nullptr),
      Expr("number_with_spaces_and_trailing_dot", "number(' 7. ')", none, 7),
      Expr("shortest_decimal", "string(0.1 + 0.2)", none, "0.30000000000000004"),
      Expr("no_exponent_when_printing", "string(pow(10, 21))", none, "1000000000000000000000"),
      Expr("round_half_away_from_zero", "round(2.5)", none, 3),
      Expr("round_negative_half", "round(-2.5)", none, -3),
      Expr("round_to_hundreds", "round(1234.5678, -2)", none, 1200),
      Expr("int_truncates", "int(-3.7)", none, -3),
      Expr("unanswered_equals_empty_string", "if(${n} = '', 'empty', 'set')", none, "empty"),
      Expr("unanswered_is_not_zero", "if(${n} = 0, 'zero', 'not')", none, "not"),
      Expr("zero_is_zero", "if(${n} = 0, 'zero', 'not')", {{"n", 0}}, "zero"),
      Expr("number_string_compare_as_numbers", "'5' = 5", none, "true"),
      Expr("selected", "selected(${picks}, 'red')", picks, "true"),
      Expr("count_selected", "count-selected(${picks})", picks, 2),
      Expr("list_equals_any_item", "${picks} = 'blue'", picks, "true"),
      Expr("unanswered_select_multiple_is_empty_not_a_list", "${picks} != 'blue'", none, "true"),
      Expr("list_not_equal_any_item", "${picks} != 'blue'", picks, "true"),
      Expr("list_of_one_not_equal", "${picks} != 'blue'", {{"picks", {"blue"}}}, "false"),
      Expr("concat_joins_list_items", "concat('a', ${picks})", picks, "ared blue"),
      Expr("today_east", "today()", none, "2026-11-25", 300),
      Expr("today_west", "today()", none, "2026-11-24", -600),
      Expr("today_after_local_midnight", "today()", none, "2026-11-26", 300, kWorldMs + 14 * kHour),
      Expr("now_in_its_offset", "now()", none, "2026-11-25T14:46:40.000+05:00"),
      Expr("format_date", "format-date(today(), '%Y/%m/%d %a %b %e')", none, "2026/11/25 Wed Nov 25"),
      Expr("date_plus_one", "date(today() + 1)", none, "2026-11-26"),
      Expr("days_between", "${day} - date('2026-11-01')", {{"day", "2026-11-25"}}, 24),
      Expr("date_against_iso_string", "${day} < '2026-12-01'", {{"day", "2026-11-25"}}, "true"),
      Expr("strings_compare_by_bytes", "'09:30' < '10:00'", none, "true"),
      Expr("substr_counts_code_points", "substr('қазақ', 1, 3)", none, "аз"),
      Expr("string_length_code_points", "string-length('дала')", none, 4),
      Expr("regex_matches_anywhere", "regex('abc123', '[0-9]+')", none, "true"),
      Expr("coalesce", "coalesce(${t}, 'none')", none, "none"),
      Expr("max_over_arguments", "max(${n}, ${d}, 3)", {{"n", 5}, {"d", 7.5}}, 7.5),
      Expr("max_with_empty_is_no_value", "max(${n}, 3)", none, nullptr),
      Expr("decimal_date_time", "decimal-date-time('2026-11-25T12:00:00+05:00')", none, 20782.5),
      Expr("datetime_keeps_its_local_time", "format-date(${at}, '%H:%M')", {{"at", "2026-11-25T10:15:00+05:00"}},
           "10:15"),
      Expr("if_evaluates_one_branch", "if(true(), 1, 1 div 0)", none, 1),
      Expr("booleans_are_stored_as_strings", "1 < 2", none, "true"),
  });
}

json ValidationCases() {
  const json ok = {{"n", 12}, {"double", 24}, {"day", "2026-11-25"}};
  const std::string missing = "This calculated value is missing: the calculation gives 24.";
  const std::string wrong = "This calculated value is wrong: the calculation gives 24.";
  const std::string not_allowed = "This answer is not allowed.";
  auto with = [&](const char* k, json v) {
    json a = ok;
    if (v.is_null())
      a.erase(k);
    else
      a[k] = std::move(v);
    return a;
  };
  return json::array({
      Check("valid", ok, json::array()),
      Check("integer_written_with_a_fraction", with("n", 12.0), json::array()),
      Check("integer_written_as_a_string", with("n", "12"),
            {Problem("n", "Enter a whole number."),
             Problem("double", "This calculated value is wrong: the calculation gives null.")}),
      Check("required_missing", json::object(), {Problem("n", "This question requires an answer.")}),
      Check("constraint_fails", {{"n", 101}, {"double", 202}}, {Problem("n", not_allowed)}),
      Check("calculated_missing", with("double", nullptr), {Problem("double", missing)}),
      Check("calculated_wrong", with("double", 25), {Problem("double", wrong)}),
      Check("calculated_written_with_a_fraction", with("double", 24.0), json::array()),
      Check("day_after_the_claimed_day", with("day", "2026-11-26"), {Problem("day", not_allowed)}),
      Check("day_is_today_in_the_claimed_offset", with("day", "2026-11-26"), json::array(), 300,
            kWorldMs + 14 * kHour),
      Check("day_is_tomorrow_in_utc", with("day", "2026-11-26"), {Problem("day", not_allowed)}, 0,
            kWorldMs + 14 * kHour),
      Check("day_not_iso", with("day", "25.11.2026"), {Problem("day", "A stored date must be written YYYY-MM-DD.")}),
      Check("answer_that_does_not_apply", with("reason", "busy"),
            {Problem("reason", "This question does not apply here, so it must not be answered.")}),
      Check("answer_that_applies", {{"n", 60}, {"double", 120}, {"reason", "busy"}}, json::array()),
      Check("unknown_key", with("colour", "red"), {Problem("colour", "The form has no such question.")}),
  });
}

}  // namespace dala::conformance
