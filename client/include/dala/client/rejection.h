// The server's per-envelope rejection codes that the laptop acts on
// (sync/PROTOCOL.md), and how a rejection is kept in the envelopes table.
// Decisions are taken on these codes, never on the server's wording.
#pragma once

#include <string>
#include <string_view>

namespace dala::client {

namespace rejection_code {
inline constexpr std::string_view kClockAhead = "clock_ahead";
inline constexpr std::string_view kHeldBack = "held_back";
inline constexpr std::string_view kGap = "gap";
inline constexpr std::string_view kFork = "fork";
inline constexpr std::string_view kChainBroken = "chain_broken";
}  // namespace rejection_code

// Rejection codes after which the laptop keeps the envelope pending and
// tries again on the next sync (it may succeed once the clock is fixed or
// an earlier record gets through); all others are final.
[[nodiscard]] bool IsRetryableRejection(std::string_view code);

// A fork or broken chain link: the server's history of this device differs
// from the laptop's (a laptop restored from a copy?), which needs a person.
[[nodiscard]] bool IsHistoryConflict(std::string_view code);

// Final rejections after which the record is set aside as a draft (see
// SetAsideRefused) so that it no longer holds back the records after it.
// A history conflict is not: rebuilding the chain would collide again.
[[nodiscard]] bool CanSetAside(std::string_view code);

// "code: reason": how the envelopes table's reject_reason keeps a
// rejection, shown to the volunteer as it is.
[[nodiscard]] std::string FormatRejection(std::string_view code, std::string_view reason);

// The code of a reject_reason written by FormatRejection ("" if it has none).
[[nodiscard]] std::string_view RejectionCodeOf(std::string_view reject_reason);

}  // namespace dala::client
