// `dala coord key ...` and the signing of a coordinator's decisions with
// their own key (sync/README.md, "Decisions"). The key file is one line,
// the laptop's format (sync::SealedKey): an Ed25519 seed sealed under a
// passphrase with Argon2id and XSalsa20-Poly1305.

#include "cli_coord_key.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "dala/base/clock.h"
#include "dala/sync/envelope.h"
#include "dala/sync/person_keys.h"

namespace dala::client::cli {

using nlohmann::json;

namespace {

constexpr const char* kKeyPassphraseEnv = "DALA_KEY_PASSPHRASE";

Result<sync::Hash> HashField(const json& j, const char* name) {
  sync::Hash h{};
  if (!j.contains(name) || !j[name].is_string() || !FromHex(j[name].get<std::string>(), &h))
    return Status::InvalidArgument(std::string("the server's draft has no valid \"") + name + "\"");
  return h;
}

}  // namespace

std::string CoordKeyPath(const CoordOptions& o) {
  if (!o.key_file.empty()) return o.key_file;
  const char* env = std::getenv("DALA_COORD_KEY");
  return env ? env : "";
}

int CoordKeyInit(const CoordOptions& o) {
  const std::string path = CoordKeyPath(o);
  if (path.empty()) return Fail("say where to keep the key: --key FILE (or DALA_COORD_KEY)");
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return Fail(path + " exists; a key is never overwritten");
  auto passphrase = ReadSecret("Passphrase for the new key: ", true, kKeyPassphraseEnv);
  if (!passphrase.ok()) return Fail(passphrase.status());
  sync::SystemRandom random;
  sync::SigningKey key = sync::SigningKey::Generate(random);
  auto sealed = sync::SealKey(key, *passphrase, random);
  Wipe(&*passphrase);
  if (!sealed.ok()) return Fail(sealed.status());
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << sealed->Serialize() << "\n";
    if (!f) return Fail("cannot write " + path);
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace, ec);
  std::cout << "Made a key in " << path << " (fingerprint " << sync::KeyFingerprint(key.public_key())
            << "). Enrol it with `dala coord key enroll CODE`, the one-time code from an administrator.\n";
  return kExitOk;
}

Result<sync::SigningKey> OpenCoordKey(const std::string& path) {
  DALA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  auto sealed = sync::SealedKey::Parse(text);
  if (!sealed.ok()) return Status::InvalidArgument(path + " is not a Dala key file: " + sealed.status().message());
  DALA_ASSIGN_OR_RETURN(std::string passphrase, ReadSecret("Passphrase for " + path + ": ", false, kKeyPassphraseEnv));
  auto key = sync::OpenKey(*sealed, passphrase);
  Wipe(&passphrase);
  return key;
}

Result<std::vector<std::string>> SignDecisionDraft(const json& draft, const std::string& user,
                                                   const sync::SigningKey& key, const Clock& clock) {
  try {
    sync::ChainTip tip;
    tip.sequence = std::stoull(draft.at("sequence").get<std::string>()) - 1;
    DALA_ASSIGN_OR_RETURN(tip.id, HashField(draft, "previous"));
    uint64_t hlc = std::stoull(draft.at("hlc_floor").get<std::string>());
    std::vector<std::string> out;
    for (const json& env : draft.at("envelopes")) {
      sync::EnvelopeFields f;
      f.kind = env.at("kind").get<int>() == 1 ? sync::EnvelopeKind::kRevision : sync::EnvelopeKind::kEvent;
      if (!FromHex(env.at("submission").get<std::string>(), &f.submission))
        return Status::InvalidArgument("the server's draft names no valid submission");
      DALA_ASSIGN_OR_RETURN(f.form_hash, HashField(env, "form_hash"));
      for (const json& p : env.at("parents")) {
        sync::Hash h{};
        if (!FromHex(p.get<std::string>(), &h)) return Status::InvalidArgument("the server's draft has a bad parent");
        f.parents.push_back(h);
      }
      f.form_id = env.at("form_id").get<std::string>();
      f.form_version = env.at("form_version").get<std::string>();
      f.body = env.at("body").get<std::string>();
      // The person signs; the server only drafted. It must be their decision.
      sync::EventBody event;
      json body = json::parse(f.body);
      if (body.value("by", "") != user)
        return Status::InvalidArgument("the server drafted a decision in the name of " + body.value("by", "?"));
      f.sequence = tip.sequence + 1;
      f.previous = tip.id;
      f.wall_ms = clock.NowMs();
      hlc = std::max(hlc + 1, sync::HlcTimestamp::Make(static_cast<uint64_t>(f.wall_ms), 0).packed);
      f.hlc = sync::HlcTimestamp{hlc};
      DALA_ASSIGN_OR_RETURN(std::string bytes, sync::SealEnvelope(std::move(f), key));
      DALA_ASSIGN_OR_RETURN(sync::Envelope e, sync::Envelope::Parse(bytes));
      tip = {e.sequence(), e.id()};
      out.push_back(ToBase64(bytes));
    }
    return out;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("the server's draft is malformed: ") + e.what());
  }
}

}  // namespace dala::client::cli
