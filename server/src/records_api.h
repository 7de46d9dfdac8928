// The records side of the server: the sync endpoint, enrolment, the
// transparency log, coordinator review, exports. Implemented in records_*.cc.
#pragma once

#include <memory>
#include <string>

#include "router.h"
#include "server_context.h"

namespace dala::server {

class DeviceAuthenticator;
class SessionAuth;

// Long-lived state of the records side (the in-memory Merkle tree, the
// server's signing chain), created once per process.
class RecordService;

// Builds the record service over `ctx` (loads the log into memory).
Result<std::shared_ptr<RecordService>> StartRecordService(ServerContext& ctx);

void RegisterRecordRoutes(Router& router, ServerContext& ctx, std::shared_ptr<RecordService> service,
                          SessionAuth& sessions, DeviceAuthenticator& devices);

// Admin commands that work on the data directory.
int FormPublishCommand(const std::string& data_dir, const std::string& file, const std::string& project);
int DeviceRevokeCommand(const std::string& data_dir, const std::string& key_hex, const std::string& by,
                        const std::string& reason);
int ExportBundleCommand(const std::string& data_dir, const std::string& bundle_path);

}  // namespace dala::server
