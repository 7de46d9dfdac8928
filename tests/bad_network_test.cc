// A bad network between `dala` and `dala-server`: a proxy on loopback that,
// connection by connection, passes, delays, cuts the request, truncates the
// answer, delivers the request twice, or keeps it and delivers it again
// later, after newer ones (reordering). Two laptops collect and sync through
// it round after round; then, after one clean sync each:
//   - every record arrived exactly once (the server holds each laptop's
//     records once: the same ids, no more);
//   - the laptop's view and the server's agree: everything the laptop holds
//     is in the server's log, the laptop's verified checkpoint is the
//     server's log size, and every record's answers are the same on both.
// DALA_NETWORK_ROUNDS sets the rounds (default 40; scripts/soak passes
// more), DALA_NETWORK_SEED the seed (default fixed; printed).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "fault_util.h"

namespace dala::e2e {
namespace {

enum class Act { kPass, kDelay, kCutRequest, kTruncateAnswer, kDuplicate, kDeliverLater, kCount };
const char* const kActNames[] = {"pass", "delay", "cut request", "truncate answer", "duplicate", "deliver later"};

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

class BadNetwork {
 public:
  BadNetwork(int upstream_port, uint64_t seed) : upstream_(upstream_port), rng_(seed) {
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

  ~BadNetwork() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    std::lock_guard lock(mutex_);
    for (auto& t : threads_) t.join();
  }

  int port() const { return port_; }
  void set_clean(bool clean) { clean_ = clean; }
  int count(Act act) const { return counts_[static_cast<int>(act)]; }

 private:
  void Accept() {
    while (!stop_) {
      int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) return;
      std::lock_guard lock(mutex_);
      Act act = clean_ ? Act::kPass : static_cast<Act>(rng_() % static_cast<int>(Act::kCount));
      ++counts_[static_cast<int>(act)];
      const size_t cut = 1 + rng_() % 600;
      const int delay_ms = static_cast<int>(rng_() % 150);
      // A request kept earlier is delivered now, before this connection's:
      // an old request arrives after newer ones.
      if (!kept_.empty() && rng_() % 2 == 0) {
        threads_.emplace_back([this, bytes = std::move(kept_.back())] { Deliver(bytes); });
        kept_.pop_back();
      }
      threads_.emplace_back([this, client, act, cut, delay_ms] { Relay(client, act, cut, delay_ms); });
    }
  }

  // Sends `request` to the server on a connection of its own and discards
  // the answer.
  void Deliver(const std::string& request) {
    int server = Connect(upstream_);
    if (server < 0) return;
    (void)!::send(server, request.data(), request.size(), MSG_NOSIGNAL);
    char buf[16384];
    pollfd p{server, POLLIN, 0};
    while (::poll(&p, 1, 2000) > 0 && ::recv(server, buf, sizeof(buf), 0) > 0) {
    }
    ::close(server);
  }

  void Relay(int client, Act act, size_t cut, int delay_ms) {
    int server = Connect(upstream_);
    if (server < 0) {
      ::close(client);
      return;
    }
    std::string request;  // what the client sent, for a duplicate or later delivery
    size_t sent_up = 0, sent_down = 0;
    char buf[16384];
    while (!stop_) {
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(fds, 2, 200) <= 0) continue;
      if (fds[0].revents != 0) {
        ssize_t n = ::recv(client, buf, sizeof(buf), 0);
        if (n <= 0) break;
        size_t allowed = static_cast<size_t>(n);
        if (act == Act::kCutRequest && sent_up + allowed > cut) allowed = cut - std::min(cut, sent_up);
        if (act == Act::kDelay) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        request.append(buf, allowed);
        if (allowed > 0 && ::send(server, buf, allowed, MSG_NOSIGNAL) != static_cast<ssize_t>(allowed)) break;
        sent_up += allowed;
        if (act == Act::kCutRequest && sent_up >= cut) break;
      }
      if (fds[1].revents != 0) {
        ssize_t n = ::recv(server, buf, sizeof(buf), 0);
        if (n <= 0) break;
        size_t allowed = static_cast<size_t>(n);
        if (act == Act::kTruncateAnswer && sent_down + allowed > cut) allowed = cut - std::min(cut, sent_down);
        if (act == Act::kDelay) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        if (allowed > 0 && ::send(client, buf, allowed, MSG_NOSIGNAL) != static_cast<ssize_t>(allowed)) break;
        sent_down += allowed;
        if (act == Act::kTruncateAnswer && sent_down >= cut) break;
      }
    }
    ::close(client);
    ::close(server);
    if (act == Act::kDuplicate && !request.empty()) Deliver(request);
    if (act == Act::kDeliverLater && !request.empty()) {
      std::lock_guard lock(mutex_);
      kept_.push_back(std::move(request));
    }
  }

