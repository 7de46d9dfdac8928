// `dala`: the volunteer's command-line client. The subcommands live in
// cli_*.cc; this file only declares the command line (CLI11) and
// dispatches.

#include <CLI/App.hpp>
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>
#include <iostream>

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
