// Issue 14, class 6 (real cross-script names, Arabic script): every entry
// of rules/arabic_spellings.tsv (the data compiled into the normaliser) is
// checked here, one test per entry, and each remaining miss class has a
// positive and a negative case: short whole-name skeletons, the article
// assimilated in the Latin form, French / Maghrebi spellings, Urdu letters.
// Every hit that rests on these equivalences is REVIEW only, and a name
// found before is still found (fail closed).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/matching/name_index.h"
#include "tests/matching/match_test_util.h"
#include "services/matching/normalizer.h"
#include "tests/testing/rule_table.h"

namespace exportscreen::matching {
namespace {

struct Entry {
  std::string kind;
  std::string from;
  std::string to;
  std::string evidence;
};

std::vector<Entry> ReadTable() {
  std::vector<Entry> out;
  for (auto& f : testing::ReadRuleTable(ES_SOURCE_DIR "/rules/arabic_spellings.tsv", 4)) {
    out.push_back({std::move(f[0]), std::move(f[1]), std::move(f[2]), std::move(f[3])});
  }
  return out;
}

std::string Utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x800) {
    s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
  } else {
    s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
  }
  s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  return s;
}

std::string Tokens(const std::string& name) {
  NormalizedName n;
  NormalizeName(name, false, &n);
  return n.Joined();
}

std::unique_ptr<const NameIndex> Build(const std::vector<std::string>& names) {
  std::vector<IndexEntity> es;
  for (size_t i = 0; i < names.size(); ++i) es.push_back(testing::ListedPerson(i, names[i]));
  // Filler persons sharing the common given names.
  const char* kFiller[] = {"TARIQ HASHIM",       "TARIQ MAHMUD",   "TARIQ SALIM",  "AMIN KHALIL",
                           "SHAMS AL-HAQ",       "FAYCAL HAMDI",   "NUR AHMAD",    "DJAMEL AKKACHA",
                           "ABDUL RAHMAN YASIN", "MOHAMED LAKHAL", "SALIM HAMDAN", "NADIR KAMAL"};
  uint32_t ord = 1000;
  for (const char* f : kFiller) es.push_back(testing::ListedPerson(ord++, f));
  auto built = NameIndex::Build(std::move(es));
  EXPECT_TRUE(built.ok());
  return built.ok() ? std::move(*built) : nullptr;
}

std::vector<NameHit> Match(const NameIndex& index, const std::string& name) {
  return testing::MatchAtReview(index, name);
}

TEST(ArabicSpellingsTableTest, WellFormedAndNonEmpty) {
  std::vector<Entry> table = ReadTable();
  ASSERT_GE(table.size(), 10u);
  for (const Entry& e : table) {
    EXPECT_THAT(e.kind, ::testing::AnyOf("spelling", "variant", "letter", "reading")) << e.from;
    EXPECT_FALSE(e.from.empty());
    EXPECT_FALSE(e.to.empty()) << e.from;
    EXPECT_FALSE(e.evidence.empty()) << e.from << ": no evidence";
  }
  EXPECT_EQ(ArabicSpellingTable().spellings.size() + ArabicSpellingTable().variants.size() +
                ArabicSpellingTable().letters.size() + ArabicSpellingTable().readings.size(),
            table.size());
}

class ArabicSpellingEntryTest : public ::testing::TestWithParam<Entry> {};

