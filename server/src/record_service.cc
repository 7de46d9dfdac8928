#include "record_service.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "dala/base/strings.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/enrolment.h"
#include "dala/sync/hlc.h"
#include "dala/sync/merge.h"

#include "indicator_counts.h"

namespace dala::server {

using nlohmann::json;
using sync::Envelope;
using sync::Hash;
using sync::SubmissionId;

namespace {

// Sync batches from this size on are appended while they are verified.
constexpr size_t kPipelinedBatch = 64;

// The duplicate_group value with which servers before database version 3
// marked a submission declared distinct from all others sharing its key.
constexpr const char* kLegacyClearedDuplicate = "-";

// What `answers` (an object) count for the indicators, for a summary to
// carry: counted from the object a caller already parsed, so that the
// store need not parse the text again to count it.
std::shared_ptr<const AnswerCounts> CountsOf(const json& answers) {
  auto counts = std::make_shared<AnswerCounts>();
  CountAnswers(answers, counts.get());
  return counts;
}

// RefreshSubmission's state of a submission of one revision, from its
// parsed answers (an object): the answers without the fields it sets to
// null (merge.cc), their text, and what they count for the indicators.
// Out of line, so that `scripts/bench --perf` finds it by name.
[[gnu::noinline]] void MakeNewRecordState(json* answers, std::string* text, std::shared_ptr<const AnswerCounts>* counts) {
  for (auto it = answers->begin(); it != answers->end();) it = it->is_null() ? answers->erase(it) : std::next(it);
  *text = answers->dump();
  *counts = CountsOf(*answers);
}

}  // namespace

Result<std::string> NormalizedEnrollCode(std::string_view typed) {
  std::string code = sync::NormalizeEnrollCode(typed);
  if (code.empty())
    return Status(Status::Code::kInvalidArgument, "bad_code",
                  "that is not an enrolment code: it has 12 letters and digits, like K7MX-Q4TR-P2NW");
  return code;
}

Result<std::shared_ptr<RecordService>> RecordService::Start(ServerContext& ctx) {
  std::shared_ptr<RecordService> service(new RecordService(ctx));
  DALA_RETURN_IF_ERROR(service->Load());
  return service;
}

Status RecordService::Load() {
  std::lock_guard<std::mutex> lock(append_mutex_);
  DALA_RETURN_IF_ERROR(CatchUpTree());
  // Never sign a checkpoint older than, or inconsistent with, the last one
  // stored. This catches a log cut short under its checkpoints table; a
  // whole database restored from an old backup restores its checkpoints
  // too and passes here. That rollback is caught by the laptops instead:
  // their next answer's checkpoint does not extend the one they hold.
  DALA_ASSIGN_OR_RETURN(auto last, ctx_.store.LastCheckpoint());
  if (last) {
    auto cp = sync::VerifyCheckpoint(last->second, origin(), server_key(), origin());
    if (!cp.ok()) return Status::Corruption("the stored checkpoint does not verify: " + cp.status().message());
    if (cp->size > tree_.size())
      return Status::Corruption("the log holds " + std::to_string(tree_.size()) +
                                " entries but a checkpoint of " + std::to_string(cp->size) +
                                " was signed: the database was rolled back; refusing to serve");
    DALA_ASSIGN_OR_RETURN(Hash root, tree_.RootAt(cp->size));
    if (root != cp->root) return Status::Corruption("the log does not match the last signed checkpoint");
    checkpoint_ = last->second;
    checkpoint_size_ = cp->size;
  }
  // Submissions a server before database version 3 marked distinct from
  // every other get their per-pair decisions from their events again.
  DALA_ASSIGN_OR_RETURN(auto legacy, ctx_.store.LegacyDistinctSubmissions());
  if (!legacy.empty()) {
    DALA_RETURN_IF_ERROR(ctx_.store.InTransaction([&]() -> Status {
      for (const SubmissionId& id : legacy) DALA_RETURN_IF_ERROR(RefreshSubmission(id));
      return Status::Ok();
    }));
  }
  // Volunteers who had several laptops before the outbox carried laptops'
  // work (database version 4): queue what each laptop lacks. Idempotent,
  // and only volunteers with several laptops cost anything.
  DALA_ASSIGN_OR_RETURN(auto devices, ctx_.store.ListDevices());
  std::map<std::string, int> laptops;
  for (const Device& d : devices) ++laptops[d.volunteer];
  for (const auto& [volunteer, count] : laptops) {
    if (count < 2) continue;
    DALA_RETURN_IF_ERROR(ctx_.store.InTransaction([&, &name = volunteer]() -> Status { return QueueForEveryLaptop(name); }));
  }
  if (checkpoint_.empty() || checkpoint_size_ < tree_.size()) {
    auto note = SignCheckpointLocked();
    if (!note.ok()) return note.status();
  }
  return Status::Ok();
}

Status RecordService::CatchUpTree() {
  DALA_ASSIGN_OR_RETURN(uint64_t size, ctx_.store.LogSize());
  if (size < tree_.size()) return Status::Corruption("the stored log is shorter than the log in memory");
  if (size == tree_.size()) return Status::Ok();
  while (tree_.size() < size) {
    uint64_t start = tree_.size();
    DALA_ASSIGN_OR_RETURN(auto batch, ctx_.store.LogRange(start, std::min(size, start + 10000)));
    if (batch.empty()) return Status::Corruption("the stored log has a gap at " + std::to_string(start));
    for (const StoredEnvelope& e : batch) {
      if (e.log_index != tree_.size()) return Status::Corruption("the stored log has a gap at " + std::to_string(tree_.size()));
      tree_.AppendLeafHash(sync::LeafHash(e.bytes));
    }
  }
  // Another node (or `dala-server` run from the command line) may have
  // signed server envelopes since: the server's HLC continues after its
  // last one, wherever it was signed, so that its chain never goes back.
  DALA_ASSIGN_OR_RETURN(sync::ChainTip tip, ctx_.store.Tip(server_key()));
  if (tip.sequence > 0) {
    DALA_ASSIGN_OR_RETURN(auto stored, ctx_.store.FindEnvelope(tip.id));
    if (stored) {
      auto e = Envelope::Parse(stored->bytes);
      if (e.ok()) server_hlc_ = std::max(server_hlc_, e->hlc().packed);
    }
  }
  return Status::Ok();
}

// The first step of every transaction that appends: no other node appends
// until it ends (LockLog), and the tree takes in what they appended before
// (docs/ARCHITECTURE.md, "Several nodes"). The log size the append then
// uses is the committed one, so two writers never choose one index.
Status RecordService::LockLogAndCatchUp() {
  DALA_RETURN_IF_ERROR(ctx_.store.LockLog());
  return CatchUpTree();
}

Result<std::string> RecordService::StoreCheckpointOfTree() {
  if (tree_.size() < checkpoint_size_) return Status::Internal("refusing to sign a checkpoint smaller than the last");
  sync::Checkpoint cp{origin(), tree_.size(), tree_.Root()};
  std::string note = sync::SignCheckpoint(cp, origin(), ctx_.server_key);
  DALA_RETURN_IF_ERROR(ctx_.store.PutCheckpoint(cp.size, note));
  return note;
}

Result<std::string> RecordService::SignCheckpointLocked() {
  DALA_ASSIGN_OR_RETURN(std::string note, StoreCheckpointOfTree());
  checkpoint_ = note;
  checkpoint_size_ = tree_.size();
  return note;
}

Status RecordService::SignCheckpointIfBehind() {
  if (checkpoint_size_ >= tree_.size()) return Status::Ok();
  auto note = SignCheckpointLocked();
  return note.ok() ? Status::Ok() : note.status();
}

// --- forms --------------------------------------------------------------------------

Result<FormInfo> RecordService::PublishForm(std::string_view document, std::string_view project) {
  DALA_ASSIGN_OR_RETURN(auto form, schema::Form::Load(document));
  FormInfo info;
  info.hash = form->hash_hex();
  info.form_id = form->id();
  info.version = form->version();
  info.project = std::string(project);
  info.published_ms = ctx_.clock.NowMs();
  return ctx_.store.PublishForm(document, info);
}

std::shared_ptr<const schema::Form> RecordService::FindForm(const Hash& hash) const {
  {
    std::lock_guard<std::mutex> lock(forms_mutex_);
    if (auto it = forms_.find(hash); it != forms_.end()) return it->second;
  }
  auto doc = ctx_.store.FormDocument(ToHex(hash));
  if (!doc.ok() || !*doc) return nullptr;
  auto form = schema::Form::Load(**doc);
  if (!form.ok() || (*form)->hash_hex() != ToHex(hash)) return nullptr;
  std::lock_guard<std::mutex> lock(forms_mutex_);
  forms_[hash] = *form;
  return *form;
}

// --- the server's own envelopes ----------------------------------------------------------

Result<Envelope> RecordService::SignServerEnvelope(sync::EnvelopeFields fields, const Envelope* unstored) {
  sync::ChainTip tip;
  if (unstored != nullptr) {
    tip = {unstored->sequence(), unstored->id()};
  } else {
    DALA_ASSIGN_OR_RETURN(tip, ctx_.store.Tip(server_key()));
  }
  sync::HybridClock hlc(ctx_.clock, sync::HlcTimestamp{server_hlc_});
  fields.sequence = tip.sequence + 1;
  fields.previous = tip.id;
  fields.hlc = hlc.Now();
  fields.wall_ms = ctx_.clock.NowMs();
  DALA_ASSIGN_OR_RETURN(std::string bytes, sync::SealEnvelope(std::move(fields), ctx_.server_key));
  DALA_ASSIGN_OR_RETURN(Envelope e, Envelope::Parse(std::move(bytes)));
  server_hlc_ = e.hlc().packed;
  return e;
}

Status RecordService::AppendAll(const std::vector<Envelope>& envelopes, const std::function<Status()>& under_lock) {
  const int64_t now = ctx_.clock.NowMs();
  std::vector<Hash> leaves;
  Status s = ctx_.store.InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(LockLogAndCatchUp());
    if (under_lock) DALA_RETURN_IF_ERROR(under_lock());
    std::set<SubmissionId> touched;
    for (size_t i = 0; i < envelopes.size(); ++i) {
      const Envelope& e = envelopes[i];
      const uint64_t index = tree_.size() + leaves.size();
      leaves.push_back(sync::LeafHash(e.bytes()));
      DALA_RETURN_IF_ERROR(ctx_.store.AppendEnvelope(e, leaves.back(), index, now));
      if (!sync::IsZero(e.submission())) {
        touched.insert(e.submission());
        // Coordinators' actions (all AppendAll appends) go back to the
        // volunteer who owns the record.
        DALA_RETURN_IF_ERROR(QueueDecisionForOwner(e, index));
      }
    }
    for (const SubmissionId& id : touched) DALA_RETURN_IF_ERROR(RefreshSubmission(id));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  // Only after the commit is durable does the tree, and so any checkpoint
  // or cursor, move forward.
  for (const Hash& h : leaves) tree_.AppendLeafHash(h);
  auto note = SignCheckpointLocked();
  return note.ok() ? Status::Ok() : note.status();
}

// --- derived submission state --------------------------------------------------------------

Result<std::string> RecordService::VolunteerOf(const sync::PublicKey& device) {
  // A device belongs to one volunteer for ever (revocation keeps the
  // binding), so the answer can be remembered.
  {
    std::lock_guard<std::mutex> lock(volunteers_mutex_);
    if (auto it = volunteers_.find(device); it != volunteers_.end()) return it->second;
  }
  DALA_ASSIGN_OR_RETURN(auto d, ctx_.store.FindDevice(device));
  if (!d) return std::string();
  std::lock_guard<std::mutex> lock(volunteers_mutex_);
  volunteers_[device] = d->volunteer;
  return d->volunteer;
}

Result<std::string> RecordService::OwnerOf(const SubmissionId& id) {
  DALA_ASSIGN_OR_RETURN(auto envelopes, ctx_.store.EnvelopesOf(id));
  for (const StoredEnvelope& s : envelopes) {
    auto e = Envelope::Parse(s.bytes);
    if (!e.ok() || e->kind() != sync::EnvelopeKind::kRevision || !e->parents().empty()) continue;
    return VolunteerOf(e->author());
  }
  return std::string();
}

Result<std::vector<Hash>> HeadsIn(RecordStore& store, const SubmissionId& id) {
  DALA_ASSIGN_OR_RETURN(auto envelopes, store.EnvelopesOf(id));
  std::vector<sync::MergeInput> inputs;
  for (const StoredEnvelope& s : envelopes) {
    DALA_ASSIGN_OR_RETURN(Envelope e, Envelope::Parse(s.bytes));
    if (e.kind() != sync::EnvelopeKind::kRevision) continue;
    DALA_ASSIGN_OR_RETURN(sync::RevisionBody body, sync::ParseRevisionBody(e.body()));
    inputs.push_back({e.id(), e.parents(), e.hlc(), e.author(), std::move(body.answers_json)});
  }
  DALA_ASSIGN_OR_RETURN(sync::MergedState merged, sync::Merge(inputs));
  return merged.heads;
}

namespace {

// The one revision the stored state has not seen, when it is an edit whose
// only parent is the stored state's only head; otherwise none, and the
// state is merged again from every revision. The stored state saw every
// envelope up to its last_log_index, and log indexes only grow.
std::optional<size_t> OnlyEditOnTheHead(const SubmissionSummary& stored, const std::vector<sync::MergeInput>& revisions,
                                        size_t revisions_since_stored) {
  if (revisions_since_stored != 1 || stored.heads != 1 || stored.conflicts != 0) return std::nullopt;
  // In log order, so the unseen one is the last.
  const size_t edit = revisions.size() - 1;
  if (edit == 0 || revisions[edit].parents.size() != 1) return std::nullopt;
  const Hash& parent = revisions[edit].parents[0];
  bool parent_is_there = false;
  for (size_t i = 0; i < edit; ++i) {
    parent_is_there = parent_is_there || revisions[i].id == parent;
    // A seen revision built on it: it was not the head.
    for (const Hash& p : revisions[i].parents)
      if (p == parent) return std::nullopt;
  }
  if (!parent_is_there) return std::nullopt;
  return edit;
}

}  // namespace

Status RecordService::RefreshSubmission(const SubmissionId& id, const AppendedRevision* newest) {
  std::optional<SubmissionSummary> before;
  if (newest != nullptr && newest->stored != nullptr) {
    before = std::move(*newest->stored);
  } else {
    DALA_ASSIGN_OR_RETURN(before, ctx_.store.FindSubmission(id));
  }
  if (newest != nullptr && before) {
    DALA_ASSIGN_OR_RETURN(bool done, RefreshAfterEditOfOnlyHead(*before, *newest));
    if (done) return Status::Ok();
  }
  DALA_ASSIGN_OR_RETURN(auto envelopes, ctx_.store.EnvelopesOf(id));
  std::vector<sync::MergeInput> revisions;  // answers filled in only where the merge reads them
  std::vector<Envelope> revision_envelopes;
  std::vector<sync::ReviewInput> reviews;
  SubmissionSummary s;
  s.id = id;
  s.created_ms = INT64_MAX;
  uint64_t latest_hlc = 0;
  std::string merged_into;
  std::set<std::string> distinct_from;
  sync::PublicKey creator{};
  bool have_creator = false;
  size_t revisions_since_stored = 0;  // revisions the stored state has not seen
  for (const StoredEnvelope& stored : envelopes) {
    // Verified in full when accepted; here only read again.
    DALA_ASSIGN_OR_RETURN(Envelope e, Envelope::ParseVerified(stored.bytes));
    s.last_log_index = std::max(s.last_log_index, stored.log_index);
    if (e.kind() == sync::EnvelopeKind::kRevision) {
      if (before && stored.log_index > before->last_log_index) ++revisions_since_stored;
      revisions.push_back({e.id(), e.parents(), e.hlc(), e.author(), std::string()});
      s.created_ms = std::min(s.created_ms, e.wall_ms());
      s.updated_ms = std::max(s.updated_ms, e.wall_ms());
      if (e.parents().empty() && !have_creator) {
        creator = e.author();
        have_creator = true;
      }
      if (e.hlc().packed >= latest_hlc) {
        latest_hlc = e.hlc().packed;
        s.form_id = e.form_id();
        s.form_version = e.form_version();
        s.form_hash = ToHex(e.form_hash());
      }
      revision_envelopes.push_back(std::move(e));
      continue;
    }
    DALA_ASSIGN_OR_RETURN(sync::EventBody event, sync::ParseEventBody(e.body()));
    if (event.type == "review") {
      auto state = sync::ParseReviewState(event.state);
      if (state.ok()) reviews.push_back({e.id(), e.parents(), e.hlc(), *state, event.by, event.comment});
    } else if (event.type == "duplicate") {
      // Envelopes come in log order: for each pair, the latest decision
      // stands.
      if (event.decision == "merged_into") {
        merged_into = event.other;
        distinct_from.erase(event.other);
      } else if (event.decision == "not_duplicate") {
        distinct_from.insert(event.other);
        if (merged_into == event.other) merged_into.clear();
      }
    }
  }
  if (revisions.empty()) return Status::Ok();
  // The body was checked when accepted; parsed once here, for its answers.
  auto answers_of = [](const Envelope& e) -> Result<json> {
    json body = json::parse(e.body(), nullptr, false);
    auto a = body.is_object() ? body.find("answers") : body.end();
    if (a == body.end() || !a->is_object()) return Status::Corruption("stored revision " + ToHex(e.id()) + " has no answers");
    return std::move(*a);
  };
  sync::MergedState merged;
  json answers;
  std::optional<size_t> edit = before ? OnlyEditOnTheHead(*before, revisions, revisions_since_stored) : std::nullopt;
  if (edit) {
    answers = json::parse(before->answers_json, nullptr, false);
    // Stored answers that are not an object (a damaged row) are no state to
    // build on; merging every revision writes the row afresh.
    if (!answers.is_object()) {
      edit.reset();
    } else {
      // What the stored answers count, from the object parsed here before
      // the edit changes it: the store would parse the row's text again
      // to take its counts off.
      s.replaced_answers_json = before->answers_json;
      s.replaced_answer_counts = CountsOf(answers);
    }
  }
  if (edit) {
    // Most edits: the state follows from the stored one and the edit alone
    // (merge.cc, "ONE EDIT ON THE ONLY HEAD"), without reading every
    // earlier revision's answers again; not where an integer beyond 2^53
    // makes JSON equality intransitive (sync::HoldsInexactInteger).
    json parsed_edit;
    const json* edited = nullptr;
    if (newest != nullptr && newest->answers != nullptr && newest->envelope->id() == revisions[*edit].id &&
        newest->answers->is_object()) {
      edited = newest->answers;
    } else {
      DALA_ASSIGN_OR_RETURN(parsed_edit, answers_of(revision_envelopes[*edit]));
      edited = &parsed_edit;
    }
    if (sync::HoldsInexactInteger(answers) || sync::HoldsInexactInteger(*edited)) {
      edit.reset();  // merged below from every revision
    } else {
      sync::MergeEditOnOnlyHead(&answers, *edited);
      merged.heads = {revisions[*edit].id};
      merged.answers_json = answers.dump();
    }
  }
  if (!edit && revisions.size() == 1) {
    // One revision is its own state (as Merge would say, without printing
    // and parsing the answers again).
    DALA_ASSIGN_OR_RETURN(answers, answers_of(revision_envelopes[0]));
    for (auto it = answers.begin(); it != answers.end();) it = it->is_null() ? answers.erase(it) : std::next(it);
    merged.heads = {revisions[0].id};
    merged.answers_json = answers.dump();
  } else if (!edit) {
    for (size_t i = 0; i < revisions.size(); ++i) {
      DALA_ASSIGN_OR_RETURN(json a, answers_of(revision_envelopes[i]));
      revisions[i].answers_json = a.dump();
    }
    DALA_ASSIGN_OR_RETURN(merged, sync::Merge(revisions));
    answers = json::parse(merged.answers_json);
  }
  sync::ReviewSummary review = sync::SummarizeReviews(revisions, merged.heads, reviews);
  s.answers_json = merged.answers_json;
  s.heads = static_cast<int>(merged.heads.size());
  s.conflicts = static_cast<int>(merged.conflicts.size());
  s.review_state = sync::ReviewStateName(review.state);
  s.review_by = review.by;
  s.review_comment = review.comment;
  s.changed_since_review = review.changed_since_review;
  s.merged_into = merged_into;
  for (const std::string& other : distinct_from) s.distinct_from += (s.distinct_from.empty() ? "" : ",") + other;
  // The only head, recorded for the next edit's shortcut when that edit
  // could take the state from the row alone: no review to weigh (a review
  // event whose state does not parse is ignored here as there), and the
  // head newer by its clock than every other revision, so that the form
  // stays the edit's whenever the edit is newer than the head.
  if (merged.heads.size() == 1 && merged.conflicts.empty() && reviews.empty()) {
    const sync::MergeInput* head = nullptr;
    for (const sync::MergeInput& r : revisions)
      if (r.id == merged.heads[0]) head = &r;
    bool newest_by_clock = head != nullptr;
    for (const sync::MergeInput& r : revisions)
      newest_by_clock = newest_by_clock && (&r == head || r.hlc.packed < head->hlc.packed);
    if (newest_by_clock) {
      s.only_head = ToHex(head->id);
      s.only_head_hlc = head->hlc.packed;
    }
  }
  if (have_creator) {
    DALA_ASSIGN_OR_RETURN(s.volunteer, VolunteerOf(creator));
  }
  // What the answers count, from the object already parsed: the store
  // would otherwise parse answers_json again to count them.
  s.answer_counts = CountsOf(answers);
  return StoreSummary(std::move(s), answers, before ? &*before : nullptr);
}

Result<bool> RecordService::RefreshAfterEditOfOnlyHead(const SubmissionSummary& before, const AppendedRevision& edit) {
  const Envelope& e = *edit.envelope;
  // The row names its only head (one head, no conflict, no review, the
  // newest revision by its clock); the edit names that head alone and is
  // newer still; nothing else of the record came after the row was
  // written. Then every revision is an ancestor of the edit, and the state
  // follows from the row and the edit (merge.cc, "ONE EDIT ON THE ONLY
  // HEAD"): the edit is the only head, the newest revision (its form), and
  // no review covers it, as there is none; the creator, the duplicate
  // decisions and the first time are the row's.
  if (before.only_head.empty() || before.heads != 1 || before.conflicts != 0 || e.submission() != before.id ||
      e.kind() != sync::EnvelopeKind::kRevision || e.parents().size() != 1 || edit.answers == nullptr ||
      !edit.answers->is_object() || e.hlc().packed <= before.only_head_hlc || edit.log_index <= before.last_log_index ||
      ToHex(e.parents()[0]) != before.only_head)
    return false;
  DALA_ASSIGN_OR_RETURN(uint64_t unseen, ctx_.store.CountEnvelopesOfAfter(before.id, before.last_log_index));
  if (unseen != 1) return false;
  json answers = json::parse(before.answers_json, nullptr, false);
  // A damaged row is no state to build on: the full merge writes it afresh;
  // nor are numbers that make JSON equality intransitive (merge.h).
  if (!answers.is_object() || sync::HoldsInexactInteger(answers) || sync::HoldsInexactInteger(*edit.answers))
    return false;

  SubmissionSummary s;
  s.id = before.id;
  s.replaced_answers_json = before.answers_json;
  s.replaced_answer_counts = CountsOf(answers);
  sync::MergeEditOnOnlyHead(&answers, *edit.answers);
  s.answers_json = answers.dump();
  s.created_ms = std::min(before.created_ms, e.wall_ms());
  s.updated_ms = std::max(before.updated_ms, e.wall_ms());
  s.form_id = e.form_id();
  s.form_version = e.form_version();
  s.form_hash = ToHex(e.form_hash());
  s.last_log_index = edit.log_index;
  s.heads = 1;
  s.review_state = sync::ReviewStateName(sync::ReviewState::kReceived);
  s.volunteer = before.volunteer;
  s.merged_into = before.merged_into;
  s.distinct_from = before.distinct_from;
  s.only_head = ToHex(e.id());
  s.only_head_hlc = e.hlc().packed;
  s.answer_counts = CountsOf(answers);
  DALA_RETURN_IF_ERROR(StoreSummary(std::move(s), answers, &before));
  return true;
}

Status RecordService::RefreshNewSubmission(const Envelope& e, const json& answers, std::string answers_json,
                                           std::shared_ptr<const AnswerCounts> counts, uint64_t log_index) {
  // What RefreshSubmission computes for a submission whose only envelope
  // is `e`, from what the verifying threads made of it.
  SubmissionSummary s;
  s.id = e.submission();
  s.created_ms = s.updated_ms = e.wall_ms();
  s.form_id = e.form_id();
  s.form_version = e.form_version();
  s.form_hash = ToHex(e.form_hash());
  s.last_log_index = log_index;
  s.answers_json = std::move(answers_json);
  s.answer_counts = std::move(counts);
  s.heads = 1;
  s.review_state = sync::ReviewStateName(sync::ReviewState::kReceived);
  s.only_head = ToHex(e.id());
  s.only_head_hlc = e.hlc().packed;
  DALA_ASSIGN_OR_RETURN(s.volunteer, VolunteerOf(e.author()));
  // RefuseInOrder found no row of it in this transaction (or the request
  // would have been refused as reusing an id): the store need not look again.
  return StoreSummary(std::move(s), answers, /*before=*/nullptr, /*known_new=*/true);
}

Status RecordService::StoreSummary(SubmissionSummary s, const json& answers, const SubmissionSummary* before,
                                   bool known_new) {
  // What the record is about, for filters and duplicate detection.
  auto text = [&](const std::string& name) -> std::string {
    auto it = answers.find(name);
    if (it == answers.end()) return "";
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  s.region = text("region");
  s.centre = text("centre");
  // s.form_hash was just printed from a verified envelope, not read back.
  Hash form_hash;
  std::shared_ptr<const schema::Form> form;
  if (FromHex(s.form_hash, &form_hash)) form = FindForm(form_hash);
  if (form && !form->duplicate_key().empty()) {
    std::string key = s.form_id;
    bool complete = true;
    for (const std::string& name : form->duplicate_key()) {
      std::string v = text(name);
      complete = complete && !v.empty();
      key += '\x1f' + v;
      const schema::Question* q = form->Find(name);
      if (q != nullptr && q->type == schema::QuestionType::kDate && s.visit_date.empty()) s.visit_date = v;
      if (s.centre.empty()) s.centre = v;
    }
    if (complete) s.duplicate_key = key;
  }
  // Possible duplicates: same form and key, different volunteers, neither
  // merged away, and not declared distinct from each other.
  if (before == nullptr && s.distinct_from.empty()) {
    auto put_new = [&] { return known_new ? ctx_.store.PutNewSubmission(s) : ctx_.store.PutSubmission(s); };
    // Seen first now: no decision names it yet, so it is a possible
    // duplicate of every live record of another volunteer with its key,
    // and only their flags can change because of it: each now has one.
    if (s.duplicate_key.empty() || !s.merged_into.empty()) return put_new();
    DALA_ASSIGN_OR_RETURN(auto others, ctx_.store.DuplicatePeers(s.form_id, s.duplicate_key, s.volunteer));
    for (const auto& p : others) {
      if (p.id == s.id || !p.merged_into.empty()) continue;
      s.duplicate_group = s.duplicate_key;
      if (p.duplicate_group != s.duplicate_key) DALA_RETURN_IF_ERROR(ctx_.store.SetDuplicateGroup(p.id, s.duplicate_key));
    }
    return put_new();
  }
  // `before` is the row as this refresh read it (or took it from the
  // ownership check), in the transaction it runs in, and nothing has
  // written the row since: the store need not read it again.
  auto put = [&] { return before ? ctx_.store.PutSubmissionOver(s, *before) : ctx_.store.PutSubmission(s); };
  if (before != nullptr && before->duplicate_key == s.duplicate_key && before->merged_into == s.merged_into &&
      before->distinct_from == s.distinct_from && before->volunteer == s.volunteer &&
      before->duplicate_group != kLegacyClearedDuplicate) {
    // An edit that leaves what the record is about alone (most edits)
    // changes no flag.
    s.duplicate_group = before->duplicate_group;
    return put();
  }
  DALA_RETURN_IF_ERROR(put());
  // Its old group, which it may have left, and its new one.
  if (before != nullptr && !before->duplicate_key.empty() && before->duplicate_key != s.duplicate_key)
    DALA_RETURN_IF_ERROR(ReflagDuplicates(before->form_id, before->duplicate_key));
  if (!s.duplicate_key.empty()) DALA_RETURN_IF_ERROR(ReflagDuplicates(s.form_id, s.duplicate_key));
  return Status::Ok();
}

Status RecordService::ReflagDuplicates(const std::string& form_id, const std::string& key) {
  // A member is flagged when some other live member from another
  // volunteer was not declared distinct from it. Counting live members per
  // volunteer and taking away the declared pairs keeps this linear in the
  // group, which in a busy centre on a busy day is large.
  DALA_ASSIGN_OR_RETURN(auto group, ctx_.store.DuplicatePeers(form_id, key));
  std::map<std::string, const RecordStore::DuplicatePeer*> live;  // by formatted id
  std::map<std::string, size_t> live_by_volunteer;
  for (const auto& p : group) {
    if (!p.merged_into.empty()) continue;
    live[sync::FormatSubmissionId(p.id)] = &p;
    ++live_by_volunteer[p.volunteer];
  }
  // A pair is distinct while both records say so. "Not a duplicate" is
  // recorded on both; a later merge of one into the other only on the one
  // merged away, whose own list then drops the pair: its word is the
  // latest. (Between the refreshes of the two, in one transaction, a pair
  // may briefly count as undecided; the second refresh settles it.)
  std::map<std::string, std::set<std::string>> says_distinct;
  for (const auto& [id, p] : live) {
    for (std::string_view other : Split(p->distinct_from, ',', EmptyParts::kSkip))
      says_distinct[id].emplace(other);
  }
  for (const auto& p : group) {
    std::string want;
    if (p.merged_into.empty()) {
      std::string id = sync::FormatSubmissionId(p.id);
      size_t candidates = live.size() - live_by_volunteer[p.volunteer];
      for (const std::string& other : says_distinct[id]) {
        auto q = live.find(other);
        if (q != live.end() && q->second->volunteer != p.volunteer && says_distinct[other].count(id)) --candidates;
      }
      if (candidates > 0) want = key;
    }
    if (want != p.duplicate_group) DALA_RETURN_IF_ERROR(ctx_.store.SetDuplicateGroup(p.id, want));
  }
  return Status::Ok();
}

// --- devices ----------------------------------------------------------------------------------

Status RecordService::QueueForEveryLaptop(const std::string& volunteer) {
  DALA_ASSIGN_OR_RETURN(auto devices, ctx_.store.DevicesOf(volunteer));
  if (devices.size() < 2) return Status::Ok();
  // First the enrolment events that vouch for each laptop's key, so a
  // laptop knows whose revisions it may take in before they arrive...
  DALA_ASSIGN_OR_RETURN(auto events, ctx_.store.EnvelopesOf(SubmissionId{}));
  for (const StoredEnvelope& stored : events) {
    DALA_ASSIGN_OR_RETURN(Envelope e, Envelope::Parse(stored.bytes));
    if (e.author() != server_key() || e.kind() != sync::EnvelopeKind::kEvent) continue;
    auto body = sync::ParseEventBody(e.body());
    // (revocations too, with where each revoked laptop's trusted chain ends)
    if (!body.ok() || (body->type != "enroll" && body->type != "revoke") || body->volunteer != volunteer) continue;
    DALA_RETURN_IF_ERROR(ctx_.store.AddToOutboxOnce(volunteer, stored.log_index, e.author()));
  }
  // ...then every envelope of the volunteer's submissions.
  return ctx_.store.QueueVolunteerHistory(volunteer);
}

Result<RecordService::Enrollment> RecordService::Enroll(std::string_view code, const sync::PublicKey& key,
                                                        std::string_view label) {
  std::lock_guard<std::mutex> lock(append_mutex_);
  DALA_RETURN_IF_ERROR(CatchUpTree());
  if (key == server_key()) return Status::InvalidArgument("that key is the server's own");
  // The laptop's own reading of what was typed (sync/enrolment.h): the
  // stored hash is of that form, and anything else names no code.
  DALA_ASSIGN_OR_RETURN(const std::string normalized, NormalizedEnrollCode(code));
  Enrollment result;
  std::vector<Envelope> event;
  std::string code_hash = ToHex(sync::Sha256(normalized));
  const int64_t now = ctx_.clock.NowMs();
  Status s = ctx_.store.InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(LockLogAndCatchUp());
    DALA_ASSIGN_OR_RETURN(auto existing, ctx_.store.FindDevice(key));
    if (existing) {
      DALA_ASSIGN_OR_RETURN(result.volunteer, EnrolledAgain(*existing, code_hash, now));
      return Status::Ok();
    }
    DALA_ASSIGN_OR_RETURN(AccountStore::EnrollCode c, ctx_.store.ConsumeEnrollCode(code_hash, now));
    sync::EventBody body;
    body.type = "enroll";
    body.by = c.created_by;
    body.device = ToHex(key);
    body.volunteer = c.volunteer;
    body.label = std::string(label);
    sync::EnvelopeFields f;
    f.kind = sync::EnvelopeKind::kEvent;
    f.body = sync::MakeEventBody(body);
    DALA_ASSIGN_OR_RETURN(Envelope e, SignServerEnvelope(std::move(f)));
    DALA_RETURN_IF_ERROR(ctx_.store.AppendEnvelope(e, sync::LeafHash(e.bytes()), tree_.size(), now));
    // The device row says what the signed event says, to the millisecond:
    // the auditor compares them.
    Device d;
    d.key = key;
    d.volunteer = c.volunteer;
    d.label = std::string(label);
    d.enrolled_ms = e.wall_ms();
    d.enrolled_by = c.created_by;
    DALA_RETURN_IF_ERROR(ctx_.store.AddDevice(d));
    // A laptop joining (or replacing) the volunteer's others gets their
    // records, to correct what is sent back wherever they are.
    DALA_RETURN_IF_ERROR(QueueForEveryLaptop(c.volunteer));
    event.push_back(std::move(e));
    result.volunteer = c.volunteer;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  for (const Envelope& e : event) tree_.AppendLeafHash(sync::LeafHash(e.bytes()));
  DALA_RETURN_IF_ERROR(SignCheckpointIfBehind());
  result.checkpoint = checkpoint_;
  return result;
}

Result<std::string> RecordService::EnrolledAgain(const Device& device, const std::string& code_hash, int64_t now) {
  if (device.revoked_ms != 0)
    return Status(Status::Code::kPermissionDenied, "revoked_device",
                  "this laptop's key was revoked; make a new profile (`dala init`) and enrol it with a new code");
  // The key proved itself and is this volunteer's already: answering it
  // again tells it nothing it may not know. A used code of theirs (its
  // answer was lost) answers it, and so does a fresh one, which a
  // coordinator may have issued to a stuck volunteer; that one is used up.
  // Nothing is logged again. Another volunteer's code never does.
  DALA_ASSIGN_OR_RETURN(auto used_by, ctx_.store.UsedEnrollCodeVolunteer(code_hash));
  if (used_by && *used_by == device.volunteer) return device.volunteer;
  if (!used_by) {
    auto fresh = ctx_.store.ConsumeEnrollCode(code_hash, now);
    if (!fresh.ok() && fresh.status().code() != Status::Code::kNotFound) return fresh.status();
    if (fresh.ok() && fresh->volunteer == device.volunteer) return device.volunteer;
  }
  return Status::AlreadyExists("this device is already enrolled");
}

Status RecordService::Revoke(const sync::PublicKey& key, std::string_view by, std::string_view reason) {
  std::lock_guard<std::mutex> lock(append_mutex_);
  DALA_RETURN_IF_ERROR(CatchUpTree());
  DALA_ASSIGN_OR_RETURN(auto device, ctx_.store.FindDevice(key));
  if (!device) return Status::NotFound("no enrolled device " + ToHex(key));
  if (device->revoked_ms != 0) return Status::FailedPrecondition("device " + ToHex(key).substr(0, 16) + " is already revoked");
  sync::EventBody body;
  body.type = "revoke";
  body.by = std::string(by);
  body.device = ToHex(key);
  body.volunteer = device->volunteer;
  body.reason = std::string(reason);
  auto event = AppendServerEvent(
      body,
      [&](const Envelope& e) {
        DALA_RETURN_IF_ERROR(ctx_.store.RevokeDevice(key, by, reason, e.wall_ms()));
        // The tree moves only after the commit, so its size is this event's index.
        return ctx_.store.AddToOutbox(device->volunteer, tree_.size(), e.author());
      },
      [&](sync::EventBody* b) -> Status {
        // The volunteer's other laptops take in this laptop's revisions up
        // to here, which the server accepted while it was trusted, and no
        // later ones: the event says where that is, and goes to them.
        DALA_ASSIGN_OR_RETURN(sync::ChainTip tip, ctx_.store.Tip(key));
        b->through = std::to_string(tip.sequence);
        return Status::Ok();
      });
  return event.ok() ? Status::Ok() : event.status();
}

Result<Envelope> RecordService::AppendServerEvent(sync::EventBody body,
                                                  const std::function<Status(const Envelope&)>& with,
                                                  const std::function<Status(sync::EventBody*)>& prepare) {
  std::optional<Envelope> event;
  Status s = ctx_.store.InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(LockLogAndCatchUp());
    if (prepare) DALA_RETURN_IF_ERROR(prepare(&body));
    sync::EnvelopeFields f;
    f.kind = sync::EnvelopeKind::kEvent;
    f.body = sync::MakeEventBody(body);
    DALA_ASSIGN_OR_RETURN(Envelope e, SignServerEnvelope(std::move(f)));
    DALA_RETURN_IF_ERROR(ctx_.store.AppendEnvelope(e, sync::LeafHash(e.bytes()), tree_.size(), ctx_.clock.NowMs()));
    DALA_RETURN_IF_ERROR(with(e));
    event = std::move(e);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  // Only after the commit is durable does the tree move forward.
  tree_.AppendLeafHash(sync::LeafHash(event->bytes()));
  DALA_RETURN_IF_ERROR(SignCheckpointLocked().status());
  return std::move(*event);
}

// --- sync ----------------------------------------------------------------------------------------

namespace {

// "outbox.forms": how far a device has received each of its two feeds.
struct Cursor {
  int64_t outbox = 0;
  int64_t forms = 0;
};

Result<Cursor> ParseCursor(const std::string& text) {
  Cursor c;
  if (text.empty()) return c;
  size_t dot = text.find('.');
  try {
    if (dot == std::string::npos) throw std::invalid_argument("no dot");
    size_t used = 0;
    c.outbox = std::stoll(text.substr(0, dot), &used);
    if (used != dot) throw std::invalid_argument("junk");
    c.forms = std::stoll(text.substr(dot + 1), &used);
    if (used != text.size() - dot - 1) throw std::invalid_argument("junk");
  } catch (const std::exception&) {
    return Status::InvalidArgument("malformed sync cursor '" + text + "'");
  }
  if (c.outbox < 0 || c.forms < 0) return Status::InvalidArgument("malformed sync cursor '" + text + "'");
  return c;
}

std::string FormatCursor(const Cursor& c) { return std::to_string(c.outbox) + "." + std::to_string(c.forms); }

struct Candidate {
  std::optional<Envelope> envelope;
  std::string code;  // set when refused before the ordered pass
  std::string reason;
  json answers;      // parsed here, on every core, for the append
  Hash leaf{};       // its log leaf hash, likewise
  // A new record's state, likewise: its answers without nulls, as text,
  // and what they count for the indicators.
  std::string new_answers_json;
  std::shared_ptr<const AnswerCounts> new_answer_counts;
};

// Forms looked up once, before the workers start, so that verification
// never waits for the store while the append thread holds it.
class PreloadedForms final : public sync::FormRegistry {
 public:
  std::shared_ptr<const schema::Form> FindForm(const Hash& hash) const override {
    auto it = forms_.find(hash);
    return it == forms_.end() ? nullptr : it->second;
  }
  void Add(const Hash& hash, std::shared_ptr<const schema::Form> form) { forms_[hash] = std::move(form); }

 private:
  std::map<Hash, std::shared_ptr<const schema::Form>> forms_;
};

// Everything about one uploaded envelope that needs no shared state:
// structure, authorship, signature, clock, form and answers. Runs on the
// pool's threads.
void VerifyCandidate(const std::string& bytes, const sync::PublicKey& device, int64_t now, int64_t max_clock_ahead_ms,
                     const sync::FormRegistry& forms, Candidate* out) {
  Candidate& c = *out;
  nlohmann::json body;  // built while Parse checks the body, read by VerifyRevisionContent
  auto e = Envelope::Parse(bytes, &body);
  if (!e.ok()) {
    c.code = "malformed";
    c.reason = e.status().message();
    return;
  }
  if (e->author() != device) {
    c.code = "wrong_author";
    c.reason = "a device may only upload envelopes it signed itself";
  } else if (e->kind() != sync::EnvelopeKind::kRevision) {
    c.code = "not_allowed";
    c.reason = "devices upload revisions only";
  } else if (Status s = e->VerifySignature(); !s.ok()) {
    c.code = "bad_signature";
    c.reason = s.message();
  } else if (int64_t stamped = std::max(static_cast<int64_t>(e->hlc().physical_ms()), e->wall_ms());
             stamped > now + max_clock_ahead_ms) {
    // The claimed wall time is bounded as the HLC is: exports and
    // listings show it, and a record "made" next year is no better.
    c.code = "clock_ahead";
    c.reason = "the record's clock is " + std::to_string((stamped - now) / 60000) +
               " minutes ahead of the server; correct the laptop's date and time";
  } else if (Status s = sync::VerifyRevisionContent(*e, forms, &c.answers, &body); !s.ok()) {
    // Its reason is the rejection code; a failure without one is still
    // a refusal, never an empty code that would let it through.
    c.code = s.reason().empty() ? "invalid_answers" : s.reason();
    c.reason = s.message();
  } else if (e->parents().empty() && !sync::IsUuidV7(e->submission())) {
    // Short ids and time order assume UUIDv7; records made before this
    // rule keep their ids, since only new submissions are checked.
    c.code = "invalid_revision";
    c.reason = "submission id " + sync::FormatSubmissionId(e->submission()) +
               " is not a UUIDv7 (version nibble 7, variant bits 10; RFC 9562)";
  }
  c.envelope = std::move(*e);
  if (!c.code.empty()) return;
  c.leaf = sync::LeafHash(c.envelope->bytes());
  if (c.envelope->parents().empty() && c.answers.is_object()) {
    try {
      MakeNewRecordState(&c.answers, &c.new_answers_json, &c.new_answer_counts);
    } catch (const std::exception&) {
      // Out of memory, say: the append thread makes the record's state
      // from the store instead (RefreshSubmission), as for an edit.
      c.new_answers_json.clear();
      c.new_answer_counts.reset();
    }
  }
}

}  // namespace

// One exchange with a laptop on its way through HandleSync's phases.
struct RecordService::SyncExchange {
  SyncExchange(const Device& d, const sync::SyncRequest& r, int64_t t, Cursor c)
      : device(d), request(r), now(t), cursor(c), candidates(r.envelopes.size()) {}

  void Reject(const Candidate& c, std::string code, std::string reason) {
    response.rejected.push_back({c.envelope ? c.envelope->sequence() : 0, c.envelope ? c.envelope->id() : Hash{},
                                 std::move(code), std::move(reason)});
  }
  // Refuses an envelope that breaks the device's chain where it stands:
  // every later one waits for it.
  void RejectAndBlock(const Candidate& c, std::string code, std::string reason) {
    Reject(c, std::move(code), std::move(reason));
    blocked = true;
    blocked_at = c.envelope->sequence();
  }

  const Device& device;
  const sync::SyncRequest& request;
  const int64_t now;
  Cursor cursor;
  sync::SyncResponse response;

  // 1. Verification, on every core.
  PreloadedForms named_forms;
  std::vector<Candidate> candidates;  // one per request.envelopes
  std::vector<size_t> order;          // in which the ordered pass takes them

  // 2. The ordered pass, in one transaction with the other exchanges of
  // its group.
  uint64_t first_index = 0;  // where its first accepted envelope goes in the log
  sync::ChainTip tip;  // the device's last envelope the server holds
  bool has_other_laptop = false;
  std::map<Hash, SubmissionId> batch_revisions;  // id -> submission, accepted in this batch
  // The forms its new records name, as the store holds them: read once
  // per form and exchange. A retirement committed meanwhile (PostgreSQL
  // does not make it wait) counts as made after this sync.
  std::map<Hash, std::optional<FormInfo>> form_infos;
  std::set<SubmissionId> batch_new_submissions, touched;
  bool blocked = false;
  uint64_t blocked_at = 0;
  uint64_t fork_at = 0;  // the lowest sequence of this request the server holds another envelope at
  std::vector<Hash> leaves;
  std::optional<std::pair<uint64_t, Envelope>> last_accepted;  // its log index, and it
  // The submissions row RefuseInOrder read for candidate stored_row_of.
  std::optional<SubmissionSummary> stored_row;
  size_t stored_row_of = SIZE_MAX;

  // 3. The answer's checkpoint covers the log up to here; 4. the download
  // sends nothing beyond it.
  uint64_t log_size = 0;

  // Set, under append_mutex_, by whichever request appended this one's group.
  bool done = false;
  Status outcome;

  // Back to before the ordered pass, for another try alone after its group failed.
  void ResetOrderedPass() {
    response = {};
    tip = {};
    has_other_laptop = false;
    batch_revisions.clear();
    form_infos.clear();
    batch_new_submissions.clear();
    touched.clear();
    blocked = false;
    blocked_at = 0;
    leaves.clear();
    last_accepted.reset();
    stored_row.reset();
    stored_row_of = SIZE_MAX;
  }

  // Last, so that it is destroyed first: its workers write `candidates`
  // and read the members above.
  std::shared_ptr<WorkerPool::Job> verifier;
};

Result<sync::SyncResponse> RecordService::HandleSync(const Device& device, const sync::SyncRequest& request) {
  DALA_ASSIGN_OR_RETURN(Cursor cursor, ParseCursor(request.cursor));
  SyncExchange x(device, request, ctx_.clock.NowMs(), cursor);
  StartVerification(x);
  // A small batch (what most laptops send) is verified before the append
  // lock is taken, so that other requests append meanwhile; a large one
  // is appended as the pool verifies on, so that one laptop's big upload
  // overlaps the two.
  if (request.envelopes.size() < kPipelinedBatch)
    for (size_t i = 0; i < request.envelopes.size(); ++i) x.verifier->WaitFor(i);
  DALA_RETURN_IF_ERROR(RefuseIfLogIsBehind(device, request));
  DALA_RETURN_IF_ERROR(AppendInGroup(x));
  // What the laptop receives is read from what is committed, and needs no
  // order with other appends: other requests append meanwhile.
  DALA_RETURN_IF_ERROR(AddDownload(x));
  x.response.cursor = FormatCursor(x.cursor);
  return std::move(x.response);
}

// A laptop that verified a checkpoint larger than this log has seen a log
// this server no longer holds: restored from an old copy, or forked. Nothing
// it sends is appended to a log its receipts do not extend, and the
// operator must hear of it. The committed log only grows, and a laptop
// is answered only after its checkpoint is committed, so no lock is needed.
// Nearly every request passes on the last size this server signed; only a
// larger one asks the store, which alone knows what others appended, and
// whose lock a group commit holds until its fsync.
Status RecordService::RefuseIfLogIsBehind(const Device& device, const sync::SyncRequest& request) {
  if (request.checkpoint_size <= checkpoint_size_.load()) return Status::Ok();
  DALA_ASSIGN_OR_RETURN(uint64_t log_size, ctx_.store.LogSize());
  if (request.checkpoint_size <= log_size) return Status::Ok();
  const std::string what = "verified a checkpoint of " + std::to_string(request.checkpoint_size) +
                            " entries, but this server's log holds " + std::to_string(log_size);
  std::cerr << "dala-server: !!! WARNING: laptop " << ToHex(device.key).substr(0, 16) << " of " << device.volunteer
            << " " << what << ": the log was rolled back (restored from an old copy?) or forked\n";
  return Status(Status::Code::kFailedPrecondition, std::string(sync::kLogBehindCheckpoint),
                "this laptop " + what + ": the server's log may have been rolled back");
}

// 1. Everything that needs no shared state, on every core: structure,
//    authorship, signature, form and answers. Returns while the pool
//    works, so that the ordered pass takes each envelope as soon as it is
//    verified: laptops send ascending sequences. Any other order is
//    verified in full here, then sorted.
void RecordService::StartVerification(SyncExchange& x) {
  const std::vector<std::string>& envelopes = x.request.envelopes;
  const size_t n = envelopes.size();
  // The forms the envelopes name, looked up now (peeked at in the header;
  // a malformed envelope is refused later).
  for (const std::string& bytes : envelopes) {
    std::optional<Hash> h = sync::PeekFormHash(bytes);
    if (h && x.named_forms.FindForm(*h) == nullptr) x.named_forms.Add(*h, FindForm(*h));
  }
  auto sequence_at = [&](size_t i) -> uint64_t { return sync::PeekSequence(envelopes[i]).value_or(0); };
  x.order.resize(n);
  for (size_t i = 0; i < n; ++i) x.order[i] = i;
  bool ascending = true;
  for (size_t i = 1; i < n && ascending; ++i) ascending = sequence_at(i - 1) < sequence_at(i);
  // The pool verifies in index order; small batches stay on this thread.
  const int64_t max_ahead = ctx_.config.max_clock_ahead_ms;
  x.verifier = verify_pool_.Start(n, n < kPipelinedBatch ? std::max<size_t>(n, 1) : 16, [&x, max_ahead](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i)
      VerifyCandidate(x.request.envelopes[i], x.device.key, x.now, max_ahead, x.named_forms, &x.candidates[i]);
  });
  if (!ascending) {
    for (size_t i = 0; i < n; ++i) x.verifier->WaitFor(i);
    auto seq_of = [&](size_t i) { return x.candidates[i].envelope ? x.candidates[i].envelope->sequence() : 0; };
    std::stable_sort(x.order.begin(), x.order.end(), [&](size_t a, size_t b) { return seq_of(a) < seq_of(b); });
  }
}

// 2.-3. Group commit: the exchanges that wait for the append lock go
//    through the ordered pass together, in one transaction, and are
//    answered under its checkpoint: one commit (one fsync) and one
//    checkpoint signature for all of them. Each waits for its answer
//    until the commit is durable, as when it went alone.
Status RecordService::AppendInGroup(SyncExchange& x) {
  {
    std::lock_guard<std::mutex> lock(waiting_mutex_);
    waiting_.push_back(&x);
  }
  std::lock_guard<std::mutex> lock(append_mutex_);
  if (x.done) return x.outcome;  // the request that held the lock took it along
  std::vector<SyncExchange*> group;
  {
    std::lock_guard<std::mutex> waiting(waiting_mutex_);
    group.swap(waiting_);
  }
  // Not there only if the group that took it ended in an exception.
  if (std::find(group.begin(), group.end(), &x) == group.end()) {
    x.ResetOrderedPass();
    group.push_back(&x);
  }
  // AppendInOrder catches the tree up itself, under the log's lock.
  const Status committed = AppendInOrder(group);
  if (!committed.ok() && group.size() > 1) {
    // One exchange's failure fails no other: each tries again alone.
    for (SyncExchange* y : group) {
      y->ResetOrderedPass();
      Status alone = AppendInOrder({y});
      y->outcome = alone.ok() ? Answer(*y) : alone;
      y->done = true;
    }
    return x.outcome;
  }
  for (SyncExchange* y : group) {
    y->outcome = committed.ok() ? Answer(*y) : committed;
    y->done = true;
  }
  return x.outcome;
}

// 2. Each exchange in sequence order, against the device's chain: chain
//    links, parents, ownership; each accepted envelope is appended at
//    once, in one transaction for the group, with the checkpoint that
//    covers it and each laptop's last sync. Caller holds append_mutex_.
Status RecordService::AppendInOrder(const std::vector<SyncExchange*>& group) {
  const uint64_t size_before = tree_.size();
  std::string checkpoint;
  Status appended = ctx_.store.InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(LockLogAndCatchUp());
    uint64_t next_index = tree_.size();
    for (SyncExchange* y : group) {
      y->first_index = next_index;
      DALA_RETURN_IF_ERROR(PassInOrder(*y));
      next_index += y->leaves.size();
    }
    // Nothing to append, and no entry of another node's (or of the
    // command line's) to cover: the last checkpoint still stands.
    if (next_index == tree_.size() && checkpoint_size_ >= tree_.size()) return Status::Ok();
    for (SyncExchange* y : group)
      for (const Hash& h : y->leaves) tree_.AppendLeafHash(h);
    DALA_ASSIGN_OR_RETURN(checkpoint, StoreCheckpointOfTree());
    return Status::Ok();
  });
  if (!appended.ok()) {
    // Nothing was stored: the tree grown for the checkpoint is read again
    // from the log as it is.
    if (tree_.size() != size_before) {
      tree_ = sync::MerkleTree();
      if (Status s = CatchUpTree(); !s.ok()) return s;
    }
    return appended;
  }
  // Only after the commit is durable do the checkpoint, and so any cursor
  // or receipt, move forward.
  if (!checkpoint.empty()) {
    checkpoint_ = std::move(checkpoint);
    checkpoint_size_ = tree_.size();
  }
  return Status::Ok();
}

