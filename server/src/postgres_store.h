// PostgresStore: the Store interface over one PostgreSQL connection. Like
// SqliteStore, the methods are split by topic across postgres_store*.cc;
// this header is private to the server module. The tables are SQLite's,
// column for column (server/DATABASE.md), in PostgreSQL's types: BIGINT
// for INTEGER, BYTEA for BLOB.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "dala/server/store.h"
#include "indicator_counts.h"
#include "pg.h"

namespace dala::server {

// The forms columns every query of FormInfo selects, in ReadFormInfoRow's order.
inline constexpr const char* kPgFormColumns =
    "hash, form_id, version, project, published_ms, publish_seq, retired_ms, retired_by";
inline constexpr int kPgFormColumnCount = 8;
FormInfo ReadFormInfoRow(const pg::Rows& rows, int row);

// The key of pg_advisory_xact_lock that LockLog takes: any fixed number,
// the same in every node.
inline constexpr int64_t kPgLogLock = 0x44616c614c6f6721;  // "DalaLog!"

class PostgresStore final : public Store {
 public:
  // `read_only`: a snapshot's store (InReadSnapshot), which must not write.
  PostgresStore(pg::Connection conn, std::string conninfo, bool read_only = false)
      : conninfo_(std::move(conninfo)), read_only_(read_only), conn_(std::move(conn)) {}

  bool SharedByNodes() const override { return true; }
  Status LockLog() override;
  Status RememberRequestNonce(const sync::PublicKey& device, std::string_view nonce, int64_t expires_ms,
                              int64_t now_ms) override;
  // Failed logins (postgres_store_logins.cc).
  Result<int64_t> AddLoginFailure(std::string_view user, std::string_view address, int64_t at_ms,
                                  int64_t forget_before_ms) override;
  Status SetLoginFailureTime(int64_t id, int64_t at_ms) override;
  Result<std::vector<LoginFailure>> LoginFailuresAround(std::string_view user, std::string_view address,
                                                        int64_t since_ms, size_t limit) override;
  Status ForgetLoginFailures(std::string_view user, std::string_view address) override;
  Result<size_t> ForgetLoginFailuresOf(std::string_view user) override;

  Status InTransaction(const std::function<Status()>& work) override;
  Status InReadSnapshot(const std::function<Status(Store& snapshot)>& work) override;

  // --- accounts (postgres_store_accounts.cc)
  Status AddProject(const Project& project) override;
  Result<std::vector<Project>> ListProjects() override;
  Result<User> AddUser(std::string_view name, Role role, std::string_view password_hash, int64_t now_ms) override;
  Result<std::optional<User>> FindUser(std::string_view name) override;
  Result<std::optional<User>> FindUserById(int64_t id) override;
  Status SetPassword(std::string_view name, std::string_view password_hash) override;
  Result<bool> ReplacePasswordHash(std::string_view name, std::string_view old_hash,
                                   std::string_view new_hash) override;
  Status SetLanguage(int64_t user_id, std::string_view language) override;
  Result<std::vector<User>> ListUsers() override;
  Status AddSession(const Session& session) override;
  Result<std::optional<Session>> FindSession(std::string_view token_hash) override;
  Status DeleteSession(std::string_view token_hash) override;
  Status DeleteExpiredSessions(int64_t now_ms) override;
  Status DeleteSessionsOf(int64_t user_id) override;
  Status AddEnrollCode(std::string_view code_hash, std::string_view volunteer, int64_t expires_ms,
                       std::string_view created_by, int64_t now_ms) override;
  Result<EnrollCode> ConsumeEnrollCode(std::string_view code_hash, int64_t now_ms) override;
  Result<std::optional<std::string>> UsedEnrollCodeVolunteer(std::string_view code_hash) override;
  Status AddDevice(const Device& device) override;
  Result<std::optional<Device>> FindDevice(const sync::PublicKey& key) override;
  Result<std::vector<Device>> ListDevices() override;
  Result<std::vector<Device>> DevicesOf(std::string_view volunteer) override;
  Status NoteDeviceSync(const sync::PublicKey& key, int64_t now_ms) override;
  Status RevokeDevice(const sync::PublicKey& key, std::string_view by, std::string_view reason,
                      int64_t now_ms) override;
  Result<std::optional<FormInfo>> FindFormInfo(std::string_view hash_hex) override;
  Status RetireForm(std::string_view hash_hex, std::string_view by, int64_t now_ms) override;

