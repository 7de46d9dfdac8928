// Merging concurrent edits of a submission, field by field.
//
// THE PROBLEM
//
// A submission's revisions form a DAG: each revision names the revisions it
// was made from (its parents). A volunteer edits offline while a
// coordinator corrects the same submission on the server; both edits have
// the same parent, and the DAG now has two heads. Every replica (the
// laptop, the server, an auditor) must compute the same current state from
// the same set of revisions, in whatever order they arrived, and no edit
// may be silently lost.
//
// THE RULE
//
// Revisions carry whole answer sets, not differences, so we first recover
// who changed what. A revision r ASSIGNS field f when
//   - r has no parents and gives f a value (it created the field), or
//   - r's value of f differs from the value in at least one parent.
// A revision that keeps f as all its parents had it does not assign f.
// A merge revision (a resolution) that picks one side's value differs from
// the other side's, so it assigns f, superseding both.
//
// The CANDIDATES for f are the assigners of f that no other assigner of f
// descends from: the latest changes on each branch. Then
//   - no candidate: f has no value;
//   - all candidates hold the same value: f takes it (both sides made the
//     same change, or only one side changed f);
//   - different values: a CONFLICT. Every distinct value is kept, and the
//     one from the candidate with the largest (HLC, author key, revision id)
//     is the provisional winner shown until a coordinator resolves it.
//
// The result depends only on the set of revisions and the ancestor
// relation, never on arrival order, so replicas converge. With one head the
// merged state is exactly that head's answers: along any path from a
// candidate to the head nothing assigns f, so its value carries through.
//
// A coordinator resolves conflicts with a revision whose parents are all
// current heads; it has different values from at least one side in every
// conflicted field, so it is the only candidate left and the DAG has one
// head again.
//
// WORKED EXAMPLE
//
//            A  {queue: 12, ramp: "no"}            volunteer, at the centre
//           /  \_
//          B    C                                  B: volunteer, offline
//   {queue: 15,   {queue: 14, ramp: "yes"}         C: coordinator, on the server
//    ramp: "no"}
//
//   queue: assigners A (root), B (12->15), C (12->14). A is an ancestor of
//          both, so the candidates are B and C with different values: a
//          conflict. If C's HLC is larger, 14 is shown until resolved.
//   ramp:  assigners A and C (no->yes); B kept "no", so B does not assign.
//          Candidate C alone: "yes". No conflict: C's change is taken.
//
//   The coordinator resolves with R, parents {B, C}, {queue: 15, ramp: "yes"}.
//   R differs from C in queue and from B in ramp, so R assigns both and is
//   the only candidate for each: one head, no conflicts.
//
// THE ALGORITHM, AS PSEUDO-CODE
//
// Steps numbered as in sync/BUNDLE.md ("The submission state"), which is
// the normative text; this is the same in code's terms. rank(r) compares
// (hlc as u64, author bytes, id bytes) lexicographically; "==" on values
// is JSON equality (5 == 5.0; absent == null).
//
//   merge(R):                              // R: one submission's revisions
//     M1  pp(r) = [p in r.parents if p in R]          // missing ones ignored
//     M2  if the pp links have a cycle: fail
//     M3  anc(r) = closure of pp(r)                   // strict ancestors
//     M4  heads = sort_bytes([r in R if no s in R has r in pp(s)])
//     M5  for f in union(keys(r.answers) for r in R):
//           v(r) = r.answers[f] or null
//           assigners = [r in R if (pp(r) == [] and v(r) != null)
//                                 or any(v(p) != v(r) for p in pp(r))]
//           cands = [a in assigners if no b in assigners with a in anc(b)]
//           groups = cands grouped by v; rep(g) = max(g, by rank)
//           if groups empty: continue
//           win = max(groups, by rank(rep(g)))
//           if v(rep(win)) != null: answers[f] = v(rep(win))
//           if len(groups) > 1: conflicts += [f]   // a null group counts
//     M6  return answers, heads, conflicts
//
//   review_state(R, heads, reviews):       // reviews: only those that count
//     R1  if reviews == []: return received
//     R2  L = max(reviews, by (hlc, id))
//     R3  seen = L.parents + union(anc(p) for p in L.parents if p in R)
//     R4  return L.state if all(h in seen for h in heads) else received
//
// Merge() and SummarizeReviews() below are these, with bitsets for anc.
//
// ONE EDIT ON THE ONLY HEAD
//
// Most edits build on a state with one head H: the new revision E names H
// as its only parent. Then Merge of all the revisions follows from the
// state before alone, and MergeEditOnOnlyHead computes it so:
//   - With one head every other revision is an ancestor of H, so for each
//     field the candidates agree (two candidates with different values
//     would each have a path to H on which nothing assigns f, giving H
//     both values) and the merged value of f equals v(H, f).
//   - E assigns f iff v(E, f) != v(H, f), which is the merged value (or
//     null). If it does, E descends from every other assigner: it is the
//     only candidate, and f takes v(E, f) (no value when null).
//   - If it does not, the assigners and candidates of f are as before, so
//     f keeps its merged value, in the form the merge gave it: the text of
//     the revision that set it, not E's text for an equal value.
// E is the only head after, with no conflicts. In the worked example, with
// R the only head, an edit E of R to {queue: 15.0, ramp: "yes", note: "x"}
// keeps queue as 15 (equal: R's form), ramp "yes", and adds note.
//
// A CHAIN
//
// Most edited records are a chain: a root, and each later revision an edit
// whose only parent is the one before it (a volunteer's correction, a
// coordinator's recount). Each step is then an edit of the only head, so
// by induction the chain's state is its root's answers without nulls,
// edited by each revision in turn as above; its one head is the last
// revision, with no conflicts. Merge takes this path when the revisions
// are given in chain order (as a log holds them) and the general one
// otherwise: the per-field search over the DAG, which prints every
// candidate's value, costs an auditor several times the parsing.
// MergePropertyTest.ChainInOrderGivesWhatTheGeneralPathGives holds the two
// to the same bytes.
//
// Both shortcuts rest on JSON equality being transitive: the general path
// compares a revision with its parent, the fold with the merged value. For
// integers beyond +-2^53 nlohmann's equality is not (it compares an
// integer with a float through double), so where any revision holds one
// (HoldsInexactInteger), Merge takes the general path, and so must the
// server's shortcut.
//
// COST
//
// Ancestor sets are bitsets over the submission's revisions: O(n^2 / 64)
// words, and O(n * fields) comparisons. Submissions have a handful of
// revisions; a thousand would still take milliseconds.

