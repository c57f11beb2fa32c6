// rules/org_units.tsv (the organisation-unit words of the matcher's
// containment rule, issue 14 class 0), one test per entry, and the rule
// itself: a weak listed organisation name (a given name, a short or a
// common word) inside a longer query is REVIEW, never BLOCK, when every
// extra word is a unit, a place, a legal form, a number or a connector;
// not when any extra word is something else.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/matching/name_index.h"
#include "tests/matching/match_test_util.h"
#include "tests/testing/rule_table.h"

namespace exportscreen::matching {
namespace {

struct Entry {
  std::string word;
  std::string word_class;
  std::string evidence;
};

std::vector<Entry> ReadTable() {
  std::vector<Entry> out;
  for (auto& f : testing::ReadRuleTable(ES_SOURCE_DIR "/rules/org_units.tsv", 3)) {
    out.push_back({std::move(f[0]), std::move(f[1]), std::move(f[2])});
  }
  return out;
}

IndexEntity Org(uint32_t ordinal, std::string name, std::vector<std::string> places = {}) {
  IndexEntity e;
  e.ordinal = ordinal;
  e.primary_name = std::move(name);
  e.type = PartyType::kOrganization;
  e.places = std::move(places);
  return e;
}

// A small index: weak organisation names (a given name, two letters,
// common words only), persons that make "lena" and "pereira" person
// words, and addresses that teach the places.
const NameIndex& Index() {
  static const NameIndex* index = [] {
    std::vector<IndexEntity> es;
    es.push_back(Org(1, "LENA"));
    es.push_back(Org(2, "GE"));
    es.push_back(Org(3, "CHEMICAL GROUP"));
    es.push_back(Org(4, "Aviation Industry Corporation of China, Ltd."));
    es.push_back(Org(5, "Zorvex Kalimar Trading", {"Yerevan", "Guangzhou, Guangdong"}));
    es.push_back(Org(6, "Novo Tel", {"Kuala Lumpur", "Pereira"}));
    es.push_back(testing::ListedPerson(7, "LENA PETROVA"));
    es.push_back(testing::ListedPerson(8, "PEREIRA, Antonio"));
    for (uint32_t i = 0; i < 40; ++i) {
      // Filler so that common words are common.
      es.push_back(Org(100 + i, absl::StrCat("Chemical Aviation China Industry Group ",
                                             std::string(1, char('a' + i % 26)), i / 26, "x")));
    }
    auto built = NameIndex::Build(std::move(es));
    if (!built.ok()) std::abort();
    return built->release();
  }();
  return *index;
}

const NameHit* HitFor(const std::string& query, uint32_t ordinal, std::vector<NameHit>* keep) {
  PartyQuery q;
  q.name = query;
  MatchOptions o;
  o.min_score = 0.8;
  auto hits = Index().Match(q, o);
  if (!hits.ok()) return nullptr;
  *keep = std::move(*hits);
  for (const NameHit& h : *keep) {
    if (h.ordinal == ordinal) return &h;
  }
  return nullptr;
}

void ExpectReview(const std::string& query, uint32_t ordinal) {
  std::vector<NameHit> keep;
  const NameHit* h = HitFor(query, ordinal, &keep);
  ASSERT_NE(h, nullptr) << query;
  EXPECT_GE(h->score, 0.8) << query;
  EXPECT_TRUE(h->review_only) << query << ": a weak name must never BLOCK";
  EXPECT_TRUE(h->contained) << query;
  EXPECT_THAT(h->corroboration, ::testing::Contains(::testing::HasSubstr("units or places")))
      << query;
}

void ExpectNoHit(const std::string& query, uint32_t ordinal) {
  std::vector<NameHit> keep;
  EXPECT_EQ(HitFor(query, ordinal, &keep), nullptr) << query;
}

TEST(OrgUnitsTableTest, WellFormed) {
  std::vector<Entry> table = ReadTable();
  ASSERT_GE(table.size(), 30u);
  for (const Entry& e : table) {
    EXPECT_FALSE(e.word.empty());
    EXPECT_TRUE(e.word_class == "head" || e.word_class == "connector") << e.word;
    EXPECT_FALSE(e.evidence.empty()) << e.word << ": no evidence";
    EXPECT_EQ(e.word, absl::AsciiStrToLower(e.word));
    EXPECT_EQ(e.word.find(' '), std::string::npos) << e.word;
  }
}

class OrgUnitEntryTest : public ::testing::TestWithParam<Entry> {};

// A head alone after the weak name makes it REVIEW; a connector joins a
// place to it; the same query with an unknown word instead is no hit.
TEST_P(OrgUnitEntryTest, QualifiesAWeakName) {
  const Entry& e = GetParam();
  if (e.word_class == "head") {
    ExpectReview(absl::StrCat("LENA ", e.word), 1);
    ExpectReview(absl::StrCat("Yerevan ", absl::AsciiStrToUpper(e.word), " of GE"), 2);
  } else {
    ExpectReview(absl::StrCat("LENA ", e.word, " Yerevan"), 1);
  }
  ExpectNoHit(absl::StrCat("LENA ", e.word, " Quorbel"), 1);
}

INSTANTIATE_TEST_SUITE_P(Table, OrgUnitEntryTest, ::testing::ValuesIn(ReadTable()),
                         [](const ::testing::TestParamInfo<Entry>& info) {
                           return info.param.word;
                         });

TEST(WeakContainmentTest, UnitsPlacesAndLegalFormsQualify) {
  ExpectReview("LENA (Yerevan)", 1);                // a listed city
  ExpectReview("GE Hong Kong Regional Office", 2);  // a country name
  ExpectReview("Guangzhou CHEMICAL GROUP Liaison Office", 3);
  ExpectReview("Guangdong Chemical Group Plant No. 2", 3);  // region, number
  ExpectReview("Kuala Lumpur Trading Branch of LENA", 1);   // two-word city
  ExpectReview("Yerevan AO GE R and D Center", 2);          // legal form mid-name
}

TEST(WeakContainmentTest, OtherExtraWordsDoNotQualify) {
  ExpectNoHit("Lena Smith", 1);    // another name, not a place
  ExpectNoHit("Lena Pereira", 1);  // a city that is also a surname
  ExpectNoHit("Chemical Group Quorbel Electronics Ltd", 3);
  ExpectNoHit("GE Quorbel", 2);
  // Three words before a unit head are not its modifiers.
  ExpectNoHit("LENA Quorbel Export Sales Office", 1);
}

// A name of common words inside a query of rare words is a candidate
// (containment keys), not pruned by the diluted estimate.
TEST(WeakContainmentTest, CommonWordNameAmongRareWordsIsFound) {
  std::vector<NameHit> keep;
  const NameHit* h =
      HitFor("AVIATION INDUSTRY CORPORATION OF CHINA, LTD. (Kuala Lumpur)", 4, &keep);
  ASSERT_NE(h, nullptr);
  EXPECT_GE(h->score, 0.8);
  EXPECT_TRUE(h->contained);
}

}  // namespace
}  // namespace exportscreen::matching
