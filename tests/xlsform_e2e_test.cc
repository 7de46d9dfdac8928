// End-to-end: XLSForms through the real binaries. `dala form convert`
// both ways, and `dala-server form publish survey.xlsx`, which converts
// and publishes in one step or publishes nothing.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "e2e_util.h"

namespace dala::e2e {
namespace {

using nlohmann::json;

std::string Source(const std::string& path) { return std::string(DALA_SOURCE_DIR) + "/" + path; }

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(XlsFormE2E, ConvertGoesToJsonAndBackToTheSameForm) {
  TempDir dir;
  auto to_xlsx = RunCommand({DalaBinary(), "--lang", "en", "form", "convert", Source("schema/forms/psc_observation.json"),
                             "-o", dir / "psc.xlsx"});
  ASSERT_EQ(to_xlsx.exit_code, 0) << to_xlsx.err;
  EXPECT_NE(to_xlsx.out.find("Wrote " + (dir / "psc.xlsx")), std::string::npos) << to_xlsx.out;
  auto to_json = RunCommand({DalaBinary(), "form", "convert", dir / "psc.xlsx", "-o", dir / "psc.json"});
  ASSERT_EQ(to_json.exit_code, 0) << to_json.err;
  EXPECT_EQ(json::parse(Slurp(dir / "psc.json")), json::parse(Slurp(Source("schema/forms/psc_observation.json"))));
}

TEST(XlsFormE2E, RefusedSpreadsheetWritesNothing) {
  TempDir dir;
  std::filesystem::create_directory(dir / "lists");
  auto refused = RunCommand({DalaBinary(), "--lang", "en", "form", "convert", Source("tests/vectors/xlsforms/bad_calc.xlsx"),
                             "-o", dir / "bad.json", "--lists", dir / "lists"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("bad_calc.xlsx was not converted:\nsurvey row 2, column 'calculation'"), std::string::npos)
      << refused.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.json"));
}

TEST(XlsFormE2E, PublishConvertsAnXlsFormOrPublishesNothing) {
  TempDir dir;
  std::string data = dir / "server";
  ASSERT_EQ(RunCommand({ServerBinary(), "init", "--data", data}).exit_code, 0);
  auto refused = RunCommand({ServerBinary(), "form", "publish", Source("tests/vectors/xlsforms/flat_xlsform_test.xlsx"),
                             "--data", data});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("was not published"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("survey row 35, column 'type': Dala cannot take 'barcode'"), std::string::npos)
      << refused.err;
  auto none = RunCommand({ServerBinary(), "form", "list", "--json", "--data", data});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(json::parse(none.out).size(), 0u) << none.out;

  auto published = RunCommand({ServerBinary(), "form", "publish", Source("schema/forms/citizen_exit_survey.xlsx"),
                               "--data", data});
  ASSERT_EQ(published.exit_code, 0) << published.err;
  EXPECT_NE(published.out.find("Published form citizen_exit_survey"), std::string::npos) << published.out;
  auto group = RunCommand({ServerBinary(), "form", "publish", Source("tests/vectors/xlsforms/group.xlsx"), "--data", data});
  ASSERT_EQ(group.exit_code, 0) << group.err;
  EXPECT_NE(group.out.find("Published form group version 1"), std::string::npos) << "the file name is the id";
  EXPECT_NE(group.err.find("warning: settings has no version"), std::string::npos) << group.err;
  auto listed = RunCommand({ServerBinary(), "form", "list", "--json", "--data", data});
  EXPECT_EQ(json::parse(listed.out).size(), 2u) << listed.out;
}

}  // namespace
}  // namespace dala::e2e
