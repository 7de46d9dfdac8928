// A loopback TCP proxy between `dala` and `dala-server` that mistreats
// connections as a plan says, connection by connection: pass, delay, cut
// the request, truncate the answer, deliver the request twice, or keep it
// and deliver it again later, after newer ones (reordering). Test-only.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dala::e2e {

enum class Act { kPass, kDelay, kCutRequest, kTruncateAnswer, kDuplicate, kDeliverLater, kCount };
inline const char* const kActNames[] = {"pass",      "delay",        "cut request", "truncate answer",
                                        "duplicate", "deliver later"};

// What happens to one connection.
struct Plan {
  Act act = Act::kPass;
  size_t cut = 0;         // kCutRequest, kTruncateAnswer: bytes let through
  int delay_ms = 0;       // kDelay: before each chunk, either way
  bool deliver_kept = false;  // first deliver one request kept by kDeliverLater
};

class BadNetwork {
 public:
  // `plan(n)` decides connection n (1 is the first); it is called on one
  // thread, in order.
  BadNetwork(int upstream_port, std::function<Plan(int)> plan);
  ~BadNetwork();
  BadNetwork(const BadNetwork&) = delete;
  BadNetwork& operator=(const BadNetwork&) = delete;

  int port() const { return port_; }
  // Every connection from now on passes untouched.
  void set_clean(bool clean) { clean_ = clean; }
  int count(Act act) const { return counts_[static_cast<int>(act)]; }

 private:
  void Accept();
  void Deliver(const std::string& request);
  void Relay(int client, Plan plan);

  int upstream_;
  std::function<Plan(int)> plan_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false}, clean_{false};
  std::thread acceptor_;
  std::mutex mutex_;  // guards what follows
  std::vector<std::thread> threads_;
  std::vector<std::string> kept_;
  std::atomic<int> counts_[static_cast<int>(Act::kCount)] = {};
};

}  // namespace dala::e2e
