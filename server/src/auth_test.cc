// SessionAuth, DeviceAuthenticator and the accounts endpoints, over a real
// SqliteStore in a temp dir, with a fake clock and seeded randomness. The
// endpoints are driven through the Router: no sockets needed.
#include "auth.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin.h"
#include "api.h"
#include "api_errors.h"
#include "api_test_util.h"
#include "dala/base/hex.h"
#include "dala/base/sqlite.h"
#include "dala/sync/enrolment.h"
#include "dala/sync/envelope.h"
#include "dala/sync/ids.h"
#include "dala/sync/verify.h"
#include "record_service.h"
#include "router.h"
#include "store_test_util.h"

namespace dala::server {
namespace {

using nlohmann::json;
using testing::kPassword;
using testing::PasswordHash;

constexpr int64_t kStart = 1'700'000'000'000;

class AuthTest : public ::testing::Test, protected testing::ApiWorld {
 protected:
  AuthTest() : ApiWorld(kStart, 42) {}
  void SetUp() override {
    Status opened = Open(testing::ScratchDirectory(std::string("dala_auth_") +
                                                   ::testing::UnitTest::GetInstance()->current_test_info()->name()),
                         PasswordHash());
    ASSERT_TRUE(opened.ok()) << opened.ToString();
    sessions_ = &api_->sessions();
    devices_ = &api_->devices();
  }

  HttpResponse Call(std::string method, std::string path, std::string body = "", HeaderMap headers = {},
                    bool tls = false, std::string remote = "10.0.0.1") {
    HttpRequest r = testing::MakeRequest(std::move(method), std::move(path), std::move(body), std::move(headers),
                                         std::move(remote));
    r.tls = tls;
    return router_.Dispatch(r);
  }

  HttpResponse LoginAs(std::string user, std::string password = kPassword, bool tls = false,
                       std::string remote = "10.0.0.1") {
    return Call("POST", "/api/v1/login", json{{"username", user}, {"password", password}}.dump(), {}, tls, remote);
  }

  // Logs in and returns the headers that carry the session (cookie and CSRF).
  HeaderMap SessionHeaders(std::string user) {
    HttpResponse r = LoginAs(user);
    EXPECT_EQ(r.status, 200) << r.body;
    return testing::SessionHeaders(r);
  }

  static std::string Code(const HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("error")) return "<no error: " + r.body + ">";
    return j["error"]["code"].get<std::string>();
  }

  // A signed device request.
  HttpRequest DeviceRequest(const sync::SigningKey& key, std::string body = "{}", int64_t at_ms = 0,
                            std::string target = "/api/v1/sync") {
    HeaderMap signed_headers =
        testing::SignedHeaders(key, "POST", target, body, at_ms ? at_ms : clock_.NowMs(), random_);
    HttpRequest r = testing::MakeRequest("POST", std::move(target), std::move(body), std::move(signed_headers));
    r.headers.erase("Content-Type");
    return r;
  }

  sync::SigningKey Enrolled(uint64_t seed, bool revoked = false) {
    sync::SeededRandom r(seed);
    sync::SigningKey key = sync::SigningKey::Generate(r);
    Device d = testing::LaptopRow(key.public_key(), "vera", "cora", kStart);
    EXPECT_TRUE(store_->AddDevice(d).ok());
    if (revoked) {
      EXPECT_TRUE(store_->RevokeDevice(d.key, "ada", "lost", kStart).ok());
    }
    return key;
  }

