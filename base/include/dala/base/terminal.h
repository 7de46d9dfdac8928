// Secrets typed at the terminal, and wiping them from memory afterwards.
#pragma once

#include <string>
#include <string_view>

#include "dala/base/status.h"

namespace dala {

// Shows `prompt` on the controlling terminal and reads one line without
// echo. Without a terminal (a script, a service) it fails with
// FailedPrecondition naming `env_name`, the variable to set instead.
Result<std::string> AskOnTerminal(std::string_view prompt, std::string_view env_name);

// Overwrites the secret's bytes with zeros (a write the compiler may not
// drop) and empties it.
void Wipe(std::string* secret);

}  // namespace dala
