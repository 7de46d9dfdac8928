// The auditor, end to end: a real server, real laptops, a real bundle from
// `dala-server export`, checked by `dala audit verify`. The untouched bundle
// verifies; each kind of tampering is caught and named; and a server that
// silently drops a volunteer's record and re-signs its rewritten log passes
// an audit without receipts but is caught by that volunteer's receipts.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "dala/client/device.h"
#include "dala/client/store.h"
#include "dala/base/hex.h"
#include "dala/base/sqlite.h"
#include "dala/base/utf8.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merkle.h"
#include "e2e_util.h"

namespace dala::e2e {
namespace {

using nlohmann::json;

json Observation(const std::string& centre, int queue) {
  time_t now = time(nullptr);
  char day[16];
  strftime(day, sizeof(day), "%Y-%m-%d", localtime(&now));
  json a = json::parse(R"({"region":"ala","arrival_time":"09:30","waiting_source":"test_case","waiting_minutes":35,
    "equeue_works":"yes","signage_languages":["kk","ru"],"ramp":"no","complaints_book":"yes","fees_posted":"yes",
    "windows_total":8,"windows_open":5,"staff_at_windows":6,"cleanliness":4})");
  a["centre"] = centre;
  a["visit_date"] = day;
  a["queue_length"] = queue;
  return a;
}

// One server, two laptops, a coordinator; a few records, edits and reviews;
// everyone synced; a bundle exported; the volunteers' receipts exported.
class AuditE2ETest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    world_ = new World;
    world_->Build();
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }

  struct World {
    TempDir dir;
    std::string data;
    std::unique_ptr<ServerProcess> server;
    std::map<std::string, std::map<std::string, std::string>> env;
    std::string bundle, receipts, server_pub;
    std::string verifier_line;  // as `dala-server init` printed it
    std::string first_record;   // askar's first submission, full id
    int files = 0;

    CommandResult Server(std::vector<std::string> args, const std::map<std::string, std::string>& e = {}) {
      args.insert(args.begin(), ServerBinary());
      return RunCommand(args, e);
    }
    CommandResult As(const std::string& who, std::vector<std::string> args) {
      args.insert(args.begin(), DalaBinary());
      return RunCommand(args, env[who]);
    }
    std::string Collect(const std::string& who, const json& answers) {
      std::string path = dir / ("answers-" + std::to_string(files++) + ".json");
      WriteFile(path, answers.dump());
      return FindUuid(As(who, {"collect", "psc_observation", "--answers", path}).out);
    }
    void Build() {
      data = dir / "server";
      auto init = Server({"init", "--data", data});
      ASSERT_EQ(init.exit_code, 0);
      size_t at = init.out.find("verifier key: ");
      ASSERT_NE(at, std::string::npos) << init.out;
      verifier_line = init.out.substr(at + 14, init.out.find('\n', at) - at - 14);
      ASSERT_EQ(Server({"user", "add", "aigerim", "--role", "coordinator", "--data", data}, {{"DALA_PASSWORD", "coordinator-pw"}}).exit_code, 0);
      for (const char* f : {"psc_observation", "citizen_exit_survey"})
        ASSERT_EQ(Server({"form", "publish", std::string(DALA_SOURCE_DIR) + "/schema/forms/" + f + ".json", "--data", data}).exit_code, 0);
      server = std::make_unique<ServerProcess>(data);
      ASSERT_TRUE(server->ok());
      for (const char* v : {"askar", "dina"}) {
        ASSERT_EQ(Server({"user", "add", v, "--role", "volunteer", "--data", data}).exit_code, 0);
        env[v] = {{"DALA_HOME", dir / (std::string("laptop-") + v)}, {"DALA_PASSPHRASE", std::string(v) + "-passphrase"}};
        ASSERT_EQ(As(v, {"init", "--lang", "en"}).exit_code, 0);
        std::string code = FindEnrollCode(Server({"enroll-code", v, "--data", data}).out);
        ASSERT_EQ(As(v, {"enroll", server->url(), code}).exit_code, 0);
        ASSERT_EQ(As(v, {"sync"}).exit_code, 0);
      }
      std::string a = Collect("askar", Observation("ala_01", 12));
      first_record = a;
      Collect("askar", Observation("ala_02", 7));
      Collect("dina", Observation("ast_01", 30));
      ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
      ASSERT_EQ(As("dina", {"sync"}).exit_code, 0);
      auto coord = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {DalaBinary(), "coord"});
        return RunCommand(args, {{"DALA_SERVER", server->url()}, {"DALA_USER", "aigerim"}, {"DALA_PASSWORD", "coordinator-pw"}});
      };
      ASSERT_EQ(coord({"edit", a, "--set", "queue_length=14"}).exit_code, 0);
      ASSERT_EQ(coord({"review", a, "--state", "has_issues", "--comment", "check"}).exit_code, 0);
      ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
      ASSERT_EQ(As("askar", {"edit", a, "--set", "windows_open=6"}).exit_code, 0);
      // The last record of askar's: a server bent on hiding it would drop it.
      Collect("askar", Observation("ala_01", 40));
      ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
      bundle = dir / "audit.dala";
      ASSERT_EQ(Server({"export", "--bundle", bundle, "--data", data}).exit_code, 0);
      receipts = dir / "askar-receipts";
      ASSERT_EQ(As("askar", {"receipts", "--export", receipts}).exit_code, 0);
      server_pub = data + "/server.pub";
    }
  };

  CommandResult Audit(const std::string& bundle, bool with_receipts = false) {
    std::vector<std::string> args = {DalaBinary(), "audit", "verify", bundle, "--server-key", world_->server_pub};
    if (with_receipts) {
      args.push_back("--receipts");
      args.push_back(world_->receipts);
    }
    return RunCommand(args);
  }

  // A copy of the real bundle to tamper with.
  std::string Copy(const std::string& name) {
    std::string path = world_->dir / (name + ".dala");
    std::filesystem::remove(path);
    std::filesystem::copy_file(world_->bundle, path);
    return path;
  }

  static void Sql(const std::string& bundle, const std::function<void(sql::Database&)>& change) {
    auto db = sql::Database::Open(bundle, {sql::OpenMode::kReadWrite, false, false});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    change(*db);
  }

  static std::string Entry(sql::Database& db, int64_t index) {
    auto st = db.Prepare("SELECT envelope FROM log WHERE idx = ?");
    st->Bind(1, index);
    EXPECT_TRUE(*st->Step());
    return st->ColumnBlob(0);
  }

  static void SetEntry(sql::Database& db, int64_t index, const std::string& bytes) {
    auto st = db.Prepare("UPDATE log SET envelope = ? WHERE idx = ?");
    ASSERT_TRUE(st->BindBlob(1, bytes).Bind(2, index).Run().ok());
  }

  static int64_t LogSize(sql::Database& db) {
    auto st = db.Prepare("SELECT count(*) FROM log");
    EXPECT_TRUE(*st->Step());
    return st->ColumnInt(0);
  }

  void ExpectCaught(const std::string& bundle, const std::string& code, bool with_receipts = false) {
    auto r = Audit(bundle, with_receipts);
    EXPECT_EQ(r.exit_code, 1) << "not caught: " << code << "\n" << r.out;
    EXPECT_NE(r.out.find(code), std::string::npos) << "expected " << code << " in:\n" << r.out;
  }

  static World* world_;
};

