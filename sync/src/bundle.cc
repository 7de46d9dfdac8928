#include "dala/sync/bundle.h"

#include <cctype>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bundle_migrations.h"

namespace dala::sync {

using nlohmann::json;

namespace {

// Every column the reader reads, by table: Open prepares one SELECT per
// table, so a bundle missing any of them is refused up front with SQLite's
// own "no such column" rather than half-way through an audit.
struct TableShape {
  const char* name;
  const char* columns;
};
constexpr TableShape kTables[] = {
    {"bundle_meta", "key, value"},
    {"projects", "name, title, created_ms"},
    {"forms", "hash, form_id, version, project, document, published_ms"},
    {"users", "name, role"},
    {"devices", "key, volunteer, label, enrolled_ms, enrolled_by, revoked_ms, revoked_by, revoke_reason"},
    {"log", "idx, envelope"},
    {"checkpoints", "size, note"},
    {"submissions", "id, form_id, answers, heads, conflicts, review_state"},
};

std::optional<int64_t> ParseDecimal(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Integer columns are read together with typeof(), because SQLite would
// quietly read 'abc' as 0, and a claim the server did not make is not one
// the auditor should compare.
bool IsInteger(const sql::Statement& st, int typeof_column) { return st.ColumnText(typeof_column) == "integer"; }

Status BadRow(std::string_view table, std::string_view row, std::string_view why) {
  return Status::Corruption("bundle table " + std::string(table) + ", row " + std::string(row) + ": " +
                            std::string(why));
}

// The exporter writes heads as a compact array of lower-case hex strings;
// that form is read here directly, anything else through the JSON parser.
bool ParseCompactHeads(std::string_view text, std::vector<Hash>* out) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return false;
  size_t pos = 1;
  if (text.size() == 2) return true;
  for (;;) {
    if (text.size() - pos < 67 || text[pos] != '"' || text[pos + 65] != '"') return false;
    Hash h{};
    if (!FromHex(text.substr(pos + 1, 64), &h)) return false;
    out->push_back(h);
    pos += 66;
    if (text[pos] == ']') return pos + 1 == text.size();
    if (text[pos] != ',') return false;
    ++pos;
  }
}

Result<std::vector<Hash>> ParseHeads(std::string_view text) {
  std::vector<Hash> compact;
  if (ParseCompactHeads(text, &compact)) return compact;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception&) {
    return Status::Corruption("heads is not JSON");
  }
  if (!j.is_array()) return Status::Corruption("heads is not a JSON array");
  std::vector<Hash> out;
  for (const json& h : j) {
    Hash id{};
    if (!h.is_string() || !FromHex(h.get<std::string>(), &id))
      return Status::Corruption("heads holds something other than 64-hex ids");
    out.push_back(id);
  }
  return out;
}

std::string HeadsJson(const std::vector<Hash>& heads) {
  json j = json::array();
  for (const Hash& h : heads) j.push_back(ToHex(h));
  return j.dump();
}

}  // namespace

// --- BundleWriter -------------------------------------------------------------

struct BundleWriter::Statements {
  sql::Statement meta, project, form, user, device, log, checkpoint, submission;
};

BundleWriter::BundleWriter(sql::Database db, std::string path)
    : db_(std::make_unique<sql::Database>(std::move(db))), path_(std::move(path)) {}
