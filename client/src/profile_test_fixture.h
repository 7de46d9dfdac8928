// The fixture the client's unit tests share: a fresh profile on disk with
// an unlocked device key and one form.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <nlohmann/json.hpp>

#include "dala/base/clock.h"
#include "dala/client/device.h"
#include "dala/client/store.h"
#include "dala/sync/ids.h"

namespace dala::client {

// A form of one integer question that must not be negative.
inline constexpr const char* kForm = R"J({"dala_form":1,"id":"visit","version":"1","title":"Visit","languages":["ru"],
  "default_language":"ru","questions":[{"type":"integer","name":"queue","label":"Queue","constraint":". >= 0"}]})J";

// A fresh profile in a temporary directory, with its device key unlocked and
// one form loaded: what store, device and sync tests all start from.
class ProfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("dala-store-" + std::to_string(::getpid()) + "-" + test->test_suite_name() + "-" + test->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = LocalStore::Create(Path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    ASSERT_TRUE(InitDevice(*store_, "passphrase", random_, clock_, {1, 64u << 10}).ok());
    auto form = store_->AddForm(kForm, "local", clock_.NowMs());
    ASSERT_TRUE(form.ok());
    form_ = *form;
    auto d = Device::Unlock(*store_, "passphrase");
    ASSERT_TRUE(d.ok());
    device_.emplace(std::move(*d));
  }
  void TearDown() override {
    device_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string Path() const { return (dir_ / "dala.db").string(); }

  sync::SubmissionId Save(int queue) {
    sync::SubmissionId id = sync::NewSubmissionId(clock_, random_);
    clock_.Advance(1);
    auto saved = device_->SaveRevision(*form_, id, {}, nlohmann::json{{"queue", queue}}.dump(), clock_, "en");
    EXPECT_TRUE(saved.ok()) << saved.status().ToString();
    return id;
  }

  std::filesystem::path dir_;
  FakeClock clock_{1795755600000, 300};
  sync::SeededRandom random_{42};
  std::unique_ptr<LocalStore> store_;
  std::shared_ptr<const schema::Form> form_;
  std::optional<Device> device_;
};

}  // namespace dala::client
