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
#include "web.h"
#include "auth.h"
#include "dala/base/terminal.h"
#include "dala/base/utf8.h"
#include "dala/server/sqlite_store.h"
#include "dala/sync/checkpoint.h"
#include "http_edge.h"
#include "router.h"
#include "server_context.h"

namespace dala::server {

namespace {

constexpr const char* kKeyFile = "server.key";
constexpr const char* kPubFile = "server.pub";
constexpr const char* kOriginFile = "origin";
constexpr const char* kDatabaseFiles[] = {"dala-server.db", "dala-server.db-wal", "dala-server.db-shm",
                                          "dala-server.db-journal"};

std::string Join(const std::string& dir, const char* name) { return dir + "/" + name; }

std::string Errno() { return std::strerror(errno); }

// Writes a new file: O_EXCL, so an existing file is never overwritten, and
// fsync'ed before it counts as written.
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

// A small file read whole, at most `limit` bytes.
Result<std::string> ReadSmallFile(const std::string& path, size_t limit, struct stat* st_out = nullptr) {
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
  std::string content(limit + 1, '\0');
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::read(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      sodium_memzero(content.data(), content.size());
      return Status::IoError("cannot read " + path + ": " + Errno());
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done > limit) {
    sodium_memzero(content.data(), content.size());
    return Status::InvalidArgument(path + " is larger than expected");
  }
  content.resize(done);
  return content;
}

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

// Undoes a half-finished init: removes exactly what it created.
class InitRollback {
 public:
  explicit InitRollback(std::string dir) : dir_(std::move(dir)) {}
  ~InitRollback() {
    if (committed_) return;
    for (const std::string& f : files_) ::unlink(f.c_str());
    if (created_dir_) ::rmdir(dir_.c_str());
  }
  void CreatedDir() { created_dir_ = true; }
  void Created(std::string path) { files_.push_back(std::move(path)); }
  void Commit() { committed_ = true; }

