#include "dala/sync/bundle.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "dala/base/sqlite.h"

namespace dala::sync {
namespace {

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    dir_ = (std::filesystem::temp_directory_path() /
            ("dala_bundle_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) { return dir_ + "/" + name; }

  // A small bundle with one row in every table and `entries` log entries.
  std::string Write(const std::string& name, size_t entries = 3) {
    std::string path = Path(name);
    auto w = BundleWriter::Create(path);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    PublicKey server{};
    server.fill(0xAB);
    EXPECT_TRUE(w->SetHeader("dala.test/log", server, 1700000000000).ok());
    EXPECT_TRUE(w->AddProject({"psc", "Public service centres", 5}).ok());
    EXPECT_TRUE(w->AddForm({"ignored", "tally", "1", "psc", "{\"form\":true}", 6}).ok());
    EXPECT_TRUE(w->AddUser({"anna", "coordinator"}).ok());
    BundleDevice d;
    d.key.fill(0x11);
    d.volunteer = "aigerim";
    d.label = "green laptop";
    d.enrolled_ms = 7;
    d.enrolled_by = "admin";
    d.revoked_ms = 9;
    d.revoked_by = "admin";
    d.revoke_reason = "stolen";
    EXPECT_TRUE(w->AddDevice(d).ok());
    for (size_t i = 0; i < entries; ++i) {
      auto index = w->AppendLog("entry " + std::to_string(i) + std::string(1, '\0') + "binary");
      EXPECT_TRUE(index.ok());
      EXPECT_EQ(*index, i);
    }
    EXPECT_TRUE(w->AddCheckpoint(entries, "note\n").ok());
    BundleSubmission s;
    s.id.fill(0x22);
    s.form_id = "tally";
    s.answers_json = R"({"n":1})";
    s.heads = {Sha256("b"), Sha256("a")};
    s.conflicts = 2;
    s.review_state = "approved";
    EXPECT_TRUE(w->AddSubmission(s).ok());
    EXPECT_TRUE(w->Finish().ok());
    return path;
  }

  void Corrupt(const std::string& path, const std::string& sql) {
    sql::OpenOptions o;
    o.wal = false;
    auto db = sql::Database::Open(path, o);
    ASSERT_TRUE(db.ok());
    Status s = db->Exec(sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::string dir_;
};

TEST_F(BundleTest, WrittenBundleReadsBackEveryTable) {
  auto r = BundleReader::Open(Write("b.bundle"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const BundleMeta& m = r->meta();
  EXPECT_EQ(m.format, "dala-bundle-1");
  EXPECT_EQ(m.origin, "dala.test/log");
  ASSERT_TRUE(m.server_key.has_value());
  EXPECT_EQ((*m.server_key)[0], 0xAB);
  EXPECT_EQ(m.exported_ms, 1700000000000);
  EXPECT_EQ(m.log_size, 3u);

  auto projects = r->Projects();
  ASSERT_TRUE(projects.ok());
  ASSERT_EQ(projects->size(), 1u);
  EXPECT_EQ((*projects)[0].title, "Public service centres");

  auto forms = r->Forms();
  ASSERT_TRUE(forms.ok());
  ASSERT_EQ(forms->size(), 1u);
  EXPECT_EQ((*forms)[0].hash_hex, ToHex(Sha256("{\"form\":true}")));  // computed, not taken
  EXPECT_EQ((*forms)[0].document, "{\"form\":true}");

  auto users = r->Users();
  ASSERT_TRUE(users.ok());
  EXPECT_EQ((*users)[0].role, "coordinator");

  auto devices = r->Devices();
  ASSERT_TRUE(devices.ok());
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ((*devices)[0].revoke_reason, "stolen");
  EXPECT_EQ((*devices)[0].revoked_ms, 9);

  auto cps = r->Checkpoints();
  ASSERT_TRUE(cps.ok());
  ASSERT_EQ(cps->size(), 1u);
  EXPECT_EQ((*cps)[0].size, 3u);

  SubmissionId id{};
  id.fill(0x22);
  auto s = r->FindSubmission(id);
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->heads, (std::vector<Hash>{Sha256("b"), Sha256("a")}));  // as listed
  EXPECT_EQ((*s)->conflicts, 2);
  EXPECT_EQ(*r->SubmissionCount(), 1u);
  SubmissionId other{};
  auto none = r->FindSubmission(other);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(BundleTest, ShortSubmissionIdsResolveByTheirEndNeverTheirStart) {
  std::string path = Path("ids.bundle");
  {
    auto w = BundleWriter::Create(path);
    ASSERT_TRUE(w.ok());
    PublicKey server{};
    ASSERT_TRUE(w->SetHeader("dala.test/log", server, 1).ok());
    // Two ids made in the same millisecond: the same first 8 digits.
    for (uint8_t last : {0xA1, 0xB2}) {
      BundleSubmission s;
      s.id.fill(0x01);
      s.id[14] = last;
      s.id[15] = last;
      s.form_id = "tally";
      s.answers_json = "{}";
      ASSERT_TRUE(w->AddSubmission(s).ok());
    }
    ASSERT_TRUE(w->Finish().ok());
  }
  auto r = BundleReader::Open(path);
  ASSERT_TRUE(r.ok());
  auto by_end = r->ResolveSubmission("0101a1a1");
  ASSERT_TRUE(by_end.ok()) << by_end.status().ToString();
  EXPECT_EQ((*by_end)[15], 0xA1);
  auto by_end_upper = r->ResolveSubmission("0101B2B2");
  ASSERT_TRUE(by_end_upper.ok());
  EXPECT_EQ((*by_end_upper)[15], 0xB2);
  EXPECT_EQ(r->ResolveSubmission("01010101").status().reason(), "no_such_record");  // a start, shared: never matched
  EXPECT_EQ(r->ResolveSubmission("c0ffee00").status().reason(), "no_such_record");
  EXPECT_EQ(r->ResolveSubmission("01a1a1").status().reason(), "bad_record_id");  // fewer than 8 digits
  EXPECT_EQ(r->ResolveSubmission("a1a1'--").status().reason(), "bad_record_id");
  EXPECT_EQ(r->ResolveSubmission("01%a1").status().reason(), "bad_record_id");  // no LIKE wildcards
}

TEST_F(BundleTest, LogStreamsInOrderInBatchesWithBinaryBytesIntact) {
  auto r = BundleReader::Open(Write("b.bundle", 10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->LogRowCount(), 10u);
  auto cursor = r->Log();
  ASSERT_TRUE(cursor.ok());
  std::vector<LogEntry> batch;
  std::vector<uint64_t> seen;
  for (;;) {
    auto n = cursor->Next(4, &batch);
    ASSERT_TRUE(n.ok());
    if (*n == 0) break;
    EXPECT_LE(*n, 4u);
    for (const LogEntry& e : batch) {
      seen.push_back(e.index);
      EXPECT_EQ(e.envelope, "entry " + std::to_string(e.index) + std::string(1, '\0') + "binary");
    }
  }
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  std::vector<uint64_t> again;
  ASSERT_TRUE(r->ForEachLogEntry([&](uint64_t i, std::string_view) {
                 again.push_back(i);
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(again, seen);
  size_t prefixes = 0;
  ASSERT_TRUE(r->ForEachLogPrefix(5, [&](uint64_t, std::string_view p) {
                 EXPECT_EQ(p, "entry");
                 ++prefixes;
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(prefixes, 10u);
  auto at = r->LogEntryAt(7);
  ASSERT_TRUE(at.ok() && at->has_value());
  EXPECT_EQ(at->value().substr(0, 7), "entry 7");
  auto past = r->LogEntryAt(10);
  ASSERT_TRUE(past.ok());
  EXPECT_FALSE(past->has_value());
}

TEST_F(BundleTest, VisitorFailureStopsTheStream) {
  auto r = BundleReader::Open(Write("b.bundle", 5));
  ASSERT_TRUE(r.ok());
  int visits = 0;
  Status s = r->ForEachLogEntry(
      [&](uint64_t, std::string_view) { return ++visits == 2 ? Status::Internal("enough") : Status::Ok(); });
  EXPECT_EQ(s.message(), "enough");
  EXPECT_EQ(visits, 2);
}

TEST_F(BundleTest, SubmissionsStreamInBatches) {
  std::string path = Path("many.bundle");
  {
    auto w = BundleWriter::Create(path);
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 7; ++i) {
      BundleSubmission s;
      s.id.fill(static_cast<uint8_t>(i + 1));
      s.answers_json = "{}";
      s.review_state = "received";
      ASSERT_TRUE(w->AddSubmission(s).ok());
    }
    ASSERT_TRUE(w->Finish().ok());
  }
  auto r = BundleReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<size_t> sizes;
  ASSERT_TRUE(r->ForEachSubmissionBatch(3, [&](std::vector<BundleSubmission>& rows) {
                 sizes.push_back(rows.size());
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 1}));
  EXPECT_EQ(r->meta().log_size, 0u);
}

// --- the writer refuses ---------------------------------------------------------------------

TEST_F(BundleTest, WriterRefusesAnExistingFile) {
  std::string path = Path("exists");
  std::ofstream(path) << "precious";
  auto w = BundleWriter::Create(path);
  EXPECT_EQ(w.status().code(), Status::Code::kAlreadyExists);
  std::ifstream in(path);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
}

TEST_F(BundleTest, AbandonedWriterLeavesNoFileBehind) {
  std::string path = Path("abandoned.bundle");
  {
    auto w = BundleWriter::Create(path);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->AppendLog("x").ok());
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(BundleTest, WriterCannotBeUsedAfterFinish) {
  std::string path = Path("done.bundle");
  auto w = BundleWriter::Create(path);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_FALSE(w->AppendLog("late").ok());
  EXPECT_FALSE(w->Finish().ok());
  EXPECT_TRUE(BundleReader::Open(path).ok());
}

TEST_F(BundleTest, WriterRefusesADuplicateRow) {
  auto w = BundleWriter::Create(Path("dup.bundle"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->AddUser({"anna", "coordinator"}).ok());
  EXPECT_FALSE(w->AddUser({"anna", "admin"}).ok());
}

// --- the reader refuses ---------------------------------------------------------------------

TEST_F(BundleTest, MissingFileIsNotFound) {
  auto r = BundleReader::Open(Path("nothing"));
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_NE(r.status().message().find("no bundle at"), std::string::npos);
}

TEST_F(BundleTest, FileThatIsNotSqliteIsRefusedInOneMessage) {
  std::string path = Path("text.bundle");
  std::ofstream(path) << std::string(4096, 'x');
  auto r = BundleReader::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("is not a Dala audit bundle"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
}

TEST_F(BundleTest, EmptyFileIsNotABundle) {
  std::string path = Path("empty.bundle");
  std::ofstream{path};
  auto r = BundleReader::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("is not a Dala audit bundle"), std::string::npos) << r.status().message();
}

TEST_F(BundleTest, OtherSqliteDatabaseIsNotABundle) {
  std::string path = Path("other.db");
  sql::OpenOptions o;
  o.mode = sql::OpenMode::kReadWriteCreate;
  o.wal = false;
  {
    auto db = sql::Database::Open(path, o);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE profile(key TEXT, value TEXT)").ok());
  }
  auto r = BundleReader::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("has no bundle_meta table"), std::string::npos) << r.status().message();
}

TEST_F(BundleTest, WrongFormatStringIsRefused) {
  std::string path = Write("b.bundle");
  Corrupt(path, "UPDATE bundle_meta SET value = 'dala-bundle-2' WHERE key = 'format'");
  auto r = BundleReader::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("dala-bundle-2"), std::string::npos) << r.status().message();
}

TEST_F(BundleTest, MissingFormatIsAnUnfinishedExport) {
  std::string path = Write("b.bundle");
  Corrupt(path, "DELETE FROM bundle_meta WHERE key = 'format'");
  auto r = BundleReader::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no format"), std::string::npos) << r.status().message();
}

TEST_F(BundleTest, MissingTableIsRefused) {
  for (const char* table : {"log", "checkpoints", "devices", "submissions", "forms", "users", "projects"}) {
    std::string path = Write(std::string(table) + ".bundle");
    Corrupt(path, std::string("DROP TABLE ") + table);
    auto r = BundleReader::Open(path);
    ASSERT_FALSE(r.ok()) << table;
    EXPECT_NE(r.status().message().find(std::string("no ") + table + " table"), std::string::npos)
        << r.status().message();
  }
}

TEST_F(BundleTest, MissingColumnIsRefused) {
  std::string path = Write("b.bundle");
  Corrupt(path, "ALTER TABLE devices DROP COLUMN revoke_reason");
  auto r = BundleReader::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("revoke_reason"), std::string::npos) << r.status().message();
}

TEST_F(BundleTest, RowsOfTheWrongShapeAreCorruptionNamingTheTable) {
  // Each reader is closed before the next change: an open reader holds a
  // read transaction, which keeps writers out.
  std::string path = Write("b.bundle");
  Corrupt(path, "PRAGMA ignore_check_constraints = ON; UPDATE devices SET key = x'0102'");
  {
    auto r = BundleReader::Open(path);
    ASSERT_TRUE(r.ok());
    auto devices = r->Devices();
    EXPECT_EQ(devices.status().code(), Status::Code::kCorruption);
    EXPECT_NE(devices.status().message().find("devices"), std::string::npos);
  }
  Corrupt(path, "UPDATE submissions SET heads = '[\"zz\"]'");
  {
    auto r = BundleReader::Open(path);
    ASSERT_TRUE(r.ok());
    Status s = r->ForEachSubmissionBatch(10, [](std::vector<BundleSubmission>&) { return Status::Ok(); });
    EXPECT_EQ(s.code(), Status::Code::kCorruption);
    EXPECT_NE(s.message().find("submissions"), std::string::npos) << s.message();
  }
  Corrupt(path, "UPDATE submissions SET heads = '[]', conflicts = 'many'");
  {
    auto r = BundleReader::Open(path);
    ASSERT_TRUE(r.ok());
    SubmissionId id{};
    id.fill(0x22);
    EXPECT_EQ(r->FindSubmission(id).status().code(), Status::Code::kCorruption);
  }
  Corrupt(path, "UPDATE devices SET key = zeroblob(32), enrolled_ms = 'yesterday'");
  {
    auto r = BundleReader::Open(path);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->Devices().status().code(), Status::Code::kCorruption);
  }
}

TEST_F(BundleTest, OpenReaderKeepsItsSnapshotWhileSomethingTriesToWrite) {
  std::string path = Write("b.bundle");
  auto r = BundleReader::Open(path);
  ASSERT_TRUE(r.ok());
  sql::OpenOptions o;
  o.wal = false;
  o.busy_timeout_ms = 10;
  auto db = sql::Database::Open(path, o);
  ASSERT_TRUE(db.ok());
  EXPECT_FALSE(db->Exec("DELETE FROM log").ok());
  EXPECT_EQ(*r->LogRowCount(), 3u);
}

TEST_F(BundleTest, MetaValuesThatAreNotNumbersOrKeysAreLeftEmpty) {
  std::string path = Write("b.bundle");
  Corrupt(path, "UPDATE bundle_meta SET value = 'xyz' WHERE key IN ('server_key', 'log_size', 'exported_ms')");
  auto r = BundleReader::Open(path);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->meta().server_key.has_value());
  EXPECT_FALSE(r->meta().log_size.has_value());
  EXPECT_FALSE(r->meta().exported_ms.has_value());
  EXPECT_EQ(r->meta().server_key_hex, "xyz");
}

TEST_F(BundleTest, DamagedPagesAreReportedAsADamagedBundle) {
  std::string path = Write("b.bundle", 400);
  // Keep the schema page and bundle_meta's root (pages 1 and 2, the first
  // table created); overwrite every page after them, the log's included.
  auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 3u * 4096);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2 * 4096);
    std::string junk(size - 2 * 4096, '\xFF');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto r = BundleReader::Open(path);
  if (!r.ok()) {
    EXPECT_NE(r.status().message().find(path), std::string::npos);
    return;
  }
  Status s = r->ForEachLogEntry([](uint64_t, std::string_view) { return Status::Ok(); });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is damaged"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace dala::sync
