// Suggesting the name someone probably meant: a question name in an
// answers file, a `dala` command. Names are ASCII identifiers; the
// distance counts bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dala::schema {

// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`:
// "sycn" -> "sync" is one.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `typo`, if it is close enough to be a slip of the
// fingers (at most 2 edits, and fewer than half of `typo`'s length); ""
// otherwise, or when two candidates are equally close.
std::string NearestName(std::string_view typo, const std::vector<std::string>& candidates);

}  // namespace dala::schema
