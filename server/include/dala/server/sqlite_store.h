// The embedded default store: one SQLite file (WAL, synchronous=FULL) in
// the data directory.
#pragma once

#include <memory>
#include <string>

#include "dala/server/store.h"

namespace dala::server {

// Opens DIR/dala-server.db, creating it (and applying migrations) when
// `create` is set. Without `create`, a missing database is NotFound.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir, bool create);

}  // namespace dala::server
