#include "dala/client/rejection.h"

namespace dala::client {

bool IsRetryableRejection(std::string_view code) {
  return code == rejection_code::kClockAhead || code == rejection_code::kHeldBack || code == rejection_code::kGap;
}

bool IsHistoryConflict(std::string_view code) {
  return code == rejection_code::kFork || code == rejection_code::kChainBroken;
}

bool CanSetAside(std::string_view code) { return !IsRetryableRejection(code) && !IsHistoryConflict(code); }

std::string FormatRejection(std::string_view code, std::string_view reason) {
  std::string out(code);
  out += ": ";
  out += reason;
  return out;
}

std::string_view RejectionCodeOf(std::string_view reject_reason) {
  size_t colon = reject_reason.find(": ");
  return colon == std::string_view::npos ? std::string_view() : reject_reason.substr(0, colon);
}

}  // namespace dala::client
