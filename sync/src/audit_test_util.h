// What the auditor's, the report's and the trace's tests share: a small
// simulated server that writes bundles, the story every mutation starts
// from, and a fixture that makes honest and mutated bundles. Test code only.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dala/base/sqlite.h"
#include "dala/sync/audit.h"
#include "dala/sync/bundle.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merge.h"
#include "dala/sync/merkle.h"
#include "dala/sync/verify.h"

namespace dala::sync::audit_testing {

using nlohmann::json;

inline constexpr int64_t kNow = 1795600000000;  // 2026-11-25 09:46 UTC
inline constexpr const char* kOrigin = "dala.test/log";

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Answers valid for schema/forms/psc_observation.json on 2026-11-25.
inline json PscAnswers(int queue, const std::string& notes = "") {
  json a = json::parse(R"({"region":"ala","centre":"ala_01","centre_district":"Almaly","visit_date":"2026-11-23",
    "arrival_time":"10:15","queue_length":12,"waiting_source":"test_case","waiting_minutes":25,
    "equeue_works":"yes","signage_languages":["kk","ru"],"ramp":"yes","complaints_book":"yes",
    "fees_posted":"yes","windows_total":10,"windows_open":6,"staff_at_windows":6,"cleanliness":4,
    "issues":[{"category":"queue","description":"Long queue at window 3"}]})");
  a["queue_length"] = queue;
  if (!notes.empty()) a["notes"] = notes;
  return a;
}

// A small honest (or, when a test says so, dishonest) server: it signs
// enrolments, coordinator revisions and reviews, accepts devices'
// envelopes into its log in order, and writes the bundle with every table
// filled from what its log says.
class SimServer {
 public:
  struct Device {
    SigningKey key;
    uint64_t sequence = 0;
    Hash previous{};
  };

  explicit SimServer(uint64_t seed = 7) : random_(seed), server_(SigningKey::Generate(random_)) {
    form_doc_ = ReadFile("schema/forms/psc_observation.json");
    form_hash_ = Sha256(form_doc_);
    tiny_doc_ = R"({"dala_form":1,"id":"tally","version":"1","title":"Tally","languages":["en"],)"
                R"("default_language":"en","questions":[{"type":"integer","name":"n","label":"N"}]})";
    tiny_hash_ = Sha256(tiny_doc_);
  }

  const PublicKey& server_key() const { return server_.public_key(); }
  SigningKey& server_signer() { return server_; }
  const std::vector<std::string>& log() const { return log_; }
  std::vector<std::string>& mutable_log() { return log_; }

  Device& NewDevice(const std::string& name) {
    devices_.emplace(name, Device{SigningKey::Generate(random_)});
    return devices_.at(name);
  }
  Device& device(const std::string& name) { return devices_.at(name); }

  SubmissionId NewSubmission() {
    SubmissionId id{};
    random_.Fill(id.data(), id.size());
    id[6] = static_cast<uint8_t>(0x70 | (id[6] & 0x0F));
    return id;
  }

  // Appends an envelope signed by `key` as the next of `chain`.
  Hash Append(SigningKey& key, Device& chain, EnvelopeKind kind, const SubmissionId& submission,
              std::vector<Hash> parents, const std::string& body, bool tiny = false) {
    EnvelopeFields f;
    f.kind = kind;
    f.submission = submission;
    f.sequence = ++chain.sequence;
    f.previous = chain.previous;
    ++tick_;
    f.hlc = HlcTimestamp::Make(static_cast<uint64_t>(kNow + tick_), 0);
    f.wall_ms = kNow + tick_;
    if (next_wall_ms) {
      // A signer claiming another time than the log's order suggests.
      f.hlc = HlcTimestamp::Make(static_cast<uint64_t>(*next_wall_ms), 0);
      f.wall_ms = *next_wall_ms;
      next_wall_ms.reset();
    }
    if (kind == EnvelopeKind::kRevision) {
      f.form_hash = tiny ? tiny_hash_ : form_hash_;
      f.form_id = tiny ? "tally" : "psc_observation";
      f.form_version = tiny ? "1" : "2026.11.1";
    }
    f.parents = std::move(parents);
    f.body = body;
    auto bytes = SealEnvelope(f, key);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    log_.push_back(*bytes);
    auto e = Envelope::Parse(*bytes);
    chain.previous = e->id();
    return e->id();
  }

