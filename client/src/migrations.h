// The SQL schema of the laptop's database as ordered migrations.
#pragma once

#include <string_view>
#include <vector>

namespace dala::client {

// Profile, forms, envelopes, drafts, receipts (client/DATABASE.md).
const std::vector<std::string_view>& ClientMigrations();

}  // namespace dala::client
