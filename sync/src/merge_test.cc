#include "dala/sync/merge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

namespace dala::sync {
namespace {

using nlohmann::json;

PublicKey Key(uint8_t b) {
  PublicKey k{};
  k.fill(b);
  return k;
}

MergeInput Rev(const std::string& name, std::vector<std::string> parents, uint64_t hlc_ms, uint8_t author,
               const char* answers) {
  MergeInput m;
  m.id = Sha256(name);
  for (const auto& p : parents) m.parents.push_back(Sha256(p));
  m.hlc = HlcTimestamp::Make(hlc_ms, 0);
  m.author = Key(author);
  m.answers_json = answers;
  return m;
}

json Answers(const MergedState& s) { return json::parse(s.answers_json); }

TEST(MergeTest, SingleRevisionIsItsOwnState) {
  auto s = Merge({Rev("A", {}, 1, 1, R"({"queue":12,"ramp":"no"})")});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Answers(*s), json::parse(R"({"queue":12,"ramp":"no"})"));
  EXPECT_TRUE(s->conflicts.empty());
  ASSERT_EQ(s->heads.size(), 1u);
}

TEST(MergeTest, LinearHistoryGivesTheLatestRevision) {
  auto s = Merge({Rev("A", {}, 1, 1, R"({"queue":12,"ramp":"no"})"),
                  Rev("B", {"A"}, 2, 1, R"({"queue":13,"ramp":"no"})"),
                  Rev("C", {"B"}, 3, 2, R"({"queue":13})")});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Answers(*s), json::parse(R"({"queue":13})"));  // C removed ramp
  EXPECT_EQ(s->heads, std::vector<Hash>{Sha256("C")});
}

TEST(MergeTest, FieldChangedOnOneSideOnlyTakesThatChange) {
  auto s = Merge({Rev("A", {}, 1, 1, R"({"queue":12,"ramp":"no","notes":"x"})"),
                  Rev("B", {"A"}, 5, 1, R"({"queue":15,"ramp":"no","notes":"x"})"),
                  Rev("C", {"A"}, 3, 9, R"({"queue":12,"ramp":"yes","notes":"x"})")});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Answers(*s), json::parse(R"({"queue":15,"ramp":"yes","notes":"x"})"));
  EXPECT_TRUE(s->conflicts.empty());
  EXPECT_EQ(s->heads.size(), 2u);
}

TEST(MergeTest, FieldChangedOnBothSidesToDifferentValuesIsAConflictKeepingBoth) {
  auto s = Merge({Rev("A", {}, 1, 1, R"({"queue":12})"), Rev("B", {"A"}, 5, 1, R"({"queue":15})"),
                  Rev("C", {"A"}, 7, 9, R"({"queue":14})")});
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->conflicts.size(), 1u);
  const FieldConflict& c = s->conflicts[0];
  EXPECT_EQ(c.field, "queue");
  ASSERT_EQ(c.candidates.size(), 2u);
  EXPECT_EQ(c.candidates[0].value_json, "14");  // C has the later HLC
  EXPECT_EQ(c.candidates[0].revision, Sha256("C"));
  EXPECT_EQ(c.candidates[1].value_json, "15");
  EXPECT_EQ(Answers(*s)["queue"], 14);
}

TEST(MergeTest, EqualHlcIsBrokenByTheAuthorKey) {
  auto s = Merge({Rev("A", {}, 1, 1, R"({"q":1})"), Rev("B", {"A"}, 5, 3, R"({"q":2})"),
                  Rev("C", {"A"}, 5, 2, R"({"q":3})")});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Answers(*s)["q"], 2);  // author 0x03.. > 0x02..
}

TEST(MergeTest, SameChangeOnBothSidesIsNotAConflict) {
  auto s = Merge({Rev("A", {}, 1, 1, R"({"q":1})"), Rev("B", {"A"}, 5, 1, R"({"q":2})"),
                  Rev("C", {"A"}, 6, 2, R"({"q":2})")});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->conflicts.empty());
  EXPECT_EQ(Answers(*s)["q"], 2);
}