BundleWriter::BundleWriter(BundleWriter&&) noexcept = default;
BundleWriter& BundleWriter::operator=(BundleWriter&&) noexcept = default;
BundleWriter::~BundleWriter() {
  if (db_ == nullptr || finished_) return;
  // An export abandoned half-way leaves nothing behind: roll back, close,
  // and remove the file this writer created.
  st_.reset();
  (void)db_->Rollback();
  db_.reset();
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

Result<BundleWriter> BundleWriter::Create(const std::string& path) {
  // Anything at the path, a dangling symbolic link included, is refused.
  std::error_code ec;
  if (std::filesystem::symlink_status(path, ec).type() != std::filesystem::file_type::not_found) return Status::AlreadyExists(path + " already exists; choose a new file");
  sql::OpenOptions options;
  options.mode = sql::OpenMode::kReadWriteCreate;
  // One self-contained file for the auditor: no WAL beside it. The writer
  // commits once, so FULL sync costs one fsync.
  options.wal = false;
  DALA_ASSIGN_OR_RETURN(sql::Database db, sql::Database::Open(path, options));
  DALA_RETURN_IF_ERROR(db.Begin());
  const auto& migrations = BundleMigrations();
  for (size_t k = 0; k < migrations.size(); ++k)
    DALA_RETURN_IF_ERROR(db.Exec(migrations[k]).WithContext("creating the bundle schema"));
  DALA_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(migrations.size())));

  BundleWriter w(std::move(db), path);
  auto prep = [&](const char* q) -> Result<sql::Statement> { return w.db_->Prepare(q); };
  DALA_ASSIGN_OR_RETURN(auto meta, prep("INSERT OR REPLACE INTO bundle_meta(key, value) VALUES (?, ?)"));
  DALA_ASSIGN_OR_RETURN(auto project, prep("INSERT INTO projects(name, title, created_ms) VALUES (?, ?, ?)"));
  DALA_ASSIGN_OR_RETURN(auto form, prep("INSERT INTO forms(hash, form_id, version, project, document, published_ms) "
                                        "VALUES (?, ?, ?, ?, ?, ?)"));
  DALA_ASSIGN_OR_RETURN(auto user, prep("INSERT INTO users(name, role) VALUES (?, ?)"));
  DALA_ASSIGN_OR_RETURN(auto device,
                        prep("INSERT INTO devices(key, volunteer, label, enrolled_ms, enrolled_by, revoked_ms, "
                             "revoked_by, revoke_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  DALA_ASSIGN_OR_RETURN(auto log, prep("INSERT INTO log(idx, envelope) VALUES (?, ?)"));
  DALA_ASSIGN_OR_RETURN(auto checkpoint, prep("INSERT INTO checkpoints(size, note) VALUES (?, ?)"));
  DALA_ASSIGN_OR_RETURN(auto submission,
                        prep("INSERT INTO submissions(id, form_id, answers, heads, conflicts, review_state) "
                             "VALUES (?, ?, ?, ?, ?, ?)"));
  w.st_ = std::make_unique<Statements>(Statements{std::move(meta), std::move(project), std::move(form), std::move(user),
                                                  std::move(device), std::move(log), std::move(checkpoint),
                                                  std::move(submission)});
  return w;
}

Status BundleWriter::Check() const {
  if (finished_ || st_ == nullptr) return Status::FailedPrecondition("the bundle is already finished");
  return Status::Ok();
}

Status BundleWriter::SetMeta(std::string_view key, std::string_view value) {
  DALA_RETURN_IF_ERROR(Check());
  return st_->meta.Bind(1, key).Bind(2, value).Run();
}

Status BundleWriter::SetHeader(std::string_view origin, const PublicKey& server_key, int64_t exported_ms) {
  DALA_RETURN_IF_ERROR(SetMeta(bundle_key::kOrigin, origin));
  DALA_RETURN_IF_ERROR(SetMeta(bundle_key::kServerKey, ToHex(server_key)));
  return SetMeta(bundle_key::kExportedMs, std::to_string(exported_ms));
}

Status BundleWriter::AddProject(const BundleProject& p) {
  DALA_RETURN_IF_ERROR(Check());
  return st_->project.Bind(1, p.name).Bind(2, p.title).Bind(3, p.created_ms).Run().WithContext("project " + p.name);
}

Status BundleWriter::AddForm(const BundleForm& f) {
  DALA_RETURN_IF_ERROR(Check());
  return st_->form.Bind(1, ToHex(Sha256(f.document)))
      .Bind(2, f.form_id)
      .Bind(3, f.version)
      .Bind(4, f.project)
      .BindBlob(5, f.document)
      .Bind(6, f.published_ms)
      .Run()
      .WithContext("form " + f.form_id + " " + f.version);
}

Status BundleWriter::AddUser(const BundleUser& u) {
  DALA_RETURN_IF_ERROR(Check());
  return st_->user.Bind(1, u.name).Bind(2, u.role).Run().WithContext("user " + u.name);
}

Status BundleWriter::AddDevice(const BundleDevice& d) {
  DALA_RETURN_IF_ERROR(Check());
  return st_->device.BindBlob(1, d.key.data(), d.key.size())
      .Bind(2, d.volunteer)
      .Bind(3, d.label)
      .Bind(4, d.enrolled_ms)
      .Bind(5, d.enrolled_by)
      .Bind(6, d.revoked_ms)
      .Bind(7, d.revoked_by)
      .Bind(8, d.revoke_reason)
      .Run()
      .WithContext("device " + ToHex(d.key).substr(0, 16));
}

Result<uint64_t> BundleWriter::AppendLog(std::string_view envelope) {
  DALA_RETURN_IF_ERROR(Check());
  uint64_t index = log_size_;
  DALA_RETURN_IF_ERROR(st_->log.Bind(1, static_cast<int64_t>(index)).BindBlob(2, envelope).Run());
  ++log_size_;
  return index;
}

Status BundleWriter::AddCheckpoint(uint64_t size, std::string_view note) {
  DALA_RETURN_IF_ERROR(Check());
  return st_->checkpoint.Bind(1, static_cast<int64_t>(size))
      .Bind(2, note)
      .Run()
      .WithContext("checkpoint " + std::to_string(size));
}

Status BundleWriter::AddSubmission(const BundleSubmission& s) {
  DALA_RETURN_IF_ERROR(Check());
  return st_->submission.BindBlob(1, s.id.data(), s.id.size())
      .Bind(2, s.form_id)
      .Bind(3, s.answers_json)
      .Bind(4, HeadsJson(s.heads))
      .Bind(5, s.conflicts)
      .Bind(6, s.review_state)
      .Run()
      .WithContext("submission " + FormatSubmissionId(s.id));
}

Status BundleWriter::Finish() {
  DALA_RETURN_IF_ERROR(Check());
  DALA_RETURN_IF_ERROR(SetMeta(bundle_key::kFormat, kBundleFormat));
  DALA_RETURN_IF_ERROR(SetMeta(bundle_key::kLogSize, std::to_string(log_size_)));
  st_.reset();
  DALA_RETURN_IF_ERROR(db_->Commit().WithContext("writing " + path_));
  finished_ = true;
  return Status::Ok();
}

// --- LogCursor ------------------------------------------------------------------

LogCursor::LogCursor(std::unique_ptr<sql::Statement> st, std::string path)
    : st_(std::move(st)), path_(std::move(path)) {}
LogCursor::LogCursor(LogCursor&&) noexcept = default;
LogCursor& LogCursor::operator=(LogCursor&&) noexcept = default;
LogCursor::~LogCursor() = default;

Result<size_t> LogCursor::Next(size_t max, std::vector<LogEntry>* out) {
  if (out->size() < max) out->resize(max);
  size_t n = 0;
  while (!done_ && n < max) {
    auto row = st_->Step();
    if (!row.ok()) return Status(row.status().code(), "bundle " + path_ + " is damaged: " + row.status().message());
    if (!*row) {
      done_ = true;
      break;
    }
    (*out)[n].index = static_cast<uint64_t>(st_->ColumnInt(0));
    (*out)[n].envelope = st_->ColumnBlob(1);
    ++n;
  }
  out->resize(n);
  return n;
}

// --- BundleReader ------------------------------------------------------------------

BundleReader::BundleReader(std::unique_ptr<sql::Database> db, std::string path)
    : db_(std::move(db)), path_(std::move(path)) {}
BundleReader::BundleReader(BundleReader&&) noexcept = default;
BundleReader& BundleReader::operator=(BundleReader&&) noexcept = default;
BundleReader::~BundleReader() {
  if (db_ != nullptr) (void)db_->Rollback();
}

Status BundleReader::Damaged(const Status& s) const {
  return Status(s.code() == Status::Code::kInternal ? Status::Code::kCorruption : s.code(),
                "bundle " + path_ + " is damaged: " + s.message());
}

Result<BundleReader> BundleReader::Open(const std::string& path) {
  sql::OpenOptions options;
  options.mode = sql::OpenMode::kReadOnly;
  auto db = sql::Database::Open(path, options);
  if (!db.ok()) {
    if (db.status().code() == Status::Code::kNotFound) return Status::NotFound("no bundle at " + path);
    // Database::Open names the path itself; keep only SQLite's reason.
    std::string why = db.status().message();
    if (size_t open = why.find(" ("); why.rfind(path, 0) == 0 && open != std::string::npos && why.back() == ')')
      why = why.substr(open + 2, why.size() - open - 3);
    return Status(db.status().code(), path + " is not a Dala audit bundle (" + why + ")");
  }
  BundleReader r(std::make_unique<sql::Database>(std::move(*db)), path);
  auto not_bundle = [&](std::string why) { return Status::Corruption(path + " is not a Dala audit bundle: " + why); };

  // A consistent snapshot for every later pass (see the class comment).
  if (Status s = r.db_->Exec("BEGIN"); !s.ok()) return not_bundle(s.message());
  for (const TableShape& t : kTables) {
    auto exists = r.db_->Prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?");
    if (!exists.ok()) return not_bundle(exists.status().message());
    auto found = exists->Bind(1, std::string_view(t.name)).Step();
    if (!found.ok()) return not_bundle(found.status().message());
    if (!*found) return not_bundle(std::string("it has no ") + t.name + " table");
    auto cols = r.db_->Prepare(std::string("SELECT ") + t.columns + " FROM " + t.name + " LIMIT 0");
    if (!cols.ok()) return not_bundle(std::string("table ") + t.name + ": " + cols.status().message());
  }

  auto rows = r.db_->Prepare("SELECT key, value FROM bundle_meta");
  if (!rows.ok()) return not_bundle(rows.status().message());
  for (;;) {
    auto row = rows->Step();
    if (!row.ok()) return r.Damaged(row.status());
    if (!*row) break;
    r.meta_.all[rows->ColumnText(0)] = rows->ColumnText(1);
  }
  auto get = [&](std::string_view key) -> std::string {
    auto it = r.meta_.all.find(std::string(key));
    return it == r.meta_.all.end() ? std::string() : it->second;
  };
  r.meta_.format = get(bundle_key::kFormat);
  if (r.meta_.format.empty()) return not_bundle("bundle_meta has no format (an export that never finished?)");
  if (r.meta_.format != kBundleFormat)
    return not_bundle("its format is \"" + r.meta_.format + "\"; this program reads " + std::string(kBundleFormat));
  r.meta_.origin = get(bundle_key::kOrigin);
  r.meta_.server_key_hex = get(bundle_key::kServerKey);
  PublicKey key{};
  if (FromHex(r.meta_.server_key_hex, &key)) r.meta_.server_key = key;
  r.meta_.exported_ms = ParseDecimal(get(bundle_key::kExportedMs));
  if (auto n = ParseDecimal(get(bundle_key::kLogSize)); n && *n >= 0) r.meta_.log_size = static_cast<uint64_t>(*n);
  return r;
}

Result<uint64_t> BundleReader::LogRowCount() {
  DALA_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT count(*) FROM log"));
  auto row = st.Step();
  if (!row.ok()) return Damaged(row.status());
  return static_cast<uint64_t>(st.ColumnInt(0));
}

Result<LogCursor> BundleReader::Log(uint64_t from_index) {
  DALA_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT idx, envelope FROM log WHERE idx >= ? ORDER BY idx"));
  st.Bind(1, static_cast<int64_t>(from_index));
  return LogCursor(std::make_unique<sql::Statement>(std::move(st)), path_);
}

Status BundleReader::ForEachLogEntry(const std::function<Status(uint64_t, std::string_view)>& visit) {
  DALA_ASSIGN_OR_RETURN(LogCursor cursor, Log());
  std::vector<LogEntry> batch;
  for (;;) {
    DALA_ASSIGN_OR_RETURN(size_t n, cursor.Next(256, &batch));
    if (n == 0) return Status::Ok();
    for (const LogEntry& e : batch) DALA_RETURN_IF_ERROR(visit(e.index, e.envelope));
  }
}

Status BundleReader::ForEachLogPrefix(size_t prefix, const std::function<Status(uint64_t, std::string_view)>& visit) {
  // substr() on a blob reads only the pages it needs: the header of a large
  // envelope without its body.
  DALA_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT idx, substr(envelope, 1, ?) FROM log ORDER BY idx"));
  st.Bind(1, static_cast<int64_t>(prefix));
  for (;;) {
    auto row = st.Step();
    if (!row.ok()) return Damaged(row.status());
    if (!*row) return Status::Ok();
    std::string bytes = st.ColumnBlob(1);
    DALA_RETURN_IF_ERROR(visit(static_cast<uint64_t>(st.ColumnInt(0)), bytes));
  }
}

Result<std::optional<std::string>> BundleReader::LogEntryAt(uint64_t index) {
  DALA_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT envelope FROM log WHERE idx = ?"));
  st.Bind(1, static_cast<int64_t>(index));
  auto row = st.Step();
  if (!row.ok()) return Damaged(row.status());
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(st.ColumnBlob(0));
}

Result<std::vector<BundleProject>> BundleReader::Projects() {
  DALA_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT name, title, created_ms, typeof(created_ms) FROM projects "
                                              "ORDER BY name"));
  std::vector<BundleProject> out;
  for (;;) {
    auto row = st.Step();
    if (!row.ok()) return Damaged(row.status());
    if (!*row) return out;
    BundleProject p{st.ColumnText(0), st.ColumnText(1), st.ColumnInt(2)};
    if (!IsInteger(st, 3)) return BadRow("projects", p.name, "created_ms is not an integer");
    out.push_back(std::move(p));
  }
}

