// Reads one of the tab-separated tables under rules/ (abbreviations.tsv,
// org_units.tsv, ...) the way a test checks it entry by entry: '#' lines
// and blank lines skipped, each other line split on tabs and padded to
// `columns` fields (a missing field is ""), so a test can assert on it
// rather than crash. A table that cannot be opened gives no rows (the
// tests assert a minimum size).
#ifndef EXPORTSCREEN_TESTS_TESTING_RULE_TABLE_H_
#define EXPORTSCREEN_TESTS_TESTING_RULE_TABLE_H_

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace exportscreen::testing {

inline std::vector<std::vector<std::string>> ReadRuleTable(const std::string& path,
                                                           size_t columns) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(l, '\t');
    fields.resize(std::max(fields.size(), columns));
    rows.push_back(std::move(fields));
  }
  return rows;
}

}  // namespace exportscreen::testing

#endif  // EXPORTSCREEN_TESTS_TESTING_RULE_TABLE_H_
