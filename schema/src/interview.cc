#include "dala/schema/interview.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>

#include "dala/base/utf8.h"
#include "form_internal.h"

namespace dala::schema {

using nlohmann::json;

namespace {

std::vector<std::string> SplitTokens(std::string_view text, std::string_view separators) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (separators.find(c) != std::string_view::npos) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// A whole decimal number, optionally signed, nothing else.
bool ParseInteger(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 17) return false;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) return false;
  int64_t v = 0;
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
    v = v * 10 + (s[k] - '0');
  }
  *out = s[0] == '-' ? -v : v;
  return true;
}

// Digits with at most one '.' or ',' (Kazakh and Russian write 12,5).
bool ParseDecimal(std::string_view s, double* out) {
  std::string t(s);
  std::replace(t.begin(), t.end(), ',', '.');
  if (t.empty() || t.size() > 40) return false;
  size_t i = (t[0] == '-' || t[0] == '+') ? 1 : 0;
  bool digit = false, dot = false;
  for (size_t k = i; k < t.size(); ++k) {
    if (t[k] >= '0' && t[k] <= '9') {
      digit = true;
    } else if (t[k] == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  if (!digit) return false;
  *out = std::strtod(t.c_str(), nullptr);
  return std::isfinite(*out);
}

// "27.11.2026" as people write dates in Kazakhstan, or ISO "2026-11-27".
// The failure says whether the text is no date or a day that does not exist.
Message ParseDateText(std::string_view s, std::string* iso) {
  int64_t days;
  switch (ParseTypedDate(s, &days)) {
    case TypedDate::kValid:
      *iso = FormatIsoDate(days);
      return Message::kMessageCount;
    case TypedDate::kNoSuchDay:
      return Message::kNoSuchDate;
    case TypedDate::kMalformed:
      break;
  }
  return Message::kNotDate;
}

bool ParseTypedTime(std::string_view s, std::string* out) {
  std::string t(s);
  if (t.size() == 4 && t[1] == ':') t = "0" + t;  // 9:30
  int64_t ms;
  if (!ParseIsoTime(t, &ms)) return false;
  *out = t;
  return true;
}

bool IsYes(std::string_view s) {
  static const char* kYes[] = {"y", "yes", "1", "ok", "да", "д", "иә", "и", "ия", "Да", "Иә", "Y", "Yes", "YES", "OK"};
  return std::any_of(std::begin(kYes), std::end(kYes), [&](const char* y) { return s == y; });
}

bool IsNo(std::string_view s) {
  static const char* kNo[] = {"n", "no", "0", "нет", "н", "жоқ", "ж", "Нет", "Жоқ", "N", "No", "NO"};
  return std::any_of(std::begin(kNo), std::end(kNo), [&](const char* y) { return s == y; });
}

const ListItem* ChooseItem(std::string_view token, const std::vector<const ListItem*>& offered) {
  int64_t n;
  if (ParseInteger(token, &n) && n >= 1 && static_cast<size_t>(n) <= offered.size()) return offered[n - 1];
  for (const ListItem* item : offered)
    if (item->name == token) return item;
  return nullptr;
}

}  // namespace

Result<json> ParseTypedAnswer(const Form& form, int question, std::string_view raw,
                              const std::vector<const ListItem*>& offered, const Clock& clock,
                              std::string_view language) {
  const Question& q = form.questions()[question];
  auto fail = [&](Message m) { return Status::InvalidArgument(LocalMessage(m, language)); };
  if (!utf8::IsValid(raw)) return fail(Message::kNotText);
  std::string_view text = utf8::Trim(raw);
  if (HasControlCharacter(text)) return fail(Message::kControlCharacter);
  switch (q.type) {
    case QuestionType::kText:
      return json(std::string(text));
    case QuestionType::kInteger: {
      int64_t v;
      if (!ParseInteger(text, &v)) return fail(Message::kNotInteger);
      return json(v);
    }
    case QuestionType::kDecimal: {
      double d;
      if (!ParseDecimal(text, &d)) return fail(Message::kNotNumber);
      if (d == std::floor(d) && std::fabs(d) < 1e15) return json(static_cast<int64_t>(d));
      return json(d);
    }
    case QuestionType::kRating: {
      int64_t v;
      if (!ParseInteger(text, &v) || v < 1 || v > q.scale) return fail(Message::kNotRating);
      return json(v);
    }
    case QuestionType::kSelectOne: {
      const ListItem* item = ChooseItem(text, offered);
      if (item == nullptr) return fail(Message::kNotChoice);
      return json(item->name);
    }
    case QuestionType::kSelectMultiple: {
      json out = json::array();
      for (const std::string& token : SplitTokens(text, " ,;\t")) {
        const ListItem* item = ChooseItem(token, offered);
        if (item == nullptr) return fail(Message::kNotChoices);
        if (std::find(out.begin(), out.end(), json(item->name)) == out.end()) out.push_back(item->name);
      }
      if (out.empty()) return fail(Message::kNotChoices);
      return out;
    }
    case QuestionType::kDate: {
      std::string iso;
      if (Message m = ParseDateText(text, &iso); m != Message::kMessageCount) return fail(m);
      return json(iso);
    }
    case QuestionType::kTime: {
      std::string t;
      if (!ParseTypedTime(text, &t)) return fail(Message::kNotTime);
      return json(t);
    }
    case QuestionType::kDateTime: {
      auto parts = SplitTokens(text, " T");
      int64_t ms;
      int32_t off;
      std::string iso = std::string(text);
      if (parts.size() == 2) {
        std::string date, time;
        if (ParseDateText(parts[0], &date) == Message::kNoSuchDate) return fail(Message::kNoSuchDate);
        if (date.empty() || !ParseTypedTime(parts[1], &time)) return fail(Message::kNotDateTime);
        iso = date + "T" + time;
        if (time.size() == 5) iso += ":00";
      }
      if (!ParseIsoDateTime(iso, clock.UtcOffsetMinutes(), &ms, &off)) return fail(Message::kNotDateTime);
      return json(FormatIsoDateTime(ms, off).substr(0, 19) +
                  FormatIsoDateTime(ms, off).substr(FormatIsoDateTime(ms, off).size() - 6));
    }
    case QuestionType::kGeopoint: {
      auto parts = SplitTokens(text, " \t;");
      if (parts.size() < 2 || parts.size() > 4) return fail(Message::kNotGeopoint);
      static const char* kKeys[] = {"lat", "lon", "alt", "accuracy"};
      json g = json::object();
      for (size_t i = 0; i < parts.size(); ++i) {
        double d;
        if (!ParseDecimal(parts[i], &d)) return fail(Message::kNotGeopoint);
        g[kKeys[i]] = d;
      }
      return g;
    }
    case QuestionType::kAcknowledge:
      if (!IsYes(text)) return fail(Message::kNotAcknowledged);
      return json(true);
    case QuestionType::kNote:
    case QuestionType::kGroup:
    case QuestionType::kRepeat:
      return fail(Message::kNotApplicable);
    case QuestionType::kCalculate:
      return fail(Message::kCalculated);
  }
  return fail(Message::kNotApplicable);
}

std::string DescribeAnswer(const Form& form, int question, const json& answer, std::string_view language) {
  const Question& q = form.questions()[question];
  if (answer.is_null()) return "";
  const ItemList* list = form.List(q.list);
  auto label_of = [&](const std::string& name) {
    const ListItem* item = list != nullptr ? list->Find(name) : nullptr;
    return item != nullptr ? item->label.Get(language) : name;
  };
  switch (q.type) {
    case QuestionType::kSelectOne:
      return answer.is_string() ? label_of(answer.get<std::string>()) : answer.dump();
    case QuestionType::kSelectMultiple: {
      std::string s;
      if (!answer.is_array()) return answer.dump();
      for (const auto& x : answer) {
        if (!s.empty()) s += "; ";
        s += x.is_string() ? label_of(x.get<std::string>()) : x.dump();
      }
      return s;
    }
    case QuestionType::kAcknowledge:
      return answer == true ? "OK" : "";
    case QuestionType::kGeopoint: {
      std::string s;
      for (const char* k : {"lat", "lon", "alt", "accuracy"}) {
        auto it = answer.find(k);
        if (it == answer.end()) continue;
        if (!s.empty()) s += " ";
        s += Value::Number(it->get<double>()).AsString();
      }
      return s;
    }
    case QuestionType::kRepeat:
      return std::to_string(answer.is_array() ? answer.size() : 0);
    default:
      return answer.is_string() ? answer.get<std::string>() : answer.dump();
  }
}

void NormalizeTypedAnswers(const Form& form, json* answers, const Clock& clock) {
  if (!answers->is_object()) return;
  std::function<void(const std::vector<int>&, InstancePath&)> walk = [&](const std::vector<int>& ids,
                                                                          InstancePath& path) {
    for (int q : ids) {
      const Question& qq = form.questions()[q];
      if (qq.type == QuestionType::kGroup) {
        walk(qq.children, path);
      } else if (qq.type == QuestionType::kRepeat) {
        const json* instances = form.FindAnswer(*answers, q, path);
        if (instances == nullptr || !instances->is_array()) continue;
        for (size_t i = 0; i < instances->size(); ++i) {
          if (!(*instances)[i].is_object()) continue;
          path.push_back(static_cast<int>(i));
          walk(qq.children, path);
          path.pop_back();
        }
      } else if (qq.type == QuestionType::kDate || qq.type == QuestionType::kTime ||
                 qq.type == QuestionType::kDateTime) {
        const json* a = form.FindAnswer(*answers, q, path);
        if (a == nullptr || !a->is_string() || CheckAnswerShape(form, qq, *a, "en").ok()) continue;
        auto typed = ParseTypedAnswer(form, q, a->get_ref<const std::string&>(), {}, clock, "en");
        if (typed.ok()) *form.AnswerSlot(answers, q, path) = std::move(*typed);
      }
    }
  };
  InstancePath path;
  walk(form.top_level(), path);
}

Interview::Interview(std::shared_ptr<const Form> form, const Clock& clock, json answers)
    : form_(std::move(form)), clock_(clock), answers_(std::move(answers)) {
  if (!answers_.is_object()) answers_ = json::object();
  if (answers_.empty()) form_->ApplyDefaults(&answers_, -1, {});
  form_->Recalculate(&answers_, clock_, /*clear_irrelevant=*/false);
  Restart();
}

std::vector<InterviewStep> Interview::Steps() const { return Walk(false); }

size_t Interview::ExpectedStepCount() const { return Walk(true).size(); }

bool Interview::RelevanceUndecided(int q, const InstancePath& path) const {
  const Form& f = *form_;
  for (int x = q; x != -1; x = f.questions()[x].parent) {
    for (const std::string& name : f.questions()[x].relevant.references()) {
      const Question* r = f.Find(name);
      if (r != nullptr && f.AnswerAt(answers_, r->index, path).is_empty()) return true;
    }
  }
  return false;
}

std::vector<InterviewStep> Interview::Walk(bool count_undecided) const {
  std::vector<InterviewStep> steps;
  const Form& f = *form_;
  std::function<void(const std::vector<int>&, InstancePath&)> walk = [&](const std::vector<int>& ids,
                                                                          InstancePath& path) {
    for (int q : ids) {
      const Question& qq = f.questions()[q];
      if (!qq.relevant.empty() && !f.IsRelevant(answers_, q, path, clock_) &&
          !(count_undecided && RelevanceUndecided(q, path)))
        continue;
      switch (qq.type) {
        case QuestionType::kCalculate:
          break;
        case QuestionType::kGroup:
          walk(qq.children, path);
          break;
        case QuestionType::kRepeat: {
          int n = f.InstanceCount(answers_, q, path);
          for (int i = 0; i < n; ++i) {
            path.push_back(i);
            walk(qq.children, path);
            path.pop_back();
          }
          if (qq.fixed_repeat_count < 0 && qq.repeat_count.empty()) {
            InstancePath p = path;
            p.push_back(n);
            steps.push_back({InterviewStep::Kind::kAddRepeat, q, p});
          }
          break;
        }
        default:
          steps.push_back({InterviewStep::Kind::kQuestion, q, path});
      }
    }
  };
  InstancePath path;
  walk(f.top_level(), path);
  return steps;
}

void Interview::Restart() {
  history_.clear();
  auto steps = Steps();
  current_.reset();
  if (!steps.empty()) current_ = steps.front();
}

void Interview::ResumeAtFirstUnanswered() {
  history_.clear();
  current_.reset();
  for (const InterviewStep& step : Steps()) {
    const Question& q = form_->questions()[step.question];
    bool waiting = step.kind == InterviewStep::Kind::kAddRepeat ||
                   (q.HasAnswer() && form_->FindAnswer(answers_, step.question, step.path) == nullptr);
    if (waiting) {
      current_ = step;
      return;
    }
    history_.push_back(step);
  }
}

void Interview::GoTo(const InterviewStep& step) {
  if (current_) history_.push_back(*current_);
  current_ = step;
}

void Interview::Advance(const std::vector<InterviewStep>& before, size_t index_before) {
  history_.push_back(*current_);
  auto after = Steps();
  auto it = std::find(after.begin(), after.end(), *current_);
  size_t next = it != after.end() ? static_cast<size_t>(it - after.begin()) + 1 : index_before;
  (void)before;
  if (next < after.size()) {
    current_ = after[next];
  } else {
    current_.reset();
  }
}

namespace {

size_t IndexOf(const std::vector<InterviewStep>& steps, const InterviewStep& step) {
  auto it = std::find(steps.begin(), steps.end(), step);
  return it == steps.end() ? steps.size() : static_cast<size_t>(it - steps.begin());
}

}  // namespace

std::vector<const ListItem*> Interview::OfferedItems() const {
  if (!current_ || current_->kind != InterviewStep::Kind::kQuestion) return {};
  return form_->OfferedItems(answers_, current_->question, current_->path, clock_);
}

std::vector<const ListItem*> Interview::OfferedItems(const InterviewStep& step) const {
  if (step.kind != InterviewStep::Kind::kQuestion) return {};
  return form_->OfferedItems(answers_, step.question, step.path, clock_);
}

Status Interview::Answer(std::string_view text, std::string_view language) {
  if (!current_) return Status::FailedPrecondition("the interview is at its end");
  const InterviewStep step = *current_;
  auto before = Steps();
  size_t index = IndexOf(before, step);
  if (step.kind == InterviewStep::Kind::kAddRepeat) {
    std::string_view t = utf8::Trim(text);
    if (IsYes(t)) {
      InstancePath repeat_path(step.path.begin(), step.path.end() - 1);
      json* slot = form_->AnswerSlot(&answers_, step.question, repeat_path);
      if (!slot->is_array()) *slot = json::array();
      slot->push_back(json::object());
      form_->ApplyDefaults(&answers_, step.question, step.path);
      form_->Recalculate(&answers_, clock_, /*clear_irrelevant=*/false);
      history_.push_back(step);
      auto after = Steps();
      current_ = index < after.size() ? std::optional(after[index]) : std::nullopt;
      return Status::Ok();
    }
    if (IsNo(t)) {
      Advance(before, index + 1);
      return Status::Ok();
    }
    return Status::InvalidArgument(language == "kk"   ? "Иә (1) немесе жоқ (0) деп жауап беріңіз."
                                   : language == "ru" ? "Ответьте да (1) или нет (0)."
                                                      : "Answer yes (1) or no (0).");
  }
  const Question& q = form_->questions()[step.question];
  if (q.type == QuestionType::kNote) return Next(language);
  if (q.read_only) return Status::InvalidArgument("read-only");
  auto offered = OfferedItems();
  auto parsed = ParseTypedAnswer(*form_, step.question, text, offered, clock_, language);
  if (!parsed.ok()) return parsed.status();
  DALA_RETURN_IF_ERROR(form_->CheckAnswer(answers_, step.question, step.path, *parsed, clock_, language));
  *form_->AnswerSlot(&answers_, step.question, step.path) = std::move(parsed).value();
  form_->Recalculate(&answers_, clock_, /*clear_irrelevant=*/false);
  Advance(before, index + 1);
  return Status::Ok();
}

Status Interview::Next(std::string_view language) {
  if (!current_) return Status::FailedPrecondition("the interview is at its end");
  const InterviewStep step = *current_;
  auto before = Steps();
  if (step.kind == InterviewStep::Kind::kAddRepeat) {
    Advance(before, IndexOf(before, step) + 1);
    return Status::Ok();
  }
  const Question& q = form_->questions()[step.question];
  if (q.HasAnswer() && form_->FindAnswer(answers_, step.question, step.path) == nullptr &&
      form_->IsRequired(answers_, step.question, step.path, clock_)) {
    const std::string& custom = q.required_message.Get(language);
    return Status::InvalidArgument(custom.empty() ? LocalMessage(Message::kRequired, language) : custom);
  }
  Advance(before, IndexOf(before, step) + 1);
  return Status::Ok();
}

Status Interview::Clear(std::string_view language) {
  (void)language;
  if (!current_ || current_->kind != InterviewStep::Kind::kQuestion)
    return Status::FailedPrecondition("nothing to clear here");
  json* slot = form_->AnswerSlot(&answers_, current_->question, current_->path);
  if (slot != nullptr) *slot = nullptr;
  form_->Recalculate(&answers_, clock_, /*clear_irrelevant=*/false);
  return Status::Ok();
}

bool Interview::Back() {
  if (history_.empty()) return false;
  current_ = history_.back();
  history_.pop_back();
  // A step can vanish if an answer changed what is relevant; skip those.
  auto steps = Steps();
  while (std::find(steps.begin(), steps.end(), *current_) == steps.end()) {
    if (history_.empty()) {
      Restart();
      return true;
    }
    current_ = history_.back();
    history_.pop_back();
  }
  return true;
}

json Interview::FinalAnswers() const {
  json out = answers_;
  form_->Recalculate(&out, clock_, /*clear_irrelevant=*/true);
  return out;
}

std::vector<AnswerProblem> Interview::Validate(std::string_view language) const {
  return form_->Validate(FinalAnswers(), clock_, language);
}


// --- screens -------------------------------------------------------------------

int Interview::ScreenGroup(const InterviewStep& step) const {
  if (step.kind != InterviewStep::Kind::kQuestion) return -1;
  const auto& qs = form_->questions();
  int found = -1;
  // A repeat is a boundary: its instances are screens of their own.
  for (int x = qs[step.question].parent; x != -1 && qs[x].type != QuestionType::kRepeat; x = qs[x].parent)
    if (qs[x].IsFieldList()) found = x;
  return found;
}

std::vector<InterviewStep> Interview::ScreenSteps() const {
  if (!current_) return {};
  const int group = ScreenGroup(*current_);
  if (group < 0) return {*current_};
  auto steps = Steps();
  size_t at = IndexOf(steps, *current_);
  if (at == steps.size()) return {*current_};
  auto same = [&](const InterviewStep& s) { return s.path == current_->path && ScreenGroup(s) == group; };
  size_t first = at, last = at;
  while (first > 0 && same(steps[first - 1])) --first;
  while (last + 1 < steps.size() && same(steps[last + 1])) ++last;
  return {steps.begin() + static_cast<std::ptrdiff_t>(first), steps.begin() + static_cast<std::ptrdiff_t>(last) + 1};
}

std::optional<InterviewStep> Interview::FirstOfScreen(int group, const InstancePath& path) const {
  for (const InterviewStep& s : Steps())
    if (s.path == path && ScreenGroup(s) == group) return s;
  return std::nullopt;
}

Status Interview::Set(const InterviewStep& step, std::string_view text, std::string_view language) {
  auto screen = ScreenSteps();
  if (step.kind != InterviewStep::Kind::kQuestion || std::find(screen.begin(), screen.end(), step) == screen.end())
    return Status::FailedPrecondition("that question is not on this screen").WithReason("not_on_screen");
  const Question& q = form_->questions()[step.question];
  if (q.type == QuestionType::kNote) return Status::Ok();
  if (q.read_only) return Status::InvalidArgument("read-only");
  const size_t screen_at = IndexOf(Steps(), screen.front());
  json value = nullptr;
  if (!utf8::Trim(text).empty()) {
    auto parsed = ParseTypedAnswer(*form_, step.question, text, OfferedItems(step), clock_, language);
    if (!parsed.ok()) return parsed.status();
    DALA_RETURN_IF_ERROR(form_->CheckAnswer(answers_, step.question, step.path, *parsed, clock_, language));
    value = std::move(parsed).value();
  }
  *form_->AnswerSlot(&answers_, step.question, step.path) = std::move(value);
  form_->Recalculate(&answers_, clock_, /*clear_irrelevant=*/false);
  auto steps = Steps();
  if (std::find(steps.begin(), steps.end(), *current_) == steps.end()) {
    // The answer hid the step the screen is named by: the screen is now its
    // first visible step, or, if the whole group went, what follows it.
    auto first = FirstOfScreen(ScreenGroup(step), step.path);
    if (!first && screen_at < steps.size()) first = steps[screen_at];
    current_ = first;
  }
  return Status::Ok();
}

Status Interview::NextScreen(std::string_view language, InterviewStep* missing) {
  if (!current_) return Status::FailedPrecondition("the interview is at its end");
  auto screen = ScreenSteps();
  for (const InterviewStep& s : screen) {
    const Question& q = form_->questions()[s.question];
    if (s.kind != InterviewStep::Kind::kQuestion || !q.HasAnswer()) continue;
    if (form_->FindAnswer(answers_, s.question, s.path) != nullptr) continue;
    if (!form_->IsRequired(answers_, s.question, s.path, clock_)) continue;
    if (missing != nullptr) *missing = s;
    const std::string& custom = q.required_message.Get(language);
    return Status::InvalidArgument(custom.empty() ? LocalMessage(Message::kRequired, language) : custom);
  }
  auto steps = Steps();
  size_t last = IndexOf(steps, screen.back());
  history_.push_back(*current_);
  if (last + 1 < steps.size()) {
    current_ = steps[last + 1];
  } else {
    current_.reset();
  }
  return Status::Ok();
}

// --- removing a repeat instance -------------------------------------------------

namespace {

// Whether question `q` is `ancestor` or lies inside it.
bool Inside(const Form& form, int q, int ancestor) {
  for (int x = q; x != -1; x = form.questions()[x].parent)
    if (x == ancestor) return true;
  return false;
}

}  // namespace

Status Interview::RemoveInstance(int repeat, const InstancePath& instance) {
  const auto& qs = form_->questions();
  if (repeat < 0 || static_cast<size_t>(repeat) >= qs.size() || qs[repeat].type != QuestionType::kRepeat)
    return Status::InvalidArgument("not a repeat").WithReason("not_a_repeat");
  const Question& r = qs[repeat];
  if (r.fixed_repeat_count >= 0 || !r.repeat_count.empty())
    return Status::FailedPrecondition("the form decides how many of these there are").WithReason("fixed_repeat");
  const size_t depth = static_cast<size_t>(r.repeat_depth);
  if (instance.size() != depth + 1 || instance.back() < 0)
    return Status::NotFound("no such instance").WithReason("no_such_instance");
  const InstancePath parent(instance.begin(), instance.end() - 1);
  json* slot = form_->AnswerSlot(&answers_, repeat, parent);
  const int removed = instance.back();
  if (slot == nullptr || !slot->is_array() || static_cast<size_t>(removed) >= slot->size())
    return Status::NotFound("no such instance").WithReason("no_such_instance");

  // Where each step of the old numbering goes: nowhere inside the removed
  // instance, one index down in the instances after it.
  auto moved = [&](const InterviewStep& s) -> std::optional<InterviewStep> {
    if (!Inside(*form_, s.question, repeat) || s.path.size() <= depth ||
        !std::equal(parent.begin(), parent.end(), s.path.begin()))
      return s;
    if (s.path[depth] == removed && !(s.question == repeat && s.kind == InterviewStep::Kind::kAddRepeat))
      return std::nullopt;
    InterviewStep out = s;
    if (out.path[depth] > removed) --out.path[depth];
    return out;
  };
  auto before = Steps();
  size_t first_removed = before.size();
  for (size_t i = 0; i < before.size() && first_removed == before.size(); ++i)
    if (!moved(before[i])) first_removed = i;

  slot->erase(static_cast<size_t>(removed));
  form_->Recalculate(&answers_, clock_, /*clear_irrelevant=*/false);

  std::vector<InterviewStep> history;
  for (const InterviewStep& s : history_)
    if (auto m = moved(s); m && (history.empty() || history.back() != *m)) history.push_back(*m);
  history_ = std::move(history);
  auto after = Steps();
  std::optional<InterviewStep> here = current_ ? moved(*current_) : std::nullopt;
  if (current_ && !here) {
    here = first_removed < after.size() ? std::optional(after[first_removed]) : std::nullopt;
  }
  current_ = here;
  return Status::Ok();
}

}  // namespace dala::schema
