// The process's environment, in UTF-8 on every system.
//
// On Windows, getenv() answers in the ANSI code page, which cannot spell
// a Kazakh user name in a profile path; these read the wide environment
// and convert.
#pragma once

#include <string>

namespace dala {

// The variable's value, or "" when it is unset.
std::string GetEnv(const char* name);

// Where a program keeps its per-user data: %LOCALAPPDATA% on Windows
// (asked of the shell, not the environment), "" elsewhere.
std::string LocalAppDataDir();

}  // namespace dala