TEST(MergeTest, RemovalOnOneSideAgainstAChangeOnTheOtherIsAConflict) {
  auto s = Merge({Rev("A", {}, 1, 1, R"({"q":1,"n":"a"})"), Rev("B", {"A"}, 5, 1, R"({"q":1})"),
                  Rev("C", {"A"}, 3, 2, R"({"q":1,"n":"b"})")});
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->conflicts.size(), 1u);
  EXPECT_EQ(s->conflicts[0].candidates[0].value_json, "null");
  EXPECT_FALSE(Answers(*s).contains("n"));  // the later removal wins provisionally
}

TEST(MergeTest, ResolutionWithBothHeadsAsParentsEndsTheConflict) {
  auto s = Merge({Rev("A", {}, 1, 1, R"({"queue":12,"ramp":"no"})"),
                  Rev("B", {"A"}, 5, 1, R"({"queue":15,"ramp":"no"})"),
                  Rev("C", {"A"}, 7, 9, R"({"queue":14,"ramp":"yes"})"),
                  Rev("R", {"B", "C"}, 8, 9, R"({"queue":15,"ramp":"yes"})")});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->conflicts.empty());
  EXPECT_EQ(Answers(*s), json::parse(R"({"queue":15,"ramp":"yes"})"));
  EXPECT_EQ(s->heads, std::vector<Hash>{Sha256("R")});
}

TEST(MergeTest, EditConcurrentWithAResolutionConflictsAgain) {
  auto s = Merge({Rev("A", {}, 1, 1, R"({"q":1})"), Rev("B", {"A"}, 5, 1, R"({"q":2})"),
                  Rev("C", {"A"}, 7, 9, R"({"q":3})"), Rev("R", {"B", "C"}, 8, 9, R"({"q":3})"),
                  Rev("B2", {"B"}, 9, 1, R"({"q":4})")});
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->conflicts.size(), 1u);
  EXPECT_EQ(Answers(*s)["q"], 4);
}

TEST(MergeTest, MissingParentIsReportedAndTheRestStillMerges) {
  auto s = Merge({Rev("B", {"A"}, 5, 1, R"({"q":2})")});
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->missing_parents.size(), 1u);
  EXPECT_EQ(s->missing_parents[0], Sha256("A"));
  EXPECT_EQ(Answers(*s)["q"], 2);
}

TEST(MergeTest, CycleRepeatedIdAndBadAnswersAreRefused) {
  EXPECT_FALSE(Merge({Rev("A", {"B"}, 1, 1, "{}"), Rev("B", {"A"}, 1, 1, "{}")}).ok());
  EXPECT_FALSE(Merge({Rev("A", {}, 1, 1, "{}"), Rev("A", {}, 1, 1, "{}")}).ok());
  EXPECT_FALSE(Merge({Rev("A", {}, 1, 1, "[1]")}).ok());
  EXPECT_FALSE(Merge({Rev("A", {}, 1, 1, "{")}).ok());
  // The same in chain order, which Merge folds without the DAG.
  EXPECT_FALSE(Merge({Rev("A", {}, 1, 1, "{}"), Rev("A", {"A"}, 2, 1, "{}")}).ok());
  EXPECT_FALSE(Merge({Rev("A", {}, 1, 1, "{}"), Rev("B", {"A"}, 2, 1, "[1]")}).ok());
  EXPECT_FALSE(Merge({Rev("A", {}, 1, 1, "null"), Rev("B", {"A"}, 2, 1, "{}")}).ok());
  EXPECT_FALSE(Merge({Rev("A", {}, 1, 1, "{}"), Rev("B", {"A"}, 2, 1, "{\"a\":")}).ok());
}

TEST(MergeTest, OrderOfArrivalDoesNotChangeTheState) {
  std::vector<MergeInput> revs = {
      Rev("A", {}, 1, 1, R"({"a":1,"b":1,"c":1})"), Rev("B", {"A"}, 5, 1, R"({"a":2,"b":1,"c":1})"),
      Rev("C", {"A"}, 4, 2, R"({"a":3,"b":2,"c":1})"), Rev("D", {"B"}, 6, 1, R"({"a":2,"b":1,"c":5})"),
      Rev("E", {"C", "D"}, 9, 3, R"({"a":3,"b":2,"c":5})"), Rev("F", {"C"}, 7, 2, R"({"a":3,"b":9,"c":1})")};
  auto reference = Merge(revs);
  ASSERT_TRUE(reference.ok());
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::shuffle(revs.begin(), revs.end(), rng);
    auto s = Merge(revs);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->Digest(), reference->Digest());
  }
}

