#include "ui_app.h"

#include <gtest/gtest.h>

#include "dala/client/device.h"
#include "profile_test_fixture.h"

namespace dala::client::ui {
namespace {

using nlohmann::json;

constexpr int kPort = 4711;

class UiAppTest : public ProfileTest {
 protected:
  void SetUp() override {
    ProfileTest::SetUp();
    device_.reset();  // the page unlocks its own
    app_ = std::make_unique<UiApp>(*store_, clock_, random_, UiOptions{60'000, "en"});
    app_->SetPort(kPort);
    UiResponse r = app_->Handle(Get("/?token=" + app_->token(), false));
    ASSERT_EQ(r.status, 303);
    cookie_ = HeaderIn(r, "Set-Cookie").substr(0, HeaderIn(r, "Set-Cookie").find(';'));
  }

  static std::string HeaderIn(const UiResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
      if (n == name) return v;
    return "";
  }
  UiRequest Get(const std::string& target, bool with_session = true) {
    UiRequest r;
    r.method = "GET";
    auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) {
      auto eq = target.find('=', q);
      r.query[target.substr(q + 1, eq - q - 1)] = target.substr(eq + 1);
    }
    r.headers["host"] = "127.0.0.1:" + std::to_string(kPort);
    if (with_session) r.headers["cookie"] = "other=1; " + cookie_;
    return r;
  }
  UiRequest Post(const std::string& path, const json& body) {
    UiRequest r = Get(path);
    r.method = "POST";
    r.headers["origin"] = "http://127.0.0.1:" + std::to_string(kPort);
    r.body = body.dump();
    return r;
  }
  json Call(const UiRequest& r, int want) {
    UiResponse out = app_->Handle(r);
    EXPECT_EQ(out.status, want) << r.method << " " << r.path << ": " << out.body;
    return json::parse(out.body, nullptr, false);
  }

  std::unique_ptr<UiApp> app_;
  std::string cookie_;
};

TEST_F(UiAppTest, AnotherHostIsRefusedSoARebindingPageCannotReachIt) {
  UiRequest r = Get("/api/home");
  r.headers["host"] = "evil.example:" + std::to_string(kPort);
  EXPECT_EQ(Call(r, 421)["error"], "wrong_host");
  r.headers["host"] = "127.0.0.1:1";
  Call(r, 421);
  r.headers.erase("host");
  Call(r, 421);
  r.headers["host"] = "localhost:" + std::to_string(kPort);
  Call(r, 200);
}

TEST_F(UiAppTest, ChangeFromAnotherOriginOrWithoutOriginIsRefused) {
  UiRequest r = Post("/api/language", {{"language", "kk"}});
  r.headers["origin"] = "http://evil.example";
  EXPECT_EQ(Call(r, 403)["error"], "wrong_origin");
  r.headers.erase("origin");
  Call(r, 403);
  r.headers["origin"] = "http://localhost:" + std::to_string(kPort);
  EXPECT_EQ(Call(r, 200)["language"], "kk");
}

TEST_F(UiAppTest, RequestWithoutTheSessionIsRefused) {
  EXPECT_EQ(Call(Get("/api/home", false), 401)["error"], "no_session");
  UiRequest forged = Get("/api/home", false);
  forged.headers["cookie"] = "dala_ui=" + std::string(64, '0');
  Call(forged, 401);
  EXPECT_EQ(app_->Handle(Get("/", false)).status, 401);
  EXPECT_EQ(app_->Handle(Get("/assets/app.js", false)).status, 401);
}

TEST_F(UiAppTest, TokenBecomesAStrictHttpOnlyCookieOnlyOnce) {
  // SetUp exchanged it: the cookie is HttpOnly and SameSite=Strict, and the
  // token cannot be used again (by whoever read it off the screen).
  UiResponse again = app_->Handle(Get("/?token=" + std::string(64, 'a'), false));
  EXPECT_EQ(again.status, 401);
  EXPECT_TRUE(app_->token().empty());
  UiApp fresh(*store_, clock_, random_, {});
  fresh.SetPort(kPort);
  UiResponse first = fresh.Handle(Get("/?token=" + fresh.token(), false));
  EXPECT_EQ(first.status, 303);
  EXPECT_EQ(HeaderIn(first, "Location"), "/");
  EXPECT_NE(HeaderIn(first, "Set-Cookie").find("; HttpOnly; SameSite=Strict"), std::string::npos);
}

TEST_F(UiAppTest, EveryAnswerCarriesAStrictPolicyAndApiAnswersAreNotStored) {
  UiResponse page = app_->Handle(Get("/"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.content_type.find("text/html"), std::string::npos);
  std::string policy = HeaderIn(page, "Content-Security-Policy");
  EXPECT_NE(policy.find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(HeaderIn(page, "X-Content-Type-Options"), "nosniff");
  UiResponse api = app_->Handle(Get("/api/home"));
  EXPECT_EQ(HeaderIn(api, "Cache-Control"), "no-store");
  UiResponse refused = app_->Handle(Get("/api/home", false));
  EXPECT_EQ(HeaderIn(refused, "X-Content-Type-Options"), "nosniff");
}

TEST_F(UiAppTest, UnknownPathAndBadBodyAreJsonErrors) {
  EXPECT_EQ(Call(Get("/api/nothing"), 404)["error"], "not_found");
  EXPECT_EQ(Call(Get("/assets/../../etc/passwd"), 404)["error"], "not_found");
  UiRequest bad = Post("/api/unlock", {});
  bad.body = "{not json";
  EXPECT_EQ(Call(bad, 400)["error"], "bad_json");
  EXPECT_EQ(Call(Post("/api/language", {{"language", "de"}}), 422)["error"], "bad_language");
}

TEST_F(UiAppTest, RepeatedWrongPassphrasesWaitLongerEachTime) {
  for (int i = 1; i < kFreeUnlockAttempts; ++i)
    EXPECT_EQ(Call(Post("/api/unlock", {{"passphrase", "wrong"}}), 401)["retry_after_s"], 0);
  EXPECT_EQ(Call(Post("/api/unlock", {{"passphrase", "wrong"}}), 401)["retry_after_s"], 1);
  // Even the right passphrase waits its turn.
  EXPECT_EQ(Call(Post("/api/unlock", {{"passphrase", "passphrase"}}), 429)["error"], "wait");
  clock_.Advance(1000);
  EXPECT_EQ(Call(Post("/api/unlock", {{"passphrase", "wrong"}}), 401)["retry_after_s"], 2);
  clock_.Advance(1000);
  Call(Post("/api/unlock", {{"passphrase", "passphrase"}}), 429);
  clock_.Advance(1000);
  Call(Post("/api/unlock", {{"passphrase", "passphrase"}}), 200);
  EXPECT_TRUE(app_->unlocked());
}

TEST_F(UiAppTest, KeyLocksItselfAfterTheIdleTime) {
  Call(Post("/api/unlock", {{"passphrase", "passphrase"}}), 200);
  clock_.Advance(59'000);
  app_->LockIfIdle();
  EXPECT_TRUE(app_->unlocked());
  clock_.Advance(1'000);
  app_->LockIfIdle();
  EXPECT_FALSE(app_->unlocked());
  EXPECT_EQ(Call(Get("/api/home"), 200)["unlocked"], false);
}

TEST_F(UiAppTest, EveryAnswerIsADraftOnDiskAndANewProcessResumesIt) {
  json screen = Call(Post("/api/drafts", {{"form", "visit"}}), 201);
  int64_t draft = screen["draft"];
  EXPECT_EQ(screen["step"]["name"], "queue");
  json after = Call(Post("/api/drafts/" + std::to_string(draft) + "/answer", {{"text", "7"}}), 200);
  EXPECT_TRUE(after["at_end"]);
  auto row = store_->FindDraft(draft);
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(json::parse((*row)->answers_json), json({{"queue", 7}}));

  // Another `dala ui` on the same profile (the first was killed).
  UiApp next(*store_, clock_, random_, {});
  next.SetPort(kPort);
  UiResponse login = next.Handle(Get("/?token=" + next.token(), false));
  std::string cookie = HeaderIn(login, "Set-Cookie");
  UiRequest r = Get("/api/drafts/" + std::to_string(draft));
  r.headers["cookie"] = cookie.substr(0, cookie.find(';'));
  json resumed = json::parse(next.Handle(r).body);
  EXPECT_TRUE(resumed["at_end"]);
  EXPECT_EQ(resumed["answered"][0]["answer"], "7");
}

TEST_F(UiAppTest, ANewProcessReopensTheDraftAtTheStepLeftEvenAfterGoingBack) {
  ASSERT_TRUE(store_
                  ->AddForm(R"J({"dala_form":1,"id":"three","version":"1","title":"Three","languages":["en"],
      "default_language":"en","questions":[{"type":"integer","name":"a","label":"A"},
      {"type":"integer","name":"b","label":"B"},{"type":"integer","name":"c","label":"C"}]})J",
                            "local", clock_.NowMs())
                  .ok());
  int64_t draft = Call(Post("/api/drafts", {{"form", "three"}}), 201)["draft"];
  const std::string path = "/api/drafts/" + std::to_string(draft);
  Call(Post(path + "/answer", {{"text", "1"}}), 200);
  Call(Post(path + "/answer", {{"text", "2"}}), 200);
  EXPECT_EQ(Call(Post(path + "/back", json::object()), 200)["step"]["name"], "b");

  UiApp next(*store_, clock_, random_, {});
  next.SetPort(kPort);
  std::string cookie = HeaderIn(next.Handle(Get("/?token=" + next.token(), false)), "Set-Cookie");
  UiRequest r = Get(path);
  r.headers["cookie"] = cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(json::parse(next.Handle(r).body)["step"]["name"], "b");  // not c, the first unanswered

  // A position that no longer names a step (a hand-edited or older row)
  // opens at the first unanswered step.
  auto row = store_->FindDraft(draft);
  (*row)->position = R"({"kind":"question","question":"gone","path":[]})";
  ASSERT_TRUE(store_->SaveDraft(**row).ok());
  UiApp third(*store_, clock_, random_, {});
  third.SetPort(kPort);
  cookie = HeaderIn(third.Handle(Get("/?token=" + third.token(), false)), "Set-Cookie");
  r.headers["cookie"] = cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(json::parse(third.Handle(r).body)["step"]["name"], "c");
}

TEST_F(UiAppTest, RefusedAnswerShowsTheFormsMessageAndKeepsTheDraft) {
  int64_t draft = Call(Post("/api/drafts", {{"form", "visit"}}), 201)["draft"];
  const std::string path = "/api/drafts/" + std::to_string(draft);
  json refused = Call(Post(path + "/answer", {{"text", "-3"}}), 200);
  EXPECT_FALSE(refused["error"].get<std::string>().empty());
  EXPECT_EQ(refused["step"]["name"], "queue");
  json letters = Call(Post(path + "/answer", {{"text", "many"}}), 200);
  EXPECT_FALSE(letters["error"].get<std::string>().empty());
  EXPECT_EQ(json::parse((*store_->FindDraft(draft))->answers_json), json::object());
  Call(Get("/api/drafts/999"), 404);
}

TEST_F(UiAppTest, FinishSignsOnlyUnlockedAndRemovesTheDraft) {
  int64_t draft = Call(Post("/api/drafts", {{"form", "visit"}}), 201)["draft"];
  const std::string path = "/api/drafts/" + std::to_string(draft);
  EXPECT_EQ(Call(Post(path + "/finish", json::object()), 409)["error"], "not_finished");
  Call(Post(path + "/answer", {{"text", "12"}}), 200);
  EXPECT_EQ(Call(Post(path + "/finish", json::object()), 401)["error"], "locked");
  Call(Post("/api/unlock", {{"passphrase", "passphrase"}}), 200);
  json saved = Call(Post(path + "/finish", json::object()), 201);
  auto records = store_->ListSubmissions();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(json::parse((*records)[0].answers_json), json({{"queue", 12}}));
  EXPECT_FALSE(*store_->FindDraft(draft));
  auto report = VerifyLocalStore(*store_);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty());
  json record = Call(Get("/api/records/" + saved["record"].get<std::string>()), 200);
  EXPECT_EQ(record["state"], "waiting");
}

TEST_F(UiAppTest, EditingARecordSignsANewRevisionOnTopOfIt) {
  Call(Post("/api/unlock", {{"passphrase", "passphrase"}}), 200);
  int64_t first = Call(Post("/api/drafts", {{"form", "visit"}}), 201)["draft"];
  Call(Post("/api/drafts/" + std::to_string(first) + "/answer", {{"text", "4"}}), 200);
  std::string id = Call(Post("/api/drafts/" + std::to_string(first) + "/finish", json::object()), 201)["record"];
  json edit = Call(Post("/api/records/" + id + "/edit", json::object()), 201);
  EXPECT_EQ(edit["step"]["answer"], 4);
  const std::string path = "/api/drafts/" + std::to_string(edit["draft"].get<int64_t>());
  Call(Post(path + "/answer", {{"text", "5"}}), 200);
  EXPECT_EQ(Call(Post(path + "/finish", json::object()), 201)["record"], id);
  auto records = store_->ListSubmissions();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(json::parse((*records)[0].answers_json), json({{"queue", 5}}));
  auto merged = store_->MergedStateOf((*records)[0].id);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->heads.size(), 1u);
  Call(Post("/api/records/00000000/edit", json::object()), 404);
}

TEST_F(UiAppTest, SyncNeedsTheKeyAndAServer) {
  EXPECT_EQ(Call(Post("/api/sync", json::object()), 401)["error"], "locked");
  Call(Post("/api/unlock", {{"passphrase", "passphrase"}}), 200);
  EXPECT_EQ(Call(Post("/api/sync", json::object()), 409)["error"], "not_enrolled");
  EXPECT_EQ(Call(Get("/api/home"), 200)["enrolled"], false);
}

}  // namespace
}  // namespace dala::client::ui
