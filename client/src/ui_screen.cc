#include "ui_screen.h"

#include <map>

#include "dala/base/hex.h"
#include "dala/sync/ids.h"
#include "cli_common.h"

namespace dala::client::ui {

using nlohmann::json;
using schema::InterviewStep;
using schema::QuestionType;

namespace {

std::string LabelOf(const schema::Question& q, const std::string& lang) {
  const std::string& label = q.label.Get(lang);
  return label.empty() ? q.name : label;
}

json QuestionJson(const schema::Interview& iv, const InterviewStep& step, const std::string& lang) {
  const schema::Form& form = iv.form();
  const schema::Question& q = form.questions()[step.question];
  json out = {{"kind", step.kind == InterviewStep::Kind::kAddRepeat ? "add_repeat" : "question"},
              {"name", q.name},
              {"type", schema::QuestionTypeName(q.type)},
              {"label", LabelOf(q, lang)},
              {"hint", q.hint.Get(lang)},
              {"required", q.type != QuestionType::kNote && (q.required || !q.required_if.empty())},
              {"path", step.path}};
  if (!step.path.empty()) out["instance"] = step.path.back() + 1;
  if (q.repeat >= 0) out["repeat"] = LabelOf(form.questions()[q.repeat], lang);
  if (step.kind == InterviewStep::Kind::kAddRepeat) return out;
  if (q.repeat >= 0) {
    const schema::Question& r = form.questions()[q.repeat];
    out["removable"] = r.fixed_repeat_count < 0 && r.repeat_count.empty();
  }
  if (q.read_only) out["read_only"] = true;
  if (q.type == QuestionType::kRating) out["scale"] = q.scale;
  if (q.type == QuestionType::kSelectOne || q.type == QuestionType::kSelectMultiple) {
    json choices = json::array();
    for (const schema::ListItem* item : iv.OfferedItems(step))
      choices.push_back({{"name", item->name}, {"label", item->label.Get(lang)}});
    out["choices"] = std::move(choices);
  }
  if (const json* a = form.FindAnswer(iv.answers(), step.question, step.path)) {
    out["answer"] = *a;
    out["answer_text"] = schema::DescribeAnswer(form, step.question, *a, lang);
  }
  return out;
}

// Every answer the record will hold, in the order asked: the summary and
// the jump list.
json AnsweredJson(const schema::Interview& iv, const json& final_answers, const std::string& lang) {
  const schema::Form& form = iv.form();
  json out = json::array();
  auto steps = iv.Steps();
  for (size_t i = 0; i < steps.size(); ++i) {
    const InterviewStep& step = steps[i];
    const schema::Question& q = form.questions()[step.question];
    if (step.kind != InterviewStep::Kind::kQuestion || !q.HasAnswer()) continue;
    const json* a = form.FindAnswer(final_answers, step.question, step.path);
    if (a == nullptr) continue;
    json item = {{"step", i}, {"label", LabelOf(q, lang)}, {"answer", schema::DescribeAnswer(form, step.question, *a, lang)}};
    if (!step.path.empty()) item["instance"] = step.path.back() + 1;
    out.push_back(std::move(item));
  }
  return out;
}

// The labelled calculations outside repeats, and those of the group on
// screen (inside a repeat instance, at its path).
json CalculatedJson(const schema::Interview& iv, const json& final_answers, const std::string& lang) {
  const schema::Form& form = iv.form();
  const int group = iv.current() ? iv.ScreenGroup(*iv.current()) : -1;
  const schema::InstancePath here = iv.current() ? iv.current()->path : schema::InstancePath{};
  json out = json::array();
  for (const schema::Question& q : form.questions()) {
    if (q.type != QuestionType::kCalculate || q.label.Get(lang).empty()) continue;
    bool in_group = false;
    for (int x = q.parent; x != -1 && group >= 0; x = form.questions()[x].parent) in_group |= x == group;
    if (q.repeat != -1 && !in_group) continue;
    if (const json* a = form.FindAnswer(final_answers, q.index, q.repeat != -1 ? here : schema::InstancePath{}))
      out.push_back({{"label", q.label.Get(lang)}, {"value", schema::DescribeAnswer(form, q.index, *a, lang)}});
  }
  return out;
}

// A field-list group on one screen: its label and hint, and each visible
// question of it with its own answer and choices; `error_at` gets `error`.
void ScreenFieldsJson(const schema::Interview& iv, const std::string& lang, const std::string& error,
                      const InterviewStep* error_at, json* out) {
  const schema::Form& form = iv.form();
  const int group = iv.ScreenGroup(*iv.current());
  if (group < 0) return;
  const schema::Question& g = form.questions()[group];
  (*out)["group"] = {{"name", g.name}, {"label", LabelOf(g, lang)}, {"hint", g.hint.Get(lang)}};
  json fields = json::array();
  for (const InterviewStep& step : iv.ScreenSteps()) {
    json field = QuestionJson(iv, step, lang);
    if (error_at != nullptr && *error_at == step && !error.empty()) field["error"] = error;
    fields.push_back(std::move(field));
  }
  (*out)["fields"] = std::move(fields);
}

// Where a record stands, in the words the page translates.
std::string StateOf(const SubmissionRow& r) {
  if (r.rejected > 0) return "set_aside";
  if (r.review_state == "has_issues" && !r.changed_since_review) return "sent_back";
  if (r.pending > 0) return "waiting";
  if (r.review_state == "approved" || r.review_state == "rejected") return r.review_state;
  return "synced";
}

}  // namespace

std::shared_ptr<const schema::Form> FormOfHash(LocalStore& store, const std::string& hex) {
  sync::Hash h;
  return FromHex(hex, &h) ? store.FindForm(h) : nullptr;
}

std::string PositionOf(const schema::Interview& iv) {
  if (!iv.current()) return json{{"kind", "end"}}.dump();
  const InterviewStep& step = *iv.current();
  return json{{"kind", step.kind == InterviewStep::Kind::kAddRepeat ? "add_repeat" : "question"},
              {"question", iv.form().questions()[step.question].name},
              {"path", step.path}}
      .dump();
}

void RestorePosition(schema::Interview& iv, const std::string& position) {
  iv.ResumeAtFirstUnanswered();
  json p = json::parse(position, nullptr, false);
  if (!p.is_object() || !p.contains("question") || !p["question"].is_string() || !p.contains("path") ||
      !p["path"].is_array())
    return;
  const schema::Question* q = iv.form().Find(p["question"].get<std::string>());
  if (q == nullptr) return;
  const bool add_repeat = p.value("kind", "") == "add_repeat";
  for (const InterviewStep& step : iv.Steps()) {
    if (step.question != q->index || (step.kind == InterviewStep::Kind::kAddRepeat) != add_repeat) continue;
    if (json(step.path) != p["path"]) continue;
    iv.GoTo(step);
    return;
  }
}

json ScreenJson(const schema::Interview& iv, int64_t draft, const std::string& lang, const std::string& error,
                const InterviewStep* error_at) {
  const schema::Form& form = iv.form();
  json final_answers = iv.FinalAnswers();
  json out = {{"draft", draft}, {"form", form.id()}, {"title", form.title().Get(lang)}, {"error", error}};
  auto steps = iv.Steps();
  size_t position = steps.size() + 1;
  if (iv.current()) {
    for (size_t i = 0; i < steps.size(); ++i)
      if (steps[i] == *iv.current()) position = i + 1;
    out["step"] = QuestionJson(iv, *iv.current(), lang);
    ScreenFieldsJson(iv, lang, error, error_at, &out);
  } else {
    json problems = json::array();
    for (const auto& p : iv.Validate(lang)) problems.push_back({{"field", p.field}, {"message", p.message}});
    out["problems"] = std::move(problems);
  }
  out["position"] = position;
  out["total"] = std::max(iv.ExpectedStepCount(), position);
  out["at_end"] = iv.at_end();
  out["answered"] = AnsweredJson(iv, final_answers, lang);
  out["calculated"] = CalculatedJson(iv, final_answers, lang);
  return out;
}

json FormsJson(LocalStore& store, const std::vector<FormRow>& forms, const std::string& lang) {
  // The newest version of each form, which `dala collect FORM` uses too.
  std::map<std::string, const FormRow*> newest;
  for (const FormRow& f : forms)
    if (!newest.count(f.form_id) || newest[f.form_id]->added_ms <= f.added_ms) newest[f.form_id] = &f;
  json out = json::array();
  for (const auto& [id, row] : newest) {
    auto form = FormOfHash(store, row->hash);
    if (form) out.push_back({{"id", id}, {"version", row->version}, {"title", form->title().Get(lang)}});
  }
  return out;
}

json DraftsJson(LocalStore& store, const std::vector<DraftRow>& drafts, const std::string& lang) {
  json out = json::array();
  for (const DraftRow& d : drafts) {
    auto form = FormOfHash(store, d.form_hash);
    json answers = json::parse(d.answers_json, nullptr, false);
    out.push_back({{"id", d.id},
                   {"title", form ? form->title().Get(lang) : ""},
                   {"summary", cli::RecordSummary(form.get(), answers, lang)},
                   {"updated_ms", d.updated_ms},
                   {"answers", answers.is_object() ? answers.size() : 0},
                   {"note", d.note}});
  }
  return out;
}

json RecordsJson(LocalStore& store, const std::vector<SubmissionRow>& records, const std::string& lang) {
  json out = json::array();
  for (const SubmissionRow& r : records) {
    auto form = FormOfHash(store, r.form_hash);
    out.push_back({{"id", sync::FormatSubmissionId(r.id)},
                   {"title", form ? form->title().Get(lang) : r.form_id},
                   {"summary", cli::RecordSummary(form.get(), json::parse(r.answers_json, nullptr, false), lang)},
                   {"created_ms", r.created_ms},
                   {"updated_ms", r.updated_ms},
                   {"state", StateOf(r)},
                   {"review_by", r.review_by},
                   {"comment", r.review_comment}});
  }
  return out;
}

json RecordJson(LocalStore& store, const SubmissionRow& r, const std::string& lang) {
  json out = RecordsJson(store, {r}, lang)[0];
  auto form = FormOfHash(store, r.form_hash);
  json answers = json::parse(r.answers_json, nullptr, false);
  if (form && answers.is_object()) {
    SystemClock clock;  // walks the stored answers; no date rule decides anything here
    schema::Interview iv(form, clock, answers);
    out["answers"] = AnsweredJson(iv, answers, lang);
  }
  return out;
}

}  // namespace dala::client::ui
