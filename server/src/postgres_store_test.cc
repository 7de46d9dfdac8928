// What only the PostgreSQL store has to show: its schema and opening,
// several nodes (stores) on one database, snapshots over a second
// connection, bytes through libpq, and SQLite's behaviour where PostgreSQL
// differs by default (a failed statement inside a transaction; text order).
// The behaviour both stores share is in the shared store tests.
//
// DALA_TEST_POSTGRES is a libpq conninfo (key=value or postgresql://) to a
// database where the test may CREATE DATABASE: each test makes its own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "dala/server/postgres_store.h"
#include "dala/sync/crypto.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merkle.h"
#include "pg.h"
#include "postgres_migrations.h"

namespace dala::server {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

// `conninfo` naming database `db` instead.
std::string WithDatabase(const std::string& conninfo, const std::string& db) {
  if (!pg::IsConnectionUri(conninfo)) return conninfo + " dbname=" + db;  // the last keyword wins
  size_t scheme = conninfo.find("://") + 3;
  size_t query = conninfo.find('?', scheme);
  size_t slash = conninfo.find('/', scheme);
  if (slash == std::string::npos || (query != std::string::npos && slash > query)) slash = query;
  std::string head = conninfo.substr(0, slash == std::string::npos ? conninfo.size() : slash);
  std::string tail = query == std::string::npos ? "" : conninfo.substr(query);
  return head + "/" + db + tail;
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* admin = std::getenv("DALA_TEST_POSTGRES");
    ASSERT_NE(admin, nullptr) << "DALA_TEST_POSTGRES is not set: it must name a PostgreSQL database where this test "
                                 "may CREATE DATABASE (a libpq conninfo, e.g. \"host=/tmp/pg user=postgres "
                                 "dbname=postgres\"). The PostgreSQL store is not tested without it.";
    admin_conninfo_ = admin;
    auto admin_conn = pg::Connection::Open(admin_conninfo_);
    ASSERT_TRUE(admin_conn.ok()) << admin_conn.status().ToString();
    admin_.emplace(std::move(*admin_conn));
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    db_ = ("dala_test_" + std::to_string(::getpid()) + "_" + name).substr(0, 63);
    ASSERT_TRUE(sync::InitCrypto().ok());
    ASSERT_TRUE(admin_->Exec("DROP DATABASE IF EXISTS " + db_).ok());
    // A linguistic collation where the server has ICU ("a" < "B" < "b",
    // case-folding ILIKE): what the store must not depend on.
    Status created = admin_->Exec("CREATE DATABASE " + db_ +
                                  " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'");
    if (!created.ok()) created = admin_->Exec("CREATE DATABASE " + db_);
    ASSERT_TRUE(created.ok()) << created.ToString();
    conninfo_ = WithDatabase(admin_conninfo_, db_);
  }
  void TearDown() override {
    if (admin_) (void)admin_->Exec("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
  }

  std::unique_ptr<Store> Open(bool create = true) {
    auto store = OpenPostgresStore(conninfo_, create);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // A connection of the test's own to the test's database.
  pg::Connection Raw() {
    auto conn = pg::Connection::Open(conninfo_);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    return std::move(*conn);
  }

  static sync::PublicKey Key(uint8_t fill) {
    sync::PublicKey k;
    k.fill(fill);
    return k;
  }

  std::string admin_conninfo_, db_, conninfo_;
  std::optional<pg::Connection> admin_;
};

TEST_F(PostgresStoreTest, WithDatabaseNamesTheTestDatabaseInBothConninfoForms) {
  EXPECT_EQ(WithDatabase("host=/tmp user=p dbname=postgres", "x"), "host=/tmp user=p dbname=postgres dbname=x");
  EXPECT_EQ(WithDatabase("postgresql://u:p@h:5/postgres?sslmode=disable", "x"), "postgresql://u:p@h:5/x?sslmode=disable");
  EXPECT_EQ(WithDatabase("postgresql://h", "x"), "postgresql://h/x");
  EXPECT_EQ(WithDatabase("postgres://h?sslmode=disable", "x"), "postgres://h/x?sslmode=disable");
}

TEST_F(PostgresStoreTest, OpeningWithoutCreateIsNotFoundAndCreatesNothing) {
  auto store = OpenPostgresStore(conninfo_, false);
  ASSERT_EQ(store.status().code(), Status::Code::kNotFound) << store.status().ToString();
  EXPECT_NE(store.status().message().find("dala-server init"), std::string::npos) << store.status().ToString();
  pg::Connection raw = Raw();
  auto tables = raw.Query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  EXPECT_EQ(tables->Int(0, 0), 0);
}

TEST_F(PostgresStoreTest, CreateMakesTheSchemaAndReopeningKeepsTheData) {
  {
    auto store = Open(true);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->AddUser("amina", Role::kAdmin, "hash", kNow).ok());
  }
  pg::Connection raw = Raw();
  auto version = raw.Query("SELECT version FROM dala_schema_version");
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  ASSERT_EQ(version->size(), 1);
  EXPECT_EQ(version->Int(0, 0), static_cast<int64_t>(PostgresMigrations().size()));
  // Every table of server/DATABASE.md but the SQLite-only pending marker.
  for (const char* table : {"projects", "users", "sessions", "enroll_codes", "devices", "forms", "envelopes",
                            "submissions", "outbox", "checkpoints", "person_key_codes", "person_keys",
                            "indicator_counts", "request_nonces"}) {
    auto found = raw.Query("SELECT to_regclass($1) IS NOT NULL", pg::Params().Text(table));
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(found->Int(0, 0), 1) << table;
  }
  for (bool create : {false, true}) {
    auto store = OpenPostgresStore(conninfo_, create);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto user = (*store)->FindUser("amina");
    ASSERT_TRUE(user.ok() && user->has_value());
    EXPECT_EQ((*user)->role, Role::kAdmin);
  }
}

TEST_F(PostgresStoreTest, TwoNodesCreatingTheSchemaAtOnceBothOpenIt) {
  std::atomic<int> opened{0};
  std::vector<std::thread> nodes;
  std::vector<std::string> failures(4);
  for (int i = 0; i < 4; ++i)
    nodes.emplace_back([&, i] {
      auto store = OpenPostgresStore(conninfo_, true);
      if (store.ok()) ++opened;
      else failures[i] = store.status().ToString();
    });
  for (auto& t : nodes) t.join();
  EXPECT_EQ(opened.load(), 4) << failures[0] << failures[1] << failures[2] << failures[3];
}

TEST_F(PostgresStoreTest, ASchemaNewerThanTheServerIsRefused) {
  ASSERT_TRUE(Open(true));
  pg::Connection raw = Raw();
  ASSERT_TRUE(raw.Exec("UPDATE dala_schema_version SET version = version + 1").ok());
  auto store = OpenPostgresStore(conninfo_, false);
  EXPECT_EQ(store.status().code(), Status::Code::kFailedPrecondition) << store.status().ToString();
}

TEST_F(PostgresStoreTest, AnUnreachableServerIsUnavailable) {
  auto store = OpenPostgresStore("host=/nonexistent/dala-test port=1 dbname=x user=x connect_timeout=2", true);
  EXPECT_EQ(store.status().code(), Status::Code::kUnavailable) << store.status().ToString();
  auto uri = OpenPostgresStore("postgresql://x:secret@127.0.0.1:1/x?connect_timeout=2", true);
  EXPECT_EQ(uri.status().code(), Status::Code::kUnavailable) << uri.status().ToString();
  EXPECT_EQ(uri.status().message().find("secret"), std::string::npos) << uri.status().ToString();
}

TEST_F(PostgresStoreTest, IsPostgresUriTellsDatabasesFromDirectories) {
  EXPECT_TRUE(IsPostgresUri("postgresql://h/db"));
  EXPECT_TRUE(IsPostgresUri("postgres://h/db"));
  EXPECT_FALSE(IsPostgresUri("/var/lib/dala"));
  EXPECT_FALSE(IsPostgresUri("postgresql"));
  EXPECT_FALSE(IsPostgresUri("host=/tmp dbname=x"));
}

TEST_F(PostgresStoreTest, LockLogOutsideATransactionIsFailedPrecondition) {
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->SharedByNodes());
  EXPECT_EQ(store->LockLog().code(), Status::Code::kFailedPrecondition);
}

