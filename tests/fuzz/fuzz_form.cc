// Form documents (schema::Form::Load), as published by an admin and synced
// to every laptop. An input may carry answers after a line "#answers": if
// the document loads, they are validated against it.
#include <nlohmann/json.hpp>

#include "dala/base/clock.h"
#include "dala/schema/form.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = dala::fuzz::Bytes(data, size);
  constexpr std::string_view kAnswers = "\n#answers\n";
  const size_t cut = input.find(kAnswers);
  const std::string_view document = input.substr(0, cut);
  auto form = dala::schema::Form::Load(document);
  if (!form.ok()) return 0;
  if ((*form)->document() != document) dala::fuzz::Fail("Form::document() is not the bytes loaded");
  dala::FakeClock clock(1'795'755'600'000, 300);
  nlohmann::json answers = nlohmann::json::object();
  if (cut != std::string_view::npos) {
    answers = nlohmann::json::parse(input.substr(cut + kAnswers.size()), nullptr, false);
    if (!answers.is_object()) return 0;
  }
  for (const std::string& language : (*form)->languages()) (void)(*form)->Validate(answers, clock, language);
  return 0;
}
