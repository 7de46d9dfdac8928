#include "admin_control.h"
#include "store_location.h"

#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace dala::server {

using nlohmann::json;

namespace {

constexpr const char* kLockFile = "lock";
constexpr const char* kSocketFile = "admin.sock";
// A form document (8 MiB at most) escaped inside JSON.
constexpr size_t kMaxRequestBytes = 32u << 20;
constexpr size_t kMaxAnswerBytes = 4u << 20;

std::string Errno() { return std::strerror(errno); }

// The socket's address. sun_path holds 108 bytes; a longer data directory
// is reached through its open descriptor in /proc instead.
Result<sockaddr_un> SocketAddress(const std::string& dir, int* dir_fd) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = dir + "/" + kSocketFile;
  if (path.size() >= sizeof addr.sun_path) {
    *dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*dir_fd < 0) return Status::IoError("cannot open " + dir + ": " + Errno());
    path = "/proc/self/fd/" + std::to_string(*dir_fd) + "/" + kSocketFile;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

void SetTimeouts(int fd, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool SendAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// One line, without its newline; false on a timeout, an error, or more
// than `limit` bytes.
bool ReceiveLine(int fd, size_t limit, std::string* line) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    const char* newline = static_cast<const char*>(std::memchr(buffer, '\n', static_cast<size_t>(n)));
    line->append(buffer, newline != nullptr ? static_cast<size_t>(newline - buffer) : static_cast<size_t>(n));
    sodium_memzero(buffer, sizeof buffer);
    if (newline != nullptr) return true;
    if (line->size() > limit) return false;
  }
}

// Requests may carry a password.
void WipeLine(std::string* line) {
  if (!line->empty()) sodium_memzero(line->data(), line->size());
  line->clear();
}

}  // namespace

// --- the lock ---------------------------------------------------------------------

Result<DataDirLock> DataDirLock::TryAcquire(const std::string& dir, std::string_view role, std::string* holder_role,
                                            long* holder_pid) {
  struct stat st {};
  // A data directory holds its records in dala-server.db, or names the
  // PostgreSQL database that does in `store` (store_location.h).
  if (::stat((dir + "/dala-server.db").c_str(), &st) != 0 && ::stat((dir + "/" + kStoreFile).c_str(), &st) != 0)
    return Status::NotFound("no Dala server data in " + dir + " (run `dala-server init --data " + dir + "`)");
  const std::string path = dir + "/" + kLockFile;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::IoError("cannot open " + path + ": " + Errno());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const bool busy = errno == EWOULDBLOCK;
    std::string error = Errno();
    char text[64] = {};
    ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
    ::close(fd);
    if (!busy) return Status::IoError("cannot lock " + path + ": " + error);
    char who[16] = {};
    long pid = 0;
    if (n <= 0 || std::sscanf(text, "%15s %ld", who, &pid) != 2) who[0] = '\0';
    if (holder_role != nullptr) *holder_role = who;
    if (holder_pid != nullptr) *holder_pid = pid;
    std::string pid_text = pid > 0 ? "pid " + std::to_string(pid) : "pid unknown";
    std::string message = std::string_view(who) == kServeRole
                              ? "a server is already running on " + dir + " (" + pid_text + ")"
                              : "another dala-server command (" + pid_text + ") is changing " + dir +
                                    "; try again when it has finished";
    return Status(Status::Code::kFailedPrecondition, "data_dir_busy", message);
  }
  std::string text = std::string(role) + " " + std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    // Only the message of a refused process would suffer; the lock holds.
    std::cerr << "dala-server: cannot write " << path << ": " << Errno() << "\n";
  }
  return DataDirLock(fd);
}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

// --- the server's end ---------------------------------------------------------------

Result<std::unique_ptr<AdminSocket>> AdminSocket::Listen(const std::string& dir, Handler handle) {
  int dir_fd = -1;
  auto addr = SocketAddress(dir, &dir_fd);
  if (!addr.ok()) return addr.status();
  const std::string path = dir + "/" + kSocketFile;
  ::unlink(path.c_str());  // left by a server that was killed
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  Status s;
  if (fd < 0) {
    s = Status::IoError("cannot create the admin socket: " + Errno());
  } else if (::bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
    s = Status::IoError("cannot create " + path + ": " + Errno());
  } else if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd, 8) != 0) {
    s = Status::IoError("cannot listen on " + path + ": " + Errno());
  }
  if (dir_fd >= 0) ::close(dir_fd);
  int wake[2] = {-1, -1};
  if (s.ok() && ::pipe2(wake, O_CLOEXEC) != 0) s = Status::IoError("cannot create a pipe: " + Errno());
  if (!s.ok()) {
    if (fd >= 0) ::close(fd);
    ::unlink(path.c_str());
    return s;
  }
  return std::unique_ptr<AdminSocket>(new AdminSocket(path, fd, wake, std::move(handle)));
}