TEST_F(PostgresStoreTest, LockLogHoldsTheOtherNodeOffUntilTheCommit) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  std::atomic<bool> a_committed{false}, b_locked{false}, b_locked_before_commit{false};
  std::thread other;
  Status sa = a->InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(a->LockLog());
    other = std::thread([&] {
      Status sb = b->InTransaction([&]() -> Status {
        DALA_RETURN_IF_ERROR(b->LockLog());
        b_locked_before_commit = !a_committed.load();
        b_locked = true;
        return Status::Ok();
      });
      EXPECT_TRUE(sb.ok()) << sb.ToString();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_FALSE(b_locked.load()) << "the other node took the log's lock while this one held it";
    a_committed = true;  // set just before the commit: b may only lock after it
    return Status::Ok();
  });
  ASSERT_TRUE(sa.ok()) << sa.ToString();
  other.join();
  EXPECT_TRUE(b_locked.load());
  EXPECT_FALSE(b_locked_before_commit.load());
}

TEST_F(PostgresStoreTest, TheLogLockIsReleasedWhenTheTransactionRollsBack) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  Status failed = a->InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(a->LockLog());
    return Status::Internal("work failed");
  });
  EXPECT_EQ(failed.code(), Status::Code::kInternal);
  std::atomic<bool> done{false};
  std::thread other([&] {
    EXPECT_TRUE(b->InTransaction([&] { return b->LockLog(); }).ok());
    done = true;
  });
  for (int i = 0; i < 100 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(done.load()) << "the lock outlived its rolled-back transaction";
  other.join();
}

