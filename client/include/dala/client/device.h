// The laptop's identity: its Ed25519 key, sealed under the volunteer's
// passphrase, and the one place where records are signed and saved.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dala/base/clock.h"
#include "dala/base/status.h"
#include "dala/client/store.h"
#include "dala/schema/form.h"
#include "dala/sync/crypto.h"
#include "dala/sync/ids.h"

namespace dala::client {

// Creates the profile's key, sealed under `passphrase`, and records when.
Status InitDevice(LocalStore& store, std::string_view passphrase, sync::Random& random, const Clock& clock,
                  const sync::KdfParams& kdf = {});

class Device {
 public:
  // Opens the sealed key. Unauthenticated("wrong passphrase") leaves
  // nothing changed.
  static Result<Device> Unlock(LocalStore& store, std::string_view passphrase);

  [[nodiscard]] const sync::PublicKey& public_key() const { return key_.public_key(); }
  [[nodiscard]] const sync::SigningKey& key() const { return key_; }

  // Validates `answers_json` against `form`, signs it as the next revision
  // of `submission` with `parents`, stores it as pending upload and updates
  // the submission, all in one transaction. Returns the revision id.
  // Nothing is stored when validation fails; the Status lists the first
  // problem (in `language`) and how many more there are.
  // `finished_draft`, when not 0, is the draft these answers came from: it
  // is deleted in the same transaction, so a crash can never leave both
  // the record and its draft (which, finalised again, would make a second
  // record).
  Result<sync::Hash> SaveRevision(const schema::Form& form, const sync::SubmissionId& submission,
                                  const std::vector<sync::Hash>& parents, const std::string& answers_json,
                                  const Clock& clock, std::string_view language, int64_t finished_draft = 0);

  // Signs and stores the next envelope of this device's chain, given its
  // fields without sequence, previous or HLC (filled here), in the caller's
  // transaction.
  Result<sync::Envelope> SignNext(sync::EnvelopeFields fields, const Clock& clock);

 private:
  Device(LocalStore& store, sync::SigningKey key) : store_(&store), key_(std::move(key)) {}
  LocalStore* store_;
  sync::SigningKey key_;
};

// Where a finished draft's answers go: a new submission, or for a draft of
// an edit (`draft.submission`) the next revision of that submission, built
// on its heads as they are now. `dala collect` and `dala ui` both sign
// through this and Device::SaveRevision, so a record is the same whichever
// made it.
struct RecordTarget {
  sync::SubmissionId id{};
  std::vector<sync::Hash> parents;
};
Result<RecordTarget> RecordTargetOf(LocalStore& store, const DraftRow& draft, const Clock& clock,
                                    sync::Random& random);

// Re-signs this laptop's envelopes that the server has not accepted, with
// hybrid-clock times taken afresh from `clock`. For a laptop whose clock ran
// ahead: the server refuses records stamped too far in the future, and the
// laptop's own clock cannot run backwards, so once the date is fixed the
// never-accepted records are stamped again. Their answers and parents
// (renamed to the new ids) are kept, claimed wall times too unless later
// than now; no receipt or other replica ever saw the old ids. Returns how
// many.
Result<int> RestampPending(LocalStore& store, const sync::SigningKey& key, const Clock& clock);

struct SetAsideRecord {
  sync::SubmissionId submission{};
  int64_t draft = 0;   // the draft that now holds its answers
  std::string reason;  // the server's
};

// Takes the envelopes the server refused for good (and the pending edits
// built on them) out of this device's chain and turns each record's latest
// answers into a draft noting the server's reason; the remaining pending
// envelopes are re-signed as an unbroken chain after the accepted tip
// (as RestampPending does), so they are no longer held back behind the
// refusal. One transaction. Only valid when the server holds nothing of
// this device beyond the accepted tip: call it right after an exchange
// whose acceptance is fully proven by receipt.
Result<std::vector<SetAsideRecord>> SetAsideRefused(LocalStore& store, const sync::SigningKey& key,
                                                    const Clock& clock, std::string_view language);

// --- verification -----------------------------------------------------------------

struct VerifyProblem {
  std::string record;  // submission id, or "device chain", or "database"
  std::string what;
};

struct VerifyReport {
  int64_t envelopes = 0;
  int64_t submissions = 0;
  int64_t own_sequence = 0;
  std::vector<VerifyProblem> problems;
};

// Re-verifies every stored envelope (structure, id, signature, the columns
// derived from it, form and answers), this device's chain from 1 to its
// tip, every other author's chain links, parents, and the derived
// submission states.
Result<VerifyReport> VerifyLocalStore(LocalStore& store);

}  // namespace dala::client
