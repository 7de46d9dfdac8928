// Hybrid logical clocks (Kulkarni, Demirbas et al., "Logical Physical Clocks
// and Consistent Snapshots in Globally Distributed Databases", 2014).
//
// A timestamp is 64 bits: the top 48 are milliseconds since the Unix epoch
// (the largest physical time seen), the low 16 a counter that orders events
// within one millisecond. It never runs backwards on one device, stays close
// to real time, and orders every event after the events its author had seen:
// after a sync, a laptop's next edit sorts after everything it received.
#pragma once

#include <cstdint>
#include <string>

#include "dala/base/clock.h"

namespace dala::sync {

struct HlcTimestamp {
  uint64_t packed = 0;

  [[nodiscard]] static HlcTimestamp Make(uint64_t physical_ms, uint16_t logical) {
    return {(physical_ms << 16) | logical};
  }
  uint64_t physical_ms() const { return packed >> 16; }
  uint16_t logical() const { return static_cast<uint16_t>(packed & 0xFFFF); }
  auto operator<=>(const HlcTimestamp&) const = default;

  // "2026-11-27T05:01:02.345Z/7": the physical part in UTC, then the counter.
  [[nodiscard]] std::string ToString() const;
};

class HybridClock {
 public:
  // `last` is the largest timestamp this device has issued or seen, restored
  // from storage so that the clock never repeats a value across restarts.
  explicit HybridClock(const Clock& clock, HlcTimestamp last = {});

  // A timestamp for a local event, greater than every earlier one.
  [[nodiscard]] HlcTimestamp Now();

  // Merges a timestamp received from elsewhere, so that later local events
  // sort after it. The caller decides first whether `remote` is plausible
  // (see the server's clock-skew bound); this function trusts it.
  void Observe(HlcTimestamp remote);

  HlcTimestamp last() const { return last_; }

 private:
  const Clock& clock_;
  HlcTimestamp last_;
};

}  // namespace dala::sync
