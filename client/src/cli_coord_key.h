// A coordinator's own key for `dala coord`: the sealed key file, and the
// signing of the decisions the server drafts (sync/README.md, "Decisions").
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cli_commands.h"
#include "dala/base/clock.h"
#include "dala/sync/crypto.h"

namespace dala::client::cli {

// --key, else DALA_COORD_KEY; empty when neither says.
[[nodiscard]] std::string CoordKeyPath(const CoordOptions& o);
// Opens the key file with its passphrase (DALA_KEY_PASSPHRASE or a prompt).
Result<sync::SigningKey> OpenCoordKey(const std::string& path);
// The envelopes of a draft (POST /api/v1/decisions/draft), completed and
// signed by `key` as `user`'s next ones, in base64. Refuses a draft in
// another person's name.
Result<std::vector<std::string>> SignDecisionDraft(const nlohmann::json& draft, const std::string& user,
                                                   const sync::SigningKey& key, const Clock& clock);

}  // namespace dala::client::cli
