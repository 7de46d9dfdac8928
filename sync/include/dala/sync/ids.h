// Submission ids: 128-bit, random and time-ordered (the UUIDv7 layout of
// RFC 9562): 48 bits of Unix milliseconds, the version nibble 7, 74 random
// bits and the variant bits. Time order keeps a laptop's records together in
// every index; randomness keeps two laptops from ever choosing the same id.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "dala/base/clock.h"
#include "dala/base/status.h"
#include "dala/sync/crypto.h"

namespace dala::sync {

using SubmissionId = std::array<uint8_t, 16>;

[[nodiscard]] SubmissionId NewSubmissionId(const Clock& clock, Random& random);

// 8-4-4-4-12 lower-case hex, as UUIDs are written.
[[nodiscard]] std::string FormatSubmissionId(const SubmissionId& id);
// Accepts the dashed form or 32 bare hex digits.
Result<SubmissionId> ParseSubmissionId(std::string_view text);

[[nodiscard]] bool IsZero(const SubmissionId& id);
[[nodiscard]] bool IsZero(const Hash& h);

}  // namespace dala::sync
