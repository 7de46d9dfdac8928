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

namespace dala::server {

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

// Changes to the counts, summed; a change that sums to zero is dropped.
class IndicatorTally {
 public:
  using Items = std::map<IndicatorItem, int64_t>;

  // The items of one place, to add to with Add.
  Items& At(const IndicatorPlace& place) { return places_[place]; }
  static void Add(Items& items, IndicatorItem item, int64_t n);
  // Adds every change of `other` to this tally, moving its keys.
  void Merge(IndicatorTally&& other);

  void Erase(const IndicatorPlace& place) { places_.erase(place); }
  bool empty() const { return places_.empty(); }
  void clear() { places_.clear(); }
  const std::map<IndicatorPlace, Items>& places() const { return places_; }

 private:
  std::map<IndicatorPlace, Items> places_;
};

// Adds `sign` (+1 or -1) times what one record's answers count to `tally`.
// Answers that are not a JSON object count nothing, not even the record:
// stored answers come from verified revisions, so that is damage.
void TallyAnswers(const std::string& form_id, const std::string& region, const std::string& centre,
                  std::string_view answers_json, int64_t sign, IndicatorTally* tally);

// The text a choice is counted under: strings as they are, true/false,
// integers in decimal, anything else as compact JSON.
std::string ChoiceKey(const nlohmann::json& value);

// A finite number as text that reads back to the same double.
std::string NumberKey(double value);
bool ParseNumberKey(std::string_view text, double* out);

}  // namespace dala::server
