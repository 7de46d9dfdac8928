#include "dala/sync/audit_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace dala::sync {
namespace {

using nlohmann::json;

AuditReport FailedReport() {
  AuditReport r;
  r.bundle_path = "export.bundle";
  r.origin = "dala.test/log";
  r.server_key.fill(0xAB);
  r.counts.log_size = 3;
  r.counts.envelopes = 3;
  r.counts.revisions = 2;
  r.counts.events = 1;
  r.by_volunteer["aigerim"] = {2, 1};
  r.by_form["psc_observation"] = {2, 1};
  AuditProblem p;
  p.code = "chain.gap";
  p.message = "the chain lacks sequence 2";
  p.log_indices = {1, 2};
  p.envelope_ids = {Hash{}};
  p.author = PublicKey{};
  p.sequence = 2;
  r.problems.push_back(p);
  return r;
}

TEST(AuditReportTest, TextReportNumbersEachProblemWithItsRecordsAndFails) {
  std::string text = AuditReportText(FailedReport());
  EXPECT_NE(text.find("1. [chain.gap] the chain lacks sequence 2"), std::string::npos) << text;
  EXPECT_NE(text.find("log 1, 2 · id 000000000000… · author 0000000000000000 · sequence 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Verdict: FAILED. 1 problem found"), std::string::npos) << text;
  EXPECT_NE(text.find("(given out of band)"), std::string::npos) << text;
}

TEST(AuditReportTest, JsonReportCarriesEveryProblemField) {
  json j = json::parse(AuditReportJson(FailedReport()));
  EXPECT_FALSE(j["ok"].get<bool>());
  ASSERT_EQ(j["problems"].size(), 1u);
  const json& p = j["problems"][0];
  EXPECT_EQ(p["code"], "chain.gap");
  EXPECT_EQ(p["log_indices"], json::array({1, 2}));
  EXPECT_EQ(p["sequence"], 2);
  EXPECT_TRUE(p["submission"].is_null());
  EXPECT_EQ(j["by_volunteer"]["aigerim"]["revisions"], 2);
}

TEST(AuditReportTest, SelfAssertedServerKeyIsSaidLoudlyAndNeverPassesQuietly) {
  AuditReport r;
  r.server_key_self_asserted = true;
  std::string text = AuditReportText(r);
  EXPECT_NE(text.find("SELF-ASSERTED SERVER KEY"), std::string::npos) << text;
  EXPECT_NE(text.find("under a SELF-ASSERTED server key"), std::string::npos) << text;
  EXPECT_TRUE(json::parse(AuditReportJson(r))["server_key_self_asserted"].get<bool>());
}

TEST(AuditReportTest, ReportWithoutAnOriginSaysSo) {
  AuditReport r;
  EXPECT_NE(AuditReportText(r).find("(no origin)"), std::string::npos);
}

// A problem message can quote the bytes of a damaged envelope, and names
// come from the bundle's own tables: neither is promised to be UTF-8. The
// JSON report must still be JSON, not an exception out of the auditor.
TEST(AuditReportTest, JsonReportOfTextThatIsNotUtf8IsStillJson) {
  AuditReport r = FailedReport();
  r.problems[0].message = "invalid string: ill-formed UTF-8 byte; last read: '\"bol\xA4'";
  r.by_volunteer["\xC3"] = {1, 0};
  std::string text;
  ASSERT_NO_THROW(text = AuditReportJson(r));
  json j = json::parse(text);
  EXPECT_NE(j["problems"][0]["message"].get<std::string>().find("bol\xEF\xBF\xBD"), std::string::npos)
      << "the bad byte becomes U+FFFD";
  EXPECT_EQ(j["by_volunteer"].size(), 2u);
}

}  // namespace
}  // namespace dala::sync
