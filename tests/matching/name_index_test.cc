#include "services/matching/name_index.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exportscreen::matching {
namespace {

IndexEntity Entity(uint32_t ordinal, std::string name, std::vector<std::string> countries = {},
                   std::vector<std::pair<std::string, NameKind>> aliases = {}) {
  IndexEntity e;
  e.ordinal = ordinal;
  e.primary_name = std::move(name);
  e.countries = std::move(countries);
  e.aliases = std::move(aliases);
  return e;
}

class NameIndexTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<IndexEntity> es;
    es.push_back(Entity(1, "Huawei Technologies Co., Ltd.", {"CN"}));
    es.push_back(
        Entity(2, "Rosneft Oil Company", {"RU"}, {{"OAO Rosneft", NameKind::kStrongAlias}}));
    es.push_back(Entity(3, "SMITH, John William", {"US"}));
    es.push_back(Entity(4, "Sharif University of Technology", {"IR"}));
    es.push_back(Entity(5, "Beijing Institute No. 14", {"CN"}));
    es.push_back(Entity(6, "Hua Wei Trading Limited", {"HK"}));
    es.push_back(Entity(7, "Gazprom Neft PJSC", {"RU"}));
    // Filler names that make the common words common.
    const char* kDistinct[] = {"Alpha",    "Boreal",  "Cosmo", "Delta",   "Epsilon", "Falcon",
                               "Granite",  "Horizon", "Iris",  "Jupiter", "Kestrel", "Lotus",
                               "Meridian", "Nimbus",  "Orion", "Pioneer", "Quasar",  "Radiant",
                               "Sierra",   "Titan",   "Umbra", "Vertex",  "Willow",  "Xenon",
                               "Yonder",   "Zephyr"};
    const char* kCommon[] = {"Technology Co., Ltd.", "International Trading", "Industries Group",
                             "Technology Group"};
    uint32_t ord = 100;
    for (const char* d : kDistinct) {
      for (const char* c : kCommon) {
        es.push_back(Entity(ord++, absl::StrCat(d, " ", c), {"CN"}));
      }
    }
    auto index = NameIndex::Build(std::move(es));
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = index->release();
  }
  static void TearDownTestSuite() { delete index_; }

  static std::vector<NameHit> MatchName(const std::string& name, const std::string& country = "",
                                        double min_score = 0.8) {
    PartyQuery q;
    q.name = name;
    q.country = country;
    MatchOptions o;
    o.min_score = min_score;
    auto hits = index_->Match(q, o);
    EXPECT_TRUE(hits.ok()) << hits.status();
    return hits.ok() ? *hits : std::vector<NameHit>{};
  }
  static double TopScoreFor(const std::string& name, uint32_t ordinal,
                            const std::string& country = "") {
    for (const NameHit& h : MatchName(name, country, 0.0)) {
      if (h.ordinal == ordinal) return h.score;
    }
    return 0;
  }

  static const NameIndex* index_;
};
const NameIndex* NameIndexTest::index_ = nullptr;

TEST_F(NameIndexTest, Counts) {
  EXPECT_EQ(index_->entity_count(), 7u + 26 * 4);
  EXPECT_EQ(index_->name_count(), 8u + 26 * 4);
  EXPECT_GT(index_->memory_bytes(), 0u);
}

TEST_F(NameIndexTest, ExactNameIsTopHitWithExplanation) {
  auto hits = MatchName("Huawei Technologies Co Ltd", "CN");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].ordinal, 1u);
  EXPECT_GE(hits[0].score, 0.99);
  EXPECT_EQ(hits[0].matched_name, "Huawei Technologies Co., Ltd.");
  EXPECT_EQ(hits[0].kind, NameKind::kPrimary);
  EXPECT_FALSE(hits[0].alignment.empty());
  EXPECT_THAT(hits[0].corroboration, ::testing::Contains("country match CN"));
  EXPECT_THAT(hits[0].normalization_steps, ::testing::Contains("legal_form:co ltd->ltd"));
}

