// What the export writers share: the tables of a form, their cells typed
// (so XLSX gets numbers and dates, CSV their text), and the records read a
// page at a time with their latest revision ids.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dala/base/status.h"
#include "dala/schema/form.h"
#include "dala/server/store.h"

namespace dala::server::exports {

struct Cell {
  enum class Kind { kEmpty, kText, kNumber, kBool, kDate, kDateTime, kTime };
  Kind kind = Kind::kEmpty;
  double number = 0;  // kNumber; an Excel serial for kDate/kDateTime/kTime; 0/1 for kBool
  std::string text;   // what CSV shows: the stored text of dates, the answer as JSON writes numbers
};

// One table: the main one (repeat -1) or a repeat's, with its columns.
struct Table {
  std::string name;        // "main" or the repeat's name
  int repeat = -1;
  std::vector<int> chain;  // the repeats from the outermost down to `repeat`
  std::vector<int> columns;
};

struct FormTables {
  std::shared_ptr<const schema::Form> form;  // the newest published version: its questions name the columns
  std::vector<Table> tables;                 // main first, then repeats in form order
};

Result<FormTables> TablesOf(Store& store, const std::string& form_id);
// Every published form, in the order they were first published.
Result<std::vector<std::string>> PublishedFormIds(Store& store);

struct Header {
  std::vector<std::string> names;   // "_id", ..., then question names
  std::vector<std::string> labels;  // in the language asked for
};
Header HeaderOf(const schema::Form& form, const Table& table, const std::string& language);

// A record as the writers see it.
struct Record {
  const SubmissionSummary& summary;
  const nlohmann::json& answers;
  const std::string& revision;  // the latest envelope's id, hex
};

// The rows of `table` for one record: one for main, one per instance of a
// repeat (through its enclosing repeats). Cells parallel HeaderOf's names.
void RowsOf(const schema::Form& form, const Table& table, const Record& record, const std::string& language,
            bool choice_names, const std::function<void(const std::vector<Cell>&)>& row);

// The cell of one answer (nullptr: not answered).
Cell AnswerCell(const schema::Form& form, int q, const nlohmann::json* answer, const std::string& language,
                bool choice_names);

// Every submission `filter` picks, in its order, with its latest revision
// id. `snapshot` is an InExportSnapshot's: one cursor reads them all from
// one read transaction, so no page is skipped or repeated however the
// records change meanwhile, and no lock is held that syncs wait on.
// Merged submissions are included (the writers of tables leave them out).
// `progress` hears (0, total) first, then every few hundred records.
Status ForEachRecord(Store& snapshot, const SubmissionFilter& filter,
                     const std::function<Status(const Record&)>& visit,
                     const std::function<void(uint64_t done, uint64_t total)>& progress);

// The log as an export's snapshot holds it: the size and root its records
// were read at, which tie the file to the log.
struct CheckpointRef {
  uint64_t size = 0;
  std::string root_hex;
  std::string note;  // the server's signed checkpoint of exactly this size, if it signed one (every sync ends so)
};

// Runs `work` on one read snapshot of `store` (Store::InReadSnapshot) and
// the log as that snapshot holds it: every record and every log entry an
// export writes comes from that one moment, however syncs go on.
Status InExportSnapshot(Store& store, const std::function<Status(Store& snapshot, const CheckpointRef& at)>& work);

}  // namespace dala::server::exports
