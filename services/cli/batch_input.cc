#include "services/cli/batch_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "services/cli/batch_csv_columns.h"
#include "services/common/csv_reader.h"

namespace exportscreen::cli {

// ---------------------------------------------------------------------------
// LineReader

LineReader::LineReader(int fd, bool owned, int64_t size, int64_t max_line_bytes)
    : fd_(fd), owned_(owned), size_(size), max_line_bytes_(max_line_bytes) {
  // Room for one maximal line plus read-ahead, so a line never needs more.
  buf_.resize(static_cast<size_t>(max_line_bytes) + (256 << 10));
}

LineReader::~LineReader() {
  if (owned_) close(fd_);
}

absl::StatusOr<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path,
                                                             int64_t max_line_bytes) {
  int fd = 0;
  bool owned = false;
  if (path != "-") {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      std::string msg = absl::StrCat("cannot open ", path, ": ", strerror(err));
      return err == ENOENT ? absl::NotFoundError(msg) : absl::PermissionDeniedError(msg);
    }
    owned = true;
  }
  struct stat st;
  int64_t size = -1;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) size = st.st_size;
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<LineReader>(new LineReader(fd, owned, size, max_line_bytes));
}

absl::Status LineReader::Seek(int64_t offset, int64_t line_number) {
  if (lseek(fd_, offset, SEEK_SET) != offset) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot seek the input to ", offset, ": ", strerror(errno)));
  }
  start_ = end_ = 0;
  eof_ = false;
  offset_ = offset;
  line_number_ = line_number - 1;
  return absl::OkStatus();
}