TEST_F(PostgresStoreTest, ARequestNonceIsRefusedByTheOtherNodeUntilItExpires) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  sync::PublicKey device = Key(0);  // all zero bytes, through a bytea parameter
  ASSERT_TRUE(a->RememberRequestNonce(device, "n1", kNow + 1000, kNow).ok());
  EXPECT_EQ(b->RememberRequestNonce(device, "n1", kNow + 1000, kNow + 10).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(a->RememberRequestNonce(device, "n1", kNow + 1000, kNow + 10).code(), Status::Code::kAlreadyExists);
  EXPECT_TRUE(b->RememberRequestNonce(device, "n2", kNow + 1000, kNow + 10).ok());
  EXPECT_TRUE(b->RememberRequestNonce(Key(1), "n1", kNow + 1000, kNow + 10).ok());
  // Past its expiry it is forgotten.
  EXPECT_TRUE(b->RememberRequestNonce(device, "n1", kNow + 5000, kNow + 1001).ok());
}

TEST_F(PostgresStoreTest, ARequestNonceInARolledBackTransactionIsNotRemembered) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  Status s = a->InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(a->RememberRequestNonce(Key(2), "n", kNow + 1000, kNow));
    return Status::Internal("request failed");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(b->RememberRequestNonce(Key(2), "n", kNow + 1000, kNow).ok());
}

TEST_F(PostgresStoreTest, AReadSnapshotDoesNotSeeLaterCommitsOfAnyNode) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->AddUser("before", Role::kVolunteer, "", kNow).ok());
  Status s = a->InReadSnapshot([&](Store& snapshot) -> Status {
    auto first = snapshot.ListUsers();
    EXPECT_TRUE(first.ok());
    EXPECT_EQ(first->size(), 1u);
    // Commits made while the snapshot is open, by this node and another.
    EXPECT_TRUE(a->AddUser("during-a", Role::kVolunteer, "", kNow).ok());
    EXPECT_TRUE(b->InTransaction([&] { return b->AddUser("during-b", Role::kVolunteer, "", kNow).status(); }).ok());
    auto users = snapshot.ListUsers();
    EXPECT_TRUE(users.ok());
    EXPECT_EQ(users->size(), 1u);
    auto during = snapshot.FindUser("during-b");
    EXPECT_TRUE(during.ok() && !during->has_value());
    // A snapshot is not written.
    EXPECT_FALSE(snapshot.AddUser("in-snapshot", Role::kVolunteer, "", kNow).ok());
    EXPECT_FALSE(snapshot.InTransaction([] { return Status::Ok(); }).ok());
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto users = a->ListUsers();
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(users->size(), 3u);
}

TEST_F(PostgresStoreTest, BytesWithZerosAndHighBitsComeBackUnchanged) {
  auto store = Open();
  ASSERT_TRUE(store);
  Device d;
  for (size_t i = 0; i < d.key.size(); ++i) d.key[i] = static_cast<uint8_t>(i % 3 == 0 ? 0 : 0xff - i);
  d.volunteer = "vol";
  d.label = "laptop";
  d.enrolled_ms = kNow;
  d.enrolled_by = "coord";
  ASSERT_TRUE(store->AddDevice(d).ok());
  auto found = store->FindDevice(d.key);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->key, d.key);
  auto zero = store->FindDevice(Key(0));
  ASSERT_TRUE(zero.ok());
  EXPECT_FALSE(zero->has_value());
  // A form document is bytes: a NUL, a backslash and invalid UTF-8 survive.
  std::string document("{\"a\":1}\0\\x00\xff\xfe", 15);
  FormInfo info;
  info.hash = std::string(64, 'a');
  info.form_id = "f";
  info.version = "1";
  info.project = "p";
  info.published_ms = kNow;
  auto published = store->PublishForm(document, info);
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  EXPECT_EQ(published->publish_seq, 1);
  auto back = store->FormDocument(info.hash);
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ(**back, document);
}