Status RecordService::PassInOrder(SyncExchange& x) {
  DALA_ASSIGN_OR_RETURN(x.tip, ctx_.store.Tip(x.device.key));
  // A volunteer with another laptop gets what this one sends there too.
  if (!x.order.empty()) {
    DALA_ASSIGN_OR_RETURN(auto devices, ctx_.store.DevicesOf(x.device.volunteer));
    for (const Device& d : devices)
      x.has_other_laptop = x.has_other_laptop || (d.key != x.device.key && d.revoked_ms == 0);
  }
  // An edited record's state is made again once, after the last envelope
  // of this batch that names it: there, not after the whole pass, so that
  // it overlaps the verifying of the envelopes after it instead of running
  // alone at the end (most of a batch of edits). The names are peeked from
  // the headers; one peeked wrong only refreshes a record twice, since
  // whatever is touched after its refresh is refreshed at the end.
  std::map<SubmissionId, size_t> last_named;
  for (size_t at = 0; at < x.order.size(); ++at)
    if (auto id = sync::PeekSubmission(x.request.envelopes[x.order[at]])) last_named[*id] = at;
  for (size_t at = 0; at < x.order.size(); ++at) {
    const size_t i = x.order[at];
    x.verifier->WaitFor(i);
    const size_t appended_before = x.leaves.size();
    DALA_RETURN_IF_ERROR(TakeInOrder(x, i));
    const Candidate& c = x.candidates[i];
    if (!c.envelope) continue;
    const SubmissionId& id = c.envelope->submission();
    auto last = last_named.find(id);
    // With the envelope just appended, when it was: an edit that is the
    // only envelope since the record's stored state needs no other.
    if (last != last_named.end() && last->second == at && x.touched.erase(id) > 0) {
      AppendedRevision newest{&*c.envelope, &c.answers, x.first_index + appended_before};
      // Read by the ownership check of this same envelope: only its append
      // (the log, the outbox) came after, which leaves the row as it was.
      if (x.stored_row_of == i) newest.stored = &x.stored_row;
      const bool appended = x.leaves.size() == appended_before + 1;
      DALA_RETURN_IF_ERROR(RefreshSubmission(id, appended ? &newest : nullptr));
    }
  }
  for (const SubmissionId& id : x.touched) DALA_RETURN_IF_ERROR(RefreshSubmission(id));
  // When each laptop last synced, for the dashboard. A failed statement
  // may have ended the transaction, so its failure fails the sync: what
  // follows must not be written outside it.
  return ctx_.store.NoteDeviceSync(x.device.key, x.now);
}

