#include "dala/schema/form.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "dala/base/strings.h"
#include "dala/base/utf8.h"
#include "dala/schema/spelling.h"
#include "form_internal.h"

namespace dala::schema {

using nlohmann::json;

const char* QuestionTypeName(QuestionType type) {
  switch (type) {
    case QuestionType::kText: return "text";
    case QuestionType::kInteger: return "integer";
    case QuestionType::kDecimal: return "decimal";
    case QuestionType::kSelectOne: return "select_one";
    case QuestionType::kSelectMultiple: return "select_multiple";
    case QuestionType::kDate: return "date";
    case QuestionType::kTime: return "time";
    case QuestionType::kDateTime: return "datetime";
    case QuestionType::kGeopoint: return "geopoint";
    case QuestionType::kNote: return "note";
    case QuestionType::kAcknowledge: return "acknowledge";
    case QuestionType::kRating: return "rating";
    case QuestionType::kCalculate: return "calculate";
    case QuestionType::kGroup: return "group";
    case QuestionType::kRepeat: return "repeat";
  }
  return "?";
}

const std::string& LocalizedText::Get(std::string_view language) const {
  static const std::string kEmpty;
  if (auto it = texts_.find(language); it != texts_.end()) return it->second;
  if (auto it = texts_.find(default_language_); it != texts_.end()) return it->second;
  return texts_.empty() ? kEmpty : texts_.begin()->second;
}

const ListItem* ItemList::Find(std::string_view name) const {
  auto it = index_by_name.find(name);
  return it == index_by_name.end() ? nullptr : &items[it->second];
}

bool Question::HasAnswer() const {
  return type != QuestionType::kNote && type != QuestionType::kGroup;
}

bool Question::IsFieldList() const {
  if (type != QuestionType::kGroup) return false;
  for (std::string_view word : Split(appearance, ' '))
    if (word == "field-list") return true;
  return false;
}

bool Form::HasLanguage(std::string_view language) const {
  return std::find(languages_.begin(), languages_.end(), language) != languages_.end();
}

const Question* Form::Find(std::string_view name) const {
  auto it = index_by_name_.find(name);
  return it == index_by_name_.end() ? nullptr : &questions_[it->second];
}

const ItemList* Form::List(std::string_view name) const {
  auto it = lists_.find(name);
  return it == lists_.end() ? nullptr : &it->second;
}

// --- where answers live ------------------------------------------------------

namespace {

// The repeats enclosing `q`, outermost first.
std::vector<int> RepeatChain(const std::vector<Question>& qs, int q) {
  std::vector<int> chain;
  for (int r = qs[q].repeat; r != -1; r = qs[r].repeat) chain.push_back(r);
  std::reverse(chain.begin(), chain.end());
  return chain;
}

// The object holding the answers of questions whose innermost repeat is the
// last of `chain`, at `path`; null if it does not exist.
const json* InstanceObject(const std::vector<Question>& qs, const json& answers,
                           const std::vector<int>& chain, const InstancePath& path) {
  const json* container = &answers;
  for (size_t i = 0; i < chain.size(); ++i) {
    if (!container->is_object() || i >= path.size()) return nullptr;
    auto it = container->find(qs[chain[i]].name);
    if (it == container->end() || !it->is_array()) return nullptr;
    if (path[i] < 0 || static_cast<size_t>(path[i]) >= it->size()) return nullptr;
    container = &(*it)[static_cast<size_t>(path[i])];
  }
  return container->is_object() ? container : nullptr;
}

}  // namespace

const json* Form::FindAnswer(const json& answers, int q, const InstancePath& path) const {
  const json* container = InstanceObject(questions_, answers, RepeatChain(questions_, q), path);
  if (container == nullptr) return nullptr;
  auto it = container->find(questions_[q].name);
  if (it == container->end() || it->is_null()) return nullptr;
  return &*it;
}

json* Form::AnswerSlot(json* answers, int q, const InstancePath& path) const {
  if (!questions_[q].HasAnswer()) return nullptr;
  if (!answers->is_object()) *answers = json::object();
  std::vector<int> chain = RepeatChain(questions_, q);
  json* container = answers;
  for (size_t i = 0; i < chain.size(); ++i) {
    if (i >= path.size() || path[i] < 0) return nullptr;
    json& arr = (*container)[questions_[chain[i]].name];
    if (!arr.is_array()) arr = json::array();
    while (arr.size() <= static_cast<size_t>(path[i])) arr.push_back(json::object());
    container = &arr[static_cast<size_t>(path[i])];
    if (!container->is_object()) *container = json::object();
  }
  return &(*container)[questions_[q].name];
}

int Form::InstanceCount(const json& answers, int q, const InstancePath& path) const {
  const json* a = FindAnswer(answers, q, path);
  return a != nullptr && a->is_array() ? static_cast<int>(a->size()) : 0;
}

std::string Form::FieldLabel(int q, const InstancePath& path) const {
  std::vector<int> chain = RepeatChain(questions_, q);
  std::string s;
  for (size_t i = 0; i < chain.size() && i < path.size(); ++i) {
    s += questions_[chain[i]].name + "[" + std::to_string(path[i] + 1) + "].";
  }
  return s + questions_[q].name;
}

// --- answers as expression values ------------------------------------------

Value JsonToValue(const Question& q, const json& a) {
  if (a.is_null()) return Value();
  switch (q.type) {
    case QuestionType::kInteger:
    case QuestionType::kDecimal:
    case QuestionType::kRating:
      return a.is_number() ? Value::Number(a.get<double>()) : Value::String(a.dump());
    case QuestionType::kSelectMultiple: {
      if (!a.is_array()) return Value();
      std::vector<Value> items;
      for (const auto& x : a) items.push_back(Value::String(x.is_string() ? x.get<std::string>() : x.dump()));
      if (items.empty()) return Value();
      return Value::List(std::move(items));
    }
    case QuestionType::kDate: {
      int64_t days;
      if (a.is_string() && ParseIsoDate(a.get<std::string>(), &days)) return Value::Date(days);
      break;
    }
    case QuestionType::kDateTime: {
      int64_t ms;
      int32_t off;
      if (a.is_string() && ParseIsoDateTime(a.get<std::string>(), 0, &ms, &off))
        return Value::DateTime(ms, off);
      break;
    }
    case QuestionType::kGeopoint: {
      if (!a.is_object()) break;
      auto num = [&](const char* k) {
        auto it = a.find(k);
        return it != a.end() && it->is_number() ? Value::Number(it->get<double>()).AsString() : std::string("0");
      };
      return Value::String(num("lat") + " " + num("lon") + " " + num("alt") + " " + num("accuracy"));
    }
    case QuestionType::kAcknowledge:
      return a == true ? Value::String("OK") : Value();
    case QuestionType::kCalculate:
      if (a.is_number()) return Value::Number(a.get<double>());
      break;
    default:
      break;
  }
  if (a.is_string()) {
    const std::string& s = a.get_ref<const std::string&>();
    return s.empty() ? Value() : Value::String(s);
  }
  if (a.is_boolean()) return Value::Bool(a.get<bool>());
  if (a.is_number()) return Value::Number(a.get<double>());
  return Value::String(a.dump());
}

json ValueToJson(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kEmpty:
      return nullptr;
    case Value::Kind::kNumber: {
      double d = v.number_value();
      if (!std::isfinite(d)) return nullptr;
      if (d == std::floor(d) && std::fabs(d) <= 9007199254740992.0) return static_cast<int64_t>(d);
      return d;
    }
    default: {
      std::string s = v.AsString();
      if (s.empty()) return nullptr;
      return s;
    }
  }
}