TEST_F(PostgresStoreTest, AFailedStatementInsideATransactionDoesNotAbortIt) {
  // SQLite lets a transaction go on past a refused insert; PostgreSQL
  // aborts it unless the statement ran in a savepoint.
  auto store = Open();
  ASSERT_TRUE(store);
  Status s = store->InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(store->AddUser("a", Role::kVolunteer, "", kNow).status());
    EXPECT_EQ(store->AddUser("a", Role::kVolunteer, "", kNow).status().code(), Status::Code::kAlreadyExists);
    return store->AddUser("b", Role::kVolunteer, "", kNow).status();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto users = store->ListUsers();
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(users->size(), 2u);
}

TEST_F(PostgresStoreTest, AStatementUsedAgainIsPreparedOnceAndAnswersAsBefore) {
  pg::Connection conn = Raw();
  for (int64_t i = 0; i < 4; ++i) {
    auto r = conn.Query("SELECT $1::bigint * 2", pg::Params().Int(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->Int(0, 0), 2 * i);
  }
  auto prepared = conn.Query("SELECT statement FROM pg_prepared_statements");
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  ASSERT_EQ(prepared->size(), 1) << "this query, used once, is not prepared; the product, used four times, once";
  EXPECT_EQ(prepared->Text(0, 0), "SELECT $1::bigint * 2");
}

TEST_F(PostgresStoreTest, AStatementThatIsNotAQueryOrVariesIsNeverPrepared) {
  pg::Connection conn = Raw();
  ASSERT_TRUE(conn.Exec("BEGIN").ok());
  for (int i = 0; i < 3; ++i) {
    // Text that varies (a cursor's name), and a utility statement used
    // again, which PREPARE does not take.
    ASSERT_TRUE(conn.Query("DECLARE c" + std::to_string(i) + " CURSOR FOR SELECT 1").ok());
    ASSERT_TRUE(conn.Query("SAVEPOINT s").ok());
  }
  ASSERT_TRUE(conn.Exec("COMMIT").ok());
  auto prepared = conn.Query("SELECT count(*) FROM pg_prepared_statements");
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  EXPECT_EQ(prepared->Int(0, 0), 0);
}

TEST_F(PostgresStoreTest, PreparedStatementsArePreparedAgainAfterAReconnect) {
  pg::Connection conn = Raw();
  const std::string sql = "SELECT $1::bigint + 1";
  for (int64_t i = 0; i < 2; ++i) ASSERT_TRUE(conn.Query(sql, pg::Params().Int(i)).ok());
  auto cut = admin_->Query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                           pg::Params().Text(db_));
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  auto lost = conn.Query(sql, pg::Params().Int(2));
  EXPECT_FALSE(lost.ok());
  ASSERT_TRUE(conn.Reset().ok());
  // The new session has no statement of the old one's.
  for (int64_t i = 3; i < 6; ++i) {
    auto r = conn.Query(sql, pg::Params().Int(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->Int(0, 0), i + 1);
  }
}

TEST_F(PostgresStoreTest, AFailedTransactionLeavesNothingBehind) {
  auto store = Open();
  ASSERT_TRUE(store);
  Status s = store->InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(store->AddUser("gone", Role::kVolunteer, "", kNow).status());
    return Status::Internal("later step failed");
  });
  EXPECT_EQ(s.code(), Status::Code::kInternal);
  auto user = store->FindUser("gone");
  ASSERT_TRUE(user.ok());
  EXPECT_FALSE(user->has_value());
}