#include "dala/sync/merge.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <tuple>

namespace dala::sync {

using nlohmann::json;

namespace {

class Bitset {
 public:
  explicit Bitset(size_t n) : words_((n + 63) / 64, 0) {}
  void Set(size_t i) { words_[i / 64] |= uint64_t{1} << (i % 64); }
  bool Test(size_t i) const { return (words_[i / 64] >> (i % 64)) & 1; }
  void Or(const Bitset& o) {
    for (size_t k = 0; k < words_.size(); ++k) words_[k] |= o.words_[k];
  }

 private:
  std::vector<uint64_t> words_;
};

struct Dag {
  std::vector<std::vector<size_t>> parents;  // indices of present parents
  std::vector<Bitset> ancestors;             // strict ancestors
  std::vector<bool> has_child;
  std::vector<Hash> missing;
};

Result<Dag> BuildDag(const std::vector<MergeInput>& revs) {
  const size_t n = revs.size();
  std::map<Hash, size_t> index;
  for (size_t i = 0; i < n; ++i) {
    if (!index.emplace(revs[i].id, i).second)
      return Status::InvalidArgument("revision " + ToHex(revs[i].id) + " appears twice");
  }
  Dag dag;
  dag.parents.resize(n);
  dag.has_child.assign(n, false);
  std::set<Hash> missing;
  std::vector<size_t> pending(n, 0);
  std::vector<std::vector<size_t>> children(n);
  for (size_t i = 0; i < n; ++i) {
    for (const Hash& p : revs[i].parents) {
      auto it = index.find(p);
      if (it == index.end()) {
        missing.insert(p);
        continue;
      }
      dag.parents[i].push_back(it->second);
      dag.has_child[it->second] = true;
      children[it->second].push_back(i);
      ++pending[i];
    }
  }
  dag.missing.assign(missing.begin(), missing.end());
  // Kahn's algorithm: ancestors are complete once every parent is done.
  dag.ancestors.assign(n, Bitset(n));
  std::vector<size_t> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.push_back(i);
  size_t done = 0;
  while (!ready.empty()) {
    size_t i = ready.back();
    ready.pop_back();
    ++done;
    for (size_t p : dag.parents[i]) {
      dag.ancestors[i].Or(dag.ancestors[p]);
      dag.ancestors[i].Set(p);
    }
    for (size_t c : children[i])
      if (--pending[c] == 0) ready.push_back(c);
  }
  if (done != n) return Status::InvalidArgument("the revisions' parent links form a cycle");
  return dag;
}

// Whether `revs`, in the order given, are a chain: the first has no
// parents, each other's only parent is the one before it, and no id
// repeats (which the general path refuses).
bool IsChainInOrder(const std::vector<MergeInput>& revs) {
  if (revs.size() < 2 || !revs[0].parents.empty()) return false;
  for (size_t k = 1; k < revs.size(); ++k)
    if (revs[k].parents.size() != 1 || revs[k].parents[0] != revs[k - 1].id) return false;
  std::vector<Hash> ids;
  ids.reserve(revs.size());
  for (const MergeInput& r : revs) ids.push_back(r.id);
  std::sort(ids.begin(), ids.end());
  return std::adjacent_find(ids.begin(), ids.end()) == ids.end();
}

// The state of a chain ("A CHAIN" above); nullopt when some answers are
// not a JSON object, for the general path to refuse them by name.
std::optional<MergedState> MergeChainInOrder(const std::vector<MergeInput>& revs) {
  json merged = json::parse(revs[0].answers_json, nullptr, false);
  // A discarded parse is not an object either.
  if (!merged.is_object() || HoldsInexactInteger(merged)) return std::nullopt;
  for (auto it = merged.begin(); it != merged.end();) it = it->is_null() ? merged.erase(it) : std::next(it);
  for (size_t k = 1; k < revs.size(); ++k) {
    json edit = json::parse(revs[k].answers_json, nullptr, false);
    if (!edit.is_object() || HoldsInexactInteger(edit)) return std::nullopt;
    MergeEditOnOnlyHead(&merged, edit);
  }
  MergedState out;
  out.heads = {revs.back().id};
  out.answers_json = merged.dump();
  return out;
}

// The provisional-winner order: HLC first, then author key, then id.
bool Later(const FieldCandidate& a, const FieldCandidate& b) {
  return std::tie(a.hlc, a.author, a.revision) > std::tie(b.hlc, b.author, b.revision);
}

}  // namespace

Result<MergedState> Merge(const std::vector<MergeInput>& revs) {
  // One revision is its own state. This is most submissions, and the
  // general path would parse and print its answers only to get them back.
  if (revs.size() == 1) {
    const std::string& a = revs[0].answers_json;
    size_t first = a.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && a[first] == '{') {
      MergedState out;
      out.heads = {revs[0].id};
      out.missing_parents = revs[0].parents;
      std::sort(out.missing_parents.begin(), out.missing_parents.end());
      json parsed = json::parse(a, nullptr, false);
      if (!parsed.is_discarded() && parsed.is_object()) {
        // As the general path: a field set to null has no value.
        for (auto it = parsed.begin(); it != parsed.end();) it = it->is_null() ? parsed.erase(it) : std::next(it);
        out.answers_json = parsed.dump();
        return out;
      }
    }
  }
  if (IsChainInOrder(revs)) {
    if (std::optional<MergedState> chain = MergeChainInOrder(revs)) return std::move(*chain);
  }
  DALA_ASSIGN_OR_RETURN(Dag dag, BuildDag(revs));
  const size_t n = revs.size();
  std::vector<json> answers(n);
  std::set<std::string> fields;
  for (size_t i = 0; i < n; ++i) {
    try {
      answers[i] = json::parse(revs[i].answers_json);
    } catch (const json::exception&) {
      return Status::InvalidArgument("revision " + ToHex(revs[i].id) + " has answers that are not JSON");
    }
    if (!answers[i].is_object())
      return Status::InvalidArgument("revision " + ToHex(revs[i].id) + " has answers that are not an object");
    for (auto it = answers[i].begin(); it != answers[i].end(); ++it) fields.insert(it.key());
  }
  static const json kNull = nullptr;
  auto value = [&](size_t i, const std::string& f) -> const json& {
    auto it = answers[i].find(f);
    return it == answers[i].end() ? kNull : *it;
  };

