// Issue 14, class 6 (cross-script names, Cyrillic): every entry of
// rules/cyrillic_readings.tsv (compiled into the normaliser) is checked
// here with the example it gives: the Cyrillic query finds the listed Latin
// name only through the reading, in lower, upper and title case, and that
// hit is REVIEW only with the reading named; the name as BGN reads it (and
// a Cyrillic name without the letter) finds nothing. A name found as
// written is found as before, not review-only.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/matching/name_index.h"
#include "services/matching/normalizer.h"
#include "tests/matching/match_test_util.h"
#include "tests/testing/rule_table.h"
#include "unicode/locid.h"
#include "unicode/unistr.h"

namespace exportscreen::matching {
namespace {

struct Entry {
  std::string from;
  std::string to;
  std::string query;
  std::string listed;
  std::string evidence;
};

std::vector<Entry> ReadTable() {
  std::vector<Entry> out;
  for (auto& f : testing::ReadRuleTable(ES_SOURCE_DIR "/rules/cyrillic_readings.tsv", 5)) {
    out.push_back(
        {std::move(f[0]), std::move(f[1]), std::move(f[2]), std::move(f[3]), std::move(f[4])});
  }
  return out;
}

std::unique_ptr<const NameIndex> Build(const std::string& listed) {
  std::vector<IndexEntity> es;
  es.push_back(testing::ListedPerson(0, listed));
  const char* kFiller[] = {"IVAN PETROV", "SERGEY IVANOV",  "OLGA SMIRNOVA",    "NIKOLAI KUZNETSOV",
                           "ANNA POPOVA", "DMITRY SOKOLOV", "ALEKSANDR VOLKOV", "ELENA MOROZOVA"};
  uint32_t ord = 1000;
  for (const char* f : kFiller) es.push_back(testing::ListedPerson(ord++, f));
  auto built = NameIndex::Build(std::move(es));
  EXPECT_TRUE(built.ok());
  return built.ok() ? std::move(*built) : nullptr;
}

std::string Upper(const std::string& s) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(s);
  u.toUpper(icu::Locale::getRoot());
  std::string out;
  u.toUTF8String(out);
  return out;
}

TEST(CyrillicReadingsTableTest, WellFormedAndCompiledIn) {
  std::vector<Entry> table = ReadTable();
  ASSERT_GE(table.size(), 4u);
  ASSERT_EQ(CyrillicReadingTable().size(), table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    const Entry& e = table[i];
    EXPECT_FALSE(e.evidence.empty()) << e.from << ": no evidence";
    EXPECT_EQ(CyrillicReadingTable()[i].from, e.from);
    EXPECT_EQ(CyrillicReadingTable()[i].to, e.to);
    // The example uses the letter; lower, upper and title case are known.
    EXPECT_NE(Upper(e.query), e.query);
    EXPECT_GE(CyrillicReadingTable()[i].cased.size(), 2u) << e.from;
  }
}

class CyrillicReadingEntryTest : public ::testing::TestWithParam<Entry> {};

TEST_P(CyrillicReadingEntryTest, FindsTheListedSpellingReviewOnly) {
  const Entry& e = GetParam();
  auto index = Build(e.listed);
  ASSERT_NE(index, nullptr);
  for (const std::string& q : {e.query, Upper(e.query)}) {
    std::shared_ptr<const NameHit> h = testing::FindHit(testing::MatchAtReview(*index, q), 0);
    ASSERT_NE(h, nullptr) << q << " -> " << e.listed;
    EXPECT_TRUE(h->review_only) << q;
    EXPECT_FALSE(h->exact) << q;
    EXPECT_THAT(h->corroboration,
                ::testing::Contains(::testing::HasSubstr(absl::StrCat(e.from, " read as ", e.to))))
        << q;
  }
  // The Latin name as BGN reads the query is not the listed spelling: the
  // hit comes from the reading alone (else the example proves nothing).
  NormalizedName bgn;
  NormalizeName(e.query, false, &bgn);
  NormalizedName listed;
  NormalizeName(e.listed, false, &listed);
  EXPECT_NE(bgn.Joined(), listed.Joined()) << e.query;
  // The listed name as written is found as before: exact, not review-only.
  std::shared_ptr<const NameHit> same =
      testing::FindHit(testing::MatchAtReview(*index, e.listed), 0);
  ASSERT_NE(same, nullptr) << e.listed;
  EXPECT_FALSE(same->review_only) << e.listed;
}

std::string EntryName(const ::testing::TestParamInfo<Entry>& info) {
  return absl::StrCat("entry_", info.index);
}

INSTANTIATE_TEST_SUITE_P(Table, CyrillicReadingEntryTest, ::testing::ValuesIn(ReadTable()),
                         EntryName);

// A Cyrillic name with none of the table's letters gets no extra try and no
// hit on an unrelated listed name.
TEST(CyrillicReadingsTest, NoReadingNoNewHit) {
  auto index = Build("JAMAL NASER");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(testing::FindHit(testing::MatchAtReview(*index, "Ирина Соколова"), 0), nullptr);
  // BGN's own reading of a name that the lists spell the BGN way still
  // matches as written (not review-only).
  auto bgn = Build("DZHABAROV VLADIMIR");
  ASSERT_NE(bgn, nullptr);
  std::shared_ptr<const NameHit> h =
      testing::FindHit(testing::MatchAtReview(*bgn, "Джабаров Владимир"), 0);
  ASSERT_NE(h, nullptr);
  EXPECT_FALSE(h->review_only);
}

}  // namespace
}  // namespace exportscreen::matching