TEST_P(ArabicSpellingEntryTest, Applies) {
  const Entry& e = GetParam();
  if (e.kind == "spelling") {
    // Both sides: the Latin spelling and its rewrite have one skeleton.
    for (bool listed : {true, false}) {
      EXPECT_EQ(ArabicSkeleton(absl::StrCat("ba", e.from, "ir"), listed),
                ArabicSkeleton(absl::StrCat("ba", e.to, "ir"), listed))
          << e.from;
    }
  } else if (e.kind == "variant") {
    // "ب?ير نادر" with the letter transliterated as FROM finds the listed
    // name written with TO, REVIEW only; another second name does not.
    const std::string letter = e.from == "q" ? "\u0642" : e.from == "th" ? "\u062b" : "";
    ASSERT_FALSE(letter.empty()) << "no Arabic letter for " << e.from << " in this test";
    auto index = Build({absl::StrCat("BA", absl::AsciiStrToUpper(e.to), "IR NADIR")});
    ASSERT_NE(index, nullptr);
    std::shared_ptr<const NameHit> h = testing::FindHit(
        Match(*index, absl::StrCat("\u0628", letter, "\u064a\u0631 \u0646\u0627\u062f\u0631")), 0);
    ASSERT_NE(h, nullptr) << e.to;
    EXPECT_TRUE(h->review_only);
    EXPECT_EQ(testing::FindHit(Match(*index, absl::StrCat("\u0628", letter,
                                                          "\u064a\u0631 \u0633\u0627\u0644\u0645")),
                               0),
              nullptr);
  } else if (e.kind == "reading") {
    // "?يا بدر" with FROM finds the listed name spelt with TO's Latin
    // letters ("ZIA BADR"), REVIEW only with the reading named: a short
    // name the whole-name skeleton does not reach, and the letter as
    // written has another token skeleton. Another letter finds nothing.
    const uint32_t from = std::stoul(e.from, nullptr, 16), to = std::stoul(e.to, nullptr, 16);
    const std::string latin = to == 0x0632 ? "Z" : to == 0x0630 ? "DH" : to == 0x062B ? "TH" : "";
    ASSERT_FALSE(latin.empty()) << "no Latin spelling of " << e.to << " in this test";
    auto index = Build({absl::StrCat(latin, "IA BADR")});
    ASSERT_NE(index, nullptr);
    const std::string rest = "\u064a\u0627 \u0628\u062f\u0631";
    std::shared_ptr<const NameHit> h =
        testing::FindHit(Match(*index, absl::StrCat(Utf8(from), rest)), 0);
    ASSERT_NE(h, nullptr) << e.from;
    EXPECT_TRUE(h->review_only);
    EXPECT_THAT(h->corroboration, ::testing::Contains(::testing::HasSubstr("read as")));
    EXPECT_EQ(testing::FindHit(Match(*index, absl::StrCat("\u0644", rest)), 0), nullptr);
  } else {
    // The letter reads as the Arabic letter it is mapped to.
    const uint32_t from = std::stoul(e.from, nullptr, 16), to = std::stoul(e.to, nullptr, 16);
    const std::string ba = "\u0628", mim = "\u0645";
    EXPECT_EQ(Tokens(absl::StrCat(ba, Utf8(from), mim)), Tokens(absl::StrCat(ba, Utf8(to), mim)))
        << e.from;
    // A match that rests on it is REVIEW, never BLOCK (the table's rule):
    // the listed name written with the Arabic letter, queried with this one.
    const std::string nadir = " \u0646\u0627\u062f\u0631";
    auto index = Build({absl::StrCat(ba, Utf8(to), mim, nadir)});
    ASSERT_NE(index, nullptr);
    std::shared_ptr<const NameHit> same =
        testing::FindHit(Match(*index, absl::StrCat(ba, Utf8(to), mim, nadir)), 0);
    ASSERT_NE(same, nullptr) << e.from;
    EXPECT_FALSE(same->review_only) << e.from;
    std::shared_ptr<const NameHit> h =
        testing::FindHit(Match(*index, absl::StrCat(ba, Utf8(from), mim, nadir)), 0);
    ASSERT_NE(h, nullptr) << e.from;
    EXPECT_TRUE(h->review_only) << e.from;
  }
}

std::string EntryName(const ::testing::TestParamInfo<Entry>& info) {
  std::string name = absl::StrCat(info.param.kind, "_", info.index);
  return name;
}

INSTANTIATE_TEST_SUITE_P(Table, ArabicSpellingEntryTest, ::testing::ValuesIn(ReadTable()),
                         EntryName);

