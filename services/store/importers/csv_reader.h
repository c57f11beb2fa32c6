// CsvReader: a streaming RFC 4180 reader over an in-memory buffer, with a
// configurable separator (',' or '\t'), quoted fields that may contain
// separators, doubled quotes and line breaks, and LF or CRLF line ends.
// Each record reports the 1-based physical line where it starts, so a
// rejection can point at the right line of a multi-line record.
//
// Leniency (the real files need it): a quote inside an unquoted field is kept
// literally (OFAC writes `-0- ` unquoted), and characters after a closing
// quote are appended to the field. A quoted field still open at end of input
// is reported as `truncated` (the cut-off last row of a truncated file).
//
// Thread-compatible: one reader per thread; the buffer must outlive it.
#ifndef EXPORTSCREEN_SERVICES_STORE_IMPORTERS_CSV_READER_H_
#define EXPORTSCREEN_SERVICES_STORE_IMPORTERS_CSV_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace exportscreen::store::importers {

struct CsvRecord {
  std::vector<std::string> fields;
  // 1-based physical line of the first character of the record.
  int64_t line = 0;
  // Number of physical lines the record spans (>= 1).
  int64_t line_count = 1;
  // True if the input ended inside a quoted field.
  bool truncated = false;
  // True if the record is an empty line (no characters before the line end).
  bool blank = false;
};

class CsvReader {
 public:
  CsvReader(absl::string_view data, char separator) : data_(data), separator_(separator) {}

  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into `*record`. Returns false at end of input.
  bool Next(CsvRecord* record);

 private:
  absl::string_view data_;
  char separator_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

}  // namespace exportscreen::store::importers

#endif  // EXPORTSCREEN_SERVICES_STORE_IMPORTERS_CSV_READER_H_
