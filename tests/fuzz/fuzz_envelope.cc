// Envelopes (sync/README.md), as they arrive from laptops and from the
// server: Envelope::Parse, the body parsers, conditions 12-13 against the
// two real forms, and CheckStrictJsonObject on the raw bytes.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "dala/schema/form.h"
#include "dala/sync/envelope.h"
#include "dala/sync/verify.h"
#include "fuzz_util.h"

namespace {

class Forms final : public dala::sync::FormRegistry {
 public:
  Forms() {
    for (const char* name : {"psc_observation", "citizen_exit_survey"}) {
      std::ifstream in(std::string(DALA_SOURCE_DIR) + "/schema/forms/" + name + ".json");
      std::stringstream text;
      text << in.rdbuf();
      auto form = dala::schema::Form::Load(text.str());
      if (!form.ok()) dala::fuzz::Fail("a shipped form does not load");
      forms_[(*form)->hash()] = *form;
    }
  }
  std::shared_ptr<const dala::schema::Form> FindForm(const dala::sync::Hash& hash) const override {
    auto it = forms_.find(hash);
    return it == forms_.end() ? nullptr : it->second;
  }

 private:
  std::map<dala::sync::Hash, std::shared_ptr<const dala::schema::Form>> forms_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = dala::fuzz::Bytes(data, size);
  (void)dala::sync::CheckStrictJsonObject(bytes);
  (void)dala::sync::PeekKindByte(bytes);
  (void)dala::sync::PeekSubmission(bytes);
  (void)dala::sync::PeekAuthor(bytes);
  (void)dala::sync::PeekSequence(bytes);
  (void)dala::sync::PeekFormHash(bytes);
  auto envelope = dala::sync::Envelope::Parse(std::string(bytes));
  if (!envelope.ok()) return 0;
  if (envelope->bytes() != bytes) dala::fuzz::Fail("a parsed envelope does not own the bytes it was given");
  (void)envelope->VerifySignature();
  if (envelope->kind() == dala::sync::EnvelopeKind::kRevision) {
    (void)dala::sync::ParseRevisionBody(envelope->body());
    static const Forms forms;
    (void)dala::sync::CheckRevision(*envelope, forms);
  } else {
    (void)dala::sync::ParseEventBody(envelope->body());
  }
  // What Parse accepted, ParseVerified accepts too.
  if (!dala::sync::Envelope::ParseVerified(std::string(bytes)).ok())
    dala::fuzz::Fail("ParseVerified refuses what Parse accepted");
  return 0;
}
