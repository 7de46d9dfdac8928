// Exports as an analyst receives them: each format from records with
// repeats, Kazakh and Russian text and text a spreadsheet would run; the
// XLSX read back from its sheet XML and, where LibreOffice is installed,
// opened by it; bad requests refused before anything is written.

#include "export.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "dala/base/hex.h"

#include "store_test_util.h"

namespace dala::server {
namespace {

using nlohmann::json;

TEST(CsvTest, FieldsWithSeparatorsQuotesOrNewlinesAreQuoted) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("Алматы, Алмалы"), "\"Алматы, Алмалы\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField(""), "");
}

TEST(CsvTest, TextThatASpreadsheetWouldRunIsMadeInert) {
  for (const char* formula : {"=HYPERLINK(\"http://x\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"})
    EXPECT_EQ(InertCsvText(formula), std::string("'") + formula) << formula;
  EXPECT_EQ(InertCsvText("Очередь длинная"), "Очередь длинная");
  EXPECT_EQ(InertCsvText(""), "");
  EXPECT_EQ(InertCsvText("a=b"), "a=b");
}

TEST(ExportScratchTest, OnlyTheScratchDirectoriesAnExportLeftAreRemoved) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("dala_export_scratch_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "export-a1B2c3");
  std::ofstream(dir / "export-a1B2c3" / "export.xlsx") << "half an export";
  std::filesystem::create_directories(dir / "export-q9w8e7");
  std::filesystem::create_directories(dir / "exports-kept");   // another length: not ours
  std::filesystem::create_directories(dir / "tls");
  std::ofstream(dir / "export-zzzzzz") << "a file, not a directory";
  std::ofstream(dir / "dala-server.db") << "the database";
  std::filesystem::create_directory_symlink(dir / "tls", dir / "export-link00");

  EXPECT_EQ(RemoveLeftoverExportDirs(dir.string()), 2u);
  EXPECT_FALSE(std::filesystem::exists(dir / "export-a1B2c3"));
  EXPECT_FALSE(std::filesystem::exists(dir / "export-q9w8e7"));
  for (const char* kept : {"exports-kept", "tls", "export-zzzzzz", "dala-server.db", "export-link00"})
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::symlink_status(dir / kept))) << kept;
  EXPECT_EQ(RemoveLeftoverExportDirs((dir / "missing").string()), 0u);
  std::filesystem::remove_all(dir);
}

TEST(ExportFormatTest, AnUnknownFormatIsRefusedNamingTheKnownOnes) {
  EXPECT_EQ(*ExportFormatNamed("xlsx"), ExportFormat::kXlsx);
  EXPECT_EQ(*ExportFormatNamed("geojson"), ExportFormat::kGeoJson);
  for (const char* bad : {"xls", "XLSX", "", "csv;"}) {
    auto f = ExportFormatNamed(bad);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_NE(f.status().message().find("csv, xlsx, json or geojson"), std::string::npos);
  }
}

TEST(ExportOptionsTest, BadFiltersAreRefusedByTheListsOwnChecks) {
  for (auto [key, value] : {std::pair{"from", "2026-13-01"}, {"to", "yesterday"}, {"state", "lost"},
                            {"choices", "codes"}, {"sort", "colour"}}) {
    HttpRequest r;
    r.query[key] = value;
    auto o = ExportOptionsOf(r);
    ASSERT_FALSE(o.ok()) << key;
    EXPECT_EQ(o.status().reason(), "invalid_request") << key;
  }
  HttpRequest good;
  good.query = {{"form", "visit"}, {"from", "2026-01-01"}, {"choices", "names"}, {"bom", "1"}, {"lang", "kk"}};
  auto o = ExportOptionsOf(good);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->filter.form_id, "visit");
  EXPECT_EQ(o->filter.date_from, "2026-01-01");
  EXPECT_TRUE(o->choice_names);
  EXPECT_TRUE(o->bom);
  EXPECT_EQ(o->language, "kk");
}

