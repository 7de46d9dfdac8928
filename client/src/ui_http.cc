// `dala ui`'s socket: cpp-httplib on 127.0.0.1, every request handed to
// UiApp. The only file of the page that knows the HTTP library.

#include <httplib.h>
#ifdef _WIN32
#include <windows.h>
// windows.h names SetPortA after the Win16 API; UiApp has a SetPort of its own.
#undef SetPort
#include <shellapi.h>

#include "dala/base/console.h"
#else
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#endif

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <thread>

#include "cli_commands.h"
#include "cli_words.h"
#include "ui_app.h"

#ifndef _WIN32
extern char** environ;
#endif

namespace dala::client::cli {

namespace {

ui::UiRequest ToUiRequest(const httplib::Request& req) {
  ui::UiRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [name, value] : req.params) r.query.emplace(name, value);
  for (const auto& [name, value] : req.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    r.headers.emplace(lower, value);
  }
  r.body = req.body;
  return r;
}

// The default browser, where the desktop has one; its failure is no
// failure of `dala ui`, whose address is printed anyway.
#ifdef _WIN32
void OpenBrowser(const std::string& url) {
  ::ShellExecuteW(nullptr, L"open", Utf8ToUtf16(url).c_str(), nullptr, nullptr, SW_SHOWNORMAL);
}

// Ctrl+C, Ctrl+Break and closing the console window end `dala ui` in the
// same orderly stop as on Linux, which wipes the key. Windows runs the
// handler on a thread of its own.
class StopOnSignal {
 public:
  explicit StopOnSignal(httplib::Server* server) {
    server_ = server;
    ::SetConsoleCtrlHandler(&StopOnSignal::Handler, TRUE);
  }
  ~StopOnSignal() {
    ::SetConsoleCtrlHandler(&StopOnSignal::Handler, FALSE);
    server_ = nullptr;
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  static BOOL WINAPI Handler(DWORD) {
    if (httplib::Server* s = server_) s->stop();
    return TRUE;
  }
  static inline std::atomic<httplib::Server*> server_{nullptr};
};
#else
void OpenBrowser(const std::string& url) {
  posix_spawn_file_actions_t quiet;
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
  std::string program = "xdg-open";
  char* argv[] = {program.data(), const_cast<char*>(url.c_str()), nullptr};
  pid_t pid = 0;
  if (posix_spawnp(&pid, "xdg-open", &quiet, nullptr, argv, environ) == 0)
    std::thread([pid] { waitpid(pid, nullptr, 0); }).detach();
  posix_spawn_file_actions_destroy(&quiet);
}

// Ctrl-C, a closed terminal and `kill` all end in the same orderly stop,
// which wipes the key: the signals go to one thread that waits for them.
// Constructed before any other thread starts, so that all inherit the mask.
class StopOnSignal {
 public:
  StopOnSignal() {
    sigemptyset(&signals_);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals_, s);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  }
  void Start(httplib::Server* server) {
    waiter_ = std::thread([this, server] {
      int sig = 0;
      sigwait(&signals_, &sig);
      server->stop();
    });
  }
  ~StopOnSignal() {
    if (!waiter_.joinable()) return;
    pthread_kill(waiter_.native_handle(), SIGTERM);  // blocked, so it only wakes the waiting thread
    waiter_.join();
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  sigset_t signals_;
  std::thread waiter_;
};
#endif

}  // namespace

int Ui(const Globals& g, const UiOptions& o) {
#ifndef _WIN32
  StopOnSignal stop_on_signal;
#endif

  auto store = OpenStore(g);
  if (!store.ok() && store.status().reason() == "no_profile") {
    // A new laptop, opened from the Start menu: the profile is made here
    // and its key on the page (`dala init` on the terminal).
    store = CreateProfile(g);
  }
  if (!store.ok()) return FailIn(MessageLanguage(g, nullptr), store.status(), DatabasePath(g));
  const std::string lang = MessageLanguage(g, store->get());
  CliClock clock;
  sync::SystemRandom random;
  LocalStore& s = **store;
  ui::UiOptions options{int64_t{o.lock_after_minutes} * 60 * 1000, lang,
                        [&s] {
                          std::string ca_file;
                          return ProfileTransport(s, &ca_file);
                        },
                        DatabasePath(g), BuildMs(),
                        [](const std::string& url, const std::string& ca_file) {
                          return MakeHttpTransport(url, {10, 60, ca_file, false});
                        },
                        Hostname(), {}};
  ui::UiApp app(s, clock, random, std::move(options));

  httplib::Server server;
  server.set_payload_max_length(1 << 20);
  // httplib writes an answer's headers and body apart: with Nagle's
  // algorithm the body waits for the browser's delayed ACK, 40 ms a screen.
  server.set_tcp_nodelay(true);
  auto handler = [&app](const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    ui::UiResponse out = app.Handle(ToUiRequest(req));
    // The page's own time, for scripts/bench (loopback and compression not included).
    const std::chrono::duration<double, std::milli> spent = std::chrono::steady_clock::now() - start;
    res.set_header("Server-Timing", "app;dur=" + std::to_string(spent.count()));
    res.status = out.status;
    for (const auto& [name, value] : out.headers) res.set_header(name, value);
    res.set_content(out.body, out.content_type);
  };
  for (auto add : {&httplib::Server::Get, &httplib::Server::Post, &httplib::Server::Put, &httplib::Server::Delete,
                   &httplib::Server::Patch})
    (server.*add)(".*", handler);

  int port = o.port;
  if (port == 0) {
    port = server.bind_to_any_port("127.0.0.1");
  } else if (!server.bind_to_port("127.0.0.1", port)) {
    port = -1;
  }
  if (port <= 0) return Fail(Tr(Say::kUiCannotListen, lang, {std::to_string(o.port), std::strerror(errno)}));
  app.SetPort(port);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/?token=" + app.token();
  std::cout << Tr(Say::kUiOpenAddress, lang) << "\n" << url << "\n" << std::flush;
  if (!o.no_browser) OpenBrowser(url);

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
#ifdef _WIN32
  StopOnSignal stop_on_signal(&server);
#else
  stop_on_signal.Start(&server);
#endif
  std::thread idle([&] {
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return stopping; })) app.LockIfIdle();
  });
  server.listen_after_bind();
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  cv.notify_all();
  idle.join();
  return kExitOk;
}

}  // namespace dala::client::cli
