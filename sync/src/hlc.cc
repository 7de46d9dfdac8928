#include "dala/sync/hlc.h"

#include <algorithm>
#include <cstdio>

#include "dala/schema/value.h"

namespace dala::sync {

std::string HlcTimestamp::ToString() const {
  // "2026-11-27T05:01:02.345Z/7": the physical part in UTC, then the counter.
  std::string s = schema::FormatIsoDateTime(static_cast<int64_t>(physical_ms()), 0);
  if (s.size() > 6 && s.compare(s.size() - 6, 6, "+00:00") == 0) s.replace(s.size() - 6, 6, "Z");
  return s + "/" + std::to_string(logical());
}

HybridClock::HybridClock(const Clock& clock, HlcTimestamp last) : clock_(clock), last_(last) {}

namespace {

uint64_t PhysicalNow(const Clock& clock) {
  int64_t ms = clock.NowMs();
  return ms < 0 ? 0 : static_cast<uint64_t>(ms) & ((uint64_t{1} << 48) - 1);
}

// The successor of `t`: the counter runs into the next millisecond rather
// than wrapping, so order is kept even in a burst of 65 536 events.
HlcTimestamp Next(HlcTimestamp t) { return {t.packed + 1}; }

}  // namespace

HlcTimestamp HybridClock::Now() {
  const uint64_t pt = PhysicalNow(clock_);
  if (pt > last_.physical_ms()) {
    last_ = HlcTimestamp::Make(pt, 0);
  } else {
    last_ = Next(last_);
  }
  return last_;
}

void HybridClock::Observe(HlcTimestamp remote) {
  const uint64_t pt = PhysicalNow(clock_);
  HlcTimestamp candidate = std::max(last_, remote);
  if (pt > candidate.physical_ms()) {
    last_ = HlcTimestamp::Make(pt, 0);
  } else {
    last_ = Next(candidate);
  }
}

}  // namespace dala::sync
