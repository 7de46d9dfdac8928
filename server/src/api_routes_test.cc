// The route table, walked row by row: every route refuses a caller without
// credentials, every role its Access leaves out, a state-changing request
// without the session's CSRF token, and credentials of the wrong kind (a
// session where a device must sign, a signature where a person must log
// in). Each route is its own test case, named after its method and path,
// so a route added without the right Access shows up by name. The table
// and server/API.md are also checked against each other.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "api.h"
#include "api_errors.h"
#include "api_test_util.h"

namespace dala::server {
namespace {

using nlohmann::json;

constexpr int64_t kStart = 1'700'000'000'000;

// One server for the whole suite: the checks only read, and a refused
// request changes nothing. Vera's laptop is enrolled.
class ApiRoutesTest : public ::testing::TestWithParam<size_t> {
 protected:
  struct World : testing::ApiWorld {
    World() : ApiWorld(kStart, 7), device_key(sync::SigningKey::Generate(random_)) {}
    sync::SigningKey device_key;
  };

  static void SetUpTestSuite() {
    world_ = new World();
    Status opened = world_->Open(testing::ScratchDirectory("dala_routes"), testing::PasswordHash());
    ASSERT_TRUE(opened.ok()) << opened.ToString();
    ASSERT_TRUE(world_->store_->AddDevice(testing::LaptopRow(world_->device_key.public_key(), "vera", "cora", kStart)).ok());
    sessions_ = new std::map<std::string, HeaderMap>();
    for (const char* user : {"ada", "cora", "audrey"}) (*sessions_)[user] = LogIn(user);
  }
  static void TearDownTestSuite() {
    delete sessions_;
    delete world_;
  }

  static HeaderMap LogIn(const std::string& user) {
    HeaderMap h = world_->LogIn(user);
    EXPECT_FALSE(h.empty()) << user << " cannot log in";
    return h;
  }

  // The route's path with every {parameter} filled with something that
  // parses but names nothing.
  static std::string PathOf(const ApiRoute& route) {
    // Plain scanning, not <regex>: GCC 12 at -O1 with sanitizers warns
    // inside libstdc++'s regex compiler, and the build treats warnings as errors.
    std::string path(route.pattern);
    for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open)) {
      size_t close = path.find('}', open);
      if (close == std::string::npos) break;
      std::string name = path.substr(open + 1, close - open - 1);
      std::string value = name == "id"     ? "01937f2e-0000-7000-8000-00000000abcd"
                          : name == "list" ? "centres"
                          : name == "name" ? "nobody"
                                           : std::string(64, 'a');
      path.replace(open, close - open + 1, value);
      open += value.size();
    }
    return path;
  }

  static HttpResponse Send(const ApiRoute& route, HeaderMap headers, std::string body = "{}") {
    if (route.body == BodyKind::kNone) body.clear();
    HttpRequest r = testing::MakeRequest(std::string(route.method), PathOf(route), body, std::move(headers));
    return world_->router_.Dispatch(r);
  }

  static std::string Code(const HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("error")) return "<no error: status " + std::to_string(r.status) + ">";
    return j["error"]["code"].get<std::string>();
  }

  static HeaderMap DeviceHeaders(const ApiRoute& route, const std::string& body) {
    return testing::SignedHeaders(world_->device_key, route.method, PathOf(route), body, world_->clock_.NowMs(),
                                  world_->random_);
  }

  static const ApiRoute& Route() { return ApiRoutes()[GetParam()]; }

  // Calling logout ends the shared sessions: open new ones for the next test.
  void TearDown() override {
    if (Route().pattern == "/api/v1/logout")
      for (const char* user : {"ada", "cora", "audrey"}) (*sessions_)[user] = LogIn(user);
  }

  static inline World* world_ = nullptr;
  static inline std::map<std::string, HeaderMap>* sessions_ = nullptr;
};

const std::map<std::string, Role> kPeople = {{"ada", Role::kAdmin}, {"cora", Role::kCoordinator},
                                             {"audrey", Role::kAuditor}};

TEST_P(ApiRoutesTest, RefusesACallerWithoutCredentials) {
  const ApiRoute& route = Route();
  HttpResponse r = Send(route, {});
  if (route.access.Public()) {
    EXPECT_NE(r.status, 401) << "a public route asked for credentials: " << r.body;
    EXPECT_NE(r.status, 403) << r.body;
    return;
  }
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(Code(r), "unauthenticated");
}

TEST_P(ApiRoutesTest, RefusesEveryRoleItsAccessLeavesOut) {
  const ApiRoute& route = Route();
  if (route.access.Public()) GTEST_SKIP() << "anyone may call it";
  for (const auto& [user, role] : kPeople) {
    HttpResponse r = Send(route, (*sessions_)[user]);
    if (route.access.People() && route.access.Allows(role)) {
      EXPECT_NE(r.status, 401) << user << ": " << r.body;
      EXPECT_NE(r.status, 403) << user << ": " << r.body;
    } else if (route.access.People()) {
      EXPECT_EQ(r.status, 403) << user << ": " << r.body;
      EXPECT_TRUE(Code(r) == "forbidden" || Code(r) == "read_only_role") << user << ": " << r.body;
    } else {
      // A device route: a person's session is not a signature.
      EXPECT_EQ(r.status, 401) << user << ": " << r.body;
    }
  }
}