// --- convergence property ------------------------------------------------------
//
// Several replicas each hold a set of revisions. In a random schedule they
// edit (a new revision on their current state, parents = their heads,
// random changes to random fields; sometimes a resolution that picks values
// for every conflict) and exchange (a random pair, or a random partition in
// which every member gets the union of the group). When everyone finally
// has everything, every replica must compute the same state digest, and
// that state must match each replica's own view of the whole set.

struct Replica {
  std::map<Hash, MergeInput> revisions;
  uint64_t clock_ms = 0;
  uint64_t hlc = 0;
  uint8_t key = 0;
};

std::vector<MergeInput> All(const Replica& r) {
  std::vector<MergeInput> v;
  for (const auto& [id, m] : r.revisions) v.push_back(m);
  return v;
}

void Exchange(std::vector<Replica*> group) {
  std::map<Hash, MergeInput> all;
  uint64_t max_hlc = 0;
  for (Replica* r : group) {
    all.insert(r->revisions.begin(), r->revisions.end());
    max_hlc = std::max(max_hlc, r->hlc);
  }
  for (Replica* r : group) {
    r->revisions = all;
    r->hlc = std::max(r->hlc, max_hlc);  // HLC receive rule
  }
}

void Edit(Replica& r, std::mt19937& rng, int* counter) {
  static const char* kFields[] = {"queue", "ramp", "notes", "clean", "fees"};
  json answers = json::object();
  std::vector<Hash> parents;
  if (!r.revisions.empty()) {
    auto state = Merge(All(r));
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    answers = json::parse(state->answers_json);
    parents = state->heads;
    // Sometimes resolve: take a random candidate for every conflict.
    if (!state->conflicts.empty() && rng() % 3 == 0) {
      for (const FieldConflict& c : state->conflicts) {
        const auto& pick = c.candidates[rng() % c.candidates.size()];
        json v = json::parse(pick.value_json);
        if (v.is_null()) answers.erase(c.field);
        else answers[c.field] = v;
      }
    }
  }
  int changes = 1 + static_cast<int>(rng() % 2);
  for (int k = 0; k < changes; ++k) {
    const char* f = kFields[rng() % 5];
    switch (rng() % 4) {
      case 0: answers.erase(f); break;
      case 1: answers[f] = static_cast<int>(rng() % 4); break;
      case 2: answers[f] = std::string("v") + std::to_string(rng() % 3); break;
      default: answers[f] = json::array({1, 2}); break;
    }
  }
  r.clock_ms += 1 + rng() % 50;
  r.hlc = std::max(r.hlc + 1, r.clock_ms << 16);
  MergeInput m;
  m.id = Sha256("rev" + std::to_string((*counter)++));
  m.parents = parents;
  m.hlc = HlcTimestamp{r.hlc};
  m.author = Key(r.key);
  m.answers_json = answers.dump();
  r.revisions[m.id] = m;
}