  SessionAuth* sessions_ = nullptr;
  DeviceAuthenticator* devices_ = nullptr;
};

// --- login -----------------------------------------------------------------------

TEST_F(AuthTest, LoginSetsAnHttpOnlyStrictCookieWithoutSecureOverPlainHttp) {
  HttpResponse r = LoginAs("cora");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string cookie = r.headers["Set-Cookie"];
  EXPECT_EQ(cookie.rfind("dala_session=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos);
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos);
  EXPECT_NE(cookie.find("; Max-Age=43200"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);
  json j = json::parse(r.body);
  EXPECT_EQ(j["user"], "cora");
  EXPECT_EQ(j["role"], "coordinator");
  EXPECT_EQ(j["csrf_token"].get<std::string>().size(), 64u);
  EXPECT_EQ(r.headers["Cache-Control"], "no-store");
}

TEST_F(AuthTest, LoginOverTlsMarksTheCookieSecure) {
  HttpResponse r = LoginAs("cora", kPassword, /*tls=*/true);
  ASSERT_EQ(r.status, 200);
  std::string cookie = r.headers["Set-Cookie"];
  EXPECT_NE(cookie.find("; Secure"), std::string::npos) << cookie;
}

TEST_F(AuthTest, SessionTokenIsStoredOnlyAsItsHash) {
  HttpResponse r = LoginAs("cora");
  std::string cookie = r.headers["Set-Cookie"];
  std::string token = cookie.substr(13, 64);
  EXPECT_FALSE(store_->FindSession(token)->has_value());
  EXPECT_TRUE(store_->FindSession(ToHex(sync::Sha256(token)))->has_value());
}

TEST_F(AuthTest, WrongPasswordAndUnknownUserGetTheSameAnswer) {
  HttpResponse wrong = LoginAs("cora", "not the password");
  HttpResponse unknown = LoginAs("nobody", kPassword);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(Code(wrong), "bad_credentials");
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(wrong.headers.count("Set-Cookie"), 0u);
}

TEST_F(AuthTest, VolunteerWithoutPasswordCannotLogIn) {
  EXPECT_EQ(Code(LoginAs("vera", "")), "bad_credentials");
  EXPECT_EQ(Code(LoginAs("vera", kPassword)), "bad_credentials");
}

TEST_F(AuthTest, VolunteerWithAPasswordHashStillCannotLogIn) {
  ASSERT_TRUE(store_->AddUser("vlad", Role::kVolunteer, PasswordHash(), kStart).ok());
  EXPECT_EQ(Code(LoginAs("vlad")), "bad_credentials");
}

TEST_F(AuthTest, AfterTheFreeFailuresEvenTheRightPasswordWaits) {
  const ThrottlePolicy& p = config_.login_throttle;
  for (int i = 0; i < p.free_failures; ++i) EXPECT_EQ(Code(LoginAs("cora", "wrong")), "bad_credentials") << i;
  HttpResponse r = LoginAs("cora");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Code(r), "too_many_attempts");
  int64_t retry = std::stoll(r.headers["Retry-After"]);
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, p.first_delay_ms / 1000);
}

TEST_F(AuthTest, LoginIsAllowedAgainOnceTheDelayHasPassed) {
  const ThrottlePolicy& p = config_.login_throttle;
  for (int i = 0; i < p.free_failures; ++i) (void)LoginAs("cora", "wrong");
  clock_.Advance(p.first_delay_ms - 1);
  EXPECT_EQ(LoginAs("cora").status, 429);
  clock_.Advance(1);
  EXPECT_EQ(LoginAs("cora").status, 200);
}

TEST_F(AuthTest, AColleagueBehindTheSameOfficeAddressLogsInWhileATypistWaits) {
  for (int i = 0; i < 6; ++i) (void)LoginAs("cora", "wrong", false, "192.0.2.10");
  EXPECT_EQ(LoginAs("cora", kPassword, false, "192.0.2.10").status, 429);
  EXPECT_EQ(LoginAs("ada", kPassword, false, "192.0.2.10").status, 200);
}

TEST_F(AuthTest, TheOwnerLogsInWhileStrangersHammerTheirNameFromElsewhere) {
  for (int i = 0; i < 6; ++i) (void)LoginAs("cora", "wrong", false, "198.51.100." + std::to_string(i % 2));
  EXPECT_EQ(LoginAs("cora", kPassword, false, "198.51.100.0").status, 429);
  EXPECT_EQ(LoginAs("cora", kPassword, false, "192.0.2.10").status, 200);
}

TEST_F(AuthTest, SuccessClearsThePairsFailures) {
  const ThrottlePolicy& p = config_.login_throttle;
  for (int i = 0; i < p.free_failures - 1; ++i) (void)LoginAs("cora", "wrong");
  EXPECT_EQ(LoginAs("cora").status, 200);
  for (int i = 0; i < p.free_failures - 1; ++i) (void)LoginAs("cora", "wrong");
  EXPECT_EQ(LoginAs("cora").status, 200);
}

// A hash as servers before this one made them: libsodium's 64 MiB limits.
std::string OutdatedHashOf(const char* password) {
  char hash[crypto_pwhash_STRBYTES];
  EXPECT_EQ(crypto_pwhash_str(hash, password, std::strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE),
            0);
  return hash;
}

TEST_F(AuthTest, ALoginOverAnOutdatedHashStoresThePasswordHashedAgain) {
  ASSERT_TRUE(store_->SetPassword("cora", OutdatedHashOf(kPassword)).ok());
  ASSERT_EQ(LoginAs("cora").status, 200);
  const std::string stored = (*store_->FindUser("cora"))->password_hash;
  EXPECT_FALSE(sync::PasswordHashIsOutdated(stored)) << stored;
  EXPECT_TRUE(sync::CheckPassword(stored, kPassword));
  EXPECT_EQ(LoginAs("cora").status, 200);
  EXPECT_EQ(Code(LoginAs("cora", "wrong")), "bad_credentials");
}

TEST_F(AuthTest, AWrongPasswordLeavesAnOutdatedHashAsItWas) {
  const std::string outdated = OutdatedHashOf(kPassword);
  ASSERT_TRUE(store_->SetPassword("cora", outdated).ok());
  EXPECT_EQ(Code(LoginAs("cora", "wrong")), "bad_credentials");
  EXPECT_EQ((*store_->FindUser("cora"))->password_hash, outdated);
  EXPECT_EQ(LoginAs("cora").status, 200) << "the old hash stopped checking";
}

TEST_F(AuthTest, ALoginStandsWhenThePasswordHashedAgainCannotBeStored) {
  // The database refuses the new hash (as a full disk would): the login
  // still succeeds on the old one, which stays as it was and still checks.
  const std::string outdated = OutdatedHashOf(kPassword);
  ASSERT_TRUE(store_->SetPassword("cora", outdated).ok());
  {
    auto db = sql::Database::Open((dir_ / "dala-server.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->Exec("CREATE TRIGGER refuse_new_hash BEFORE UPDATE OF password_hash ON users "
                         "BEGIN SELECT RAISE(ABORT, 'no room for the new hash'); END")
                    .ok());
  }
  HttpResponse first = LoginAs("cora");
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ((*store_->FindUser("cora"))->password_hash, outdated);
  EXPECT_EQ(LoginAs("cora").status, 200);
  EXPECT_EQ(Code(LoginAs("cora", "wrong")), "bad_credentials");
}

TEST_F(AuthTest, LoginsArrivingTogetherCheckTwoPasswordsAtATime) {
  // Six people at once, each from an address of their own, half of them
  // mistyping: no more than two Argon2id hashes are held at any moment.
  std::vector<std::thread> people;
  std::vector<int> statuses(6, 0);
  for (int i = 0; i < 6; ++i)
    people.emplace_back([&, i] {
      statuses[i] = LoginAs(i % 2 ? "cora" : "ada", i < 3 ? kPassword : "mistyped", false,
                            "10.0.1." + std::to_string(i)).status;
    });
  for (std::thread& t : people) t.join();
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200, 401, 401, 401}));
  EXPECT_GE(sessions_->PeakPasswordChecks(), 1);
  EXPECT_LE(sessions_->PeakPasswordChecks(), SessionAuth::kPasswordChecksAtOnce);
}

