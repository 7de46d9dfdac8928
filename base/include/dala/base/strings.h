// Splitting text at a separator: paths, space-separated key files, the
// comma-joined id lists of the stores. One function, so that each caller
// states only which parts it keeps.
#pragma once

#include <string_view>
#include <vector>

namespace dala {

enum class EmptyParts { kKeep, kSkip };

// The parts of `text` between occurrences of `separator`, as views into
// `text`. With kKeep, n separators give n + 1 parts ("" gives one empty
// part, "a,,b" three); with kSkip the empty parts are left out ("" gives
// none, "/a//b/" gives "a" and "b").
std::vector<std::string_view> Split(std::string_view text, char separator, EmptyParts empty = EmptyParts::kKeep);

}  // namespace dala
