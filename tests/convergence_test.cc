// Convergence through the real stack, in one process: volunteers' laptops
// (LocalStore, Device, SyncClient) and the server (RecordService behind the
// real routes and authentication), joined by an in-process transport that
// can lose answers. In random schedules, laptops create and edit records
// offline, coordinators edit, resolve and review them on the server, and
// laptops sync at random moments; some answers are lost on the way back.
// Once everyone has synced with nothing lost, every laptop's state of every
// record equals the server's: same heads, answers and conflicts, compared by
// state digest.
//
// The merge algorithm alone is exercised far harder (thousands of schedules)
// by sync/src/merge_test.cc; this test proves the protocol, stores and
// server deliver every revision to where the merge needs it.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "api.h"
#include "admin.h"
#include "auth.h"
#include "dala/client/device.h"
#include "dala/client/store.h"
#include "dala/client/sync_client.h"
#include "dala/server/sqlite_store.h"
#include "dala/sync/merge.h"
#include "e2e_util.h"
#include "record_service.h"
#include "router.h"

namespace dala {
namespace {

using nlohmann::json;

constexpr const char* kForm = R"J({"dala_form":1,"id":"visit","version":"1","title":"Visit","languages":["ru"],
  "default_language":"ru","questions":[
    {"type":"integer","name":"queue","label":"Queue","constraint":". >= 0 and . <= 100"},
    {"type":"select_one","name":"ramp","label":"Ramp","list":"yn"},
    {"type":"text","name":"notes","label":"Notes"}],
  "lists":{"yn":[{"name":"yes","label":"Да"},{"name":"no","label":"Нет"},{"name":"na","label":"Н/П"}]}})J";

// Calls the server's routes directly; may lose the answer after the server
// has acted on the request, as a dropped connection would.
class InProcessTransport final : public client::Transport {
 public:
  InProcessTransport(server::Router& router, std::mt19937& rng) : router_(router), rng_(rng) {}
  void set_loss_percent(int p) { loss_percent_ = p; }

  Result<client::TransportResponse> Send(const client::TransportRequest& request) override {
    server::HttpRequest r;
    r.method = request.method;
    r.target = request.target;
    r.path = request.target.substr(0, request.target.find('?'));
    r.body = request.body;
    r.remote_address = "127.0.0.1";
    for (const auto& [k, v] : request.headers) r.headers[k] = v;
    if (!request.content_type.empty()) r.headers["Content-Type"] = request.content_type;
    server::HttpResponse out = router_.Dispatch(r);
    if (static_cast<int>(rng_() % 100) < loss_percent_) return Status::Unavailable("the answer was lost");
    client::TransportResponse t;
    t.status = out.status;
    t.content_type = out.content_type;
    t.body = std::move(out.body);
    return t;
  }

 private:
  server::Router& router_;
  std::mt19937& rng_;
  int loss_percent_ = 0;
};

// A dala-server in this process, reached through its router with no
// sockets: store, record service and routes.
struct InProcessServer {
  InProcessServer(const std::string& data_dir, const Clock& clock, sync::Random& random, std::mt19937& rng)
      : store(Open(data_dir)),
        key(sync::SigningKey::Generate(random)),
        ctx{*store, clock, random, key, server::ServerConfig{}},
        transport(router, rng) {
    auto started = server::Api::Start(ctx);
    if (!started.ok()) {
      status = started.status();
      return;
    }
    api = std::move(*started);
    api->Register(router);
  }

  static std::unique_ptr<server::Store> Open(const std::string& data_dir) {
    auto s = server::OpenSqliteStore(data_dir, true);
    if (!s.ok()) {
      std::fprintf(stderr, "cannot open the server store: %s\n", s.status().ToString().c_str());
      std::abort();
    }
    return std::move(*s);
  }

  std::unique_ptr<server::Store> store;
  sync::SigningKey key;
  server::ServerContext ctx;
  std::unique_ptr<server::Api> api;
  server::Router router;
  InProcessTransport transport;
  Status status;
};

struct Laptop {
  std::unique_ptr<client::LocalStore> store;
  std::optional<client::Device> device;
  std::vector<sync::SubmissionId> records;
};

// Four seeds, so ctest can run them side by side.
class ConvergenceTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { ASSERT_TRUE(sync::InitCrypto().ok()); }
};

json RandomChange(std::mt19937& rng, json answers) {
  switch (rng() % 4) {
    case 0: answers["queue"] = static_cast<int>(rng() % 101); break;
    case 1: answers["ramp"] = std::vector<std::string>{"yes", "no", "na"}[rng() % 3]; break;
    case 2: answers["notes"] = "n" + std::to_string(rng() % 5); break;
    default: answers.erase("notes"); break;
  }
  return answers;
}

