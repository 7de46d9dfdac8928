// SqliteStore: forms, envelopes, the log, derived submission state,
// outboxes and checkpoints.

#include <algorithm>
#include <array>
#include <map>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>
#include "dala/base/hex.h"
#include "dala/schema/value.h"
#include "dala/sync/merkle.h"
#include "indicator_counts.h"
#include "sqlite_store.h"
#include "submission_filter_sql.h"

namespace dala::server {

using sync::Hash;

namespace {

using Lock = std::lock_guard<std::recursive_mutex>;

// Reads a key column (an id, a hash). A blob of the wrong size is
// Corruption naming the row, by `row()`, built only then: a damaged
// database is reported, never read as an all-zero key.
template <size_t N, typename RowName>
Status ReadKey(const sql::Statement& st, int column, std::array<uint8_t, N>* out, const RowName& row) {
  if (st.ColumnBytes(column, out)) return Status::Ok();
  return st.ReadBytes(column, out, row());
}

// A submissions row whose id is damaged has nothing else unique to be
// named by: it is named by the bytes it holds, as SQL finds it again.
Status ReadSubmissionId(const sql::Statement& st, int column, sync::SubmissionId* out) {
  return ReadKey(st, column, out, [&] { return "submissions row x'" + ToHex(st.ColumnBlob(column)) + "'"; });
}

// The rows of "SELECT log_index, id, bytes FROM envelopes ...".
Result<std::vector<StoredEnvelope>> ReadStoredEnvelopes(sql::Statement& st) {
  std::vector<StoredEnvelope> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    StoredEnvelope e;
    e.log_index = static_cast<uint64_t>(st.ColumnInt(0));
    DALA_RETURN_IF_ERROR(
        ReadKey(st, 1, &e.id, [&] { return "envelopes row at log index " + std::to_string(e.log_index); }));
    e.bytes = st.ColumnBlob(2);
    out.push_back(std::move(e));
  }
  return out;
}

// How Tip and EnvelopeIdAt name an envelopes row.
std::string EnvelopeRowOf(const sync::PublicKey& author, uint64_t sequence) {
  return "envelopes row of author " + ToHex(author) + " at sequence " + std::to_string(sequence);
}

}  // namespace

FormInfo ReadFormInfo(const sql::Statement& st) {
  return {st.ColumnText(0), st.ColumnText(1), st.ColumnText(2), st.ColumnText(3), st.ColumnInt(4),
          st.ColumnInt(5),  st.ColumnInt(6),  st.ColumnText(7)};
}

Result<FormInfo> SqliteStore::PublishForm(std::string_view document, const FormInfo& info) {
  Lock lock(mutex_);
  DALA_RETURN_IF_ERROR(db_.Exec("SAVEPOINT publish_form"));
  bool inserted = false;
  auto published = PublishFormRow(document, info, &inserted);
  Status s = published.status();
  if (s.ok() && inserted) s = CountWhatANewVersionReads(info.form_id);
  if (!s.ok()) {
    (void)db_.Exec("ROLLBACK TO publish_form");
    count_plans_.Clear();  // a plan may have counted the version rolled back
  }
  Status released = db_.Exec("RELEASE publish_form");
  if (!s.ok()) return s;
  if (!released.ok()) return released;
  return published;
}

Status SqliteStore::CountWhatANewVersionReads(const std::string& form_id) {
  // The version just stored is the newest: the plan before it is that of
  // the others.
  DALA_ASSIGN_OR_RETURN(std::vector<std::string> documents, FormDocumentsOf(form_id));
  return CountPlan::NewestWidens(documents) ? RecountIndicators(&form_id) : Status::Ok();
}

Result<FormInfo> SqliteStore::PublishFormRow(std::string_view document, const FormInfo& info, bool* inserted) {
  {
    DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kFormColumns +
                                               " FROM forms WHERE form_id = ? AND version = ?"));
    st.Bind(1, info.form_id).Bind(2, info.version);
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) {
      FormInfo existing = ReadFormInfo(st);
      if (existing.hash == info.hash && existing.retired_ms != 0)
        return Status::FailedPrecondition("form " + info.form_id + " version " + info.version +
                                          " was retired; publish it as a new version to use it again");
      if (existing.hash == info.hash) return existing;
      return Status::AlreadyExists("form " + info.form_id + " version " + info.version +
                                   " is already published with different content; publish the change as a new version");
    }
  }
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(
                                     "INSERT INTO forms(hash, form_id, version, project, document, published_ms, "
                                     "publish_seq) VALUES (?, ?, ?, ?, ?, ?, "
                                     "(SELECT coalesce(max(publish_seq), 0) + 1 FROM forms))"));
  DALA_RETURN_IF_ERROR(st.Bind(1, info.hash)
                           .Bind(2, info.form_id)
                           .Bind(3, info.version)
                           .Bind(4, info.project)
                           .BindBlob(5, document)
                           .Bind(6, info.published_ms)
                           .Run());
  *inserted = true;
  FormInfo out = info;
  DALA_ASSIGN_OR_RETURN(auto seq, db_.Prepare("SELECT publish_seq FROM forms WHERE hash = ?"));
  seq.Bind(1, info.hash);
  DALA_ASSIGN_OR_RETURN(bool row, seq.Step());
  if (row) out.publish_seq = seq.ColumnInt(0);
  return out;
}