Result<std::vector<BundleForm>> BundleReader::Forms() {
  DALA_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT hash, form_id, version, project, document, published_ms, "
                                              "typeof(published_ms) FROM forms ORDER BY hash"));
  std::vector<BundleForm> out;
  for (;;) {
    auto row = st.Step();
    if (!row.ok()) return Damaged(row.status());
    if (!*row) return out;
    BundleForm f{st.ColumnText(0), st.ColumnText(1), st.ColumnText(2),
                 st.ColumnText(3), st.ColumnBlob(4), st.ColumnInt(5)};
    if (!IsInteger(st, 6)) return BadRow("forms", f.hash_hex, "published_ms is not an integer");
    out.push_back(std::move(f));
  }
}

Result<std::vector<BundleUser>> BundleReader::Users() {
  DALA_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT name, role FROM users ORDER BY name"));
  std::vector<BundleUser> out;
  for (;;) {
    auto row = st.Step();
    if (!row.ok()) return Damaged(row.status());
    if (!*row) return out;
    out.push_back({st.ColumnText(0), st.ColumnText(1)});
  }
}

Result<std::vector<BundleDevice>> BundleReader::Devices() {
  DALA_ASSIGN_OR_RETURN(
      auto st, db_->Prepare("SELECT key, volunteer, label, enrolled_ms, enrolled_by, revoked_ms, revoked_by, "
                            "revoke_reason, typeof(enrolled_ms), typeof(revoked_ms) FROM devices ORDER BY key"));
  std::vector<BundleDevice> out;
  for (;;) {
    auto row = st.Step();
    if (!row.ok()) return Damaged(row.status());
    if (!*row) return out;
    std::string key = st.ColumnBlob(0);
    if (key.size() != 32) return BadRow("devices", ToHex(key), "the key is not 32 bytes");
    BundleDevice d;
    std::copy(key.begin(), key.end(), d.key.begin());
    d.volunteer = st.ColumnText(1);
    d.label = st.ColumnText(2);
    d.enrolled_ms = st.ColumnInt(3);
    d.enrolled_by = st.ColumnText(4);
    d.revoked_ms = st.ColumnInt(5);
    d.revoked_by = st.ColumnText(6);
    d.revoke_reason = st.ColumnText(7);
    if (!IsInteger(st, 8) || !IsInteger(st, 9))
      return BadRow("devices", ToHex(key).substr(0, 16), "enrolled_ms or revoked_ms is not an integer");
    out.push_back(std::move(d));
  }
}