Value Form::AnswerAt(const json& answers, int q, const InstancePath& path) const {
  const json* a = FindAnswer(answers, q, path);
  return a == nullptr ? Value() : JsonToValue(questions_[q], *a);
}

// The evaluation context of one question at one instance path.
class Form::Context final : public EvalContext {
 public:
  Context(const Form& form, const json& answers, int q, const InstancePath& path, const Clock& clock)
      : form_(form), answers_(answers), q_(q), path_(path), clock_(clock) {}

  void set_current(const json* value) { current_ = value; }
  void set_choice(const ListItem* item) { choice_ = item; }

  Value Field(std::string_view name) const override {
    const Question* t = form_.Find(name);
    if (t == nullptr) return Value();
    const auto& qs = form_.questions_;
    std::vector<int> target_chain = RepeatChain(qs, t->index);
    if (t->type == QuestionType::kRepeat) target_chain.push_back(t->index);
    // A repeat's own expressions (relevant, repeat_count) sit outside its
    // instances, so its chain is that of its enclosing repeats.
    std::vector<int> own_chain = q_ >= 0 ? RepeatChain(qs, q_) : std::vector<int>{};
    // ${repeat} always means all of its instances, even from inside one.
    size_t max_shared = t->type == QuestionType::kRepeat ? target_chain.size() - 1 : target_chain.size();
    size_t shared = 0;
    while (shared < max_shared && shared < own_chain.size() && shared < path_.size() &&
           target_chain[shared] == own_chain[shared]) {
      ++shared;
    }
    std::vector<Value> out;
    InstancePath prefix(path_.begin(), path_.begin() + static_cast<long>(shared));
    Collect(*t, target_chain, shared, &prefix, &out);
    bool single = shared == target_chain.size() && t->type != QuestionType::kRepeat;
    if (single) return out.empty() ? Value() : out.front();
    return Value::List(std::move(out));
  }

