// The merge and review-state cases (sync/BUNDLE.md, algorithms M and R),
// with their expected results stated by hand.
#include <algorithm>
#include <map>
#include <numeric>

#include "generate.h"

namespace dala::conformance {
namespace {

// An id that is the letter's byte 32 times: "A" is 4141...41.
std::string Id(char letter) {
  std::string out;
  for (int i = 0; i < 32; ++i) out += ToHex(std::string_view(&letter, 1));
  return out;
}
std::string Author(uint8_t b) { return std::string(64, "0123456789abcdef"[b & 15]); }
std::string Hlc(uint64_t ms, uint16_t counter = 0) {
  uint64_t packed = ((static_cast<uint64_t>(kWorldMs) + ms) << 16) | counter;
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, packed >>= 4) out[static_cast<size_t>(i)] = "0123456789abcdef"[packed & 15];
  return out;
}

struct Builder {
  json c;
  std::map<std::string, std::string> ids;  // name -> id

  Builder(const std::string& name, const std::string& comment) {
    c = {{"name", name}, {"comment", comment}, {"revisions", json::array()}, {"reviews", json::array()}};
  }
  std::string Of(const std::string& name) {
    auto it = ids.find(name);
    if (it != ids.end()) return it->second;
    // Ids ascend with the name's letter, so expected heads are easy to read.
    return ids[name] = Id(name[0]);
  }
  json Parents(const std::vector<std::string>& names) {
    json p = json::array();
    for (const auto& n : names) p.push_back(Of(n));
    return p;
  }
  Builder& Rev(const std::string& name, const std::vector<std::string>& parents, uint64_t hlc, uint8_t author,
               json answers) {
    c["revisions"].push_back({{"name", name},
                              {"id", Of(name)},
                              {"parents", Parents(parents)},
                              {"hlc", Hlc(hlc)},
                              {"author", Author(author)},
                              {"answers", std::move(answers)}});
    return *this;
  }
  Builder& Review(const std::string& name, const std::vector<std::string>& parents, uint64_t hlc,
                  const std::string& state) {
    c["reviews"].push_back({{"name", name}, {"id", Of(name)}, {"parents", Parents(parents)}, {"hlc", Hlc(hlc)},
                            {"state", state}});
    return *this;
  }
  // conflicts: field -> values, provisional winner first.
  json Expect(json answers, const std::vector<std::string>& heads, json conflicts,
              const std::string& review_state = "received") {
    json h = json::array();
    std::vector<std::string> sorted;
    for (const auto& n : heads) sorted.push_back(Of(n));
    std::sort(sorted.begin(), sorted.end());
    for (const auto& s : sorted) h.push_back(s);
    c["expect"] = {{"answers", std::move(answers)},
                   {"heads", h},
                   {"conflicts", std::move(conflicts)},
                   {"review_state", review_state}};
    std::vector<int> order(c["revisions"].size());
    std::iota(order.begin(), order.end(), 0);
    json orders = json::array();
    do orders.push_back(order);
    while (std::next_permutation(order.begin(), order.end()));
    c["orders"] = orders;
    return c;
  }
};

json Conflict(const std::string& field, json values) { return {{"field", field}, {"values", std::move(values)}}; }

}  // namespace

