// The SQL schemas of Dala's databases, as ordered migrations. Their tables
// are documented, with every column, in schema/DATABASES.md.
#pragma once

#include <string_view>
#include <vector>

namespace dala::sql {

// The volunteer's laptop: profile, forms, envelopes, drafts, receipts.
const std::vector<std::string_view>& ClientMigrations();

// The server's data directory: accounts, devices, forms, envelopes, the
// transparency log, derived submission state, outboxes, checkpoints.
const std::vector<std::string_view>& ServerMigrations();

// An audit bundle: one server's log, forms, devices and claimed submission
// state, exported for an auditor. Its tables are documented, with every
// column and the conditions a verifier checks, in sync/BUNDLE.md.
const std::vector<std::string_view>& BundleMigrations();

}  // namespace dala::sql
