// PostgresStore: forms, envelopes, the log, derived submission state,
// indicator counts, outboxes and checkpoints, as sqlite_store_records.cc
// keeps them: the same statements in PostgreSQL's dialect, with the order
// SQLite's indexes gave written out where SQLite's statements left it to
// them.
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "dala/base/hex.h"
#include "indicator_counts.h"
#include "postgres_store.h"
#include "submission_filter_sql.h"

namespace dala::server {

using sync::Hash;

namespace {

using Lock = std::lock_guard<std::recursive_mutex>;
using pg::Params;

std::string Sql(std::string_view a, std::string_view b, std::string_view c = "") {
  std::string s(a);
  s.append(b).append(c);
  return s;
}

// A LIMIT: a size past BIGINT's range is no limit (SQLite reads the
// negative number it becomes as none; PostgreSQL refuses it).
Params& Limit(Params& p, size_t limit) {
  if (limit > static_cast<size_t>(std::numeric_limits<int64_t>::max())) return p.Null();
  return p.Int(static_cast<int64_t>(limit));
}

// A submissions row whose id is damaged has nothing else unique to be
// named by: it is named by the bytes it holds.
Status ReadSubmissionId(const pg::Rows& r, int i, int column, sync::SubmissionId* out) {
  if (r.Bytes(i, column).size() == out->size()) return r.ReadBytes(i, column, out, "submissions");
  return r.ReadBytes(i, column, out, "submissions row x'" + ToHex(r.Bytes(i, column)) + "'");
}

// How Tip and EnvelopeIdAt name an envelopes row.
std::string EnvelopeRowOf(const sync::PublicKey& author, uint64_t sequence) {
  return "envelopes row of author " + ToHex(author) + " at sequence " + std::to_string(sequence);
}

// The rows of "SELECT log_index, id, bytes FROM envelopes ...".
Result<std::vector<StoredEnvelope>> ReadStoredEnvelopes(const pg::Rows& r) {
  std::vector<StoredEnvelope> out;
  out.reserve(static_cast<size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) {
    StoredEnvelope e;
    e.log_index = static_cast<uint64_t>(r.Int(i, 0));
    DALA_RETURN_IF_ERROR(r.ReadBytes(i, 1, &e.id, "envelopes row at log index " + std::to_string(e.log_index)));
    e.bytes = r.Bytes(i, 2);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

// --- forms ---------------------------------------------------------------------

Result<FormInfo> PostgresStore::PublishForm(std::string_view document, const FormInfo& info) {
  Lock lock(mutex_);
  FormInfo out;
  // publish_seq is the largest plus one: under the log's lock, so that two
  // nodes publishing at once do not both take the same number.
  DALA_RETURN_IF_ERROR(Atomically([&]() -> Status {
    DALA_RETURN_IF_ERROR(TakeLogLock());
    DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(Sql("SELECT ", kPgFormColumns, " FROM forms WHERE form_id = $1 AND version = $2"),
                                          Params().Text(info.form_id).Text(info.version)));
    if (!r.empty()) {
      FormInfo existing = ReadFormInfoRow(r, 0);
      if (existing.hash == info.hash && existing.retired_ms != 0)
        return Status::FailedPrecondition("form " + info.form_id + " version " + info.version +
                                          " was retired; publish it as a new version to use it again");
      if (existing.hash == info.hash) {
        out = existing;
        return Status::Ok();
      }
      return Status::AlreadyExists("form " + info.form_id + " version " + info.version +
                                   " is already published with different content; publish the change as a new version");
    }
    DALA_ASSIGN_OR_RETURN(pg::Rows seq, RunMayFail("INSERT INTO forms (hash, form_id, version, project, document, "
                                                   "published_ms, publish_seq) VALUES ($1, $2, $3, $4, $5, $6, "
                                                   "(SELECT coalesce(max(publish_seq), 0) + 1 FROM forms)) "
                                                   "RETURNING publish_seq",
                                                   Params()
                                                       .Text(info.hash)
                                                       .Text(info.form_id)
                                                       .Text(info.version)
                                                       .Text(info.project)
                                                       .Bytes(document)
                                                       .Int(info.published_ms)));
    out = info;
    if (!seq.empty()) out.publish_seq = seq.Int(0, 0);
    return CountWhatANewVersionReads(info.form_id);
  }));
  return out;
}

Result<std::vector<std::string>> PostgresStore::FormDocumentsOf(const std::string& form_id) {
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT document FROM forms WHERE form_id = $1 ORDER BY publish_seq",
                                        Params().Text(form_id)));
  std::vector<std::string> documents;
  for (int i = 0; i < r.size(); ++i) documents.push_back(r.Bytes(i, 0));
  return documents;
}

Status PostgresStore::CountWhatANewVersionReads(const std::string& form_id) {
  // The version just stored is the newest (publish_seq, under the log's
  // lock): the plan before it is that of the others.
  DALA_ASSIGN_OR_RETURN(std::vector<std::string> documents, FormDocumentsOf(form_id));
  return CountPlan::NewestWidens(documents) ? RecountIndicators(&form_id) : Status::Ok();
}

Result<std::vector<FormInfo>> PostgresStore::ListForms() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(Sql("SELECT ", kPgFormColumns, " FROM forms ORDER BY publish_seq")));
  std::vector<FormInfo> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(ReadFormInfoRow(r, i));
  return out;
}

