// `dala init`, `forms`, `drafts`, `list`, `show`, `verify`.

#include <sys/stat.h>

#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "dala/schema/interview.h"
#include "dala/sync/verify.h"

namespace dala::client::cli {

using nlohmann::json;

namespace {

Status MakeDirectories(const std::string& path) {
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!partial.empty() && ::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
        return Status::IoError("cannot create directory " + partial + ": " + std::strerror(errno));
    }
    if (i < path.size()) partial.push_back(path[i]);
  }
  return Status::Ok();
}

std::string Fingerprint(const std::string& public_hex) {
  // Groups of four, as people read keys aloud to a coordinator.
  std::string out;
  for (size_t i = 0; i < 16 && i < public_hex.size(); i += 4) out += (out.empty() ? "" : " ") + public_hex.substr(i, 4);
  return out;
}

std::string SummaryOf(const schema::Form* form, const json& answers, const std::string& lang) {
  if (form == nullptr) return "";
  std::string out;
  for (const std::string& name : form->summary()) {
    auto it = answers.find(name);
    if (it == answers.end()) continue;
    if (!out.empty()) out += " · ";
    out += schema::DescribeAnswer(*form, form->Find(name)->index, *it, lang);
  }
  return out;
}

std::string SyncState(const SubmissionRow& r) {
  if (r.rejected > 0) return "rejected";
  if (r.pending > 0) return "pending";
  return "synced";
}

std::string ReviewLabel(const SubmissionRow& r) {
  std::string s = r.review_state == "has_issues" ? "has issues" : r.review_state;
  if (r.changed_since_review) s += " (edited)";
  if (r.conflicts > 0) s += ", " + std::to_string(r.conflicts) + " conflict" + (r.conflicts > 1 ? "s" : "");
  return s;
}

std::shared_ptr<const schema::Form> FormOf(LocalStore& s, const std::string& hash_hex) {
  sync::Hash h;
  return FromHex(hash_hex, &h) ? s.FindForm(h) : nullptr;
}

// Every stored envelope of a record, as `dala show --json` lists them.
Result<json> RevisionsJson(const std::vector<EnvelopeRow>& envelopes) {
  json revisions = json::array();
  for (const EnvelopeRow& e : envelopes) {
    DALA_ASSIGN_OR_RETURN(sync::Envelope env, sync::Envelope::Parse(e.bytes));
    json parents = json::array();
    for (const auto& p : env.parents()) parents.push_back(ToHex(p));
    json item = {{"id", ToHex(e.id)},
                 {"kind", e.kind == 1 ? "revision" : "event"},
                 {"author", ToHex(e.author)},
                 {"sequence", e.sequence},
                 {"hlc", env.hlc().ToString()},
                 {"wall_ms", env.wall_ms()},
                 {"parents", parents},
                 {"upload", UploadStateName(e.upload)}};
    if (!e.reject_reason.empty()) item["reject_reason"] = e.reject_reason;
    if (e.kind == 1) {
      auto body = sync::ParseRevisionBody(env.body());
      if (body.ok() && !body->by.empty()) item["by"] = body->by;
    } else {
      item["event"] = json::parse(env.body());
    }
    revisions.push_back(std::move(item));
  }
  return revisions;
}

// The answers to `questions` in form order, labelled in `lang`: groups
// flattened, each repeat instance numbered and indented under its label.
void PrintAnswers(const schema::Form& form, const std::vector<int>& questions, const json& answers,
                  const schema::InstancePath& path, int indent, const std::string& lang) {
  for (int q : questions) {
    const schema::Question& question = form.questions()[q];
    if (question.type == schema::QuestionType::kGroup) {
      PrintAnswers(form, question.children, answers, path, indent, lang);
      continue;
    }
    if (question.type == schema::QuestionType::kRepeat) {
      int n = form.InstanceCount(answers, q, path);
      for (int i = 0; i < n; ++i) {
        std::cout << std::string(indent, ' ') << question.label.Get(lang) << " [" << i + 1 << "]\n";
        schema::InstancePath inner = path;
        inner.push_back(i);
        PrintAnswers(form, question.children, answers, inner, indent + 2, lang);
      }
      continue;
    }
    const json* a = form.FindAnswer(answers, q, path);
    if (a == nullptr) continue;
    std::string label = question.label.Get(lang).empty() ? question.name : question.label.Get(lang);
    std::cout << std::string(indent, ' ') << label << ": " << schema::DescribeAnswer(form, q, *a, lang) << "\n";
  }
}

}  // namespace

