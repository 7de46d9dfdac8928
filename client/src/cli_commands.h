// The `dala` subcommands. Each returns the process exit code and prints
// its own output; errors go to stderr as one "dala: ..." line.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_common.h"
#include "dala/schema/form.h"

namespace dala::client::cli {

struct InitOptions {
  std::string language = "ru";
};
int Init(const Globals& g, const InitOptions& o);
// The profile's store for a new laptop (its folder made too), or the one
// there when it has no key yet: a `dala ui` whose page was closed before
// the key was made. Refused (reason "profile_exists") once it has a key.
Result<std::unique_ptr<LocalStore>> CreateProfile(const Globals& g);

int FormsList(const Globals& g);
int FormsAdd(const Globals& g, const std::string& file);

struct UiOptions {
  int port = 0;
  bool no_browser = false;
  int lock_after_minutes = 15;
};
// `dala ui`: the volunteer's page on 127.0.0.1 (ui_app.h), until Ctrl-C.
int Ui(const Globals& g, const UiOptions& o);
// The start of the UTC day this `dala` was built (DALA_TEST_BUILD_MS in
// tests): a laptop clock before it is wrong.
int64_t BuildMs();

struct FormConvertOptions {
  std::string input;   // survey.xlsx or form.json
  std::string output;  // form.json or survey.xlsx
  std::string lists_dir;
};
int FormConvert(const Globals& g, const FormConvertOptions& o);

struct CollectOptions {
  std::string form;
  std::string answers_file;
  int64_t draft_id = 0;
};
int Collect(const Globals& g, const CollectOptions& o);

struct EditOptions {
  std::string id;
  std::string answers_file;
  std::vector<std::string> sets;
  bool yes = false;  // change a record a coordinator approved or rejected without asking
};
int Edit(const Globals& g, const EditOptions& o);

int Drafts(const Globals& g);

struct ListOptions {
  bool json = false;
  std::string form;
  bool returned = false;  // only records a coordinator sent back
};
int List(const Globals& g, const ListOptions& o);

struct ShowOptions {
  std::string id;
  bool json = false;
};
int Show(const Globals& g, const ShowOptions& o);

struct VerifyOptions {
  bool json = false;
};
int Verify(const Globals& g, const VerifyOptions& o);

struct EnrollOptions {
  std::string url;
  std::string code;
  std::string label;
  std::string ca_file;
  bool allow_http = false;
};
int EnrollCommand(const Globals& g, const EnrollOptions& o);

struct SyncCommandOptions {
  size_t batch = 0;
  std::string ca_file;
};
int SyncCommand(const Globals& g, const SyncCommandOptions& o);

struct ReceiptsOptions {
  bool json = false;
  std::string export_dir;
};
int ReceiptsCommand(const Globals& g, const ReceiptsOptions& o);

// `dala backup DIR`: the profile, as it is (key sealed), into DIR/dala-backup.db.
int Backup(const Globals& g, const std::string& dir);
// `dala restore DIR` (or FILE): a new profile from a backup.
int Restore(const Globals& g, const std::string& from);
// The backup's file name inside DIR.
inline constexpr const char* kBackupFileName = "dala-backup.db";

struct CoordOptions {
  std::string server;  // or DALA_SERVER
  std::string user;    // or DALA_USER; the password comes from DALA_PASSWORD or a prompt
  std::string ca_file;
  bool allow_http = false;
  std::string key_file;  // --key, or DALA_COORD_KEY: decisions are signed with this key (cli_coord_key.h)
};
struct CoordListOptions {
  std::string form, centre, region, volunteer, from, to, state;
  bool conflicts = false;
  bool duplicates = false;
  bool changed = false;
  bool json = false;
  size_t limit = 1000;
};
struct CoordExportOptions {
  std::string form;
  std::string format = "csv";
  std::string lang = "ru";
  std::string out = ".";
};
// The answers to `questions` in form order, labelled in `lang`: groups
// flattened, each repeat instance numbered and indented under its label;
// with `codes`, each question's name and each coded answer's code too.
void PrintAnswers(const schema::Form& form, const std::vector<int>& questions, const nlohmann::json& answers,
                  const schema::InstancePath& path, int indent, const std::string& lang, bool codes);

int CoordList(const CoordOptions& o, const CoordListOptions& f);
int CoordShow(const CoordOptions& o, const std::string& id, bool as_json, bool history, const std::string& lang,
              bool codes);
int CoordReview(const CoordOptions& o, const std::vector<std::string>& ids, const std::string& state,
                const std::string& comment);
int CoordEdit(const CoordOptions& o, const std::string& id, const std::vector<std::string>& sets,
              const std::string& note, bool resolve);
int CoordDuplicates(const CoordOptions& o, bool as_json);
int CoordDecideDuplicate(const CoordOptions& o, const std::string& subject, const std::string& other,
                         const std::string& decision);
int CoordExport(const CoordOptions& o, const CoordExportOptions& e);
// `dala coord key init`: makes a key sealed in a new --key file (never
// overwrites one); `enroll`: enrols it with an admin's one-time code.
int CoordKeyInit(const CoordOptions& o);
int CoordKeyEnroll(const CoordOptions& o, const std::string& code, const std::string& label);
int CoordLogin(const CoordOptions& o);
int CoordLogout(const CoordOptions& o);

}  // namespace dala::client::cli