  Value Current() const override {
    if (current_ != nullptr) return JsonToValue(form_.questions_[q_], *current_);
    return q_ >= 0 ? form_.AnswerAt(answers_, q_, path_) : Value();
  }

  Value ChoiceColumn(std::string_view column) const override {
    if (choice_ == nullptr) return Value();
    if (column == "name") return Value::String(choice_->name);
    auto it = choice_->columns.find(column);
    return it == choice_->columns.end() ? Value() : it->second;
  }

  Value Lookup(std::string_view list, std::string_view column, std::string_view key_column,
               const Value& key) const override {
    const ItemList* l = form_.List(list);
    if (l == nullptr) return Value();
    const std::string k = key.AsString();
    auto column_of = [](const ListItem& item, std::string_view c) -> Value {
      if (c == "name") return Value::String(item.name);
      auto it = item.columns.find(c);
      return it == item.columns.end() ? Value() : it->second;
    };
    if (key_column == "name") {
      const ListItem* item = l->Find(k);
      return item == nullptr ? Value() : column_of(*item, column);
    }
    for (const ListItem& item : l->items) {
      if (column_of(item, key_column).AsString() == k) return column_of(item, column);
    }
    return Value();
  }

  int64_t Position() const override { return path_.empty() ? 0 : path_.back() + 1; }

  Value IndexedRepeat(std::string_view field, std::string_view repeat, int64_t index) const override {
    const Question* f = form_.Find(field);
    const Question* r = form_.Find(repeat);
    if (f == nullptr || r == nullptr || r->type != QuestionType::kRepeat || f->repeat != r->index ||
        index < 1) {
      return Value();
    }
    InstancePath p(path_.begin(),
                   path_.begin() + std::min<long>(static_cast<long>(path_.size()), r->repeat_depth));
    if (static_cast<int>(p.size()) != r->repeat_depth) return Value();
    p.push_back(static_cast<int>(index - 1));
    return form_.AnswerAt(answers_, f->index, p);
  }

  int64_t NowMs() const override { return clock_.NowMs(); }
  int32_t UtcOffsetMinutes() const override { return clock_.UtcOffsetMinutes(); }

  // In the form's default language, whoever is looking: a calculation's
  // value is signed and checked, so it must not depend on the screen's.
  Value ChoiceName(std::string_view question, std::string_view value) const override {
    const Question* q = form_.Find(question);
    const ItemList* list = q == nullptr ? nullptr : form_.List(q->list);
    const ListItem* item = list == nullptr ? nullptr : list->Find(std::string(value));
    if (item == nullptr) return Value();
    return Value::String(item->label.Get(form_.default_language()));
  }

 private:
  // Every value of `t` under `prefix`, walking the instances of the repeats
  // in `chain` from `level` down.
  void Collect(const Question& t, const std::vector<int>& chain, size_t level, InstancePath* prefix,
               std::vector<Value>* out) const {
    const auto& qs = form_.questions_;
    if (level == chain.size()) {
      out->push_back(form_.AnswerAt(answers_, t.index, *prefix));
      return;
    }
    int n = form_.InstanceCount(answers_, chain[level], *prefix);
    for (int i = 0; i < n; ++i) {
      prefix->push_back(i);
      if (t.type == QuestionType::kRepeat && level + 1 == chain.size()) {
        out->push_back(Value::Number(i + 1));
      } else {
        Collect(t, chain, level + 1, prefix, out);
      }
      prefix->pop_back();
    }
    (void)qs;
  }

  const Form& form_;
  const json& answers_;
  int q_;
  const InstancePath& path_;
  const Clock& clock_;
  const json* current_ = nullptr;
  const ListItem* choice_ = nullptr;
};

// --- relevance, requirement, choices ---------------------------------------

namespace {

InstancePath Truncate(const InstancePath& path, int depth) {
  return InstancePath(path.begin(), path.begin() + std::min<long>(depth, static_cast<long>(path.size())));
}

}  // namespace

bool Form::IsRelevant(const json& answers, int q, const InstancePath& path, const Clock& clock) const {
  for (int x = q; x != -1; x = questions_[x].parent) {
    const Question& qx = questions_[x];
    if (qx.relevant.empty()) continue;
    InstancePath p = Truncate(path, qx.repeat_depth);
    Context ctx(*this, answers, x, p, clock);
    if (!qx.relevant.EvaluateBool(ctx)) return false;
  }
  return true;
}

bool Form::IsRequired(const json& answers, int q, const InstancePath& path, const Clock& clock) const {
  const Question& qq = questions_[q];
  if (qq.required) return true;
  if (qq.required_if.empty()) return false;
  Context ctx(*this, answers, q, path, clock);
  return qq.required_if.EvaluateBool(ctx);
}

