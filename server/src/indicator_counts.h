// The counts indicators are computed from (server/DATABASE.md,
// indicator_counts): what each current record's answers hold, by form,
// region and centre, so that the indicators page reads a few thousand
// counts instead of parsing every record's answers. The store keeps them
// in the transaction that writes the record (SqliteStore::PutSubmission).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dala/base/status.h"

namespace dala::schema {
class Form;
struct Question;
}  // namespace dala::schema

namespace dala::server {

struct SubmissionSummary;  // dala/server/store.h

// What a row counts. The numbers are stored, not the rows' order.
enum class IndicatorKind : int64_t {
  kRecords = 0,   // records (path and value empty)
  kAnswered = 1,  // answers that count as a choice: not null, not an empty list
  kChoice = 2,    // one chosen value (value: ChoiceKey), each element of a list
  kNumber = 3,    // one finite number (value: NumberKey)
};

// Where a record is counted, and what of it: a count's key is both. A
// tally keeps them apart because one record's forty-odd counts share one
// place, so each is found by comparing its short path, not the form id,
// region and centre again.
struct IndicatorPlace {
  std::string form_id, region, centre;
  auto operator<=>(const IndicatorPlace&) const = default;
};
struct IndicatorItem {
  std::string path;  // the answer's name, after those of its enclosing repeats and '/'
  IndicatorKind kind = IndicatorKind::kRecords;
  std::string value;
  auto operator<=>(const IndicatorItem&) const = default;
};
struct IndicatorItemHash {
  size_t operator()(const IndicatorItem& item) const;
};

// What the indicators (indicators.cc) read of a question's answers: how
// often each choice was chosen and how many answered, or the numbers.
// Bits: a path may be a choice in one version of a form, a number in another.
enum IndicatorUse : uint8_t { kUseNothing = 0, kUseChoices = 1, kUseNumbers = 2 };
IndicatorUse UseOf(const schema::Question& q);

// Where indicator_counts keeps a question's answers: the names of its
// enclosing repeats, outermost first, then its own, joined by '/'.
std::string CountPath(const schema::Form& form, const schema::Question& q);

// Which answers of one form are counted: at each path that is a choice or
// a number question in some published version of it, what the indicators
// read there; nothing else. A text, date or time answer is read by no
// indicator, and counting it as a possible choice added a row for nearly
// every record (each distinct arrival time) that a sync had to write.
// Every record counts as a record whatever its form.
class CountPlan {
 public:
  // From the documents of every published version of one form; the plan
  // of a form no version of which is stored counts records only.
  static CountPlan Of(const std::vector<std::string>& documents);

  // Whether the newest of `documents` (every version of one form, oldest
  // first) counts something at a path where the versions before it did
  // not: the records already stored then have counts missing.
  static bool NewestWidens(const std::vector<std::string>& documents);

  uint8_t UseAt(const std::string& path) const;

 private:
  std::unordered_map<std::string, uint8_t> uses_;  // path -> IndicatorUse bits
};

// A store's count plans, one per form id, each kept while the number of
// versions of its form stays what it was when the plan was made. A store
// asks for the number once per form and transaction (another node, or a
// version published from the command line, may have added one), and
// forgets every plan when a transaction of its own fails.
class CountPlanCache {
 public:
  // The plan checked in this transaction, or null.
  const CountPlan* Checked(const std::string& form_id) const;
  // The plan of `form_id`, of which `versions` are stored now; `documents`
  // reads them, and is called only when that number changed. Remembered as
  // checked when `in_transaction`.
  Result<const CountPlan*> Get(const std::string& form_id, int64_t versions, bool in_transaction,
                               const std::function<Result<std::vector<std::string>>()>& documents);
  void EndTransaction() { checked_.clear(); }
  void Clear() {
    plans_.clear();
    checked_.clear();
  }

 private:
  struct Entry {
    int64_t versions = 0;
    CountPlan plan;
  };
  std::unordered_map<std::string, Entry> plans_;
  std::unordered_map<std::string, const CountPlan*> checked_;
};

// Changes to the counts, summed; a change that sums to zero is dropped.
class IndicatorTally {
 public:
  // Hashed: a sync's transaction adds forty-odd items a record to a few
  // thousand, and a search of a sorted map compared most of their text.
  using Items = std::unordered_map<IndicatorItem, int64_t, IndicatorItemHash>;