constexpr const char* kForm = R"F({"dala_form":1,"id":"visit","version":"1","title":"Visit",
  "languages":["kk","ru"],"default_language":"ru","duplicate_key":["centre","visit_date"],
  "lists":{"regions":[{"name":"ala","label":{"kk":"Алматы қаласы","ru":"г. Алматы"}}],
           "centres":[{"name":"ala_01","label":{"kk":"Алмалы ХҚКО","ru":"ЦОН Алмалинского района"},
                       "lat":43.2522,"lon":76.9108}],
           "kinds":[{"name":"queue","label":{"kk":"Кезек","ru":"Очередь"}},
                    {"name":"rude","label":{"kk":"Дөрекілік","ru":"Грубость"}}]},
  "questions":[{"type":"select_one","name":"region","label":{"kk":"Өңір","ru":"Регион"},"list":"regions"},
               {"type":"select_one","name":"centre","label":{"kk":"Орталық","ru":"Центр"},"list":"centres"},
               {"type":"date","name":"visit_date","label":{"kk":"Күні","ru":"Дата"}},
               {"type":"integer","name":"queue","label":{"kk":"Кезек","ru":"Очередь (чел.)"}},
               {"type":"text","name":"notes","label":{"kk":"Ескертпе","ru":"Заметки"}},
               {"type":"repeat","name":"issues","label":{"kk":"Мәселелер","ru":"Проблемы"},"children":[
                 {"type":"select_one","name":"kind","label":{"kk":"Түрі","ru":"Вид"},"list":"kinds"},
                 {"type":"text","name":"detail","label":{"kk":"Толығырақ","ru":"Подробно"}}]}]})F";

constexpr const char* kHostile = "=cmd|' /C calc'!A0";

class ExportTest : public testing::ServiceTest {
 protected:
  explicit ExportTest(const char* form = kForm) : ServiceTest(form), visits_(form == kForm) {}
  void SetUp() override {
    ServiceTest::SetUp();
    if (HasFatalFailure()) return;
    laptop_ = EnrollLaptop(key_.public_key(), IssueLaptopCode("алма"));
    if (!visits_) return;
    Send({{"region", "ala"}, {"centre", "ala_01"}, {"visit_date", "2026-01-02"}, {"queue", 14},
          {"notes", "Очередь длинная, кезек ұзын"},
          {"issues", {{{"kind", "queue"}, {"detail", kHostile}}, {{"kind", "rude"}, {"detail", "Қызметкер дөрекі"}}}}});
    Send({{"region", "ala"}, {"centre", "ala_01"}, {"visit_date", "2026-01-03"}, {"notes", kHostile}});
  }

  void Send(const json& answers) {
    sync::EnvelopeFields f = Fields(answers);
    f.sequence = ++sequence_;
    f.previous = last_;
    std::string bytes = Seal(key_, std::move(f));
    last_ = sync::Envelope::Parse(bytes)->id();
    clock_.Advance(1000);
    sync::SyncRequest request;
    request.envelopes = {bytes};
    auto r = service_->HandleSync(laptop_, request);
    ASSERT_TRUE(r.ok() && r->rejected.empty());
  }

  ExportOptions Options() {
    ExportOptions o;
    o.filter.form_id = "visit";
    o.now_ms = kNow;
    return o;
  }

  std::string Write(ExportFormat format, const ExportOptions& o) {
    std::ostringstream out;
    auto stats = WriteExport(*store_, format, o, out);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    return out.str();
  }

  std::string XlsxPath() { return (dir_ / "out.xlsx").string(); }

