// The store for deployments past one machine: PostgreSQL, shared by any
// number of dala-server nodes (docs/ARCHITECTURE.md, "Several nodes";
// server/DATABASE.md, "PostgreSQL").
#pragma once

#include <memory>
#include <string>

#include "dala/server/store.h"

namespace dala::server {

// Opens the database `conninfo` names (postgresql://user@host/db, or a
// libpq key=value string) and applies its migrations. With `create`, an
// empty database gets the schema; without, a database with no Dala
// schema is NotFound. Unavailable when PostgreSQL cannot be reached.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo, bool create);

// Whether `text`, where a store is named, names a PostgreSQL database
// (postgresql:// or postgres://) rather than a data directory.
bool IsPostgresUri(const std::string& text);

}  // namespace dala::server