Status RecordService::TakeInOrder(SyncExchange& x, size_t i) {
  const Candidate& c = x.candidates[i];
  if (!c.envelope) {
    x.Reject(c, c.code, c.reason);
    return Status::Ok();
  }
  const Envelope& e = *c.envelope;
  if (e.sequence() <= x.tip.sequence) {
    // Sent again after a lost response: the same envelope is a no-op,
    // a different one with the same sequence is a fork.
    DALA_ASSIGN_OR_RETURN(auto have, ctx_.store.EnvelopeIdAt(x.device.key, e.sequence()));
    if (!have || *have != e.id()) {
      if (x.fork_at == 0 || e.sequence() < x.fork_at) x.fork_at = e.sequence();
      x.Reject(c, "fork", "the server already holds a different envelope with sequence " +
                              std::to_string(e.sequence()) + " from this device");
    }
    return Status::Ok();
  }
  if (x.blocked) {
    x.Reject(c, "held_back", "waits for sequence " + std::to_string(x.blocked_at) + ", which was refused");
    return Status::Ok();
  }
  DALA_ASSIGN_OR_RETURN(bool refused, RefuseInOrder(x, i));
  if (refused) return Status::Ok();
  return AcceptInOrder(x, i);
}

Result<bool> RecordService::RefuseInOrder(SyncExchange& x, size_t i) {
  const Candidate& c = x.candidates[i];
  const Envelope& e = *c.envelope;
  if (!c.code.empty()) {
    x.RejectAndBlock(c, c.code, c.reason);
    return true;
  }
  if (Status s = sync::CheckChainLink(e, x.tip); !s.ok()) {
    x.RejectAndBlock(c, s.code() == Status::Code::kFailedPrecondition ? "gap" : "chain_broken", s.message());
    return true;
  }
  DALA_ASSIGN_OR_RETURN(std::string problem, ParentProblem(x, e));
  if (!problem.empty()) {
    x.RejectAndBlock(c, "unknown_parent", problem);
    return true;
  }
  // A submission belongs to the volunteer whose device created it.
  const bool new_in_batch = x.batch_new_submissions.count(e.submission()) > 0;
  std::optional<std::string> existing;  // its volunteer, when it is stored
  if (!new_in_batch) {
    // The whole row, not its volunteer alone: the refresh of an edit's
    // record, right after its append, starts from it (PassInOrder).
    DALA_ASSIGN_OR_RETURN(x.stored_row, ctx_.store.FindSubmission(e.submission()));
    x.stored_row_of = i;
    if (x.stored_row) existing = x.stored_row->volunteer;
  }
  if (e.parents().empty() && (existing.has_value() || new_in_batch)) {
    x.RejectAndBlock(c, "submission_exists", "a new submission reuses an existing id");
    return true;
  }
  // A retired form takes no new records; those made before keep it.
  if (e.parents().empty()) {
    auto known = x.form_infos.find(e.form_hash());
    if (known == x.form_infos.end()) {
      DALA_ASSIGN_OR_RETURN(auto info, ctx_.store.FindFormInfo(ToHex(e.form_hash())));
      known = x.form_infos.emplace(e.form_hash(), std::move(info)).first;
    }
    const std::optional<FormInfo>& form = known->second;
    if (form && form->retired_ms != 0) {
      x.RejectAndBlock(c, "form_retired", "form " + form->form_id + " version " + form->version +
                                              " was retired; it takes no new records");
      return true;
    }
  }
  if (!e.parents().empty() && existing && !existing->empty() && *existing != x.device.volunteer) {
    x.RejectAndBlock(c, "not_owner", "the submission belongs to another volunteer");
    return true;
  }
  return false;
}