Result<std::vector<BundleCheckpoint>> BundleReader::Checkpoints() {
  DALA_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT size, note FROM checkpoints ORDER BY size"));
  std::vector<BundleCheckpoint> out;
  for (;;) {
    auto row = st.Step();
    if (!row.ok()) return Damaged(row.status());
    if (!*row) return out;
    int64_t size = st.ColumnInt(0);
    if (size < 0) return BadRow("checkpoints", std::to_string(size), "a negative size");
    out.push_back({static_cast<uint64_t>(size), st.ColumnText(1)});
  }
}

namespace {

Result<BundleSubmission> ReadSubmission(const sql::Statement& st) {
  std::string id = st.ColumnBlob(0);
  if (id.size() != 16) return BadRow("submissions", ToHex(id), "the id is not 16 bytes");
  BundleSubmission s;
  std::copy(id.begin(), id.end(), s.id.begin());
  s.form_id = st.ColumnText(1);
  s.answers_json = st.ColumnText(2);
  auto heads = ParseHeads(st.ColumnText(3));
  if (!heads.ok()) return BadRow("submissions", FormatSubmissionId(s.id), heads.status().message());
  s.heads = std::move(*heads);
  s.conflicts = st.ColumnInt(4);
  s.review_state = st.ColumnText(5);
  if (!IsInteger(st, 6)) return BadRow("submissions", FormatSubmissionId(s.id), "conflicts is not an integer");
  return s;
}

constexpr const char* kSubmissionColumns = "id, form_id, answers, heads, conflicts, review_state, typeof(conflicts)";

}  // namespace

