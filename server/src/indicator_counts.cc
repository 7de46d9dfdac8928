#include "indicator_counts.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "dala/schema/form.h"
#include "dala/server/store.h"

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

IndicatorUse UseOf(const schema::Question& q) {
  switch (q.type) {
    case schema::QuestionType::kSelectOne:
    case schema::QuestionType::kSelectMultiple:
    case schema::QuestionType::kRating:
    case schema::QuestionType::kAcknowledge: return kUseChoices;
    case schema::QuestionType::kInteger:
    case schema::QuestionType::kDecimal: return kUseNumbers;
    default: return kUseNothing;
  }
}

std::string CountPath(const schema::Form& form, const schema::Question& q) {
  std::string path = q.name;
  for (int r = q.repeat; r >= 0; r = form.questions()[r].repeat) path = form.questions()[r].name + "/" + path;
  return path;
}

CountPlan CountPlan::Of(const std::vector<std::string>& documents) {
  CountPlan plan;
  for (const std::string& document : documents) {
    // A document that does not load took no revision (each is checked
    // against its form when accepted): there is nothing of it to count.
    auto form = schema::Form::Load(document);
    if (!form.ok()) continue;
    for (const schema::Question& q : (*form)->questions())
      if (IndicatorUse use = UseOf(q); use != kUseNothing) plan.uses_[CountPath(**form, q)] |= use;
  }
  return plan;
}

uint8_t CountPlan::UseAt(const std::string& path) const {
  auto it = uses_.find(path);
  return it == uses_.end() ? uint8_t{kUseNothing} : it->second;
}

namespace {

bool Wanted(IndicatorKind kind, uint8_t use) {
  switch (kind) {
    case IndicatorKind::kRecords: return true;
    case IndicatorKind::kAnswered:
    case IndicatorKind::kChoice: return (use & kUseChoices) != 0;
    case IndicatorKind::kNumber: return (use & kUseNumbers) != 0;
  }
  return false;
}

}  // namespace

bool CountPlan::NewestWidens(const std::vector<std::string>& documents) {
  if (documents.empty()) return false;
  const CountPlan after = Of(documents);
  const CountPlan before = Of({documents.begin(), documents.end() - 1});
  for (const auto& [path, use] : after.uses_)
    if ((use & ~before.UseAt(path)) != 0) return true;
  return false;
}

const CountPlan* CountPlanCache::Checked(const std::string& form_id) const {
  auto it = checked_.find(form_id);
  return it == checked_.end() ? nullptr : it->second;
}

Result<const CountPlan*> CountPlanCache::Get(const std::string& form_id, int64_t versions, bool in_transaction,
                                            const std::function<Result<std::vector<std::string>>()>& documents) {
  auto it = plans_.find(form_id);
  if (it == plans_.end() || it->second.versions != versions) {
    DALA_ASSIGN_OR_RETURN(std::vector<std::string> docs, documents());
    it = plans_.insert_or_assign(form_id, Entry{versions, CountPlan::Of(docs)}).first;
  }
  if (in_transaction) checked_[form_id] = &it->second.plan;
  return &it->second.plan;
}

namespace {

// `count` takes each item found (an IndicatorItem&&); `plan`, when set,
// says which are wanted, else all are.
template <typename Count_>
struct Tallier {
  Count_ count;
  const CountPlan* plan = nullptr;

  void Count(const std::string& path, IndicatorKind kind, std::string value) {
    count(IndicatorItem{path, kind, std::move(value)});
  }

  // What indicators.cc takes from one value, for each use in `use`.
  // Objects (the instances of a repeat) are never a choice: no valid
  // answer has one there.
  void Value(const std::string& path, const json& v, uint8_t use) {
    if (v.is_null()) return;
    const bool choices = (use & kUseChoices) != 0;
    if (v.is_array()) {
      if (v.empty() || !choices) return;
      for (const json& e : v)
        if (!e.is_object()) Count(path, IndicatorKind::kChoice, ChoiceKey(e));
    } else if (!v.is_object()) {
      if (choices) Count(path, IndicatorKind::kChoice, ChoiceKey(v));
      if ((use & kUseNumbers) != 0 && v.is_number()) {
        double d = v.get<double>();
        if (std::isfinite(d)) Count(path, IndicatorKind::kNumber, NumberKey(d));
      }
    }
    if (choices) Count(path, IndicatorKind::kAnswered, "");
  }

  // Every answer of `object`, and of the objects inside its lists (the
  // instances of repeats), as indicators.cc's Collect finds them.
  void Object(const std::string& prefix, const json& object) {
    for (auto it = object.begin(); it != object.end(); ++it) {
      std::string path = prefix + it.key();
      uint8_t use = plan == nullptr ? (kUseChoices | kUseNumbers) : plan->UseAt(path);
      if (use != kUseNothing) Value(path, *it, use);
      if (it->is_array())
        for (const json& e : *it)
          if (e.is_object()) Object(path + "/", e);
    }
  }
};

}  // namespace

size_t IndicatorItemHash::operator()(const IndicatorItem& item) const {
  const std::hash<std::string> text;
  size_t h = text(item.path);
  h ^= text(item.value) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h ^ static_cast<size_t>(item.kind);
}

void IndicatorTally::Add(Items& items, const IndicatorItem& item, int64_t n) {
  auto it = items.try_emplace(item, 0).first;
  if ((it->second += n) == 0) items.erase(it);
}

void IndicatorTally::Add(Items& items, IndicatorItem&& item, int64_t n) {
  auto it = items.try_emplace(std::move(item), 0).first;
  if ((it->second += n) == 0) items.erase(it);
}

