// Every body the API takes: each route of server/src/api_routes.cc that
// reads a body (JSON objects, form documents, sync frames) is called in
// process through Router::Dispatch, behind the same layer as over HTTP,
// with an admin's session (or, for sync, a true device signature) and the
// fuzzed body. Byte 0 picks the route, bit 7 of byte 1 gzips a sync body
// here (so the fuzzer reaches the frame past the checksum); the rest is the
// body. No body may make the server answer 500.
#include <sodium.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "api.h"
#include "api_test_util.h"
#include "bench_util.h"
#include "dala/base/hex.h"
#include "dala/schema/form.h"
#include "dala/sync/envelope.h"
#include "dala/sync/ids.h"
#include "dala/sync/protocol.h"
#include "dala/sync/verify.h"
#include "fuzz_util.h"

namespace dala::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kStart = 1'795'755'600'000;

// An Argon2id hash with the least work libsodium allows: the harness logs
// in again after every fuzzed logout, and a real hash would dominate.
std::string CheapHash(const char* password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password, std::strlen(password), crypto_pwhash_OPSLIMIT_MIN,
                        crypto_pwhash_MEMLIMIT_MIN) != 0)
    fuzz::Fail("harness setup: hashing a password");
  return out;
}

std::string ReadForm(const char* name) {
  std::ifstream in(std::string(DALA_SOURCE_DIR) + "/schema/forms/" + name + ".json");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One in-process server for the whole run, as api_routes_test.cc sets it
// up (server/src/api_test_util.h): an admin, a volunteer with an enrolled
// laptop, both forms published and one record synced, so that routes
// naming a submission, a form or a device reach their handlers' checks of
// the body.
class Harness : testing::ApiWorld {
 public:
  Harness() : ApiWorld(kStart, 11, 300) {
    Must(Open((fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path()) /
                  ("dala-fuzz-api-" + std::to_string(::getpid())),
              CheapHash(testing::kPassword)),
         "world");
    device_key_ = std::make_unique<sync::SigningKey>(sync::SigningKey::Generate(random_));
    Must(store_->AddDevice(testing::LaptopRow(device_key_->public_key(), "vera", "ada", kStart)), "device");
    LogIn();
    for (const char* name : {"psc_observation", "citizen_exit_survey"}) {
      HttpResponse r = Call("POST", "/api/v1/forms", ReadForm(name), session_);
      if (r.status != 200) fuzz::Fail("publishing a shipped form failed");
    }
    SyncOneRecord();
    for (const ApiRoute& route : ApiRoutes())
      if (route.body != BodyKind::kNone) routes_.push_back(&route);
  }

  void Run(const uint8_t* data, size_t size) {
    if (size < 2) return;
    const ApiRoute& route = *routes_[data[0] % routes_.size()];
    std::string body(fuzz::Bytes(data + 2, size - 2));
    HttpResponse r;
    if (route.access.Devices()) {
      if ((data[1] & 0x80) != 0) {
        auto zipped = sync::Gzip(body, 1);
        if (!zipped.ok()) return;
        body = std::move(*zipped);
      }
      r = Call(std::string(route.method), PathOf(route), body, DeviceHeaders(route, body));
    } else {
      r = Call(std::string(route.method), PathOf(route), body, session_);
    }
    if (r.status >= 500 && r.status != 503) {
      std::fprintf(stderr, "%.*s %s -> %d %s\n", static_cast<int>(route.method.size()), route.method.data(),
                   PathOf(route).c_str(), r.status, r.body.c_str());
      fuzz::Fail("a request body made the server answer with an internal error");
    }
    // Failed logins count against the throttle: move past its window, so
    // that the harness's admin can always log in again. A logout ended the
    // harness's session: open another (each login costs an Argon2id hash,
    // so only then).
    if (route.pattern == "/api/v1/login" || route.pattern == "/api/v1/logout")
      clock_.Set(clock_.NowMs() + ctx_->config.login_throttle.window_ms + 1);
    if (route.pattern == "/api/v1/logout") LogIn();
  }

 private:
  template <typename T>
  static T Must(Result<T> r, const char* what) {
    if (!r.ok()) {
      std::fprintf(stderr, "%s: %s\n", what, r.status().ToString().c_str());
      fuzz::Fail("harness setup");
    }
    return std::move(*r);
  }
  static void Must(const Status& s, const char* what) {
    if (!s.ok()) {
      std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
      fuzz::Fail("harness setup");
    }
  }

  HttpResponse Call(std::string method, std::string path, std::string body, HeaderMap headers) {
    if (headers.count("Content-Type") == 0) headers["Content-Type"] = "application/json";
    HttpRequest r = testing::MakeRequest(std::move(method), std::move(path), std::move(body), std::move(headers));
    return router_.Dispatch(r);
  }

  void LogIn() {
    session_ = ApiWorld::LogIn("ada");
    if (session_.empty()) fuzz::Fail("the harness's admin cannot log in");
  }

  HeaderMap DeviceHeaders(const ApiRoute& route, const std::string& body) {
    HeaderMap h = testing::SignedHeaders(*device_key_, route.method, PathOf(route), body, clock_.NowMs(), random_);
    h["Content-Type"] = std::string(sync::kSyncContentType);
    return h;
  }

  // The laptop's first record, so that {id} routes name a real submission.
  void SyncOneRecord() {
    auto form = Must(schema::Form::Load(ReadForm("psc_observation")), "form");
    std::mt19937_64 rng(3);
    json answers = bench::ObservationAnswers(rng, clock_.NowMs(), 300);
    form->Recalculate(&answers, clock_, true);
    sync::EnvelopeFields f;
    f.submission = sync::NewSubmissionId(clock_, random_);
    f.sequence = 1;
    f.hlc = sync::HlcTimestamp::Make(static_cast<uint64_t>(clock_.NowMs()), 0);
    f.wall_ms = clock_.NowMs();
    f.form_hash = form->hash();
    f.form_id = form->id();
    f.form_version = form->version();
    f.body = sync::MakeRevisionBody(answers.dump(), 300);
    submission_ = sync::FormatSubmissionId(f.submission);
    sync::SyncRequest request;
    request.envelopes.push_back(Must(sync::SealEnvelope(std::move(f), *device_key_), "seal"));
    std::string body = Must(sync::EncodeSyncRequest(request, 1), "encode");
    const ApiRoute* sync_route = nullptr;
    for (const ApiRoute& route : ApiRoutes())
      if (route.pattern == sync::kSyncPath) sync_route = &route;
    HttpResponse r = Call("POST", std::string(sync::kSyncPath), body, DeviceHeaders(*sync_route, body));
    auto answer = sync::DecodeSyncResponse(r.body);
    if (r.status != 200 || !answer.ok() || answer->accepted_through != 1) fuzz::Fail("the harness's record was not accepted");
    form_hash_ = form->hash_hex();
  }

  std::string PathOf(const ApiRoute& route) const {
    std::string path(route.pattern);
    auto fill = [&](std::string_view param, const std::string& value) {
      size_t at = path.find(param);
      if (at != std::string::npos) path.replace(at, param.size(), value);
    };
    fill("{id}", submission_);
    fill("{hash}", form_hash_);
    fill("{key}", ToHex(device_key_->public_key()));
    fill("{list}", "centres");
    return path;
  }

  std::unique_ptr<sync::SigningKey> device_key_;
  HeaderMap session_;
  std::string submission_;
  std::string form_hash_;
  std::vector<const ApiRoute*> routes_;
};

}  // namespace
}  // namespace dala::server

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static dala::server::Harness harness;
  harness.Run(data, size);
  return 0;
}
