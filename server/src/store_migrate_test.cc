// `dala-server migrate`: a SQLite deployment built through RecordService,
// copied into a fresh PostgreSQL database per test. DALA_TEST_POSTGRES
// names a database where the test may CREATE DATABASE (a libpq conninfo:
// "host=/tmp/pg user=postgres dbname=postgres", or a postgresql:// URI).

#include "store_migrate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>

#include "admin_control.h"
#include "dala/server/postgres_store.h"
#include "pg.h"
#include "admin.h"
#include "dala/base/clock.h"
#include "dala/base/sqlite.h"
#include "dala/server/sqlite_store.h"
#include "dala/sync/crypto.h"
#include "dala/sync/enrolment.h"
#include "dala/sync/envelope.h"
#include "dala/sync/ids.h"
#include "dala/sync/merkle.h"
#include "record_service.h"

namespace dala::server {
namespace {

using nlohmann::json;

constexpr const char* kForm = R"({"dala_form":1,"id":"visit","version":"1","title":"Visit",
  "languages":["en"],"default_language":"en","duplicate_key":["centre","visit_date"],
  "questions":[{"type":"text","name":"centre","label":"Centre","required":true},
               {"type":"date","name":"visit_date","label":"Visit date","required":true},
               {"type":"integer","name":"queue","label":"Queue","constraint":". >= 0"}]})";

json Answers(int queue, const std::string& centre = "ala_01") {
  return {{"centre", centre}, {"visit_date", "2025-12-31"}, {"queue", queue}};
}

// `conninfo` aimed at the database `name` instead: a later dbname wins in
// a key=value string; in a URI the path names the database.
std::string WithDatabase(const std::string& conninfo, const std::string& name) {
  if (!pg::IsConnectionUri(conninfo)) return conninfo + " dbname=" + name;
  size_t authority = conninfo.find("://") + 3;
  size_t path = conninfo.find_first_of("/?", authority);
  if (path == std::string::npos) return conninfo + "/" + name;
  size_t query = conninfo.find('?', path);
  return conninfo.substr(0, path) + "/" + name + (query == std::string::npos ? "" : conninfo.substr(query));
}

struct Laptop {
  explicit Laptop(sync::Random& random) : key(sync::SigningKey::Generate(random)) {}
  sync::SigningKey key;
  Device device;
  uint64_t sequence = 0;
  sync::Hash last{};
};

// A deployment as RecordService builds it, in a SQLite data directory of
// its own, and a fresh PostgreSQL database to copy it into. (Not
// store_test_util.h's ServiceTest: the source here is SQLite by nature,
// whichever stores that fixture runs over.)
class MigrateTest : public ::testing::Test {
 protected:
  static constexpr int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

  void SetUp() override {
    ASSERT_TRUE(sync::InitCrypto().ok());
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("dala_migrate_" + std::to_string(::getpid()) + "_" + test->name());
    std::filesystem::remove_all(dir_);
    auto store = OpenSqliteStore(dir_.string(), true);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ctx_.reset(new ServerContext{*store_, clock_, random_, server_key_, ServerConfig{}});
    auto service = RecordService::Start(*ctx_);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = *service;
    ASSERT_TRUE(service_->PublishForm(kForm, "p").ok());
    auto form = schema::Form::Load(kForm);
    ASSERT_TRUE(form.ok()) << form.status().ToString();
    form_ = *form;

    const char* server = std::getenv("DALA_TEST_POSTGRES");
    if (server == nullptr || *server == '\0') {
      FAIL() << "DALA_TEST_POSTGRES is not set: these tests need a PostgreSQL where they may CREATE DATABASE, "
                "e.g. DALA_TEST_POSTGRES='host=/tmp/pg user=postgres dbname=postgres' (the ctest fixture sets it)";
    }
    server_ = server;
    auto admin = pg::Connection::Open(server_);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_.emplace(std::move(*admin));
    static int databases = 0;
    database_ = "dala_migrate_" + std::to_string(::getpid()) + "_" + std::to_string(++databases);
    ASSERT_TRUE(admin_->Exec("DROP DATABASE IF EXISTS " + database_).ok());
    Status created = admin_->Exec("CREATE DATABASE " + database_);
    ASSERT_TRUE(created.ok()) << created.ToString();
    target_ = WithDatabase(server_, database_);
  }