// Parents must be known revisions of the same submission: in the log, or
// accepted earlier in this batch. Empty when they are.
Result<std::string> RecordService::ParentProblem(const SyncExchange& x, const Envelope& e) {
  std::string problem;
  for (const Hash& p : e.parents()) {
    if (auto it = x.batch_revisions.find(p); it != x.batch_revisions.end()) {
      if (it->second != e.submission()) problem = "a parent belongs to another submission";
      continue;
    }
    // By its columns: the envelope was verified when accepted, and its
    // bytes (a kilobyte, parsed again) say nothing more here.
    DALA_ASSIGN_OR_RETURN(auto stored, ctx_.store.FindEnvelopeSubject(p));
    if (!stored) return "parent " + ToHex(p).substr(0, 12) + " is not known to the server";
    if (stored->submission != e.submission() || !stored->revision) problem = "a parent belongs to another submission";
  }
  return problem;
}

Status RecordService::AcceptInOrder(SyncExchange& x, size_t i) {
  const Candidate& c = x.candidates[i];
  const Envelope& e = *c.envelope;
  const uint64_t index = x.first_index + x.leaves.size();
  DALA_RETURN_IF_ERROR(ctx_.store.AppendEnvelope(e, c.leaf, index, x.now));
  x.leaves.push_back(c.leaf);
  if (e.parents().empty()) x.batch_new_submissions.insert(e.submission());
  if (c.new_answer_counts) {
    // A new submission: its state is its answers, made in verification.
    // An edit later in this batch sends it through the full refresh.
    // Copied, not moved: a group that fails takes each exchange again.
    DALA_RETURN_IF_ERROR(RefreshNewSubmission(e, c.answers, c.new_answers_json, c.new_answer_counts, index));
  } else {
    x.touched.insert(e.submission());
  }
  // HLC receive rule: later server events sort after these.
  sync::HybridClock hlc(ctx_.clock, sync::HlcTimestamp{server_hlc_});
  hlc.Observe(e.hlc());
  server_hlc_ = hlc.last().packed;
  x.batch_revisions[e.id()] = e.submission();
  x.tip = {e.sequence(), e.id()};
  if (x.has_other_laptop) DALA_RETURN_IF_ERROR(ctx_.store.AddToOutbox(x.device.volunteer, index, x.device.key));
  x.last_accepted.emplace(index, e);
  return Status::Ok();
}

