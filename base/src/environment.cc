#include "dala/base/environment.h"

#include <cstdlib>

#ifdef _WIN32
#include <shlobj.h>
#include <windows.h>

#include "dala/base/console.h"
#endif

namespace dala {

#ifdef _WIN32

std::string GetEnv(const char* name) {
  const wchar_t* value = ::_wgetenv(Utf8ToUtf16(name).c_str());
  return value != nullptr ? Utf16ToUtf8(value) : std::string();
}

std::string LocalAppDataDir() {
  PWSTR path = nullptr;
  std::string out;
  if (::SHGetKnownFolderPath(FOLDERID_LocalAppData, 0, nullptr, &path) == S_OK) out = Utf16ToUtf8(path);
  ::CoTaskMemFree(path);
  return out;
}

#else

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string LocalAppDataDir() { return ""; }

#endif

}  // namespace dala
