#include "bundle_export.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "dala/sync/bundle.h"

namespace dala::server {

namespace {

Status WriteAll(Store& store, RecordService& records, const RecordService::LogState& log,
                sync::BundleWriter& w, BundleStats* stats, const Clock* clock) {
  DALA_RETURN_IF_ERROR(w.SetHeader(records.origin(), records.server_key(), clock ? clock->NowMs() : 0));
  DALA_ASSIGN_OR_RETURN(auto projects, store.ListProjects());
  for (const Project& p : projects) DALA_RETURN_IF_ERROR(w.AddProject({p.name, p.title, p.created_ms}));
  DALA_ASSIGN_OR_RETURN(auto forms, store.ListForms());
  for (const FormInfo& f : forms) {
    DALA_ASSIGN_OR_RETURN(auto doc, store.FormDocument(f.hash));
    if (!doc) return Status::Corruption("form " + f.hash + " is listed but has no document");
    DALA_RETURN_IF_ERROR(w.AddForm({f.hash, f.form_id, f.version, f.project, *doc, f.published_ms}));
  }
  DALA_ASSIGN_OR_RETURN(auto users, store.ListUsers());
  for (const User& u : users) DALA_RETURN_IF_ERROR(w.AddUser({u.name, RoleName(u.role)}));
  DALA_ASSIGN_OR_RETURN(auto devices, store.ListDevices());
  for (const Device& d : devices) {
    DALA_RETURN_IF_ERROR(w.AddDevice(
        {d.key, d.volunteer, d.label, d.enrolled_ms, d.enrolled_by, d.revoked_ms, d.revoked_by, d.revoke_reason}));
  }
  for (uint64_t start = 0; start < log.size; start += 5000) {
    DALA_ASSIGN_OR_RETURN(auto batch, store.LogRange(start, std::min(log.size, start + 5000)));
    for (const StoredEnvelope& e : batch) {
      DALA_ASSIGN_OR_RETURN(uint64_t index, w.AppendLog(e.bytes));
      if (index != e.log_index) return Status::Corruption("the log has a gap at " + std::to_string(index));
    }
  }
  DALA_RETURN_IF_ERROR(w.AddCheckpoint(log.size, log.checkpoint));
  SubmissionFilter all;
  all.limit = 5000;
  for (all.offset = 0;; all.offset += all.limit) {
    DALA_ASSIGN_OR_RETURN(auto page, store.ListSubmissions(all));
    for (const SubmissionSummary& s : page) {
      DALA_ASSIGN_OR_RETURN(std::vector<sync::Hash> heads, HeadsIn(store, s.id));
      DALA_RETURN_IF_ERROR(w.AddSubmission({s.id, s.form_id, s.answers_json, heads, s.conflicts, s.review_state}));
      ++stats->submissions;
    }
    if (page.size() < all.limit) break;
  }
  stats->log_size = log.size;
  return w.Finish();
}

}  // namespace

Result<BundleStats> WriteBundle(Store& store, RecordService& records, const std::string& path) {
  SystemClock clock;
  // The log size is fixed first (and its checkpoint signed), then every
  // table is read from one snapshot, which syncs go on committing past.
  // If an append slipped in between the two, try again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    DALA_ASSIGN_OR_RETURN(RecordService::LogState log, records.CurrentLog());
    BundleStats stats;
    bool moved = false;
    Status s = store.InReadSnapshot([&](Store& snapshot) -> Status {
      DALA_ASSIGN_OR_RETURN(uint64_t size, snapshot.LogSize());
      if (size != log.size) {
        moved = true;
        return Status::Unavailable("the log moved during export");
      }
      DALA_ASSIGN_OR_RETURN(sync::BundleWriter writer, sync::BundleWriter::Create(path));
      Status written = WriteAll(snapshot, records, log, writer, &stats, &clock);
      if (!written.ok()) ::unlink(path.c_str());
      return written;
    });
    if (s.ok()) return stats;
    if (!moved) return s;
  }
  return Status::Unavailable("the log kept growing during the export; try again");
}

}  // namespace dala::server
