// Holds Dala's code to the client cases (tests/vectors/conformance/client.json,
// sync/CLIENTS.md): the server's request verification gives each signed
// request its verdict, and `dala`'s own SyncClient refuses every answer a
// client must refuse, replayed against the state the suite states.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dala/base/clock.h"
#include "dala/client/device.h"
#include "dala/client/store.h"
#include "dala/client/sync_client.h"
#include "dala/client/transport.h"
#include "dala/sync/protocol.h"
#include "dala/sync/request_auth.h"
#include "suite.h"

namespace dala::conformance {
namespace {

using nlohmann::json;

json LoadClientSuite() {
  std::ifstream in(DALA_SOURCE_DIR "/tests/vectors/conformance/client.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

// The server's order (server/API.md): signature, then freshness and replay.
std::string RequestVerdict(const json& c) {
  const json& h = c["headers"];
  auto body = FromHex(c["body"].get<std::string>());
  if (!body.ok()) return "unreadable case";
  auto credentials = sync::VerifyRequestSignature(
      c["method"].get<std::string>(), c["target"].get<std::string>(), *body, h[std::string(sync::kDeviceHeader)].get<std::string>(),
      h[std::string(sync::kTimestampHeader)].get<std::string>(), h[std::string(sync::kNonceHeader)].get<std::string>(),
      h[std::string(sync::kSignatureHeader)].get<std::string>());
  if (!credentials.ok())
    return credentials.status().code() == Status::Code::kUnauthenticated ? "bad_signature" : "unauthenticated";
  const int64_t now = c["server_now_ms"].get<int64_t>();
  constexpr int64_t kWindowMs = 5 * 60 * 1000;
  sync::ReplayCache cache(0);
  for (const json& seen : c["seen_nonces"]) {
    sync::RequestCredentials earlier = *credentials;
    earlier.nonce = seen.get<std::string>();
    if (!cache.CheckFresh(earlier, now, kWindowMs).ok()) return "the seen nonces do not go in";
  }
  Status fresh = cache.CheckFresh(*credentials, now, kWindowMs);
  return fresh.ok() ? "ok" : fresh.reason();
}

TEST(ClientConformance, EverySignedRequestGetsTheServersVerdict) {
  ASSERT_TRUE(sync::InitCrypto().ok());
  json suite = LoadClientSuite();
  ASSERT_GE(suite["signed_requests"].size(), 6u);
  for (const json& c : suite["signed_requests"])
    EXPECT_EQ(RequestVerdict(c), c["expect"].get<std::string>()) << c["name"] << ": " << c["comment"];
}

// Answers every sync with the case's bytes.
class ReplayingServer final : public client::Transport {
 public:
  explicit ReplayingServer(std::string answer) : answer_(std::move(answer)) {}
  Result<client::TransportResponse> Send(const client::TransportRequest& request) override {
    if (request.target != sync::kSyncPath) return client::TransportResponse{404, "application/json", "{}", {}};
    return client::TransportResponse{200, std::string(sync::kSyncContentType), answer_, {}};
  }

 private:
  std::string answer_;
};

// Every byte it gives is `b`: a profile whose device key is the suite's
// laptop key (seed of 32 `b`s).
class SameByteRandom final : public sync::Random {
 public:
  explicit SameByteRandom(uint8_t b) : b_(b) {}
  void Fill(uint8_t* out, size_t size) override { std::fill(out, out + size, b_); }

 private:
  uint8_t b_;
};

class ClientAnswerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sync::InitCrypto().ok());
    dir_ = std::filesystem::temp_directory_path() / ("dala-client-conformance-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A laptop in the suite's state; after the case's answer, what it did.
  struct Outcome {
    bool ran = false;
    std::vector<std::string> warnings;
    uint64_t accepted = 0;
    std::string checkpoint;  // as stored after the sync
  };
  Outcome Replay(const json& suite, const json& c, const std::string& name) {
    Outcome out;
    auto store = client::LocalStore::Create((dir_ / (name + ".db")).string());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return out;
    SameByteRandom seed(0x1a);
    FakeClock clock(kWorldMs, 300);
    EXPECT_TRUE(client::InitDevice(**store, "passphrase", seed, clock, {1, 64u << 10}).ok());
    auto device = client::Device::Unlock(**store, "passphrase");
    EXPECT_TRUE(device.ok());
    if (!device.ok()) return out;
    EXPECT_EQ(ToHex(device->public_key()), suite["laptop_key"].get<std::string>());
    EXPECT_TRUE((*store)->Put(client::profile_key::kServerUrl, "http://test").ok());
    EXPECT_TRUE((*store)->Put(client::profile_key::kServerKey, suite["server_key"].get<std::string>()).ok());
    EXPECT_TRUE((*store)->Put(client::profile_key::kServerOrigin, suite["origin"].get<std::string>()).ok());
    EXPECT_TRUE((*store)->Put(client::profile_key::kCheckpoint, suite["stored_checkpoint"].get<std::string>()).ok());
    for (const json& sent : suite["sent"]) {
      auto e = sync::Envelope::Parse(*FromHex(sent.get<std::string>()));
      EXPECT_TRUE(e.ok());
      EXPECT_TRUE((*store)->InsertEnvelope(*e, /*own=*/true, kWorldMs).ok());
    }
    ReplayingServer server(*FromHex(c["answer"].get<std::string>()));
    sync::SeededRandom random(1);
    client::SyncClient sync(**store, *device, server, clock, random);
    auto result = sync.Run();
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) return out;
    out.ran = true;
    out.warnings = result->log_warnings;
    out.accepted = result->accepted;
    auto checkpoint = (*store)->GetOr(client::profile_key::kCheckpoint, "");
    out.checkpoint = checkpoint.ok() ? *checkpoint : "";
    return out;
  }
  std::filesystem::path dir_;
};

TEST_F(ClientAnswerTest, DalaRefusesEveryAnswerAClientMustRefuse) {
  json suite = LoadClientSuite()["refused_answers"];
  ASSERT_GE(suite["cases"].size(), 5u);
  for (const json& c : suite["cases"]) {
    const std::string name = c["name"].get<std::string>(), expect = c["expect"].get<std::string>();
    SCOPED_TRACE(name + ": " + c["comment"].get<std::string>());
    Outcome out = Replay(suite, c, name);
    ASSERT_TRUE(out.ran);
    if (expect == "accept") {
      EXPECT_TRUE(out.warnings.empty()) << out.warnings[0];
      EXPECT_EQ(out.accepted, 1u);
      continue;
    }
    // Refused: said loudly, and nothing counted as accepted.
    EXPECT_FALSE(out.warnings.empty());
    EXPECT_EQ(out.accepted, 0u);
    // A refused log: not even its checkpoint is kept.
    if (expect == "refuse_answer") {
      EXPECT_EQ(out.checkpoint, suite["stored_checkpoint"].get<std::string>());
    }
  }
}

}  // namespace
}  // namespace dala::conformance
