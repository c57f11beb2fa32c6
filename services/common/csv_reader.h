// The project's one CSV reader: RFC 4180 over an in-memory buffer, with a
// configurable separator (',' or '\t'), quoted fields that may contain
// separators, doubled quotes and line breaks, and LF, CRLF or CR line ends.
// Each record reports the 1-based physical line where it starts, so a
// rejection can point at the right line of a multi-line record.
//
// Two users, two ways of reading:
//  - The list importers read whole files leniently (the real files need it):
//    a quote inside an unquoted field is kept literally (OFAC writes `-0- `
//    unquoted), and characters after a closing quote are appended to the
//    field (the record says which field, `first_stray_field`). A quoted
//    field still open at end of input is reported as `truncated` (the
//    cut-off last row of a truncated file).
//  - `screenctl batch` reads one line at a time and refuses what the lenient
//    reading would repair: SplitCsvLine below.
//
// Thread-compatible: one reader per thread; the buffer must outlive it.
#ifndef EXPORTSCREEN_SERVICES_COMMON_CSV_READER_H_
#define EXPORTSCREEN_SERVICES_COMMON_CSV_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace exportscreen {

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
  // 1-based index of the first field with characters after its closing
  // quote (kept, appended to the field); 0 if none.
  int first_stray_field = 0;
};

class CsvReader {
 public:
  CsvReader(absl::string_view data, char separator) : data_(data), separator_(separator) {}

  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into `*record`. Returns false at end of input.
  bool Next(CsvRecord* record);

  // Bytes of the input consumed so far.
  size_t position() const { return pos_; }

 private:
  absl::string_view data_;
  char separator_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

// Splits one comma-separated line (no line end) strictly: an unterminated
// quoted field, text after a closing quote or a line break outside quotes is
// INVALID_ARGUMENT naming the 1-based field ("unterminated quoted field 2").
// An empty line is one empty field.
absl::Status SplitCsvLine(absl::string_view line, std::vector<std::string>* fields);

}  // namespace exportscreen

#endif  // EXPORTSCREEN_SERVICES_COMMON_CSV_READER_H_
