// `dala audit verify` and `dala audit trace`: the auditor's commands. They
// read an audit bundle offline and need no profile and no passphrase.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace dala::client::cli {

struct AuditVerifyOptions {
  std::string bundle;
  std::string server_key;  // 64 hex digits, or a file holding them or a verifier key line
  std::vector<std::string> checkpoint_files;
  std::vector<std::string> receipt_dirs;  // directories of *.json receipts (or single files)
  bool json = false;
  unsigned threads = 0;  // 0: every core
  std::string strict_after;  // YYYY-MM-DD (UTC): from then on, every decision must be signed by its person
};
int AuditVerify(const AuditVerifyOptions& o);

struct AuditTraceOptions {
  std::string bundle;
  std::string submission;
  std::string server_key;
  bool json = false;
};
int AuditTrace(const AuditTraceOptions& o);

// Declares the `audit` subcommand group on `app`, so that main.cc adds it
// in one line and dispatches in another.
class AuditCommands {
 public:
  explicit AuditCommands(CLI::App& app);
  // CLI11 holds the addresses of the options below.
  AuditCommands(const AuditCommands&) = delete;
  AuditCommands& operator=(const AuditCommands&) = delete;
  // The exit code if an audit command was parsed.
  [[nodiscard]] std::optional<int> RunIfParsed() const;

 private:
  CLI::App* verify_ = nullptr;
  CLI::App* trace_ = nullptr;
  AuditVerifyOptions verify_o_;
  AuditTraceOptions trace_o_;
};

}  // namespace dala::client::cli
