// `dala form convert`: XLSForm to form document and back, on the laptop,
// without a profile (a coordinator converts before anyone collects).
#include <filesystem>
#include <iostream>

#include "cli_commands.h"
#include "cli_words.h"
#include "dala/schema/form.h"
#include "dala/xlsform/xlsform.h"

namespace dala::client::cli {
namespace {

bool EndsWithNoCase(std::string_view s, std::string_view tail) {
  if (s.size() < tail.size()) return false;
  for (size_t i = 0; i < tail.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - tail.size() + i])) != tail[i]) return false;
  return true;
}

}  // namespace

int FormConvert(const Globals& g, const FormConvertOptions& o) {
  const std::string lang = MessageLanguage(g, nullptr);
  auto input = ReadWholeFile(o.input);
  if (!input.ok()) return Fail(input.status());
  std::string output;
  if (EndsWithNoCase(o.input, ".xlsx")) {
    auto lists = xlsform::ReadListFolder(o.lists_dir);
    if (!lists.ok()) return Fail(lists.status());
    xlsform::ReadOptions options;
    options.list_files = std::move(lists).value();
    options.fallback_id = std::filesystem::path(o.input).stem().string();
    auto converted = xlsform::XlsFormToForm(*input, options);
    if (!converted.ok()) {
      std::cerr << "dala: " << Tr(Say::kFormNotConverted, lang, {o.input}) << "\n"
                << converted.status().message() << "\n";
      return kExitFailure;
    }
    for (const auto& w : converted->warnings) std::cerr << "dala: warning: " << w << "\n";
    output = std::move(converted->document);
  } else {
    auto form = schema::Form::Load(*input);
    Result<std::string> xlsx = form.ok() ? xlsform::FormToXlsForm(*input) : Result<std::string>(form.status());
    if (!xlsx.ok()) {
      std::cerr << "dala: " << Tr(Say::kFormNotConverted, lang, {o.input}) << "\n" << xlsx.status().message() << "\n";
      return kExitFailure;
    }
    output = std::move(xlsx).value();
  }
  if (!WriteFileReplacing(o.output, output)) return Fail(Tr(Say::kCannotWrite, lang, {o.output}));
  std::cout << Tr(Say::kFormConverted, lang, {o.input, o.output}) << "\n";
  return kExitOk;
}

}  // namespace dala::client::cli