TEST_P(ApiRoutesTest, RefusesAStateChangingRequestWithoutTheCsrfToken) {
  const ApiRoute& route = Route();
  if (!route.access.People() || !IsStateChanging(route.method)) GTEST_SKIP() << "no session-backed write";
  for (const auto& [user, role] : kPeople) {
    if (!route.access.Allows(role)) continue;
    HeaderMap without = (*sessions_)[user];
    without.erase("X-CSRF-Token");
    HttpResponse r = Send(route, without);
    EXPECT_EQ(r.status, 403) << user << ": " << r.body;
    EXPECT_EQ(Code(r), "csrf") << user;
    HeaderMap wrong = (*sessions_)[user];
    wrong["X-CSRF-Token"] = std::string(64, '0');
    EXPECT_EQ(Code(Send(route, wrong)), "csrf") << user;
  }
}

TEST_P(ApiRoutesTest, TakesOnlyTheKindOfCredentialsItDeclares) {
  const ApiRoute& route = Route();
  if (route.access.Public()) GTEST_SKIP() << "anyone may call it";
  std::string body = route.body == BodyKind::kNone ? "" : "{}";
  HttpResponse r = Send(route, DeviceHeaders(route, body), body);
  if (route.access.Devices()) {
    EXPECT_NE(r.status, 401) << "an enrolled laptop's signature was refused: " << r.body;
    EXPECT_NE(r.status, 403) << r.body;
  } else {
    EXPECT_EQ(r.status, 401) << "a laptop's signature opened a person's route: " << r.body;
  }
}

std::string RouteName(const ::testing::TestParamInfo<size_t>& info) {
  const ApiRoute& route = ApiRoutes()[info.param];
  std::string name = std::string(route.method) + "_";
  for (char c : route.pattern) name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(EveryRoute, ApiRoutesTest, ::testing::Range<size_t>(0, ApiRoutes().size()), RouteName);

// --- the submission list's date filters ---------------------------------------------

// The same server, asked for lists. The store compares dates as text, so a
// filter that is not a date would match by accident ("!" sorts before every
// date and returned every row): it must be refused.
class SubmissionDateFilterTest : public ApiRoutesTest {
 protected:
  void TearDown() override {}  // no route is called here that ends the sessions

  static HttpResponse List(std::map<std::string, std::string> query) {
    HttpRequest r = testing::MakeRequest("GET", "/api/v1/submissions", "", (*sessions_)["cora"]);
    r.query = std::move(query);
    return world_->router_.Dispatch(r);
  }
};

TEST_F(SubmissionDateFilterTest, RefusesFromAndToThatAreNotDates) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"from", "!"}, {"to", "2026-13-01"}, {"from", "2026-02-30"}, {"to", "20.11.2026"},
           {"from", "2026-1-1"}, {"to", "2026-01-01x"}}) {
    HttpResponse out = List({{name, value}});
    EXPECT_EQ(out.status, 400) << name << "=" << value << ": " << out.body;
    EXPECT_EQ(Code(out), "invalid_request") << name << "=" << value;
  }
}

TEST_F(SubmissionDateFilterTest, TakesRealDatesAndNoDate) {
  for (const auto& query : std::vector<std::map<std::string, std::string>>{
           {}, {{"from", "2026-01-01"}}, {{"to", "2026-12-31"}}, {{"from", "2024-02-29"}, {"to", "2026-12-31"}}}) {
    HttpResponse out = List(query);
    EXPECT_EQ(out.status, 200) << out.body;
  }
}

// --- the table and API.md ------------------------------------------------------------

std::string ReadApiMd() {
  std::ifstream in(std::string(DALA_SOURCE_DIR) + "/server/API.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ApiDocumentTest, EveryRouteIsInApiMdsRouteTableAndNothingElseIs) {
  std::string doc = ReadApiMd();
  ASSERT_FALSE(doc.empty());
  std::set<std::string> documented;
  // A route row reads "| METHOD | `pattern` |".
  std::istringstream lines(doc);
  for (std::string line; std::getline(lines, line);) {
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
      std::string head = std::string("| ") + method + " | `";
      if (line.rfind(head, 0) != 0) continue;
      size_t end = line.find("` |", head.size());
      if (end != std::string::npos) documented.insert(std::string(method) + " " + line.substr(head.size(), end - head.size()));
    }
  }
  std::set<std::string> declared;
  for (const ApiRoute& route : ApiRoutes()) declared.insert(std::string(route.method) + " " + std::string(route.pattern));
  EXPECT_EQ(documented, declared);
}

TEST(ApiDocumentTest, EveryReasonIsInApiMdsErrorTableWithItsStatus) {
  std::string doc = ReadApiMd();
  for (const ApiReason& r : ApiReasons()) {
    std::string line = "| " + std::to_string(r.http_status) + " | `" + std::string(r.reason) + "` |";
    EXPECT_NE(doc.find(line), std::string::npos) << "API.md lacks the row " << line;
  }
}

TEST(ApiErrorsTest, AReasonOutsideTheTableKeepsItsNameWithTheStatusOfItsCode) {
  HttpResponse r = ErrorResponse(Status(Status::Code::kFailedPrecondition, "a_new_reason", "details"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "a_new_reason");
}

TEST(ApiErrorsTest, JsonResponsesSurviveBytesThatAreNotUtf8) {
  HttpResponse r = JsonResponse({{"answer", std::string("caf\xe9 \xff")}});
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(json::accept(r.body)) << r.body;
}

}  // namespace
}  // namespace dala::server