TEST_P(ConvergenceTest, LaptopsAndServerHoldIdenticalStateAfterRandomSchedules) {
  const int kSchedules = 40;
  std::mt19937 rng(static_cast<unsigned>(GetParam()));
  int conflicts_seen = 0, answers_lost = 0;
  for (int schedule = 0; schedule < kSchedules; ++schedule) {
    e2e::TempDir dir;
    SystemClock clock;
    sync::SeededRandom random(static_cast<uint64_t>(GetParam()) * 1000 + static_cast<uint64_t>(schedule));
    InProcessServer server(dir / "server", clock, random, rng);
    ASSERT_TRUE(server.status.ok()) << server.status.ToString();
    ASSERT_TRUE(server.api->records().PublishForm(kForm, "default").ok());
    InProcessTransport& transport = server.transport;
    server::Store& store = *server.store;

    const int laptops_count = 2 + static_cast<int>(rng() % 2);
    std::vector<Laptop> laptops(laptops_count);
    for (int i = 0; i < laptops_count; ++i) {
      std::string name = "v" + std::to_string(i);
      ASSERT_TRUE(server::AddUserAccount(store, name, "volunteer", "", clock).ok());
      auto code = server::IssueEnrollCode(store, name, 1, "admin", random, clock);
      ASSERT_TRUE(code.ok());
      auto local = client::LocalStore::Create(dir / (name + ".db"));
      ASSERT_TRUE(local.ok());
      laptops[i].store = std::move(*local);
      ASSERT_TRUE(client::InitDevice(*laptops[i].store, "passphrase", random, clock, {1, 64u << 10}).ok());
      auto device = client::Device::Unlock(*laptops[i].store, "passphrase");
      ASSERT_TRUE(device.ok());
      laptops[i].device.emplace(std::move(*device));
      auto enrolled = client::Enroll(*laptops[i].store, *laptops[i].device, transport, "inproc", code->code, name, clock);
      ASSERT_TRUE(enrolled.ok()) << enrolled.status().ToString();
    }
    auto sync_laptop = [&](Laptop& l, bool may_lose) {
      transport.set_loss_percent(may_lose ? 25 : 0);
      client::SyncClient sync(*l.store, *l.device, transport, clock, random);
      auto r = sync.Run();
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), Status::Code::kUnavailable) << r.status().ToString();
        ++answers_lost;
      } else {
        EXPECT_TRUE(r->log_warnings.empty());
      }
    };
    for (Laptop& l : laptops) sync_laptop(l, false);  // receive the form

    std::vector<std::pair<sync::SubmissionId, int>> all;  // record, owning laptop
    const int steps = 10 + static_cast<int>(rng() % 25);
    for (int step = 0; step < steps; ++step) {
      int who = static_cast<int>(rng() % laptops_count);
      Laptop& l = laptops[who];
      int action = static_cast<int>(rng() % 6);
      if (action == 0 || l.records.empty()) {
        // A new record.
        auto form = l.store->FindFormByName("visit");
        ASSERT_TRUE(form.ok());
        sync::SubmissionId id = sync::NewSubmissionId(clock, random);
        json answers = RandomChange(rng, json{{"queue", 1}, {"ramp", "no"}});
        auto saved = l.device->SaveRevision(**form, id, {}, answers.dump(), clock, "ru");
        ASSERT_TRUE(saved.ok()) << saved.status().ToString();
        l.records.push_back(id);
        all.emplace_back(id, who);
      } else if (action == 1) {
        // The volunteer edits offline, on top of what the laptop knows.
        sync::SubmissionId id = l.records[rng() % l.records.size()];
        auto merged = l.store->MergedStateOf(id);
        ASSERT_TRUE(merged.ok());
        auto row = l.store->FindSubmission(id);
        sync::Hash fh;
        ASSERT_TRUE(FromHex((*row)->form_hash, &fh));
        auto form = l.store->FindForm(fh);
        json answers = RandomChange(rng, json::parse(merged->answers_json));
        ASSERT_TRUE(l.device->SaveRevision(*form, id, merged->heads, answers.dump(), clock, "ru").ok());
      } else if (action == 2 || action == 3) {
        // A coordinator corrects a record the server has.
        if (all.empty()) continue;
        sync::SubmissionId id = all[rng() % all.size()].first;
        auto summary = store.FindSubmission(id);
        ASSERT_TRUE(summary.ok());
        if (!*summary) continue;
        json answers = RandomChange(rng, json::parse((*summary)->answers_json));
        server::CoordinatorEdit edit{"aigerim", answers.dump(), "", {}};
        auto e = server.api->records().Edit(id, edit);
        ASSERT_TRUE(e.ok()) << e.status().ToString();
      } else if (action == 4) {
        if (all.empty()) continue;
        sync::SubmissionId id = all[rng() % all.size()].first;
        auto summary = store.FindSubmission(id);
        if (!summary.ok() || !*summary) continue;
        const char* states[] = {"has_issues", "approved", "rejected"};
        ASSERT_TRUE(server.api->records().Review(id, "aigerim", states[rng() % 3], "check").ok());
      } else {
        sync_laptop(l, true);
      }
      for (const auto& [id, owner] : all) {
        auto s = store.FindSubmission(id);
        if (s.ok() && *s && (*s)->conflicts > 0) {
          ++conflicts_seen;
          break;
        }
      }
    }
    // Everyone syncs until nothing moves, with nothing lost.
    for (int round = 0; round < 3; ++round)
      for (Laptop& l : laptops) sync_laptop(l, false);

    for (const auto& [id, owner] : all) {
      auto envelopes = store.EnvelopesOf(id);
      ASSERT_TRUE(envelopes.ok());
      std::vector<sync::MergeInput> inputs;
      for (const auto& s : *envelopes) {
        auto e = sync::Envelope::Parse(s.bytes);
        ASSERT_TRUE(e.ok());
        if (e->kind() != sync::EnvelopeKind::kRevision) continue;
        auto body = sync::ParseRevisionBody(e->body());
        inputs.push_back({e->id(), e->parents(), e->hlc(), e->author(), body->answers_json});
      }
      auto server_state = sync::Merge(inputs);
      ASSERT_TRUE(server_state.ok());
      auto laptop_state = laptops[owner].store->MergedStateOf(id);
      ASSERT_TRUE(laptop_state.ok());
      ASSERT_EQ(laptop_state->Digest(), server_state->Digest())
          << "schedule " << schedule << ": laptop " << owner << " and the server disagree on "
          << sync::FormatSubmissionId(id) << "\nlaptop: " << laptop_state->answers_json
          << "\nserver: " << server_state->answers_json;
      // The review state the laptop shows is the server's.
      auto server_row = store.FindSubmission(id);
      auto laptop_row = laptops[owner].store->FindSubmission(id);
      ASSERT_TRUE(server_row.ok() && *server_row && laptop_row.ok() && *laptop_row);
      EXPECT_EQ((*laptop_row)->review_state, (*server_row)->review_state);
      EXPECT_EQ((*laptop_row)->pending, 0);
    }
    for (Laptop& l : laptops) {
      auto report = client::VerifyLocalStore(*l.store);
      ASSERT_TRUE(report.ok());
      EXPECT_TRUE(report->problems.empty()) << report->problems[0].record << ": " << report->problems[0].what;
    }
  }
  // The schedules must exercise what they claim to.
  EXPECT_GT(conflicts_seen, kSchedules / 10);
  EXPECT_GT(answers_lost, kSchedules / 4);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ConvergenceTest, ::testing::Values(77, 1234, 20261127, 5));

}  // namespace
}  // namespace dala

