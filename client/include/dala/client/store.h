// The laptop's local store: one SQLite file in WAL mode with synchronous
// commits, holding the profile, forms, signed envelopes, drafts and log
// receipts. Tables are described in client/DATABASE.md.
//
// What a crash can lose: nothing the CLI has reported as saved. Every save
// is one transaction, committed (and fsync'ed, synchronous=FULL) before the
// CLI prints that it is saved; an interrupted transaction is rolled back by
// SQLite on the next open.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/status.h"
#include "dala/schema/form.h"
#include "dala/base/sqlite.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merge.h"
#include "dala/sync/verify.h"

namespace dala::client {

// Profile keys (the `profile` table).
namespace profile_key {
inline constexpr std::string_view kDeviceKey = "device_key";  // SealedKey::Serialize()
inline constexpr std::string_view kDevicePublic = "device_public";
inline constexpr std::string_view kCreatedMs = "created_ms";
inline constexpr std::string_view kLanguage = "language";
inline constexpr std::string_view kHlc = "hlc";
inline constexpr std::string_view kServerUrl = "server_url";
inline constexpr std::string_view kServerCaFile = "server_ca_file";  // a private CA given at enrolment
inline constexpr std::string_view kAllowPlainHttp = "allow_plain_http";  // "1": enrolled with --allow-http
inline constexpr std::string_view kServerKey = "server_key";
inline constexpr std::string_view kServerOrigin = "server_origin";
inline constexpr std::string_view kVolunteer = "volunteer";
inline constexpr std::string_view kDownloadCursor = "download_cursor";
// The bodies of the server-signed person_key events received, a JSON array
// in log order: whose keys may sign coordinators' decisions.
inline constexpr std::string_view kPersonKeyEvents = "person_key_events";
inline constexpr std::string_view kCheckpoint = "checkpoint";
inline constexpr std::string_view kAcceptedThrough = "accepted_through";
// The latest server time any sync reported (ms): a clock set before it is wrong.
inline constexpr std::string_view kLastServerTimeMs = "last_server_time_ms";
}  // namespace profile_key

enum class UploadState { kPending, kAccepted, kRejected, kReceived };
[[nodiscard]] const char* UploadStateName(UploadState s);

struct FormRow {
  std::string hash;
  std::string form_id;
  std::string version;
  std::string source;
  int64_t added_ms = 0;
};

struct SubmissionRow {
  sync::SubmissionId id{};
  std::string form_id;
  std::string form_hash;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string answers_json;
  int heads = 0;
  int conflicts = 0;
  std::string review_state;
  std::string review_by;
  std::string review_comment;
  bool changed_since_review = false;
  // Of the laptop's own envelopes of this submission: how many are waiting
  // to be sent, and how many the server refused.
  int pending = 0;
  int rejected = 0;
};

struct EnvelopeRow {
  sync::Hash id{};
  std::string bytes;
  int kind = 0;
  sync::SubmissionId submission{};
  sync::PublicKey author{};
  uint64_t sequence = 0;
  uint64_t hlc = 0;
  bool own = false;
  UploadState upload = UploadState::kPending;
  std::string reject_reason;
  int64_t stored_ms = 0;
};

struct DraftRow {
  int64_t id = 0;
  std::string form_hash;
  std::optional<sync::SubmissionId> submission;
  std::string answers_json;
  std::string language;
  int64_t updated_ms = 0;
  std::string note;  // why the server refused the record this draft came from
  std::string position;  // the step shown last, as `dala ui` writes it (client/UI.md); "" for none
};

struct ReceiptRow {
  int64_t id = 0;
  sync::Hash envelope{};
  uint64_t sequence = 0;
  uint64_t leaf_index = 0;
  uint64_t tree_size = 0;
  std::vector<sync::Hash> proof;
  std::string checkpoint;
  int64_t received_ms = 0;
};

// Another laptop of this laptop's volunteer, as the server vouched for it.
struct VolunteerLaptop {
  bool revoked = false;
  // For a revoked laptop: its revisions up to this sequence were accepted
  // while it was trusted; later ones are not taken in.
  uint64_t revoked_through = 0;
};

// An update received but not taken in for a reason that may pass (its form
// or its author's enrolment had not arrived): kept, as received, to be
// tried again at every sync.
struct SetAsideUpdate {
  sync::Hash id{};
  std::string bytes;
  std::string form_hash;  // hex; "" when not for want of a form
};

class LocalStore : public sync::FormRegistry {
 public:
  // Creates a new store; AlreadyExists if the file is there.
  static Result<std::unique_ptr<LocalStore>> Create(const std::string& path);
  // Opens an existing store, applying any pending migrations. A missing
  // file is NotFound with reason "no_profile".
  static Result<std::unique_ptr<LocalStore>> Open(const std::string& path);

