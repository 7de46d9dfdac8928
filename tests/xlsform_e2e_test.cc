// End-to-end: XLSForms through the real binaries. `dala form convert`
// both ways, and `dala-server form publish survey.xlsx`, which converts
// and publishes in one step or publishes nothing.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "dala/xlsform/xlsform.h"
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

// The survey rows Dala writes for `questions`: type and name, with the
// label in every language, groups and repeats opened and closed.
void ExpectedSurveyRows(const json& questions, std::vector<json>* rows) {
  for (const json& q : questions) {
    std::string type = q["type"];
    if (type == "select_one" || type == "select_multiple") type += " " + q["list"].get<std::string>();
    if (type == "rating") type = "range";
    if (type == "datetime") type = "dateTime";
    if (q.contains("children")) type = "begin_" + type;
    rows->push_back({{"type", type}, {"name", q["name"]}, {"label", q.value("label", json())}});
    if (q.contains("children")) {
      ExpectedSurveyRows(q["children"], rows);
      rows->push_back({{"type", "end_" + q["type"].get<std::string>()}});
    }
  }
}

TEST(XlsFormE2E, LibreOfficeOpensTheSpreadsheetDalaWrites) {
  std::string soffice;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin";
  for (size_t p = 0; p <= dirs.size() && soffice.empty();) {
    size_t e = dirs.find(':', p);
    if (e == std::string::npos) e = dirs.size();
    std::string candidate = dirs.substr(p, e - p) + "/soffice";
    if (::access(candidate.c_str(), X_OK) == 0) soffice = candidate;
    p = e + 1;
  }
  if (soffice.empty())
    GTEST_SKIP() << "soffice is not installed (Debian libreoffice-calc-nogui; scripts/bootstrap installs it)";
  TempDir dir;
  std::string form = Source("schema/forms/citizen_exit_survey.json");
  ASSERT_EQ(RunCommand({DalaBinary(), "form", "convert", form, "-o", dir / "survey.xlsx"}).exit_code, 0);
  // Its own profile, so parallel runs and a user's LibreOffice do not meet.
  auto lo = RunCommand({soffice, "-env:UserInstallation=file://" + (dir / "lo-profile"), "--headless",
                        "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", dir.path(),
                        dir / "survey.xlsx"},
                       {{"HOME", dir.path()}, {"PATH", dirs}});
  ASSERT_EQ(lo.exit_code, 0) << lo.out << lo.err;
  auto csv = xlsform::ParseCsv(Slurp(dir / "survey.csv"));
  ASSERT_TRUE(csv.ok()) << csv.status().message();
  const auto& rows = csv.value();
  ASSERT_FALSE(rows.empty());
  std::map<std::string, size_t> column;
  for (size_t c = 0; c < rows[0].size(); ++c) column[rows[0][c]] = c;
  ASSERT_TRUE(column.count("type") && column.count("name") && column.count("label::Kazakh (kk)") &&
              column.count("label::Russian (ru)"))
      << Slurp(dir / "survey.csv").substr(0, 400);
  std::vector<json> expected;
  ExpectedSurveyRows(json::parse(Slurp(form))["questions"], &expected);
  ASSERT_EQ(rows.size(), expected.size() + 1);
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& row = rows[i + 1];
    SCOPED_TRACE(row[column["name"]]);
    EXPECT_EQ(row[column["type"]], expected[i]["type"]);
    if (!expected[i].contains("name")) continue;
    EXPECT_EQ(row[column["name"]], expected[i]["name"]);
    const json& label = expected[i]["label"];
    if (label.is_object()) {
      EXPECT_EQ(row[column["label::Kazakh (kk)"]], label.value("kk", ""));
      EXPECT_EQ(row[column["label::Russian (ru)"]], label.value("ru", ""));
    }
  }
}

}  // namespace
}  // namespace dala::e2e
