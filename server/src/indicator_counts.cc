#include "indicator_counts.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace dala::server {

using nlohmann::json;

std::string ChoiceKey(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string NumberKey(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);  // shortest text that reads back exactly
  return ec == std::errc() ? std::string(buf, end) : std::string();
}

bool ParseNumberKey(std::string_view text, double* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

namespace {

struct Tallier {
  IndicatorTally::Items& items;
  int64_t sign;

  void Count(const std::string& path, IndicatorKind kind, std::string value) {
    IndicatorTally::Add(items, IndicatorItem{path, kind, std::move(value)}, sign);
  }

  // What indicators.cc would take from one value, whatever the question's
  // type: which of it counts is decided when read. Objects (the instances
  // of a repeat) are never a choice: no valid answer has one there.
  void Value(const std::string& path, const json& v) {
    if (v.is_null()) return;
    if (v.is_array()) {
      if (v.empty()) return;
      for (const json& e : v)
        if (!e.is_object()) Count(path, IndicatorKind::kChoice, ChoiceKey(e));
    } else if (!v.is_object()) {
      Count(path, IndicatorKind::kChoice, ChoiceKey(v));
      if (v.is_number()) {
        double d = v.get<double>();
        if (std::isfinite(d)) Count(path, IndicatorKind::kNumber, NumberKey(d));
      }
    }
    Count(path, IndicatorKind::kAnswered, "");
  }

  // Every answer of `object`, and of the objects inside its lists (the
  // instances of repeats), as indicators.cc's Collect finds them.
  void Object(const std::string& prefix, const json& object) {
    for (auto it = object.begin(); it != object.end(); ++it) {
      std::string path = prefix + it.key();
      Value(path, *it);
      if (it->is_array())
        for (const json& e : *it)
          if (e.is_object()) Object(path + "/", e);
    }
  }
};

}  // namespace

void IndicatorTally::Add(Items& items, IndicatorItem item, int64_t n) {
  auto it = items.try_emplace(std::move(item), 0).first;
  if ((it->second += n) == 0) items.erase(it);
}

void IndicatorTally::Merge(IndicatorTally&& other) {
  for (auto& [place, changes] : other.places_) {
    Items& items = places_[place];
    while (!changes.empty()) {
      auto node = changes.extract(changes.begin());
      auto it = items.find(node.key());
      if (it == items.end()) {
        items.insert(std::move(node));
      } else if ((it->second += node.mapped()) == 0) {
        items.erase(it);
      }
    }
    if (items.empty()) places_.erase(place);
  }
  other.clear();
}

void TallyAnswers(const std::string& form_id, const std::string& region, const std::string& centre,
                  std::string_view answers_json, int64_t sign, IndicatorTally* tally) {
  json answers = json::parse(answers_json, nullptr, false);
  if (!answers.is_object()) return;
  IndicatorPlace place{form_id, region, centre};
  Tallier t{tally->At(place), sign};
  t.Count("", IndicatorKind::kRecords, "");
  t.Object("", answers);
  if (t.items.empty()) tally->Erase(place);
}

}  // namespace dala::server
