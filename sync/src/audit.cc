// The offline auditor.
//
// WHAT AN AUDIT MUST ESTABLISH, AND FROM WHAT
//
// An auditor holds a bundle the server wrote (bundle.h) and, ideally, three
// things the server did not: the server's public key, learnt out of band;
// checkpoints collected from volunteers or earlier audits; and the receipts
// volunteers' laptops kept. It trusts nothing else. From these it must
// conclude that every record is AUTHENTIC (made by an enrolled volunteer's
// device, or by the server for a named coordinator), UNALTERED (the bytes
// are the bytes that were signed), and COMPLETE (nothing was dropped,
// reordered, forked or slipped in), and that the server's derived tables
// (devices, submissions) say what the log says.
//
// THE CHECKS, AND WHAT EACH PROVES
//
//  1. Every envelope parses (README conditions 1-9) and its Ed25519
//     signature verifies under its author key (condition 10). Proves: each
//     envelope is exactly what the holder of that key signed. It does not
//     prove the key belongs to anyone; check 6 does that.
//  2. Every id the log mentions (parents, `previous`, the heads of the
//     claimed submission state) is the SHA-256 of signed bytes present in
//     the log, and parents are earlier revisions of the same submission.
//     Since ids are hashes of signed bytes, a reference is a commitment to
//     content: an edit cannot be re-parented onto something that is not
//     there.
//  3. Each author's envelopes form one chain: sequences 1..N, no gap, each
//     `previous` the id of the one before, appended in that order, and no
//     sequence twice. A device signs a sequence number once; two different
//     envelopes with the same sequence, both validly signed, are a FORK:
//     the key signed two histories (a cloned laptop, or a stolen key), and
//     both envelopes are the proof. A gap means the server lost or hid an
//     envelope the device provably made (the later one's `previous` chains
//     through it).
//  4. The Merkle root of all log entries, in order, equals the root in the
//     latest checkpoint, the checkpoint is signed by the server key under
//     the log's name, and it covers exactly the log's size; every older
//     checkpoint in the bundle is the root of the matching prefix. Proves:
//     the log is the one the server committed to, byte for byte and in
//     order; any entry dropped, added, altered or moved changes the root.
//  5. Checkpoints and receipts the auditor brings are signed by the server
//     key and agree with the bundle: the root of the bundle's first n
//     entries equals each brought checkpoint of size n. The server cannot
//     produce two different trees for one size without signing both, so a
//     mismatch is a signed proof of a rewritten history; a checkpoint
//     larger than the bundle's log proves the bundle is truncated. Each
//     receipt's envelope must be in the bundle at its leaf index, with its
//     inclusion proof verifying against the receipt's checkpoint; and since
//     every envelope names its predecessor, a receipt for sequence N of a
//     device vouches for 1..N: each must be present.
//  6. Replaying the log in order, enrolments and revocations are signed by
//     the server key (the trust root), and every other envelope at index i
//     is by a key enrolled before i and not revoked before i (condition
//     15). The devices table must say exactly what the events say. Proves:
//     every record is attributable to a volunteer the server vouched for at
//     the time, and the server's device list is not a forgery.
//  7. Every form document hashes to its row's hash, and every revision's
//     form hash names such a document whose id and version match, with
//     answers valid for it at the revision's own time (conditions 12-13).
//     Proves: the answers mean what the form said when they were given.
//  8. Each submission's current state, recomputed from its revisions with
//     the same merge every replica uses (and the review state from review
//     events), equals the server's submissions table; no submission is
//     missing from the table or invented in it. Proves: what coordinators
//     and reports read is what the signed records say.
//
// TOGETHER: 1 and 6 give authenticity (every byte signed by a key the
// server enrolled, enrolments signed by the key the auditor trusts); 1, 2
// and 4 give integrity (ids and the Merkle root commit to every byte); 3, 4
// and 5 give completeness against everything signed outside the bundle
// (device chains and receipts bind what devices made, checkpoints bind what
// the server published), and 8 ties the derived state to the log.
//
// WORKED EXAMPLE
//
// Aigerim's laptop holds a receipt for its envelope sequence 5: leaf 812
// of a tree of 900 entries, with a checkpoint the server signed. The server
// later deletes her sequence 3, rebuilds its log (now 899 entries) and signs
// a fresh checkpoint. The bundle alone is self-consistent: the latest
// checkpoint matches the log, so check 4 passes. But:
//   - check 3: her chain in the bundle reads 1, 2, 4, 5: a gap at 3 (4's
//     `previous` is the id of a 3 that is not there);
//   - check 5: the receipt's checkpoint is validly signed for size 900, and
//     the bundle has 899 entries: the bundle is truncated relative to what
//     the server signed; and the receipt for 5 vouches for 1..5, so 3 is
//     reported missing, with the receipt as proof.
// Had the server also deleted 4 and 5, the chain would look whole, and only
// the receipt would catch it: envelope 5 missing, checkpoint 900 beyond the
// log. That is why volunteers keep receipts.
//
// HOW IT RUNS
//
// The log is streamed in batches and never held whole: a 100,000-entry log
// needs a few tens of MB. Per-envelope work (parse, signature, leaf hash,
// form validation, body parse) runs on every core; the order-dependent
// bookkeeping (chains, enrolment replay, the Merkle tree, grouping by
// submission) runs on the calling thread while the workers verify the next
// batch. A pre-pass reads each entry's 21-byte header to learn where each
// submission's last envelope is, so a submission's revisions are merged as
// soon as they are all seen and then dropped from memory.
//
// WHERE THE PIECES ARE
//
// This file holds the checks and the order-dependent bookkeeping. The work
// the workers do on one entry or one submission is in audit_workers.cc;
// the enrolment replay of check 6, which the trace shares, is in
// enrolment_replay.h; the report's text and JSON are in audit_report.cc;
// receipt files are read by receipt_file.cc; one submission's history is
// traced by trace.cc.

#include "dala/sync/audit.h"

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>
#include <type_traits>
#include <unordered_map>

#include "audit_common.h"
#include "audit_workers.h"
#include "dala/base/worker_pool.h"
#include "dala/schema/form.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merge.h"
#include "dala/sync/merkle.h"
#include "dala/sync/person_keys.h"
#include "dala/sync/verify.h"
#include "enrolment_replay.h"

namespace dala::sync {

using nlohmann::json;

namespace {

using namespace internal;

constexpr size_t kBatchSize = 2048;
constexpr size_t kEntryGrain = 16;

// --- the auditor --------------------------------------------------------------------

struct ChainLink {
  uint64_t sequence = 0;
  uint64_t index = 0;
  Hash id{}, previous{};
};

struct IdInfo {
  uint64_t index = 0;
  EnvelopeKind kind = EnvelopeKind::kRevision;
  SubmissionId submission{};
};

struct PendingParent {
  Hash parent{};
  uint64_t child_index = 0;
  Hash child_id{};
  SubmissionId submission{};
  PublicKey author{};
  uint64_t sequence = 0;
};

struct Batch {
  std::vector<LogEntry> entries;
  std::vector<EntryResult> results;
  size_t count = 0;
};

// What comparing one row of the submissions table found.
struct RowResult {
  std::vector<AuditProblem> problems;
  bool known = false;           // the log has the submission
  bool answers_differ = false;  // explained later, by ExplainAnswerMismatch
};

class Auditor {
 public:
  Auditor(BundleReader& bundle, const AuditOptions& options)
      : bundle_(bundle), options_(options), pool_(std::max(options.threads, 1u) - 1) {}

  Result<AuditReport> Run();