Result<std::optional<std::string>> PostgresStore::FormDocument(std::string_view hash_hex) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT document FROM forms WHERE hash = $1", Params().Text(hash_hex)));
  if (r.empty()) return std::optional<std::string>();
  return std::optional<std::string>(r.Bytes(0, 0));
}

Result<std::vector<std::pair<FormInfo, std::string>>> PostgresStore::FormsPublishedAfter(int64_t publish_seq,
                                                                                        size_t limit) {
  Lock lock(mutex_);
  Params p;
  p.Int(publish_seq);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(Sql("SELECT ", kPgFormColumns,
                                            ", document FROM forms WHERE publish_seq > $1 AND retired_ms = 0 "
                                            "ORDER BY publish_seq LIMIT $2"),
                                        Limit(p, limit)));
  std::vector<std::pair<FormInfo, std::string>> out;
  for (int i = 0; i < r.size(); ++i) out.emplace_back(ReadFormInfoRow(r, i), r.Bytes(i, kPgFormColumnCount));
  return out;
}

// --- envelopes and the log -----------------------------------------------------------

Result<sync::ChainTip> PostgresStore::Tip(const sync::PublicKey& author) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT sequence, id FROM envelopes WHERE author = $1 "
                                        "ORDER BY sequence DESC LIMIT 1",
                                        Params().Bytes(author)));
  sync::ChainTip tip;
  if (r.empty()) return tip;
  tip.sequence = static_cast<uint64_t>(r.Int(0, 0));
  DALA_RETURN_IF_ERROR(r.ReadBytes(0, 1, &tip.id, EnvelopeRowOf(author, tip.sequence)));
  return tip;
}

Result<std::optional<Hash>> PostgresStore::EnvelopeIdAt(const sync::PublicKey& author, uint64_t sequence) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT id FROM envelopes WHERE author = $1 AND sequence = $2",
                                        Params().Bytes(author).Int(static_cast<int64_t>(sequence))));
  if (r.empty()) return std::optional<Hash>();
  Hash h;
  DALA_RETURN_IF_ERROR(r.ReadBytes(0, 0, &h, EnvelopeRowOf(author, sequence)));
  return std::optional<Hash>(h);
}

Result<std::optional<StoredEnvelope>> PostgresStore::FindEnvelope(const Hash& id) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT log_index, bytes FROM envelopes WHERE id = $1", Params().Bytes(id)));
  if (r.empty()) return std::optional<StoredEnvelope>();
  return std::optional<StoredEnvelope>(StoredEnvelope{static_cast<uint64_t>(r.Int(0, 0)), id, r.Bytes(0, 1)});
}

Result<std::optional<EnvelopeSubject>> PostgresStore::FindEnvelopeSubject(const Hash& id) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT submission, kind FROM envelopes WHERE id = $1", Params().Bytes(id)));
  if (r.empty()) return std::optional<EnvelopeSubject>();
  EnvelopeSubject subject;
  DALA_RETURN_IF_ERROR(r.ReadBytes(0, 0, &subject.submission, "envelopes row " + ToHex(id)));
  subject.revision = r.Int(0, 1) == static_cast<int64_t>(sync::EnvelopeKind::kRevision);
  return std::optional<EnvelopeSubject>(subject);
}

