#include "http_edge_gate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace dala::server::edge {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Set by the edge (CloseAfterResponse) while a worker serves a request whose
// body it did not read: the connection cannot carry another request.
thread_local bool t_close_after_response = false;

// The two answers the gate gives itself, before the library has seen the
// request: fixed bytes, written once without waiting, then the socket is
// closed.
std::string Refusal(std::string_view status, std::string_view extra_headers, std::string_view body) {
  return "HTTP/1.1 " + std::string(status) +
         "\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra_headers) + "Connection: close\r\n\r\n" +
         std::string(body);
}
const std::string& TooManyConnections() {
  static const std::string r =
      Refusal("503 Service Unavailable", "Retry-After: 5\r\n",
              R"({"error":{"code":"unavailable","message":"too many connections; try again shortly"}})");
  return r;
}
const std::string& HeadTooLarge() {
  static const std::string r = Refusal(
      "431 Request Header Fields Too Large", "",
      R"({"error":{"code":"headers_too_large","message":"the request's headers are too many or too long"}})");
  return r;
}

void SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void Describe(const sockaddr_storage& a, std::string* ip, int* port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    *port = ntohs(v4->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    *port = ntohs(v6->sin6_port);
  }
  *ip = text;
}

enum class Phase {
  kHandshake,  // TLS not yet established
  kIdle,       // between requests: nothing of the next one yet
  kHead,       // some of a request head
  kBody,       // a whole head, and a small body still arriving
};

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  std::string peer_ip, local_ip;
  int peer_port = 0, local_port = 0;
  bool trusted_proxy = false;  // held to the overall caps only
  std::string buf;  // bytes read and not yet consumed by the library
  size_t pos = 0;
  Phase phase = Phase::kHead;
  short events = POLLIN;           // what the waiting room polls for
  int64_t deadline_ms = 0;         // of the current wait
  int64_t request_started_ms = 0;  // the whole request must arrive by this + request_timeout
  size_t needed = 0;               // kBody: bytes of buf (from pos) that complete the request
  size_t served = 0;

  ~Conn() {
    if (ssl != nullptr) {
      SSL_shutdown(ssl);  // best effort: the socket is non-blocking
      SSL_free(ssl);
    }
    if (fd >= 0) ::close(fd);
  }
  size_t Buffered() const { return buf.size() - pos; }
  void Compact() {
    if (pos == 0) return;
    buf.erase(0, pos);
    pos = 0;
  }
};

// What one attempt to read returned.
enum class ReadResult { kData, kWouldBlock, kEof, kError };

// Reads what is available, up to `limit` buffered bytes.
ReadResult ReadAvailable(Conn& c, size_t limit) {
  bool any = false;
  char chunk[16384];
  while (c.Buffered() < limit) {
    size_t want = std::min(sizeof chunk, limit - c.Buffered());
    if (c.ssl != nullptr) {
      int n = SSL_read(c.ssl, chunk, static_cast<int>(want));
      if (n > 0) {
        c.buf.append(chunk, static_cast<size_t>(n));
        any = true;
        continue;
      }
      int err = SSL_get_error(c.ssl, n);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        c.events = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return any ? ReadResult::kData : ReadResult::kWouldBlock;
      }
      return err == SSL_ERROR_ZERO_RETURN ? ReadResult::kEof : ReadResult::kError;
    }
    ssize_t n = ::recv(c.fd, chunk, want, 0);
    if (n > 0) {
      c.buf.append(chunk, static_cast<size_t>(n));
      any = true;
      continue;
    }
    if (n == 0) return any ? ReadResult::kData : ReadResult::kEof;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      c.events = POLLIN;
      return any ? ReadResult::kData : ReadResult::kWouldBlock;
    }
    return ReadResult::kError;
  }
  return any ? ReadResult::kData : ReadResult::kWouldBlock;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// What the gate needs to know of a complete head, and nothing more: how
// many bytes of body follow, if the head says so plainly. Anything unusual
// (chunked, Expect, a malformed or repeated length) is left to the
// library, with the body read by a worker.
struct HeadFacts {
  size_t lines = 0;
  bool plain_length = true;  // false: let a worker read the body
  size_t content_length = 0;
};

