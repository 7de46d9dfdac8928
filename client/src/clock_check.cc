#include "dala/client/clock_check.h"

namespace dala::client {

Result<std::vector<ClockWarning>> CheckLaptopClock(LocalStore& store, int64_t now_ms, int64_t build_ms) {
  std::vector<ClockWarning> out;
  if (now_ms < build_ms) out.push_back({ClockDoubt::kBeforeBuild, build_ms});
  DALA_ASSIGN_OR_RETURN(uint64_t server_ms, store.GetNumber(profile_key::kLastServerTimeMs, 0));
  if (server_ms > 0 && now_ms + kClockSlackMs < static_cast<int64_t>(server_ms))
    out.push_back({ClockDoubt::kBeforeServer, static_cast<int64_t>(server_ms)});
  DALA_ASSIGN_OR_RETURN(int64_t newest_ms, store.NewestOwnRecordMs());
  if (newest_ms > 0 && now_ms + kClockSlackMs < newest_ms) out.push_back({ClockDoubt::kBehindRecords, newest_ms});
  return out;
}

}  // namespace dala::client
