// XLSForm workbooks (xlsform::XlsFormToForm: libzip, expat, the sheet
// reader and the converter), as an NGO uploads them to `dala-server form
// publish`. A workbook that converts is written back with FormToXlsForm
// and converted again: the same document must come back.
#include <nlohmann/json.hpp>

#include "dala/xlsform/xlsform.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dala::xlsform::ReadOptions options;
  options.fallback_id = "fuzzed";
  auto converted = dala::xlsform::XlsFormToForm(dala::fuzz::Bytes(data, size), options);
  if (!converted.ok()) return 0;
  auto written = dala::xlsform::FormToXlsForm(converted->document);
  if (!written.ok()) dala::fuzz::Fail("a converted form cannot be written back as an XLSForm");
  auto again = dala::xlsform::XlsFormToForm(*written, options);
  if (!again.ok()) dala::fuzz::Fail("an XLSForm Dala wrote does not convert");
  // Key for key: the order of an object's keys may differ.
  if (nlohmann::json::parse(again->document) != nlohmann::json::parse(converted->document))
    dala::fuzz::Fail("an XLSForm written back converts to another form");
  return 0;
}