AdminSocket::AdminSocket(std::string path, int listen_fd, int wake_fd[2], Handler handle)
    : path_(std::move(path)), listen_fd_(listen_fd), wake_fd_{wake_fd[0], wake_fd[1]}, handle_(std::move(handle)) {
  thread_ = std::thread([this] { Run(); });
}

AdminSocket::~AdminSocket() {
  (void)!::write(wake_fd_[1], "x", 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_fd_[0]);
  ::close(wake_fd_[1]);
  ::unlink(path_.c_str());
}

void AdminSocket::Run() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::cerr << "dala-server: the admin socket stopped: " << Errno() << "\n";
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Serve(fd);
    ::close(fd);
  }
}

void AdminSocket::Serve(int fd) {
  ucred peer{};
  socklen_t size = sizeof peer;
  json answer;
  std::string line;
  SetTimeouts(fd, 30);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0 || (peer.uid != ::geteuid() && peer.uid != 0)) {
    // The directory's mode keeps others out already; this is the second lock.
    answer = FailureJson(Status::PermissionDenied("only the user dala-server runs as may give it admin commands"));
  } else if (!ReceiveLine(fd, kMaxRequestBytes, &line)) {
    answer = FailureJson(Status::InvalidArgument("the admin request was cut short or too large"));
  } else {
    json request = json::parse(line, nullptr, /*allow_exceptions=*/false);
    WipeLine(&line);
    answer = request.is_object() ? handle_(request, peer.uid)
                                 : FailureJson(Status::InvalidArgument("an admin request is one JSON object"));
  }
  WipeLine(&line);
  (void)SendAll(fd, answer.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
}

// --- the command's end ----------------------------------------------------------------

Result<json> AskRunningServer(const std::string& dir, const json& request) {
  int dir_fd = -1;
  auto addr = SocketAddress(dir, &dir_fd);
  if (!addr.ok()) return addr.status();
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool connected = fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) == 0;
  std::string error = Errno();
  if (dir_fd >= 0) ::close(dir_fd);
  if (!connected) {
    if (fd >= 0) ::close(fd);
    return Status::Unavailable("no dala-server answers on " + dir + "/" + kSocketFile + ": " + error);
  }
  // Revoking a device waits for the log's append lock behind any sync.
  SetTimeouts(fd, 120);
  std::string line = request.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  bool sent = SendAll(fd, line);
  WipeLine(&line);
  std::string answer_line;
  bool answered = sent && ReceiveLine(fd, kMaxAnswerBytes, &answer_line);
  ::close(fd);
  if (!answered) return Status::Unavailable("the running dala-server did not answer (see its log)");
  json answer = json::parse(answer_line, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object()) return Status::Internal("the running dala-server sent an answer that is not JSON");
  return answer;
}

json FailureJson(const Status& status) {
  return {{"error",
           {{"code", static_cast<int>(status.code())}, {"reason", status.reason()}, {"message", status.message()}}}};
}

Status StatusFromAnswer(const json& answer) {
  auto it = answer.find("error");
  if (it == answer.end()) return Status::Ok();
  // Read without json's throwing accessors: a bad answer is a message, not a crash.
  auto field = [&](const char* name) -> const json* {
    return it->is_object() && it->contains(name) ? &(*it)[name] : nullptr;
  };
  const json* code = field("code");
  const json* reason = field("reason");
  const json* message = field("message");
  int n = code != nullptr && code->is_number_integer() ? code->get<int>() : 0;
  if (n <= 0 || n > static_cast<int>(Status::Code::kInternal)) n = static_cast<int>(Status::Code::kInternal);
  return Status(static_cast<Status::Code>(n), reason != nullptr && reason->is_string() ? reason->get<std::string>() : "",
                message != nullptr && message->is_string() ? message->get<std::string>()
                                                           : "the running dala-server refused the request");
}

}  // namespace dala::server