Result<std::vector<FormInfo>> SqliteStore::ListForms() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kFormColumns + " FROM forms ORDER BY publish_seq"));
  std::vector<FormInfo> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadFormInfo(st));
  }
  return out;
}

Result<std::optional<std::string>> SqliteStore::FormDocument(std::string_view hash_hex) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT document FROM forms WHERE hash = ?"));
  st.Bind(1, hash_hex);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st.ColumnBlob(0));
}

Result<std::vector<std::pair<FormInfo, std::string>>> SqliteStore::FormsPublishedAfter(int64_t publish_seq,
                                                                                      size_t limit) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kFormColumns +
                                             ", document FROM forms WHERE publish_seq > ? AND retired_ms = 0 "
                                             "ORDER BY publish_seq LIMIT ?"));
  st.Bind(1, publish_seq).Bind(2, static_cast<int64_t>(limit));
  std::vector<std::pair<FormInfo, std::string>> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.emplace_back(ReadFormInfo(st), st.ColumnBlob(kFormColumnCount));
  }
  return out;
}

Result<sync::ChainTip> SqliteStore::Tip(const sync::PublicKey& author) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT sequence, id FROM envelopes WHERE author = ? "
                                             "ORDER BY sequence DESC LIMIT 1"));
  st.BindBytes(1, author);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  sync::ChainTip tip;
  if (!row) return tip;
  tip.sequence = static_cast<uint64_t>(st.ColumnInt(0));
  DALA_RETURN_IF_ERROR(ReadKey(st, 1, &tip.id, [&] { return EnvelopeRowOf(author, tip.sequence); }));
  return tip;
}

Result<std::optional<Hash>> SqliteStore::EnvelopeIdAt(const sync::PublicKey& author, uint64_t sequence) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT id FROM envelopes WHERE author = ? AND sequence = ?"));
  st.BindBytes(1, author).Bind(2, static_cast<int64_t>(sequence));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<Hash>();
  Hash h;
  DALA_RETURN_IF_ERROR(ReadKey(st, 0, &h, [&] { return EnvelopeRowOf(author, sequence); }));
  return std::optional<Hash>(h);
}

Result<std::optional<StoredEnvelope>> SqliteStore::FindEnvelope(const Hash& id) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT log_index, bytes FROM envelopes WHERE id = ?"));
  st.BindBytes(1, id);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<StoredEnvelope>();
  return std::optional<StoredEnvelope>(StoredEnvelope{static_cast<uint64_t>(st.ColumnInt(0)), id, st.ColumnBlob(1)});
}

Result<std::optional<EnvelopeSubject>> SqliteStore::FindEnvelopeSubject(const Hash& id) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT submission, kind FROM envelopes WHERE id = ?"));
  st.BindBytes(1, id);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<EnvelopeSubject>();
  EnvelopeSubject subject;
  DALA_RETURN_IF_ERROR(ReadKey(st, 0, &subject.submission, [&] { return "envelopes row " + ToHex(id); }));
  subject.revision = st.ColumnInt(1) == static_cast<int64_t>(sync::EnvelopeKind::kRevision);
  return std::optional<EnvelopeSubject>(subject);
}

Status SqliteStore::AppendEnvelope(const sync::Envelope& e, const Hash& leaf, uint64_t index, int64_t now_ms) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(
                                     "INSERT INTO envelopes(id, log_index, leaf_hash, bytes, kind, submission, author, "
                                     "sequence, hlc, accepted_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  DALA_RETURN_IF_ERROR(st.BindBytes(1, e.id())
                           .Bind(2, static_cast<int64_t>(index))
                           .BindBytes(3, leaf)
                           .BindBlob(4, e.bytes())
                           .Bind(5, static_cast<int64_t>(e.kind()))
                           .BindBytes(6, e.submission())
                           .BindBytes(7, e.author())
                           .Bind(8, static_cast<int64_t>(e.sequence()))
                           .Bind(9, static_cast<int64_t>(e.hlc().packed))
                           .Bind(10, now_ms)
                           .Run());
  return Status::Ok();
}

Result<uint64_t> SqliteStore::LogSize() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT coalesce(max(log_index) + 1, 0) FROM envelopes"));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  (void)row;
  return static_cast<uint64_t>(st.ColumnInt(0));
}