HeadFacts ReadHeadFacts(std::string_view head) {
  HeadFacts f;
  int lengths = 0;
  size_t start = head.find('\n');  // skip the request line
  while (start != std::string_view::npos && start + 1 < head.size()) {
    size_t end = head.find('\n', start + 1);
    std::string_view line = head.substr(start + 1, end == std::string_view::npos ? std::string_view::npos
                                                                                 : end - start - 1);
    start = end;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    ++f.lines;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (IEquals(name, "Transfer-Encoding") || IEquals(name, "Expect")) f.plain_length = false;
    if (IEquals(name, "Content-Length")) {
      ++lengths;
      size_t v = 0;
      bool digits = !value.empty() && value.size() <= 18;
      for (char ch : value) {
        if (ch < '0' || ch > '9') digits = false;
        v = v * 10 + static_cast<size_t>(ch - '0');
      }
      if (!digits) f.plain_length = false;
      f.content_length = v;
    }
  }
  if (lengths > 1) f.plain_length = false;
  return f;
}

// Writes a constant refusal without waiting; a client that does not read
// it simply loses it.
void SendRefusal(int fd, std::string_view response) {
  (void)!::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

struct Gate::State {
  GateLimits limits;
  ServeRequest serve;
  SSL_CTX* tls = nullptr;
  int wake_fd = -1;  // eventfd: wakes the waiting room (drained there)
  int stop_fd = -1;  // eventfd: set once by Stop, never drained; ends every wait in a worker

  std::mutex mu;
  std::condition_variable ready_cv;
  std::vector<std::unique_ptr<Conn>> inbox;  // admitted, or back from a worker
  std::deque<std::unique_ptr<Conn>> ready;   // a request ready for a worker
  std::map<std::string, size_t> open_by_address;
  std::map<std::string, size_t> busy_by_address;
  size_t open = 0;
  size_t waiting = 0;
  size_t refused = 0;
  bool stopping = false;

  std::thread room;
  std::vector<std::thread> workers;

  void Wake() {
    uint64_t one = 1;
    (void)!::write(wake_fd, &one, sizeof one);
  }

  // Forgets a connection and closes it.
  void Release(std::unique_ptr<Conn> c) {
    {
      std::lock_guard<std::mutex> lk(mu);
      --open;
      auto it = open_by_address.find(c->peer_ip);
      if (it != open_by_address.end() && --it->second == 0) open_by_address.erase(it);
    }
    c.reset();
  }

  void Refuse(std::unique_ptr<Conn> c, std::string_view response) {
    if (c->ssl == nullptr)
      SendRefusal(c->fd, response);
    else
      (void)SSL_write(c->ssl, response.data(), static_cast<int>(response.size()));  // best effort
    {
      std::lock_guard<std::mutex> lk(mu);
      ++refused;
    }
    Release(std::move(c));
  }

  void RunRoom();
  void RunWorker();
  // Moves a connection on as far as its bytes allow: kKeep to go on
  // waiting, kReady for a worker, kClose, or kTooLarge (431).
  enum class Step { kKeep, kReady, kClose, kTooLarge };
  Step Advance(Conn& c, bool readable, int64_t now);
  Step Examine(Conn& c, int64_t now);
  // Waits until `fd` has `events`, the stop signal fires, or `timeout_ms`
  // passes; true only for the first.
  bool WaitFd(int fd, short events, int64_t timeout_ms) const;
};

// --- the waiting room ---------------------------------------------------------------------

Gate::State::Step Gate::State::Examine(Conn& c, int64_t now) {
  std::string_view data(c.buf.data() + c.pos, c.Buffered());
  if (c.phase == Phase::kIdle) {
    if (data.empty()) return Step::kKeep;
    c.phase = Phase::kHead;
    c.request_started_ms = now;
    c.deadline_ms = now + limits.head_timeout_ms;
  }
  if (c.phase == Phase::kHead) {
    size_t end = data.find("\r\n\r\n");
    std::string_view head = end == std::string_view::npos ? data : data.substr(0, end + 4);
    if (head.size() > limits.max_head_bytes) return Step::kTooLarge;
    HeadFacts facts = ReadHeadFacts(head);
    if (facts.lines > limits.max_header_lines) return Step::kTooLarge;
    if (end == std::string_view::npos) return Step::kKeep;
    if (!facts.plain_length || facts.content_length == 0 || facts.content_length > limits.max_prefetched_body)
      return Step::kReady;
    c.phase = Phase::kBody;
    c.needed = head.size() + facts.content_length;
    c.deadline_ms = c.request_started_ms + limits.request_timeout_ms;
  }
  if (c.phase == Phase::kBody && c.Buffered() >= c.needed) return Step::kReady;
  return Step::kKeep;
}

Gate::State::Step Gate::State::Advance(Conn& c, bool readable, int64_t now) {
  if (c.phase == Phase::kHandshake) {
    int r = SSL_do_handshake(c.ssl);
    if (r != 1) {
      int err = SSL_get_error(c.ssl, r);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        c.events = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return Step::kKeep;
      }
      return Step::kClose;
    }
    c.phase = Phase::kHead;
    c.events = POLLIN;
    readable = true;  // the handshake's last record may have carried data
  }
  if (readable) {
    // Never more than the phase may need: a head within its limit, or the
    // rest of a small body.
    size_t limit = c.phase == Phase::kBody ? c.needed : limits.max_head_bytes + 1;
    ReadResult r = ReadAvailable(c, limit);
    if (r == ReadResult::kEof || r == ReadResult::kError) return Step::kClose;
  }
  return Examine(c, now);
}

