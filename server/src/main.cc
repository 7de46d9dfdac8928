// `dala-server`: the coordinators' server. This file only declares the
// command line (CLI11) and dispatches; admin_commands.cc does the work.

#include <CLI/App.hpp>
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>
#include <malloc.h>

#include <initializer_list>
#include <iostream>
#include <tuple>

#include "admin.h"
#include "client_address.h"
#include "dala/sync/crypto.h"

namespace dala::server {
namespace {

// CLI11's TOML reader, refusing a key no option has with a message that
// names it (CLI11's own says "INI was not able to parse"): a misspelt
// `tls-key` must stop the server, not leave it serving plain HTTP.
class StrictToml : public CLI::ConfigBase {
 public:
  explicit StrictToml(const CLI::App& app) : app_(app) {}

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    auto items = CLI::ConfigBase::from_config(input);
    for (const auto& item : items) {
      const CLI::App* section = &app_;
      std::string path;  // "serve", "user.add"
      for (const auto& name : item.parents) {
        path += (path.empty() ? "" : ".") + name;
        try {
          section = section->get_subcommand(name);
        } catch (const CLI::OptionNotFound&) {
          throw CLI::ConfigError("no command `" + name + "` for the section [" + path + "]");
        }
      }
      bool marker = item.name == "++" || item.name == "--";  // a section's start and end
      if (!marker && section->get_option_no_throw("--" + item.name) == nullptr) {
        throw CLI::ConfigError("unknown setting `" + item.name + "`" +
                               (section == &app_ ? " (settings go in a command's section, such as [serve])"
                                                 : " in [" + path + "]"));
      }
    }
    return items;
  }

 private:
  const CLI::App& app_;
};

}  // namespace

