#include "services/common/csv_reader.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace exportscreen {

bool CsvReader::Next(CsvRecord* record) {
  record->fields.clear();
  record->truncated = false;
  record->blank = false;
  record->first_stray_field = 0;
  if (pos_ >= data_.size()) return false;
  record->line = line_;
  const int64_t start_line = line_;
  const size_t start_pos = pos_;

  std::string field;
  bool in_quotes = false;
  bool field_quoted = false;  // the current field began with a quote
  bool after_quote = false;   // the current field's closing quote was read
  const size_t n = data_.size();
  while (pos_ < n) {
    const char c = data_[pos_];
    if (in_quotes) {
      if (c == '"') {
        if (pos_ + 1 < n && data_[pos_ + 1] == '"') {
          field.push_back('"');
          pos_ += 2;
          continue;
        }
        in_quotes = false;
        after_quote = true;
        ++pos_;
        continue;
      }
      if (c == '\n') ++line_;
      // Copy a run of ordinary characters at once.
      size_t end = pos_ + 1;
      while (end < n && data_[end] != '"' && data_[end] != '\n') ++end;
      field.append(data_.data() + pos_, end - pos_);
      // CRLF inside a quoted field becomes LF.
      if (end < n && data_[end] == '\n' && !field.empty() && field.back() == '\r') {
        field.pop_back();
      }
      pos_ = end;
      continue;
    }
    if (c == separator_) {
      record->fields.push_back(std::move(field));
      field.clear();
      field_quoted = false;
      after_quote = false;
      ++pos_;
      continue;
    }
    if (c == '\n' || c == '\r') {
      // End of record: "\n", "\r\n" or a lone "\r".
      if (c == '\r' && pos_ + 1 < n && data_[pos_ + 1] == '\n') ++pos_;
      ++pos_;
      ++line_;
      record->blank = (record->fields.empty() && field.empty() && !field_quoted);
      record->fields.push_back(std::move(field));
      record->line_count = line_ - start_line;
      return true;
    }
    if (c == '"' && field.empty() && !field_quoted) {
      in_quotes = true;
      field_quoted = true;
      ++pos_;
      continue;
    }
    if (after_quote && record->first_stray_field == 0) {
      record->first_stray_field = static_cast<int>(record->fields.size()) + 1;
    }
    // A run of ordinary characters (a quote here is literal).
    size_t end = pos_ + 1;
    while (end < n && data_[end] != separator_ && data_[end] != '\n' && data_[end] != '\r') ++end;
    field.append(data_.data() + pos_, end - pos_);
    pos_ = end;
  }
  // End of input without a line end.
  record->truncated = in_quotes;
  record->blank = (pos_ == start_pos);
  record->fields.push_back(std::move(field));
  record->line_count = line_ - start_line + 1;
  return true;
}

absl::Status SplitCsvLine(absl::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  CsvReader reader(line, ',');
  CsvRecord record;
  if (!reader.Next(&record)) {  // an empty line: one empty field
    fields->emplace_back();
    return absl::OkStatus();
  }
  if (record.truncated) {
    return absl::InvalidArgumentError(
        absl::StrCat("unterminated quoted field ", record.fields.size()));
  }
  if (record.first_stray_field != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("text after the closing quote of field ", record.first_stray_field));
  }
  if (reader.position() < line.size() || line.back() == '\n' || line.back() == '\r') {
    return absl::InvalidArgumentError(absl::StrCat("line break outside quotes after field ",
                                                   record.fields.size(), " (quote the field)"));
  }
  *fields = std::move(record.fields);
  return absl::OkStatus();
}

}  // namespace exportscreen
