// Lines as they come, from a pipe, a file or a test, on every system.
#include <iostream>

#include "line_reader.h"

namespace dala::client::cli {

namespace {

class PlainLineReader final : public LineReader {
 public:
  std::optional<std::string> ReadLine(std::string_view prompt, const std::vector<std::string>&) override {
    std::cout << prompt << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
};

}  // namespace

std::unique_ptr<LineReader> MakePlainLineReader() { return std::make_unique<PlainLineReader>(); }

}  // namespace dala::client::cli
