// `dala`: the volunteer's command-line client. The subcommands live in
// cli_*.cc; this file only declares the command line (CLI11) and
// dispatches.

#include <CLI/App.hpp>
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>
#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli_audit.h"
#include "cli_commands.h"
#include "cli_words.h"
#include "dala/base/console.h"
#include "dala/schema/spelling.h"
#include "dala/sync/crypto.h"

namespace dala::client::cli {

namespace {

// The `coord` subcommand group, declared apart as AuditCommands declares
// `audit`: the coordinator's commands talk to the server's API with a
// password login and share nothing with the volunteer's but the parser.
class CoordCommands {
 public:
  explicit CoordCommands(CLI::App& app) {
    coord_ = app.add_subcommand("coord", "Coordinator commands: review, correct, resolve, export (server login)");
    coord_->require_subcommand(1);
    coord_->add_option("--server", o_.server, "Server address (or DALA_SERVER)");
    coord_->add_option("--user", o_.user, "Your user name (or DALA_USER); password from DALA_PASSWORD or a prompt");
    coord_->add_option("--ca", o_.ca_file, "CA certificate file for a server with a private certificate")
        ->envname("DALA_CA");
    coord_->add_option("--key", o_.key_file,
                       "Your own key file, which signs your decisions (or DALA_COORD_KEY; `dala coord key init`)");
    coord_->add_flag("--allow-http", o_.allow_http,
                     "Allow an unencrypted http:// server that is not this machine (sends your password in the clear)");
    clogin_ = coord_->add_subcommand("login", "Log in once; later commands use the session until logout");
    clogout_ = coord_->add_subcommand("logout", "End the saved session and forget it");
    clist_ = coord_->add_subcommand("list", "List submissions, with filters");
    clist_->add_option("--form", list_o_.form, "Form id");
    clist_->add_option("--centre", list_o_.centre, "Service centre: its code, or its label in any language");
    clist_->add_option("--region", list_o_.region, "Region");
    clist_->add_option("--volunteer", list_o_.volunteer, "Volunteer user name");
    clist_->add_option("--from", list_o_.from, "From date, DD.MM.YYYY or YYYY-MM-DD");
    clist_->add_option("--to", list_o_.to, "To date, DD.MM.YYYY or YYYY-MM-DD");
    clist_->add_option("--state", list_o_.state, "Review state: received, has_issues, approved, rejected");
    clist_->add_flag("--conflicts", list_o_.conflicts, "Only submissions with conflicting edits");
    clist_->add_flag("--duplicates", list_o_.duplicates, "Only possible duplicates");
    clist_->add_flag("--changed", list_o_.changed, "Only records a volunteer changed after the last decision");
    clist_->add_flag("--json", list_o_.json, "Machine-readable output");
    cshow_ = coord_->add_subcommand("show", "Show a submission, its conflicts and review");
    cshow_->add_option("ID", id_, "Submission id: the whole id, or its last 8 or more hex digits")->required();
    cshow_->add_flag("--json", json_, "Machine-readable output");
    cshow_->add_option("--lang", lang_, "Language of labels: kk, ru or en (default: the form's)")
        ->check(CLI::IsMember({"kk", "ru", "en"}));
    cshow_->add_flag("--codes", codes_, "Also each question's name and each answer's code");
    chistory_ = coord_->add_subcommand("history", "Who changed which field, when, under which signature");
    chistory_->add_option("ID", id_, "Submission id: the whole id, or its last 8 or more hex digits")->required();
    chistory_->add_flag("--json", json_, "Machine-readable output");
    creview_ = coord_->add_subcommand("review", "Record a review decision (signed and logged)");
    creview_->add_option("ID", ids_, "Submission ids: whole, or their last 8 or more hex digits")->required();
    creview_->add_option("--state", state_, "received, has_issues, approved or rejected")->required();
    creview_->add_option("--comment", comment_, "What the volunteer should fix (required for has_issues)");
    cedit_ = coord_->add_subcommand("edit", "Correct answers: a new revision signed by the server for you");
    cedit_->add_option("ID", id_, "Submission id: the whole id, or its last 8 or more hex digits")->required();
    cedit_->add_option("--set", sets_, "NAME=VALUE (VALUE as JSON, or text)")->required();
    cedit_->add_option("--note", note_, "Why");
    cresolve_ = coord_->add_subcommand("resolve",
                                       "Resolve conflicting edits; unchosen fields keep the provisional winner");
    cresolve_->add_option("ID", id_, "Submission id: the whole id, or its last 8 or more hex digits")->required();
    cresolve_->add_option("--choose", sets_, "NAME=VALUE for a conflicting field");
    cresolve_->add_option("--note", note_, "Why");
    cdups_ = coord_->add_subcommand("duplicates", "List possible duplicates");
    cdups_->add_flag("--json", json_, "Machine-readable output");
    cmerge_ = coord_->add_subcommand("merge-duplicate", "Mark a submission as a duplicate merged into another");
    cmerge_->add_option("DUPLICATE", id_, "The submission to retire")->required();
    cmerge_->add_option("--into", other_, "The submission to keep")->required();
    ckeep_ = coord_->add_subcommand("keep-both", "Mark two flagged submissions as distinct");
    ckeep_->add_option("A", id_, "Submission id")->required();
    ckeep_->add_option("B", other_, "Submission id")->required();
    ckey_ = coord_->add_subcommand("key", "Your own key, which signs your decisions");
    ckey_->require_subcommand(1);
    ckey_init_ = ckey_->add_subcommand("init", "Make a key, sealed under a passphrase, in the --key file");
    ckey_enroll_ = ckey_->add_subcommand("enroll", "Enrol the key with the one-time code an administrator gave you");
    ckey_enroll_->add_option("CODE", code_, "The one-time code")->required();
    ckey_enroll_->add_option("--label", label_, "Where the key lives, e.g. 'office laptop'");
    cexport_ = coord_->add_subcommand("export", "Export current state: CSV (one file per table) or JSON");
    cexport_->add_option("--form", export_o_.form, "Form id")->required();
    cexport_->add_option("--format", export_o_.format, "csv or json")->capture_default_str();
    cexport_->add_option("--lang", export_o_.lang, "Language of labels: kk, ru or en")->capture_default_str();
    cexport_->add_option("--out", export_o_.out, "Directory to write into")->capture_default_str();
  }
  // CLI11 holds the addresses of the options below.
  CoordCommands(const CoordCommands&) = delete;
  CoordCommands& operator=(const CoordCommands&) = delete;