  // One part of the XLSX as unzip reads it: the file is a real zip.
  std::string Part(const std::string& name) {
    std::string command = "unzip -p '" + XlsxPath() + "' '" + name + "' 2>/dev/null";
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string out;
    char buffer[4096];
    for (size_t n; pipe != nullptr && (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    if (pipe != nullptr) ::pclose(pipe);
    return out;
  }

  sync::SigningKey key_ = sync::SigningKey::Generate(random_);
  const bool visits_;  // the visit form, with its two records
  Device laptop_;
  uint64_t sequence_ = 0;
  sync::Hash last_{};
};

INSTANTIATE_TEST_SUITE_P(, ExportTest, testing::EachStore(), testing::StoreName);

TEST_P(ExportTest, CsvHasLabelsInTheLanguageAskedARowPerRecordAndHostileTextMadeInert) {
  ExportOptions o = Options();
  o.language = "kk";
  std::string csv = Write(ExportFormat::kCsv, o);
  EXPECT_NE(csv.rfind("ID,", 0), std::string::npos) << "no byte order mark unless asked for";
  EXPECT_NE(csv.find("Өңір,Орталық,Күні"), std::string::npos) << csv;
  EXPECT_NE(csv.find("Алматы қаласы,Алмалы ХҚКО,2026-01-02,14,\"Очередь длинная, кезек ұзын\""), std::string::npos);
  EXPECT_NE(csv.find(",'=cmd|' /C calc'!A0\r\n"), std::string::npos) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);  // the header and two records
}

TEST_P(ExportTest, CsvWithABomAndChoiceNamesIsHeadedByNames) {
  ExportOptions o = Options();
  o.bom = true;
  o.choice_names = true;
  std::string csv = Write(ExportFormat::kCsv, o);
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBF" "_id,_form_version,", 0), 0u) << csv.substr(0, 40);
  EXPECT_NE(csv.find(",region,centre,visit_date,queue,notes\r\n"), std::string::npos);
  EXPECT_NE(csv.find(",ala,ala_01,2026-01-02,14,"), std::string::npos);
}

TEST_P(ExportTest, ARepeatsCsvTableHasARowPerInstanceLinkedToItsRecord) {
  ExportOptions o = Options();
  o.table = "issues";
  o.choice_names = true;
  std::string csv = Write(ExportFormat::kCsv, o);
  EXPECT_NE(csv.find("_id,_parent_id,"), std::string::npos);
  EXPECT_NE(csv.find("/issues[1],"), std::string::npos);
  EXPECT_NE(csv.find(",queue,'=cmd|' /C calc'!A0\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",rude,Қызметкер дөрекі\r\n"), std::string::npos);
  o.table = "nothing";
  std::ostringstream out;
  EXPECT_EQ(WriteExport(*store_, ExportFormat::kCsv, o, out).status().code(), Status::Code::kNotFound);
}

TEST_P(ExportTest, CsvAndGeoJsonNeedAPublishedForm) {
  for (ExportFormat f : {ExportFormat::kCsv, ExportFormat::kGeoJson}) {
    ExportOptions o = Options();
    o.filter.form_id = "";
    std::ostringstream out;
    EXPECT_FALSE(WriteExport(*store_, f, o, out).ok());
    o.filter.form_id = "no_such_form";
    EXPECT_EQ(WriteExport(*store_, f, o, out).status().code(), Status::Code::kNotFound);
  }
}

TEST_P(ExportTest, GeoJsonPlacesEachRecordAtItsCentreLongitudeFirst) {
  json doc = json::parse(Write(ExportFormat::kGeoJson, Options()));
  EXPECT_EQ(doc["type"], "FeatureCollection");
  ASSERT_EQ(doc["features"].size(), 2u);
  const json& f = doc["features"][0];
  EXPECT_EQ(f["geometry"]["coordinates"], json::array({76.9108, 43.2522}));  // RFC 7946: lon, lat
  EXPECT_EQ(f["properties"]["queue"], 14);
  EXPECT_EQ(f["properties"]["centre"], "ЦОН Алмалинского района");
  EXPECT_EQ(f["properties"]["_open_conflict"], false);
  EXPECT_EQ(f["properties"]["issues"].size(), 2u);
}

// A form whose only geopoints are inside repeats: the sites a volunteer
// walked to, each with its place, sites inside areas.
constexpr const char* kSitesForm = R"F({"dala_form":1,"id":"walk","version":"1","title":"Walk",
  "languages":["ru"],"default_language":"ru",
  "questions":[{"type":"text","name":"who","label":"Кто"},
               {"type":"repeat","name":"areas","label":"Районы","children":[
                 {"type":"repeat","name":"sites","label":"Места","children":[
                   {"type":"geopoint","name":"at","label":"Где"},
                   {"type":"text","name":"what","label":"Что"}]}]}]})F";

class SitesExportTest : public ExportTest {
 protected:
  SitesExportTest() : ExportTest(kSitesForm) {}
};

INSTANTIATE_TEST_SUITE_P(, SitesExportTest, testing::EachStore(), testing::StoreName);

TEST_P(SitesExportTest, GeoJsonPlacesARecordAtEveryGeopointOfItsRepeats) {
  json at1 = {{"lat", 43.25}, {"lon", 76.91}}, at2 = {{"lat", 43.3}, {"lon", 76.95}}, at3 = {{"lat", 51.1}, {"lon", 71.4}};
  Send({{"who", "Айгүл"},
        {"areas", {{{"sites", {{{"at", at1}, {"what", "ЦОН"}}, {{"what", "no place"}}, {{"at", at2}}}}},
                   {{"sites", {{{"at", at3}}}}}}}});
  Send({{"who", "Берік"}});
  ExportOptions o = Options();
  o.filter.form_id = "walk";
  json doc = json::parse(Write(ExportFormat::kGeoJson, o));
  ASSERT_EQ(doc["features"].size(), 2u) << doc.dump();
  const json& walked = doc["features"][0];
  EXPECT_EQ(walked["geometry"]["type"], "MultiPoint");
  EXPECT_EQ(walked["geometry"]["coordinates"], json::parse("[[76.91,43.25],[76.95,43.3],[71.4,51.1]]"));
  EXPECT_EQ(walked["properties"]["who"], "Айгүл");
  EXPECT_EQ(walked["properties"]["areas"].size(), 2u) << "the repeats keep their shape";
  EXPECT_TRUE(doc["features"][1]["geometry"].is_null()) << "a record with no place has none (RFC 7946 3.2)";
}

TEST_P(ExportTest, JsonHoldsEveryRecordWithItsLatestRevision) {
  json doc = json::parse(Write(ExportFormat::kJson, Options()));
  ASSERT_EQ(doc.size(), 2u);
  EXPECT_EQ(doc[1]["answers"]["notes"], kHostile);  // JSON is data, not a spreadsheet: kept exact
  EXPECT_EQ(doc[1]["revision"].get<std::string>().size(), 64u);
}

TEST_P(ExportTest, FiltersPickTheSameRecordsAsTheList) {
  HttpRequest r;
  r.query = {{"form", "visit"}, {"from", "2026-01-03"}};
  auto o = ExportOptionsOf(r);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(json::parse(Write(ExportFormat::kJson, *o)).size(), 1u);
  r.query = {{"form", "visit"}, {"state", "approved"}};
  EXPECT_EQ(json::parse(Write(ExportFormat::kJson, *ExportOptionsOf(r))).size(), 0u);
}

// A stream that runs `on_first_write` once, when the export writes its
// first byte: by then the export has begun, and its records are not all read.
class HookedBuffer : public std::stringbuf {
 public:
  explicit HookedBuffer(std::function<void()> on_first_write) : hook_(std::move(on_first_write)) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    Fire();
    return std::stringbuf::xsputn(s, n);
  }
  int_type overflow(int_type c) override {
    Fire();
    return std::stringbuf::overflow(c);
  }

