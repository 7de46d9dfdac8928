// The bundle cases: an honest bundle of a small fixed world, single
// tamperings of it, decisions signed or forged, and receipts. Each case's
// problem codes are stated by hand; Generate() refuses to write a suite
// that the auditor does not agree with.
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>

#include "dala/base/sqlite.h"
#include "dala/sync/audit.h"
#include "dala/sync/bundle.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merge.h"
#include "dala/sync/merkle.h"
#include "dala/sync/receipt_file.h"
#include "dala/sync/verify.h"
#include "generate.h"

namespace dala::conformance {
namespace {

using namespace dala::sync;

struct Chain {
  SigningKey key;
  uint64_t sequence = 0;
  Hash previous{};
};

// The world: a server, devices and people's keys, each with its own chain,
// and the log in the order the server accepted the envelopes. Times come
// from a fake clock that ticks one second per envelope.
class World {
 public:
  World() {
    chains_.emplace("server", Chain{WorldKey(0x01)});
    for (auto [name, seed] : std::vector<std::pair<const char*, uint8_t>>{
             {"a", 0x0a}, {"b", 0x0b}, {"d", 0x0d}, {"anna", 0x2a}, {"boris", 0x2b}, {"stranger", 0x3c}})
      chains_.emplace(name, Chain{WorldKey(seed)});
  }
  const SigningKey& server() const { return chains_.at("server").key; }
  std::string KeyHex(const std::string& name) const { return ToHex(chains_.at(name).key.public_key()); }
  const std::vector<std::string>& log() const { return log_; }

  Hash Append(const std::string& signer, EnvelopeKind kind, const SubmissionId& s, std::vector<Hash> parents,
              const std::string& body) {
    Chain& c = chains_.at(signer);
    EnvelopeFields f;
    f.kind = kind;
    f.submission = s;
    f.sequence = ++c.sequence;
    f.previous = c.previous;
    now_ms_ += 1000;
    f.hlc = HlcTimestamp::Make(static_cast<uint64_t>(now_ms_), 0);
    f.wall_ms = now_ms_;
    if (kind == EnvelopeKind::kRevision) {
      f.form_hash = Sha256(kTallyForm);
      f.form_id = "tally";
      f.form_version = "1";
    }
    f.parents = std::move(parents);
    f.body = body;
    auto bytes = SealEnvelope(f, c.key);
    if (!bytes.ok()) std::abort();
    log_.push_back(*bytes);
    c.previous = Envelope::Parse(*bytes)->id();
    return c.previous;
  }
  Hash Event(const std::string& signer, const SubmissionId& s, std::vector<Hash> parents, EventBody ev) {
    return Append(signer, EnvelopeKind::kEvent, s, std::move(parents), MakeEventBody(ev));
  }
  Hash Enroll(const std::string& device, const std::string& volunteer, const std::string& by) {
    EventBody ev{"enroll", by, "", "", "", "", KeyHex(device), volunteer, device + " laptop", ""};
    return Event("server", {}, {}, ev);
  }
  Hash Revoke(const std::string& device, const std::string& volunteer, const std::string& reason) {
    EventBody ev{"revoke", "admin", "", "", "", "", KeyHex(device), volunteer, "", reason};
    ev.through = std::to_string(chains_.at(device).sequence);
    return Event("server", {}, {}, ev);
  }
  Hash EnrollPerson(const std::string& key, const std::string& person) {
    EventBody ev;
    ev.type = "person_key_enrolled";
    ev.by = "admin";
    ev.person = person;
    ev.role = "coordinator";
    ev.key = KeyHex(key);
    ev.label = key + "'s key";
    return Event("server", {}, {}, ev);
  }
  Hash RevokePerson(const std::string& key, const std::string& person) {
    EventBody ev;
    ev.type = "person_key_revoked";
    ev.by = "admin";
    ev.person = person;
    ev.key = KeyHex(key);
    ev.reason = "lost";
    return Event("server", {}, {}, ev);
  }
  Hash Revise(const std::string& signer, const SubmissionId& s, std::vector<Hash> parents, int n,
              const std::string& by = "") {
    json answers = {{"n", n}, {"double", 2 * n}, {"day", "2026-11-23"}};
    return Append(signer, EnvelopeKind::kRevision, s, std::move(parents),
                  MakeRevisionBody(answers.dump(), 300, by, by.empty() ? "" : "checked with the centre"));
  }
  // `counts`: whether the review is one the state counts (sync/BUNDLE.md,
  // inputs of algorithm R); the honest exporter needs to know.
  Hash Review(const std::string& signer, const std::string& by, const SubmissionId& s, std::vector<Hash> heads,
              const std::string& state, bool counts = true) {
    EventBody ev{"review", by, state, state == "approved" ? "" : "see the queue numbers"};
    Hash id = Event(signer, s, heads, ev);
    if (counts) reviews_[s].push_back({id, heads, Envelope::Parse(log_.back())->hlc(), *ParseReviewState(state), by, ""});
    return id;
  }

