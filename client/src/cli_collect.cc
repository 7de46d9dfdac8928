// `dala collect` and `dala edit`: interviews in the terminal, and the same
// validation for answers given in a file.

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_commands.h"
#include "cli_common.h"
#include "cli_words.h"
#include "dala/base/utf8.h"
#include "dala/client/clock_check.h"
#include "dala/schema/interview.h"
#include "dala/sync/ids.h"
#include "line_reader.h"

namespace dala::client::cli {

using nlohmann::json;
using schema::Interview;
using schema::InterviewStep;
using schema::QuestionType;

namespace {

bool IsYesWord(std::string_view t) {
  return t == "1" || t == "y" || t == "yes" || t == "да" || t == "иә" || t == "д" || t == "и";
}
bool IsNoWord(std::string_view t) {
  return t == "<" || t == "0" || t == "n" || t == "no" || t == "нет" || t == "жоқ";
}

std::string TypeHint(QuestionType t, const std::string& lang) {
  switch (t) {
    case QuestionType::kInteger: return Tr(Say::kHintInteger, lang);
    case QuestionType::kDecimal: return Tr(Say::kHintDecimal, lang);
    case QuestionType::kDate: return Tr(Say::kHintDate, lang);
    case QuestionType::kTime: return Tr(Say::kHintTime, lang);
    case QuestionType::kDateTime: return Tr(Say::kHintDateTime, lang);
    case QuestionType::kGeopoint: return Tr(Say::kHintGeopoint, lang);
    case QuestionType::kSelectMultiple: return Tr(Say::kHintSelectMultiple, lang);
    default: return "";
  }
}

// The answer as text the interview takes back, for ↑ to offer it.
std::string EditableAnswer(const schema::Form& form, int question, const json& answer, const std::string& lang) {
  if (answer.is_string()) return answer.get<std::string>();
  if (answer.is_number()) return answer.dump();
  if (answer == true) return "1";
  if (answer.is_array()) {
    std::string out;
    for (const json& x : answer) out += (out.empty() ? "" : " ") + (x.is_string() ? x.get<std::string>() : x.dump());
    return out;
  }
  return schema::DescribeAnswer(form, question, answer, lang);
}

// The step as the volunteer sees it, wrapped at the terminal's width.
void Render(const Interview& iv, const std::string& lang, std::ostream& out) {
  const InterviewStep& step = *iv.current();
  const schema::Form& form = iv.form();
  const schema::Question& q = form.questions()[step.question];
  auto steps = iv.Steps();
  size_t position = 0;
  for (size_t i = 0; i < steps.size(); ++i)
    if (steps[i] == step) position = i + 1;
  // Questions hidden until an earlier answer is given still count, so the
  // consent screen of a survey does not say "1/1".
  size_t total = std::max(iv.ExpectedStepCount(), position);
  std::ostringstream text;
  text << "\n── " << position << "/" << total << " ──\n";
  if (step.kind == InterviewStep::Kind::kAddRepeat) {
    const std::string& label = q.label.Get(lang);
    text << Tr(Say::kAddAnother, lang) << ": " << (label.empty() ? q.name : label) << " (" << step.path.back() + 1
         << ")? " << Tr(Say::kYesNo, lang);
    out << WrapText(text.str(), TerminalWidth(), 2) << "\n" << std::flush;
    return;
  }
  std::string label = q.label.Get(lang);
  if (!step.path.empty()) label += "  [" + std::to_string(step.path.back() + 1) + "]";
  bool required = q.required || !q.required_if.empty();
  text << label << (required && q.type != QuestionType::kNote ? " *" : "") << "\n";
  if (!q.hint.Get(lang).empty()) text << "  " << q.hint.Get(lang) << "\n";
  if (q.type == QuestionType::kNote) {
    text << Tr(Say::kPressEnter, lang);
    out << WrapText(text.str(), TerminalWidth(), 2) << "\n" << std::flush;
    return;
  }
  if (q.type == QuestionType::kSelectOne || q.type == QuestionType::kSelectMultiple) {
    auto items = iv.OfferedItems();
    for (size_t i = 0; i < items.size(); ++i) text << "  " << (i + 1) << ") " << items[i]->label.Get(lang) << "\n";
  } else if (q.type == QuestionType::kRating) {
    text << "  1 … " << q.scale << "\n";
  } else if (q.type == QuestionType::kAcknowledge) {
    text << "  1) OK\n";
  }
  std::string hint = TypeHint(q.type, lang);
  if (!hint.empty()) text << "  (" << hint << ")\n";
  if (const json* a = form.FindAnswer(iv.answers(), step.question, step.path)) {
    text << "  [" << Tr(Say::kCurrentAnswer, lang) << ": " << schema::DescribeAnswer(form, step.question, *a, lang)
         << "]\n";
  }
  std::string shown = text.str();
  shown.pop_back();
  out << WrapText(shown, TerminalWidth(), 2) << "\n" << std::flush;
}

enum class Outcome { kFinalize, kSaveDraft, kDiscard, kEndOfInput };

// What ↑ offers at the current step: its answer as it stands, then what was
// typed there since.
std::vector<std::string> StepHistory(const Interview& iv, const std::vector<std::string>& typed,
                                     const std::string& lang) {
  std::vector<std::string> history;
  const InterviewStep& step = *iv.current();
  if (step.kind == InterviewStep::Kind::kQuestion) {
    if (const json* a = iv.form().FindAnswer(iv.answers(), step.question, step.path))
      history.push_back(EditableAnswer(iv.form(), step.question, *a, lang));
  }
  history.insert(history.end(), typed.begin(), typed.end());
  return history;
}

Outcome RunInteractive(Interview& iv, const std::string& lang, const std::function<void()>& autosave,
                       LineReader& reader) {
  std::cout << iv.form().title().Get(lang) << "\n" << WrapText(Tr(Say::kInterviewHelp, lang), TerminalWidth()) << "\n";
  std::optional<InterviewStep> typed_at;
  std::vector<std::string> typed;  // lines typed at `typed_at`
  while (true) {
    if (iv.at_end()) {
      auto problems = iv.Validate(lang);
      if (!problems.empty()) {
        std::cout << "\n" << Tr(Say::kProblems, lang) << "\n";
        for (const auto& p : problems) std::cout << "  ✗ " << p.field << ": " << p.message << "\n";
        const auto& first = problems.front();
        if (first.question >= 0) {
          iv.GoTo({InterviewStep::Kind::kQuestion, first.question, first.path});
        } else {
          iv.Restart();
        }
        continue;
      }
      std::cout << "\n" << WrapText(Tr(Say::kFinalize, lang), TerminalWidth()) << "\n";
      auto line = reader.ReadLine("> ", {});
      if (!line) return Outcome::kEndOfInput;
      std::string_view t = utf8::Trim(*line);
      if (t == ":save") return Outcome::kSaveDraft;
      if (t == ":discard") return Outcome::kDiscard;
      if (IsYesWord(t)) return Outcome::kFinalize;
      // "<" or "no" reviews the answers again; anything else asks again.
      if (IsNoWord(t)) iv.Back();
      continue;
    }
    Render(iv, lang, std::cout);
    if (typed_at != iv.current()) {
      typed_at = iv.current();
      typed.clear();
    }
    auto line = reader.ReadLine("> ", StepHistory(iv, typed, lang));
    if (!line) return Outcome::kEndOfInput;
    std::string_view t = utf8::Trim(*line);
    if (!t.empty()) typed.emplace_back(t);
    Status s;
    if (t == "<") {
      if (!iv.Back()) std::cout << Tr(Say::kFirstQuestion, lang) << "\n";
      continue;
    } else if (t == ":save") {
      return Outcome::kSaveDraft;
    } else if (t == ":discard") {
      return Outcome::kDiscard;
    } else if (t == "?") {
      std::cout << WrapText(Tr(Say::kInterviewHelp, lang), TerminalWidth()) << "\n";
      continue;
    } else if (t == ":clear") {
      s = iv.Clear(lang);
    } else if (t.empty()) {
      s = iv.Next(lang);
    } else {
      s = iv.Answer(*line, lang);
    }
    if (!s.ok()) {
      std::cout << WrapText("  ✗ " + s.message(), TerminalWidth(), 4) << "\n";
    } else {
      autosave();
    }
  }
}

// Signs and saves the answers as a revision; asks for the passphrase up to
// three times on a terminal.
Result<sync::Hash> Sign(LocalStore& store, const schema::Form& form, const sync::SubmissionId& id,
                        const std::vector<sync::Hash>& parents, const std::string& answers_json, const Clock& clock,
                        const std::string& lang, int64_t finished_draft = 0) {
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto device = UnlockDevice(store, lang);
    if (device.ok()) return device->SaveRevision(form, id, parents, answers_json, clock, lang, finished_draft);
    last = device.status();
    if (last.code() != Status::Code::kUnauthenticated || std::getenv("DALA_PASSPHRASE") != nullptr) break;
    std::cerr << "dala: " << Explain(last, lang) << "\n";
  }
  return last;
}

// Every problem, one per line under `headline`, in the volunteer's language.
Status ProblemList(const std::string& headline, const std::vector<schema::AnswerProblem>& problems) {
  std::string m = headline;
  for (const auto& p : problems) m += "\n  ✗ " + (p.field.empty() ? "" : p.field + ": ") + p.message;
  return Status::InvalidArgument(m);
}

// Answers from a file: the same checks as the interview, all at once, and
// the same typed dates and times.
Result<json> AnswersFromFile(const schema::Form& form, const std::string& path, const Clock& clock,
                             const std::string& lang) {
  DALA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  json answers;
  try {
    answers = json::parse(text);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(Tr(Say::kNotJson, lang, {path, e.what()}));
  }
  if (!answers.is_object()) {
    return ProblemList(Tr(Say::kDoesNotFit, lang, {path, form.id()}),
                       {{"", schema::LocalMessage(schema::Message::kAnswersNotObject, lang)}});
  }
  schema::NormalizeTypedAnswers(form, &answers, clock);
  form.Recalculate(&answers, clock, /*clear_irrelevant=*/false);
  auto problems = form.Validate(answers, clock, lang);
  if (!problems.empty()) return ProblemList(Tr(Say::kDoesNotFit, lang, {path, form.id()}), problems);
  return answers;
}

// Records of a form loaded by hand are refused by the server until a
// coordinator publishes that same form; better to know before the interview.
void WarnIfServerLacksForm(LocalStore& s, const schema::Form& form, const std::string& lang) {
  auto url = s.Get(profile_key::kServerUrl);
  if (!url.ok() || !*url || (*url)->empty()) return;
  auto forms = s.ListForms();
  if (!forms.ok()) return;
  for (const FormRow& f : *forms) {
    if (f.hash == form.hash_hex() && f.source != "server")
      Warn(Tr(Say::kFormNotFromServer, lang, {form.id(), form.version()}));
  }
}

}  // namespace

