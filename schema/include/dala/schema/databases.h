// The SQL schemas of Dala's databases, as ordered migrations. Their tables
// are documented, with every column, in schema/DATABASES.md.
#pragma once

#include <string_view>
#include <vector>

namespace dala::sql {

// The volunteer's laptop: profile, forms, envelopes, drafts, receipts.
const std::vector<std::string_view>& ClientMigrations();

}  // namespace dala::sql