TEST_F(AuthTest, LoginWithMalformedJsonIs400) {
  HttpResponse r = Call("POST", "/api/v1/login", "{\"username\": ");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Code(r), "malformed_json");
  EXPECT_EQ(Code(Call("POST", "/api/v1/login", "[1,2]")), "malformed_json");
  EXPECT_EQ(Code(Call("POST", "/api/v1/login", "{\"username\":\"\xff\"}")), "malformed_json");
}

TEST_F(AuthTest, LoginWithMissingFieldNamesIt) {
  HttpResponse r = Call("POST", "/api/v1/login", R"({"username":"cora"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Code(r), "invalid_request");
  EXPECT_NE(r.body.find("password"), std::string::npos);
  HttpResponse typed = Call("POST", "/api/v1/login", R"({"username":7,"password":"x"})");
  EXPECT_EQ(Code(typed), "invalid_request");
  EXPECT_NE(typed.body.find("username"), std::string::npos);
}

TEST_F(AuthTest, LoginWithAFormContentTypeIs415) {
  HeaderMap h;
  h["Content-Type"] = "application/x-www-form-urlencoded";
  HttpResponse r = Call("POST", "/api/v1/login", "username=cora&password=x", h);
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(Code(r), "unsupported_media_type");
}

TEST_F(AuthTest, LoginAcceptsJsonWithACharset) {
  HeaderMap h;
  h["Content-Type"] = "application/json; charset=utf-8";
  EXPECT_EQ(Call("POST", "/api/v1/login", json{{"username", "cora"}, {"password", kPassword}}.dump(), h).status, 200);
}

// --- sessions -----------------------------------------------------------------------

TEST_F(AuthTest, MeNamesTheLoggedInUser) {
  HeaderMap h = SessionHeaders("audrey");
  h.erase("X-CSRF-Token");
  HttpResponse r = Call("GET", "/api/v1/me", "", h);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["user"], "audrey");
  EXPECT_EQ(j["role"], "auditor");
  EXPECT_EQ(j["csrf_token"].get<std::string>().size(), 64u);
}

TEST_F(AuthTest, NoCookieIs401) {
  HttpResponse r = Call("GET", "/api/v1/me");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Code(r), "unauthenticated");
}

TEST_F(AuthTest, ForgedOrMalformedCookieIs401) {
  for (std::string value : {std::string(64, 'a'), std::string("short"), std::string(64, 'G'),
                            std::string(65, 'a')}) {
    HeaderMap h;
    h["Cookie"] = "dala_session=" + value;
    HttpResponse r = Call("GET", "/api/v1/me", "", h);
    EXPECT_EQ(r.status, 401) << value;
    EXPECT_EQ(Code(r), "unauthenticated");
  }
}

TEST_F(AuthTest, ExpiredSessionIs401) {
  HeaderMap h = SessionHeaders("cora");
  clock_.Advance(config_.session_lifetime_ms - 1);
  EXPECT_EQ(Call("GET", "/api/v1/me", "", h).status, 200);
  clock_.Advance(1);
  HttpResponse r = Call("GET", "/api/v1/me", "", h);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Code(r), "unauthenticated");
}

TEST_F(AuthTest, LogoutEndsTheSessionAndClearsTheCookie) {
  HeaderMap h = SessionHeaders("audrey");  // any role may log out
  HttpResponse out = Call("POST", "/api/v1/logout", "", h);
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_NE(out.headers["Set-Cookie"].find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/me", "", h).status, 401);
}

TEST_F(AuthTest, LogoutWithoutCsrfIs403AndKeepsTheSession) {
  HeaderMap h = SessionHeaders("cora");
  HeaderMap no_csrf = h;
  no_csrf.erase("X-CSRF-Token");
  EXPECT_EQ(Code(Call("POST", "/api/v1/logout", "", no_csrf)), "csrf");
  EXPECT_EQ(Call("GET", "/api/v1/me", "", h).status, 200);
}

TEST_F(AuthTest, StateChangingRequestWithoutCsrfIs403) {
  HeaderMap h = SessionHeaders("ada");
  h.erase("X-CSRF-Token");
  HttpResponse r = Call("POST", "/api/v1/users", R"({"name":"new","role":"volunteer"})", h);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Code(r), "csrf");
  EXPECT_FALSE(store_->FindUser("new")->has_value());
}