// The start of the UTC day this `dala` was configured to build, or what
// DALA_TEST_BUILD_MS says (tests that fix their clock in the past).
int64_t BuildMs() {
  if (const char* fixed = std::getenv("DALA_TEST_BUILD_MS"); fixed != nullptr && *fixed != '\0')
    return std::strtoll(fixed, nullptr, 10);
  int64_t days = 0;
  return schema::ParseIsoDate(DALA_BUILD_DAY, &days) ? days * 86400000 : 0;
}

namespace {

// A record signed now keeps the laptop's date for good: say so before the
// interview when the clock looks wrong.
void WarnIfClockLooksWrong(LocalStore& s, const Clock& clock, const std::string& lang) {
  auto doubts = CheckLaptopClock(s, clock.NowMs(), BuildMs());
  if (!doubts.ok() || doubts->empty()) return;
  const int32_t offset = clock.UtcOffsetMinutes();
  const std::string now = FormatLocalTime(clock.NowMs(), offset);
  for (const ClockWarning& w : *doubts) {
    Say say = w.doubt == ClockDoubt::kBeforeBuild    ? Say::kClockBeforeBuild
              : w.doubt == ClockDoubt::kBeforeServer ? Say::kClockBeforeServer
                                                     : Say::kClockBehindRecords;
    Warn(Tr(say, lang, {now, FormatLocalTime(w.reference_ms, offset)}));
  }
  Warn(Tr(Say::kSetTheClock, lang));
}

void PrintSaved(const sync::SubmissionId& id, const schema::Form& form, const std::string& lang) {
  std::cout << Tr(Say::kSaved, lang) << ": " << sync::FormatSubmissionId(id) << " (" << form.id() << " "
            << form.version() << ")\n";
}

void PrintDraftKept(int64_t draft, const std::string& lang) {
  std::string n = std::to_string(draft);
  std::cout << "\n" << WrapText(Tr(Say::kDraftKept, lang) + ": " + n + " (dala collect --draft " + n + ")", TerminalWidth())
            << "\n";
}

std::string LanguagesOf(const schema::Form& form) {
  std::string l;
  for (const auto& x : form.languages()) l += (l.empty() ? "" : ", ") + x;
  return l;
}

}  // namespace

