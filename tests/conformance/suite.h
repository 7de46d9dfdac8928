// What the conformance generator (generate.cc) and the checks of the
// committed suite (conformance_test.cc) share: the suite's fixed forms and
// how a case's claimed time becomes a clock. Test code only.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "dala/base/clock.h"

namespace dala::conformance {

// 2026-11-25 09:46:40 UTC: the world's "now".
inline constexpr int64_t kWorldMs = 1795600000000;
inline constexpr const char* kOrigin = "conformance.dala.test/log";

// The form every bundle's revisions use: small, with a calculation and a
// constraint that reads the clock, so validation at the claimed time shows.
inline constexpr const char* kTallyForm =
    R"j({"dala_form":1,"id":"tally","version":"1","title":"Tally","languages":["en"],"default_language":"en",)j"
    R"j("questions":[{"type":"integer","name":"n","label":"N","required":true,"constraint":". >= 0 and . <= 100"},)j"
    R"j({"type":"calculate","name":"double","calculation":"${n} * 2"},)j"
    R"j({"type":"date","name":"day","label":"Day","constraint":". <= today()"},)j"
    R"j({"type":"text","name":"reason","label":"Why so many?","relevant":"${n} > 50"}]})j";

// The form of the expression cases, without its last question: each case
// appends {"type":"calculate","name":"x","calculation":EXPRESSION}.
inline nlohmann::json ExpressionFormBase() {
  return nlohmann::json::parse(R"j({"dala_form":1,"id":"expr","version":"1","title":"Expressions",
    "languages":["en"],"default_language":"en",
    "lists":{"colours":[{"name":"red","label":"Red"},{"name":"green","label":"Green"},{"name":"blue","label":"Blue"}]},
    "questions":[{"type":"integer","name":"n","label":"N"},{"type":"decimal","name":"d","label":"D"},
      {"type":"text","name":"t","label":"T"},{"type":"date","name":"day","label":"Day"},
      {"type":"datetime","name":"at","label":"At"},
      {"type":"select_multiple","name":"picks","label":"Picks","list":"colours"},
      {"type":"select_one","name":"one","label":"One","list":"colours"}]})j");
}

inline nlohmann::json ExpressionForm(const std::string& expression) {
  nlohmann::json f = ExpressionFormBase();
  f["questions"].push_back({{"type", "calculate"}, {"name", "x"}, {"calculation", expression}});
  return f;
}

}  // namespace dala::conformance