void Gate::State::RunRoom() {
  std::vector<std::unique_ptr<Conn>> conns;
  std::vector<pollfd> fds;
  for (;;) {
    std::vector<std::unique_ptr<Conn>> arrived;
    {
      std::lock_guard<std::mutex> lk(mu);
      if (stopping) break;
      arrived.swap(inbox);
      waiting = conns.size() + arrived.size();
    }
    int64_t now = NowMs();
    // Newcomers may already hold a whole request (pipelined, or returned
    // from a worker with the next request buffered).
    for (auto& c : arrived) {
      Step s = c->phase == Phase::kHandshake ? Step::kKeep : Examine(*c, now);
      if (s == Step::kReady) {
        std::lock_guard<std::mutex> lk(mu);
        ready.push_back(std::move(c));
        ready_cv.notify_one();
      } else if (s == Step::kTooLarge) {
        Refuse(std::move(c), HeadTooLarge());
      } else {
        conns.push_back(std::move(c));
      }
    }

    fds.assign(1, pollfd{wake_fd, POLLIN, 0});
    int64_t next_deadline = now + 1000;
    for (const auto& c : conns) {
      fds.push_back(pollfd{c->fd, c->events, 0});
      next_deadline = std::min(next_deadline, c->deadline_ms);
    }
    int timeout = static_cast<int>(std::clamp<int64_t>(next_deadline - now, 0, 1000));
    int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      uint64_t drained;
      (void)!::read(wake_fd, &drained, sizeof drained);
    }
    now = NowMs();
    std::vector<std::unique_ptr<Conn>> keep;
    keep.reserve(conns.size());
    for (size_t i = 0; i < conns.size(); ++i) {
      std::unique_ptr<Conn>& c = conns[i];
      short revents = fds[i + 1].revents;
      Step s = Step::kKeep;
      if (revents & POLLNVAL) {
        s = Step::kClose;
      } else if (revents != 0) {
        s = Advance(*c, true, now);
      }
      if (s == Step::kKeep && now >= c->deadline_ms) s = Step::kClose;
      switch (s) {
        case Step::kKeep: keep.push_back(std::move(c)); break;
        case Step::kReady: {
          std::lock_guard<std::mutex> lk(mu);
          ready.push_back(std::move(c));
          ready_cv.notify_one();
          break;
        }
        case Step::kTooLarge: Refuse(std::move(c), HeadTooLarge()); break;
        case Step::kClose: Release(std::move(c)); break;
      }
    }
    conns.swap(keep);
  }
  for (auto& c : conns) Release(std::move(c));
}

// --- workers -----------------------------------------------------------------------------