Status PostgresStore::AppendEnvelope(const sync::Envelope& e, const Hash& leaf, uint64_t index, int64_t now_ms) {
  Lock lock(mutex_);
  // ON CONFLICT rather than a savepoint (RunMayFail): the refusal leaves the
  // transaction usable in one round trip, not three, on the hot path.
  DALA_ASSIGN_OR_RETURN(
      pg::Rows inserted,
      Run("INSERT INTO envelopes (id, log_index, leaf_hash, bytes, kind, submission, author, sequence, hlc, "
          "accepted_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
          Params()
                        .Bytes(e.id())
                        .Int(static_cast<int64_t>(index))
                        .Bytes(leaf)
                        .Bytes(e.bytes())
                        .Int(static_cast<int64_t>(e.kind()))
                        .Bytes(e.submission())
                        .Bytes(e.author())
                        .Int(static_cast<int64_t>(e.sequence()))
                        .Int(static_cast<int64_t>(e.hlc().packed))
                        .Int(now_ms)));
  if (inserted.affected() == 0)
    return Status::AlreadyExists("envelope " + ToHex(e.id()) + " not stored: its id, log index " +
                                 std::to_string(index) + " or author's sequence " + std::to_string(e.sequence()) +
                                 " is taken");
  return Status::Ok();
}

Result<uint64_t> PostgresStore::LogSize() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT coalesce(max(log_index) + 1, 0) FROM envelopes"));
  return static_cast<uint64_t>(r.Int(0, 0));
}

Status PostgresStore::ForEachLeafHash(uint64_t start, const std::function<void(uint64_t, const Hash&)>& visit) {
  Lock lock(mutex_);
  uint64_t expected = start;
  return ForEachRow("SELECT log_index, leaf_hash FROM envelopes WHERE log_index >= $1 ORDER BY log_index",
                    Params().Int(static_cast<int64_t>(start)), [&](const pg::Rows& r, int i) -> Status {
                      Hash h;
                      uint64_t index = static_cast<uint64_t>(r.Int(i, 0));
                      if (index != expected || !r.ReadBytes(i, 1, &h, "envelopes").ok())
                        return Status::Corruption("the log has a gap or a malformed leaf at index " +
                                                  std::to_string(expected));
                      visit(index, h);
                      ++expected;
                      return Status::Ok();
                    });
}

Result<std::vector<StoredEnvelope>> PostgresStore::LogRange(uint64_t start, uint64_t end) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT log_index, id, bytes FROM envelopes "
                                        "WHERE log_index >= $1 AND log_index < $2 ORDER BY log_index",
                                        Params().Int(static_cast<int64_t>(start)).Int(static_cast<int64_t>(end))));
  return ReadStoredEnvelopes(r);
}

Result<std::vector<StoredEnvelope>> PostgresStore::EnvelopesOf(const sync::SubmissionId& submission) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT log_index, id, bytes FROM envelopes WHERE submission = $1 "
                                        "ORDER BY log_index",
                                        Params().Bytes(submission)));
  return ReadStoredEnvelopes(r);
}

Result<uint64_t> PostgresStore::CountEnvelopesOfAfter(const sync::SubmissionId& submission, uint64_t log_index) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT count(*) FROM envelopes WHERE submission = $1 AND log_index > $2",
                                        Params().Bytes(submission).Int(static_cast<int64_t>(log_index))));
  return static_cast<uint64_t>(r.Int(0, 0));
}

// --- derived state -------------------------------------------------------------

namespace {

constexpr const char* kSubmissionColumns =
    "id, form_id, form_version, form_hash, volunteer, centre, region, visit_date, duplicate_key, created_ms, "
    "updated_ms, answers, heads, conflicts, review_state, review_by, review_comment, changed_since_review, "
    "duplicate_group, merged_into, last_log_index, distinct_from, only_head, only_head_hlc";

Result<SubmissionSummary> ReadSummary(const pg::Rows& r, int i) {
  SubmissionSummary s;
  DALA_RETURN_IF_ERROR(ReadSubmissionId(r, i, 0, &s.id));
  s.form_id = r.Text(i, 1);
  s.form_version = r.Text(i, 2);
  s.form_hash = r.Text(i, 3);
  s.volunteer = r.Text(i, 4);
  s.centre = r.Text(i, 5);
  s.region = r.Text(i, 6);
  s.visit_date = r.Text(i, 7);
  s.duplicate_key = r.Text(i, 8);
  s.created_ms = r.Int(i, 9);
  s.updated_ms = r.Int(i, 10);
  s.answers_json = r.Text(i, 11);
  s.heads = static_cast<int>(r.Int(i, 12));
  s.conflicts = static_cast<int>(r.Int(i, 13));
  s.review_state = r.Text(i, 14);
  s.review_by = r.Text(i, 15);
  s.review_comment = r.Text(i, 16);
  s.changed_since_review = r.Int(i, 17) != 0;
  s.duplicate_group = r.Text(i, 18);
  s.merged_into = r.Text(i, 19);
  s.last_log_index = static_cast<uint64_t>(r.Int(i, 20));
  s.distinct_from = r.Text(i, 21);
  s.only_head = r.Text(i, 22);
  s.only_head_hlc = static_cast<uint64_t>(r.Int(i, 23));
  return s;
}

}  // namespace

