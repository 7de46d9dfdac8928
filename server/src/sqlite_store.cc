#include "sqlite_store.h"

#include <sys/stat.h>

#include "migrations.h"

namespace dala::server {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kVolunteer: return "volunteer";
    case Role::kCoordinator: return "coordinator";
    case Role::kAuditor: return "auditor";
    case Role::kAdmin: return "admin";
  }
  return "volunteer";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kVolunteer, Role::kCoordinator, Role::kAuditor, Role::kAdmin})
    if (name == RoleName(r)) return r;
  return Status::InvalidArgument("unknown role '" + std::string(name) +
                                 "' (volunteer, coordinator, auditor or admin)");
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir, bool create) {
  std::string path = data_dir + "/dala-server.db";
  if (create) ::mkdir(data_dir.c_str(), 0700);
  auto db = sql::Database::Open(path, {create ? sql::OpenMode::kReadWriteCreate : sql::OpenMode::kReadWrite});
  if (!db.ok()) {
    if (db.status().code() == Status::Code::kNotFound)
      return Status::NotFound("no Dala server data in " + data_dir + " (run `dala-server init --data " + data_dir + "`)");
    return db.status();
  }
  DALA_RETURN_IF_ERROR(db->Migrate(ServerMigrations()));
  // The log's indexes grow with every record: 32 MiB of page cache instead
  // of SQLite's 2 MiB keeps them (14 MiB at 100,000 records) and the
  // dashboard's (15 MiB) hot. More held mostly envelope pages read once
  // (the Merkle tree at start), and counted twice in the peak RSS: a large
  // GROUP BY's sorter may take as much again.
  DALA_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size = -32768"));
  ::chmod(path.c_str(), 0600);
  auto store = std::make_unique<SqliteStore>(std::move(*db), path);
  DALA_RETURN_IF_ERROR(store->FillPendingIndicatorCounts());
  DALA_RETURN_IF_ERROR(store->StartCheckpointer(std::chrono::milliseconds(500)));
  return std::unique_ptr<Store>(std::move(store));
}

Status SqliteStore::InReadSnapshot(const std::function<Status(Store& snapshot)>& work) {
  // A second, read-only connection: in WAL mode its read transaction sees
  // the database as of its first read while this connection keeps
  // committing.
  DALA_ASSIGN_OR_RETURN(sql::Database reader, sql::Database::Open(path_, {sql::OpenMode::kReadOnly}));
  DALA_RETURN_IF_ERROR(reader.Exec("BEGIN"));
  DALA_RETURN_IF_ERROR(reader.Exec("SELECT count(*) FROM sqlite_schema"));  // the snapshot starts here
  SqliteStore snapshot(std::move(reader), path_);
  Status s = work(snapshot);
  (void)snapshot.db_.Exec("COMMIT");  // a read transaction: nothing to lose
  return s;
}

Status SqliteStore::InTransaction(const std::function<Status()>& work) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  DALA_ASSIGN_OR_RETURN(auto tx, sql::Transaction::Begin(db_));
  in_transaction_ = true;
  Status s = work();
  in_transaction_ = false;
  if (s.ok()) s = FlushIndicatorCounts();
  pending_counts_.clear();  // written, or rolled back with the records
  if (s.ok()) s = tx.Commit();  // else the transaction rolls back as it goes out of scope
  count_plans_.EndTransaction();
  if (!s.ok()) count_plans_.Clear();  // a plan may have counted a version rolled back
  return s;
}

// SQLite checkpoints a WAL database inside the commit that takes the WAL
// past 1,000 pages: that commit copies the WAL into the database file and
// waits for its fsync, under the server's append lock, so one sync in a
// few hundred (and every sync queued behind it) waited for work that
// answers none of them: issue 10's load p99. Here the writer never
// checkpoints; a thread does, twice a second, on its own connection, in
// PASSIVE mode, which copies what no reader still needs and takes no lock
// a writer or a reader waits for. The WAL grows by at most half a
// second's writes between checkpoints; the writer's connection, closed
// last, still checkpoints and removes the WAL at exit.
Status SqliteStore::StartCheckpointer(std::chrono::milliseconds every) {
  DALA_ASSIGN_OR_RETURN(sql::Database db, sql::Database::Open(path_, {sql::OpenMode::kReadWrite}));
  {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    DALA_RETURN_IF_ERROR(db_.Exec("PRAGMA wal_autocheckpoint = 0"));
  }
  checkpoint_db_ = std::move(db);
  checkpointer_ = std::thread([this, every] {
    std::unique_lock<std::mutex> lock(checkpoint_mutex_);
    while (!checkpoint_wake_.wait_for(lock, every, [this] { return stopping_; })) {
      // A failure (a busy checkpoint lock, a full disk) leaves the WAL to
      // the next round; the writer's commits are durable in the WAL.
      (void)checkpoint_db_->Exec("PRAGMA wal_checkpoint(PASSIVE)");
    }
  });
  return Status::Ok();
}

Status SqliteStore::CheckpointWal() {
  std::lock_guard<std::mutex> lock(checkpoint_mutex_);
  if (!checkpoint_db_) return Status::FailedPrecondition("the checkpointer was not started");
  return checkpoint_db_->Exec("PRAGMA wal_checkpoint(PASSIVE)");
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard<std::mutex> lock(checkpoint_mutex_);
    stopping_ = true;
  }
  checkpoint_wake_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  checkpoint_db_.reset();  // before the writer, which closes last and removes the WAL
}

}  // namespace dala::server
