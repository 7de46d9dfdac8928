// What the page is told: the JSON of a screen of an interview, and of the
// lists on the home page. Everything here is data; the page renders it as
// text (client/UI.md has the fields).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dala/client/store.h"
#include "dala/schema/interview.h"

namespace dala::client::ui {

// The current step of `iv` as the engine decides it: the question, its
// label, hint, type, whether required, its answer, the choices offered
// after choice filters, its repeat instance; or at the end, the summary of
// every answer and the problems left. `error` is the engine's message for
// the answer just refused, in `language`. A field-list group adds `group`
// and `fields` (each visible question of the screen); `error_at`, if
// given, names the field the error belongs to.
nlohmann::json ScreenJson(const schema::Interview& iv, int64_t draft, const std::string& language,
                          const std::string& error, const schema::InterviewStep* error_at = nullptr);

// Where the interview stands, for the drafts table's `position`
// (client/DATABASE.md), and back: a position that names no step of the
// current answers opens at the first unanswered step instead.
std::string PositionOf(const schema::Interview& iv);
void RestorePosition(schema::Interview& iv, const std::string& position);

// The stored form of that hash (hex), or null.
std::shared_ptr<const schema::Form> FormOfHash(LocalStore& store, const std::string& hex);

nlohmann::json FormsJson(LocalStore& store, const std::vector<FormRow>& forms, const std::string& language);
nlohmann::json DraftsJson(LocalStore& store, const std::vector<DraftRow>& drafts, const std::string& language);
nlohmann::json RecordsJson(LocalStore& store, const std::vector<SubmissionRow>& records, const std::string& language);
// One record: its answers in form order, labelled, and its review state.
nlohmann::json RecordJson(LocalStore& store, const SubmissionRow& record, const std::string& language);

}  // namespace dala::client::ui
