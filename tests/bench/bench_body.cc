// Each step of checking one revision, alone, on one core: the signature,
// the body's strict JSON parse, the JSON library's lexing by itself, the
// same body parsed by another library (simdjson, where it was found at
// build time: what a faster parser would cost), the answers printed
// canonically, the answers validated against their form, and the log
// leaf's hash. scripts/bench runs it on the revisions of the
// audit bundle, to show beside the audit's rate what each step costs and
// which of them no change to Dala's own code can make cheaper: the
// lexing is nlohmann/json's, under any parse that uses it.
//
// Usage: bench_body --bundle FILE [--limit N] [--passes P] [--only validate]
// Prints JSON: each step's mean µs per revision, a Summary over passes.
// --only validate parses every body first and then runs nothing but the
// validation, so that `perf record` of it sees that step alone.

#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_util.h"
#include "dala/base/clock.h"
#include "dala/base/hex.h"
#include "dala/schema/form.h"
#include "dala/sync/bundle.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merkle.h"

#ifdef DALA_BENCH_SIMDJSON
#include <simdjson.h>
#endif

namespace {

using dala::bench::Die;
using dala::bench::NowSeconds;
using nlohmann::json;

// A revision's own moment, as the verifiers validate it (sync/verify.cc).
class RevisionClock final : public dala::Clock {
 public:
  int64_t ms = 0;
  int32_t offset = 0;
  int64_t NowMs() const override { return ms; }
  int32_t UtcOffsetMinutes() const override { return offset; }
};

// Takes every token and keeps nothing: what the JSON library's lexer and
// number conversion cost by themselves.
struct DiscardingSax {
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(number_integer_t) { return true; }
  bool number_unsigned(number_unsigned_t) { return true; }
  bool number_float(number_float_t, const string_t&) { return true; }
  bool string(string_t&) { return true; }
  bool binary(binary_t&) { return false; }
  bool start_object(std::size_t) { return true; }
  bool key(string_t&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
};

#ifdef DALA_BENCH_SIMDJSON
// Visits every value of a parsed body, as a validator reading the answers
// would: the figure is of a parse that is read, and its result is used.
size_t CountValues(simdjson::dom::element e) {
  size_t n = 1;
  simdjson::dom::object object;
  simdjson::dom::array array;
  if (e.get(object) == simdjson::SUCCESS) {
    for (simdjson::dom::key_value_pair field : object) n += CountValues(field.value);
  } else if (e.get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : array) n += CountValues(item);
  }
  return n;
}
#endif

struct Revision {
  dala::sync::Envelope envelope;
  std::shared_ptr<const dala::schema::Form> form;
};

enum Step { kVerify, kStrictParse, kLexer, kOtherParser, kDump, kValidate, kLeafHash, kSteps };
constexpr const char* kStepNames[kSteps] = {"verify_us", "strict_parse_us", "lexer_us", "simdjson_parse_us",
                                            "dump_us",   "validate_us",     "leaf_hash_us"};

}  // namespace

int main(int argc, char** argv) {
  std::string bundle_path;
  long limit = 20000, passes = 3;
  bool only_validate = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto number = [&](long* out) {
      if (i + 1 >= argc) Die(a + " needs a number");
      *out = std::strtol(argv[++i], nullptr, 10);
      if (*out <= 0) Die(a + " needs a positive number");
    };
    if (a == "--bundle" && i + 1 < argc) {
      bundle_path = argv[++i];
    } else if (a == "--limit") {
      number(&limit);
    } else if (a == "--passes") {
      number(&passes);
    } else if (a == "--only" && i + 1 < argc && std::string(argv[i + 1]) == "validate") {
      only_validate = true;
      ++i;
    } else {
      Die("usage: bench_body --bundle FILE [--limit N] [--passes P] [--only validate]");
    }
  }
  if (bundle_path.empty()) Die("usage: bench_body --bundle FILE [--limit N] [--passes P] [--only validate]");
  auto bundle = dala::sync::BundleReader::Open(bundle_path);
  if (!bundle.ok()) Die("cannot open the bundle " + bundle_path + ": " + bundle.status().message());
  auto bundle_forms = bundle->Forms();
  if (!bundle_forms.ok()) Die("cannot read the bundle's forms: " + bundle_forms.status().message());
  std::map<dala::sync::Hash, std::shared_ptr<const dala::schema::Form>> forms;
  for (const auto& f : *bundle_forms) {
    auto form = dala::schema::Form::Load(f.document);
    if (form.ok()) forms[(*form)->hash()] = *form;
  }

  // The revisions whose form the bundle holds, in log order.
  std::vector<Revision> revisions;
  size_t body_bytes = 0;
  dala::Status read = bundle->ForEachLogEntry([&](uint64_t, std::string_view bytes) -> dala::Status {
    if (static_cast<long>(revisions.size()) >= limit) return dala::Status::Ok();
    auto e = dala::sync::Envelope::Parse(std::string(bytes));
    if (!e.ok() || e->kind() != dala::sync::EnvelopeKind::kRevision) return dala::Status::Ok();
    auto form = forms.find(e->form_hash());
    if (form == forms.end()) return dala::Status::Ok();
    body_bytes += e->body().size();
    revisions.push_back({std::move(*e), form->second});
    return dala::Status::Ok();
  });
  if (!read.ok()) Die("cannot read the bundle's log: " + read.message());
  if (revisions.empty()) Die("the bundle holds no revision of a form it holds");

  std::vector<double> per_pass[kSteps];
  size_t kept = 0;  // so that no step's result is unused
  RevisionClock clock;
