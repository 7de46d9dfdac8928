// How long a failed login makes the next one wait.
//
// An NGO office is often one NAT address, and an attacker may have many
// addresses: limiting a user name alone lets a stranger lock its owner
// out, and limiting an address alone lets one person's typos lock out a
// whole office. So delays are kept per (user name, address) pair:
//
//   1. a pair may fail `free_failures` times; after that each try waits
//      first_delay, 2 × first_delay, 4 × … after the pair's last failure,
//      up to max_delay. Only that name at that address waits. A success,
//      or window_ms without a failure, forgets the pair.
//   2. against password spraying (a few guesses at many names): once the
//      server has seen global_failures failures within window_ms, an
//      address that has just failed waits pressure_delay before trying any
//      name again.
//
// Every wait is bounded, and an address that has not failed is never held
// back: whoever hammers a name from elsewhere cannot keep its owner out.
// Not thread-safe; SessionAuth guards it. Times are milliseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>

namespace dala::server {

struct ThrottlePolicy {
  int free_failures = 3;
  int64_t first_delay_ms = 1000;
  int64_t max_delay_ms = 5 * 60 * 1000;
  int64_t window_ms = 15 * 60 * 1000;
  int global_failures = 100;
  int64_t pressure_delay_ms = 10 * 1000;
};

class LoginThrottle {
 public:
  explicit LoginThrottle(const ThrottlePolicy& policy) : policy_(policy) {}

  // Milliseconds until `user` may be tried from `address`; 0 if now.
  int64_t WaitMs(const std::string& user, const std::string& address, int64_t now_ms);

  // A failure, counted before the password is checked so that concurrent
  // guesses cannot all slip in before the first one fails. Returns a token
  // for Confirm or Forget.
  struct Attempt {
    std::string user, address;
    int64_t at_ms = 0;
    int64_t previous_address_failure_ms = 0;  // 0: the address had not failed
  };
  Attempt Begin(const std::string& user, const std::string& address, int64_t now_ms);
  // The password was wrong: the delays run from now (hashing takes time).
  void Confirm(const Attempt& attempt, int64_t now_ms);
  // The password was right: the pair starts afresh.
  void Forget(const Attempt& attempt);

  // Clears every delay of `user` (from every address). Returns how many
  // addresses it had failed from.
  size_t Unlock(const std::string& user);

  // For tests and the sweep: how many pairs and addresses are remembered.
  size_t remembered() const { return pairs_.size() + addresses_.size(); }

 private:
  struct Pair {
    int failures = 0;
    int64_t last_failure_ms = 0;
  };
  int64_t PairDelayMs(int failures) const;
  bool UnderPressure(int64_t now_ms);
  void Sweep(int64_t now_ms);

  ThrottlePolicy policy_;
  std::map<std::pair<std::string, std::string>, Pair> pairs_;  // (user, address)
  std::map<std::string, int64_t> addresses_;                   // address -> last failure
  std::deque<int64_t> recent_failures_;                        // server-wide, at most global_failures
  int64_t last_sweep_ms_ = 0;
};

}  // namespace dala::server
