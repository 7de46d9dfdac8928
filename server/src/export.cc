#include "export.h"

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "dala/schema/interview.h"
#include "dala/schema/value.h"

namespace dala::server {

using nlohmann::json;
using schema::QuestionType;

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += "\"\"";
    else out.push_back(c);
  }
  return out + "\"";
}

namespace {

// The newest published version of a form: its questions name the columns.
Result<std::shared_ptr<const schema::Form>> LatestForm(Store& store, RecordService& records,
                                                       const std::string& form_id) {
  DALA_ASSIGN_OR_RETURN(auto forms, store.ListForms());
  std::shared_ptr<const schema::Form> latest;
  for (const FormInfo& f : forms) {
    if (f.form_id != form_id) continue;
    sync::Hash h;
    if (!FromHex(f.hash, &h))
      return Status::Corruption("forms row " + f.form_id + " version " + f.version + ": hash is not 64 hex digits");
    if (auto form = records.FindForm(h)) latest = form;
  }
  if (!latest) return Status::NotFound("no form '" + form_id + "' is published");
  return latest;
}

Result<std::vector<SubmissionSummary>> AllOf(Store& store, const SubmissionFilter& filter) {
  std::vector<SubmissionSummary> out;
  SubmissionFilter f = filter;
  f.limit = 10000;
  for (f.offset = 0;; f.offset += f.limit) {
    DALA_ASSIGN_OR_RETURN(auto page, store.ListSubmissions(f));
    out.insert(out.end(), page.begin(), page.end());
    if (page.size() < f.limit) break;
  }
  return out;
}

// The columns of one table: the answerable questions whose innermost
// repeat is `repeat` (-1 for the main table), through groups.
std::vector<int> Columns(const schema::Form& form, int repeat) {
  std::vector<int> out;
  std::function<void(const std::vector<int>&)> walk = [&](const std::vector<int>& ids) {
    for (int q : ids) {
      const schema::Question& qq = form.questions()[q];
      if (qq.type == QuestionType::kGroup) {
        walk(qq.children);
      } else if (qq.type == QuestionType::kRepeat) {
        continue;
      } else if (qq.HasAnswer()) {
        out.push_back(q);
      }
    }
  };
  walk(repeat < 0 ? form.top_level() : form.questions()[repeat].children);
  return out;
}

std::vector<std::string> Headers(const schema::Form& form, const std::vector<int>& columns, const std::string& lang) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (int q : columns) {
    const schema::Question& qq = form.questions()[q];
    std::string h = qq.label.Get(lang).empty() ? qq.name : qq.label.Get(lang);
    if (!seen.insert(h).second) h += " (" + qq.name + ")";
    out.push_back(h);
  }
  return out;
}

}  // namespace

std::string InertCsvText(std::string text) {
  if (!text.empty() && std::string_view("=+-@\t\r").find(text[0]) != std::string_view::npos) text.insert(0, "'");
  return text;
}

namespace {

// Only free text is made inert: numbers stay numbers.
std::string Cell(const schema::Form& form, int q, const json* answer, const std::string& lang) {
  if (answer == nullptr || answer->is_null()) return "";
  std::string text = schema::DescribeAnswer(form, q, *answer, lang);
  schema::QuestionType t = form.questions()[q].type;
  bool numeric = t == schema::QuestionType::kInteger || t == schema::QuestionType::kDecimal ||
                 t == schema::QuestionType::kRating || (t == schema::QuestionType::kCalculate && answer->is_number());
  return numeric ? text : InertCsvText(std::move(text));
}

std::string Line(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ",";
    out += CsvField(cells[i]);
  }
  return out + "\r\n";
}

}  // namespace

Result<std::vector<std::string>> ExportTables(Store& store, RecordService& records, const std::string& form_id) {
  DALA_ASSIGN_OR_RETURN(auto form, LatestForm(store, records, form_id));
  std::vector<std::string> out = {"main"};
  for (const schema::Question& q : form->questions())
    if (q.type == QuestionType::kRepeat) out.push_back(q.name);
  return out;
}

