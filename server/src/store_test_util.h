// What the store and service tests share: a fresh SqliteStore in a
// directory of its own, and damage written past the schema's checks, as a
// failing disk or a careless hand would write it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "dala/base/sqlite.h"
#include "dala/server/sqlite_store.h"
#include "dala/sync/crypto.h"

namespace dala::server::testing {

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

}  // namespace dala::server::testing