namespace dala {
namespace {

// Many forms, and a coordinator's correction of a record made with the
// last of them: a laptop enrolled afterwards must receive the forms before
// the correction that needs one, whatever the batching.
TEST(SyncDeliveryTest, NewLaptopReceivesFormsBeforeTheActionsThatNeedThem) {
  ASSERT_TRUE(sync::InitCrypto().ok());
  e2e::TempDir dir;
  SystemClock clock;
  sync::SeededRandom random(9);
  std::mt19937 rng(9);
  InProcessServer server(dir / "server", clock, random, rng);
  ASSERT_TRUE(server.status.ok()) << server.status.ToString();
  std::shared_ptr<const schema::Form> last_form;
  for (int i = 0; i < 25; ++i) {
    std::string doc(kForm);
    doc.replace(doc.find("\"id\":\"visit\""), 12, "\"id\":\"visit" + std::to_string(i) + "\"");
    ASSERT_TRUE(server.api->records().PublishForm(doc, "default").ok());
    last_form = *schema::Form::Load(doc);
  }
  InProcessTransport& transport = server.transport;
  server::Store& store = *server.store;
  ASSERT_TRUE(server::AddUserAccount(store, "askar", "volunteer", "", clock).ok());

  auto laptop = [&](const std::string& name) {
    Laptop l;
    auto code = server::IssueEnrollCode(store, "askar", 1, "admin", random, clock);
    l.store = std::move(*client::LocalStore::Create(dir / (name + ".db")));
    EXPECT_TRUE(client::InitDevice(*l.store, "passphrase", random, clock, {1, 64u << 10}).ok());
    l.device.emplace(std::move(*client::Device::Unlock(*l.store, "passphrase")));
    EXPECT_TRUE(client::Enroll(*l.store, *l.device, transport, "inproc", code->code, name, clock).ok());
    return l;
  };
  Laptop first = laptop("first");
  client::SyncClient sync1(*first.store, *first.device, transport, clock, random);
  ASSERT_TRUE(sync1.Run().ok());
  auto form = first.store->FindFormByName(last_form->id());
  ASSERT_TRUE(form.ok()) << "the first laptop did not receive every form";
  sync::SubmissionId id = sync::NewSubmissionId(clock, random);
  ASSERT_TRUE(first.device->SaveRevision(**form, id, {}, R"({"queue":3})", clock, "ru").ok());
  ASSERT_TRUE(sync1.Run().ok());
  ASSERT_TRUE(server.api->records().Edit(id, {"aigerim", R"({"queue":4})", "", {}}).ok());

  Laptop second = laptop("second");
  client::SyncClient sync2(*second.store, *second.device, transport, clock, random);
  auto out = sync2.Run();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->received_forms, 25u);
  // The first laptop's record, which follows its volunteer, and the
  // coordinator's correction of it.
  EXPECT_EQ(out->received_envelopes, 2u);
  auto record = second.store->FindSubmission(id);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->answers_json, R"({"queue":4})");
}

}  // namespace
}  // namespace dala

