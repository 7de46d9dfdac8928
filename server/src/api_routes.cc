// Every route of /api/v1, in one table: method, path, who may call it, the
// body it takes, and its handler. The layer in api.cc enforces the access
// and the body before a handler runs; api_routes_test.cc proves it for
// every row. server/API.md documents each route.
#include <cstdint>

#include "api.h"
#include "api_handlers.h"
#include "dala/sync/protocol.h"

namespace dala::server {

namespace {

namespace h = handlers;

// Sync bodies are bounded by ServerConfig::max_body_bytes (and again after
// inflating, by the protocol decoder).
constexpr size_t kServerLimit = SIZE_MAX;
// A form document with its reference lists (the service centres, say).
constexpr size_t kFormDocumentLimit = 8u << 20;

constexpr ApiRoute kRoutes[] = {
    // --- anyone --------------------------------------------------------------------------------
    {"GET", "/api/v1/health", kAnyone, BodyKind::kNone, h::Health},
    {"GET", "/api/v1/time", kAnyone, BodyKind::kNone, h::Time},
    {"POST", "/api/v1/login", kAnyone, BodyKind::kJson, h::Login},
    {"POST", "/api/v1/enroll", kAnyone, BodyKind::kJson, h::Enroll},
    {"GET", "/api/v1/log/checkpoint", kAnyone, BodyKind::kNone, h::LogCheckpoint},
    {"GET", "/api/v1/log/consistency", kAnyone, BodyKind::kNone, h::LogConsistency},
    {"GET", "/api/v1/log/inclusion", kAnyone, BodyKind::kNone, h::LogInclusion},
    {"GET", "/api/v1/server", kAnyone, BodyKind::kNone, h::ServerIdentity},
    {"GET", "/api/v1/session", kAnyone, BodyKind::kNone, h::CurrentSession},

    // --- laptops -------------------------------------------------------------------------------
    {"POST", sync::kSyncPath, kDevicesOnly, BodyKind::kBytes, h::Sync, kServerLimit},

    // --- people: their own session -------------------------------------------------------------
    {"POST", "/api/v1/logout", kReaders, BodyKind::kJson, h::Logout},
    {"GET", "/api/v1/me", kReaders, BodyKind::kNone, h::Me},
    {"POST", "/api/v1/me/language", kReaders, BodyKind::kJson, h::SetLanguage},
    {"GET", "/api/v1/me/keys", kReaders, BodyKind::kNone, h::MyKeys},

    // --- reading: coordinators, auditors, admins -----------------------------------------------
    {"GET", "/api/v1/log/entries", kReaders, BodyKind::kNone, h::LogEntries},
    {"GET", "/api/v1/overview", kReaders, BodyKind::kNone, h::Overview},
    {"GET", "/api/v1/forms", kReaders, BodyKind::kNone, h::ListForms},
    {"GET", "/api/v1/forms/{hash}", kReaders, BodyKind::kNone, h::GetForm},
    {"GET", "/api/v1/forms/{hash}/lists/{list}", kReaders, BodyKind::kNone, h::GetFormList},
    {"GET", "/api/v1/forms/{hash}/xlsform", kReaders, BodyKind::kNone, h::GetFormXlsForm},
    {"GET", "/api/v1/submissions", kReaders, BodyKind::kNone, h::ListSubmissions},
    {"GET", "/api/v1/submissions/{id}", kReaders, BodyKind::kNone, h::GetSubmission},
    {"GET", "/api/v1/submissions/{id}/history", kReaders, BodyKind::kNone, h::SubmissionHistory},
    {"GET", "/api/v1/indicators", kReaders, BodyKind::kNone, h::Indicators},
    {"GET", "/api/v1/duplicates", kReaders, BodyKind::kNone, h::ListDuplicates},
    {"GET", "/api/v1/devices", kReaders, BodyKind::kNone, h::ListDevices},
    {"GET", "/api/v1/export/tables", kReaders, BodyKind::kNone, h::ExportTables},
    {"GET", "/api/v1/export/csv", kReaders, BodyKind::kNone, h::ExportCsv},
    {"GET", "/api/v1/export/json", kReaders, BodyKind::kNone, h::ExportJson},
    {"GET", "/api/v1/export/xlsx", kReaders, BodyKind::kNone, h::ExportXlsx},
    {"GET", "/api/v1/export/geojson", kReaders, BodyKind::kNone, h::ExportGeoJson},
    {"GET", "/api/v1/export/bundle", kAuditorsAndAdmins, BodyKind::kNone, h::ExportBundle},

    // --- deciding: coordinators and admins -----------------------------------------------------
    {"POST", "/api/v1/submissions/{id}/review", kDeciders, BodyKind::kJson, h::Review},
    {"POST", "/api/v1/submissions/{id}/edit", kDeciders, BodyKind::kJson, h::Edit},
    {"POST", "/api/v1/submissions/{id}/resolve", kDeciders, BodyKind::kJson, h::Resolve},
    {"POST", "/api/v1/submissions/{id}/check", kDeciders, BodyKind::kJson, h::CheckEdit},
    {"POST", "/api/v1/duplicates/decide", kDeciders, BodyKind::kJson, h::DecideDuplicate},
    {"POST", "/api/v1/enroll-codes", kDeciders, BodyKind::kJson, h::IssueEnrollCode},
    {"POST", "/api/v1/devices/{key}/revoke", kDeciders, BodyKind::kJson, h::RevokeDevice},
    {"POST", "/api/v1/me/keys", kDeciders, BodyKind::kJson, h::EnrollMyKey},
    {"POST", "/api/v1/decisions/draft", kDeciders, BodyKind::kJson, h::DraftDecision},
    {"POST", "/api/v1/decisions", kDeciders, BodyKind::kJson, h::AppendDecision},

    // --- administering -------------------------------------------------------------------------
    {"GET", "/api/v1/users", kAdminsOnly, BodyKind::kNone, h::ListUsers},
    {"POST", "/api/v1/users", kAdminsOnly, BodyKind::kJson, h::AddUser},
    {"POST", "/api/v1/forms", kAdminsOnly, BodyKind::kBytes, h::PublishForm, kFormDocumentLimit},
    {"POST", "/api/v1/users/{name}/password", kAdminsOnly, BodyKind::kJson, h::SetPassword},
    {"POST", "/api/v1/users/{name}/unlock", kAdminsOnly, BodyKind::kJson, h::UnlockUser},
    {"POST", "/api/v1/forms/{hash}/retire", kAdminsOnly, BodyKind::kJson, h::RetireForm},
    {"POST", "/api/v1/person-key-codes", kAdminsOnly, BodyKind::kJson, h::IssuePersonKeyCode},
    {"GET", "/api/v1/person-keys", kAdminsOnly, BodyKind::kNone, h::ListPersonKeys},
    {"POST", "/api/v1/person-keys/{key}/revoke", kAdminsOnly, BodyKind::kJson, h::RevokePersonKey},
};

}  // namespace

std::span<const ApiRoute> ApiRoutes() { return kRoutes; }

}  // namespace dala::server
