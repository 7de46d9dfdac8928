// `dala init`, `forms`, `drafts`, `list`, `show`, `verify`.

#include <sys/stat.h>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_words.h"
#include "dala/base/utf8.h"
#include "dala/schema/interview.h"
#include "dala/sync/verify.h"

namespace dala::client::cli {

using nlohmann::json;

namespace {

int MakeDirectory(const char* path) {
#ifdef _WIN32
  // The folder inherits the user's own profile's permissions.
  return ::mkdir(path);
#else
  return ::mkdir(path, 0700);
#endif
}

Status MakeDirectories(const std::string& path) {
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
#ifdef _WIN32
    const bool separator = i < path.size() && (path[i] == '/' || path[i] == '\\');
#else
    const bool separator = i < path.size() && path[i] == '/';
#endif
    if (i == path.size() || separator) {
      if (!partial.empty() && MakeDirectory(partial.c_str()) != 0 && errno != EEXIST)
        return Status::IoError("cannot create directory " + partial + ": " + std::strerror(errno));
    }
    if (i < path.size()) partial.push_back(path[i]);
  }
  return Status::Ok();
}

// The names `dala list --json` gives, which scripts read.
std::string SyncState(const SubmissionRow& r) {
  if (r.rejected > 0) return "rejected";
  if (r.pending > 0) return "pending";
  return "synced";
}

std::string SyncLabel(const SubmissionRow& r, const std::string& lang) {
  if (r.rejected > 0) return Tr(Say::kSyncRefused, lang);
  if (r.pending > 0) return Tr(Say::kSyncPending, lang);
  return Tr(Say::kSyncSynced, lang);
}

std::string ReviewLabel(const SubmissionRow& r, const std::string& lang) {
  static const std::pair<const char*, Say> kStates[] = {{"received", Say::kStateReceived},
                                                        {"has_issues", Say::kStateHasIssues},
                                                        {"approved", Say::kStateApproved},
                                                        {"rejected", Say::kStateRejected}};
  std::string s = r.review_state.empty() ? Tr(Say::kStateNone, lang) : r.review_state;
  for (const auto& [state, say] : kStates)
    if (r.review_state == state) s = Tr(say, lang);
  if (r.changed_since_review) s += " " + Tr(Say::kEditedSince, lang);
  if (r.conflicts > 0) s += ", " + Tr(Say::kConflicts, lang, {std::to_string(r.conflicts)});
  return s;
}


// A stored JSON text as JSON; text a damaged database holds that is not
// JSON (or not UTF-8) comes back as a string, to be shown, not a crash.
json ParseStored(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json(text) : j;
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
      item["event"] = ParseStored(std::string(env.body()));
    }
    revisions.push_back(std::move(item));
  }
  return revisions;
}

}  // namespace

void PrintAnswers(const schema::Form& form, const std::vector<int>& questions, const json& answers,
                  const schema::InstancePath& path, int indent, const std::string& lang, bool codes) {
  for (int q : questions) {
    const schema::Question& question = form.questions()[q];
    if (question.type == schema::QuestionType::kGroup) {
      PrintAnswers(form, question.children, answers, path, indent, lang, codes);
      continue;
    }
    if (question.type == schema::QuestionType::kRepeat) {
      int n = form.InstanceCount(answers, q, path);
      for (int i = 0; i < n; ++i) {
        std::cout << std::string(indent, ' ') << question.label.Get(lang) << " [" << i + 1 << "]\n";
        schema::InstancePath inner = path;
        inner.push_back(i);
        PrintAnswers(form, question.children, answers, inner, indent + 2, lang, codes);
      }
      continue;
    }
    const json* a = form.FindAnswer(answers, q, path);
    if (a == nullptr) continue;
    std::string label = question.label.Get(lang).empty() ? question.name : question.label.Get(lang);
    std::string shown = schema::DescribeAnswer(form, q, *a, lang);
    if (codes) {
      label += " [" + question.name + "]";
      if (a->is_string() ? a->get<std::string>() != shown : a->dump() != shown) shown += " [" + a->dump() + "]";
    }
    std::cout << std::string(indent, ' ') << label << ": " << shown << "\n";
  }
}

Result<std::unique_ptr<LocalStore>> CreateProfile(const Globals& g) {
  DALA_RETURN_IF_ERROR(MakeDirectories(ResolveProfileDir(g.profile_dir)));
  auto store = LocalStore::Create(DatabasePath(g));
  if (store.ok() || store.status().code() != Status::Code::kAlreadyExists) return store;
  // A profile `dala ui` made, its page closed before the key was: taken
  // up again, not refused, so that neither way of starting is a dead end.
  auto existing = LocalStore::Open(DatabasePath(g));
  if (!existing.ok()) return existing;
  DALA_ASSIGN_OR_RETURN(auto key, (*existing)->Get(profile_key::kDeviceKey));
  if (key) return store.status().WithReason("profile_exists");
  return existing;
}

