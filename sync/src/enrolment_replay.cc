#include "enrolment_replay.h"

#include <cassert>

namespace dala::sync::internal {

bool EnrolmentReplay::Concerns(const EventBody& event) { return event.type == "enroll" || event.type == "revoke"; }

EnrolmentReplay::Applied EnrolmentReplay::Apply(const EventBody& event, uint64_t index, int64_t wall_ms) {
  assert(Concerns(event));
  if (event.type == "revoke") return ledger_.Revoke(event.device, event, index, wall_ms);
  return ledger_.Enrol(event.device, Enrolment{event.volunteer, event.label, event.by, wall_ms, index});
}

}  // namespace dala::sync::internal