int Init(const Globals& g, const InitOptions& o) {
  if (o.language != "kk" && o.language != "ru" && o.language != "en")
    return Fail("--lang must be kk, ru or en");
  std::string dir = ResolveProfileDir(g.profile_dir);
  if (Status s = MakeDirectories(dir); !s.ok()) return Fail(s);
  auto store = LocalStore::Create(dir + "/dala.db");
  if (!store.ok()) return Fail(store.status());
  auto passphrase = ReadPassphrase("Choose a passphrase for this laptop's key: ", true);
  if (!passphrase.ok()) {
    ::unlink((dir + "/dala.db").c_str());
    return Fail(passphrase.status());
  }
  CliClock clock;
  sync::SystemRandom random;
  Status s = InitDevice(**store, *passphrase, random, clock);
  Wipe(&*passphrase);
  if (s.ok()) s = (*store)->Put(profile_key::kLanguage, o.language);
  if (!s.ok()) {
    store->reset();
    ::unlink((dir + "/dala.db").c_str());
    return Fail(s);
  }
  auto pub = (*store)->Get(profile_key::kDevicePublic);
  std::cout << "Created the Dala profile in " << dir << "\n"
            << "Device key: " << Fingerprint(pub.ok() && *pub ? **pub : "") << "\n";
  return kExitOk;
}

int FormsList(const Globals& g) {
  auto store = OpenStore(g);
  if (!store.ok()) return Fail(store.status());
  auto forms = (*store)->ListForms();
  if (!forms.ok()) return Fail(forms.status());
  if (forms->empty()) {
    std::cout << "No forms yet. Add one with `dala forms add FILE`, or sync with your server.\n";
    return kExitOk;
  }
  std::string lang = ChooseLanguage(g, store->get(), "ru");
  for (const FormRow& f : *forms) {
    auto form = FormOf(**store, f.hash);
    std::cout << std::left << std::setw(24) << f.form_id << " " << std::setw(12) << f.version << " "
              << (form ? form->title().Get(lang) : "(does not load)") << "\n";
  }
  return kExitOk;
}

int FormsAdd(const Globals& g, const std::string& file) {
  auto store = OpenStore(g);
  if (!store.ok()) return Fail(store.status());
  auto text = ReadWholeFile(file);
  if (!text.ok()) return Fail(text.status());
  CliClock clock;
  auto form = (*store)->AddForm(*text, "local", clock.NowMs());
  if (!form.ok()) {
    // The first line names the problem; a form's full list follows.
    std::cerr << "dala: " << file << " was not added:\n" << form.status().message() << "\n";
    return kExitFailure;
  }
  std::cout << "Added form " << (*form)->id() << " version " << (*form)->version() << "\n";
  return kExitOk;
}

int Drafts(const Globals& g) {
  auto store = OpenStore(g);
  if (!store.ok()) return Fail(store.status());
  auto drafts = (*store)->ListDrafts();
  if (!drafts.ok()) return Fail(drafts.status());
  if (drafts->empty()) {
    std::cout << "No drafts.\n";
    return kExitOk;
  }
  CliClock clock;
  for (const DraftRow& d : *drafts) {
    auto form = FormOf(**store, d.form_hash);
    std::cout << std::setw(4) << d.id << "  " << (form ? form->id() : "?") << "  "
              << FormatLocalTime(d.updated_ms, clock.UtcOffsetMinutes())
              << (d.submission ? "  edit of " + ShortId(*d.submission) : "")
              << (d.note.empty() ? "" : "  refused by the server: " + d.note) << "\n";
  }
  std::cout << "Resume one with `dala collect --draft N`.\n";
  return kExitOk;
}

