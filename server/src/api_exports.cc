// Exports: tables, CSV and JSON for analysts; the audit bundle for auditors.

#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <memory>
#include <streambuf>
#include <vector>
#include <nlohmann/json.hpp>

#include "api_errors.h"
#include "api_handlers.h"
#include "bundle_export.h"
#include "export.h"
#include "record_service.h"
#include "submission_views.h"

namespace dala::server::handlers {

using nlohmann::json;

Result<HttpResponse> ExportTables(const Call& call) {
  const std::string form = call.request.Query("form");
  DALA_ASSIGN_OR_RETURN(auto tables, server::ExportTables(call.api.store(), form));
  return JsonResponse({{"form", form}, {"tables", tables}});
}

namespace {

// Files are named after the form, or "dala" for every form.
void NameAttachment(HttpResponse& out, const ExportOptions& o, ExportFormat format) {
  out.content_type = ExportContentType(format);
  out.headers["Content-Disposition"] = "attachment; filename=\"" +
                                       (o.filter.form_id.empty() ? std::string("dala") : o.filter.form_id) + "." +
                                       ExportFormatName(format) + "\"";
}

// An ostream's bytes to a response's sink, 64 KiB at a time; once the
// sink refuses (the client is gone) the stream goes bad, and the writer,
// which checks after every record, stops.
class SinkBuffer : public std::streambuf {
 public:
  explicit SinkBuffer(const BodySink& sink) : sink_(sink), buffer_(64 << 10) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  bool Flush() {
    const std::ptrdiff_t n = pptr() - pbase();
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return n == 0 || sink_(std::string_view(buffer_.data(), static_cast<size_t>(n)));
  }

 protected:
  int_type overflow(int_type c) override {
    if (!Flush()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) sputc(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
  int sync() override { return Flush() ? 0 : -1; }

 private:
  const BodySink& sink_;
  std::vector<char> buffer_;
};

// Checked here, streamed after: the records are read, from one snapshot,
// only while the response is being sent.
Result<HttpResponse> ExportAs(const Call& call, ExportFormat format) {
  DALA_ASSIGN_OR_RETURN(ExportOptions o, ExportOptionsOf(call.request));
  o.now_ms = call.api.ctx().clock.NowMs();
  Store& store = call.api.store();
  DALA_RETURN_IF_ERROR(CheckExport(store, format, o));
  HttpResponse out;
  NameAttachment(out, o, format);
  out.stream = [&store, format, o](const BodySink& sink) -> Status {
    SinkBuffer buffer(sink);
    std::ostream body(&buffer);
    DALA_RETURN_IF_ERROR(WriteExport(store, format, o, body).status());
    return buffer.Flush() ? Status::Ok() : Status::IoError("the client stopped reading the export");
  };
  return out;
}

}  // namespace

Result<HttpResponse> ExportCsv(const Call& call) { return ExportAs(call, ExportFormat::kCsv); }
Result<HttpResponse> ExportJson(const Call& call) { return ExportAs(call, ExportFormat::kJson); }
Result<HttpResponse> ExportGeoJson(const Call& call) { return ExportAs(call, ExportFormat::kGeoJson); }

namespace {

// What is written as a file (by libxlsxwriter, or SQLite for the bundle),
// in a private directory in the data directory (ServerConfig::scratch_dir:
// an export may outgrow a small /tmp), then streamed. The directory is
// removed as soon as the file is open, so nothing is left behind however
// the response ends.
Result<HttpResponse> FileResponse(const Call& call, const std::string& file_name,
                                  const std::function<Status(const std::string& path)>& write) {
  const std::string& scratch = call.api.ctx().config.scratch_dir;
  std::string dir_template =
      ((scratch.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(scratch)) /
       "export-XXXXXX")
          .string();
  if (::mkdtemp(dir_template.data()) == nullptr) return Status::IoError("cannot create a temporary directory");
  const std::string path = dir_template + "/" + file_name;
  Status written = write(path);
  auto file = std::make_shared<std::ifstream>();
  if (written.ok()) {
    file->open(path, std::ios::binary);
    if (!*file) written = Status::IoError("cannot read back the export just written");
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_template, ignored);
  DALA_RETURN_IF_ERROR(written);
  HttpResponse out;
  out.stream = [file](const BodySink& sink) -> Status {
    std::vector<char> piece(64 << 10);
    while (*file) {
      file->read(piece.data(), static_cast<std::streamsize>(piece.size()));
      const auto n = static_cast<size_t>(file->gcount());
      if (n > 0 && !sink(std::string_view(piece.data(), n)))
        return Status::IoError("the client stopped reading the export");
    }
    return file->bad() ? Status::IoError("cannot read back the export") : Status::Ok();
  };
  return out;
}

}  // namespace

Result<HttpResponse> ExportXlsx(const Call& call) {
  DALA_ASSIGN_OR_RETURN(ExportOptions o, ExportOptionsOf(call.request));
  o.now_ms = call.api.ctx().clock.NowMs();
  DALA_ASSIGN_OR_RETURN(HttpResponse out, FileResponse(call, "export.xlsx", [&](const std::string& path) {
    return WriteXlsxExport(call.api.store(), o, path).status();
  }));
  NameAttachment(out, o, ExportFormat::kXlsx);
  return out;
}

// The audit bundle: the same file as `dala-server export --bundle`.
Result<HttpResponse> ExportBundle(const Call& call) {
  DALA_ASSIGN_OR_RETURN(HttpResponse out, FileResponse(call, "audit.dala", [&](const std::string& path) {
    return WriteBundle(call.api.store(), call.api.records(), path).status();
  }));
  out.content_type = "application/vnd.sqlite3";
  out.headers["Content-Disposition"] = "attachment; filename=\"audit.dala\"";
  return out;
}

}  // namespace dala::server::handlers
