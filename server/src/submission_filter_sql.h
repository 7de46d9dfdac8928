// The WHERE and ORDER BY clauses of a SubmissionFilter, for either store's
// SQL: one place, so that SQLite and PostgreSQL filter, count, group and
// page submissions alike, and the list, its count and its groups agree.
#pragma once

#include <string>
#include <vector>

#include "dala/server/store.h"

namespace dala::server {

// What differs between the two stores' SQL.
struct SqlDialect {
  bool numbered_placeholders = false;  // $1, $2... (PostgreSQL) rather than ? (SQLite)
  const char* always_true = "1";
  // The visit date when the form has one, else the creation day (UTC),
  // compared byte by byte.
  const char* day_expression = "";
  const char* id_hex = "";  // the id as lower-case hex text
  const char* like = "LIKE";  // case-insensitive for ASCII letters only
};

struct FilterSql {
  std::string where;              // " WHERE ..."
  std::vector<std::string> args;  // text, in placeholder order
};

FilterSql SubmissionWhere(const SubmissionFilter& filter, const SqlDialect& dialect);

// " ORDER BY key dir, id dir": the id last, so pages never overlap or skip
// rows that tie.
std::string SubmissionOrderBy(const SubmissionFilter& filter, const SqlDialect& dialect);

}  // namespace dala::server
