#include "export_rows.h"

#include <algorithm>
#include <map>
#include <set>

#include "dala/base/hex.h"
#include "dala/schema/interview.h"
#include "dala/schema/value.h"
#include "dala/sync/ids.h"
#include "dala/sync/merkle.h"

namespace dala::server::exports {

using nlohmann::json;
using schema::QuestionType;

namespace {

// Excel counts days from 1899-12-30; the Unix epoch is its day 25569.
constexpr double kExcelUnixEpoch = 25569;
constexpr double kMsPerDay = 86'400'000;

// The answerable questions whose innermost repeat is `repeat` (-1 for the
// main table), through groups.
std::vector<int> ColumnsOf(const schema::Form& form, int repeat) {
  std::vector<int> out;
  std::function<void(const std::vector<int>&)> walk = [&](const std::vector<int>& ids) {
    for (int q : ids) {
      const schema::Question& qq = form.questions()[q];
      if (qq.type == QuestionType::kGroup) walk(qq.children);
      else if (qq.type != QuestionType::kRepeat && qq.HasAnswer()) out.push_back(q);
    }
  };
  walk(repeat < 0 ? form.top_level() : form.questions()[repeat].children);
  return out;
}

// The metadata columns every table carries after `_id` (and a repeat's
// `_parent_id`), with their headings in Kazakh, Russian and English.
struct MetaColumn {
  const char* name;
  const char* kk;
  const char* ru;
  const char* en;
};
constexpr MetaColumn kMeta[] = {
    {"_form_version", "Сауалнама нұсқасы", "Версия анкеты", "Form version"},
    {"_review_state", "Тексеру күйі", "Статус проверки", "Review state"},
    {"_volunteer", "Ерікті", "Волонтёр", "Volunteer"},
    {"_centre", "Орталық", "Центр", "Centre"},
    {"_region", "Өңір", "Регион", "Region"},
    {"_created", "Құрылды (UTC)", "Создано (UTC)", "Created (UTC)"},
    {"_updated", "Өзгертілді (UTC)", "Изменено (UTC)", "Updated (UTC)"},
    {"_open_conflict", "Шешілмеген қайшылық", "Неразрешённый конфликт", "Open conflict"},
    {"_revision", "Соңғы нұсқа", "Последняя ревизия", "Latest revision"},
    {"_review_comment", "Тексерушінің пікірі", "Комментарий проверки", "Review comment"},
};

const char* MetaLabel(const MetaColumn& c, const std::string& language) {
  if (language == "kk") return c.kk;
  if (language == "ru") return c.ru;
  return c.en;
}

Cell Text(std::string text) {
  Cell c;
  c.kind = text.empty() ? Cell::Kind::kEmpty : Cell::Kind::kText;
  c.text = std::move(text);
  return c;
}

Cell Serial(Cell::Kind kind, double serial, std::string text) {
  Cell c;
  c.kind = kind;
  c.number = serial;
  c.text = std::move(text);
  return c;
}

Cell UtcTime(int64_t ms) {
  return Serial(Cell::Kind::kDateTime, kExcelUnixEpoch + static_cast<double>(ms) / kMsPerDay,
                schema::FormatIsoDateTime(ms, 0));
}

std::vector<Cell> MetaCells(const Record& r) {
  const SubmissionSummary& s = r.summary;
  Cell conflict;
  conflict.kind = Cell::Kind::kBool;
  conflict.number = s.conflicts > 0 ? 1 : 0;
  conflict.text = s.conflicts > 0 ? "true" : "false";
  return {Text(s.form_version), Text(s.review_state), Text(s.volunteer),  Text(s.centre),
          Text(s.region),       UtcTime(s.created_ms), UtcTime(s.updated_ms), conflict,
          Text(r.revision),     Text(s.review_comment)};
}

std::string ChoiceNames(const json& answer) {
  if (answer.is_string()) return answer.get<std::string>();
  std::string out;
  if (!answer.is_array()) return answer.dump(-1, ' ', false, json::error_handler_t::replace);
  for (const json& item : answer) {
    if (!out.empty()) out += " ";  // XLSForm's own separator for select_multiple
    out += item.is_string() ? item.get<std::string>() : item.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return out;
}

}  // namespace

Cell AnswerCell(const schema::Form& form, int q, const json* answer, const std::string& language,
                bool choice_names) {
  if (answer == nullptr || answer->is_null()) return Cell{};
  const QuestionType type = form.questions()[q].type;
  std::string text = answer->is_string() ? answer->get<std::string>() : std::string();
  switch (type) {
    case QuestionType::kInteger:
    case QuestionType::kDecimal:
    case QuestionType::kRating:
    case QuestionType::kCalculate:
      if (answer->is_number()) return Serial(Cell::Kind::kNumber, answer->get<double>(), answer->dump());
      break;
    case QuestionType::kDate: {
      int64_t days = 0;
      if (schema::ParseIsoDate(text, &days))
        return Serial(Cell::Kind::kDate, kExcelUnixEpoch + static_cast<double>(days), text);
      break;
    }
    case QuestionType::kDateTime: {
      // Excel has no zones: the wall time where it was recorded.
      int64_t ms = 0;
      int32_t offset = 0;
      if (schema::ParseIsoDateTime(text, 0, &ms, &offset))
        return Serial(Cell::Kind::kDateTime, kExcelUnixEpoch + static_cast<double>(ms + offset * 60'000LL) / kMsPerDay,
                      text);
      break;
    }
    case QuestionType::kTime: {
      int64_t ms = 0;
      if (schema::ParseIsoTime(text, &ms)) return Serial(Cell::Kind::kTime, static_cast<double>(ms) / kMsPerDay, text);
      break;
    }
    case QuestionType::kSelectOne:
    case QuestionType::kSelectMultiple:
      if (choice_names) return Text(ChoiceNames(*answer));
      break;
    default:
      break;
  }
  // An answer of an older version whose type differs lands here as text too.
  return Text(schema::DescribeAnswer(form, q, *answer, language));
}

Result<FormTables> TablesOf(Store& store, const std::string& form_id) {
  if (form_id.empty()) return Status::InvalidArgument("name a form (form=F, or --form F)");
  DALA_ASSIGN_OR_RETURN(auto forms, store.ListForms());
  const FormInfo* latest = nullptr;
  for (const FormInfo& f : forms)
    if (f.form_id == form_id && (latest == nullptr || f.publish_seq > latest->publish_seq)) latest = &f;
  if (latest == nullptr) return Status::NotFound("no form '" + form_id + "' is published");
  sync::Hash hash;
  if (!FromHex(latest->hash, &hash))
    return Status::Corruption("forms row " + form_id + " version " + latest->version + ": hash is not 64 hex digits");
  DALA_ASSIGN_OR_RETURN(auto document, store.FormDocument(latest->hash));
  if (!document) return Status::Corruption("form " + form_id + " version " + latest->version + " has no document");
  DALA_ASSIGN_OR_RETURN(auto form, schema::Form::Load(*document));
  FormTables out;
  out.form = form;
  out.tables.push_back(Table{"main", -1, {}, ColumnsOf(*form, -1)});
  for (const schema::Question& q : form->questions()) {
    if (q.type != QuestionType::kRepeat) continue;
    Table t{q.name, q.index, {}, ColumnsOf(*form, q.index)};
    for (int r = q.index; r != -1; r = form->questions()[r].repeat) t.chain.insert(t.chain.begin(), r);
    out.tables.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<std::string>> PublishedFormIds(Store& store) {
  DALA_ASSIGN_OR_RETURN(auto forms, store.ListForms());
  std::sort(forms.begin(), forms.end(), [](const FormInfo& a, const FormInfo& b) { return a.publish_seq < b.publish_seq; });
  std::vector<std::string> out;
  for (const FormInfo& f : forms)
    if (std::find(out.begin(), out.end(), f.form_id) == out.end()) out.push_back(f.form_id);
  return out;
}

Header HeaderOf(const schema::Form& form, const Table& table, const std::string& language) {
  Header h;
  h.names.push_back("_id");
  h.labels.push_back("ID");
  if (table.repeat >= 0) {
    h.names.push_back("_parent_id");
    h.labels.push_back(language == "kk" ? "Тиесілі жазба" : language == "ru" ? "Родительская запись" : "Parent");
  }
  for (const MetaColumn& c : kMeta) {
    h.names.push_back(c.name);
    h.labels.push_back(MetaLabel(c, language));
  }
  std::set<std::string> seen;
  for (int q : table.columns) {
    const schema::Question& qq = form.questions()[q];
    std::string label = qq.label.Get(language).empty() ? qq.name : qq.label.Get(language);
    if (!seen.insert(label).second) label += " (" + qq.name + ")";
    h.names.push_back(qq.name);
    h.labels.push_back(std::move(label));
  }
  return h;
}

void RowsOf(const schema::Form& form, const Table& table, const Record& record, const std::string& language,
            bool choice_names, const std::function<void(const std::vector<Cell>&)>& row) {
  const std::string id = sync::FormatSubmissionId(record.summary.id);
  const std::vector<Cell> meta = MetaCells(record);
  auto emit = [&](const std::string& row_id, const std::string* parent, const schema::InstancePath& path) {
    std::vector<Cell> cells = {Text(row_id)};
    if (parent != nullptr) cells.push_back(Text(*parent));
    cells.insert(cells.end(), meta.begin(), meta.end());
    for (int q : table.columns)
      cells.push_back(AnswerCell(form, q, form.FindAnswer(record.answers, q, path), language, choice_names));
    row(cells);
  };
  if (table.repeat < 0) {
    emit(id, nullptr, {});
    return;
  }
  // An instance's id is its record's id and its place, "…/issues[2]"; its
  // parent is the record, or the enclosing repeat's instance.
  std::function<void(size_t, schema::InstancePath&, const std::string&)> walk =
      [&](size_t level, schema::InstancePath& path, const std::string& parent) {
        const int n = form.InstanceCount(record.answers, table.chain[level], path);
        for (int i = 0; i < n; ++i) {
          path.push_back(i);
          std::string here = parent + (level == 0 ? "/" : ".") + form.questions()[table.chain[level]].name + "[" +
                             std::to_string(i + 1) + "]";
          if (level + 1 == table.chain.size()) emit(here, &parent, path);
          else walk(level + 1, path, here);
          path.pop_back();
        }
      };
  schema::InstancePath path;
  walk(0, path, id);
}

Status ForEachRecord(Store& snapshot, const SubmissionFilter& filter, const std::function<Status(const Record&)>& visit,
                     const std::function<void(uint64_t done, uint64_t total)>& progress) {
  uint64_t total = 0;
  if (progress) {
    DALA_ASSIGN_OR_RETURN(total, snapshot.CountSubmissions(filter));
    progress(0, total);
  }
  uint64_t done = 0;
  DALA_RETURN_IF_ERROR(snapshot.ForEachSubmission(filter, [&](const SubmissionSummary& s) -> Status {
    DALA_ASSIGN_OR_RETURN(auto latest, snapshot.LogRange(s.last_log_index, s.last_log_index + 1));
    const std::string revision = latest.empty() ? std::string() : ToHex(latest[0].id);
    json answers = json::parse(s.answers_json, nullptr, false);
    if (!answers.is_object()) answers = json::object();
    DALA_RETURN_IF_ERROR(visit(Record{s, answers, revision}));
    if (++done % 500 == 0 && progress) progress(done, std::max(total, done));
    return Status::Ok();
  }));
  if (progress && done % 500 != 0) progress(done, std::max(total, done));
  return Status::Ok();
}

Status InExportSnapshot(Store& store, const std::function<Status(Store& snapshot, const CheckpointRef& at)>& work) {
  return store.InReadSnapshot([&](Store& snapshot) -> Status {
    // The root from the snapshot's own leaves (32 bytes an entry): the
    // server's last signed checkpoint may be older than the records.
    std::vector<sync::Hash> leaves;
    DALA_RETURN_IF_ERROR(snapshot.ForEachLeafHash(0, [&](uint64_t, const sync::Hash& h) { leaves.push_back(h); }));
    CheckpointRef at;
    at.size = leaves.size();
    at.root_hex = ToHex(sync::RootOfLeafHashes(leaves));
    std::vector<sync::Hash>().swap(leaves);
    DALA_ASSIGN_OR_RETURN(auto last, snapshot.LastCheckpoint());
    if (last && last->first == at.size) at.note = last->second;
    return work(snapshot, at);
  });
}

}  // namespace dala::server::exports
