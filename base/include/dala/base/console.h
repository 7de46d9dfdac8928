// Text at the Windows console, in UTF-8 inside Dala.
//
// Dala's strings are UTF-8 everywhere. The Windows console is not: bytes
// written to it, or read from it, go through the console's code page, and
// even code page 65001 loses non-ASCII input on the Windows versions
// volunteers have. So on Windows, when a stream is the console itself,
// text crosses as UTF-16 through WriteConsoleW and ReadConsoleW, and
// Kazakh and Russian answers arrive intact. Redirected streams (a file, a
// pipe) carry UTF-8 bytes unchanged, as on Linux.
//
// On other systems these functions do nothing, or say there is no console.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dala {

// Makes std::cout and std::cerr write through WriteConsoleW when they are
// the console. Call once at the start of main, before any output.
void UseUtf8Console();

// True when standard input is an interactive console (Windows only).
bool StdinIsConsole();

// Reads one line typed at the console (Windows only), as UTF-8 without its
// line end. The console itself edits the line (cursor keys, Home, End,
// F7 history), and no control character reaches the result. With `echo`
// false the typed characters are not shown (passphrases). nullopt at the
// end of input (Ctrl+Z, Ctrl+C) or without a console.
std::optional<std::string> ReadConsoleLine(bool echo);

#ifdef _WIN32
// UTF-16 to UTF-8 and back, replacing what does not convert: for wmain's
// arguments, paths and the Windows APIs that take wide strings.
std::string Utf16ToUtf8(std::wstring_view text);
std::wstring Utf8ToUtf16(std::string_view text);
#endif

// Removes C0 and C1 control characters and DEL from a typed line, keeping
// tab: whatever a console passes through must not reach an answer.
std::string WithoutControlCharacters(std::string_view line);

}  // namespace dala
