// Security: a real dala-server on a random loopback port, spoken to with
// raw HTTP. Every refusal the server promises is checked here, each with the
// status and error code that says why, and with the log unchanged after it:
// a refused request stores nothing.

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "dala/schema/form.h"
#include "dala/sync/envelope.h"
#include "dala/sync/protocol.h"
#include "dala/sync/request_auth.h"
#include "dala/sync/verify.h"
#include "e2e_util.h"

namespace dala::e2e {
namespace {

using nlohmann::json;

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sync::InitCrypto().ok());
    data_ = dir_ / "server";
    ASSERT_EQ(Server({"init", "--data", data_}).exit_code, 0);
    ASSERT_EQ(Server({"user", "add", "askar", "--role", "volunteer", "--data", data_}).exit_code, 0);
    ASSERT_EQ(Server({"user", "add", "aigerim", "--role", "coordinator", "--data", data_}, {{"DALA_PASSWORD", "coordinator-pw"}}).exit_code, 0);
    ASSERT_EQ(Server({"user", "add", "dana", "--role", "auditor", "--data", data_}, {{"DALA_PASSWORD", "auditor-pw-1"}}).exit_code, 0);
    std::string form_path = std::string(DALA_SOURCE_DIR) + "/schema/forms/psc_observation.json";
    ASSERT_EQ(Server({"form", "publish", form_path, "--data", data_}).exit_code, 0);
    auto form = schema::Form::Load(ReadFile(form_path));
    ASSERT_TRUE(form.ok());
    form_ = *form;
    server_ = std::make_unique<ServerProcess>(data_);
    ASSERT_TRUE(server_->ok());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    // httplib's 5 s default: a sanitized server inflating a bomb up to its
    // limit on a loaded machine took longer, and the test saw no answer.
    http_->set_read_timeout(60, 0);
    ASSERT_TRUE(Enroll(device_));
  }

  CommandResult Server(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    args.insert(args.begin(), ServerBinary());
    return RunCommand(args, env);
  }

  bool Enroll(const sync::SigningKey& key) {
    std::string code = FindEnrollCode(Server({"enroll-code", "askar", "--data", data_}).out);
    std::string normalized;
    for (char c : code)
      if (c != '-') normalized.push_back(c);
    sync::Signature proof = key.Sign("dala-enroll-v1\n", normalized + "\n" + ToHex(key.public_key()));
    json body = {{"code", code}, {"public_key", ToHex(key.public_key())}, {"label", "t"}, {"proof", ToHex(proof)}};
    auto r = http_->Post("/api/v1/enroll", body.dump(), "application/json");
    return r && r->status == 200;
  }

  uint64_t LogSize() {
    auto r = http_->Get("/api/v1/log/checkpoint");
    if (!r || r->status != 200) return UINT64_MAX;
    std::string note = r->body;
    size_t a = note.find('\n');
    return std::stoull(note.substr(a + 1, note.find('\n', a + 1) - a - 1));
  }

  // A valid revision of a new submission, sequence `seq` after `previous`.
  std::string Revision(const sync::SigningKey& key, uint64_t seq, sync::Hash previous, json answers = Answers(),
                       int64_t hlc_ms = -1, int64_t wall_ms = -1) {
    sync::EnvelopeFields f;
    f.submission = sync::NewSubmissionId(clock_, random_);
    f.sequence = seq;
    f.previous = previous;
    int64_t now = clock_.NowMs();
    f.hlc = sync::HlcTimestamp::Make(static_cast<uint64_t>(hlc_ms < 0 ? now : hlc_ms), 0);
    f.wall_ms = wall_ms < 0 ? now : wall_ms;
    f.form_hash = form_->hash();
    f.form_id = form_->id();
    f.form_version = form_->version();
    f.body = sync::MakeRevisionBody(answers.dump(), 300);
    auto bytes = sync::SealEnvelope(f, key);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return *bytes;
  }

  static json Answers() {
    time_t now = time(nullptr) + 5 * 3600;
    char day[16];
    strftime(day, sizeof(day), "%Y-%m-%d", gmtime(&now));
    json a = json::parse(R"({"region":"ala","centre":"ala_01","arrival_time":"09:30","queue_length":14,
      "waiting_source":"test_case","waiting_minutes":35,"equeue_works":"yes","signage_languages":["kk","ru"],
      "ramp":"no","complaints_book":"yes","fees_posted":"yes","windows_total":8,"windows_open":5,
      "staff_at_windows":6,"cleanliness":4,"centre_district":"Almaly"})");
    a["visit_date"] = day;
    return a;
  }

  httplib::Result PostSync(const sync::SigningKey& key, const std::vector<std::string>& envelopes,
                           int64_t timestamp_shift_ms = 0) {
    sync::SyncRequest q;
    q.envelopes = envelopes;
    std::string body = *sync::EncodeSyncRequest(q);
    return PostSigned(key, body, timestamp_shift_ms);
  }

  httplib::Result PostSigned(const sync::SigningKey& key, const std::string& body, int64_t shift_ms = 0,
                             httplib::Headers* used = nullptr) {
    httplib::Headers headers;
    for (auto& [k, v] : sync::SignRequest(key, "POST", "/api/v1/sync", body, clock_.NowMs() + shift_ms, random_))
      headers.emplace(k, v);
    if (used) *used = headers;
    return http_->Post("/api/v1/sync", headers, body, std::string(sync::kSyncContentType).c_str());
  }

  static std::string Code(const httplib::Result& r) {
    if (!r) return "<no response>";
    json j = json::parse(r->body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"]["code"].get<std::string>() : "<not an error>";
  }

  sync::SyncResponse Decode(const httplib::Result& r) {
    auto d = sync::DecodeSyncResponse(r->body);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : sync::SyncResponse{};
  }

  TempDir dir_;
  std::string data_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  std::shared_ptr<const schema::Form> form_;
  SystemClock clock_;
  sync::SystemRandom random_;
  sync::SigningKey device_ = sync::SigningKey::Generate(random_);
};

