// Indicators read from the counts the store keeps as records are written
// (indicator_counts) say exactly what reading every record's answers says,
// after inserts, edits, reviews, rejections, merges and refused requests,
// whatever types a later form version gives the questions; and the
// counts are filled from the records of a database that had none.

#include "indicators.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "indicator_counts.h"
#include "store_test_util.h"

namespace dala::server {
namespace {

using nlohmann::json;
using sync::SubmissionId;

constexpr const char* kForm = R"({"dala_form":1,"id":"visit","version":"1","title":"Visit",
  "languages":["en"],"default_language":"en","duplicate_key":["centre","visit_date"],
  "lists":{"regions":[{"name":"ala","label":"Almaty"},{"name":"ast","label":"Astana"}],
           "langs":[{"name":"kk","label":"Kazakh"},{"name":"ru","label":"Russian"},{"name":"en","label":"English"}],
           "kinds":[{"name":"queue","label":"Queue"},{"name":"rude","label":"Rude"}]},
  "questions":[{"type":"select_one","name":"region","label":"Region","list":"regions"},
               {"type":"text","name":"centre","label":"Centre","required":true},
               {"type":"date","name":"visit_date","label":"Visit date","required":true},
               {"type":"integer","name":"queue","label":"Queue"},
               {"type":"decimal","name":"wait","label":"Wait"},
               {"type":"select_multiple","name":"langs","label":"Languages","list":"langs"},
               {"type":"rating","name":"clean","label":"Clean","scale":5},
               {"type":"repeat","name":"issues","label":"Issues","children":[
                 {"type":"select_one","name":"kind","label":"Kind","list":"kinds"},
                 {"type":"integer","name":"minutes","label":"Minutes"}]}]})";

// The same form as a later version might have it: questions of other
// types under the same names, so stored answers do not fit them.
constexpr const char* kRetypedForm = R"({"dala_form":1,"id":"visit","version":"2","title":"Visit",
  "languages":["en"],"default_language":"en",
  "lists":{"kinds":[{"name":"queue","label":"Queue"},{"name":"rude","label":"Rude"}]},
  "questions":[{"type":"integer","name":"region","label":"Region"},
               {"type":"select_one","name":"queue","label":"Queue","list":"kinds"},
               {"type":"integer","name":"langs","label":"Languages"},
               {"type":"decimal","name":"clean","label":"Clean"},
               {"type":"select_multiple","name":"wait","label":"Wait","list":"kinds"},
               {"type":"rating","name":"issues","label":"Issues","scale":3},
               {"type":"integer","name":"kind","label":"Kind"}]})";

// A third version in which the centre, a text question before, is a
// choice from a list: the records already stored have answers to count
// there once it is published.
constexpr const char* kCentreChoiceForm = R"({"dala_form":1,"id":"visit","version":"3","title":"Visit",
  "languages":["en"],"default_language":"en",
  "lists":{"centres":[{"name":"ala_01","label":"Almaty 1"},{"name":"ala_02","label":"Almaty 2"},
                      {"name":"ast_01","label":"Astana 1"}]},
  "questions":[{"type":"select_one","name":"centre","label":"Centre","list":"centres"},
               {"type":"date","name":"visit_date","label":"Visit date"}]})";

json Answers(const std::string& region, const std::string& centre, int queue, double wait, json langs, int clean,
             json issues) {
  return {{"region", region}, {"centre", centre}, {"visit_date", "2025-12-31"}, {"queue", queue},
          {"wait", wait},     {"langs", langs},   {"clean", clean},              {"issues", issues}};
}

class IndicatorCountsTest : public testing::ServiceTest {
 protected:
  IndicatorCountsTest() : ServiceTest(kForm) {}
  void SetUp() override {
    ServiceTest::SetUp();
    if (HasFatalFailure()) return;
    for (auto* laptop : {&alma_, &bota_}) {
      laptop->device = EnrollLaptop(laptop->key.public_key(), IssueLaptopCode(laptop == &alma_ ? "alma" : "bota"));
    }
    // Only what published versions read is counted: the retyped version
    // is one of them.
    ASSERT_TRUE(service_->PublishForm(kRetypedForm, "p").ok());
  }