int List(const Globals& g, const ListOptions& o) {
  auto store = OpenStore(g);
  if (!store.ok()) return Fail(store.status());
  auto rows = (*store)->ListSubmissions();
  if (!rows.ok()) return Fail(rows.status());
  CliClock clock;
  json out = json::array();
  std::vector<const SubmissionRow*> shown;
  for (const SubmissionRow& r : *rows) {
    if (!o.form.empty() && r.form_id != o.form) continue;
    if (o.returned && r.review_state != "has_issues" && !(r.changed_since_review && !r.review_comment.empty()))
      continue;
    shown.push_back(&r);
  }
  if (o.json) {
    for (const SubmissionRow* r : shown) {
      out.push_back({{"id", sync::FormatSubmissionId(r->id)},
                     {"form", r->form_id},
                     {"created_ms", r->created_ms},
                     {"updated_ms", r->updated_ms},
                     {"sync", SyncState(*r)},
                     {"review", r->review_state},
                     {"review_comment", r->review_comment},
                     {"changed_since_review", r->changed_since_review},
                     {"conflicts", r->conflicts},
                     {"answers", json::parse(r->answers_json)}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  if (shown.empty()) {
    std::cout << "No records" << (o.returned ? " sent back for correction" : "") << ".\n";
    return kExitOk;
  }
  std::string lang = ChooseLanguage(g, store->get(), "ru");
  std::cout << std::left << std::setw(10) << "ID" << std::setw(22) << "FORM" << std::setw(18) << "CREATED"
            << std::setw(10) << "SYNC" << std::setw(22) << "REVIEW"
            << "SUMMARY\n";
  for (const SubmissionRow* r : shown) {
    auto form = FormOf(**store, r->form_hash);
    std::cout << std::setw(10) << ShortId(r->id) << std::setw(22) << r->form_id << std::setw(18)
              << FormatLocalTime(r->created_ms, clock.UtcOffsetMinutes()) << std::setw(10) << SyncState(*r)
              << std::setw(22) << ReviewLabel(*r) << SummaryOf(form.get(), json::parse(r->answers_json), lang)
              << "\n";
    if (r->review_state == "has_issues" || (r->changed_since_review && !r->review_comment.empty()))
      std::cout << "          ↳ " << r->review_by << ": " << r->review_comment << "\n";
  }
  return kExitOk;
}

int Show(const Globals& g, const ShowOptions& o) {
  auto store = OpenStore(g);
  if (!store.ok()) return Fail(store.status());
  LocalStore& s = **store;
  auto id = s.ResolveSubmission(o.id);
  if (!id.ok()) return Fail(id.status());
  auto row = s.FindSubmission(*id);
  if (!row.ok()) return Fail(row.status());
  auto merged = s.MergedStateOf(*id);
  if (!merged.ok()) return Fail(merged.status());
  auto envelopes = s.EnvelopesOf(*id);
  if (!envelopes.ok()) return Fail(envelopes.status());
  const SubmissionRow& r = **row;
  auto form = FormOf(s, r.form_hash);
  json answers = json::parse(merged->answers_json);
  CliClock clock;

  auto revisions = RevisionsJson(*envelopes);
  if (!revisions.ok()) return Fail(revisions.status());
  json conflicts = json::array();
  for (const auto& c : merged->conflicts) {
    json cands = json::array();
    for (const auto& k : c.candidates)
      cands.push_back({{"value", json::parse(k.value_json)}, {"revision", ToHex(k.revision)}});
    conflicts.push_back({{"field", c.field}, {"candidates", cands}});
  }
  if (o.json) {
    json out = {{"id", sync::FormatSubmissionId(*id)},
                {"form", r.form_id},
                {"form_version", form ? form->version() : ""},
                {"form_hash", r.form_hash},
                {"created_ms", r.created_ms},
                {"updated_ms", r.updated_ms},
                {"answers", answers},
                {"review", {{"state", r.review_state}, {"by", r.review_by}, {"comment", r.review_comment},
                            {"changed_since_review", r.changed_since_review}}},
                {"conflicts", conflicts},
                {"revisions", *revisions}};
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::string lang = ChooseLanguage(g, &s, form ? form->default_language() : "ru");
  std::cout << "Record    " << sync::FormatSubmissionId(*id) << "\n"
            << "Form      " << r.form_id << " " << (form ? form->version() + " — " + form->title().Get(lang) : "")
            << "\n"
            << "Created   " << FormatLocalTime(r.created_ms, clock.UtcOffsetMinutes()) << "\n"
            << "Revisions " << revisions->size() << " (" << SyncState(r) << ")\n"
            << "Review    " << ReviewLabel(r) << (r.review_comment.empty() ? "" : " — " + r.review_by + ": «" + r.review_comment + "»")
            << "\n\n";
  if (form) {
    PrintAnswers(*form, form->top_level(), answers, {}, 2, lang);
  } else {
    std::cout << answers.dump(2) << "\n";
  }
  for (const auto& c : merged->conflicts) {
    std::cout << "\n  ⚠ conflict in " << c.field << ":";
    for (const auto& k : c.candidates) std::cout << " " << k.value_json << " (" << ToHex(k.revision).substr(0, 8) << ")";
    std::cout << "\n";
  }
  return kExitOk;
}

int Verify(const Globals& g, const VerifyOptions& o) {
  auto store = OpenStore(g);
  if (!store.ok()) return Fail(store.status());
  auto report = VerifyLocalStore(**store);
  if (!report.ok()) return Fail(report.status());
  if (o.json) {
    json problems = json::array();
    for (const auto& p : report->problems) problems.push_back({{"record", p.record}, {"problem", p.what}});
    std::cout << json{{"envelopes", report->envelopes},
                      {"records", report->submissions},
                      {"device_chain_length", report->own_sequence},
                      {"ok", report->problems.empty()},
                      {"problems", problems}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "Checked " << report->envelopes << " signed envelopes in " << report->submissions
              << " records; this laptop's chain has " << report->own_sequence << " links.\n";
    for (const auto& p : report->problems) std::cout << "  ✗ " << p.record << ": " << p.what << "\n";
    if (report->problems.empty()) std::cout << "All signatures, ids, chains and answers verify.\n";
  }
  if (!report->problems.empty()) {
    std::cerr << "dala: verification failed: " << report->problems.size() << " problem"
              << (report->problems.size() > 1 ? "s" : "") << " (first: " << report->problems[0].record << ")\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace dala::client::cli