TEST_F(AuthTest, StateChangingRequestWithWrongCsrfIs403) {
  HeaderMap h = SessionHeaders("ada");
  for (std::string bad : {std::string(64, '0'), std::string("x"), h["X-CSRF-Token"] + "0"}) {
    HeaderMap w = h;
    w["X-CSRF-Token"] = bad;
    HttpResponse r = Call("POST", "/api/v1/users", R"({"name":"new","role":"volunteer"})", w);
    EXPECT_EQ(Code(r), "csrf") << bad;
  }
  EXPECT_FALSE(store_->FindUser("new")->has_value());
}

TEST_F(AuthTest, CsrfTokenOfAnotherSessionIsRefused) {
  HeaderMap mine = SessionHeaders("ada");
  HeaderMap theirs = SessionHeaders("cora");
  mine["X-CSRF-Token"] = theirs["X-CSRF-Token"];
  EXPECT_EQ(Code(Call("POST", "/api/v1/users", R"({"name":"new","role":"volunteer"})", mine)), "csrf");
}

TEST_F(AuthTest, AuditorStateChangingRequestIsReadOnlyRole) {
  HeaderMap h = SessionHeaders("audrey");
  HttpResponse r = Call("POST", "/api/v1/enroll-codes", R"({"volunteer":"vera"})", h);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Code(r), "read_only_role");
}

TEST_F(AuthTest, AuditorMayRead) {
  HeaderMap h = SessionHeaders("audrey");
  h.erase("X-CSRF-Token");
  EXPECT_EQ(Call("GET", "/api/v1/devices", "", h).status, 200);
}

TEST_F(AuthTest, VolunteersAreTheOnlyRoleThatCannotLogIn) {
  EXPECT_FALSE(CanLogIn(Role::kVolunteer));
  EXPECT_TRUE(CanLogIn(Role::kAuditor));
  EXPECT_TRUE(CanLogIn(Role::kCoordinator));
  EXPECT_TRUE(CanLogIn(Role::kAdmin));
}

// --- users, codes, devices ---------------------------------------------------------

TEST_F(AuthTest, AdminAddsAndListsUsers) {
  HeaderMap h = SessionHeaders("ada");
  HttpResponse add = Call("POST", "/api/v1/users", R"({"name":"nurlan","role":"coordinator","password":"long enough pw"})", h);
  ASSERT_EQ(add.status, 201) << add.body;
  EXPECT_EQ(json::parse(add.body)["role"], "coordinator");
  HttpResponse list = Call("GET", "/api/v1/users", "", h);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find("argon2"), std::string::npos);  // hashes never leave the server
  EXPECT_NE(list.body.find("nurlan"), std::string::npos);
  EXPECT_EQ(LoginAs("nurlan", "long enough pw").status, 200);
}

TEST_F(AuthTest, CoordinatorCannotManageUsers) {
  HeaderMap h = SessionHeaders("cora");
  EXPECT_EQ(Code(Call("GET", "/api/v1/users", "", h)), "forbidden");
  HttpResponse add = Call("POST", "/api/v1/users", R"({"name":"x","role":"admin","password":"long enough pw"})", h);
  EXPECT_EQ(add.status, 403);
  EXPECT_EQ(Code(add), "forbidden");
  EXPECT_FALSE(store_->FindUser("x")->has_value());
}

TEST_F(AuthTest, AddUserRefusesBadInputAndStoresNothing) {
  HeaderMap h = SessionHeaders("ada");
  struct Case {
    const char* body;
    const char* code;
  } cases[] = {
      {R"({"name":"bad name","role":"volunteer"})", "invalid_request"},
      {R"({"name":"ok","role":"superuser","password":"long enough pw"})", "invalid_request"},
      {R"({"name":"ok","role":"coordinator"})", "invalid_request"},
      {R"({"name":"ok","role":"coordinator","password":"short"})", "invalid_request"},
      {R"({"name":"ok","role":"volunteer","password":"long enough pw"})", "invalid_request"},
      {R"({"role":"volunteer"})", "invalid_request"},
      {R"({"name":"ok","role":"volunteer")", "malformed_json"},
  };
  for (const Case& c : cases) {
    HttpResponse r = Call("POST", "/api/v1/users", c.body, h);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(Code(r), c.code) << c.body;
  }
  EXPECT_FALSE(store_->FindUser("ok")->has_value());
  EXPECT_EQ(Call("POST", "/api/v1/users", R"({"name":"cora","role":"volunteer"})", h).status, 409);
}

