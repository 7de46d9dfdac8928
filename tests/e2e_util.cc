#include "e2e_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace dala::e2e {

std::string DalaBinary() { return std::string(DALA_BINARY_DIR) + "/client/dala"; }
std::string ServerBinary() { return std::string(DALA_BINARY_DIR) + "/server/dala-server"; }

TempDir::TempDir() {
  // Memory-backed when the machine has it: these tests check behaviour, not
  // disks, and fsync on every commit would dominate their run time.
  std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  std::string tmpl = base + "/dala-e2e-XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  path_ = made != nullptr ? made : "/tmp/dala-e2e-failed";
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string FindUuid(const std::string& text) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  for (size_t i = 0; i + 36 <= text.size(); ++i) {
    bool ok = true;
    for (size_t k = 0; k < 36 && ok; ++k) {
      bool dash = k == 8 || k == 13 || k == 18 || k == 23;
      ok = dash ? text[i + k] == '-' : hex(text[i + k]);
    }
    if (ok) return text.substr(i, 36);
  }
  return "";
}

std::string FindEnrollCode(const std::string& text) {
  auto code_char = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '9'); };
  for (size_t i = 0; i + 14 <= text.size(); ++i) {
    bool ok = true;
    for (size_t k = 0; k < 14 && ok; ++k) ok = (k == 4 || k == 9) ? text[i + k] == '-' : code_char(text[i + k]);
    if (ok) return text.substr(i, 14);
  }
  return "";
}

long long NumberBefore(const std::string& text, const std::string& suffix) {
  size_t at = text.find(suffix);
  if (at == std::string::npos) return -1;
  size_t end = at;
  while (end > 0 && text[end - 1] == ' ') --end;
  size_t start = end;
  while (start > 0 && std::isdigit(static_cast<unsigned char>(text[start - 1]))) --start;
  if (start == end) return -1;
  return std::stoll(text.substr(start, end - start));
}

namespace {

std::vector<std::string> Environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  // Only what the binaries need, so the developer's own DALA_* settings
  // never leak into a test.
  for (const char* keep : {"PATH", "HOME", "LANG", "TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* v = std::getenv(keep)) env[keep] = v;
  }
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv_in, const std::map<std::string, std::string>& env_in,
                  const std::string& input, int timeout_seconds) {
  CommandResult result;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
    posix_spawn_file_actions_addclose(&actions, fd);
  std::vector<std::string> argv = argv_in;
  std::vector<std::string> env = Environment(env_in);
  auto argv_p = Pointers(argv);
  auto env_p = Pointers(env);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, argv_p.data(), env_p.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    result.err = std::string("cannot start ") + argv[0] + ": " + std::strerror(rc);
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return result;
  }
  // Feed stdin and drain stdout/stderr together, so no pipe fills up.
  ::fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  size_t written = 0;
  bool in_open = true;
  if (input.empty()) {
    ::close(in_pipe[1]);
    in_open = false;
  }
  bool out_open = true, err_open = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  char buffer[65536];
  while (out_open || err_open) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out_pipe[0], POLLIN, 0});
    if (err_open) fds.push_back({err_pipe[0], POLLIN, 0});
    if (in_open) fds.push_back({in_pipe[1], POLLOUT, 0});
    if (::poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) break;
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in_pipe[1]) {
        ssize_t n = ::write(in_pipe[1], input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 && errno != EAGAIN) written = input.size();
        if (written >= input.size()) {
          ::close(in_pipe[1]);
          in_open = false;
        }
        continue;
      }
      ssize_t n = ::read(p.fd, buffer, sizeof(buffer));
      if (n <= 0) {
        (p.fd == out_pipe[0] ? out_open : err_open) = false;
      } else {
        (p.fd == out_pipe[0] ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      result.err += "\n[test harness: killed after " + std::to_string(timeout_seconds) + " s]";
      break;
    }
  }
  if (in_open) ::close(in_pipe[1]);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

ServerProcess::ServerProcess(const std::string& data_dir, const std::vector<std::string>& extra_args,
                             const std::map<std::string, std::string>& env) {
  Start(data_dir, "127.0.0.1:0", extra_args, env);
}

ServerProcess::ServerProcess(const std::string& data_dir, int port) {
  Start(data_dir, "127.0.0.1:" + std::to_string(port), {}, {});
}

void ServerProcess::Reap(int status) {
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  pid_ = -1;
}

void ServerProcess::Start(const std::string& data_dir, const std::string& listen,
                          const std::vector<std::string>& extra_args, const std::map<std::string, std::string>& env_in) {
  std::string port_file = data_dir + "/port";
  std::filesystem::remove(port_file);
  log_path_ = data_dir + "/server.log";
  std::vector<std::string> argv = {ServerBinary(), "serve", "--data", data_dir, "--listen", listen,
                                   "--port-file", port_file};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  std::vector<std::string> env = Environment(env_in);
  auto argv_p = Pointers(argv);
  auto env_p = Pointers(env);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid;
  if (posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, argv_p.data(), env_p.data()) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return;
  }
  posix_spawn_file_actions_destroy(&actions);
  pid_ = pid;
  for (int i = 0; i < 1500; ++i) {
    std::string text = ReadFile(port_file);
    if (!text.empty() && text.back() == '\n') {
      port_ = std::atoi(text.c_str());
      return;
    }
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      Reap(status);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

ServerProcess::~ServerProcess() { Stop(); }

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  Reap(status);
}

void ServerProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 1000; ++i) {
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      Reap(status);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Kill();
}

}  // namespace dala::e2e