// 3. The answer: a checkpoint of the log as it now is and the proofs that
//    tie the laptop's view to it. Caller holds append_mutex_.
Status RecordService::Answer(SyncExchange& x) {
  sync::SyncResponse& response = x.response;
  // The tree grew by this batch, or under us (an admin command appended):
  // the checkpoint must cover what the proofs below do.
  DALA_RETURN_IF_ERROR(SignCheckpointIfBehind());
  // A receipt for everything the server claims to hold from this device
  // beyond what the laptop has proof of: the laptop counts nothing as
  // accepted without one.
  // It stops below a fork: a laptop that counted accepted_through alone
  // would otherwise take the server's envelope for its own.
  sync::ChainTip through = x.tip;
  if (x.fork_at != 0 && x.fork_at <= through.sequence) {
    through = {x.fork_at - 1, Hash{}};
    if (through.sequence > 0) {
      DALA_ASSIGN_OR_RETURN(auto id, ctx_.store.EnvelopeIdAt(x.device.key, through.sequence));
      if (!id) return Status::Internal("the device's chain has a hole below a fork");
      through.id = *id;
    }
  }
  if (through.sequence > x.request.receipted_through) {
    uint64_t leaf = 0;
    if (x.last_accepted && x.last_accepted->second.id() == through.id) {
      leaf = x.last_accepted->first;
    } else {
      DALA_ASSIGN_OR_RETURN(auto stored, ctx_.store.FindEnvelope(through.id));
      if (!stored) return Status::Internal("the device's last envelope is not in the log");
      leaf = stored->log_index;
    }
    DALA_ASSIGN_OR_RETURN(auto proof, tree_.InclusionProof(leaf, tree_.size()));
    response.receipt = sync::SyncReceipt{through.sequence, through.id, leaf, std::move(proof)};
  }
  response.accepted_through = through.sequence;
  response.server_time_ms = x.now;
  response.checkpoint = checkpoint_;
  if (x.request.checkpoint_size > 0 && x.request.checkpoint_size <= tree_.size()) {
    DALA_ASSIGN_OR_RETURN(response.consistency, tree_.ConsistencyProof(x.request.checkpoint_size, tree_.size()));
  }
  x.log_size = tree_.size();
  return Status::Ok();
}