  // The paths of the kept count rows of form visit.
  std::set<std::string> CountedPaths() {
    auto rows = store_->IndicatorCounts("visit", "", "");
    EXPECT_TRUE(rows.ok());
    std::set<std::string> paths;
    if (rows.ok())
      for (const IndicatorCountRow& row : *rows) paths.insert(row.path);
    return paths;
  }

  struct Laptop {
    explicit Laptop(sync::Random& random) : key(sync::SigningKey::Generate(random)) {}
    sync::SigningKey key;
    Device device;
    uint64_t sequence = 0;
    sync::Hash last{};
  };

  // Sends `answers` from `laptop` as a new record, or as a new revision of
  // `of` on its current heads; the record.
  SubmissionId Send(Laptop& laptop, const json& answers, SubmissionId of = {}, bool accepted = true) {
    std::vector<sync::Hash> parents;
    if (!sync::IsZero(of)) parents = *service_->Heads(of);
    sync::EnvelopeFields f = Fields(answers, of, parents);
    f.sequence = ++laptop.sequence;
    f.previous = laptop.last;
    std::string bytes = Seal(laptop.key, std::move(f));
    auto e = sync::Envelope::Parse(bytes);
    if (accepted) laptop.last = e->id();
    clock_.Advance(1000);
    sync::SyncRequest request;
    request.envelopes = {bytes};
    auto r = service_->HandleSync(laptop.device, request);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.ok() && r->rejected.empty(), accepted)
        << (r.ok() && !r->rejected.empty() ? r->rejected[0].code + " " + r->rejected[0].reason : "");
    if (!accepted) --laptop.sequence;
    return e->submission();
  }

  // A record's summary as the store tests put it directly: With sets its
  // place and answers (a second later each time), Row reads it back.
  struct DirectRecord {
    IndicatorCountsTest* test;
    SubmissionSummary s;
    explicit DirectRecord(IndicatorCountsTest* t) : test(t) {
      s.id = sync::NewSubmissionId(t->clock_, t->random_);
      s.form_id = "visit";
      s.review_state = "received";
    }
    SubmissionSummary With(const std::string& region, const std::string& centre, const json& answers) {
      s.region = region;
      s.centre = centre;
      s.answers_json = answers.dump();
      s.updated_ms += 1000;
      return s;
    }
    SubmissionSummary Row() const {
      auto found = test->store_->FindSubmission(s.id);
      EXPECT_TRUE(found.ok() && found->has_value());
      return found.ok() && found->has_value() ? **found : SubmissionSummary{};
    }
  };

  // The indicators from the kept counts and from every record's answers,
  // for each split and for the filters the counts answer.
  void ExpectCountsAgreeWithRecords(std::vector<const char*> more_versions = {}) {
    std::vector<std::shared_ptr<const schema::Form>> forms{form_};
    more_versions.push_back(kRetypedForm);
    for (const char* document : more_versions) {
      auto form = schema::Form::Load(document);
      ASSERT_TRUE(form.ok()) << form.status().ToString();
      forms.push_back(*form);
    }
    for (const auto& form : forms)
      for (IndicatorSplit split : {IndicatorSplit::kNone, IndicatorSplit::kRegion, IndicatorSplit::kCentre}) {
      for (auto [region, centre] : {std::pair{"", ""}, {"ala", ""}, {"", "ala_02"}, {"ast", "ast_01"}}) {
        SubmissionFilter f;
        f.form_id = "visit";
        f.region = region;
        f.centre = centre;
        auto counted = ComputeIndicators(*store_, *form, f, split);
        auto read = ComputeIndicatorsFromRecords(*store_, *form, f, split);
        ASSERT_TRUE(counted.ok() && read.ok());
        EXPECT_EQ(counted->dump(2), read->dump(2))
            << "version " << form->version() << " region '" << region << "' centre '" << centre << "'";
      }
    }
  }

  Laptop alma_{random_};
  Laptop bota_{random_};
};

