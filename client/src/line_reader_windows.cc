// Lines typed in an interview on Windows. The console edits the line
// itself (cursor keys, Home, End, F7 for the lines typed before), and the
// text crosses as UTF-16 (ReadConsoleW), so Kazakh and Russian answers
// arrive intact whatever the console's code page. Redirected input (a
// file, a pipe) is read as UTF-8 lines, as on Linux.
#include <iostream>

#include "dala/base/console.h"
#include "line_reader.h"

namespace dala::client::cli {

namespace {

class ConsoleLineReader final : public LineReader {
 public:
  std::optional<std::string> ReadLine(std::string_view prompt, const std::vector<std::string>&) override {
    std::cout << prompt << std::flush;
    return ReadConsoleLine(/*echo=*/true);
  }
};

}  // namespace

std::unique_ptr<LineReader> MakeLineReader() {
  if (StdinIsConsole()) return std::make_unique<ConsoleLineReader>();
  return MakePlainLineReader();
}

}  // namespace dala::client::cli
