// Every entry of rules/abbreviations.tsv (the data compiled into the
// normaliser) is checked here, one test per entry: the abbreviation
// normalises to its expansion, with the step recorded, both alone and
// inside a name, written with a trailing dot and in upper case.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/matching/normalizer.h"
#include "tests/testing/rule_table.h"

namespace exportscreen::matching {
namespace {

struct Entry {
  std::string abbreviation;
  std::string expansion;
  std::string evidence;
};

std::vector<Entry> ReadTable() {
  std::vector<Entry> out;
  for (auto& f : testing::ReadRuleTable(ES_SOURCE_DIR "/rules/abbreviations.tsv", 3)) {
    out.push_back({std::move(f[0]), std::move(f[1]), std::move(f[2])});
  }
  return out;
}

std::string Tokens(const std::string& name) {
  NormalizedName n;
  NormalizeName(name, false, &n);
  return n.Joined();
}

TEST(AbbreviationsTableTest, WellFormedAndNonEmpty) {
  std::vector<Entry> table = ReadTable();
  ASSERT_GE(table.size(), 40u);
  for (const Entry& e : table) {
    EXPECT_FALSE(e.abbreviation.empty());
    EXPECT_FALSE(e.expansion.empty()) << e.abbreviation;
    EXPECT_FALSE(e.evidence.empty()) << e.abbreviation << ": no evidence";
    EXPECT_EQ(e.abbreviation, absl::AsciiStrToLower(e.abbreviation));
    EXPECT_EQ(e.abbreviation.find(' '), std::string::npos);
    EXPECT_NE(e.abbreviation, e.expansion);
  }
}

class AbbreviationEntryTest : public ::testing::TestWithParam<Entry> {};

TEST_P(AbbreviationEntryTest, ExpandsInNames) {
  const Entry& e = GetParam();
  NormalizedName n;
  NormalizeName(absl::StrCat("Zorvex ", e.abbreviation, " Kalimar"), true, &n);
  ASSERT_EQ(n.tokens.size(), 3u) << n.Joined();
  EXPECT_EQ(n.tokens[1].text, e.expansion);
  EXPECT_EQ(n.tokens[1].unexpanded, e.abbreviation);
  EXPECT_THAT(n.steps,
              ::testing::Contains(absl::StrCat("abbrev:", e.abbreviation, "->", e.expansion)));
  // Written with a dot and in upper case, as in the lists.
  EXPECT_EQ(Tokens(absl::StrCat("ZORVEX ", absl::AsciiStrToUpper(e.abbreviation), ". KALIMAR")),
            absl::StrCat("zorvex ", e.expansion, " kalimar"));
  // The expansion itself is stable (a fixed point).
  EXPECT_EQ(Tokens(absl::StrCat("Zorvex ", e.expansion, " Kalimar")),
            absl::StrCat("zorvex ", e.expansion, " kalimar"));
}

std::string EntryName(const ::testing::TestParamInfo<Entry>& info) {
  std::string name;
  for (char c : info.param.abbreviation) {
    name.push_back(absl::ascii_isalnum(static_cast<unsigned char>(c)) ? c : '_');
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Table, AbbreviationEntryTest, ::testing::ValuesIn(ReadTable()), EntryName);

}  // namespace
}  // namespace exportscreen::matching