  // --- backup ------------------------------------------------------------------
  // Copies the whole store into a new file at `path` with SQLite's online
  // backup (a consistent snapshot even while the store is in use; a plain
  // copy of a WAL database can miss committed pages). The device key stays
  // sealed under its passphrase, as it is here. The copy is one
  // self-contained file (rollback journal, not WAL), mode 0600, and is
  // written under a temporary name and renamed, so `path` is never a
  // half-written copy. Replaces an earlier backup at `path`.
  Status BackupTo(const std::string& path);
  // Makes a new store at `profile_path` from a backup made by BackupTo.
  // AlreadyExists ("profile_exists") if a store is there: restoring never
  // overwrites records; Corruption if `backup_path` is not a Dala profile.
  static Status RestoreFrom(const std::string& backup_path, const std::string& profile_path);

  sql::Database& db() { return db_; }

  // --- profile ---------------------------------------------------------------
  Result<std::optional<std::string>> Get(std::string_view key);
  Result<std::string> GetOr(std::string_view key, std::string_view fallback);
  // A whole number kept as decimal text (the hybrid clock), or `fallback`
  // when the key is absent. A profile damaged or edited by hand is
  // Corruption naming the key and what it holds, not a crash.
  Result<uint64_t> GetNumber(std::string_view key, uint64_t fallback);
  Status Put(std::string_view key, std::string_view value);

  // --- forms -------------------------------------------------------------------
  // Stores a form document. The same bytes again is a no-op; different
  // bytes under an id and version already present is AlreadyExists.
  Result<std::shared_ptr<const schema::Form>> AddForm(std::string_view document, std::string_view source,
                                                      int64_t now_ms);
  Result<std::vector<FormRow>> ListForms();
  // "psc_observation" (the most recently added version) or
  // "psc_observation@2026.11.1".
  Result<std::shared_ptr<const schema::Form>> FindFormByName(std::string_view name);
  [[nodiscard]] std::shared_ptr<const schema::Form> FindForm(const sync::Hash& hash) const override;

  // --- envelopes ----------------------------------------------------------------
  // An own envelope is stored pending (migration 7's trigger starts it in
  // `uploads`); one from the server has no upload state and reads as received.
  Status InsertEnvelope(const sync::Envelope& e, bool own, int64_t now_ms);
  Result<bool> HasEnvelope(const sync::Hash& id);

  // --- the volunteer's other laptops
  // `event` is the server-signed enrolment event naming `key`.
  Status AddVolunteerLaptop(const sync::PublicKey& key, std::string_view label, std::string_view event);
  Result<bool> IsVolunteerLaptop(const sync::PublicKey& key);
  Result<std::optional<VolunteerLaptop>> FindVolunteerLaptop(const sync::PublicKey& key);
  // `event` is the server-signed revocation; `through` what it says, or
  // for one that does not say, the highest sequence of `key` this laptop
  // already holds. The first revocation stands.
  Status RevokeVolunteerLaptop(const sync::PublicKey& key, std::optional<uint64_t> through, std::string_view event);