 private:
  // Problems are kept per check so the report reads in the order of the
  // essay above, whatever order they were found in.
  enum Section { kMeta, kEnvelopes, kIds, kChains, kLog, kBrought, kEnrolment, kForms, kState, kSections };
  void Add(Section s, AuditProblem p) { problems_[s].push_back(std::move(p)); }

  void ResolveServerKey();
  void LoadForms();
  Status PrePass();
  Status LogPass();
  // The order-dependent checks of one entry, in log order.
  void Sequential(EntryResult& r, std::vector<MergeJob>* ready);
  void Record(EntryResult& r);
  void CheckAuthorEnrolled(const EntryResult& r);
  void LinkParents(const EntryResult& r);
  void RecordRevision(EntryResult& r, bool by_server, bool by_person);
  void RecordEvent(const EntryResult& r, bool by_server, bool by_person);
  // True when the event enrolled or revoked a key.
  template <typename Replay>
  bool ReplayEnrolment(Replay& replay, const char* what, const EntryResult& r, bool by_server,
                       std::optional<uint64_t> logged_through = std::nullopt);
  void ReplayPersonKeyEvent(const EntryResult& r, bool by_server);
  // The highest sequence of `author` logged so far.
  uint64_t LoggedTip(const PublicKey& author) const;
  // `--strict-after`: notes an envelope that shows the date has passed.
  void NoteClaimedTime(const EntryResult& r, bool by_server, bool by_person);
  void RecordDecision(const EntryResult& r, bool by_decider);
  // README "Decisions": may this signer sign a decision in the name of
  // `by`? Reports the decision, and a problem when it may not.
  bool JudgeDecision(const EntryResult& r, const std::string& by, const char* what);
  void ReportAttestedAfterDate(const EntryResult& r, const std::string& by, const char* what);
  void Finalize(const SubmissionId& id, std::vector<MergeJob>* ready);
  void Harvest(std::vector<MergeJob>& jobs);
  void CheckChains();
  void CheckParents();
  void CheckEvents();
  void CheckCheckpoints();
  void CheckBroughtCheckpoints();
  void CheckReceipts();
  bool CheckReceipt(const ReceiptInput& rc);
  void CheckReceiptEnvelope(const ReceiptInput& rc, const Hash& root, bool well_formed);
  void CheckReceiptChain(const ReceiptInput& rc);
  void CheckDevices();
  Status CheckSubmissions();
  RowResult CompareSubmissionRow(const BundleSubmission& row) const;
  void ReportUnclaimedSubmissions();
  Status ExplainAnswerMismatch(const SubmissionId& id, const MergedSummary& s, const std::string& claimed_json);
  void Tally();
  // The volunteer whose device `author` is, or "unenrolled <key prefix>".
  std::string TallyName(const PublicKey& author) const;
  void Progress(std::string_view phase, uint64_t done, uint64_t total) {
    if (options_.progress) options_.progress(AuditProgress{phase, done, total});
  }
  std::string Who(const PublicKey& key) const;

  BundleReader& bundle_;
  const AuditOptions& options_;
  // The job the workers are running, if any: one at a time, so that the
  // order-dependent work on this thread always knows what is in flight.
  void StartJob(size_t n, size_t grain, std::function<void(size_t, size_t)> body) {
    job_ = pool_.Start(n, grain, std::move(body));
  }
  Status FinishJob() {
    if (!job_) return Status::Ok();
    auto job = std::move(job_);
    job_.reset();
    return job->Finish();
  }
  WorkerPool pool_;
  std::shared_ptr<WorkerPool::Job> job_;
  AuditReport report_;
  std::vector<AuditProblem> problems_[kSections];

  PublicKey server_key_{};
  bool have_server_key_ = false;
  std::string origin_;
  FormSet forms_;

  uint64_t log_rows_ = 0;
  uint64_t expected_index_ = 0;
  MerkleTree tree_;
  HashMap<IdInfo> ids_;
  KeyMap<std::vector<ChainLink>> chains_;
  EnrolmentReplay enrolments_;
  PersonKeyRegistry persons_;
  // `--strict-after`: the first envelope signed by a laptop or a person
  // claiming a time at or after the date. Whatever the log holds after
  // it was made after the date, whatever time the server claims for it.
  struct DatePassed {
    uint64_t index = 0;
    PublicKey author{};
  };
  std::optional<DatePassed> date_passed_;
  std::vector<PendingParent> pending_parents_;
  SubmissionMap<uint64_t> last_index_;
  SubmissionMap<SubmissionAcc> open_;
  SubmissionMap<MergedSummary> merged_;
  // Events about submissions, checked once the whole log is known.
  struct SubmissionRef {
    SubmissionId id{};
    uint64_t index = 0;
    Hash envelope{};
    std::string what;
  };
  std::vector<SubmissionRef> event_refs_;
  // Tallies: by author key, resolved to names at the end; the server's
  // own revisions by the coordinator they were made for.
  std::map<PublicKey, AuditTally> by_author_;
  std::map<std::string, AuditTally> by_coordinator_;
  std::map<std::string, AuditTally> by_form_;
  // Form ids and coordinator names, stored once and referred to by index
  // from the per-submission records. Index 0 is the empty name.
  struct Names {
    std::vector<std::string> names{""};
    std::unordered_map<std::string, uint32_t> index{{"", 0}};
  };
  static uint32_t Intern(Names* table, const std::string& name) {
    auto [it, fresh] = table->index.try_emplace(name, static_cast<uint32_t>(table->names.size()));
    if (fresh) table->names.push_back(name);
    return it->second;
  }
  Names form_names_, coordinator_names_;
};

std::string Auditor::Who(const PublicKey& key) const {
  if (have_server_key_ && key == server_key_) return "the server";
  if (const PersonKey* k = persons_.Find(key)) return "the key of " + k->person;
  const Enrolment* e = enrolments_.Find(key);
  return e == nullptr ? "an unenrolled key" : "volunteer " + e->volunteer;
}

void Auditor::ResolveServerKey() {
  const BundleMeta& meta = bundle_.meta();
  origin_ = meta.origin;
  if (meta.origin.empty())
    Add(kMeta, Problem("meta.invalid", "bundle_meta has no origin: checkpoints cannot be verified"));
  if (!meta.server_key)
    Add(kMeta, Problem("meta.invalid", "bundle_meta server_key is not 64 hex digits: \"" + meta.server_key_hex + "\""));
  if (!meta.exported_ms) Add(kMeta, Problem("meta.invalid", "bundle_meta exported_ms is not an integer"));
  if (!meta.log_size) Add(kMeta, Problem("meta.invalid", "bundle_meta log_size is not an integer"));
  if (options_.trusted_origin && *options_.trusted_origin != meta.origin) {
    Add(kMeta, Problem("server_key.origin_mismatch", "the bundle says its log is \"" + meta.origin +
                                                         "\" but the verifier key given names \"" +
                                                         *options_.trusted_origin + "\""));
    origin_ = *options_.trusted_origin;
  }
  if (options_.trusted_server_key) {
    server_key_ = *options_.trusted_server_key;
    have_server_key_ = true;
    if (meta.server_key && *meta.server_key != server_key_)
      Add(kMeta, Problem("server_key.mismatch", "the bundle claims server key " + KeyPrefix(*meta.server_key) +
                                                    "…, but the key given out of band is " + KeyPrefix(server_key_) +
                                                    "…: nothing the bundle's key signed is trusted"));
  } else if (meta.server_key) {
    server_key_ = *meta.server_key;
    have_server_key_ = true;
    report_.server_key_self_asserted = true;
  }
  report_.server_key = server_key_;
  report_.origin = origin_;
}

void Auditor::LoadForms() {
  auto forms = bundle_.Forms();
  if (!forms.ok()) {
    Add(kForms, Problem("bundle.table_unreadable", forms.status().message()));
    return;
  }
  report_.counts.forms = forms->size();
  for (const BundleForm& f : *forms) {
    Hash actual = Sha256(f.document);
    std::string where = "form " + f.form_id + " " + f.version;
    if (ToHex(actual) != f.hash_hex) {
      Add(kForms,
          Problem("form.hash_mismatch", where + ": the document's SHA-256 is " + IdPrefix(actual) + "…, not the " +
                                            f.hash_hex.substr(0, 12) + "… its row claims: the document was altered"));
    }
    auto form = schema::Form::Load(f.document);
    if (!form.ok()) {
      std::string first = form.status().message().substr(0, form.status().message().find('\n'));
      Add(kForms, Problem("form.unloadable", where + ": the document does not load: " + first));
      continue;
    }
    if ((*form)->id() != f.form_id || (*form)->version() != f.version)
      Add(kForms, Problem("form.metadata_mismatch",
                          where + ": the document itself is " + (*form)->id() + " " + (*form)->version()));
    // Registered under the hash of its actual bytes: a revision naming the
    // original hash of an altered document then finds nothing.
    forms_.Add(actual, *form);
  }
}

Status Auditor::PrePass() {
  DALA_ASSIGN_OR_RETURN(log_rows_, bundle_.LogRowCount());
  // Sized once up front: rehashing maps of 100,000 entries while the
  // workers wait would show in the audit's time.
  ids_.reserve(log_rows_);
  last_index_.reserve(log_rows_);
  return bundle_.ForEachLogPrefix(kEnvelopeSubmissionEnd, [&](uint64_t index, std::string_view head) {
    std::optional<SubmissionId> id = PeekSubmission(head);
    if (id && !IsZero(*id)) last_index_[*id] = index;
    return Status::Ok();
  });
}

Status Auditor::LogPass() {
  report_.counts.log_size = log_rows_;
  merged_.reserve(last_index_.size());
  DALA_ASSIGN_OR_RETURN(LogCursor cursor, bundle_.Log());
  Batch batches[2];
  auto read = [&](Batch& b) -> Status {
    DALA_ASSIGN_OR_RETURN(b.count, cursor.Next(kBatchSize, &b.entries));
    if (b.results.size() < b.count) b.results.resize(b.count);
    return Status::Ok();
  };
  // Runs a batch's entries and the merges made ready so far as one job.
  std::vector<MergeJob> running_merges, ready;
  auto start = [&](Batch* b) {
    running_merges = std::move(ready);
    ready.clear();
    size_t entries = b == nullptr ? 0 : b->count;
    size_t total = entries + running_merges.size();
    StartJob(total, kEntryGrain, [this, b, entries, &running_merges](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        if (i < entries)
          ProcessEntry(b->entries[i], b->results[i], forms_);
        else
          RunMerge(running_merges[i - entries]);
      }
    });
  };

