// The server's storage, behind a narrow interface.
//
// Everything dala-server knows lives behind Store. The embedded default is
// SQLite in the data directory (sqlite_store.h); a PostgreSQL store is
// planned for deployments that outgrow one machine, so nothing above this
// interface may assume SQLite: no SQL, no file paths, no rowids.
//
// Writes that must happen together run inside InTransaction: every call
// made by `work` on this store joins the transaction, and either all of
// them commit or none do.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/status.h"
#include "dala/sync/crypto.h"
#include "dala/sync/envelope.h"
#include "dala/sync/ids.h"
#include "dala/sync/verify.h"

namespace dala::server {

struct AnswerCounts;  // indicator_counts.h

enum class Role { kVolunteer, kCoordinator, kAuditor, kAdmin };
const char* RoleName(Role role);
Result<Role> ParseRole(std::string_view name);

struct User {
  int64_t id = 0;
  std::string name;
  Role role = Role::kVolunteer;
  std::string password_hash;  // Argon2id (crypto_pwhash_str); empty: cannot log in
  int64_t created_ms = 0;
  std::string language;       // the dashboard's language: "kk", "ru", "en", or "" (not chosen)
};

struct Session {
  std::string token_hash;  // SHA-256 hex of the cookie value; the value itself is never stored
  int64_t user_id = 0;
  std::string csrf_token;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
};

struct Device {
  sync::PublicKey key{};
  std::string volunteer;      // user name
  std::string label;          // what the volunteer called the laptop
  int64_t enrolled_ms = 0;
  std::string enrolled_by;    // the user who issued the code
  int64_t revoked_ms = 0;     // 0: not revoked
  std::string revoked_by;
  std::string revoke_reason;
  int64_t last_sync_ms = 0;   // 0: never synced
};

// A person's key: it signs that person's decisions (sync/person_keys.h).
// The row says what the log's person_key_enrolled and person_key_revoked
// events say.
struct PersonKeyRow {
  sync::PublicKey key{};
  std::string person;         // user name
  std::string role;           // coordinator or admin, when enrolled
  std::string label;          // where the key lives: "Firefox on the office laptop"
  int64_t enrolled_ms = 0;
  std::string enrolled_by;    // the admin who issued the code
  int64_t revoked_ms = 0;     // 0: not revoked
  std::string revoked_by;
  std::string revoke_reason;
  uint64_t enrolled_index = 0;  // the log index of the enrolling event
};

struct Project {
  std::string name;
  std::string title;
  int64_t created_ms = 0;
};

// People, sessions, enrolment codes and devices.
class AccountStore {
 public:
  virtual ~AccountStore() = default;

  virtual Status AddProject(const Project& project) = 0;
  virtual Result<std::vector<Project>> ListProjects() = 0;

  // AlreadyExists if the name is taken.
  virtual Result<User> AddUser(std::string_view name, Role role, std::string_view password_hash,
                               int64_t now_ms) = 0;
  virtual Result<std::optional<User>> FindUser(std::string_view name) = 0;
  virtual Result<std::optional<User>> FindUserById(int64_t id) = 0;
  virtual Status SetPassword(std::string_view name, std::string_view password_hash) = 0;
  // The same hash of the same password made again (a login upgrading an
  // outdated hash), only while `old_hash` is still the stored one: false,
  // and nothing written, when an administrator set a new password between.
  virtual Result<bool> ReplacePasswordHash(std::string_view name, std::string_view old_hash,
                                           std::string_view new_hash) = 0;
  virtual Status SetLanguage(int64_t user_id, std::string_view language) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;

  virtual Status AddSession(const Session& session) = 0;
  virtual Result<std::optional<Session>> FindSession(std::string_view token_hash) = 0;
  virtual Status DeleteSession(std::string_view token_hash) = 0;
  virtual Status DeleteExpiredSessions(int64_t now_ms) = 0;
  // Ends every session of one user (their password was reset).
  virtual Status DeleteSessionsOf(int64_t user_id) = 0;

