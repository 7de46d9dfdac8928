// The server's signing key at rest: where it is read from, and sealing it
// under a passphrase. docs/SECURITY.md says what each choice protects
// against.
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "admin.h"
#include "admin_files.h"
#include "dala/base/terminal.h"
#include "dala/sync/checkpoint.h"

namespace dala::server {

namespace {

constexpr size_t kKeyTextLimit = 1024;  // a sealed key line is about 300 bytes
constexpr std::string_view kSealedTag = "dala-key-v1 ";

std::string KeyPath(const std::string& dir) { return dir + "/" + kServerKeyFile; }

bool IsSealed(std::string_view text) { return text.rfind(kSealedTag, 0) == 0; }

void TrimNewline(std::string* text) {
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
}

// The key in `text` (hex seed or sealed line) from `from`, for messages.
Result<sync::SigningKey> ParseKey(std::string text, const std::string& from,
                                  const std::function<Result<std::string>()>& passphrase) {
  TrimNewline(&text);
  if (IsSealed(text)) {
    auto sealed = sync::SealedKey::Parse(text);
    Wipe(&text);
    if (!sealed.ok()) return Status::Corruption(from + " is not a sealed server key: " + sealed.status().message());
    DALA_ASSIGN_OR_RETURN(std::string secret, passphrase());
    auto key = sync::OpenKey(*sealed, secret);
    Wipe(&secret);
    if (!key.ok() && key.status().code() == Status::Code::kUnauthenticated)
      return Status::Unauthenticated("wrong passphrase for the server key in " + from);
    return key;
  }
  uint8_t seed[sync::SigningKey::kSeedSize];
  bool ok = FromHex(text, seed, sizeof seed);
  Wipe(&text);
  if (!ok) {
    sodium_memzero(seed, sizeof seed);
    return Status::Corruption(from + " is not a server key (64 hex digits, or a key sealed by `dala-server key seal`)");
  }
  sync::SigningKey key = sync::SigningKey::FromSeed(seed);
  sodium_memzero(seed, sizeof seed);
  return key;
}

// DIR/server.key, refused if others may read it.
Result<std::string> ReadKeyFile(const std::string& dir) {
  const std::string path = KeyPath(dir);
  struct stat st {};
  auto content = ReadSmallFile(path, kKeyTextLimit, &st);
  if (!content.ok()) {
    if (content.status().code() == Status::Code::kNotFound)
      return Status::NotFound("no server key at " + path + " (run `dala-server init --data " + dir +
                              "`, or give it with --key-fd or systemd's LoadCredential=" +
                              std::string(kKeyCredential) + ")");
    return content.status();
  }
  if ((st.st_mode & 077) != 0) {
    Wipe(&*content);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::PermissionDenied(path + " may be read by other users (mode " + mode +
                                    "); the server key must be private: chmod 600 " + path);
  }
  return content;
}

// A key from elsewhere must still be this server's: the one whose verifier
// key init wrote to server.pub.
Status CheckAgainstPublicFile(const std::string& dir, const sync::SigningKey& key, const std::string& from) {
  auto pub = ReadSmallFile(dir + "/" + kServerPubFile, 1024);
  if (!pub.ok()) return pub.status().code() == Status::Code::kNotFound ? Status::Ok() : pub.status();
  std::string line = std::move(*pub);
  TrimNewline(&line);
  DALA_ASSIGN_OR_RETURN(auto parsed, sync::ParseVerifierKey(line));
  if (parsed.second != key.public_key())
    return Status::FailedPrecondition("the server key from " + from + " is not the key of " + dir + "/" +
                                      kServerPubFile + ": it belongs to another server");
  return Status::Ok();
}

}  // namespace

Result<std::string> AskServerKeyPassphrase() {
  if (const char* env = std::getenv(std::string(kKeyPassphraseEnv).c_str()); env != nullptr) return std::string(env);
  return AskOnTerminal("Passphrase of the server key: ", kKeyPassphraseEnv);
}

Result<LoadedServerKey> LoadServerKeyFrom(const std::string& dir, const ServerKeySource& source) {
  DALA_RETURN_IF_ERROR(sync::InitCrypto());
  auto passphrase = source.passphrase ? source.passphrase : AskServerKeyPassphrase;
  std::string text, from;
  const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
  const std::string credential =
      credentials != nullptr && *credentials != '\0' ? std::string(credentials) + "/" + std::string(kKeyCredential) : "";
  if (source.fd >= 0) {
    from = "descriptor " + std::to_string(source.fd);
    DALA_ASSIGN_OR_RETURN(text, ReadSmallFd(source.fd, kKeyTextLimit, from));
    ::close(source.fd);
  } else if (!credential.empty() && ::access(credential.c_str(), F_OK) == 0) {
    from = credential;
    DALA_ASSIGN_OR_RETURN(text, ReadSmallFile(credential, kKeyTextLimit));
  } else {
    from = KeyPath(dir);
    DALA_ASSIGN_OR_RETURN(text, ReadKeyFile(dir));
  }
  bool sealed = IsSealed(text);
  DALA_ASSIGN_OR_RETURN(sync::SigningKey key, ParseKey(std::move(text), from, passphrase));
  DALA_RETURN_IF_ERROR(CheckAgainstPublicFile(dir, key, from));
  return LoadedServerKey{std::move(key), from, sealed};
}

Result<sync::SigningKey> LoadServerKey(const std::string& dir) {
  DALA_ASSIGN_OR_RETURN(LoadedServerKey loaded, LoadServerKeyFrom(dir, {}));
  return std::move(loaded.key);
}

Status SealServerKey(const std::string& dir, std::string_view passphrase, sync::Random& random) {
  DALA_RETURN_IF_ERROR(sync::InitCrypto());
  if (passphrase.size() < 8) return Status::InvalidArgument("the passphrase must be at least 8 characters long");
  DALA_ASSIGN_OR_RETURN(std::string text, ReadKeyFile(dir));
  if (IsSealed(text)) return Status::FailedPrecondition(KeyPath(dir) + " is sealed already");
  auto no_passphrase = []() -> Result<std::string> { return Status::Internal("a plain key needs no passphrase"); };
  DALA_ASSIGN_OR_RETURN(sync::SigningKey key, ParseKey(std::move(text), KeyPath(dir), no_passphrase));
  DALA_ASSIGN_OR_RETURN(sync::SealedKey sealed, sync::SealKey(key, passphrase, random));
  return ReplaceFile(KeyPath(dir), sealed.Serialize() + "\n", 0600);
}

Status UnsealServerKey(const std::string& dir, std::string_view passphrase) {
  DALA_RETURN_IF_ERROR(sync::InitCrypto());
  DALA_ASSIGN_OR_RETURN(std::string text, ReadKeyFile(dir));
  if (!IsSealed(text)) return Status::FailedPrecondition(KeyPath(dir) + " is not sealed");
  auto given = [&]() -> Result<std::string> { return std::string(passphrase); };
  DALA_ASSIGN_OR_RETURN(sync::SigningKey key, ParseKey(std::move(text), KeyPath(dir), given));
  uint8_t seed[sync::SigningKey::kSeedSize];
  key.CopySeed(seed);
  std::string line = ToHex(seed, sizeof seed) + "\n";
  sodium_memzero(seed, sizeof seed);
  Status s = ReplaceFile(KeyPath(dir), line, 0600);
  Wipe(&line);
  return s;
}

}  // namespace dala::server