  DALA_RETURN_IF_ERROR(read(batches[0]));
  start(&batches[0]);
  uint64_t done = 0;
  for (size_t k = 0;; ++k) {
    Batch& current = batches[k % 2];
    Batch& next = batches[(k + 1) % 2];
    Status read_status = read(next);
    DALA_RETURN_IF_ERROR(FinishJob());
    DALA_RETURN_IF_ERROR(read_status);
    Harvest(running_merges);
    // The workers verify the next batch while this thread does the
    // order-dependent bookkeeping of the current one.
    start(next.count > 0 ? &next : nullptr);
    for (size_t i = 0; i < current.count; ++i) Sequential(current.results[i], &ready);
    done += current.count;
    Progress("log", done, log_rows_);
    if (next.count == 0) break;
  }
  DALA_RETURN_IF_ERROR(FinishJob());
  Harvest(running_merges);
  // Whatever is still open (only if the pre-pass and this pass disagree,
  // which the read transaction rules out) is merged now.
  std::vector<SubmissionId> left;
  for (auto& [id, acc] : open_) left.push_back(id);
  for (const SubmissionId& id : left) Finalize(id, &ready);
  start(nullptr);
  DALA_RETURN_IF_ERROR(FinishJob());
  Harvest(running_merges);
  return Status::Ok();
}

void Auditor::Harvest(std::vector<MergeJob>& jobs) {
  for (MergeJob& j : jobs) {
    if (!j.result.ok) {
      AuditProblem p = Problem("submission.merge_failed", "its revisions cannot be merged: " + j.error);
      p.submission = j.id;
      p.log_indices = j.result.indices;
      Add(kState, std::move(p));
    }
    merged_[j.id] = std::move(j.result);
  }
  jobs.clear();
}

void Auditor::Finalize(const SubmissionId& id, std::vector<MergeJob>* ready) {
  auto it = open_.find(id);
  if (it == open_.end()) return;
  if (!it->second.has_revision) {
    // Events about a submission no revision created: reported in CheckEvents.
    open_.erase(it);
    return;
  }
  MergeJob job;
  job.id = id;
  job.acc = std::move(it->second);
  open_.erase(it);
  ready->push_back(std::move(job));
}

void Auditor::Sequential(EntryResult& r, std::vector<MergeJob>* ready) {
  if (r.index != expected_index_) {
    AuditProblem p = Problem("log.index_gap",
                             "the log jumps from index " +
                                 (expected_index_ == 0 ? std::string("(start)") : std::to_string(expected_index_ - 1)) +
                                 " to " + std::to_string(r.index) + ": entries are missing");
    p.log_indices = {r.index};
    Add(kLog, std::move(p));
  }
  expected_index_ = r.index + 1;
  tree_.AppendLeafHash(r.leaf);
  for (AuditProblem& p : r.problems) {
    const std::string& c = p.code;
    Section s = c.rfind("envelope.", 0) == 0 ? kEnvelopes : kForms;
    Add(s, std::move(p));
  }
  r.problems.clear();

  if (r.authentic) Record(r);
  if (r.has_header) {
    auto last = last_index_.find(r.header_submission);
    if (last != last_index_.end() && last->second == r.index) Finalize(r.header_submission, ready);
  }
}

void Auditor::Record(EntryResult& r) {
  auto [pos, fresh] = ids_.try_emplace(r.id, IdInfo{r.index, r.kind, r.submission});
  if (!fresh) {
    AuditProblem p = EntryProblem(
        "envelope.duplicate",
        "the same envelope is in the log twice (first at index " + std::to_string(pos->second.index) + ")", r);
    p.log_indices = {pos->second.index, r.index};
    Add(kEnvelopes, std::move(p));
    return;
  }
  chains_[r.author].push_back({r.sequence, r.index, r.id, r.previous});
  const bool by_server = have_server_key_ && r.author == server_key_;
  const bool by_person = !by_server && persons_.Find(r.author) != nullptr;
  if (!by_server && !by_person) CheckAuthorEnrolled(r);
  NoteClaimedTime(r, by_server, by_person);
  LinkParents(r);
  if (r.kind == EnvelopeKind::kRevision)
    RecordRevision(r, by_server, by_person);
  else
    RecordEvent(r, by_server, by_person);
}

// Condition 15, in log order.
void Auditor::CheckAuthorEnrolled(const EntryResult& r) {
  const Enrolment* e = enrolments_.Find(r.author);
  if (e == nullptr) {
    Add(kEnrolment,
        EntryProblem("enrolment.unenrolled_author",
                     "signed by key " + KeyPrefix(r.author) + "…, which no enrolment before this entry vouches for", r));
  } else if (e->revoked) {
    AuditProblem p = EntryProblem("enrolment.revoked_author",
                                  "signed by the device of " + e->volunteer + " after its revocation at index " +
                                      std::to_string(e->revoked_index),
                                  r);
    p.log_indices.push_back(e->revoked_index);
    Add(kEnrolment, std::move(p));
  }
}

// A parent seen before is checked now; one not seen yet is checked once
// the whole log is known (CheckParents).
void Auditor::LinkParents(const EntryResult& r) {
  for (const Hash& parent : r.parents) {
    auto found = ids_.find(parent);
    if (found == ids_.end()) {
      pending_parents_.push_back({parent, r.index, r.id, r.submission, r.author, r.sequence});
    } else if (found->second.kind != EnvelopeKind::kRevision || found->second.submission != r.submission) {
      AuditProblem p = EntryProblem("revision.parent_invalid",
                                    "parent " + IdPrefix(parent) + "… (index " + std::to_string(found->second.index) +
                                        ") is not a revision of the same submission",
                                    r);
      p.log_indices.push_back(found->second.index);
      p.envelope_ids.push_back(parent);
      Add(kIds, std::move(p));
    }
  }
}

void Auditor::RecordRevision(EntryResult& r, bool by_server, bool by_person) {
  ++report_.counts.revisions;
  if (by_server || by_person) JudgeDecision(r, r.by, "correction");
  // A person's key corrects what exists; it never makes a record.
  if (by_person && r.parents.empty())
    Add(kEnrolment, EntryProblem("person_key.not_a_decision",
                                 "a person's key signed a revision without parents: a new record, not a correction", r));
  if (by_server)
    ++by_coordinator_["server for " + (r.by.empty() ? std::string("(no name)") : r.by)].revisions;
  else if (by_person)
    ++by_coordinator_["signed by " + (r.by.empty() ? std::string("(no name)") : r.by)].revisions;
  else
    ++by_author_[r.author].revisions;
  ++by_form_[r.form_id].revisions;
  if (!r.has_answers) return;
  SubmissionAcc& acc = open_[r.submission];
  if (!acc.has_revision) {
    acc.has_revision = true;
    acc.form = Intern(&form_names_, r.form_id);
    acc.creator = {r.author, by_server ? Intern(&coordinator_names_, r.by) : 0};
  }
  acc.revisions.push_back({r.id, std::move(r.parents), r.hlc, r.author, std::move(r.answers_json)});
  r.parents.clear();
  r.answers_json.clear();
  acc.indices.push_back(r.index);
}

void Auditor::RecordEvent(const EntryResult& r, bool by_server, bool by_person) {
  ++report_.counts.events;
  if (!r.has_event) return;
  if (EnrolmentReplay::Concerns(r.event))
    ReplayEnrolment(enrolments_, "device", r, by_server);
  else if (PersonKeyRegistry::Concerns(r.event))
    ReplayPersonKeyEvent(r, by_server);
  else
    RecordDecision(r, by_server || by_person);
}

uint64_t Auditor::LoggedTip(const PublicKey& author) const {
  auto it = chains_.find(author);
  uint64_t tip = 0;
  if (it != chains_.end())
    for (const ChainLink& link : it->second) tip = std::max(tip, link.sequence);
  return tip;
}

// A person key's revocation counts from where the log puts it: the key's
// decisions logged before it stand, later ones do not (D4). The event's
// `through` tells laptops, which see no log positions, where that is; it
// must say what the log says, or laptops would take in what the log
// refuses.
void Auditor::ReplayPersonKeyEvent(const EntryResult& r, bool by_server) {
  const EventBody& ev = r.event;
  PublicKey key{};
  std::optional<uint64_t> tip;
  if (ev.type == "person_key_revoked" && FromHex(ev.key, &key)) tip = LoggedTip(key);
  if (!ReplayEnrolment(persons_, "person key", r, by_server, tip) || !tip || ev.through.empty()) return;
  if (ev.through == std::to_string(*tip)) return;
  Add(kEnrolment, EntryProblem("person_key.wrong_through",
                               "the revocation of " + persons_.Find(key)->person + "'s key " + KeyFingerprint(key) +
                                   " says its decisions up to sequence " + ev.through +
                                   " came before it, but the log holds its decisions up to sequence " +
                                   std::to_string(*tip) + " before it",
                               r));
}

void Auditor::NoteClaimedTime(const EntryResult& r, bool by_server, bool by_person) {
  if (!options_.strict_after_ms || date_passed_ || by_server || r.wall_ms < *options_.strict_after_ms) return;
  const Enrolment* device = enrolments_.Find(r.author);
  if (by_person || (device != nullptr && !device->revoked)) date_passed_ = DatePassed{r.index, r.author};
}

// Check 6: enrolments and revocations (of devices and of people's keys)
// count only when the server signed them; the first word on a key stands
// (enrolment_replay.h, person_keys.h).
template <typename Replay>
bool Auditor::ReplayEnrolment(Replay& replay, const char* what, const EntryResult& r, bool by_server,
                              std::optional<uint64_t> logged_through) {
  const EventBody& ev = r.event;
  if (!by_server) {
    Add(kEnrolment, EntryProblem("enrolment.not_by_server",
                                 "an " + ev.type + " event signed by " + KeyPrefix(r.author) +
                                     "…, not by the server key: ignored",
                                 r));
    return false;
  }
  typename Replay::Applied applied;
  if constexpr (std::is_same_v<Replay, PersonKeyRegistry>)
    applied = replay.Apply(ev, r.index, r.wall_ms, logged_through);
  else
    applied = replay.Apply(ev, r.index, r.wall_ms);
  using Outcome = typename Replay::Outcome;
  const std::string key = std::string(what) + " " + KeyPrefix(applied.key);
  switch (applied.outcome) {
    case Outcome::kEnrolled:
    case Outcome::kRevoked:
      return true;
    case Outcome::kBadKey:
      Add(kEnrolment, EntryProblem("event.invalid", std::string("the ") + what + " key is not hex", r));
      return false;
    case Outcome::kUnknownKey:
      Add(kEnrolment, EntryProblem("enrolment.unknown_device",
                                   "revokes " + key + "…, which was never enrolled", r));
      return false;
    case Outcome::kEnrolledAgain:
    case Outcome::kRevokedAgain: {
      const char* again = applied.outcome == Outcome::kEnrolledAgain ? "enrolled" : "revoked";
      AuditProblem p = EntryProblem("enrolment.repeated",
                                    key + "… is " + again + " again (first at index " +
                                        std::to_string(applied.first_index) + ")",
                                    r);
      p.log_indices.push_back(applied.first_index);
      Add(kEnrolment, std::move(p));
      return false;
    }
  }
  return false;
}

// A review or duplicate decision: a coordinator's, signed by their own key
// or attested by the server; a device's key never signs one.
void Auditor::RecordDecision(const EntryResult& r, bool by_decider) {
  const EventBody& ev = r.event;
  if (!by_decider) {
    Add(kEnrolment, EntryProblem("event.not_by_server",
                                 "a " + ev.type + " decision signed by " + KeyPrefix(r.author) +
                                     "…, neither the server nor a person's key: ignored",
                                 r));
  } else if (!JudgeDecision(r, ev.by, ev.type == "review" ? "review" : "duplicate decision")) {
    // A forged decision changes no state; it is reported as such.
  } else if (IsZero(r.submission)) {
    Add(kEnrolment, EntryProblem("event.invalid", "a " + ev.type + " event without a submission", r));
  } else if (ev.type == "review") {
    auto review = ReviewFromEvent(ev, r.id, r.parents, r.hlc);
    if (!review) {
      Add(kEnrolment, EntryProblem("event.invalid", "review with an unknown state \"" + ev.state + "\"", r));
    } else {
      SubmissionAcc& acc = open_[r.submission];
      acc.reviews.push_back(std::move(*review));
      acc.indices.push_back(r.index);
      event_refs_.push_back({r.submission, r.index, r.id, "review"});
    }
  } else {
    event_refs_.push_back({r.submission, r.index, r.id, "duplicate decision"});
    auto other = ParseSubmissionId(ev.other);
    if (!other.ok())
      Add(kEnrolment, EntryProblem("event.invalid", "duplicate decision naming an invalid submission id", r));
    else
      event_refs_.push_back({*other, r.index, r.id, "duplicate decision (as the other submission)"});
  }
}

bool Auditor::JudgeDecision(const EntryResult& r, const std::string& by, const char* what) {
  DecisionCheck c = CheckDecisionSigner(r.author, by, r.sequence, server_key_, persons_);
  const bool by_person = c.signer == DecisionSigner::kPerson;
  report_.decisions.push_back({r.index, r.id, r.submission, what, by, by_person, r.author, r.wall_ms, c.problem});
  if (!c.ok()) {
    AuditProblem p = EntryProblem(c.problem, c.message, r);
    if (const PersonKey* k = persons_.Find(r.author); k != nullptr && k->revoked) p.log_indices.push_back(k->revoked_index);
    Add(kEnrolment, std::move(p));
    return false;
  }
  if (by_person) {
    ++report_.counts.decisions_signed;
  } else {
    ++report_.counts.decisions_attested;
    ReportAttestedAfterDate(r, by, what);
  }
  return true;
}

// `--strict-after` (BUNDLE.md 13b): the server's own claim of when it
// attested is not trusted alone; a decision logged after a laptop's or a
// person's envelope dated on or after the date was made after it too.
void Auditor::ReportAttestedAfterDate(const EntryResult& r, const std::string& by, const char* what) {
  if (!options_.strict_after_ms) return;
  const bool claims_after = r.wall_ms >= *options_.strict_after_ms;
  if (!claims_after && !date_passed_) return;
  report_.decisions.back().problem = "decision.attested_only";
  std::string when = "made on or after the date from which every decision must be signed by its person";
  if (!claims_after) {
    when = "logged after " + Who(date_passed_->author) + " signed an envelope (index " +
           std::to_string(date_passed_->index) + ") dated on or after the date from which every decision must be "
           "signed by its person, though the server dates it before";
  }
  AuditProblem p = EntryProblem("decision.attested_only",
                                std::string("a ") + what + " of " + (by.empty() ? "(no name)" : by) +
                                    " only the server vouches for, " + when,
                                r);
  if (!claims_after) p.log_indices.push_back(date_passed_->index);
  Add(kEnrolment, std::move(p));
}

void Auditor::CheckChains() {
  for (auto& [author, links] : chains_) {
    std::sort(links.begin(), links.end(), [](const ChainLink& a, const ChainLink& b) {
      return std::tie(a.sequence, a.index) < std::tie(b.sequence, b.index);
    });
    std::string who = Who(author);
    uint64_t expected = 1;
    size_t prev_begin = 0, prev_end = 0;  // the links of sequence expected-1
    for (size_t i = 0; i < links.size();) {
      size_t j = i;
      while (j < links.size() && links[j].sequence == links[i].sequence) ++j;
      uint64_t seq = links[i].sequence;
      if (seq > expected) {
        const bool one = expected == seq - 1;
        AuditProblem p = Problem(
            "chain.gap", "the chain of key " + KeyPrefix(author) + "… (" + who + ") lacks " +
                             (one ? "sequence " : "sequences ") + SequenceRange(expected, seq - 1) +
                             ": the device signed " + (one ? "it" : "them") + " (sequence " + std::to_string(seq) +
                             " chains back through them) but the log does not have " + (one ? "it" : "them"));
        p.author = author;
        p.sequence = expected;
        p.log_indices = {links[i].index};
        p.envelope_ids = {links[i].id};
        Add(kChains, std::move(p));
      }
      if (j - i > 1) {
        AuditProblem p = Problem("chain.fork", "key " + KeyPrefix(author) + "… (" + who + ") signed " +
                                                   std::to_string(j - i) + " different envelopes as sequence " +
                                                   std::to_string(seq) + ": its history forks");
        p.author = author;
        p.sequence = seq;
        for (size_t k = i; k < j; ++k) {
          p.log_indices.push_back(links[k].index);
          p.envelope_ids.push_back(links[k].id);
        }
        Add(kChains, std::move(p));
      }
      if (seq > 1 && seq == expected && prev_end > prev_begin) {
        for (size_t k = i; k < j; ++k) {
          const ChainLink* before = nullptr;
          for (size_t m = prev_begin; m < prev_end; ++m)
            if (links[m].id == links[k].previous) before = &links[m];
          if (before == nullptr) {
            AuditProblem p =
                Problem("chain.broken_link", "sequence " + std::to_string(seq) + " of key " + KeyPrefix(author) +
                                                 "… names as previous " + IdPrefix(links[k].previous) +
                                                 "…, which is not its sequence " + std::to_string(seq - 1));
            p.author = author;
            p.sequence = seq;
            p.log_indices = {links[k].index};
            p.envelope_ids = {links[k].id};
            for (size_t m = prev_begin; m < prev_end; ++m) p.log_indices.push_back(links[m].index);
            Add(kChains, std::move(p));
          } else if (before->index > links[k].index) {
            AuditProblem p = Problem("chain.out_of_order", "sequence " + std::to_string(seq) + " of key " +
                                                               KeyPrefix(author) + "… is in the log before sequence " +
                                                               std::to_string(seq - 1) + ": entries were reordered");
            p.author = author;
            p.sequence = seq;
            p.log_indices = {before->index, links[k].index};
            p.envelope_ids = {before->id, links[k].id};
            Add(kChains, std::move(p));
          }
        }
      }
      prev_begin = i;
      prev_end = j;
      expected = seq + 1;
      i = j;
    }
  }
}

void Auditor::CheckParents() {
  for (const PendingParent& pp : pending_parents_) {
    auto found = ids_.find(pp.parent);
    AuditProblem p;
    if (found == ids_.end()) {
      p = Problem("revision.parent_missing", "names parent " + IdPrefix(pp.parent) + "…, which is not in the log");
    } else {
      p = Problem("revision.parent_after_child", "names parent " + IdPrefix(pp.parent) +
                                                     "…, which the log has only later, at index " +
                                                     std::to_string(found->second.index));
      p.log_indices.push_back(found->second.index);
    }
    p.log_indices.insert(p.log_indices.begin(), pp.child_index);
    p.envelope_ids = {pp.child_id, pp.parent};
    p.submission = pp.submission;
    p.author = pp.author;
    p.sequence = pp.sequence;
    Add(kIds, std::move(p));
  }
}

void Auditor::CheckEvents() {
  for (const SubmissionRef& ref : event_refs_) {
    if (merged_.count(ref.id) > 0) continue;
    AuditProblem p =
        Problem("event.unknown_submission", "a " + ref.what + " about a submission no revision in the log created");
    p.submission = ref.id;
    p.log_indices = {ref.index};
    p.envelope_ids = {ref.envelope};
    Add(kIds, std::move(p));
  }
}

void Auditor::CheckCheckpoints() {
  auto cps = bundle_.Checkpoints();
  if (!cps.ok()) {
    Add(kLog, Problem("bundle.table_unreadable", cps.status().message()));
    return;
  }
  report_.counts.checkpoints = cps->size();
  if (cps->empty()) {
    Add(kLog, Problem("checkpoint.missing", "the bundle has no signed checkpoint: nothing vouches for the log"));
    return;
  }
  if (!have_server_key_) {
    Add(kLog, Problem("checkpoint.bad_signature", "no server key to verify checkpoints with"));
    return;
  }
  for (size_t k = 0; k < cps->size(); ++k) {
    const BundleCheckpoint& row = (*cps)[k];
    const bool latest = k + 1 == cps->size();
    std::string name =
        std::string(latest ? "the latest checkpoint" : "checkpoint") + " (row size " + std::to_string(row.size) + ")";
    auto cp = VerifyCheckpoint(row.note, origin_, server_key_, origin_);
    if (!cp.ok()) {
      Add(kLog,
          Problem("checkpoint.bad_signature", name + " does not verify under the server key " + KeyPrefix(server_key_) +
                                                  "… for " + origin_ + ": " + cp.status().message()));
      continue;
    }
    if (cp->size != row.size)
      Add(kLog, Problem("checkpoint.row_mismatch", name + " is filed under size " + std::to_string(row.size) +
                                                       " but its note says " + std::to_string(cp->size)));
    if (latest && cp->size != log_rows_) {
      Add(kLog,
          Problem("checkpoint.size_mismatch", "the latest signed checkpoint covers " + std::to_string(cp->size) +
                                                  " entries but the log has " + std::to_string(log_rows_) +
                                                  (cp->size > log_rows_ ? ": entries the server signed for are missing"
                                                                        : ": later entries are not vouched for")));
    }
    if (cp->size > log_rows_) {
      if (!latest)
        Add(kLog, Problem("checkpoint.beyond_log", name + " covers " + std::to_string(cp->size) +
                                                       " entries, more than the log's " + std::to_string(log_rows_)));
      continue;
    }
    Hash root = *tree_.RootAt(cp->size);
    if (root != cp->root) {
      AuditProblem p = Problem(latest ? "checkpoint.root_mismatch" : "checkpoint.inconsistent",
                               name + " signs root " + IdPrefix(cp->root) + "… for " + std::to_string(cp->size) +
                                   " entries, but the log's first " + std::to_string(cp->size) + " entries have root " +
                                   IdPrefix(root) + "…: entries were altered, dropped, added or reordered");
      Add(kLog, std::move(p));
    }
  }
}

void Auditor::CheckBroughtCheckpoints() {
  report_.counts.auditor_checkpoints = options_.checkpoints.size();
  for (size_t k = 0; k < options_.checkpoints.size(); ++k) {
    std::string name = "checkpoint #" + std::to_string(k + 1) + " you brought";
    if (!have_server_key_) {
      Add(kBrought, Problem("auditor_checkpoint.bad_signature", name + ": no server key to verify it with"));
      continue;
    }
    auto cp = VerifyCheckpoint(options_.checkpoints[k], origin_, server_key_, origin_);
    if (!cp.ok()) {
      Add(kBrought, Problem("auditor_checkpoint.bad_signature",
                            name + " does not verify under the server key: " + cp.status().message()));
      continue;
    }
    if (cp->size > log_rows_) {
      Add(kBrought,
          Problem("auditor_checkpoint.beyond_log", name + " shows the server signed a log of " +
                                                       std::to_string(cp->size) + " entries; the bundle has only " +
                                                       std::to_string(log_rows_) + ": the bundle is truncated"));
      continue;
    }
    Hash root = *tree_.RootAt(cp->size);
    if (root != cp->root)
      Add(kBrought, Problem("auditor_checkpoint.inconsistent",
                            name + " signs root " + IdPrefix(cp->root) + "… for " + std::to_string(cp->size) +
                                " entries, but the bundle's first " + std::to_string(cp->size) + " have root " +
                                IdPrefix(root) + "…: the server rewrote its history (both are signed)"));
  }
}

// A problem with a receipt the auditor brought, named by where it came from.
AuditProblem ReceiptProblem(const ReceiptInput& rc, std::string code, const std::string& message) {
  std::string name = "receipt" + (rc.source.empty() ? std::string() : " " + rc.source) + " for sequence " +
                     std::to_string(rc.sequence) + " of device " + KeyPrefix(rc.device) + "…";
  AuditProblem p = Problem(std::move(code), name + ": " + message);
  p.author = rc.device;
  p.sequence = rc.sequence;
  p.envelope_ids = {rc.envelope_id};
  return p;
}

void Auditor::CheckReceipts() {
  report_.counts.receipts = options_.receipts.size();
  for (const ReceiptInput& rc : options_.receipts)
    if (CheckReceipt(rc)) CheckReceiptChain(rc);
}

// The receipt's checkpoint against the bundle, then its envelope. False if
// the checkpoint does not verify: a receipt the server did not sign vouches
// for nothing, so its chain is not checked either.
bool Auditor::CheckReceipt(const ReceiptInput& rc) {
  if (!have_server_key_) {
    Add(kBrought, ReceiptProblem(rc, "receipt.bad_checkpoint", "no server key to verify its checkpoint with"));
    return false;
  }
  auto cp = VerifyCheckpoint(rc.checkpoint_note, origin_, server_key_, origin_);
  if (!cp.ok()) {
    Add(kBrought, ReceiptProblem(rc, "receipt.bad_checkpoint",
                                 "its checkpoint does not verify under the server key: " + cp.status().message()));
    return false;
  }
  bool well_formed = true;
  if (rc.tree_size != cp->size || rc.leaf_index >= rc.tree_size) {
    Add(kBrought, ReceiptProblem(rc, "receipt.invalid",
                                 "leaf " + std::to_string(rc.leaf_index) + " of " + std::to_string(rc.tree_size) +
                                     " does not fit its checkpoint of " + std::to_string(cp->size)));
    well_formed = false;
  }
  if (cp->size > log_rows_) {
    Add(kBrought, ReceiptProblem(rc, "receipt.beyond_log",
                                 "the server signed a log of " + std::to_string(cp->size) +
                                     " entries for it; the bundle has only " + std::to_string(log_rows_) +
                                     ": the bundle is truncated"));
  } else if (*tree_.RootAt(cp->size) != cp->root) {
    Add(kBrought, ReceiptProblem(rc, "receipt.checkpoint_inconsistent",
                                 "its checkpoint signs root " + IdPrefix(cp->root) + "… for " +
                                     std::to_string(cp->size) + " entries, but the bundle's first " +
                                     std::to_string(cp->size) +
                                     " differ: the server rewrote its history after issuing the receipt"));
  }
  CheckReceiptEnvelope(rc, cp->root, well_formed);
  return true;
}

// The receipt's envelope is in the bundle, is the device's sequence it
// names, sits at the promised leaf, and its proof leads to `root`.
void Auditor::CheckReceiptEnvelope(const ReceiptInput& rc, const Hash& root, bool well_formed) {
  auto found = ids_.find(rc.envelope_id);
  if (found == ids_.end()) {
    AuditProblem p = ReceiptProblem(rc, "receipt.envelope_missing",
                                    "its envelope " + IdPrefix(rc.envelope_id) +
                                        "… is not in the bundle: the server dropped it");
    p.log_indices = {rc.leaf_index};
    Add(kBrought, std::move(p));
    return;
  }
  const IdInfo& at = found->second;
  bool author_ok = false;
  auto chain = chains_.find(rc.device);
  if (chain != chains_.end())
    for (const ChainLink& l : chain->second)
      if (l.id == rc.envelope_id && l.sequence == rc.sequence) author_ok = true;
  if (!author_ok)
    Add(kBrought, ReceiptProblem(rc, "receipt.invalid",
                                 "envelope " + IdPrefix(rc.envelope_id) + "… is not that device's sequence " +
                                     std::to_string(rc.sequence)));
  if (at.index != rc.leaf_index) {
    AuditProblem p = ReceiptProblem(rc, "receipt.envelope_moved",
                                    "its envelope is at index " + std::to_string(at.index) + ", not at leaf " +
                                        std::to_string(rc.leaf_index) + " as the server promised");
    p.log_indices = {rc.leaf_index, at.index};
    Add(kBrought, std::move(p));
  } else if (well_formed) {
    Status inc = VerifyInclusion(rc.leaf_index, rc.tree_size, tree_.LeafHashAt(rc.leaf_index), rc.proof, root);
    if (!inc.ok()) {
      AuditProblem p =
          ReceiptProblem(rc, "receipt.proof_invalid", "its inclusion proof does not verify: " + inc.message());
      p.log_indices = {rc.leaf_index};
      Add(kBrought, std::move(p));
    }
  }
}

// The chain: sequence N's id covers previous = id of N-1, and so on down
// to 1, so the receipt vouches for every earlier envelope too.
void Auditor::CheckReceiptChain(const ReceiptInput& rc) {
  std::set<uint64_t> present;
  if (auto chain = chains_.find(rc.device); chain != chains_.end())
    for (const ChainLink& l : chain->second)
      if (l.sequence <= rc.sequence) present.insert(l.sequence);
  uint64_t gap_start = 0;
  for (uint64_t s = 1; s <= rc.sequence + 1; ++s) {
    bool missing = s <= rc.sequence && present.count(s) == 0;
    if (missing && gap_start == 0) gap_start = s;
    if (!missing && gap_start != 0) {
      AuditProblem p = ReceiptProblem(rc, "receipt.chain_missing",
                                      "the device's sequence " + SequenceRange(gap_start, s - 1) +
                                          " is missing from the bundle, though the receipt vouches for 1.." +
                                          std::to_string(rc.sequence));
      p.sequence = gap_start;
      Add(kBrought, std::move(p));
      gap_start = 0;
    }
  }
}

// How the devices table's row differs from what the log says, field by
// field: "label x (the log says y)"; empty when it agrees.
std::vector<std::string> DeviceRowDifferences(const BundleDevice& row, const Enrolment& e) {
  std::vector<std::string> wrong;
  auto cmp = [&](const char* field, const auto& claimed, const auto& logged) {
    if (!(claimed == logged)) {
      std::ostringstream s;
      s << field << " " << claimed << " (the log says " << logged << ")";
      wrong.push_back(s.str());
    }
  };
  cmp("volunteer", row.volunteer, e.volunteer);
  cmp("label", row.label, e.label);
  cmp("enrolled_ms", row.enrolled_ms, e.enrolled_ms);
  cmp("enrolled_by", row.enrolled_by, e.enrolled_by);
  cmp("revoked_ms", row.revoked_ms, e.revoked ? e.revoked_ms : int64_t{0});
  cmp("revoked_by", row.revoked_by, e.revoked ? e.revoked_by : std::string());
  cmp("revoke_reason", row.revoke_reason, e.revoked ? e.revoke_reason : std::string());
  return wrong;
}

void Auditor::CheckDevices() {
  report_.counts.devices = enrolments_.devices().size();
  report_.counts.person_keys = persons_.keys().size();
  auto rows = bundle_.Devices();
  if (!rows.ok()) {
    Add(kEnrolment, Problem("bundle.table_unreadable", rows.status().message()));
    return;
  }
  std::set<PublicKey> listed;
  for (const BundleDevice& row : *rows) {
    listed.insert(row.key);
    const Enrolment* e = enrolments_.Find(row.key);
    if (e == nullptr) {
      AuditProblem p = Problem("devices.not_enrolled", "the devices table lists key " + KeyPrefix(row.key) + "… for " +
                                                           row.volunteer +
                                                           ", but no enroll event in the log enrolled it: a forged "
                                                           "enrolment");
      p.author = row.key;
      Add(kEnrolment, std::move(p));
      continue;
    }
    std::vector<std::string> wrong = DeviceRowDifferences(row, *e);
    if (!wrong.empty()) {
      std::string m;
      for (const std::string& w : wrong) m += (m.empty() ? "" : "; ") + w;
      AuditProblem p = Problem("devices.mismatch", "device " + KeyPrefix(row.key) + "…: the devices table says " + m);
      p.author = row.key;
      p.log_indices = {e->enrolled_index};
      if (e->revoked) p.log_indices.push_back(e->revoked_index);
      Add(kEnrolment, std::move(p));
    }
  }
  for (const auto& [key, e] : enrolments_.devices()) {
    if (listed.count(key) > 0) continue;
    AuditProblem p = Problem("devices.missing_row", "the log enrols device " + KeyPrefix(key) + "… of " + e.volunteer +
                                                        ", but the devices table does not list it");
    p.author = key;
    p.log_indices = {e.enrolled_index};
    Add(kEnrolment, std::move(p));
  }
}

std::string HeadsText(const std::vector<Hash>& heads) {
  std::string out = "[";
  for (const Hash& h : heads) out += (out.size() > 1 ? ", " : "") + IdPrefix(h) + "…";
  return out + "]";
}

Status Auditor::CheckSubmissions() {
  DALA_ASSIGN_OR_RETURN(uint64_t total, bundle_.SubmissionCount());
  uint64_t done = 0;
  std::vector<std::pair<SubmissionId, std::string>> answer_mismatches;
  // While the workers compare one batch, this thread reads the next.
  std::vector<BundleSubmission> rows;
  std::vector<RowResult> results;
  bool running = false;
  auto finish = [&]() -> Status {
    if (!running) return Status::Ok();
    running = false;
    DALA_RETURN_IF_ERROR(FinishJob());
    for (size_t i = 0; i < rows.size(); ++i) {
      for (AuditProblem& p : results[i].problems) Add(kState, std::move(p));
      if (results[i].known) merged_[rows[i].id].claimed = true;
      if (results[i].answers_differ) answer_mismatches.emplace_back(rows[i].id, std::move(rows[i].answers_json));
    }
    done += rows.size();
    Progress("submissions", done, total);
    return Status::Ok();
  };
  Status read = bundle_.ForEachSubmissionBatch(512, [&](std::vector<BundleSubmission>& batch) -> Status {
    DALA_RETURN_IF_ERROR(finish());
    rows.swap(batch);
    results.assign(rows.size(), RowResult());
    running = true;
    StartJob(rows.size(), 8, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) results[i] = CompareSubmissionRow(rows[i]);
    });
    return Status::Ok();
  });
  DALA_RETURN_IF_ERROR(finish());
  if (!read.ok()) {
    if (read.code() != Status::Code::kCorruption || read.message().find("bundle table") != 0) return read;
    // Rows after the bad one were never compared, so "missing" would be
    // noise: the unreadable table is the problem.
    Add(kState, Problem("bundle.table_unreadable", read.message()));
    return Status::Ok();
  }
  for (const auto& [id, claimed] : answer_mismatches)
    DALA_RETURN_IF_ERROR(ExplainAnswerMismatch(id, merged_[id], claimed));
  ReportUnclaimedSubmissions();
  return Status::Ok();
}

