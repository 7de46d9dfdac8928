// The receipt file format of sync/BUNDLE.md: one receipt a laptop kept, as
// JSON, written by "dala receipts --export" and read by "dala audit verify
// --receipts".
#include "dala/sync/receipt_file.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

namespace dala::sync {

using nlohmann::json;

Result<ReceiptInput> ParseReceiptJson(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("a receipt is not JSON: ") + e.what());
  }
  if (!j.is_object()) return Status::InvalidArgument("a receipt is not a JSON object");
  auto field = [&](const char* name) -> const json* {
    auto it = j.find(name);
    return it == j.end() ? nullptr : &*it;
  };
  auto bad = [](std::string why) { return Status::InvalidArgument("receipt: " + why); };
  ReceiptInput r;
  const json* device = field("device");
  if (device == nullptr || !device->is_string() || !FromHex(device->get<std::string>(), &r.device))
    return bad("\"device\" must be the device key in 64 hex digits");
  const json* envelope = field("envelope");
  if (envelope == nullptr || !envelope->is_string() || !FromHex(envelope->get<std::string>(), &r.envelope_id))
    return bad("\"envelope\" must be the envelope id in 64 hex digits");
  for (auto [name, out] : {std::pair<const char*, uint64_t*>{"sequence", &r.sequence},
                           {"leaf_index", &r.leaf_index},
                           {"tree_size", &r.tree_size}}) {
    const json* v = field(name);
    if (v == nullptr || !v->is_number_unsigned()) return bad(std::string("\"") + name + "\" must be a whole number");
    *out = v->get<uint64_t>();
  }
  if (r.sequence == 0) return bad("\"sequence\" starts at 1");
  const json* proof = field("proof");
  if (proof == nullptr || !proof->is_array()) return bad("\"proof\" must be an array of base64 hashes");
  for (const json& h : *proof) {
    if (!h.is_string()) return bad("\"proof\" holds something other than base64 strings");
    auto bytes = FromBase64(h.get<std::string>());
    if (!bytes.ok() || bytes->size() != 32) return bad("\"proof\" holds something other than 32-byte hashes");
    Hash hash;
    std::copy(bytes->begin(), bytes->end(), hash.begin());
    r.proof.push_back(hash);
  }
  const json* checkpoint = field("checkpoint");
  if (checkpoint == nullptr || !checkpoint->is_string()) return bad("\"checkpoint\" must be the signed note's text");
  r.checkpoint_note = checkpoint->get<std::string>();
  return r;
}

std::string ReceiptJson(const ReceiptInput& r) {
  json proof = json::array();
  for (const Hash& h : r.proof) proof.push_back(ToBase64(AsBytes(h)));
  json j = {{"device", ToHex(r.device)},      {"sequence", r.sequence},   {"envelope", ToHex(r.envelope_id)},
            {"leaf_index", r.leaf_index},     {"tree_size", r.tree_size}, {"proof", proof},
            {"checkpoint", r.checkpoint_note}};
  return j.dump(2);
}

}  // namespace dala::sync