std::vector<const ListItem*> Form::OfferedItems(const json& answers, int q, const InstancePath& path,
                                                const Clock& clock) const {
  std::vector<const ListItem*> out;
  const Question& qq = questions_[q];
  const ItemList* list = List(qq.list);
  if (list == nullptr) return out;
  Context ctx(*this, answers, q, path, clock);
  for (const ListItem& item : list->items) {
    if (!qq.choice_filter.empty()) {
      ctx.set_choice(&item);
      if (!qq.choice_filter.EvaluateBool(ctx)) continue;
    }
    out.push_back(&item);
  }
  return out;
}

// --- checking one answer -------------------------------------------------------

namespace {

bool IsWholeNumber(const json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    double d = v.get<double>();
    return std::fabs(d) <= 9007199254740992.0;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    return std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= 9007199254740992.0;
  }
  return false;
}

bool IsGeopoint(const json& v) {
  if (!v.is_object()) return false;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() != "lat" && it.key() != "lon" && it.key() != "alt" && it.key() != "accuracy") return false;
    if (!it->is_number() || !std::isfinite(it->get<double>())) return false;
  }
  auto lat = v.find("lat"), lon = v.find("lon");
  if (lat == v.end() || lon == v.end()) return false;
  double la = lat->get<double>(), lo = lon->get<double>();
  if (la < -90 || la > 90 || lo < -180 || lo > 180) return false;
  auto acc = v.find("accuracy");
  return acc == v.end() || acc->get<double>() >= 0;
}

constexpr size_t kMaxTextCodePoints = 10000;

}  // namespace

// Type and list membership only; the constraint is checked by CheckAnswer.
Status CheckAnswerShape(const Form& form, const Question& q, const json& v, std::string_view language) {
  auto fail = [&](Message m) { return Status::InvalidArgument(LocalMessage(m, language)); };
  switch (q.type) {
    case QuestionType::kText:
      if (!v.is_string()) return fail(Message::kNotText);
      if (!utf8::IsValid(v.get_ref<const std::string&>())) return fail(Message::kNotText);
      if (HasControlCharacter(v.get_ref<const std::string&>())) return fail(Message::kControlCharacter);
      // No more code points than bytes: only a long text needs counting.
      if (v.get_ref<const std::string&>().size() > kMaxTextCodePoints &&
          utf8::Length(v.get_ref<const std::string&>()) > kMaxTextCodePoints)
        return fail(Message::kTooLong);
      return Status::Ok();
    case QuestionType::kInteger:
      return IsWholeNumber(v) ? Status::Ok() : fail(Message::kNotInteger);
    case QuestionType::kDecimal:
      return v.is_number() && std::isfinite(v.get<double>()) ? Status::Ok() : fail(Message::kNotNumber);
    case QuestionType::kRating: {
      if (!IsWholeNumber(v)) return fail(Message::kNotRating);
      double d = v.get<double>();
      return d >= 1 && d <= q.scale ? Status::Ok() : fail(Message::kNotRating);
    }
    case QuestionType::kSelectOne: {
      if (!v.is_string()) return fail(Message::kNotChoice);
      const ItemList* list = form.List(q.list);
      return list != nullptr && list->Find(v.get_ref<const std::string&>()) != nullptr ? Status::Ok()
                                                                                     : fail(Message::kNotChoice);
    }
    case QuestionType::kSelectMultiple: {
      if (!v.is_array()) return fail(Message::kNotChoices);
      std::set<std::string> seen;
      for (const auto& x : v) {
        if (!x.is_string() || !seen.insert(x.get<std::string>()).second) return fail(Message::kNotChoices);
        const ItemList* list = form.List(q.list);
        if (list == nullptr || list->Find(x.get<std::string>()) == nullptr) return fail(Message::kNotChoices);
      }
      return Status::Ok();
    }
    case QuestionType::kDate: {
      int64_t days;
      if (!v.is_string()) return fail(Message::kNotDate);
      if (ParseIsoDate(v.get<std::string>(), &days)) return Status::Ok();
      switch (ParseTypedDate(v.get_ref<const std::string&>(), &days)) {
        case TypedDate::kNoSuchDay: return fail(Message::kNoSuchDate);
        case TypedDate::kValid: return fail(Message::kDateNotIso);
        case TypedDate::kMalformed: break;
      }
      return fail(Message::kNotDate);
    }
    case QuestionType::kTime: {
      int64_t ms;
      return v.is_string() && ParseIsoTime(v.get<std::string>(), &ms) ? Status::Ok() : fail(Message::kNotTime);
    }
    case QuestionType::kDateTime: {
      int64_t ms;
      int32_t off;
      return v.is_string() && ParseIsoDateTime(v.get<std::string>(), 0, &ms, &off)
                 ? Status::Ok()
                 : fail(Message::kNotDateTime);
    }
    case QuestionType::kGeopoint:
      return IsGeopoint(v) ? Status::Ok() : fail(Message::kNotGeopoint);
    case QuestionType::kAcknowledge:
      return v == true ? Status::Ok() : fail(Message::kNotAcknowledged);
    case QuestionType::kCalculate:
      return v.is_string() || v.is_number() ? Status::Ok() : fail(Message::kCalculated);
    case QuestionType::kNote:
    case QuestionType::kGroup:
      return fail(Message::kNotApplicable);
    case QuestionType::kRepeat:
      return v.is_array() ? Status::Ok() : fail(Message::kWrongRepeatCount);
  }
  return fail(Message::kNotApplicable);
}

