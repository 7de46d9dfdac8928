// Small files of the data directory, written and read with care: never
// overwritten by accident, on disk before they count, secrets wiped.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

#include "dala/base/status.h"

namespace dala::server {

// strerror(errno), for messages.
std::string Errno();

// Writes a new file: O_EXCL, so an existing file is never overwritten, and
// fsync'ed before it counts as written. AlreadyExists if it exists.
Status WriteNewFile(const std::string& path, std::string_view content, mode_t mode);

// Replaces `path` whole: the content is written to a new file beside it
// and renamed over it, so a reader (or a crash) sees the old file or the
// new one, never half of either.
Status ReplaceFile(const std::string& path, std::string_view content, mode_t mode);

// A small file read whole, at most `limit` bytes; NotFound if it does not
// exist. `st_out`, when given, receives its stat.
Result<std::string> ReadSmallFile(const std::string& path, size_t limit, struct stat* st_out = nullptr);
// The same from an open descriptor (a pipe, say), read to its end.
Result<std::string> ReadSmallFd(int fd, size_t limit, const std::string& name);

}  // namespace dala::server