 private:
  void Fire() {
    if (hook_) std::exchange(hook_, nullptr)();
  }
  std::function<void()> hook_;
};

// Records synced while an export is written belong to a later export: the
// file holds exactly the records of the log size and root it names.
TEST_P(ExportTest, AnExportTakenWhileRecordsArriveHoldsExactlyTheRecordsAtItsCheckpoint) {
  auto before = service_->CurrentLog();
  ASSERT_TRUE(before.ok());
  HookedBuffer buffer([&] {
    Send({{"region", "ala"}, {"centre", "ala_01"}, {"visit_date", "2026-01-04"}, {"notes", "synced meanwhile"}});
  });
  std::ostream out(&buffer);
  auto stats = WriteExport(*store_, ExportFormat::kJson, Options(), out);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(*store_->LogSize(), before->size + 1) << "the record arrived during the export";
  EXPECT_EQ(stats->checkpoint_size, before->size);
  EXPECT_EQ(stats->checkpoint_root, ToHex(before->root));
  json doc = json::parse(buffer.str());
  ASSERT_EQ(doc.size(), 2u) << doc.dump();
  for (const json& r : doc) EXPECT_NE(r["answers"]["notes"], "synced meanwhile");

  // The next export names the larger log and holds the new record.
  std::ostringstream later;
  auto next = WriteExport(*store_, ExportFormat::kJson, Options(), later);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->checkpoint_size, before->size + 1);
  EXPECT_EQ(json::parse(later.str()).size(), 3u);
}