// Check 8 for one row, on a worker: it only reads what the log pass built.
RowResult Auditor::CompareSubmissionRow(const BundleSubmission& row) const {
  RowResult out;
  auto make = [&](std::string code, std::string message) {
    AuditProblem p = Problem(std::move(code), std::move(message));
    p.submission = row.id;
    return p;
  };
  auto it = merged_.find(row.id);
  if (it == merged_.end()) {
    out.problems.push_back(
        make("submission.not_in_log", "the submissions table lists a submission no revision in the log created"));
    return out;
  }
  out.known = true;
  const MergedSummary& s = it->second;
  if (!s.ok) return out;  // reported as merge_failed
  auto with_indices = [&](AuditProblem p) {
    p.log_indices = s.indices;
    return p;
  };
  const std::string& form_id = form_names_.names[s.form];
  if (row.form_id != form_id)
    out.problems.push_back(with_indices(
        make("submission.form_mismatch", "claimed form " + row.form_id + ", but its revisions are " + form_id)));
  for (const Hash& h : row.heads) {
    if (ids_.count(h) == 0) {
      AuditProblem p = with_indices(
          make("submission.unknown_head", "claimed head " + IdPrefix(h) + "… is not an envelope in the log"));
      p.envelope_ids = {h};
      out.problems.push_back(std::move(p));
    }
  }
  if (row.heads != s.heads)
    out.problems.push_back(with_indices(make("submission.heads_mismatch", "claimed heads " + HeadsText(row.heads) +
                                                                              ", but the log gives " +
                                                                              HeadsText(s.heads))));
  if (row.conflicts != s.conflicts)
    out.problems.push_back(
        with_indices(make("submission.conflicts_mismatch", "claimed " + std::to_string(row.conflicts) +
                                                               " conflicts, but merging its revisions gives " +
                                                               std::to_string(s.conflicts))));
  if (row.review_state != ReviewStateName(s.review))
    out.problems.push_back(
        with_indices(make("submission.review_mismatch", "claimed review state " + row.review_state +
                                                            ", but its review events give " +
                                                            ReviewStateName(s.review))));
  try {
    // An exporter that writes the merge's own text matches byte for byte;
    // anything else is compared as parsed JSON.
    if (Sha256(row.answers_json) != s.answers_digest &&
        CanonicalDigest(json::parse(row.answers_json)) != s.answers_digest)
      out.answers_differ = true;
  } catch (const json::exception&) {
    out.problems.push_back(with_indices(make("submission.answers_mismatch", "claimed answers are not JSON")));
  }
  return out;
}

