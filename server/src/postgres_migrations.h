// The PostgreSQL schema as ordered migrations, and their application.
#pragma once

#include <string_view>
#include <vector>

#include "dala/base/status.h"

namespace dala::server {

namespace pg {
class Connection;
}

// One current schema to start (the tables SQLite reaches after all its
// migrations, server/DATABASE.md); later changes append.
const std::vector<std::string_view>& PostgresMigrations();

// Applies the migrations `conn`'s database lacks, in one transaction that
// holds a lock every node starting at the same time waits for. Without
// `create`, a database with no Dala schema is NotFound; `where` names it in
// that message (a redacted conninfo).
Status MigratePostgres(pg::Connection& conn, bool create, std::string_view where);

}  // namespace dala::server
