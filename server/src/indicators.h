// Indicators: every question of a form summarised over the submissions a
// filter picks (only current ones: neither rejected nor merged), for the
// dashboard's indicators page and for scripts (GET /api/v1/indicators).
//
//  - choices (select_one, select_multiple, rating, acknowledge): a count per
//    choice, in the list's order, zeros included; "answered" is the number
//    of answers (instances, inside a repeat);
//  - numbers (integer, decimal): min, quartiles, median, max, mean (the
//    quartiles interpolated linearly between order statistics) and a
//    histogram of up to 10 bins of equal width;
//  - other types (text, dates, places) are not summarised.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "dala/schema/form.h"
#include "dala/server/store.h"

namespace dala::server {

enum class IndicatorSplit { kNone, kRegion, kCentre };

// {"form", "version", "records", "questions": [...]} and, split, "groups":
// [{"key", "records", "questions": [...]}] (server/API.md).
Result<nlohmann::json> ComputeIndicators(Store& store, const schema::Form& form, const SubmissionFilter& filter,
                                         IndicatorSplit split);
// The same, always read from every picked record's answers: what the
// counts kept in the store must agree with (indicators_test.cc), and what
// answers filters the counts are not kept by (volunteer, dates, state).
Result<nlohmann::json> ComputeIndicatorsFromRecords(Store& store, const schema::Form& form,
                                                    const SubmissionFilter& filter, IndicatorSplit split);

}  // namespace dala::server