// What the laptop should receive: forms published since its cursor, then
// coordinators' actions on its volunteer's records. Forms come first, and
// no action is sent while forms are still to come: the laptop verifies
// each action against its form, and refuses (and so never moves past) one
// whose form it does not have.
Status RecordService::AddDownload(SyncExchange& x) {
  sync::SyncResponse& response = x.response;
  Cursor& cursor = x.cursor;
  const Device& device = x.device;
  size_t budget = ctx_.config.max_response_bytes;
  // Forms asked for again (the laptop set aside envelopes that need them)
  // go first and leave the cursor where it is. An unknown hash is no
  // error: the laptop keeps what it holds and asks again next time.
  for (const Hash& wanted : x.request.forms_wanted) {
    DALA_ASSIGN_OR_RETURN(auto document, ctx_.store.FormDocument(ToHex(wanted)));
    if (!document || (document->size() > budget && !response.forms.empty())) continue;
    budget -= std::min(budget, document->size());
    response.forms.push_back(std::move(*document));
  }
  constexpr size_t kFormsPerAnswer = 20;
  DALA_ASSIGN_OR_RETURN(auto forms, ctx_.store.FormsPublishedAfter(cursor.forms, kFormsPerAnswer + 1));
  bool forms_left = forms.size() > kFormsPerAnswer;
  for (size_t k = 0; k < forms.size() && k < kFormsPerAnswer; ++k) {
    auto& [info, document] = forms[k];
    if (document.size() > budget && !response.forms.empty()) {
      forms_left = true;
      break;
    }
    budget -= std::min(budget, document.size());
    response.forms.push_back(std::move(document));
    cursor.forms = info.publish_seq;
  }
  if (forms_left) {
    response.more = true;
    return Status::Ok();
  }
  // The end is read first: entries queued while this runs come after it
  // and wait for the next exchange.
  DALA_ASSIGN_OR_RETURN(int64_t end, ctx_.store.OutboxEnd(device.volunteer));
  DALA_ASSIGN_OR_RETURN(auto outbox, ctx_.store.Outbox(device.volunteer, device.key, cursor.outbox, end,
                                                       ctx_.config.max_envelopes_per_response));
  bool all_sent = true;
  for (const auto& [outbox_id, log_index] : outbox) {
    // Appended after the answer's checkpoint (by a request since): next time.
    if (log_index >= x.log_size) {
      all_sent = false;
      break;
    }
    DALA_ASSIGN_OR_RETURN(auto range, ctx_.store.LogRange(log_index, log_index + 1));
    if (range.empty() || (range[0].bytes.size() > budget && !response.envelopes.empty())) {
      all_sent = false;
      response.more = !range.empty();
      break;
    }
    budget -= std::min(budget, range[0].bytes.size());
    response.envelopes.push_back(std::move(range[0].bytes));
    cursor.outbox = outbox_id;
  }
  if (outbox.size() == ctx_.config.max_envelopes_per_response) {
    response.more = true;
  } else if (all_sent) {
    // What is left up to the end was signed by this laptop: step over it,
    // or every later sync would look through it again.
    cursor.outbox = std::max(cursor.outbox, end);
  }
  return Status::Ok();
}