  // A one-time enrolment code for `volunteer`, stored as its hash.
  virtual Status AddEnrollCode(std::string_view code_hash, std::string_view volunteer, int64_t expires_ms,
                               std::string_view created_by, int64_t now_ms) = 0;
  // Marks the code used and returns it; NotFound if unknown, already used
  // or expired (one message for all three, so codes cannot be probed).
  struct EnrollCode {
    std::string volunteer;
    std::string created_by;
  };
  virtual Result<EnrollCode> ConsumeEnrollCode(std::string_view code_hash, int64_t now_ms) = 0;
  // The volunteer of a code already used (even expired since), so that a
  // laptop of theirs asking again with it (its answer was lost) is
  // answered again. nullopt for an unknown or unused code.
  virtual Result<std::optional<std::string>> UsedEnrollCodeVolunteer(std::string_view code_hash) = 0;

  // AlreadyExists if the key is enrolled (to anyone).
  virtual Status AddDevice(const Device& device) = 0;
  virtual Result<std::optional<Device>> FindDevice(const sync::PublicKey& key) = 0;
  virtual Result<std::vector<Device>> ListDevices() = 0;
  // The devices of one volunteer, revoked ones included.
  virtual Result<std::vector<Device>> DevicesOf(std::string_view volunteer) = 0;
  virtual Status RevokeDevice(const sync::PublicKey& key, std::string_view by, std::string_view reason,
                              int64_t now_ms) = 0;
  // Notes that `key` synced at `now_ms`; at most once a minute is written,
  // so a no-op sync stays a read.
  virtual Status NoteDeviceSync(const sync::PublicKey& key, int64_t now_ms) = 0;

  // Remembers that `device` signed a request with `nonce`, until
  // `expires_ms`; AlreadyExists when it is remembered already (a replay,
  // perhaps to another node). Entries past their expiry are forgotten.
  // Where several nodes share the store, this is what refuses a request
  // replayed to another node (auth.h); one node keeps nonces in memory.
  virtual Status RememberRequestNonce(const sync::PublicKey& device, std::string_view nonce, int64_t expires_ms,
                                      int64_t now_ms) = 0;

  // Failed logins, one row each, from which every node's login throttle
  // (auth_throttle.h) replays its delays: shared where nodes share the
  // store. Adding one forgets the rows older than `forget_before_ms`.
  struct LoginFailure {
    int64_t id = 0;
    std::string user;     // as the throttle keys it (auth.cc UserKey)
    std::string address;
    int64_t at_ms = 0;
  };
  virtual Result<int64_t> AddLoginFailure(std::string_view user, std::string_view address, int64_t at_ms,
                                          int64_t forget_before_ms) = 0;
  // The failure's time is when the password was found wrong (hashing takes time).
  virtual Status SetLoginFailureTime(int64_t id, int64_t at_ms) = 0;
  // Since `since_ms`, in time order: every failure of (user, address), the
  // latest `limit` of `address`, and the latest `limit` of anyone.
  virtual Result<std::vector<LoginFailure>> LoginFailuresAround(std::string_view user, std::string_view address,
                                                                int64_t since_ms, size_t limit) = 0;
  // A right password: (user, address) starts afresh.
  virtual Status ForgetLoginFailures(std::string_view user, std::string_view address) = 0;
  // An administrator's unlock: every failure of `user`; returns from how
  // many addresses.
  virtual Result<size_t> ForgetLoginFailuresOf(std::string_view user) = 0;