int Collect(const Globals& g, const CollectOptions& o) {
  CliClock clock;
  auto store = OpenStore(g);
  if (!store.ok()) return FailIn(MessageLanguage(g, nullptr), store.status(), DatabasePath(g));
  LocalStore& s = **store;
  const std::string say = MessageLanguage(g, &s);
  if (o.form.empty() && o.draft_id == 0) {
    std::cerr << "dala: " << Tr(Say::kNameAForm, say) << "\n";
    return kExitUsage;
  }

  std::shared_ptr<const schema::Form> form;
  std::optional<DraftRow> draft;
  if (o.draft_id > 0) {
    auto d = s.FindDraft(o.draft_id);
    if (!d.ok()) return Fail(d.status());
    if (!*d) return Fail(Tr(Say::kNoDraft, say, {std::to_string(o.draft_id)}));
    draft = **d;
    sync::Hash h;
    if (!FromHex(draft->form_hash, &h) || (form = s.FindForm(h)) == nullptr) return Fail(Tr(Say::kDraftFormGone, say));
  } else {
    auto f = s.FindFormByName(o.form);
    if (!f.ok()) return Fail(f.status());
    form = *f;
  }
  std::string lang = ChooseLanguage(g, &s, form->default_language());
  // The profile's language is a preference: a form without it is asked in
  // its own default language. A --lang given for this command is a demand.
  if (!form->HasLanguage(lang) && g.language.empty()) lang = form->default_language();
  if (!form->HasLanguage(lang)) return Fail(Tr(Say::kFormLacksLanguage, say, {form->id(), lang, LanguagesOf(*form)}));
  // Dala's own words in the volunteer's language, the form's in its own.
  WarnIfServerLacksForm(s, *form, say);
  WarnIfClockLooksWrong(s, clock, say);

  if (!o.answers_file.empty()) {
    auto answers = AnswersFromFile(*form, o.answers_file, clock, lang);
    if (!answers.ok()) return Fail(answers.status());
    form->Recalculate(&*answers, clock, /*clear_irrelevant=*/true);
    sync::SystemRandom random;
    sync::SubmissionId id = sync::NewSubmissionId(clock, random);
    auto saved = Sign(s, *form, id, {}, answers->dump(), clock, lang);
    if (!saved.ok()) return FailIn(lang, saved.status());
    PrintSaved(id, *form, lang);
    return kExitOk;
  }

  json start = draft ? json::parse(draft->answers_json, nullptr, false) : json::object();
  if (start.is_discarded()) start = json::object();
  Interview iv(form, clock, start);
  // A resumed draft goes on where it stopped; `<` still reaches the rest.
  if (draft) iv.ResumeAtFirstUnanswered();
  DraftRow row = draft.value_or(DraftRow{0, form->hash_hex(), std::nullopt, "{}", lang, clock.NowMs()});
  auto autosave = [&] {
    row.answers_json = iv.answers().dump();
    row.position.clear();  // where `dala ui` left it no longer says where the draft stands
    row.language = lang;
    row.updated_ms = clock.NowMs();
    auto id = s.SaveDraft(row);
    if (id.ok()) row.id = *id;
  };
  if (row.id == 0) autosave();  // a draft from the first moment: nothing typed is ever lost
  auto reader = MakeLineReader();
  switch (RunInteractive(iv, lang, autosave, *reader)) {
    case Outcome::kSaveDraft:
    case Outcome::kEndOfInput:
      autosave();
      PrintDraftKept(row.id, lang);
      return kExitOk;
    case Outcome::kDiscard:
      (void)s.DeleteDraft(row.id);
      std::cout << "\n" << Tr(Say::kDiscarded, lang) << "\n";
      return kExitOk;
    case Outcome::kFinalize:
      break;
  }
  sync::SystemRandom random;
  auto target = RecordTargetOf(s, row, clock, random);
  if (!target.ok()) return Fail(target.status());
  const sync::SubmissionId id = target->id;
  auto saved = Sign(s, *form, id, target->parents, iv.FinalAnswers().dump(), clock, lang, row.id);
  if (!saved.ok()) {
    std::cerr << "dala: " << Explain(saved.status(), lang) << "\n";
    std::cerr << "dala: " << Tr(Say::kAnswersKeptAsDraft, lang, {std::to_string(row.id)}) << "\n";
    return kExitFailure;
  }
  PrintSaved(id, *form, lang);
  return kExitOk;
}