TEST_F(AuthTest, APasswordResetEndsTheUsersSessionsAndTheOldPassword) {
  HeaderMap cora = SessionHeaders("cora");
  HeaderMap ada = SessionHeaders("ada");
  HttpResponse r = Call("POST", "/api/v1/users/cora/password", R"({"password":"a brand new one"})", ada);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["sessions_ended"], true);
  EXPECT_EQ(Call("GET", "/api/v1/me", "", cora).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/me", "", ada).status, 200) << "another user's session ended";
  EXPECT_EQ(Code(LoginAs("cora")), "bad_credentials");
  EXPECT_EQ(LoginAs("cora", "a brand new one").status, 200);
}

TEST_F(AuthTest, APasswordResetLiftsTheUsersLoginDelays) {
  for (int i = 0; i < config_.login_throttle.free_failures; ++i) (void)LoginAs("cora", "wrong");
  ASSERT_EQ(LoginAs("cora", "a brand new one").status, 429);
  HttpResponse r = Call("POST", "/api/v1/users/cora/password", R"({"password":"a brand new one"})",
                        SessionHeaders("ada"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(LoginAs("cora", "a brand new one").status, 200);
}

TEST_F(AuthTest, APasswordResetRefusesVolunteersBadPasswordsAndStrangers) {
  HeaderMap h = SessionHeaders("ada");
  const std::string before = (*store_->FindUser("cora"))->password_hash;
  EXPECT_EQ(Code(Call("POST", "/api/v1/users/vera/password", R"({"password":"long enough pw"})", h)), "invalid_request");
  EXPECT_EQ(Code(Call("POST", "/api/v1/users/cora/password", R"({"password":"short"})", h)), "invalid_request");
  EXPECT_EQ(Code(Call("POST", "/api/v1/users/cora/password", "{}", h)), "invalid_request");
  EXPECT_EQ(Code(Call("POST", "/api/v1/users/cora/password", R"({"password":7})", h)), "invalid_request");
  EXPECT_EQ(Code(Call("POST", "/api/v1/users/nobody/password", R"({"password":"long enough pw"})", h)), "not_found");
  EXPECT_EQ((*store_->FindUser("cora"))->password_hash, before);
  EXPECT_EQ((*store_->FindUser("vera"))->password_hash, "");
}

TEST_F(AuthTest, AnAdminsUnlockLetsATypistTryAgainAtOnce) {
  for (int i = 0; i < config_.login_throttle.free_failures; ++i) (void)LoginAs("cora", "wrong");
  ASSERT_EQ(LoginAs("cora").status, 429);
  HttpResponse r = Call("POST", "/api/v1/users/cora/unlock", "", SessionHeaders("ada"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["cleared"], 1);
  EXPECT_EQ(LoginAs("cora").status, 200);
  EXPECT_EQ(Code(Call("POST", "/api/v1/users/nobody/unlock", "", SessionHeaders("ada"))), "not_found");
}

TEST_F(AuthTest, ARetiredFormIsListedAsSuchAndCannotBeRetiredTwice) {
  auto form = api_->records().PublishForm(
      R"({"dala_form":1,"id":"visit","version":"1","title":"Visit","languages":["en"],"default_language":"en",
          "questions":[{"type":"text","name":"centre","label":"Centre"}]})",
      "p");
  ASSERT_TRUE(form.ok()) << form.status().ToString();
  HeaderMap h = SessionHeaders("ada");
  HttpResponse r = Call("POST", "/api/v1/forms/" + form->hash + "/retire", "", h);
  ASSERT_EQ(r.status, 200) << r.body;
  json listed = json::parse(Call("GET", "/api/v1/forms", "", h).body)["forms"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["retired_ms"], kStart);
  EXPECT_EQ(listed[0]["retired_by"], "ada");
  EXPECT_EQ(Code(Call("POST", "/api/v1/forms/" + form->hash + "/retire", "", h)), "already_retired");
  EXPECT_EQ(Code(Call("POST", "/api/v1/forms/" + std::string(64, 'b') + "/retire", "", h)), "not_found");
}

// A record made in Almaty (UTC+5) just after its midnight, checked on a
// server that runs on UTC, where it is still the day before: the check
// judges the correction on the record's day.
TEST_F(AuthTest, CheckingACorrectionJudgesItOnTheRecordsDayNotTheServers) {
  auto form = api_->records().PublishForm(testing::kNoFutureDateForm, "p");
  ASSERT_TRUE(form.ok()) << form.status().ToString();
  clock_.Set(1'700'078'400'000);  // 2023-11-15 20:00 UTC: 01:00 on 16 November in Almaty
  sync::SigningKey key = Enrolled(7);
  sync::EnvelopeFields f;
  f.submission = sync::NewSubmissionId(clock_, random_);
  f.sequence = 1;
  f.hlc = sync::HlcTimestamp::Make(static_cast<uint64_t>(clock_.NowMs()), 0);
  f.wall_ms = clock_.NowMs();
  ASSERT_TRUE(FromHex(form->hash, &f.form_hash));
  f.form_id = "dated";
  f.form_version = "1";
  f.body = sync::MakeRevisionBody(json{{"visit_date", "2023-11-16"}, {"queue", 3}}.dump(), 300);
  auto sealed = sync::SealEnvelope(f, key);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  sync::SyncRequest request;
  request.envelopes = {*sealed};
  auto device = store_->FindDevice(key.public_key());
  ASSERT_TRUE(device.ok() && device->has_value());
  auto synced = api_->records().HandleSync(**device, request);
  ASSERT_TRUE(synced.ok() && synced->accepted_through == 1) << synced.status().ToString();

  HeaderMap h = SessionHeaders("cora");
  const std::string check = "/api/v1/submissions/" + sync::FormatSubmissionId(f.submission) + "/check";
  HttpResponse r = Call("POST", check, R"({"set":{"queue":4}})", h);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["problems"], json::array()) << r.body;
  // A day that is the future in Almaty too is still a problem.
  r = Call("POST", check, R"({"set":{"visit_date":"2023-11-17"}})", h);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["problems"].size(), 1u) << r.body;
}

