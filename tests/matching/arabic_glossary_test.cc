// rules/arabic_glossary.tsv (issue 14, class 6: organisation names written
// in Arabic are translations of the listed English name): every entry is
// found as written, with the article and with a prefix; letters are folded
// (hamza seats, teh marbuta, Persian letters); a name is tried translated
// only when a content word is in the glossary; hits found only through the
// translation are REVIEW and never replace what the name as written found.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/matching/arabic_glossary.h"
#include "services/matching/name_index.h"
#include "tests/matching/match_test_util.h"
#include "tests/testing/rule_table.h"

namespace exportscreen::matching {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

struct Entry {
  std::string word;
  std::vector<std::string> english;
  std::string note;
};

std::vector<Entry> ReadTable() {
  std::vector<Entry> out;
  for (auto& f : testing::ReadRuleTable(ES_SOURCE_DIR "/rules/arabic_glossary.tsv", 3)) {
    out.push_back({f[0], absl::StrSplit(f[1], '|'), f[2]});
  }
  return out;
}

TEST(ArabicGlossaryTableTest, WellFormed) {
  const std::vector<Entry> table = ReadTable();
  ASSERT_GE(table.size(), 80u);
  for (const Entry& e : table) {
    EXPECT_FALSE(FoldArabicWord(e.word).empty()) << e.word << ": not an Arabic-script word";
    EXPECT_FALSE(e.note.empty()) << e.word << ": no note";
    for (const std::string& en : e.english) {
      EXPECT_FALSE(en.empty()) << e.word;
      for (char c : en) EXPECT_TRUE(c >= 'a' && c <= 'z') << e.word << ": " << en;
    }
    EXPECT_FALSE(absl::StartsWith(FoldArabicWord(e.word), FoldArabicWord("ال")) &&
                 e.word.size() > 6)
        << e.word << ": written with the article";
  }
}

class ArabicGlossaryEntryTest : public ::testing::TestWithParam<Entry> {};

TEST_P(ArabicGlossaryEntryTest, FoundAsWrittenWithArticleAndPrefix) {
  const Entry& e = GetParam();
  EXPECT_EQ(ArabicGlossaryLookup(e.word), e.english) << e.word;
  if (FoldArabicWord(e.word).size() >= 4) {  // two letters or more
    EXPECT_EQ(ArabicGlossaryLookup(absl::StrCat("ال", e.word)), e.english) << e.word;
    EXPECT_EQ(ArabicGlossaryLookup(absl::StrCat("وال", e.word)), e.english) << e.word;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ArabicGlossaryEntryTest, ::testing::ValuesIn(ReadTable()),
                         [](const ::testing::TestParamInfo<Entry>& info) {
                           return absl::StrCat("e", info.index, "_", info.param.english[0]);
                         });

TEST(ArabicGlossaryTest, LettersFolded) {
  // Teh marbuta written as heh, Persian keheh and yeh, hamza on alef,
  // harakat: all one word.
  EXPECT_EQ(FoldArabicWord("شبکه"), FoldArabicWord("شبكة"));
  EXPECT_EQ(FoldArabicWord("القاعده"), FoldArabicWord("القاعدة"));
  EXPECT_EQ(FoldArabicWord("الإسلامية"), FoldArabicWord("الاسلامية"));
  EXPECT_EQ(FoldArabicWord("كُتِيبَة"), FoldArabicWord("كتيبة"));
  EXPECT_EQ(ArabicGlossaryLookup("شبکه"), std::vector<std::string>{"network"});
  EXPECT_EQ(ArabicGlossaryLookup("للصرافة"), std::vector<std::string>{"exchange"});
  // Not Arabic script, or mixed: never translated.
  EXPECT_TRUE(FoldArabicWord("network").empty());
  EXPECT_TRUE(ArabicGlossaryLookup("شبكةx").empty());
  EXPECT_TRUE(ArabicGlossaryLookup("").empty());
}

TEST(ArabicGlossaryTest, VariantsOnlyWithAContentWord) {
  GlossaryVariants v = ArabicGlossaryVariants("الجماعة الاسلامية المسلحة");
  ASSERT_EQ(v.names.size(), 1u);
  EXPECT_EQ(v.names[0], "group islamic armed");
  EXPECT_EQ(v.translated.size(), 3u);
  // Words not in the glossary stay as written.
  v = ArabicGlossaryVariants("شبكة محمد جمال");
  ASSERT_EQ(v.names.size(), 1u);
  EXPECT_EQ(v.names[0], "network محمد جمال");
  // A person's name, alone or with only function words: nothing to try.
  EXPECT_TRUE(ArabicGlossaryVariants("محمد علي").names.empty());
  EXPECT_TRUE(ArabicGlossaryVariants("محمد و علي").names.empty());
  EXPECT_TRUE(ArabicGlossaryVariants("محمد و علي").translated.empty());
  EXPECT_TRUE(ArabicGlossaryVariants("ARMED ISLAMIC GROUP").names.empty());
  // Variant i takes every word's i-th translation: each is tried.
  v = ArabicGlossaryVariants("الجماعة المقاتلة كتيبة هيئة جمعية");
  ASSERT_EQ(v.names.size(), 2u);
  EXPECT_EQ(v.names[0], "group fighting battalion commission society");
  EXPECT_EQ(v.names[1], "group combatant brigade authority association");
  v = ArabicGlossaryVariants("الجماعة التونسية المقاتلة");
  EXPECT_THAT(v.names, Contains("group tunisian combatant"));
}

IndexEntity Org(uint32_t ordinal, std::string name, std::vector<std::string> aliases = {}) {
  IndexEntity e;
  e.ordinal = ordinal;
  e.primary_name = std::move(name);
  e.type = PartyType::kOrganization;
  for (auto& a : aliases) e.aliases.emplace_back(std::move(a), NameKind::kStrongAlias);
  return e;
}

std::unique_ptr<const NameIndex> Build(std::vector<IndexEntity> es) {
  for (const char* filler : {"ISLAMIC RELIEF AGENCY", "ARMED FORCES TRADING", "GROUP ONE LIMITED",
                             "NATIONAL OIL COMPANY", "PEOPLE'S BANK OF CHINA"}) {
    es.push_back(Org(static_cast<uint32_t>(1000 + es.size()), filler));
  }
  auto built = NameIndex::Build(std::move(es));
  EXPECT_TRUE(built.ok());
  return built.ok() ? std::move(*built) : nullptr;
}

std::vector<NameHit> Match(const NameIndex& index, const std::string& name) {
  return testing::MatchAtReview(index, name);
}

TEST(ArabicGlossaryIndexTest, TranslatedNameFoundAsReview) {
  auto index =
      Build({Org(1, "ARMED ISLAMIC GROUP"), Org(2, "ISLAMIC STATE IN IRAQ AND THE LEVANT")});
  ASSERT_NE(index, nullptr);
  std::vector<NameHit> hits = Match(*index, "الجماعة الإسلامية المسلحة");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].ordinal, 1u);
  EXPECT_TRUE(hits[0].review_only);
  EXPECT_FALSE(hits[0].exact);
  EXPECT_THAT(hits[0].corroboration, Contains(HasSubstr("Arabic words translated")));
  EXPECT_THAT(hits[0].corroboration, Contains(HasSubstr("المسلحة -> armed")));
  hits = Match(*index, "الدولة الإسلامية في العراق والشام");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].ordinal, 2u);
  EXPECT_TRUE(hits[0].review_only);
  // Without the glossary word there is nothing to find.
  EXPECT_TRUE(Match(*index, "محمد علي").empty());
}

