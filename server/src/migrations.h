// The SQL schema of the server's database as ordered migrations.
#pragma once

#include <string_view>
#include <vector>

namespace dala::server {

// Accounts, devices, forms, envelopes, the transparency log, derived
// submission state, outboxes, checkpoints (server/DATABASE.md).
const std::vector<std::string_view>& ServerMigrations();

}  // namespace dala::server