Status SqliteStore::ForEachLeafHash(uint64_t start, const std::function<void(uint64_t, const Hash&)>& visit) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT log_index, leaf_hash FROM envelopes WHERE log_index >= ? "
                                             "ORDER BY log_index"));
  st.Bind(1, static_cast<int64_t>(start));
  uint64_t expected = start;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    Hash h;
    uint64_t index = static_cast<uint64_t>(st.ColumnInt(0));
    if (index != expected || !st.ColumnBytes(1, &h))
      return Status::Corruption("the log has a gap or a malformed leaf at index " + std::to_string(expected));
    visit(index, h);
    ++expected;
  }
  return Status::Ok();
}

Result<std::vector<StoredEnvelope>> SqliteStore::LogRange(uint64_t start, uint64_t end) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT log_index, id, bytes FROM envelopes "
                                             "WHERE log_index >= ? AND log_index < ? ORDER BY log_index"));
  st.Bind(1, static_cast<int64_t>(start)).Bind(2, static_cast<int64_t>(end));
  return ReadStoredEnvelopes(st);
}

Result<std::vector<StoredEnvelope>> SqliteStore::EnvelopesOf(const sync::SubmissionId& submission) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT log_index, id, bytes FROM envelopes WHERE submission = ? "
                                             "ORDER BY log_index"));
  st.BindBytes(1, submission);
  return ReadStoredEnvelopes(st);
}

Result<uint64_t> SqliteStore::CountEnvelopesOfAfter(const sync::SubmissionId& submission, uint64_t log_index) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT count(*) FROM envelopes WHERE submission = ? AND log_index > ?"));
  st.BindBytes(1, submission).Bind(2, static_cast<int64_t>(log_index));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status::Internal("count(*) gave no row");
  return static_cast<uint64_t>(st.ColumnInt(0));
}

// --- derived state -------------------------------------------------------------

namespace {

constexpr const char* kSubmissionColumns =
    "id, form_id, form_version, form_hash, volunteer, centre, region, visit_date, duplicate_key, created_ms, "
    "updated_ms, answers, heads, conflicts, review_state, review_by, review_comment, changed_since_review, "
    "duplicate_group, merged_into, last_log_index, distinct_from, only_head, only_head_hlc";

Result<SubmissionSummary> ReadSummary(const sql::Statement& st) {
  SubmissionSummary s;
  DALA_RETURN_IF_ERROR(ReadSubmissionId(st, 0, &s.id));
  s.form_id = st.ColumnText(1);
  s.form_version = st.ColumnText(2);
  s.form_hash = st.ColumnText(3);
  s.volunteer = st.ColumnText(4);
  s.centre = st.ColumnText(5);
  s.region = st.ColumnText(6);
  s.visit_date = st.ColumnText(7);
  s.duplicate_key = st.ColumnText(8);
  s.created_ms = st.ColumnInt(9);
  s.updated_ms = st.ColumnInt(10);
  s.answers_json = st.ColumnText(11);
  s.heads = static_cast<int>(st.ColumnInt(12));
  s.conflicts = static_cast<int>(st.ColumnInt(13));
  s.review_state = st.ColumnText(14);
  s.review_by = st.ColumnText(15);
  s.review_comment = st.ColumnText(16);
  s.changed_since_review = st.ColumnInt(17) != 0;
  s.duplicate_group = st.ColumnText(18);
  s.merged_into = st.ColumnText(19);
  s.last_log_index = static_cast<uint64_t>(st.ColumnInt(20));
  s.distinct_from = st.ColumnText(21);
  s.only_head = st.ColumnText(22);
  s.only_head_hlc = static_cast<uint64_t>(st.ColumnInt(23));
  return s;
}

}  // namespace

// The record and the indicator counts change together: in the caller's
// transaction (InTransaction writes the counts before it commits), or in a
// savepoint of their own. The stored row is read once, for both.
Status SqliteStore::PutSubmission(const SubmissionSummary& s) {
  Lock lock(mutex_);
  if (in_transaction_) {
    DALA_ASSIGN_OR_RETURN(std::optional<SubmissionSummary> stored, StoredSubmission(s.id));
    RecordCountChange change = CountChangeOf(s, stored ? &*stored : nullptr);
    DALA_RETURN_IF_ERROR(PutSubmissionRow(s, stored ? &*stored : nullptr));
    return change.AddTo(s, PlanFor(), &pending_counts_);
  }
  DALA_RETURN_IF_ERROR(db_.Exec("SAVEPOINT put_submission"));
  auto stored = StoredSubmission(s.id);
  Status put = stored.status();
  if (put.ok()) {
    const SubmissionSummary* before = *stored ? &**stored : nullptr;
    IndicatorTally change;
    put = CountChangeOf(s, before).AddTo(s, PlanFor(), &change);
    if (put.ok()) put = ApplyIndicatorTally(change);
    if (put.ok()) put = PutSubmissionRow(s, before);
  }
  if (!put.ok()) (void)db_.Exec("ROLLBACK TO put_submission");
  Status released = db_.Exec("RELEASE put_submission");
  return put.ok() ? released : put;
}

