#include "auth_throttle.h"

#include <algorithm>

namespace dala::server {

int64_t LoginThrottle::PairDelayMs(int failures) const {
  if (failures < policy_.free_failures) return 0;
  int64_t delay = policy_.first_delay_ms;
  for (int k = policy_.free_failures; k < failures && delay < policy_.max_delay_ms; ++k) delay *= 2;
  return std::min(delay, policy_.max_delay_ms);
}

bool LoginThrottle::UnderPressure(int64_t now_ms) {
  while (!recent_failures_.empty() && recent_failures_.front() <= now_ms - policy_.window_ms)
    recent_failures_.pop_front();
  return policy_.global_failures > 0 && static_cast<int>(recent_failures_.size()) >= policy_.global_failures;
}

void LoginThrottle::Sweep(int64_t now_ms) {
  // A full sweep is cheap next to the password hash every failure costs,
  // but under a flood of names it is still done at most once a second.
  const int64_t every = remembered() > 10000 ? 1000 : policy_.window_ms;
  if (now_ms - last_sweep_ms_ < every) return;
  last_sweep_ms_ = now_ms;
  for (auto it = pairs_.begin(); it != pairs_.end();) {
    const Pair& p = it->second;
    bool quiet = now_ms - p.last_failure_ms >= std::max(policy_.window_ms, PairDelayMs(p.failures));
    it = quiet ? pairs_.erase(it) : std::next(it);
  }
  for (auto it = addresses_.begin(); it != addresses_.end();)
    it = now_ms - it->second >= policy_.pressure_delay_ms ? addresses_.erase(it) : std::next(it);
}

int64_t LoginThrottle::WaitMs(const std::string& user, const std::string& address, int64_t now_ms) {
  Sweep(now_ms);
  int64_t until = 0;
  if (auto it = pairs_.find({user, address}); it != pairs_.end()) {
    const Pair& p = it->second;
    if (now_ms - p.last_failure_ms >= policy_.window_ms) {
      pairs_.erase(it);  // quiet for a whole window: forgotten
    } else if (int64_t delay = PairDelayMs(p.failures); delay > 0) {
      until = p.last_failure_ms + delay;
    }
  }
  if (UnderPressure(now_ms)) {
    if (auto it = addresses_.find(address); it != addresses_.end())
      until = std::max(until, it->second + policy_.pressure_delay_ms);
  }
  return std::max<int64_t>(0, until - now_ms);
}

LoginThrottle::Attempt LoginThrottle::Begin(const std::string& user, const std::string& address, int64_t now_ms) {
  Attempt a{user, address, now_ms, 0};
  Pair& p = pairs_[{user, address}];
  ++p.failures;
  p.last_failure_ms = now_ms;
  auto [at, fresh] = addresses_.try_emplace(address, now_ms);
  if (!fresh) {
    a.previous_address_failure_ms = at->second;
    at->second = now_ms;
  }
  recent_failures_.push_back(now_ms);
  while (static_cast<int>(recent_failures_.size()) > std::max(policy_.global_failures, 1)) recent_failures_.pop_front();
  return a;
}

void LoginThrottle::Confirm(const Attempt& a, int64_t now_ms) {
  if (auto it = pairs_.find({a.user, a.address}); it != pairs_.end())
    it->second.last_failure_ms = std::max(it->second.last_failure_ms, now_ms);
  if (auto it = addresses_.find(a.address); it != addresses_.end()) it->second = std::max(it->second, now_ms);
}

void LoginThrottle::Forget(const Attempt& a) {
  pairs_.erase({a.user, a.address});
  if (auto it = addresses_.find(a.address); it != addresses_.end()) {
    if (a.previous_address_failure_ms == 0) addresses_.erase(it);
    else it->second = a.previous_address_failure_ms;
  }
  auto pos = std::find(recent_failures_.rbegin(), recent_failures_.rend(), a.at_ms);
  if (pos != recent_failures_.rend()) recent_failures_.erase(std::next(pos).base());
}

size_t LoginThrottle::Unlock(const std::string& user) {
  size_t cleared = 0;
  for (auto it = pairs_.lower_bound({user, std::string()}); it != pairs_.end() && it->first.first == user;) {
    it = pairs_.erase(it);
    ++cleared;
  }
  return cleared;
}

}  // namespace dala::server