Status BundleReader::ForEachSubmissionBatch(size_t batch,
                                            const std::function<Status(std::vector<BundleSubmission>&)>& visit) {
  DALA_ASSIGN_OR_RETURN(auto st,
                        db_->Prepare(std::string("SELECT ") + kSubmissionColumns + " FROM submissions ORDER BY id"));
  std::vector<BundleSubmission> rows;
  for (;;) {
    auto row = st.Step();
    if (!row.ok()) return Damaged(row.status());
    if (*row) {
      DALA_ASSIGN_OR_RETURN(BundleSubmission s, ReadSubmission(st));
      rows.push_back(std::move(s));
    }
    if ((!*row && !rows.empty()) || rows.size() >= batch) {
      DALA_RETURN_IF_ERROR(visit(rows));
      rows.clear();
    }
    if (!*row) return Status::Ok();
  }
}

Result<std::optional<BundleSubmission>> BundleReader::FindSubmission(const SubmissionId& id) {
  DALA_ASSIGN_OR_RETURN(auto st,
                        db_->Prepare(std::string("SELECT ") + kSubmissionColumns + " FROM submissions WHERE id = ?"));
  st.BindBlob(1, id.data(), id.size());
  auto row = st.Step();
  if (!row.ok()) return Damaged(row.status());
  if (!*row) return std::optional<BundleSubmission>();
  DALA_ASSIGN_OR_RETURN(BundleSubmission s, ReadSubmission(st));
  return std::optional<BundleSubmission>(std::move(s));
}

