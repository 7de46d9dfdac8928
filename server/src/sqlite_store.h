// SqliteStore: the Store interface over one SQLite connection. The methods
// are split by topic across sqlite_store*.cc; this header is private to the
// server module.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "dala/base/sqlite.h"
#include "dala/server/store.h"
#include "indicator_counts.h"

namespace dala::server {

// The forms columns every query of FormInfo selects, in ReadFormInfo's order.
inline constexpr const char* kFormColumns =
    "hash, form_id, version, project, published_ms, publish_seq, retired_ms, retired_by";
inline constexpr int kFormColumnCount = 8;
FormInfo ReadFormInfo(const sql::Statement& st);

class SqliteStore final : public Store {
 public:
  // `path` is where `db` lives, for the extra read connections of
  // InReadSnapshot.
  SqliteStore(sql::Database db, std::string path) : path_(std::move(path)), db_(std::move(db)) {}

  ~SqliteStore() override;

  // Moves the WAL's checkpoints from the commits to a thread of their own
  // (see the .cc), which checkpoints every `every`. Called once, by
  // OpenSqliteStore; a store without it checkpoints in its commits, as
  // SQLite does by default.
  Status StartCheckpointer(std::chrono::milliseconds every);
  // One checkpoint now, on the checkpointer's connection (PASSIVE: it
  // never blocks the writer or a reader). What the thread runs; tests call
  // it to see its effect.
  Status CheckpointWal();

  bool SharedByNodes() const override { return false; }
  // SQLite's write transaction (BEGIN IMMEDIATE) already holds every other
  // writer off.
  Status LockLog() override { return Status::Ok(); }
  Status RememberRequestNonce(const sync::PublicKey& device, std::string_view nonce, int64_t expires_ms,
                              int64_t now_ms) override;

  Result<int64_t> AddLoginFailure(std::string_view user, std::string_view address, int64_t at_ms,
                                  int64_t forget_before_ms) override;
  Status SetLoginFailureTime(int64_t id, int64_t at_ms) override;
  Result<std::vector<LoginFailure>> LoginFailuresAround(std::string_view user, std::string_view address,
                                                        int64_t since_ms, size_t limit) override;
  Status ForgetLoginFailures(std::string_view user, std::string_view address) override;
  Result<size_t> ForgetLoginFailuresOf(std::string_view user) override;

  Status InTransaction(const std::function<Status()>& work) override;
  Status InReadSnapshot(const std::function<Status(Store& snapshot)>& work) override;

  // --- accounts (sqlite_store_accounts.cc)
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

  // --- people's keys (sqlite_store_person_keys.cc)
  Status AddPersonKeyCode(std::string_view code_hash, std::string_view person, int64_t expires_ms,
                          std::string_view created_by, int64_t now_ms) override;
  Result<EnrollCode> ConsumePersonKeyCode(std::string_view code_hash, std::string_view person,
                                          int64_t now_ms) override;
  Status AddPersonKey(const PersonKeyRow& key) override;
  Result<std::optional<PersonKeyRow>> FindPersonKey(const sync::PublicKey& key) override;
  Result<std::vector<PersonKeyRow>> PersonKeysOf(std::string_view person) override;
  Status RevokePersonKey(const sync::PublicKey& key, std::string_view by, std::string_view reason,
                         int64_t now_ms) override;

  // --- records (sqlite_store_records.cc)
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
  // fill (indicator_counts_pending); called when the store is opened.
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
  // indicator_counts upkeep (sqlite_store_records.cc).
  // How the counts change when `s` replaces its stored row, and writing it;
  // `stored` is the row as it is now (StoredSubmission), or null if none.
  RecordCountChange CountChangeOf(const SubmissionSummary& s, const SubmissionSummary* stored);
  Status PutSubmissionRow(const SubmissionSummary& s, const SubmissionSummary* stored);
  Result<std::optional<SubmissionSummary>> StoredSubmission(const sync::SubmissionId& id);
  Status ApplyIndicatorTally(const IndicatorTally& tally);
  Status FlushIndicatorCounts();
  Result<FormInfo> PublishFormRow(std::string_view document, const FormInfo& info, bool* inserted);
  // After a new version of `form_id` is stored: if its plan counts what
  // the versions before did not, the records already stored are counted
  // again, so that they show in what it reads.
  Status CountWhatANewVersionReads(const std::string& form_id);
  // Which answers of form `form_id` are counted (indicator_counts.h).
  Result<const CountPlan*> CountPlanFor(const std::string& form_id);
  // The documents of every version of `form_id`, oldest first.
  Result<std::vector<std::string>> FormDocumentsOf(const std::string& form_id);
  // CountPlanFor, as RecordCountChange::AddTo takes it.
  RecordCountChange::PlanFor PlanFor() {
    return [this](const std::string& form_id) { return CountPlanFor(form_id); };
  }
  // Counts again, from the stored records, those of form `form_id`, or of
  // every form when it is null.
  Status RecountIndicators(const std::string* form_id);

  // One connection, one writer: SQLite serialises writes anyway, and a
  // recursive mutex lets calls made inside InTransaction join it.
  std::recursive_mutex mutex_;
  std::string path_;
  // Inside InTransaction, the indicator counts' changes are summed here
  // and written once before the commit: the records of one sync share
  // most of their counts, so each row is written once, not per record.
  bool in_transaction_ = false;
  IndicatorTally pending_counts_;
  CountPlanCache count_plans_;
  sql::Database db_;

  // The checkpointer: its own connection, and its thread's wake-up.
  std::mutex checkpoint_mutex_;  // guards checkpoint_db_ and stopping_
  std::condition_variable checkpoint_wake_;
  std::optional<sql::Database> checkpoint_db_;
  bool stopping_ = false;
  std::thread checkpointer_;
};

}  // namespace dala::server