// The record and the indicator counts change together, in the caller's
// transaction (InTransaction writes the counts before it commits) or in
// one of their own.
Status PostgresStore::PutSubmission(const SubmissionSummary& s) {
  Lock lock(mutex_);
  if (!in_transaction_) return InTransaction([&] { return PutSubmission(s); });
  DALA_ASSIGN_OR_RETURN(RecordCountChange change, CountChangeOf(s));
  DALA_RETURN_IF_ERROR(PutSubmissionRow(s));
  return change.AddTo(s, PlanFor(), &pending_counts_);
}

// This transaction does not keep other nodes' writers out of the row until
// it locks it (CountChangeOf's FOR UPDATE), so the row is read again, as
// PutSubmission does.
Status PostgresStore::PutSubmissionOver(const SubmissionSummary& s, const SubmissionSummary&) {
  return PutSubmission(s);
}

// Nor does it keep another node from inserting the row after it looked.
Status PostgresStore::PutNewSubmission(const SubmissionSummary& s) { return PutSubmission(s); }

Status PostgresStore::PutSubmissionRow(const SubmissionSummary& s) {
  return Run(Sql("INSERT INTO submissions (", kSubmissionColumns,
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
                 "$20, $21, $22, $23, $24) ON CONFLICT (id) DO UPDATE SET form_id = excluded.form_id, "
                 "form_version = excluded.form_version, form_hash = excluded.form_hash, "
                 "volunteer = excluded.volunteer, centre = excluded.centre, region = excluded.region, "
                 "visit_date = excluded.visit_date, duplicate_key = excluded.duplicate_key, "
                 "created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, answers = excluded.answers, "
                 "heads = excluded.heads, conflicts = excluded.conflicts, review_state = excluded.review_state, "
                 "review_by = excluded.review_by, review_comment = excluded.review_comment, "
                 "changed_since_review = excluded.changed_since_review, duplicate_group = excluded.duplicate_group, "
                 "merged_into = excluded.merged_into, last_log_index = excluded.last_log_index, "
                 "distinct_from = excluded.distinct_from, only_head = excluded.only_head, "
                 "only_head_hlc = excluded.only_head_hlc"),
             Params()
                 .Bytes(s.id)
                 .Text(s.form_id)
                 .Text(s.form_version)
                 .Text(s.form_hash)
                 .Text(s.volunteer)
                 .Text(s.centre)
                 .Text(s.region)
                 .Text(s.visit_date)
                 .Text(s.duplicate_key)
                 .Int(s.created_ms)
                 .Int(s.updated_ms)
                 .Text(s.answers_json)
                 .Int(s.heads)
                 .Int(s.conflicts)
                 .Text(s.review_state)
                 .Text(s.review_by)
                 .Text(s.review_comment)
                 .Int(s.changed_since_review ? 1 : 0)
                 .Text(s.duplicate_group)
                 .Text(s.merged_into)
                 .Int(static_cast<int64_t>(s.last_log_index))
                 .Text(s.distinct_from)
                 .Text(s.only_head)
                 .Int(static_cast<int64_t>(s.only_head_hlc)))
      .status();
}

Result<std::optional<SubmissionSummary>> PostgresStore::FindSubmission(const sync::SubmissionId& id) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(Sql("SELECT ", kSubmissionColumns, " FROM submissions WHERE id = $1"),
                                        Params().Bytes(id)));
  if (r.empty()) return std::optional<SubmissionSummary>();
  DALA_ASSIGN_OR_RETURN(SubmissionSummary summary, ReadSummary(r, 0));
  return std::optional<SubmissionSummary>(std::move(summary));
}

