// What the store and service tests share: a fresh data directory per test,
// and damage written past the schema's checks, as a failing disk or a
// careless hand would write it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "dala/base/sqlite.h"

namespace dala::server::testing {

// An empty directory named after the running test; the caller removes it.
inline std::filesystem::path FreshTestDir(const std::string& prefix) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              (prefix + std::to_string(::getpid()) + "_" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir;
}

// Runs `sql` on the server database in `data_dir` over a connection of its
// own, with CHECK constraints off.
inline void Damage(const std::filesystem::path& data_dir, const std::string& sql) {
  auto db = sql::Database::Open((data_dir / "dala-server.db").string());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(db->Exec("PRAGMA ignore_check_constraints = ON").ok());
  Status s = db->Exec(sql);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

}  // namespace dala::server::testing
