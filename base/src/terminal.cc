#include "dala/base/terminal.h"

#include <sodium.h>

#ifdef _WIN32
#include <iostream>

#include "dala/base/console.h"
#else
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>
#endif

namespace dala {

#ifdef _WIN32

Result<std::string> AskOnTerminal(std::string_view prompt, std::string_view env_name) {
  if (!StdinIsConsole()) {
    return Status::FailedPrecondition("there is no console to ask on; set " + std::string(env_name) +
                                      " for unattended use");
  }
  std::cerr << prompt << std::flush;
  std::optional<std::string> line = ReadConsoleLine(/*echo=*/false);
  if (!line) return Status::FailedPrecondition("nothing was typed at the console");
  return std::move(*line);
}

#else

Result<std::string> AskOnTerminal(std::string_view prompt, std::string_view env_name) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    return Status::FailedPrecondition("there is no terminal to ask on; set " + std::string(env_name) +
                                      " for unattended use");
  }
  termios old{};
  bool have_termios = ::tcgetattr(fd, &old) == 0;
  if (have_termios) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  (void)!::write(fd, prompt.data(), prompt.size());
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  if (have_termios) ::tcsetattr(fd, TCSAFLUSH, &old);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

#endif

void Wipe(std::string* secret) {
  if (!secret->empty()) sodium_memzero(secret->data(), secret->size());
  secret->clear();
}

}  // namespace dala