TEST_F(AuthTest, CoordinatorIssuesAnEnrollCodeForAVolunteer) {
  HeaderMap h = SessionHeaders("cora");
  HttpResponse r = Call("POST", "/api/v1/enroll-codes", R"({"volunteer":"vera","ttl_hours":2})", h);
  ASSERT_EQ(r.status, 201) << r.body;
  json j = json::parse(r.body);
  std::string code = j["code"];
  EXPECT_EQ(code.size(), 14u);
  EXPECT_EQ(j["volunteer"], "vera");
  EXPECT_EQ(j["expires_ms"], kStart + 2 * 3600 * 1000);
  auto consumed = store_->ConsumeEnrollCode(EnrollCodeHash(sync::NormalizeEnrollCode(code)), kStart + 1);
  ASSERT_TRUE(consumed.ok());
  EXPECT_EQ(consumed->created_by, "cora");
}

TEST_F(AuthTest, EnrollCodeRefusesBadInput) {
  HeaderMap h = SessionHeaders("ada");
  struct Case {
    const char* body;
    int status;
    const char* code;
  } cases[] = {
      {R"({"volunteer":"ghost"})", 404, "not_found"},
      {R"({"volunteer":"cora"})", 400, "invalid_request"},
      {R"({"volunteer":"vera","ttl_hours":0})", 400, "invalid_request"},
      {R"({"volunteer":"vera","ttl_hours":721})", 400, "invalid_request"},
      {R"({"volunteer":"vera","ttl_hours":"72"})", 400, "invalid_request"},
      {R"({"volunteer":"vera","ttl_hours":1.5})", 400, "invalid_request"},
      {R"({})", 400, "invalid_request"},
      {R"(nope)", 400, "malformed_json"},
  };
  for (const Case& c : cases) {
    HttpResponse r = Call("POST", "/api/v1/enroll-codes", c.body, h);
    EXPECT_EQ(r.status, c.status) << c.body << " " << r.body;
    EXPECT_EQ(Code(r), c.code) << c.body;
  }
}

TEST_F(AuthTest, EnrollWithTextThatCannotBeACodeIsRefusedAsBadCode) {
  sync::SeededRandom r(9);
  sync::SigningKey key = sync::SigningKey::Generate(r);
  for (const char* typed : {"not a code", "K7MX-Q4TR-P2N0", ""}) {
    json body = {{"code", typed},
                 {"public_key", ToHex(key.public_key())},
                 {"proof", ToHex(sync::SignEnrollProof(key, typed))}};
    HttpResponse resp = Call("POST", "/api/v1/enroll", body.dump());
    EXPECT_EQ(resp.status, 400) << typed << ": " << resp.body;
    EXPECT_EQ(Code(resp), "bad_code") << typed;
  }
  EXPECT_FALSE(store_->FindDevice(key.public_key())->has_value());
}

// A bad proof is refused before the code is looked up (an unknown code
// here), and the refusal spells out the bytes that were to be signed.
TEST_F(AuthTest, EnrollWithABadProofSaysWhichBytesWereToBeSignedBeforeLookingAtTheCode) {
  sync::SeededRandom r(9);
  sync::SigningKey key = sync::SigningKey::Generate(r);
  json body = {{"code", "k7mx-q4tr-p2nw"},
               {"public_key", ToHex(key.public_key())},
               {"proof", ToHex(sync::SignEnrollProof(key, "k7mx-q4tr-p2nw"))}};  // signed as typed: wrong
  HttpResponse resp = Call("POST", "/api/v1/enroll", body.dump());
  EXPECT_EQ(resp.status, 401) << resp.body;
  EXPECT_EQ(Code(resp), "bad_signature");
  const std::string expected = "dala-enroll-v1\\nK7MXQ4TRP2NW\\n" + ToHex(key.public_key());
  EXPECT_NE(json::parse(resp.body)["error"]["message"].get<std::string>().find(expected), std::string::npos)
      << resp.body;
  EXPECT_FALSE(store_->FindDevice(key.public_key())->has_value());
}

TEST_F(AuthTest, DevicesAreListedWithKeysAndRevocation) {
  sync::SigningKey k = Enrolled(1, /*revoked=*/true);
  HeaderMap h = SessionHeaders("cora");
  HttpResponse r = Call("GET", "/api/v1/devices", "", h);
  ASSERT_EQ(r.status, 200);
  json j = json::parse(r.body);
  ASSERT_EQ(j["devices"].size(), 1u);
  EXPECT_EQ(j["devices"][0]["key"], ToHex(k.public_key()));
  EXPECT_EQ(j["devices"][0]["volunteer"], "vera");
  EXPECT_EQ(j["devices"][0]["revoked"], true);
  EXPECT_EQ(j["devices"][0]["revoked_by"], "ada");
}

