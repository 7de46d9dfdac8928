#include "ui_history.h"

#include <algorithm>
#include <map>

#include "dala/schema/interview.h"
#include "dala/sync/verify.h"

namespace dala::client::ui {

using nlohmann::json;

namespace {

// An answer as the page shows it: the form's words for a choice or a date;
// a repeat's instances (or an answer the form no longer asks) as JSON.
std::string Shown(const schema::Form* form, const std::string& field, const json* value, const std::string& lang) {
  if (value == nullptr || value->is_null()) return "";
  const schema::Question* q = form ? form->Find(field) : nullptr;
  if (q != nullptr && q->type != schema::QuestionType::kRepeat && q->repeat < 0)
    return schema::DescribeAnswer(*form, q->index, *value, lang);
  return value->dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string LabelOf(const schema::Form* form, const std::string& field, const std::string& lang) {
  const schema::Question* q = form ? form->Find(field) : nullptr;
  if (q == nullptr || q->label.Get(lang).empty()) return field;
  return q->label.Get(lang);
}

// Field by field, what `after` changed of `before`, in the form's order
// (answers the form does not name last).
json Changes(const schema::Form* form, const json& before, const json& after, const std::string& lang) {
  std::vector<std::string> fields;
  if (form != nullptr)
    for (const schema::Question& q : form->questions())
      if (before.contains(q.name) || after.contains(q.name)) fields.push_back(q.name);
  for (const json* side : {&before, &after})
    for (const auto& [k, v] : side->items())
      if (std::find(fields.begin(), fields.end(), k) == fields.end()) fields.push_back(k);
  json out = json::array();
  for (const std::string& f : fields) {
    const json* was = before.contains(f) ? &before[f] : nullptr;
    const json* now = after.contains(f) ? &after[f] : nullptr;
    if ((was == nullptr) == (now == nullptr) && (was == nullptr || *was == *now)) continue;
    out.push_back({{"field", f},
                   {"label", LabelOf(form, f, lang)},
                   {"old", Shown(form, f, was, lang)},
                   {"new", Shown(form, f, now, lang)}});
  }
  return out;
}

}  // namespace

Result<json> HistoryJson(LocalStore& store, const sync::SubmissionId& id, const std::string& lang) {
  DALA_ASSIGN_OR_RETURN(auto rows, store.EnvelopesOf(id));
  struct Item {
    EnvelopeRow row;
    sync::Envelope envelope;
  };
  std::vector<Item> items;
  for (EnvelopeRow& r : rows) {
    DALA_ASSIGN_OR_RETURN(sync::Envelope e, sync::Envelope::ParseVerified(r.bytes));
    items.push_back({std::move(r), std::move(e)});
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.envelope.hlc().packed < b.envelope.hlc().packed;
  });
  std::map<sync::Hash, json> answers_of;  // each revision's own answers, for the next one's changes
  json out = json::array();
  for (const Item& it : items) {
    const sync::Envelope& e = it.envelope;
    json entry = {{"when_ms", e.wall_ms()}};
    // Received at a sync: when this laptop took it in, which its own clock vouches for.
    if (!it.row.own) entry["received_ms"] = it.row.stored_ms;
    if (e.kind() == sync::EnvelopeKind::kRevision) {
      DALA_ASSIGN_OR_RETURN(sync::RevisionBody body, sync::ParseRevisionBody(e.body()));
      json answers = json::parse(body.answers_json, nullptr, false);
      if (!answers.is_object()) answers = json::object();
      // The volunteer's own laptop, a coordinator's correction (the server
      // signs it with the coordinator's name), or the volunteer's other laptop.
      entry["kind"] = "revision";
      entry["who"] = it.row.own ? "this_laptop" : !body.by.empty() ? "coordinator" : "other_laptop";
      entry["by"] = body.by;
      entry["note"] = body.note;
      auto parent = e.parents().empty() ? answers_of.end() : answers_of.find(e.parents().front());
      entry["first"] = e.parents().empty();
      if (parent != answers_of.end())
        entry["changes"] = Changes(store.FindForm(e.form_hash()).get(), parent->second, answers, lang);
      answers_of[e.id()] = std::move(answers);
    } else {
      auto event = sync::ParseEventBody(e.body());
      if (!event.ok() || (event->type != "review" && event->type != "duplicate")) continue;
      entry["kind"] = event->type;
      entry["by"] = event->by;
      if (event->type == "review") {
        entry["state"] = event->state;
        entry["comment"] = event->comment;
      } else {
        entry["decision"] = event->decision;
      }
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace dala::client::ui