AuditE2ETest::World* AuditE2ETest::world_ = nullptr;

TEST_F(AuditE2ETest, RealBundleVerifiesWithItsReceipts) {
  auto r = Audit(world_->bundle, true);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Verdict: OK"), std::string::npos) << r.out;
  auto j = RunCommand({DalaBinary(), "audit", "verify", world_->bundle, "--server-key", world_->server_pub, "--json"});
  EXPECT_EQ(j.exit_code, 0);
  EXPECT_TRUE(json::parse(j.out, nullptr, false).is_object()) << j.out;
}

TEST_F(AuditE2ETest, FlippedByteInAnyEntryIsCaught) {
  std::mt19937 rng(11);
  std::string path = Copy("flip");
  int64_t size = 0;
  Sql(path, [&](sql::Database& db) { size = LogSize(db); });
  for (int64_t i = 0; i < size; ++i) {
    std::string original;
    Sql(path, [&](sql::Database& db) {
      original = Entry(db, i);
      std::string mutated = original;
      mutated[rng() % mutated.size()] ^= static_cast<char>(1 + rng() % 255);
      SetEntry(db, i, mutated);
    });
    auto r = Audit(path);
    EXPECT_EQ(r.exit_code, 1) << "a changed byte in entry " << i << " went unnoticed";
    Sql(path, [&](sql::Database& db) { SetEntry(db, i, original); });
  }
  EXPECT_EQ(Audit(path).exit_code, 0);  // restored, it verifies again
}