  MergedState out;
  json merged = json::object();
  for (const std::string& f : fields) {
    std::vector<size_t> assigners;
    for (size_t i = 0; i < n; ++i) {
      const json& v = value(i, f);
      bool assigns = dag.parents[i].empty()
                         ? !v.is_null()
                         : std::any_of(dag.parents[i].begin(), dag.parents[i].end(),
                                       [&](size_t p) { return value(p, f) != v; });
      if (assigns) assigners.push_back(i);
    }
    // Candidates: assigners that no other assigner descends from.
    std::vector<FieldCandidate> best_per_value;
    std::vector<json> distinct;
    for (size_t a : assigners) {
      bool superseded = std::any_of(assigners.begin(), assigners.end(),
                                    [&](size_t b) { return b != a && dag.ancestors[b].Test(a); });
      if (superseded) continue;
      FieldCandidate c{value(a, f).dump(), revs[a].id, revs[a].hlc, revs[a].author};
      auto same = std::find(distinct.begin(), distinct.end(), value(a, f));
      if (same == distinct.end()) {
        distinct.push_back(value(a, f));
        best_per_value.push_back(std::move(c));
      } else {
        FieldCandidate& held = best_per_value[static_cast<size_t>(same - distinct.begin())];
        if (Later(c, held)) held = std::move(c);
      }
    }
    if (best_per_value.empty()) continue;
    std::vector<size_t> order(best_per_value.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(),
              [&](size_t x, size_t y) { return Later(best_per_value[x], best_per_value[y]); });
    const json& winner = distinct[order[0]];
    if (!winner.is_null()) merged[f] = winner;
    if (best_per_value.size() > 1) {
      FieldConflict conflict{f, {}};
      for (size_t k : order) conflict.candidates.push_back(best_per_value[k]);
      out.conflicts.push_back(std::move(conflict));
    }
  }
  for (size_t i = 0; i < n; ++i)
    if (!dag.has_child[i]) out.heads.push_back(revs[i].id);
  std::sort(out.heads.begin(), out.heads.end());
  out.answers_json = merged.dump();
  out.missing_parents = std::move(dag.missing);
  return out;
}

