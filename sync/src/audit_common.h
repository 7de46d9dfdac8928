// Small pieces the auditor (audit.cc), its report (audit_report.cc) and the
// trace (trace.cc) share: how they name keys, ids and ranges in messages,
// hash maps keyed by ids, and which review events count.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dala/sync/audit.h"
#include "dala/sync/crypto.h"
#include "dala/sync/hlc.h"
#include "dala/sync/ids.h"
#include "dala/sync/merge.h"
#include "dala/sync/verify.h"

namespace dala::sync::internal {

struct ByteArrayHash {
  template <size_t N>
  size_t operator()(const std::array<uint8_t, N>& a) const {
    static_assert(N % 8 == 0);
    // Every word counts: UUIDv7 ids start with a timestamp, and keys or ids
    // chosen by whoever wrote the bundle should not pick our buckets.
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < N; i += 8) {
      uint64_t w;
      std::memcpy(&w, a.data() + i, 8);
      h = (h ^ w) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 32;
    }
    return static_cast<size_t>(h);
  }
};

template <typename V>
using HashMap = std::unordered_map<Hash, V, ByteArrayHash>;
template <typename V>
using SubmissionMap = std::unordered_map<SubmissionId, V, ByteArrayHash>;
template <typename V>
using KeyMap = std::unordered_map<PublicKey, V, ByteArrayHash>;

// The first 16 hex digits of a key and 12 of an id: enough to tell them
// apart in a report, short enough to read.
[[nodiscard]] std::string KeyPrefix(const PublicKey& key);
[[nodiscard]] std::string IdPrefix(const Hash& id);

// "3, 7, 12".
[[nodiscard]] std::string JoinIndices(const std::vector<uint64_t>& indices);
// "4" or "4..6".
[[nodiscard]] std::string SequenceRange(uint64_t first, uint64_t last);

[[nodiscard]] AuditProblem Problem(std::string code, std::string message);

// A review event as the merge counts it: a known state, with the heads the
// reviewer saw. The caller has checked that the server signed it: only the
// server signs for coordinators, so a review by any other key counts for
// nothing.
[[nodiscard]] std::optional<ReviewInput> ReviewFromEvent(const EventBody& event, const Hash& id,
                                                         const std::vector<Hash>& parents, HlcTimestamp hlc);

}  // namespace dala::sync::internal