TEST(ArabicGlossaryIndexTest, NeverReplacesWhatTheNameAsWrittenFound) {
  // The list carries the Arabic name itself: that exact hit stays exact
  // and is not made REVIEW by the translated try finding the same entity.
  auto index = Build({Org(1, "ARMED ISLAMIC GROUP", {"الجماعة الإسلامية المسلحة"})});
  ASSERT_NE(index, nullptr);
  std::vector<NameHit> hits = Match(*index, "الجماعة الإسلامية المسلحة");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].ordinal, 1u);
  EXPECT_TRUE(hits[0].exact);
  EXPECT_FALSE(hits[0].review_only);
  for (const std::string& c : hits[0].corroboration) {
    EXPECT_THAT(c, ::testing::Not(HasSubstr("translated")));
  }
}

TEST(ArabicGlossaryIndexTest, TranslatedHitNeverEvictsAHitOfTheNameAsWritten) {
  // Entity 2 carries an Arabic-script alias of the query's words and one
  // more (a hit of the name as written, not exact, not review-only);
  // entity 1 is found only through the translation, with a higher score.
  // With one hit allowed, entity 2 stays.
  auto index = Build({Org(1, "ARMED ISLAMIC GROUP"),
                      Org(2, "JAMAAT MUSALLAHA", {"الجماعة الاسلامية المسلحة الجزائرية"})});
  ASSERT_NE(index, nullptr);
  const std::string name = "الجماعة الاسلامية المسلحة";
  bool two = false, one = false;
  for (const NameHit& h : Match(*index, name)) {
    if (h.ordinal == 2) {
      two = true;
      EXPECT_FALSE(h.review_only) << "precondition: a hit that may block; "
                                  << absl::StrJoin(h.corroboration, "; ");
    }
    one |= h.ordinal == 1;
  }
  ASSERT_TRUE(two);
  ASSERT_TRUE(one);
  const std::vector<NameHit> capped = testing::MatchAtReview(*index, name, /*max_hits=*/1);
  ASSERT_EQ(capped.size(), 1u);
  EXPECT_EQ(capped[0].ordinal, 2u);
  EXPECT_FALSE(capped[0].review_only);
}

}  // namespace
}  // namespace exportscreen::matching