Result<SubmissionId> BundleReader::ResolveSubmission(std::string_view given) {
  DALA_ASSIGN_OR_RETURN(std::string hex, ShortIdDigits(given));
  DALA_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT id FROM submissions WHERE lower(hex(id)) LIKE ?1 LIMIT 2"));
  st.Bind(1, "%" + hex);
  std::vector<SubmissionId> found;
  for (;;) {
    auto row = st.Step();
    if (!row.ok()) return Damaged(row.status());
    if (!*row) break;
    SubmissionId id;
    DALA_RETURN_IF_ERROR(st.ReadBytes(0, &id, "a submissions row"));
    found.push_back(id);
  }
  if (found.empty())
    return Status(Status::Code::kNotFound, "no_such_record", "no submission " + std::string(given) + " in the bundle");
  if (found.size() > 1)
    return Status(Status::Code::kInvalidArgument, "ambiguous_record",
                  "'" + std::string(given) + "' matches several submissions; give more digits");
  return found[0];
}

Result<uint64_t> BundleReader::SubmissionCount() {
  DALA_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT count(*) FROM submissions"));
  auto row = st.Step();
  if (!row.ok()) return Damaged(row.status());
  return static_cast<uint64_t>(st.ColumnInt(0));
}

}  // namespace dala::sync