TEST(MergePropertyTest, ReplicasThatExchangedEverythingHoldIdenticalState) {
  std::mt19937 rng(20261127);
  int counter = 0;
  int schedules_with_conflicts = 0;
  for (int schedule = 0; schedule < 3000; ++schedule) {
    const int n = 2 + static_cast<int>(rng() % 4);
    std::vector<Replica> replicas(n);
    for (int i = 0; i < n; ++i) {
      replicas[i].key = static_cast<uint8_t>(i + 1);
      replicas[i].clock_ms = 1000 + rng() % 5000;  // skewed clocks
    }
    // Everyone starts from one creation, as a submission is created once.
    Edit(replicas[0], rng, &counter);
    std::vector<Replica*> everyone;
    for (auto& r : replicas) everyone.push_back(&r);
    if (rng() % 2) Exchange(everyone);

    const int steps = 4 + static_cast<int>(rng() % 16);
    bool saw_conflict = false;
    for (int s = 0; s < steps; ++s) {
      int action = static_cast<int>(rng() % 3);
      if (action == 0) {
        Replica& r = replicas[rng() % n];
        if (!r.revisions.empty()) Edit(r, rng, &counter);
      } else if (action == 1) {
        Exchange({&replicas[rng() % n], &replicas[rng() % n]});
      } else {
        std::vector<Replica*> group;  // a random partition's side
        for (auto& r : replicas)
          if (rng() % 2) group.push_back(&r);
        Exchange(group);
      }
      for (auto& r : replicas) {
        if (r.revisions.empty()) continue;
        auto st = Merge(All(r));
        ASSERT_TRUE(st.ok());
        saw_conflict = saw_conflict || !st->conflicts.empty();
      }
    }
    Exchange(everyone);
    auto first = Merge(All(replicas[0]));
    ASSERT_TRUE(first.ok());
    EXPECT_TRUE(first->missing_parents.empty());
    for (int i = 1; i < n; ++i) {
      // Each replica merges its own copy, in its own (shuffled) order.
      std::vector<MergeInput> mine = All(replicas[i]);
      std::shuffle(mine.begin(), mine.end(), rng);
      auto st = Merge(mine);
      ASSERT_TRUE(st.ok());
      ASSERT_EQ(st->Digest(), first->Digest()) << "schedule " << schedule << " replica " << i;
    }
    schedules_with_conflicts += saw_conflict;
  }
  // The schedules must actually exercise conflicts, or the test proves little.
  EXPECT_GT(schedules_with_conflicts, 300);
}

// --- review state ----------------------------------------------------------------

ReviewInput Review(const std::string& name, std::vector<std::string> parents, uint64_t hlc, ReviewState state,
                   const char* comment = "") {
  ReviewInput r;
  r.id = Sha256(name);
  for (const auto& p : parents) r.parents.push_back(Sha256(p));
  r.hlc = HlcTimestamp::Make(hlc, 0);
  r.state = state;
  r.by = "aigerim";
  r.comment = comment;
  return r;
}

TEST(ReviewTest, NoReviewMeansReceived) {
  std::vector<MergeInput> revs = {Rev("A", {}, 1, 1, "{}")};
  auto s = SummarizeReviews(revs, {Sha256("A")}, {});
  EXPECT_EQ(s.state, ReviewState::kReceived);
  EXPECT_FALSE(s.changed_since_review);
}

TEST(ReviewTest, LatestReviewOfTheCurrentHeadDecides) {
  std::vector<MergeInput> revs = {Rev("A", {}, 1, 1, "{}")};
  auto s = SummarizeReviews(revs, {Sha256("A")},
                            {Review("r1", {"A"}, 5, ReviewState::kHasIssues, "queue looks wrong"),
                             Review("r2", {"A"}, 9, ReviewState::kApproved)});
  EXPECT_EQ(s.state, ReviewState::kApproved);
  EXPECT_EQ(s.decided_by, Sha256("r2"));
}

TEST(ReviewTest, FixAfterHasIssuesReturnsToReceivedUntilReviewedAgain) {
  std::vector<MergeInput> revs = {Rev("A", {}, 1, 1, "{}"), Rev("B", {"A"}, 8, 1, "{}")};
  std::vector<ReviewInput> reviews = {Review("r1", {"A"}, 5, ReviewState::kHasIssues, "fix the queue")};
  auto s = SummarizeReviews(revs, {Sha256("B")}, reviews);
  EXPECT_EQ(s.state, ReviewState::kReceived);
  EXPECT_TRUE(s.changed_since_review);
  EXPECT_EQ(s.comment, "fix the queue");
  reviews.push_back(Review("r2", {"B"}, 9, ReviewState::kApproved));
  EXPECT_EQ(SummarizeReviews(revs, {Sha256("B")}, reviews).state, ReviewState::kApproved);
}

TEST(ReviewTest, ReviewStateNamesRoundTripAndUnknownNamesAreRefused) {
  for (auto s : {ReviewState::kReceived, ReviewState::kHasIssues, ReviewState::kApproved, ReviewState::kRejected}) {
    auto parsed = ParseReviewState(ReviewStateName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_FALSE(ParseReviewState("accepted").ok());
  EXPECT_FALSE(ParseReviewState("").ok());
}

}  // namespace
}  // namespace dala::sync

