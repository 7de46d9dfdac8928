#include "ui_app.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <condition_variable>
#include <functional>

#include "dala/base/hex.h"
#include "dala/client/device.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/merkle.h"
#include "dala/sync/receipt_file.h"
#include "dala/sync/verify.h"
#include "cli_common.h"
#include "profile_test_fixture.h"
#include "transport_common.h"

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

  // The page again with a Sync button that sends through `transport`,
  // logged in and unlocked, as `dala ui` opens an enrolled profile.
  void OpenWithTransport(std::function<Result<std::unique_ptr<Transport>>()> transport) {
    UiOptions options{60'000, "en"};
    options.transport = std::move(transport);
    options.store_path = Path();
    Open(*store_, std::move(options));
    Call(Post("/api/unlock", {{"passphrase", "passphrase"}}), 200);
  }
  // A new `dala ui` on `store`, its address opened (logged in, locked).
  void Open(LocalStore& store, UiOptions options) {
    app_.reset();
    app_ = std::make_unique<UiApp>(store, clock_, random_, std::move(options));
    app_->SetPort(kPort);
    UiResponse login = app_->Handle(Get("/?token=" + app_->token(), false));
    cookie_ = HeaderIn(login, "Set-Cookie").substr(0, HeaderIn(login, "Set-Cookie").find(';'));
  }

  // A record of form "visit" saved through the page, its id.
  std::string SaveThroughPage(int queue) {
    int64_t draft = Call(Post("/api/drafts", {{"form", "visit"}}), 201)["draft"];
    Call(Post("/api/drafts/" + std::to_string(draft) + "/answer", {{"text", std::to_string(queue)}}), 200);
    return Call(Post("/api/drafts/" + std::to_string(draft) + "/finish", json::object()), 201)["record"];
  }
  static std::string HeaderOf(const UiResponse& r, const std::string& name) { return HeaderIn(r, name); }

  // Form "three": integers a, b and c, one screen each.
  void AddThreeQuestionForm() {
    ASSERT_TRUE(store_
                    ->AddForm(R"J({"dala_form":1,"id":"three","version":"1","title":"Three","languages":["en"],
        "default_language":"en","questions":[{"type":"integer","name":"a","label":"A"},
        {"type":"integer","name":"b","label":"B"},{"type":"integer","name":"c","label":"C"}]})J",
                              "local", clock_.NowMs())
                    .ok());
  }

  std::unique_ptr<UiApp> app_;
  std::string cookie_;
};

// A form whose records are told apart by a centre (a choice, labelled per
// language) and a date: its `summary`.
constexpr const char* kCentreForm = R"J({"dala_form":1,"id":"centre_visit","version":"1","title":{"en":"Centre visit",
  "kk":"Орталыққа бару"},"languages":["en","kk"],"default_language":"en","summary":["centre","day"],
  "lists":{"centres":[{"name":"c1","label":{"en":"PSC No. 1","kk":"№1 ХҚКО"}},
  {"name":"c2","label":{"en":"PSC No. 2","kk":"№2 ХҚКО"}}]},
  "questions":[{"type":"select_one","name":"centre","label":"Centre","list":"centres"},
  {"type":"date","name":"day","label":"Day"},{"type":"integer","name":"queue","label":"Queue"}]})J";

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

