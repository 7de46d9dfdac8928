#include "bad_network.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace dala::e2e {

namespace {

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Forwards up to `limit` more bytes of `buf[0, n)` to `to` (after `delay_ms`),
// counting them in `*sent`; false when the line should drop: the limit is
// reached or the peer is gone.
bool Forward(int to, const char* buf, size_t n, size_t limit, int delay_ms, size_t* sent) {
  size_t allowed = std::min(n, limit - std::min(limit, *sent));
  if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  if (allowed > 0 && ::send(to, buf, allowed, MSG_NOSIGNAL) != static_cast<ssize_t>(allowed)) return false;
  *sent += allowed;
  return *sent < limit;
}

}  // namespace

BadNetwork::BadNetwork(int upstream_port, std::function<Plan(int)> plan)
    : upstream_(upstream_port), plan_(std::move(plan)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

BadNetwork::~BadNetwork() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  // Joined without the lock: a relay takes it to keep a request.
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

void BadNetwork::Accept() {
  for (int n = 1; !stop_; ++n) {
    int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) return;
    Plan plan = clean_ ? Plan{} : plan_(n);
    ++counts_[static_cast<int>(plan.act)];
    std::lock_guard lock(mutex_);
    // A request kept earlier goes now, before this connection's: an old
    // request arrives after newer ones.
    if (plan.deliver_kept && !kept_.empty()) {
      threads_.emplace_back([this, bytes = std::move(kept_.back())] { Deliver(bytes); });
      kept_.pop_back();
    }
    threads_.emplace_back([this, client, plan] { Relay(client, plan); });
  }
}

// Sends `request` to the server on a connection of its own and discards the
// answer.
void BadNetwork::Deliver(const std::string& request) {
  int server = Connect(upstream_);
  if (server < 0) return;
  (void)!::send(server, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[16384];
  pollfd p{server, POLLIN, 0};
  while (::poll(&p, 1, 2000) > 0 && ::recv(server, buf, sizeof(buf), 0) > 0) {
  }
  ::close(server);
}

void BadNetwork::Relay(int client, Plan plan) {
  int server = Connect(upstream_);
  if (server < 0) {
    ::close(client);
    return;
  }
  const size_t up_limit = plan.act == Act::kCutRequest ? plan.cut : SIZE_MAX;
  const size_t down_limit = plan.act == Act::kTruncateAnswer ? plan.cut : SIZE_MAX;
  const int delay_ms = plan.act == Act::kDelay ? plan.delay_ms : 0;
  std::string request;  // what the client sent, for a duplicate or a later delivery
  size_t up = 0, down = 0;
  char buf[16384];
  while (!stop_) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(fds, 2, 200) <= 0) continue;
    if (fds[0].revents != 0) {
      ssize_t n = ::recv(client, buf, sizeof(buf), 0);
      if (n <= 0) break;
      request.append(buf, std::min(static_cast<size_t>(n), up_limit - std::min(up_limit, up)));
      if (!Forward(server, buf, static_cast<size_t>(n), up_limit, delay_ms, &up)) break;
    }
    if (fds[1].revents != 0) {
      ssize_t n = ::recv(server, buf, sizeof(buf), 0);
      if (n <= 0 || !Forward(client, buf, static_cast<size_t>(n), down_limit, delay_ms, &down)) break;
    }
  }
  ::close(client);
  ::close(server);
  if (plan.act == Act::kDuplicate && !request.empty()) Deliver(request);
  if (plan.act == Act::kDeliverLater && !request.empty()) {
    std::lock_guard lock(mutex_);
    kept_.push_back(std::move(request));
  }
}

}  // namespace dala::e2e
