// `dala collect` and `dala edit`: interviews in the terminal, and the same
// validation for answers given in a file.

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_common.h"
#include "dala/base/utf8.h"
#include "dala/schema/interview.h"
#include "dala/sync/ids.h"

namespace dala::client::cli {

using nlohmann::json;
using schema::Interview;
using schema::InterviewStep;
using schema::QuestionType;

namespace {

// The interview's own words, in the volunteer's language.
enum class Say {
  kHelp,
  kFinalize,
  kSaved,
  kDraftKept,
  kDiscarded,
  kFirstQuestion,
  kCurrent,
  kRequiredMark,
  kAddAnother,
  kProblems,
  kPressEnter,
};

const char* Words(Say what, const std::string& lang) {
  struct Row {
    const char* kk;
    const char* ru;
    const char* en;
  };
  static const Row kRows[] = {
      {"Жауапты енгізіп, Enter басыңыз. Бос Enter — жауапты қалдыру; < — артқа; :save — черновикті сақтап шығу; "
       ":discard — черновикті жою; :clear — жауапты өшіру; ? — анықтама.",
       "Введите ответ и нажмите Enter. Пустой Enter — оставить ответ; < — назад; :save — сохранить черновик и выйти; "
       ":discard — удалить черновик; :clear — стереть ответ; ? — справка.",
       "Type an answer and press Enter. Empty Enter keeps the answer; < goes back; :save keeps a draft and stops; "
       ":discard deletes the draft; :clear erases the answer; ? shows this help."},
      {"Барлық сұрақтарға жауап берілді. Жазбаны қол қойып сақтау керек пе? [иә/жоқ]",
       "Все вопросы пройдены. Подписать и сохранить запись? [да/нет]",
       "All questions done. Sign and save the record? [yes/no]"},
      {"Сақталды", "Сохранено", "Saved"},
      {"Черновик сақталды", "Черновик сохранён", "Draft kept"},
      {"Черновик жойылды", "Черновик удалён", "Draft deleted"},
      {"Бұл — бірінші сұрақ.", "Это первый вопрос.", "This is the first question."},
      {"қазіргі жауап", "текущий ответ", "current answer"},
      {" *", " *", " *"},
      {"Тағы қосу керек пе", "Добавить ещё", "Add another"},
      {"Жазбада мәселелер бар:", "В записи есть проблемы:", "The record has problems:"},
      {"(жалғастыру үшін Enter басыңыз)", "(нажмите Enter, чтобы продолжить)", "(press Enter to continue)"},
  };
  const Row& r = kRows[static_cast<int>(what)];
  return lang == "kk" ? r.kk : lang == "ru" ? r.ru : r.en;
}

std::string TypeHint(QuestionType t, const std::string& lang) {
  bool kk = lang == "kk", ru = lang == "ru";
  switch (t) {
    case QuestionType::kInteger: return kk ? "бүтін сан" : ru ? "целое число" : "whole number";
    case QuestionType::kDecimal: return kk ? "сан" : ru ? "число" : "number";
    case QuestionType::kDate: return kk ? "КК.АА.ЖЖЖЖ" : ru ? "ДД.ММ.ГГГГ" : "DD.MM.YYYY or YYYY-MM-DD";
    case QuestionType::kTime: return kk ? "СС:ММ" : ru ? "ЧЧ:ММ" : "HH:MM";
    case QuestionType::kDateTime: return kk ? "ЖЖЖЖ-АА-КК СС:ММ" : ru ? "ГГГГ-ММ-ДД ЧЧ:ММ" : "YYYY-MM-DD HH:MM";
    case QuestionType::kGeopoint: return kk ? "ендік бойлық" : ru ? "широта долгота" : "latitude longitude";
    case QuestionType::kSelectMultiple: return kk ? "бірнеше нөмір, бос орынмен" : ru ? "несколько номеров через пробел" : "several numbers, separated by spaces";
    default: return "";
  }
}

void Render(const Interview& iv, const std::string& lang, std::ostream& out) {
  const InterviewStep& step = *iv.current();
  const schema::Form& form = iv.form();
  const schema::Question& q = form.questions()[step.question];
  auto steps = iv.Steps();
  size_t position = 0;
  for (size_t i = 0; i < steps.size(); ++i)
    if (steps[i] == step) position = i + 1;
  out << "\n── " << position << "/" << steps.size() << " ──\n";
  if (step.kind == InterviewStep::Kind::kAddRepeat) {
    const std::string& label = q.label.Get(lang);
    out << Words(Say::kAddAnother, lang) << ": " << (label.empty() ? q.name : label) << " (" << step.path.back() + 1
        << ")? [1/0]\n> " << std::flush;
    return;
  }
  std::string label = q.label.Get(lang);
  if (!step.path.empty()) label += "  [" + std::to_string(step.path.back() + 1) + "]";
  bool required = q.required || !q.required_if.empty();
  out << label << (required && q.type != QuestionType::kNote ? Words(Say::kRequiredMark, lang) : "") << "\n";
  if (!q.hint.Get(lang).empty()) out << "  " << q.hint.Get(lang) << "\n";
  if (q.type == QuestionType::kNote) {
    out << Words(Say::kPressEnter, lang) << "\n> " << std::flush;
    return;
  }
  if (q.type == QuestionType::kSelectOne || q.type == QuestionType::kSelectMultiple) {
    auto items = iv.OfferedItems();
    for (size_t i = 0; i < items.size(); ++i) out << "  " << (i + 1) << ") " << items[i]->label.Get(lang) << "\n";
  } else if (q.type == QuestionType::kRating) {
    out << "  1 … " << q.scale << "\n";
  } else if (q.type == QuestionType::kAcknowledge) {
    out << "  1) OK\n";
  }
  std::string hint = TypeHint(q.type, lang);
  if (!hint.empty()) out << "  (" << hint << ")\n";
  if (const json* a = form.FindAnswer(iv.answers(), step.question, step.path)) {
    out << "  [" << Words(Say::kCurrent, lang) << ": " << schema::DescribeAnswer(form, step.question, *a, lang)
        << "]\n";
  }
  out << "> " << std::flush;
}

enum class Outcome { kFinalize, kSaveDraft, kDiscard, kEndOfInput };

Outcome RunInteractive(Interview& iv, const std::string& lang, const std::function<void()>& autosave) {
  std::cout << iv.form().title().Get(lang) << "\n" << Words(Say::kHelp, lang) << "\n";
  std::string line;
  while (true) {
    if (iv.at_end()) {
      auto problems = iv.Validate(lang);
      if (!problems.empty()) {
        std::cout << "\n" << Words(Say::kProblems, lang) << "\n";
        for (const auto& p : problems) std::cout << "  ✗ " << p.field << ": " << p.message << "\n";
        const auto& first = problems.front();
        if (first.question >= 0) {
          iv.GoTo({InterviewStep::Kind::kQuestion, first.question, first.path});
        } else {
          iv.Restart();
        }
        continue;
      }
      std::cout << "\n" << Words(Say::kFinalize, lang) << "\n> " << std::flush;
      if (!std::getline(std::cin, line)) return Outcome::kEndOfInput;
      std::string_view t = utf8::Trim(line);
      if (t == ":save") return Outcome::kSaveDraft;
      if (t == ":discard") return Outcome::kDiscard;
      if (t == "1" || t == "y" || t == "yes" || t == "да" || t == "иә" || t == "д" || t == "и") return Outcome::kFinalize;
      // "<" or "no" reviews the answers again; anything else asks again.
      if (t == "<" || t == "0" || t == "n" || t == "no" || t == "нет" || t == "жоқ") iv.Back();
      continue;
    }
    Render(iv, lang, std::cout);
    if (!std::getline(std::cin, line)) return Outcome::kEndOfInput;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view t = utf8::Trim(line);
    Status s;
    if (t == "<") {
      if (!iv.Back()) std::cout << Words(Say::kFirstQuestion, lang) << "\n";
      continue;
    } else if (t == ":save") {
      return Outcome::kSaveDraft;
    } else if (t == ":discard") {
      return Outcome::kDiscard;
    } else if (t == "?") {
      std::cout << Words(Say::kHelp, lang) << "\n";
      continue;
    } else if (t == ":clear") {
      s = iv.Clear(lang);
    } else if (t.empty()) {
      s = iv.Next(lang);
    } else {
      s = iv.Answer(line, lang);
    }
    if (!s.ok()) {
      std::cout << "  ✗ " << s.message() << "\n";
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
    auto device = UnlockDevice(store);
    if (device.ok()) return device->SaveRevision(form, id, parents, answers_json, clock, lang, finished_draft);
    last = device.status();
    if (last.code() != Status::Code::kUnauthenticated || std::getenv("DALA_PASSPHRASE") != nullptr) break;
    std::cerr << "dala: " << last.message() << "\n";
  }
  return last;
}

// Answers from a file: the same checks as the interview, all at once.
Result<json> AnswersFromFile(const schema::Form& form, const std::string& path, const Clock& clock,
                             const std::string& lang) {
  DALA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  json answers;
  try {
    answers = json::parse(text);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(path + " is not valid JSON: " + e.what());
  }
  if (!answers.is_object()) return Status::InvalidArgument(path + ": answers must be a JSON object");
  form.Recalculate(&answers, clock, /*clear_irrelevant=*/false);
  auto problems = form.Validate(answers, clock, lang);
  if (!problems.empty()) {
    std::string m = path + " does not fit form " + form.id() + ": " +
                    (problems[0].field.empty() ? "" : problems[0].field + ": ") + problems[0].message;
    if (problems.size() > 1) m += " (and " + std::to_string(problems.size() - 1) + " more problems)";
    return Status::InvalidArgument(m);
  }
  return answers;
}

// Records of a form loaded by hand are refused by the server until a
// coordinator publishes that same form; better to know before the interview.
void WarnIfServerLacksForm(LocalStore& s, const schema::Form& form) {
  auto url = s.Get(profile_key::kServerUrl);
  if (!url.ok() || !*url || (*url)->empty()) return;
  auto forms = s.ListForms();
  if (!forms.ok()) return;
  for (const FormRow& f : *forms) {
    if (f.hash == form.hash_hex() && f.source != "server") {
      std::cerr << "dala: warning: form " << form.id() << " " << form.version()
                << " was loaded on this laptop, not received from the server; the server will refuse its records "
                   "until a coordinator publishes this exact form\n";
    }
  }
}

void PrintSaved(const sync::SubmissionId& id, const schema::Form& form, const std::string& lang) {
  std::cout << Words(Say::kSaved, lang) << ": " << sync::FormatSubmissionId(id) << " (" << form.id() << " "
            << form.version() << ")\n";
}

}  // namespace

int Collect(const Globals& g, const CollectOptions& o) {
  CliClock clock;
  auto store = OpenStore(g);
  if (!store.ok()) return Fail(store.status());
  LocalStore& s = **store;

  std::shared_ptr<const schema::Form> form;
  std::optional<DraftRow> draft;
  if (o.draft_id > 0) {
    auto d = s.FindDraft(o.draft_id);
    if (!d.ok()) return Fail(d.status());
    if (!*d) return Fail("no draft " + std::to_string(o.draft_id) + " (see `dala drafts`)");
    draft = **d;
    sync::Hash h;
    if (!FromHex(draft->form_hash, &h) || (form = s.FindForm(h)) == nullptr)
      return Fail("the draft's form is no longer on this laptop");
  } else {
    auto f = s.FindFormByName(o.form);
    if (!f.ok()) return Fail(f.status());
    form = *f;
  }
  WarnIfServerLacksForm(s, *form);
  std::string lang = ChooseLanguage(g, &s, form->default_language());
  if (!form->HasLanguage(lang)) {
    return Fail("form " + form->id() + " has no language '" + lang + "' (it has: " + [&] {
      std::string l;
      for (const auto& x : form->languages()) l += (l.empty() ? "" : ", ") + x;
      return l;
    }() + ")");
  }

  if (!o.answers_file.empty()) {
    auto answers = AnswersFromFile(*form, o.answers_file, clock, lang);
    if (!answers.ok()) return Fail(answers.status());
    form->Recalculate(&*answers, clock, /*clear_irrelevant=*/true);
    sync::SystemRandom random;
    sync::SubmissionId id = sync::NewSubmissionId(clock, random);
    auto saved = Sign(s, *form, id, {}, answers->dump(), clock, lang);
    if (!saved.ok()) return Fail(saved.status());
    PrintSaved(id, *form, lang);
    return kExitOk;
  }

  json start = draft ? json::parse(draft->answers_json, nullptr, false) : json::object();
  if (start.is_discarded()) start = json::object();
  Interview iv(form, clock, start);
  DraftRow row = draft.value_or(DraftRow{0, form->hash_hex(), std::nullopt, "{}", lang, clock.NowMs()});
  auto autosave = [&] {
    row.answers_json = iv.answers().dump();
    row.language = lang;
    row.updated_ms = clock.NowMs();
    auto id = s.SaveDraft(row);
    if (id.ok()) row.id = *id;
  };
  if (row.id == 0) autosave();  // a draft from the first moment: nothing typed is ever lost
  switch (RunInteractive(iv, lang, autosave)) {
    case Outcome::kSaveDraft:
    case Outcome::kEndOfInput:
      autosave();
      std::cout << "\n" << Words(Say::kDraftKept, lang) << ": " << row.id << " (dala collect --draft " << row.id
                << ")\n";
      return kExitOk;
    case Outcome::kDiscard:
      (void)s.DeleteDraft(row.id);
      std::cout << "\n" << Words(Say::kDiscarded, lang) << "\n";
      return kExitOk;
    case Outcome::kFinalize:
      break;
  }
  sync::SubmissionId id{};
  std::vector<sync::Hash> parents;
  if (row.submission) {
    // A draft of an edit: the revision builds on the heads as they are now.
    id = *row.submission;
    auto merged = s.MergedStateOf(id);
    if (!merged.ok()) return Fail(merged.status());
    parents = merged->heads;
  } else {
    sync::SystemRandom random;
    id = sync::NewSubmissionId(clock, random);
  }
  auto saved = Sign(s, *form, id, parents, iv.FinalAnswers().dump(), clock, lang, row.id);
  if (!saved.ok()) {
    std::cerr << "dala: " << saved.status().message() << "\n";
    std::cerr << "dala: the answers are kept as draft " << row.id << "\n";
    return kExitFailure;
  }
  PrintSaved(id, *form, lang);
  return kExitOk;
}

int Edit(const Globals& g, const EditOptions& o) {
  CliClock clock;
  auto store = OpenStore(g);
  if (!store.ok()) return Fail(store.status());
  LocalStore& s = **store;
  auto id = s.ResolveSubmission(o.id);
  if (!id.ok()) return Fail(id.status());
  auto row = s.FindSubmission(*id);
  if (!row.ok()) return Fail(row.status());
  sync::Hash form_hash;
  std::shared_ptr<const schema::Form> form;
  if (!FromHex((*row)->form_hash, &form_hash) || (form = s.FindForm(form_hash)) == nullptr)
    return Fail("the form of record " + o.id + " is not on this laptop");
  auto merged = s.MergedStateOf(*id);
  if (!merged.ok()) return Fail(merged.status());
  std::string lang = ChooseLanguage(g, &s, form->default_language());
  json current = json::parse(merged->answers_json);

  json answers;
  int64_t finished_draft = 0;  // the edit's draft, deleted when the revision is saved
  if (!o.answers_file.empty()) {
    auto a = AnswersFromFile(*form, o.answers_file, clock, lang);
    if (!a.ok()) return Fail(a.status());
    answers = std::move(*a);
  } else if (!o.sets.empty()) {
    answers = current;
    for (const std::string& assignment : o.sets) {
      auto eq = assignment.find('=');
      if (eq == std::string::npos) return Fail("--set wants NAME=VALUE, not '" + assignment + "'");
      std::string name = assignment.substr(0, eq), text = assignment.substr(eq + 1);
      const schema::Question* q = form->Find(name);
      if (q == nullptr || q->repeat != -1 || !q->HasAnswer() || q->type == QuestionType::kRepeat ||
          q->type == QuestionType::kCalculate) {
        return Fail("form " + form->id() + " has no question '" + name + "' that --set can change");
      }
      if (text.empty()) {
        answers.erase(name);
        continue;
      }
      auto offered = form->OfferedItems(answers, q->index, {}, clock);
      auto value = schema::ParseTypedAnswer(*form, q->index, text, offered, clock, lang);
      if (!value.ok()) return Fail(name + ": " + value.status().message());
      answers[name] = *value;
    }
    form->Recalculate(&answers, clock, /*clear_irrelevant=*/false);
    auto problems = form->Validate(answers, clock, lang);
    if (!problems.empty())
      return Fail("the edit does not fit form " + form->id() + ": " + problems[0].field + ": " + problems[0].message);
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
    Outcome outcome = RunInteractive(iv, lang, autosave);
    if (outcome == Outcome::kDiscard) {
      (void)s.DeleteDraft(draft.id);
      std::cout << "\n" << Words(Say::kDiscarded, lang) << "\n";
      return kExitOk;
    }
    if (outcome != Outcome::kFinalize) {
      autosave();
      std::cout << "\n" << Words(Say::kDraftKept, lang) << ": " << draft.id << " (dala collect --draft " << draft.id
                << ")\n";
      return kExitOk;
    }
    answers = iv.FinalAnswers();
    finished_draft = draft.id;
  }
  form->Recalculate(&answers, clock, /*clear_irrelevant=*/true);
  if (answers == current && merged->heads.size() == 1) {
    if (finished_draft != 0) (void)s.DeleteDraft(finished_draft);
    std::cout << "No changes; record " << sync::FormatSubmissionId(*id) << " is as it was.\n";
    return kExitOk;
  }
  auto saved = Sign(s, *form, *id, merged->heads, answers.dump(), clock, lang, finished_draft);
  if (!saved.ok()) return Fail(saved.status());
  PrintSaved(*id, *form, lang);
  return kExitOk;
}

}  // namespace dala::client::cli
