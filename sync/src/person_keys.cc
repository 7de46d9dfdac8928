#include "dala/sync/person_keys.h"

#include <charconv>

namespace dala::sync {

bool IsDecidingRole(std::string_view role) { return role == "coordinator" || role == "admin"; }

bool PersonKeyRegistry::Concerns(const EventBody& event) {
  return event.type == "person_key_enrolled" || event.type == "person_key_revoked";
}

PersonKeyRegistry::Applied PersonKeyRegistry::Apply(const EventBody& event, uint64_t index, int64_t wall_ms,
                                                    std::optional<uint64_t> logged_through) {
  if (event.type != "person_key_enrolled") {
    Applied a = ledger_.Revoke(event.key, event, index, wall_ms);
    if (a.outcome != Outcome::kRevoked) return a;
    std::optional<uint64_t> through = logged_through;
    uint64_t said = 0;
    const char* end = event.through.data() + event.through.size();
    // ParseEventBody lets only digits through, few enough to fit; anything
    // else says nothing, and the revocation counts from where it is read.
    if (!through && !event.through.empty() && std::from_chars(event.through.data(), end, said).ptr == end)
      through = said;
    ledger_.FindMutable(a.key)->revoked_through = through;
    return a;
  }
  Applied a = ledger_.Enrol(event.key, PersonKey{event.person, event.role, event.label, event.by, wall_ms, index});
  if (a.outcome == Outcome::kEnrolled) keyed_people_.insert(event.person);
  return a;
}

bool PersonKeyRegistry::EverKeyed(std::string_view person) const { return keyed_people_.count(person) > 0; }

Result<std::string> DecisionMaker(const Envelope& e) {
  if (e.kind() == EnvelopeKind::kRevision) {
    DALA_ASSIGN_OR_RETURN(RevisionBody body, ParseRevisionBody(e.body()));
    return body.by;
  }
  DALA_ASSIGN_OR_RETURN(EventBody event, ParseEventBody(e.body()));
  if (event.type != "review" && event.type != "duplicate") return std::string();
  return event.by;
}

bool RevokedBefore(const PersonKey& key, uint64_t sequence) {
  return key.revoked && (!key.revoked_through || sequence > *key.revoked_through);
}

DecisionCheck CheckDecisionSigner(const PublicKey& author, std::string_view by, uint64_t sequence,
                                  const PublicKey& server_key, const PersonKeyRegistry& keys) {
  DecisionCheck c;
  const std::string who = by.empty() ? std::string("(no name)") : std::string(by);
  if (author == server_key) {
    c.signer = DecisionSigner::kServer;
    if (keys.EverKeyed(by)) {
      c.problem = "decision.attested_for_keyed_person";
      c.message = "the server signed a decision in the name of " + who +
                  ", who has an enrolled key and signs their own: a forgery by whoever holds the server key";
    }
    return c;
  }
  c.signer = DecisionSigner::kPerson;
  const PersonKey* k = keys.Find(author);
  if (k == nullptr) {
    c.problem = "decision.unenrolled_key";
    c.message = "a decision in the name of " + who + " signed by key " + KeyFingerprint(author) +
                ", which no person_key_enrolled event before it vouches for";
  } else if (k->person != by) {
    c.problem = "decision.wrong_person";
    c.message = "a decision in the name of " + who + " signed by the key enrolled for " + k->person;
  } else if (RevokedBefore(*k, sequence)) {
    c.problem = "decision.revoked_key";
    c.message = "a decision of " + who + " signed by key " + KeyFingerprint(author) + " after its revocation" +
                (k->revoked_through ? " (which trusts its decisions up to sequence " +
                                          std::to_string(*k->revoked_through) + ", and this is " +
                                          std::to_string(sequence) + ")"
                                    : std::string());
  }
  return c;
}

std::string KeyFingerprint(const PublicKey& key) {
  std::string hex = ToHex(key).substr(0, 16);
  return hex.substr(0, 4) + " " + hex.substr(4, 4) + " " + hex.substr(8, 4) + " " + hex.substr(12, 4);
}

}  // namespace dala::sync
