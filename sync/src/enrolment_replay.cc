#include "enrolment_replay.h"

#include <cassert>

namespace dala::sync::internal {

bool EnrolmentReplay::Concerns(const EventBody& event) { return event.type == "enroll" || event.type == "revoke"; }

EnrolmentReplay::Applied EnrolmentReplay::Apply(const EventBody& event, uint64_t index, int64_t wall_ms) {
  assert(Concerns(event));
  Applied applied;
  if (!FromHex(event.device, &applied.key)) {
    applied.outcome = Outcome::kBadKey;
    return applied;
  }
  if (event.type == "enroll") {
    auto [it, inserted] = devices_.try_emplace(applied.key);
    if (!inserted) {
      applied.outcome = Outcome::kEnrolledAgain;
      applied.first_index = it->second.enrolled_index;
      return applied;
    }
    it->second = Enrolment{event.volunteer, event.label, event.by, wall_ms, index};
    applied.outcome = Outcome::kEnrolled;
    return applied;
  }
  auto it = devices_.find(applied.key);
  if (it == devices_.end()) {
    applied.outcome = Outcome::kUnknownKey;
    return applied;
  }
  Enrolment& e = it->second;
  if (e.revoked) {
    applied.outcome = Outcome::kRevokedAgain;
    applied.first_index = e.revoked_index;
    return applied;
  }
  e.revoked = true;
  e.revoked_ms = wall_ms;
  e.revoked_by = event.by;
  e.revoke_reason = event.reason;
  e.revoked_index = index;
  applied.outcome = Outcome::kRevoked;
  return applied;
}

const Enrolment* EnrolmentReplay::Find(const PublicKey& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? nullptr : &it->second;
}

}  // namespace dala::sync::internal