bool Gate::State::WaitFd(int fd, short events, int64_t timeout_ms) const {
  if (timeout_ms <= 0) return false;
  pollfd p[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
  for (;;) {
    int n = ::poll(p, 2, static_cast<int>(std::min<int64_t>(timeout_ms, INT_MAX)));
    if (n < 0 && errno == EINTR) continue;
    return n > 0 && (p[1].revents & POLLIN) == 0 && (p[0].revents & (events | POLLHUP | POLLERR)) != 0;
  }
}

namespace {

// The connection as the library sees it: buffered bytes first, then the
// socket, with every wait bounded by the request's deadline and the stop
// signal.
class GateStream final : public httplib::Stream {
 public:
  GateStream(Conn& c, const Gate::State& gate, int64_t read_deadline_ms, int64_t write_deadline_ms)
      : c_(c), gate_(gate), read_deadline_ms_(read_deadline_ms), write_deadline_ms_(write_deadline_ms) {}

  bool is_readable() const override {
    if (c_.Buffered() > 0 || (c_.ssl != nullptr && SSL_pending(c_.ssl) > 0)) return true;
    return gate_.WaitFd(c_.fd, POLLIN, ReadWait());
  }
  bool is_writable() const override { return gate_.WaitFd(c_.fd, POLLOUT, WriteWait()); }

  ssize_t read(char* ptr, size_t size) override {
    if (c_.Buffered() > 0) {
      size_t n = std::min(size, c_.Buffered());
      std::copy_n(c_.buf.data() + c_.pos, n, ptr);
      c_.pos += n;
      if (c_.pos == c_.buf.size()) {
        c_.buf.clear();
        c_.pos = 0;
      }
      return static_cast<ssize_t>(n);
    }
    for (;;) {
      short wait_for = POLLIN;
      if (c_.ssl != nullptr) {
        int n = SSL_read(c_.ssl, ptr, static_cast<int>(std::min<size_t>(size, INT_MAX)));
        if (n > 0) return n;
        int err = SSL_get_error(c_.ssl, n);
        if (err == SSL_ERROR_ZERO_RETURN) return 0;
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return Broken();
        wait_for = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
      } else {
        ssize_t n = ::recv(c_.fd, ptr, size, 0);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return Broken();
      }
      if (!gate_.WaitFd(c_.fd, wait_for, ReadWait())) return Broken();
    }
  }

  ssize_t write(const char* ptr, size_t size) override {
    for (;;) {
      short wait_for = POLLOUT;
      if (c_.ssl != nullptr) {
        int n = SSL_write(c_.ssl, ptr, static_cast<int>(std::min<size_t>(size, INT_MAX)));
        if (n > 0) return n;
        int err = SSL_get_error(c_.ssl, n);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return Broken();
        wait_for = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
      } else {
        ssize_t n = ::send(c_.fd, ptr, size, MSG_NOSIGNAL);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return Broken();
      }
      if (!gate_.WaitFd(c_.fd, wait_for, WriteWait())) return Broken();
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.peer_ip;
    port = c_.peer_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.local_ip;
    port = c_.local_port;
  }
  socket_t socket() const override { return c_.fd; }

  bool broken() const { return broken_; }

 private:
  int64_t ReadWait() const {
    return std::min(gate_.limits.io_timeout_ms, read_deadline_ms_ - NowMs());
  }
  int64_t WriteWait() const {
    return std::min(gate_.limits.io_timeout_ms, write_deadline_ms_ - NowMs());
  }
  ssize_t Broken() {
    broken_ = true;
    return -1;
  }

  Conn& c_;
  const Gate::State& gate_;
  int64_t read_deadline_ms_;
  int64_t write_deadline_ms_;
  bool broken_ = false;
};

}  // namespace

void Gate::State::RunWorker() {
  for (;;) {
    std::unique_ptr<Conn> c;
    {
      std::unique_lock<std::mutex> lk(mu);
      // The oldest ready request whose address is under its share of the
      // workers.
      auto pick = [&]() -> bool {
        for (auto it = ready.begin(); it != ready.end(); ++it) {
          if ((*it)->trusted_proxy || busy_by_address[(*it)->peer_ip] < limits.max_workers_per_address) {
            c = std::move(*it);
            ready.erase(it);
            return true;
          }
        }
        return false;
      };
      ready_cv.wait(lk, [&] { return stopping || pick(); });
      if (!c) return;
      ++busy_by_address[c->peer_ip];
    }
    const int64_t now = NowMs();
    GateStream stream(*c, *this, c->request_started_ms + limits.request_timeout_ms, now + limits.write_timeout_ms);
    const bool last = c->served + 1 >= limits.keep_alive_max_requests;
    bool client_closed = false;
    t_close_after_response = false;
    bool ok = serve(stream, last, &client_closed);
    bool close_now = t_close_after_response;
    t_close_after_response = false;
    ++c->served;
    {
      std::lock_guard<std::mutex> lk(mu);
      auto it = busy_by_address.find(c->peer_ip);
      if (it != busy_by_address.end() && --it->second == 0) busy_by_address.erase(it);
      close_now = close_now || stopping;
    }
    ready_cv.notify_all();  // this address may have another request waiting
    if (!ok || stream.broken() || client_closed || last || close_now) {
      Release(std::move(c));
      continue;
    }
    // Back to the waiting room for the next request.
    c->Compact();
    c->phase = Phase::kIdle;
    c->events = POLLIN;
    c->deadline_ms = NowMs() + limits.idle_timeout_ms;
    {
      std::lock_guard<std::mutex> lk(mu);
      inbox.push_back(std::move(c));
    }
    Wake();
  }
}

// --- the gate ------------------------------------------------------------------------------

Gate::Gate(const GateLimits& limits, ServeRequest serve, ssl_ctx_st* tls) : state_(std::make_shared<State>()) {
  state_->limits = limits;
  state_->limits.workers = std::max<size_t>(1, limits.workers);
  state_->limits.max_workers_per_address = std::max<size_t>(1, limits.max_workers_per_address);
  state_->serve = std::move(serve);
  state_->tls = tls;
  state_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  state_->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  State* s = state_.get();
  state_->room = std::thread([s] { s->RunRoom(); });
  for (size_t i = 0; i < state_->limits.workers; ++i) state_->workers.emplace_back([s] { s->RunWorker(); });
}

Gate::~Gate() {
  Stop();
  if (state_->wake_fd >= 0) ::close(state_->wake_fd);
  if (state_->stop_fd >= 0) ::close(state_->stop_fd);
}

void Gate::Admit(int fd) {
  auto c = std::make_unique<Conn>();
  c->fd = fd;
  SetNonBlocking(fd);
  int yes = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  sockaddr_storage peer{}, local{};
  socklen_t peer_len = sizeof peer, local_len = sizeof local;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0) Describe(peer, &c->peer_ip, &c->peer_port);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0)
    Describe(local, &c->local_ip, &c->local_port);
  State& s = *state_;
  c->trusted_proxy = s.limits.trusted_proxies.Contains(c->peer_ip);
  {
    std::lock_guard<std::mutex> lk(s.mu);
    size_t& mine = s.open_by_address[c->peer_ip];
    if (s.stopping || s.open >= s.limits.max_connections ||
        (!c->trusted_proxy && mine >= s.limits.max_connections_per_address)) {
      if (mine == 0) s.open_by_address.erase(c->peer_ip);
      ++s.refused;
      if (!s.stopping && s.tls == nullptr) SendRefusal(fd, TooManyConnections());
      return;  // c closes the socket
    }
    ++mine;
    ++s.open;
  }
  const int64_t now = NowMs();
  c->request_started_ms = now;
  c->deadline_ms = now + s.limits.head_timeout_ms;
  if (s.tls != nullptr) {
    c->ssl = SSL_new(s.tls);
    if (c->ssl == nullptr) {
      s.Release(std::move(c));
      return;
    }
    SSL_set_fd(c->ssl, fd);
    SSL_set_accept_state(c->ssl);
    SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    c->phase = Phase::kHandshake;
  }
  {
    std::lock_guard<std::mutex> lk(s.mu);
    s.inbox.push_back(std::move(c));
  }
  s.Wake();
}

void Gate::Stop() {
  State& s = *state_;
  {
    std::lock_guard<std::mutex> lk(s.mu);
    if (s.stopping && !s.room.joinable()) return;
    s.stopping = true;
  }
  uint64_t one = 1;
  (void)!::write(s.stop_fd, &one, sizeof one);
  s.ready_cv.notify_all();
  s.Wake();
  if (s.room.joinable()) s.room.join();
  for (std::thread& t : s.workers)
    if (t.joinable()) t.join();
  std::vector<std::unique_ptr<Conn>> left;
  {
    std::lock_guard<std::mutex> lk(s.mu);
    for (auto& c : s.inbox) left.push_back(std::move(c));
    for (auto& c : s.ready) left.push_back(std::move(c));
    s.inbox.clear();
    s.ready.clear();
  }
  for (auto& c : left) s.Release(std::move(c));
}

Gate::Counts Gate::counts() const {
  std::lock_guard<std::mutex> lk(state_->mu);
  return Counts{state_->open, state_->waiting, state_->refused};
}

void CloseAfterResponse() { t_close_after_response = true; }

}  // namespace dala::server::edge