Status Form::CheckAnswer(const json& answers, int q, const InstancePath& path, const json& value,
                         const Clock& clock, std::string_view language) const {
  const Question& qq = questions_[q];
  // Type and membership of the whole list first; a choice filter is then
  // evaluated for the chosen items alone, not for every item the list has
  // (OfferedItems): a list of centres is long, and every record is checked
  // on the laptop, on the server and in an audit.
  DALA_RETURN_IF_ERROR(CheckAnswerShape(*this, qq, value, language));
  if ((qq.type == QuestionType::kSelectOne || qq.type == QuestionType::kSelectMultiple) &&
      !qq.choice_filter.empty()) {
    const ItemList* list = List(qq.list);
    Context ctx(*this, answers, q, path, clock);
    auto offered = [&](const json& name) {
      const ListItem* item = list == nullptr ? nullptr : list->Find(name.get_ref<const std::string&>());
      if (item == nullptr) return false;
      ctx.set_choice(item);
      return qq.choice_filter.EvaluateBool(ctx);
    };
    if (qq.type == QuestionType::kSelectOne && !offered(value))
      return Status::InvalidArgument(LocalMessage(Message::kNotChoice, language));
    if (qq.type == QuestionType::kSelectMultiple)
      for (const json& x : value)
        if (!offered(x)) return Status::InvalidArgument(LocalMessage(Message::kNotChoices, language));
  }
  if (!qq.constraint.empty()) {
    Context ctx(*this, answers, q, path, clock);
    ctx.set_current(&value);
    if (!qq.constraint.EvaluateBool(ctx)) {
      const std::string& custom = qq.constraint_message.Get(language);
      return Status::InvalidArgument(custom.empty() ? LocalMessage(Message::kConstraintFailed, language)
                                                    : custom);
    }
  }
  return Status::Ok();
}

// --- walking every question instance ---------------------------------------

namespace {

// Calls `visit(q, path, relevant)` for every question in document order,
// expanding repeats over the instances present in `answers`. `relevant`
// says whether the question and its ancestors are relevant; children of an
// irrelevant group are visited with relevant = false.
void Walk(const Form& form, const json& answers, const Clock& clock, const std::vector<int>& ids,
          InstancePath* path, bool parent_relevant,
          const std::function<void(int, const InstancePath&, bool)>& visit) {
  for (int q : ids) {
    const Question& qq = form.questions()[q];
    bool relevant = parent_relevant;
    if (relevant && !qq.relevant.empty()) relevant = form.IsRelevant(answers, q, *path, clock);
    visit(q, *path, relevant);
    if (qq.type == QuestionType::kGroup) {
      Walk(form, answers, clock, qq.children, path, relevant, visit);
    } else if (qq.type == QuestionType::kRepeat) {
      int n = form.InstanceCount(answers, q, *path);
      for (int i = 0; i < n; ++i) {
        path->push_back(i);
        Walk(form, answers, clock, qq.children, path, relevant, visit);
        path->pop_back();
      }
    }
  }
}

}  // namespace

void Form::ApplyDefaults(json* answers, int scope, const InstancePath& path) const {
  const std::vector<int>& ids = scope < 0 ? top_level_ : questions_[scope].children;
  for (int q : ids) {
    const Question& qq = questions_[q];
    if (qq.type == QuestionType::kGroup) {
      ApplyDefaults(answers, q, path);
      continue;
    }
    if (qq.default_answer.empty() || !qq.HasAnswer() || qq.type == QuestionType::kRepeat) continue;
    if (FindAnswer(*answers, q, path) != nullptr) continue;
    json* slot = AnswerSlot(answers, q, path);
    if (slot != nullptr) *slot = json::parse(qq.default_answer);
  }
}

