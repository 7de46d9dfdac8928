#include "admin.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <iostream>
#include <thread>
#include <vector>

#include "api.h"
#include "auth.h"
#include "admin_files.h"
#include "dala/base/terminal.h"
#include "dala/base/utf8.h"
#include "dala/server/postgres_store.h"
#include "dala/server/sqlite_store.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/person_keys.h"
#include "http_edge.h"
#include "router.h"
#include "server_context.h"
#include "store_location.h"

namespace dala::server {

namespace {

constexpr const char* kDatabaseFiles[] = {"dala-server.db", "dala-server.db-wal", "dala-server.db-shm",
                                          "dala-server.db-journal"};

std::string Join(const std::string& dir, const char* name) { return dir + "/" + name; }

bool DirectoryIsEmpty(const std::string& dir, bool* empty) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return false;
  *empty = true;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      *empty = false;
      break;
    }
  }
  ::closedir(d);
  return true;
}

Status ValidateProjectName(std::string_view name) {
  if (!ValidateUserName(name).ok()) {
    return Status::InvalidArgument("a project name is 1 to 64 letters, digits, '.', '_' or '-', "
                                   "starting with a letter or digit");
  }
  return Status::Ok();
}

bool HasControl(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return true;
  return false;
}

Status ValidateOrigin(std::string_view origin) {
  if (origin.empty() || origin.size() > 255 || HasControl(origin) || !sync::IsValidNoteKeyName(origin)) {
    return Status::InvalidArgument("the origin must be 1 to 255 bytes of UTF-8 without spaces, '+' or control "
                                   "characters, e.g. \"dala.example.org/log\"");
  }
  return Status::Ok();
}

// Undoes a half-finished init: removes exactly what it created, the
// directories last and innermost first.
class InitRollback {
 public:
  ~InitRollback() {
    if (committed_) return;
    for (const std::string& f : files_) ::unlink(f.c_str());
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) ::rmdir(it->c_str());
  }
  void CreatedDir(std::string path) { dirs_.push_back(std::move(path)); }
  void Created(std::string path) { files_.push_back(std::move(path)); }
  void Commit() { committed_ = true; }

 private:
  std::vector<std::string> files_;
  std::vector<std::string> dirs_;
  bool committed_ = false;
};

// Creates `dir` (mode 0700) and the parents it lacks (0755, as mkdir -p
// would), telling `rollback` about each.
Status MakeDirectories(const std::string& dir, InitRollback& rollback) {
  std::vector<std::string> missing;
  struct stat st {};
  for (std::string d = dir; !d.empty() && ::stat(d.c_str(), &st) != 0;) {
    if (errno != ENOENT) return Status::IoError("cannot use " + d + ": " + Errno());
    missing.push_back(d);
    size_t slash = d.find_last_of('/', d.find_last_not_of('/'));
    d = slash == std::string::npos ? "" : d.substr(0, slash);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), *it == missing.front() ? 0700 : 0755) != 0)
      return Status::IoError("cannot create " + *it + ": " + Errno());
    rollback.CreatedDir(*it);
  }
  return Status::Ok();
}

}  // namespace

// --- the data directory ----------------------------------------------------------

