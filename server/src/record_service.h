// RecordService: the server's records core, without HTTP.
//
// It owns the in-memory Merkle tree of the transparency log and the
// server's own signing chain, and is the only code that appends to the
// log: device uploads (HandleSync), enrolments and revocations, and the
// coordinators' edits, resolutions and review decisions: signed by the
// coordinator's own key when they have one (record_service_decisions.cc),
// else attested by the server, naming the coordinator inside the signed
// bytes.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dala/base/worker_pool.h"
#include "dala/schema/form.h"
#include "dala/server/store.h"
#include "dala/sync/merkle.h"
#include "dala/sync/protocol.h"
#include "dala/sync/verify.h"
#include "server_context.h"

namespace dala::server {

// What a coordinator asks the server to sign.
struct CoordinatorEdit {
  std::string by;            // the coordinator's user name
  std::string answers_json;  // the complete new answers
  std::string note;
  // The heads the coordinator saw (and built the answers on). A revision
  // that arrived meanwhile is then concurrent with this edit, and the
  // merge flags any field both changed, instead of the edit silently
  // overwriting it. Empty: the current heads.
  std::vector<sync::Hash> parents;
};

// An enrolment code as typed (any case, dashes, spaces) in the canonical
// form of sync::NormalizeEnrollCode, the laptop's own reading; text that
// cannot be a code is refused with reason bad_code.
Result<std::string> NormalizedEnrollCode(std::string_view typed);

// A submission's current heads, merged from its envelopes in `store`.
Result<std::vector<sync::Hash>> HeadsIn(RecordStore& store, const sync::SubmissionId& id);

// The UTC offset of the place a record was made: that of its newest
// revision signed on a laptop (a coordinator's correction is made in the
// record's zone, not the server's); `fallback` when it has none.
int32_t RecordUtcOffset(const std::vector<sync::Envelope>& envelopes, int32_t fallback);

class RecordService : public sync::FormRegistry {
 public:
  static Result<std::shared_ptr<RecordService>> Start(ServerContext& ctx);

  // --- forms
  Result<FormInfo> PublishForm(std::string_view document, std::string_view project);
  std::shared_ptr<const schema::Form> FindForm(const sync::Hash& hash) const override;

  // --- devices
  struct Enrollment {
    std::string volunteer;
    std::string checkpoint;
  };
  // Consumes the code, binds the key to its volunteer, and logs the
  // enrolment as a server-signed event, all in one transaction. Asked
  // again by a key already enrolled (its answer was lost), it answers
  // again, logging nothing, when the code is one of its volunteer's, used
  // (even expired) or unused (then used up); otherwise AlreadyExists.
  // Text that is no code at all is refused as bad_code, an unknown, used
  // or expired code as NotFound.
  Result<Enrollment> Enroll(std::string_view code, const sync::PublicKey& key, std::string_view label);
  Status Revoke(const sync::PublicKey& key, std::string_view by, std::string_view reason);

  // --- sync
  Result<sync::SyncResponse> HandleSync(const Device& device, const sync::SyncRequest& request);

  // --- people's keys and the decisions they sign (record_service_decisions.cc)
  // Consumes the code an admin issued for `person`, checks the proof of
  // possession, and logs a server-signed person_key_enrolled event.
  Result<PersonKeyRow> EnrollPersonKey(const User& person, std::string_view code, const sync::PublicKey& key,
                                       const sync::Signature& proof, std::string_view label);
  Status RevokePersonKey(const sync::PublicKey& key, std::string_view by, std::string_view reason);
  // Whether `person` ever had a key: the server then signs nothing in their
  // name (sync/README.md, "Decisions").
  Result<bool> SignsOwnDecisions(std::string_view person);
  // A decision as the server would sign it, every field but the signer's
  // chain, clocks and signature: for a person to check, complete and sign.
  // A duplicate "not_duplicate" is two envelopes, one on each record.
  Result<std::vector<sync::EnvelopeFields>> DraftReview(const sync::SubmissionId& id, std::string_view by,
                                                        std::string_view state, std::string_view comment);
  Result<std::vector<sync::EnvelopeFields>> DraftEdit(const sync::SubmissionId& id, const CoordinatorEdit& edit);
  Result<std::vector<sync::EnvelopeFields>> DraftDuplicate(const sync::SubmissionId& subject,
                                                           const sync::SubmissionId& other,
                                                           std::string_view decision, std::string_view by);
  // Verifies decisions `person` signed with their key and appends them
  // unchanged, all or none; returns their ids.
  Result<std::vector<sync::Hash>> AppendSignedDecisions(const User& person, const std::vector<std::string>& envelopes);
  // The HLC after which a decision drafted now must be stamped.
  uint64_t hlc_floor();