  // --- updates set aside until they can be taken in
  Status AddSetAsideUpdate(const sync::Hash& id, std::string_view bytes, std::string_view form_hash, int64_t now_ms);
  Result<std::vector<SetAsideUpdate>> SetAsideUpdates();
  Status DropSetAsideUpdate(const sync::Hash& id);
  // Forms that set-aside updates need and this laptop lacks, at most `limit`.
  Result<std::vector<sync::Hash>> FormsLacked(size_t limit);
  // This laptop's own envelope with that sequence, if it has one.
  Result<std::optional<EnvelopeRow>> OwnEnvelope(uint64_t sequence);
  Result<std::vector<EnvelopeRow>> EnvelopesOf(const sync::SubmissionId& submission);
  // Every envelope, ordered by author then sequence (the order chains are
  // checked in).
  Result<std::vector<EnvelopeRow>> AllEnvelopes();
  Result<sync::ChainTip> OwnTip();
  // The last of this laptop's envelopes the server acknowledged (with a
  // receipt): where a rebuilt chain continues from.
  Result<sync::ChainTip> AcceptedTip();
  // Own envelopes not yet accepted by the server, by sequence (what a
  // restamp signs again).
  Result<std::vector<EnvelopeRow>> PendingEnvelopes();
  // One sync request's worth of them: those after `after_sequence`, at most
  // `limit` and about `max_bytes` in all (always at least one), handed to
  // `take` one by one as views into the database's memory, valid during
  // the call: their sequences and bytes, all a request sends.
  Status ForEachPendingEnvelope(size_t limit, size_t max_bytes, uint64_t after_sequence,
                                const std::function<void(uint64_t sequence, std::string_view bytes)>& take);
  // How many own envelopes up to `sequence` are pending, and the lowest of
  // them (0 when none): enough to tell whether a batch read earlier is
  // still exactly the next one to send.
  struct PendingSpan {
    int64_t count = 0;
    uint64_t first = 0;
  };
  Result<PendingSpan> PendingThrough(uint64_t sequence);
  // Marks own pending envelopes up to `through_sequence` accepted; returns
  // how many changed.
  Result<int64_t> MarkAccepted(uint64_t through_sequence);
  Status MarkRejected(uint64_t sequence, std::string_view reason);
  // Notes why the server refused an own envelope that stays pending, to be
  // sent again on the next sync.
  Status NoteRetryableRejection(uint64_t sequence, std::string_view reason);
  // Own envelopes waiting to be sent.
  Result<int64_t> CountPending();
  // Whether any is: asked after every exchange, where a count would walk
  // every pending envelope again (a first sync of 100,000 walked 5 million).
  Result<bool> HasPending();
  // Records a coordinator sent back ("has_issues").
  Result<int64_t> CountReturned();

  // --- submissions (a cache derived from envelopes) -------------------------------
  // Recomputes one submission's merged state and review state.
  Status RefreshSubmission(const sync::SubmissionId& id);
  Result<std::vector<SubmissionRow>> ListSubmissions();
  Result<std::optional<SubmissionRow>> FindSubmission(const sync::SubmissionId& id);
  // The submission named by its whole id or a unique end of at least 8 hex
  // digits (sync::ShortIdDigits). Failures name their reason:
  // "bad_record_id", "no_such_record", "ambiguous_record".
  Result<sync::SubmissionId> ResolveSubmission(std::string_view prefix);
  // When this laptop stored its newest own record, by its own clock; 0 if
  // it has none.
  Result<int64_t> NewestOwnRecordMs();
  // The merge of a submission's revisions.
  Result<sync::MergedState> MergedStateOf(const sync::SubmissionId& id);

  // --- drafts -------------------------------------------------------------------
  Result<int64_t> SaveDraft(const DraftRow& draft);  // id 0 inserts
  Result<std::vector<DraftRow>> ListDrafts();
  Result<std::optional<DraftRow>> FindDraft(int64_t id);
  Status DeleteDraft(int64_t id);

  // --- receipts -----------------------------------------------------------------
  Status AddReceipt(const ReceiptRow& receipt);
  // The highest own sequence a stored receipt covers (0 if none).
  Result<uint64_t> ReceiptedThrough();
  Result<std::vector<ReceiptRow>> ListReceipts();

 private:
  explicit LocalStore(sql::Database db) : db_(std::move(db)) {}
  Result<EnvelopeRow> ReadEnvelopeRow(sql::Statement& st);
  // The last own envelope; `condition` ("AND ...") narrows which.
  Result<sync::ChainTip> Tip(std::string_view query);  // a query for one (sequence, id) row

  sql::Database db_;
  mutable std::mutex forms_mutex_;
  mutable std::map<sync::Hash, std::shared_ptr<const schema::Form>> forms_by_hash_;
};

}  // namespace dala::client
