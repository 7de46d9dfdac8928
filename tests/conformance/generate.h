// The conformance generator's parts (generate.cc runs them). Each part
// states its cases' expected verdicts by hand, from the documents; the
// checks in conformance_test.cc then hold Dala's code to them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "dala/base/hex.h"
#include "dala/base/status.h"
#include "dala/sync/crypto.h"
#include "dala/sync/ids.h"
#include "dala/sync/signature_domains.h"
#include "suite.h"

namespace dala::conformance {

using nlohmann::json;

// A key whose seed is 32 copies of `b`: anyone can rebuild the world.
inline sync::SigningKey WorldKey(uint8_t b) {
  uint8_t seed[sync::SigningKey::kSeedSize];
  for (uint8_t& x : seed) x = b;
  return sync::SigningKey::FromSeed(seed);
}

// The n-th submission of the world: a UUIDv7 made at kWorldMs + n.
inline sync::SubmissionId WorldSubmission(uint8_t n) {
  sync::SubmissionId id{};
  uint64_t ms = static_cast<uint64_t>(kWorldMs) + n;
  for (int i = 0; i < 6; ++i) id[static_cast<size_t>(i)] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
  id[6] = 0x70;
  id[8] = 0x80;
  id[15] = n;
  return id;
}

inline std::string Escaped(std::string_view s) {
  std::string out;
  for (char c : s) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

// Envelope cases as they accumulate.
class Cases {
 public:
  void Add(const std::string& name, const std::string& comment, const std::string& envelope,
           const std::string& expect) {
    cases_.push_back({{"name", name}, {"comment", comment}, {"envelope", ToHex(envelope)}, {"expect", expect}});
  }
  json Json() const { return cases_; }

 private:
  json cases_ = json::array();
};

json EnvelopeCases();
json MergeCases();
json ExpressionCases();
json ValidationCases();
// Writes the bundles, their receipts and checkpoints under `dir`; returns
// the index of bundle cases.
json BundleCases(const std::string& dir);
// The worked exchange of sync/CLIENTS.md as Markdown, made by Dala's own
// server code in `scratch_dir` (created and removed).
Result<std::string> WorkedExchange(const std::string& scratch_dir);
// The client conformance cases: signed requests with their verdicts, and
// sync answers a client must refuse.
json SignedRequestCases();
json RefusedAnswerCases();

}  // namespace dala::conformance
