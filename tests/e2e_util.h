// Helpers for end-to-end tests that drive the real `dala` and `dala-server`
// binaries: run a command with an environment and standard input, capture
// its output; start a server on a random loopback port and stop it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace dala::e2e {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Paths of the binaries under test (from the build tree).
std::string DalaBinary();
std::string ServerBinary();

// A fresh directory under /tmp, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs argv[0] with `env` added to (and overriding) a minimal environment,
// feeding `input` on stdin. Waits at most `timeout_seconds`.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                  const std::string& input = "", int timeout_seconds = 120);

// A running dala-server.
class ServerProcess {
 public:
  // `data_dir` must already be initialised (dala-server init). Binds
  // 127.0.0.1 port 0 and learns the port from --port-file.
  // `env` is added to the environment, as RunCommand does.
  explicit ServerProcess(const std::string& data_dir, const std::vector<std::string>& extra_args = {},
                         const std::map<std::string, std::string>& env = {});
  // Restarts on a port an earlier run was given, so enrolled laptops find it.
  ServerProcess(const std::string& data_dir, int port);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int pid() const { return pid_; }
  // SIGKILL: no chance to finish anything.
  void Kill();
  // SIGTERM and wait.
  void Stop();
  const std::string& log_path() const { return log_path_; }
  // How the process ended, once it has (after Stop or Kill, or when it
  // failed to start): its exit code, or 128 + the signal; -1 while running.
  int exit_code() const { return exit_code_; }

 private:
  void Start(const std::string& data_dir, const std::string& listen, const std::vector<std::string>& extra_args,
             const std::map<std::string, std::string>& env);
  void Reap(int status);
  int pid_ = -1;
  int exit_code_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// The first "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lower-case hex) in `text`.
std::string FindUuid(const std::string& text);
// The first "ABCD-EFGH-JKMN" enrolment code in `text`.
std::string FindEnrollCode(const std::string& text);
// The number just before `suffix` ("540 bytes up" -> 540), or -1.
long long NumberBefore(const std::string& text, const std::string& suffix);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);

}  // namespace dala::e2e
