// The counts indicators are computed from (server/DATABASE.md,
// indicator_counts): what each current record's answers hold, by form,
// region and centre, so that the indicators page reads a few thousand
// counts instead of parsing every record's answers. The store keeps them
// in the transaction that writes the record (SqliteStore::PutSubmission).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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
  // Adds one to each of `items` (an AnswerCounts's) at `place`.
  void AddAll(const IndicatorPlace& place, const std::vector<IndicatorItem>& items);

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

// Adds `sign` (+1 or -1) times what one record's answers count to `tally`.
// Answers that are not a JSON object count nothing, not even the record:
// stored answers come from verified revisions, so that is damage.
void TallyAnswers(const std::string& form_id, const std::string& region, const std::string& centre,
                  std::string_view answers_json, int64_t sign, IndicatorTally* tally);

// What one record's answers count before they are given a place: what
// TallyAnswers adds at it with sign +1. A sync tallies each new record on
// the threads that verify it, from the answers they parsed, so that the
// one thread that appends only adds the counts up (SubmissionSummary).
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
  // Adds the change to `tally`; `s` is the record Of was given.
  void AddTo(const SubmissionSummary& s, IndicatorTally* tally) const;
};

// The text a choice is counted under: strings as they are, true/false,
// integers in decimal, anything else as compact JSON.
std::string ChoiceKey(const nlohmann::json& value);

// A finite number as text that reads back to the same double.
std::string NumberKey(double value);
bool ParseNumberKey(std::string_view text, double* out);

}  // namespace dala::server