void Form::Recalculate(json* answers, const Clock& clock, bool clear_irrelevant) const {
  if (!answers->is_object()) *answers = json::object();
  // Calculations can feed relevance and relevance can clear inputs of
  // calculations; a few passes reach the fixed point for any sane form.
  for (int pass = 0; pass < 8; ++pass) {
    bool changed = false;
    std::vector<std::pair<int, InstancePath>> to_clear;
    std::vector<std::pair<int, InstancePath>> to_calculate;
    std::vector<std::pair<int, InstancePath>> to_size;
    InstancePath path;
    Walk(*this, *answers, clock, top_level_, &path, true,
         [&](int q, const InstancePath& p, bool relevant) {
           const Question& qq = questions_[q];
           if (!relevant) {
             if (clear_irrelevant && qq.HasAnswer() && FindAnswer(*answers, q, p) != nullptr)
               to_clear.emplace_back(q, p);
             return;
           }
           if (qq.type == QuestionType::kCalculate) to_calculate.emplace_back(q, p);
           if (qq.type == QuestionType::kRepeat &&
               (qq.fixed_repeat_count >= 0 || !qq.repeat_count.empty())) {
             to_size.emplace_back(q, p);
           }
         });
    for (auto& [q, p] : to_clear) {
      json* slot = AnswerSlot(answers, q, p);
      if (slot != nullptr) {
        *slot = nullptr;
        changed = true;
      }
    }
    for (auto& [q, p] : to_size) {
      const Question& qq = questions_[q];
      int64_t want = qq.fixed_repeat_count;
      if (want < 0) {
        Context ctx(*this, *answers, q, p, clock);
        double d = qq.repeat_count.Evaluate(ctx).AsNumber();
        want = std::isfinite(d) && d > 0 ? std::min<int64_t>(static_cast<int64_t>(d), 1000) : 0;
      }
      json* slot = AnswerSlot(answers, q, p);
      if (!slot->is_array()) *slot = json::array();
      while (slot->size() < static_cast<size_t>(want)) {
        slot->push_back(json::object());
        InstancePath inner = p;
        inner.push_back(static_cast<int>(slot->size() - 1));
        ApplyDefaults(answers, q, inner);
        slot = AnswerSlot(answers, q, p);
        changed = true;
      }
      if (slot->size() > static_cast<size_t>(want)) {
        slot->erase(slot->begin() + want, slot->end());
        changed = true;
      }
    }
    // Calculations in dependency order, instance by instance.
    std::stable_sort(to_calculate.begin(), to_calculate.end(), [&](const auto& a, const auto& b) {
      auto rank = [&](int q) {
        return std::find(calculation_order_.begin(), calculation_order_.end(), q) - calculation_order_.begin();
      };
      return rank(a.first) < rank(b.first);
    });
    for (auto& [q, p] : to_calculate) {
      // uuid() gives a new value every time: the first one stays, or the
      // answers would never settle.
      if (const json* had = FindAnswer(*answers, q, p);
          questions_[q].calculation.uses_uuid() && had != nullptr && !had->is_null())
        continue;
      Context ctx(*this, *answers, q, p, clock);
      json value = ValueToJson(questions_[q].calculation.Evaluate(ctx));
      json* slot = AnswerSlot(answers, q, p);
      if (*slot != value) {
        *slot = value;
        changed = true;
      }
    }
    if (!changed) break;
  }
  PruneNulls(answers);
}

