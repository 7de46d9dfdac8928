// Who may change a data directory, and how the admin commands reach a
// server that is running on it.
//
// A running `dala-server serve` keeps the log's Merkle tree, its own
// signing chain and clock, and the login delays in memory. A command that
// wrote the directory behind its back (revoking a device appends to the
// log) would race it. So:
//
//   - DIR/lock is held (flock) by `serve` for its whole life, and by a
//     command for as long as it changes the directory itself. A second
//     `serve` is refused, naming the first one's pid.
//   - While `serve` runs, the commands that change the directory send
//     their request to it over DIR/admin.sock, a Unix socket in the
//     0700 data directory that only the server's own user (or root) may
//     use. The server carries it out with its own store, log and login
//     delays, exactly as the API would, and logs it.
//   - When no server runs, the command does the same work itself, under
//     the lock.
//
// The requests are JSON objects {"op": ..., fields}, one line each way;
// RunAdminRequest (admin_requests.cc) carries them out in either place.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "dala/base/status.h"

namespace dala::server {

inline constexpr std::string_view kServeRole = "serve";
inline constexpr std::string_view kCommandRole = "command";

// The lock on a data directory, released when the object dies (or the
// process does: the kernel drops flock locks of a dead process).
class DataDirLock {
 public:
  // Takes DIR/lock without waiting, for `role` (kServeRole or
  // kCommandRole). When another process holds it: FailedPrecondition
  // with reason "data_dir_busy", and *holder_role and *holder_pid say
  // who (as that process wrote them; empty and 0 if unreadable).
  static Result<DataDirLock> TryAcquire(const std::string& dir, std::string_view role,
                                        std::string* holder_role = nullptr, long* holder_pid = nullptr);
  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The server's end of DIR/admin.sock: one thread that takes one request
// at a time (admin commands are few and quick).
class AdminSocket {
 public:
  // `handle` answers one request; `peer_uid` is the caller's user id.
  using Handler = std::function<nlohmann::json(const nlohmann::json& request, uid_t peer_uid)>;
  // Binds DIR/admin.sock (replacing one a killed server left; the caller
  // holds the directory's lock, so no live server owns it).
  static Result<std::unique_ptr<AdminSocket>> Listen(const std::string& dir, Handler handle);
  ~AdminSocket();  // stops the thread and removes the socket

 private:
  AdminSocket(std::string path, int listen_fd, int wake_fd[2], Handler handle);
  void Run();
  void Serve(int fd);

  std::string path_;
  int listen_fd_;
  int wake_fd_[2];
  Handler handle_;
  std::thread thread_;
};

// Sends one request to the server running on `dir` and returns its
// answer. Unavailable if no server answers there.
Result<nlohmann::json> AskRunningServer(const std::string& dir, const nlohmann::json& request);

// A failure carried in an answer, and back.
nlohmann::json FailureJson(const Status& status);
Status StatusFromAnswer(const nlohmann::json& answer);

}  // namespace dala::server