Result<InitResult> InitDataDir(const InitOptions& options, sync::Random& random, const Clock& clock) {
  // Every check on the input comes before the first change on disk.
  const std::string& dir = options.data_dir;
  if (dir.empty()) return Status::InvalidArgument("name the data directory with --data DIR");
  DALA_RETURN_IF_ERROR(ValidateProjectName(options.project));
  std::string title = options.title.empty() ? options.project : options.title;
  if (title.size() > 200 || HasControl(title) || !utf8::IsValid(title))
    return Status::InvalidArgument("the title must be at most 200 bytes of UTF-8 on one line");
  std::string origin = options.origin.empty() ? ServerConfig{}.origin : options.origin;
  DALA_RETURN_IF_ERROR(ValidateOrigin(origin));
  DALA_RETURN_IF_ERROR(sync::InitCrypto());

  InitRollback rollback;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    bool empty = false;
    if (!S_ISDIR(st.st_mode)) return Status::AlreadyExists(dir + " exists and is not a directory");
    if (!DirectoryIsEmpty(dir, &empty)) return Status::IoError("cannot read " + dir + ": " + Errno());
    if (!empty) return Status::AlreadyExists(dir + " is not empty (already initialised?); nothing was changed");
    if (::chmod(dir.c_str(), 0700) != 0) return Status::IoError("cannot restrict " + dir + ": " + Errno());
  } else if (errno == ENOENT) {
    DALA_RETURN_IF_ERROR(MakeDirectories(dir, rollback));
  } else {
    return Status::IoError("cannot use " + dir + ": " + Errno());
  }

  sync::SigningKey key = sync::SigningKey::Generate(random);
  {
    uint8_t seed[sync::SigningKey::kSeedSize];
    key.CopySeed(seed);
    std::string line = ToHex(seed, sizeof seed) + "\n";
    sodium_memzero(seed, sizeof seed);
    Status s = WriteNewFile(Join(dir, kServerKeyFile), line, 0600);
    Wipe(&line);
    if (s.code() != Status::Code::kAlreadyExists) rollback.Created(Join(dir, kServerKeyFile));
    DALA_RETURN_IF_ERROR(s);
  }
  rollback.Created(Join(dir, kOriginFile));
  DALA_RETURN_IF_ERROR(WriteNewFile(Join(dir, kOriginFile), origin + "\n", 0644));

  if (options.store.empty()) {
    for (const char* f : kDatabaseFiles) rollback.Created(Join(dir, f));
    DALA_ASSIGN_OR_RETURN(auto store, OpenSqliteStore(dir, /*create=*/true));
    DALA_RETURN_IF_ERROR(store->AddProject({options.project, title, clock.NowMs()}));
  } else {
    // One database, one deployment: a second node copies a node's data
    // directory (key and all) instead of making a new key here.
    DALA_ASSIGN_OR_RETURN(auto store, OpenPostgresStore(options.store, /*create=*/true));
    DALA_ASSIGN_OR_RETURN(auto projects, store->ListProjects());
    DALA_ASSIGN_OR_RETURN(uint64_t log_size, store->LogSize());
    if (!projects.empty() || log_size > 0)
      return Status::FailedPrecondition(
          "that database already holds a Dala deployment; to add a node to it, copy the data directory of one of "
          "its nodes (docs/DEPLOY.md)");
    rollback.Created(Join(dir, kStoreFile));
    DALA_RETURN_IF_ERROR(RecordStoreUri(dir, options.store));
    DALA_RETURN_IF_ERROR(store->AddProject({options.project, title, clock.NowMs()}));
  }

  InitResult result;
  result.public_key = key.public_key();
  result.origin = origin;
  result.verifier_key = sync::VerifierKeyString(origin, key.public_key());
  rollback.Created(Join(dir, kServerPubFile));
  DALA_RETURN_IF_ERROR(WriteNewFile(Join(dir, kServerPubFile), result.verifier_key + "\n", 0644));
  rollback.Commit();
  return result;
}

Result<std::string> LoadOrigin(const std::string& dir) {
  const std::string path = Join(dir, kOriginFile);
  auto content = ReadSmallFile(path, 512);
  if (!content.ok()) {
    if (content.status().code() == Status::Code::kNotFound)
      return Status::NotFound("no origin file at " + path + " (run `dala-server init --data " + dir + "`)");
    return content.status();
  }
  std::string origin = std::move(*content);
  if (!origin.empty() && origin.back() == '\n') origin.pop_back();
  if (!ValidateOrigin(origin).ok()) return Status::Corruption(path + " does not hold a valid origin");
  return origin;
}

// --- enrolment codes ------------------------------------------------------------

std::string GenerateEnrollCode(sync::Random& random) {
  const size_t n = sync::kEnrollCodeAlphabet.size();          // 31
  const unsigned limit = 256 - (256 % static_cast<unsigned>(n));  // 248: keeps every character equally likely
  std::string code;
  while (code.size() < 14) {
    uint8_t bytes[16];
    random.Fill(bytes, sizeof bytes);
    for (uint8_t b : bytes) {
      if (code.size() == 14) break;
      if (b >= limit) continue;
      if (code.size() == 4 || code.size() == 9) code.push_back('-');
      code.push_back(sync::kEnrollCodeAlphabet[b % n]);
    }
  }
  return code;
}

std::string EnrollCodeHash(std::string_view normalized_code) {
  return ToHex(sync::Sha256(normalized_code));
}

