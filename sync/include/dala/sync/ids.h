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
// Version nibble 7 and variant bits 10: what NewSubmissionId makes. The
// server refuses a new submission whose id is not one (sync/PROTOCOL.md),
// since the short-id rule and time order assume it.
[[nodiscard]] bool IsUuidV7(const SubmissionId& id);

// 8-4-4-4-12 lower-case hex, as UUIDs are written.
[[nodiscard]] std::string FormatSubmissionId(const SubmissionId& id);
// Accepts the dashed form or 32 bare hex digits.
Result<SubmissionId> ParseSubmissionId(std::string_view text);

// Short ids, one rule for the API, every command and the auditor
// (sync/README.md "Short ids"): a submission is named by its full id (32
// hex digits, dashes anywhere ignored) or by a unique END of at least 8 of
// its hex digits, and every command shows its last 8. The end, because the
// start is the timestamp: the first 8 digits of a UUIDv7 are the same for
// every id made in the same 65.5 seconds, the last 8 are random.
inline constexpr size_t kShortIdDigits = 8;
[[nodiscard]] std::string ShortId(const SubmissionId& id);
// The lower-case hex digits of what someone typed for a submission id, to
// match as the end of an id; InvalidArgument with reason "bad_record_id"
// for anything that is not 8 to 32 hex digits (and dashes).
Result<std::string> ShortIdDigits(std::string_view given);

[[nodiscard]] bool IsZero(const SubmissionId& id);
[[nodiscard]] bool IsZero(const Hash& h);

}  // namespace dala::sync