  // People's keys (sqlite_store_person_keys.cc). A one-time code an admin
  // issues for `person`, stored as its hash, as device codes are.
  virtual Status AddPersonKeyCode(std::string_view code_hash, std::string_view person, int64_t expires_ms,
                                  std::string_view created_by, int64_t now_ms) = 0;
  // Marks the code used; NotFound if unknown, used, expired, or issued for
  // someone else (one message for all, so codes cannot be probed).
  virtual Result<EnrollCode> ConsumePersonKeyCode(std::string_view code_hash, std::string_view person,
                                                  int64_t now_ms) = 0;
  // AlreadyExists if the key is enrolled (to anyone).
  virtual Status AddPersonKey(const PersonKeyRow& key) = 0;
  virtual Result<std::optional<PersonKeyRow>> FindPersonKey(const sync::PublicKey& key) = 0;
  // Every key of `person`, revoked ones included, oldest first; every
  // person's when `person` is empty.
  virtual Result<std::vector<PersonKeyRow>> PersonKeysOf(std::string_view person) = 0;
  virtual Status RevokePersonKey(const sync::PublicKey& key, std::string_view by, std::string_view reason,
                                 int64_t now_ms) = 0;
};

// --- records: forms, envelopes, the log, derived state ------------------------

struct FormInfo {
  std::string hash;  // hex
  std::string form_id;
  std::string version;
  std::string project;
  int64_t published_ms = 0;
  int64_t publish_seq = 0;  // 1, 2, 3... in publication order
  int64_t retired_ms = 0;   // 0: in use. Retired: not sent to laptops, no new records
  std::string retired_by;
};

// An envelope as the server holds it.
struct StoredEnvelope {
  uint64_t log_index = 0;  // its leaf in the transparency log
  sync::Hash id{};
  std::string bytes;
};

// What an envelope is about, from its row's columns rather than its bytes
// (the auditor checks the columns against the bytes): what a sync or a
// decision checks of each parent it names.
struct EnvelopeSubject {
  sync::SubmissionId submission{};
  bool revision = false;  // kind is EnvelopeKind::kRevision
};

// The current state of a submission, derived from its envelopes.
struct SubmissionSummary {
  sync::SubmissionId id{};
  std::string form_id;
  std::string form_version;
  std::string form_hash;
  std::string volunteer;   // of the device that created it
  std::string centre;      // the form's duplicate_key first value, when it has one
  std::string region;      // the answer named "region", when the form has one
  std::string visit_date;  // the duplicate_key date, when it has one
  std::string duplicate_key;  // form id and duplicate_key values joined; empty if none
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string answers_json;
  int heads = 0;
  int conflicts = 0;
  std::string review_state;
  std::string review_by;
  std::string review_comment;
  bool changed_since_review = false;
  std::string duplicate_group;  // non-empty when flagged as a possible duplicate
  std::string merged_into;      // non-empty when merged into another submission
  // Submission ids (formatted, sorted, comma-separated) a coordinator
  // declared this one is not a duplicate of.
  std::string distinct_from;
  uint64_t last_log_index = 0;
  // The submission's only head (hex) and its clock, when an edit naming
  // that head can be merged from this row alone (RecordService::
  // RefreshSubmission): one head, no conflict, no review, and that head
  // newer by its clock than every other revision. Empty and 0 otherwise,
  // and in rows written before database version 14.
  std::string only_head;
  uint64_t only_head_hlc = 0;
  // What answers_json counts for the indicators, when the caller tallied
  // it already (a sync does, on every core); the store tallies it itself
  // when this is null. Never stored. Whoever changes answers_json resets
  // it. (AnswerCounts is the server's own type, indicator_counts.h; the
  // store is only given it to hold.)
  std::shared_ptr<const AnswerCounts> answer_counts;
  // What the answers it replaces count, when the caller read the stored row
  // and counted them already (an edit's refresh does, from the answers it
  // parsed to merge): the text counted, and its counts. The store takes
  // them off only while its row still holds that text, and counts the row
  // itself otherwise. Never stored.
  std::string replaced_answers_json;
  std::shared_ptr<const AnswerCounts> replaced_answer_counts;
};

struct SubmissionFilter {
  std::string form_id;
  std::string centre;
  std::string region;
  std::string volunteer;
  std::string date_from;  // YYYY-MM-DD, on the visit date if any, else creation
  std::string date_to;
  std::string review_state;
  bool only_conflicts = false;
  bool only_duplicates = false;
  bool only_changed = false;   // changed by a volunteer since the last decision
  bool only_current = false;   // neither rejected nor merged into another: what indicators count
  std::string search;          // in the id, volunteer, centre, region, review comment (case-insensitive)
  enum class Sort { kCreated, kUpdated, kDay, kCentre, kVolunteer, kState };
  Sort sort = Sort::kCreated;
  bool descending = false;
  size_t limit = 1000;
  size_t offset = 0;
};

// How many of the filtered submissions fall in each group.
enum class SubmissionGroup { kDay, kCentre, kRegion };
struct GroupCount {
  std::string key;     // the day (YYYY-MM-DD), centre or region
  std::string region;  // for centres: their region
  uint64_t count = 0;
  bool operator==(const GroupCount&) const = default;
};

// What the dashboard's overview counts of the submissions a filter matches
// (server/API.md, GET /api/v1/overview). Each figure is the CountSubmissions
// or CountSubmissionsBy named beside it; TallySubmissionsByQueries makes it
// so, a store may count it in fewer passes.
struct SubmissionTally {
  uint64_t total = 0;       // the filter's
  uint64_t unreviewed = 0;  // the filter's, its state replaced by received
  uint64_t sent_back = 0;   // the filter's, its state replaced by has_issues
  uint64_t conflicts = 0;   // the filter's, with only_conflicts
  uint64_t duplicates = 0;  // the filter's, with only_duplicates
  uint64_t changed = 0;     // the filter's, with only_changed
  std::vector<GroupCount> per_day;            // by kDay, in day order
  std::vector<GroupCount> current_by_centre;  // with only_current, by kCentre, in centre then region order
  bool operator==(const SubmissionTally&) const = default;
};

// One row of the counts indicators are computed from (server/DATABASE.md,
// indicator_counts), of one form.
struct IndicatorCountRow {
  std::string region, centre, path;
  int64_t kind = 0;
  std::string value;
  uint64_t n = 0;
  bool operator==(const IndicatorCountRow&) const = default;
};

class RecordStore {
 public:
  virtual ~RecordStore() = default;