// Class 1: a whole skeleton of 4-5 consonants, for a query of two words or
// more ("نور الله امين" / NURULLAH AMIN: token boundaries differ).
TEST(ArabicWholeSkeletonTest, ShortSkeletonOfSeveralWords) {
  auto index =
      Build({"NURULLAH AMIN", "TARIQ AZIZ", "JAVIER NENOS REA", "INNODRIVE LLC", "SIMON REVIVO"});
  ASSERT_NE(index, nullptr);
  std::shared_ptr<const NameHit> h =
      testing::FindHit(Match(*index,
                             "\u0646\u0648\u0631 \u0627\u0644\u0644\u0647 "
                             "\u0627\u0645\u064a\u0646"),
                       0);
  ASSERT_NE(h, nullptr);
  EXPECT_TRUE(h->review_only);
  EXPECT_FALSE(h->exact);
  h = testing::FindHit(Match(*index, "\u0637\u0627\u0631\u0642 \u0639\u0632\u064a\u0632"), 1);
  ASSERT_NE(h, nullptr);
  EXPECT_TRUE(h->review_only);
  // Negatives: another second word; one word alone.
  EXPECT_EQ(testing::FindHit(Match(*index,
                                   "\u0646\u0648\u0631 \u0627\u0644\u062f\u064a\u0646 "
                                   "\u0627\u0645\u064a\u0646"),
                             0),
            nullptr);
  EXPECT_EQ(testing::FindHit(Match(*index, "\u0637\u0627\u0631\u0642 \u0639\u0632\u0627\u0645"), 1),
            nullptr);
  EXPECT_EQ(testing::FindHit(Match(*index, "\u0646\u0648\u0631\u0627\u0644\u0644\u0647"), 0),
            nullptr);
  // The same short skeleton across other word boundaries, or a company's:
  // "جعفر الأنصاري" is not JAVIER NENOS REA, "نادر الرفاعي" not INNODRIVE.
  EXPECT_EQ(testing::FindHit(Match(*index,
                                   "\u062c\u0639\u0641\u0631 "
                                   "\u0627\u0644\u0623\u0646\u0635\u0627\u0631\u064a"),
                             2),
            nullptr);
  EXPECT_EQ(testing::FindHit(Match(*index,
                                   "\u0646\u0627\u062f\u0631 "
                                   "\u0627\u0644\u0631\u0641\u0627\u0639\u064a"),
                             3),
            nullptr);
  // f and v are one class in whole skeletons, not in short ones:
  // "ياسمين الرفاعي" is not SIMON REVIVO.
  EXPECT_EQ(testing::FindHit(Match(*index,
                                   "\u064a\u0627\u0633\u0645\u064a\u0646 "
                                   "\u0627\u0644\u0631\u0641\u0627\u0639\u064a"),
                             4),
            nullptr);
}

// Class 2: the article written in the original, assimilated or left out in
// the Latin form.
TEST(ArabicWholeSkeletonTest, ArticleAssimilated) {
  auto index = Build({"SHAMSUDDIN", "ABDUR RAHMAN KHALID", "ZAKARYA ESSABAR"});
  ASSERT_NE(index, nullptr);
  struct Case {
    const char* query;
    uint32_t ordinal;
  };
  for (const Case& c :
       {Case{"\u0634\u0645\u0633 \u0627\u0644\u062f\u064a\u0646", 0},
        Case{"\u0639\u0628\u062f \u0627\u0644\u0631\u062d\u0645\u0646 "
             "\u062e\u0627\u0644\u062f",
             1},
        Case{"\u0632\u0643\u0631\u064a\u0627 \u0627\u0644\u0635\u0628\u0627\u0631", 2}}) {
    std::shared_ptr<const NameHit> h = testing::FindHit(Match(*index, c.query), c.ordinal);
    ASSERT_NE(h, nullptr) << c.query;
    EXPECT_TRUE(h->review_only) << c.query;
  }
  // Negatives: another second word.
  EXPECT_EQ(testing::FindHit(Match(*index, "\u0634\u0645\u0633 \u0627\u0644\u062d\u0642"), 0),
            nullptr);
  EXPECT_EQ(testing::FindHit(Match(*index,
                                   "\u0639\u0628\u062f \u0627\u0644\u0631\u062d\u0645\u0646 "
                                   "\u062e\u0644\u064a\u0644"),
                             1),
            nullptr);
}