#ifdef DALA_BENCH_SIMDJSON
  simdjson::dom::parser other_parser;  // reused, as a pipeline on it would
#endif
  if (only_validate) {
    std::vector<json> bodies(revisions.size());
    for (size_t i = 0; i < revisions.size(); ++i)
      kept += dala::sync::ParseStrictJsonObject(revisions[i].envelope.body(), &bodies[i]).ok();
    std::vector<double> spent;
    for (long pass = 0; pass < passes; ++pass) {
      double start = NowSeconds();
      for (size_t i = 0; i < revisions.size(); ++i) {
        const json& body = bodies[i];
        const json& answers = body.contains("answers") ? body["answers"] : body;
        clock.ms = revisions[i].envelope.wall_ms();
        clock.offset = body.value("tz", json()).is_number_integer() ? body["tz"].get<int32_t>() : 0;
        kept += revisions[i].form->Validate(answers, clock, "en").size();
      }
      spent.push_back((NowSeconds() - start) * 1e6 / static_cast<double>(revisions.size()));
    }
    json out = {{"revisions", revisions.size()}, {"kept", kept}, {"validate_us", dala::bench::Summary(spent)}};
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  for (long pass = 0; pass < passes; ++pass) {
    double spent[kSteps] = {};
    for (const Revision& r : revisions) {
      const dala::sync::Envelope& e = r.envelope;
      double t[kSteps + 1];
      t[kVerify] = NowSeconds();
      kept += e.VerifySignature().ok();
      t[kStrictParse] = NowSeconds();
      json body;
      kept += dala::sync::ParseStrictJsonObject(e.body(), &body).ok();
      t[kLexer] = NowSeconds();
      DiscardingSax discard;
      kept += json::sax_parse(e.body(), &discard);
      t[kOtherParser] = NowSeconds();
#ifdef DALA_BENCH_SIMDJSON
      simdjson::dom::element parsed;
      if (other_parser.parse(e.body().data(), e.body().size()).get(parsed) == simdjson::SUCCESS)
        kept += CountValues(parsed);
#endif
      t[kDump] = NowSeconds();
      const json& answers = body.is_object() && body.contains("answers") ? body["answers"] : body;
      kept += answers.dump().size();
      t[kValidate] = NowSeconds();
      clock.ms = e.wall_ms();
      clock.offset = body.is_object() && body.value("tz", json()).is_number_integer() ? body["tz"].get<int32_t>() : 0;
      kept += r.form->Validate(answers, clock, "en").size();
      t[kLeafHash] = NowSeconds();
      kept += dala::sync::LeafHash(e.bytes())[0];
      t[kSteps] = NowSeconds();
      for (int s = 0; s < kSteps; ++s) spent[s] += t[s + 1] - t[s];
    }
    for (int s = 0; s < kSteps; ++s) per_pass[s].push_back(spent[s] * 1e6 / static_cast<double>(revisions.size()));
  }
  json out = {{"revisions", revisions.size()},
              {"body_bytes", static_cast<double>(body_bytes) / static_cast<double>(revisions.size())},
              {"passes", passes},
              {"kept", kept}};
  for (int s = 0; s < kSteps; ++s) out[kStepNames[s]] = dala::bench::Summary(per_pass[s]);
#ifdef DALA_BENCH_SIMDJSON
  out["simdjson"] = {{"version", std::to_string(simdjson::SIMDJSON_VERSION_MAJOR) + "." +
                                    std::to_string(simdjson::SIMDJSON_VERSION_MINOR) + "." +
                                    std::to_string(simdjson::SIMDJSON_VERSION_REVISION)},
                      {"implementation", simdjson::get_active_implementation()->name()}};
#else
  out.erase("simdjson_parse_us");  // not built with it: no figure, rather than a zero
#endif
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
