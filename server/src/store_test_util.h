// What the store and service tests share: a fresh store of each kind
// (SQLite in a directory of its own, PostgreSQL in a database of its own),
// and, on SQLite, damage written past the schema's checks, as a failing
// disk or a careless hand would write it; and a RecordService over it,
// with laptops enrolled as the server enrols them.
//
// A fixture derived from StoreTest runs each TEST_P against every store:
//
//   TEST_P(RecordServiceTest, ...)
//   INSTANTIATE_TEST_SUITE_P(, RecordServiceTest, testing::EachStore(), testing::StoreName);
//
// and a test of what only SQLite has (Damage, its files) is a TEST_F of
// testing::SqliteOnly<RecordServiceTest>.
//
// The PostgreSQL stores live in the server DALA_TEST_POSTGRES names (a
// libpq conninfo; ctest's `postgres` fixture starts a throwaway cluster
// and sets it): each test creates a database there and drops it after.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin.h"
#include "dala/base/clock.h"
#include "dala/base/sqlite.h"
#include "dala/server/sqlite_store.h"
#include "dala/sync/crypto.h"
#include "dala/sync/enrolment.h"
#include "dala/sync/envelope.h"
#include "dala/sync/ids.h"
#include "dala/sync/verify.h"
#include "record_service.h"
#if DALA_TEST_POSTGRES
#include "dala/server/postgres_store.h"
#include "pg.h"
#endif

namespace dala::server::testing {

// A form whose visit date may not be after today: the tests that a record
// is judged on its own day (its zone, not the server's) publish it.
inline constexpr const char* kNoFutureDateForm =
    R"json({"dala_form":1,"id":"dated","version":"1","title":"Dated","languages":["en"],"default_language":"en",
        "questions":[{"type":"date","name":"visit_date","label":"Visit date","required":true,
                      "constraint":". <= today()"},
                     {"type":"integer","name":"queue","label":"Queue"}]})json";

enum class StoreKind { kSqlite, kPostgres };

// The stores a TEST_P runs against. A build without DALA_TEST_POSTGRES
// (configured without PostgreSQL) has SQLite only.
inline auto EachStore() {
#if DALA_TEST_POSTGRES
  return ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres);
#else
  return ::testing::Values(StoreKind::kSqlite);
#endif
}

inline void PrintTo(StoreKind kind, std::ostream* out) { *out << (kind == StoreKind::kPostgres ? "postgres" : "sqlite"); }

// "RecordServiceTest.Name/sqlite" and ".../postgres" in the output.
inline std::string StoreName(const ::testing::TestParamInfo<StoreKind>& info) {
  return ::testing::PrintToString(info.param);
}

// `conninfo` (key=value pairs or a postgresql:// URI) naming database `name`.
inline std::string WithDatabase(const std::string& conninfo, const std::string& name) {
  if (conninfo.rfind("postgresql://", 0) != 0 && conninfo.rfind("postgres://", 0) != 0)
    return conninfo + " dbname=" + name;  // libpq takes the last of a repeated key
  // postgresql://user@host:port/database?options: the database goes
  // between the host and the options.
  size_t path = conninfo.find('/', conninfo.find("://") + 3);
  size_t query = conninfo.find('?');
  size_t end = path != std::string::npos && path < query ? path : query;
  return conninfo.substr(0, end) + "/" + name + (query == std::string::npos ? "" : conninfo.substr(query));
}

// Every stored column of a submission's row, as text: rows compared whole,
// so that one column left out or written wrong shows, named by its place.
inline std::vector<std::string> SummaryColumns(const SubmissionSummary& s) {
  return {sync::FormatSubmissionId(s.id), s.form_id,         s.form_version,
          s.form_hash,                    s.volunteer,       s.centre,
          s.region,                       s.visit_date,      s.duplicate_key,
          std::to_string(s.created_ms),   std::to_string(s.updated_ms),
          s.answers_json,                 std::to_string(s.heads),
          std::to_string(s.conflicts),    s.review_state,    s.review_by,
          s.review_comment,               std::to_string(s.changed_since_review),
          s.duplicate_group,              s.merged_into,     std::to_string(s.last_log_index),
          s.distinct_from,                s.only_head,       std::to_string(s.only_head_hlc)};
}

class StoreTest : public ::testing::Test, public ::testing::WithParamInterface<StoreKind> {
 protected:
  virtual StoreKind kind() const { return GetParam(); }

  void SetUp() override {
    ASSERT_TRUE(sync::InitCrypto().ok());
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    // A scratch directory for either store: SQLite's database is in it.
    std::string name = "dala_" + std::string(test->test_suite_name()) + "_" + std::to_string(::getpid()) + "_" +
                       test->name();
    for (char& c : name)
      if (c == '/') c = '_';
    dir_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(dir_);
    if (kind() == StoreKind::kPostgres) {
      std::filesystem::create_directories(dir_);
      CreatePostgresDatabase();
      if (HasFatalFailure()) return;
    }
    auto store = Open(true);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    if (kind() == StoreKind::kPostgres) DropPostgresDatabase();
    std::filesystem::remove_all(dir_);
  }

  // Opens the test's database: a second store over it, as another
  // process (a `dala-server` command beside the running server) opens it.
  Result<std::unique_ptr<Store>> Open(bool create = false) {
#if DALA_TEST_POSTGRES
    if (kind() == StoreKind::kPostgres) return OpenPostgresStore(conninfo_, create);
#endif
    return OpenSqliteStore(dir_.string(), create);
  }