// Inside a transaction this connection is the only writer (InTransaction
// holds the store's mutex until it ends), so a row read earlier in it is the
// row now.
Status SqliteStore::PutSubmissionOver(const SubmissionSummary& s, const SubmissionSummary& stored) {
  Lock lock(mutex_);
  if (!in_transaction_ || stored.id != s.id) return PutSubmission(s);
  RecordCountChange change = CountChangeOf(s, &stored);
  DALA_RETURN_IF_ERROR(PutSubmissionRow(s, &stored));
  return change.AddTo(s, PlanFor(), &pending_counts_);
}

// The same for a row the transaction found absent: PutSubmissionRow's
// plain INSERT refuses an id that has a row, so a wrong "absent" fails the
// transaction instead of counting the record twice.
Status SqliteStore::PutNewSubmission(const SubmissionSummary& s) {
  Lock lock(mutex_);
  if (!in_transaction_) return PutSubmission(s);
  RecordCountChange change = CountChangeOf(s, nullptr);
  DALA_RETURN_IF_ERROR(PutSubmissionRow(s, nullptr));
  return change.AddTo(s, PlanFor(), &pending_counts_);
}

namespace {

// The submissions row's columns after the id, with their values in a
// summary: what PutSubmissionRow writes, by name.
using ColumnValue = std::variant<int64_t, std::string_view>;
constexpr size_t kSubmissionValueColumns = 23;

std::array<std::pair<const char*, ColumnValue>, kSubmissionValueColumns> SubmissionValues(
    const SubmissionSummary& s) {
  return {{{"form_id", s.form_id},
           {"form_version", s.form_version},
           {"form_hash", s.form_hash},
           {"volunteer", s.volunteer},
           {"centre", s.centre},
           {"region", s.region},
           {"visit_date", s.visit_date},
           {"duplicate_key", s.duplicate_key},
           {"created_ms", s.created_ms},
           {"updated_ms", s.updated_ms},
           {"answers", s.answers_json},
           {"heads", static_cast<int64_t>(s.heads)},
           {"conflicts", static_cast<int64_t>(s.conflicts)},
           {"review_state", s.review_state},
           {"review_by", s.review_by},
           {"review_comment", s.review_comment},
           {"changed_since_review", static_cast<int64_t>(s.changed_since_review ? 1 : 0)},
           {"duplicate_group", s.duplicate_group},
           {"merged_into", s.merged_into},
           {"last_log_index", static_cast<int64_t>(s.last_log_index)},
           {"distinct_from", s.distinct_from},
           {"only_head", s.only_head},
           {"only_head_hlc", static_cast<int64_t>(s.only_head_hlc)}}};
}

void BindValue(sql::Statement& st, int index, const ColumnValue& v) {
  if (const int64_t* n = std::get_if<int64_t>(&v))
    st.Bind(index, *n);
  else
    st.Bind(index, std::get<std::string_view>(v));
}

}  // namespace

Status SqliteStore::PutSubmissionRow(const SubmissionSummary& s, const SubmissionSummary* stored) {
  const auto values = SubmissionValues(s);
  if (stored == nullptr) {
    static const std::string insert = [] {
      std::string columns = "id", places = "?";
      for (const auto& [name, value] : SubmissionValues(SubmissionSummary{})) {
        columns += std::string(", ") + name;
        places += ", ?";
      }
      return "INSERT INTO submissions(" + columns + ") VALUES (" + places + ")";
    }();
    DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(insert));
    st.BindBytes(1, s.id);
    for (size_t i = 0; i < values.size(); ++i) BindValue(st, static_cast<int>(i) + 2, values[i].second);
    return st.Run();
  }
  // An edit changes a few columns (its time, its answers, its heads). SQLite
  // rewrites only the indexes that hold a column an UPDATE sets, where
  // INSERT OR REPLACE deleted and inserted the row in all ten: setting only
  // what changed halved the time to store 1,000 edited records (measured on
  // a 100,000-record server database).
  const auto old_values = SubmissionValues(*stored);
  std::string sql = "UPDATE submissions SET ";
  std::vector<const ColumnValue*> changed;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].second == old_values[i].second) continue;
    sql += changed.empty() ? "" : ", ";
    sql += values[i].first;
    sql += " = ?";
    changed.push_back(&values[i].second);
  }
  if (changed.empty()) return Status::Ok();
  sql += " WHERE id = ?";
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(sql));
  for (size_t i = 0; i < changed.size(); ++i) BindValue(st, static_cast<int>(i) + 1, *changed[i]);
  st.BindBytes(static_cast<int>(changed.size()) + 1, s.id);
  return st.Run();
}

Result<std::optional<SubmissionSummary>> SqliteStore::StoredSubmission(const sync::SubmissionId& id) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kSubmissionColumns + " FROM submissions WHERE id = ?"));
  st.BindBytes(1, id);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<SubmissionSummary>();
  DALA_ASSIGN_OR_RETURN(SubmissionSummary summary, ReadSummary(st));
  return std::optional<SubmissionSummary>(std::move(summary));
}

