// `dala audit verify` and `dala audit trace`. The checks themselves are in
// sync/audit.cc; this file reads the auditor's own evidence (the server key,
// checkpoints, receipts), runs them, and prints.

#include "cli_audit.h"

#include <CLI/App.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli_common.h"
#include "dala/sync/audit.h"
#include "dala/sync/audit_report.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/trace.h"

namespace dala::client::cli {

namespace {

constexpr uint64_t kProgressAbove = 20000;  // entries; shorter logs finish before anyone would look

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

struct TrustedKey {
  sync::PublicKey key{};
  std::optional<std::string> origin;  // when it came as a verifier key line
};

// --server-key: 64 hex digits, or the verifier key line as `dala-server
// init` prints it ("name+hash+base64"), either given as the value or in a
// file. Auditors paste what the administrator sent them.
Result<TrustedKey> ParseServerKey(const std::string& text) {
  TrustedKey out;
  if (FromHex(text, &out.key)) return out;
  DALA_ASSIGN_OR_RETURN(auto verifier, sync::ParseVerifierKey(text));
  out.origin = verifier.first;
  out.key = verifier.second;
  return out;
}

Result<TrustedKey> ReadServerKey(const std::string& value) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(value, ec)) {
    DALA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(value));
    auto key = ParseServerKey(Trim(text));
    if (!key.ok())
      return Status::InvalidArgument("--server-key file " + value +
                                     " holds neither 64 hex digits nor a verifier key line: " +
                                     key.status().message());
    return key;
  }
  auto key = ParseServerKey(Trim(value));
  if (key.ok()) return key;
  if (value.find('+') != std::string::npos)
    return Status::InvalidArgument("--server-key " + value + " is not a verifier key line (name+hash+key): " +
                                   key.status().message());
  return Status::InvalidArgument(
      "--server-key must be the server's verifier key line (as dala-server init prints it), its key in 64 hex "
      "digits, or a file holding either (" + value + " is none of these)");
}

Result<std::vector<sync::ReceiptInput>> ReadReceipts(const std::string& where) {
  std::vector<std::string> files;
  std::error_code ec;
  if (std::filesystem::is_directory(where, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(where, ec))
      if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path().string());
    if (ec) return Status::IoError("cannot list " + where + ": " + ec.message());
    std::sort(files.begin(), files.end());
  } else if (std::filesystem::is_regular_file(where, ec)) {
    files.push_back(where);
  } else {
    return Status::NotFound("no receipts directory at " + where);
  }
  std::vector<sync::ReceiptInput> out;
  for (const std::string& f : files) {
    DALA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(f));
    auto r = sync::ParseReceiptJson(text);
    if (!r.ok()) return Status::InvalidArgument(f + ": " + r.status().message());
    r->source = std::filesystem::path(f).filename().string();
    out.push_back(std::move(*r));
  }
  return out;
}

// YYYY-MM-DD as the Unix milliseconds of that day's start in UTC.
std::optional<int64_t> ParseUtcDay(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  using namespace std::chrono;
  year_month_day day{year{std::stoi(text.substr(0, 4))}, month{static_cast<unsigned>(std::stoi(text.substr(5, 2)))},
                     std::chrono::day{static_cast<unsigned>(std::stoi(text.substr(8, 2)))}};
  if (!day.ok()) return std::nullopt;
  return duration_cast<milliseconds>(sys_days{day}.time_since_epoch()).count();
}

}  // namespace

