#include "dala/schema/spelling.h"

#include <algorithm>

namespace dala::schema {

size_t EditDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment: Levenshtein plus adjacent transpositions,
  // the commonest typing slip. Three rows are enough.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        current[j] = std::min(current[j], before[j - 2] + 1);
    }
    before.swap(previous);
    previous.swap(current);
  }
  return previous[b.size()];
}

std::string NearestName(std::string_view typo, const std::vector<std::string>& candidates) {
  if (typo.empty()) return "";
  // Fewer edits than half the typo's length: "ab" must not suggest "xy".
  const size_t limit = std::min<size_t>(2, (typo.size() - 1) / 2);
  std::string found;
  size_t found_distance = limit + 1;
  bool tie = false;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(typo, c);
    if (d < found_distance) {
      found = c;
      found_distance = d;
      tie = false;
    } else if (d == found_distance && c != found) {
      tie = true;
    }
  }
  return tie || found_distance > limit ? "" : found;
}

}  // namespace dala::schema