  std::string CheckpointAt(size_t size) const {
    return SignCheckpoint({kOrigin, size, Tree(size).Root()}, kOrigin, server());
  }
  MerkleTree Tree(size_t size) const {
    MerkleTree t;
    for (size_t i = 0; i < size; ++i) t.AppendLeafHash(LeafHash(log_[i]));
    return t;
  }
  ReceiptInput Receipt(size_t index, size_t tree_size) const {
    auto e = Envelope::Parse(log_[index]);
    ReceiptInput r;
    r.device = e->author();
    r.sequence = e->sequence();
    r.envelope_id = e->id();
    r.leaf_index = index;
    r.tree_size = tree_size;
    r.proof = *Tree(tree_size).InclusionProof(index, tree_size);
    r.checkpoint_note = CheckpointAt(tree_size);
    return r;
  }

  // The bundle an honest exporter writes from this log.
  Status Write(const std::string& path, const std::vector<size_t>& checkpoints) const;

 private:
  std::map<std::string, Chain> chains_;
  std::vector<std::string> log_;
  std::map<SubmissionId, std::vector<ReviewInput>> reviews_;
  int64_t now_ms_ = kWorldMs - 3600 * 1000;
};

Status World::Write(const std::string& path, const std::vector<size_t>& checkpoints) const {
  DALA_ASSIGN_OR_RETURN(auto w, BundleWriter::Create(path));
  DALA_RETURN_IF_ERROR(w.SetHeader(kOrigin, server().public_key(), kWorldMs));
  DALA_RETURN_IF_ERROR(w.AddProject({"psc", "Public service centres", kWorldMs - 7200 * 1000}));
  DALA_RETURN_IF_ERROR(w.AddForm({"", "tally", "1", "psc", kTallyForm, kWorldMs - 7100 * 1000}));
  for (const char* u : {"admin", "anna", "olga"}) DALA_RETURN_IF_ERROR(w.AddUser({u, u == std::string("admin") ? "admin" : "coordinator"}));
  std::map<PublicKey, BundleDevice> devices;
  std::map<SubmissionId, std::vector<MergeInput>> revisions;
  for (const std::string& bytes : log_) {
    DALA_RETURN_IF_ERROR(w.AppendLog(bytes).status());
    auto e = Envelope::Parse(bytes);
    if (e->kind() == EnvelopeKind::kRevision) {
      auto body = ParseRevisionBody(e->body());
      revisions[e->submission()].push_back({e->id(), e->parents(), e->hlc(), e->author(), body->answers_json});
      continue;
    }
    auto ev = ParseEventBody(e->body());
    PublicKey key{};
    if (ev->type == "enroll" && FromHex(ev->device, &key))
      devices[key] = BundleDevice{key, ev->volunteer, ev->label, e->wall_ms(), ev->by};
    if (ev->type == "revoke" && FromHex(ev->device, &key)) {
      devices[key].revoked_ms = e->wall_ms();
      devices[key].revoked_by = ev->by;
      devices[key].revoke_reason = ev->reason;
    }
  }
  for (const auto& [key, d] : devices) DALA_RETURN_IF_ERROR(w.AddDevice(d));
  for (const auto& [id, revs] : revisions) {
    DALA_ASSIGN_OR_RETURN(MergedState m, Merge(revs));
    auto reviews = reviews_.find(id);
    ReviewSummary r = SummarizeReviews(revs, m.heads, reviews == reviews_.end() ? std::vector<ReviewInput>{} : reviews->second);
    DALA_RETURN_IF_ERROR(w.AddSubmission({id, "tally", m.answers_json, m.heads,
                                          static_cast<int64_t>(m.conflicts.size()), ReviewStateName(r.state)}));
  }
  for (size_t size : checkpoints) DALA_RETURN_IF_ERROR(w.AddCheckpoint(size, CheckpointAt(size)));
  DALA_RETURN_IF_ERROR(w.AddCheckpoint(log_.size(), CheckpointAt(log_.size())));
  return w.Finish();
}

// The story of the honest bundle (log indices on the left).
struct Story {
  SubmissionId s1 = WorldSubmission(1), s2 = WorldSubmission(2), s3 = WorldSubmission(3);
  Hash a1, a2, a3, b1, c1, k1;
};

Story Tell(World& w) {
  Story st;
  w.Enroll("a", "aigerim", "cli");                         // 0
  w.Enroll("b", "bolat", "admin");                         // 1
  st.a1 = w.Revise("a", st.s1, {}, 12);                    // 2  a#1
  st.a2 = w.Revise("a", st.s1, {st.a1}, 13);               // 3  a#2
  st.b1 = w.Revise("b", st.s2, {}, 40);                    // 4  b#1
  st.c1 = w.Revise("server", st.s1, {st.a2}, 14, "olga");  // 5  attested correction
  st.a3 = w.Revise("a", st.s1, {st.a2}, 15);               // 6  a#3, in conflict with 5
  w.Review("server", "olga", st.s2, {st.b1}, "approved");  // 7  attested review
  w.EnrollPerson("anna", "anna");                          // 8
  std::vector<Hash> heads = {st.c1, st.a3};
  std::sort(heads.begin(), heads.end());
  w.Review("anna", "anna", st.s1, heads, "has_issues");   // 9  signed by anna's key
  w.Enroll("d", "dana", "admin");                          // 10
  w.Revise("d", st.s3, {}, 3);                             // 11 d#1
  w.Revoke("d", "dana", "laptop stolen");                  // 12
  st.k1 = w.Revise("anna", st.s2, {st.b1}, 41, "anna");    // 13 anna's signed correction
  return st;
}

}  // namespace
}  // namespace dala::conformance