  // --- coordinator actions attested by the server, for people without a
  // key (FailedPrecondition "decision_must_be_signed" for the others);
  // each returns the new envelope's id
  Result<sync::Hash> Review(const sync::SubmissionId& id, std::string_view by, std::string_view state,
                            std::string_view comment);
  Result<sync::Hash> Edit(const sync::SubmissionId& id, const CoordinatorEdit& edit);
  // Marks `duplicate` as merged into `keep` ("merged_into"), or records that
  // the two are distinct ("not_duplicate").
  Result<sync::Hash> DecideDuplicate(const sync::SubmissionId& subject, const sync::SubmissionId& other,
                                     std::string_view decision, std::string_view by);

  // --- the log
  struct LogState {
    uint64_t size = 0;
    sync::Hash root{};
    std::string checkpoint;
  };
  Result<LogState> CurrentLog();
  Result<std::vector<sync::Hash>> InclusionProof(uint64_t index, uint64_t size);
  Result<std::vector<sync::Hash>> ConsistencyProof(uint64_t size1, uint64_t size2);

  // A revision appended in the caller's transaction just before a refresh
  // of its record, with its answers as its verification parsed them.
  struct AppendedRevision {
    const sync::Envelope* envelope = nullptr;
    const nlohmann::json* answers = nullptr;
    uint64_t log_index = 0;
    // The record's row as this transaction read it before the append, with
    // nothing written to it since (none when there was no row): the
    // refresh takes it instead of reading it again. Null: read it.
    std::optional<SubmissionSummary>* stored = nullptr;
  };
  // Recomputes the derived state of one submission from its envelopes.
  // `newest`, when given, is the revision just appended: an edit on the
  // only head the row names is merged from the row and it alone, and its
  // answers are not parsed again.
  Status RefreshSubmission(const sync::SubmissionId& id, const AppendedRevision* newest = nullptr);
  // The submission's current heads, from its envelopes.
  Result<std::vector<sync::Hash>> Heads(const sync::SubmissionId& id) { return HeadsIn(ctx_.store, id); }

  const sync::PublicKey& server_key() const { return ctx_.server_key.public_key(); }
  const std::string& origin() const { return ctx_.config.origin; }

 private:
  explicit RecordService(ServerContext& ctx) : ctx_(ctx) {}
  Status Load();
  // Enroll for a key already enrolled as `device`: its volunteer, or why
  // not. Runs inside Enroll's transaction.
  Result<std::string> EnrolledAgain(const Device& device, const std::string& code_hash, int64_t now);
  // Brings the in-memory tree up to the stored log (another process, such
  // as an admin command, may have appended). Caller holds append_mutex_.
  Status CatchUpTree();
  // Appends `envelopes` (already verified) and their consequences inside
  // one transaction, then extends the tree and signs a checkpoint. Caller
  // holds append_mutex_.
  // `under_lock`, when set, runs first inside the transaction, once the
  // log is locked and caught up, and may fill `envelopes` (the server's own,
  // which must be signed after every other node's last server envelope).
  Status AppendAll(const std::vector<sync::Envelope>& envelopes, const std::function<Status()>& under_lock = nullptr);
  // Signs the server's next envelope: after its last stored one, or after
  // `unstored`, signed but not yet appended, when one call appends several.
  // Caller holds append_mutex_ and runs inside a transaction.
  Result<sync::Envelope> SignServerEnvelope(sync::EnvelopeFields fields, const sync::Envelope* unstored = nullptr);
  // Signs `body` as the server's next event and appends it, with `with`
  // (the row that says the same) in one transaction, after `prepare`, if
  // given, completed the body there; then grows the tree and signs a
  // checkpoint. Caller holds append_mutex_.
  Result<sync::Envelope> AppendServerEvent(sync::EventBody body,
                                           const std::function<Status(const sync::Envelope&)>& with,
                                           const std::function<Status(sync::EventBody*)>& prepare = nullptr);
  // Signs a checkpoint of the tree as it is and stores it, for the caller
  // to make current once it is durable. Caller holds append_mutex_.
  Result<std::string> StoreCheckpointOfTree();
  Result<std::string> SignCheckpointLocked();
  // Signs a checkpoint when the tree has grown past the last one. Caller
  // holds append_mutex_.
  Status SignCheckpointIfBehind();