Result<std::optional<SubmissionSummary>> SqliteStore::FindSubmission(const sync::SubmissionId& id) {
  Lock lock(mutex_);
  return StoredSubmission(id);
}

namespace {

// The visit date when the form has one, else the creation day (UTC).
constexpr const char* kDayExpression =
    "(CASE WHEN visit_date != '' THEN visit_date ELSE date(created_ms / 1000, 'unixepoch') END)";

constexpr SqlDialect kDialect{/*numbered_placeholders=*/false, "1", kDayExpression, "lower(hex(id))", "LIKE"};

void BindAll(sql::Statement& st, const std::vector<std::string>& args) {
  int i = 1;
  for (const std::string& a : args) st.Bind(i++, a);
}

}  // namespace

Result<std::vector<SubmissionSummary>> SqliteStore::ListSubmissions(const SubmissionFilter& f) {
  Lock lock(mutex_);
  FilterSql w = SubmissionWhere(f, kDialect);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kSubmissionColumns + " FROM submissions" + w.where +
                                             SubmissionOrderBy(f, kDialect) + " LIMIT ? OFFSET ?"));
  BindAll(st, w.args);
  st.Bind(static_cast<int>(w.args.size()) + 1, static_cast<int64_t>(f.limit));
  st.Bind(static_cast<int>(w.args.size()) + 2, static_cast<int64_t>(f.offset));
  std::vector<SubmissionSummary> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DALA_ASSIGN_OR_RETURN(SubmissionSummary summary, ReadSummary(st));
    out.push_back(std::move(summary));
  }
  return out;
}

Status SqliteStore::ForEachSubmission(const SubmissionFilter& f,
                                      const std::function<Status(const SubmissionSummary&)>& visit) {
  Lock lock(mutex_);
  FilterSql w = SubmissionWhere(f, kDialect);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kSubmissionColumns + " FROM submissions" + w.where +
                                             SubmissionOrderBy(f, kDialect)));
  BindAll(st, w.args);
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Status::Ok();
    DALA_ASSIGN_OR_RETURN(SubmissionSummary summary, ReadSummary(st));
    DALA_RETURN_IF_ERROR(visit(summary));
  }
}

Result<uint64_t> SqliteStore::CountSubmissions(const SubmissionFilter& f) {
  Lock lock(mutex_);
  FilterSql w = SubmissionWhere(f, kDialect);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT count(*) FROM submissions" + w.where));
  BindAll(st, w.args);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? static_cast<uint64_t>(st.ColumnInt(0)) : 0;
}

Result<std::vector<GroupCount>> SqliteStore::CountSubmissionsBy(const SubmissionFilter& f, SubmissionGroup by) {
  Lock lock(mutex_);
  FilterSql w = SubmissionWhere(f, kDialect);
  std::string sql;
  switch (by) {
    case SubmissionGroup::kDay:
      sql = std::string("SELECT ") + kDayExpression + ", '', count(*) FROM submissions" + w.where + " GROUP BY 1 ORDER BY 1";
      break;
    case SubmissionGroup::kCentre:
      sql = "SELECT centre, region, count(*) FROM submissions" + w.where + " GROUP BY centre, region ORDER BY 1";
      break;
    case SubmissionGroup::kRegion:
      sql = "SELECT region, '', count(*) FROM submissions" + w.where + " GROUP BY region ORDER BY 1";
      break;
  }
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(sql));
  BindAll(st, w.args);
  std::vector<GroupCount> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.ColumnText(0), st.ColumnText(1), static_cast<uint64_t>(st.ColumnInt(2))});
  }
  return out;
}