TEST_P(ExportTest, XlsxHasASheetPerFormAndRepeatTypedCellsAndTheCheckpoint) {
  ExportOptions o = Options();
  o.filter.form_id = "";  // every form
  auto stats = WriteXlsxExport(*store_, o, XlsxPath());
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->records, 2u);
  const std::string book = Part("xl/workbook.xml");
  EXPECT_NE(book.find("name=\"visit\""), std::string::npos) << book;
  EXPECT_NE(book.find("name=\"visit.issues\""), std::string::npos);
  EXPECT_NE(book.find("name=\"_export\""), std::string::npos);

  const std::string main = Part("xl/worksheets/sheet1.xml");
  EXPECT_NE(main.find("<pane xSplit=\"1\" ySplit=\"2\""), std::string::npos) << "frozen headers and id";
  EXPECT_NE(main.find("<autoFilter ref=\"A2:"), std::string::npos);
  EXPECT_NE(main.find("Очередь (чел.)"), std::string::npos) << "labels in the form's language";
  EXPECT_NE(main.find("<t>queue</t>"), std::string::npos) << "names in the second row";
  EXPECT_NE(main.find("<v>14</v>"), std::string::npos) << "numbers as numbers";
  EXPECT_NE(main.find("<v>46024</v>"), std::string::npos) << "2026-01-02 as an Excel date";
  EXPECT_NE(main.find("Очередь длинная, кезек ұзын"), std::string::npos);
  // Hostile text is a string cell, never a formula.
  EXPECT_NE(main.find("<t>=cmd|' /C calc'!A0</t>"), std::string::npos) << main;
  EXPECT_EQ(main.find("<f>"), std::string::npos);

  const std::string issues = Part("xl/worksheets/sheet2.xml");
  EXPECT_NE(issues.find("/issues[2]"), std::string::npos);
  EXPECT_NE(issues.find("Қызметкер дөрекі"), std::string::npos);

  const std::string meta = Part("xl/worksheets/sheet3.xml");
  EXPECT_NE(meta.find("<t>" + stats->checkpoint_root + "</t>"), std::string::npos) << meta;
  EXPECT_FALSE(stats->checkpoint_root.empty());
  EXPECT_NE(meta.find("<t>" + std::to_string(stats->checkpoint_size) + "</t>"), std::string::npos);
}

// Excel holds 32,767 characters a cell (libxlsxwriter counts bytes): a
// longer answer is cut where a character starts and says so in the cell.
TEST(XlsxCellTextTest, TextLongerThanACellHoldsIsCutWithAVisibleMarker) {
  EXPECT_EQ(XlsxCellText("Кезек ұзын"), "Кезек ұзын");
  const std::string fits(32767, 'a');
  EXPECT_EQ(XlsxCellText(fits), fits);
  std::string emoji;
  for (int i = 0; i < 9000; ++i) emoji += "\xF0\x9F\x98\x80";  // 36,000 bytes of 4-byte characters
  for (const std::string& text : {fits + "b", emoji}) {
    const std::string cut = XlsxCellText(text);
    EXPECT_LE(cut.size(), 32767u);
    const std::string_view kMarker = " …[cut: longer than an Excel cell holds; whole in the JSON export]";
    const size_t marker = cut.find(kMarker);
    ASSERT_NE(marker, std::string::npos);
    EXPECT_EQ(marker + kMarker.size(), cut.size()) << "the marker ends the cell";
    EXPECT_EQ(text.compare(0, marker, cut, 0, marker), 0) << "what is kept is the answer's start";
    if (text == emoji) {
      EXPECT_EQ(marker % 4, 0u) << "cut between characters, not inside one";
    }
  }
}

