// Batch input: turns a shipment file (CSV or JSONL) into a stream of
// InputUnits, one per shipment or per bad line, in input order, reading the
// file once with bounded memory (one line of at most kMaxLineBytes plus the
// shipment being assembled).
//
// Units satisfy the prefix property the resume logic relies on: every
// non-blank input line belongs to exactly one unit, and units cover the file
// in order, so "all units up to k are written" means "every line before
// unit k's end_offset is accounted for".
//
// CSV format (header line required; column order free; empty cell = unset;
// lists are ';'-separated; RFC 4180 quoting, but a field may not contain a
// line break). One row per shipment line; consecutive rows with the same
// shipment_id form one shipment (rows of a shipment must be contiguous; an
// empty shipment_id makes the row its own shipment). A row may carry a party,
// an item, or both; identical parties repeated on several rows are sent once.
//   shipment:  shipment_id (-> request_id), exporter, destination_country,
//              export_country, end_use_codes (;), end_use_description,
//              as_of_date (YYYY-MM-DD), location_attested (true/false),
//              location_verifier. Taken from any row of the shipment; two
//              different non-empty values are an error.
//   party:     party_role (END_USER or PARTY_ROLE_END_USER ...), party_name,
//              party_aliases (;), party_country, party_street, party_city,
//              party_region, party_postal_code, party_address_kind
//              (COMMERCIAL ...), party_identifiers (TYPE:VALUE;...),
//              party_hq_country, party_parent_name, party_parent_country,
//              party_business_description, party_incorporated_year
//   item:      item_part_number, item_description, item_eccn, item_kind (IC
//              ...), item_tpp, item_performance_density, item_die_area_mm2,
//              item_memory_bandwidth_gbps, item_datacenter_marketed
//              (true/false), item_quantity, item_serial_numbers (;),
//              item_parameters (name=value;...), item_features (;),
//              item_vendor, item_model, item_unit_value_usd
//
// Bad input never stops the reader: an unknown header column is an error
// unit for line 1 (the column is ignored); a row with a bad value makes its
// whole shipment an error (fail closed: a shipment is never screened without
// one of its rows); a structurally malformed row (field count, quoting) or an
// oversized line is its own error unit, unless the next good row continues
// the open shipment, in which case the shipment fails.
//
// JSONL format: one v1.ScreenRequest (protobuf JSON) per line; blank lines
// are skipped.
//
// Thread-compatible: one reader per thread.
#ifndef EXPORTSCREEN_SERVICES_CLI_BATCH_INPUT_H_
#define EXPORTSCREEN_SERVICES_CLI_BATCH_INPUT_H_

#include <cstdint>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "exportscreen/v1/screening.pb.h"

namespace exportscreen::cli {

inline constexpr int64_t kMaxLineBytes = 1 << 20;

// Reads '\n'-terminated lines ("\r\n" accepted) from a file descriptor with
// their 1-based numbers and byte offsets. A line longer than max_line_bytes
// is skipped up to its newline and returned with `oversized` set and empty
// text.
class LineReader {
 public:
  struct Line {
    absl::string_view text;  // valid until the next call to Next()
    int64_t number = 0;
    int64_t begin_offset = 0;
    int64_t end_offset = 0;  // offset after the newline
    bool oversized = false;
  };

  // Opens `path` ("-" = stdin). Errors: NOT_FOUND / PERMISSION_DENIED.
  static absl::StatusOr<std::unique_ptr<LineReader>> Open(const std::string& path,
                                                          int64_t max_line_bytes = kMaxLineBytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Continues at byte `offset`, calling its line `line_number`.
  // REQUIRES: a regular file; offset is the start of a line.
  absl::Status Seek(int64_t offset, int64_t line_number);
  // Next line; false at end of input. Errors: the read error.
  absl::StatusOr<bool> Next(Line* line);
  // Size of the file, or -1 if unknown (pipe).
  int64_t size() const { return size_; }

 private:
  LineReader(int fd, bool owned, int64_t size, int64_t max_line_bytes);
  absl::StatusOr<bool> Fill();  // reads more; false at EOF
  // Hands out the `len` bytes at start_ as the next line (or marks it
  // oversized) and consumes `consumed` bytes (the line and its newline).
  void Emit(int64_t begin, size_t len, size_t consumed, bool oversized, Line* line);

  const int fd_;
  const bool owned_;
  const int64_t size_;
  const int64_t max_line_bytes_;
  std::string buf_;
  size_t start_ = 0;  // first unconsumed byte in buf_
  size_t end_ = 0;    // end of valid data in buf_
  bool eof_ = false;
  int64_t offset_ = 0;  // file offset of buf_[start_]
  int64_t line_number_ = 0;
};

// One shipment (or one bad line) of the input.
struct InputUnit {
  int64_t first_line = 0;
  int64_t last_line = 0;
  // Input offset after the unit's last line: where a resumed run continues.
  int64_t end_offset = 0;
  std::string shipment_id;
  // Not OK: the unit is reported as an error and not screened.
  absl::Status error;
  v1::ScreenRequest request;
};

enum class InputFormat { kCsv, kJsonl };
// From the extension (.csv, .jsonl/.ndjson/.json); "-" and others: error.
absl::StatusOr<InputFormat> InputFormatFromName(absl::string_view name);

// Reads units from a LineReader.
class UnitReader {
 public:
  virtual ~UnitReader() = default;
  // Next unit; false at end of input. Errors: only I/O errors (bad content
  // is returned as units with `error` set).
  virtual absl::StatusOr<bool> Next(InputUnit* unit) = 0;
  // Continues after a checkpoint: reads what must be re-read (the CSV
  // header, silently), then seeks to `offset` / `line_number`.
  virtual absl::Status Resume(int64_t offset, int64_t line_number) = 0;
};

std::unique_ptr<UnitReader> NewUnitReader(InputFormat format, std::unique_ptr<LineReader> lines);

// The documented CSV column names, in the order shipgen writes them.
const std::vector<std::string>& CsvColumnNames();

}  // namespace exportscreen::cli

#endif  // EXPORTSCREEN_SERVICES_CLI_BATCH_INPUT_H_