  // --- forms
  // AlreadyExists when the id and version exist with other bytes; the same
  // bytes again is a no-op, unless that version was retired
  // (FailedPrecondition: publish a new version).
  virtual Result<FormInfo> PublishForm(std::string_view document, const FormInfo& info) = 0;
  // Every form ever published, retired ones included.
  virtual Result<std::vector<FormInfo>> ListForms() = 0;
  virtual Result<std::optional<std::string>> FormDocument(std::string_view hash_hex) = 0;
  virtual Result<std::optional<FormInfo>> FindFormInfo(std::string_view hash_hex) = 0;
  // Retires a published form: NotFound for an unknown hash,
  // FailedPrecondition when it was retired before (the first stands).
  virtual Status RetireForm(std::string_view hash_hex, std::string_view by, int64_t now_ms) = 0;
  // Forms in use (not retired) published after `publish_seq`, with their documents.
  virtual Result<std::vector<std::pair<FormInfo, std::string>>> FormsPublishedAfter(int64_t publish_seq,
                                                                                    size_t limit) = 0;

  // --- envelopes and the log
  // The last envelope accepted from `author`.
  virtual Result<sync::ChainTip> Tip(const sync::PublicKey& author) = 0;
  virtual Result<std::optional<sync::Hash>> EnvelopeIdAt(const sync::PublicKey& author, uint64_t sequence) = 0;
  virtual Result<std::optional<StoredEnvelope>> FindEnvelope(const sync::Hash& id) = 0;
  // FindEnvelope without the bytes: nullopt for an unknown id.
  virtual Result<std::optional<EnvelopeSubject>> FindEnvelopeSubject(const sync::Hash& id) = 0;
  // Appends an envelope to the log at `index`, which must be the log's
  // size (the caller holds the log's append lock and knows it); a taken
  // index is refused. `leaf` is sync::LeafHash(e.bytes()): a sync computes
  // it while verifying, on every core, so the append under the lock does
  // not hash the envelope again.
  virtual Status AppendEnvelope(const sync::Envelope& e, const sync::Hash& leaf, uint64_t index, int64_t now_ms) = 0;
  virtual Result<uint64_t> LogSize() = 0;
  // Leaf hashes of the log from index `start` on, in order: the whole log
  // to rebuild the tree at start, the tail another node appended to catch
  // up.
  virtual Status ForEachLeafHash(uint64_t start,
                                 const std::function<void(uint64_t index, const sync::Hash&)>& visit) = 0;
  virtual Result<std::vector<StoredEnvelope>> LogRange(uint64_t start, uint64_t end) = 0;
  virtual Result<std::vector<StoredEnvelope>> EnvelopesOf(const sync::SubmissionId& submission) = 0;
  // How many envelopes of `submission` the log holds after `log_index`:
  // from the index alone, without reading a row. An edit's refresh asks
  // whether the edit is the only envelope its record's row has not seen.
  virtual Result<uint64_t> CountEnvelopesOfAfter(const sync::SubmissionId& submission, uint64_t log_index) = 0;