namespace {

// The visit date when the form has one, else the creation day (UTC), as
// SQLite's date(created_ms / 1000, 'unixepoch'); compared byte by byte.
constexpr const char* kDayExpression =
    "((CASE WHEN visit_date <> '' THEN visit_date ELSE "
    "to_char(to_timestamp(created_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') END) COLLATE \"C\")";

constexpr SqlDialect kDialect{/*numbered_placeholders=*/true, "TRUE", kDayExpression,
                              "encode(id, 'hex') COLLATE \"C\"", "ILIKE"};

Params ParamsOf(const FilterSql& w) {
  Params p;
  for (const std::string& a : w.args) p.Text(a);
  return p;
}

}  // namespace

Result<std::vector<SubmissionSummary>> PostgresStore::ListSubmissions(const SubmissionFilter& f) {
  Lock lock(mutex_);
  FilterSql w = SubmissionWhere(f, kDialect);
  Params p = ParamsOf(w);
  std::string limit = "$" + std::to_string(w.args.size() + 1), offset = "$" + std::to_string(w.args.size() + 2);
  Limit(p, f.limit);
  Limit(p, f.offset);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(std::string("SELECT ") + kSubmissionColumns + " FROM submissions" + w.where +
                                            SubmissionOrderBy(f, kDialect) + " LIMIT " + limit + " OFFSET " + offset,
                                        p));
  std::vector<SubmissionSummary> out;
  for (int i = 0; i < r.size(); ++i) {
    DALA_ASSIGN_OR_RETURN(SubmissionSummary summary, ReadSummary(r, i));
    out.push_back(std::move(summary));
  }
  return out;
}

Status PostgresStore::ForEachSubmission(const SubmissionFilter& f,
                                        const std::function<Status(const SubmissionSummary&)>& visit) {
  Lock lock(mutex_);
  FilterSql w = SubmissionWhere(f, kDialect);
  return ForEachRow(std::string("SELECT ") + kSubmissionColumns + " FROM submissions" + w.where + SubmissionOrderBy(f, kDialect),
                    ParamsOf(w), [&](const pg::Rows& r, int i) -> Status {
                      DALA_ASSIGN_OR_RETURN(SubmissionSummary summary, ReadSummary(r, i));
                      return visit(summary);
                    });
}

Result<uint64_t> PostgresStore::CountSubmissions(const SubmissionFilter& f) {
  Lock lock(mutex_);
  FilterSql w = SubmissionWhere(f, kDialect);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT count(*) FROM submissions" + w.where, ParamsOf(w)));
  return r.empty() ? 0 : static_cast<uint64_t>(r.Int(0, 0));
}

Result<std::vector<GroupCount>> PostgresStore::CountSubmissionsBy(const SubmissionFilter& f, SubmissionGroup by) {
  Lock lock(mutex_);
  FilterSql w = SubmissionWhere(f, kDialect);
  std::string sql;
  switch (by) {
    case SubmissionGroup::kDay:
      sql = std::string("SELECT ") + kDayExpression + ", '', count(*) FROM submissions" + w.where + " GROUP BY 1 ORDER BY 1";
      break;
    case SubmissionGroup::kCentre:
      // SQLite's GROUP BY leaves centres of one name in region order.
      sql = "SELECT centre, region, count(*) FROM submissions" + w.where + " GROUP BY centre, region ORDER BY 1, 2";
      break;
    case SubmissionGroup::kRegion:
      sql = "SELECT region, '', count(*) FROM submissions" + w.where + " GROUP BY region ORDER BY 1";
      break;
  }
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run(sql, ParamsOf(w)));
  std::vector<GroupCount> out;
  for (int i = 0; i < r.size(); ++i)
    out.push_back({r.Text(i, 0), r.Text(i, 1), static_cast<uint64_t>(r.Int(i, 2))});
  return out;
}

// PostgreSQL groups and counts where the rows are, so the eight queries
// send back a few rows each, and one pass would send every row.
Result<SubmissionTally> PostgresStore::TallySubmissions(const SubmissionFilter& f) {
  return TallySubmissionsByQueries(*this, f);
}

// --- indicator counts ----------------------------------------------------------

