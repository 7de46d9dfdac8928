// GET /api/v1/overview's coverage: every centre the form lists, visited or
// not, with its region's target; and a record that names no centre (an
// exit interview the citizen declined, say) counted in its region's records
// but never as a centre visited.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "api_test_util.h"

namespace dala::server {
namespace {

using nlohmann::json;

constexpr int64_t kStart = 1'700'000'000'000;

constexpr const char* kForm = R"({"dala_form":1,"id":"visit","version":"1","title":"Visit",
  "languages":["en"],"default_language":"en",
  "lists":{"centres":[{"name":"ala_01","label":"Almaty 1","region":"ala","target":30},
                      {"name":"ala_02","label":"Almaty 2","region":"ala","target":30},
                      {"name":"ast_01","label":"Astana 1","region":"ast","target":20}]},
  "questions":[{"type":"select_one","name":"centre","label":"Centre","list":"centres"}]})";

class OverviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status opened = world_.Open(testing::ScratchDirectory("dala_overview"), testing::PasswordHash());
    ASSERT_TRUE(opened.ok()) << opened.ToString();
    FormInfo info;
    info.hash = ToHex(sync::Sha256(kForm));
    info.form_id = "visit";
    info.version = "1";
    info.project = "p";
    info.published_ms = kStart;
    ASSERT_TRUE(world_.store_->PublishForm(kForm, info).ok());
    session_ = world_.LogIn("cora");
    ASSERT_FALSE(session_.empty());
  }

  void Record(uint8_t fill, const std::string& region, const std::string& centre) {
    SubmissionSummary s;
    s.id.fill(fill);
    s.form_id = "visit";
    s.form_version = "1";
    s.form_hash = ToHex(sync::Sha256(kForm));
    s.volunteer = "vera";
    s.created_ms = s.updated_ms = kStart;
    s.answers_json = "{}";
    s.heads = 1;
    s.review_state = "received";
    s.region = region;
    s.centre = centre;
    ASSERT_TRUE(world_.store_->PutSubmission(s).ok());
  }

  // The query as the HTTP edge hands it over, already split.
  HttpResponse Get(std::map<std::string, std::string> query) {
    HttpRequest request = testing::MakeRequest("GET", "/api/v1/overview", "", session_);
    request.query = std::move(query);
    return world_.router_.Dispatch(request);
  }

  json Coverage(std::map<std::string, std::string> query = {{"form", "visit"}}) {
    HttpResponse r = Get(std::move(query));
    EXPECT_EQ(r.status, 200) << r.body;
    json body = json::parse(r.body, nullptr, false);
    return body.is_object() ? body["coverage"] : json();
  }

  static json Row(const json& rows, const std::string& key, const std::string& name) {
    for (const json& row : rows)
      if (row[key] == name) return row;
    return json();
  }

  testing::ApiWorld world_{kStart, 5};
  HeaderMap session_;
};

TEST_F(OverviewTest, ARecordWithoutACentreIsCountedInItsRegionButNotAsACentreVisited) {
  Record(1, "ala", "ala_01");
  Record(2, "ala", "ala_01");
  Record(3, "", "");  // declined at the door: no region, no centre
  Record(4, "ala", "");
  json coverage = Coverage();

  json ala = Row(coverage["regions"], "region", "ala");
  EXPECT_EQ(ala["count"], 3);
  EXPECT_EQ(ala["centres"], 2);
  EXPECT_EQ(ala["visited"], 1);
  EXPECT_EQ(ala["target"], 60);
  json none = Row(coverage["regions"], "region", "");
  EXPECT_EQ(none["count"], 1);
  EXPECT_EQ(none["centres"], 0);
  EXPECT_EQ(none["visited"], 0);

  // The records without a centre still show, a row for each region.
  json expected = json::array({{{"centre", ""}, {"region", ""}, {"count", 1}, {"target", 0}},
                               {{"centre", ""}, {"region", "ala"}, {"count", 1}, {"target", 0}}});
  json unplaced = json::array();
  for (const json& row : coverage["centres"])
    if (row["centre"] == "") unplaced.push_back(row);
  EXPECT_EQ(unplaced, expected);
}

TEST_F(OverviewTest, ACentreWithNoVisitIsListedWithItsTarget) {
  Record(1, "ala", "ala_01");
  json coverage = Coverage();
  json ast = Row(coverage["regions"], "region", "ast");
  EXPECT_EQ(ast["count"], 0);
  EXPECT_EQ(ast["centres"], 1);
  EXPECT_EQ(ast["visited"], 0);
  EXPECT_EQ(ast["target"], 20);
  json ala_02 = Row(coverage["centres"], "centre", "ala_02");
  EXPECT_EQ(ala_02["count"], 0);
  EXPECT_EQ(ala_02["region"], "ala");
  EXPECT_EQ(ala_02["target"], 30);
  EXPECT_TRUE(coverage["target_note"].get<bool>());
}

TEST_F(OverviewTest, ARegionFilterLeavesOutTheOtherRegionsCentres) {
  Record(1, "ala", "ala_01");
  Record(2, "ast", "ast_01");
  json coverage = Coverage({{"form", "visit"}, {"region", "ast"}});
  ASSERT_EQ(coverage["regions"].size(), 1u) << coverage.dump();
  EXPECT_EQ(coverage["regions"][0]["region"], "ast");
  ASSERT_EQ(coverage["centres"].size(), 1u) << coverage.dump();
  EXPECT_EQ(coverage["centres"][0]["centre"], "ast_01");
}

TEST_F(OverviewTest, RefusesSilentDaysThatAreNotANumberFromOneTo365) {
  for (const char* days : {"0", "366", "abc", "7x", "-1", "1000"}) {
    HttpResponse r = Get({{"stale_days", days}});
    EXPECT_EQ(r.status, 400) << days << ": " << r.body;
    EXPECT_NE(r.body.find("stale_days"), std::string::npos) << r.body;
  }
  EXPECT_EQ(Get({{"stale_days", "365"}}).status, 200);
}

}  // namespace
}  // namespace dala::server