TEST_F(NameIndexTest, Typo) {
  EXPECT_GE(TopScoreFor("Huawie Technologies Co Ltd", 1), 0.9);
  EXPECT_GE(TopScoreFor("Rosnefft Oil Company", 2), 0.85);
}

TEST_F(NameIndexTest, TranspositionAloneFindsCandidate) {
  // Every distinctive token misspelled: only the fuzzy index finds it.
  EXPECT_GE(TopScoreFor("Hauwei", 1), 0.6);
  EXPECT_GE(TopScoreFor("Sharif Univeristy of Technology", 4), 0.9);
}

TEST_F(NameIndexTest, JoinedAndSplitWords) {
  auto hits = MatchName("Hua Wei Technologies Co Ltd");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].ordinal, 1u);
  bool split = false;
  for (const auto& t : hits[0].alignment) split |= t.kind == "split";
  EXPECT_TRUE(split);
  EXPECT_GE(TopScoreFor("Huawei Trading Limited", 6), 0.9);
}

TEST_F(NameIndexTest, ReorderedTokens) {
  EXPECT_GE(TopScoreFor("Technologies Huawei", 1), 0.9);
  EXPECT_GE(TopScoreFor("John Smith William", 3), 0.95);
  EXPECT_GE(TopScoreFor("John William Smith", 3), 0.95);
}

TEST_F(NameIndexTest, MissingOrExtraLegalForm) {
  EXPECT_GE(TopScoreFor("Huawei Technologies", 1), 0.95);
  EXPECT_GE(TopScoreFor("Huawei Technologies GmbH", 1), 0.95);
  EXPECT_GE(TopScoreFor("Rosneft", 2), 0.95);  // alias "OAO Rosneft"
}

TEST_F(NameIndexTest, OtherScripts) {
  EXPECT_GE(TopScoreFor("华为技术有限公司", 1), 0.9);
  EXPECT_GE(TopScoreFor("ОАО Роснефть", 2), 0.95);
}

TEST_F(NameIndexTest, SplitInsideAbbreviation) {
  // "Tech" would expand to "technology"; the split word still rejoins.
  EXPECT_GE(TopScoreFor("Huawei Tech nologies Co Ltd", 1), 0.9);
}

TEST_F(NameIndexTest, AlignmentExplainsTokens) {
  auto hits = MatchName("Huawie Technologies GmbH");
  ASSERT_FALSE(hits.empty());
  bool fuzzy = false, unmatched_listed = false;
  for (const auto& t : hits[0].alignment) {
    fuzzy |= t.kind == "fuzzy" && t.query_token == "huawie" && t.listed_token == "huawei";
    unmatched_listed |= t.kind == "unmatched_listed" && t.listed_token == "ltd";
  }
  EXPECT_TRUE(fuzzy);
  EXPECT_TRUE(unmatched_listed);
  EXPECT_EQ(hits[0].normalized_listed, "huawei technologies ltd");
}

TEST_F(NameIndexTest, CommonWordsOnlyGetNoHit) {
  EXPECT_TRUE(MatchName("Technology Co Ltd").empty());
  EXPECT_TRUE(MatchName("International Trading Co").empty());
  EXPECT_TRUE(MatchName("Co Ltd").empty());
}

TEST_F(NameIndexTest, UnmatchedDistinctiveTokenPenalised) {
  EXPECT_LT(TopScoreFor("Huawei Petroleum Exploration", 1), 0.8);
}

TEST_F(NameIndexTest, NumbersAreSignificant) {
  EXPECT_GE(TopScoreFor("Beijing Institute No 14", 5), 0.99);
  EXPECT_LT(TopScoreFor("Beijing Institute No 15", 5), 0.8);
}

TEST_F(NameIndexTest, CountryCorroboration) {
  double none = TopScoreFor("Rosneft Oil", 2);
  double match = TopScoreFor("Rosneft Oil", 2, "RU");
  double conflict = TopScoreFor("Rosneft Oil", 2, "US");
  EXPECT_GT(match, none);
  EXPECT_LT(conflict, none);
}

