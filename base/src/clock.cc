#include "dala/base/clock.h"

#include <chrono>
#include <ctime>

namespace dala {

int64_t SystemClock::NowMs() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int32_t SystemClock::UtcOffsetMinutes() const {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return static_cast<int32_t>(local.tm_gmtoff / 60);
}

}  // namespace dala
