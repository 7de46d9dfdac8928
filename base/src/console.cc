#include "dala/base/console.h"

#ifdef _WIN32
#include <windows.h>
#endif

#include <iostream>
#include <streambuf>

namespace dala {

std::string WithoutControlCharacters(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) continue;
    // C1 controls, U+0080..U+009F, are C2 80..C2 9F in UTF-8.
    if (c == 0xc2 && i + 1 < line.size()) {
      unsigned char next = static_cast<unsigned char>(line[i + 1]);
      if (next >= 0x80 && next <= 0x9f) {
        ++i;
        continue;
      }
    }
    out.push_back(line[i]);
  }
  return out;
}

#ifdef _WIN32

std::string Utf16ToUtf8(std::wstring_view text) {
  if (text.empty()) return {};
  int size = ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0, nullptr,
                                   nullptr);
  std::string out(static_cast<size_t>(size > 0 ? size : 0), '\0');
  if (size > 0)
    ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), size, nullptr,
                          nullptr);
  return out;
}

std::wstring Utf8ToUtf16(std::string_view text) {
  if (text.empty()) return {};
  int size = ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(size > 0 ? size : 0), L'\0');
  if (size > 0) ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), size);
  return out;
}

namespace {

bool IsConsole(HANDLE handle) {
  DWORD mode = 0;
  return handle != INVALID_HANDLE_VALUE && handle != nullptr && ::GetConsoleMode(handle, &mode) != 0;
}

// A stream buffer that collects UTF-8 and hands whole characters to
// WriteConsoleW: a character split across two writes would otherwise come
// out as two replacement marks.
class ConsoleBuffer final : public std::streambuf {
 public:
  explicit ConsoleBuffer(HANDLE handle) : handle_(handle) {}

 protected:
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    pending_.push_back(static_cast<char>(c));
    if (c == '\n' || pending_.size() >= 4096) Flush(false);
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    pending_.append(s, static_cast<size_t>(n));
    if (pending_.size() >= 4096 || pending_.find('\n') != std::string::npos) Flush(false);
    return n;
  }
  int sync() override {
    Flush(true);
    return 0;
  }

 private:
  // Writes what is complete; keeps an unfinished UTF-8 sequence at the end
  // unless `all`.
  void Flush(bool all) {
    size_t end = pending_.size();
    if (!all) {
      size_t back = 0;
      while (back < 3 && back < end && (static_cast<unsigned char>(pending_[end - 1 - back]) & 0xc0) == 0x80) ++back;
      if (back < end) {
        unsigned char lead = static_cast<unsigned char>(pending_[end - 1 - back]);
        size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (need > back + 1) end -= back + 1;
      }
    }
    std::wstring wide = Utf8ToUtf16(std::string_view(pending_).substr(0, end));
    DWORD written = 0;
    if (!wide.empty()) ::WriteConsoleW(handle_, wide.data(), static_cast<DWORD>(wide.size()), &written, nullptr);
    pending_.erase(0, end);
  }

  HANDLE handle_;
  std::string pending_;
};

}  // namespace

void UseUtf8Console() {
  // Objects that live as long as the program: std::cout keeps a pointer.
  static ConsoleBuffer* out = nullptr;
  static ConsoleBuffer* err = nullptr;
  HANDLE out_handle = ::GetStdHandle(STD_OUTPUT_HANDLE);
  HANDLE err_handle = ::GetStdHandle(STD_ERROR_HANDLE);
  if (out == nullptr && IsConsole(out_handle)) {
    out = new ConsoleBuffer(out_handle);
    std::cout.rdbuf(out);
  }
  if (err == nullptr && IsConsole(err_handle)) {
    err = new ConsoleBuffer(err_handle);
    std::cerr.rdbuf(err);
  }
}

bool StdinIsConsole() { return IsConsole(::GetStdHandle(STD_INPUT_HANDLE)); }

std::optional<std::string> ReadConsoleLine(bool echo) {
  HANDLE in = ::GetStdHandle(STD_INPUT_HANDLE);
  DWORD old_mode = 0;
  if (!IsConsole(in) || ::GetConsoleMode(in, &old_mode) == 0) return std::nullopt;
  DWORD mode = ENABLE_LINE_INPUT | ENABLE_PROCESSED_INPUT | (old_mode & ENABLE_EXTENDED_FLAGS);
  if (echo) mode |= ENABLE_ECHO_INPUT | ENABLE_INSERT_MODE;
  ::SetConsoleMode(in, mode);
  std::wstring line;
  bool ended = false;
  wchar_t chunk[256];
  for (;;) {
    DWORD got = 0;
    if (!::ReadConsoleW(in, chunk, 256, &got, nullptr) || got == 0) {
      ended = true;
      break;
    }
    line.append(chunk, got);
    if (!line.empty() && line.back() == L'\n') break;
  }
  ::SetConsoleMode(in, old_mode);
  if (!echo) {
    DWORD written = 0;
    ::WriteConsoleW(::GetStdHandle(STD_OUTPUT_HANDLE), L"\r\n", 2, &written, nullptr);
  }
  // Ctrl+Z at the start of a line is the console's end of input.
  if (ended && line.empty()) return std::nullopt;
  if (!line.empty() && line[0] == 0x1a) return std::nullopt;
  while (!line.empty() && (line.back() == L'\n' || line.back() == L'\r')) line.pop_back();
  return WithoutControlCharacters(Utf16ToUtf8(line));
}

#else

void UseUtf8Console() {}
bool StdinIsConsole() { return false; }
std::optional<std::string> ReadConsoleLine(bool) { return std::nullopt; }

#endif

}  // namespace dala