  void TearDown() override {
    StopServer();
    if (admin_) {
      Status dropped = admin_->Exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
      EXPECT_TRUE(dropped.ok()) << dropped.ToString();
    }
    std::filesystem::remove_all(dir_);
  }

  // Runs `sql` on the SQLite database over a connection of its own, with
  // CHECK constraints off: damage as a failing disk or a careless hand
  // would write it.
  void Damage(const std::string& sql) {
    auto db = sql::Database::Open((dir_ / "dala-server.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->Exec("PRAGMA ignore_check_constraints = ON").ok());
    Status s = db->Exec(sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Enrols `laptop` for `volunteer` with a fresh one-time code, stored as
  // `dala-server enroll-code` stores one.
  void Enroll(Laptop& laptop, const std::string& volunteer) {
    std::string code = "K7MX-Q4TR-P2N";
    code += sync::kEnrollCodeAlphabet[++codes_];
    ASSERT_TRUE(store_
                    ->AddEnrollCode(EnrollCodeHash(sync::NormalizeEnrollCode(code)), volunteer, kNow + 3'600'000,
                                    "aigerim", kNow)
                    .ok());
    auto enrolled = service_->Enroll(code, laptop.key.public_key(), "laptop");
    ASSERT_TRUE(enrolled.ok()) << enrolled.status().ToString();
    auto device = store_->FindDevice(laptop.key.public_key());
    ASSERT_TRUE(device.ok() && device->has_value());
    laptop.device = **device;
  }

  // A deployment in use: people, two laptops enrolled, records synced, a
  // coordinator's decision, the checkpoints the service signs.
  void Populate() {
    auto aigerim = store_->AddUser("aigerim", Role::kCoordinator, "hash", kNow);
    ASSERT_TRUE(aigerim.ok());
    // Logged in: her session names her by id (a foreign key in PostgreSQL).
    ASSERT_TRUE(store_->AddSession({"token-hash", aigerim->id, "csrf", kNow, kNow + 3'600'000}).ok());
    ASSERT_TRUE(store_->AddUser("alma", Role::kVolunteer, "", kNow).ok());
    ASSERT_TRUE(store_->AddUser("bota", Role::kVolunteer, "", kNow).ok());
    Enroll(alma_, "alma");
    Enroll(bota_, "bota");
    if (HasFatalFailure()) return;
    std::vector<std::string> batch;
    for (int k = 0; k < 3; ++k) batch.push_back(Next(alma_, Answers(k)));
    Sync(alma_, batch);
    Sync(bota_, {Next(bota_, Answers(7, "ala_02"))});
    auto first = sync::Envelope::Parse(batch[0]);
    ASSERT_TRUE(first.ok());
    submissions_ = {first->submission()};
    auto decided = service_->Review(first->submission(), "aigerim", "approved", "looks right");
    ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  }

  std::string Next(Laptop& laptop, const json& answers) {
    sync::EnvelopeFields f;
    f.submission = sync::NewSubmissionId(clock_, random_);
    f.hlc = sync::HlcTimestamp::Make(static_cast<uint64_t>(clock_.NowMs()), 0);
    f.wall_ms = clock_.NowMs();
    f.form_hash = form_->hash();
    f.form_id = form_->id();
    f.form_version = form_->version();
    f.body = sync::MakeRevisionBody(answers.dump(), 0);
    f.sequence = ++laptop.sequence;
    f.previous = laptop.last;
    auto sealed = sync::SealEnvelope(std::move(f), laptop.key);
    EXPECT_TRUE(sealed.ok()) << sealed.status().ToString();
    std::string bytes = sealed.ok() ? *sealed : std::string();
    auto e = sync::Envelope::Parse(bytes);
    EXPECT_TRUE(e.ok());
    if (e.ok()) laptop.last = e->id();
    clock_.Advance(1000);
    return bytes;
  }

  void Sync(const Laptop& laptop, std::vector<std::string> envelopes) {
    sync::SyncRequest request;
    request.envelopes = std::move(envelopes);
    auto response = service_->HandleSync(laptop.device, request);
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_TRUE(response->rejected.empty());
  }

  // As `dala-server serve` ending: nothing holds the database open.
  void StopServer() {
    service_.reset();
    ctx_.reset();
    store_.reset();
  }

  Result<MigrationReport> Migrate(const std::string& from, const std::string& to) {
    std::ostringstream progress;
    auto report = MigrateSqliteToPostgres(from, to, progress);
    progress_ = progress.str();
    return report;
  }

  // "table: rows" for every table of the target (but the schema's
  // version), in name order; "" when it has no tables.
  std::string TargetRows() {
    auto conn = pg::Connection::Open(target_);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return "?";
    auto tables = conn->Query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                              "AND table_name <> 'dala_schema_version' ORDER BY table_name");
    EXPECT_TRUE(tables.ok());
    std::string out;
    for (int r = 0; tables.ok() && r < tables->size(); ++r) {
      auto n = conn->Query("SELECT count(*) FROM \"" + tables->Text(r, 0) + "\"");
      EXPECT_TRUE(n.ok());
      out += tables->Text(r, 0) + ":" + std::to_string(n.ok() ? n->Int(0, 0) : -1) + " ";
    }
    return out;
  }
  // Whether every table of the target is empty (or there are none).
  bool TargetEmpty() {
    std::string rows = TargetRows();
    std::istringstream in(rows);
    std::string item;
    while (in >> item)
      if (item.substr(item.rfind(':') + 1) != "0") return false;
    return true;
  }

  // The target with the schema and nothing else, as `migrate` would make it.
  void CreateTargetSchema() {
    auto store = OpenPostgresStore(target_, /*create=*/true);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
  }
  void OnTarget(const std::string& sql) {
    auto conn = pg::Connection::Open(target_);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    Status s = conn->Exec(sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::filesystem::path dir_;
  FakeClock clock_{kNow};
  sync::SeededRandom random_{42};
  sync::SigningKey server_key_ = sync::SigningKey::Generate(random_);
  std::unique_ptr<Store> store_;
  std::unique_ptr<ServerContext> ctx_;
  std::shared_ptr<RecordService> service_;
  std::shared_ptr<const schema::Form> form_;
  size_t codes_ = 0;

  std::string server_, database_, target_, progress_;
  std::optional<pg::Connection> admin_;
  Laptop alma_{random_};
  Laptop bota_{random_};
  std::vector<sync::SubmissionId> submissions_;
};

// Every field, for a comparison that names the one that differs.
std::string AllFields(const SubmissionSummary& s) {
  json j = {{"id", sync::FormatSubmissionId(s.id)},
            {"form", {s.form_id, s.form_version, s.form_hash}},
            {"volunteer", s.volunteer},
            {"place", {s.centre, s.region, s.visit_date, s.duplicate_key}},
            {"ms", {s.created_ms, s.updated_ms}},
            {"answers", s.answers_json},
            {"heads", {s.heads, s.conflicts}},
            {"review", {s.review_state, s.review_by, s.review_comment, s.changed_since_review}},
            {"duplicates", {s.duplicate_group, s.merged_into, s.distinct_from}},
            {"last_log_index", s.last_log_index}};
  return j.dump();
}

// --- a deployment that moves -------------------------------------------------------------

TEST_F(MigrateTest, PopulatedDeploymentArrivesWithTheSameLogRecordsAndIds) {
  Populate();
  if (HasFatalFailure()) return;
  // More outbox rows than one batch holds, with a gap in the ids as a
  // rolled-back transaction leaves: laptops hold these ids as cursors.
  Damage("WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 1234) "
         "INSERT INTO outbox (id, volunteer, log_index, author) SELECT 1000 + 2 * k, 'carol', k % 5, x'' FROM n");
  StopServer();

  auto report = Migrate(dir_.string(), target_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();

  auto sqlite = OpenSqliteStore(dir_.string(), false);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status().ToString();
  auto postgres = OpenPostgresStore(target_, false);
  ASSERT_TRUE(postgres.ok()) << postgres.status().ToString();
  Store& from = **sqlite;
  Store& to = **postgres;

  // What the report says it verified is what SQLite holds.
  EXPECT_EQ(report->log_size, *from.LogSize());
  EXPECT_GE(report->log_size, 7u);  // 2 enrolments, 4 records, 1 decision
  sync::MerkleTree tree;
  ASSERT_TRUE(from.ForEachLeafHash(0, [&](uint64_t, const sync::Hash& h) { tree.AppendLeafHash(h); }).ok());
  EXPECT_EQ(report->root, tree.Root());
  auto checkpoint = from.LastCheckpoint();
  ASSERT_TRUE(checkpoint.ok() && checkpoint->has_value());
  EXPECT_EQ(report->checkpoint_size, std::optional<uint64_t>((*checkpoint)->first));
  EXPECT_EQ(report->users, 3u);
  EXPECT_EQ(report->devices, 2u);
  EXPECT_EQ(report->submissions, 4u);  // each of the four records is a submission of its own
  EXPECT_NE(progress_.find("envelopes: " + std::to_string(report->log_size) + " rows"), std::string::npos)
      << progress_;

  // And PostgreSQL answers the same, through the Store interface.
  EXPECT_EQ(*to.LogSize(), report->log_size);
  auto pg_checkpoint = to.LastCheckpoint();
  ASSERT_TRUE(pg_checkpoint.ok() && pg_checkpoint->has_value());
  EXPECT_EQ(**pg_checkpoint, **checkpoint);
  for (const auto& id : submissions_) {
    auto a = from.FindSubmission(id), b = to.FindSubmission(id);
    ASSERT_TRUE(a.ok() && a->has_value() && b.ok() && b->has_value());
    EXPECT_EQ(AllFields(**a), AllFields(**b));
    EXPECT_EQ((*b)->review_state, "approved");
  }
  for (const char* volunteer : {"alma", "bota", "carol"}) {
    auto a = from.Outbox(volunteer, sync::PublicKey{}, 0, std::numeric_limits<int64_t>::max(), 5000);
    auto b = to.Outbox(volunteer, sync::PublicKey{}, 0, std::numeric_limits<int64_t>::max(), 5000);
    ASSERT_TRUE(a.ok() && b.ok()) << volunteer;
    EXPECT_EQ(*a, *b) << volunteer;
    EXPECT_EQ(*from.OutboxEnd(volunteer), *to.OutboxEnd(volunteer)) << volunteer;
  }
  EXPECT_EQ(to.Outbox("carol", sync::PublicKey{}, 0, std::numeric_limits<int64_t>::max(), 5000)->size(), 1234u);
  auto alma = to.FindUser("alma");
  ASSERT_TRUE(alma.ok() && alma->has_value());
  EXPECT_EQ((*alma)->id, (*from.FindUser("alma"))->id);
  auto session = to.FindSession("token-hash");
  ASSERT_TRUE(session.ok() && session->has_value());
  EXPECT_EQ((*session)->user_id, (*from.FindUser("aigerim"))->id);
  auto device = to.FindDevice(alma_.key.public_key());
  ASSERT_TRUE(device.ok() && device->has_value());
  EXPECT_EQ((*device)->volunteer, "alma");

  // New rows are numbered past the copied ones, not over them.
  auto dina = to.AddUser("dina", Role::kVolunteer, "", kNow);
  ASSERT_TRUE(dina.ok()) << dina.status().ToString();
  EXPECT_EQ(dina->id, 4);
  ASSERT_TRUE(to.AddToOutbox("carol", 0, sync::PublicKey{}).ok());
  EXPECT_EQ(*to.OutboxEnd("carol"), 1000 + 2 * 1234 + 1);
}

TEST_F(MigrateTest, AFreshDeploymentMigratesToo) {
  // Only the first project and the form: no log yet.
  StopServer();
  auto report = Migrate(dir_.string(), target_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->log_size, 0u);
  EXPECT_EQ(report->root, sync::EmptyRoot());
  auto sqlite = OpenSqliteStore(dir_.string(), false);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status().ToString();
  auto checkpoint = (*sqlite)->LastCheckpoint();
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(report->checkpoint_size.has_value(), checkpoint->has_value());
  EXPECT_NE(progress_.find("forms: 1 row\n"), std::string::npos) << progress_;
}

// --- targets that are refused ------------------------------------------------------------

TEST_F(MigrateTest, NonEmptyTargetIsRefusedAndLeftUntouched) {
  Populate();
  if (HasFatalFailure()) return;
  StopServer();
  CreateTargetSchema();
  OnTarget("INSERT INTO projects (name, title, created_ms) VALUES ('other', 'Another deployment', 1)");
  const std::string before = TargetRows();

  auto report = Migrate(dir_.string(), target_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(report.status().message().find("is not empty"), std::string::npos) << report.status().message();
  EXPECT_NE(report.status().message().find("projects"), std::string::npos) << report.status().message();
  EXPECT_EQ(TargetRows(), before);
}

TEST_F(MigrateTest, SecondMigrationIntoTheSameDatabaseIsRefused) {
  StopServer();
  ASSERT_TRUE(Migrate(dir_.string(), target_).ok());
  const std::string before = TargetRows();
  auto again = Migrate(dir_.string(), target_);
  EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("is not empty"), std::string::npos) << again.status().message();
  EXPECT_EQ(TargetRows(), before);
}

TEST_F(MigrateTest, TablesWhoseColumnsDifferAreNamedAndNothingIsCopied) {
  StopServer();
  CreateTargetSchema();
  OnTarget("ALTER TABLE devices ADD COLUMN colour TEXT; ALTER TABLE users DROP COLUMN language");
  auto report = Migrate(dir_.string(), target_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(report.status().message().find("devices.colour is in PostgreSQL only"), std::string::npos)
      << report.status().message();
  EXPECT_NE(report.status().message().find("users.language is missing in PostgreSQL"), std::string::npos)
      << report.status().message();
  EXPECT_TRUE(TargetEmpty()) << TargetRows();
}

TEST_F(MigrateTest, RowRefusedHalfWayLeavesTheTargetEmpty) {
  Populate();
  if (HasFatalFailure()) return;
  StopServer();
  CreateTargetSchema();
  // envelopes comes after projects, users, devices and forms have been
  // copied; its third row is refused.
  OnTarget("ALTER TABLE envelopes ADD CONSTRAINT first_two_only CHECK (log_index < 2)");
  auto report = Migrate(dir_.string(), target_);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("copying envelopes"), std::string::npos) << report.status().message();
  EXPECT_NE(report.status().message().find("first_two_only"), std::string::npos) << report.status().message();
  EXPECT_NE(progress_.find("users: 3 rows"), std::string::npos) << progress_;  // they were copied, then rolled back
  EXPECT_TRUE(TargetEmpty()) << TargetRows();
}

TEST_F(MigrateTest, DamagedValueIsCorruptionNotAZeroInPostgres) {
  Populate();
  if (HasFatalFailure()) return;
  Damage("UPDATE envelopes SET kind = 'seven' WHERE log_index = 1");
  StopServer();
  auto report = Migrate(dir_.string(), target_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Status::Code::kCorruption);
  EXPECT_NE(report.status().message().find("envelopes holds text in kind"), std::string::npos)
      << report.status().message();
  EXPECT_TRUE(TargetEmpty()) << TargetRows();
}

TEST_F(MigrateTest, CopyThatDiffersFromTheOriginalIsCorruptionNamingTheDifference) {
  Populate();
  if (HasFatalFailure()) return;
  StopServer();
  CreateTargetSchema();
  // PostgreSQL changes every checkpoint as it is written: the copy commits,
  // and only the check after it can see that it is not the original.
  OnTarget("CREATE FUNCTION scribble() RETURNS trigger LANGUAGE plpgsql AS "
           "$$ BEGIN NEW.note := NEW.note || 'scribbled'; RETURN NEW; END $$; "
           "CREATE TRIGGER scribble BEFORE INSERT ON checkpoints FOR EACH ROW EXECUTE FUNCTION scribble()");
  auto report = Migrate(dir_.string(), target_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Status::Code::kCorruption);
  EXPECT_NE(report.status().message().find("their notes differ"), std::string::npos) << report.status().message();
  EXPECT_NE(report.status().message().find("drop that database"), std::string::npos) << report.status().message();
  EXPECT_EQ(report.status().message().find("log root"), std::string::npos) << report.status().message();
}

// --- sources that are refused -----------------------------------------------------------

TEST_F(MigrateTest, MissingSourceDirectoryIsNotFoundAndTargetStaysEmpty) {
  StopServer();
  const std::string missing = (dir_ / "nowhere").string();
  auto report = Migrate(missing, target_);
  EXPECT_EQ(report.status().code(), Status::Code::kNotFound);
  EXPECT_NE(report.status().message().find(missing), std::string::npos) << report.status().message();
  EXPECT_EQ(TargetRows(), "");  // not even the schema
}

TEST_F(MigrateTest, SourceThatIsNoDatabaseIsRefusedAndTargetStaysEmpty) {
  StopServer();
  const auto other = dir_ / "other";
  std::filesystem::create_directories(other);
  std::ofstream(other / "dala-server.db") << "not a database, though it has the name of one\n";
  auto report = Migrate(other.string(), target_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Status::Code::kCorruption) << report.status().ToString();
  EXPECT_EQ(TargetRows(), "");
}

TEST_F(MigrateTest, SourceWithARunningServerIsRefused) {
  StopServer();
  auto serving = DataDirLock::TryAcquire(dir_.string(), kServeRole);
  ASSERT_TRUE(serving.ok()) << serving.status().ToString();
  auto report = Migrate(dir_.string(), target_);
  EXPECT_EQ(report.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(report.status().message().find("stop it first"), std::string::npos) << report.status().message();
  EXPECT_EQ(TargetRows(), "");
}

TEST_F(MigrateTest, UnreachablePostgresIsUnavailable) {
  StopServer();
  // A socket directory with no server listening in it.
  const std::string nowhere = "host=" + dir_.string() + " user=postgres dbname=nothing connect_timeout=5";
  auto report = Migrate(dir_.string(), nowhere);
  EXPECT_EQ(report.status().code(), Status::Code::kUnavailable) << report.status().ToString();
}

TEST(MigrateConninfo, ADatabaseNameReplacesTheOneInAUriOrFollowsAKeywordString) {
  EXPECT_EQ(WithDatabase("postgresql://u@h:5/postgres?sslmode=disable", "t"), "postgresql://u@h:5/t?sslmode=disable");
  EXPECT_EQ(WithDatabase("postgresql://u@h", "t"), "postgresql://u@h/t");
  EXPECT_EQ(WithDatabase("host=/tmp/pg dbname=postgres", "t"), "host=/tmp/pg dbname=postgres dbname=t");
}

}  // namespace
}  // namespace dala::server
