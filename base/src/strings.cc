#include "dala/base/strings.h"

namespace dala {

std::vector<std::string_view> Split(std::string_view text, char separator, EmptyParts empty) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    if (empty == EmptyParts::kKeep || end > start) parts.push_back(text.substr(start, end - start));
    if (end == text.size()) return parts;
    start = end + 1;
  }
}

}  // namespace dala