TEST_F(AuthTest, DevicesNeedALogin) { EXPECT_EQ(Call("GET", "/api/v1/devices").status, 401); }

TEST_F(AuthTest, HealthNeedsNoLogin) {
  HttpResponse r = Call("GET", "/api/v1/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["ok"], true);
}

// --- devices -------------------------------------------------------------------------

TEST_F(AuthTest, SignedRequestFromAnEnrolledDeviceIsTheDevice) {
  sync::SigningKey k = Enrolled(1);
  auto d = devices_->Authenticate(DeviceRequest(k));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->key, k.public_key());
  EXPECT_EQ(d->volunteer, "vera");
}

TEST_F(AuthTest, UnknownDeviceIs401) {
  sync::SeededRandom r(99);
  sync::SigningKey stranger = sync::SigningKey::Generate(r);
  auto d = devices_->Authenticate(DeviceRequest(stranger));
  HttpResponse resp = ErrorResponse(d.status());
  EXPECT_EQ(resp.status, 401);
  EXPECT_EQ(Code(resp), "unknown_device");
}

TEST_F(AuthTest, RevokedDeviceIs403) {
  sync::SigningKey k = Enrolled(1, /*revoked=*/true);
  HttpResponse resp = ErrorResponse(devices_->Authenticate(DeviceRequest(k)).status());
  EXPECT_EQ(resp.status, 403);
  EXPECT_EQ(Code(resp), "revoked_device");
}

TEST_F(AuthTest, BadSignatureIs401) {
  sync::SigningKey k = Enrolled(1);
  HttpRequest r = DeviceRequest(k, "{\"a\":1}");
  r.body = "{\"a\":2}";
  HttpResponse resp = ErrorResponse(devices_->Authenticate(r).status());
  EXPECT_EQ(resp.status, 401);
  EXPECT_EQ(Code(resp), "bad_signature");
}

TEST_F(AuthTest, SignatureOverAnotherTargetIs401) {
  sync::SigningKey k = Enrolled(1);
  HttpRequest r = DeviceRequest(k, "{}", 0, "/api/v1/sync?x=1");
  r.target = "/api/v1/sync?x=2";
  EXPECT_EQ(devices_->Authenticate(r).status().reason(), "bad_signature");
}

TEST_F(AuthTest, StaleRequestIs401) {
  sync::SigningKey k = Enrolled(1);
  HttpRequest old = DeviceRequest(k, "{}", kStart);
  clock_.Advance(config_.request_freshness_ms + 1);
  HttpResponse resp = ErrorResponse(devices_->Authenticate(old).status());
  EXPECT_EQ(resp.status, 401);
  EXPECT_EQ(Code(resp), "stale_request");
  HttpRequest future = DeviceRequest(k, "{}", clock_.NowMs() + config_.request_freshness_ms + 1);
  EXPECT_EQ(devices_->Authenticate(future).status().reason(), "stale_request");
}

TEST_F(AuthTest, RequestSignedBeforeTheServerStartedIsStale) {
  sync::SigningKey k = Enrolled(1);
  HttpRequest before = DeviceRequest(k, "{}", kStart - 1);
  EXPECT_EQ(devices_->Authenticate(before).status().reason(), "stale_request");
}

TEST_F(AuthTest, ReplayedRequestIs401) {
  sync::SigningKey k = Enrolled(1);
  HttpRequest r = DeviceRequest(k);
  ASSERT_TRUE(devices_->Authenticate(r).ok());
  clock_.Advance(1000);
  HttpResponse resp = ErrorResponse(devices_->Authenticate(r).status());
  EXPECT_EQ(resp.status, 401);
  EXPECT_EQ(Code(resp), "replayed_request");
  EXPECT_TRUE(devices_->Authenticate(DeviceRequest(k)).ok());  // a fresh nonce is fine
}

TEST_F(AuthTest, MissingOrMalformedDeviceHeadersAre401Unauthenticated) {
  sync::SigningKey k = Enrolled(1);
  for (const char* name : {"X-Dala-Device", "X-Dala-Timestamp", "X-Dala-Nonce", "X-Dala-Signature"}) {
    HttpRequest missing = DeviceRequest(k);
    missing.headers.erase(name);
    HttpResponse resp = ErrorResponse(devices_->Authenticate(missing).status());
    EXPECT_EQ(resp.status, 401) << name;
    EXPECT_EQ(Code(resp), "unauthenticated") << name;
    HttpRequest garbled = DeviceRequest(k);
    garbled.headers[name] = "zz";
    EXPECT_EQ(devices_->Authenticate(garbled).status().reason(), "unauthenticated") << name;
  }
}

TEST_F(AuthTest, StoreFailureIsInternalWithoutDetails) {
  ::testing::internal::CaptureStderr();
  HttpResponse r = ErrorResponse(Status::IoError("disk /var/lib/dala on fire"));
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("on fire"), std::string::npos);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Code(r), "internal");
  EXPECT_EQ(r.body.find("/var/lib"), std::string::npos);
}

