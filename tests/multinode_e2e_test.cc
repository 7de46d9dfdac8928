// Two dala-server nodes on one PostgreSQL database, end to end, with the
// real binaries (issue 15; docs/ARCHITECTURE.md, "Several nodes").
//
// Laptops alternate between the nodes, as behind a load balancer; a
// coordinator works on the other node; one node is killed with SIGKILL in
// the middle of a sync and started again; several laptops sync through both
// nodes at once. Then: every laptop converges, every envelope is in the log
// exactly once at one index, no two checkpoints share a size, and a bundle
// exported from either node is the same and passes `dala audit verify`
// with the laptops' receipts.
//
// The database server is the throwaway cluster ctest starts
// (tests/postgres/cluster.sh); DALA_TEST_POSTGRES names it.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "dala/base/sqlite.h"
#include "e2e_util.h"

namespace dala::e2e {
namespace {

using nlohmann::json;

std::string AdminConninfo() {
  const char* c = std::getenv("DALA_TEST_POSTGRES");
  return c != nullptr ? c : "";
}

CommandResult Psql(const std::string& conninfo, const std::string& sql) {
  return RunCommand({std::string(DALA_POSTGRES_BIN) + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql});
}

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

// Every row of the bundle at `path` as SQL text (sqlite3's .dump), without
// the moment it was exported: what two nodes exporting one log must agree on.
std::string BundleRows(const std::string& path) {
  auto dump = RunCommand({"/usr/bin/sqlite3", path, ".dump"});
  if (dump.exit_code != 0) return "";
  std::string out;
  size_t at = 0;
  while (at < dump.out.size()) {
    size_t end = dump.out.find('\n', at);
    if (end == std::string::npos) end = dump.out.size();
    std::string line = dump.out.substr(at, end - at);
    if (line.find("'exported_ms'") == std::string::npos) out += line + "\n";
    at = end + 1;
  }
  return out;
}

// Whether `j` holds `key` with `value` anywhere inside.
bool Holds(const json& j, const std::string& key, const json& value) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      if ((it.key() == key && it.value() == value) || Holds(it.value(), key, value)) return true;
  } else if (j.is_array()) {
    for (const json& x : j)
      if (Holds(x, key, value)) return true;
  }
  return false;
}