// Submissions the log has and the table does not list, in log order.
void Auditor::ReportUnclaimedSubmissions() {
  std::vector<std::pair<SubmissionId, const MergedSummary*>> unclaimed;
  for (const auto& [id, s] : merged_)
    if (!s.claimed) unclaimed.emplace_back(id, &s);
  std::sort(unclaimed.begin(), unclaimed.end(),
            [](const auto& a, const auto& b) { return a.second->indices < b.second->indices; });
  for (const auto& [id, s] : unclaimed) {
    AuditProblem p =
        Problem("submission.missing_row", "the log has this submission, but the submissions table does not list it");
    p.submission = id;
    p.log_indices = s->indices;
    Add(kState, std::move(p));
  }
}

// The slow path, for the few submissions whose answers digest differs:
// merge again from the log and compare as JSON values (1 and 1.0 are the
// same answer), naming the fields that differ.
Status Auditor::ExplainAnswerMismatch(const SubmissionId& id, const MergedSummary& s, const std::string& claimed_json) {
  std::vector<MergeInput> revisions;
  std::set<Hash> seen;
  for (uint64_t index : s.indices) {
    DALA_ASSIGN_OR_RETURN(auto bytes, bundle_.LogEntryAt(index));
    if (!bytes) continue;
    auto e = Envelope::Parse(std::move(*bytes));
    if (!e.ok() || e->kind() != EnvelopeKind::kRevision || !seen.insert(e->id()).second) continue;
    auto body = ParseRevisionBody(e->body());
    if (!body.ok()) continue;
    revisions.push_back({e->id(), e->parents(), e->hlc(), e->author(), std::move(body->answers_json)});
  }
  auto merged = Merge(revisions);
  if (!merged.ok()) return Status::Ok();
  json mine = json::parse(merged->answers_json);
  json theirs = json::parse(claimed_json);
  if (mine == theirs) return Status::Ok();
  std::set<std::string> fields;
  if (theirs.is_object()) {
    for (auto it = theirs.begin(); it != theirs.end(); ++it)
      if (!mine.contains(it.key()) || mine[it.key()] != it.value()) fields.insert(it.key());
  }
  for (auto it = mine.begin(); it != mine.end(); ++it)
    if (!theirs.is_object() || !theirs.contains(it.key())) fields.insert(it.key());
  std::string list;
  for (const std::string& f : fields) list += (list.empty() ? "" : ", ") + f;
  AuditProblem p =
      Problem("submission.answers_mismatch", "the claimed answers differ from the merge of its signed revisions" +
                                                 (list.empty() ? std::string() : " in: " + list));
  p.submission = id;
  p.log_indices = s.indices;
  Add(kState, std::move(p));
  return Status::Ok();
}