TEST_F(PostgresStoreTest, TextIsOrderedByteByByteWhateverTheDatabaseLocale) {
  // SQLite's order: upper case before lower, non-ASCII last.
  auto store = Open();
  ASSERT_TRUE(store);
  for (const char* name : {"b", "\xc3\xa9", "B", "a", "_x"})
    ASSERT_TRUE(store->AddUser(name, Role::kVolunteer, "", kNow).ok());
  auto users = store->ListUsers();
  ASSERT_TRUE(users.ok());
  std::vector<std::string> names;
  for (const User& u : *users) names.push_back(u.name);
  EXPECT_EQ(names, (std::vector<std::string>{"B", "_x", "a", "b", "\xc3\xa9"}));
}

TEST_F(PostgresStoreTest, SearchFoldsAsciiCaseOnlyAsSqliteLikeDoes) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto put = [&](uint8_t fill, std::string volunteer) {
    SubmissionSummary s;
    s.id.fill(fill);
    s.form_id = "f";
    s.volunteer = std::move(volunteer);
    s.created_ms = kNow + fill;
    s.updated_ms = kNow;
    s.answers_json = "{}";
    s.review_state = "pending";
    ASSERT_TRUE(store->PutSubmission(s).ok());
  };
  put(1, "Zhanna");
  put(2, "\xc3\x89mile");  // Émile
  SubmissionFilter f;
  f.search = "ZHAN";
  auto found = store->CountSubmissions(f);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(*found, 1u);
  f.search = "\xc3\xa9mile";  // émile: SQLite's LIKE does not fold non-ASCII letters
  EXPECT_EQ(*store->CountSubmissions(f), 0u);
  f.search = "%";  // a wildcard is searched for as text
  EXPECT_EQ(*store->CountSubmissions(f), 0u);
  f.search = "0202";  // in the id's hex
  EXPECT_EQ(*store->CountSubmissions(f), 1u);
}

TEST_F(PostgresStoreTest, OutboxIdsOfTwoNodesFollowTheirCommitOrder) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  std::atomic<bool> b_done{false};
  std::thread other;
  Status sa = a->InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(a->AddToOutbox("vol", 1, Key(1)));
    // b's row would take the next id, and commit first, if it did not
    // wait for a's commit.
    other = std::thread([&] {
      EXPECT_TRUE(b->AddToOutbox("vol", 2, Key(1)).ok());
      b_done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(b_done.load());
    return Status::Ok();
  });
  ASSERT_TRUE(sa.ok()) << sa.ToString();
  other.join();
  auto rows = a->Outbox("vol", Key(9), 0, 1'000'000, 10);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].second, 1u);
  EXPECT_EQ((*rows)[1].second, 2u);
  EXPECT_LT((*rows)[0].first, (*rows)[1].first);
}

