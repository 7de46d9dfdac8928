// The audit bundle: one SQLite file holding everything an auditor needs to
// check a server offline: the log of signed envelopes in order, the signed
// checkpoints, the form documents, and what the server claims about devices
// and submissions. Tables, columns and validity conditions: sync/BUNDLE.md.
//
// The writer is used by `dala-server export --bundle`; the reader by
// `dala audit` (audit.h). Neither trusts the other: the reader checks the
// shape of every row it returns, and the auditor checks their meaning.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/status.h"
#include "dala/base/sqlite.h"
#include "dala/sync/crypto.h"
#include "dala/sync/ids.h"

namespace dala::sync {

inline constexpr std::string_view kBundleFormat = "dala-bundle-1";

// bundle_meta keys.
namespace bundle_key {
inline constexpr std::string_view kFormat = "format";
inline constexpr std::string_view kOrigin = "origin";
inline constexpr std::string_view kServerKey = "server_key";
inline constexpr std::string_view kExportedMs = "exported_ms";
inline constexpr std::string_view kLogSize = "log_size";
}  // namespace bundle_key

struct BundleProject {
  std::string name;
  std::string title;
  int64_t created_ms = 0;
};

struct BundleForm {
  std::string hash_hex;  // as the row says; the auditor re-hashes the document
  std::string form_id;
  std::string version;
  std::string project;
  std::string document;  // the exact bytes that were published
  int64_t published_ms = 0;
};

struct BundleUser {
  std::string name;
  std::string role;
};

// The server's claim about one device. revoked_ms is 0 while it is active.
struct BundleDevice {
  PublicKey key{};
  std::string volunteer;
  std::string label;
  int64_t enrolled_ms = 0;
  std::string enrolled_by;
  int64_t revoked_ms = 0;
  std::string revoked_by;
  std::string revoke_reason;

  bool operator==(const BundleDevice&) const = default;
};

struct BundleCheckpoint {
  uint64_t size = 0;  // the row's key; the note says the size too
  std::string note;   // a C2SP signed note
};

// The server's claim about a submission's current state.
struct BundleSubmission {
  SubmissionId id{};
  std::string form_id;
  std::string answers_json;
  std::vector<Hash> heads;  // as listed, in the listed order
  int64_t conflicts = 0;
  std::string review_state;
};

struct BundleMeta {
  std::string format;
  std::string origin;
  std::string server_key_hex;              // as written
  std::optional<PublicKey> server_key;     // if server_key_hex is 64 hex digits
  std::optional<int64_t> exported_ms;      // if the value is a decimal integer
  std::optional<uint64_t> log_size;        // likewise
  std::map<std::string, std::string> all;  // every row, known keys included
};

struct LogEntry {
  uint64_t index = 0;
  std::string envelope;
};

// --- writing ----------------------------------------------------------------

// Writes a bundle. Everything goes into one transaction that Finish()
// commits, schema included, so a writer that dies half-way leaves a file the
// reader refuses rather than one that looks complete but is short.
class BundleWriter {
 public:
  // AlreadyExists if anything is at `path`: an export never overwrites.
  static Result<BundleWriter> Create(const std::string& path);

  BundleWriter(BundleWriter&&) noexcept;
  BundleWriter& operator=(BundleWriter&&) noexcept;
  ~BundleWriter();

  // origin, server_key and exported_ms; format and log_size are written
  // by Finish().
  Status SetHeader(std::string_view origin, const PublicKey& server_key, int64_t exported_ms);
  // Any other bundle_meta row (a later format may add keys).
  Status SetMeta(std::string_view key, std::string_view value);

  Status AddProject(const BundleProject& project);
  // The hash column is computed from the document; form.hash_hex is ignored.
  Status AddForm(const BundleForm& form);
  Status AddUser(const BundleUser& user);
  Status AddDevice(const BundleDevice& device);
  // Appends at the next index (0, 1, 2...) and returns it.
  Result<uint64_t> AppendLog(std::string_view envelope);
  Status AddCheckpoint(uint64_t size, std::string_view note);
  Status AddSubmission(const BundleSubmission& submission);