void MergeEditOnOnlyHead(json* merged, const json& edit) {
  json out = json::object();
  for (auto it = edit.begin(); it != edit.end(); ++it) {
    if (it->is_null()) continue;  // E removed it, or never had it
    auto before = merged->find(it.key());
    if (before != merged->end() && *before == *it) {
      out[it.key()] = std::move(*before);  // not assigned by E: the form it had
    } else {
      out[it.key()] = *it;
    }
  }
  *merged = std::move(out);
}

bool HoldsInexactInteger(const json& v) {
  constexpr uint64_t kExact = uint64_t{1} << 53;
  switch (v.type()) {
    case json::value_t::number_unsigned:
      return v.get<uint64_t>() > kExact;
    case json::value_t::number_integer: {
      const int64_t i = v.get<int64_t>();
      return i > static_cast<int64_t>(kExact) || i < -static_cast<int64_t>(kExact);
    }
    case json::value_t::array:
    case json::value_t::object:
      return std::any_of(v.begin(), v.end(), [](const json& x) { return HoldsInexactInteger(x); });
    default:
      return false;
  }
}

Hash MergedState::Digest() const {
  Sha256Builder b;
  b.Add("heads\n");
  for (const Hash& h : heads) b.Add(h.data(), h.size());
  b.Add("\nanswers\n").Add(answers_json).Add("\nconflicts\n");
  for (const FieldConflict& c : conflicts) {
    b.Add(c.field).Add("\n");
    for (const FieldCandidate& k : c.candidates) b.Add(k.value_json).Add("\t").Add(ToHex(k.revision)).Add("\n");
  }
  return b.Finish();
}

// --- review ----------------------------------------------------------------

const char* ReviewStateName(ReviewState state) {
  switch (state) {
    case ReviewState::kReceived: return "received";
    case ReviewState::kHasIssues: return "has_issues";
    case ReviewState::kApproved: return "approved";
    case ReviewState::kRejected: return "rejected";
  }
  return "received";
}

Result<ReviewState> ParseReviewState(std::string_view name) {
  for (ReviewState s : {ReviewState::kReceived, ReviewState::kHasIssues, ReviewState::kApproved,
                        ReviewState::kRejected}) {
    if (name == ReviewStateName(s)) return s;
  }
  return Status::InvalidArgument("unknown review state '" + std::string(name) +
                                 "' (received, has_issues, approved, rejected)");
}

ReviewSummary SummarizeReviews(const std::vector<MergeInput>& revisions, const std::vector<Hash>& heads,
                               const std::vector<ReviewInput>& reviews) {
  ReviewSummary out;
  if (reviews.empty()) return out;
  const ReviewInput* latest = &reviews[0];
  for (const ReviewInput& r : reviews)
    if (std::tie(r.hlc, r.id) > std::tie(latest->hlc, latest->id)) latest = &r;

  // Which revisions the review saw: its parents and all their ancestors.
  std::map<Hash, const MergeInput*> by_id;
  for (const MergeInput& m : revisions) by_id[m.id] = &m;
  std::set<Hash> seen;
  std::vector<Hash> stack(latest->parents.begin(), latest->parents.end());
  while (!stack.empty()) {
    Hash h = stack.back();
    stack.pop_back();
    if (!seen.insert(h).second) continue;
    auto it = by_id.find(h);
    if (it != by_id.end()) stack.insert(stack.end(), it->second->parents.begin(), it->second->parents.end());
  }
  bool covers = std::all_of(heads.begin(), heads.end(), [&](const Hash& h) { return seen.count(h) > 0; });
  if (!covers) {
    out.changed_since_review = true;
    out.by = latest->by;
    out.comment = latest->comment;
    return out;
  }
  out.state = latest->state;
  out.by = latest->by;
  out.comment = latest->comment;
  out.decided_by = latest->id;
  return out;
}

}  // namespace dala::sync
