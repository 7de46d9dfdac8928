// `dala-server migrate --from DIR --to postgresql://...`: a SQLite
// deployment's database copied into an empty PostgreSQL database, row for
// row, then checked through the Store interface (server/DATABASE.md,
// "Moving to PostgreSQL").
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dala/base/status.h"
#include "dala/sync/crypto.h"

namespace dala::server {

struct MigrationReport {
  // Rows copied, per table, in the order they were copied.
  std::vector<std::pair<std::string, uint64_t>> tables;
  // What both stores answered after the copy.
  uint64_t log_size = 0;
  sync::Hash root{};
  std::optional<uint64_t> checkpoint_size;  // none: no checkpoint signed yet
  uint64_t users = 0, devices = 0, submissions = 0;
};

// Copies DIR/dala-server.db into the PostgreSQL database `conninfo` names,
// in one PostgreSQL transaction, so that a failure leaves it as it was:
//
//   - No server may run on DIR: the copy takes DIR's lock (admin_control.h)
//     for its whole length, since records a running server accepted after
//     the copy would be in SQLite only. FailedPrecondition naming the
//     server's pid otherwise.
//   - DIR's database is first opened as the server opens it, which brings
//     it to the current schema and fills the indicator counts a migration
//     left pending; then it is read through one read transaction.
//   - The target gets the schema if it has none (OpenPostgresStore), and is
//     refused, untouched, with FailedPrecondition "... is not empty" if any
//     table the copy writes holds a row.
//   - Every column of every table is copied, ids included (laptops hold
//     outbox cursors; sessions name users by id); the tables must have the
//     same columns on both sides, or nothing is copied and the message
//     names the difference. The identity sequences are then moved past the
//     largest id copied.
//   - Afterwards both stores are opened through the Store interface and
//     must answer the same log size, Merkle root, last checkpoint, and
//     numbers of users, devices and submissions; Corruption naming what
//     differs otherwise (the copy is then committed: drop the database
//     before trying again).
//
// `progress` gets a line per table as it is copied. NotFound for a DIR with
// no Dala data, Unavailable when PostgreSQL cannot be reached.
Result<MigrationReport> MigrateSqliteToPostgres(const std::string& data_dir, const std::string& conninfo,
                                                std::ostream& progress);

}  // namespace dala::server
