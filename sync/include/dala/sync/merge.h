// Field-level merge of a submission's revisions, and its review state.
//
// Every replica that holds the same revisions computes the same state,
// whatever order they arrived in. The algorithm, with a worked example, is
// at the top of merge.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dala/base/status.h"
#include "dala/sync/crypto.h"
#include "dala/sync/hlc.h"

namespace dala::sync {

// What the merge needs to know of one revision.
struct MergeInput {
  Hash id{};
  std::vector<Hash> parents;
  HlcTimestamp hlc;
  PublicKey author{};
  std::string answers_json;  // the revision's answers object, as JSON text
};

// One value a field holds on some branch.
struct FieldCandidate {
  std::string value_json;  // "null" when the branch removed the answer
  Hash revision{};         // the revision that set it
  HlcTimestamp hlc;
  PublicKey author{};
};

// A field changed to different values on concurrent branches. Candidates
// are distinct values, provisional winner first.
struct FieldConflict {
  std::string field;
  std::vector<FieldCandidate> candidates;
};

struct MergedState {
  std::vector<Hash> heads;   // revisions no other revision builds on, ascending
  std::string answers_json;  // the merged answers, provisional winners in conflicts
  std::vector<FieldConflict> conflicts;  // by field name
  // Revisions named as parents but not present; the state is then partial.
  std::vector<Hash> missing_parents;

  // SHA-256 over heads, answers and conflicts: equal iff the states are.
  [[nodiscard]] Hash Digest() const;
};

// Merges the revisions of one submission. Fails only on input that cannot
// be a revision DAG: a cycle, a repeated id, answers that are not a JSON
// object.
Result<MergedState> Merge(const std::vector<MergeInput>& revisions);

// The merged answers after one more revision, from the state before it
// alone, when that state had one head and the new revision's only parent
// is that head (most edits), and neither holds an inexact integer (below):
// byte for byte what Merge of all the revisions prints, without reading
// the earlier revisions again (merge.cc, "ONE EDIT ON THE ONLY HEAD"). `merged` holds the answers Merge gave
// before, as an object without nulls, and receives the new ones; `edit`
// is the new revision's answers object. The new state's one head is the
// new revision, and it has no conflicts.
void MergeEditOnOnlyHead(nlohmann::json* merged, const nlohmann::json& edit);

// Whether `v` holds, anywhere inside it, an integer a double cannot hold
// exactly (beyond +-2^53). nlohmann compares an integer with a float
// through double, and a signed with an unsigned integer through int64, so
// among such numbers JSON equality is not transitive (2^53 + 1 equals the
// float 2^53, which equals 2^53). MergeEditOnOnlyHead compares an edit with
// the merged value, Merge with the edit's parent: they agree only when
// neither the state nor the edit holds one, and callers must check.
[[nodiscard]] bool HoldsInexactInteger(const nlohmann::json& v);

// --- review --------------------------------------------------------------

enum class ReviewState { kReceived, kHasIssues, kApproved, kRejected };
[[nodiscard]] const char* ReviewStateName(ReviewState state);
Result<ReviewState> ParseReviewState(std::string_view name);

struct ReviewInput {
  Hash id{};
  std::vector<Hash> parents;  // the heads the reviewer saw
  HlcTimestamp hlc;
  ReviewState state = ReviewState::kReceived;
  std::string by;
  std::string comment;
};

struct ReviewSummary {
  ReviewState state = ReviewState::kReceived;
  std::string by;        // who made the deciding review, if any
  std::string comment;
  Hash decided_by{};     // the review event, zero if none applies
  // True when a review exists but revisions were made after it (e.g. the
  // volunteer fixed what "has issues" asked for): the state is back to
  // received until someone reviews again.
  bool changed_since_review = false;
};

// The review state of a submission whose revisions are `revisions` and
// whose current heads are `heads`: the latest review (by HLC, then id)
// applies if every current head is one of its parents or an ancestor of
// one; otherwise the submission changed since and is received again.
[[nodiscard]] ReviewSummary SummarizeReviews(const std::vector<MergeInput>& revisions, const std::vector<Hash>& heads,
                                             const std::vector<ReviewInput>& reviews);

}  // namespace dala::sync
