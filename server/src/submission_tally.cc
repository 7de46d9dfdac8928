#include <algorithm>
#include <tuple>

#include "dala/server/store.h"

namespace dala::server {

Result<SubmissionTally> TallySubmissionsByQueries(Store& store, const SubmissionFilter& filter) {
  auto count = [&](auto tweak) -> Result<uint64_t> {
    SubmissionFilter f = filter;
    tweak(f);
    return store.CountSubmissions(f);
  };
  SubmissionTally t;
  DALA_ASSIGN_OR_RETURN(t.total, store.CountSubmissions(filter));
  DALA_ASSIGN_OR_RETURN(t.unreviewed, count([](SubmissionFilter& f) { f.review_state = "received"; }));
  DALA_ASSIGN_OR_RETURN(t.sent_back, count([](SubmissionFilter& f) { f.review_state = "has_issues"; }));
  DALA_ASSIGN_OR_RETURN(t.conflicts, count([](SubmissionFilter& f) { f.only_conflicts = true; }));
  DALA_ASSIGN_OR_RETURN(t.duplicates, count([](SubmissionFilter& f) { f.only_duplicates = true; }));
  DALA_ASSIGN_OR_RETURN(t.changed, count([](SubmissionFilter& f) { f.only_changed = true; }));
  DALA_ASSIGN_OR_RETURN(t.per_day, store.CountSubmissionsBy(filter, SubmissionGroup::kDay));
  SubmissionFilter current = filter;
  current.only_current = true;
  DALA_ASSIGN_OR_RETURN(t.current_by_centre, store.CountSubmissionsBy(current, SubmissionGroup::kCentre));
  // ORDER BY centre leaves a centre named in two regions in either order.
  std::sort(t.current_by_centre.begin(), t.current_by_centre.end(), [](const GroupCount& a, const GroupCount& b) {
    return std::tie(a.key, a.region) < std::tie(b.key, b.region);
  });
  return t;
}

}  // namespace dala::server
