// What the store and service tests share: a fresh SqliteStore in a
// directory of its own, and damage written past the schema's checks, as a
// failing disk or a careless hand would write it; and a RecordService over
// it, with laptops enrolled as the server enrols them.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "admin.h"
#include "dala/base/clock.h"
#include "dala/base/sqlite.h"
#include "dala/server/sqlite_store.h"
#include "dala/sync/crypto.h"
#include "dala/sync/enrolment.h"
#include "dala/sync/envelope.h"
#include "dala/sync/ids.h"
#include "dala/sync/verify.h"
#include "record_service.h"

namespace dala::server::testing {

// A form whose visit date may not be after today: the tests that a record
// is judged on its own day (its zone, not the server's) publish it.
inline constexpr const char* kNoFutureDateForm =
    R"json({"dala_form":1,"id":"dated","version":"1","title":"Dated","languages":["en"],"default_language":"en",
        "questions":[{"type":"date","name":"visit_date","label":"Visit date","required":true,
                      "constraint":". <= today()"},
                     {"type":"integer","name":"queue","label":"Queue"}]})json";

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sync::InitCrypto().ok());
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() / ("dala_" + std::string(test->test_suite_name()) + "_" +
                                                     std::to_string(::getpid()) + "_" + test->name());
    std::filesystem::remove_all(dir_);
    auto store = OpenSqliteStore(dir_.string(), true);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs `sql` on the database over a connection of its own, with CHECK
  // constraints off.
  void Damage(const std::string& sql) {
    auto db = sql::Database::Open((dir_ / "dala-server.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->Exec("PRAGMA ignore_check_constraints = ON").ok());
    Status s = db->Exec(sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

// A RecordService started over the store with `form` published, a fake
// clock at kNow, seeded randomness and the server's own key.
class ServiceTest : public StoreTest {
 protected:
  static constexpr int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

  explicit ServiceTest(const char* form) : form_document_(form) {}

  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    ctx_.reset(new ServerContext{*store_, clock_, random_, server_key_, ServerConfig{}});
    auto service = RecordService::Start(*ctx_);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = *service;
    auto form = schema::Form::Load(form_document_);
    ASSERT_TRUE(form.ok()) << form.status().ToString();
    form_ = *form;
    ASSERT_TRUE(service_->PublishForm(form_document_, "p").ok());
  }
  void TearDown() override {
    service_.reset();
    StoreTest::TearDown();
  }

  // A fresh one-time code for a laptop of `volunteer`, valid for an hour,
  // stored as `dala-server enroll-code` stores one: by the hash of its
  // normal form. Returned as issued, "K7MX-Q4TR-P2NW".
  std::string IssueLaptopCode(const std::string& volunteer) {
    constexpr std::string_view kAlphabet = sync::kEnrollCodeAlphabet;
    ++codes_;
    std::string code = "K7MX-Q4TR-P2";
    code += kAlphabet[(codes_ / kAlphabet.size()) % kAlphabet.size()];
    code += kAlphabet[codes_ % kAlphabet.size()];
    EXPECT_TRUE(store_
                    ->AddEnrollCode(EnrollCodeHash(sync::NormalizeEnrollCode(code)), volunteer, kNow + 3'600'000,
                                    "aigerim", kNow)
                    .ok());
    return code;
  }

  // Enrols `key` as a laptop with `code`; the device row the server then keeps.
  Device EnrollLaptop(const sync::PublicKey& key, const std::string& code) {
    auto enrolled = service_->Enroll(code, key, "laptop");
    EXPECT_TRUE(enrolled.ok()) << enrolled.status().ToString();
    auto device = store_->FindDevice(key);
    EXPECT_TRUE(device.ok() && device->has_value());
    return device.ok() && device->has_value() ? **device : Device{};
  }

  // A revision of the published form with `answers`, not yet placed in any chain.
  sync::EnvelopeFields Fields(const nlohmann::json& answers, sync::SubmissionId submission = {},
                              std::vector<sync::Hash> parents = {}) {
    sync::EnvelopeFields f;
    f.submission = sync::IsZero(submission) ? sync::NewSubmissionId(clock_, random_) : submission;
    f.parents = std::move(parents);
    f.hlc = sync::HlcTimestamp::Make(static_cast<uint64_t>(clock_.NowMs()), 0);
    f.wall_ms = clock_.NowMs();
    f.form_hash = form_->hash();
    f.form_id = form_->id();
    f.form_version = form_->version();
    f.body = sync::MakeRevisionBody(answers.dump(), 0);
    return f;
  }

  static std::string Seal(const sync::SigningKey& key, sync::EnvelopeFields f) {
    auto bytes = sync::SealEnvelope(std::move(f), key);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? *bytes : std::string();
  }

  FakeClock clock_{kNow};
  sync::SeededRandom random_{42};
  sync::SigningKey server_key_ = sync::SigningKey::Generate(random_);
  std::unique_ptr<ServerContext> ctx_;
  std::shared_ptr<RecordService> service_;
  std::shared_ptr<const schema::Form> form_;

 private:
  const char* form_document_;
  size_t codes_ = 0;
};

}  // namespace dala::server::testing
