#include "audit_workers.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "dala/sync/merkle.h"

namespace dala::sync::internal {

AuditProblem EntryProblem(std::string code, std::string message, const EntryResult& r) {
  AuditProblem p = Problem(std::move(code), std::move(message));
  p.log_indices = {r.index};
  if (r.parsed) {
    p.envelope_ids = {r.id};
    p.author = r.author;
    p.sequence = r.sequence;
    if (!IsZero(r.submission)) p.submission = r.submission;
  } else if (r.has_raw_author) {
    p.author = r.raw_author;
    p.sequence = r.raw_sequence;
    if (!IsZero(r.header_submission)) p.submission = r.header_submission;
  }
  return p;
}

void ProcessEntry(LogEntry& in, EntryResult& r, const FormSet& forms) {
  r.index = in.index;
  r.parsed = r.authentic = r.has_answers = r.has_event = false;
  r.problems.clear();
  r.by.clear();
  r.leaf = LeafHash(in.envelope);
  std::optional<SubmissionId> claimed_submission = PeekSubmission(in.envelope);
  r.has_header = claimed_submission.has_value();
  if (r.has_header) r.header_submission = *claimed_submission;
  // Header fields of a damaged entry, as claimed, to name it in the report.
  std::optional<PublicKey> claimed_author = PeekAuthor(in.envelope);
  std::optional<uint64_t> claimed_sequence = PeekSequence(in.envelope);
  r.has_raw_author = claimed_author && claimed_sequence;
  if (r.has_raw_author) {
    r.raw_author = *claimed_author;
    r.raw_sequence = *claimed_sequence;
  }

  nlohmann::json body;  // built while Parse checks the body, read by CheckRevision
  auto parsed = Envelope::Parse(std::move(in.envelope), &body);
  if (!parsed.ok()) {
    r.problems.push_back(EntryProblem("envelope.malformed", parsed.status().message(), r));
    return;
  }
  const Envelope& e = *parsed;
  r.parsed = true;
  r.kind = e.kind();
  r.submission = e.submission();
  r.author = e.author();
  r.sequence = e.sequence();
  r.id = e.id();
  r.previous = e.previous();
  r.hlc = e.hlc();
  r.wall_ms = e.wall_ms();
  r.parents = e.parents();
  r.form_id = e.form_id();
  if (!e.VerifySignature().ok()) {
    r.problems.push_back(EntryProblem("envelope.bad_signature",
                                      "the signature does not verify under the author key: the bytes are not "
                                      "what the author signed",
                                      r));
    return;
  }
  r.authentic = true;
  if (e.kind() == EnvelopeKind::kRevision) {
    // ParseRevisionBody and VerifyRevisionContent in one parse of the body.
    auto checked = CheckRevision(e, forms, &body);
    if (!checked.ok()) {
      r.problems.push_back(EntryProblem("revision.body_invalid", checked.status().message(), r));
      return;
    }
    r.answers_json = std::move(checked->body.answers_json);
    r.by = std::move(checked->body.by);
    r.has_answers = true;
    const Status& content = checked->content;
    if (!content.ok()) {
      const char* code = content.reason() == "unknown_form"       ? "revision.form_unknown"
                         : content.reason() == "invalid_revision" ? "revision.form_mismatch"
                                                                  : "revision.answers_invalid";
      r.problems.push_back(EntryProblem(code, content.message(), r));
    }
  } else {
    auto event = ParseEventBody(e.body());
    if (!event.ok()) {
      r.problems.push_back(EntryProblem("event.invalid", event.status().message(), r));
      return;
    }
    r.event = std::move(*event);
    r.has_event = true;
  }
}

Hash CanonicalDigest(const nlohmann::json& j) { return Sha256(j.dump()); }

void RunMerge(MergeJob& job) {
  MergedSummary& s = job.result;
  s.form = job.acc.form;
  s.creator = job.acc.creator;
  s.indices = std::move(job.acc.indices);
  const std::vector<MergeInput>& revisions = job.acc.revisions;
  // Most submissions are one revision with no parents. Merge's state for it
  // is heads {id}, no conflict, and its answers without the fields it sets
  // to null (a root assigns exactly its non-null fields: merge.cc). When
  // the answers' canonical text holds no null at all, that is the text
  // itself, so Merge's per-field bookkeeping, most of the audit's merging
  // time, is skipped. AuditTest.SingleRevisionStateEqualsMerge pins this.
  if (revisions.size() == 1 && revisions[0].parents.empty() &&
      revisions[0].answers_json.find("null") == std::string::npos) {
    s.ok = true;
    s.heads = {revisions[0].id};
    s.conflicts = 0;
    s.review = SummarizeReviews(revisions, s.heads, job.acc.reviews).state;
    s.answers_digest = Sha256(revisions[0].answers_json);
    job.acc = SubmissionAcc();
    return;
  }
  auto merged = Merge(job.acc.revisions);
  if (!merged.ok()) {
    job.error = merged.status().message();
    return;
  }
  s.ok = true;
  s.heads = merged->heads;
  s.conflicts = static_cast<int64_t>(merged->conflicts.size());
  s.review = SummarizeReviews(job.acc.revisions, merged->heads, job.acc.reviews).state;
  // Merge's answers are already nlohmann's canonical dump (sorted keys,
  // shortest numbers), the same text CanonicalDigest hashes.
  s.answers_digest = Sha256(merged->answers_json);
  job.acc = SubmissionAcc();
}


}  // namespace dala::sync::internal
