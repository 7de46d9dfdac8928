// People's keys, and who may sign a coordinator's decision.
//
// A decision (a correction or resolution, a review, a duplicate decision)
// is signed either by the key of the person who made it, enrolled for them
// by a server-signed `person_key_enrolled` event, or, for a person who has
// never had a key, by the server naming them ("attested by the server").
// The server, the laptops and the auditor apply the one rule here, each
// over the log as it stood when the decision was appended. The format and
// the numbered conditions are in sync/README.md ("Decisions").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "dala/base/status.h"
#include "dala/sync/crypto.h"
#include "dala/sync/envelope.h"
#include "dala/sync/verify.h"

namespace dala::sync {

// The roles a person key may be enrolled for: those that decide.
[[nodiscard]] bool IsDecidingRole(std::string_view role);

// The enrolments and revocations of keys, devices' or people's, replayed
// in log order. The first word on a key stands: a key is enrolled once,
// and revoked at most once, for good. `Record` has `enrolled_index`,
// `revoked`, `revoked_ms`, `revoked_by`, `revoke_reason`, `revoked_index`.
template <typename Record>
class KeyLedger {
 public:
  enum class Outcome {
    kEnrolled,
    kRevoked,
    kBadKey,         // the event's key is not 64 hex digits: nothing changes
    kEnrolledAgain,  // the key was enrolled before, at first_index
    kRevokedAgain,   // the key was revoked before, at first_index
    kUnknownKey,     // a revocation of a key never enrolled
  };
  struct Applied {
    Outcome outcome = Outcome::kEnrolled;
    PublicKey key{};
    uint64_t first_index = 0;
  };

  Applied Enrol(std::string_view key_hex, Record fresh) {
    Applied a;
    if (!FromHex(key_hex, &a.key)) {
      a.outcome = Outcome::kBadKey;
      return a;
    }
    auto [it, inserted] = records_.try_emplace(a.key, std::move(fresh));
    if (!inserted) {
      a.outcome = Outcome::kEnrolledAgain;
      a.first_index = it->second.enrolled_index;
    }
    return a;
  }

  Applied Revoke(std::string_view key_hex, const EventBody& event, uint64_t index, int64_t wall_ms) {
    Applied a;
    a.outcome = Outcome::kRevoked;
    if (!FromHex(key_hex, &a.key)) {
      a.outcome = Outcome::kBadKey;
      return a;
    }
    auto it = records_.find(a.key);
    if (it == records_.end()) {
      a.outcome = Outcome::kUnknownKey;
      return a;
    }
    Record& r = it->second;
    if (r.revoked) {
      a.outcome = Outcome::kRevokedAgain;
      a.first_index = r.revoked_index;
      return a;
    }
    r.revoked = true;
    r.revoked_ms = wall_ms;
    r.revoked_by = event.by;
    r.revoke_reason = event.reason;
    r.revoked_index = index;
    return a;
  }

  [[nodiscard]] const Record* Find(const PublicKey& key) const {
    auto it = records_.find(key);
    return it == records_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] Record* FindMutable(const PublicKey& key) {
    auto it = records_.find(key);
    return it == records_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] const std::map<PublicKey, Record>& records() const { return records_; }

 private:
  std::map<PublicKey, Record> records_;
};

// What the log's events say about one person key so far.
struct PersonKey {
  std::string person, role, label, enrolled_by;
  int64_t enrolled_ms = 0;  // the enrolling envelope's wall field
  uint64_t enrolled_index = 0;
  bool revoked = false;
  int64_t revoked_ms = 0;
  std::string revoked_by, revoke_reason;
  uint64_t revoked_index = 0;
  // The key's last sequence logged before its revocation: its decisions up
  // to here came before it (README "Decisions", D4). Unset for a
  // revocation that does not say (logged before revocations said it).
  std::optional<uint64_t> revoked_through;
};

// The person_key_enrolled and person_key_revoked events replayed in log
// order. The caller applies only events the server key signed: nothing
// else enrols.
class PersonKeyRegistry {
 public:
  using Outcome = KeyLedger<PersonKey>::Outcome;
  using Applied = KeyLedger<PersonKey>::Applied;

  // Whether `event` is one Apply takes.
  [[nodiscard]] static bool Concerns(const EventBody& event);
  // A revocation's `through` comes from the event, unless the caller reads
  // the whole log and passes `logged_through`, the key's last sequence
  // logged before the event (the auditor, which checks the event's word
  // against it): then the log's own order stands.
  [[nodiscard]] Applied Apply(const EventBody& event, uint64_t index, int64_t wall_ms,
                              std::optional<uint64_t> logged_through = std::nullopt);

  [[nodiscard]] const PersonKey* Find(const PublicKey& key) const { return ledger_.Find(key); }
  // Whether any key was ever enrolled for `person`: from then on, the
  // server may no longer sign that person's decisions.
  [[nodiscard]] bool EverKeyed(std::string_view person) const;
  [[nodiscard]] const std::map<PublicKey, PersonKey>& keys() const { return ledger_.records(); }

 private:
  KeyLedger<PersonKey> ledger_;
  std::set<std::string, std::less<>> keyed_people_;
};

// The person a decision names: the `by` of a revision, or of a review or
// duplicate event. Empty when the envelope is no decision (a device's
// revision, an enrolment). Fails on a body that does not parse.
[[nodiscard]] Result<std::string> DecisionMaker(const Envelope& e);

// Who vouches for a decision.
enum class DecisionSigner {
  kPerson,  // the key enrolled for the person named
  kServer,  // the server, for a person who has never had a key
};

struct DecisionCheck {
  DecisionSigner signer = DecisionSigner::kServer;
  // Empty when the signer may sign this decision; otherwise the auditor's
  // problem code ("decision.attested_for_keyed_person", ...) and why.
  std::string problem;
  std::string message;
  [[nodiscard]] bool ok() const { return problem.empty(); }
};

// README "Decisions", conditions D3-D5: may `author` sign a decision naming
// `by`, given the person keys enrolled so far? `sequence` is the
// decision's place in the author's chain: a revoked key's decision stands
// when it is at or before the revocation's `through`, logged before it.
[[nodiscard]] DecisionCheck CheckDecisionSigner(const PublicKey& author, std::string_view by, uint64_t sequence,
                                                const PublicKey& server_key, const PersonKeyRegistry& keys);

// Whether `key` was revoked before a decision of its at `sequence` in its
// chain (D4): by the revocation's `through` when it says one; otherwise by
// the order the caller replays the events in.
[[nodiscard]] bool RevokedBefore(const PersonKey& key, uint64_t sequence);

// A short, readable fingerprint of a key for people to compare: the first
// 16 hex digits in groups of four, "3f2a 91c0 77de 0b15".
[[nodiscard]] std::string KeyFingerprint(const PublicKey& key);

}  // namespace dala::sync