// --- coordinator actions attested by the server -------------------------------------------------
// Their envelopes are drafted in record_service_decisions.cc, where people
// who hold a key get the same drafts to sign themselves.

Result<Hash> RecordService::Review(const SubmissionId& id, std::string_view by, std::string_view state,
                                   std::string_view comment) {
  DALA_RETURN_IF_ERROR(RefuseIfKeyed(by));
  DALA_ASSIGN_OR_RETURN(auto drafts, DraftReview(id, by, state, comment));
  return AttestAndAppend(std::move(drafts));
}

Result<Hash> RecordService::Edit(const SubmissionId& id, const CoordinatorEdit& edit) {
  DALA_RETURN_IF_ERROR(RefuseIfKeyed(edit.by));
  DALA_ASSIGN_OR_RETURN(auto drafts, DraftEdit(id, edit));
  return AttestAndAppend(std::move(drafts));
}

Result<Hash> RecordService::DecideDuplicate(const SubmissionId& subject, const SubmissionId& other,
                                            std::string_view decision, std::string_view by) {
  DALA_RETURN_IF_ERROR(RefuseIfKeyed(by));
  DALA_ASSIGN_OR_RETURN(auto drafts, DraftDuplicate(subject, other, decision, by));
  return AttestAndAppend(std::move(drafts));
}

