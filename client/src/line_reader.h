// Lines typed by the volunteer in an interview. On a terminal, libedit
// edits the line (cursor keys, Home/End, deleting a whole UTF-8 character,
// ↑ for the current answer and what was typed at this question), so no
// escape sequence ever reaches an answer. Without a terminal (a pipe, a
// file, a test) lines are read as they come.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dala::client::cli {

class LineReader {
 public:
  virtual ~LineReader() = default;
  // Shows `prompt` and returns one line without its line end; nullopt at
  // the end of input. `history` is what ↑ offers, oldest first.
  virtual std::optional<std::string> ReadLine(std::string_view prompt,
                                              const std::vector<std::string>& history) = 0;
};

// libedit when standard input and output are terminals, plain lines
// otherwise.
std::unique_ptr<LineReader> MakeLineReader();

// Lines as they come, without editing: what MakeLineReader gives when
// standard input is not a terminal.
std::unique_ptr<LineReader> MakePlainLineReader();

}  // namespace dala::client::cli