class MultiNodeE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(AdminConninfo().empty())
        << "DALA_TEST_POSTGRES is not set: these tests need the PostgreSQL cluster ctest starts "
           "(tests/postgres/cluster.sh)";
    database_ = "dala_multinode_" + std::to_string(::getpid());
    (void)Psql(AdminConninfo(), "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    auto made = Psql(AdminConninfo(), "CREATE DATABASE " + database_);
    ASSERT_EQ(made.exit_code, 0) << made.err;
    conninfo_ = AdminConninfo() + " dbname=" + database_;
  }
  void TearDown() override {
    nodes_[0].reset();
    nodes_[1].reset();
    if (!database_.empty()) (void)Psql(AdminConninfo(), "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
  }

  CommandResult Server(std::vector<std::string> args, const std::map<std::string, std::string>& e = {}) {
    args.insert(args.begin(), ServerBinary());
    return RunCommand(args, e);
  }
  CommandResult As(const std::string& who, std::vector<std::string> args) {
    args.insert(args.begin(), DalaBinary());
    return RunCommand(args, laptops_[who]);
  }
  std::string Collect(const std::string& who, const json& answers) {
    std::string path = dir_ / ("answers-" + std::to_string(files_++) + ".json");
    WriteFile(path, answers.dump());
    auto collected = As(who, {"collect", "psc_observation", "--answers", path});
    std::string id = FindUuid(collected.out);
    EXPECT_FALSE(id.empty()) << collected.out << collected.err;
    return id;
  }
  // The laptop's next sync goes to node `n`: what a load balancer in front
  // of both would do from one sync to the next.
  void PointAt(const std::string& who, int n) {
    auto db = sql::Database::Open(laptops_[who]["DALA_HOME"] + "/dala.db", {sql::OpenMode::kReadWrite});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto st = db->Prepare("UPDATE profile SET value = ? WHERE key = 'server_url'");
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(st->Bind(1, nodes_[n]->url()).Run().ok());
  }
  CommandResult Coord(int n, std::vector<std::string> args) {
    args.insert(args.begin(), {DalaBinary(), "coord"});
    return RunCommand(args, {{"DALA_SERVER", nodes_[n]->url()}, {"DALA_USER", "aigerim"},
                             {"DALA_PASSWORD", "coordinator-pw"}});
  }
  std::string Data(int n) const { return dir_ / ("node-" + std::to_string(n)); }

  // Node 0's data directory is made by `init --store`; node 1's is a copy
  // of it, key and all, as docs/DEPLOY.md says to add a node.
  void MakeDeployment() {
    auto init = Server({"init", "--data", Data(0), "--store", conninfo_});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    ASSERT_TRUE(std::filesystem::exists(Data(0) + "/store"));
    ASSERT_FALSE(std::filesystem::exists(Data(0) + "/dala-server.db")) << "the records went to SQLite";
    std::filesystem::copy(Data(0), Data(1), std::filesystem::copy_options::recursive);
    ASSERT_EQ(Server({"user", "add", "aigerim", "--role", "coordinator", "--data", Data(0)},
                     {{"DALA_PASSWORD", "coordinator-pw"}}).exit_code, 0);
    ASSERT_EQ(Server({"form", "publish", std::string(DALA_SOURCE_DIR) + "/schema/forms/psc_observation.json",
                      "--data", Data(1)}).exit_code, 0);
    for (int n : {0, 1}) {
      nodes_[n] = std::make_unique<ServerProcess>(Data(n));
      ASSERT_TRUE(nodes_[n]->ok()) << ReadFile(nodes_[n]->log_path());
    }
  }

  void AddLaptop(const std::string& who, int node) {
    ASSERT_EQ(Server({"user", "add", who, "--role", "volunteer", "--data", Data(node)}).exit_code, 0);
    laptops_[who] = {{"DALA_HOME", dir_ / ("laptop-" + who)}, {"DALA_PASSPHRASE", who + "-passphrase"}};
    ASSERT_EQ(As(who, {"init", "--lang", "en"}).exit_code, 0);
    std::string code = FindEnrollCode(Server({"enroll-code", who, "--data", Data(1 - node)}).out);
    auto enrolled = As(who, {"enroll", nodes_[node]->url(), code});
    ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
    auto forms = As(who, {"sync"});  // the forms, from the other node's publication
    ASSERT_EQ(forms.exit_code, 0) << forms.err;
  }

  // The bundle `dala-server export` writes from node `n`'s data directory.
  std::string Bundle(int n) {
    std::string path = dir_ / ("bundle-" + std::to_string(n) + "-" + std::to_string(files_++) + ".dala");
    auto r = Server({"export", "--bundle", path, "--data", Data(n)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  }

  TempDir dir_;
  std::string database_, conninfo_;
  std::unique_ptr<ServerProcess> nodes_[2];
  std::map<std::string, std::map<std::string, std::string>> laptops_;
  int files_ = 0;
};

TEST_F(MultiNodeE2ETest, LaptopsAlternatingBetweenNodesAndANodeKilledMidSyncConvergeIntoOneLog) {
  MakeDeployment();
  if (HasFatalFailure()) return;
  AddLaptop("askar", 0);
  AddLaptop("dina", 1);
  if (HasFatalFailure()) return;

  // Records made offline, synced through one node, then the other.
  std::string first = Collect("askar", Observation("ala_01", 12));
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  PointAt("askar", 1);
  Collect("askar", Observation("ala_02", 7));
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  Collect("dina", Observation("ala_02", 30));
  ASSERT_EQ(As("dina", {"sync"}).exit_code, 0);

  // A coordinator on node 1 corrects askar's first record; askar takes the
  // correction in through node 0.
  auto edited = Coord(1, {"edit", first, "--set", "queue_length=14"});
  ASSERT_EQ(edited.exit_code, 0) << edited.out << edited.err;
  auto reviewed = Coord(1, {"review", first, "--state", "has_issues", "--comment", "check the queue"});
  ASSERT_EQ(reviewed.exit_code, 0) << reviewed.out << reviewed.err;
  PointAt("askar", 0);
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  auto shown = As("askar", {"show", first, "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_TRUE(Holds(json::parse(shown.out), "queue_length", 14)) << shown.out;

  // Node 0 killed while dina's 40 records go to it two at a time. (Each
  // `dala collect` unlocks the key with Argon2id: records are costly here.)
  for (int i = 0; i < 40; ++i) Collect("dina", Observation("ala_01", i % 90));
  PointAt("dina", 0);
  auto log_size = [&] {
    auto r = Psql(conninfo_, "SELECT count(*) FROM envelopes");
    return r.exit_code == 0 ? std::atoi(r.out.c_str()) : -1;
  };
  const int before = log_size();
  std::thread killer([&] {
    // Once node 0 has committed two of the 20 batches, and long before the
    // last: one psql waits inside PostgreSQL, looking every 2 ms (at most
    // 10 s). Starting a psql per look took tens of milliseconds each, in
    // which a loaded machine's node could take all 20 batches.
    (void)Psql(conninfo_, "DO $$ DECLARE i int := 0; BEGIN WHILE (SELECT count(*) FROM envelopes) < " +
                              std::to_string(before + 4) +
                              " AND i < 5000 LOOP PERFORM pg_sleep(0.002); i := i + 1; END LOOP; END $$");
    nodes_[0]->Kill();
  });
  // The sync starts only once that psql is looking: its own start took
  // long enough on a loaded machine for a fast sync to send every batch.
  for (int look = 0; look < 500; ++look) {
    auto watching = Psql(conninfo_, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                                    "AND query LIKE 'DO $$ DECLARE i int%'");
    if (watching.exit_code == 0 && std::atoi(watching.out.c_str()) > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto interrupted = As("dina", {"sync", "--batch", "2"});
  killer.join();
  EXPECT_NE(interrupted.exit_code, 0) << "the sync ended before node 0 was killed: " << interrupted.out;
  EXPECT_LT(log_size(), before + 40) << "node 0 took every batch before it was killed";
  // The laptop resumes through the other node; nothing is lost or doubled.
  PointAt("dina", 1);
  auto resumed = As("dina", {"sync"});
  ASSERT_EQ(resumed.exit_code, 0) << interrupted.err << "\n" << resumed.err;
  const int port = nodes_[0]->port();
  nodes_[0] = std::make_unique<ServerProcess>(Data(0), port);
  ASSERT_TRUE(nodes_[0]->ok()) << ReadFile(nodes_[0]->log_path());

  // Everyone syncs once more through each node: nothing left to send.
  for (const char* who : {"askar", "dina"})
    for (int n : {0, 1}) {
      PointAt(who, n);
      auto r = As(who, {"sync"});
      ASSERT_EQ(r.exit_code, 0) << who << " via node " << n << ": " << r.err;
    }
  auto list = As("dina", {"list", "--json"});
  ASSERT_EQ(list.exit_code, 0);
  json rows = json::parse(list.out);
  EXPECT_EQ(rows.size(), 41u);
  for (const json& r : rows) EXPECT_EQ(r.value("sync", ""), "synced") << r.dump();

  // The same log through either node: the bundles hold the same rows,
  // all but the moment each was written.
  std::string b0 = Bundle(0), b1 = Bundle(1);
  const std::string d0 = BundleRows(b0), d1 = BundleRows(b1);
  EXPECT_FALSE(d0.empty());
  EXPECT_TRUE(d0 == d1) << "the two nodes exported different bundles (" << d0.size() << " and " << d1.size()
                        << " bytes of rows)";
  {
    auto db = sql::Database::Open(b0, {sql::OpenMode::kReadOnly});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto st = db->Prepare("SELECT count(*), count(DISTINCT envelope), min(idx), max(idx) FROM log");
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    ASSERT_TRUE(*st->Step());
    EXPECT_EQ(st->ColumnInt(0), st->ColumnInt(1)) << "an envelope is in the log twice";
    EXPECT_EQ(st->ColumnInt(2), 0);
    EXPECT_EQ(st->ColumnInt(3), st->ColumnInt(0) - 1) << "the log has a gap";
  }
  // One checkpoint per size, each signed once, in the database itself.
  auto dupes = Psql(conninfo_, "SELECT count(*) - count(DISTINCT size) FROM checkpoints");
  ASSERT_EQ(dupes.exit_code, 0) << dupes.err;
  EXPECT_EQ(dupes.out, "0\n");

  for (const char* who : {"askar", "dina"})
    ASSERT_EQ(As(who, {"receipts", "--export", dir_ / "receipts"}).exit_code, 0);
  for (const std::string& b : {b0, b1}) {
    auto audit = RunCommand({DalaBinary(), "audit", "verify", b, "--server-key", Data(0) + "/server.pub",
                             "--receipts", dir_ / "receipts"});
    EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  }
}

TEST_F(MultiNodeE2ETest, ManyLaptopsSyncingThroughBothNodesAtOnceNeverShareALogIndex) {
  MakeDeployment();
  if (HasFatalFailure()) return;
  const std::vector<std::string> people = {"v1", "v2", "v3", "v4"};
  for (size_t i = 0; i < people.size(); ++i) AddLaptop(people[i], static_cast<int>(i % 2));
  if (HasFatalFailure()) return;
  for (const std::string& who : people)
    for (int i = 0; i < 12; ++i) Collect(who, Observation(i % 2 ? "ala_01" : "ala_02", i));
  std::vector<std::thread> syncs;
  std::vector<int> exits(people.size(), -1);
  std::vector<std::string> errors(people.size());
  for (size_t i = 0; i < people.size(); ++i)
    syncs.emplace_back([&, i] {
      auto r = As(people[i], {"sync", "--batch", "2"});
      exits[i] = r.exit_code;
      errors[i] = r.err;
    });
  for (std::thread& t : syncs) t.join();
  for (size_t i = 0; i < people.size(); ++i) EXPECT_EQ(exits[i], 0) << people[i] << ": " << errors[i];

  auto log = Psql(conninfo_, "SELECT count(*), count(DISTINCT log_index), max(log_index) + 1 FROM envelopes");
  ASSERT_EQ(log.exit_code, 0) << log.err;
  int count = 0, distinct = 0, size = 0;
  ASSERT_EQ(std::sscanf(log.out.c_str(), "%d|%d|%d", &count, &distinct, &size), 3) << log.out;
  EXPECT_EQ(count, distinct);
  EXPECT_EQ(count, size) << "the log has a gap";
  EXPECT_GE(count, static_cast<int>(people.size()) * 12);
  auto dupes = Psql(conninfo_, "SELECT count(*) - count(DISTINCT size) FROM checkpoints");
  EXPECT_EQ(dupes.out, "0\n");
  // And the log verifies, through either node.
  for (int n : {0, 1}) {
    auto audit = RunCommand({DalaBinary(), "audit", "verify", Bundle(n), "--server-key", Data(0) + "/server.pub"});
    EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  }
}

TEST_F(MultiNodeE2ETest, AnSqliteDeploymentMovedToPostgresqlAuditsAsTheSameLog) {
  // An SQLite deployment as the demo makes one: a coordinator, a laptop,
  // records, a decision.
  const std::string dir = Data(0);
  ASSERT_EQ(Server({"init", "--data", dir}).exit_code, 0);
  ASSERT_EQ(Server({"user", "add", "aigerim", "--role", "coordinator", "--data", dir},
                   {{"DALA_PASSWORD", "coordinator-pw"}}).exit_code, 0);
  ASSERT_EQ(Server({"form", "publish", std::string(DALA_SOURCE_DIR) + "/schema/forms/psc_observation.json",
                    "--data", dir}).exit_code, 0);
  nodes_[0] = std::make_unique<ServerProcess>(dir);
  ASSERT_TRUE(nodes_[0]->ok());
  ASSERT_EQ(Server({"user", "add", "askar", "--role", "volunteer", "--data", dir}).exit_code, 0);
  laptops_["askar"] = {{"DALA_HOME", dir_ / "laptop-askar"}, {"DALA_PASSPHRASE", "askar-passphrase"}};
  ASSERT_EQ(As("askar", {"init", "--lang", "en"}).exit_code, 0);
  ASSERT_EQ(As("askar", {"enroll", nodes_[0]->url(), FindEnrollCode(Server({"enroll-code", "askar", "--data", dir}).out)})
                .exit_code, 0);
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  std::string first = Collect("askar", Observation("ala_01", 12));
  Collect("askar", Observation("ala_02", 3));
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  ASSERT_EQ(Coord(0, {"review", first, "--state", "approved"}).exit_code, 0);
  ASSERT_EQ(As("askar", {"sync"}).exit_code, 0);
  const int port = nodes_[0]->port();
  nodes_[0]->Stop();
  const std::string before = Bundle(0);

  auto moved = Server({"migrate", "--from", dir, "--to", conninfo_});
  ASSERT_EQ(moved.exit_code, 0) << moved.out << moved.err;
  EXPECT_NE(moved.out.find("Verified"), std::string::npos) << moved.out;
  // A second move into the same database is refused, and changes nothing.
  auto again = Server({"migrate", "--from", dir, "--to", conninfo_});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("not empty"), std::string::npos) << again.err;

  // The data directory now names the database; the server comes back on it.
  WriteFile(dir + "/store", conninfo_ + "\n");
  std::filesystem::rename(dir + "/dala-server.db", dir + "/dala-server.db.before-postgresql");
  nodes_[0] = std::make_unique<ServerProcess>(dir, port);
  ASSERT_TRUE(nodes_[0]->ok()) << ReadFile(nodes_[0]->log_path());
  Collect("askar", Observation("ala_01", 5));
  auto synced = As("askar", {"sync"});
  ASSERT_EQ(synced.exit_code, 0) << synced.err << "\n" << ReadFile(nodes_[0]->log_path());
  nodes_[0]->Stop();

  // The bundle from PostgreSQL holds the log the SQLite one held, and more;
  // the auditor verifies it with the laptop's receipts from both sides.
  const std::string after = Bundle(0);
  ASSERT_EQ(As("askar", {"receipts", "--export", dir_ / "receipts"}).exit_code, 0);
  auto audit_before = RunCommand({DalaBinary(), "audit", "verify", before, "--server-key", dir + "/server.pub"});
  EXPECT_EQ(audit_before.exit_code, 0) << audit_before.out << audit_before.err;
  auto audit_after = RunCommand({DalaBinary(), "audit", "verify", after, "--server-key", dir + "/server.pub",
                                 "--receipts", dir_ / "receipts"});
  EXPECT_EQ(audit_after.exit_code, 0) << audit_after.out << audit_after.err;
  auto log_of = [](const std::string& bundle) {
    auto db = sql::Database::Open(bundle, {sql::OpenMode::kReadOnly});
    std::vector<std::string> out;
    if (!db.ok()) return out;
    auto st = db->Prepare("SELECT envelope FROM log ORDER BY idx");
    if (!st.ok()) return out;
    while (*st->Step()) out.push_back(st->ColumnBlob(0));
    return out;
  };
  std::vector<std::string> old_log = log_of(before), new_log = log_of(after);
  ASSERT_FALSE(old_log.empty());
  ASSERT_GT(new_log.size(), old_log.size());
  EXPECT_TRUE(std::equal(old_log.begin(), old_log.end(), new_log.begin())) << "the move changed the log it copied";
}

TEST_F(MultiNodeE2ETest, InitRefusesADatabaseThatAlreadyHoldsADeployment) {
  MakeDeployment();
  if (HasFatalFailure()) return;
  auto again = Server({"init", "--data", dir_ / "third", "--store", conninfo_});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("already holds a Dala deployment"), std::string::npos) << again.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "third/server.key")) << "a refused init left a key behind";
  // The deployment is untouched: node 0 still answers with its users.
  auto users = Server({"user", "list", "--data", Data(0)});
  EXPECT_EQ(users.exit_code, 0) << users.err;
  EXPECT_NE(users.out.find("aigerim"), std::string::npos);
}

TEST_F(MultiNodeE2ETest, AnUnreachableDatabaseIsOneClearError) {
  auto init = Server({"init", "--data", dir_ / "nowhere", "--store", "host=/nonexistent-dir port=1 dbname=x"});
  EXPECT_NE(init.exit_code, 0);
  EXPECT_NE(init.err.find("cannot connect to PostgreSQL"), std::string::npos) << init.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "nowhere/server.key"));
}

}  // namespace
}  // namespace dala::e2e
