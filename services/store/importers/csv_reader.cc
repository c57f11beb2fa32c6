#include "services/store/importers/csv_reader.h"

namespace exportscreen::store::importers {

bool CsvReader::Next(CsvRecord* record) {
  record->fields.clear();
  record->truncated = false;
  record->blank = false;
  if (pos_ >= data_.size()) return false;
  record->line = line_;
  const int64_t start_line = line_;
  const size_t start_pos = pos_;

  std::string field;
  bool in_quotes = false;
  bool field_quoted = false;  // the current field began with a quote
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
    field.push_back(c);
    ++pos_;
  }
  // End of input without a line end.
  record->truncated = in_quotes;
  record->blank = (pos_ == start_pos);
  record->fields.push_back(std::move(field));
  record->line_count = line_ - start_line + 1;
  return true;
}

}  // namespace exportscreen::store::importers