int Init(const Globals& g, const InitOptions& o) {
  const std::string& lang = g.language.empty() ? o.language : g.language;
  const std::string dir = ResolveProfileDir(g.profile_dir);
  std::error_code ec;
  const bool fresh = !std::filesystem::exists(dir + "/dala.db", ec);
  auto store = CreateProfile(g);
  if (!store.ok()) {
    if (store.status().reason() == "profile_exists") return FailIn(lang, store.status(), dir + "/dala.db");
    return Fail(store.status());
  }
  // Said before the passphrase is chosen, while it can still be written down.
  std::cout << WrapText(Tr(Say::kForgottenPassphrase, lang), TerminalWidth()) << "\n";
  auto passphrase = ReadPassphrase(Tr(Say::kChoosePassphrase, lang), true, lang);
  if (!passphrase.ok()) {
    store->reset();
    if (fresh) ::unlink((dir + "/dala.db").c_str());
    return Fail(passphrase.status());
  }
  CliClock clock;
  sync::SystemRandom random;
  Status s = InitDevice(**store, *passphrase, random, clock);
  Wipe(&*passphrase);
  if (s.ok()) s = (*store)->Put(profile_key::kLanguage, o.language);
  if (!s.ok()) {
    store->reset();
    if (fresh) ::unlink((dir + "/dala.db").c_str());
    return Fail(s);
  }
  auto pub = (*store)->Get(profile_key::kDevicePublic);
  std::cout << Tr(Say::kCreatedProfile, lang, {dir}) << "\n"
            << Tr(Say::kDeviceKey, lang, {Fingerprint(pub.ok() && *pub ? **pub : "")}) << "\n";
  return kExitOk;
}

int FormsList(const Globals& g) {
  auto store = OpenStore(g);
  if (!store.ok()) return FailIn(MessageLanguage(g, nullptr), store.status(), DatabasePath(g));
  std::string lang = MessageLanguage(g, store->get());
  auto forms = (*store)->ListForms();
  if (!forms.ok()) return Fail(forms.status());
  if (forms->empty()) {
    std::cout << Tr(Say::kNoForms, lang) << "\n";
    return kExitOk;
  }
  for (const FormRow& f : *forms) {
    auto form = FormOf(**store, f.hash);
    std::cout << std::left << std::setw(24) << f.form_id << " " << std::setw(12) << f.version << " "
              << (form ? form->title().Get(lang) : Tr(Say::kFormDoesNotLoad, lang)) << "\n";
  }
  return kExitOk;
}

int FormsAdd(const Globals& g, const std::string& file) {
  auto store = OpenStore(g);
  if (!store.ok()) return FailIn(MessageLanguage(g, nullptr), store.status(), DatabasePath(g));
  std::string lang = MessageLanguage(g, store->get());
  auto text = ReadWholeFile(file);
  if (!text.ok()) return Fail(text.status());
  CliClock clock;
  auto form = (*store)->AddForm(*text, "local", clock.NowMs());
  if (!form.ok()) {
    // The first line names the problem; a form's full list follows.
    std::cerr << "dala: " << Tr(Say::kFormNotAdded, lang, {file}) << "\n" << form.status().message() << "\n";
    return kExitFailure;
  }
  std::cout << Tr(Say::kFormAdded, lang, {(*form)->id(), (*form)->version()}) << "\n";
  return kExitOk;
}

int Drafts(const Globals& g) {
  auto store = OpenStore(g);
  if (!store.ok()) return FailIn(MessageLanguage(g, nullptr), store.status(), DatabasePath(g));
  std::string lang = MessageLanguage(g, store->get());
  auto drafts = (*store)->ListDrafts();
  if (!drafts.ok()) return Fail(drafts.status());
  if (drafts->empty()) {
    std::cout << Tr(Say::kNoDrafts, lang) << "\n";
    return kExitOk;
  }
  CliClock clock;
  for (const DraftRow& d : *drafts) {
    auto form = FormOf(**store, d.form_hash);
    std::cout << std::setw(4) << d.id << "  " << (form ? form->id() : "?") << "  "
              << FormatLocalTime(d.updated_ms, clock.UtcOffsetMinutes())
              << (d.submission ? "  " + Tr(Say::kEditOf, lang, {ShortId(*d.submission)}) : "")
              << (d.note.empty() ? "" : "  " + Tr(Say::kRefusedByServer, lang, {d.note})) << "\n";
  }
  std::cout << Tr(Say::kResumeDraft, lang) << "\n";
  return kExitOk;
}

