// Holds Dala's own code to the committed conformance suite
// (tests/vectors/conformance/): the envelope checks, merge and review
// state, expressions and validation through the libraries the server and
// the laptop use, and every bundle case through `dala audit verify`.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "dala/schema/form.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merge.h"
#include "dala/sync/verify.h"
#include "e2e_util.h"
#include "suite.h"

namespace dala::conformance {
namespace {

using nlohmann::json;

const std::string kSuite = DALA_SOURCE_DIR "/tests/vectors/conformance";

json Load(const std::string& name) {
  std::ifstream in(kSuite + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

template <size_t N>
std::array<uint8_t, N> Bytes(const json& hex) {
  std::array<uint8_t, N> out{};
  EXPECT_TRUE(FromHex(hex.get<std::string>(), &out)) << hex;
  return out;
}

// The verdict README's conditions 1-10a give one envelope.
std::string EnvelopeVerdict(const std::string& bytes) {
  auto e = sync::Envelope::Parse(bytes);
  if (!e.ok()) return "envelope.malformed";
  if (!e->VerifySignature().ok()) return "envelope.bad_signature";
  if (e->kind() == sync::EnvelopeKind::kRevision)
    return sync::ParseRevisionBody(e->body()).ok() ? "ok" : "revision.body_invalid";
  return sync::ParseEventBody(e->body()).ok() ? "ok" : "event.invalid";
}

TEST(Conformance, EveryEnvelopeCaseGetsItsVerdict) {
  ASSERT_TRUE(sync::InitCrypto().ok());
  json suite = Load("envelopes.json");
  ASSERT_GT(suite["cases"].size(), 50u);
  for (const json& c : suite["cases"]) {
    auto bytes = FromHex(c["envelope"].get<std::string>());
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(EnvelopeVerdict(*bytes), c["expect"]) << c["name"] << ": " << c["comment"];
  }
}

TEST(Conformance, EveryMergeCaseGivesItsStateInEveryArrivalOrder) {
  json suite = Load("merges.json");
  ASSERT_GT(suite["cases"].size(), 15u);
  for (const json& c : suite["cases"]) {
    std::vector<sync::MergeInput> given;
    for (const json& r : c["revisions"]) {
      sync::MergeInput m{Bytes<32>(r["id"]), {}, {}, Bytes<32>(r["author"]), r["answers"].dump()};
      for (const json& p : r["parents"]) m.parents.push_back(Bytes<32>(p));
      m.hlc.packed = std::stoull(r["hlc"].get<std::string>(), nullptr, 16);
      given.push_back(std::move(m));
    }
    std::vector<sync::ReviewInput> reviews;
    for (const json& r : c["reviews"]) {
      sync::ReviewInput v{Bytes<32>(r["id"]), {}, {}, *sync::ParseReviewState(r["state"].get<std::string>())};
      for (const json& p : r["parents"]) v.parents.push_back(Bytes<32>(p));
      v.hlc.packed = std::stoull(r["hlc"].get<std::string>(), nullptr, 16);
      reviews.push_back(std::move(v));
    }
    for (const json& order : c["orders"]) {
      std::vector<sync::MergeInput> revs;
      for (const json& k : order) revs.push_back(given[k.get<size_t>()]);
      std::string where = c["name"].get<std::string>() + " in order " + order.dump();
      auto m = sync::Merge(revs);
      ASSERT_TRUE(m.ok()) << where;
      EXPECT_EQ(json::parse(m->answers_json), c["expect"]["answers"]) << where;
      json heads = json::array();
      for (const auto& h : m->heads) heads.push_back(ToHex(h));
      EXPECT_EQ(heads, c["expect"]["heads"]) << where;
      json conflicts = json::array();
      for (const auto& f : m->conflicts) {
        json values = json::array();
        for (const auto& k : f.candidates) values.push_back(json::parse(k.value_json));
        conflicts.push_back({{"field", f.field}, {"values", values}});
      }
      EXPECT_EQ(conflicts, c["expect"]["conflicts"]) << where;
      std::reverse(reviews.begin(), reviews.end());  // arrival order does not matter to reviews either
      EXPECT_EQ(ReviewStateName(sync::SummarizeReviews(revs, m->heads, reviews).state), c["expect"]["review_state"])
          << where;
    }
  }
}

TEST(Conformance, EveryExpressionCaseGivesItsValueAtTheClaimedTime) {
  json suite = Load("expressions.json");
  EXPECT_EQ(suite["form"], ExpressionFormBase());
  for (const json& c : suite["cases"]) {
    auto form = schema::Form::Load(ExpressionForm(c["expression"]).dump());
    ASSERT_TRUE(form.ok()) << c["name"] << ": " << form.status().ToString();
    json answers = c["answers"];
    FakeClock clock(c["wall_ms"].get<int64_t>(), c["tz"].get<int32_t>());
    (*form)->Recalculate(&answers, clock);
    json got = answers.contains("x") ? answers["x"] : json(nullptr);
    EXPECT_EQ(got, c["expect"]) << c["name"] << ": " << c["expression"];
  }
}

TEST(Conformance, EveryValidationCaseGivesItsProblemsAtTheClaimedTime) {
  json suite = Load("validation.json");
  EXPECT_EQ(suite["form"], json::parse(kTallyForm));
  auto form = schema::Form::Load(kTallyForm);
  ASSERT_TRUE(form.ok());
  for (const json& c : suite["cases"]) {
    FakeClock clock(c["wall_ms"].get<int64_t>(), c["tz"].get<int32_t>());
    json got = json::array();
    for (const auto& p : (*form)->Validate(c["answers"], clock, "en"))
      got.push_back({{"field", p.field}, {"message", p.message}});
    EXPECT_EQ(got, c["expect"]) << c["name"];
  }
}

TEST(Conformance, EveryBundleCaseGetsItsProblemsFromDalaAuditVerify) {
  json suite = Load("bundles.json");
  ASSERT_GE(suite["cases"].size(), 21u);
  for (const json& c : suite["cases"]) {
    std::vector<std::string> argv = {DALA_BINARY_DIR "/client/dala", "audit", "verify",
                                     kSuite + "/" + c["bundle"].get<std::string>(), "--server-key",
                                     suite["server_key"].get<std::string>(), "--json", "--threads", "1"};
    if (!c["receipts"].is_null()) argv.insert(argv.end(), {"--receipts", kSuite + "/" + c["receipts"].get<std::string>()});
    for (const json& f : c["checkpoints"]) argv.insert(argv.end(), {"--checkpoint", kSuite + "/" + f.get<std::string>()});
    if (!c["strict_after"].is_null()) argv.insert(argv.end(), {"--strict-after", c["strict_after"].get<std::string>()});
    auto r = e2e::RunCommand(argv);
    EXPECT_EQ(r.exit_code, c["expect"].empty() ? 0 : 1) << c["name"] << "\n" << r.err;
    json report = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << c["name"] << ": " << r.out << r.err;
    std::set<std::string> codes;
    for (const json& p : report["problems"]) codes.insert(p["code"].get<std::string>());
    EXPECT_EQ(json(codes), c["expect"]) << c["name"] << ": " << c["comment"];
  }
}

}  // namespace
}  // namespace dala::conformance