  // The items of one place, to add to with Add.
  Items& At(const IndicatorPlace& place) { return places_[place]; }
  // The item's text is copied only when the tally has no such item yet.
  static void Add(Items& items, const IndicatorItem& item, int64_t n);
  static void Add(Items& items, IndicatorItem&& item, int64_t n);
  // Adds `sign` (+1 or -1) to each of `items` (an AnswerCounts's) at
  // `place` that `plan` counts.
  void AddAll(const IndicatorPlace& place, const std::vector<IndicatorItem>& items, const CountPlan& plan,
              int64_t sign = +1);

  void Erase(const IndicatorPlace& place) { places_.erase(place); }
  bool empty() const { return places_.empty(); }
  void clear() { places_.clear(); }
  const std::map<IndicatorPlace, Items>& places() const { return places_; }
  // A place's items in key order, as a store writes them: neighbouring
  // rows of its index, and two writers never take the same rows' locks in
  // opposite orders.
  static std::vector<const Items::value_type*> Sorted(const Items& items);

 private:
  std::map<IndicatorPlace, Items> places_;
};

// Adds `sign` (+1 or -1) times what one record's answers count under
// `plan` (its form's) to `tally`. Answers that are not a JSON object count
// nothing, not even the record: stored answers come from verified
// revisions, so that is damage.
void TallyAnswers(const std::string& form_id, const std::string& region, const std::string& centre,
                  std::string_view answers_json, int64_t sign, const CountPlan& plan, IndicatorTally* tally);

// What one record's answers could count, whatever its form's plan: what
// TallyAnswers adds with sign +1 under a plan that counts everything. A
// sync tallies each new record on the threads that verify it, from the
// answers they parsed, so that the one thread that appends only adds up
// what the plan counts (SubmissionSummary). The plan is applied there,
// under the store's lock, so that a version published meanwhile is seen.
struct AnswerCounts {
  std::vector<IndicatorItem> items;  // each counts one; an item may come more than once
};
// `answers` must be a JSON object.
void CountAnswers(const nlohmann::json& answers, AnswerCounts* out);

// How putting one record changes the counts: what its stored row counted
// comes off, what it counts goes on. Read before the row is replaced, and
// added to the transaction's tally only once the row is written, so that
// a failed put leaves no count behind in a transaction that goes on.
// Decisions that change neither its answers, its place nor whether it is
// current (reviews, flags) change no count.
struct RecordCountChange {
  bool subtract_old = false;
  std::string old_form_id, old_region, old_centre, old_answers;
  bool add_new = false;

  // From the stored row's columns, if there is one; `stored` is null for a
  // record stored first now.
  struct StoredRow {
    std::string form_id, region, centre, answers, merged_into, review_state;
  };
  static RecordCountChange Of(const SubmissionSummary& s, const StoredRow* stored);
  // Adds the change to `tally`, each side counted under the plan of its
  // form as `plan_for` (the store's) gives it; `s` is the record Of was given.
  using PlanFor = std::function<Result<const CountPlan*>(const std::string& form_id)>;
  Status AddTo(const SubmissionSummary& s, const PlanFor& plan_for, IndicatorTally* tally) const;
};

// The counts of every record a store reads again (a migration's pending
// fill, a version that widens its form's plan), each under its form's
// plan, looked up once per form.
class Recount {
 public:
  explicit Recount(RecordCountChange::PlanFor plan_for) : plan_for_(std::move(plan_for)) {}
  Status Add(const std::string& form_id, const std::string& region, const std::string& centre,
             std::string_view answers_json);
  const IndicatorTally& tally() const { return tally_; }

 private:
  RecordCountChange::PlanFor plan_for_;
  std::unordered_map<std::string, const CountPlan*> plans_;
  IndicatorTally tally_;
};

// The text a choice is counted under: strings as they are, true/false,
// integers in decimal, anything else as compact JSON.
std::string ChoiceKey(const nlohmann::json& value);

// A finite number as text that reads back to the same double.
std::string NumberKey(double value);
bool ParseNumberKey(std::string_view text, double* out);

}  // namespace dala::server