Result<Hash> RecordService::AttestAndAppend(std::vector<sync::EnvelopeFields> drafts) {
  if (drafts.empty()) return Status::Internal("nothing to sign");
  std::lock_guard<std::mutex> lock(append_mutex_);
  std::vector<Envelope> events;
  // Signed under the log's lock: with several nodes, the server's chain
  // continues from the last server envelope any of them appended, so two
  // decisions made at once on two nodes never take the same sequence.
  auto sign = [&]() -> Status {
    events.clear();
    for (const sync::EnvelopeFields& draft : drafts) {
      // Several go in one append, each after the one before.
      DALA_ASSIGN_OR_RETURN(Envelope e, SignServerEnvelope(draft, events.empty() ? nullptr : &events.back()));
      DALA_RETURN_IF_ERROR(sync::VerifyRevisionContent(e, *this));
      events.push_back(std::move(e));
    }
    return Status::Ok();
  };
  DALA_RETURN_IF_ERROR(AppendAll(events, sign));
  return events.front().id();
}

// --- the log -----------------------------------------------------------------------------------

Result<RecordService::LogState> RecordService::CurrentLog() {
  std::lock_guard<std::mutex> lock(append_mutex_);
  DALA_RETURN_IF_ERROR(CatchUpTree());
  DALA_RETURN_IF_ERROR(SignCheckpointIfBehind());
  return LogState{checkpoint_size_.load(), tree_.Root(), checkpoint_};
}

Result<std::vector<Hash>> RecordService::InclusionProof(uint64_t index, uint64_t size) {
  std::lock_guard<std::mutex> lock(append_mutex_);
  return tree_.InclusionProof(index, size);
}

Result<std::vector<Hash>> RecordService::ConsistencyProof(uint64_t size1, uint64_t size2) {
  std::lock_guard<std::mutex> lock(append_mutex_);
  return tree_.ConsistencyProof(size1, size2);
}

}  // namespace dala::server