INSTANTIATE_TEST_SUITE_P(, IndicatorCountsTest, testing::EachStore(), testing::StoreName);
using SqliteIndicatorCountsTest = testing::SqliteOnly<IndicatorCountsTest>;

TEST_P(IndicatorCountsTest, CountsKeptThroughEditsReviewsRejectionsAndMergesAgreeWithTheRecords) {
  ExpectCountsAgreeWithRecords();  // no records yet
  SubmissionId a = Send(alma_, Answers("ala", "ala_01", 3, 2.5, {"kk", "ru"}, 4, json::array()));
  SubmissionId b = Send(alma_, Answers("ala", "ala_02", 0, 0.1, {"en"}, 5,
                                       {{{"kind", "queue"}, {"minutes", 40}}, {{"kind", "rude"}}}));
  SubmissionId c = Send(bota_, Answers("ast", "ast_01", 12, 1e-3, json::array(), 1, {{{"kind", "rude"}, {"minutes", 12}}}));
  // Bota's record of alma's visit: a duplicate, merged below.
  SubmissionId d = Send(bota_, Answers("ala", "ala_02", 7, 3.25, {"ru"}, 2, json::array()));
  // A record with few answers.
  Send(bota_, {{"region", "ast"}, {"centre", "ast_01"}, {"visit_date", "2025-12-30"}});
  ExpectCountsAgreeWithRecords();
  // Nulls at the top and inside a repeat, and one choice twice: what the
  // sync counts as it verifies a new record is what its stored text counts.
  Send(alma_, {{"region", "ala"}, {"centre", "ala_03"}, {"visit_date", "2025-12-28"}, {"queue", nullptr},
               {"langs", json::array()}, {"issues", {{{"kind", "rude"}, {"minutes", nullptr}}, {{"kind", "rude"}}}}});
  ExpectCountsAgreeWithRecords();
  // Answers the form does not take are refused and count nothing.
  Send(bota_, {{"region", "ast"}, {"centre", "ast_01"}, {"visit_date", "2025-12-29"}, {"queue", "many"}}, {},
       /*accepted=*/false);
  ExpectCountsAgreeWithRecords();

  // A volunteer's edit moves a record to another centre and region.
  Send(alma_, Answers("ast", "ast_01", 4, 2.5, {"kk"}, 4, json::array()), a);
  ExpectCountsAgreeWithRecords();
  // A coordinator's correction.
  CoordinatorEdit edit;
  edit.by = "aigerim";
  edit.answers_json = Answers("ala", "ala_02", 1, 0.5, {"en", "kk"}, 3, {{{"kind", "queue"}, {"minutes", 5}}}).dump();
  ASSERT_TRUE(service_->Edit(b, edit).ok());
  ExpectCountsAgreeWithRecords();
  // Reviews: approved changes nothing; rejected takes the record out; sent
  // back after a rejection brings it back.
  ASSERT_TRUE(service_->Review(b, "aigerim", "approved", "").ok());
  ASSERT_TRUE(service_->Review(c, "aigerim", "rejected", "not a real visit").ok());
  ExpectCountsAgreeWithRecords();
  ASSERT_TRUE(service_->Review(c, "aigerim", "has_issues", "check the queue").ok());
  ExpectCountsAgreeWithRecords();
  // A merge takes the duplicate out.
  ASSERT_TRUE(service_->DecideDuplicate(d, b, "merged_into", "aigerim").ok());
  ExpectCountsAgreeWithRecords();
  // Bad requests change nothing.
  EXPECT_FALSE(service_->Review(a, "aigerim", "maybe", "").ok());
  EXPECT_FALSE(service_->DecideDuplicate(a, a, "merged_into", "aigerim").ok());
  ExpectCountsAgreeWithRecords();

  auto split = ComputeIndicators(*store_, *form_, SubmissionFilter{.form_id = "visit"}, IndicatorSplit::kRegion);
  ASSERT_TRUE(split.ok());
  // a, b, c (sent back after its rejection), the record of few answers and the one with nulls
  EXPECT_EQ((*split)["records"], 5);
}

