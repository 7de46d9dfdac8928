#include "admin_files.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace dala::server {

std::string Errno() { return std::strerror(errno); }

Status WriteNewFile(const std::string& path, std::string_view content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    if (errno == EEXIST) return Status::AlreadyExists(path + " already exists");
    return Status::IoError("cannot create " + path + ": " + Errno());
  }
  Status result;
  if (::fchmod(fd, mode) != 0) result = Status::IoError("cannot set the mode of " + path + ": " + Errno());
  size_t done = 0;
  while (result.ok() && done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) result = Status::IoError("cannot write " + path + ": " + Errno());
    else done += static_cast<size_t>(n);
  }
  if (result.ok() && ::fsync(fd) != 0) result = Status::IoError("cannot sync " + path + ": " + Errno());
  ::close(fd);
  return result;
}

Status ReplaceFile(const std::string& path, std::string_view content, mode_t mode) {
  const std::string fresh = path + ".new";
  ::unlink(fresh.c_str());  // left by a crash part-way
  Status s = WriteNewFile(fresh, content, mode);
  if (s.ok() && ::rename(fresh.c_str(), path.c_str()) != 0) s = Status::IoError("cannot replace " + path + ": " + Errno());
  if (!s.ok()) {
    ::unlink(fresh.c_str());
    return s;
  }
  // The rename itself is durable only once the directory is synced.
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

Result<std::string> ReadSmallFd(int fd, size_t limit, const std::string& name) {
  std::string content(limit + 1, '\0');
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::read(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      sodium_memzero(content.data(), content.size());
      return Status::IoError("cannot read " + name + ": " + Errno());
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  if (done > limit) {
    sodium_memzero(content.data(), content.size());
    return Status::InvalidArgument(name + " is larger than expected");
  }
  content.resize(done);
  return content;
}

Result<std::string> ReadSmallFile(const std::string& path, size_t limit, struct stat* st_out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::IoError("cannot open " + path + ": " + Errno());
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::IoError(path + " is not a regular file");
  }
  if (st_out != nullptr) *st_out = st;
  auto content = ReadSmallFd(fd, limit, path);
  ::close(fd);
  return content;
}

}  // namespace dala::server