// The overview's eight figures in one pass over the dashboard index, where
// TallySubmissionsByQueries scans it eight times: ~91,000 submissions took
// 220 ms that way, most of it in the day query's date() of every row
// (BENCHMARKS.md, D). The day of a record without a visit date is found
// here from its day number, once per distinct day, as date(created_ms /
// 1000, 'unixepoch') finds it; SqliteStoreRecordsTest holds every figure
// to the queries'.
Result<SubmissionTally> SqliteStore::TallySubmissions(const SubmissionFilter& f) {
  Lock lock(mutex_);
  // unreviewed and sent_back replace the filter's state with their own.
  SubmissionFilter scan = f;
  scan.review_state.clear();
  FilterSql w = SubmissionWhere(scan, kDialect);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT review_state, conflicts > 0, duplicate_group <> '' AND merged_into = '', "
                                             "changed_since_review = 1, merged_into = '', visit_date, created_ms, centre, "
                                             "region FROM submissions" + w.where));
  BindAll(st, w.args);
  SubmissionTally t;
  std::map<std::string, uint64_t> by_visit_date;
  std::map<int64_t, uint64_t> by_created_day;  // days since 1970-01-01, UTC
  std::map<std::pair<std::string, std::string>, uint64_t> by_centre;
  // The index holds a region's centres together and, within them, their
  // days in order: the row before's count is most often this row's too.
  uint64_t* visit_date_count = nullptr;
  uint64_t* centre_count = nullptr;
  std::string last_visit_date, last_centre, last_region;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    std::string_view state = st.ColumnTextView(0);
    if (state == "received") ++t.unreviewed;
    if (state == "has_issues") ++t.sent_back;
    if (!f.review_state.empty() && state != f.review_state) continue;
    ++t.total;
    t.conflicts += st.ColumnInt(1) != 0;
    t.duplicates += st.ColumnInt(2) != 0;
    t.changed += st.ColumnInt(3) != 0;
    std::string_view visit_date = st.ColumnTextView(5);
    if (!visit_date.empty()) {
      if (visit_date_count == nullptr || visit_date != last_visit_date) {
        last_visit_date = visit_date;
        visit_date_count = &by_visit_date[last_visit_date];
      }
      ++*visit_date_count;
    } else {
      // Seconds as SQL's created_ms / 1000 makes them (toward zero); the day
      // they fall in, as date(..., 'unixepoch') names it (toward the past).
      int64_t seconds = st.ColumnInt(6) / 1000;
      ++by_created_day[seconds / 86'400 - (seconds % 86'400 < 0 ? 1 : 0)];
    }
    if (st.ColumnInt(4) != 0 && state != "rejected") {
      std::string_view centre = st.ColumnTextView(7), region = st.ColumnTextView(8);
      if (centre_count == nullptr || centre != last_centre || region != last_region) {
        last_centre = centre;
        last_region = region;
        centre_count = &by_centre[{last_centre, last_region}];
      }
      ++*centre_count;
    }
  }
  for (const auto& [day, count] : by_created_day) {
    // 0001-01-01 to 9999-12-31: what FormatIsoDate writes as date() does.
    std::string text;
    if (day >= -719'162 && day <= 2'932'896) {
      text = schema::FormatIsoDate(day);
    } else {
      DALA_ASSIGN_OR_RETURN(auto date, db_.Prepare("SELECT date(? * 86400, 'unixepoch')"));
      date.Bind(1, day);
      DALA_ASSIGN_OR_RETURN(bool row, date.Step());
      if (row) text = date.ColumnText(0);
    }
    by_visit_date[text] += count;
  }
  for (const auto& [day, count] : by_visit_date) t.per_day.push_back({day, "", count});
  for (const auto& [place, count] : by_centre) t.current_by_centre.push_back({place.first, place.second, count});
  return t;
}

// --- indicator counts ----------------------------------------------------------

Status SqliteStore::ApplyIndicatorTally(const IndicatorTally& tally) {
  DALA_ASSIGN_OR_RETURN(auto add, db_.Prepare("INSERT INTO indicator_counts(form_id, region, centre, path, kind, value, n) "
                                              "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (form_id, region, centre, path, kind, value) "
                                              "DO UPDATE SET n = n + excluded.n"));
  // A count that falls to zero names a value no current record has.
  DALA_ASSIGN_OR_RETURN(auto drop, db_.Prepare("DELETE FROM indicator_counts WHERE form_id = ? AND region = ? AND "
                                               "centre = ? AND path = ? AND kind = ? AND value = ? AND n <= 0"));
  auto bind_key = [](sql::Statement& st, const IndicatorPlace& place, const IndicatorItem& item) -> sql::Statement& {
    return st.Bind(1, place.form_id)
        .Bind(2, place.region)
        .Bind(3, place.centre)
        .Bind(4, item.path)
        .Bind(5, static_cast<int64_t>(item.kind))
        .Bind(6, item.value);
  };
  for (const auto& [place, items] : tally.places()) {
    for (const auto* entry : IndicatorTally::Sorted(items)) {
      const auto& [item, n] = *entry;
      DALA_RETURN_IF_ERROR(bind_key(add, place, item).Bind(7, n).Run());
      if (n < 0) DALA_RETURN_IF_ERROR(bind_key(drop, place, item).Run());
    }
  }
  return Status::Ok();
}

RecordCountChange SqliteStore::CountChangeOf(const SubmissionSummary& s, const SubmissionSummary* stored) {
  if (stored == nullptr) return RecordCountChange::Of(s, nullptr);
  RecordCountChange::StoredRow row{stored->form_id,      stored->region,       stored->centre,
                                   stored->answers_json, stored->merged_into, stored->review_state};
  return RecordCountChange::Of(s, &row);
}

Result<const CountPlan*> SqliteStore::CountPlanFor(const std::string& form_id) {
  if (const CountPlan* plan = count_plans_.Checked(form_id)) return plan;
  DALA_ASSIGN_OR_RETURN(auto count, db_.Prepare("SELECT count(*) FROM forms WHERE form_id = ?"));
  count.Bind(1, form_id);
  DALA_ASSIGN_OR_RETURN(bool row, count.Step());
  const int64_t versions = row ? count.ColumnInt(0) : 0;
  DALA_RETURN_IF_ERROR(count.Reset());
  return count_plans_.Get(form_id, versions, in_transaction_, [&] { return FormDocumentsOf(form_id); });
}