Result<std::string> ExportCsv(Store& store, RecordService& records, const SubmissionFilter& filter,
                              const std::string& table, const std::string& language) {
  const std::string& form_id = filter.form_id;
  DALA_ASSIGN_OR_RETURN(auto form, LatestForm(store, records, form_id));
  int repeat = -1;
  if (table != "main") {
    const schema::Question* r = form->Find(table);
    if (r == nullptr || r->type != QuestionType::kRepeat)
      return Status::NotFound("form " + form_id + " has no table '" + table + "'");
    repeat = r->index;
  }
  const std::string lang = form->HasLanguage(language) ? language : form->default_language();
  std::vector<int> columns = Columns(*form, repeat);
  std::string out = "\xEF\xBB\xBF";  // UTF-8 byte order mark
  std::vector<std::string> header;
  if (repeat < 0) {
    header = {"_id", "_form_version", "_volunteer", "_created", "_updated", "_review_state", "_review_comment",
              "_conflicts"};
  } else {
    header = {"_submission", "_path"};
  }
  for (const std::string& h : Headers(*form, columns, lang)) header.push_back(h);
  out += Line(header);

  DALA_ASSIGN_OR_RETURN(auto submissions, AllOf(store, filter));
  for (const SubmissionSummary& s : submissions) {
    if (!s.merged_into.empty()) continue;
    json answers = json::parse(s.answers_json, nullptr, false);
    if (!answers.is_object()) continue;
    std::string id = sync::FormatSubmissionId(s.id);
    if (repeat < 0) {
      std::vector<std::string> row = {id,
                                      s.form_version,
                                      s.volunteer,
                                      schema::FormatIsoDateTime(s.created_ms, 0),
                                      schema::FormatIsoDateTime(s.updated_ms, 0),
                                      s.review_state,
                                      InertCsvText(s.review_comment),
                                      std::to_string(s.conflicts)};
      for (int q : columns) row.push_back(Cell(*form, q, form->FindAnswer(answers, q, {}), lang));
      out += Line(row);
      continue;
    }
    // Every instance path of this repeat, through any enclosing repeats.
    std::vector<int> chain;
    for (int r = repeat; r != -1; r = form->questions()[r].repeat) chain.insert(chain.begin(), r);
    std::function<void(size_t, schema::InstancePath&)> walk = [&](size_t level, schema::InstancePath& path) {
      int n = form->InstanceCount(answers, chain[level], path);
      for (int i = 0; i < n; ++i) {
        path.push_back(i);
        if (level + 1 == chain.size()) {
          std::string where;
          for (size_t k = 0; k < chain.size(); ++k)
            where += (k ? "." : "") + form->questions()[chain[k]].name + "[" + std::to_string(path[k] + 1) + "]";
          std::vector<std::string> row = {id, where};
          for (int q : columns) row.push_back(Cell(*form, q, form->FindAnswer(answers, q, path), lang));
          out += Line(row);
        } else {
          walk(level + 1, path);
        }
        path.pop_back();
      }
    };
    schema::InstancePath path;
    walk(0, path);
  }
  return out;
}

Result<std::string> ExportJson(Store& store, const SubmissionFilter& filter) {
  DALA_ASSIGN_OR_RETURN(auto submissions, AllOf(store, filter));
  json out = json::array();
  for (const SubmissionSummary& s : submissions) {
    out.push_back({{"id", sync::FormatSubmissionId(s.id)},
                   {"form", s.form_id},
                   {"form_version", s.form_version},
                   {"volunteer", s.volunteer},
                   {"created", schema::FormatIsoDateTime(s.created_ms, 0)},
                   {"updated", schema::FormatIsoDateTime(s.updated_ms, 0)},
                   {"review_state", s.review_state},
                   {"review_comment", s.review_comment},
                   {"conflicts", s.conflicts},
                   {"merged_into", s.merged_into},
                   {"answers", json::parse(s.answers_json, nullptr, false)}});
  }
  return out.dump(2);
}

}  // namespace dala::server