  // --- people's keys (postgres_store_accounts.cc)
  Status AddPersonKeyCode(std::string_view code_hash, std::string_view person, int64_t expires_ms,
                          std::string_view created_by, int64_t now_ms) override;
  Result<EnrollCode> ConsumePersonKeyCode(std::string_view code_hash, std::string_view person,
                                          int64_t now_ms) override;
  Status AddPersonKey(const PersonKeyRow& key) override;
  Result<std::optional<PersonKeyRow>> FindPersonKey(const sync::PublicKey& key) override;
  Result<std::vector<PersonKeyRow>> PersonKeysOf(std::string_view person) override;
  Status RevokePersonKey(const sync::PublicKey& key, std::string_view by, std::string_view reason,
                         int64_t now_ms) override;

  // --- records (postgres_store_records.cc)
  Result<FormInfo> PublishForm(std::string_view document, const FormInfo& info) override;
  Result<std::vector<FormInfo>> ListForms() override;
  Result<std::optional<std::string>> FormDocument(std::string_view hash_hex) override;
  Result<std::vector<std::pair<FormInfo, std::string>>> FormsPublishedAfter(int64_t publish_seq,
                                                                            size_t limit) override;
  Result<sync::ChainTip> Tip(const sync::PublicKey& author) override;
  Result<std::optional<sync::Hash>> EnvelopeIdAt(const sync::PublicKey& author, uint64_t sequence) override;
  Result<std::optional<StoredEnvelope>> FindEnvelope(const sync::Hash& id) override;
  Result<std::optional<EnvelopeSubject>> FindEnvelopeSubject(const sync::Hash& id) override;
  Status AppendEnvelope(const sync::Envelope& e, const sync::Hash& leaf, uint64_t index, int64_t now_ms) override;
  Result<uint64_t> LogSize() override;
  Status ForEachLeafHash(uint64_t start, const std::function<void(uint64_t, const sync::Hash&)>& visit) override;
  Result<std::vector<StoredEnvelope>> LogRange(uint64_t start, uint64_t end) override;
  Result<std::vector<StoredEnvelope>> EnvelopesOf(const sync::SubmissionId& submission) override;
  Result<uint64_t> CountEnvelopesOfAfter(const sync::SubmissionId& submission, uint64_t log_index) override;
  Status PutSubmission(const SubmissionSummary& summary) override;
  Status PutSubmissionOver(const SubmissionSummary& summary, const SubmissionSummary& stored) override;
  Status PutNewSubmission(const SubmissionSummary& summary) override;
  Result<std::optional<SubmissionSummary>> FindSubmission(const sync::SubmissionId& id) override;
  Result<std::vector<SubmissionSummary>> ListSubmissions(const SubmissionFilter& filter) override;
  Status ForEachSubmission(const SubmissionFilter& filter,
                           const std::function<Status(const SubmissionSummary&)>& visit) override;
  Result<uint64_t> CountSubmissions(const SubmissionFilter& filter) override;
  Result<std::vector<GroupCount>> CountSubmissionsBy(const SubmissionFilter& filter, SubmissionGroup by) override;
  Result<SubmissionTally> TallySubmissions(const SubmissionFilter& filter) override;
  Result<std::vector<IndicatorCountRow>> IndicatorCounts(std::string_view form_id, std::string_view region,
                                                         std::string_view centre) override;
  // Fills indicator_counts from the records when a migration left them to
  // fill (indicator_counts_pending), under the log's lock so that nodes
  // starting together fill them once; called when the store is opened.
  Status FillPendingIndicatorCounts();
  Result<std::vector<std::pair<sync::PublicKey, uint64_t>>> RevisionsPerAuthor() override;
  Result<std::vector<sync::SubmissionId>> SubmissionIdsEndingWith(std::string_view hex_end,
                                                                  size_t limit) override;
  Result<std::vector<DuplicatePeer>> DuplicatePeers(std::string_view form_id, std::string_view key,
                                                    std::string_view other_than_volunteer = {}) override;
  Status SetDuplicateGroup(const sync::SubmissionId& id, std::string_view group) override;
  Result<std::vector<sync::SubmissionId>> LegacyDistinctSubmissions() override;
  Status AddToOutbox(std::string_view volunteer, uint64_t log_index, const sync::PublicKey& author) override;
  Status AddToOutboxOnce(std::string_view volunteer, uint64_t log_index, const sync::PublicKey& author) override;
  Result<std::vector<std::string>> VolunteersQueued(uint64_t log_index) override;
  Status QueueVolunteerHistory(std::string_view volunteer) override;
  Result<std::vector<std::pair<int64_t, uint64_t>>> Outbox(std::string_view volunteer, const sync::PublicKey& reader,
                                                           int64_t after_id, int64_t through_id,
                                                           size_t limit) override;
  Result<int64_t> OutboxEnd(std::string_view volunteer) override;
  Status PutCheckpoint(uint64_t size, std::string_view note) override;
  Result<std::optional<std::pair<uint64_t, std::string>>> LastCheckpoint() override;

