#include "indicators.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "indicator_counts.h"

namespace dala::server {

using nlohmann::json;
using schema::Question;
using schema::QuestionType;

namespace {

enum class Kind { kChoices, kNumbers, kNone };

// As the counts are kept (indicator_counts.h, UseOf).
Kind KindOf(const Question& q) {
  switch (UseOf(q)) {
    case kUseChoices: return Kind::kChoices;
    case kUseNumbers: return Kind::kNumbers;
    default: return Kind::kNone;
  }
}

// What is gathered for one question over the records of one group.
struct Tally {
  uint64_t answered = 0;
  std::map<std::string, uint64_t> counts;  // choices
  std::vector<double> numbers;             // numbers
};

// The tallies of one group of records: one per summarised question.
struct Group {
  uint64_t records = 0;
  std::vector<Tally> tallies;
};

// Objects (repeat instances, where a later form version has a choice of
// the same name) are answers but no choice: as indicator_counts.cc counts.
void Add(const Question& q, Kind kind, const json& value, Tally& t) {
  if (value.is_null()) return;
  if (kind == Kind::kChoices) {
    if (value.is_array()) {
      if (value.empty()) return;
      for (const json& v : value)
        if (!v.is_object()) ++t.counts[ChoiceKey(v)];
    } else if (!value.is_object()) {
      ++t.counts[ChoiceKey(value)];
    }
    ++t.answered;
  } else if (kind == Kind::kNumbers && value.is_number()) {
    double v = value.get<double>();
    if (!std::isfinite(v)) return;
    t.numbers.push_back(v);
    ++t.answered;
  }
  (void)q;
}

// Every value question `q` has in `answers`: one at the top, or one per
// instance of its enclosing repeats.
void Collect(const schema::Form& form, const Question& q, const json& answers, std::vector<const json*>* out) {
  std::vector<int> chain;  // enclosing repeats, outermost first
  for (int r = q.repeat; r >= 0; r = form.questions()[r].repeat) chain.insert(chain.begin(), r);
  std::vector<const json*> level{&answers};
  for (int r : chain) {
    std::vector<const json*> next;
    for (const json* obj : level) {
      auto it = obj->find(form.questions()[r].name);
      if (it == obj->end() || !it->is_array()) continue;
      for (const json& inst : *it)
        if (inst.is_object()) next.push_back(&inst);
    }
    level.swap(next);
  }
  for (const json* obj : level) {
    auto it = obj->find(q.name);
    if (it != obj->end()) out->push_back(&*it);
  }
}

double Quantile(const std::vector<double>& sorted, double p) {
  double pos = p * static_cast<double>(sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

json Histogram(const std::vector<double>& sorted, bool integers) {
  json bins = json::array();
  if (sorted.empty()) return bins;
  double lo = sorted.front(), hi = sorted.back();
  if (lo == hi) {
    bins.push_back({{"from", lo}, {"to", hi}, {"count", sorted.size()}});
    return bins;
  }
  size_t n = std::min<size_t>(10, integers ? static_cast<size_t>(hi - lo) + 1 : 10);
  double width = (hi - lo) / static_cast<double>(n);
  if (integers) width = std::ceil(width);
  std::vector<uint64_t> counts(n, 0);
  for (double v : sorted) {
    size_t b = std::min(n - 1, static_cast<size_t>((v - lo) / width));
    ++counts[b];
  }
  for (size_t b = 0; b < n; ++b) {
    double from = lo + width * static_cast<double>(b);
    double to = b + 1 == n ? hi : (integers ? from + width - 1 : from + width);
    bins.push_back({{"from", from}, {"to", to}, {"count", counts[b]}});
  }
  return bins;
}

json Summaries(const schema::Form& form, const std::vector<const Question*>& summarised, const Group& g) {
  json out = json::array();
  for (size_t i = 0; i < summarised.size(); ++i) {
    const Question& q = *summarised[i];
    const Tally& t = g.tallies[i];
    json s = {{"name", q.name}, {"type", schema::QuestionTypeName(q.type)}, {"answered", t.answered}};
    if (KindOf(q) == Kind::kChoices) {
      json counts = json::array();
      std::map<std::string, uint64_t> left = t.counts;
      auto emit = [&](const std::string& value) {
        auto it = left.find(value);
        counts.push_back({{"value", value}, {"count", it == left.end() ? 0 : it->second}});
        if (it != left.end()) left.erase(it);
      };
      if (const schema::ItemList* list = form.List(q.list))
        for (const schema::ListItem& item : list->items) emit(item.name);
      if (q.type == QuestionType::kRating)
        for (int v = 1; v <= q.scale; ++v) emit(std::to_string(v));
      for (const auto& [value, count] : std::map<std::string, uint64_t>(left)) emit(value);  // not in the list
      s["kind"] = "choices";
      s["counts"] = counts;
    } else {
      std::vector<double> sorted = t.numbers;
      std::sort(sorted.begin(), sorted.end());
      s["kind"] = "numbers";
      if (sorted.empty()) {
        for (const char* k : {"min", "q1", "median", "q3", "max", "mean"}) s[k] = nullptr;
        s["histogram"] = json::array();
      } else {
        double sum = 0;
        for (double v : sorted) sum += v;
        s["min"] = sorted.front();
        s["q1"] = Quantile(sorted, 0.25);
        s["median"] = Quantile(sorted, 0.5);
        s["q3"] = Quantile(sorted, 0.75);
        s["max"] = sorted.back();
        s["mean"] = sum / static_cast<double>(sorted.size());
        s["histogram"] = Histogram(sorted, q.type == QuestionType::kInteger);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<const Question*> Summarised(const schema::Form& form) {
  std::vector<const Question*> out;
  for (const Question& q : form.questions())
    if (KindOf(q) != Kind::kNone) out.push_back(&q);
  return out;
}

json IndicatorsJson(const schema::Form& form, const std::vector<const Question*>& summarised, const Group& all,
            const std::map<std::string, Group>& groups, IndicatorSplit split) {
  json out = {{"form", form.id()},
              {"version", form.version()},
              {"records", all.records},
              {"questions", Summaries(form, summarised, all)}};
  if (split != IndicatorSplit::kNone) {
    json list = json::array();
    for (const auto& [key, g] : groups)
      list.push_back({{"key", key}, {"records", g.records}, {"questions", Summaries(form, summarised, g)}});
    out["groups"] = list;
  }
  return out;
}

// Whether the kept counts answer `f`: they are kept per form, region and
// centre, for current records.
bool CountsAnswer(const SubmissionFilter& f) {
  return f.volunteer.empty() && f.date_from.empty() && f.date_to.empty() && f.review_state.empty() &&
         !f.only_conflicts && !f.only_duplicates && !f.only_changed && f.search.empty();
}

Result<json> FromCounts(Store& store, const schema::Form& form, const SubmissionFilter& base, IndicatorSplit split) {
  std::vector<const Question*> summarised = Summarised(form);
  std::map<std::string, size_t> by_path;
  for (size_t i = 0; i < summarised.size(); ++i) by_path[CountPath(form, *summarised[i])] = i;
  DALA_ASSIGN_OR_RETURN(auto rows, store.IndicatorCounts(form.id(), base.region, base.centre));
  Group all;
  all.tallies.resize(summarised.size());
  std::map<std::string, Group> groups;
  for (const IndicatorCountRow& row : rows) {
    std::vector<Group*> into{&all};
    if (split != IndicatorSplit::kNone) {
      Group& g = groups[split == IndicatorSplit::kRegion ? row.region : row.centre];
      if (g.tallies.empty()) g.tallies.resize(summarised.size());
      into.push_back(&g);
    }
    auto kind = static_cast<IndicatorKind>(row.kind);
    if (kind == IndicatorKind::kRecords) {
      for (Group* g : into) g->records += row.n;
      continue;
    }
    auto q = by_path.find(row.path);
    if (q == by_path.end()) continue;
    Kind wanted = KindOf(*summarised[q->second]);
    double number = 0;
    for (Group* g : into) {
      Tally& t = g->tallies[q->second];
      if (wanted == Kind::kChoices && kind == IndicatorKind::kAnswered) t.answered += row.n;
      if (wanted == Kind::kChoices && kind == IndicatorKind::kChoice) t.counts[row.value] += row.n;
      if (wanted == Kind::kNumbers && kind == IndicatorKind::kNumber && ParseNumberKey(row.value, &number)) {
        t.numbers.insert(t.numbers.end(), row.n, number);
        t.answered += row.n;
      }
    }
  }
  return IndicatorsJson(form, summarised, all, groups, split);
}

}  // namespace

Result<json> ComputeIndicators(Store& store, const schema::Form& form, const SubmissionFilter& filter,
                               IndicatorSplit split) {
  if (CountsAnswer(filter)) return FromCounts(store, form, filter, split);
  return ComputeIndicatorsFromRecords(store, form, filter, split);
}

Result<json> ComputeIndicatorsFromRecords(Store& store, const schema::Form& form, const SubmissionFilter& base,
                                          IndicatorSplit split) {
  std::vector<const Question*> summarised = Summarised(form);
  SubmissionFilter filter = base;
  filter.form_id = form.id();
  filter.only_current = true;
  Group all;
  all.tallies.resize(summarised.size());
  std::map<std::string, Group> groups;
  std::vector<const json*> values;
  Status s = store.ForEachSubmission(filter, [&](const SubmissionSummary& sub) -> Status {
    json answers = json::parse(sub.answers_json, nullptr, false);
    if (!answers.is_object()) return Status::Ok();  // stored state is derived from verified revisions
    Group* split_group = nullptr;
    if (split != IndicatorSplit::kNone) {
      split_group = &groups[split == IndicatorSplit::kRegion ? sub.region : sub.centre];
      if (split_group->tallies.empty()) split_group->tallies.resize(summarised.size());
      ++split_group->records;
    }
    ++all.records;
    for (size_t i = 0; i < summarised.size(); ++i) {
      values.clear();
      Collect(form, *summarised[i], answers, &values);
      for (const json* v : values) {
        Add(*summarised[i], KindOf(*summarised[i]), *v, all.tallies[i]);
        if (split_group != nullptr) Add(*summarised[i], KindOf(*summarised[i]), *v, split_group->tallies[i]);
      }
    }
    return Status::Ok();
  });
  DALA_RETURN_IF_ERROR(s);
  return IndicatorsJson(form, summarised, all, groups, split);
}

}  // namespace dala::server