// A session ends with its `dala ui`: a cookie copied from this browser
// (or left in it) opens nothing in the next one, whose page needs its own
// printed address.
TEST_F(UiAppTest, SessionOfAnEndedDalaUiIsRefusedByTheNextOne) {
  UiApp next(*store_, clock_, random_, {});
  next.SetPort(kPort);
  UiRequest stolen = Get("/api/home");  // carries this app's live session cookie
  ASSERT_EQ(app_->Handle(stolen).status, 200);
  UiResponse refused = next.Handle(stolen);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(json::parse(refused.body)["error"], "no_session");
  EXPECT_EQ(next.Handle(Post("/api/unlock", {{"passphrase", "passphrase"}})).status, 401);
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

// A second click on Next, sent before the first was answered, names the
// screen it was made on; the draft has moved on, so it must not answer the
// next question with the text typed for the one before.
TEST_F(UiAppTest, AnAnswerForAScreenTheDraftHasLeftIsRefusedAndAnswersNothingElse) {
  AddThreeQuestionForm();
  int64_t draft = Call(Post("/api/drafts", {{"form", "three"}}), 201)["draft"];
  const std::string path = "/api/drafts/" + std::to_string(draft);
  const json at_a = {{"kind", "question"}, {"question", "a"}, {"path", json::array()}};
  EXPECT_EQ(Call(Post(path + "/answer", {{"text", "14"}, {"at", at_a}}), 200)["step"]["name"], "b");
  json again = Call(Post(path + "/answer", {{"text", "14"}, {"at", at_a}}), 200);
  EXPECT_EQ(again["moved_on"], true);
  EXPECT_EQ(again["step"]["name"], "b") << "the screen the draft is on comes back";
  EXPECT_FALSE(again["step"].contains("answer")) << "b was answered with a's text";
  for (const char* action : {"/clear", "/back", "/next"})
    EXPECT_EQ(Call(Post(path + action, {{"at", at_a}}), 200)["moved_on"], true) << action;
  auto row = store_->FindDraft(draft);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ(json::parse((*row)->answers_json), json({{"a", 14}}));
  // The screen it is on is answered as before; a malformed step is refused.
  const json at_b = {{"kind", "question"}, {"question", "b"}, {"path", json::array()}};
  EXPECT_EQ(Call(Post(path + "/answer", {{"text", "2"}, {"at", at_b}}), 200)["step"]["name"], "c");
  Call(Post(path + "/answer", {{"text", "3"}, {"at", {{"kind", "question"}, {"question", "nope"}, {"path", json::array()}}}}),
       400);
  Call(Post(path + "/answer", {{"text", "3"}, {"at", "c"}}), 400);
}

TEST_F(UiAppTest, ANewProcessReopensTheDraftAtTheStepLeftEvenAfterGoingBack) {
  AddThreeQuestionForm();
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

TEST_F(UiAppTest, HomeNamesRecordsAndDraftsByTheirCentreAndDateInTheChosenLanguage) {
  ASSERT_TRUE(store_->AddForm(kCentreForm, "local", clock_.NowMs()).ok());
  Call(Post("/api/unlock", {{"passphrase", "passphrase"}}), 200);
  for (const char* centre : {"c1", "c2"}) {
    int64_t draft = Call(Post("/api/drafts", {{"form", "centre_visit"}}), 201)["draft"];
    const std::string path = "/api/drafts/" + std::to_string(draft);
    Call(Post(path + "/answer", {{"text", centre}}), 200);
    Call(Post(path + "/answer", {{"text", "2026-12-01"}}), 200);
    Call(Post(path + "/answer", {{"text", "3"}}), 200);
    Call(Post(path + "/finish", json::object()), 201);
  }
  int64_t draft = Call(Post("/api/drafts", {{"form", "centre_visit"}}), 201)["draft"];
  Call(Post("/api/drafts/" + std::to_string(draft) + "/answer", {{"text", "c2"}}), 200);

  json home = Call(Get("/api/home"), 200);
  std::set<std::string> names;
  for (const json& r : home["records"]) {
    names.insert(r["summary"].get<std::string>());
    EXPECT_EQ(r["title"], "Centre visit");
    EXPECT_GT(r["created_ms"].get<int64_t>(), 0);
  }
  EXPECT_EQ(names, (std::set<std::string>{"PSC No. 1 · 2026-12-01", "PSC No. 2 · 2026-12-01"}));
  EXPECT_EQ(home["drafts"][0]["summary"], "PSC No. 2");

  Call(Post("/api/language", {{"language", "kk"}}), 200);
  home = Call(Get("/api/home"), 200);
  EXPECT_EQ(home["drafts"][0]["summary"], "№2 ХҚКО");
  // A form without a summary names its records by title alone.
  SaveThroughPage(1);
  home = Call(Get("/api/home"), 200);
  int without = 0;
  for (const json& r : home["records"]) without += r["summary"] == "";
  EXPECT_EQ(without, 1);
}

TEST_F(UiAppTest, RecordHistoryShowsEachRevisionWhoMadeItWhatChangedAndTheReviews) {
  Call(Post("/api/unlock", {{"passphrase", "passphrase"}}), 200);
  const std::string id = SaveThroughPage(4);
  clock_.Advance(30'000);
  json edit = Call(Post("/api/records/" + id + "/edit", json::object()), 201);
  const std::string path = "/api/drafts/" + std::to_string(edit["draft"].get<int64_t>());
  Call(Post(path + "/answer", {{"text", "5"}}), 200);
  Call(Post(path + "/finish", json::object()), 201);

  // What a sync brings: a coordinator's correction (the server signs it
  // with the coordinator's name) and her review, on top of the laptop's.
  auto sid = store_->ResolveSubmission(id);
  ASSERT_TRUE(sid.ok());
  auto merged = store_->MergedStateOf(*sid);
  ASSERT_TRUE(merged.ok());
  sync::SigningKey server = sync::SigningKey::Generate(random_);
  const uint64_t later_ms = static_cast<uint64_t>(clock_.NowMs()) + 120'000;
  sync::EnvelopeFields fix{sync::EnvelopeKind::kRevision, *sid, 1, {}, sync::HlcTimestamp::Make(later_ms, 0),
                           static_cast<int64_t>(later_ms), form_->hash(), merged->heads, "visit", "1",
                           sync::MakeRevisionBody(R"({"queue":6})", 300, "aigerim", "counted again")};
  auto fix_bytes = sync::SealEnvelope(fix, server);
  ASSERT_TRUE(fix_bytes.ok());
  auto fix_env = sync::Envelope::Parse(*fix_bytes);
  ASSERT_TRUE(fix_env.ok());
  sync::EventBody review;
  review.type = "review";
  review.by = "aigerim";
  review.state = "has_issues";
  review.comment = "Was the <b>queue</b> counted at 10:00?";
  sync::EnvelopeFields event{sync::EnvelopeKind::kEvent, *sid, 2, fix_env->id(),
                             sync::HlcTimestamp::Make(later_ms + 1000, 0), static_cast<int64_t>(later_ms + 1000),
                             form_->hash(), {fix_env->id()}, "visit", "1", sync::MakeEventBody(review)};
  auto event_env = sync::Envelope::Parse(*sync::SealEnvelope(event, server));
  ASSERT_TRUE(event_env.ok());
  for (const sync::Envelope* e : {&*fix_env, &*event_env})
    ASSERT_TRUE(store_->InsertEnvelope(*e, /*own=*/false, clock_.NowMs()).ok());
  ASSERT_TRUE(store_->RefreshSubmission(*sid).ok());

  json record = Call(Get("/api/records/" + id), 200);
  const json& history = record["history"];
  ASSERT_EQ(history.size(), 4u) << history.dump();
  EXPECT_EQ(history[0]["who"], "this_laptop");
  EXPECT_TRUE(history[0]["first"]);
  EXPECT_EQ(history[1]["who"], "this_laptop");
  EXPECT_EQ(history[1]["changes"], json::parse(R"([{"field":"queue","label":"Queue","old":"4","new":"5"}])"));
  EXPECT_EQ(history[2]["who"], "coordinator");
  EXPECT_EQ(history[2]["by"], "aigerim");
  EXPECT_EQ(history[2]["note"], "counted again");
  EXPECT_EQ(history[2]["when_ms"], static_cast<int64_t>(later_ms));
  EXPECT_TRUE(history[2].contains("received_ms"));
  EXPECT_EQ(history[2]["changes"][0]["old"], "5");
  EXPECT_EQ(history[2]["changes"][0]["new"], "6");
  EXPECT_EQ(history[3]["kind"], "review");
  EXPECT_EQ(history[3]["state"], "has_issues");
  EXPECT_EQ(history[3]["comment"], "Was the <b>queue</b> counted at 10:00?");
  EXPECT_EQ(record["state"], "sent_back");
}

TEST_F(UiAppTest, ReceiptsDownloadIsTheCliFilesZippedBehindTheSession) {
  EXPECT_EQ(Call(Get("/api/receipts.zip"), 404)["error"], "no_receipts");
  EXPECT_EQ(Call(Get("/api/receipts.zip", false), 401)["error"], "no_session");
  ReceiptRow receipt;
  receipt.envelope[0] = 0xab;
  receipt.sequence = 3;
  receipt.leaf_index = 7;
  receipt.tree_size = 9;
  receipt.proof = {sync::Hash{}};
  receipt.checkpoint = "log.example\n9\nroot\n";
  receipt.received_ms = clock_.NowMs();
  ASSERT_TRUE(store_->AddReceipt(receipt).ok());

  UiResponse zip = app_->Handle(Get("/api/receipts.zip"));
  ASSERT_EQ(zip.status, 200) << zip.body;
  EXPECT_EQ(zip.content_type, "application/zip");
  auto pub = store_->Get(profile_key::kDevicePublic);
  EXPECT_EQ(HeaderOf(zip, "Content-Disposition"),
            "attachment; filename=\"dala-receipts-" + (*pub)->substr(0, 8) + "-2026-11-27.zip\"");
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(zip.body.data(), zip.body.size(), 0, &error);
  zip_t* archive = zip_open_from_source(src, ZIP_RDONLY, &error);
  ASSERT_NE(archive, nullptr);
  ASSERT_EQ(zip_get_num_entries(archive, 0), 1);
  EXPECT_STREQ(zip_get_name(archive, 0, 0), "receipt-3.json");
  zip_stat_t st;
  ASSERT_EQ(zip_stat_index(archive, 0, 0, &st), 0);
  std::string text(st.size, '\0');
  zip_file_t* f = zip_fopen_index(archive, 0, 0);
  ASSERT_EQ(zip_fread(f, text.data(), st.size), static_cast<zip_int64_t>(st.size));
  zip_fclose(f);
  zip_close(archive);
  // What `dala audit verify --receipts` reads, for this laptop's key.
  auto parsed = sync::ParseReceiptJson(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(ToHex(parsed->device), **pub);
  EXPECT_EQ(parsed->sequence, 3u);
  EXPECT_EQ(parsed->leaf_index, 7u);
  EXPECT_EQ(parsed->checkpoint_note, receipt.checkpoint);
}

TEST_F(UiAppTest, HomeWarnsWhenRecordsWaitedAWeekWithoutASync) {
  Call(Post("/api/unlock", {{"passphrase", "passphrase"}}), 200);
  SaveThroughPage(2);
  clock_.Advance(kSyncReminderMs - 60'000);
  EXPECT_EQ(Call(Get("/api/home"), 200)["warnings"], json::array());
  clock_.Advance(60'000);
  json warning = Call(Get("/api/home"), 200)["warnings"][0];
  EXPECT_EQ(warning["kind"], "not_synced");
  EXPECT_EQ(warning["days"], 7);
  EXPECT_EQ(warning["waiting"], 1);
  EXPECT_EQ(warning["ever_synced"], false);
  // A sync eight days ago counts from then, not from the record.
  ASSERT_TRUE(store_->Put(profile_key::kLastServerTimeMs, std::to_string(clock_.NowMs() - 8 * 86'400'000)).ok());
  warning = Call(Get("/api/home"), 200)["warnings"][0];
  EXPECT_EQ(warning["days"], 8);
  EXPECT_EQ(warning["ever_synced"], true);
}

TEST_F(UiAppTest, NothingWaitingMeansNoSyncWarningHoweverLongAgo) {
  clock_.Advance(30 * 86'400'000LL);
  EXPECT_EQ(Call(Get("/api/home"), 200)["warnings"], json::array());
}

TEST_F(UiAppTest, HomeWarnsWhenTheClockIsBeforeTheServersTimeOrTheNewestRecord) {
  Call(Post("/api/unlock", {{"passphrase", "passphrase"}}), 200);
  SaveThroughPage(2);
  const int64_t saved_ms = clock_.NowMs();
  ASSERT_TRUE(store_->Put(profile_key::kLastServerTimeMs, std::to_string(saved_ms)).ok());
  EXPECT_EQ(Call(Get("/api/home"), 200)["warnings"], json::array());
  clock_.Advance(-24 * 3'600'000);  // set back a day by hand
  json warnings = Call(Get("/api/home"), 200)["warnings"];
  std::set<std::string> doubts;
  for (const json& w : warnings) {
    EXPECT_EQ(w["kind"], "clock");
    EXPECT_EQ(w["now_ms"], clock_.NowMs());
    doubts.insert(w["doubt"].get<std::string>());
  }
  EXPECT_EQ(doubts, (std::set<std::string>{"before_server", "behind_records"}));
}

TEST_F(UiAppTest, HomeWarnsWhenTheClockIsBeforeThisBuild) {
  app_.reset();
  UiOptions options{60'000, "en"};
  options.build_ms = clock_.NowMs() + 86'400'000;
  app_ = std::make_unique<UiApp>(*store_, clock_, random_, options);
  app_->SetPort(kPort);
  UiResponse r = app_->Handle(Get("/?token=" + app_->token(), false));
  cookie_ = HeaderIn(r, "Set-Cookie").substr(0, HeaderIn(r, "Set-Cookie").find(';'));
  EXPECT_EQ(Call(Get("/api/home"), 200)["warnings"][0]["doubt"], "before_build");
}

// A transport that holds the first request until the test lets it go,
// then answers that the server cannot be reached.
class HeldTransport {
 public:
  class Handle final : public Transport {
   public:
    explicit Handle(HeldTransport& held) : held_(held) {}
    Result<TransportResponse> Send(const TransportRequest&) override {
      std::unique_lock lock(held_.mu_);
      held_.entered_ = true;
      held_.cv_.notify_all();
      held_.cv_.wait(lock, [&] { return held_.released_; });
      return Status::Unavailable("no network");
    }

   private:
    HeldTransport& held_;
  };
  void WaitUntilSent() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool released_ = false;
};

TEST_F(UiAppTest, SyncRunsAsideShowingProgressRefusesASecondAndSurvivesALock) {
  ASSERT_TRUE(store_->Put(profile_key::kServerKey, std::string(64, 'a')).ok());
  ASSERT_TRUE(store_->Put(profile_key::kServerOrigin, "dala.example").ok());
  HeldTransport held;
  OpenWithTransport([&held]() -> Result<std::unique_ptr<Transport>> {
    return std::unique_ptr<Transport>(std::make_unique<HeldTransport::Handle>(held));
  });
  SaveThroughPage(1);
  SaveThroughPage(2);

  EXPECT_EQ(Call(Post("/api/sync", json::object()), 202)["running"], true);
  held.WaitUntilSent();
  json state = Call(Get("/api/sync"), 202);
  EXPECT_EQ(state["running"], true);
  EXPECT_EQ(state["to_send"], 2);
  EXPECT_EQ(state["sent"], 0);
  EXPECT_EQ(Call(Get("/api/home"), 200)["syncing"], true);
  EXPECT_EQ(Call(Post("/api/sync", json::object()), 409)["error"], "sync_running");
  // Locking meanwhile: the page is locked at once; the sync ends with the
  // key it holds, which is wiped when it lets go.
  Call(Post("/api/lock", json::object()), 200);
  EXPECT_FALSE(app_->unlocked());
  held.Release();
  app_->WaitForSync();
  state = Call(Get("/api/sync"), 200);
  EXPECT_EQ(state["running"], false);
  EXPECT_EQ(state["last"]["status"], 502);
  EXPECT_EQ(state["last"]["answer"]["error"], "unreachable");
  EXPECT_EQ(store_->CountPending().value(), 2);
  EXPECT_EQ(Call(Post("/api/sync", json::object()), 401)["error"], "locked");
}

// A transport that fails at once, as the real one does when it cannot
// reach the server or when TLS refuses the server's certificate.
class FailingTransport final : public Transport {
 public:
  explicit FailingTransport(Status failure) : failure_(std::move(failure)) {}
  Result<TransportResponse> Send(const TransportRequest&) override { return failure_; }

 private:
  Status failure_;
};

class UiSyncFailureTest : public UiAppTest {
 protected:
  // Runs one sync from the page through a transport failing with
  // `failure`, in `language`, and returns the page's account of it.
  json SyncFailingWith(Status failure, const std::string& language) {
    EXPECT_TRUE(store_->Put(profile_key::kServerKey, std::string(64, 'a')).ok());
    EXPECT_TRUE(store_->Put(profile_key::kServerOrigin, "dala.example").ok());
    EXPECT_TRUE(store_->Put(profile_key::kServerUrl, std::string(kUrl)).ok());
    OpenWithTransport([failure]() -> Result<std::unique_ptr<Transport>> {
      return std::unique_ptr<Transport>(std::make_unique<FailingTransport>(failure));
    });
    SaveThroughPage(1);
    Call(Post("/api/language", {{"language", language}}), 200);
    Call(Post("/api/sync", json::object()), 202);
    app_->WaitForSync();
    json state = Call(Get("/api/sync"), 200);
    EXPECT_EQ(state["last"]["status"], 502);
    EXPECT_EQ(store_->CountPending().value(), 1) << "a failed sync keeps the record to send";
    return state["last"]["answer"];
  }
  static constexpr const char* kUrl = "https://dala.example:8443";
};

// A refused certificate stays refused: the page must not call the server
// unreachable (after which it tells the volunteer that nothing is lost and
// to try again), but say what `dala sync` says, in the page's language.
TEST_F(UiSyncFailureTest, RefusedCertificateIsNotCalledUnreachable) {
  json answer = SyncFailingWith(
      transport_internal::CannotReach("tls_refused", kUrl, "", "OpenSSL verify error 26"), "ru");
  EXPECT_EQ(answer["error"], "sync_failed");
  EXPECT_EQ(answer["reason"], "tls_refused");
  const std::string message = answer["message"];
  EXPECT_NE(message.find("сертификат сервера отклонён"), std::string::npos) << message;
  EXPECT_NE(message.find("OpenSSL verify error 26"), std::string::npos) << message;
}

TEST_F(UiSyncFailureTest, CertificateForAnotherHostNamesTheHostToPutInIt) {
  json answer = SyncFailingWith(transport_internal::CannotReach("tls_wrong_host", kUrl, "", ""), "en");
  EXPECT_EQ(answer["error"], "sync_failed");
  EXPECT_EQ(answer["message"],
            "the server's certificate is not for dala.example (make one that names it: dala-server tls init --host "
            "dala.example)");
}

// The link is down: that one trying again mends, in the page's language.
TEST_F(UiSyncFailureTest, ServerOutOfReachIsUnreachableInThePagesLanguage) {
  json answer = SyncFailingWith(transport_internal::CannotReach("unreachable", kUrl, "", "Connection refused"), "kk");
  EXPECT_EQ(answer["error"], "unreachable");
  EXPECT_EQ(answer["message"], std::string(kUrl) + " серверіне қосылу мүмкін емес");
}

// A field-list group (with relevance and a calculation inside it), then a
// repeat the volunteer sizes.
constexpr const char* kScreensForm = R"J({"dala_form":1,"id":"screens","version":"1","title":"S",
  "languages":["en"],"default_language":"en","questions":[
  {"type":"integer","name":"before","label":"Before"},
  {"type":"group","name":"people","label":"People","appearance":"field-list","children":[
    {"type":"integer","name":"adults","label":"Adults","required":true},
    {"type":"integer","name":"children","label":"Children","constraint":". < 20","constraint_message":"Too many"},
    {"type":"text","name":"why_children","label":"Why","relevant":"${children} > 0"},
    {"type":"calculate","name":"total","label":"Total","calculation":"${adults} + ${children}"}]},
  {"type":"repeat","name":"visits","label":"Visit","children":[{"type":"text","name":"place","label":"Place"}]}]})J";

class UiScreensTest : public UiAppTest {
 protected:
  void SetUp() override {
    UiAppTest::SetUp();
    ASSERT_TRUE(store_->AddForm(kScreensForm, "local", clock_.NowMs()).ok());
    path_ = "/api/drafts/" + std::to_string(Call(Post("/api/drafts", {{"form", "screens"}}), 201)["draft"].get<int64_t>());
  }
  static std::vector<std::string> FieldNames(const json& screen) {
    std::vector<std::string> out;
    for (const json& f : screen.value("fields", json::array())) out.push_back(f["name"]);
    return out;
  }
  json OnDisk() {
    auto row = store_->FindDraft(std::stoll(path_.substr(path_.rfind('/') + 1)));
    EXPECT_TRUE(row.ok() && *row);
    return json::parse((*row)->answers_json);
  }
  json Set(const char* question, const char* text, int want = 200, json path = json::array()) {
    return Call(Post(path_ + "/set", {{"question", question}, {"path", path}, {"text", text}}), want);
  }
  std::string path_;
};

TEST_F(UiScreensTest, FieldListGroupIsOneScreenRedrawnByTheEngineAfterEachField) {
  json screen = Call(Post(path_ + "/answer", {{"text", "1"}}), 200);
  EXPECT_EQ(screen["group"]["label"], "People");
  EXPECT_EQ(FieldNames(screen), (std::vector<std::string>{"adults", "children"}));
  screen = Set("children", "2");
  EXPECT_EQ(FieldNames(screen), (std::vector<std::string>{"adults", "children", "why_children"}));
  EXPECT_EQ(OnDisk()["children"], 2);  // on disk before the page hears of it
  screen = Set("adults", "3");
  ASSERT_EQ(screen["calculated"].size(), 1u);
  EXPECT_EQ(screen["calculated"][0]["value"], "5");
  screen = Set("children", "");
  EXPECT_EQ(FieldNames(screen), (std::vector<std::string>{"adults", "children"}));
  EXPECT_FALSE(OnDisk().contains("children") && !OnDisk()["children"].is_null());
  screen = Call(Post(path_ + "/next", json::object()), 200);
  EXPECT_EQ(screen["step"]["kind"], "add_repeat");
  EXPECT_FALSE(screen.contains("fields"));
  EXPECT_EQ(Call(Post(path_ + "/back", json::object()), 200)["group"]["name"], "people");
}

// "Add another visit?" answered twice (a double click): the second names
// the step the draft has left, so it adds no second visit.
TEST_F(UiScreensTest, AYesForAnAddAnotherStepTheDraftHasLeftAddsNothing) {
  Call(Post(path_ + "/answer", {{"text", "1"}}), 200);
  Set("adults", "2");
  json screen = Call(Post(path_ + "/next", json::object()), 200);
  ASSERT_EQ(screen["step"]["kind"], "add_repeat");
  const json at = {{"kind", "add_repeat"}, {"question", screen["step"]["name"]}, {"path", screen["step"]["path"]}};
  screen = Call(Post(path_ + "/answer", {{"text", "yes"}, {"at", at}}), 200);
  EXPECT_EQ(screen["step"]["name"], "place");
  EXPECT_FALSE(screen.contains("moved_on"));
  json again = Call(Post(path_ + "/answer", {{"text", "yes"}, {"at", at}}), 200);
  EXPECT_EQ(again["moved_on"], true);
  EXPECT_EQ(again["step"]["name"], "place");
  EXPECT_EQ(again["step"]["instance"], 1) << "a second visit was added";
  // A path of the wrong length for its kind is malformed.
  json short_path = at;
  short_path["path"] = json::array();
  Call(Post(path_ + "/answer", {{"text", "yes"}, {"at", short_path}}), 400);
}

TEST_F(UiScreensTest, FieldListErrorsNameTheirFieldAndChangeNothing) {
  Call(Post(path_ + "/answer", {{"text", "1"}}), 200);
  json screen = Call(Post(path_ + "/next", json::object()), 200);
  EXPECT_FALSE(screen["error"].get<std::string>().empty());
  EXPECT_EQ(screen["fields"][0]["error"], screen["error"]);  // adults is required
  EXPECT_FALSE(screen["fields"][1].contains("error"));
  EXPECT_EQ(screen["group"]["name"], "people");
  screen = Set("children", "25");
  EXPECT_EQ(screen["fields"][1]["error"], "Too many");
  EXPECT_EQ(OnDisk(), json({{"before", 1}}));
  EXPECT_EQ(Set("before", "2", 409)["error"], "not_on_screen");
  EXPECT_EQ(Set("why_children", "x", 409)["error"], "not_on_screen");  // hidden
  Set("nobody", "2", 400);
  Set("children", "2", 400, json::array({0}));  // not in a repeat
  Call(Post(path_ + "/set", {{"question", "children"}, {"path", json::array()}}), 400);
  EXPECT_EQ(OnDisk(), json({{"before", 1}}));
}

TEST_F(UiScreensTest, RemovingARepeatInstanceRenumbersTheRestOnDisk) {
  Call(Post(path_ + "/answer", {{"text", "1"}}), 200);
  Set("adults", "1");
  Call(Post(path_ + "/next", json::object()), 200);
  EXPECT_EQ(Call(Post(path_ + "/remove", json::object()), 409)["error"], "not_in_repeat");
  for (const char* place : {"a", "b", "c"}) {
    Call(Post(path_ + "/answer", {{"text", "yes"}}), 200);
    Call(Post(path_ + "/answer", {{"text", place}}), 200);
  }
  // Back to the second visit (the "add another?" steps already taken are
  // skipped), and remove it.
  Call(Post(path_ + "/back", json::object()), 200);
  json screen = Call(Post(path_ + "/back", json::object()), 200);
  ASSERT_EQ(screen["step"]["name"], "place");
  ASSERT_EQ(screen["step"]["answer"], "b");
  EXPECT_EQ(screen["step"]["removable"], true);
  screen = Call(Post(path_ + "/remove", json::object()), 200);
  EXPECT_EQ(screen["step"]["answer"], "c");
  EXPECT_EQ(screen["step"]["instance"], 2);
  EXPECT_EQ(OnDisk()["visits"], json::parse(R"([{"place":"a"},{"place":"c"}])"));

  // Another `dala ui` reopens the draft at the renumbered step.
  UiApp next(*store_, clock_, random_, {});
  next.SetPort(kPort);
  std::string cookie = HeaderIn(next.Handle(Get("/?token=" + next.token(), false)), "Set-Cookie");
  UiRequest r = Get(path_);
  r.headers["cookie"] = cookie.substr(0, cookie.find(';'));
  json resumed = json::parse(next.Handle(r).body);
  EXPECT_EQ(resumed["step"]["answer"], "c");
  EXPECT_EQ(resumed["step"]["instance"], 2);
}

// `dala backup` from the page: a file `dala restore` makes a whole profile
// of, with the records and the key under the same passphrase.
TEST_F(UiAppTest, BackupIsTheWholeProfileInOneFileAndOnlyWithTheKeyUnlocked) {
  EXPECT_EQ(Call(Get("/api/backup"), 401)["error"], "locked");
  OpenWithTransport(nullptr);
  const std::string record = SaveThroughPage(7);
  UiResponse backup = app_->Handle(Get("/api/backup"));
  ASSERT_EQ(backup.status, 200) << backup.body;
  EXPECT_EQ(HeaderOf(backup, "Content-Disposition").rfind("attachment; filename=\"dala-backup-", 0), 0u);
  EXPECT_EQ(HeaderOf(backup, "Cache-Control"), "no-store");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "page-backup.db")) << "no copy is left beside the profile";

  const std::string file = (dir_ / "downloaded.db").string();
  ASSERT_TRUE(cli::WriteFileReplacing(file, backup.body));
  const std::string elsewhere = (dir_ / "elsewhere.db").string();
  ASSERT_TRUE(LocalStore::RestoreFrom(file, elsewhere).ok());
  auto restored = LocalStore::Open(elsewhere);
  ASSERT_TRUE(restored.ok());
  EXPECT_TRUE(Device::Unlock(**restored, "passphrase").ok());
  auto records = (*restored)->ListSubmissions();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(sync::FormatSubmissionId((*records)[0].id), record);
}

// A backup that cannot be written (here a folder where the page writes
// its copy) says why, leaves no partial file, and the profile as it was.
TEST_F(UiAppTest, BackupThatCannotBeWrittenSaysSoAndLeavesTheProfileWhole) {
  OpenWithTransport(nullptr);
  const std::string record = SaveThroughPage(7);
  const auto in_the_way = dir_ / "page-backup.db";
  std::filesystem::create_directories(in_the_way / "something");
  UiResponse refused = app_->Handle(Get("/api/backup"));
  EXPECT_EQ(refused.status, 500) << refused.body;
  json why = json::parse(refused.body);
  EXPECT_NE(why["message"].get<std::string>().find("cannot write " + in_the_way.string()), std::string::npos) << why;
  EXPECT_FALSE(std::filesystem::exists(in_the_way.string() + ".partial"));
  auto records = store_->ListSubmissions();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(sync::FormatSubmissionId((*records)[0].id), record);

  std::filesystem::remove_all(in_the_way);
  EXPECT_EQ(app_->Handle(Get("/api/backup")).status, 200);
}

// --- a new laptop: its key and its enrolment made on the page ----------------------

// Answers an enrolment as dala-server does, for one code; the requests kept.
class EnrollingServer final : public Transport {
 public:
  static constexpr const char* kCode = "K7MX-Q4TR-P2NW";
  explicit EnrollingServer(sync::Random& random) : key_(sync::SigningKey::Generate(random)) {}
  Result<TransportResponse> Send(const TransportRequest& request) override {
    requests.push_back(request);
    json body = json::parse(request.body, nullptr, false);
    if (request.target != "/api/v1/enroll" || !body.is_object() || body.value("code", "") != kCode)
      return TransportResponse{401, "application/json",
                               R"({"error":{"code":"bad_enroll_code","message":"the code is unknown, used or expired"}})",
                               {}};
    sync::MerkleTree empty;
    json answer = {{"volunteer", "askar"}, {"server_key", ToHex(key_.public_key())}, {"origin", "test/log"},
                   {"checkpoint", sync::SignCheckpoint({"test/log", 0, empty.Root()}, "test/log", key_)}};
    return TransportResponse{200, "application/json", answer.dump(), {}};
  }
  std::vector<TransportRequest> requests;

 private:
  sync::SigningKey key_;
};

// `dala ui` on a profile it has just made: no key, no server. Its page
// connects to `server_` unless told the server is out of reach.
class UiNewLaptopTest : public UiAppTest {
 protected:
  void SetUp() override {
    UiAppTest::SetUp();
    auto made = LocalStore::Create((dir_ / "new.db").string());
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    new_store_ = std::move(*made);
    UiOptions options{60'000, "en"};
    options.store_path = (dir_ / "new.db").string();
    options.connect = [this](const std::string& url, const std::string& ca_file) -> Result<std::unique_ptr<Transport>> {
      connected_to_.push_back(url);
      trusted_.push_back(ca_file);
      auto pem = ca_file.empty() ? Result<std::string>(std::string()) : cli::ReadWholeFile(ca_file);
      trusted_pem_.push_back(pem.ok() ? *pem : "<unreadable>");
      DALA_RETURN_IF_ERROR(transport_internal::CheckServerUrl(url, {}));  // as MakeHttpTransport does
      if (!reachable_) return std::unique_ptr<Transport>(std::make_unique<FailingTransport>(
                           transport_internal::CannotReach("unreachable", url, "", "Connection timed out")));
      return std::unique_ptr<Transport>(std::make_unique<Forward>(server_));
    };
    options.laptop_label = "askar-laptop";
    options.kdf = {1, 64u << 10};
    Open(*new_store_, std::move(options));
  }
  void TearDown() override {
    app_.reset();  // before the store it holds
    new_store_.reset();
    UiAppTest::TearDown();
  }
  void MakeKey() {
    json made = Call(Post("/api/setup", {{"passphrase", "steppe-wind-42"}, {"repeated", "steppe-wind-42"}}), 201);
    ASSERT_EQ(made["unlocked"], true);
  }
  std::optional<std::string> Stored(std::string_view key) { return new_store_->Get(key).value(); }

  // The page's transport is owned by the page; the server outlives it.
  class Forward final : public Transport {
   public:
    explicit Forward(EnrollingServer& to) : to_(to) {}
    Result<TransportResponse> Send(const TransportRequest& r) override { return to_.Send(r); }

   private:
    EnrollingServer& to_;
  };

  std::unique_ptr<LocalStore> new_store_;
  EnrollingServer server_{random_};
  bool reachable_ = true;
  std::vector<std::string> connected_to_;
  std::vector<std::string> trusted_;      // the CA file of each connection
  std::vector<std::string> trusted_pem_;  // what it held then
};

// What `dala-server tls init` hands out as ca.pem (the test trusts no TLS;
// the transport it is given for is the one under test elsewhere).
constexpr const char* kCaPem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----";

TEST_F(UiNewLaptopTest, WithoutAKeyHomeAsksForOneAndNothingCanBeUnlockedSignedOrSent) {
  json home = Call(Get("/api/home"), 200);
  EXPECT_EQ(home["setup"], true);
  EXPECT_EQ(home["enrolled"], false);
  EXPECT_EQ(home["unlocked"], false);
  EXPECT_EQ(Call(Get("/api/laptop"), 200)["setup"], true);
  Call(Post("/api/language", {{"language", "kk"}}), 200);  // chosen before the key
  EXPECT_EQ(Call(Post("/api/unlock", {{"passphrase", "steppe-wind-42"}}), 409)["error"], "no_key");
  EXPECT_EQ(Call(Post("/api/drafts", {{"form", "visit"}}), 409)["error"], "no_key");
  EXPECT_EQ(Call(Post("/api/sync", json::object()), 409)["error"], "no_key");
  EXPECT_EQ(Call(Post("/api/enroll", {{"url", "https://dala.example.kz"}, {"code", EnrollingServer::kCode}}), 409)
                ["error"], "no_key");
  EXPECT_TRUE(connected_to_.empty());
}

TEST_F(UiNewLaptopTest, PassphrasesThatDifferOrAreShortMakeNoKey) {
  EXPECT_EQ(Call(Post("/api/setup", {{"passphrase", "steppe-wind-42"}, {"repeated", "steppe-wind-24"}}), 422)["error"],
            "passphrases_differ");
  EXPECT_EQ(Call(Post("/api/setup", {{"passphrase", "steppe"}, {"repeated", "steppe"}}), 422)["error"],
            "passphrase_too_short");
  EXPECT_EQ(Call(Post("/api/setup", {{"passphrase", "steppe-wind-42"}}), 400)["error"], "bad_json");
  EXPECT_EQ(Call(Post("/api/setup", {{"passphrase", 42}, {"repeated", 42}}), 400)["error"], "bad_json");
  EXPECT_FALSE(Stored(profile_key::kDeviceKey).has_value());
  EXPECT_FALSE(Stored(profile_key::kDevicePublic).has_value());
  EXPECT_EQ(Call(Get("/api/home"), 200)["setup"], true);
}

TEST_F(UiNewLaptopTest, TheKeyIsMadeOnceSealedUnderThePassphraseAndLeftUnlocked) {
  Call(Post("/api/language", {{"language", "kk"}}), 200);
  MakeKey();
  json home = Call(Get("/api/home"), 200);
  EXPECT_EQ(home["setup"], false);
  EXPECT_EQ(home["unlocked"], true);
  EXPECT_EQ(Stored(profile_key::kLanguage), "kk");  // `dala` in the terminal speaks it too
  const std::string fingerprint = Call(Get("/api/laptop"), 200)["fingerprint"];
  EXPECT_EQ(fingerprint, cli::Fingerprint(Stored(profile_key::kDevicePublic).value()));
  EXPECT_TRUE(Device::Unlock(*new_store_, "steppe-wind-42").ok());
  EXPECT_EQ(Device::Unlock(*new_store_, "steppe-wind-24").status().code(), Status::Code::kUnauthenticated);

  // A second key would orphan every record the first signed.
  EXPECT_EQ(Call(Post("/api/setup", {{"passphrase", "another-phrase"}, {"repeated", "another-phrase"}}), 409)["error"],
            "already_set_up");
  EXPECT_EQ(Call(Get("/api/laptop"), 200)["fingerprint"], fingerprint);
  EXPECT_TRUE(Device::Unlock(*new_store_, "steppe-wind-42").ok());
}

TEST_F(UiNewLaptopTest, EnrolmentOnThePageSendsThisLaptopsKeyAndPinsTheServer) {
  MakeKey();
  // As dictated: a bare name, a trailing slash, spaces from a paste.
  json enrolled = Call(Post("/api/enroll", {{"url", " dala.example.kz/ "}, {"code", " K7MX-Q4TR-P2NW\n"}}), 200);
  EXPECT_EQ(enrolled["server"], "https://dala.example.kz");
  EXPECT_EQ(enrolled["volunteer"], "askar");
  EXPECT_EQ(connected_to_, std::vector<std::string>{"https://dala.example.kz"});
  ASSERT_EQ(server_.requests.size(), 1u);
  json sent = json::parse(server_.requests[0].body);
  EXPECT_EQ(sent["public_key"], Stored(profile_key::kDevicePublic).value());
  EXPECT_EQ(sent["label"], "askar-laptop");
  EXPECT_EQ(Stored(profile_key::kServerUrl), "https://dala.example.kz");
  EXPECT_EQ(Stored(profile_key::kVolunteer), "askar");
  EXPECT_EQ(Stored(profile_key::kServerOrigin), "test/log");
  EXPECT_EQ(Call(Get("/api/home"), 200)["enrolled"], true);
  EXPECT_EQ(Call(Get("/api/laptop"), 200)["server"], "https://dala.example.kz");
  EXPECT_EQ(trusted_, std::vector<std::string>{""});  // the system's authorities
  EXPECT_FALSE(Stored(profile_key::kServerCaFile).has_value());
}

// An office server with its own authority: the page takes its ca.pem, keeps
// it in the profile's folder and trusts it now and at every later sync. A
// refused attempt later, with another file, leaves the kept one alone.
TEST_F(UiNewLaptopTest, TheOfficeServersCaFileIsKeptInTheProfileAndTrustedAndARefusedAttemptLeavesIt) {
  MakeKey();
  const std::string kept = (dir_ / "server-ca.pem").string();
  EXPECT_EQ(Call(Post("/api/enroll", {{"url", "https://192.168.1.10:8443"}, {"code", EnrollingServer::kCode},
                                      {"ca_pem", "just text"}}),
                 422)["error"],
            "not_a_certificate");
  EXPECT_FALSE(std::filesystem::exists(kept));
  // Refused by the server: the file no enrolment took is not left behind.
  Call(Post("/api/enroll", {{"url", "https://192.168.1.10:8443"}, {"code", "AAAA-BBBB-CCCC"}, {"ca_pem", kCaPem}}), 422);
  EXPECT_EQ(trusted_pem_.back(), std::string(kCaPem) + "\n");
  EXPECT_FALSE(std::filesystem::exists(kept));
  EXPECT_FALSE(std::filesystem::exists(kept + ".new"));

  Call(Post("/api/enroll", {{"url", "https://192.168.1.10:8443"}, {"code", EnrollingServer::kCode}, {"ca_pem", kCaPem}}),
       200);
  EXPECT_EQ(trusted_pem_.back(), std::string(kCaPem) + "\n");
  EXPECT_EQ(cli::ReadWholeFile(kept).value(), std::string(kCaPem) + "\n");
  EXPECT_FALSE(std::filesystem::exists(kept + ".new"));
  EXPECT_EQ(Stored(profile_key::kServerCaFile), kept);

  // Later attempts with another file: refused, they leave the one this
  // laptop syncs with as it was; taken, it replaces it.
  const std::string other = "-----BEGIN CERTIFICATE-----\nMIIBtDCCAVqgAwIBAgIV\n-----END CERTIFICATE-----";
  const std::string too_long = "-----BEGIN CERTIFICATE-----\n" + std::string(64 * 1024, 'A');
  EXPECT_EQ(Call(Post("/api/enroll", {{"url", "https://192.168.1.10:8443"}, {"code", EnrollingServer::kCode},
                                      {"ca_pem", too_long}}),
                 422)["error"],
            "not_a_certificate");
  Call(Post("/api/enroll", {{"url", "https://192.168.1.10:8443"}, {"code", "AAAA-BBBB-CCCC"}, {"ca_pem", other}}), 422);
  EXPECT_EQ(trusted_pem_.back(), other + "\n");
  json elsewhere = Call(Post("/api/enroll", {{"url", "https://10.0.0.9:8443"}, {"code", EnrollingServer::kCode},
                                             {"ca_pem", other}}),
                        422);
  EXPECT_EQ(elsewhere["reason"], "enrolled_elsewhere");
  EXPECT_EQ(cli::ReadWholeFile(kept).value(), std::string(kCaPem) + "\n");
  EXPECT_FALSE(std::filesystem::exists(kept + ".new"));
  Call(Post("/api/enroll", {{"url", "https://192.168.1.10:8443"}, {"code", EnrollingServer::kCode}, {"ca_pem", other}}),
       200);
  EXPECT_EQ(cli::ReadWholeFile(kept).value(), other + "\n");
  EXPECT_EQ(Stored(profile_key::kServerCaFile), kept);
}

TEST_F(UiNewLaptopTest, EnrolmentRefusedForAnyReasonSaysWhyAndLeavesTheLaptopUnenrolled) {
  MakeKey();
  EXPECT_EQ(Call(Post("/api/enroll", {{"url", "https://dala.example.kz"}, {"code", "  "}}), 422)["error"],
            "url_and_code");
  EXPECT_EQ(Call(Post("/api/enroll", {{"code", EnrollingServer::kCode}}), 422)["error"], "url_and_code");
  EXPECT_EQ(Call(Post("/api/enroll", {{"url", 7}, {"code", EnrollingServer::kCode}}), 422)["error"], "url_and_code");

  // Plain http to another machine: refused before anything is sent.
  json plain = Call(Post("/api/enroll", {{"url", "http://192.0.2.7:8080"}, {"code", EnrollingServer::kCode}}), 422);
  EXPECT_EQ(plain["reason"], "plain_http");
  EXPECT_EQ(plain["again"], false);
  EXPECT_EQ(plain["message"].get<std::string>().rfind("http://192.0.2.7:8080 is not encrypted", 0), 0u) << plain;

  json not_a_code = Call(Post("/api/enroll", {{"url", "https://dala.example.kz"}, {"code", "12"}}), 422);
  EXPECT_EQ(not_a_code["reason"], "bad_enrol_code");
  EXPECT_NE(not_a_code["message"].get<std::string>().find("'12' is not an enrolment code"), std::string::npos);

  json unknown = Call(Post("/api/enroll", {{"url", "https://dala.example.kz"}, {"code", "AAAA-BBBB-CCCC"}}), 422);
  EXPECT_EQ(unknown["error"], "enroll_failed");
  EXPECT_EQ(unknown["reason"], "bad_enroll_code");
  EXPECT_EQ(unknown["again"], false);
  EXPECT_EQ(unknown["message"], "the code AAAA-BBBB-CCCC is unknown, used or expired: ask your coordinator for a new one");

  // Out of reach: worth trying again, in the page's language.
  reachable_ = false;
  Call(Post("/api/language", {{"language", "ru"}}), 200);
  json away = Call(Post("/api/enroll", {{"url", "https://dala.example.kz"}, {"code", EnrollingServer::kCode}}), 502);
  EXPECT_EQ(away["again"], true);
  EXPECT_EQ(away["message"], "не удаётся связаться с сервером https://dala.example.kz");

  Call(Post("/api/lock", json::object()), 200);
  reachable_ = true;
  EXPECT_EQ(Call(Post("/api/enroll", {{"url", "https://dala.example.kz"}, {"code", EnrollingServer::kCode}}), 401)
                ["error"], "locked");

  EXPECT_FALSE(Stored(profile_key::kServerUrl).has_value());
  EXPECT_FALSE(Stored(profile_key::kServerKey).has_value());
  EXPECT_EQ(Call(Get("/api/home"), 200)["enrolled"], false);
}

}  // namespace
}  // namespace dala::client::ui
