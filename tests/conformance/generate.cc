// Writes the conformance suite (tests/vectors/conformance/README.md) into
// a directory, from a fixed world: keys from fixed seeds, a fake clock, no
// randomness, so the same program writes the same bytes.
//
//   dala_conformance_gen DIR
//
// The committed suite is this program's output; the ctest
// conformance_suite_is_current regenerates it and fails on any difference.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "dala/sync/crypto.h"
#include "generate.h"

namespace {

void WriteJson(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path, std::ios::binary);
  out << j.dump(1, ' ', false, nlohmann::json::error_handler_t::strict) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dala::conformance;
  if (argc != 2) {
    std::cerr << "usage: dala_conformance_gen DIR\n";
    return 2;
  }
  if (!dala::sync::InitCrypto().ok()) return 1;
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  WriteJson(dir + "/envelopes.json", {{"suite", "envelopes"}, {"cases", EnvelopeCases()}});
  WriteJson(dir + "/merges.json", {{"suite", "merges"}, {"cases", MergeCases()}});
  WriteJson(dir + "/expressions.json",
            {{"suite", "expressions"}, {"form", ExpressionFormBase()}, {"cases", ExpressionCases()}});
  WriteJson(dir + "/validation.json",
            {{"suite", "validation"}, {"form", nlohmann::json::parse(kTallyForm)}, {"cases", ValidationCases()}});
  WriteJson(dir + "/bundles.json", BundleCases(dir));
  WriteJson(dir + "/client.json", {{"suite", "client"},
                                   {"signed_requests", SignedRequestCases()},
                                   {"refused_answers", RefusedAnswerCases()}});
  auto exchange = WorkedExchange(dir + ".exchange-scratch");
  if (!exchange.ok()) {
    std::cerr << "dala_conformance_gen: " << exchange.status().ToString() << "\n";
    return 1;
  }
  std::ofstream(dir + "/worked_exchange.md", std::ios::binary) << *exchange;
  return 0;
}