  int upstream_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false}, clean_{false};
  std::thread acceptor_;
  std::mutex mutex_;  // guards what follows
  std::mt19937_64 rng_;
  std::vector<std::thread> threads_;
  std::vector<std::string> kept_;
  std::atomic<int> counts_[static_cast<int>(Act::kCount)] = {};
};

TEST(BadNetworkTest, EveryRecordArrivesOnceAndTheLaptopsAgreeWithTheServer) {
  const long rounds = EnvOr("DALA_NETWORK_ROUNDS", 40);
  const uint64_t seed = static_cast<uint64_t>(EnvOr("DALA_NETWORK_SEED", 20261204));
  std::printf("bad network: %ld rounds, seed %llu (DALA_NETWORK_SEED replays it)\n", rounds,
              static_cast<unsigned long long>(seed));
  TempDir dir;
  Fleet fleet(dir.path(), 2, 8);
  ServerProcess server(fleet.data());
  ASSERT_TRUE(server.ok());
  BadNetwork network(server.port(), seed);
  const std::string via = "http://127.0.0.1:" + std::to_string(network.port());
  for (int i = 0; i < fleet.laptops(); ++i) PointAt(fleet.laptop(i), via);
  std::mt19937_64 rng(seed);
  int failed_syncs = 0;
  for (long round = 0; round < rounds; ++round) {
    const std::string home = fleet.laptop(static_cast<int>(round % fleet.laptops()));
    if (rng() % 3 == 0) {
      ASSERT_EQ(Dala(home, {"collect", "psc_observation", "--answers", fleet.answers_file()}).exit_code, 0);
    }
    // Small batches: several exchanges, so a connection may fail half-way.
    auto sync = Dala(home, {"sync", "--batch", "3"}, {}, 60);
    if (sync.exit_code != 0) {
      ++failed_syncs;
      EXPECT_TRUE(IsAClearFailure(sync));
    }
  }
  network.set_clean(true);
  std::string counts;
  for (int a = 0; a < static_cast<int>(Act::kCount); ++a)
    counts += std::string(a ? ", " : "") + kActNames[a] + " " + std::to_string(network.count(static_cast<Act>(a)));
  std::printf("bad network: connections: %s; %d of %ld syncs failed\n", counts.c_str(), failed_syncs, rounds);
  EXPECT_GT(failed_syncs, 0) << "the network should have failed some syncs";

  // Each laptop syncs until it has nothing more to send or receive (the
  // server may have queued more while requests arrived late).
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < fleet.laptops(); ++i) ASSERT_EQ(Dala(fleet.laptop(i), {"sync"}).exit_code, 0);
  const std::string server_db = ServerDb(fleet.data());
  const auto server_ids = SqlColumn(server_db, "SELECT hex(id) FROM envelopes");
  const std::string log_size = SqlValue(server_db, "SELECT count(*) FROM envelopes");
  for (int i = 0; i < fleet.laptops(); ++i) {
    SCOPED_TRACE("laptop " + std::to_string(i));
    const std::string home = fleet.laptop(i), db = LaptopDb(home);
    const auto own = OwnIds(home);
    EXPECT_EQ(AcceptedIds(home), own);
    EXPECT_EQ(ServerIdsOf(fleet.data(), home), own);
    for (const std::string& id : SqlColumn(db, "SELECT hex(id) FROM envelopes"))
      EXPECT_EQ(server_ids.count(id), 1u) << "the laptop holds " << id << ", the server does not";
    const std::string checkpoint = SqlValue(db, "SELECT value FROM profile WHERE key = 'checkpoint'");
    EXPECT_EQ(checkpoint.substr(checkpoint.find('\n') + 1, log_size.size() + 1), log_size + "\n") << checkpoint;
    for (const std::string& id : SqlColumn(db, "SELECT hex(id) FROM submissions")) {
      const std::string where = " FROM submissions WHERE hex(id) = '" + id + "'";
      EXPECT_EQ(nlohmann::json::parse(SqlValue(db, "SELECT answers" + where)),
                nlohmann::json::parse(SqlValue(server_db, "SELECT answers" + where)))
          << "record " << id;
    }
    EXPECT_EQ(IntegrityCheck(db), "ok");
    EXPECT_EQ(Dala(home, {"verify"}).exit_code, 0);
  }
  EXPECT_EQ(IntegrityCheck(server_db), "ok");
}

}  // namespace
}  // namespace dala::e2e
