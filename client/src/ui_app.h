// `dala ui`: the volunteer's page, served to the laptop's own browser.
//
// UiApp is everything but the socket: the gate (Host, Origin, session),
// the unlocked key and its idle lock, the JSON API over schema::Interview,
// and the embedded page. It takes plain requests and returns plain
// answers, so tests drive it without a network; ui_http.cc is the only
// file that knows the HTTP library. The API is described in client/UI.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dala/base/clock.h"
#include "dala/base/embedded.h"
#include "dala/client/device.h"
#include "dala/client/store.h"
#include "dala/client/sync_client.h"
#include "dala/client/transport.h"
#include "dala/schema/interview.h"
#include "dala/sync/crypto.h"

namespace dala {
// The files of client/web/, compiled in (cmake/EmbedFiles.cmake).
std::span<const EmbeddedFile> VolunteerPageFiles();
}  // namespace dala

namespace dala::client::ui {

struct UiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct UiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct UiOptions {
  int64_t lock_after_ms = 15 * 60 * 1000;  // the key locks itself after this long without a request
  std::string language = "ru";             // of the page until the volunteer picks another
  // The connection to the profile's server for the Sync button; unset: no sync.
  std::function<Result<std::unique_ptr<Transport>>()> transport;
  // The store's file: a sync runs on a thread of its own with its own
  // connection to it, so the page answers (and shows progress) meanwhile.
  std::string store_path;
  // The start of the day this `dala` was built: a clock before it is wrong.
  int64_t build_ms = 0;
  // A connection to the server a volunteer enrols with on the page (its
  // address as typed, and the CA file to trust for it, or ""); unset: the
  // page cannot enrol.
  std::function<Result<std::unique_ptr<Transport>>(const std::string& url, const std::string& ca_file)> connect;
  // The name this laptop gives itself when it enrols (its host name).
  std::string laptop_label;
  // The key's sealing when the page creates it (tests make it cheap).
  sync::KdfParams kdf;
};

// Home warns when records have waited this long without a sync.
inline constexpr int64_t kSyncReminderMs = int64_t{7} * 24 * 60 * 60 * 1000;

// After this many wrong passphrases in a row, each further attempt waits
// twice as long as the one before (1 s, 2 s, 4 s, ... up to kMaxUnlockDelayMs).
inline constexpr int kFreeUnlockAttempts = 3;
inline constexpr int64_t kMaxUnlockDelayMs = 5 * 60 * 1000;

class UiApp {
 public:
  UiApp(LocalStore& store, const Clock& clock, sync::Random& random, UiOptions options);
  UiApp(const UiApp&) = delete;
  UiApp& operator=(const UiApp&) = delete;
  // Waits for a sync that is running to end.
  ~UiApp();

  // The port the socket listens on: only 127.0.0.1:port and localhost:port
  // are accepted as Host, and as Origin.
  void SetPort(int port);
  // The one-time token of the address printed for the volunteer.
  const std::string& token() const { return token_; }

  // Answers any request; never throws (a failure is a JSON 500).
  UiResponse Handle(const UiRequest& request);

  // Wipes the key when nothing asked for it for lock_after_ms.
  void LockIfIdle();
  bool unlocked();
  // Returns once no sync runs (the one started last has ended).
  void WaitForSync();

 private:
  UiResponse Gate(const UiRequest& r);
  UiResponse Route(const UiRequest& r);
  UiResponse ExchangeToken(const UiRequest& r);
  UiResponse Unlock(const nlohmann::json& body);
  // A profile without a key (`dala ui` made it): the key, made on the page.
  UiResponse SetUp(const nlohmann::json& body);
  bool HasKey();
  UiResponse EnrollHere(const nlohmann::json& body);
  UiResponse Home();
  UiResponse StartDraft(const nlohmann::json& body);
  UiResponse DraftAction(int64_t draft, const std::string& action, const nlohmann::json& body);
  UiResponse Finish(int64_t draft);
  UiResponse Record(const std::string& id);
  UiResponse EditRecord(const std::string& id);
  UiResponse Laptop();
  UiResponse ReceiptsZip();
  UiResponse BackupFile();
  UiResponse StartSync();
  UiResponse SyncState();
  nlohmann::json FailedSyncAnswer(const Status& failure);
  // Why the laptop should sync, or doubt its clock, for Home.
  nlohmann::json Warnings(const std::vector<SubmissionRow>& records);
  // The interview of a draft, loaded from the store at its first use.
  Result<schema::Interview*> InterviewOf(int64_t draft);
  Status SaveDraft(int64_t draft);
  void LockNow();

  LocalStore& store_;
  const Clock& clock_;
  sync::Random& random_;
  UiOptions options_;
  AssetCatalog assets_;
  std::mutex mu_;  // one request at a time: the store and interviews are not shared
  int port_ = 0;
  std::string token_;    // empty once exchanged
  std::string session_;  // empty until the token is exchanged
  std::string language_;
  // The key lives in sodium_malloc'd memory, wiped when the last holder
  // lets go: locking during a sync lets that sync finish, then wipes it.
  std::shared_ptr<Device> device_;
  int64_t last_request_ms_ = 0;
  int failed_unlocks_ = 0;
  int64_t next_unlock_ms_ = 0;
  struct OpenDraft {
    DraftRow row;
    std::unique_ptr<schema::Interview> interview;
  };
  std::map<int64_t, OpenDraft> drafts_;

  // The sync running or run last (GET /api/sync), written by its thread.
  struct SyncJob {
    bool running = false;
    SyncProgress progress;
    int status = 0;  // of the last run's answer; 0 before any
    nlohmann::json answer;
    // Why the last run failed, worded when the page asks (FailedSyncAnswer).
    std::optional<Status> failure;
  };
  std::mutex sync_mu_;
  SyncJob sync_;
  std::thread sync_thread_;
};

}  // namespace dala::client::ui