std::string Auditor::TallyName(const PublicKey& author) const {
  const Enrolment* e = enrolments_.Find(author);
  return e != nullptr ? e->volunteer : "unenrolled " + KeyPrefix(author);
}

void Auditor::Tally() {
  for (const auto& [author, t] : by_author_) report_.by_volunteer[TallyName(author)].revisions += t.revisions;
  for (const auto& [name, t] : by_coordinator_) report_.by_volunteer[name].revisions += t.revisions;
  for (const auto& [id, s] : merged_) {
    const Creator& c = s.creator;
    std::string name;
    if (have_server_key_ && c.author == server_key_) {
      const std::string& by = coordinator_names_.names[c.coordinator];
      name = "server for " + (by.empty() ? std::string("(no name)") : by);
    } else {
      name = TallyName(c.author);
    }
    ++report_.by_volunteer[name].submissions;
    ++by_form_[form_names_.names[s.form]].submissions;
  }
  report_.by_form = by_form_;
  report_.counts.submissions = merged_.size();
}

Result<AuditReport> Auditor::Run() {
  report_.bundle_path = bundle_.path();
  ResolveServerKey();
  LoadForms();
  DALA_RETURN_IF_ERROR(PrePass());
  DALA_RETURN_IF_ERROR(LogPass());
  report_.counts.envelopes = ids_.size();
  report_.root = tree_.Root();
  if (bundle_.meta().log_size && *bundle_.meta().log_size != log_rows_)
    Add(kLog, Problem("log.size_mismatch", "bundle_meta says the log has " + std::to_string(*bundle_.meta().log_size) +
                                               " entries; the log table has " + std::to_string(log_rows_)));
  CheckChains();
  CheckParents();
  CheckEvents();
  CheckCheckpoints();
  CheckBroughtCheckpoints();
  CheckReceipts();
  CheckDevices();
  DALA_RETURN_IF_ERROR(CheckSubmissions());
  Tally();
  for (auto& section : problems_) {
    std::stable_sort(section.begin(), section.end(), [](const AuditProblem& a, const AuditProblem& b) {
      uint64_t ia = a.log_indices.empty() ? UINT64_MAX : a.log_indices.front();
      uint64_t ib = b.log_indices.empty() ? UINT64_MAX : b.log_indices.front();
      return ia < ib;
    });
    for (AuditProblem& p : section) report_.problems.push_back(std::move(p));
  }
  return std::move(report_);
}

}  // namespace

Result<AuditReport> AuditBundle(BundleReader& bundle, const AuditOptions& options) {
  DALA_RETURN_IF_ERROR(InitCrypto());
  Auditor auditor(bundle, options);
  return auditor.Run();
}

}  // namespace dala::sync