namespace {

// A fresh code for `user`, stored by `add` (its hash, its expiry, now).
Result<IssuedEnrollCode> IssueCode(const User& user, int ttl_hours, sync::Random& random, const Clock& clock,
                                   const std::function<Status(const std::string&, int64_t, int64_t)>& add) {
  const int64_t now = clock.NowMs();
  IssuedEnrollCode issued;
  issued.user = user.name;
  issued.expires_ms = now + int64_t{ttl_hours} * 3600 * 1000;
  // A collision of 59-bit codes is not going to happen; retrying costs nothing.
  for (int attempt = 0;; ++attempt) {
    issued.code = GenerateEnrollCode(random);
    Status s = add(EnrollCodeHash(sync::NormalizeEnrollCode(issued.code)), issued.expires_ms, now);
    if (s.ok()) return issued;
    if (s.code() != Status::Code::kAlreadyExists || attempt == 3) return s;
  }
}

// The user a code is for, who must exist, and its validity.
Result<User> CodeHolder(Store& store, std::string_view name, int ttl_hours) {
  if (ttl_hours < 1 || ttl_hours > kMaxEnrollTtlHours) {
    return Status::InvalidArgument("the validity must be between 1 and " + std::to_string(kMaxEnrollTtlHours) +
                                   " hours");
  }
  DALA_ASSIGN_OR_RETURN(std::optional<User> user, store.FindUser(name));
  if (!user) return Status::NotFound("no user named '" + std::string(name) + "'");
  return std::move(*user);
}

}  // namespace

Result<IssuedEnrollCode> IssueEnrollCode(Store& store, std::string_view volunteer, int ttl_hours,
                                         std::string_view created_by, sync::Random& random, const Clock& clock) {
  DALA_ASSIGN_OR_RETURN(User user, CodeHolder(store, volunteer, ttl_hours));
  if (user.role != Role::kVolunteer) {
    return Status::InvalidArgument("'" + user.name + "' is not a volunteer (role: " + RoleName(user.role) +
                                   "); only volunteers enrol devices");
  }
  return IssueCode(user, ttl_hours, random, clock, [&](const std::string& hash, int64_t expires, int64_t now) {
    return store.AddEnrollCode(hash, user.name, expires, created_by, now);
  });
}

Result<IssuedEnrollCode> IssuePersonKeyCode(Store& store, std::string_view person, int ttl_hours,
                                            std::string_view created_by, sync::Random& random, const Clock& clock) {
  DALA_ASSIGN_OR_RETURN(User user, CodeHolder(store, person, ttl_hours));
  if (!sync::IsDecidingRole(RoleName(user.role))) {
    return Status::InvalidArgument("'" + user.name + "' is not a coordinator or an admin (role: " +
                                   RoleName(user.role) + "); only they hold keys that sign decisions");
  }
  return IssueCode(user, ttl_hours, random, clock, [&](const std::string& hash, int64_t expires, int64_t now) {
    return store.AddPersonKeyCode(hash, user.name, expires, created_by, now);
  });
}

Result<User> AddUserAccount(Store& store, std::string_view name, std::string_view role_name,
                            std::string_view password, const Clock& clock) {
  DALA_RETURN_IF_ERROR(ValidateUserName(name));
  DALA_ASSIGN_OR_RETURN(Role role, ParseRole(role_name));
  std::string hash;
  if (role != Role::kVolunteer) {
    DALA_RETURN_IF_ERROR(ValidatePassword(password));
    DALA_ASSIGN_OR_RETURN(hash, sync::HashPassword(password));
  }
  return store.AddUser(name, role, hash, clock.NowMs());
}

Status ResetPassword(Store& store, std::string_view name, std::string_view password) {
  DALA_ASSIGN_OR_RETURN(std::optional<User> user, store.FindUser(name));
  if (!user) return Status::NotFound("no user named '" + std::string(name) + "'");
  if (!CanLogIn(user->role))
    return Status::InvalidArgument("'" + user->name + "' is a volunteer: volunteers do not log in, their laptops do");
  DALA_RETURN_IF_ERROR(ValidatePassword(password));
  DALA_ASSIGN_OR_RETURN(std::string hash, sync::HashPassword(password));
  // Whoever knew the old password may hold a session opened with it.
  return store.InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(store.SetPassword(user->name, hash));
    return store.DeleteSessionsOf(user->id);
  });
}

