// The client cases (sync/CLIENTS.md): signed requests with the server's
// verdict, and sync answers a client must refuse, each built against a
// stated client state so that any client can replay it.
#include "dala/sync/checkpoint.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merkle.h"
#include "dala/sync/protocol.h"
#include "dala/sync/request_auth.h"
#include "dala/sync/verify.h"
#include "generate.h"

namespace dala::conformance {
namespace {

using sync::Hash;
using sync::SigningKey;

// Nonces are counted, not drawn: the suite is the same bytes every time.
class CountingRandom final : public sync::Random {
 public:
  void Fill(uint8_t* out, size_t size) override {
    for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(next_++);
  }

 private:
  uint8_t next_ = 0;
};

json SignedCase(const std::string& name, const std::string& comment, const std::string& method,
                const std::string& target, const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& headers, int64_t server_now_ms,
                const json& seen_nonces, const std::string& expect) {
  json h = json::object();
  for (const auto& [k, v] : headers) h[k] = v;
  return {{"name", name},          {"comment", comment},         {"method", method},
          {"target", target},      {"body", ToHex(body)},        {"headers", h},
          {"server_now_ms", server_now_ms}, {"seen_nonces", seen_nonces}, {"expect", expect}};
}

// The laptop's one revision, sequence 1, on the tally form.
std::string LaptopRevision(const SigningKey& laptop, const std::string& answers) {
  sync::EnvelopeFields f;
  f.submission = WorldSubmission(1);
  f.sequence = 1;
  f.hlc = sync::HlcTimestamp::Make(static_cast<uint64_t>(kWorldMs), 0);
  f.wall_ms = kWorldMs;
  f.form_hash = sync::Sha256(kTallyForm);
  f.form_id = "tally";
  f.form_version = "1";
  f.body = R"({"answers":)" + answers + R"(,"tz":300})";
  auto sealed = sync::SealEnvelope(f, laptop);
  return sealed.ok() ? *sealed : std::string();
}

Hash IdOf(const std::string& envelope) {
  auto e = sync::Envelope::Parse(envelope);
  return e.ok() ? e->id() : Hash{};
}

std::string Note(const sync::MerkleTree& tree, const SigningKey& key) {
  return sync::SignCheckpoint({kOrigin, tree.size(), tree.Root()}, kOrigin, key);
}

std::string Answer(const sync::SyncResponse& r) {
  auto body = sync::EncodeSyncResponse(r);
  return body.ok() ? ToHex(*body) : std::string();
}

}  // namespace

json SignedRequestCases() {
  const SigningKey laptop = WorldKey(0x1a), other = WorldKey(0x77);
  const std::string target(sync::kSyncPath), body = "the body as sent";
  const int64_t now = kWorldMs;
  CountingRandom random;
  json cases = json::array();
  auto add = [&](const std::string& name, const std::string& comment, const std::string& sent_body,
                 const std::vector<std::pair<std::string, std::string>>& headers, int64_t server_now,
                 const json& seen, const std::string& expect) {
    cases.push_back(SignedCase(name, comment, "POST", target, sent_body, headers, server_now, seen, expect));
  };
  auto signed_by = [&](const SigningKey& key, int64_t at) {
    auto h = sync::SignRequest(key, "POST", target, body, at, random);
    for (auto& [k, v] : h)
      if (k == sync::kDeviceHeader) v = ToHex(laptop.public_key());
    return h;
  };
  add("fresh", "signed now by the enrolled key", body, signed_by(laptop, now), now, json::array(), "ok");
  add("fresh_at_the_window_edge", "exactly 5 minutes old: still inside", body, signed_by(laptop, now - 300'000), now,
      json::array(), "ok");
  add("stale", "5 minutes and 1 ms old", body, signed_by(laptop, now - 300'001), now, json::array(),
      "stale_request");
  add("from_the_future", "5 minutes and 1 ms ahead of the server", body, signed_by(laptop, now + 300'001), now,
      json::array(), "stale_request");
  auto replayed = signed_by(laptop, now);
  std::string nonce;
  for (const auto& [k, v] : replayed)
    if (k == sync::kNonceHeader) nonce = v;
  add("replayed", "its nonce was already accepted from this device within the window", body, replayed, now,
      json::array({nonce}), "replayed_request");
  add("wrong_key", "signed by another key than the one X-Dala-Device names", body, signed_by(other, now), now,
      json::array(), "bad_signature");
  add("bad_body_hash", "the body sent is not the one signed", body + ".", signed_by(laptop, now), now, json::array(),
      "bad_signature");
  return cases;
}

json RefusedAnswerCases() {
  const SigningKey laptop = WorldKey(0x1a), server = WorldKey(0x5e), impostor = WorldKey(0x77);
  const std::string mine = LaptopRevision(laptop, R"({"n":7,"double":14})");
  const std::string not_mine = LaptopRevision(laptop, R"({"n":8,"double":16})");  // a fork of sequence 1
  // The log the laptop saw: three entries, then its revision.
  sync::MerkleTree before, after, forked_after, rewritten;
  for (int i = 0; i < 3; ++i) {
    const std::string entry = "log entry " + std::to_string(i);
    before.AppendLeafHash(sync::LeafHash(entry));
    after.AppendLeafHash(sync::LeafHash(entry));
    forked_after.AppendLeafHash(sync::LeafHash(entry));
    rewritten.AppendLeafHash(sync::LeafHash(i == 0 ? std::string("another entry 0") : entry));
  }
  after.AppendLeafHash(sync::LeafHash(mine));
  forked_after.AppendLeafHash(sync::LeafHash(not_mine));
  rewritten.AppendLeafHash(sync::LeafHash(mine));
  const std::string stored = Note(before, server);

  auto answer_over = [&](const sync::MerkleTree& tree, const std::string& receipted, const SigningKey& signer) {
    sync::SyncResponse r;
    r.accepted_through = 1;
    r.server_time_ms = kWorldMs;
    r.checkpoint = Note(tree, signer);
    r.consistency = *tree.ConsistencyProof(before.size(), tree.size());
    r.receipt = sync::SyncReceipt{1, IdOf(receipted), 3, *tree.InclusionProof(3, tree.size())};
    r.cursor = "1.1";
    return r;
  };
  json cases = json::array();
  auto add = [&](const std::string& name, const std::string& comment, const sync::SyncResponse& r,
                 const std::string& expect) {
    cases.push_back({{"name", name}, {"comment", comment}, {"answer", Answer(r)}, {"expect", expect}});
  };
  add("valid", "the log grew by the laptop's revision, proved: sequence 1 is accepted", answer_over(after, mine, server),
      "accept");
  sync::SyncResponse fork = answer_over(forked_after, not_mine, server);
  fork.rejected.push_back({1, IdOf(mine), "fork", "the server already holds a different envelope with sequence 1"});
  add("receipt_for_another_envelope",
      "the receipt proves the server's own envelope at sequence 1, not the laptop's: nothing is accepted", fork,
      "refuse_receipt");
  add("consistency_does_not_connect",
      "a 4-entry log whose first entry differs from the one the laptop saw: its consistency proof does not "
      "rebuild the stored root",
      answer_over(rewritten, mine, server), "refuse_answer");
  add("checkpoint_signed_by_another_key", "the right log, signed by a key other than the pinned one",
      answer_over(after, mine, impostor), "refuse_answer");
  sync::MerkleTree shorter;
  for (uint64_t i = 0; i < 2; ++i) shorter.AppendLeafHash(before.LeafHashAt(i));
  sync::SyncResponse rolled_back;
  rolled_back.server_time_ms = kWorldMs;
  rolled_back.checkpoint = Note(shorter, server);
  rolled_back.cursor = "1.1";
  add("log_shorter_than_the_clients_checkpoint",
      "a validly signed 2-entry log after the laptop verified 3 entries: a rollback", rolled_back, "refuse_answer");
  return {{"laptop_seed", "1a (32 bytes)"},
          {"laptop_key", ToHex(laptop.public_key())},
          {"server_key", ToHex(server.public_key())},
          {"origin", kOrigin},
          {"stored_checkpoint", stored},
          {"sent", json::array({ToHex(mine)})},
          {"receipted_through", 0},
          {"cases", cases}};
}

}  // namespace dala::conformance