TEST_F(SecurityTest, ValidRevisionIsAccepted) {
  uint64_t before = LogSize();
  auto r = PostSync(device_, {Revision(device_, 1, {})});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Decode(r).accepted_through, 1u);
  EXPECT_EQ(LogSize(), before + 1);
}

TEST_F(SecurityTest, UnknownDeviceIsRefused) {
  sync::SigningKey stranger = sync::SigningKey::Generate(random_);
  uint64_t before = LogSize();
  auto r = PostSync(stranger, {Revision(stranger, 1, {})});
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Code(r), "unknown_device");
  EXPECT_EQ(LogSize(), before);
}

TEST_F(SecurityTest, RevokedDeviceIsRefused) {
  ASSERT_EQ(Server({"device", "revoke", ToHex(device_.public_key()), "--data", data_}).exit_code, 0);
  uint64_t before = LogSize();
  auto r = PostSync(device_, {Revision(device_, 1, {})});
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Code(r), "revoked_device");
  EXPECT_EQ(LogSize(), before);
}

TEST_F(SecurityTest, RequestSignedByAnotherKeyIsRefused) {
  sync::SigningKey other = sync::SigningKey::Generate(random_);
  sync::SyncRequest q;
  q.envelopes = {Revision(device_, 1, {})};
  std::string body = *sync::EncodeSyncRequest(q);
  httplib::Headers headers;
  for (auto& [k, v] : sync::SignRequest(other, "POST", "/api/v1/sync", body, clock_.NowMs(), random_)) {
    headers.emplace(k, k == sync::kDeviceHeader ? ToHex(device_.public_key()) : v);
  }
  uint64_t before = LogSize();
  auto r = http_->Post("/api/v1/sync", headers, body, std::string(sync::kSyncContentType).c_str());
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Code(r), "bad_signature");
  EXPECT_EQ(LogSize(), before);
}