  Hash Enroll(const std::string& name, const std::string& volunteer) {
    EventBody ev{"enroll",  "admin",          "", "", "", "", ToHex(devices_.at(name).key.public_key()),
                 volunteer, name + " laptop", ""};
    return Append(server_, server_chain_, EnvelopeKind::kEvent, SubmissionId{}, {}, MakeEventBody(ev));
  }
  Hash Revoke(const std::string& name, const std::string& reason) {
    EventBody ev{"revoke", "admin", "", "", "", "", ToHex(devices_.at(name).key.public_key()), "", "", reason};
    return Append(server_, server_chain_, EnvelopeKind::kEvent, SubmissionId{}, {}, MakeEventBody(ev));
  }
  Hash Revise(const std::string& name, const SubmissionId& s, std::vector<Hash> parents, const json& answers) {
    Device& d = devices_.at(name);
    return Append(d.key, d, EnvelopeKind::kRevision, s, std::move(parents), MakeRevisionBody(answers.dump(), 300));
  }
  Hash ReviseTiny(const std::string& name, const SubmissionId& s, std::vector<Hash> parents, int n) {
    Device& d = devices_.at(name);
    return Append(d.key, d, EnvelopeKind::kRevision, s, std::move(parents),
                  MakeRevisionBody(json{{"n", n}}.dump(), 300), /*tiny=*/true);
  }
  Hash CoordinatorRevise(const std::string& by, const SubmissionId& s, std::vector<Hash> parents, const json& answers) {
    return Append(server_, server_chain_, EnvelopeKind::kRevision, s, std::move(parents),
                  MakeRevisionBody(answers.dump(), 300, by, "checked with the centre"));
  }
  Hash Review(const std::string& by, const SubmissionId& s, std::vector<Hash> heads, const std::string& state,
              const std::string& comment) {
    EventBody ev{"review", by, state, comment};
    return Append(server_, server_chain_, EnvelopeKind::kEvent, s, std::move(heads), MakeEventBody(ev));
  }

  // People's keys: a coordinator's key is a Device here too (a key and
  // its chain), enrolled and revoked by the server's person_key events.
  Hash EnrollPersonKey(const std::string& name, const std::string& person, const std::string& role = "coordinator") {
    EventBody ev;
    ev.type = "person_key_enrolled";
    ev.by = "admin";
    ev.person = person;
    ev.role = role;
    ev.key = ToHex(devices_.at(name).key.public_key());
    ev.label = name;
    return Append(server_, server_chain_, EnvelopeKind::kEvent, SubmissionId{}, {}, MakeEventBody(ev));
  }
  // Says, as the server does, that the key's decisions up to its last
  // sequence came before; or `through`, as a lying one might.
  Hash RevokePersonKey(const std::string& name, const std::string& reason,
                       std::optional<std::string> through = std::nullopt) {
    EventBody ev;
    ev.type = "person_key_revoked";
    ev.by = "admin";
    ev.person = "anna";
    ev.key = ToHex(devices_.at(name).key.public_key());
    ev.reason = reason;
    ev.through = through.value_or(std::to_string(devices_.at(name).sequence));
    return Append(server_, server_chain_, EnvelopeKind::kEvent, SubmissionId{}, {}, MakeEventBody(ev));
  }
  // A correction and a review signed by the key `name`, in the name of `by`.
  Hash PersonRevise(const std::string& name, const std::string& by, const SubmissionId& s, std::vector<Hash> parents,
                    const json& answers) {
    Device& d = devices_.at(name);
    return Append(d.key, d, EnvelopeKind::kRevision, s, std::move(parents),
                  MakeRevisionBody(answers.dump(), 300, by, "checked with the centre"));
  }
  Hash PersonReview(const std::string& name, const std::string& by, const SubmissionId& s, std::vector<Hash> heads,
                    const std::string& state, const std::string& comment) {
    Device& d = devices_.at(name);
    EventBody ev{"review", by, state, comment};
    return Append(d.key, d, EnvelopeKind::kEvent, s, std::move(heads), MakeEventBody(ev));
  }
  int64_t last_wall_ms() const { return kNow + tick_; }
  // The claimed time of the next envelope appended, instead of the tick's.
  std::optional<int64_t> next_wall_ms;