namespace dala::conformance {
namespace {

using namespace dala::sync;
namespace fs = std::filesystem;

// Writes bundles and checks each against the auditor as it goes.
class BundleSuite {
 public:
  explicit BundleSuite(std::string dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_ + "/bundles");
    Tell(honest_world_);
    honest_ = Path("honest");
    Check(honest_world_.Write(honest_, {6}));
    Compact(honest_);
  }

  std::string Path(const std::string& name) const { return dir_ + "/bundles/" + name + ".bundle"; }
  const World& world() const { return honest_world_; }
  const std::string& honest() const { return honest_; }

  // A copy of the honest bundle changed by `sql`.
  std::string Tampered(const std::string& name, const std::function<void(sql::Database&)>& change) {
    std::string path = Path(name);
    fs::copy_file(honest_, path, fs::copy_options::overwrite_existing);
    {
      sql::OpenOptions o;
      o.wal = false;
      auto db = sql::Database::Open(path, o);
      Check(db.status());
      change(*db);
    }
    Compact(path);
    return path;
  }
  std::string Written(const std::string& name, const World& w) {
    std::string path = Path(name);
    fs::remove(path);
    Check(w.Write(path, {}));
    Compact(path);
    return path;
  }

  struct Extras {
    std::vector<ReceiptInput> receipts;
    std::vector<std::string> checkpoints;
    std::string strict_after;  // YYYY-MM-DD
  };

  void Case(const std::string& name, const std::string& comment, const std::string& bundle,
            std::vector<std::string> expect, const Extras& extras = {}) {
    std::sort(expect.begin(), expect.end());
    json c = {{"name", name}, {"comment", comment}, {"bundle", fs::relative(bundle, dir_).string()},
              {"receipts", nullptr}, {"checkpoints", json::array()}, {"strict_after", nullptr}, {"expect", expect}};
    AuditOptions options;
    options.trusted_server_key = honest_world_.server().public_key();
    options.threads = 1;
    if (!extras.receipts.empty()) {
      std::string rdir = "receipts/" + name;
      fs::create_directories(dir_ + "/" + rdir);
      int k = 0;
      for (const ReceiptInput& r : extras.receipts) {
        std::ofstream(dir_ + "/" + rdir + "/" + std::to_string(++k) + ".json") << ReceiptJson(r);
        options.receipts.push_back(r);
      }
      c["receipts"] = rdir;
    }
    int k = 0;
    for (const std::string& note : extras.checkpoints) {
      std::string file = "checkpoints/" + name + "_" + std::to_string(++k) + ".txt";
      fs::create_directories(dir_ + "/checkpoints");
      std::ofstream(dir_ + "/" + file) << note;
      options.checkpoints.push_back(note);
      c["checkpoints"].push_back(file);
    }
    if (!extras.strict_after.empty()) {
      c["strict_after"] = extras.strict_after;
      options.strict_after_ms = kWorldMs - 30LL * 86400 * 1000;  // well before any decision
    }
    Verify(name, bundle, options, expect);
    cases_.push_back(std::move(c));
  }

