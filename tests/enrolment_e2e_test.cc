// Enrolment that survives a lost answer: the real `dala enroll` against a
// real dala-server, with the server's answer cut at every byte by a
// loopback proxy, and with the laptop failing to record what it was told.
// Each time the server has enrolled the laptop and the laptop does not
// know it; running the same command again must finish the enrolment, and
// `dala sync` must then work.

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "dala/base/sqlite.h"
#include "dala/client/device.h"
#include "dala/client/store.h"
#include "dala/client/sync_client.h"
#include "dala/client/transport.h"
#include "dala/sync/crypto.h"
#include "bad_network.h"
#include "e2e_util.h"

namespace dala::e2e {
namespace {

using nlohmann::json;

constexpr const char* kPassphrase = "volunteer-passphrase";

std::string Url(const BadNetwork& proxy) { return "http://127.0.0.1:" + std::to_string(proxy.port()); }

class EnrolmentE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sync::InitCrypto().ok());
    data_ = dir_ / "server";
    ASSERT_EQ(Server({"init", "--data", data_}).exit_code, 0);
    auto admin = Server({"user", "add", "root", "--role", "admin", "--data", data_}, {{"DALA_PASSWORD", "admin-pw-1"}});
    ASSERT_EQ(admin.exit_code, 0) << admin.err;
    server_ = std::make_unique<ServerProcess>(data_);
    ASSERT_TRUE(server_->ok()) << ReadFile(server_->log_path());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    auto login = http_->Post("/api/v1/login", json{{"username", "root"}, {"password", "admin-pw-1"}}.dump(),
                             "application/json");
    ASSERT_TRUE(login && login->status == 200);
    std::string cookie = login->get_header_value("Set-Cookie");
    headers_ = {{"Cookie", cookie.substr(0, cookie.find(';'))},
                {"X-CSRF-Token", json::parse(login->body).at("csrf_token").get<std::string>()}};
  }

  CommandResult Server(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    args.insert(args.begin(), ServerBinary());
    return RunCommand(args, env);
  }

  json Api(const std::string& path, const json& body) {
    auto r = http_->Post(path, headers_, body.dump(), "application/json");
    EXPECT_TRUE(r && r->status == 201) << path << ": " << (r ? r->body : "no answer");
    return r ? json::parse(r->body, nullptr, false) : json();
  }

  // A new volunteer and a code for them: each laptop here is its own
  // volunteer's first, so no enrolment queues another's history.
  std::string NewVolunteerCode(const std::string& name) {
    Api("/api/v1/users", {{"name", name}, {"role", "volunteer"}});
    return Api("/api/v1/enroll-codes", {{"volunteer", name}}).value("code", "");
  }

  // What `dala init` makes, with a cheap key derivation: hundreds of
  // laptops are made here, and unlocking is not what is tested.
  std::map<std::string, std::string> NewLaptop(const std::string& name) {
    std::string home = dir_ / ("laptop-" + name);
    EXPECT_EQ(::mkdir(home.c_str(), 0700), 0);
    auto store = client::LocalStore::Create(home + "/dala.db");
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return {};
    SystemClock clock;
    sync::SystemRandom random;
    EXPECT_TRUE(client::InitDevice(**store, kPassphrase, random, clock, {1, 64u << 10}).ok());
    return {{"DALA_HOME", home}, {"DALA_PASSPHRASE", kPassphrase}};
  }

  CommandResult Dala(const std::map<std::string, std::string>& env, std::vector<std::string> args) {
    args.insert(args.begin(), DalaBinary());
    return RunCommand(args, env);
  }

  uint64_t LogSize() {
    auto r = http_->Get("/api/v1/log/checkpoint");
    if (!r || r->status != 200) return 0;
    size_t a = r->body.find('\n');
    return std::stoull(r->body.substr(a + 1, r->body.find('\n', a + 1) - a - 1));
  }

  size_t DevicesOf(const std::string& volunteer) {
    auto r = http_->Get("/api/v1/devices", headers_);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    if (!r || r->status != 200) return 0;
    size_t n = 0;
    const json devices = json::parse(r->body);
    for (const json& d : devices["devices"]) n += d.value("volunteer", "") == volunteer;
    return n;
  }

  TempDir dir_;
  std::string data_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  httplib::Headers headers_;
};

