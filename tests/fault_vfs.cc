// A SQLite VFS that fails, or kills its process at, the N-th write, sync or
// read: the I/O faults of tests/io_fault_test.cc and the kill loop of
// tests/kill_loop_test.cc. Built only for tests, as a shared library that
// is loaded with LD_PRELOAD into the real `dala` and `dala-server`; its
// constructor registers it as the default VFS, wrapping the one SQLite had,
// so no product code knows it is there.
//
// Configured by the environment:
//   DALA_FAULT_OP      write | sync | read: the operation counted (default write)
//   DALA_FAULT_AT      N: act on the N-th such operation (1-based); 0 or unset: only count
//   DALA_FAULT_ERRNO   EIO (default) | ENOSPC: what the failing operation reports
//   DALA_FAULT_STICKY  1: every operation from the N-th on fails too (a disk that stays full)
//   DALA_FAULT_ACTION  fail (default) | kill: SIGKILL the process instead, before the operation
//   DALA_FAULT_COUNTS  a file: at exit, "write W\nsync S\nread R\n" (operations seen, of every kind)
//
// The errors are what SQLite's own unix VFS returns for those errnos:
// SQLITE_FULL for ENOSPC on a write, SQLITE_IOERR_WRITE / _FSYNC / _READ
// otherwise, with errno set.
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

enum Op { kWrite = 0, kSync = 1, kRead = 2 };

struct Config {
  Op op = kWrite;
  long at = 0;
  int error = EIO;
  bool sticky = false;
  bool kill = false;
  const char* counts_file = nullptr;
};

Config config;
std::atomic<long> seen[3];
sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs fault_vfs;

// Whether this operation is to fail; kills the process instead when asked.
bool Strike(Op op) {
  const long n = seen[op].fetch_add(1) + 1;
  if (op != config.op || config.at <= 0) return false;
  if (n != config.at && !(config.sticky && n > config.at)) return false;
  if (config.kill) ::kill(::getpid(), SIGKILL);
  errno = config.error;
  return true;
}

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;  // the wrapped VFS's file, allocated right after this struct
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }

int Close(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }
int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  if (Strike(kRead)) return SQLITE_IOERR_READ;
  return Real(f)->pMethods->xRead(Real(f), buf, n, off);
}
int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (Strike(kWrite)) return config.error == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_WRITE;
  return Real(f)->pMethods->xWrite(Real(f), buf, n, off);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) { return Real(f)->pMethods->xTruncate(Real(f), size); }
int Sync(sqlite3_file* f, int flags) {
  if (Strike(kSync)) return SQLITE_IOERR_FSYNC;
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) { return Real(f)->pMethods->xFileSize(Real(f), size); }
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) { return Real(f)->pMethods->xCheckReservedLock(Real(f), out); }
int FileControl(sqlite3_file* f, int op, void* arg) { return Real(f)->pMethods->xFileControl(Real(f), op, arg); }
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) { return Real(f)->pMethods->xDeviceCharacteristics(Real(f)); }
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int remove) { return Real(f)->pMethods->xShmUnmap(Real(f), remove); }
// Memory-mapped reads would bypass xRead; refusing them makes SQLite read.
int Fetch(sqlite3_file*, sqlite3_int64, int, void** out) {
  *out = nullptr;
  return SQLITE_OK;
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) { return Real(f)->pMethods->xUnfetch(Real(f), off, p); }

const sqlite3_io_methods kMethods = {3,        Close,    Read,      Write,  Truncate,   Sync,
                                     FileSize, Lock,     Unlock,    CheckReservedLock, FileControl,
                                     SectorSize, DeviceCharacteristics, ShmMap, ShmLock, ShmBarrier,
                                     ShmUnmap, Fetch,    Unfetch};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* f = reinterpret_cast<FaultFile*>(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
  if (f->real->pMethods != nullptr) f->base.pMethods = &kMethods;
  return rc;
}

int Delete(sqlite3_vfs*, const char* name, int sync_dir) { return real_vfs->xDelete(real_vfs, name, sync_dir); }
int Access(sqlite3_vfs*, const char* name, int flags, int* out) { return real_vfs->xAccess(real_vfs, name, flags, out); }
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return real_vfs->xFullPathname(real_vfs, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return real_vfs->xDlOpen(real_vfs, name); }
void DlError(sqlite3_vfs*, int n, char* out) { real_vfs->xDlError(real_vfs, n, out); }
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return real_vfs->xDlSym(real_vfs, handle, symbol);
}
void DlClose(sqlite3_vfs*, void* handle) { real_vfs->xDlClose(real_vfs, handle); }
int Randomness(sqlite3_vfs*, int n, char* out) { return real_vfs->xRandomness(real_vfs, n, out); }
int Sleep(sqlite3_vfs*, int us) { return real_vfs->xSleep(real_vfs, us); }
int CurrentTime(sqlite3_vfs*, double* out) { return real_vfs->xCurrentTime(real_vfs, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) { return real_vfs->xGetLastError(real_vfs, n, out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) { return real_vfs->xCurrentTimeInt64(real_vfs, out); }

void WriteCounts() {
  if (config.counts_file == nullptr) return;
  if (FILE* out = std::fopen(config.counts_file, "w")) {
    std::fprintf(out, "write %ld\nsync %ld\nread %ld\n", seen[kWrite].load(), seen[kSync].load(), seen[kRead].load());
    std::fclose(out);
  }
}

__attribute__((constructor)) void Install() {
  const char* op = std::getenv("DALA_FAULT_OP");
  if (op != nullptr && std::strcmp(op, "sync") == 0) config.op = kSync;
  if (op != nullptr && std::strcmp(op, "read") == 0) config.op = kRead;
  if (const char* at = std::getenv("DALA_FAULT_AT")) config.at = std::atol(at);
  if (const char* e = std::getenv("DALA_FAULT_ERRNO"); e != nullptr && std::strcmp(e, "ENOSPC") == 0)
    config.error = ENOSPC;
  if (const char* s = std::getenv("DALA_FAULT_STICKY")) config.sticky = std::strcmp(s, "1") == 0;
  if (const char* a = std::getenv("DALA_FAULT_ACTION")) config.kill = std::strcmp(a, "kill") == 0;
  config.counts_file = std::getenv("DALA_FAULT_COUNTS");

  real_vfs = sqlite3_vfs_find(nullptr);
  if (real_vfs == nullptr) return;
  fault_vfs = *real_vfs;
  fault_vfs.iVersion = 3;
  fault_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + real_vfs->szOsFile;
  fault_vfs.zName = "dala-fault";
  fault_vfs.pNext = nullptr;
  fault_vfs.xOpen = Open;
  fault_vfs.xDelete = Delete;
  fault_vfs.xAccess = Access;
  fault_vfs.xFullPathname = FullPathname;
  fault_vfs.xDlOpen = DlOpen;
  fault_vfs.xDlError = DlError;
  fault_vfs.xDlSym = DlSym;
  fault_vfs.xDlClose = DlClose;
  fault_vfs.xRandomness = Randomness;
  fault_vfs.xSleep = Sleep;
  fault_vfs.xCurrentTime = CurrentTime;
  fault_vfs.xGetLastError = GetLastError;
  fault_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  fault_vfs.xSetSystemCall = nullptr;
  fault_vfs.xGetSystemCall = nullptr;
  fault_vfs.xNextSystemCall = nullptr;
  if (sqlite3_vfs_register(&fault_vfs, /*makeDflt=*/1) != SQLITE_OK) return;
  std::atexit(WriteCounts);
}

}  // namespace