  json Index() const {
    return {{"server_key", ToHex(honest_world_.server().public_key())}, {"origin", kOrigin}, {"cases", cases_}};
  }
  bool ok() const { return ok_; }

 private:
  void Check(const Status& s) {
    if (!s.ok()) {
      std::cerr << "generate: " << s.ToString() << "\n";
      std::exit(1);
    }
  }
  // Small pages: the suite's bundles are a few kilobytes each.
  void Compact(const std::string& path) {
    sql::OpenOptions o;
    o.wal = false;
    auto db = sql::Database::Open(path, o);
    Check(db.status());
    Check(db->Exec("PRAGMA page_size = 512; VACUUM;"));
  }
  void Verify(const std::string& name, const std::string& path, const AuditOptions& options,
              const std::vector<std::string>& expect) {
    auto reader = BundleReader::Open(path);
    Check(reader.status());
    auto report = AuditBundle(*reader, options);
    Check(report.status());
    std::set<std::string> got;
    for (const AuditProblem& p : report->problems) got.insert(p.code);
    if (std::vector<std::string>(got.begin(), got.end()) != expect) {
      ok_ = false;
      std::cerr << "generate: case " << name << ": the auditor reports";
      for (const AuditProblem& p : report->problems) std::cerr << "\n  " << p.code << ": " << p.message;
      std::cerr << "\n";
    }
  }

