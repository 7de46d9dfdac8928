// Which store a data directory's deployment keeps its records in.
//
// A data directory always holds the server's key, origin and TLS files.
// Its records are in DIR/dala-server.db (SQLite, the default), or, when
// DIR/store exists, in the PostgreSQL database that file names: one line,
// a libpq URI or key=value string, mode 0600 as it may hold a password.
// Several nodes of one deployment each have a copy of the data directory
// (docs/DEPLOY.md).
#pragma once

#include <memory>
#include <string>

#include "dala/server/store.h"

namespace dala::server {

inline constexpr const char* kStoreFile = "store";

// The PostgreSQL database DIR/store names; empty for SQLite. A store file
// that is empty or names anything else is InvalidArgument.
Result<std::string> StoreUriOf(const std::string& data_dir);

// Writes DIR/store naming `uri`; AlreadyExists if the file exists.
Status RecordStoreUri(const std::string& data_dir, const std::string& uri);

// Opens the data directory's store: `store_uri` when given (`serve
// --store`), else what DIR/store names, else DIR/dala-server.db.
// `create` as OpenSqliteStore's and OpenPostgresStore's.
Result<std::unique_ptr<Store>> OpenDataDirStore(const std::string& data_dir, bool create,
                                                const std::string& store_uri = "");

}  // namespace dala::server
