#include "store_location.h"

#include <fstream>
#include <sstream>

#include "admin_files.h"
#include "dala/server/postgres_store.h"
#include "dala/server/sqlite_store.h"

namespace dala::server {

Result<std::string> StoreUriOf(const std::string& data_dir) {
  const std::string path = data_dir + "/" + kStoreFile;
  std::ifstream in(path);
  if (!in) return std::string();
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return Status::InvalidArgument(path + " is empty: it should name the PostgreSQL database");
  if (!IsPostgresUri(line) && line.find("dbname=") == std::string::npos && line.find("host=") == std::string::npos)
    return Status::InvalidArgument(path + " does not name a PostgreSQL database (postgresql://... or host=... dbname=...)");
  return line;
}

Status RecordStoreUri(const std::string& data_dir, const std::string& uri) {
  return WriteNewFile(data_dir + "/" + kStoreFile, uri + "\n", 0600);
}

Result<std::unique_ptr<Store>> OpenDataDirStore(const std::string& data_dir, bool create,
                                                const std::string& store_uri) {
  std::string uri = store_uri;
  if (uri.empty()) {
    DALA_ASSIGN_OR_RETURN(uri, StoreUriOf(data_dir));
  }
  if (uri.empty()) return OpenSqliteStore(data_dir, create);
  return OpenPostgresStore(uri, create);
}

}  // namespace dala::server