  std::string dir_, honest_;
  World honest_world_;
  json cases_ = json::array();
  bool ok_ = true;
};

void Exec(sql::Database& db, const std::string& q) {
  if (!db.Exec(q).ok()) std::abort();
}
std::string EntryAt(sql::Database& db, int64_t index) {
  auto st = db.Prepare("SELECT envelope FROM log WHERE idx = ?");
  st->Bind(1, index);
  if (!*st->Step()) std::abort();
  return st->ColumnBlob(0);
}
void SetEntry(sql::Database& db, int64_t index, const std::string& bytes) {
  auto st = db.Prepare("UPDATE log SET envelope = ? WHERE idx = ?");
  st->BindBlob(1, bytes).Bind(2, index);
  if (!st->Run().ok()) std::abort();
}

void TamperCases(BundleSuite& s) {
  const World& w = s.world();
  auto change_entry = [&](int64_t index, const std::function<void(std::string&)>& f) {
    return [index, f](sql::Database& db) {
      std::string e = EntryAt(db, index);
      f(e);
      SetEntry(db, index, e);
    };
  };
  s.Case("t01_body_byte_changed", "one byte of d#1's body changed (3 -> 4)",
         s.Tampered("t01", change_entry(11, [](std::string& e) { e[e.find("\"n\":3") + 4] = '4'; })),
         {"checkpoint.root_mismatch", "envelope.bad_signature", "submission.not_in_log"});
  s.Case("t02_entry_truncated", "d#1 cut short by ten bytes",
         s.Tampered("t02", change_entry(11, [](std::string& e) { e.resize(e.size() - 10); })),
         {"checkpoint.root_mismatch", "envelope.malformed", "submission.not_in_log"});
  s.Case("t03_signature_of_a_middle_entry_broken", "a bit of a#2's signature flipped: a#2 is then absent",
         s.Tampered("t03", change_entry(3, [](std::string& e) { e[e.size() - 1] ^= 1; })),
         {"chain.gap", "checkpoint.inconsistent", "checkpoint.root_mismatch", "envelope.bad_signature",
          "revision.parent_missing", "submission.heads_mismatch", "submission.review_mismatch"});
  s.Case("t04_entries_swapped", "a#1 and a#2 swapped in the log",
         s.Tampered("t04", [](sql::Database& db) {
           std::string x = EntryAt(db, 2), y = EntryAt(db, 3);
           SetEntry(db, 2, y);
           SetEntry(db, 3, x);
         }),
         {"chain.out_of_order", "checkpoint.inconsistent", "checkpoint.root_mismatch", "revision.parent_after_child"});
  s.Case("t05_entry_deleted", "the last entry (anna's correction) deleted",
         s.Tampered("t05", [](sql::Database& db) { Exec(db, "DELETE FROM log WHERE idx = 13"); }),
         {"checkpoint.size_mismatch", "log.size_mismatch", "submission.answers_mismatch", "submission.heads_mismatch",
          "submission.review_mismatch", "submission.unknown_head"});
  s.Case("t06_index_gap", "a#3 moved from index 6 to index 20",
         s.Tampered("t06", [](sql::Database& db) { Exec(db, "UPDATE log SET idx = 20 WHERE idx = 6"); }),
         {"checkpoint.root_mismatch", "log.index_gap", "revision.parent_after_child"});
  s.Case("t07_checkpoint_root_changed", "a blank line added to the latest checkpoint's note",
         s.Tampered("t07", [](sql::Database& db) { Exec(db, "UPDATE checkpoints SET note = replace(note, '\n14\n', '\n14\n\n') WHERE size = 14"); }),
         {"checkpoint.bad_signature"});
  s.Case("t08_checkpoints_deleted", "no checkpoint at all",
         s.Tampered("t08", [](sql::Database& db) { Exec(db, "DELETE FROM checkpoints"); }), {"checkpoint.missing"});
  s.Case("t09_checkpoint_signed_by_another_key", "the latest checkpoint signed by another key",
         s.Tampered("t09", [&](sql::Database& db) {
           auto st = db.Prepare("UPDATE checkpoints SET note = ? WHERE size = 14");
           st->Bind(1, SignCheckpoint({kOrigin, 14, w.Tree(14).Root()}, kOrigin, WorldKey(0x99)));
           if (!st->Run().ok()) std::abort();
         }),
         {"checkpoint.bad_signature"});
  s.Case("t10_checkpoint_filed_under_another_size", "the checkpoint of size 6 filed as size 7",
         s.Tampered("t10", [](sql::Database& db) { Exec(db, "UPDATE checkpoints SET size = 7 WHERE size = 6"); }),
         {"checkpoint.row_mismatch"});
  s.Case("t11_server_key_replaced", "bundle_meta names another server key",
         s.Tampered("t11", [](sql::Database& db) {
           Exec(db, "UPDATE bundle_meta SET value = '" + ToHex(WorldKey(0x99).public_key()) + "' WHERE key = 'server_key'");
         }),
         {"server_key.mismatch"});
  s.Case("t12_log_size_wrong", "bundle_meta says 15 entries",
         s.Tampered("t12", [](sql::Database& db) { Exec(db, "UPDATE bundle_meta SET value = '15' WHERE key = 'log_size'"); }),
         {"log.size_mismatch"});
  s.Case("t13_device_row_volunteer_changed", "the devices table gives a's key to someone else",
         s.Tampered("t13", [&](sql::Database& db) {
           Exec(db, "UPDATE devices SET volunteer = 'mallory' WHERE hex(key) = upper('" + w.KeyHex("a") + "')");
         }),
         {"devices.mismatch"});
  s.Case("t14_device_row_missing", "the devices table leaves out b",
         s.Tampered("t14", [&](sql::Database& db) {
           Exec(db, "DELETE FROM devices WHERE hex(key) = upper('" + w.KeyHex("b") + "')");
         }),
         {"devices.missing_row"});
  s.Case("t15_revocation_hidden", "the devices table says d was never revoked",
         s.Tampered("t15", [&](sql::Database& db) {
           Exec(db, "UPDATE devices SET revoked_ms = 0, revoked_by = '', revoke_reason = '' WHERE hex(key) = upper('" +
                        w.KeyHex("d") + "')");
         }),
         {"devices.mismatch"});
  s.Case("t16_answers_changed", "the claimed answers of s3 say n = 4",
         s.Tampered("t16", [](sql::Database& db) {
           Exec(db, "UPDATE submissions SET answers = replace(answers, '\"n\":3', '\"n\":4')");
         }),
         {"submission.answers_mismatch"});
  s.Case("t17_review_state_changed", "s1 claimed approved (anna's key said has_issues)",
         s.Tampered("t17", [](sql::Database& db) {
           Exec(db, "UPDATE submissions SET review_state = 'approved' WHERE review_state = 'has_issues'");
         }),
         {"submission.review_mismatch"});
  s.Case("t18_conflicts_hidden", "s1 claimed without conflicts",
         s.Tampered("t18", [](sql::Database& db) { Exec(db, "UPDATE submissions SET conflicts = 0"); }),
         {"submission.conflicts_mismatch"});
  s.Case("t19_unknown_head", "s3's heads name an id that is in no envelope",
         s.Tampered("t19", [](sql::Database& db) {
           Exec(db, "UPDATE submissions SET heads = '[\"" + std::string(64, 'e') + "\"]' WHERE conflicts = 0 AND answers LIKE '%\"n\":3%'");
         }),
         {"submission.heads_mismatch", "submission.unknown_head"});
  s.Case("t20_submission_row_deleted", "the submissions table leaves out s3",
         s.Tampered("t20", [](sql::Database& db) { Exec(db, "DELETE FROM submissions WHERE answers LIKE '%\"n\":3%'"); }),
         {"submission.missing_row"});
  s.Case("t21_submission_row_added", "the submissions table lists a submission the log never had",
         s.Tampered("t21", [](sql::Database& db) {
           Exec(db, "INSERT INTO submissions SELECT zeroblob(16), form_id, answers, heads, conflicts, review_state "
                    "FROM submissions LIMIT 1");
         }),
         {"submission.not_in_log"});
  s.Case("t22_form_document_changed", "the form document's title changed",
         s.Tampered("t22", [](sql::Database& db) {
           Exec(db, "UPDATE forms SET document = CAST(replace(CAST(document AS TEXT), 'Tally', 'Tallx') AS BLOB)");
         }),
         {"form.hash_mismatch", "revision.form_unknown"});
  s.Case("t23_form_row_id_changed", "the forms row says form id 'tallies'",
         s.Tampered("t23", [](sql::Database& db) { Exec(db, "UPDATE forms SET form_id = 'tallies'"); }),
         {"form.metadata_mismatch"});
  s.Case("t24_entry_duplicated_in_place", "a#1's bytes also in place of a#2",
         s.Tampered("t24", [](sql::Database& db) { SetEntry(db, 3, EntryAt(db, 2)); }),
         {"chain.gap", "checkpoint.inconsistent", "checkpoint.root_mismatch", "envelope.duplicate",
          "revision.parent_missing", "submission.heads_mismatch", "submission.review_mismatch"});
  s.Case("t25_enrolment_signed_by_a_device", "a's enrolment replaced by one a's own key signed",
         s.Tampered("t25", [&](sql::Database& db) {
           Envelope e = *Envelope::Parse(EntryAt(db, 0));
           EnvelopeFields f;
           f.kind = EnvelopeKind::kEvent;
           f.sequence = 1;
           f.hlc = e.hlc();
           f.wall_ms = e.wall_ms();
           f.body = e.body();
           SetEntry(db, 0, *SealEnvelope(f, WorldKey(0x0a)));
         }),
         {"chain.fork", "checkpoint.inconsistent", "checkpoint.root_mismatch", "devices.not_enrolled",
          "enrolment.not_by_server", "enrolment.unenrolled_author", "chain.gap"});
}

void DecisionCases(BundleSuite& s) {
  auto told = [](const std::function<void(World&, const Story&)>& more) {
    World w;
    Story st = Tell(w);
    more(w, st);
    return w;
  };
  s.Case("d01_signed_by_the_persons_key", "anna's enrolled key signs a review of s3 in her name",
         s.Written("d01", told([](World& w, const Story& st) {
           w.Review("anna", "anna", st.s3, {Envelope::Parse(w.log()[11])->id()}, "approved");
         })),
         {});
  s.Case("d02_forged_by_the_server", "the server signs a review in the name of anna, who has a key",
         s.Written("d02", told([](World& w, const Story& st) {
           w.Review("server", "anna", st.s2, {st.k1}, "approved", false);
         })),
         {"decision.attested_for_keyed_person"});
  s.Case("d03_key_of_another_person", "boris's enrolled key signs a review in anna's name",
         s.Written("d03", told([](World& w, const Story& st) {
           w.EnrollPerson("boris", "boris");
           w.Review("boris", "anna", st.s2, {st.k1}, "approved", false);
         })),
         {"decision.wrong_person"});
  s.Case("d04_after_revocation", "anna's key signs a review after the server revoked it",
         s.Written("d04", told([](World& w, const Story& st) {
           w.RevokePerson("anna", "anna");
           w.Review("anna", "anna", st.s2, {st.k1}, "approved", false);
         })),
         {"decision.revoked_key"});
  s.Case("d05_device_signs_a_review", "a volunteer's device signs a review",
         s.Written("d05", told([](World& w, const Story& st) {
           w.Review("b", "bolat", st.s2, {st.k1}, "approved", false);
         })),
         {"event.not_by_server"});
  s.Case("d06_unenrolled_key_signs_a_review", "a key no event enrolled signs a review",
         s.Written("d06", told([](World& w, const Story& st) {
           w.Review("stranger", "anna", st.s2, {st.k1}, "approved", false);
         })),
         {"enrolment.unenrolled_author", "event.not_by_server"});
  s.Case("d07_attested_after_the_strict_date", "the honest bundle with --strict-after: olga's decisions are only attested",
         s.honest(), {"decision.attested_only"}, {{}, {}, "2026-10-26"});
  s.Case("d08_person_key_makes_a_record", "anna's key signs a revision without parents",
         s.Written("d08", told([](World& w, const Story&) { w.Revise("anna", WorldSubmission(4), {}, 7, "anna"); })),
         {"person_key.not_a_decision"});
  s.Case("d09_review_with_an_unknown_state", "the server's review says \"maybe\"",
         s.Written("d09", told([](World& w, const Story& st) {
           w.Review("server", "olga", st.s2, {st.k1}, "maybe", false);
         })),
         {"event.invalid"});
}

void ReceiptAndCheckpointCases(BundleSuite& s) {
  const World& w = s.world();
  std::vector<ReceiptInput> all = {w.Receipt(2, 6), w.Receipt(2, 14), w.Receipt(3, 14), w.Receipt(6, 14),
                                   w.Receipt(4, 14), w.Receipt(11, 14)};
  s.Case("r01_receipts_hold", "receipts of a, b and d, at sizes 6 and 14", s.honest(), {}, {all});
  ReceiptInput bad_proof = w.Receipt(3, 14);
  bad_proof.proof[0][0] ^= 1;
  s.Case("r02_receipt_proof_altered", "a receipt whose proof has one bit changed", s.honest(),
         {"receipt.proof_invalid"}, {{bad_proof}});
  ReceiptInput other_key = w.Receipt(3, 14);
  other_key.checkpoint_note = SignCheckpoint({kOrigin, 14, w.Tree(14).Root()}, kOrigin, WorldKey(0x99));
  s.Case("r03_receipt_checkpoint_by_another_key", "a receipt whose checkpoint another key signed", s.honest(),
         {"receipt.bad_checkpoint"}, {{other_key}});
  World longer;
  Story st = Tell(longer);
  longer.Revise("a", st.s1, {st.a3}, 16);
  s.Case("r04_receipt_for_a_dropped_envelope", "a receipt for a#4, which the server signed into a log of 15 and left "
         "out of the bundle", s.honest(), {"receipt.beyond_log", "receipt.chain_missing", "receipt.envelope_missing"}, {{longer.Receipt(14, 15)}});
  s.Case("c01_brought_checkpoint_holds", "the auditor brings the checkpoint of size 14", s.honest(), {},
         {{}, {w.CheckpointAt(14)}});
  s.Case("c02_brought_checkpoint_beyond_the_log", "the auditor brings a checkpoint of size 15: the bundle is truncated",
         s.honest(), {"auditor_checkpoint.beyond_log"}, {{}, {longer.CheckpointAt(15)}});
  World fork;
  fork.Enroll("b", "bolat", "admin");
  Tell(fork);
  s.Case("c03_brought_checkpoint_of_a_fork", "the auditor brings a checkpoint the server signed for another history",
         s.honest(), {"auditor_checkpoint.inconsistent"}, {{}, {fork.CheckpointAt(10)}});
}

}  // namespace

json BundleCases(const std::string& dir) {
  BundleSuite s(dir);
  s.Case("honest", "the honest bundle of the world: two volunteers, a conflict, reviews, a revocation, a person key",
         s.honest(), {});
  TamperCases(s);
  DecisionCases(s);
  ReceiptAndCheckpointCases(s);
  if (!s.ok()) std::exit(1);
  return s.Index();
}

}  // namespace dala::conformance
