// A record's history for `dala ui`'s record page, from the envelopes the
// laptop holds: every revision (who made it, when, which answers changed
// from what to what) and every coordinator's decision on it (client/UI.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "dala/client/store.h"

namespace dala::client::ui {

// Oldest first, by the envelopes' hybrid clock. Labels and answers in
// `language`, as the form of each revision words them.
Result<nlohmann::json> HistoryJson(LocalStore& store, const sync::SubmissionId& id, const std::string& language);

}  // namespace dala::client::ui
