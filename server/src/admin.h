// The data directory and the admin commands of `dala-server` (main.cc
// declares the command line; admin_commands.cc runs the commands, through
// a running server when there is one: admin_control.h).
//
// A data directory (mode 0700) holds:
//   dala-server.db  the store (sqlite_store.h)
//   server.key      the server's Ed25519 seed, 64 hex digits and a newline, or
//                   sealed under a passphrase (`dala-server key seal`) (mode 0600);
//                   it may live elsewhere instead (LoadServerKeyFrom)
//   server.pub      the C2SP verifier key line "<origin>+<hash>+<base64 key>"
//   origin          the transparency log's origin line, which is also the key name
//   lock, admin.sock  while `serve` runs (admin_control.h)
//   tls/            what `dala-server tls init --data DIR` makes (admin_tls.h)
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/clock.h"
#include "dala/base/status.h"
#include "dala/server/store.h"
#include "dala/sync/crypto.h"
#include "dala/sync/enrolment.h"

namespace dala::server {

// Exit codes: 0 success, 1 the operation failed, 2 the command line was wrong.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// --- the data directory ----------------------------------------------------------

struct InitOptions {
  std::string data_dir;
  std::string project = "default";
  std::string title;   // empty: the project name
  std::string origin;  // empty: ServerConfig's default origin
  // empty: SQLite in the data directory; else the PostgreSQL database
  // (postgresql://...) the data directory's `store` file will name.
  std::string store;
};

struct InitResult {
  sync::PublicKey public_key{};
  std::string verifier_key;  // the line written to server.pub
  std::string origin;
};

// Creates the data directory (or takes an empty one), the database with
// its first project, the server key and the public files. Refuses, and
// changes nothing, when the directory already holds anything; on a
// failure part-way it removes what it created.
Result<InitResult> InitDataDir(const InitOptions& options, sync::Random& random, const Clock& clock);

inline constexpr const char* kServerKeyFile = "server.key";
inline constexpr const char* kServerPubFile = "server.pub";
inline constexpr const char* kOriginFile = "origin";

// --- the server's signing key ------------------------------------------------------

// Where the key is read from, the first that is there:
//   1. `fd` (`serve --key-fd N`): read to its end, then closed;
//   2. $CREDENTIALS_DIRECTORY/dala-server.key, which systemd provides with
//      LoadCredential= or LoadCredentialEncrypted=;
//   3. DIR/server.key, refused (naming the chmod that fixes it) if group
//      or others may read it.
// Each holds the seed in hex, or the seed sealed under a passphrase as
// laptops keep theirs (sync::SealedKey: Argon2id, XSalsa20-Poly1305),
// opened with `passphrase` (default: AskServerKeyPassphrase). Whatever
// the source, the key must be the one DIR/server.pub names.
inline constexpr std::string_view kKeyCredential = "dala-server.key";
inline constexpr std::string_view kKeyPassphraseEnv = "DALA_SERVER_KEY_PASSPHRASE";
struct ServerKeySource {
  int fd = -1;
  std::function<Result<std::string>()> passphrase;
};
struct LoadedServerKey {
  sync::SigningKey key;
  std::string from;  // where it was read, for the log
  bool sealed = false;
};
Result<LoadedServerKey> LoadServerKeyFrom(const std::string& dir, const ServerKeySource& source);
// The same from the default places.
Result<sync::SigningKey> LoadServerKey(const std::string& dir);
// DALA_SERVER_KEY_PASSPHRASE, or asked on the terminal.
Result<std::string> AskServerKeyPassphrase();

// Rewrites DIR/server.key sealed under `passphrase` (at least 8
// characters), or back to the plain seed; in place, atomically.
// FailedPrecondition if it is that way already.
Status SealServerKey(const std::string& dir, std::string_view passphrase, sync::Random& random);
Status UnsealServerKey(const std::string& dir, std::string_view passphrase);
// The checkpoint origin fixed at init.
Result<std::string> LoadOrigin(const std::string& dir);

// --- enrolment codes ------------------------------------------------------------

// 12 characters of sync::kEnrollCodeAlphabet in groups of four
// ("K7MX-Q4TR-P2NW"), drawn without modulo bias. sync/enrolment.h reads them.
std::string GenerateEnrollCode(sync::Random& random);
// What the store keeps: lowercase hex SHA-256 of the normalized code.
std::string EnrollCodeHash(std::string_view normalized_code);

inline constexpr int kDefaultEnrollTtlHours = 72;
inline constexpr int kMaxEnrollTtlHours = 720;

struct IssuedEnrollCode {
  std::string code;  // with dashes, to show once
  std::string user;  // the volunteer whose laptop it enrols, or the person whose key
  int64_t expires_ms = 0;
};
// A new code for `volunteer` (who must exist with the volunteer role),
// valid `ttl_hours` (1 to kMaxEnrollTtlHours). NotFound for an unknown
// volunteer, InvalidArgument for another role or a bad ttl.
Result<IssuedEnrollCode> IssueEnrollCode(Store& store, std::string_view volunteer, int ttl_hours,
                                         std::string_view created_by, sync::Random& random, const Clock& clock);

// A new code with which `person` (a coordinator or admin) confirms the key
// they enrol to sign their decisions (sync/README.md, "Decisions"); as
// IssueEnrollCode otherwise. InvalidArgument for another role.
Result<IssuedEnrollCode> IssuePersonKeyCode(Store& store, std::string_view person, int ttl_hours,
                                            std::string_view created_by, sync::Random& random, const Clock& clock);

// The key of `person` that `fingerprint` names: as sync::KeyFingerprint
// shows it ("3f2a 91c0 77de 0b15", spaces optional), or 8 to 64 of the
// key's first hex digits. NotFound for an unknown person or none of their
// keys (the message lists theirs), InvalidArgument for bad text or a
// prefix several of their keys share.
Result<PersonKeyRow> FindPersonKeyOf(Store& store, std::string_view person, std::string_view fingerprint);

// Adds a user; `password` is required (and checked) for the roles that log
// in, and ignored for volunteers. InvalidArgument for a bad name, role or
// password; AlreadyExists for a taken name.
Result<User> AddUserAccount(Store& store, std::string_view name, std::string_view role_name,
                            std::string_view password, const Clock& clock);

// A new password for a user who logs in; their sessions end. NotFound for
// an unknown user, InvalidArgument for a volunteer (they do not log in) or
// a password ValidatePassword refuses.
Status ResetPassword(Store& store, std::string_view name, std::string_view password);

// The device whose key is, or starts with, `key_hex` (at least 8 hex
// digits, so that `device list`'s short keys can be typed back).
// NotFound for none, InvalidArgument for a prefix several keys share.
Result<Device> FindDeviceByKey(Store& store, std::string_view key_hex);

// A published form named by a hash or a prefix of it (at least 8 hex
// digits), or by its id and version; with the id alone, its one version
// still in use. NotFound, or InvalidArgument naming the versions to
// choose from.
Result<FormInfo> FindPublishedForm(Store& store, std::string_view form, std::string_view version);

// --- commands (each prints one "dala-server: ..." line on failure) ----------------

struct ServeOptions {
  std::string data_dir;
  std::string listen = "127.0.0.1:8080";  // HOST:PORT, [IPv6]:PORT
  std::string tls_cert;
  std::string tls_key;
  std::string port_file;  // the bound port is written here, for tests that listen on port 0
  bool access_log = false;
  int key_fd = -1;        // read the server key from this descriptor
  std::string store;      // the PostgreSQL database, instead of what DIR/store names
  // Reverse proxies whose X-Forwarded-For names the client: addresses or
  // CIDR blocks (client_address.h), checked before anything is opened.
  std::vector<std::string> trusted_proxies;
};

// HOST:PORT or [HOST]:PORT.
Result<std::pair<std::string, int>> ParseListenAddress(std::string_view text);

// The commands that change the data directory go through the server when
// one runs on it (admin_control.h). `json` lists print JSON.
int InitCommand(const InitOptions& options);
int UserAddCommand(const std::string& data_dir, const std::string& name, const std::string& role);
int UserPasswordCommand(const std::string& data_dir, const std::string& name);
int UserUnlockCommand(const std::string& data_dir, const std::string& name);
int UserListCommand(const std::string& data_dir);
int EnrollCodeCommand(const std::string& data_dir, const std::string& volunteer, int ttl_hours,
                      const std::string& by);
int DeviceListCommand(const std::string& data_dir, bool json);
int DeviceRevokeCommand(const std::string& data_dir, const std::string& key, const std::string& by,
                        const std::string& reason);
int PersonKeyCodeCommand(const std::string& data_dir, const std::string& person, int ttl_hours,
                         const std::string& by);
// `person` empty: everyone's keys.
int PersonKeyListCommand(const std::string& data_dir, const std::string& person, bool json);
int PersonKeyRevokeCommand(const std::string& data_dir, const std::string& person, const std::string& fingerprint,
                           const std::string& by, const std::string& reason);
int FormListCommand(const std::string& data_dir, bool json);
// FILE is a form document (JSON) or an XLSForm (.xlsx, converted first;
// `lists_dir` holds the CSV files its select_*_from_file and pulldata name).
int FormPublishCommand(const std::string& data_dir, const std::string& file, const std::string& project,
                       const std::string& lists_dir = "");
int FormRetireCommand(const std::string& data_dir, const std::string& form, const std::string& version,
                      const std::string& by);
int ExportBundleCommand(const std::string& data_dir, const std::string& bundle_path);
// `dala-server export --format F -o FILE`: the records as an analyst opens
// them (export.h). `query` holds the submissions list's filters by their
// HTTP names (form, region, centre, volunteer, from, to, state), which the
// list's own parsing checks; "-" writes to stdout (not XLSX).
struct ExportRecordsOptions {
  std::string data_dir, format, out;
  std::map<std::string, std::string> query;
};
int ExportRecordsCommand(const ExportRecordsOptions& options);
int KeySealCommand(const std::string& data_dir);
// Writes into `out_dir`, or DATA/tls, or ./dala-tls (admin_tls.h).
int TlsInitCommand(const std::vector<std::string>& hosts, const std::string& data_dir, const std::string& out_dir);
int KeyUnsealCommand(const std::string& data_dir);
// Runs the server until SIGINT or SIGTERM.
int ServeCommand(const ServeOptions& options);
// Copies the SQLite store of `data_dir` (no server running on it) into the
// empty PostgreSQL database `uri` names, and checks the copy
// (store_migrate.h).
int MigrateCommand(const std::string& data_dir, const std::string& uri);

}  // namespace dala::server