json MergeCases() {
  json out = json::array();
  out.push_back(Builder("one_root", "a single revision: its answers without null fields")
                    .Rev("A", {}, 1, 1, {{"q", 12}, {"r", "no"}, {"z", nullptr}})
                    .Expect({{"q", 12}, {"r", "no"}}, {"A"}, json::array()));
  Builder essay("essay_example", "the worked example of merge.cc: queue conflicts, ramp is taken from C");
  essay.Rev("A", {}, 1, 1, {{"queue", 12}, {"ramp", "no"}})
      .Rev("B", {"A"}, 2, 1, {{"queue", 15}, {"ramp", "no"}})
      .Rev("C", {"A"}, 3, 9, {{"queue", 14}, {"ramp", "yes"}});
  out.push_back(essay.Expect({{"queue", 14}, {"ramp", "yes"}}, {"B", "C"}, {Conflict("queue", {14, 15})}));
  Builder resolved("essay_resolution", "the coordinator resolves with R, parents B and C: one head, no conflict");
  resolved.Rev("A", {}, 1, 1, {{"queue", 12}, {"ramp", "no"}})
      .Rev("B", {"A"}, 2, 1, {{"queue", 15}, {"ramp", "no"}})
      .Rev("C", {"A"}, 3, 9, {{"queue", 14}, {"ramp", "yes"}})
      .Rev("R", {"B", "C"}, 4, 9, {{"queue", 15}, {"ramp", "yes"}});
  out.push_back(resolved.Expect({{"queue", 15}, {"ramp", "yes"}}, {"R"}, json::array()));
  out.push_back(Builder("tie_hlc_author_decides", "equal HLCs: the greater author key wins")
                    .Rev("A", {}, 1, 1, {{"x", 1}})
                    .Rev("B", {"A"}, 5, 0xe, {{"x", 2}})
                    .Rev("C", {"A"}, 5, 0x2, {{"x", 3}})
                    .Expect({{"x", 2}}, {"B", "C"}, {Conflict("x", {2, 3})}));
  out.push_back(Builder("tie_hlc_and_author_id_decides", "equal HLCs and authors: the greater id wins")
                    .Rev("A", {}, 1, 1, {{"x", 1}})
                    .Rev("B", {"A"}, 5, 3, {{"x", 2}})
                    .Rev("C", {"A"}, 5, 3, {{"x", 3}})
                    .Expect({{"x", 3}}, {"B", "C"}, {Conflict("x", {3, 2})}));
  out.push_back(Builder("same_change_on_both_sides", "both branches made the same change: no conflict")
                    .Rev("A", {}, 1, 1, {{"x", 1}})
                    .Rev("B", {"A"}, 2, 1, {{"x", 2}})
                    .Rev("C", {"A"}, 3, 2, {{"x", 2}})
                    .Expect({{"x", 2}}, {"B", "C"}, json::array()));
  out.push_back(Builder("cleared_against_changed", "one branch cleared x, the later one changed it: a conflict")
                    .Rev("A", {}, 1, 1, {{"x", 1}, {"y", 1}})
                    .Rev("B", {"A"}, 2, 1, {{"y", 1}})
                    .Rev("C", {"A"}, 3, 2, {{"x", 5}, {"y", 1}})
                    .Expect({{"x", 5}, {"y", 1}}, {"B", "C"}, {Conflict("x", {5, nullptr})}));
  out.push_back(Builder("cleared_wins", "the later branch cleared x: x has no answer, and is in conflict")
                    .Rev("A", {}, 1, 1, {{"x", 1}, {"y", 1}})
                    .Rev("B", {"A"}, 4, 1, {{"y", 1}})
                    .Rev("C", {"A"}, 3, 2, {{"x", 5}, {"y", 1}})
                    .Expect({{"y", 1}}, {"B", "C"}, {Conflict("x", {nullptr, 5})}));
  out.push_back(Builder("equal_numbers", "5.0 equals 5: the child does not assign x")
                    .Rev("A", {}, 1, 1, {{"x", 5}})
                    .Rev("B", {"A"}, 2, 1, {{"x", 5.0}})
                    .Expect({{"x", 5}}, {"B"}, json::array()));
  out.push_back(Builder("revert", "C sets x back to A's value: C assigns it")
                    .Rev("A", {}, 1, 1, {{"x", 1}})
                    .Rev("B", {"A"}, 2, 1, {{"x", 2}})
                    .Rev("C", {"B"}, 3, 1, {{"x", 1}})
                    .Expect({{"x", 1}}, {"C"}, json::array()));
  out.push_back(Builder("missing_parent", "B's parent M is not in the set: B counts as a root")
                    .Rev("B", {"M"}, 2, 1, {{"x", 2}})
                    .Rev("C", {"B"}, 3, 1, {{"x", 2}, {"y", 3}})
                    .Expect({{"x", 2}, {"y", 3}}, {"C"}, json::array()));
  out.push_back(Builder("different_fields", "each branch changed its own field: both are taken")
                    .Rev("A", {}, 1, 1, {{"x", 1}, {"y", 1}})
                    .Rev("B", {"A"}, 2, 1, {{"x", 2}, {"y", 1}})
                    .Rev("C", {"A"}, 3, 2, {{"x", 1}, {"y", 3}})
                    .Expect({{"x", 2}, {"y", 3}}, {"B", "C"}, json::array()));
  out.push_back(Builder("three_branches", "three values, the latest HLC first")
                    .Rev("A", {}, 1, 1, {{"x", 0}})
                    .Rev("B", {"A"}, 2, 1, {{"x", 1}})
                    .Rev("C", {"A"}, 3, 2, {{"x", 2}})
                    .Rev("D", {"A"}, 4, 3, {{"x", 3}})
                    .Expect({{"x", 3}}, {"B", "C", "D"}, {Conflict("x", {3, 2, 1})}));
  out.push_back(Builder("criss_cross", "D and E both merge B and C, choosing differently: a conflict again")
                    .Rev("A", {}, 1, 1, {{"x", 0}})
                    .Rev("B", {"A"}, 2, 1, {{"x", 1}})
                    .Rev("C", {"A"}, 3, 2, {{"x", 2}})
                    .Rev("D", {"B", "C"}, 4, 1, {{"x", 1}})
                    .Rev("E", {"B", "C"}, 5, 2, {{"x", 2}})
                    .Expect({{"x", 2}}, {"D", "E"}, {Conflict("x", {2, 1})}));
  out.push_back(Builder("review_covers_heads", "the review names the only head")
                    .Rev("A", {}, 1, 1, {{"x", 1}})
                    .Rev("B", {"A"}, 2, 1, {{"x", 2}})
                    .Review("V", {"B"}, 3, "approved")
                    .Expect({{"x", 2}}, {"B"}, json::array(), "approved"));
  out.push_back(Builder("revision_after_review", "a revision after the review: received again")
                    .Rev("A", {}, 1, 1, {{"x", 1}})
                    .Rev("B", {"A"}, 2, 1, {{"x", 2}})
                    .Review("V", {"B"}, 3, "has_issues")
                    .Rev("C", {"B"}, 4, 1, {{"x", 3}})
                    .Expect({{"x", 3}}, {"C"}, json::array(), "received"));
  out.push_back(Builder("review_of_an_older_head", "the review names A, the head is B: received")
                    .Rev("A", {}, 1, 1, {{"x", 1}})
                    .Rev("B", {"A"}, 2, 1, {{"x", 2}})
                    .Review("V", {"A"}, 3, "approved")
                    .Expect({{"x", 2}}, {"B"}, json::array(), "received"));
  out.push_back(Builder("latest_review_wins", "two reviews of the head: the greater HLC decides")
                    .Rev("A", {}, 1, 1, {{"x", 1}})
                    .Review("V", {"A"}, 4, "rejected")
                    .Review("W", {"A"}, 3, "approved")
                    .Expect({{"x", 1}}, {"A"}, json::array(), "rejected"));
  out.push_back(Builder("review_tie_id_decides", "two reviews with one HLC: the greater id decides")
                    .Rev("A", {}, 1, 1, {{"x", 1}})
                    .Review("V", {"A"}, 3, "rejected")
                    .Review("W", {"A"}, 3, "approved")
                    .Expect({{"x", 1}}, {"A"}, json::array(), "approved"));
  out.push_back(Builder("latest_review_misses_a_head",
                        "the earlier review covered both heads, the latest names one: received, the earlier "
                        "does not apply")
                    .Rev("A", {}, 1, 1, {{"x", 1}})
                    .Rev("B", {"A"}, 2, 1, {{"x", 2}})
                    .Rev("C", {"A"}, 3, 2, {{"y", 3}, {"x", 1}})
                    .Review("V", {"B", "C"}, 5, "approved")
                    .Review("W", {"B"}, 6, "has_issues")
                    .Expect({{"x", 2}, {"y", 3}}, {"B", "C"}, json::array(), "received"));
  out.push_back(Builder("review_names_a_missing_parent", "a parent of the review that is not a revision is ignored")
                    .Rev("A", {}, 1, 1, {{"x", 1}})
                    .Review("V", {"A", "M"}, 3, "approved")
                    .Expect({{"x", 1}}, {"A"}, json::array(), "approved"));
  return out;
}

}  // namespace dala::conformance