 private:
  // indicator_counts upkeep, as SqliteStore's (postgres_store_records.cc).
  Result<RecordCountChange> CountChangeOf(const SubmissionSummary& s);
  Status PutSubmissionRow(const SubmissionSummary& s);
  Status ApplyIndicatorTally(const IndicatorTally& tally);
  Status FlushIndicatorCounts();
  // As SqliteStore's (sqlite_store.h).
  Status CountWhatANewVersionReads(const std::string& form_id);
  Result<const CountPlan*> CountPlanFor(const std::string& form_id);
  Result<std::vector<std::string>> FormDocumentsOf(const std::string& form_id);
  // CountPlanFor, as RecordCountChange::AddTo takes it.
  RecordCountChange::PlanFor PlanFor() {
    return [this](const std::string& form_id) { return CountPlanFor(form_id); };
  }
  Status RecountIndicators(const std::string* form_id);

  // One statement on this store's connection (a broken connection outside
  // a transaction is reconnected first).
  Result<pg::Rows> Run(std::string_view sql, const pg::Params& params = {});
  // As Run, for a statement whose failure (a taken key) the caller may
  // answer and go on from, as SQLite lets it: PostgreSQL aborts the whole
  // transaction on a failed statement, so inside one it runs in a
  // savepoint that is rolled back when it fails.
  Result<pg::Rows> RunMayFail(std::string_view sql, const pg::Params& params = {});
  // Every row of a SELECT, through a cursor, `batch` at a time: a whole
  // log or every submission is never held in memory at once.
  Status ForEachRow(std::string_view select, const pg::Params& params,
                    const std::function<Status(const pg::Rows&, int row)>& visit);
  // Runs `work` in the current transaction, or in one of its own.
  Status Atomically(const std::function<Status()>& work);
  // pg_advisory_xact_lock(kPgLogLock), wherever the transaction is.
  Status TakeLogLock();

  // One connection: calls made inside InTransaction join it (the
  // recursive mutex), as in SqliteStore. Nodes give the parallelism.
  std::recursive_mutex mutex_;
  std::string conninfo_;
  bool read_only_ = false;
  bool in_transaction_ = false;
  IndicatorTally pending_counts_;
  CountPlanCache count_plans_;
  uint64_t cursors_ = 0;  // names each cursor of ForEachRow apart
  pg::Connection conn_;
};

}  // namespace dala::server