TEST_F(AuditE2ETest, DeletedRevisionIsCaught) {
  std::string path = Copy("delete");
  // Entry 2 is a volunteer's revision (0 and 1 are the enrolments).
  Sql(path, [](sql::Database& db) { ASSERT_TRUE(db.Exec("DELETE FROM log WHERE idx = 2").ok()); });
  ExpectCaught(path, "log.");
}

TEST_F(AuditE2ETest, ReorderedEntriesAreCaught) {
  std::string path = Copy("reorder");
  Sql(path, [](sql::Database& db) {
    std::string a = Entry(db, 2), b = Entry(db, 3);
    SetEntry(db, 2, b);
    SetEntry(db, 3, a);
  });
  ExpectCaught(path, "checkpoint.root_mismatch");
}

TEST_F(AuditE2ETest, DroppedLastEntryIsCaught) {
  std::string path = Copy("drop");
  Sql(path, [](sql::Database& db) {
    ASSERT_TRUE(db.Exec("DELETE FROM log WHERE idx = (SELECT max(idx) FROM log)").ok());
  });
  ExpectCaught(path, "checkpoint.");
}

TEST_F(AuditE2ETest, SwappedDeviceKeyIsCaught) {
  std::string path = Copy("swap-key");
  Sql(path, [](sql::Database& db) {
    // Give one device another key.
    auto st = db.Prepare("UPDATE devices SET key = ? WHERE volunteer = 'askar'");
    ASSERT_TRUE(st->BindBytes(1, sync::Sha256("not askar's key")).Run().ok());
  });
  ExpectCaught(path, "devices.");
}

TEST_F(AuditE2ETest, ReplacedCheckpointIsCaught) {
  std::string path = Copy("checkpoint");
  // A checkpoint of the same log signed by someone else.
  sync::SeededRandom random(3);
  sync::SigningKey impostor = sync::SigningKey::Generate(random);
  Sql(path, [&](sql::Database& db) {
    auto st = db.Prepare("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1");
    ASSERT_TRUE(*st->Step());
    int64_t size = st->ColumnInt(0);
    std::string origin = st->ColumnText(1).substr(0, st->ColumnText(1).find('\n'));
    std::vector<sync::Hash> leaves;
    for (int64_t i = 0; i < size; ++i) leaves.push_back(sync::LeafHash(Entry(db, i)));
    std::string note = sync::SignCheckpoint({origin, static_cast<uint64_t>(size), sync::RootOfLeafHashes(leaves)},
                                            origin, impostor);
    auto up = db.Prepare("UPDATE checkpoints SET note = ? WHERE size = ?");
    ASSERT_TRUE(up->Bind(1, note).Bind(2, size).Run().ok());
  });
  ExpectCaught(path, "checkpoint.bad_signature");
}

