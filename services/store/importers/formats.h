// One parser per public list format, behind ParseListFiles (importers.h).
// Each reads already UTF-8-sanitised input and reports through an
// ImportSink; a non-OK status means the file is not of the format at all
// (INVALID_ARGUMENT naming the file) and the whole import fails.
// Thread-safe (stateless functions).
#ifndef EXPORTSCREEN_SERVICES_STORE_IMPORTERS_FORMATS_H_
#define EXPORTSCREEN_SERVICES_STORE_IMPORTERS_FORMATS_H_

#include <vector>

#include "absl/status/status.h"
#include "services/store/importers.h"
#include "services/common/csv_reader.h"
#include "services/store/importers/import_util.h"

namespace exportscreen::store::importers {

absl::Status ParseCslFile(const ImportInput& file, ImportSink* sink);
absl::Status ParseBisCsvFile(const ImportInput& file, ImportSink* sink);
absl::Status ParseDplFile(const ImportInput& file, ImportSink* sink);
absl::Status ParseUnXmlFile(const ImportInput& file, ImportSink* sink);
absl::Status ParseEntitiesJsonlFile(const ImportInput& file, ImportSink* sink);
// All files of one OFAC set at once (roles from base names).
absl::Status ParseOfacSdnFiles(const std::vector<ImportInput>& files, ImportSink* sink);

// The base name of a path ("a/b/sdn.csv" -> "sdn.csv").
absl::string_view BaseName(absl::string_view path);

// Checks that `fields` equal `expected` (trimmed, case-insensitive).
bool HeaderMatches(const std::vector<std::string>& fields,
                   const std::vector<absl::string_view>& expected);
// "expected header: a,b,c" for error messages.
std::string ExpectedHeaderText(const std::vector<absl::string_view>& expected);

// The data rows of a delimited file that starts with a header row (csl,
// bis_csv, dpl): blank lines and (repeated) header rows are counted as
// skipped; truncated records and rows with another column count are
// rejected with their line. If the first non-blank row is not the header,
// Next() returns false and status() is INVALID_ARGUMENT naming the file.
class HeadedCsvReader {
 public:
  // `header` must outlive the reader. `format` names the format in errors.
  HeadedCsvReader(const ImportInput& file, char separator,
                  const std::vector<absl::string_view>& header, absl::string_view format);
  // The next well-formed data row, or false at the end (or on a bad file).
  bool Next(CsvRecord* rec, ImportSink* sink);
  const absl::Status& status() const { return status_; }
  bool header_seen() const { return header_seen_; }

 private:
  const ImportInput& file_;
  CsvReader reader_;
  const std::vector<absl::string_view>& header_;
  const std::string format_;
  const char separator_;
  bool header_seen_ = false;
  absl::Status status_;
};

}  // namespace exportscreen::store::importers

#endif  // EXPORTSCREEN_SERVICES_STORE_IMPORTERS_FORMATS_H_