int Main(int argc, char** argv) {
  if (!sync::InitCrypto().ok()) {
    std::cerr << "dala-server: libsodium failed to initialise\n";
    return kExitFailure;
  }

  CLI::App app{"dala-server — receives, logs and serves the signed records Dala volunteers collect.\n"
               "Coordinators review them over HTTPS; every accepted record goes into a transparency log."};
  app.set_version_flag("--version", "dala-server 0.1.0");
  app.require_subcommand(1);
  // Settings from a file, for a service started without a command line to
  // edit (packaging/deb/dala-server.conf is the packaged one): TOML, one
  // section per command, the keys its long options' names; an option
  // given on the command line wins over the file.
  app.config_formatter(std::make_shared<StrictToml>(app));
  auto* config = app.set_config("--config", "",
                                "Read settings from this TOML file: a [serve] section with data, listen, tls-cert, "
                                "tls-key, access-log...; options on the command line win");
  config->type_name("FILE");

  InitOptions init_o;
  auto* init = app.add_subcommand("init", "Create a data directory: database, first project and server key");
  init->add_option("--data", init_o.data_dir, "The data directory to create (must not exist, or be empty)")
      ->required();
  init->add_option("--project", init_o.project, "Name of the first project")->capture_default_str();
  init->add_option("--title", init_o.title, "Title of the first project (default: its name)");
  init->add_option("--origin", init_o.origin,
                   "The transparency log's origin, e.g. dala.example.org/log (default: dala.local/log); "
                   "fixed for the life of the log");
  init->add_option("--store", init_o.store,
                   "Keep the records in this PostgreSQL database (postgresql://USER@HOST/DB) instead of SQLite in "
                   "the data directory, which remembers it (docs/DEPLOY.md)");

  auto* user = app.add_subcommand("user", "Manage the people who use the server");
  user->require_subcommand(1);
  std::string user_data, user_name, user_role;
  auto* user_add = user->add_subcommand(
      "add", "Add a user; coordinators, auditors and admins need a password (DALA_PASSWORD, or asked)");
  user_add->add_option("NAME", user_name, "The user name")->required();
  user_add->add_option("--role", user_role, "volunteer, coordinator, auditor or admin")->required();
  user_add->add_option("--data", user_data, "The data directory")->required();
  std::string list_data;
  auto* user_list = user->add_subcommand("list", "List the users");
  user_list->add_option("--data", list_data, "The data directory")->required();
  std::string password_data, password_name;
  auto* user_password = user->add_subcommand(
      "password", "Set a new password (DALA_PASSWORD, or asked); the user's sessions end");
  user_password->add_option("NAME", password_name, "The user name")->required();
  user_password->add_option("--data", password_data, "The data directory")->required();
  std::string unlock_data, unlock_name;
  auto* user_unlock = user->add_subcommand(
      "unlock", "Clear a user's login delays in the running server, so they may log in at once");
  user_unlock->add_option("NAME", unlock_name, "The user name")->required();
  user_unlock->add_option("--data", unlock_data, "The data directory")->required();

  std::string code_data, code_volunteer, code_by = "cli";
  int code_ttl = kDefaultEnrollTtlHours;
  auto* code = app.add_subcommand("enroll-code", "Issue a one-time code that enrols a volunteer's laptop");
  code->add_option("VOLUNTEER", code_volunteer, "The volunteer's user name")->required();
  code->add_option("--data", code_data, "The data directory")->required();
  code->add_option("--ttl-hours", code_ttl, "How long the code stays valid (1 to 720)")->capture_default_str();
  code->add_option("--by", code_by, "Who issues the code (recorded with it)")->capture_default_str();

  ServeOptions serve_o;
  auto* serve = app.add_subcommand("serve", "Run the server until SIGINT or SIGTERM");
  serve->fallthrough();  // `dala-server serve --config FILE`
  serve->add_option("--data", serve_o.data_dir, "The data directory")->required();
  serve->add_option("--listen", serve_o.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  serve->add_option("--tls-cert", serve_o.tls_cert, "TLS certificate chain (PEM); with --tls-key, serve HTTPS");
  serve->add_option("--tls-key", serve_o.tls_key, "TLS private key (PEM)");
  serve->add_option("--port-file", serve_o.port_file, "Write the port listened on to this file");
  serve->add_flag("--access-log", serve_o.access_log, "Log each request on stderr");
  serve->add_option("--trusted-proxy", serve_o.trusted_proxies,
                    "A reverse proxy (IP address or CIDR block; repeatable) whose X-Forwarded-For names the client, "
                    "and which is exempt from the per-address connection limits (docs/DEPLOY.md)")
      ->type_name("ADDR")
      ->check(CLI::Validator(
          [](std::string& entry) {
            // Refused here, naming the file or the command line, before anything is opened.
            auto parsed = TrustedProxies::Parse({entry});
            return parsed.ok() ? std::string() : parsed.status().message();
          },
          "", "trusted proxy"));
  serve->add_option("--key-fd", serve_o.key_fd,
                    "Read the server key from this open file descriptor instead of DIR/server.key "
                    "(docs/SECURITY.md)");
  serve->add_option("--store", serve_o.store,
                    "The PostgreSQL database (postgresql://...) to use instead of the one DIR/store names");

  auto* form = app.add_subcommand("form", "Manage forms");
  form->require_subcommand(1);
  std::string form_file, form_data, form_project = "default";
  std::string form_lists;
  auto* form_publish =
      form->add_subcommand("publish", "Publish a form to the volunteers: an XLSForm (.xlsx) or a form document (JSON)");
  form_publish->add_option("FILE", form_file, "survey.xlsx or form.json")->required();
  form_publish->add_option("--lists", form_lists, "Folder of the CSV files an XLSForm's select_*_from_file and pulldata() name")
      ->check(CLI::ExistingDirectory);
  form_publish->add_option("--data", form_data, "The data directory")->required();
  form_publish->add_option("--project", form_project, "The project the form belongs to")->capture_default_str();
  std::string form_list_data;
  bool form_list_json = false;
  auto* form_list = form->add_subcommand("list", "List the published forms, retired ones included");
  form_list->add_option("--data", form_list_data, "The data directory")->required();
  form_list->add_flag("--json", form_list_json, "Print JSON");
  std::string retire_form, retire_version, retire_data, retire_by = "cli";
  auto* form_retire = form->add_subcommand(
      "retire", "Retire a form: no longer sent to laptops nor taken for new records; its records stay valid");
  form_retire->add_option("FORM", retire_form, "The form's id, or its hash (8 or more hex digits)")->required();
  form_retire->add_option("VERSION", retire_version, "Its version (needed when several are in use)");
  form_retire->add_option("--data", retire_data, "The data directory")->required();
  form_retire->add_option("--by", retire_by, "Who retires it (recorded)")->capture_default_str();

  auto* device = app.add_subcommand("device", "Manage enrolled laptops");
  device->require_subcommand(1);
  std::string revoke_key, revoke_data, revoke_by = "cli", revoke_reason;
  std::string device_list_data;
  bool device_list_json = false;
  auto* device_list = device->add_subcommand("list", "List the enrolled laptops: key, volunteer, when last synced");
  device_list->add_option("--data", device_list_data, "The data directory")->required();
  device_list->add_flag("--json", device_list_json, "Print JSON (with full keys)");
  auto* device_revoke = device->add_subcommand("revoke", "Revoke a laptop's key: it can no longer sync");
  device_revoke->add_option("KEY", revoke_key, "The device's key, or its first 8 or more hex digits (device list)")
      ->required();
  device_revoke->add_option("--data", revoke_data, "The data directory")->required();
  device_revoke->add_option("--by", revoke_by, "Who revokes it (recorded)")->capture_default_str();
  device_revoke->add_option("--reason", revoke_reason, "Why (recorded)");

  auto* person_key = app.add_subcommand(
      "person-key", "Manage the keys with which coordinators and admins sign their decisions");
  person_key->require_subcommand(1);
  std::string pk_code_person, pk_code_data, pk_code_by = "cli";
  int pk_code_ttl = kDefaultEnrollTtlHours;
  auto* pk_code = person_key->add_subcommand(
      "code", "Issue a one-time code with which a coordinator or admin confirms the key they enrol");
  pk_code->add_option("USER", pk_code_person, "The coordinator's or admin's user name")->required();
  pk_code->add_option("--data", pk_code_data, "The data directory")->required();
  pk_code->add_option("--ttl-hours", pk_code_ttl, "How long the code stays valid (1 to 720)")->capture_default_str();
  pk_code->add_option("--by", pk_code_by, "Who issues the code (recorded in the enrolment)")->capture_default_str();
  std::string pk_list_person, pk_list_data;
  bool pk_list_json = false;
  auto* pk_list = person_key->add_subcommand("list", "List the people's keys, revoked ones included");
  pk_list->add_option("USER", pk_list_person, "Only this user's keys");
  pk_list->add_option("--data", pk_list_data, "The data directory")->required();
  pk_list->add_flag("--json", pk_list_json, "Print JSON (with full keys)");
  std::string pk_revoke_person, pk_revoke_key, pk_revoke_data, pk_revoke_by = "cli", pk_revoke_reason;
  auto* pk_revoke = person_key->add_subcommand(
      "revoke", "Revoke a person's key: it signs no more decisions; those it signed stay valid");
  pk_revoke->add_option("USER", pk_revoke_person, "Whose key it is")->required();
  pk_revoke->add_option("FINGERPRINT", pk_revoke_key,
                        "The key's fingerprint as `person-key list` shows it, or its first 8 or more hex digits")
      ->required();
  pk_revoke->add_option("--data", pk_revoke_data, "The data directory")->required();
  pk_revoke->add_option("--by", pk_revoke_by, "Who revokes it (recorded)")->capture_default_str();
  pk_revoke->add_option("--reason", pk_revoke_reason, "Why (recorded)");

  auto* key = app.add_subcommand("key", "The server's signing key at rest (docs/SECURITY.md)");
  key->require_subcommand(1);
  std::string seal_data, unseal_data;
  auto* key_seal = key->add_subcommand(
      "seal", "Seal DIR/server.key under a passphrase (DALA_SERVER_KEY_PASSPHRASE, or asked twice)");
  key_seal->add_option("--data", seal_data, "The data directory")->required();
  auto* key_unseal = key->add_subcommand("unseal", "Turn a sealed DIR/server.key back into the plain key");
  key_unseal->add_option("--data", unseal_data, "The data directory")->required();

  auto* tls = app.add_subcommand("tls", "Certificates for HTTPS");
  tls->require_subcommand(1);
  std::vector<std::string> tls_hosts;
  std::string tls_data, tls_out;
  auto* tls_init = tls->add_subcommand(
      "init", "Make a private certificate authority and a server certificate for the given names and addresses");
  tls_init->add_option("--host", tls_hosts, "Each name or IP address laptops use to reach the server")->required();
  tls_init->add_option("--data", tls_data, "Write them into DIR/tls");
  tls_init->add_option("--out", tls_out, "Write them into this directory (default: ./dala-tls)");

  std::string migrate_from, migrate_to;
  auto* migrate = app.add_subcommand(
      "migrate", "Copy a data directory's database into an empty PostgreSQL database and check the copy: "
                 "the same log, root and checkpoint (stop the server first)");
  migrate->add_option("--from", migrate_from, "The data directory whose database to copy")->required();
  migrate->add_option("--to", migrate_to, "The PostgreSQL database, postgresql://USER@HOST/DATABASE; it must be empty")
      ->required();

  std::string export_bundle;
  ExportRecordsOptions export_o;
  auto* export_cmd = app.add_subcommand(
      "export", "Export the records for analysts (--format), or the log and records as a bundle auditors can verify "
                "(--bundle)");
  export_cmd->add_option("--data", export_o.data_dir, "The data directory")->required();
  auto* bundle_opt = export_cmd->add_option("--bundle", export_bundle, "The audit bundle file to write");
  export_cmd
      ->add_option("--format", export_o.format,
                   "xlsx (a sheet per form and per repeat, and a sheet naming the log checkpoint), csv (one table), "
                   "json, or geojson (forms with a geopoint, or a list of centres with lat and lon)")
      ->excludes(bundle_opt);
  export_cmd->add_option("-o,--out", export_o.out, "The file to write; - for stdout (not for xlsx)");
  // The filters of the submissions list, by its parameter names.
  for (const auto& [flag, key, what] : std::initializer_list<std::tuple<const char*, const char*, const char*>>{
           {"--form", "form", "Only this form (needed for csv and geojson)"},
           {"--region", "region", "Only this region"},
           {"--centre", "centre", "Only this centre"},
           {"--volunteer", "volunteer", "Only this volunteer's records"},
           {"--from", "from", "Only records of this day (YYYY-MM-DD) or later"},
           {"--to", "to", "Only records of this day (YYYY-MM-DD) or earlier"},
           {"--state", "state", "Only records in this review state"},
           {"--lang", "lang", "Labels in kk, ru or en (default: the form's own language)"},
           {"--choices", "choices", "Select answers as labels (default) or names"},
           {"--table", "table", "csv: main (default) or a repeat's name"}}) {
    export_cmd->add_option_function<std::string>(
        flag, [&export_o, key = std::string(key)](const std::string& v) { export_o.query[key] = v; }, what);
  }
  export_cmd->add_flag_function(
      "--bom", [&export_o](int64_t) { export_o.query["bom"] = "1"; },
      "csv: start with a UTF-8 byte order mark. Choose it for Excel on Windows, which otherwise shows Kazakh and "
      "Russian text as mojibake; leave it off for R, Python and LibreOffice");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ConfigError& e) {
    std::cerr << "dala-server: " << config->as<std::string>() << ": " << e.what() << "\n";
    return kExitUsage;
  } catch (const CLI::ParseError& e) {
    // The file's values are checked as the command line's are, so the
    // error may come from either: name the file when there is one.
    std::string in_file = config->count() > 0 ? " (in " + config->as<std::string>() + " or the command line)" : "";
    std::cerr << "dala-server: " << e.what() << in_file << " (see dala-server --help)\n";
    return kExitUsage;
  }

  if (init->parsed()) return InitCommand(init_o);
  if (user_add->parsed()) return UserAddCommand(user_data, user_name, user_role);
  if (user_list->parsed()) return UserListCommand(list_data);
  if (user_password->parsed()) return UserPasswordCommand(password_data, password_name);
  if (user_unlock->parsed()) return UserUnlockCommand(unlock_data, unlock_name);
  if (code->parsed()) return EnrollCodeCommand(code_data, code_volunteer, code_ttl, code_by);
  if (serve->parsed()) return ServeCommand(serve_o);
  if (form_publish->parsed()) return FormPublishCommand(form_data, form_file, form_project, form_lists);
  if (form_list->parsed()) return FormListCommand(form_list_data, form_list_json);
  if (form_retire->parsed()) return FormRetireCommand(retire_data, retire_form, retire_version, retire_by);
  if (device_list->parsed()) return DeviceListCommand(device_list_data, device_list_json);
  if (tls_init->parsed()) return TlsInitCommand(tls_hosts, tls_data, tls_out);
  if (key_seal->parsed()) return KeySealCommand(seal_data);
  if (key_unseal->parsed()) return KeyUnsealCommand(unseal_data);
  if (device_revoke->parsed()) return DeviceRevokeCommand(revoke_data, revoke_key, revoke_by, revoke_reason);
  if (pk_code->parsed()) return PersonKeyCodeCommand(pk_code_data, pk_code_person, pk_code_ttl, pk_code_by);
  if (pk_list->parsed()) return PersonKeyListCommand(pk_list_data, pk_list_person, pk_list_json);
  if (pk_revoke->parsed())
    return PersonKeyRevokeCommand(pk_revoke_data, pk_revoke_person, pk_revoke_key, pk_revoke_by, pk_revoke_reason);
  if (migrate->parsed()) return MigrateCommand(migrate_from, migrate_to);
  if (export_cmd->parsed()) {
    if (!export_bundle.empty()) return ExportBundleCommand(export_o.data_dir, export_bundle);
    if (export_o.format.empty()) {
      std::cerr << "dala-server: export needs --format xlsx|csv|json|geojson (with -o FILE) or --bundle FILE\n";
      return kExitUsage;
    }
    return ExportRecordsCommand(export_o);
  }
  std::cerr << app.help() << "\n";
  return kExitUsage;
}

}  // namespace dala::server

#ifdef DALA_JEMALLOC
// Read by jemalloc when it starts, before main. Its default of four arenas
// per CPU held a third more memory resident after a first sync (the HTTP
// edge's threads each touching their own) for no speed; one per CPU keeps
// the peak RSS of the system's malloc below.
extern "C" {
const char* malloc_conf = "percpu_arena:percpu";
}
#endif

int main(int argc, char** argv) {
#ifndef DALA_JEMALLOC
  // glibc gives each thread that allocates at once an arena of its own, up
  // to 8 per core, and keeps what each frees: with the HTTP edge's threads
  // that was tens of MiB resident that no request needed. The store is
  // behind one mutex, so more arenas buy no throughput.
  mallopt(M_ARENA_MAX, 2);
#endif
  try {
    return dala::server::Main(argc, argv);
  } catch (const std::exception& e) {
    // Nothing should throw this far; if it does, say so in one line.
    std::cerr << "dala-server: internal error: " << e.what() << "\n";
    return dala::server::kExitFailure;
  }
}