TEST_F(PostgresStoreTest, ANodeReconnectsAfterItsConnectionWasCut) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->AddUser("a", Role::kVolunteer, "", kNow).ok());
  auto cut = admin_->Query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                           pg::Params().Text(db_));
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  ASSERT_GE(cut->size(), 1);
  // The first statement finds the connection gone; the next reconnects.
  auto first = store->FindUser("a");
  if (!first.ok()) {
    EXPECT_EQ(first.status().code(), Status::Code::kUnavailable) << first.status().ToString();
  }
  Status s = store->InTransaction([&] { return store->AddUser("b", Role::kVolunteer, "", kNow).status(); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto users = store->ListUsers();
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  EXPECT_EQ(users->size(), 2u);
}

TEST_F(PostgresStoreTest, ForEachLeafHashAndForEachSubmissionReadPastOneBatch) {
  // More rows than one FETCH, inside and outside a transaction.
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store
                  ->InTransaction([&]() -> Status {
                    for (int i = 0; i < 2500; ++i) {
                      SubmissionSummary s;
                      s.id.fill(0);
                      s.id[14] = static_cast<uint8_t>(i >> 8);
                      s.id[15] = static_cast<uint8_t>(i);
                      s.form_id = "f";
                      s.volunteer = "v";
                      s.created_ms = kNow + i;
                      s.updated_ms = kNow;
                      s.answers_json = "{\"q\":1}";
                      s.review_state = "pending";
                      DALA_RETURN_IF_ERROR(store->PutSubmission(s));
                    }
                    return Status::Ok();
                  })
                  .ok());
  for (bool in_transaction : {false, true}) {
    int seen = 0;
    int64_t last = 0;
    auto each = [&] {
      return store->ForEachSubmission({}, [&](const SubmissionSummary& s) {
        EXPECT_GT(s.created_ms, last);
        last = s.created_ms;
        ++seen;
        return Status::Ok();
      });
    };
    Status s = in_transaction ? store->InTransaction(each) : each();
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(seen, 2500);
  }
  auto counts = store->IndicatorCounts("f", "", "");
  ASSERT_TRUE(counts.ok());
  ASSERT_FALSE(counts->empty());
  // A visit that fails stops the walk with its status, and the cursor is closed.
  int visits = 0;
  Status stopped = store->ForEachSubmission({}, [&](const SubmissionSummary&) {
    return ++visits == 3 ? Status::Internal("stop") : Status::Ok();
  });
  EXPECT_EQ(stopped.code(), Status::Code::kInternal);
  EXPECT_EQ(visits, 3);
  EXPECT_TRUE(store->CountSubmissions({}).ok());
}

TEST_F(PostgresStoreTest, ForEachLeafHashVisitsTheLogInOrderFromAnyStartAndReportsAGap) {
  auto store = Open();
  ASSERT_TRUE(store);
  sync::SeededRandom random{7};
  sync::SigningKey author = sync::SigningKey::Generate(random);
  sync::SubmissionId submission;
  submission.fill(0);  // zero bytes in a bytea column, and one that is not (a revision's id is not all zero)
  submission[15] = 1;
  std::vector<sync::Hash> leaves;
  sync::Hash previous{};
  Status appended = store->InTransaction([&]() -> Status {
    DALA_RETURN_IF_ERROR(store->LockLog());
    for (uint64_t i = 0; i < 2100; ++i) {
      sync::EnvelopeFields f;
      f.submission = submission;
      f.sequence = i + 1;
      f.previous = previous;
      f.hlc = sync::HlcTimestamp::Make(static_cast<uint64_t>(kNow) + i, 0);
      f.wall_ms = kNow;
      f.form_hash = sync::Sha256("form");
      f.form_id = "visit";
      f.form_version = "1";
      f.body = R"({"answers":{},"tz":0})";
      DALA_ASSIGN_OR_RETURN(std::string bytes, sync::SealEnvelope(f, author));
      DALA_ASSIGN_OR_RETURN(sync::Envelope e, sync::Envelope::Parse(bytes));
      previous = e.id();
      leaves.push_back(sync::LeafHash(e.bytes()));
      DALA_RETURN_IF_ERROR(store->AppendEnvelope(e, leaves.back(), i, kNow));
    }
    return Status::Ok();
  });
  ASSERT_TRUE(appended.ok()) << appended.ToString();
  EXPECT_EQ(*store->LogSize(), 2100u);
  auto tip = store->Tip(author.public_key());
  ASSERT_TRUE(tip.ok());
  EXPECT_EQ(tip->sequence, 2100u);
  EXPECT_EQ(tip->id, previous);
  for (uint64_t start : {uint64_t{0}, uint64_t{2000}, uint64_t{2100}}) {
    uint64_t next = start;
    Status s = store->ForEachLeafHash(start, [&](uint64_t index, const sync::Hash& leaf) {
      EXPECT_EQ(index, next);
      EXPECT_EQ(leaf, leaves[index]);
      ++next;
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(next, 2100u);
  }
  pg::Connection raw = Raw();
  ASSERT_TRUE(raw.Exec("DELETE FROM envelopes WHERE log_index = 1500").ok());
  Status gap = store->ForEachLeafHash(0, [](uint64_t, const sync::Hash&) {});
  EXPECT_EQ(gap.code(), Status::Code::kCorruption) << gap.ToString();
  EXPECT_NE(gap.message().find("1500"), std::string::npos) << gap.ToString();
}

}  // namespace
}  // namespace dala::server
