// ParseListFiles: validates the format name, sanitises UTF-8 and dispatches
// to the per-format parsers in this folder.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/store/importers.h"
#include "services/store/importers/formats.h"
#include "services/store/importers/import_util.h"

namespace exportscreen::store {
namespace importers {

absl::string_view BaseName(absl::string_view path) {
  const size_t slash = path.find_last_of("/\\");
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

bool HeaderMatches(const std::vector<std::string>& fields,
                   const std::vector<absl::string_view>& expected) {
  if (fields.size() != expected.size()) return false;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(fields[i]), expected[i])) {
      return false;
    }
  }
  return true;
}

std::string ExpectedHeaderText(const std::vector<absl::string_view>& expected) {
  return absl::StrCat("expected header: ", absl::StrJoin(expected, ","));
}

HeadedCsvReader::HeadedCsvReader(const ImportInput& file, char separator,
                                 const std::vector<absl::string_view>& header,
                                 absl::string_view format)
    : file_(file),
      reader_(file.content, separator),
      header_(header),
      format_(format),
      separator_(separator) {}

bool HeadedCsvReader::Next(CsvRecord* rec, ImportSink* sink) {
  while (status_.ok() && reader_.Next(rec)) {
    if (rec->blank) {
      sink->Skip();
      continue;
    }
    if (!header_seen_) {
      if (!HeaderMatches(rec->fields, header_)) {
        status_ = absl::InvalidArgumentError(absl::StrCat(
            file_.name, " is not a ", format_, " file (line ", rec->line, "); ",
            ExpectedHeaderText(header_), separator_ == '\t' ? " (tab-separated)" : ""));
        return false;
      }
      header_seen_ = true;
      sink->Skip();
      continue;
    }
    if (HeaderMatches(rec->fields, header_)) {  // repeated header
      sink->Skip();
      continue;
    }
    if (rec->truncated) {
      sink->Reject(file_.name, rec->line, "truncated record: file ends inside a quoted field");
      continue;
    }
    if (rec->fields.size() != header_.size()) {
      sink->Reject(
          file_.name, rec->line,
          absl::StrCat("expected ", header_.size(), separator_ == '\t' ? " tab-separated" : "",
                       " columns, got ", rec->fields.size()));
      continue;
    }
    return true;
  }
  return false;
}

}  // namespace importers

absl::StatusOr<ImportResult> ParseListFiles(absl::string_view format,
                                            const std::vector<ImportInput>& files) {
  using importers::ImportSink;
  static constexpr absl::string_view kFormats[] = {"csl", "bis_csv", "ofac_sdn",
                                                   "dpl", "un_xml",  "entities_jsonl"};
  bool known = false;
  for (absl::string_view f : kFormats) known = known || f == format;
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown list format \"", format,
                     "\"; expected one of: csl, bis_csv, ofac_sdn, dpl, un_xml, "
                     "entities_jsonl"));
  }
  if (files.empty()) {
    return absl::InvalidArgumentError("no input files");
  }

  ImportResult result;
  ImportSink sink(&result);
  // Invalid UTF-8 is replaced by U+FFFD (one warning per file), so every
  // string that reaches a protobuf field is valid UTF-8.
  std::vector<ImportInput> clean;
  clean.reserve(files.size());
  for (const ImportInput& file : files) {
    ImportInput copy;
    copy.name = std::string(importers::BaseName(file.name));
    if (importers::IsCleanUtf8(file.content)) {
      copy.content = file.content;
    } else {
      int64_t replaced = 0;
      copy.content = importers::SanitizeUtf8(file.content, &replaced);
      if (replaced > 0) {
        sink.Warn(copy.name, 0,
                  absl::StrCat(replaced, " invalid UTF-8 byte(s) replaced by U+FFFD"));
      }
    }
    clean.push_back(std::move(copy));
  }

  if (format == "ofac_sdn") {
    absl::Status status = importers::ParseOfacSdnFiles(clean, &sink);
    if (!status.ok()) return status;
    return result;
  }
  for (const ImportInput& file : clean) {
    absl::Status status;
    if (format == "csl") {
      status = importers::ParseCslFile(file, &sink);
    } else if (format == "bis_csv") {
      status = importers::ParseBisCsvFile(file, &sink);
    } else if (format == "dpl") {
      status = importers::ParseDplFile(file, &sink);
    } else if (format == "un_xml") {
      status = importers::ParseUnXmlFile(file, &sink);
    } else {
      status = importers::ParseEntitiesJsonlFile(file, &sink);
    }
    if (!status.ok()) return status;
  }
  return result;
}

}  // namespace exportscreen::store