absl::StatusOr<bool> LineReader::Fill() {
  if (eof_) return false;
  if (start_ > 0) {  // compact: keep the unconsumed tail at the front
    std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (end_ == buf_.size()) return true;  // full; caller handles
  while (true) {
    ssize_t n = read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::DataLossError(absl::StrCat("read: ", strerror(errno)));
    if (n == 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<size_t>(n);
    return true;
  }
}

void LineReader::Emit(int64_t begin, size_t len, size_t consumed, bool oversized, Line* line) {
  if (oversized || static_cast<int64_t>(len) > max_line_bytes_) {
    line->text = absl::string_view();
    line->oversized = true;
  } else {
    line->text = absl::string_view(buf_.data() + start_, len);
    if (!line->text.empty() && line->text.back() == '\r') {
      line->text.remove_suffix(1);
    }
    line->oversized = false;
  }
  line->number = ++line_number_;
  line->begin_offset = begin;
  offset_ += static_cast<int64_t>(consumed);
  line->end_offset = offset_;
  start_ += consumed;
}

absl::StatusOr<bool> LineReader::Next(Line* line) {
  size_t scan = start_;
  bool oversized = false;
  int64_t begin = offset_;
  while (true) {
    const char* nl = static_cast<const char*>(std::memchr(buf_.data() + scan, '\n', end_ - scan));
    if (nl != nullptr) {
      const size_t nl_pos = static_cast<size_t>(nl - buf_.data());
      Emit(begin, nl_pos - start_, /*consumed=*/nl_pos - start_ + 1, oversized, line);
      return true;
    }
    // No newline yet. An over-long line is dropped as we go so the buffer
    // stays bounded; we only remember that it was too long.
    if (static_cast<int64_t>(end_ - start_) > max_line_bytes_) {
      oversized = true;
      offset_ += static_cast<int64_t>(end_ - start_);
      start_ = end_ = 0;
    }
    scan = end_;
    size_t before = start_;
    absl::StatusOr<bool> more = Fill();
    if (!more.ok()) return more.status();
    scan -= before;  // Fill() moved the data to the front
    if (!*more) {
      if (start_ == end_ && !oversized) return false;
      // Last line without a newline.
      Emit(begin, end_ - start_, /*consumed=*/end_ - start_, oversized, line);
      return true;
    }
  }
}

absl::StatusOr<InputFormat> InputFormatFromName(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  if (absl::EndsWith(lower, ".csv") || lower == "csv") return InputFormat::kCsv;
  if (absl::EndsWith(lower, ".jsonl") || absl::EndsWith(lower, ".ndjson") ||
      absl::EndsWith(lower, ".json") || lower == "jsonl") {
    return InputFormat::kJsonl;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cannot tell the input format of '", name,
                   "' (use a .csv or .jsonl name, or --in_format=csv|jsonl)"));
}

// ---------------------------------------------------------------------------
// CSV

namespace {

using batch_internal::Column;
using batch_internal::Columns;
using batch_internal::CsvRow;
using batch_internal::MergeShipmentFields;
using batch_internal::Target;

class CsvUnitReader : public UnitReader {
 public:
  explicit CsvUnitReader(std::unique_ptr<LineReader> lines) : lines_(std::move(lines)) {}

  absl::Status Resume(int64_t offset, int64_t line_number) override {
    quiet_header_ = true;
    absl::StatusOr<bool> header = ReadHeader();
    if (!header.ok()) return header.status();
    if (offset > 0) return lines_->Seek(offset, line_number);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Next(InputUnit* unit) override {
    if (!header_read_) {
      absl::StatusOr<bool> has_header = ReadHeader();
      if (!has_header.ok()) return has_header.status();
      if (!header_error_.ok()) {
        unit->first_line = unit->last_line = header_line_;
        unit->end_offset = header_end_offset_;
        unit->shipment_id.clear();
        unit->error = std::move(header_error_);
        header_error_ = absl::OkStatus();
        unit->request.Clear();
        return true;
      }
      if (!*has_header) return false;
    }
    while (true) {
      if (!ready_.empty()) {
        *unit = std::move(ready_.front());
        ready_.erase(ready_.begin());
        return true;
      }
      if (at_eof_) {
        if (open_) {
          CloseOpen();
          continue;
        }
        // Malformed rows left over after the last shipment stand alone.
        if (!pending_bad_.empty()) {
          FlushPendingBad();
          continue;
        }
        return false;
      }
      LineReader::Line line;
      absl::StatusOr<bool> more = lines_->Next(&line);
      if (!more.ok()) return more.status();
      if (!*more) {
        at_eof_ = true;
        continue;
      }
      HandleLine(line);
    }
  }

 private:
  // Reads the header; false if the input is empty. Unknown columns are
  // recorded in header_error_ (reported once, as line 1).
  absl::StatusOr<bool> ReadHeader() {
    header_read_ = true;
    LineReader::Line line;
    while (true) {
      absl::StatusOr<bool> more = lines_->Next(&line);
      if (!more.ok()) return more.status();
      if (!*more) return false;
      if (!line.oversized && absl::StripAsciiWhitespace(line.text).empty()) {
        continue;
      }
      break;
    }
    header_line_ = line.number;
    header_end_offset_ = line.end_offset;
    if (line.oversized) {
      header_error_ = absl::InvalidArgumentError("header line longer than 1 MiB");
      return true;
    }
    absl::string_view text = line.text;
    if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // BOM
    std::vector<std::string> names;
    absl::Status split = SplitCsvLine(text, &names);
    if (!split.ok()) {
      header_error_ =
          absl::InvalidArgumentError(absl::StrCat("malformed header: ", split.message()));
      return true;
    }
    absl::flat_hash_map<std::string, int> by_name;
    for (size_t i = 0; i < Columns().size(); ++i) {
      by_name[Columns()[i].name] = static_cast<int>(i);
    }
    column_of_field_.clear();
    std::vector<std::string> unknown;
    absl::flat_hash_set<std::string> seen;
    for (const auto& raw : names) {
      std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
      auto it = by_name.find(name);
      if (it == by_name.end() || !seen.insert(name).second) {
        unknown.push_back(raw);
        column_of_field_.push_back(-1);
      } else {
        column_of_field_.push_back(it->second);
        if (name == "shipment_id") shipment_id_field_ = column_of_field_.size() - 1;
      }
    }
    if (!unknown.empty() && !quiet_header_) {
      header_error_ = absl::InvalidArgumentError(
          absl::StrCat("unknown or repeated column(s) ignored: ", absl::StrJoin(unknown, ", ")));
    }
    return true;
  }

  void HandleLine(const LineReader::Line& line) {
    if (!line.oversized && absl::StripAsciiWhitespace(line.text).empty()) return;
    if (line.oversized) {
      AddBad(line, absl::InvalidArgumentError("line longer than 1 MiB"));
      return;
    }
    absl::Status split = SplitCsvLine(line.text, &fields_);
    if (!split.ok()) {
      AddBad(line,
             absl::InvalidArgumentError(absl::StrCat("malformed CSV row: ", split.message())));
      return;
    }
    if (fields_.size() != column_of_field_.size()) {
      AddBad(line, absl::InvalidArgumentError(absl::StrCat("malformed CSV row: ", fields_.size(),
                                                           " fields, the header has ",
                                                           column_of_field_.size())));
      return;
    }
    CsvRow row;
    absl::Status row_error;
    for (size_t i = 0; i < fields_.size(); ++i) {
      int col = column_of_field_[i];
      if (col < 0) continue;
      absl::string_view v = absl::StripAsciiWhitespace(fields_[i]);
      if (v.empty()) continue;
      const Column& c = Columns()[col];
      if (c.target == Target::kParty) row.has_party = true;
      if (c.target == Target::kItem) row.has_item = true;
      absl::Status s = c.set(v, &row);
      if (!s.ok() && row_error.ok()) {
        row_error = absl::InvalidArgumentError(absl::StrCat("column ", c.name, ": ", s.message()));
      }
    }
    // Which shipment is this row part of?
    const bool continues =
        open_ && !row.shipment_id.empty() && row.shipment_id == open_unit_.shipment_id;
    if (!continues) {
      if (open_) CloseOpen();
      FlushPendingBad();
      open_ = true;
      open_unit_ = InputUnit();
      open_unit_.first_line = line.number;
      open_unit_.shipment_id = row.shipment_id;
      open_rows_ = 0;
      party_keys_.clear();
    } else if (!pending_bad_.empty()) {
      // A malformed row sat inside this shipment: fail the shipment.
      const InputUnit& bad = pending_bad_.front();
      Fail(absl::InvalidArgumentError(
          absl::StrCat("line ", bad.first_line, " of the shipment is bad: ", bad.error.message())));
      pending_bad_.clear();
    }
    open_unit_.last_line = line.number;
    open_unit_.end_offset = line.end_offset;
    ++open_rows_;
    if (!row_error.ok()) {
      Fail(absl::InvalidArgumentError(
          absl::StrCat("line ", line.number, ": ", row_error.message())));
    }
    if (!open_unit_.error.ok()) return;  // keep consuming the shipment's rows
    if (open_rows_ > kMaxRowsPerShipment) {
      Fail(absl::InvalidArgumentError(
          absl::StrCat("shipment has more than ", kMaxRowsPerShipment, " rows")));
      return;
    }
    absl::Status merged = MergeShipmentFields(row.shipment, &open_unit_.request);
    if (!merged.ok()) {
      Fail(absl::InvalidArgumentError(absl::StrCat("line ", line.number, ": ", merged.message())));
      return;
    }
    if (row.has_party) {
      // The same consignee is typically repeated on every row.
      if (party_keys_.insert(row.party.SerializeAsString()).second) {
        *open_unit_.request.add_parties() = std::move(row.party);
      }
    }
    if (row.has_item) *open_unit_.request.add_items() = std::move(row.item);
  }

  void Fail(absl::Status error) {
    if (open_unit_.error.ok()) open_unit_.error = std::move(error);
    open_unit_.request.Clear();
    party_keys_.clear();
  }

  void AddBad(const LineReader::Line& line, absl::Status error) {
    InputUnit bad;
    bad.first_line = bad.last_line = line.number;
    bad.end_offset = line.end_offset;
    bad.error = std::move(error);
    if (open_) {
      // Decided by the next good row: inside the shipment or after it.
      pending_bad_.push_back(std::move(bad));
      if (pending_bad_.size() > kMaxPendingBad) {
        CloseOpen();
        FlushPendingBad();
      }
    } else {
      ready_.push_back(std::move(bad));
    }
  }

  void CloseOpen() {
    if (!open_) return;
    open_ = false;
    if (!open_unit_.error.ok()) open_unit_.request.Clear();
    ready_.push_back(std::move(open_unit_));
    open_unit_ = InputUnit();
    party_keys_.clear();
  }

  void FlushPendingBad() {
    for (auto& b : pending_bad_) ready_.push_back(std::move(b));
    pending_bad_.clear();
  }

  static constexpr int kMaxRowsPerShipment = 10000;
  static constexpr size_t kMaxPendingBad = 1000;

  std::unique_ptr<LineReader> lines_;
  bool header_read_ = false;
  bool quiet_header_ = false;
  int64_t header_line_ = 0;
  int64_t header_end_offset_ = 0;
  absl::Status header_error_;
  std::vector<int> column_of_field_;
  size_t shipment_id_field_ = 0;
  std::vector<std::string> fields_;

  bool at_eof_ = false;
  bool open_ = false;
  InputUnit open_unit_;
  int open_rows_ = 0;
  absl::flat_hash_set<std::string> party_keys_;
  std::vector<InputUnit> pending_bad_;
  std::vector<InputUnit> ready_;
};

// ---------------------------------------------------------------------------
// JSONL

class JsonlUnitReader : public UnitReader {
 public:
  explicit JsonlUnitReader(std::unique_ptr<LineReader> lines) : lines_(std::move(lines)) {}

  absl::Status Resume(int64_t offset, int64_t line_number) override {
    if (offset > 0) return lines_->Seek(offset, line_number);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Next(InputUnit* unit) override {
    LineReader::Line line;
    while (true) {
      absl::StatusOr<bool> more = lines_->Next(&line);
      if (!more.ok()) return more.status();
      if (!*more) return false;
      if (line.oversized || !absl::StripAsciiWhitespace(line.text).empty()) break;
    }
    unit->first_line = unit->last_line = line.number;
    unit->end_offset = line.end_offset;
    unit->error = absl::OkStatus();
    unit->request.Clear();
    unit->shipment_id.clear();
    if (line.oversized) {
      unit->error = absl::InvalidArgumentError("line longer than 1 MiB");
      return true;
    }
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(line.text.data(), line.text.size()), &unit->request, options);
    if (!status.ok()) {
      unit->request.Clear();
      unit->error = absl::InvalidArgumentError(
          absl::StrCat("not a v1.ScreenRequest JSON line: ", status.message().as_string()));
      return true;
    }
    unit->shipment_id = unit->request.request_id();
    return true;
  }

 private:
  std::unique_ptr<LineReader> lines_;
};

}  // namespace

std::unique_ptr<UnitReader> NewUnitReader(InputFormat format, std::unique_ptr<LineReader> lines) {
  if (format == InputFormat::kCsv) {
    return std::make_unique<CsvUnitReader>(std::move(lines));
  }
  return std::make_unique<JsonlUnitReader>(std::move(lines));
}

}  // namespace exportscreen::cli