TEST_F(AuthTest, AuthFailureCodesMapToTheirStatuses) {
  struct Case {
    const char* code;
    int status;
  } cases[] = {{"unauthenticated", 401}, {"bad_signature", 401},    {"unknown_device", 401},
               {"stale_request", 401},   {"replayed_request", 401}, {"revoked_device", 403},
               {"bad_credentials", 401}, {"too_many_attempts", 429}, {"csrf", 403},
               {"read_only_role", 403},  {"forbidden", 403}};
  for (const Case& c : cases) {
    HttpResponse r = ErrorResponse(ApiFailure(Status::Code::kUnauthenticated, c.code, "detail"), 7);
    EXPECT_EQ(r.status, c.status) << c.code;
    EXPECT_EQ(Code(r), c.code);
    EXPECT_EQ(json::parse(r.body)["error"]["message"], "detail");
    EXPECT_EQ(r.headers["Retry-After"], "7");
  }
}

TEST_F(AuthTest, OtherCarriedCodesKeepTheirNameWithTheStatusOfTheirCode) {
  HttpResponse exists = ErrorResponse(ApiFailure(Status::Code::kAlreadyExists, "already_enrolled", "twice"));
  EXPECT_EQ(exists.status, 409);
  EXPECT_EQ(Code(exists), "already_enrolled");
  EXPECT_EQ(json::parse(exists.body)["error"]["message"], "twice");
  HttpResponse malformed = ErrorResponse(ApiFailure(Status::Code::kInvalidArgument, "malformed_json", "x"));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(Code(malformed), "malformed_json");
}

TEST_F(AuthTest, StatusWithoutACodeGetsAGenericOne) {
  struct Case {
    Status status;
    int http;
    const char* code;
  } cases[] = {{Status::InvalidArgument("bad"), 400, "invalid_request"},
               {Status::NotFound("no user named x"), 404, "not_found"},
               {Status::AlreadyExists("taken"), 409, "already_exists"},
               {Status::FailedPrecondition("already revoked"), 409, "conflict"},
               {Status::PermissionDenied("no"), 403, "forbidden"},
               {Status::Unauthenticated("who"), 401, "unauthenticated"},
               {Status::Unavailable("database is locked"), 503, "unavailable"}};
  for (const Case& c : cases) {
    HttpResponse r = ErrorResponse(c.status);
    EXPECT_EQ(r.status, c.http) << c.status.ToString();
    EXPECT_EQ(Code(r), c.code);
  }
  EXPECT_EQ(json::parse(ErrorResponse(Status::NotFound("no user named x")).body)["error"]["message"],
            "no user named x");
}

TEST_F(AuthTest, InternalStatusWithAPrefixStillLeaksNothing) {
  ::testing::internal::CaptureStderr();
  HttpResponse r = ErrorResponse(Status::Internal("prepare: no such table: secrets"));
  HttpResponse c = ErrorResponse(Status::Corruption("select: database disk image is malformed"));
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Code(r), "internal");
  EXPECT_EQ(r.body.find("secrets"), std::string::npos);
  EXPECT_EQ(c.status, 500);
  EXPECT_EQ(c.body.find("malformed"), std::string::npos);
}

TEST_F(AuthTest, ABrowsersStateChangingRequestFromAnotherOriginIsRefused) {
  HeaderMap h = SessionHeaders("ada");
  h["Host"] = "127.0.0.1:8080";
  h["Origin"] = "http://127.0.0.1:9999";  // same site, other origin: the cookie alone would go along
  HttpResponse r = Call("POST", "/api/v1/users", R"({"name":"mallory","role":"volunteer"})", h);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Code(r), "cross_origin");
  EXPECT_FALSE(*store_->FindUser("mallory"));
  HeaderMap login;
  login["Host"] = "127.0.0.1:8080";
  login["Origin"] = "http://evil.example";
  EXPECT_EQ(Code(Call("POST", "/api/v1/login", R"({"username":"ada","password":"x"})", login)), "cross_origin");
  // The same origin, and programs that send none, are served.
  h["Origin"] = "http://127.0.0.1:8080";
  EXPECT_EQ(Call("POST", "/api/v1/users", R"({"name":"mallory","role":"volunteer"})", h).status, 201);
  HeaderMap get = SessionHeaders("cora");
  get["Origin"] = "http://evil.example";
  EXPECT_EQ(Call("GET", "/api/v1/devices", "", get).status, 200) << "reading is not a change";
}

TEST_F(AuthTest, UserNameAndPasswordRules) {
  EXPECT_TRUE(ValidateUserName("aigerim.s-2_x").ok());
  for (std::string bad : {std::string(), std::string(".lead"), std::string("has space"), std::string(65, 'a'),
                          std::string("Айгерим"), std::string("a/b")})
    EXPECT_EQ(ValidateUserName(bad).code(), Status::Code::kInvalidArgument) << bad;
  EXPECT_TRUE(ValidatePassword("пароль длинный").ok());
  EXPECT_EQ(ValidatePassword("1234567").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ValidatePassword(std::string(1025, 'a')).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ValidatePassword("12345678\xff").code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace dala::server