namespace dala::sync {
namespace {

// The one-revision shortcut must give what the general path gives.
TEST(MergeTest, SingleRevisionShortcutAgreesWithTheGeneralPath) {
  const char* answers = R"({"b":2,"a":null,"c":{"x":1}})";
  auto single = Merge({Rev("A", {}, 1, 1, answers)});
  // Two identical-content revisions out of chain order take the general path.
  auto chain = Merge({Rev("B", {"A"}, 2, 1, answers), Rev("A", {}, 1, 1, answers)});
  ASSERT_TRUE(single.ok() && chain.ok());
  EXPECT_EQ(single->answers_json, chain->answers_json);
  EXPECT_EQ(single->answers_json, R"({"b":2,"c":{"x":1}})");
  auto bad = Merge({Rev("A", {}, 1, 1, "[1]")});
  EXPECT_FALSE(bad.ok());
}

// --- one edit on the only head ----------------------------------------------------

// A value equal to `v` by JSON equality, printed differently where it can
// be: 5 as 5.0, in arrays and objects too.
json Restyled(const json& v) {
  if (v.is_number_unsigned()) return static_cast<double>(v.get<uint64_t>());
  if (v.is_number_integer()) return static_cast<double>(v.get<int64_t>());
  if (v.is_array() || v.is_object()) {
    json out = v;
    for (auto& x : out) x = Restyled(x);
    return out;
  }
  return v;
}

// The shortcut's answers after `edit` on the state `before`, as text.
std::string EditedByShortcut(const MergedState& before, const char* edit) {
  json merged = json::parse(before.answers_json);
  MergeEditOnOnlyHead(&merged, json::parse(edit));
  return merged.dump();
}

TEST(MergeTest, EditOnTheOnlyHeadKeepsTheFormOfAnUnchangedValueAndDropsWhatItLeavesOut) {
  MergeInput a = Rev("A", {}, 1, 1, R"({"queue":15,"ramp":"no","notes":"x","fees":[1,2]})");
  const char* edit = R"({"queue":15.0,"ramp":"yes","fees":null,"note":"new"})";
  auto before = Merge({a});
  auto all = Merge({a, Rev("E", {"A"}, 2, 1, edit)});
  ASSERT_TRUE(before.ok() && all.ok());
  // queue kept as A wrote it; ramp changed; fees set to null and notes
  // left out, so both gone; note added.
  EXPECT_EQ(all->answers_json, R"({"note":"new","queue":15,"ramp":"yes"})");
  EXPECT_EQ(EditedByShortcut(*before, edit), all->answers_json);
}

TEST(MergeTest, EditOnTheOnlyHeadAfterAResolvedConflictAgreesWithTheGeneralPath) {
  // B and C conflict on queue; R resolves with both as parents; E edits R.
  std::vector<MergeInput> revs = {Rev("A", {}, 1, 1, R"({"queue":12,"ramp":"no"})"),
                                  Rev("B", {"A"}, 2, 1, R"({"queue":15,"ramp":"no"})"),
                                  Rev("C", {"A"}, 3, 2, R"({"queue":14,"ramp":"yes"})"),
                                  Rev("R", {"B", "C"}, 4, 2, R"({"queue":15.0,"ramp":"yes"})")};
  auto before = Merge(revs);
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->heads.size(), 1u);
  ASSERT_TRUE(before->conflicts.empty());
  const char* edit = R"({"queue":15,"ramp":"yes","clean":true})";
  revs.push_back(Rev("E", {"R"}, 5, 1, edit));
  auto all = Merge(revs);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->answers_json, R"({"clean":true,"queue":15.0,"ramp":"yes"})");  // R set queue, as 15.0
  EXPECT_EQ(EditedByShortcut(*before, edit), all->answers_json);
}

