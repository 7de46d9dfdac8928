// POST /api/v1/forms with an XLSForm: converted on the server as `form
// publish` converts it, or nothing is published and the rows that stop it
// are named; the dashboard's Forms page sends the spreadsheet as it is.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "api_test_util.h"

namespace dala::server {
namespace {

using nlohmann::json;

std::string SourceFile(const std::string& path) {
  std::ifstream in(std::string(DALA_SOURCE_DIR) + "/" + path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class PublishFormTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status opened = world_.Open(testing::ScratchDirectory("dala_publish_form"), testing::PasswordHash());
    ASSERT_TRUE(opened.ok()) << opened.ToString();
  }

  HttpResponse Publish(const std::string& user, const std::string& body, std::map<std::string, std::string> query) {
    HeaderMap headers = world_.LogIn(user);
    headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    HttpRequest request = testing::MakeRequest("POST", "/api/v1/forms", body, headers);
    request.query = std::move(query);
    return world_.router_.Dispatch(request);
  }

  json Forms() {
    HttpRequest request = testing::MakeRequest("GET", "/api/v1/forms", "", world_.LogIn("cora"));
    HttpResponse r = world_.router_.Dispatch(request);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false)["forms"];
  }

  testing::ApiWorld world_{1'700'000'000'000, 7};
};

TEST_F(PublishFormTest, AnXlsFormIsConvertedAndPublishedAsItsDocument) {
  HttpResponse r = Publish("ada", SourceFile("schema/forms/citizen_exit_survey.xlsx"),
                           {{"project", "ngo2026"}, {"file", "citizen_exit_survey.xlsx"}});
  ASSERT_EQ(r.status, 200) << r.body;
  json answer = json::parse(r.body);
  EXPECT_EQ(answer["form"], "citizen_exit_survey");
  EXPECT_EQ(answer["version"], json::parse(SourceFile("schema/forms/citizen_exit_survey.json"))["version"]);
  EXPECT_TRUE(answer["warnings"].is_array());
  json forms = Forms();
  ASSERT_EQ(forms.size(), 1u);
  EXPECT_EQ(forms[0]["hash"], answer["hash"]);
  EXPECT_EQ(forms[0]["project"], "ngo2026");
  // What laptops receive is the converted document, not the spreadsheet.
  HttpRequest get =
      testing::MakeRequest("GET", "/api/v1/forms/" + answer["hash"].get<std::string>(), "", world_.LogIn("cora"));
  HttpResponse doc = world_.router_.Dispatch(get);
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(json::parse(doc.body)["id"], "citizen_exit_survey");
}

TEST_F(PublishFormTest, TheFilesNameIsTheIdWhenTheSettingsSheetGivesNone) {
  HttpResponse r = Publish("ada", SourceFile("tests/vectors/xlsforms/group.xlsx"), {{"file", "group.xlsx"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["form"], "group");
}

TEST_F(PublishFormTest, AnXlsFormThatDoesNotConvertPublishesNothingAndNamesTheRow) {
  HttpResponse r = Publish("ada", SourceFile("tests/vectors/xlsforms/flat_xlsform_test.xlsx"), {});
  EXPECT_EQ(r.status, 400) << r.body;
  json error = json::parse(r.body)["error"];
  EXPECT_EQ(error["code"], "invalid_form");
  EXPECT_EQ(error["message"].get<std::string>().rfind("the XLSForm does not convert:\n", 0), 0u) << error;
  EXPECT_NE(error["message"].get<std::string>().find(" row "), std::string::npos) << error;
  EXPECT_TRUE(Forms().empty());
}

TEST_F(PublishFormTest, ASpreadsheetThatIsNotOneIsRefusedAndOnlyAnAdminPublishes) {
  std::string broken = SourceFile("schema/forms/psc_observation.xlsx").substr(0, 600);  // a cut-off upload
  HttpResponse cut = Publish("ada", broken, {});
  EXPECT_EQ(cut.status, 400) << cut.body;
  EXPECT_EQ(json::parse(cut.body)["error"]["code"], "invalid_form");
  HttpResponse coordinator = Publish("cora", SourceFile("schema/forms/psc_observation.xlsx"), {});
  EXPECT_EQ(coordinator.status, 403) << coordinator.body;
  EXPECT_TRUE(Forms().empty());
}

// The round trip an NGO makes: the published version as an XLSForm, which
// converts back to the very document laptops receive.
TEST_F(PublishFormTest, APublishedVersionDownloadsAsAnXlsFormThatConvertsBackToItsDocument) {
  HttpResponse published = Publish("ada", SourceFile("schema/forms/psc_observation.xlsx"), {});
  ASSERT_EQ(published.status, 200) << published.body;
  const std::string hash = json::parse(published.body)["hash"];
  HttpRequest get = testing::MakeRequest("GET", "/api/v1/forms/" + hash + "/xlsform", "", world_.LogIn("audrey"));
  HttpResponse xlsx = world_.router_.Dispatch(get);
  ASSERT_EQ(xlsx.status, 200) << xlsx.body;
  EXPECT_EQ(xlsx.headers["Content-Disposition"], "attachment; filename=\"psc_observation-" +
                                                     json::parse(published.body)["version"].get<std::string>() +
                                                     ".xlsx\"");
  ASSERT_TRUE(xlsx.body.starts_with("PK\x03\x04"));
  // Published again, it is the same document: the same hash, a no-op.
  HttpResponse again = Publish("ada", xlsx.body, {{"file", "psc_observation.xlsx"}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["hash"], hash);
  EXPECT_EQ(Forms().size(), 1u);

  HttpRequest unknown = testing::MakeRequest("GET", "/api/v1/forms/" + std::string(64, '0') + "/xlsform", "",
                                             world_.LogIn("cora"));
  EXPECT_EQ(world_.router_.Dispatch(unknown).status, 404);
}

}  // namespace
}  // namespace dala::server
