// Admin commands that work on the data directory directly (records_commands.cc).
#pragma once

#include <string>

namespace dala::server {

int FormPublishCommand(const std::string& data_dir, const std::string& file, const std::string& project);
int DeviceRevokeCommand(const std::string& data_dir, const std::string& key_hex, const std::string& by,
                        const std::string& reason);
int ExportBundleCommand(const std::string& data_dir, const std::string& bundle_path);

}  // namespace dala::server