TEST_F(NameIndexTest, InvalidNames) {
  PartyQuery q;
  MatchOptions o;
  for (const std::string& name :
       std::vector<std::string>{"", "   ", " ,.; ", std::string(4097, 'a')}) {
    q.name = name;
    auto r = index_->Match(q, o);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST_F(NameIndexTest, RandomBytesNoCrash) {
  constexpr unsigned kSeed = 7;  // fixed: every run checks the same cases
  std::printf("random seed %u\n", kSeed);
  std::mt19937 rng(kSeed);
  PartyQuery q;
  MatchOptions o;
  o.min_score = 0;
  for (int i = 0; i < 100; ++i) {
    q.name.assign(rng() % 4097, '\0');
    for (char& c : q.name) c = static_cast<char>(rng());
    auto r = index_->Match(q, o);
    EXPECT_TRUE(r.ok() || r.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(NameIndexTest, DeterministicAndThreadSafe) {
  auto reference = MatchName("Alpha Technology", "", 0.3);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      PartyQuery q;
      q.name = "Alpha Technology";
      MatchOptions o;
      o.min_score = 0.3;
      for (int i = 0; i < 50; ++i) {
        auto r = index_->Match(q, o);
        if (!r.ok() || r->size() != reference.size()) {
          ++mismatches[t];
          continue;
        }
        for (size_t k = 0; k < r->size(); ++k) {
          if ((*r)[k].ordinal != reference[k].ordinal) ++mismatches[t];
        }
        // Non-ASCII path (per-thread transliterators).
        q.name = i % 2 ? "Alpha Technology" : "华为技术";
        if (i % 2 == 0) {
          auto u = index_->Match(q, o);
          if (!u.ok()) ++mismatches[t];
        }
        q.name = "Alpha Technology";
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

// Issue 14, class 0: a listed name inside a longer name (a branch, a city,
// a department) is at least REVIEW, with the extra words in the alignment.
TEST_F(NameIndexTest, ListedNameWithExtraWordsIsAtLeastReview) {
  for (const std::string& q :
       std::vector<std::string>{"Huawei Technologies Co., Ltd. Shenzhen Research Branch",
                                "Research Branch of Huawei Technologies Co Ltd",
                                "Shenzhen Huawei Technologies Export Department Sales Office",
                                "Technologies Huawei Dubai Branch Regional Liaison Office",
                                "Gazprom Neft PJSC Novosibirsk Branch Procurement Department"}) {
    auto hits = MatchName(q);
    const NameHit* hit = nullptr;
    for (const auto& h : hits) {
      if (h.ordinal == 1 || h.ordinal == 7) hit = &h;
    }
    ASSERT_NE(hit, nullptr) << q;
    EXPECT_GE(hit->score, 0.8) << q;
    EXPECT_TRUE(hit->contained) << q;
    bool extra_shown = false;
    for (const auto& t : hit->alignment) {
      extra_shown |= t.kind == "unmatched_query" && t.query_token == "branch";
    }
    EXPECT_TRUE(extra_shown || q.find("Branch") == std::string::npos) << q;
    EXPECT_THAT(hit->corroboration,
                ::testing::Contains(::testing::HasSubstr("listed name contained")));
  }
  // Only common words of a listed name in the query: no containment.
  EXPECT_TRUE(MatchName("Technology Group Shenzhen Research Branch").empty());
  // A distinctive listed word missing: still no hit.
  EXPECT_LT(TopScoreFor("Huawei Petroleum Exploration", 1), 0.8);
}

// Issue 14, class 1: legal forms in other shapes.
TEST_F(NameIndexTest, LegalFormsInAnyShape) {
  for (const std::string& q :
       std::vector<std::string>{"Huawei Technologies Co., Limted",      // typo inside the form
                                "Huawei Technologies Compnay Limited",  // typo, multi-word form
                                "Huawei Technologies Co., L td",        // split by a space
                                "Huawei Technologies Co Lim ited",      // split by a space
                                "Huawei TechnologiesLtd",               // glued to the last word
                                "Huawei TechnologiesLimited",           // glued to the last word
                                "Huawei Technologies Limited Company",  // other order
                                "Ltd Huawei Technologies"}) {           // other position
    EXPECT_GE(TopScoreFor(q, 1), 0.9) << q;
  }
  // A legal form too garbled to recognise is an extra word: the listed
  // name is still contained, so at least REVIEW.
  auto hits = MatchName("Gazprom Neft PJCS");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].ordinal, 7u);
  EXPECT_GE(hits[0].score, 0.8);
}

// Issue 14, class 3: exact normalised matches rank first; scores lifted
// past 1.0 by corroboration keep their order (no ties at 1.0).
TEST(NameIndexRankingTest, ExactFirstRawScoresAndMergedDuplicates) {
  std::vector<IndexEntity> es;
  // Several near-identical names, all in CN, with address corroboration.
  const char* kNames[] = {
      "Zhongxing Kexin Technology Co Ltd", "Zhongxing Kexin Technology Group Co Ltd",
      "Zhongxing Kexin Technologies Co Ltd", "Zhongxing Kexin Technical Co Ltd"};
  uint32_t ord = 0;
  for (const char* n : kNames) {
    IndexEntity e = Entity(ord++, n, {"CN"});
    e.address_parts = {"Shenzhen Nanshan"};
    e.merge_key = n;
    es.push_back(std::move(e));
  }
  // Twelve rows of one listed entity (one per address), as in the BIS CSV.
  for (int i = 0; i < 12; ++i) {
    IndexEntity e = Entity(ord++, "Zhongxing Kexin Technology Group Co Ltd", {"CN"});
    e.merge_key = "Zhongxing Kexin Technology Group Co Ltd";
    es.push_back(std::move(e));
  }
  auto built = NameIndex::Build(std::move(es));
  ASSERT_TRUE(built.ok());
  PartyQuery q;
  q.name = "Zhongxing Kexin Technology Co., Ltd.";
  q.country = "CN";
  q.address_parts = {"Nanshan district"};
  MatchOptions o;
  o.max_hits = 3;
  auto hits = (*built)->Match(q, o);
  ASSERT_TRUE(hits.ok());
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ((*hits)[0].ordinal, 0u);
  EXPECT_TRUE((*hits)[0].exact);
  EXPECT_GT((*hits)[0].rank_score, 1.0);  // raw score kept for ordering
  EXPECT_LE((*hits)[0].score, 1.0);       // shown score stays in [0, 1]
  // The twelve rows are one hit with eleven duplicates.
  size_t with_dups = 0;
  for (const auto& h : *hits) {
    if (!h.duplicate_ordinals.empty()) {
      ++with_dups;
      EXPECT_EQ(h.duplicate_ordinals.size(), 12u);  // the other 12 of 13 rows
    }
  }
  EXPECT_LE(with_dups, 1u);
  for (size_t i = 1; i < hits->size(); ++i) {
    EXPECT_FALSE((*hits)[i].exact);
    EXPECT_LE((*hits)[i].rank_score, (*hits)[i - 1].rank_score + 1e-12);
  }
}

// Issue 14, class 4: type conflicts, weak a.k.a.s and one distinctive word
// with conflicting countries are review only.
TEST(NameIndexReviewOnlyTest, TypeWeakAliasAndSingleWord) {
  std::vector<IndexEntity> es;
  IndexEntity vessel = Entity(1, "Ocean Pearl Zafiro", {"IR"});
  vessel.type = PartyType::kVessel;
  es.push_back(vessel);
  IndexEntity person = Entity(2, "Borodinsky Alexei", {"RU"});
  person.type = PartyType::kPerson;
  person.is_person = true;
  es.push_back(person);
  es.push_back(Entity(3, "Kestrovia Holdings", {"AE"}, {{"Marvelux", NameKind::kWeakAlias}}));
  es.push_back(Entity(4, "Quintarex Ltd", {"CN"}));
  auto built = NameIndex::Build(std::move(es));
  ASSERT_TRUE(built.ok());
  auto first = [&](const std::string& name, PartyType type, const std::string& country) {
    PartyQuery q;
    q.name = name;
    q.type = type;
    q.country = country;
    auto hits = (*built)->Match(q, MatchOptions{});
    EXPECT_TRUE(hits.ok());
    return hits.ok() && !hits->empty() ? (*hits)[0] : NameHit{};
  };
  NameHit h = first("Ocean Pearl Zafiro", PartyType::kOrganization, "");
  EXPECT_EQ(h.ordinal, 1u);
  EXPECT_TRUE(h.review_only);
  EXPECT_THAT(h.corroboration, ::testing::Contains(::testing::HasSubstr("type conflict")));
  // Unknown type: neutral.
  EXPECT_FALSE(first("Ocean Pearl Zafiro", PartyType::kUnknown, "").review_only);
  // A legal form makes the query a company: against a person, review only.
  h = first("Borodinsky Alexei LLC", PartyType::kUnknown, "");
  EXPECT_EQ(h.ordinal, 2u);
  EXPECT_TRUE(h.review_only);
  h = first("Marvelux", PartyType::kUnknown, "");
  EXPECT_EQ(h.ordinal, 3u);
  EXPECT_EQ(h.kind, NameKind::kWeakAlias);
  EXPECT_TRUE(h.review_only);
  h = first("Quintarex Ltd", PartyType::kUnknown, "US");
  EXPECT_EQ(h.ordinal, 4u);
  EXPECT_TRUE(h.review_only);
  EXPECT_FALSE(first("Quintarex Ltd", PartyType::kUnknown, "CN").review_only);
}

// Issue 14, class 5: short tokens after transliteration match exactly.
TEST(NameIndexShortScriptTest, ShortTransliteratedTokensExactOnly) {
  std::vector<IndexEntity> es;
  es.push_back(Entity(1, "Mira", {"RU"}));
  es.push_back(Entity(2, "Kvon Sol", {"KP"}));
  for (uint32_t i = 0; i < 40; ++i) {
    es.push_back(Entity(10 + i, absl::StrCat("Filler Name ", i)));
  }
  auto built = NameIndex::Build(std::move(es));
  ASSERT_TRUE(built.ok());
  auto hit_for = [&](const std::string& name, uint32_t ordinal) {
    PartyQuery q;
    q.name = name;
    auto hits = (*built)->Match(q, MatchOptions{});
    if (!hits.ok()) return false;
    for (const auto& h : *hits) {
      if (h.ordinal == ordinal) return true;
    }
    return false;
  };
  EXPECT_TRUE(hit_for("Мира", 1));       // exact after transliteration
  EXPECT_FALSE(hit_for("Миро", 1));      // "miro": no fuzzy match on 4 letters
  EXPECT_TRUE(hit_for("Miro", 1));       // Latin input: fuzzy as before
  EXPECT_TRUE(hit_for("Квон Сол", 2));   // exact short tokens still match
  EXPECT_TRUE(hit_for("Kven Sol", 2));   // Latin: "kven" ~ "kvon"
  EXPECT_FALSE(hit_for("Квен Сол", 2));  // transliterated: exact only
}

// Issue 14, class 0: a listed name ending in spelled letters, followed by
// "R&D Center", stays contained (the "R" is not joined to its letters).
TEST(NameIndexExtraWordsTest, ListedLettersBeforeAmpersandWord) {
  std::vector<IndexEntity> es;
  es.push_back(Entity(1, "EMMR Y COMPANIA S A S", {"CO"}));
  es.push_back(Entity(2, "INVERSIONES LA PLATA M Y M", {"CO"}));
  for (uint32_t i = 0; i < 40; ++i) {
    es.push_back(Entity(10 + i, absl::StrCat("Filler Name ", i)));
  }
  auto built = NameIndex::Build(std::move(es));
  ASSERT_TRUE(built.ok());
  auto score_for = [&](const std::string& name, uint32_t ordinal) {
    PartyQuery q;
    q.name = name;
    auto hits = (*built)->Match(q, MatchOptions{});
    double best = 0;
    if (!hits.ok()) return best;
    for (const auto& h : *hits) {
      if (h.ordinal == ordinal) best = std::max(best, h.score);
    }
    return best;
  };
  EXPECT_GE(score_for("EMMR Y COMPANIA S A S R&D Center", 1), 0.8);
  EXPECT_GE(score_for("Tehran INVERSIONES LA PLATA M Y M R&D Center", 2), 0.8);
  EXPECT_GE(score_for("INVERSIONES LA PLATA M Y M R & D Center", 2), 0.8);
}

// Issue 14, class 7: near misses below the review threshold.
TEST_F(NameIndexTest, NearMissesBelowThreshold) {
  PartyQuery q;
  q.name = "Huawei Petroleum Exploration";
  MatchOptions o;
  o.max_near_misses = 3;
  o.near_miss_min = 0.3;
  auto r = index_->MatchDetailed(q, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->hits.empty());
  ASSERT_FALSE(r->near_misses.empty());
  EXPECT_LE(r->near_misses.size(), 3u);
  for (const auto& h : r->near_misses) {
    EXPECT_LT(h.score, o.min_score);
    EXPECT_GE(h.score, 0.3);
    EXPECT_FALSE(h.alignment.empty());
  }
  // Without the option: none.
  o.max_near_misses = 0;
  r = index_->MatchDetailed(q, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->near_misses.empty());
}

TEST(NameIndexBuildTest, DuplicateOrdinalRejected) {
  std::vector<IndexEntity> es = {Entity(1, "A"), Entity(1, "B")};
  EXPECT_EQ(NameIndex::Build(std::move(es)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NameIndexBuildTest, EmptyIndexMatchesNothing) {
  auto index = NameIndex::Build({});
  ASSERT_TRUE(index.ok());
  PartyQuery q;
  q.name = "Acme";
  auto r = (*index)->Match(q, MatchOptions());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

}  // namespace
}  // namespace exportscreen::matching

namespace exportscreen::matching {
namespace {

// In a small index (the seeded demo store) the unknown halves of a split
// word must not be weighed as maximally rare and prune the candidate.
TEST(SmallIndexTest, SplitWordsFindTheJoinedListedWord) {
  std::vector<IndexEntity> es;
  es.push_back(Entity(0, "Huawei Technologies Co., Ltd.", {"CN"}));
  es.push_back(Entity(1, "Semiconductor Manufacturing International Corporation", {"CN"}));
  es.push_back(Entity(2, "Kal Tek Labs", {"US"}));
  auto index = NameIndex::Build(std::move(es));
  ASSERT_TRUE(index.ok());
  for (const char* q : {"Hua Wei Technologies", "Hua Wei Technologies Co Ltd"}) {
    PartyQuery query;
    query.name = q;
    query.country = "CN";
    auto hits = (*index)->Match(query, MatchOptions{0.8, 5});
    ASSERT_TRUE(hits.ok());
    ASSERT_FALSE(hits->empty()) << q;
    EXPECT_EQ((*hits)[0].ordinal, 0u) << q;
  }
}

// Issue 14, class 6: an Arabic-script name whose token boundaries differ
// from the listed Latin form is found by its whole consonant skeleton, at
// REVIEW only; a listed name in the same script stays an exact hit.
TEST(NameIndexWholeSkeletonTest, ArabicNameWithOtherTokenBoundaries) {
  std::vector<IndexEntity> es;
  IndexEntity p = Entity(1, "ABDUL RAHMAN ZAHED", {"AF"});
  p.is_person = true;
  p.type = PartyType::kPerson;
  es.push_back(p);
  IndexEntity q = Entity(2, "HAMDULLAH NOMANI", {"AF"},
                         {{"\u062d\u0645\u062f \u0627\u0644\u0644\u0647 "
                           "\u0646\u0639\u0645\u0627\u0646\u0649",
                           NameKind::kStrongAlias}});
  q.is_person = true;
  es.push_back(q);
  es.push_back(Entity(3, "ZORVEX KALIMAR TRADING", {"AE"}));
  auto built = NameIndex::Build(std::move(es));
  ASSERT_TRUE(built.ok());
  MatchOptions o;
  o.min_score = 0.8;
  PartyQuery query;
  query.name =
      "\u0639\u0628\u062f\u0627\u0644\u0631\u062d\u0645\u0627\u0646 "
      "\u0632\u0627\u0647\u062f";  // Abd-al-Rahman Zahed, joined
  auto hits = (*built)->Match(query, o);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].ordinal, 1u);
  EXPECT_TRUE((*hits)[0].review_only);
  EXPECT_THAT((*hits)[0].corroboration,
              ::testing::Contains(::testing::HasSubstr("consonant skeleton")));
  // The listed Arabic-script alias itself: exact, not review-only.
  query.name =
      "\u062d\u0645\u062f \u0627\u0644\u0644\u0647 "
      "\u0646\u0639\u0645\u0627\u0646\u0649";
  hits = (*built)->Match(query, o);
  ASSERT_TRUE(hits.ok());
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ((*hits)[0].ordinal, 2u);
  EXPECT_TRUE((*hits)[0].exact);
  // A Latin name with an unrelated Arabic-script name in parentheses (as
  // the lists write original-script names): each script's part is also
  // matched alone, so the Latin name is not diluted by the other tokens.
  query.name =
      "ZORVEX KALIMAR TRADING (\u062d\u0633\u0646 \u063a\u0648\u0644 "
      "\u0627\u0644\u062d\u0633\u064a\u0646\u064a)";
  hits = (*built)->Match(query, o);
  ASSERT_TRUE(hits.ok());
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ((*hits)[0].ordinal, 3u);
  EXPECT_TRUE((*hits)[0].exact);
  // Another Arabic name with a different skeleton: no hit.
  query.name = "\u0643\u0645\u0627\u0644 \u062c\u0631\u0645\u0627\u0646";
  hits = (*built)->Match(query, o);
  ASSERT_TRUE(hits.ok());
  EXPECT_TRUE(hits->empty());
}

// A listed name's trailing acronym in parentheses ("HAQQANI NETWORK
// (HQN)"): a query without it is still found, as REVIEW with the reason;
// with it, the match is exact as before; a query that was a hit without
// the discount is scored as before.
TEST(NameIndexAcronymTest, TrailingAcronymMissingIsReview) {
  std::vector<IndexEntity> es;
  es.push_back(Entity(1, "HAQQANI NETWORK (HQN)"));
  es.push_back(Entity(2, "KORVALIS MARITIME TRANSPORT AGENCY (KMTA)"));
  es.push_back(Entity(3, "TEMBRO DYNAMICS (HK)"));
  for (uint32_t i = 0; i < 30; ++i) {
    es.push_back(
        Entity(100 + i, absl::StrCat("FILLER", std::string(1, static_cast<char>('A' + i % 26)), i,
                                     " NETWORK TRADING")));
  }
  auto built = NameIndex::Build(std::move(es));
  ASSERT_TRUE(built.ok()) << built.status();
  auto match = [&](const std::string& name) {
    PartyQuery q;
    q.name = name;
    MatchOptions o;
    o.min_score = 0.8;
    auto hits = (*built)->Match(q, o);
    EXPECT_TRUE(hits.ok());
    return hits.ok() ? *hits : std::vector<NameHit>{};
  };
  std::vector<NameHit> hits = match("HAQQANI NETWORK");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].ordinal, 1u);
  EXPECT_TRUE(hits[0].review_only);
  EXPECT_FALSE(hits[0].exact);
  EXPECT_THAT(hits[0].corroboration, ::testing::Contains(::testing::HasSubstr("acronym")));
  hits = match("HAQQANI NETWORK (HQN)");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].ordinal, 1u);
  EXPECT_TRUE(hits[0].exact);
  EXPECT_FALSE(hits[0].review_only);
  // Four words of five: a hit without the discount, scored as before.
  hits = match("KORVALIS MARITIME TRANSPORT AGENCY");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].ordinal, 2u);
  for (const std::string& c : hits[0].corroboration) {
    EXPECT_THAT(c, ::testing::Not(::testing::HasSubstr("acronym")));
  }
  // A place code in parentheses is treated alike: found, never exact (a
  // hit by itself with the code's full weight, else REVIEW).
  hits = match("TEMBRO DYNAMICS");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].ordinal, 3u);
  EXPECT_FALSE(hits[0].exact);
}

}  // namespace
}  // namespace exportscreen::matching