// Histories of every shape the convergence test makes (concurrent edits,
// conflicts, resolutions), each ended by an edit on its only head that
// changes, removes, nulls, adds and restyles fields at random: the
// shortcut must print what Merge of every revision prints.
TEST(MergePropertyTest, EditOnTheOnlyHeadGivesWhatMergingEveryRevisionGives) {
  std::mt19937 rng(20261206);
  int counter = 0;
  int restyled_kept = 0;
  for (int schedule = 0; schedule < 1500; ++schedule) {
    const int n = 1 + static_cast<int>(rng() % 3);
    std::vector<Replica> replicas(n);
    std::vector<Replica*> everyone;
    for (int i = 0; i < n; ++i) {
      replicas[i].key = static_cast<uint8_t>(i + 1);
      replicas[i].clock_ms = 1000 + rng() % 5000;
      everyone.push_back(&replicas[i]);
    }
    Edit(replicas[0], rng, &counter);
    Exchange(everyone);
    const int steps = static_cast<int>(rng() % 10);
    for (int s = 0; s < steps; ++s) {
      if (rng() % 2) {
        Edit(replicas[rng() % n], rng, &counter);
      } else {
        Exchange({&replicas[rng() % n], &replicas[rng() % n]});
      }
    }
    Exchange(everyone);
    Edit(replicas[0], rng, &counter);  // on every head: one head after it
    auto before = Merge(All(replicas[0]));
    ASSERT_TRUE(before.ok());
    ASSERT_EQ(before->heads.size(), 1u);
    ASSERT_TRUE(before->conflicts.empty());

    json edit = json::parse(before->answers_json);
    for (auto& [field, value] : edit.items()) {
      switch (rng() % 6) {
        case 0: value = Restyled(value); break;
        case 1: value = nullptr; break;
        case 2: value = static_cast<int>(rng() % 4); break;
        case 3: value = 0.5 * static_cast<double>(rng() % 6); break;  // 1.0 equals 1
        default: break;  // as it was
      }
    }
    if (!edit.empty() && rng() % 2) edit.erase(edit.begin());
    if (rng() % 2) edit["added"] = json::array({rng() % 3, 2.0});
    MergeInput e;
    e.id = Sha256("edit" + std::to_string(counter++));
    e.parents = before->heads;
    e.hlc = HlcTimestamp{replicas[0].hlc + 1};
    e.author = Key(static_cast<uint8_t>(1 + rng() % 3));
    e.answers_json = edit.dump();
    std::vector<MergeInput> all = All(replicas[0]);
    all.push_back(e);
    std::shuffle(all.begin(), all.end(), rng);
    auto after = Merge(all);
    ASSERT_TRUE(after.ok());
    std::string shortcut = EditedByShortcut(*before, e.answers_json.c_str());
    ASSERT_EQ(shortcut, after->answers_json) << "schedule " << schedule << "\nbefore " << before->answers_json
                                             << "\nedit " << e.answers_json;
    EXPECT_EQ(after->heads, std::vector<Hash>{e.id});
    EXPECT_TRUE(after->conflicts.empty());
    // Count the restyled values the shortcut had to keep in their old form.
    json before_answers = json::parse(before->answers_json);
    for (auto& [field, value] : edit.items()) {
      auto old = before_answers.find(field);
      restyled_kept += old != before_answers.end() && *old == value && old->dump() != value.dump();
    }
  }
  // The histories must hold values that an edit restyles, or the test
  // proves little about the form kept.
  EXPECT_GT(restyled_kept, 200);
}

TEST(MergeTest, IntegersBeyondTwoToThe53rdTakeTheGeneralPathInChainOrderToo) {
  // 2^53 + 1 equals the float 2^53, which equals 2^53, but 2^53 + 1 does
  // not equal 2^53: the fold, comparing with the merged value, would keep
  // a value the general path, comparing with each parent, does not.
  for (auto values : {std::vector<const char*>{"9007199254740993", "9007199254740992.0", "9007199254740992"},
                      std::vector<const char*>{"-1", "18446744073709551615", "1.8446744073709552e19"},
                      std::vector<const char*>{"[9007199254740993]", "[9007199254740992.0]", "[9007199254740992]"}}) {
    std::vector<MergeInput> chain;
    std::string parent;
    for (size_t k = 0; k < values.size(); ++k) {
      const std::string name = "R" + std::to_string(k);
      chain.push_back(Rev(name, parent.empty() ? std::vector<std::string>{} : std::vector<std::string>{parent},
                          1 + k, 1, (std::string(R"({"n":)") + values[k] + "}").c_str()));
      parent = name;
    }
    auto in_order = Merge(chain);
    std::vector<MergeInput> reversed(chain.rbegin(), chain.rend());
    auto general = Merge(reversed);
    ASSERT_TRUE(in_order.ok() && general.ok());
    EXPECT_EQ(in_order->answers_json, general->answers_json) << values[0];
  }
  EXPECT_TRUE(HoldsInexactInteger(json::parse(R"({"a":[{"b":-9007199254740993}]})")));
  EXPECT_TRUE(HoldsInexactInteger(json::parse("18446744073709551615")));
  EXPECT_FALSE(HoldsInexactInteger(json::parse(R"({"a":[9007199254740992,-9007199254740992,1e300,"9007199254740993"]})")));
}

