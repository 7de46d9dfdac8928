#include "line_reader.h"

#include <histedit.h>
#include <langinfo.h>
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace dala::client::cli {

namespace {

// libedit's native interface: it takes the prompt from a callback and
// keeps its history in a History object we refill for each question.
class EditLineReader final : public LineReader {
 public:
  EditLineReader() {
    editor_ = el_init("dala", stdin, stdout, stderr);
    history_ = history_init();
    HistEvent event;
    history(history_, &event, H_SETSIZE, 100);
    el_set(editor_, EL_HIST, history, history_);
    el_set(editor_, EL_EDITOR, "emacs");
    el_set(editor_, EL_SIGNAL, 1);
    el_set(editor_, EL_CLIENTDATA, this);
    el_set(editor_, EL_PROMPT, &EditLineReader::Prompt);
    // Home, End and Delete as terminals commonly send them, whatever the
    // terminal description says.
    static const char* const kKeys[][2] = {
        {"\033[H", "ed-move-to-beg"},  {"\033OH", "ed-move-to-beg"},  {"\033[1~", "ed-move-to-beg"},
        {"\033[7~", "ed-move-to-beg"}, {"\033[F", "ed-move-to-end"},  {"\033OF", "ed-move-to-end"},
        {"\033[4~", "ed-move-to-end"}, {"\033[8~", "ed-move-to-end"}, {"\033[3~", "ed-delete-next-char"},
    };
    for (const auto& key : kKeys) el_set(editor_, EL_BIND, key[0], key[1], nullptr);
  }
  ~EditLineReader() override {
    history_end(history_);
    el_end(editor_);
  }
  EditLineReader(const EditLineReader&) = delete;
  EditLineReader& operator=(const EditLineReader&) = delete;

  std::optional<std::string> ReadLine(std::string_view prompt, const std::vector<std::string>& history) override {
    std::cout << std::flush;
    prompt_ = prompt;
    HistEvent event;
    ::history(history_, &event, H_CLEAR);
    for (const std::string& line : history) ::history(history_, &event, H_ENTER, line.c_str());
    int count = 0;
    const char* line = el_gets(editor_, &count);
    if (line == nullptr || count <= 0) return std::nullopt;
    std::string out(line, static_cast<size_t>(count));
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

 private:
  static char* Prompt(EditLine* editor) {
    void* self = nullptr;
    el_get(editor, EL_CLIENTDATA, &self);
    return static_cast<EditLineReader*>(self)->prompt_.data();
  }

  EditLine* editor_ = nullptr;
  History* history_ = nullptr;
  std::string prompt_;
};

// libedit decodes keys by the C library's character type: it must be UTF-8
// to move and delete by character, whatever the environment says.
void UseUtf8CharacterType() {
  std::setlocale(LC_CTYPE, "");
  if (std::strcmp(nl_langinfo(CODESET), "UTF-8") != 0) std::setlocale(LC_CTYPE, "C.UTF-8");
}

}  // namespace

std::unique_ptr<LineReader> MakeLineReader() {
  if (::isatty(STDIN_FILENO) != 1 || ::isatty(STDOUT_FILENO) != 1) return MakePlainLineReader();
  UseUtf8CharacterType();
  return std::make_unique<EditLineReader>();
}

}  // namespace dala::client::cli
