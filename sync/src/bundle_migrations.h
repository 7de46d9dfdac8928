// The SQL schema of an audit bundle as ordered migrations.
#pragma once

#include <string_view>
#include <vector>

namespace dala::sync {

// One server's log, forms, devices and claimed submission state, exported
// for an auditor (sync/BUNDLE.md).
const std::vector<std::string_view>& BundleMigrations();

}  // namespace dala::sync
