// PostgresStore: opening, transactions, snapshots, the log's lock and
// request nonces; the statement helpers the other postgres_store*.cc use.
#include "dala/server/postgres_store.h"

#include "postgres_migrations.h"
#include "postgres_store.h"

namespace dala::server {

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo, bool create) {
  DALA_ASSIGN_OR_RETURN(pg::Connection conn, pg::Connection::Open(conninfo));
  DALA_RETURN_IF_ERROR(MigratePostgres(conn, create, pg::Redacted(conninfo)));
  auto store = std::make_unique<PostgresStore>(std::move(conn), conninfo);
  DALA_RETURN_IF_ERROR(store->FillPendingIndicatorCounts());
  return std::unique_ptr<Store>(std::move(store));
}

bool IsPostgresUri(const std::string& text) { return pg::IsConnectionUri(text); }

Result<pg::Rows> PostgresStore::Run(std::string_view sql, const pg::Params& params) {
  // Outside a transaction nothing is lost by reconnecting: a server that
  // restarted is found again by the next request, not the next process.
  if (!conn_.Healthy() && !in_transaction_ && !read_only_) DALA_RETURN_IF_ERROR(conn_.Reset());
  return conn_.Query(sql, params);
}

Result<pg::Rows> PostgresStore::RunMayFail(std::string_view sql, const pg::Params& params) {
  if (!conn_.InTransactionBlock()) return Run(sql, params);
  DALA_RETURN_IF_ERROR(conn_.Exec("SAVEPOINT dala_statement"));
  Result<pg::Rows> rows = conn_.Query(sql, params);
  if (!rows.ok()) (void)conn_.Exec("ROLLBACK TO SAVEPOINT dala_statement");
  Status released = conn_.Exec("RELEASE SAVEPOINT dala_statement");
  if (rows.ok() && !released.ok()) return released;
  return rows;
}

Status PostgresStore::ForEachRow(std::string_view select, const pg::Params& params,
                                 const std::function<Status(const pg::Rows&, int row)>& visit) {
  std::string name = "dala_cursor_" + std::to_string(++cursors_);
  // Outside a transaction a cursor must be WITH HOLD: its rows are then
  // kept by the server when the statement's own transaction commits.
  bool own = !conn_.InTransactionBlock();
  std::string declare = "DECLARE " + name + " NO SCROLL CURSOR " + (own ? "WITH HOLD " : "") + "FOR ";
  declare.append(select);
  DALA_RETURN_IF_ERROR(Run(declare, params).status());
  const std::string fetch = "FETCH 1000 FROM " + name;
  Status s;
  while (s.ok()) {
    Result<pg::Rows> rows = conn_.Query(fetch);
    if (!rows.ok()) {
      s = rows.status();
      break;
    }
    if (rows->empty()) break;
    for (int i = 0; i < rows->size() && s.ok(); ++i) s = visit(*rows, i);
  }
  // A failed transaction closed it already.
  if (conn_.Healthy() && !conn_.TransactionFailed()) {
    Status closed = conn_.Exec("CLOSE " + name);
    if (s.ok()) s = closed;
  }
  return s;
}

Status PostgresStore::Atomically(const std::function<Status()>& work) {
  if (in_transaction_ || conn_.InTransactionBlock()) return work();
  return InTransaction(work);
}

Status PostgresStore::TakeLogLock() {
  return Run("SELECT pg_advisory_xact_lock($1)", pg::Params().Int(kPgLogLock)).status();
}

Status PostgresStore::LockLog() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  // Outside a transaction the lock would end with its own statement.
  if (!in_transaction_) return Status::FailedPrecondition("LockLog is only meaningful inside InTransaction");
  return TakeLogLock();
}

Status PostgresStore::RememberRequestNonce(const sync::PublicKey& device, std::string_view nonce, int64_t expires_ms,
                                           int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_RETURN_IF_ERROR(Run("DELETE FROM request_nonces WHERE expires_ms < $1", pg::Params().Int(now_ms)).status());
  // A second node inserting the same nonce at once waits for the first's
  // commit, then does nothing: one of them is refused.
  DALA_ASSIGN_OR_RETURN(pg::Rows rows, Run("INSERT INTO request_nonces (device, nonce, expires_ms) VALUES ($1, $2, $3) "
                                           "ON CONFLICT DO NOTHING",
                                           pg::Params().Bytes(device).Text(nonce).Int(expires_ms)));
  if (rows.affected() == 0) return Status::AlreadyExists("request nonce already used");
  return Status::Ok();
}

Status PostgresStore::InTransaction(const std::function<Status()>& work) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (in_transaction_) return work();  // a nested call joins
  if (read_only_) return Status::FailedPrecondition("a read snapshot cannot be written");
  if (!conn_.Healthy()) DALA_RETURN_IF_ERROR(conn_.Reset());
  DALA_RETURN_IF_ERROR(conn_.Exec("BEGIN"));
  in_transaction_ = true;
  Status s = work();
  in_transaction_ = false;
  if (s.ok()) s = FlushIndicatorCounts();
  pending_counts_.clear();  // written, or rolled back with the records
  // A statement whose failure `work` ignored aborted the transaction;
  // COMMIT would quietly roll it back.
  if (s.ok() && conn_.TransactionFailed())
    s = Status::Internal("a statement failed inside the transaction, which was rolled back");
  if (s.ok()) s = conn_.Exec("COMMIT");
  else (void)conn_.Exec("ROLLBACK");
  count_plans_.EndTransaction();
  if (!s.ok()) count_plans_.Clear();  // a plan may have counted a version rolled back
  return s;
}

Status PostgresStore::InReadSnapshot(const std::function<Status(Store& snapshot)>& work) {
  // A second connection whose repeatable-read transaction sees the
  // database as of its first statement while this one keeps committing.
  DALA_ASSIGN_OR_RETURN(pg::Connection reader, pg::Connection::Open(conninfo_));
  DALA_RETURN_IF_ERROR(reader.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  DALA_RETURN_IF_ERROR(reader.Exec("SELECT 1"));  // the snapshot starts here
  PostgresStore snapshot(std::move(reader), conninfo_, /*read_only=*/true);
  Status s = work(snapshot);
  (void)snapshot.conn_.Exec("COMMIT");  // a read transaction: nothing to lose
  return s;
}

}  // namespace dala::server