  MerkleTree Tree(size_t size) const {
    MerkleTree t;
    for (size_t i = 0; i < size; ++i) t.AppendLeafHash(LeafHash(log_[i]));
    return t;
  }
  std::string CheckpointAt(size_t size) const {
    return SignCheckpoint({kOrigin, size, Tree(size).Root()}, kOrigin, server_);
  }
  ReceiptInput ReceiptFor(const std::string& name, uint64_t sequence, size_t tree_size) const {
    const PublicKey& device = devices_.at(name).key.public_key();
    ReceiptInput r;
    for (size_t i = 0; i < tree_size; ++i) {
      auto e = Envelope::Parse(log_[i]);
      if (e->author() == device && e->sequence() == sequence) {
        r.device = device;
        r.sequence = sequence;
        r.envelope_id = e->id();
        r.leaf_index = i;
        r.tree_size = tree_size;
        r.proof = *Tree(tree_size).InclusionProof(i, tree_size);
        r.checkpoint_note = CheckpointAt(tree_size);
      }
    }
    EXPECT_NE(r.tree_size, 0u) << "no such envelope";
    return r;
  }

  // Writes the bundle as an honest exporter would: devices and submissions
  // are what the log says; checkpoints at `extra_checkpoints` and at the end.
  void Write(const std::string& path, std::vector<size_t> extra_checkpoints = {}) const {
    auto w = BundleWriter::Create(path);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE(w->SetHeader(kOrigin, server_.public_key(), kNow + 100000).ok());
    ASSERT_TRUE(w->AddProject({"psc", "Public service centres", kNow - 1000}).ok());
    ASSERT_TRUE(w->AddForm({"", "psc_observation", "2026.11.1", "psc", form_doc_, kNow - 900}).ok());
    ASSERT_TRUE(w->AddForm({"", "tally", "1", "psc", tiny_doc_, kNow - 800}).ok());
    ASSERT_TRUE(w->AddUser({"admin", "admin"}).ok());
    ASSERT_TRUE(w->AddUser({"anna", "coordinator"}).ok());

    std::map<PublicKey, BundleDevice> devices;
    std::map<SubmissionId, std::vector<MergeInput>> revisions;
    std::map<SubmissionId, std::vector<ReviewInput>> reviews;
    std::map<SubmissionId, std::string> form_of;
    std::set<Hash> seen;
    for (const std::string& bytes : log_) {
      auto e = Envelope::Parse(bytes);
      ASSERT_TRUE(w->AppendLog(bytes).ok());
      if (!e.ok() || !seen.insert(e->id()).second) continue;
      if (e->kind() == EnvelopeKind::kRevision) {
        auto body = ParseRevisionBody(e->body());
        revisions[e->submission()].push_back({e->id(), e->parents(), e->hlc(), e->author(), body->answers_json});
        form_of.emplace(e->submission(), e->form_id());
        continue;
      }
      auto ev = ParseEventBody(e->body());
      if (!ev.ok()) continue;
      PublicKey key{};
      if (ev->type == "enroll" && FromHex(ev->device, &key))
        devices[key] = BundleDevice{key, ev->volunteer, ev->label, e->wall_ms(), ev->by};
      if (ev->type == "revoke" && FromHex(ev->device, &key) && devices.count(key) > 0) {
        devices[key].revoked_ms = e->wall_ms();
        devices[key].revoked_by = ev->by;
        devices[key].revoke_reason = ev->reason;
      }
      if (ev->type == "review")
        reviews[e->submission()].push_back(
            {e->id(), e->parents(), e->hlc(), *ParseReviewState(ev->state), ev->by, ev->comment});
    }
    for (const auto& [key, d] : devices) ASSERT_TRUE(w->AddDevice(d).ok());
    for (const auto& [id, revs] : revisions) {
      auto m = Merge(revs);
      ASSERT_TRUE(m.ok());
      BundleSubmission s;
      s.id = id;
      s.form_id = form_of[id];
      s.answers_json = m->answers_json;
      s.heads = m->heads;
      s.conflicts = static_cast<int64_t>(m->conflicts.size());
      s.review_state = ReviewStateName(SummarizeReviews(revs, m->heads, reviews[id]).state);
      ASSERT_TRUE(w->AddSubmission(s).ok());
    }
    for (size_t size : extra_checkpoints) ASSERT_TRUE(w->AddCheckpoint(size, CheckpointAt(size)).ok());
    ASSERT_TRUE(w->AddCheckpoint(log_.size(), CheckpointAt(log_.size())).ok());
    ASSERT_TRUE(w->Finish().ok());
  }