Result<std::vector<std::string>> SqliteStore::FormDocumentsOf(const std::string& form_id) {
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT document FROM forms WHERE form_id = ? ORDER BY publish_seq"));
  st.Bind(1, form_id);
  std::vector<std::string> documents;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) break;
    documents.push_back(st.ColumnBlob(0));
  }
  return documents;
}

Status SqliteStore::RecountIndicators(const std::string* form_id) {
  // What this transaction has summed so far goes in first: the rows of
  // other forms keep it, and this form's are made again from its records.
  DALA_RETURN_IF_ERROR(FlushIndicatorCounts());
  std::string only = form_id == nullptr ? "" : " AND form_id = ?";
  DALA_ASSIGN_OR_RETURN(auto clear, db_.Prepare("DELETE FROM indicator_counts WHERE 1" + only));
  if (form_id != nullptr) clear.Bind(1, *form_id);
  DALA_RETURN_IF_ERROR(clear.Run());
  Recount recount(PlanFor());
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT form_id, region, centre, answers FROM submissions "
                                             "WHERE merged_into = '' AND review_state != 'rejected'" + only));
  if (form_id != nullptr) st.Bind(1, *form_id);
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool more, st.Step());
    if (!more) break;
    DALA_RETURN_IF_ERROR(recount.Add(st.ColumnText(0), st.ColumnText(1), st.ColumnText(2), st.ColumnText(3)));
  }
  return ApplyIndicatorTally(recount.tally());
}

Status SqliteStore::FlushIndicatorCounts() {
  Status s = ApplyIndicatorTally(pending_counts_);
  pending_counts_.clear();
  return s;
}

Status SqliteStore::FillPendingIndicatorCounts() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto pending, db_.Prepare("SELECT count(*) FROM indicator_counts_pending"));
  DALA_ASSIGN_OR_RETURN(bool row, pending.Step());
  if (!row || pending.ColumnInt(0) == 0) return Status::Ok();
  DALA_ASSIGN_OR_RETURN(auto tx, sql::Transaction::Begin(db_));
  DALA_RETURN_IF_ERROR(RecountIndicators(nullptr));
  DALA_RETURN_IF_ERROR(db_.Exec("DELETE FROM indicator_counts_pending"));
  return tx.Commit();
}

Result<std::vector<IndicatorCountRow>> SqliteStore::IndicatorCounts(std::string_view form_id, std::string_view region,
                                                                    std::string_view centre) {
  Lock lock(mutex_);
  if (in_transaction_) DALA_RETURN_IF_ERROR(FlushIndicatorCounts());  // read what this transaction wrote
  // An empty region or centre picks them all.
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT region, centre, path, kind, value, n FROM indicator_counts "
                                             "WHERE form_id = ?1 AND (?2 = '' OR region = ?2) AND "
                                             "(?3 = '' OR centre = ?3)"));
  st.Bind(1, form_id).Bind(2, region).Bind(3, centre);
  std::vector<IndicatorCountRow> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.ColumnText(0), st.ColumnText(1), st.ColumnText(2), st.ColumnInt(3), st.ColumnText(4),
                   static_cast<uint64_t>(st.ColumnInt(5))});
  }
  return out;
}

Result<std::vector<std::pair<sync::PublicKey, uint64_t>>> SqliteStore::RevisionsPerAuthor() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT author, count(*) FROM envelopes GROUP BY author"));
  std::vector<std::pair<sync::PublicKey, uint64_t>> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    sync::PublicKey key;
    DALA_RETURN_IF_ERROR(st.ReadBytes(0, &key, "envelopes grouped by author"));
    out.emplace_back(key, static_cast<uint64_t>(st.ColumnInt(1)));
  }
  return out;
}

Result<std::vector<RecordStore::DuplicatePeer>> SqliteStore::DuplicatePeers(std::string_view form_id,
                                                                           std::string_view key,
                                                                           std::string_view other_than_volunteer) {
  Lock lock(mutex_);
  // "duplicate_key != ''" lets SQLite use the partial index on the key;
  // without it every refresh would scan all of the form's submissions.
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT id, volunteer, duplicate_group, merged_into, distinct_from FROM submissions "
                                             "WHERE duplicate_key = ? AND duplicate_key != '' AND form_id = ? "
                                             "AND volunteer != ?"));
  // A volunteer name is never empty, so "" keeps every row.
  st.Bind(1, key).Bind(2, form_id).Bind(3, other_than_volunteer);
  std::vector<DuplicatePeer> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DuplicatePeer p;
    DALA_RETURN_IF_ERROR(ReadSubmissionId(st, 0, &p.id));
    p.volunteer = st.ColumnText(1);
    p.duplicate_group = st.ColumnText(2);
    p.merged_into = st.ColumnText(3);
    p.distinct_from = st.ColumnText(4);
    out.push_back(std::move(p));
  }
  return out;
}