TEST_F(AuditE2ETest, ForgedEnrolmentIsCaught) {
  std::string path = Copy("forged");
  Sql(path, [](sql::Database& db) {
    auto st = db.Prepare("INSERT INTO devices(key, volunteer, label, enrolled_ms, enrolled_by, revoked_ms, revoked_by, "
                         "revoke_reason) VALUES (?, 'ghost', 'laptop', 1, 'admin', 0, '', '')");
    ASSERT_TRUE(st->BindBytes(1, sync::Sha256("a key nobody enrolled")).Run().ok());
  });
  ExpectCaught(path, "devices.not_enrolled");
}

TEST_F(AuditE2ETest, ForkedDeviceChainIsCaught) {
  std::string path = Copy("fork");
  // Askar's own key signs a second, different envelope with sequence 1:
  // what a laptop restored from an old copy, or a thief, could produce.
  auto store = client::LocalStore::Open(world_->env["askar"]["DALA_HOME"] + "/dala.db");
  ASSERT_TRUE(store.ok());
  auto device = client::Device::Unlock(**store, world_->env["askar"]["DALA_PASSPHRASE"]);
  ASSERT_TRUE(device.ok());
  Sql(path, [&](sql::Database& db) {
    std::string first;
    for (int64_t i = 0; i < LogSize(db); ++i) {
      auto e = sync::Envelope::Parse(Entry(db, i));
      if (e.ok() && e->author() == device->public_key() && e->sequence() == 1) first = e->bytes();
    }
    ASSERT_FALSE(first.empty());
    auto e = sync::Envelope::Parse(first);
    sync::EnvelopeFields f;
    f.kind = e->kind();
    f.submission = e->submission();
    f.sequence = 1;
    f.hlc = e->hlc();
    f.wall_ms = e->wall_ms() + 1;
    f.form_hash = e->form_hash();
    f.form_id = e->form_id();
    f.form_version = e->form_version();
    f.body = std::string(e->body());
    auto fork = sync::SealEnvelope(f, device->key());
    ASSERT_TRUE(fork.ok());
    auto ins = db.Prepare("INSERT INTO log(idx, envelope) VALUES ((SELECT max(idx) + 1 FROM log), ?)");
    ASSERT_TRUE(ins->BindBlob(1, *fork).Run().ok());
  });
  ExpectCaught(path, "chain.fork");
}