 private:
  SeededRandom random_;
  SigningKey server_;
  Device server_chain_{SigningKey::Generate(random_)};  // only its counters are used
  std::map<std::string, Device> devices_;
  std::vector<std::string> log_;
  std::string form_doc_, tiny_doc_;
  Hash form_hash_{}, tiny_hash_{};
  int64_t tick_ = 0;
};

// The story every mutation starts from: three volunteers, a coordinator's
// correction that conflicts with a volunteer's concurrent edit, a review,
// a revocation.
struct Story {
  SubmissionId s1, s2, s3;
  Hash a1, a2, a3, c1, b1, d1;
  size_t a2_index = 0;
};

inline Story Tell(SimServer& sim) {
  Story st;
  sim.NewDevice("a");
  sim.NewDevice("b");
  sim.NewDevice("d");
  sim.Enroll("a", "aigerim");  // 0
  sim.Enroll("b", "bolat");    // 1
  st.s1 = sim.NewSubmission();
  st.s2 = sim.NewSubmission();
  st.s3 = sim.NewSubmission();
  st.a1 = sim.Revise("a", st.s1, {}, PscAnswers(12));       // 2  a#1
  st.a2 = sim.Revise("a", st.s1, {st.a1}, PscAnswers(13));  // 3  a#2
  st.a2_index = 3;
  st.b1 = sim.Revise("b", st.s2, {}, PscAnswers(40));                     // 4  b#1
  st.c1 = sim.CoordinatorRevise("anna", st.s1, {st.a2}, PscAnswers(14));  // 5
  st.a3 = sim.Revise("a", st.s1, {st.a2}, PscAnswers(15, "queue grew"));  // 6  a#3: conflict with c1
  sim.Review("anna", st.s2, {st.b1}, "approved", "Looks right");          // 7
  sim.Enroll("d", "dana");                                                // 8
  st.d1 = sim.Revise("d", st.s3, {}, PscAnswers(3));                      // 9  d#1
  sim.Revoke("d", "laptop stolen");                                       // 10
  return st;
}

inline bool HasCode(const AuditReport& r, const std::string& code) {
  return std::any_of(r.problems.begin(), r.problems.end(), [&](const AuditProblem& p) { return p.code == code; });
}

inline const AuditProblem* Find(const AuditReport& r, const std::string& code) {
  for (const AuditProblem& p : r.problems)
    if (p.code == code) return &p;
  return nullptr;
}

inline std::string Codes(const AuditReport& r) {
  std::string out;
  for (const AuditProblem& p : r.problems) out += p.code + ": " + p.message + "\n";
  return out;
}

// A temporary directory, the story's honest bundle, and ways to make
// dishonest copies of it.
class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    dir_ = (std::filesystem::temp_directory_path() /
            ("dala_audit_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) { return dir_ + "/" + name; }

  // The honest bundle of the story.
  std::string Honest() {
    if (honest_.empty()) {
      story_ = Tell(sim_);
      honest_ = Path("honest.bundle");
      sim_.Write(honest_, {4});
    }
    return honest_;
  }

  // A copy of the honest bundle changed by `change` (plain SQL on the file).
  std::string Mutated(const std::function<void(sql::Database&)>& change) {
    std::string from = Honest();
    std::string to = Path("mutated" + std::to_string(++copies_) + ".bundle");
    std::filesystem::copy_file(from, to);
    sql::OpenOptions o;
    o.wal = false;
    auto db = sql::Database::Open(to, o);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    change(*db);
    return to;
  }

  static void Exec(sql::Database& db, const std::string& q) {
    Status s = db.Exec(q);
    ASSERT_TRUE(s.ok()) << q << ": " << s.ToString();
  }
  static std::string Envelope(sql::Database& db, int64_t index) {
    auto st = db.Prepare("SELECT envelope FROM log WHERE idx = ?");
    st->Bind(1, index);
    EXPECT_TRUE(*st->Step());
    return st->ColumnBlob(0);
  }
  static void SetEnvelope(sql::Database& db, int64_t index, const std::string& bytes) {
    auto st = db.Prepare("UPDATE log SET envelope = ? WHERE idx = ?");
    st->BindBlob(1, bytes).Bind(2, index);
    ASSERT_TRUE(st->Run().ok());
  }

  SimServer sim_;
  Story story_;
  std::string dir_, honest_;
  int copies_ = 0;
};

}  // namespace dala::sync::audit_testing