TEST_F(SecurityTest, TamperedBodyUnderAValidSignatureIsRefused) {
  sync::SyncRequest q;
  q.envelopes = {Revision(device_, 1, {})};
  std::string body = *sync::EncodeSyncRequest(q);
  httplib::Headers headers;
  for (auto& [k, v] : sync::SignRequest(device_, "POST", "/api/v1/sync", body, clock_.NowMs(), random_))
    headers.emplace(k, v);
  q.envelopes = {Revision(device_, 1, {})};  // a different body
  auto r = http_->Post("/api/v1/sync", headers, *sync::EncodeSyncRequest(q), std::string(sync::kSyncContentType).c_str());
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Code(r), "bad_signature");
}

TEST_F(SecurityTest, StaleRequestIsRefused) {
  uint64_t before = LogSize();
  auto r = PostSync(device_, {Revision(device_, 1, {})}, -10 * 60 * 1000);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Code(r), "stale_request");
  auto future = PostSync(device_, {Revision(device_, 1, {})}, +10 * 60 * 1000);
  EXPECT_EQ(future->status, 401);
  EXPECT_EQ(Code(future), "stale_request");
  EXPECT_EQ(LogSize(), before);
}

TEST_F(SecurityTest, ReplayedRequestIsRefused) {
  sync::SyncRequest q;
  std::string body = *sync::EncodeSyncRequest(q);
  httplib::Headers headers;
  auto first = PostSigned(device_, body, 0, &headers);
  ASSERT_EQ(first->status, 200);
  auto again = http_->Post("/api/v1/sync", headers, body, std::string(sync::kSyncContentType).c_str());
  EXPECT_EQ(again->status, 401);
  EXPECT_EQ(Code(again), "replayed_request");
}

