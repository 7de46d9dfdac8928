// The wall clock, behind an interface so that tests can fix or move time.
#pragma once

#include <cstdint>

namespace dala {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch, UTC.
  virtual int64_t NowMs() const = 0;
  // The local UTC offset in minutes (Kazakhstan: +300).
  virtual int32_t UtcOffsetMinutes() const = 0;
};

// The operating system's clock and time zone.
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  int32_t UtcOffsetMinutes() const override;
};

// A clock that only moves when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms, int32_t utc_offset_minutes = 0)
      : now_ms_(now_ms), offset_(utc_offset_minutes) {}
  int64_t NowMs() const override { return now_ms_; }
  int32_t UtcOffsetMinutes() const override { return offset_; }
  void Set(int64_t now_ms) { now_ms_ = now_ms; }
  void Advance(int64_t ms) { now_ms_ += ms; }

 private:
  int64_t now_ms_;
  int32_t offset_;
};

// Another clock's time, told in a given time zone: a record's today() is
// the day where the record was made, whatever zone the server runs in.
class ZonedClock final : public Clock {
 public:
  ZonedClock(const Clock& base, int32_t utc_offset_minutes) : base_(base), offset_(utc_offset_minutes) {}
  int64_t NowMs() const override { return base_.NowMs(); }
  int32_t UtcOffsetMinutes() const override { return offset_; }

 private:
  const Clock& base_;
  int32_t offset_;
};

}  // namespace dala