Status PostgresStore::ApplyIndicatorTally(const IndicatorTally& tally) {
  // The whole tally in two statements, whatever its size: each change is a
  // row of one JSON array the server unpacks, instead of a round trip per
  // counted value (a sync batch changes thousands).
  nlohmann::json changes = nlohmann::json::array(), emptied = nlohmann::json::array();
  for (const auto& [place, items] : tally.places()) {
    for (const auto* entry : IndicatorTally::Sorted(items)) {
      const auto& [item, n] = *entry;
      nlohmann::json row = {{"form_id", place.form_id}, {"region", place.region}, {"centre", place.centre},
                            {"path", item.path},        {"kind", static_cast<int>(item.kind)},
                            {"value", item.value},      {"n", n}};
      // A count that falls to zero names a value no current record has.
      if (n < 0) emptied.push_back(row);
      changes.push_back(std::move(row));
    }
  }
  if (changes.empty()) return Status::Ok();
  std::string changes_text, emptied_text;
  try {
    changes_text = changes.dump();
    emptied_text = emptied.dump();
  } catch (const nlohmann::json::exception& e) {  // text that is not UTF-8
    return Status::Corruption(std::string("an indicator value cannot be stored: ") + e.what());
  }
  constexpr const char* kRows =
      "jsonb_to_recordset($1::jsonb) AS c(form_id text, region text, centre text, path text, kind integer, "
      "value text, n bigint)";
  DALA_RETURN_IF_ERROR(Run(Sql("INSERT INTO indicator_counts (form_id, region, centre, path, kind, value, n) "
                               "SELECT form_id, region, centre, path, kind, value, n FROM ",
                               kRows,
                               " ON CONFLICT (form_id, region, centre, path, kind, value) "
                               "DO UPDATE SET n = indicator_counts.n + excluded.n"),
                           Params().Text(changes_text))
                           .status());
  if (emptied.empty()) return Status::Ok();
  return Run(Sql("DELETE FROM indicator_counts i USING ", kRows,
                 " WHERE i.form_id = c.form_id AND i.region = c.region AND i.centre = c.centre AND i.path = c.path "
                 "AND i.kind = c.kind AND i.value = c.value AND i.n <= 0"),
             Params().Text(emptied_text))
      .status();
}

Result<RecordCountChange> PostgresStore::CountChangeOf(const SubmissionSummary& s) {
  // FOR UPDATE: another node replacing the same record waits until this
  // transaction ends, and then reads this one's row, not the one before.
  DALA_ASSIGN_OR_RETURN(pg::Rows old, Run("SELECT form_id, region, centre, answers, merged_into, review_state "
                                          "FROM submissions WHERE id = $1 FOR UPDATE",
                                          Params().Bytes(s.id)));
  if (old.empty()) return RecordCountChange::Of(s, nullptr);
  RecordCountChange::StoredRow stored{old.Text(0, 0), old.Text(0, 1), old.Text(0, 2),
                                      old.Text(0, 3), old.Text(0, 4), old.Text(0, 5)};
  return RecordCountChange::Of(s, &stored);
}

Result<const CountPlan*> PostgresStore::CountPlanFor(const std::string& form_id) {
  if (const CountPlan* plan = count_plans_.Checked(form_id)) return plan;
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT count(*) FROM forms WHERE form_id = $1", Params().Text(form_id)));
  const int64_t versions = r.empty() ? 0 : r.Int(0, 0);
  return count_plans_.Get(form_id, versions, in_transaction_, [&] { return FormDocumentsOf(form_id); });
}

Status PostgresStore::RecountIndicators(const std::string* form_id) {
  // What this transaction has summed so far goes in first: the rows of
  // other forms keep it, and this form's are made again from its records.
  DALA_RETURN_IF_ERROR(FlushIndicatorCounts());
  const std::string only = form_id == nullptr ? "" : " AND form_id = $1";
  const Params params = form_id == nullptr ? Params() : Params().Text(*form_id);
  DALA_RETURN_IF_ERROR(Run("DELETE FROM indicator_counts WHERE true" + only, params).status());
  Recount recount(PlanFor());
  DALA_RETURN_IF_ERROR(ForEachRow("SELECT form_id, region, centre, answers FROM submissions "
                                  "WHERE merged_into = '' AND review_state <> 'rejected'" + only,
                                  params, [&](const pg::Rows& r, int i) {
                                    return recount.Add(r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3));
                                  }));
  return ApplyIndicatorTally(recount.tally());
}

Status PostgresStore::FillPendingIndicatorCounts() {
  Lock lock(mutex_);
  return InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(TakeLogLock());
    DALA_ASSIGN_OR_RETURN(pg::Rows pending, Run("SELECT count(*) FROM indicator_counts_pending"));
    if (pending.empty() || pending.Int(0, 0) == 0) return Status::Ok();
    DALA_RETURN_IF_ERROR(RecountIndicators(nullptr));
    return Run("DELETE FROM indicator_counts_pending").status();
  });
}

Status PostgresStore::FlushIndicatorCounts() {
  Status s = ApplyIndicatorTally(pending_counts_);
  pending_counts_.clear();
  return s;
}

