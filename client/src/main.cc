// `dala`: the volunteer's command-line client. The subcommands live in
// cli_*.cc; this file only declares the command line (CLI11) and
// dispatches.

#include <CLI/App.hpp>
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>
#include <iostream>

#include "cli_audit.h"
#include "cli_commands.h"
#include "dala/sync/crypto.h"

namespace dala::client::cli {

int Main(int argc, char** argv) {
  if (!sync::InitCrypto().ok()) return Fail("libsodium failed to initialise");

  CLI::App app{"dala — offline field data collection with signed records.\n"
               "Collect observations and surveys without a network; every record is signed on this laptop."};
  app.set_version_flag("--version", "dala 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();

  Globals g;
  app.add_option("--profile", g.profile_dir, "Profile directory (default: $DALA_HOME or ~/.local/share/dala)");
  app.add_option("--lang", g.language, "Language for forms and messages: kk, ru or en");

  InitOptions init_o;
  auto* init = app.add_subcommand("init", "Create this laptop's profile and its signing key");
  init->add_option("--lang", init_o.language, "Default language: kk, ru or en")->capture_default_str();

  auto* forms = app.add_subcommand("forms", "List the forms on this laptop, or add one");
  std::string form_file;
  auto* forms_add = forms->add_subcommand("add", "Load a form document (JSON) onto this laptop");
  forms_add->add_option("FILE", form_file, "The form document")->required();

  CollectOptions collect_o;
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
  show->add_option("ID", show_o.id, "Record id (or its first characters)")->required();
  show->add_flag("--json", show_o.json, "Machine-readable output");

  EditOptions edit_o;
  auto* edit = app.add_subcommand("edit", "Change a record: a new signed revision on top of the current one");
  edit->add_option("ID", edit_o.id, "Record id (or its first characters)")->required();
  edit->add_option("--answers", edit_o.answers_file, "Replace all answers with those in a JSON file");
  edit->add_option("--set", edit_o.sets, "Change one answer: NAME=VALUE (repeatable)");

  VerifyOptions verify_o;
  auto* verify = app.add_subcommand("verify", "Re-verify every record's signature and this laptop's chain");
  verify->add_flag("--json", verify_o.json, "Machine-readable output");

  EnrollOptions enroll_o;
  auto* enroll = app.add_subcommand("enroll", "Register this laptop with a Dala server, using a one-time code");
  enroll->add_option("URL", enroll_o.url, "Server address, e.g. https://dala.example.kz")->required();
  enroll->add_option("CODE", enroll_o.code, "The one-time code from your coordinator")->required();
  enroll->add_option("--label", enroll_o.label, "A name for this laptop (default: its host name)");
  enroll->add_option("--ca", enroll_o.ca_file, "CA certificate file for a server with a private certificate");
  enroll->add_flag("--allow-http", enroll_o.allow_http,
                   "Allow an unencrypted http:// server that is not this machine (a network you trust)");

  SyncCommandOptions sync_o;
  auto* sync_cmd = app.add_subcommand("sync", "Send new records to the server and receive corrections and forms");
  sync_cmd->add_option("--batch", sync_o.batch, "Records per exchange (default 1000)");
  sync_cmd->add_option("--ca", sync_o.ca_file, "CA certificate file for a server with a private certificate");

  ReceiptsOptions receipts_o;
  auto* receipts = app.add_subcommand("receipts", "List the server's signed receipts for this laptop's records");
  receipts->add_flag("--json", receipts_o.json, "Machine-readable output");
  receipts->add_option("--export", receipts_o.export_dir, "Write each receipt as a JSON file in DIR, for an auditor");

  // The coordinator's commands: they talk to the server's API with a
  // password login and need no volunteer profile.
  CoordOptions coord_o;
  auto* coord = app.add_subcommand("coord", "Coordinator commands: review, correct, resolve, export (server login)");
  coord->require_subcommand(1);
  coord->add_option("--server", coord_o.server, "Server address (or DALA_SERVER)");
  coord->add_option("--user", coord_o.user, "Your user name (or DALA_USER); password from DALA_PASSWORD or a prompt");
  coord->add_option("--ca", coord_o.ca_file, "CA certificate file for a server with a private certificate");
  coord->add_flag("--allow-http", coord_o.allow_http,
                  "Allow an unencrypted http:// server that is not this machine (sends your password in the clear)");
  CoordListOptions clist_o;
  auto* clist = coord->add_subcommand("list", "List submissions, with filters");
  clist->add_option("--form", clist_o.form, "Form id");
  clist->add_option("--centre", clist_o.centre, "Service centre");
  clist->add_option("--region", clist_o.region, "Region");
  clist->add_option("--volunteer", clist_o.volunteer, "Volunteer user name");
  clist->add_option("--from", clist_o.from, "From date, YYYY-MM-DD");
  clist->add_option("--to", clist_o.to, "To date, YYYY-MM-DD");
  clist->add_option("--state", clist_o.state, "Review state: received, has_issues, approved, rejected");
  clist->add_flag("--conflicts", clist_o.conflicts, "Only submissions with conflicting edits");
  clist->add_flag("--duplicates", clist_o.duplicates, "Only possible duplicates");
  clist->add_flag("--json", clist_o.json, "Machine-readable output");
  std::string cid, cstate, ccomment, cnote, cother;
  bool cjson = false;
  std::vector<std::string> csets;
  auto* cshow = coord->add_subcommand("show", "Show a submission, its conflicts and review");
  cshow->add_option("ID", cid, "Submission id")->required();
  cshow->add_flag("--json", cjson, "Machine-readable output");
  auto* chistory = coord->add_subcommand("history", "Who changed which field, when, under which signature");
  chistory->add_option("ID", cid, "Submission id")->required();
  chistory->add_flag("--json", cjson, "Machine-readable output");
  auto* creview = coord->add_subcommand("review", "Record a review decision (signed and logged)");
  creview->add_option("ID", cid, "Submission id")->required();
  creview->add_option("--state", cstate, "received, has_issues, approved or rejected")->required();
  creview->add_option("--comment", ccomment, "What the volunteer should fix (required for has_issues)");
  auto* cedit = coord->add_subcommand("edit", "Correct answers: a new revision signed by the server for you");
  cedit->add_option("ID", cid, "Submission id")->required();
  cedit->add_option("--set", csets, "NAME=VALUE (VALUE as JSON, or text)")->required();
  cedit->add_option("--note", cnote, "Why");
  auto* cresolve = coord->add_subcommand("resolve", "Resolve conflicting edits; unchosen fields keep the provisional winner");
  cresolve->add_option("ID", cid, "Submission id")->required();
  cresolve->add_option("--choose", csets, "NAME=VALUE for a conflicting field");
  cresolve->add_option("--note", cnote, "Why");
  auto* cdups = coord->add_subcommand("duplicates", "List possible duplicates");
  cdups->add_flag("--json", cjson, "Machine-readable output");
  auto* cmerge = coord->add_subcommand("merge-duplicate", "Mark a submission as a duplicate merged into another");
  cmerge->add_option("DUPLICATE", cid, "The submission to retire")->required();
  cmerge->add_option("--into", cother, "The submission to keep")->required();
  auto* ckeep = coord->add_subcommand("keep-both", "Mark two flagged submissions as distinct");
  ckeep->add_option("A", cid, "Submission id")->required();
  ckeep->add_option("B", cother, "Submission id")->required();
  CoordExportOptions cexport_o;
  auto* cexport = coord->add_subcommand("export", "Export current state: CSV (one file per table) or JSON");
  cexport->add_option("--form", cexport_o.form, "Form id")->required();
  cexport->add_option("--format", cexport_o.format, "csv or json")->capture_default_str();
  cexport->add_option("--lang", cexport_o.lang, "Language of labels: kk, ru or en")->capture_default_str();
  cexport->add_option("--out", cexport_o.out, "Directory to write into")->capture_default_str();

  AuditCommands audit(app);  // `dala audit verify|trace`: offline, no profile

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (init->parsed()) return Init(g, init_o);
  if (forms_add->parsed()) return FormsAdd(g, form_file);
  if (forms->parsed()) return FormsList(g);
  if (collect->parsed()) {
    if (collect_o.form.empty() && collect_o.draft_id == 0) {
      std::cerr << "dala: name a form to collect (see `dala forms`), or --draft N\n";
      return kExitUsage;
    }
    return Collect(g, collect_o);
  }
  if (drafts->parsed()) return Drafts(g);
  if (list->parsed()) return List(g, list_o);
  if (show->parsed()) return Show(g, show_o);
  if (edit->parsed()) return Edit(g, edit_o);
  if (verify->parsed()) return Verify(g, verify_o);
  if (enroll->parsed()) return EnrollCommand(g, enroll_o);
  if (sync_cmd->parsed()) return SyncCommand(g, sync_o);
  if (receipts->parsed()) return ReceiptsCommand(g, receipts_o);
  if (coord->parsed()) {
    if (clist->parsed()) return CoordList(coord_o, clist_o);
    if (cshow->parsed()) return CoordShow(coord_o, cid, cjson, false);
    if (chistory->parsed()) return CoordShow(coord_o, cid, cjson, true);
    if (creview->parsed()) return CoordReview(coord_o, cid, cstate, ccomment);
    if (cedit->parsed()) return CoordEdit(coord_o, cid, csets, cnote, false);
    if (cresolve->parsed()) return CoordEdit(coord_o, cid, csets, cnote, true);
    if (cdups->parsed()) return CoordDuplicates(coord_o, cjson);
    if (cmerge->parsed()) return CoordDecideDuplicate(coord_o, cid, cother, "merged_into");
    if (ckeep->parsed()) return CoordDecideDuplicate(coord_o, cid, cother, "not_duplicate");
    if (cexport->parsed()) return CoordExport(coord_o, cexport_o);
  }
  if (auto code = audit.RunIfParsed()) return *code;
  std::cerr << app.help() << "\n";
  return kExitUsage;
}

}  // namespace dala::client::cli

int main(int argc, char** argv) {
  try {
    return dala::client::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    // Nothing should throw this far; if it does, say so in one line.
    std::cerr << "dala: internal error: " << e.what() << "\n";
    return dala::client::cli::kExitFailure;
  }
}
