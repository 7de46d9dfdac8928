// Pieces of the form model shared between the loader and the answer code.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "dala/schema/form.h"

namespace dala::schema {

// An answer's JSON as an expression value, by question type.
Value JsonToValue(const Question& q, const nlohmann::json& answer);
// A calculation's value as stored JSON: whole numbers as integers, other
// numbers as numbers, everything else as its string; empty and NaN as null.
nlohmann::json ValueToJson(const Value& v);
// Type and list checks of one answer: a choice must be an item of its
// list; a choice filter is Form::CheckAnswer's to apply.
Status CheckAnswerShape(const Form& form, const Question& q, const nlohmann::json& v, std::string_view language);
// Removes null members, at the top and inside repeat instances.
void PruneNulls(nlohmann::json* answers);

}  // namespace dala::schema