// The cut falls at every byte of the status line and the headers, then
// at every 17th byte of the body (where each cut is the same short body to
// the client), and at every byte just before the end, where the answer
// lacks only its last bytes; past the end the first attempt succeeds and
// the second is the same enrolment asked again. The client library is
// called in-process here, hundreds of times; the CLI around it is tested
// below at a few cuts.
TEST_F(EnrolmentE2ETest, AnAnswerLostAtAnyPointIsFinishedByEnrollingAgainWithTheSameCode) {
  const uint64_t base = LogSize();
  SystemClock clock;
  auto direct = client::MakeHttpTransport(server_->url());
  ASSERT_TRUE(direct.ok());
  size_t laptops = 0;
  // One laptop whose first enrolment answer is cut after `cut` bytes;
  // true if that answer arrived whole.
  auto enrol_cut_at = [&](size_t cut) {
    char name[16];
    std::snprintf(name, sizeof(name), "v%04zu", cut);  // one length: the answers differ only in their bytes
    std::string code = NewVolunteerCode(name);
    EXPECT_FALSE(code.empty());
    auto laptop = NewLaptop(name);
    auto store = client::LocalStore::Open(laptop["DALA_HOME"] + "/dala.db");
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return true;
    auto device = client::Device::Unlock(**store, kPassphrase);
    EXPECT_TRUE(device.ok());
    if (!device.ok()) return true;
    ++laptops;
    // Later connections are the transport's https probe after the failure
    // (is this a TLS server?): closed at once, since a plain server would
    // hold the probe's handshake until its read timeout, seconds a cut.
    BadNetwork proxy(server_->port(), [cut](int n) {
      return n == 1 ? Plan{Act::kTruncateAnswer, cut} : Plan{Act::kCutRequest, 0};
    });
    auto through = client::MakeHttpTransport(Url(proxy));
    EXPECT_TRUE(through.ok());
    auto first = client::Enroll(**store, *device, **through, server_->url(), code, name, clock);
    if (!first.ok()) {
      EXPECT_EQ(first.status().code(), Status::Code::kUnavailable) << "cut " << cut << ": " << first.status().ToString();
      EXPECT_FALSE((*store)->Get(client::profile_key::kServerUrl)->has_value()) << "cut " << cut;
    }
    auto again = client::Enroll(**store, *device, **direct, server_->url(), code, name, clock);
    EXPECT_TRUE(again.ok()) << "cut " << cut << ": " << again.status().ToString();
    if (again.ok()) {
      EXPECT_EQ(again->volunteer, name);
    }
    auto url = (*store)->GetOr(client::profile_key::kServerUrl, "");
    EXPECT_TRUE(url.ok());
    if (url.ok()) {
      EXPECT_EQ(*url, server_->url()) << "cut " << cut;
    }
    return first.ok();
  };
  constexpr size_t kEveryByteBelow = 512, kBodyStride = 17;
  bool answered_whole = false;
  size_t cut = 0;
  while (!answered_whole && cut < 8192 && !HasFailure()) {
    answered_whole = enrol_cut_at(cut);
    if (answered_whole && cut > kEveryByteBelow) {
      // The answer ends within the last stride: cut at each byte skipped.
      for (size_t back = cut - kBodyStride + 1; back < cut && !HasFailure(); ++back) enrol_cut_at(back);
    }
    cut += cut < kEveryByteBelow ? 1 : kBodyStride;
  }
  EXPECT_TRUE(answered_whole) << "the answer was never let through whole";
  EXPECT_GT(laptops, 200u) << "an enrolment answer has its headers, a key and a signed checkpoint";
  // Each laptop was enrolled, and logged, exactly once.
  EXPECT_EQ(LogSize(), base + laptops);
}

// What a volunteer sees: `dala enroll` says to run it again, and that
// works, with the cut in the status line, the headers and the body.
TEST_F(EnrolmentE2ETest, TheSameEnrollCommandAgainFinishesAnEnrolmentWhoseAnswerWasLost) {
  for (size_t cut : {0, 9, 60, 300}) {
    std::string name = "c" + std::to_string(cut);
    std::string code = NewVolunteerCode(name);
    auto laptop = NewLaptop(name);
    BadNetwork proxy(server_->port(), [cut](int n) { return n == 1 ? Plan{Act::kTruncateAnswer, cut} : Plan{}; });
    auto first = Dala(laptop, {"--lang", "en", "enroll", Url(proxy), code});
    EXPECT_NE(first.exit_code, 0) << "cut " << cut;
    EXPECT_NE(first.err.find("run the same `dala enroll` command again"), std::string::npos)
        << "cut " << cut << ": " << first.err;
    EXPECT_EQ(DevicesOf(name), 1u) << "cut " << cut << ": the server enrolled it";
    auto not_yet = Dala(laptop, {"--lang", "en", "sync"});
    EXPECT_NE(not_yet.err.find("not enrolled"), std::string::npos) << not_yet.err;
    auto again = Dala(laptop, {"--lang", "en", "enroll", Url(proxy), code});
    ASSERT_EQ(again.exit_code, 0) << "cut " << cut << ": " << again.err;
    EXPECT_NE(again.out.find("as volunteer " + name), std::string::npos) << again.out;
    auto synced = Dala(laptop, {"sync"});
    EXPECT_EQ(synced.exit_code, 0) << "cut " << cut << ": " << synced.err;
    EXPECT_EQ(DevicesOf(name), 1u) << "cut " << cut;
  }
}