// Sends a request head (and a little of a body) on a raw socket and
// returns the first bytes of the answer, read while the rest of the body is
// still unsent: proves the server answered from the headers alone.
std::string AnswerToHead(int port, const std::string& head) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return "<connect failed>";
  std::string sent = head + std::string(4096, 'x');
  if (::send(fd, sent.data(), sent.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(sent.size())) return "<send failed>";
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  // The head and the body may come in separate segments: read until the
  // server closes, as it does after refusing.
  std::string answer;
  char buf[4096];
  for (ssize_t n; answer.size() < (1u << 16) && (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;)
    answer.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return answer.empty() ? "<no answer>" : answer;
}

TEST_F(SecurityTest, OversizedBodyIsRefused) {
  uint64_t before = LogSize();
  std::string answer = AnswerToHead(server_->port(),
                                    "POST /api/v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-dala-sync\r\n"
                                    "Content-Length: " + std::to_string(17u << 20) + "\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_EQ(LogSize(), before);
}

TEST_F(SecurityTest, AJsonBodyOverItsRoutesLimitIsRefusedFromItsHeaders) {
  std::string answer = AnswerToHead(server_->port(),
                                    "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                    "Content-Length: " + std::to_string(1u << 20) + "\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_NE(answer.find("payload_too_large"), std::string::npos) << answer;
}

TEST_F(SecurityTest, CompressionBombIsRefused) {
  std::string bomb = *sync::Gzip(std::string(100u << 20, 'a'), 9);  // 100 MiB in ~100 KiB
  auto r = PostSigned(device_, bomb);
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(Code(r), "payload_too_large");
}

TEST_F(SecurityTest, MalformedSyncBodyIsRefused) {
  for (std::string body : {std::string("not gzip at all"), *sync::Gzip("DSQ1 garbage", 1), std::string()}) {
    auto r = PostSigned(device_, body);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_EQ(Code(r), "malformed_sync");
  }
}

TEST_F(SecurityTest, MalformedJsonIsRefused) {
  for (const char* path : {"/api/v1/login", "/api/v1/enroll"}) {
    auto r = http_->Post(path, "{\"username\": ", "application/json");
    EXPECT_EQ(r->status, 400) << path;
    EXPECT_EQ(Code(r), "malformed_json") << path;
  }
}

TEST_F(SecurityTest, RevisionsThatFailVerificationAreRefusedOneByOneAndNotStored) {
  uint64_t before = LogSize();
  sync::SigningKey other = sync::SigningKey::Generate(random_);
  std::string bad_signature = Revision(device_, 1, {});
  bad_signature[bad_signature.size() - 5] ^= 1;
  json invalid = Answers();
  invalid["queue_length"] = -3;
  std::string far_ahead = Revision(device_, 1, {}, Answers(), clock_.NowMs() + 3600 * 1000);
  struct Case {
    std::string envelope;
    const char* code;
  } cases[] = {
      {bad_signature, "bad_signature"},
      {Revision(device_, 1, {}, invalid), "invalid_answers"},
      {Revision(other, 1, {}), "wrong_author"},
      {Revision(device_, 2, sync::Sha256("nothing")), "gap"},
      {far_ahead, "clock_ahead"},
      // An honest HLC but a claimed wall time a year ahead.
      {Revision(device_, 1, {}, Answers(), -1, clock_.NowMs() + 365LL * 86400 * 1000), "clock_ahead"},
      {"DLE1 this is not an envelope", "malformed"},
  };
  for (const Case& c : cases) {
    auto r = PostSync(device_, {c.envelope});
    ASSERT_EQ(r->status, 200) << c.code;
    sync::SyncResponse resp = Decode(r);
    ASSERT_EQ(resp.rejected.size(), 1u) << c.code;
    EXPECT_EQ(resp.rejected[0].code, c.code);
    EXPECT_FALSE(resp.rejected[0].reason.empty());
    EXPECT_EQ(resp.accepted_through, 0u);
    EXPECT_EQ(LogSize(), before) << c.code;
  }
}

TEST_F(SecurityTest, RevisionForAFormTheServerDoesNotKnowIsRefused) {
  std::string doc = ReadFile(std::string(DALA_SOURCE_DIR) + "/schema/forms/psc_observation.json");
  doc.replace(doc.find("2026.11.1"), 9, "2099.1.1");
  auto unpublished = schema::Form::Load(doc);
  ASSERT_TRUE(unpublished.ok());
  form_ = *unpublished;
  auto r = PostSync(device_, {Revision(device_, 1, {})});
  ASSERT_EQ(r->status, 200);
  sync::SyncResponse resp = Decode(r);
  ASSERT_EQ(resp.rejected.size(), 1u);
  EXPECT_EQ(resp.rejected[0].code, "unknown_form");
}

TEST_F(SecurityTest, RevisionsAfterARefusedOneAreHeldBack) {
  json invalid = Answers();
  invalid["queue_length"] = -3;
  std::string first = Revision(device_, 1, {}, invalid);
  auto e1 = sync::Envelope::Parse(first);
  std::string second = Revision(device_, 2, e1->id());
  auto r = PostSync(device_, {first, second});
  sync::SyncResponse resp = Decode(r);
  ASSERT_EQ(resp.rejected.size(), 2u);
  EXPECT_EQ(resp.rejected[1].code, "held_back");
}

TEST_F(SecurityTest, ForkedChainIsRefused) {
  std::string one = Revision(device_, 1, {});
  ASSERT_EQ(Decode(PostSync(device_, {one})).accepted_through, 1u);
  uint64_t before = LogSize();
  auto r = PostSync(device_, {Revision(device_, 1, {})});  // another envelope with sequence 1
  sync::SyncResponse resp = Decode(r);
  ASSERT_EQ(resp.rejected.size(), 1u);
  EXPECT_EQ(resp.rejected[0].code, "fork");
  EXPECT_EQ(LogSize(), before);
}

TEST_F(SecurityTest, FormsAndTheirReferenceListsAreReadByPeopleOnly) {
  EXPECT_EQ(http_->Get("/api/v1/forms")->status, 401);
  auto login = http_->Post("/api/v1/login", R"({"username":"dana","password":"auditor-pw-1"})", "application/json");
  ASSERT_EQ(login->status, 200);
  std::string cookie = login->get_header_value("Set-Cookie");
  httplib::Headers auditor = {{"Cookie", cookie.substr(0, cookie.find(';'))}};
  auto forms = http_->Get("/api/v1/forms", auditor);
  ASSERT_EQ(forms->status, 200);
  std::string hash = json::parse(forms->body)["forms"][0]["hash"];
  EXPECT_EQ(http_->Get("/api/v1/forms/" + hash)->status, 401);

  auto doc = http_->Get("/api/v1/forms/" + hash, auditor);
  ASSERT_EQ(doc->status, 200);
  EXPECT_EQ(doc->body, ReadFile(std::string(DALA_SOURCE_DIR) + "/schema/forms/psc_observation.json"));
  auto centres = http_->Get("/api/v1/forms/" + hash + "/lists/centres", auditor);
  ASSERT_EQ(centres->status, 200);
  json list = json::parse(centres->body);
  EXPECT_EQ(list["form"], "psc_observation");
  ASSERT_FALSE(list["items"].empty());
  EXPECT_EQ(list["items"][0]["name"], "ala_01");
  EXPECT_EQ(list["items"][0]["region"], "ala");

  auto no_list = http_->Get("/api/v1/forms/" + hash + "/lists/planets", auditor);
  EXPECT_EQ(no_list->status, 404);
  EXPECT_EQ(Code(no_list), "not_found");
  for (const char* bad : {"/api/v1/forms/0000000000000000000000000000000000000000000000000000000000000000",
                          "/api/v1/forms/not-a-hash", "/api/v1/forms/not-a-hash/lists/centres"}) {
    auto r = http_->Get(bad, auditor);
    EXPECT_EQ(r->status, 404) << bad;
    EXPECT_EQ(Code(r), "not_found") << bad;
  }
}

TEST_F(SecurityTest, PeopleRefusals) {
  // Wrong password, and the same answer for an unknown user.
  auto bad = http_->Post("/api/v1/login", R"({"username":"aigerim","password":"nope-nope"})", "application/json");
  EXPECT_EQ(bad->status, 401);
  EXPECT_EQ(Code(bad), "bad_credentials");
  auto ghost = http_->Post("/api/v1/login", R"({"username":"ghost","password":"nope-nope"})", "application/json");
  EXPECT_EQ(Code(ghost), "bad_credentials");
  // No session.
  auto anon = http_->Get("/api/v1/submissions");
  EXPECT_EQ(anon->status, 401);
  // A session without its CSRF token cannot change anything.
  auto login = http_->Post("/api/v1/login", R"({"username":"aigerim","password":"coordinator-pw"})", "application/json");
  ASSERT_EQ(login->status, 200);
  std::string cookie = login->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  httplib::Headers with_cookie = {{"Cookie", cookie.substr(0, cookie.find(';'))}};
  auto no_csrf = http_->Post("/api/v1/duplicates/decide", with_cookie, "{}", "application/json");
  EXPECT_EQ(no_csrf->status, 403);
  EXPECT_EQ(Code(no_csrf), "csrf");
  // An auditor reads but never writes.
  auto audit = http_->Post("/api/v1/login", R"({"username":"dana","password":"auditor-pw-1"})", "application/json");
  ASSERT_EQ(audit->status, 200);
  std::string acookie = audit->get_header_value("Set-Cookie");
  std::string csrf = json::parse(audit->body)["csrf_token"];
  httplib::Headers auditor = {{"Cookie", acookie.substr(0, acookie.find(';'))}, {"X-CSRF-Token", csrf}};
  EXPECT_EQ(http_->Get("/api/v1/submissions", auditor)->status, 200);
  auto write = http_->Post("/api/v1/duplicates/decide", auditor, "{}", "application/json");
  EXPECT_EQ(write->status, 403);
  EXPECT_EQ(Code(write), "read_only_role");
  // Too many failures: refused even with the right password, until later.
  for (int i = 0; i < 6; ++i)
    http_->Post("/api/v1/login", R"({"username":"dana","password":"wrong-wrong"})", "application/json");
  auto locked = http_->Post("/api/v1/login", R"({"username":"dana","password":"auditor-pw-1"})", "application/json");
  EXPECT_EQ(locked->status, 429);
  EXPECT_EQ(Code(locked), "too_many_attempts");
  EXPECT_FALSE(locked->get_header_value("Retry-After").empty());
}

}  // namespace
}  // namespace dala::e2e

namespace dala::e2e {
namespace {

// A few kilobytes must never cost the server gigabytes: HTTP compression
// is refused before inflating, and JSON nesting before any tree is built.
TEST_F(SecurityTest, CompressedOrDeeplyNestedJsonBodiesAreRefusedCheaply) {
  std::string nested = std::string(60u << 10, '[');  // within the JSON routes' 64 KiB
  for (const char* path : {"/api/v1/enroll", "/api/v1/login"}) {
    auto r = http_->Post(path, nested, "application/json");
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path;
    EXPECT_EQ(Code(r), "malformed_json") << path;
  }
  nested = std::string(1u << 20, '[');
  httplib::Headers gz = {{"Content-Encoding", "gzip"}};
  auto compressed = http_->Post("/api/v1/enroll", gz, *sync::Gzip(nested, 9), "application/json");
  ASSERT_TRUE(compressed);
  EXPECT_EQ(compressed->status, 415);
  // The server is still well.
  EXPECT_EQ(http_->Get("/api/v1/health")->status, 200);
}

// The server's resident memory, from /proc.
long ResidentKiB(int pid) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("VmRSS:");
  return at == std::string::npos ? -1 : std::stol(status.substr(at + 6));
}

// A connection from `from` (any 127.x.y.z is this machine) that sends
// `bytes` and then nothing more.
int OpenAndSend(int port, const std::string& from, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, from.c_str(), &local.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  return fd;
}

// 500 clients that never finish their request heads, and 40 sending
// thousands of 8 KB header lines, from ten addresses: a normal request is
// still answered within a second, and the server's memory stays bounded
// (each connection is allowed 32 KiB of head; the flood is refused with
// 431 past it).
TEST_F(SecurityTest, FiveHundredSlowClientsAndAHeaderFloodLeaveTheServerAnswering) {
  const long before_kib = ResidentKiB(server_->pid());
  ASSERT_GT(before_kib, 0);
  std::vector<int> fds;
  for (int i = 0; i < 500; ++i) {
    int fd = OpenAndSend(server_->port(), "127.0.1." + std::to_string(10 + i % 10),
                         "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    ASSERT_GE(fd, 0) << "connection " << i;
    fds.push_back(fd);
  }
  const std::string line = "X-Flood: " + std::string(8000, 'f') + "\r\n";
  std::string flood = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 40; ++i) flood += line;  // 320 KB of headers per connection
  std::vector<std::thread> flooders;
  for (int t = 0; t < 4; ++t) {
    flooders.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        int fd = OpenAndSend(server_->port(), "127.0.2." + std::to_string(t), flood);
        if (fd >= 0) ::close(fd);
      }
    });
  }
  httplib::Client normal("127.0.0.1", server_->port());
  normal.set_connection_timeout(1, 0);
  normal.set_read_timeout(1, 0);
  auto r = normal.Get("/api/v1/health");
  for (auto& t : flooders) t.join();
  ASSERT_TRUE(r) << "a normal request was not answered within a second";
  EXPECT_EQ(r->status, 200);
  const long during_kib = ResidentKiB(server_->pid());
  for (int fd : fds) ::close(fd);
  // 540 connections with at most 32 KiB of head each would be 17 MiB;
  // the allocator and the sanitizers' bookkeeping take some more.
  EXPECT_LT(during_kib - before_kib, 64 * 1024) << "resident memory grew from " << before_kib << " KiB to "
                                               << during_kib << " KiB";
  std::cout << "server resident memory: " << before_kib << " KiB before, " << during_kib << " KiB during the flood\n";
  EXPECT_EQ(http_->Get("/api/v1/health")->status, 200);
}

TEST_F(SecurityTest, JsonEndpointsRefuseOtherContentTypes) {
  auto r = http_->Post("/api/v1/enroll", R"({"code":"x"})", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  EXPECT_EQ(Code(r), "unsupported_media_type");
}

}  // namespace
}  // namespace dala::e2e
