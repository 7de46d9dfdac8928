#pragma once

// SQL that LocalStore runs and whose plan its tests check.

namespace dala::client::internal {

// Pending own envelopes after a sequence (the first parameter), in
// sequence order, at most the second parameter of them. Each is found by
// its sequence through `envelopes_own_sequence` (client/DATABASE.md,
// uploads condition 2): by id, through the primary key's index, each
// lookup landed on a random page, since ids are hashes, and reading a
// 100,000-envelope profile's batches cost 3.5 us an envelope against 1.1.
// CROSS JOIN keeps `uploads_pending` the outer loop (SQLite does not
// reorder it): the planner would otherwise walk every own envelope after
// the sequence, sent or not, to find the few still pending.
inline constexpr const char* kPendingEnvelopesFrom =
    " FROM uploads u CROSS JOIN envelopes e ON e.own = 1 AND e.sequence = u.sequence "
    "WHERE u.state = 'pending' AND u.sequence > ? ORDER BY u.sequence LIMIT ?";

}  // namespace dala::client::internal
