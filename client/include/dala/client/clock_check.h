// Catching a wrong laptop clock when a record is made, not at the next
// sync: a record signed with a 2015 date keeps it for good.
#pragma once

#include <cstdint>
#include <vector>

#include "dala/base/status.h"
#include "dala/client/store.h"

namespace dala::client {

enum class ClockDoubt {
  kBeforeBuild,    // earlier than the day this `dala` was built
  kBeforeServer,   // earlier than the server's time at the last sync
  kBehindRecords,  // earlier than when this laptop stored its newest record
};

struct ClockWarning {
  ClockDoubt doubt;
  int64_t reference_ms;  // the time the clock is behind
};

// Clocks are set by hand and drift; a few minutes behind a reference is not
// worth a warning.
inline constexpr int64_t kClockSlackMs = 10 * 60 * 1000;

// Every reason to doubt `now_ms`: compared with `build_ms`, with the last
// server time a sync kept (profile_key::kLastServerTimeMs) and with the
// newest own record in `store`.
Result<std::vector<ClockWarning>> CheckLaptopClock(LocalStore& store, int64_t now_ms, int64_t build_ms);

}  // namespace dala::client