// Class 3: French / Maghrebi spellings ("c" before e/i and "ch" for sin
// and shin, "g" for qaf). FAYCAL (a cedilla lost in the lists) is not
// reached: "ca" is not rewritten, as in "EL TUNCO".
TEST(ArabicWholeSkeletonTest, FrenchSpellings) {
  auto index = Build(
      {"FAYCAL BOUGHANEMI", "ISAM ALI MOHAMED ALOUCHE", "DJAMEL LOUNICI", "MOHAMED BEN BELGACEM"});
  ASSERT_NE(index, nullptr);
  struct Case {
    const char* query;
    uint32_t ordinal;
  };
  for (const Case& c :
       {Case{"\u0645\u062d\u0645\u062f \u0628\u0646 \u0628\u0644\u0642\u0627\u0633\u0645", 3},
        Case{"\u0639\u0635\u0627\u0645 \u0639\u0644\u064a \u0645\u062d\u0645\u062f "
             "\u0639\u0644\u0648\u0634",
             1},
        Case{"\u062c\u0645\u0627\u0644 \u0644\u0648\u0646\u064a\u0633\u064a", 2}}) {
    std::shared_ptr<const NameHit> h = testing::FindHit(Match(*index, c.query), c.ordinal);
    ASSERT_NE(h, nullptr) << c.query;
    EXPECT_TRUE(h->review_only) << c.query;
  }
  EXPECT_EQ(
      testing::FindHit(Match(*index, "\u0641\u064a\u0635\u0644 \u0628\u0648\u0632\u064a\u062f"), 0),
      nullptr);
  // Fail closed: the Latin names themselves are still exact, not review-only.
  std::shared_ptr<const NameHit> h = testing::FindHit(Match(*index, "FAYCAL BOUGHANEMI"), 0);
  ASSERT_NE(h, nullptr);
  EXPECT_TRUE(h->exact);
  EXPECT_FALSE(h->review_only);
}

// Urdu letters that Any-Latin leaves untransliterated.
TEST(ArabicWholeSkeletonTest, UrduLetters) {
  auto index = Build({"SANAULLAH GHAFARI"});
  ASSERT_NE(index, nullptr);
  std::shared_ptr<const NameHit> h = testing::FindHit(
      Match(*index,
            "\u062b\u0646\u0627\u0621 \u0627\u0644\u0644\u06c1 \u063a\u0641\u0627\u0631\u06cc"),
      0);
  ASSERT_NE(h, nullptr);
  EXPECT_TRUE(h->review_only);
}

// Remaining miss classes of the real original-script pairs (session of
// 2026-12-01): a final h the Latin form drops (teh marbuta as heh, the h
// of "allah", hah after the listed ta marbuta rule); two words joined in
// the Latin form, found in candidate search too; two letters that read as
// one Latin digraph; a word of one consonant that is never looked up (the
// candidate bound must still count it). Each is REVIEW only.
TEST(ArabicMissClassesTest, FinalHJoinedWordsDigraphsAndShortWords) {
  auto index = Build({"SAJIDA KHAYRALLAH TILFAH", "MATIULLAH", "ADNAN ABOU WALID AL-SAHRAOUI",
                      "YAHIA DJOUADI", "JAD", "JUD", "JAWAD KARIM"});
  ASSERT_NE(index, nullptr);
  struct Case {
    const char* query;
    uint32_t ordinal;
  };
  const Case cases[] = {
      {"\u0633\u0627\u062c\u062f\u0629 \u062e\u064a\u0631 \u0627\u0644\u0644\u0647 "
       "\u0637\u0644\u0641\u0627\u062d",
       0},  // ساجدة خير الله طلفاح
      {"\u0645\u0637\u064a\u0639 \u0627\u0644\u0644\u0647", 1},  // مطيع الله
      {"\u0639\u062f\u0646\u0627\u0646 \u0623\u0628\u0648 \u0648\u0644\u064a\u062f "
       "\u0627\u0644\u0635\u062d\u0631\u0627\u0648\u064a",
       2},  // عدنان أبو وليد الصحراوي
      {"\u064a\u062d\u064a\u0649 \u062c\u0648\u0627\u062f\u064a", 3},  // يحيى جوادي
  };
  for (const Case& c : cases) {
    std::shared_ptr<const NameHit> h = testing::FindHit(Match(*index, c.query), c.ordinal);
    ASSERT_NE(h, nullptr) << c.query;
    EXPECT_TRUE(h->review_only) << c.query;
  }
  // Another word in place of "allah" does not join into MATIULLAH.
  EXPECT_EQ(testing::FindHit(
                Match(*index, "\u0645\u0637\u064a\u0639 \u0627\u0644\u0631\u062d\u0645\u0646"), 1),
            nullptr);  // مطيع الرحمن
}

}  // namespace
}  // namespace exportscreen::matching
