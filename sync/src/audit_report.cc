// The audit report, for people (text) and for programs (JSON): counts,
// tallies by volunteer and by form, every problem with the records it
// concerns, and a verdict. The problem codes are listed in sync/BUNDLE.md.
#include "dala/sync/audit_report.h"

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "audit_common.h"
#include "dala/base/utf8.h"

namespace dala::sync {

using nlohmann::json;
using internal::IdPrefix;
using internal::JoinIndices;
using internal::KeyPrefix;

namespace {

std::string Pad(std::string s, size_t width) {
  // Pads by code points, so names in Kazakh or Russian line up too.
  size_t points = 0;
  for (unsigned char c : s) points += (c & 0xC0) != 0x80;
  if (points < width) s.append(width - points, ' ');
  return s;
}

std::string RightAlign(uint64_t n, size_t width) {
  std::string s = std::to_string(n);
  return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
}

std::string ProblemRecords(const AuditProblem& p) {
  std::vector<std::string> parts;
  if (!p.log_indices.empty()) parts.push_back("log " + JoinIndices(p.log_indices));
  if (!p.envelope_ids.empty()) {
    std::string ids;
    for (const Hash& h : p.envelope_ids) ids += (ids.empty() ? "" : ", ") + IdPrefix(h) + "…";
    parts.push_back("id " + ids);
  }
  if (p.submission) parts.push_back("submission " + FormatSubmissionId(*p.submission));
  if (p.author) parts.push_back("author " + KeyPrefix(*p.author));
  if (p.sequence != 0) parts.push_back("sequence " + std::to_string(p.sequence));
  std::string out;
  for (const std::string& s : parts) out += (out.empty() ? "" : " · ") + s;
  return out;
}

// Who vouches for the decisions, person by person: their own key, or only
// the server's word.
void DecisionsText(const AuditReport& r, std::ostringstream& o) {
  if (r.decisions.empty()) return;
  std::map<std::string, std::pair<uint64_t, uint64_t>> by_person;  // signed, attested
  for (const AuditDecision& d : r.decisions) {
    auto& [signed_count, attested] = by_person[d.by.empty() ? "(no name)" : d.by];
    ++(d.signed_by_person ? signed_count : attested);
  }
  o << Pad("Decisions", 36) << " signed by the person  attested by the server only\n";
  for (const auto& [name, n] : by_person)
    o << "  " << Pad(name, 34) << RightAlign(n.first, 21) << RightAlign(n.second, 30) << "\n";
  o << "\n";
}

}  // namespace

std::string AuditReportText(const AuditReport& r) {
  std::ostringstream o;
  const AuditCounts& c = r.counts;
  o << "Dala audit of " << r.bundle_path << "\n";
  o << "  Log         " << (r.origin.empty() ? "(no origin)" : r.origin) << ", " << c.log_size << " entries, root "
    << ToHex(r.root).substr(0, 16) << "…\n";
  o << "  Server key  " << ToHex(r.server_key) << "\n";
  if (r.server_key_self_asserted) {
    o << "  !!! SELF-ASSERTED SERVER KEY: no key was given with --server-key, so this is the key the bundle\n"
         "  !!! itself names. A server that forged the bundle would name its own key too. Get the key from\n"
         "  !!! the project out of band and audit again before relying on this result.\n";
  } else {
    o << "              (given out of band)\n";
  }
  auto n = [](uint64_t count, const char* what) {
    return std::to_string(count) + " " + what + (count == 1 ? "" : "s");
  };
  o << "  Checked     " << n(c.envelopes, "signed envelope") << " (" << n(c.revisions, "revision") << ", "
    << n(c.events, "event") << "), " << n(c.submissions, "submission") << ", " << n(c.devices, "device") << ", "
    << n(c.forms, "form") << ", " << n(c.checkpoints, "checkpoint");
  if (c.auditor_checkpoints > 0) o << " + " << c.auditor_checkpoints << " brought";
  if (c.receipts > 0) o << ", " << n(c.receipts, "receipt");
  if (c.person_keys > 0) o << ", " << n(c.person_keys, "person key");
  o << "\n\n";

  auto table = [&](const char* title, const std::map<std::string, AuditTally>& rows) {
    o << Pad(title, 36) << " revisions  submissions\n";
    if (rows.empty()) o << "  (none)\n";
    for (const auto& [name, t] : rows)
      o << "  " << Pad(name, 34) << RightAlign(t.revisions, 10) << RightAlign(t.submissions, 13) << "\n";
    o << "\n";
  };
  table("By volunteer", r.by_volunteer);
  table("By form", r.by_form);
  DecisionsText(r, o);

  if (!r.problems.empty()) {
    o << "Problems (" << r.problems.size() << "):\n";
    size_t n = 0;
    for (const AuditProblem& p : r.problems) {
      o << "  " << ++n << ". [" << p.code << "] " << p.message << "\n";
      std::string records = ProblemRecords(p);
      if (!records.empty()) o << "     " << records << "\n";
    }
    o << "\n";
  }
  if (r.ok()) {
    o << "Verdict: OK. Every envelope is authentic and unaltered, every device chain and checkpoint is whole, and the "
         "server's tables agree with its log"
      << (r.server_key_self_asserted ? ", under a SELF-ASSERTED server key.\n" : ".\n");
  } else {
    o << "Verdict: FAILED. " << r.problems.size() << " problem" << (r.problems.size() == 1 ? "" : "s")
      << " found; the bundle cannot be relied on as it stands.\n";
  }
  // Names and messages come from the bundle and may quote its bytes: a
  // hostile one must not put malformed text or escape sequences on the
  // auditor's terminal.
  return utf8::Printable(o.str());
}

std::string AuditReportJson(const AuditReport& r) {
  json j;
  j["bundle"] = r.bundle_path;
  j["origin"] = r.origin;
  j["server_key"] = ToHex(r.server_key);
  j["server_key_self_asserted"] = r.server_key_self_asserted;
  j["root"] = ToHex(r.root);
  const AuditCounts& c = r.counts;
  j["counts"] = {
      {"log_size", c.log_size}, {"envelopes", c.envelopes},     {"revisions", c.revisions},
      {"events", c.events},     {"submissions", c.submissions}, {"devices", c.devices},
      {"forms", c.forms},       {"checkpoints", c.checkpoints}, {"auditor_checkpoints", c.auditor_checkpoints},
      {"receipts", c.receipts}, {"person_keys", c.person_keys}, {"decisions_signed", c.decisions_signed},
      {"decisions_attested", c.decisions_attested}};
  auto tallies = [](const std::map<std::string, AuditTally>& rows) {
    json t = json::object();
    for (const auto& [name, v] : rows) t[name] = {{"revisions", v.revisions}, {"submissions", v.submissions}};
    return t;
  };
  j["by_volunteer"] = tallies(r.by_volunteer);
  j["by_form"] = tallies(r.by_form);
  j["decisions"] = json::array();
  for (const AuditDecision& d : r.decisions) {
    j["decisions"].push_back({{"log_index", d.log_index},
                              {"envelope", ToHex(d.envelope)},
                              {"submission", FormatSubmissionId(d.submission)},
                              {"what", d.what},
                              {"by", d.by},
                              {"signed_by", d.signed_by_person ? "person" : "server"},
                              {"signer", ToHex(d.signer)},
                              {"wall_ms", d.wall_ms},
                              {"problem", d.problem.empty() ? json(nullptr) : json(d.problem)}});
  }
  j["problems"] = json::array();
  for (const AuditProblem& p : r.problems) {
    json q = {{"code", p.code}, {"message", p.message}, {"log_indices", p.log_indices}};
    q["envelope_ids"] = json::array();
    for (const Hash& h : p.envelope_ids) q["envelope_ids"].push_back(ToHex(h));
    q["submission"] = p.submission ? json(FormatSubmissionId(*p.submission)) : json(nullptr);
    q["author"] = p.author ? json(ToHex(*p.author)) : json(nullptr);
    q["sequence"] = p.sequence == 0 ? json(nullptr) : json(p.sequence);
    j["problems"].push_back(std::move(q));
  }
  j["ok"] = r.ok();
  // Messages may quote a damaged envelope's bytes and names come from the
  // bundle's tables: a byte that is not UTF-8 becomes U+FFFD rather than an
  // exception out of the auditor.
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace dala::sync