Status SqliteStore::SetDuplicateGroup(const sync::SubmissionId& id, std::string_view group) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("UPDATE submissions SET duplicate_group = ? WHERE id = ?"));
  return st.Bind(1, group).BindBytes(2, id).Run();
}

Result<std::vector<sync::SubmissionId>> SqliteStore::LegacyDistinctSubmissions() {
  Lock lock(mutex_);
  // The literal lets SQLite use the partial index of migration 3, so the
  // check at every start reads no table rows.
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT id FROM submissions WHERE duplicate_group = '-'"));
  std::vector<sync::SubmissionId> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    sync::SubmissionId id;
    DALA_RETURN_IF_ERROR(ReadSubmissionId(st, 0, &id));
    out.push_back(id);
  }
  return out;
}

Result<std::vector<sync::SubmissionId>> SqliteStore::SubmissionIdsEndingWith(std::string_view hex_end,
                                                                            size_t limit) {
  Lock lock(mutex_);
  // The end of the id, which is random: the start is its timestamp.
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT id FROM submissions WHERE lower(hex(id)) LIKE ? LIMIT ?"));
  st.Bind(1, "%" + std::string(hex_end)).Bind(2, static_cast<int64_t>(limit));
  std::vector<sync::SubmissionId> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    sync::SubmissionId id;
    DALA_RETURN_IF_ERROR(ReadSubmissionId(st, 0, &id));
    out.push_back(id);
  }
  return out;
}

Status SqliteStore::AddToOutbox(std::string_view volunteer, uint64_t log_index, const sync::PublicKey& author) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT INTO outbox(volunteer, log_index, author) VALUES (?, ?, ?)"));
  return st.Bind(1, volunteer).Bind(2, static_cast<int64_t>(log_index)).BindBytes(3, author).Run();
}

Status SqliteStore::AddToOutboxOnce(std::string_view volunteer, uint64_t log_index, const sync::PublicKey& author) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT INTO outbox(volunteer, log_index, author) SELECT ?1, ?2, ?3 "
                                             "WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE volunteer = ?1 "
                                             "AND log_index = ?2)"));
  return st.Bind(1, volunteer).Bind(2, static_cast<int64_t>(log_index)).BindBytes(3, author).Run();
}

// A scan of the outbox (its indexes lead with the volunteer): only a
// person key's revocation asks, which is rare.
Result<std::vector<std::string>> SqliteStore::VolunteersQueued(uint64_t log_index) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT DISTINCT volunteer FROM outbox WHERE log_index = ? "
                                             "ORDER BY volunteer"));
  st.Bind(1, static_cast<int64_t>(log_index));
  std::vector<std::string> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.ColumnText(0));
  }
  return out;
}

Status SqliteStore::QueueVolunteerHistory(std::string_view volunteer) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare(
                                     "INSERT INTO outbox(volunteer, log_index, author) "
                                     "SELECT ?1, e.log_index, e.author FROM envelopes e "
                                     "JOIN submissions s ON s.id = e.submission WHERE s.volunteer = ?1 "
                                     "AND e.log_index NOT IN (SELECT log_index FROM outbox WHERE volunteer = ?1) "
                                     "ORDER BY e.log_index"));
  return st.Bind(1, volunteer).Run();
}

Result<std::vector<std::pair<int64_t, uint64_t>>> SqliteStore::Outbox(std::string_view volunteer,
                                                                     const sync::PublicKey& reader, int64_t after_id,
                                                                     int64_t through_id, size_t limit) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT id, log_index FROM outbox WHERE volunteer = ? AND id > ? "
                                             "AND id <= ? AND author != ? ORDER BY id LIMIT ?"));
  st.Bind(1, volunteer).Bind(2, after_id).Bind(3, through_id).BindBytes(4, reader).Bind(5, static_cast<int64_t>(limit));
  std::vector<std::pair<int64_t, uint64_t>> out;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.emplace_back(st.ColumnInt(0), static_cast<uint64_t>(st.ColumnInt(1)));
  }
  return out;
}

Result<int64_t> SqliteStore::OutboxEnd(std::string_view volunteer) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT coalesce(max(id), 0) FROM outbox WHERE volunteer = ?"));
  st.Bind(1, volunteer);
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt(0) : 0;
}

Status SqliteStore::PutCheckpoint(uint64_t size, std::string_view note) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT OR REPLACE INTO checkpoints(size, note) VALUES (?, ?)"));
  return st.Bind(1, static_cast<int64_t>(size)).Bind(2, note).Run();
}

Result<std::optional<std::pair<uint64_t, std::string>>> SqliteStore::LastCheckpoint() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1"));
  DALA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::pair<uint64_t, std::string>>();
  return std::optional<std::pair<uint64_t, std::string>>({static_cast<uint64_t>(st.ColumnInt(0)), st.ColumnText(1)});
}

}  // namespace dala::server