// A text, date or time answer is read by no indicator: counted as a
// possible choice, each distinct centre and date added a row that a sync
// wrote and nothing read.
TEST_P(IndicatorCountsTest, TextAndDateAnswersAddNoCountRows) {
  Send(alma_, Answers("ala", "ala_01", 3, 2.5, {"kk", "ru"}, 4, {{{"kind", "queue"}, {"minutes", 40}}}));
  Send(bota_, Answers("ast", "ast_01", 9, 0.25, {"en"}, 2, json::array()));
  std::set<std::string> paths = CountedPaths();
  EXPECT_EQ(paths.count("centre"), 0u);
  EXPECT_EQ(paths.count("visit_date"), 0u);
  // What the indicators read is still counted, under both versions' types.
  for (const char* read : {"", "region", "queue", "wait", "langs", "clean", "issues", "issues/kind", "issues/minutes"})
    EXPECT_EQ(paths.count(read), 1u) << "'" << read << "'";
  ExpectCountsAgreeWithRecords();
}

TEST_P(IndicatorCountsTest, AVersionThatMakesATextQuestionAChoiceCountsTheRecordsAlreadyStored) {
  Send(alma_, Answers("ala", "ala_01", 3, 2.5, {"kk"}, 4, json::array()));
  SubmissionId b = Send(bota_, Answers("ast", "ast_01", 9, 0.25, {"en"}, 2, json::array()));
  Send(alma_, Answers("ala", "ala_02", 1, 1.5, {"ru"}, 3, json::array()));
  ASSERT_TRUE(service_->Review(b, "aigerim", "rejected", "").ok());
  ASSERT_EQ(CountedPaths().count("centre"), 0u);
  ASSERT_TRUE(service_->PublishForm(kCentreChoiceForm, "p").ok());
  EXPECT_EQ(CountedPaths().count("centre"), 1u);
  ExpectCountsAgreeWithRecords({kCentreChoiceForm});
  auto centres = ComputeIndicators(*store_, *schema::Form::Load(kCentreChoiceForm).value(),
                                   SubmissionFilter{.form_id = "visit"}, IndicatorSplit::kNone);
  ASSERT_TRUE(centres.ok());
  EXPECT_EQ((*centres)["questions"][0]["answered"], 2) << "the rejected record is not counted";
  // Records sent after it are counted under the wider plan, and publishing
  // the same version again changes nothing.
  Send(bota_, Answers("ast", "ast_01", 2, 0.5, {"kk"}, 5, json::array()));
  ASSERT_TRUE(service_->PublishForm(kCentreChoiceForm, "p").ok());
  ExpectCountsAgreeWithRecords({kCentreChoiceForm});
}

// Another process (a `dala-server form publish` beside the running
// server, or another node over the same PostgreSQL) publishes the wider
// version: the running server's next sync counts under it too.
TEST_P(IndicatorCountsTest, AVersionPublishedByAnotherProcessWidensWhatTheNextSyncCounts) {
  Send(alma_, Answers("ala", "ala_01", 3, 2.5, {"kk"}, 4, json::array()));
  auto other = Open();
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  auto form = schema::Form::Load(kCentreChoiceForm);
  ASSERT_TRUE(form.ok());
  FormInfo info;
  info.hash = (*form)->hash_hex();
  info.form_id = (*form)->id();
  info.version = (*form)->version();
  info.project = "p";
  info.published_ms = kNow;
  ASSERT_TRUE((*other)->PublishForm(kCentreChoiceForm, info).ok());
  other->reset();
  Send(bota_, Answers("ala", "ala_02", 9, 0.25, {"en"}, 2, json::array()));
  ExpectCountsAgreeWithRecords({kCentreChoiceForm});
}

