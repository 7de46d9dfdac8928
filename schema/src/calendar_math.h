// Integer arithmetic on times shared by value.cc and expr_eval.cc.
#pragma once

#include <cstdint>
#include <limits>

namespace dala::schema::internal {

// Floor division by a positive `b` and its non-negative remainder, computed
// without the q * b that would overflow at the extremes of int64.
inline void FloorDivMod(int64_t a, int64_t b, int64_t* q, int64_t* r) {
  *q = a / b;
  *r = a % b;
  if (*r < 0) {
    *r += b;
    --*q;
  }
}

// Local wall-clock milliseconds; saturates rather than overflowing so that
// absurd stored values still format without undefined behaviour.
inline int64_t LocalMs(int64_t epoch_ms, int32_t offset_minutes) {
  int64_t local = 0;
  if (__builtin_add_overflow(epoch_ms, static_cast<int64_t>(offset_minutes) * 60'000, &local)) {
    return epoch_ms > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return local;
}

}  // namespace dala::schema::internal