 private:
  std::string dir_;
  std::vector<std::string> files_;
  bool created_dir_ = false;
  bool committed_ = false;
};

std::string FormatUtc(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

int Fail(const Status& s) {
  std::cerr << "dala-server: " << s.message() << "\n";
  return kExitFailure;
}

int Usage(std::string_view message) {
  std::cerr << "dala-server: " << message << "\n";
  return kExitUsage;
}

// DALA_PASSWORD, or asked twice on the terminal without echo.
Result<std::string> ReadNewPassword(std::string_view user) {
  if (const char* env = std::getenv("DALA_PASSWORD"); env != nullptr) return std::string(env);
  DALA_ASSIGN_OR_RETURN(std::string first, AskOnTerminal("Password for " + std::string(user) + ": ", "DALA_PASSWORD"));
  DALA_ASSIGN_OR_RETURN(std::string second, AskOnTerminal("Repeat the password: ", "DALA_PASSWORD"));
  bool same = first == second;
  Wipe(&second);
  if (!same) {
    Wipe(&first);
    return Status::InvalidArgument("the two passwords differ");
  }
  return first;
}

Result<std::unique_ptr<Store>> OpenExisting(const std::string& data_dir) {
  if (data_dir.empty()) return Status::InvalidArgument("name the data directory with --data DIR");
  return OpenSqliteStore(data_dir, /*create=*/false);
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

  InitRollback rollback(dir);
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    bool empty = false;
    if (!S_ISDIR(st.st_mode)) return Status::AlreadyExists(dir + " exists and is not a directory");
    if (!DirectoryIsEmpty(dir, &empty)) return Status::IoError("cannot read " + dir + ": " + Errno());
    if (!empty) return Status::AlreadyExists(dir + " is not empty (already initialised?); nothing was changed");
    if (::chmod(dir.c_str(), 0700) != 0) return Status::IoError("cannot restrict " + dir + ": " + Errno());
  } else if (errno == ENOENT) {
    if (::mkdir(dir.c_str(), 0700) != 0) return Status::IoError("cannot create " + dir + ": " + Errno());
    rollback.CreatedDir();
  } else {
    return Status::IoError("cannot use " + dir + ": " + Errno());
  }

  sync::SigningKey key = sync::SigningKey::Generate(random);
  {
    uint8_t seed[sync::SigningKey::kSeedSize];
    key.CopySeed(seed);
    std::string line = ToHex(seed, sizeof seed) + "\n";
    sodium_memzero(seed, sizeof seed);
    Status s = WriteNewFile(Join(dir, kKeyFile), line, 0600);
    Wipe(&line);
    if (s.code() != Status::Code::kAlreadyExists) rollback.Created(Join(dir, kKeyFile));
    DALA_RETURN_IF_ERROR(s);
  }
  rollback.Created(Join(dir, kOriginFile));
  DALA_RETURN_IF_ERROR(WriteNewFile(Join(dir, kOriginFile), origin + "\n", 0644));

  for (const char* f : kDatabaseFiles) rollback.Created(Join(dir, f));
  {
    DALA_ASSIGN_OR_RETURN(auto store, OpenSqliteStore(dir, /*create=*/true));
    DALA_RETURN_IF_ERROR(store->AddProject({options.project, title, clock.NowMs()}));
  }

  InitResult result;
  result.public_key = key.public_key();
  result.origin = origin;
  result.verifier_key = sync::VerifierKeyString(origin, key.public_key());
  rollback.Created(Join(dir, kPubFile));
  DALA_RETURN_IF_ERROR(WriteNewFile(Join(dir, kPubFile), result.verifier_key + "\n", 0644));
  rollback.Commit();
  return result;
}

Result<sync::SigningKey> LoadServerKey(const std::string& dir) {
  DALA_RETURN_IF_ERROR(sync::InitCrypto());
  const std::string path = Join(dir, kKeyFile);
  struct stat st {};
  auto content = ReadSmallFile(path, 256, &st);
  if (!content.ok()) {
    if (content.status().code() == Status::Code::kNotFound)
      return Status::NotFound("no server key at " + path + " (run `dala-server init --data " + dir + "`)");
    return content.status();
  }
  std::string text = std::move(*content);
  if ((st.st_mode & 077) != 0) {
    Wipe(&text);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::PermissionDenied(path + " may be read by other users (mode " + mode +
                                    "); the server key must be private: chmod 600 " + path);
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  uint8_t seed[sync::SigningKey::kSeedSize];
  bool ok = FromHex(text, seed, sizeof seed);
  Wipe(&text);
  if (!ok) {
    sodium_memzero(seed, sizeof seed);
    return Status::Corruption(path + " is not a server key (64 hex digits)");
  }
  sync::SigningKey key = sync::SigningKey::FromSeed(seed);
  sodium_memzero(seed, sizeof seed);
  return key;
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

Result<IssuedEnrollCode> IssueEnrollCode(Store& store, std::string_view volunteer, int ttl_hours,
                                         std::string_view created_by, sync::Random& random, const Clock& clock) {
  if (ttl_hours < 1 || ttl_hours > kMaxEnrollTtlHours) {
    return Status::InvalidArgument("the validity must be between 1 and " + std::to_string(kMaxEnrollTtlHours) +
                                   " hours");
  }
  DALA_ASSIGN_OR_RETURN(std::optional<User> user, store.FindUser(volunteer));
  if (!user) return Status::NotFound("no user named '" + std::string(volunteer) + "'");
  if (user->role != Role::kVolunteer) {
    return Status::InvalidArgument("'" + user->name + "' is not a volunteer (role: " + RoleName(user->role) +
                                   "); only volunteers enrol devices");
  }
  const int64_t now = clock.NowMs();
  IssuedEnrollCode issued;
  issued.volunteer = user->name;
  issued.expires_ms = now + int64_t{ttl_hours} * 3600 * 1000;
  // A collision of 59-bit codes is not going to happen; retrying costs nothing.
  for (int attempt = 0;; ++attempt) {
    issued.code = GenerateEnrollCode(random);
    Status s = store.AddEnrollCode(EnrollCodeHash(sync::NormalizeEnrollCode(issued.code)), user->name,
                                   issued.expires_ms, created_by, now);
    if (s.ok()) return issued;
    if (s.code() != Status::Code::kAlreadyExists || attempt == 3) return s;
  }
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

// --- commands ---------------------------------------------------------------------

int InitCommand(const InitOptions& options) {
  sync::SystemRandom random;
  SystemClock clock;
  auto result = InitDataDir(options, random, clock);
  if (!result.ok()) {
    return result.status().code() == Status::Code::kInvalidArgument ? Usage(result.status().message())
                                                                    : Fail(result.status());
  }
  std::cout << "Initialised " << options.data_dir << "\n"
            << "origin:       " << result->origin << "\n"
            << "public key:   " << ToHex(result->public_key) << "\n"
            << "verifier key: " << result->verifier_key << "\n"
            << "Give the verifier key to auditors; keep " << Join(options.data_dir, kKeyFile) << " secret.\n";
  return kExitOk;
}

int UserAddCommand(const std::string& data_dir, const std::string& name, const std::string& role_name) {
  if (Status s = ValidateUserName(name); !s.ok()) return Usage(s.message());
  auto role = ParseRole(role_name);
  if (!role.ok()) return Usage(role.status().message());
  if (!sync::InitCrypto().ok()) return Fail(Status::Internal("libsodium failed to initialise"));
  auto store = OpenExisting(data_dir);
  if (!store.ok()) return Fail(store.status());
  std::string password;
  if (*role != Role::kVolunteer) {
    auto p = ReadNewPassword(name);
    if (!p.ok()) return Fail(p.status());
    password = std::move(*p);
  }
  SystemClock clock;
  auto user = AddUserAccount(**store, name, role_name, password, clock);
  Wipe(&password);
  if (!user.ok()) return Fail(user.status());
  std::cout << "Added " << RoleName(user->role) << " " << user->name << "\n";
  return kExitOk;
}

int UserListCommand(const std::string& data_dir) {
  auto store = OpenExisting(data_dir);
  if (!store.ok()) return Fail(store.status());
  auto users = (*store)->ListUsers();
  if (!users.ok()) return Fail(users.status());
  std::printf("%-24s %-12s %-7s %s\n", "NAME", "ROLE", "LOGIN", "CREATED");
  for (const User& u : *users) {
    std::printf("%-24s %-12s %-7s %s\n", u.name.c_str(), RoleName(u.role),
                (!u.password_hash.empty() && CanLogIn(u.role)) ? "yes" : "no", FormatUtc(u.created_ms).c_str());
  }
  return kExitOk;
}

int EnrollCodeCommand(const std::string& data_dir, const std::string& volunteer, int ttl_hours,
                      const std::string& by) {
  if (ttl_hours < 1 || ttl_hours > kMaxEnrollTtlHours)
    return Usage("--ttl-hours must be between 1 and " + std::to_string(kMaxEnrollTtlHours));
  if (!sync::InitCrypto().ok()) return Fail(Status::Internal("libsodium failed to initialise"));
  auto store = OpenExisting(data_dir);
  if (!store.ok()) return Fail(store.status());
  sync::SystemRandom random;
  SystemClock clock;
  auto issued = IssueEnrollCode(**store, volunteer, ttl_hours, by, random, clock);
  if (!issued.ok()) return Fail(issued.status());
  std::cout << issued->code << "\n";
  std::cerr << "Enrolment code for " << issued->volunteer << ", valid once until " << FormatUtc(issued->expires_ms)
            << "\n";
  return kExitOk;
}

int ServeCommand(const ServeOptions& options) {
  auto address = ParseListenAddress(options.listen);
  if (!address.ok()) return Usage(address.status().message());
  if (options.tls_cert.empty() != options.tls_key.empty()) return Usage("--tls-cert and --tls-key go together");
  if (!sync::InitCrypto().ok()) return Fail(Status::Internal("libsodium failed to initialise"));

  // Signals are taken by sigwait below, never by a handler: block them
  // before any thread starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);  // the server stopped on its own
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto store = OpenExisting(options.data_dir);
  if (!store.ok()) return Fail(store.status());
  auto key = LoadServerKey(options.data_dir);
  if (!key.ok()) return Fail(key.status());
  auto origin = LoadOrigin(options.data_dir);
  if (!origin.ok()) return Fail(origin.status());

  SystemClock clock;
  sync::SystemRandom random;
  ServerConfig config;
  config.origin = *origin;
  ServerContext ctx{**store, clock, random, *key, config};
  auto api = Api::Start(ctx);
  if (!api.ok()) return Fail(api.status());
  Router router;
  (*api)->Register(router);
  AssetCatalog dashboard(DashboardFiles());
  RegisterWebRoutes(router, dashboard);

  HttpServer server(ctx.config, router, EdgeOptions{options.tls_cert, options.tls_key, options.access_log});
  if (Status s = server.Listen(address->first, address->second); !s.ok()) return Fail(s);
  if (!options.port_file.empty()) {
    // Written whole under another name and renamed, so a reader never sees half.
    std::string tmp = options.port_file + ".tmp";
    ::unlink(tmp.c_str());
    Status s = WriteNewFile(tmp, std::to_string(server.port()) + "\n", 0644);
    if (s.ok() && ::rename(tmp.c_str(), options.port_file.c_str()) != 0)
      s = Status::IoError("cannot write " + options.port_file + ": " + Errno());
    if (!s.ok()) return Fail(s);
  }
  const std::string& host = address->first;
  std::cerr << "dala-server: listening on " << (server.tls() ? "https" : "http") << "://"
            << (host.find(':') != std::string::npos ? "[" + host + "]" : host) << ":" << server.port() << "\n";

  pthread_t main_thread = pthread_self();
  std::thread runner([&] {
    server.Run();
    pthread_kill(main_thread, SIGUSR1);
  });
  int received = 0;
  sigwait(&signals, &received);
  server.Stop();
  runner.join();
  if (received == SIGUSR1) return Fail(Status::Unavailable("the server stopped unexpectedly"));
  std::cerr << "dala-server: stopped\n";
  return kExitOk;
}

}  // namespace dala::server
