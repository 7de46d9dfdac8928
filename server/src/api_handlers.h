// The API's handlers: one named function per route, over Dala's own
// request and response types (api.h). They run only after the route layer
// has authenticated the caller, checked the role and CSRF, and parsed the
// body the route declares, so none of them repeats those checks.
// server/API.md documents each route.
#pragma once

#include "api.h"
#include "record_service.h"

namespace dala::server::handlers {

// api_accounts.cc
Result<HttpResponse> Health(const Call& call);
Result<HttpResponse> Login(const Call& call);
Result<HttpResponse> Logout(const Call& call);
Result<HttpResponse> Me(const Call& call);
Result<HttpResponse> SetLanguage(const Call& call);
Result<HttpResponse> CurrentSession(const Call& call);
Result<HttpResponse> ListUsers(const Call& call);
Result<HttpResponse> AddUser(const Call& call);
Result<HttpResponse> IssueEnrollCode(const Call& call);
Result<HttpResponse> ListDevices(const Call& call);
Result<HttpResponse> RevokeDevice(const Call& call);

// api_admin.cc: administering
Result<HttpResponse> SetPassword(const Call& call);
Result<HttpResponse> UnlockUser(const Call& call);
Result<HttpResponse> RetireForm(const Call& call);

// api_devices.cc: what laptops call
Result<HttpResponse> Enroll(const Call& call);
Result<HttpResponse> Sync(const Call& call);
Result<HttpResponse> Time(const Call& call);

// api_log.cc: the transparency log
Result<HttpResponse> LogCheckpoint(const Call& call);
Result<HttpResponse> LogConsistency(const Call& call);
Result<HttpResponse> LogInclusion(const Call& call);
Result<HttpResponse> LogEntries(const Call& call);
Result<HttpResponse> ServerIdentity(const Call& call);

// api_overview.cc: the dashboard's first page
Result<HttpResponse> Overview(const Call& call);

// api_forms.cc
Result<HttpResponse> ListForms(const Call& call);
Result<HttpResponse> GetForm(const Call& call);
Result<HttpResponse> GetFormList(const Call& call);
Result<HttpResponse> GetFormXlsForm(const Call& call);
Result<HttpResponse> PublishForm(const Call& call);

// api_submissions.cc: review, corrections, conflicts
Result<HttpResponse> ListSubmissions(const Call& call);
Result<HttpResponse> GetSubmission(const Call& call);
Result<HttpResponse> SubmissionHistory(const Call& call);
Result<HttpResponse> Review(const Call& call);
Result<HttpResponse> Edit(const Call& call);
Result<HttpResponse> Resolve(const Call& call);
Result<HttpResponse> CheckEdit(const Call& call);
Result<HttpResponse> Indicators(const Call& call);

// api_duplicates.cc
Result<HttpResponse> ListDuplicates(const Call& call);
Result<HttpResponse> DecideDuplicate(const Call& call);

// api_exports.cc
Result<HttpResponse> ExportTables(const Call& call);
Result<HttpResponse> ExportCsv(const Call& call);
Result<HttpResponse> ExportJson(const Call& call);
Result<HttpResponse> ExportXlsx(const Call& call);
Result<HttpResponse> ExportGeoJson(const Call& call);
Result<HttpResponse> ExportBundle(const Call& call);

// api_person_keys.cc: people's keys and the decisions they sign
Result<HttpResponse> IssuePersonKeyCode(const Call& call);
Result<HttpResponse> MyKeys(const Call& call);
Result<HttpResponse> EnrollMyKey(const Call& call);
Result<HttpResponse> ListPersonKeys(const Call& call);
Result<HttpResponse> RevokePersonKey(const Call& call);
Result<HttpResponse> DraftDecision(const Call& call);
Result<HttpResponse> AppendDecision(const Call& call);
// Not a handler: the answers a correction or resolution leads to (the
// merged answers with the body's `set` applied), whoever signs it.
Result<CoordinatorEdit> EditOf(const Call& call, const sync::SubmissionId& id, bool resolve);

}  // namespace dala::server::handlers