std::vector<const IndicatorTally::Items::value_type*> IndicatorTally::Sorted(const Items& items) {
  std::vector<const Items::value_type*> out;
  out.reserve(items.size());
  for (const auto& entry : items) out.push_back(&entry);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->first < b->first; });
  return out;
}

void IndicatorTally::AddAll(const IndicatorPlace& place, const std::vector<IndicatorItem>& items,
                            const CountPlan& plan, int64_t sign) {
  Items& here = places_[place];
  // A record's items come path by path: the plan is asked once per path.
  const std::string* path = nullptr;
  uint8_t use = kUseNothing;
  for (const IndicatorItem& item : items) {
    if (item.kind == IndicatorKind::kRecords) {
      Add(here, item, sign);
      continue;
    }
    if (path == nullptr || *path != item.path) {
      path = &item.path;
      use = plan.UseAt(item.path);
    }
    if (Wanted(item.kind, use)) Add(here, item, sign);
  }
  if (here.empty()) places_.erase(place);
}

void CountAnswers(const json& answers, AnswerCounts* out) {
  auto add = [out](IndicatorItem&& item) { out->items.push_back(std::move(item)); };
  Tallier<decltype(add)> t{add};
  t.Count("", IndicatorKind::kRecords, "");
  t.Object("", answers);
}

namespace {

bool IsCurrent(std::string_view merged_into, std::string_view review_state) {
  return merged_into.empty() && review_state != "rejected";
}

// Counts made by the caller must be what `answers_json` counts: the stored
// counts are never read back to be checked. Debug builds (every test)
// check each; release builds trust them.
void CheckGivenCounts([[maybe_unused]] const AnswerCounts& given_counts, [[maybe_unused]] std::string_view answers_json,
                      [[maybe_unused]] const CountPlan& plan) {
#ifndef NDEBUG
  IndicatorTally given, read;
  given.AddAll(IndicatorPlace{}, given_counts.items, plan);
  TallyAnswers("", "", "", answers_json, +1, plan, &read);
  if (given.places() != read.places()) {
    std::cerr << "dala-server: the counts given with a record are not what its answers count\n";
    std::abort();
  }
#endif
}

}  // namespace

RecordCountChange RecordCountChange::Of(const SubmissionSummary& s, const StoredRow* stored) {
  RecordCountChange change;
  const bool now_current = IsCurrent(s.merged_into, s.review_state);
  if (stored != nullptr) {
    const bool was_current = IsCurrent(stored->merged_into, stored->review_state);
    if (was_current == now_current && stored->form_id == s.form_id && stored->region == s.region &&
        stored->centre == s.centre && stored->answers == s.answers_json)
      return change;
    if (was_current) {
      change.subtract_old = true;
      change.old_form_id = stored->form_id;
      change.old_region = stored->region;
      change.old_centre = stored->centre;
      change.old_answers = stored->answers;
    }
  }
  change.add_new = now_current;
  return change;
}

Status RecordCountChange::AddTo(const SubmissionSummary& s, const PlanFor& plan_for, IndicatorTally* tally) const {
  if (subtract_old) {
    DALA_ASSIGN_OR_RETURN(const CountPlan* old_plan, plan_for(old_form_id));
    if (s.replaced_answer_counts && s.replaced_answers_json == old_answers) {
      CheckGivenCounts(*s.replaced_answer_counts, old_answers, *old_plan);
      tally->AddAll(IndicatorPlace{old_form_id, old_region, old_centre}, s.replaced_answer_counts->items, *old_plan, -1);
    } else {
      TallyAnswers(old_form_id, old_region, old_centre, old_answers, -1, *old_plan, tally);
    }
  }
  if (!add_new) return Status::Ok();
  DALA_ASSIGN_OR_RETURN(const CountPlan* new_plan, plan_for(s.form_id));
  if (s.answer_counts) {
    CheckGivenCounts(*s.answer_counts, s.answers_json, *new_plan);
    tally->AddAll(IndicatorPlace{s.form_id, s.region, s.centre}, s.answer_counts->items, *new_plan);
  } else {
    TallyAnswers(s.form_id, s.region, s.centre, s.answers_json, +1, *new_plan, tally);
  }
  return Status::Ok();
}

Status Recount::Add(const std::string& form_id, const std::string& region, const std::string& centre,
                    std::string_view answers_json) {
  auto plan = plans_.find(form_id);
  if (plan == plans_.end()) {
    DALA_ASSIGN_OR_RETURN(const CountPlan* found, plan_for_(form_id));
    plan = plans_.emplace(form_id, found).first;
  }
  TallyAnswers(form_id, region, centre, answers_json, +1, *plan->second, &tally_);
  return Status::Ok();
}

void TallyAnswers(const std::string& form_id, const std::string& region, const std::string& centre,
                  std::string_view answers_json, int64_t sign, const CountPlan& plan, IndicatorTally* tally) {
  json answers = json::parse(answers_json, nullptr, false);
  if (!answers.is_object()) return;
  IndicatorPlace place{form_id, region, centre};
  IndicatorTally::Items& items = tally->At(place);
  auto add = [&items, sign](IndicatorItem&& item) { IndicatorTally::Add(items, std::move(item), sign); };
  Tallier<decltype(add)> t{add, &plan};
  t.Count("", IndicatorKind::kRecords, "");
  t.Object("", answers);
  if (items.empty()) tally->Erase(place);
}

}  // namespace dala::server