// A database from before the plans (SQLite's migration 13, PostgreSQL's
// 4) has rows for text answers: they go when the server next opens it,
// and the rows the indicators read stay as they were. Its records had no
// only head either (SQLite's 14, PostgreSQL's 5): they get none.
TEST_P(IndicatorCountsTest, RowsOfAnOlderDatabaseThatNoIndicatorReadsGoWhenItIsOpened) {
  SubmissionId a = Send(alma_, Answers("ala", "ala_01", 3, 2.5, {"kk", "ru"}, 4, {{{"kind", "queue"}, {"minutes", 40}}}));
  Send(bota_, Answers("ast", "ast_01", 9, 0.25, {"en"}, 2, json::array()));
  auto kept = store_->IndicatorCounts("visit", "", "");
  ASSERT_TRUE(kept.ok());
  const std::string junk = "INSERT INTO indicator_counts VALUES ('visit', 'ala', 'ala_01', 'centre', 2, 'ala_01', 1);";
  service_.reset();
  store_.reset();
  if (kind() == testing::StoreKind::kSqlite) {
    Damage(junk +
           "ALTER TABLE submissions DROP COLUMN only_head; ALTER TABLE submissions DROP COLUMN only_head_hlc;"
           "PRAGMA user_version = 12");
  } else {
#if DALA_TEST_POSTGRES
    auto db = pg::Connection::Open(conninfo_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Status s = db->Exec(junk +
                        "ALTER TABLE submissions DROP COLUMN only_head, DROP COLUMN only_head_hlc;"
                        "DROP TABLE indicator_counts_pending; UPDATE dala_schema_version SET version = 3");
    ASSERT_TRUE(s.ok()) << s.ToString();
#endif
  }
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(*reopened);
  EXPECT_EQ(CountedPaths().count("centre"), 0u);
  auto filled = store_->IndicatorCounts("visit", "", "");
  ASSERT_TRUE(filled.ok());
  EXPECT_EQ(*filled, *kept);
  ExpectCountsAgreeWithRecords();
  auto row = store_->FindSubmission(a);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->only_head, "");
  EXPECT_EQ((*row)->only_head_hlc, 0u);
}

TEST_F(SqliteIndicatorCountsTest, ADatabaseWithoutCountsGetsThemFromItsRecordsWhenOpened) {
  Send(alma_, Answers("ala", "ala_01", 3, 2.5, {"kk", "ru"}, 4, {{{"kind", "queue"}, {"minutes", 40}}}));
  SubmissionId b = Send(bota_, Answers("ast", "ast_01", 9, 0.25, {"en"}, 2, json::array()));
  ASSERT_TRUE(service_->Review(b, "aigerim", "rejected", "").ok());
  auto kept = store_->IndicatorCounts("visit", "", "");
  ASSERT_TRUE(kept.ok());
  ASSERT_FALSE(kept->empty());
  // As a database from before migration 8 is left by it: no counts, and
  // the pending mark.
  Damage("DELETE FROM indicator_counts; INSERT INTO indicator_counts_pending VALUES (8)");
  service_.reset();
  store_.reset();
  auto reopened = OpenSqliteStore(dir_.string(), false);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(*reopened);
  auto filled = store_->IndicatorCounts("visit", "", "");
  ASSERT_TRUE(filled.ok());
  EXPECT_EQ(*filled, *kept);
  ExpectCountsAgreeWithRecords();
}

TEST_P(IndicatorCountsTest, ATransactionThatFailsLeavesNoCountOfItsRecords) {
  SubmissionSummary s;
  s.id = sync::NewSubmissionId(clock_, random_);
  s.form_id = "visit";
  s.region = "ala";
  s.centre = "ala_01";
  s.answers_json = Answers("ala", "ala_01", 3, 2.5, {"kk"}, 4, json::array()).dump();
  s.review_state = "received";
  Status failed = store_->InTransaction([&]() -> Status {
    if (Status put = store_->PutSubmission(s); !put.ok()) return put;
    return Status::Internal("the sync fails after the record");
  });
  EXPECT_FALSE(failed.ok());
  auto none = store_->IndicatorCounts("visit", "", "");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(store_->InTransaction([&]() { return store_->PutSubmission(s); }).ok());
  auto kept = store_->IndicatorCounts("visit", "", "");
  ASSERT_TRUE(kept.ok());
  EXPECT_FALSE(kept->empty());
  ExpectCountsAgreeWithRecords();
}