Result<std::vector<IndicatorCountRow>> PostgresStore::IndicatorCounts(std::string_view form_id,
                                                                      std::string_view region,
                                                                      std::string_view centre) {
  Lock lock(mutex_);
  if (in_transaction_) DALA_RETURN_IF_ERROR(FlushIndicatorCounts());  // read what this transaction wrote
  // An empty region or centre picks them all; in the primary key's order,
  // which is the order SQLite's WITHOUT ROWID table gives.
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT region, centre, path, kind, value, n FROM indicator_counts "
                                        "WHERE form_id = $1 AND ($2::text = '' OR region = $2::text) AND "
                                        "($3::text = '' OR centre = $3::text) "
                                        "ORDER BY region, centre, path, kind, value",
                                        Params().Text(form_id).Text(region).Text(centre)));
  std::vector<IndicatorCountRow> out;
  for (int i = 0; i < r.size(); ++i)
    out.push_back({r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Int(i, 3), r.Text(i, 4),
                   static_cast<uint64_t>(r.Int(i, 5))});
  return out;
}

Result<std::vector<std::pair<sync::PublicKey, uint64_t>>> PostgresStore::RevisionsPerAuthor() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT author, count(*) FROM envelopes GROUP BY author ORDER BY author"));
  std::vector<std::pair<sync::PublicKey, uint64_t>> out;
  for (int i = 0; i < r.size(); ++i) {
    sync::PublicKey key;
    DALA_RETURN_IF_ERROR(r.ReadBytes(i, 0, &key, "envelopes grouped by author"));
    out.emplace_back(key, static_cast<uint64_t>(r.Int(i, 1)));
  }
  return out;
}

Result<std::vector<RecordStore::DuplicatePeer>> PostgresStore::DuplicatePeers(std::string_view form_id,
                                                                             std::string_view key,
                                                                             std::string_view other_than_volunteer) {
  Lock lock(mutex_);
  // "duplicate_key <> ''" lets the partial index serve; the order is the
  // one SQLite's walk of that index gives.
  DALA_ASSIGN_OR_RETURN(pg::Rows r,
                        Run("SELECT id, volunteer, duplicate_group, merged_into, distinct_from FROM submissions "
                            "WHERE duplicate_key = $1 AND duplicate_key <> '' AND form_id = $2 AND volunteer <> $3 "
                            "ORDER BY volunteer, id",
                            Params().Text(key).Text(form_id).Text(other_than_volunteer)));
  // A volunteer name is never empty, so "" keeps every row.
  std::vector<DuplicatePeer> out;
  for (int i = 0; i < r.size(); ++i) {
    DuplicatePeer p;
    DALA_RETURN_IF_ERROR(ReadSubmissionId(r, i, 0, &p.id));
    p.volunteer = r.Text(i, 1);
    p.duplicate_group = r.Text(i, 2);
    p.merged_into = r.Text(i, 3);
    p.distinct_from = r.Text(i, 4);
    out.push_back(std::move(p));
  }
  return out;
}

Status PostgresStore::SetDuplicateGroup(const sync::SubmissionId& id, std::string_view group) {
  Lock lock(mutex_);
  return Run("UPDATE submissions SET duplicate_group = $1 WHERE id = $2", Params().Text(group).Bytes(id)).status();
}

namespace {

Result<std::vector<sync::SubmissionId>> ReadSubmissionIds(const pg::Rows& r) {
  std::vector<sync::SubmissionId> out;
  for (int i = 0; i < r.size(); ++i) {
    sync::SubmissionId id;
    DALA_RETURN_IF_ERROR(ReadSubmissionId(r, i, 0, &id));
    out.push_back(id);
  }
  return out;
}

}  // namespace

Result<std::vector<sync::SubmissionId>> PostgresStore::LegacyDistinctSubmissions() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT id FROM submissions WHERE duplicate_group = '-' ORDER BY id"));
  return ReadSubmissionIds(r);
}

Result<std::vector<sync::SubmissionId>> PostgresStore::SubmissionIdsEndingWith(std::string_view hex_end,
                                                                              size_t limit) {
  Lock lock(mutex_);
  // The end of the id, which is random: the start is its timestamp.
  // ESCAPE '': SQLite's LIKE without ESCAPE takes a backslash as itself.
  Params p;
  p.Text("%" + std::string(hex_end));
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT id FROM submissions WHERE encode(id, 'hex') COLLATE \"C\" "
                                        "ILIKE $1 ESCAPE '' ORDER BY id LIMIT $2",
                                        Limit(p, limit)));
  return ReadSubmissionIds(r);
}