  // --- derived state
  virtual Status PutSubmission(const SubmissionSummary& summary) = 0;
  // PutSubmission of `summary` over `stored`: the row as FindSubmission
  // returned it earlier in the transaction the caller is in now. A store
  // whose open transaction keeps every other writer out writes over that
  // row without reading it again (an edit's refresh read it already);
  // otherwise, or outside a transaction, it reads the row as PutSubmission
  // does.
  virtual Status PutSubmissionOver(const SubmissionSummary& summary, const SubmissionSummary& stored) = 0;
  // PutSubmission of a record FindSubmission found no row of, earlier in
  // the transaction the caller is in now: a new record's first revision.
  // A store whose open transaction keeps every other writer out inserts
  // the row without looking for it again, and an id that has a row after
  // all fails the insert and changes nothing; otherwise, or outside a
  // transaction, it reads the row as PutSubmission does.
  virtual Status PutNewSubmission(const SubmissionSummary& summary) = 0;
  virtual Result<std::optional<SubmissionSummary>> FindSubmission(const sync::SubmissionId& id) = 0;
  virtual Result<std::vector<SubmissionSummary>> ListSubmissions(const SubmissionFilter& filter) = 0;
  // Every submission the filter matches, in its order, one at a time: for
  // exports and indicators over all of them without holding them all.
  // The filter's limit and offset are ignored.
  virtual Status ForEachSubmission(const SubmissionFilter& filter,
                                   const std::function<Status(const SubmissionSummary&)>& visit) = 0;
  // How many submissions the filter matches, ignoring its limit and offset.
  virtual Result<uint64_t> CountSubmissions(const SubmissionFilter& filter) = 0;
  virtual Result<std::vector<GroupCount>> CountSubmissionsBy(const SubmissionFilter& filter, SubmissionGroup by) = 0;
  virtual Result<SubmissionTally> TallySubmissions(const SubmissionFilter& filter) = 0;
  // The indicator counts of form `form_id`'s current records, of one
  // region and centre where given (empty: all); kept by PutSubmission in
  // the same transaction as the record.
  virtual Result<std::vector<IndicatorCountRow>> IndicatorCounts(std::string_view form_id, std::string_view region,
                                                                 std::string_view centre) = 0;
  // The number of envelopes each key has signed (a laptop signs revisions only).
  virtual Result<std::vector<std::pair<sync::PublicKey, uint64_t>>> RevisionsPerAuthor() = 0;
  // Submissions whose id, in lower-case hex, ends with `hex_end` (short ids, sync/ids.h).
  virtual Result<std::vector<sync::SubmissionId>> SubmissionIdsEndingWith(std::string_view hex_end,
                                                                          size_t limit) = 0;
  // The submissions of a form sharing one duplicate key: only what
  // duplicate detection needs, so a refresh stays cheap.
  struct DuplicatePeer {
    sync::SubmissionId id{};
    std::string volunteer;
    std::string duplicate_group;
    std::string merged_into;
    std::string distinct_from;
  };
  // With `other_than_volunteer` set, only peers from other volunteers.
  virtual Result<std::vector<DuplicatePeer>> DuplicatePeers(std::string_view form_id, std::string_view key,
                                                            std::string_view other_than_volunteer = {}) = 0;
  virtual Status SetDuplicateGroup(const sync::SubmissionId& id, std::string_view group) = 0;
  // Submissions a server before database version 3 marked distinct from
  // every other sharing their key (duplicate_group "-").
  virtual Result<std::vector<sync::SubmissionId>> LegacyDistinctSubmissions() = 0;