  // Runs `sql` on the SQLite database over a connection of its own, with
  // CHECK constraints off.
  void Damage(const std::string& sql) {
    ASSERT_EQ(kind(), StoreKind::kSqlite) << "Damage writes SQLite's files: a TEST_F of SqliteOnly<...>";
    auto db = sql::Database::Open((dir_ / "dala-server.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->Exec("PRAGMA ignore_check_constraints = ON").ok());
    Status s = db->Exec(sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::string conninfo_;  // PostgreSQL: the test's own database

 private:
  // A fresh database in DALA_TEST_POSTGRES's server, named after this
  // process and a counter: ctest runs tests side by side.
  void CreatePostgresDatabase() {
#if DALA_TEST_POSTGRES
    const char* server = std::getenv("DALA_TEST_POSTGRES");
    ASSERT_TRUE(server != nullptr && *server != '\0')
        << "DALA_TEST_POSTGRES is not set: it names the PostgreSQL server these tests use (a libpq conninfo, as "
           "\"host=/tmp/dir port=5432 user=postgres dbname=postgres\"). Run them through ctest, whose postgres "
           "fixture starts a throwaway cluster (tests/postgres/cluster.sh) and sets it.";
    server_ = server;
    static std::atomic<int> counter{0};
    database_ = "dala_t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    auto admin = pg::Connection::Open(server_);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    Status created = admin->Exec("CREATE DATABASE " + database_);
    ASSERT_TRUE(created.ok()) << created.ToString();
    conninfo_ = WithDatabase(server_, database_);
#else
    FAIL() << "this build has no PostgreSQL stores (configured with DALA_TEST_POSTGRES off)";
#endif
  }
  void DropPostgresDatabase() {
#if DALA_TEST_POSTGRES
    if (database_.empty()) return;
    auto admin = pg::Connection::Open(server_);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    // FORCE: a connection a failed test left open does not keep it.
    Status dropped = admin->Exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    EXPECT_TRUE(dropped.ok()) << dropped.ToString();
#endif
  }

  std::string server_;    // DALA_TEST_POSTGRES
  std::string database_;  // the test's database in it
};

// `Fixture` (a StoreTest) on SQLite only, for a TEST_F of what only SQLite
// has: Damage, the database file, its WAL.
template <class Fixture>
class SqliteOnly : public Fixture {
 protected:
  StoreKind kind() const override { return StoreKind::kSqlite; }
};

// A RecordService started over the store with `form` published, a fake
// clock at kNow, seeded randomness and the server's own key.
class ServiceTest : public StoreTest {
 protected:
  static constexpr int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

  explicit ServiceTest(const char* form) : form_document_(form) {}

  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    ctx_.reset(new ServerContext{*store_, clock_, random_, server_key_, ServerConfig{}});
    auto service = RecordService::Start(*ctx_);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = *service;
    auto form = schema::Form::Load(form_document_);
    ASSERT_TRUE(form.ok()) << form.status().ToString();
    form_ = *form;
    ASSERT_TRUE(service_->PublishForm(form_document_, "p").ok());
  }
  void TearDown() override {
    service_.reset();
    StoreTest::TearDown();
  }

  // A fresh one-time code for a laptop of `volunteer`, valid for an hour,
  // stored as `dala-server enroll-code` stores one: by the hash of its
  // normal form. Returned as issued, "K7MX-Q4TR-P2NW".
  std::string IssueLaptopCode(const std::string& volunteer) {
    constexpr std::string_view kAlphabet = sync::kEnrollCodeAlphabet;
    ++codes_;
    std::string code = "K7MX-Q4TR-P2";
    code += kAlphabet[(codes_ / kAlphabet.size()) % kAlphabet.size()];
    code += kAlphabet[codes_ % kAlphabet.size()];
    EXPECT_TRUE(store_
                    ->AddEnrollCode(EnrollCodeHash(sync::NormalizeEnrollCode(code)), volunteer, kNow + 3'600'000,
                                    "aigerim", kNow)
                    .ok());
    return code;
  }

  // Enrols `key` as a laptop with `code`; the device row the server then keeps.
  Device EnrollLaptop(const sync::PublicKey& key, const std::string& code) {
    auto enrolled = service_->Enroll(code, key, "laptop");
    EXPECT_TRUE(enrolled.ok()) << enrolled.status().ToString();
    auto device = store_->FindDevice(key);
    EXPECT_TRUE(device.ok() && device->has_value());
    return device.ok() && device->has_value() ? **device : Device{};
  }

  // A revision of the published form with `answers`, not yet placed in any chain.
  sync::EnvelopeFields Fields(const nlohmann::json& answers, sync::SubmissionId submission = {},
                              std::vector<sync::Hash> parents = {}) {
    sync::EnvelopeFields f;
    f.submission = sync::IsZero(submission) ? sync::NewSubmissionId(clock_, random_) : submission;
    f.parents = std::move(parents);
    f.hlc = sync::HlcTimestamp::Make(static_cast<uint64_t>(clock_.NowMs()), 0);
    f.wall_ms = clock_.NowMs();
    f.form_hash = form_->hash();
    f.form_id = form_->id();
    f.form_version = form_->version();
    f.body = sync::MakeRevisionBody(answers.dump(), 0);
    return f;
  }

  static std::string Seal(const sync::SigningKey& key, sync::EnvelopeFields f) {
    auto bytes = sync::SealEnvelope(std::move(f), key);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? *bytes : std::string();
  }

  FakeClock clock_{kNow};
  sync::SeededRandom random_{42};
  sync::SigningKey server_key_ = sync::SigningKey::Generate(random_);
  std::unique_ptr<ServerContext> ctx_;
  std::shared_ptr<RecordService> service_;
  std::shared_ptr<const schema::Form> form_;

 private:
  const char* form_document_;
  size_t codes_ = 0;
};

}  // namespace dala::server::testing
