// PostgresStore: failed logins, from which every node replays its login
// delays (auth.cc). As SqliteStore's; "user" is quoted, a reserved word here.
#include "postgres_store.h"

namespace dala::server {

using Lock = std::lock_guard<std::recursive_mutex>;

Result<int64_t> PostgresStore::AddLoginFailure(std::string_view user, std::string_view address, int64_t at_ms,
                                               int64_t forget_before_ms) {
  Lock lock(mutex_);
  DALA_RETURN_IF_ERROR(Run("DELETE FROM login_failures WHERE at_ms < $1", pg::Params().Int(forget_before_ms)).status());
  DALA_ASSIGN_OR_RETURN(pg::Rows rows, Run("INSERT INTO login_failures (\"user\", address, at_ms) VALUES ($1, $2, $3) "
                                           "RETURNING id",
                                           pg::Params().Text(user).Text(address).Int(at_ms)));
  if (rows.empty()) return Status::Internal("INSERT ... RETURNING gave no id");
  return rows.Int(0, 0);
}

Status PostgresStore::SetLoginFailureTime(int64_t id, int64_t at_ms) {
  Lock lock(mutex_);
  return Run("UPDATE login_failures SET at_ms = greatest(at_ms, $1) WHERE id = $2", pg::Params().Int(at_ms).Int(id))
      .status();
}

Result<std::vector<AccountStore::LoginFailure>> PostgresStore::LoginFailuresAround(std::string_view user,
                                                                                  std::string_view address,
                                                                                  int64_t since_ms, size_t limit) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(
      pg::Rows rows,
      Run("SELECT id, \"user\", address, at_ms FROM login_failures WHERE id IN ("
          "  SELECT id FROM login_failures WHERE \"user\" = $1 AND address = $2 AND at_ms >= $3"
          "  UNION (SELECT id FROM login_failures WHERE address = $2 AND at_ms >= $3 ORDER BY at_ms DESC LIMIT $4)"
          "  UNION (SELECT id FROM login_failures WHERE at_ms >= $3 ORDER BY at_ms DESC LIMIT $4))"
          " ORDER BY at_ms, id",
          pg::Params().Text(user).Text(address).Int(since_ms).Int(static_cast<int64_t>(limit))));
  std::vector<LoginFailure> out;
  out.reserve(static_cast<size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) out.push_back({rows.Int(i, 0), rows.Text(i, 1), rows.Text(i, 2), rows.Int(i, 3)});
  return out;
}

Status PostgresStore::ForgetLoginFailures(std::string_view user, std::string_view address) {
  Lock lock(mutex_);
  return Run("DELETE FROM login_failures WHERE \"user\" = $1 AND address = $2", pg::Params().Text(user).Text(address))
      .status();
}

Result<size_t> PostgresStore::ForgetLoginFailuresOf(std::string_view user) {
  Lock lock(mutex_);
  DALA_ASSIGN_OR_RETURN(pg::Rows rows, Run("WITH gone AS (DELETE FROM login_failures WHERE \"user\" = $1 "
                                           "RETURNING address) SELECT count(DISTINCT address) FROM gone",
                                           pg::Params().Text(user)));
  return static_cast<size_t>(rows.empty() ? 0 : rows.Int(0, 0));
}

}  // namespace dala::server