TEST_P(ExportTest, AnAnswerLongerThanAnExcelCellIsCutVisiblyInXlsxAndWholeInJson) {
  std::string emoji;
  for (int i = 0; i < 9000; ++i) emoji += "\xF0\x9F\x98\x80";
  Send({{"region", "ala"}, {"centre", "ala_01"}, {"visit_date", "2026-01-05"}, {"notes", emoji}});
  ASSERT_TRUE(WriteXlsxExport(*store_, Options(), XlsxPath()).ok());
  const std::string main = Part("xl/worksheets/sheet1.xml");
  EXPECT_NE(main.find(emoji.substr(0, 32000)), std::string::npos);
  EXPECT_NE(main.find("…[cut: longer than an Excel cell holds; whole in the JSON export]"), std::string::npos);
  json doc = json::parse(Write(ExportFormat::kJson, Options()));
  ASSERT_EQ(doc.size(), 3u);
  EXPECT_EQ(doc[2]["answers"]["notes"], emoji);
}

TEST_P(ExportTest, AFailedXlsxExportLeavesNoFile) {
  ExportOptions o = Options();
  o.filter.form_id = "no_such_form";
  EXPECT_FALSE(WriteXlsxExport(*store_, o, XlsxPath()).ok());
  EXPECT_FALSE(std::filesystem::exists(XlsxPath()));
}

// LibreOffice opens what Dala writes and reads back the values meant, in
// every sheet: the form's, its repeat's and the metadata.
TEST_P(ExportTest, LibreOfficeReadsTheXlsxValuesKazakhAndRussianIncluded) {
  if (std::system("command -v soffice >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "soffice is not installed (scripts/bootstrap installs libreoffice-calc-nogui): not checked";
  ExportOptions o = Options();
  ASSERT_TRUE(WriteXlsxExport(*store_, o, XlsxPath()).ok());
  const std::string out_dir = (dir_ / "lo").string();
  // A profile of its own, so that a LibreOffice already running elsewhere does not take the job.
  std::string command = "cd '" + dir_.string() + "' && soffice -env:UserInstallation=file://" + dir_.string() +
                        "/profile --headless --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true,"
                        "true,false,false,-1' --outdir '" +
                        out_dir + "' out.xlsx >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  // Every sheet, each to out-<sheet>.csv (the filter's 12th option, -1).
  auto sheet = [&](const std::string& name) {
    std::ifstream in(out_dir + "/out-" + name + ".csv");
    EXPECT_TRUE(in.good()) << "LibreOffice wrote no CSV for sheet " << name;
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string csv = sheet("visit");
  const std::string issues = sheet("visit.issues");
  EXPECT_NE(issues.find("\"Грубость\",\"Қызметкер дөрекі\""), std::string::npos) << issues;
  EXPECT_NE(issues.find("/issues[2]"), std::string::npos) << issues;
  const std::string meta = sheet("_export");
  EXPECT_NE(meta.find("\"log_size\","), std::string::npos) << meta;
  EXPECT_NE(meta.find("\"visit\""), std::string::npos) << meta;
  EXPECT_NE(csv.find("Очередь (чел.)"), std::string::npos) << csv;
  // Text quoted (as asked), the date and the number not: LibreOffice read them as a date and a number.
  EXPECT_NE(csv.find("\"г. Алматы\",\"ЦОН Алмалинского района\",2026-01-02,14,\"Очередь длинная, кезек ұзын\""),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(kHostile), std::string::npos) << "text, as written";
}

}  // namespace
}  // namespace dala::server