// The server drops askar's last record (his chain stays whole: it was the
// tip), recomputes its log and signs a new checkpoint with its real key.
// The bundle is then consistent in itself; askar's receipt is not.
TEST_F(AuditE2ETest, ServerThatDropsARecordAndRewritesItsLogIsCaughtByReceipts) {
  std::string path = Copy("dropped");
  std::string seed_hex = ReadFile(world_->data + "/server.key");
  while (!seed_hex.empty() && (seed_hex.back() == '\n' || seed_hex.back() == '\r')) seed_hex.pop_back();
  auto seed = FromHex(seed_hex);
  ASSERT_TRUE(seed.ok());
  sync::SigningKey server_key = sync::SigningKey::FromSeed(reinterpret_cast<const uint8_t*>(seed->data()));
  auto askar_store = client::LocalStore::Open(world_->env["askar"]["DALA_HOME"] + "/dala.db");
  ASSERT_TRUE(askar_store.ok());
  auto askar_key_hex = (*askar_store)->Get(client::profile_key::kDevicePublic);
  sync::PublicKey askar{};
  ASSERT_TRUE(FromHex(**askar_key_hex, &askar));
  Sql(path, [&](sql::Database& db) {
    int64_t size = LogSize(db);
    // Askar's highest sequence: his last record.
    int64_t victim = -1;
    uint64_t best = 0;
    sync::SubmissionId victim_submission{};
    for (int64_t i = 0; i < size; ++i) {
      auto e = sync::Envelope::Parse(Entry(db, i));
      if (e.ok() && e->author() == askar && e->sequence() > best) {
        best = e->sequence();
        victim = i;
        victim_submission = e->submission();
      }
    }
    ASSERT_GE(victim, 0);
    std::vector<std::string> kept;
    for (int64_t i = 0; i < size; ++i)
      if (i != victim) kept.push_back(Entry(db, i));
    ASSERT_TRUE(db.Exec("DELETE FROM log").ok());
    std::vector<sync::Hash> leaves;
    for (size_t i = 0; i < kept.size(); ++i) {
      auto ins = db.Prepare("INSERT INTO log(idx, envelope) VALUES (?, ?)");
      ASSERT_TRUE(ins->Bind(1, static_cast<int64_t>(i)).BindBlob(2, kept[i]).Run().ok());
      leaves.push_back(sync::LeafHash(kept[i]));
    }
    auto del = db.Prepare("DELETE FROM submissions WHERE id = ?");
    ASSERT_TRUE(del->BindBytes(1, victim_submission).Run().ok());
    auto st = db.Prepare("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1");
    ASSERT_TRUE(*st->Step());
    std::string origin = st->ColumnText(0).substr(0, st->ColumnText(0).find('\n'));
    std::string note = sync::SignCheckpoint({origin, kept.size(), sync::RootOfLeafHashes(leaves)}, origin, server_key);
    ASSERT_TRUE(db.Exec("DELETE FROM checkpoints").ok());
    auto cp = db.Prepare("INSERT INTO checkpoints(size, note) VALUES (?, ?)");
    ASSERT_TRUE(cp->Bind(1, static_cast<int64_t>(kept.size())).Bind(2, note).Run().ok());
    auto meta = db.Prepare("UPDATE bundle_meta SET value = ? WHERE key = 'log_size'");
    ASSERT_TRUE(meta->Bind(1, std::to_string(kept.size())).Run().ok());
  });
  // Alone, the rewritten bundle is consistent: nothing in it shows the loss.
  auto alone = Audit(path, false);
  EXPECT_EQ(alone.exit_code, 0) << alone.out;
  // With askar's receipts, it is caught.
  auto r = Audit(path, true);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("receipt."), std::string::npos) << r.out;
}

// --- the server key as auditors get it ---------------------------------------------

CommandResult VerifyWithKey(const std::string& bundle, const std::string& key) {
  return RunCommand({DalaBinary(), "audit", "verify", bundle, "--server-key", key});
}

TEST_F(AuditE2ETest, ServerKeyIsTakenAsPrintedPastedOrInAFileOrAsHex) {
  const std::string& line = world_->verifier_line;
  ASSERT_NE(line.find('+'), std::string::npos) << line;
  auto parsed = sync::ParseVerifierKey(line);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  std::string in_file = world_->dir / "verifier-key.txt";
  WriteFile(in_file, line + "\n");
  for (const std::string& key : {line, "  " + line + "\n", in_file, ToHex(parsed->second)}) {
    auto r = VerifyWithKey(world_->bundle, key);
    EXPECT_EQ(r.exit_code, 0) << "--server-key " << key << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("(given out of band)"), std::string::npos) << r.out;
  }
}

TEST_F(AuditE2ETest, AMalformedServerKeyLineIsNamedAndNothingIsChecked) {
  const std::string& line = world_->verifier_line;
  size_t first_plus = line.find('+'), second_plus = line.find('+', first_plus + 1);
  ASSERT_NE(second_plus, std::string::npos) << line;
  const std::string wrong_hash = line.substr(0, first_plus + 1) + "00000000" + line.substr(second_plus);
  const std::string cut_key = line.substr(0, line.size() - 6);
  const std::string no_key = line.substr(0, second_plus);
  for (const std::string& key : {wrong_hash, cut_key, no_key}) {
    auto r = VerifyWithKey(world_->bundle, key);
    EXPECT_EQ(r.exit_code, 2) << "--server-key " << key << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("is not a verifier key line"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("Verdict"), std::string::npos) << r.out;
  }
  auto junk = VerifyWithKey(world_->bundle, "the-key-i-was-sent");
  EXPECT_EQ(junk.exit_code, 2);
  EXPECT_NE(junk.err.find("verifier key line"), std::string::npos) << junk.err;
  EXPECT_NE(junk.err.find("the-key-i-was-sent"), std::string::npos) << junk.err;
}

