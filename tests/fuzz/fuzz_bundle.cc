// Audit bundles (sync/BUNDLE.md): an auditor opens a file the server wrote
// and trusts nothing in it. The input is written to a file and audited
// whole, with one thread; inputs are kept small (scripts/fuzz passes
// -max_len) so each audit is a few milliseconds.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "dala/sync/audit.h"
#include "dala/sync/bundle.h"
#include "dala/sync/crypto.h"
#include "fuzz_util.h"

namespace {

// A plain array, not a std::string: RemoveFiles runs at exit, when static
// objects may already be destroyed.
char path_buffer[128];

std::string Path() {
  if (path_buffer[0] == '\0') {
    const char* dir = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::snprintf(path_buffer, sizeof path_buffer, "%s/dala-fuzz-bundle-%d.db", dir, static_cast<int>(::getpid()));
  }
  return path_buffer;
}

void RemoveFiles() {
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) std::remove((Path() + suffix).c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool ready = [] {
    (void)dala::sync::InitCrypto();
    std::atexit(RemoveFiles);
    return true;
  }();
  (void)ready;
  RemoveFiles();
  {
    std::ofstream out(Path(), std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto bundle = dala::sync::BundleReader::Open(Path());
  if (bundle.ok()) {
    dala::sync::AuditOptions options;
    options.threads = 1;
    (void)dala::sync::AuditBundle(*bundle, options);
  }
  return 0;
}