  uint64_t log_size() const { return log_size_; }

  // Sets format and log_size and commits. The writer is spent afterwards.
  Status Finish();

 private:
  struct Statements;
  BundleWriter(sql::Database db, std::string path);
  Status Check() const;

  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<Statements> st_;
  std::string path_;
  uint64_t log_size_ = 0;
  bool finished_ = false;
};

// --- reading ----------------------------------------------------------------

// Streams the log in index order without holding it in memory.
class LogCursor {
 public:
  LogCursor(LogCursor&&) noexcept;
  LogCursor& operator=(LogCursor&&) noexcept;
  ~LogCursor();

  // Replaces *out with up to `max` further entries, reusing its strings'
  // storage, and returns how many; 0 at the end.
  Result<size_t> Next(size_t max, std::vector<LogEntry>* out);

 private:
  friend class BundleReader;
  explicit LogCursor(std::unique_ptr<sql::Statement> st, std::string path);
  std::unique_ptr<sql::Statement> st_;
  std::string path_;
  bool done_ = false;
};

// Reads a bundle, opened read-only. Open refuses, with one message naming
// the file, anything that is not a complete dala-bundle-1: a missing file,
// a file that is not SQLite, a missing table or column, no format or another
// one. The reader holds a read transaction for its lifetime, so every pass
// over the log sees the same bytes even if something writes to the file.
//
// Accessors check the shape of rows (a 32-byte key, a 16-byte id, heads that
// are a JSON array of 64-hex ids); a row that breaks one is Corruption
// naming the table and the row. Not thread-safe: one reader per thread.
class BundleReader {
 public:
  static Result<BundleReader> Open(const std::string& path);

  BundleReader(BundleReader&&) noexcept;
  BundleReader& operator=(BundleReader&&) noexcept;
  ~BundleReader();

  const std::string& path() const { return path_; }
  const BundleMeta& meta() const { return meta_; }

  // The number of rows in the log table (not the meta's claim).
  Result<uint64_t> LogRowCount();
  Result<LogCursor> Log(uint64_t from_index = 0);
  // Calls visit(index, envelope) for each entry in order; stops at, and
  // returns, the first failure visit returns.
  Status ForEachLogEntry(const std::function<Status(uint64_t, std::string_view)>& visit);
  // The first `prefix` bytes of each entry (fewer if it is shorter): enough
  // to read an envelope's header without loading its body.
  Status ForEachLogPrefix(size_t prefix, const std::function<Status(uint64_t, std::string_view)>& visit);
  Result<std::optional<std::string>> LogEntryAt(uint64_t index);

  Result<std::vector<BundleProject>> Projects();
  Result<std::vector<BundleForm>> Forms();
  Result<std::vector<BundleUser>> Users();
  Result<std::vector<BundleDevice>> Devices();
  Result<std::vector<BundleCheckpoint>> Checkpoints();  // ascending size
  // Streams the submissions table in id order, `batch` rows at a time.
  Status ForEachSubmissionBatch(size_t batch, const std::function<Status(std::vector<BundleSubmission>&)>& visit);
  Result<std::optional<BundleSubmission>> FindSubmission(const SubmissionId& id);
  // A submission id as people type it: the full id or a unique end of at
  // least 8 hex digits (ShortIdDigits, ids.h). Reasons: bad_record_id,
  // no_such_record, ambiguous_record.
  Result<SubmissionId> ResolveSubmission(std::string_view given);
  Result<uint64_t> SubmissionCount();

 private:
  BundleReader(std::unique_ptr<sql::Database> db, std::string path);
  Status Damaged(const Status& s) const;

  std::unique_ptr<sql::Database> db_;
  std::string path_;
  BundleMeta meta_;
};

}  // namespace dala::sync