  // --- what each volunteer's devices should receive
  // `author` signed the envelope at `log_index`; it is not sent back.
  virtual Status AddToOutbox(std::string_view volunteer, uint64_t log_index, const sync::PublicKey& author) = 0;
  // As AddToOutbox, unless `volunteer` already has the entry queued.
  virtual Status AddToOutboxOnce(std::string_view volunteer, uint64_t log_index, const sync::PublicKey& author) = 0;
  // The volunteers who have the entry at `log_index` queued, by name.
  virtual Result<std::vector<std::string>> VolunteersQueued(uint64_t log_index) = 0;
  // Queues every envelope of `volunteer`'s submissions not queued yet, in
  // log order: for a laptop enrolled after they were made.
  virtual Status QueueVolunteerHistory(std::string_view volunteer) = 0;
  // For `reader`, a device of `volunteer`: the entries after `after_id`,
  // up to `through_id`, that `reader` did not sign: (outbox id, log index).
  virtual Result<std::vector<std::pair<int64_t, uint64_t>>> Outbox(std::string_view volunteer,
                                                                   const sync::PublicKey& reader, int64_t after_id,
                                                                   int64_t through_id, size_t limit) = 0;
  // The id of `volunteer`'s last outbox entry, 0 if none.
  virtual Result<int64_t> OutboxEnd(std::string_view volunteer) = 0;

  // --- the last checkpoint signed, so the server never signs an older or
  // inconsistent one after a restart.
  virtual Status PutCheckpoint(uint64_t size, std::string_view note) = 0;
  virtual Result<std::optional<std::pair<uint64_t, std::string>>> LastCheckpoint() = 0;
};

class Store : public AccountStore, public RecordStore {
 public:
  // Whether other dala-server processes may write this store at the same
  // time (PostgreSQL: any number of nodes; SQLite: one). When they may,
  // the log's writer takes LockLog and catches up with what others
  // appended, and request nonces are remembered in the store.
  virtual bool SharedByNodes() const = 0;

  // Inside InTransaction: holds every other node's log append off until
  // this transaction ends, so that two nodes never append at one index or
  // sign two checkpoints of one size (docs/ARCHITECTURE.md, "Several
  // nodes"). Where the store is not shared, the transaction itself is
  // enough and this does nothing.
  virtual Status LockLog() = 0;

  // Runs `work` in one write transaction (see the top of this file).
  virtual Status InTransaction(const std::function<Status()>& work) = 0;

  // Runs `work` against `snapshot`: this store as it is now, unchanged by
  // writes that commit while `work` runs, which it does not hold off. For
  // long reads (the audit bundle) during which syncs must go on. `snapshot`
  // is only valid inside `work` and must not be written.
  virtual Status InReadSnapshot(const std::function<Status(Store& snapshot)>& work) = 0;
};

// SubmissionTally as its comments define it: eight queries, each counting
// on its own. A store with nothing faster answers TallySubmissions so, and
// tests hold a faster one to it.
Result<SubmissionTally> TallySubmissionsByQueries(Store& store, const SubmissionFilter& filter);

}  // namespace dala::server