namespace {

bool IsHexPrefix(std::string_view s, size_t min, size_t max) {
  return s.size() >= min && s.size() <= max &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<Device> FindDeviceByKey(Store& store, std::string_view key_hex) {
  if (!IsHexPrefix(key_hex, 8, 64))
    return Status::InvalidArgument("a device key is 64 hex digits, or the first 8 or more of them "
                                   "(as `dala-server device list` shows)");
  const std::string prefix = Lower(key_hex);
  DALA_ASSIGN_OR_RETURN(auto devices, store.ListDevices());
  std::vector<Device> found;
  for (Device& d : devices)
    if (ToHex(d.key).rfind(prefix, 0) == 0) found.push_back(std::move(d));
  if (found.empty()) return Status::NotFound("no enrolled device has a key starting " + prefix);
  if (found.size() > 1)
    return Status::InvalidArgument(std::to_string(found.size()) + " devices have keys starting " + prefix +
                                   "; give more digits");
  return std::move(found[0]);
}

Result<PersonKeyRow> FindPersonKeyOf(Store& store, std::string_view person, std::string_view fingerprint) {
  std::string digits;
  for (char c : fingerprint)
    if (c != ' ') digits.push_back(c);
  if (!IsHexPrefix(digits, 8, 64))
    return Status::InvalidArgument("'" + std::string(fingerprint) + "' is not a key's fingerprint: 16 hex digits "
                                   "in groups of four, as `dala-server person-key list` shows, or 8 to 64 of them");
  DALA_ASSIGN_OR_RETURN(std::optional<User> user, store.FindUser(person));
  if (!user) return Status::NotFound("no user named '" + std::string(person) + "'");
  DALA_ASSIGN_OR_RETURN(auto keys, store.PersonKeysOf(user->name));
  const std::string prefix = Lower(digits);
  std::vector<PersonKeyRow> found;
  std::string theirs;
  for (PersonKeyRow& k : keys) {
    theirs += (theirs.empty() ? "" : ", ") + sync::KeyFingerprint(k.key);
    if (ToHex(k.key).rfind(prefix, 0) == 0) found.push_back(std::move(k));
  }
  if (found.empty()) {
    return Status::NotFound(user->name + " has no key " + std::string(fingerprint) +
                            (theirs.empty() ? std::string(": they have none enrolled") : " (theirs: " + theirs + ")"));
  }
  if (found.size() > 1)
    return Status::InvalidArgument(std::to_string(found.size()) + " keys of " + user->name + " start " + prefix +
                                   "; give more digits");
  return std::move(found[0]);
}

Result<FormInfo> FindPublishedForm(Store& store, std::string_view form, std::string_view version) {
  DALA_ASSIGN_OR_RETURN(auto forms, store.ListForms());
  std::vector<FormInfo> found;
  if (version.empty() && IsHexPrefix(form, 8, 64)) {
    for (const FormInfo& f : forms)
      if (f.hash.rfind(Lower(form), 0) == 0) found.push_back(f);
  }
  if (found.empty()) {  // a form id, which may look like hex too
    for (const FormInfo& f : forms)
      if (f.form_id == form && (version.empty() ? f.retired_ms == 0 : f.version == version)) found.push_back(f);
  }
  const std::string named = std::string(form) + (version.empty() ? "" : " version " + std::string(version));
  if (found.empty()) return Status::NotFound("no published form " + named + " (see `dala-server form list`)");
  if (found.size() > 1) {
    std::string which;
    for (const FormInfo& f : found) which += (which.empty() ? "" : ", ") + f.version;
    return Status::InvalidArgument("form " + named + " has several versions in use (" + which +
                                   "); name the version too");
  }
  return std::move(found[0]);
}

Result<std::pair<std::string, int>> ParseListenAddress(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("--listen wants HOST:PORT or [IPv6]:PORT, not '" + std::string(text) + "'");
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad();
  }
  if (port_text.empty() || port_text.size() > 5) return bad();
  int port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return bad();
    port = port * 10 + (c - '0');
  }
  if (port > 65535) return bad();
  return std::make_pair(std::string(host), port);
}

}  // namespace dala::server