int AuditVerify(const AuditVerifyOptions& o) {
  sync::AuditOptions options;
  if (o.threads > 0) options.threads = o.threads;
  if (!o.strict_after.empty()) {
    options.strict_after_ms = ParseUtcDay(o.strict_after);
    if (!options.strict_after_ms) {
      std::cerr << "dala: --strict-after takes a date as YYYY-MM-DD, not \"" << o.strict_after << "\"\n";
      return kExitUsage;
    }
  }
  if (!o.server_key.empty()) {
    auto key = ReadServerKey(o.server_key);
    if (!key.ok()) {
      std::cerr << "dala: " << key.status().message() << "\n";
      return kExitUsage;
    }
    options.trusted_server_key = key->key;
    options.trusted_origin = key->origin;
  }
  for (const std::string& f : o.checkpoint_files) {
    auto note = ReadWholeFile(f);
    if (!note.ok()) return Fail(note.status());
    options.checkpoints.push_back(std::move(*note));
  }
  for (const std::string& d : o.receipt_dirs) {
    auto receipts = ReadReceipts(d);
    if (!receipts.ok()) return Fail(receipts.status());
    for (auto& r : *receipts) options.receipts.push_back(std::move(r));
  }

  auto bundle = sync::BundleReader::Open(o.bundle);
  if (!bundle.ok()) return Fail(bundle.status());
  if (!options.trusted_server_key)
    std::cerr << "dala: WARNING: no --server-key given; checking against the key the bundle itself names, "
                 "which proves nothing if the server forged the bundle\n";

  bool progress_shown = false;
  if (StderrIsTerminal()) {
    options.progress = [&](const sync::AuditProgress& p) {
      if (p.total < kProgressAbove) return;
      std::cerr << "\rdala: checking " << p.phase << ": " << p.done << " of " << p.total << " ("
                << (p.total == 0 ? 100 : p.done * 100 / p.total) << "%)   " << std::flush;
      progress_shown = true;
    };
  }
  auto report = sync::AuditBundle(*bundle, options);
  if (progress_shown) std::cerr << "\n";
  if (!report.ok()) return Fail(report.status());

  std::cout << (o.json ? sync::AuditReportJson(*report) + "\n" : sync::AuditReportText(*report));
  if (!report->ok()) {
    size_t n = report->problems.size();
    std::cerr << "dala: audit failed: " << n << " problem" << (n == 1 ? "" : "s") << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int AuditTrace(const AuditTraceOptions& o) {
  std::optional<sync::PublicKey> key;
  if (!o.server_key.empty()) {
    auto k = ReadServerKey(o.server_key);
    if (!k.ok()) {
      std::cerr << "dala: " << k.status().message() << "\n";
      return kExitUsage;
    }
    key = k->key;
  }
  auto bundle = sync::BundleReader::Open(o.bundle);
  if (!bundle.ok()) return Fail(bundle.status());
  // A full id is taken as given, so a submission the bundle's table omits
  // can still be traced through the log; a shorter one is looked up there.
  auto id = sync::ParseSubmissionId(o.submission);
  if (!id.ok()) id = bundle->ResolveSubmission(o.submission);
  if (!id.ok()) {
    std::cerr << "dala: " << id.status().message() << "\n";
    return id.status().reason() == "no_such_record" ? kExitFailure : kExitUsage;
  }
  auto trace = sync::TraceSubmission(*bundle, *id, key ? &*key : nullptr,
                                     o.json ? sync::TraceFormat::kJson : sync::TraceFormat::kText);
  if (!trace.ok()) return Fail(trace.status());
  std::cout << *trace << (o.json ? "\n" : "");
  return kExitOk;
}

AuditCommands::AuditCommands(CLI::App& app) {
  auto* audit = app.add_subcommand("audit", "Auditor's commands: verify a server's audit bundle offline");
  audit->require_subcommand(1);

  verify_ = audit->add_subcommand(
      "verify",
      "Check every record's signature, chain, enrolment and form, the log against its checkpoints, and "
      "the server's tables against its log");
  verify_->add_option("BUNDLE", verify_o_.bundle, "The bundle file (dala-server export --bundle)")->required();
  verify_->add_option("--server-key", verify_o_.server_key,
                      "The server's key as you got it from the project: its verifier key line "
                      "(name+hash+key, as dala-server init prints it), 64 hex digits, or a file holding either");
  verify_->add_option("--checkpoint", verify_o_.checkpoint_files,
                      "A signed checkpoint you collected elsewhere (repeatable)");
  verify_->add_option("--receipts", verify_o_.receipt_dirs,
                      "A directory of volunteers' receipts, *.json (repeatable; `dala receipts --export`)");
  verify_->add_flag("--json", verify_o_.json, "Machine-readable report");
  verify_->add_option("--strict-after", verify_o_.strict_after,
                      "Fail on any decision only the server vouches for (not signed by the person who made it) "
                      "made on or after this day, YYYY-MM-DD in UTC: dated so, or logged after a laptop's or a "
                      "person's envelope dated so");
  verify_->add_option("--threads", verify_o_.threads, "Threads for signature checks (default: every core)");

  trace_ = audit->add_subcommand("trace", "The full signed history of one submission, for an audit report");
  trace_->add_option("BUNDLE", trace_o_.bundle, "The bundle file")->required();
  trace_->add_option("SUBMISSION_ID", trace_o_.submission, "The submission's id: the full id, or its last 8 or more hex digits")->required();
  trace_->add_option("--server-key", trace_o_.server_key, "The server's key (as for verify)");
  trace_->add_flag("--json", trace_o_.json, "Machine-readable output");
}

std::optional<int> AuditCommands::RunIfParsed() const {
  if (verify_->parsed()) return AuditVerify(verify_o_);
  if (trace_->parsed()) return AuditTrace(trace_o_);
  return std::nullopt;
}

}  // namespace dala::client::cli