std::vector<AnswerProblem> Form::Validate(const json& answers, const Clock& clock,
                                          std::string_view language) const {
  std::vector<AnswerProblem> problems;
  if (!answers.is_object()) {
    problems.push_back({"", LocalMessage(Message::kAnswersNotObject, language)});
    return problems;
  }
  // The names an answers object may use at one level, for suggestions.
  auto answer_names = [&](int repeat) {
    std::vector<std::string> names;
    for (const Question& q : questions_)
      if (q.HasAnswer() && q.repeat == repeat) names.push_back(q.name);
    return names;
  };
  // The top level's answers by question, taken while its keys are checked:
  // the walk below asks for every question's, and a map lookup by name
  // each time was a tenth of validating.
  std::vector<const json*> top_level_answer(questions_.size(), nullptr);
  // Keys the form does not know, at the top and in every repeat instance.
  std::function<void(const json&, int, const std::string&)> check_keys =
      [&](const json& object, int repeat, const std::string& prefix) {
        for (auto it = object.begin(); it != object.end(); ++it) {
          const Question* q = Find(it.key());
          if (q == nullptr || !q->HasAnswer() || q->repeat != repeat) {
            std::string message = LocalMessage(Message::kUnknownField, language);
            std::string nearest = NearestName(it.key(), answer_names(repeat));
            if (!nearest.empty()) {
              std::string hint = LocalMessage(Message::kDidYouMean, language);
              hint.replace(hint.find("{}"), 2, nearest);
              message += " " + hint;
            }
            problems.push_back({prefix + it.key(), message});
            continue;
          }
          // A known key, at the level it belongs to.
          if (repeat == -1 && !it->is_null()) top_level_answer[static_cast<size_t>(q->index)] = &*it;
          if (q->type == QuestionType::kRepeat && it->is_array()) {
            for (size_t i = 0; i < it->size(); ++i) {
              const json& instance = (*it)[i];
              std::string inner = prefix + it.key() + "[" + std::to_string(i + 1) + "].";
              if (!instance.is_object()) {
                problems.push_back(
                    {inner.substr(0, inner.size() - 1), LocalMessage(Message::kInstanceNotObject, language)});
                continue;
              }
              check_keys(instance, q->index, inner);
            }
          }
        }
      };
  check_keys(answers, -1, "");

  InstancePath path;
  Walk(*this, answers, clock, top_level_, &path, true, [&](int q, const InstancePath& p, bool relevant) {
    const Question& qq = questions_[q];
    if (!qq.HasAnswer()) return;
    const json* a = qq.repeat == -1 ? top_level_answer[static_cast<size_t>(q)] : FindAnswer(answers, q, p);
    bool answered = a != nullptr && !(a->is_array() && a->empty() && qq.type == QuestionType::kSelectMultiple) &&
                    !(a->is_string() && a->get_ref<const std::string&>().empty());
    if (!relevant) {
      if (answered) problems.push_back({FieldLabel(q, p), LocalMessage(Message::kNotApplicable, language), q, p});
      return;
    }
    if (qq.type == QuestionType::kCalculate) {
      if (qq.calculation.uses_clock() || qq.calculation.uses_uuid()) return;
      Context ctx(*this, answers, q, p, clock);
      json expected = ValueToJson(qq.calculation.Evaluate(ctx));
      json actual = a == nullptr ? json(nullptr) : *a;
      if (expected != actual) {
        // Say which, and the value, so a client that left it out learns
        // it must compute and sign it rather than "not enter" it.
        std::string message =
            LocalMessage(a == nullptr || a->is_null() ? Message::kCalculatedMissing : Message::kCalculatedWrong, language);
        message.replace(message.find("{}"), 2, expected.dump(-1, ' ', false, json::error_handler_t::replace));
        problems.push_back({FieldLabel(q, p), std::move(message), q, p});
      }
      return;
    }
    if (qq.type == QuestionType::kRepeat) {
      if (a != nullptr && !a->is_array()) {
        problems.push_back({FieldLabel(q, p), LocalMessage(Message::kWrongRepeatCount, language), q, p});
        return;
      }
      int64_t want = qq.fixed_repeat_count;
      if (want < 0 && !qq.repeat_count.empty()) {
        Context ctx(*this, answers, q, p, clock);
        double d = qq.repeat_count.Evaluate(ctx).AsNumber();
        want = std::isfinite(d) && d > 0 ? std::min<int64_t>(static_cast<int64_t>(d), 1000) : 0;
      }
      if (want >= 0 && InstanceCount(answers, q, p) != want)
        problems.push_back({FieldLabel(q, p), LocalMessage(Message::kWrongRepeatCount, language), q, p});
      return;
    }
    if (!answered) {
      if (IsRequired(answers, q, p, clock)) {
        const std::string& custom = qq.required_message.Get(language);
        problems.push_back(
            {FieldLabel(q, p), custom.empty() ? LocalMessage(Message::kRequired, language) : custom, q, p});
      }
      return;
    }
    Status s = CheckAnswer(answers, q, p, *a, clock, language);
    if (!s.ok()) problems.push_back({FieldLabel(q, p), s.message(), q, p});
  });
  return problems;
}

void PruneNulls(json* answers) {
  if (!answers->is_object()) return;
  for (auto it = answers->begin(); it != answers->end();) {
    if (it->is_null()) {
      it = answers->erase(it);
      continue;
    }
    if (it->is_array()) {
      for (auto& x : *it)
        if (x.is_object()) PruneNulls(&x);
    }
    ++it;
  }
}

// --- messages -------------------------------------------------------------------

bool HasControlCharacter(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) return true;
    // U+0080..U+009F (C1) is C2 80..C2 9F in UTF-8.
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9f &&
        static_cast<unsigned char>(text[i + 1]) >= 0x80)
      return true;
  }
  return false;
}