  // --- HandleSync's phases and their steps (record_service.cc); the
  // exchange carries the request, the verified candidates and the answer
  // from one to the next.
  struct SyncExchange;
  void StartVerification(SyncExchange& x);
  Status RefuseIfLogIsBehind(const Device& device, const sync::SyncRequest& request);
  // Appends and answers `x`, or waits while another request does, with
  // every exchange waiting then.
  Status AppendInGroup(SyncExchange& x);
  // Caller holds append_mutex_.
  Status AppendInOrder(const std::vector<SyncExchange*>& group);
  // One exchange's part of AppendInOrder's transaction.
  Status PassInOrder(SyncExchange& x);
  Status Answer(SyncExchange& x);
  // The ordered pass over candidate `i`: a replay is skipped, a refusal
  // recorded, anything else appended. Caller holds append_mutex_, inside
  // the batch's transaction.
  Status TakeInOrder(SyncExchange& x, size_t i);
  // True when candidate `i` breaks the device's chain, names a parent it
  // may not, or takes a submission that is not its volunteer's; it is
  // then refused and every later one held back.
  Result<bool> RefuseInOrder(SyncExchange& x, size_t i);
  Result<std::string> ParentProblem(const SyncExchange& x, const sync::Envelope& e);
  Status AcceptInOrder(SyncExchange& x, size_t i);
  Status AddDownload(SyncExchange& x);
  // RefreshSubmission's shortcut for an edit naming the only head the
  // stored row `before` records, when the edit is the one envelope of the
  // record the row has not seen: stores the state and says true, or says
  // false when the edit is not that.
  Result<bool> RefreshAfterEditOfOnlyHead(const SubmissionSummary& before, const AppendedRevision& edit);
  // The fast path of RefreshSubmission for a submission whose only
  // envelope, `e`, is being appended now: `answers` as already parsed,
  // without nulls, `answers_json` their text and `counts` what they count.
  Status RefreshNewSubmission(const sync::Envelope& e, const nlohmann::json& answers, std::string answers_json,
                              std::shared_ptr<const AnswerCounts> counts, uint64_t log_index);
  // Fills the fields derived from the answers, flags duplicates, stores.
  // `before` is the stored row as read in the caller's transaction, which
  // has not written it since (the store writes over it without reading it
  // again), or null for a submission seen first now.
  // `before`: the row as read in this transaction, or null. `known_new`:
  // this transaction found no row (a new record's first revision).
  Status StoreSummary(SubmissionSummary s, const nlohmann::json& answers, const SubmissionSummary* before,
                      bool known_new = false);
  // For a volunteer with several laptops: queues for them the enrolment
  // events of all of them and every envelope of the volunteer's
  // submissions, where not queued yet. The caller holds a transaction.
  Status QueueForEveryLaptop(const std::string& volunteer);
  // Decides again which submissions sharing one duplicate key are flagged.
  Status ReflagDuplicates(const std::string& form_id, const std::string& key);
  Result<std::string> OwnerOf(const sync::SubmissionId& id);
  Result<std::string> VolunteerOf(const sync::PublicKey& device);
  Result<std::vector<sync::Hash>> HeadsOf(const sync::SubmissionId& id) { return HeadsIn(ctx_.store, id); }
  // Signs drafted decisions with the server's key and appends them.
  Result<sync::Hash> AttestAndAppend(std::vector<sync::EnvelopeFields> drafts);
  // Queues a decision for the laptops of the record's volunteer, after the
  // event that enrolled the key that signed it, if a person's.
  Status QueueDecisionForOwner(const sync::Envelope& e, uint64_t index);
  // Refuses to attest for a person who signs their own decisions.
  Status RefuseIfKeyed(std::string_view by);
  // README "Decisions": one person-signed envelope fits its submission as
  // the server's own draft would. Caller holds append_mutex_.
  Status CheckSignedDecision(const sync::Envelope& e);

  // Inside an appending transaction: LockLog, then CatchUpTree.
  Status LockLogAndCatchUp();

  ServerContext& ctx_;
  std::mutex append_mutex_;
  // Sync exchanges waiting for append_mutex_, for the next group commit.
  std::mutex waiting_mutex_;
  std::vector<SyncExchange*> waiting_;
  // Verifies sync batches on every core; shared by concurrent syncs.
  WorkerPool verify_pool_{WorkerPool::DefaultThreads()};
  sync::MerkleTree tree_;
  std::string checkpoint_;  // the latest signed checkpoint note
  // Written under append_mutex_; read without it by RefuseIfLogIsBehind.
  std::atomic<uint64_t> checkpoint_size_{0};
  uint64_t server_hlc_ = 0;
  std::mutex volunteers_mutex_;
  std::map<sync::PublicKey, std::string> volunteers_;
  mutable std::mutex forms_mutex_;
  mutable std::map<sync::Hash, std::shared_ptr<const schema::Form>> forms_;
};

}  // namespace dala::server
