// Who the log says was enrolled, and when: the server's enroll and revoke
// events replayed in log order. The auditor (audit.cc) uses it to check
// that each envelope's author was enrolled and not revoked when it was
// logged (condition 15 of sync/README.md) and to compare the devices table;
// the trace (trace.cc) uses it to name each author as the log stood then.
// One replay, so the two can never disagree about who a key was.
//
// Worked example. Log: 0 enroll A for aigerim, 1 revision by A, 2 revoke A,
// 3 enroll A again, 4 revoke A again, 5 revoke B. Replayed: after 0, A is
// aigerim's (enrolled at 0); 1 is by an enrolled key; after 2, A is revoked
// at 2; 3 changes nothing (kEnrolledAgain, first at 0); 4 changes nothing
// (kRevokedAgain, first at 2); 5 changes nothing (kUnknownKey). The
// first word on a device is the one that stands: a later event cannot
// re-enrol a revoked key or move its revocation.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "dala/sync/crypto.h"
#include "dala/sync/person_keys.h"
#include "dala/sync/verify.h"

namespace dala::sync::internal {

// What the log's events say about one device so far.
struct Enrolment {
  std::string volunteer, label, enrolled_by;
  int64_t enrolled_ms = 0;  // the enroll envelope's wall field
  uint64_t enrolled_index = 0;
  bool revoked = false;
  int64_t revoked_ms = 0;  // the revoke envelope's wall field
  std::string revoked_by, revoke_reason;
  uint64_t revoked_index = 0;
};

class EnrolmentReplay {
 public:
  using Outcome = KeyLedger<Enrolment>::Outcome;
  using Applied = KeyLedger<Enrolment>::Applied;

  // Whether `event` is one Apply takes: an enroll or a revoke.
  [[nodiscard]] static bool Concerns(const EventBody& event);

  // Applies the enroll or revoke `event` (Concerns(event) holds) of log
  // entry `index`, whose envelope claims the wall time `wall_ms`. The caller
  // has checked that the server key signed it: nothing else enrols.
  [[nodiscard]] Applied Apply(const EventBody& event, uint64_t index, int64_t wall_ms);

  // The device's enrolment as replayed so far; null if never enrolled.
  [[nodiscard]] const Enrolment* Find(const PublicKey& device) const { return ledger_.Find(device); }
  [[nodiscard]] const std::map<PublicKey, Enrolment>& devices() const { return ledger_.records(); }

 private:
  KeyLedger<Enrolment> ledger_;
};

}  // namespace dala::sync::internal