// An edit's refresh counts the answers of the row it replaces as it parses
// them, and gives the counts with the new summary. The store takes them
// off only while its row still holds the text they were counted from;
// given for another text (the row changed after the caller read it), the
// row's own answers come off.
TEST_P(IndicatorCountsTest, CountsGivenForTheReplacedRowAreTakenOffOnlyWhileItHoldsTheirText) {
  SubmissionSummary s;
  s.id = sync::NewSubmissionId(clock_, random_);
  s.form_id = "visit";
  s.review_state = "received";
  auto put = [&](const std::string& region, const std::string& centre, const json& answers,
                 const json* replaced) {
    s.region = region;
    s.centre = centre;
    s.answers_json = answers.dump();
    s.replaced_answers_json.clear();
    s.replaced_answer_counts.reset();
    if (replaced != nullptr) {
      auto counts = std::make_shared<AnswerCounts>();
      CountAnswers(*replaced, counts.get());
      s.replaced_answers_json = replaced->dump();
      s.replaced_answer_counts = std::move(counts);
    }
    return store_->PutSubmission(s);
  };
  const json stored = Answers("ala", "ala_01", 3, 2.5, {"kk", "ru"}, 4, {{{"kind", "queue"}, {"minutes", 40}}});
  const json never_stored = Answers("ast", "ast_01", 9, 0.25, {"en"}, 2, json::array());
  const json edited = Answers("ala", "ala_01", 4, 2.5, {"kk"}, 5, json::array());
  ASSERT_TRUE(put("ala", "ala_01", stored, nullptr).ok());
  // Counts of answers the row does not hold: the row's own come off.
  ASSERT_TRUE(put("ala", "ala_01", edited, &never_stored).ok());
  ExpectCountsAgreeWithRecords();
  // Counts of what the row holds (`edited`, as the text it was stored
  // as), in a transaction as a sync makes them: taken off as given.
  const json again = Answers("ast", "ast_01", 1, 0.5, {"ru"}, 1, {{{"kind", "rude"}}});
  ASSERT_TRUE(store_->InTransaction([&] { return put("ast", "ast_01", again, &edited); }).ok());
  ExpectCountsAgreeWithRecords();
  auto split = ComputeIndicators(*store_, *form_, SubmissionFilter{.form_id = "visit"}, IndicatorSplit::kRegion);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ((*split)["records"], 1);
}

// An edit's refresh hands the store the row it read in the same
// transaction (PutSubmissionOver), and the store writes over it without
// reading it again: the row and the counts come out as PutSubmission's.
// Outside a transaction, or given another record's row, the store reads
// the row itself, so a row read long before changes nothing.
TEST_P(IndicatorCountsTest, PutOverTheRowReadInItsTransactionWritesAndCountsAsPut) {
  DirectRecord record(this);
  const SubmissionSummary& s = record.s;
  ASSERT_TRUE(store_->PutSubmission(record.With("ala", "ala_01", Answers("ala", "ala_01", 3, 2.5, {"kk", "ru"}, 4,
                                                                  {{{"kind", "queue"}, {"minutes", 40}}})))
                  .ok());
  const SubmissionSummary first = record.Row();

  // In a transaction, over the row read in it: the record moves to Astana.
  ASSERT_TRUE(store_->InTransaction([&]() -> Status {
                      DALA_ASSIGN_OR_RETURN(auto read, store_->FindSubmission(s.id));
                      if (!read) return Status::NotFound("the row is not there");
                      return store_->PutSubmissionOver(record.With("ast", "ast_01", Answers("ast", "ast_01", 9, 0.25,
                                                                                     {"en"}, 2, json::array())),
                                                       *read);
                    })
                  .ok());
  EXPECT_EQ(testing::SummaryColumns(record.Row()), testing::SummaryColumns(s));
  ExpectCountsAgreeWithRecords();

  // Outside a transaction, over the first row (read two writes ago): the
  // store reads the row as it is, and counts off what it holds.
  ASSERT_TRUE(store_->PutSubmissionOver(record.With("ala", "ala_02", Answers("ala", "ala_02", 1, 0.5, {"ru"}, 1,
                                                                      {{{"kind", "rude"}}})),
                                        first)
                  .ok());
  EXPECT_EQ(testing::SummaryColumns(record.Row()), testing::SummaryColumns(s));
  ExpectCountsAgreeWithRecords();

  // In a transaction, over another record's row: read again as well.
  SubmissionSummary other = first;
  other.id = sync::NewSubmissionId(clock_, random_);
  ASSERT_TRUE(store_->InTransaction([&] {
                      return store_->PutSubmissionOver(
                          record.With("ast", "ast_02", Answers("ast", "ast_02", 5, 1.5, {"kk"}, 3, json::array())), other);
                    })
                  .ok());
  EXPECT_EQ(testing::SummaryColumns(record.Row()), testing::SummaryColumns(s));
  EXPECT_FALSE(store_->FindSubmission(other.id)->has_value());
  ExpectCountsAgreeWithRecords();
  auto split = ComputeIndicators(*store_, *form_, SubmissionFilter{.form_id = "visit"}, IndicatorSplit::kRegion);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ((*split)["records"], 1);
}