// Chains of edits (each revision's only parent the one before), given in
// chain order as a log holds them, which Merge folds edit by edit, and
// reversed, which takes the per-field search over the DAG: the same bytes,
// one head, no conflicts. The edits restyle, null, remove, change and add
// fields, at the top and inside arrays.
TEST(MergePropertyTest, ChainInOrderGivesWhatTheGeneralPathGives) {
  std::mt19937 rng(20261207);
  static const char* kFields[] = {"queue", "ramp", "notes", "clean", "fees", "visits"};
  auto random_value = [&]() -> json {
    switch (rng() % 7) {
      case 0: return nullptr;
      case 1: return static_cast<int>(rng() % 4);
      case 2: return 0.5 * static_cast<double>(rng() % 6);  // 1.0 equals 1
      case 3: return std::string("v") + std::to_string(rng() % 3);
      case 4: return json::array({static_cast<int>(rng() % 3), 2.0});
      case 5: return json::array({json{{"n", static_cast<int>(rng() % 2)}}});
      default: return rng() % 2 == 0;
    }
  };
  int restyled_kept = 0;
  int nulls_dropped = 0;
  for (int history = 0; history < 2000; ++history) {
    const int length = 2 + static_cast<int>(rng() % 5);
    std::vector<MergeInput> chain;
    json answers = json::object();
    for (const char* f : kFields)
      if (rng() % 3 != 0) answers[f] = random_value();
    for (int k = 0; k < length; ++k) {
      if (k > 0) {
        for (const char* f : kFields) {
          switch (rng() % 6) {
            case 0: if (answers.contains(f)) answers[f] = Restyled(answers[f]); break;
            case 1: answers.erase(f); break;
            case 2: answers[f] = random_value(); break;
            default: break;  // as it was
          }
        }
      }
      MergeInput m;
      m.id = Sha256("chain" + std::to_string(history) + "/" + std::to_string(k));
      if (k > 0) m.parents = {chain.back().id};
      m.hlc = HlcTimestamp::Make(1000 + static_cast<uint64_t>(k), 0);
      m.author = Key(static_cast<uint8_t>(1 + rng() % 3));
      m.answers_json = answers.dump();
      chain.push_back(std::move(m));
    }
    auto folded = Merge(chain);
    std::vector<MergeInput> reversed(chain.rbegin(), chain.rend());
    auto general = Merge(reversed);
    ASSERT_TRUE(folded.ok() && general.ok());
    ASSERT_EQ(folded->answers_json, general->answers_json) << "history " << history;
    EXPECT_EQ(folded->heads, std::vector<Hash>{chain.back().id});
    EXPECT_EQ(folded->Digest(), general->Digest());
    EXPECT_TRUE(folded->conflicts.empty() && folded->missing_parents.empty());
    // Count what makes the fold more than "the last revision's text".
    json last = json::parse(chain.back().answers_json);
    json state = json::parse(folded->answers_json);
    for (auto& [field, value] : last.items()) {
      if (value.is_null()) ++nulls_dropped;
      auto kept = state.find(field);
      restyled_kept += kept != state.end() && kept->dump() != value.dump();
    }
  }
  // Enough values whose form the fold kept from an earlier revision, and
  // nulls it dropped, for the comparison to prove something.
  EXPECT_GT(restyled_kept, 200);
  EXPECT_GT(nulls_dropped, 200);
}

}  // namespace
}  // namespace dala::sync