std::string LocalMessage(Message message, std::string_view language) {
  struct Row {
    const char* kk;
    const char* ru;
    const char* en;
  };
  static const Row kRows[] = {
      {"Бұл сұраққа жауап беру міндетті.", "Это обязательный вопрос.", "This question requires an answer."},
      {"Бұл жауапқа рұқсат етілмейді.", "Недопустимый ответ.", "This answer is not allowed."},
      {"Мәтін енгізіңіз.", "Введите текст.", "Enter text."},
      {"Бүтін сан енгізіңіз.", "Введите целое число.", "Enter a whole number."},
      {"Сан енгізіңіз.", "Введите число.", "Enter a number."},
      {"Күнді ЖЖЖЖ-АА-КК немесе КК.АА.ЖЖЖЖ түрінде енгізіңіз.",
       "Введите дату в виде ГГГГ-ММ-ДД или ДД.ММ.ГГГГ.", "Enter a date as YYYY-MM-DD or DD.MM.YYYY."},
      {"Уақытты СС:ММ түрінде енгізіңіз.", "Введите время в виде ЧЧ:ММ.", "Enter a time as HH:MM."},
      {"Күн мен уақытты ЖЖЖЖ-АА-КК СС:ММ түрінде енгізіңіз.", "Введите дату и время в виде ГГГГ-ММ-ДД ЧЧ:ММ.",
       "Enter a date and time as YYYY-MM-DD HH:MM."},
      {"Ендік пен бойлықты енгізіңіз, мысалы: 43.2389 76.8897.",
       "Введите широту и долготу, например: 43.2389 76.8897.",
       "Enter latitude and longitude, for example: 43.2389 76.8897."},
      {"Ұсынылған нұсқалардың бірін таңдаңыз.", "Выберите один из предложенных вариантов.",
       "Choose one of the options offered."},
      {"Тізімнен бір немесе бірнеше нұсқаны таңдаңыз (әрқайсысы бір рет).",
       "Выберите один или несколько вариантов из списка (каждый один раз).",
       "Choose one or more of the options offered (each once)."},
      {"Растау үшін 1 енгізіңіз.", "Для подтверждения введите 1.", "Enter 1 to confirm."},
      {"Көрсетілген шкала бойынша баға таңдаңыз.", "Выберите оценку по указанной шкале.",
       "Choose a rating on the scale shown."},
      {"Бұл сұрақ бұл жағдайға қатысты емес, оған жауап берілмеуі керек.",
       "Этот вопрос здесь неприменим, ответа на него быть не должно.",
       "This question does not apply here, so it must not be answered."},
      {"Бұл мән автоматты түрде есептеледі.", "Это значение вычисляется автоматически.",
       "This value is calculated, not entered."},
      {"Есептелетін мән жоқ: формула бойынша {} шығады.", "Вычисляемое значение отсутствует: по формуле получается {}.",
       "This calculated value is missing: the calculation gives {}."},
      {"Есептелетін мән қате: формула бойынша {} шығады.", "Вычисляемое значение неверно: по формуле получается {}.",
       "This calculated value is wrong: the calculation gives {}."},
      {"Формада мұндай сұрақ жоқ.", "В форме нет такого вопроса.", "The form has no such question."},
      {"Жазбалар саны сәйкес келмейді.", "Количество записей не совпадает.",
       "The number of entries does not match."},
      {"Мәтін тым ұзын.", "Текст слишком длинный.", "The text is too long."},
      {"Мұндай күн жоқ: күн мен айды тексеріңіз.", "Такой даты не существует: проверьте день и месяц.",
       "There is no such date: check the day and the month."},
      {"Жауаптағы күн ЖЖЖЖ-АА-КК түрінде сақталуы керек.", "Дата в ответе должна храниться в виде ГГГГ-ММ-ДД.",
       "A stored date must be written YYYY-MM-DD."},
      {"Жауапта басқару таңбасы бар (мысалы, бағыт пернесінің коды). Жауапты қайта енгізіңіз.",
       "В ответе есть управляющий символ (например, код клавиши-стрелки). Введите ответ заново.",
       "The answer holds a control character (such as the code of an arrow key). Type the answer again."},
      {"Жауаптар JSON нысаны болуы керек.", "Ответы должны быть объектом JSON.", "The answers must be a JSON object."},
      {"Қайталанатын бөлімнің әр жазбасы JSON нысаны болуы керек.",
       "Каждая запись повторяющегося раздела должна быть объектом JSON.",
       "Each entry of a repeated section must be a JSON object."},
      {"Мүмкін, «{}» деп айтқыңыз келген шығар?", "Возможно, вы имели в виду «{}»?", "Did you mean `{}`?"},
  };
  static_assert(sizeof(kRows) / sizeof(kRows[0]) == static_cast<size_t>(Message::kMessageCount),
                "every Message needs its row in kk, ru and en");
  const Row& row = kRows[static_cast<int>(message)];
  if (language == "kk") return row.kk;
  if (language == "ru") return row.ru;
  return row.en;
}

}  // namespace dala::schema