  // The exit code if a coordinator command was parsed.
  [[nodiscard]] std::optional<int> RunIfParsed() const {
    if (!coord_->parsed()) return std::nullopt;
    if (clogin_->parsed()) return CoordLogin(o_);
    if (clogout_->parsed()) return CoordLogout(o_);
    if (clist_->parsed()) return CoordList(o_, list_o_);
    if (cshow_->parsed()) return CoordShow(o_, id_, json_, false, lang_, codes_);
    if (chistory_->parsed()) return CoordShow(o_, id_, json_, true, lang_, codes_);
    if (creview_->parsed()) return CoordReview(o_, ids_, state_, comment_);
    if (cedit_->parsed()) return CoordEdit(o_, id_, sets_, note_, false);
    if (cresolve_->parsed()) return CoordEdit(o_, id_, sets_, note_, true);
    if (cdups_->parsed()) return CoordDuplicates(o_, json_);
    if (cmerge_->parsed()) return CoordDecideDuplicate(o_, id_, other_, "merged_into");
    if (ckeep_->parsed()) return CoordDecideDuplicate(o_, id_, other_, "not_duplicate");
    if (cexport_->parsed()) return CoordExport(o_, export_o_);
    if (ckey_init_->parsed()) return CoordKeyInit(o_);
    if (ckey_enroll_->parsed()) return CoordKeyEnroll(o_, code_, label_);
    return std::nullopt;
  }

 private:
  CLI::App *coord_, *clogin_, *clogout_, *clist_, *cshow_, *chistory_, *creview_, *cedit_, *cresolve_, *cdups_,
      *cmerge_, *ckeep_, *cexport_, *ckey_, *ckey_init_, *ckey_enroll_;
  std::string code_, label_;
  CoordOptions o_;
  CoordListOptions list_o_;
  CoordExportOptions export_o_;
  std::string id_, state_, comment_, note_, other_, lang_;  // shared by the subcommands; one runs
  std::vector<std::string> ids_;
  bool codes_ = false;
  bool json_ = false;
  std::vector<std::string> sets_;
};

// `dala sycn`: CLI11 would only say that a subcommand is required. The
// first word that is not an option must name a command; if it does not, say
// so and suggest the nearest one.
std::optional<int> RefuseUnknownCommand(const CLI::App& app, const Globals& g, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word == "--profile" || word == "--lang") {
      ++i;  // its value follows
      continue;
    }
    if (word.empty() || word[0] == '-') continue;
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), word) != names.end()) return std::nullopt;
    std::string lang = g.language;
    for (int k = 1; k + 1 < argc && lang.empty(); ++k)
      if (std::string_view(argv[k]) == "--lang") lang = argv[k + 1];
    std::string nearest = schema::NearestName(word, names);
    std::cerr << "dala: " << Tr(Say::kUnknownCommand, lang, {word})
              << (nearest.empty() ? "" : "; " + Tr(Say::kDidYouMean, lang, {nearest})) << "\n"
              << "Run with --help for more information.\n";
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace

int Main(int argc, char** argv) {
  if (!sync::InitCrypto().ok()) return Fail("libsodium failed to initialise");

  CLI::App app{"dala — offline field data collection with signed records.\n"
               "Collect observations and surveys without a network; every record is signed on this laptop."};
  app.set_version_flag("--version", "dala 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();

  Globals g;
  app.add_option("--profile", g.profile_dir, "Profile directory (default: $DALA_HOME or ~/.local/share/dala)");
  app.add_option("--lang", g.language, "Language for forms and messages: kk, ru or en")
      ->check(CLI::IsMember(kLanguages));

  InitOptions init_o;
  auto* init = app.add_subcommand("init", "Create this laptop's profile and its signing key");
  init->add_option("--lang", init_o.language, "Default language: kk, ru or en")
      ->capture_default_str()
      ->check(CLI::IsMember(kLanguages));

  auto* forms = app.add_subcommand("forms", "List the forms on this laptop, or add one");
  std::string form_file;
  auto* forms_add = forms->add_subcommand("add", "Load a form document (JSON) onto this laptop");
  forms_add->add_option("FILE", form_file, "The form document")->required();

#ifndef _WIN32
  // XLSForms are converted on Linux: the Windows build is the volunteer's
  // client and carries no spreadsheet libraries.
  FormConvertOptions convert_o;
  auto* form = app.add_subcommand("form", "Work with form files");
  form->require_subcommand(1);
  auto* form_convert = form->add_subcommand(
      "convert", "Convert an XLSForm (.xlsx) to a form document (.json), or a form document to an XLSForm");
  form_convert->add_option("FILE", convert_o.input, "survey.xlsx or form.json")->required()->check(CLI::ExistingFile);
  form_convert->add_option("-o,--output", convert_o.output, "form.json or survey.xlsx")->required();
  form_convert->add_option("--lists", convert_o.lists_dir,
                           "Folder of the CSV files that select_*_from_file and pulldata() name")
      ->check(CLI::ExistingDirectory);
#endif

  CollectOptions collect_o;
  UiOptions ui_o;
  auto* ui = app.add_subcommand("ui", "Fill in forms in this laptop's own browser (offline; nothing leaves it)");
  ui->add_option("--port", ui_o.port, "Port on 127.0.0.1 (default: a free one)")->check(CLI::Range(0, 65535));
  ui->add_flag("--no-browser", ui_o.no_browser, "Only print the address; do not open a browser");
  ui->add_option("--lock-after", ui_o.lock_after_minutes, "Lock the key after this many idle minutes")
      ->capture_default_str()
      ->check(CLI::Range(1, 24 * 60));
  auto* collect = app.add_subcommand("collect", "Fill in a form: an interview, or answers from a file");
  collect->add_option("FORM", collect_o.form, "Form id, or id@version");
  collect->add_option("--answers", collect_o.answers_file, "Take the answers from a JSON file instead of asking");
  collect->add_option("--draft", collect_o.draft_id, "Resume a saved draft");

  auto* drafts = app.add_subcommand("drafts", "List interviews saved as drafts");

  ListOptions list_o;
  auto* list = app.add_subcommand("list", "List the records on this laptop");
  list->add_flag("--json", list_o.json, "Machine-readable output");
  list->add_option("--form", list_o.form, "Only records of this form");
  list->add_flag("--returned", list_o.returned, "Only records a coordinator sent back for correction");

  ShowOptions show_o;
  auto* show = app.add_subcommand("show", "Show one record, its review and its history");
  show->add_option("ID", show_o.id, "Record id: the whole id, or its last 8 or more hex digits as `dala list` shows them")->required();
  show->add_flag("--json", show_o.json, "Machine-readable output");

  EditOptions edit_o;
  auto* edit = app.add_subcommand("edit", "Change a record: a new signed revision on top of the current one");
  edit->add_option("ID", edit_o.id, "Record id: the whole id, or its last 8 or more hex digits as `dala list` shows them")->required();
  edit->add_option("--answers", edit_o.answers_file, "Replace all answers with those in a JSON file");
  edit->add_option("--set", edit_o.sets, "Change one answer: NAME=VALUE (repeatable)");
  edit->add_flag("--yes", edit_o.yes, "Change a record a coordinator approved or rejected without asking");

  std::string backup_dir, restore_from;
  auto* backup = app.add_subcommand("backup", "Copy this laptop's profile (records and sealed key) into DIR");
  backup->add_option("DIR", backup_dir, "Where to write dala-backup.db, e.g. a USB stick")->required();
  auto* restore = app.add_subcommand("restore", "Make this laptop's profile from a backup (never over a profile)");
  restore->add_option("DIR", restore_from, "The directory holding dala-backup.db, or the file")->required();

  VerifyOptions verify_o;
  auto* verify = app.add_subcommand("verify", "Re-verify every record's signature and this laptop's chain");
  verify->add_flag("--json", verify_o.json, "Machine-readable output");

  EnrollOptions enroll_o;
  auto* enroll = app.add_subcommand("enroll", "Register this laptop with a Dala server, using a one-time code");
  enroll->add_option("URL", enroll_o.url, "Server address, e.g. https://dala.example.kz")->required();
  enroll->add_option("CODE", enroll_o.code, "The one-time code from your coordinator")->required();
  enroll->add_option("--label", enroll_o.label, "A name for this laptop (default: its host name)");
  enroll->add_option("--ca", enroll_o.ca_file, "CA certificate file for a server with a private certificate")
      ->envname("DALA_CA");
  enroll->add_flag("--allow-http", enroll_o.allow_http,
                   "Allow an unencrypted http:// server that is not this machine (a network you trust)");

  SyncCommandOptions sync_o;
  auto* sync_cmd = app.add_subcommand("sync", "Send new records to the server and receive corrections and forms");
  sync_cmd->add_option("--batch", sync_o.batch, "Records per exchange (default 2000, the most a server takes)");
  sync_cmd->add_option("--ca", sync_o.ca_file, "CA certificate file for a server with a private certificate")
      ->envname("DALA_CA");

  ReceiptsOptions receipts_o;
  auto* receipts = app.add_subcommand("receipts", "List the server's signed receipts for this laptop's records");
  receipts->add_flag("--json", receipts_o.json, "Machine-readable output");
  receipts->add_option("--export", receipts_o.export_dir, "Write each receipt as a JSON file in DIR, for an auditor");

  CoordCommands coord(app);  // `dala coord ...`: the server's API, no profile
  AuditCommands audit(app);  // `dala audit verify|trace`: offline, no profile

  if (auto code = RefuseUnknownCommand(app, g, argc, argv)) return *code;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (init->parsed()) return Init(g, init_o);
  if (forms_add->parsed()) return FormsAdd(g, form_file);
#ifndef _WIN32
  if (form_convert->parsed()) return FormConvert(g, convert_o);
#endif
  if (forms->parsed()) return FormsList(g);
  if (ui->parsed()) return Ui(g, ui_o);
  if (collect->parsed()) return Collect(g, collect_o);
  if (backup->parsed()) return Backup(g, backup_dir);
  if (restore->parsed()) return Restore(g, restore_from);
  if (drafts->parsed()) return Drafts(g);
  if (list->parsed()) return List(g, list_o);
  if (show->parsed()) return Show(g, show_o);
  if (edit->parsed()) return Edit(g, edit_o);
  if (verify->parsed()) return Verify(g, verify_o);
  if (enroll->parsed()) return EnrollCommand(g, enroll_o);
  if (sync_cmd->parsed()) return SyncCommand(g, sync_o);
  if (receipts->parsed()) return ReceiptsCommand(g, receipts_o);
  if (auto code = coord.RunIfParsed()) return *code;
  if (auto code = audit.RunIfParsed()) return *code;
  std::cerr << app.help() << "\n";
  return kExitUsage;
}

}  // namespace dala::client::cli

#ifdef _WIN32
// Windows hands a program its arguments in UTF-16 (wmain); the ANSI argv
// would lose every Kazakh letter the code page lacks.
int wmain(int argc, wchar_t** wargv) {
  dala::UseUtf8Console();
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) args.push_back(dala::Utf16ToUtf8(wargv[i]));
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  try {
    return dala::client::cli::Main(argc, argv.data());
  } catch (const std::exception& e) {
    std::cerr << "dala: internal error: " << e.what() << "\n";
    return dala::client::cli::kExitFailure;
  }
}
#else
int main(int argc, char** argv) {
  try {
    return dala::client::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    // Nothing should throw this far; if it does, say so in one line.
    std::cerr << "dala: internal error: " << e.what() << "\n";
    return dala::client::cli::kExitFailure;
  }
}
#endif
