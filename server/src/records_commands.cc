// Admin commands of `dala-server` that work on the records in a data
// directory: publishing forms, revoking devices, exporting the audit bundle.

#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include "admin.h"
#include "bundle_export.h"
#include "dala/sync/crypto.h"
#include "record_service.h"
#include "records_api.h"
#include "sqlite_store.h"
#include "dala/server/sqlite_store.h"

namespace dala::server {

namespace {

// The pieces a records command needs, opened from the data directory.
struct Opened {
  std::unique_ptr<Store> store;
  std::optional<sync::SigningKey> key;
  SystemClock clock;
  sync::SystemRandom random;
  std::unique_ptr<ServerContext> ctx;
  std::shared_ptr<RecordService> records;
};

Result<std::unique_ptr<Opened>> Open(const std::string& data_dir) {
  auto o = std::make_unique<Opened>();
  DALA_ASSIGN_OR_RETURN(o->store, OpenSqliteStore(data_dir, false));
  DALA_ASSIGN_OR_RETURN(sync::SigningKey key, LoadServerKey(data_dir));
  o->key.emplace(std::move(key));
  DALA_ASSIGN_OR_RETURN(std::string origin, LoadOrigin(data_dir));
  ServerConfig config;
  config.origin = origin;
  o->ctx.reset(new ServerContext{*o->store, o->clock, o->random, *o->key, config});
  DALA_ASSIGN_OR_RETURN(o->records, RecordService::Start(*o->ctx));
  return o;
}

int Fail(const Status& s) {
  std::cerr << "dala-server: " << s.message() << "\n";
  return kExitFailure;
}

}  // namespace

int FormPublishCommand(const std::string& data_dir, const std::string& file, const std::string& project) {
  auto opened = Open(data_dir);
  if (!opened.ok()) return Fail(opened.status());
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail(Status::NotFound("cannot read " + file));
  std::string document((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto info = (*opened)->records->PublishForm(document, project);
  if (!info.ok()) {
    std::cerr << "dala-server: " << file << " was not published:\n" << info.status().message() << "\n";
    return kExitFailure;
  }
  std::cout << "Published form " << info->form_id << " version " << info->version << " (" << info->hash.substr(0, 12)
            << ")\n";
  return kExitOk;
}

int DeviceRevokeCommand(const std::string& data_dir, const std::string& key_hex, const std::string& by,
                        const std::string& reason) {
  sync::PublicKey key;
  if (!FromHex(key_hex, &key)) return Fail(Status::InvalidArgument("a device key is 64 hex digits"));
  auto opened = Open(data_dir);
  if (!opened.ok()) return Fail(opened.status());
  Status s = (*opened)->records->Revoke(key, by, reason);
  if (!s.ok()) return Fail(s);
  std::cout << "Revoked device " << key_hex.substr(0, 16) << "…; its earlier records stay valid.\n";
  return kExitOk;
}

int ExportBundleCommand(const std::string& data_dir, const std::string& bundle_path) {
  auto opened = Open(data_dir);
  if (!opened.ok()) return Fail(opened.status());
  auto written = WriteBundle(*(*opened)->store, *(*opened)->records, bundle_path);
  if (!written.ok()) return Fail(written.status());
  std::cout << "Wrote " << bundle_path << ": " << written->log_size << " log entries, " << written->submissions
            << " submissions, checkpoint of size " << written->log_size << "\n";
  return kExitOk;
}

}  // namespace dala::server
