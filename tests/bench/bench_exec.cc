// bench_exec: runs commands as child processes, interleaved round by round
// so that they share the machine's noise, and reports each one's wall time
// (CLOCK_MONOTONIC around fork..wait4), CPU time and peak RSS (wait4's
// rusage).
//
//   bench_exec [--runs N] [--warmup K] [--stdout FILE] [--timeout S]
//              NAME1 ARGV... [--- NAME2 ARGV...]...
//
// Prints one JSON object: {"NAME": {"wall_ms": {median, p95, min, max, n},
// "maxrss_kb": {...}, "cpu_ms": {...}, "minflt": {...}, "failures": F, "runs": [...]}}
// (minflt: the page faults served without I/O, wait4's ru_minflt). With --stdout, the
// last run's standard output of each command goes to FILE.NAME; otherwise
// children write to /dev/null. Standard input is /dev/null. With --timeout,
// a run still going after S seconds is stopped (SIGTERM, then SIGKILL) and
// reported with "timed_out": true.
//
//   bench_exec --touch-pages N
//
// Measures a machine limit instead: the time of a first write to each of N
// fresh anonymous pages (one page fault each), in 7 rounds; prints
// {"page_touch_us": {median, ...}, "pages": N}. Start-up and every buffer a
// process grows pay it, and it varies a hundredfold between machines (a
// fraction of a microsecond on bare metal, far more under some hypervisors).

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

// --timeout: SIGALRM kills the running child (TERM, and KILL 5 s later).
volatile pid_t g_child = -1;
volatile sig_atomic_t g_alarms = 0;
void OnAlarm(int) {
  if (g_child > 0) kill(g_child, g_alarms == 0 ? SIGTERM : SIGKILL);
  g_alarms = g_alarms + 1;
  alarm(5);
}

struct Command {
  std::string name;
  std::vector<std::string> argv;
  std::vector<double> wall_ms;
  std::vector<double> maxrss_kb;
  std::vector<double> cpu_ms;  // user + system
  std::vector<double> minflt;
  int failures = 0;
  bool timed_out = false;
};

void RunOnce(Command& c, const std::string& stdout_path, int timeout_seconds) {
  std::vector<char*> argv;
  for (auto& a : c.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  double start = dala::bench::NowSeconds();
  pid_t pid = fork();
  if (pid < 0) dala::bench::Die("fork failed");
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int out = stdout_path.empty() ? open("/dev/null", O_WRONLY)
                                  : open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open("/dev/null", O_WRONLY);
    if (getenv("BENCH_EXEC_STDERR") != nullptr) err = dup(2);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  g_child = pid;
  g_alarms = 0;
  if (timeout_seconds > 0) alarm(static_cast<unsigned>(timeout_seconds));
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) dala::bench::Die("wait4 failed");
  }
  double end = dala::bench::NowSeconds();
  alarm(0);
  g_child = -1;
  if (g_alarms > 0) {
    c.timed_out = true;
    std::cerr << "bench_exec: " << c.name << " stopped after the " << timeout_seconds << " s timeout\n";
  }
  c.wall_ms.push_back((end - start) * 1000);
  c.maxrss_kb.push_back(static_cast<double>(ru.ru_maxrss));
  auto ms = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3; };
  c.cpu_ms.push_back(ms(ru.ru_utime) + ms(ru.ru_stime));
  c.minflt.push_back(static_cast<double>(ru.ru_minflt));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ++c.failures;
    std::cerr << "bench_exec: " << c.name << " exited with status " << status << "\n";
  }
}

// --touch-pages: microseconds per first write to a fresh anonymous page.
int TouchPages(long pages) {
  if (pages < 1) dala::bench::Die("--touch-pages needs a positive number of pages");
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t bytes = static_cast<size_t>(pages) * page;
  std::vector<double> us;
  for (int round = 0; round < 7; ++round) {
    void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) dala::bench::Die("mmap failed");
    volatile char* p = static_cast<volatile char*>(m);
    const double start = dala::bench::NowSeconds();
    for (size_t offset = 0; offset < bytes; offset += page) p[offset] = 1;
    us.push_back((dala::bench::NowSeconds() - start) * 1e6 / static_cast<double>(pages));
    munmap(m, bytes);
  }
  nlohmann::json out = {{"page_touch_us", dala::bench::Summary(us)}, {"pages", pages}};
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--touch-pages") == 0) return TouchPages(std::atol(argv[2]));
  int runs = 30, warmup = 3, timeout_seconds = 0;
  std::string stdout_prefix;
  std::vector<Command> commands;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (a == "--warmup" && i + 1 < argc) {
      warmup = std::atoi(argv[++i]);
    } else if (a == "--timeout" && i + 1 < argc) {
      timeout_seconds = std::atoi(argv[++i]);
    } else if (a == "--stdout" && i + 1 < argc) {
      stdout_prefix = argv[++i];
    } else {
      break;
    }
  }
  while (i < argc) {
    Command c;
    c.name = argv[i++];
    while (i < argc && std::strcmp(argv[i], "---") != 0) c.argv.push_back(argv[i++]);
    if (i < argc) ++i;  // "---"
    if (c.argv.empty()) dala::bench::Die("command " + c.name + " has no argv");
    commands.push_back(std::move(c));
  }
  struct sigaction sa{};
  sa.sa_handler = OnAlarm;  // no SA_RESTART: wait4 returns EINTR
  sigaction(SIGALRM, &sa, nullptr);
  if (commands.empty() || runs < 1) dala::bench::Die("usage: bench_exec [--runs N] [--warmup K] NAME ARGV... [--- NAME ARGV...]");

  for (int w = 0; w < warmup; ++w)
    for (Command& c : commands) {
      Command scratch = c;
      RunOnce(scratch, "", timeout_seconds);
    }
  for (int r = 0; r < runs; ++r)
    for (Command& c : commands)
      RunOnce(c, (r == runs - 1 && !stdout_prefix.empty()) ? stdout_prefix + "." + c.name : "", timeout_seconds);

  nlohmann::json out = nlohmann::json::object();
  for (const Command& c : commands) {
    out[c.name] = {{"wall_ms", dala::bench::Summary(c.wall_ms)},
                   {"maxrss_kb", dala::bench::Summary(c.maxrss_kb)},
                   {"cpu_ms", dala::bench::Summary(c.cpu_ms)},
                   {"minflt", dala::bench::Summary(c.minflt)},
                   {"failures", c.failures},
                   {"timed_out", c.timed_out},
                   {"runs", c.wall_ms}};
  }
  std::cout << out.dump() << "\n";
  return 0;
}