// --- outboxes -------------------------------------------------------------------
//
// An outbox id is a laptop's cursor: a row must never commit with an id
// below one a laptop has already read. Rows are added under the log's lock,
// held to the commit, so ids are taken in the order their rows commit.

Status PostgresStore::AddToOutbox(std::string_view volunteer, uint64_t log_index, const sync::PublicKey& author) {
  Lock lock(mutex_);
  return Atomically([&]() -> Status {
    DALA_RETURN_IF_ERROR(TakeLogLock());
    return Run("INSERT INTO outbox (volunteer, log_index, author) VALUES ($1, $2, $3)",
               Params().Text(volunteer).Int(static_cast<int64_t>(log_index)).Bytes(author))
        .status();
  });
}

Status PostgresStore::AddToOutboxOnce(std::string_view volunteer, uint64_t log_index, const sync::PublicKey& author) {
  Lock lock(mutex_);
  return Atomically([&]() -> Status {
    DALA_RETURN_IF_ERROR(TakeLogLock());
    return Run("INSERT INTO outbox (volunteer, log_index, author) SELECT $1::text, $2::bigint, $3::bytea "
               "WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE volunteer = $1::text AND log_index = $2::bigint)",
               Params().Text(volunteer).Int(static_cast<int64_t>(log_index)).Bytes(author))
        .status();
  });
}

Result<std::vector<std::string>> PostgresStore::VolunteersQueued(uint64_t log_index) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT DISTINCT volunteer FROM outbox WHERE log_index = $1 ORDER BY volunteer",
                                        Params().Int(static_cast<int64_t>(log_index))));
  std::vector<std::string> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(r.Text(i, 0));
  return out;
}

Status PostgresStore::QueueVolunteerHistory(std::string_view volunteer) {
  Lock lock(mutex_);
  return Atomically([&]() -> Status {
    DALA_RETURN_IF_ERROR(TakeLogLock());
    return Run("INSERT INTO outbox (volunteer, log_index, author) "
               "SELECT $1::text, e.log_index, e.author FROM envelopes e "
               "JOIN submissions s ON s.id = e.submission WHERE s.volunteer = $1::text "
               "AND e.log_index NOT IN (SELECT log_index FROM outbox WHERE volunteer = $1::text) "
               "ORDER BY e.log_index",
               Params().Text(volunteer))
        .status();
  });
}

Result<std::vector<std::pair<int64_t, uint64_t>>> PostgresStore::Outbox(std::string_view volunteer,
                                                                       const sync::PublicKey& reader,
                                                                       int64_t after_id, int64_t through_id,
                                                                       size_t limit) {
  Lock lock(mutex_);
  Params p;
  p.Text(volunteer).Int(after_id).Int(through_id).Bytes(reader);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT id, log_index FROM outbox WHERE volunteer = $1 AND id > $2 "
                                        "AND id <= $3 AND author <> $4 ORDER BY id LIMIT $5",
                                        Limit(p, limit)));
  std::vector<std::pair<int64_t, uint64_t>> out;
  for (int i = 0; i < r.size(); ++i) out.emplace_back(r.Int(i, 0), static_cast<uint64_t>(r.Int(i, 1)));
  return out;
}

Result<int64_t> PostgresStore::OutboxEnd(std::string_view volunteer) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r,
                        Run("SELECT coalesce(max(id), 0) FROM outbox WHERE volunteer = $1", Params().Text(volunteer)));
  return r.empty() ? 0 : r.Int(0, 0);
}

// --- checkpoints ----------------------------------------------------------------

Status PostgresStore::PutCheckpoint(uint64_t size, std::string_view note) {
  Lock lock(mutex_);
  return Run("INSERT INTO checkpoints (size, note) VALUES ($1, $2) "
             "ON CONFLICT (size) DO UPDATE SET note = excluded.note",
             Params().Int(static_cast<int64_t>(size)).Text(note))
      .status();
}

Result<std::optional<std::pair<uint64_t, std::string>>> PostgresStore::LastCheckpoint() {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows r, Run("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1"));
  if (r.empty()) return std::optional<std::pair<uint64_t, std::string>>();
  return std::optional<std::pair<uint64_t, std::string>>({static_cast<uint64_t>(r.Int(0, 0)), r.Text(0, 1)});
}

}  // namespace dala::server