namespace {

// A coordinator's approval or rejection stands only for the revision it
// judged: say so, and go on only when the volunteer means it.
bool ConfirmEditAfterDecision(const SubmissionRow& row, const EditOptions& o, const std::string& lang) {
  if (o.yes || row.changed_since_review || (row.review_state != "approved" && row.review_state != "rejected"))
    return true;
  const std::string id = ShortId(row.id);
  const std::string state = Tr(row.review_state == "approved" ? Say::kStateApproved : Say::kStateRejected, lang);
  if (!StdinIsTerminal()) {
    std::cerr << "dala: " << Tr(Say::kEditNeedsYes, lang, {id, state}) << "\n";
    return false;
  }
  std::cout << WrapText(Tr(Say::kEditAfterDecision, lang, {id, state, row.review_by}), TerminalWidth()) << "\n"
            << Tr(Say::kConfirmEdit, lang) << "\n";
  auto line = MakeLineReader()->ReadLine("> ", {});
  if (line && IsYesWord(utf8::Trim(*line))) return true;
  std::cout << Tr(Say::kNothingChanged, lang) << "\n";
  return false;
}

// `--set NAME=VALUE...` applied to `answers`, each parsed as the interview
// parses typed text.
Status ApplySets(const schema::Form& form, const std::vector<std::string>& sets, const Clock& clock,
                 const std::string& lang, json* answers) {
  for (const std::string& assignment : sets) {
    auto eq = assignment.find('=');
    if (eq == std::string::npos) return Status::InvalidArgument(Tr(Say::kSetWants, lang, {assignment}));
    std::string name = assignment.substr(0, eq), text = assignment.substr(eq + 1);
    const schema::Question* q = form.Find(name);
    if (q == nullptr || q->repeat != -1 || !q->HasAnswer() || q->type == QuestionType::kRepeat ||
        q->type == QuestionType::kCalculate) {
      return Status::InvalidArgument(Tr(Say::kNoSuchSetQuestion, lang, {form.id(), name}));
    }
    if (text.empty()) {
      answers->erase(name);
      continue;
    }
    auto offered = form.OfferedItems(*answers, q->index, {}, clock);
    auto value = schema::ParseTypedAnswer(form, q->index, text, offered, clock, lang);
    if (!value.ok()) return Status::InvalidArgument(name + ": " + value.status().message());
    (*answers)[name] = *value;
  }
  form.Recalculate(answers, clock, /*clear_irrelevant=*/false);
  auto problems = form.Validate(*answers, clock, lang);
  if (!problems.empty()) return ProblemList(Tr(Say::kEditDoesNotFit, lang, {form.id()}), problems);
  return Status::Ok();
}

}  // namespace

