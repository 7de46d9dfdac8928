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
#ifdef _WIN32
  // Windows' struct tm has no UTC offset: compare the local and UTC
  // readings of the same instant, as calendar times.
  std::tm local{};
  std::tm utc{};
  localtime_s(&local, &now);
  gmtime_s(&utc, &now);
  return static_cast<int32_t>((_mkgmtime(&local) - _mkgmtime(&utc)) / 60);
#else
  std::tm local{};
  localtime_r(&now, &local);
  return static_cast<int32_t>(local.tm_gmtoff / 60);
#endif
}

}  // namespace dala