// --- trace by the short ids every other command shows ---------------------------------

CommandResult Trace(const std::string& bundle, const std::string& id) {
  return RunCommand({DalaBinary(), "audit", "trace", bundle, id, "--server-key", bundle + ".pub"});
}

TEST_F(AuditE2ETest, TraceTakesTheEightDigitShortIdAndNamesAStartOrATooShortOne) {
  const std::string& full = world_->first_record;
  ASSERT_EQ(full.size(), 36u) << full;
  WriteFile(world_->bundle + ".pub", world_->verifier_line + "\n");
  auto r = Trace(world_->bundle, full.substr(28));  // what `dala list` shows: the last 8 digits
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Submission " + full), std::string::npos) << r.out;

  // The start of a UUIDv7 is its time, shared by ids made within a minute:
  // it is never taken for a short id (sync/README.md, "Short ids").
  const std::string start = full.substr(0, 8);
  auto by_start = Trace(world_->bundle, start);
  EXPECT_EQ(by_start.exit_code, 1) << by_start.out;
  EXPECT_NE(by_start.err.find("no submission " + start), std::string::npos) << by_start.err;

  auto too_short = Trace(world_->bundle, full.substr(30));
  EXPECT_EQ(too_short.exit_code, 2) << too_short.out;
  EXPECT_NE(too_short.err.find("give the whole id or its last 8 to 32 hex digits"), std::string::npos) << too_short.err;

  auto unknown = Trace(world_->bundle, "00000000");
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out;
  EXPECT_NE(unknown.err.find("no submission 00000000"), std::string::npos) << unknown.err;
}

// --- bytes that are not UTF-8 ------------------------------------------------------------

// The issue's case: a form document with one byte that is not UTF-8. The
// JSON report must still come out, and the text report must not copy the
// raw byte to the auditor's terminal.
TEST_F(AuditE2ETest, AFormDocumentWithAByteThatIsNotUtf8IsReportedNotCopied) {
  std::string bundle = Copy("bad-utf8-form");
  Sql(bundle, [](sql::Database& db) {
    auto st = db.Prepare("SELECT hash, document FROM forms WHERE form_id = 'psc_observation'");
    std::vector<std::pair<std::string, std::string>> rows;
    while (*st->Step()) rows.emplace_back(st->ColumnText(0), st->ColumnBlob(1));
    ASSERT_FALSE(rows.empty());
    for (auto& [hash, doc] : rows) {
      size_t at = doc.find("\"psc_observation\"");
      ASSERT_NE(at, std::string::npos);
      doc.insert(at + 1, "\xff");
      auto up = db.Prepare("UPDATE forms SET document = ? WHERE hash = ?");
      ASSERT_TRUE(up->BindBlob(1, doc).Bind(2, hash).Run().ok());
    }
  });
  auto j = RunCommand({DalaBinary(), "audit", "verify", bundle, "--server-key", world_->server_pub, "--json"});
  EXPECT_EQ(j.exit_code, 1) << j.err;
  EXPECT_EQ(j.err.find("internal error"), std::string::npos) << j.err;
  json report = json::parse(j.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << j.out;
  EXPECT_EQ(report["ok"], false);
  EXPECT_NE(j.out.find("form.unloadable"), std::string::npos) << j.out;

  auto text = Audit(bundle);
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("form.unloadable"), std::string::npos) << text.out;
  EXPECT_TRUE(utf8::IsValid(text.out)) << "the raw byte was copied into the report";
  EXPECT_EQ(text.out.find('\xff'), std::string::npos);
}

}  // namespace
}  // namespace dala::e2e