int Edit(const Globals& g, const EditOptions& o) {
  CliClock clock;
  auto store = OpenStore(g);
  if (!store.ok()) return FailIn(MessageLanguage(g, nullptr), store.status(), DatabasePath(g));
  LocalStore& s = **store;
  const std::string say = MessageLanguage(g, &s);
  auto id = s.ResolveSubmission(o.id);
  if (!id.ok()) return FailIn(say, id.status(), o.id);
  auto row = s.FindSubmission(*id);
  if (!row.ok()) return Fail(row.status());
  sync::Hash form_hash;
  std::shared_ptr<const schema::Form> form;
  if (!FromHex((*row)->form_hash, &form_hash) || (form = s.FindForm(form_hash)) == nullptr)
    return Fail(Tr(Say::kFormOfRecordMissing, say, {o.id}));
  auto merged = s.MergedStateOf(*id);
  if (!merged.ok()) return Fail(merged.status());
  std::string lang = ChooseLanguage(g, &s, form->default_language());
  if (!ConfirmEditAfterDecision(**row, o, lang)) return StdinIsTerminal() ? kExitOk : kExitFailure;
  WarnIfClockLooksWrong(s, clock, lang);
  json current = json::parse(merged->answers_json);

  json answers;
  int64_t finished_draft = 0;  // the edit's draft, deleted when the revision is saved
  if (!o.answers_file.empty()) {
    auto a = AnswersFromFile(*form, o.answers_file, clock, lang);
    if (!a.ok()) return Fail(a.status());
    answers = std::move(*a);
  } else if (!o.sets.empty()) {
    answers = current;
    if (Status st = ApplySets(*form, o.sets, clock, lang, &answers); !st.ok()) return Fail(st);
  } else {
    Interview iv(form, clock, current);
    DraftRow draft{0, form->hash_hex(), *id, current.dump(), lang, clock.NowMs()};
    auto autosave = [&] {
      draft.answers_json = iv.answers().dump();
      draft.updated_ms = clock.NowMs();
      auto d = s.SaveDraft(draft);
      if (d.ok()) draft.id = *d;
    };
    autosave();
    auto reader = MakeLineReader();
    Outcome outcome = RunInteractive(iv, lang, autosave, *reader);
    if (outcome == Outcome::kDiscard) {
      (void)s.DeleteDraft(draft.id);
      std::cout << "\n" << Tr(Say::kDiscarded, lang) << "\n";
      return kExitOk;
    }
    if (outcome != Outcome::kFinalize) {
      autosave();
      PrintDraftKept(draft.id, lang);
      return kExitOk;
    }
    answers = iv.FinalAnswers();
    finished_draft = draft.id;
  }
  form->Recalculate(&answers, clock, /*clear_irrelevant=*/true);
  if (answers == current && merged->heads.size() == 1) {
    if (finished_draft != 0) (void)s.DeleteDraft(finished_draft);
    std::cout << Tr(Say::kNoChanges, lang, {sync::FormatSubmissionId(*id)}) << "\n";
    return kExitOk;
  }
  auto saved = Sign(s, *form, *id, merged->heads, answers.dump(), clock, lang, finished_draft);
  if (!saved.ok()) return FailIn(lang, saved.status());
  PrintSaved(*id, *form, lang);
  return kExitOk;
}

}  // namespace dala::client::cli