// A new record's first revision: the ordered pass found no row of it in
// its transaction, and the store inserts without looking again, with the
// row and the counts PutSubmission gives. Where the transaction found
// wrong (a row has the id after all), SQLite's plain insert fails and
// leaves the row and its counts as they were; PostgreSQL, which looks
// again, writes over it as PutSubmission does. Outside a transaction
// both look, as PutSubmission does.
TEST_P(IndicatorCountsTest, PutNewOfAnIdThatHasARowNeverCountsItTwice) {
  DirectRecord record(this);
  const SubmissionSummary& s = record.s;
  auto records = [&] {
    auto split = ComputeIndicators(*store_, *form_, SubmissionFilter{.form_id = "visit"}, IndicatorSplit::kRegion);
    EXPECT_TRUE(split.ok());
    return split.ok() ? (*split)["records"] : json();
  };

  // In a transaction that found no row: inserted, counted once.
  ASSERT_TRUE(store_->InTransaction([&]() -> Status {
                      DALA_ASSIGN_OR_RETURN(auto read, store_->FindSubmission(s.id));
                      if (read) return Status::Internal("a row before the first put");
                      return store_->PutNewSubmission(record.With("ala", "ala_01", Answers("ala", "ala_01", 3, 2.5,
                                                                                    {"kk", "ru"}, 4, json::array())));
                    })
                  .ok());
  const SubmissionSummary first = record.Row();
  EXPECT_EQ(testing::SummaryColumns(first), testing::SummaryColumns(s));
  ExpectCountsAgreeWithRecords();
  EXPECT_EQ(records(), 1);

  // In a transaction, an id that has a row.
  const Status again = store_->InTransaction([&] {
    return store_->PutNewSubmission(
        record.With("ast", "ast_01", Answers("ast", "ast_01", 9, 0.25, {"en"}, 2, {{{"kind", "rude"}}})));
  });
  if (kind() == testing::StoreKind::kSqlite) {
    EXPECT_FALSE(again.ok());
    EXPECT_EQ(testing::SummaryColumns(record.Row()), testing::SummaryColumns(first));
  } else {
    EXPECT_TRUE(again.ok()) << again.message();
    EXPECT_EQ(testing::SummaryColumns(record.Row()), testing::SummaryColumns(s));
  }
  ExpectCountsAgreeWithRecords();
  EXPECT_EQ(records(), 1);

  // Outside a transaction the store looks, and writes over the row.
  ASSERT_TRUE(store_->PutNewSubmission(record.With("ala", "ala_02", Answers("ala", "ala_02", 1, 0.5, {"ru"}, 1,
                                                                     {{{"kind", "queue"}, {"minutes", 5}}})))
                  .ok());
  EXPECT_EQ(testing::SummaryColumns(record.Row()), testing::SummaryColumns(s));
  ExpectCountsAgreeWithRecords();
  EXPECT_EQ(records(), 1);
}

}  // namespace
}  // namespace dala::server