namespace dala {
namespace {

// A coordinator reads a record, the volunteer's edit of the same field
// lands, then the coordinator's correction: both changes are kept as a
// conflict, not the volunteer's silently overwritten.
TEST(CoordinatorEditTest, EditBuiltOnAStaleViewConflictsInsteadOfOverwriting) {
  ASSERT_TRUE(sync::InitCrypto().ok());
  e2e::TempDir dir;
  SystemClock clock;
  sync::SeededRandom random(21);
  std::mt19937 rng(21);
  InProcessServer server(dir / "server", clock, random, rng);
  ASSERT_TRUE(server.status.ok()) << server.status.ToString();
  ASSERT_TRUE(server.api->records().PublishForm(kForm, "default").ok());
  InProcessTransport& transport = server.transport;
  server::Store& store = *server.store;
  ASSERT_TRUE(server::AddUserAccount(store, "askar", "volunteer", "", clock).ok());
  auto code = server::IssueEnrollCode(store, "askar", 1, "admin", random, clock);
  auto local = client::LocalStore::Create(dir / "laptop.db");
  ASSERT_TRUE(local.ok());
  ASSERT_TRUE(client::InitDevice(**local, "passphrase", random, clock, {1, 64u << 10}).ok());
  auto device = client::Device::Unlock(**local, "passphrase");
  ASSERT_TRUE(client::Enroll(**local, *device, transport, "inproc", code->code, "askar", clock).ok());
  client::SyncClient sync(**local, *device, transport, clock, random);
  ASSERT_TRUE(sync.Run().ok());
  auto form = (*local)->FindFormByName("visit");
  sync::SubmissionId id = sync::NewSubmissionId(clock, random);
  auto first = device->SaveRevision(**form, id, {}, R"({"queue":1})", clock, "ru");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(sync.Run().ok());

  auto seen = server.api->records().Heads(id);  // what the coordinator's screen shows
  ASSERT_TRUE(seen.ok());
  ASSERT_TRUE(device->SaveRevision(**form, id, {*first}, R"({"queue":2})", clock, "ru").ok());
  ASSERT_TRUE(sync.Run().ok());
  ASSERT_TRUE(server.api->records().Edit(id, {"aigerim", R"({"queue":3})", "", *seen}).ok());

  auto summary = store.FindSubmission(id);
  ASSERT_TRUE(summary.ok() && *summary);
  EXPECT_EQ((*summary)->conflicts, 1);
  EXPECT_EQ((*summary)->heads, 2);
  // Parents that are not this submission's revisions are refused.
  EXPECT_FALSE(server.api->records().Edit(id, {"aigerim", R"({"queue":5})", "", {sync::Sha256("elsewhere")}}).ok());
}

}  // namespace
}  // namespace dala
