// `dala backup DIR` and `dala restore DIR`: the profile copied whole to
// removable media and back. The copy is the database as it is: records in
// the clear, the device key sealed under the passphrase, so a backup is
// only as good as the passphrase is remembered (README, "A forgotten
// passphrase").

#include <filesystem>
#include <iostream>

#include "cli_commands.h"
#include "cli_words.h"

namespace dala::client::cli {

int Backup(const Globals& g, const std::string& dir) {
  auto store = OpenStore(g);
  if (!store.ok()) return FailIn(MessageLanguage(g, nullptr), store.status(), DatabasePath(g));
  const std::string lang = MessageLanguage(g, store->get());
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail(Tr(Say::kCannotCreate, lang, {dir, ec.message()}));
  const std::string path = (std::filesystem::path(dir) / kBackupFileName).string();
  if (Status s = (*store)->BackupTo(path); !s.ok()) return FailIn(lang, s);
  std::cout << Tr(Say::kBackupWritten, lang, {path}) << "\n";
  return kExitOk;
}

int Restore(const Globals& g, const std::string& from) {
  const std::string lang = MessageLanguage(g, nullptr);
  std::error_code ec;
  std::string backup = from;
  if (std::filesystem::is_directory(from, ec)) backup = (std::filesystem::path(from) / kBackupFileName).string();
  const std::string dir = ResolveProfileDir(g.profile_dir);
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail(Tr(Say::kCannotCreate, lang, {dir, ec.message()}));
  Status s = LocalStore::RestoreFrom(backup, DatabasePath(g));
  if (s.reason() == "profile_exists") return Fail(Tr(Say::kRestoreOverProfile, lang, {DatabasePath(g)}));
  if (!s.ok()) return FailIn(lang, s);
  std::cout << Tr(Say::kRestored, lang, {backup, dir}) << "\n";
  return kExitOk;
}

}  // namespace dala::client::cli