int List(const Globals& g, const ListOptions& o) {
  auto store = OpenStore(g);
  if (!store.ok()) return FailIn(MessageLanguage(g, nullptr), store.status(), DatabasePath(g));
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
                     {"answers", ParseStored(r->answers_json)}});
    }
    std::cout << DumpJson(out) << "\n";
    return kExitOk;
  }
  std::string lang = MessageLanguage(g, store->get());
  if (shown.empty()) {
    std::cout << Tr(o.returned ? Say::kNoReturnedRecords : Say::kNoRecords, lang) << "\n";
    return kExitOk;
  }
  std::cout << Pad(Tr(Say::kColumnId, lang), 10) << Pad(Tr(Say::kColumnForm, lang), 22)
            << Pad(Tr(Say::kColumnCreated, lang), 18) << Pad(Tr(Say::kColumnSync, lang), 12)
            << Pad(Tr(Say::kColumnReview, lang), 24) << Tr(Say::kColumnSummary, lang) << "\n";
  for (const SubmissionRow* r : shown) {
    auto form = FormOf(**store, r->form_hash);
    std::cout << Pad(ShortId(r->id), 10) << Pad(r->form_id, 22)
              << Pad(FormatLocalTime(r->created_ms, clock.UtcOffsetMinutes()), 18) << Pad(SyncLabel(*r, lang), 12)
              << Pad(ReviewLabel(*r, lang), 24) << RecordSummary(form.get(), ParseStored(r->answers_json), lang)
              << "\n";
    if (r->review_state == "has_issues" || (r->changed_since_review && !r->review_comment.empty()))
      std::cout << "          ↳ " << Printable(r->review_by) << ": " << Printable(r->review_comment) << "\n";
  }
  return kExitOk;
}

int Show(const Globals& g, const ShowOptions& o) {
  auto store = OpenStore(g);
  if (!store.ok()) return FailIn(MessageLanguage(g, nullptr), store.status(), DatabasePath(g));
  LocalStore& s = **store;
  auto id = s.ResolveSubmission(o.id);
  if (!id.ok()) return FailIn(MessageLanguage(g, &s), id.status(), o.id);
  auto row = s.FindSubmission(*id);
  if (!row.ok()) return Fail(row.status());
  auto merged = s.MergedStateOf(*id);
  if (!merged.ok()) return Fail(merged.status());
  auto envelopes = s.EnvelopesOf(*id);
  if (!envelopes.ok()) return Fail(envelopes.status());
  const SubmissionRow& r = **row;
  auto form = FormOf(s, r.form_hash);
  json answers = ParseStored(merged->answers_json);
  CliClock clock;

  auto revisions = RevisionsJson(*envelopes);
  if (!revisions.ok()) return Fail(revisions.status());
  json conflicts = json::array();
  for (const auto& c : merged->conflicts) {
    json cands = json::array();
    for (const auto& k : c.candidates)
      cands.push_back({{"value", ParseStored(k.value_json)}, {"revision", ToHex(k.revision)}});
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
    std::cout << DumpJson(out) << "\n";
    return kExitOk;
  }
  std::string lang = ChooseLanguage(g, &s, form ? form->default_language() : "ru");
  std::cout << Tr(Say::kShowRecord, lang) << " " << sync::FormatSubmissionId(*id) << "\n"
            << Tr(Say::kShowForm, lang) << " " << r.form_id << " "
            << (form ? form->version() + " — " + form->title().Get(lang) : "") << "\n"
            << Tr(Say::kShowCreated, lang) << " " << FormatLocalTime(r.created_ms, clock.UtcOffsetMinutes()) << "\n"
            << Tr(Say::kShowRevisions, lang) << " " << revisions->size() << " (" << SyncLabel(r, lang) << ")\n"
            << Tr(Say::kShowReview, lang) << " " << ReviewLabel(r, lang)
            << (r.review_comment.empty() ? "" : " — " + Printable(r.review_by) + ": «" + Printable(r.review_comment) + "»")
            << "\n\n";
  if (form) {
    PrintAnswers(*form, form->top_level(), answers, {}, 2, lang, false);
  } else {
    std::cout << DumpJson(answers) << "\n";
  }
  for (const auto& c : merged->conflicts) {
    std::cout << "\n  ⚠ " << Tr(Say::kConflictIn, lang, {c.field});
    for (const auto& k : c.candidates) std::cout << " " << k.value_json << " (" << ToHex(k.revision).substr(0, 8) << ")";
    std::cout << "\n";
  }
  return kExitOk;
}

int Verify(const Globals& g, const VerifyOptions& o) {
  auto store = OpenStore(g);
  if (!store.ok()) return FailIn(MessageLanguage(g, nullptr), store.status(), DatabasePath(g));
  const std::string lang = MessageLanguage(g, store->get());
  auto report = VerifyLocalStore(**store);
  if (!report.ok()) return Fail(report.status());
  if (o.json) {
    json problems = json::array();
    for (const auto& p : report->problems) problems.push_back({{"record", p.record}, {"problem", p.what}});
    std::cout << DumpJson(json{{"envelopes", report->envelopes},
                               {"records", report->submissions},
                               {"device_chain_length", report->own_sequence},
                               {"ok", report->problems.empty()},
                               {"problems", problems}})
              << "\n";
  } else {
    std::cout << Tr(Say::kVerifyChecked, lang,
                    {std::to_string(report->envelopes), std::to_string(report->submissions),
                     std::to_string(report->own_sequence)})
              << "\n";
    for (const auto& p : report->problems) std::cout << "  ✗ " << p.record << ": " << Printable(p.what) << "\n";
    if (report->problems.empty()) std::cout << Tr(Say::kVerifyAllGood, lang) << "\n";
  }
  if (!report->problems.empty()) {
    std::cerr << "dala: "
              << Tr(Say::kVerifyFailed, lang, {std::to_string(report->problems.size()), report->problems[0].record})
              << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace dala::client::cli