TEST_F(EnrolmentE2ETest, ALaptopThatCannotRecordItsEnrolmentFinishesItByEnrollingAgain) {
  std::string code = NewVolunteerCode("askar");
  auto laptop = NewLaptop("askar");
  const std::string db_path = laptop["DALA_HOME"] + "/dala.db";
  // The laptop's disk fills up as it records the server's answer.
  {
    auto db = sql::Database::Open(db_path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TRIGGER disk_full BEFORE INSERT ON profile WHEN NEW.key = 'server_url' "
                         "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
                    .ok());
  }
  auto full = Dala(laptop, {"enroll", server_->url(), code});
  EXPECT_NE(full.exit_code, 0);
  EXPECT_NE(full.err.find("disk is full"), std::string::npos) << full.err;
  EXPECT_EQ(DevicesOf("askar"), 1u);
  // Nothing of the enrolment was kept, so nothing contradicts it...
  auto not_yet = Dala(laptop, {"--lang", "en", "sync"});
  EXPECT_NE(not_yet.exit_code, 0);
  EXPECT_NE(not_yet.err.find("not enrolled"), std::string::npos) << not_yet.err;
  {
    auto db = sql::Database::Open(db_path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("DROP TRIGGER disk_full").ok());
  }
  // ...and once there is room, the same command finishes it.
  const uint64_t size = LogSize();
  auto again = Dala(laptop, {"enroll", server_->url(), code});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto synced = Dala(laptop, {"sync"});
  EXPECT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_EQ(LogSize(), size);
  EXPECT_EQ(DevicesOf("askar"), 1u);
}

TEST_F(EnrolmentE2ETest, AnEnrolledLaptopCannotTakeAnotherVolunteersCode) {
  auto laptop = NewLaptop("askar");
  ASSERT_EQ(Dala(laptop, {"enroll", server_->url(), NewVolunteerCode("askar")}).exit_code, 0);
  std::string other = NewVolunteerCode("dina");
  auto r = Dala(laptop, {"enroll", server_->url(), other});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("already_enrolled"), std::string::npos) << r.err;
  // dina's code was not used up by the refusal.
  auto dina = NewLaptop("dina");
  EXPECT_EQ(Dala(dina, {"enroll", server_->url(), other}).exit_code, 0);
  // Another server is refused before anything is sent.
  auto elsewhere = Dala(laptop, {"--lang", "en", "enroll", "http://127.0.0.1:1", other});
  EXPECT_NE(elsewhere.err.find("already enrolled with " + server_->url()), std::string::npos) << elsewhere.err;
}

// Everything `dala enroll` and `dala sync` say to a volunteer in a Kazakh
// session is Kazakh: a code that is not one, a server out of reach, the
// success, another server, and the sync.
TEST_F(EnrolmentE2ETest, AKazakhSessionsEnrolmentAndSyncMessagesAreKazakh) {
  auto laptop = NewLaptop("askar");
  std::string code = NewVolunteerCode("askar");
  auto kk = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--lang", "kk"});
    return Dala(laptop, args);
  };
  auto bad_code = kk({"enroll", server_->url(), "not-a-code"});
  EXPECT_NE(bad_code.exit_code, 0);
  EXPECT_NE(bad_code.err.find("тіркеу сәтсіз: 'not-a-code' тіркеу коды емес"), std::string::npos) << bad_code.err;
  auto away = kk({"enroll", "http://127.0.0.1:1", code});
  EXPECT_NE(away.exit_code, 0);
  EXPECT_NE(away.err.find("http://127.0.0.1:1 серверіне қосылу мүмкін емес"), std::string::npos) << away.err;
  EXPECT_NE(away.err.find("дәл осы `dala enroll`"), std::string::npos) << away.err;
  auto enrolled = kk({"enroll", server_->url(), code});
  EXPECT_EQ(enrolled.exit_code, 0) << enrolled.err;
  EXPECT_NE(enrolled.out.find(server_->url() + " серверіне askar ерікті ретінде тіркелді."), std::string::npos)
      << enrolled.out;
  EXPECT_NE(enrolled.out.find("Сервер кілті: "), std::string::npos) << enrolled.out;
  EXPECT_NE(enrolled.out.find("Формаларды алу үшін `dala sync`"), std::string::npos) << enrolled.out;
  auto elsewhere = kk({"enroll", "http://127.0.0.1:1", code});
  EXPECT_NE(elsewhere.err.find("бұл ноутбук " + server_->url() + " серверіне тіркеліп қойған"), std::string::npos)
      << elsewhere.err;
  auto synced = kk({"sync"});
  EXPECT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_NE(synced.out.find("Жіберілді"), std::string::npos) << synced.out;
  for (const CommandResult* r : {&bad_code, &away, &enrolled, &elsewhere, &synced})
    for (const char* english : {"enrolment failed", "cannot reach", "Enrolled with", "Server key", "Run `dala sync`",
                                "already enrolled", "not an enrolment code"})
      EXPECT_EQ((r->out + r->err).find(english), std::string::npos) << english << " in:\n" << r->out << r->err;
}

}  // namespace
}  // namespace dala::e2e
