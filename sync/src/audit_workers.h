// The auditor's parallel work: what a worker does to one log entry (parse,
// signature, leaf hash, form validation, body parse) and to one
// submission's revisions (merge). Nothing here depends on log order or on
// other entries, so audit.cc runs it on every core while the calling thread
// does the order-dependent bookkeeping (see HOW IT RUNS in audit.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "audit_common.h"
#include "dala/schema/form.h"
#include "dala/sync/audit.h"
#include "dala/sync/bundle.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merge.h"
#include "dala/sync/verify.h"

namespace dala::sync::internal {

// --- log entries ---------------------------------------------------------------------

// The bundle's form documents by the hash of their actual bytes.
class FormSet final : public FormRegistry {
 public:
  std::shared_ptr<const schema::Form> FindForm(const Hash& form_hash) const override {
    auto it = forms_.find(form_hash);
    return it == forms_.end() ? nullptr : it->second;
  }
  void Add(const Hash& h, std::shared_ptr<const schema::Form> f) { forms_[h] = std::move(f); }

 private:
  HashMap<std::shared_ptr<const schema::Form>> forms_;
};

// What a worker learns about one log entry. Reused across batches.
struct EntryResult {
  uint64_t index = 0;
  Hash leaf{};
  bool has_header = false;
  SubmissionId header_submission{};  // from the raw bytes, parsed or not
  bool has_raw_author = false;       // the claimed author of an entry that does not parse
  PublicKey raw_author{};
  uint64_t raw_sequence = 0;
  bool parsed = false;
  bool authentic = false;
  EnvelopeKind kind = EnvelopeKind::kRevision;
  SubmissionId submission{};
  PublicKey author{};
  uint64_t sequence = 0;
  Hash id{}, previous{};
  HlcTimestamp hlc;
  int64_t wall_ms = 0;
  std::vector<Hash> parents;
  std::string form_id;
  bool has_answers = false;
  std::string answers_json;
  std::string by;
  bool has_event = false;
  EventBody event;
  std::vector<AuditProblem> problems;
};

// A problem with one log entry, naming it by what it is or, when it does
// not parse, by what its header claims.
AuditProblem EntryProblem(std::string code, std::string message, const EntryResult& r);

// Checks one log entry (conditions 1-10 and 12-13 of sync/README.md) and
// records what the order-dependent checks need; `in.envelope` is moved from.
void ProcessEntry(LogEntry& in, EntryResult& r, const FormSet& forms);

// --- submissions ---------------------------------------------------------------------

// Who made a submission's first revision: a device key, or the server for
// a coordinator (an index into the auditor's table of names).
struct Creator {
  PublicKey author{};
  uint32_t coordinator = 0;
};

// Everything the log says about one submission, gathered in log order.
struct SubmissionAcc {
  std::vector<MergeInput> revisions;
  std::vector<ReviewInput> reviews;
  std::vector<uint64_t> indices;  // of every envelope counted
  uint32_t form = 0;              // its first revision's form id, interned
  Creator creator;
  bool has_revision = false;
};

// What the auditor computed for a submission, kept (one per submission,
// so kept small) until the submissions table is compared: the merged
// answers only as a digest.
struct MergedSummary {
  Hash answers_digest{};
  std::vector<Hash> heads;
  std::vector<uint64_t> indices;
  Creator creator;
  int64_t conflicts = 0;
  uint32_t form = 0;
  ReviewState review = ReviewState::kReceived;
  bool ok = false;
  bool claimed = false;  // a submissions row names it
};

struct MergeJob {
  SubmissionId id{};
  SubmissionAcc acc;
  MergedSummary result;
  std::string error;
};

// SHA-256 of nlohmann's canonical dump (sorted keys, shortest numbers): how
// merged answers are compared without keeping them.
[[nodiscard]] Hash CanonicalDigest(const nlohmann::json& j);

// Merges one submission's revisions and reviews into job.result (or
// job.error), and frees job.acc.
void RunMerge(MergeJob& job);

}  // namespace dala::sync::internal
