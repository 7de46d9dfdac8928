// A map-backed EvalContext for the expression tests. Test-only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dala/schema/expr.h"
#include "dala/schema/value.h"

namespace dala::schema::testing {

// 2026-11-27T10:00:00+05:00 (Almaty).
inline constexpr int64_t kNowMs = 1'795'755'600'000;
inline constexpr int32_t kOffsetMinutes = 300;

// "Айгүл", "Берік", "Қазақстан", "Бидай" (wheat), "Арпа" (barley).
inline const std::string kAigul = "\xd0\x90\xd0\xb9\xd0\xb3\xd2\xaf\xd0\xbb";
inline const std::string kBerik = "\xd0\x91\xd0\xb5\xd1\x80\xd1\x96\xd0\xba";
inline const std::string kKazakhstan = "\xd2\x9a\xd0\xb0\xd0\xb7\xd0\xb0\xd2\x9b\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd";
inline const std::string kBidai = "\xd0\x91\xd0\xb8\xd0\xb4\xd0\xb0\xd0\xb9";
inline const std::string kArpa = "\xd0\x90\xd1\x80\xd0\xbf\xd0\xb0";

class FakeContext : public EvalContext {
 public:
  using Row = std::map<std::string, std::string>;

  FakeContext() {
    fields["age"] = Value::Number(34);
    fields["name"] = Value::String(kAigul);
    fields["empty_q"] = Value();
    fields["blank"] = Value::String("");
    fields["flag"] = Value::Bool(true);
    fields["num_str"] = Value::String("12");
    fields["code"] = Value::String("br");
    fields["crops"] = Value::List({Value::String("wheat"), Value::String("barley")});
    fields["crops_text"] = Value::String("wheat barley  oats");
    fields["empty_list"] = Value::List({});
    fields["dob"] = Value::Date(DaysFromCivil(1990, 5, 17));
    fields["visit"] = Value::DateTime(kNowMs - 3'600'000, kOffsetMinutes);  // 09:00 local
    fields["start_time"] = Value::String("09:30");
    fields["pattern"] = Value::String("^[0-9]+$");
    fields["bad_pattern"] = Value::String("([");
    fields["member_age"] = Value::List({Value::Number(30), Value::Number(5), Value::Number(62)});
    fields["member_name"] = Value::List({Value::String(kAigul), Value::String(kBerik), Value::String("Ivan")});
    fields["members"] = Value::List({Value::String("1"), Value::String("2"), Value::String("3")});
    fields["ages_with_blank"] = Value::List({Value::Number(1), Value()});

    repeats["members"] = {
        {{"member_age", "30"}, {"member_name", kAigul}},
        {{"member_age", "5"}, {"member_name", kBerik}},
        {{"member_age", "62"}, {"member_name", "Ivan"}},
    };
    lists["crops"] = {
        {{"code", "wh"}, {"name_kk", kBidai}, {"price", "120"}},
        {{"code", "br"}, {"name_kk", kArpa}, {"price", "95.5"}},
    };
  }

  Value Field(std::string_view name) const override {
    ++field_reads;
    auto it = fields.find(std::string(name));
    return it == fields.end() ? Value() : it->second;
  }
  Value Current() const override { return current; }
  Value ChoiceColumn(std::string_view column) const override {
    auto it = choice.find(std::string(column));
    return it == choice.end() ? Value() : Value::String(it->second);
  }
  Value Lookup(std::string_view list, std::string_view column, std::string_view key_column,
               const Value& key) const override {
    auto it = lists.find(std::string(list));
    if (it == lists.end()) return Value();
    const std::string wanted = key.AsString();
    for (const Row& row : it->second) {
      auto k = row.find(std::string(key_column));
      if (k == row.end() || k->second != wanted) continue;
      auto c = row.find(std::string(column));
      return c == row.end() ? Value() : Value::String(c->second);
    }
    return Value();
  }
  int64_t Position() const override { return position; }
  Value IndexedRepeat(std::string_view field, std::string_view repeat, int64_t index) const override {
    auto it = repeats.find(std::string(repeat));
    if (it == repeats.end() || index < 1 || index > static_cast<int64_t>(it->second.size())) return Value();
    const Row& row = it->second[static_cast<size_t>(index - 1)];
    auto f = row.find(std::string(field));
    return f == row.end() ? Value() : Value::String(f->second);
  }
  int64_t NowMs() const override { return now_ms; }
  int32_t UtcOffsetMinutes() const override { return offset_minutes; }
  // The question `code`'s list: "wh" and "br" with their Kazakh labels.
  Value ChoiceName(std::string_view question, std::string_view value) const override {
    if (question != "code") return Value();
    if (value == "wh") return Value::String(kBidai);
    if (value == "br") return Value::String(kArpa);
    return Value();
  }
  std::string NewUuid() const override { return "uuid-" + std::to_string(++uuids); }

  std::map<std::string, Value> fields;
  std::map<std::string, std::string> choice = {{"region", "north"}, {"code", "br"}};
  std::map<std::string, std::vector<Row>> lists;
  std::map<std::string, std::vector<Row>> repeats;
  Value current = Value::String("hello");
  int64_t position = 2;
  int64_t now_ms = kNowMs;
  int32_t offset_minutes = kOffsetMinutes;
  mutable int field_reads = 0;
  mutable int uuids = 0;
};

}  // namespace dala::schema::testing
