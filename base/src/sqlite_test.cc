#include "dala/base/sqlite.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>


namespace dala::sql {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dala-sqlite-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const char* name) { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(SqliteTest, MissingFileIsNotFoundAndNotCreated) {
  auto db = Database::Open(Path("absent.db"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(Path("absent.db")));
}

TEST_F(SqliteTest, FileThatIsNotADatabaseIsCorruption) {
  std::ofstream(Path("junk.db")) << "this is not a database, just some text that is long enough";
  auto db = Database::Open(Path("junk.db"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kCorruption) << db.status().ToString();
}

TEST_F(SqliteTest, DirectoryInPlaceOfTheFileIsRefused) {
  std::filesystem::create_directories(Path("dir.db"));
  EXPECT_FALSE(Database::Open(Path("dir.db")).ok());
}

TEST_F(SqliteTest, MigrationsApplyOnceAndInOrder) {
  auto db = Database::Open(Path("m.db"), {OpenMode::kReadWriteCreate});
  ASSERT_TRUE(db.ok());
  std::vector<std::string_view> m = {"CREATE TABLE a(x)", "CREATE TABLE b(y)"};
  ASSERT_TRUE(db->Migrate(m).ok());
  EXPECT_EQ(*db->UserVersion(), 2);
  ASSERT_TRUE(db->Migrate(m).ok());  // nothing to do the second time
  m.push_back("ALTER TABLE a ADD COLUMN z");
  ASSERT_TRUE(db->Migrate(m).ok());
  EXPECT_EQ(*db->UserVersion(), 3);
}

TEST_F(SqliteTest, FailedMigrationLeavesTheDatabaseAtTheLastGoodVersion) {
  auto db = Database::Open(Path("m.db"), {OpenMode::kReadWriteCreate});
  ASSERT_TRUE(db.ok());
  Status s = db->Migrate({"CREATE TABLE a(x)", "CREATE TABLE b(y); THIS IS NOT SQL"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("migration 2"), std::string::npos);
  EXPECT_EQ(*db->UserVersion(), 1);
  auto st = db->Prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'b'");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->ColumnInt(0), 0);
}

TEST_F(SqliteTest, DatabaseNewerThanTheProgramIsRefused) {
  auto db = Database::Open(Path("m.db"), {OpenMode::kReadWriteCreate});
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("PRAGMA user_version = 9").ok());
  Status s = db->Migrate({"CREATE TABLE a(x)"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition);
}

TEST_F(SqliteTest, TransactionRollsBackUnlessCommitted) {
  auto db = Database::Open(Path("t.db"), {OpenMode::kReadWriteCreate});
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").ok());
  {
    auto tx = Transaction::Begin(*db);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").ok());
  }
  {
    auto tx = Transaction::Begin(*db);
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (2)").ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto st = db->Prepare("SELECT group_concat(x) FROM t");
  ASSERT_TRUE(st.ok() && *st->Step());
  EXPECT_EQ(st->ColumnText(0), "2");
}

TEST_F(SqliteTest, BlobsAndTextRoundTripIncludingEmptyAndBinary) {
  auto db = Database::Open(":memory:", {OpenMode::kReadWriteCreate, false});
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("CREATE TABLE t(b BLOB NOT NULL, s TEXT)").ok());
  auto ins = db->Prepare("INSERT INTO t VALUES (?, ?)");
  ASSERT_TRUE(ins.ok());
  std::string binary("\x00\x01\xff", 3);
  ASSERT_TRUE(ins->BindBlob(1, binary).Bind(2, "Қазақстан").Run().ok());
  ASSERT_TRUE(ins->BindBlob(1, "").BindNull(2).Run().ok());
  auto sel = db->Prepare("SELECT b, s FROM t ORDER BY rowid");
  ASSERT_TRUE(sel.ok() && *sel->Step());
  EXPECT_EQ(sel->ColumnBlob(0), binary);
  EXPECT_EQ(sel->ColumnBlobView(0), binary);
  EXPECT_EQ(sel->ColumnText(1), "Қазақстан");
  ASSERT_TRUE(*sel->Step());
  EXPECT_EQ(sel->ColumnBlob(0), "");
  EXPECT_EQ(sel->ColumnBlobView(0), "");
  EXPECT_TRUE(sel->ColumnIsNull(1));
}

TEST_F(SqliteTest, ConstraintViolationIsAFailureNotACrash) {
  auto db = Database::Open(":memory:", {OpenMode::kReadWriteCreate, false});
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x PRIMARY KEY)").ok());
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").ok());
  Status s = db->Exec("INSERT INTO t VALUES (1)");
  EXPECT_EQ(s.code(), Status::Code::kAlreadyExists);
  auto bad = db->Prepare("SELEKT 1");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace dala::sql

namespace dala::sql {
namespace {

TEST(SqliteCacheTest, ReleasedStatementIsReusedAndStartsClean) {
  auto db = Database::Open(":memory:", {OpenMode::kReadWriteCreate, false});
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)").ok());
  for (int round = 0; round < 3; ++round) {
    auto st = db->Prepare("SELECT x FROM t WHERE x >= ? ORDER BY x");
    ASSERT_TRUE(st.ok());
    st->Bind(1, int64_t{2});
    ASSERT_TRUE(*st->Step());
    EXPECT_EQ(st->ColumnInt(0), 2);  // abandoned mid-iteration on purpose
  }
  // The abandoned reads were reset, so a write is not blocked by them and
  // a fresh read sees it.
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (4)").ok());
  auto count = db->Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok() && *count->Step());
  EXPECT_EQ(count->ColumnInt(0), 4);
}

TEST(SqliteCacheTest, SameQueryNestedGetsItsOwnStatement) {
  auto db = Database::Open(":memory:", {OpenMode::kReadWriteCreate, false});
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)").ok());
  auto outer = db->Prepare("SELECT x FROM t ORDER BY x");
  ASSERT_TRUE(outer.ok() && *outer->Step());
  auto inner = db->Prepare("SELECT x FROM t ORDER BY x");
  ASSERT_TRUE(inner.ok() && *inner->Step());
  ASSERT_TRUE(*inner->Step());
  EXPECT_EQ(inner->ColumnInt(0), 2);
  EXPECT_EQ(outer->ColumnInt(0), 1);  // undisturbed
}

TEST(SqliteCacheTest, StatementOutlivingItsDatabaseIsFinalisedSafely) {
  std::optional<Statement> survivor;
  {
    auto db = Database::Open(":memory:", {OpenMode::kReadWriteCreate, false});
    ASSERT_TRUE(db.ok());
    auto st = db->Prepare("SELECT 1");
    ASSERT_TRUE(st.ok() && *st->Step());
    EXPECT_EQ(st->ColumnInt(0), 1);
    survivor.emplace(std::move(*st));
  }
  // The cache died with the database: releasing must finalise, not write
  // into freed memory (AddressSanitizer fails the test if it does).
  survivor.reset();
  EXPECT_FALSE(survivor.has_value());
}

}  // namespace
}  // namespace dala::sql

namespace dala::sql {
namespace {

TEST(SqliteBindTest, EmptyStringViewBindsEmptyTextNotNull) {
  auto db = Database::Open(":memory:", {OpenMode::kReadWriteCreate, false});
  ASSERT_TRUE(db.ok());
  auto st = db->Prepare("SELECT ? IS NULL, ? = ''");
  ASSERT_TRUE(st.ok());
  st->Bind(1, std::string_view()).Bind(2, std::string_view());
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->ColumnInt(0), 0);
  EXPECT_EQ(st->ColumnInt(1), 1);
}

}  // namespace
}  // namespace dala::sql
