// An interview: walking a volunteer through a form one question at a time.
//
// The interview holds the answers so far and a position. Skip logic and
// constraints apply as each answer is given; going back returns to the step
// shown before. It knows nothing of terminals: the client renders steps and
// passes the typed text in, so the same logic is tested without a terminal.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/clock.h"
#include "dala/base/status.h"
#include "dala/schema/form.h"

namespace dala::schema {

struct InterviewStep {
  enum class Kind {
    kQuestion,   // a question or note to show
    kAddRepeat,  // "add another <repeat>?" for repeats without a count
  };
  Kind kind = Kind::kQuestion;
  int question = -1;
  InstancePath path;  // for kAddRepeat: the repeat's path plus the new index

  bool operator==(const InterviewStep&) const = default;
};

// Parses text typed by a volunteer into an answer's JSON (see the table in
// schema/README.md). Accepts what people type: "12,5" for a decimal,
// "27.11.2026" for a date, a choice's number or name, "1" to acknowledge.
// The error message is in `language`.
Result<nlohmann::json> ParseTypedAnswer(const Form& form, int question, std::string_view text,
                                        const std::vector<const ListItem*>& offered,
                                        const Clock& clock, std::string_view language);

// Answers written by hand (an answers file, `--set`) in the forms the
// interview accepts: every date, time and date-time given as text the
// interview would take ("04.12.2026", "9:30") becomes its stored form
// ("2026-12-04", "09:30"), so a file and a terminal accept the same things.
// Anything else is left for Form::Validate to report.
void NormalizeTypedAnswers(const Form& form, nlohmann::json* answers, const Clock& clock);

// The answer shown back to the volunteer, in `language`: choice labels
// rather than names, dates as typed.
std::string DescribeAnswer(const Form& form, int question, const nlohmann::json& answer,
                           std::string_view language);

class Interview {
 public:
  Interview(std::shared_ptr<const Form> form, const Clock& clock,
            nlohmann::json answers = nlohmann::json::object());

  const Form& form() const { return *form_; }
  // The answers as they stand, including answers to questions that skip
  // logic has since hidden (kept in case the volunteer goes back).
  const nlohmann::json& answers() const { return answers_; }
  // The answers to sign: hidden answers removed, calculations current.
  nlohmann::json FinalAnswers() const;

  // The steps for the current answers, in order.
  std::vector<InterviewStep> Steps() const;
  // How many steps the form may still come to: Steps(), plus those hidden
  // only because the answers that decide them are not given yet (the whole
  // survey behind its consent question). For "question 1 of N".
  size_t ExpectedStepCount() const;

  // The step being shown; empty at the end of the form.
  const std::optional<InterviewStep>& current() const { return current_; }
  bool at_end() const { return !current_.has_value(); }

  // Answers the current step with typed text and moves on. For kAddRepeat
  // the text is yes or no. On a refused answer nothing changes and the
  // Status says why, in `language`.
  Status Answer(std::string_view text, std::string_view language);

  // Moves on, keeping the current answer (Enter on an empty line). Refused
  // for a required question that has no answer.
  Status Next(std::string_view language);

  // Clears the current answer (and stays).
  Status Clear(std::string_view language);

  // Returns to the previously shown step. False at the first step.
  bool Back();

  // Jumps to a step (e.g. the first problem found by Validate).
  void GoTo(const InterviewStep& step);

  // Moves to the first step (used when editing).
  void Restart();

  // Moves to the first step still to be answered: a question without an
  // answer, or "add another?" (used when resuming a draft). The steps before
  // it become the history, so Back() goes to them as usual. At the end of
  // the form when every step is answered.
  void ResumeAtFirstUnanswered();

  // Every problem with FinalAnswers().
  std::vector<AnswerProblem> Validate(std::string_view language) const;

  // The items offered for the current step, if it is a select.
  std::vector<const ListItem*> OfferedItems() const;
  // The items offered for any select step (a field of a field-list screen).
  std::vector<const ListItem*> OfferedItems(const InterviewStep& step) const;

  // --- screens: a group whose appearance is `field-list` is one screen -----
  // Answer(), Next() and Back() above still go one step at a time (the
  // terminal asks each question alone); the calls below serve a page that
  // shows a whole group at once.

  // The outermost field-list group holding `step` within its own repeat
  // instance, or -1 (also for kAddRepeat steps).
  int ScreenGroup(const InterviewStep& step) const;
  // The steps shown with the current one: the run of visible steps of its
  // field-list group around it, in order; or the current step alone; empty
  // at the end.
  std::vector<InterviewStep> ScreenSteps() const;
  // Answers one step of the current screen without moving; empty text
  // clears it. Relevance and calculations follow at once, so the screen may
  // gain or lose steps; if the current step itself is hidden, the screen's
  // first visible step becomes current. Refused, changing nothing: a step
  // not on the screen, a read-only one, or an answer the form refuses.
  Status Set(const InterviewStep& step, std::string_view text, std::string_view language);
  // Moves past the whole current screen. Refused for a required step of the
  // screen without an answer; `missing`, if given, is set to it.
  Status NextScreen(std::string_view language, InterviewStep* missing = nullptr);

  // Removes instance `instance.back()` of repeat `repeat` (`instance` is the
  // repeat's own path plus the index) with every answer in it. Later
  // instances move down by one, as do the current step and the history
  // pointing into them; steps inside the removed instance leave the
  // history, and a current step there becomes the step that now takes its
  // place. Calculations (counts, sums, position()) are recomputed. Refused
  // for a repeat whose count the form decides, and for no such instance.
  Status RemoveInstance(int repeat, const InstancePath& instance);

 private:
  void Advance(const std::vector<InterviewStep>& before, size_t index_before);
  // Steps(); with `count_undecided`, also those ExpectedStepCount() adds.
  std::vector<InterviewStep> Walk(bool count_undecided) const;
  // Whether the relevance of `q` or an enclosing group or repeat refers to
  // a question that has no answer yet.
  bool RelevanceUndecided(int q, const InstancePath& path) const;
  // The first visible step of field-list group `group` at `path`, if any.
  std::optional<InterviewStep> FirstOfScreen(int group, const InstancePath& path) const;

  std::shared_ptr<const Form> form_;
  const Clock& clock_;
  nlohmann::json answers_;
  std::optional<InterviewStep> current_;
  std::vector<InterviewStep> history_;
};

}  // namespace dala::schema
