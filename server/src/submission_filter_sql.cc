#include "submission_filter_sql.h"

#include <algorithm>

namespace dala::server {

FilterSql SubmissionWhere(const SubmissionFilter& f, const SqlDialect& d) {
  FilterSql w;
  w.where = std::string(" WHERE ") + d.always_true;
  auto arg = [&](std::string value) {
    w.args.push_back(std::move(value));
    return d.numbered_placeholders ? "$" + std::to_string(w.args.size()) : std::string("?");
  };
  auto eq = [&](const char* column, const std::string& value) {
    if (!value.empty()) w.where += std::string(" AND ") + column + " = " + arg(value);
  };
  eq("form_id", f.form_id);
  eq("centre", f.centre);
  eq("region", f.region);
  eq("volunteer", f.volunteer);
  eq("review_state", f.review_state);
  if (!f.date_from.empty()) w.where += std::string(" AND ") + d.day_expression + " >= " + arg(f.date_from);
  if (!f.date_to.empty()) w.where += std::string(" AND ") + d.day_expression + " <= " + arg(f.date_to);
  if (f.only_conflicts) w.where += " AND conflicts > 0";
  if (f.only_duplicates) w.where += " AND duplicate_group <> '' AND merged_into = ''";
  if (f.only_changed) w.where += " AND changed_since_review = 1";
  if (f.only_current) w.where += " AND merged_into = '' AND review_state <> 'rejected'";
  if (!f.search.empty()) {
    // The wildcards escaped: the search is text, not a pattern.
    std::string pattern = "%";
    for (char c : f.search) {
      if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
      pattern.push_back(c);
    }
    pattern.push_back('%');
    // An id is searched as its hex digits, with or without the dashes.
    std::string hex_pattern = pattern;
    hex_pattern.erase(std::remove(hex_pattern.begin(), hex_pattern.end(), '-'), hex_pattern.end());
    w.where += std::string(" AND (") + d.id_hex + " " + d.like + " " + arg(hex_pattern) + " ESCAPE '\\'";
    for (const char* column : {"volunteer", "centre", "region", "review_comment"})
      w.where += std::string(" OR ") + column + " " + d.like + " " + arg(pattern) + " ESCAPE '\\'";
    w.where += ")";
  }
  return w;
}

std::string SubmissionOrderBy(const SubmissionFilter& f, const SqlDialect& d) {
  const char* dir = f.descending ? " DESC" : " ASC";
  std::string key;
  switch (f.sort) {
    case SubmissionFilter::Sort::kCreated: key = "created_ms"; break;
    case SubmissionFilter::Sort::kUpdated: key = "updated_ms"; break;
    case SubmissionFilter::Sort::kDay: key = d.day_expression; break;
    case SubmissionFilter::Sort::kCentre: key = "centre"; break;
    case SubmissionFilter::Sort::kVolunteer: key = "volunteer"; break;
    case SubmissionFilter::Sort::kState: key = "review_state"; break;
  }
  return " ORDER BY " + key + dir + ", id" + dir;
}

}  // namespace dala::server
