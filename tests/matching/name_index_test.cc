#include "services/matching/name_index.h"

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

IndexEntity Entity(uint32_t ordinal, std::string name,
                   std::vector<std::string> countries = {},
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
    es.push_back(Entity(2, "Rosneft Oil Company", {"RU"},
                        {{"OAO Rosneft", NameKind::kStrongAlias}}));
    es.push_back(Entity(3, "SMITH, John William", {"US"}));
    es.push_back(Entity(4, "Sharif University of Technology", {"IR"}));
    es.push_back(Entity(5, "Beijing Institute No. 14", {"CN"}));
    es.push_back(Entity(6, "Hua Wei Trading Limited", {"HK"}));
    es.push_back(Entity(7, "Gazprom Neft PJSC", {"RU"}));
    // Filler names that make the common words common.
    const char* kDistinct[] = {
        "Alpha", "Boreal", "Cosmo", "Delta", "Epsilon", "Falcon", "Granite",
        "Horizon", "Iris", "Jupiter", "Kestrel", "Lotus", "Meridian",
        "Nimbus", "Orion", "Pioneer", "Quasar", "Radiant", "Sierra",
        "Titan", "Umbra", "Vertex", "Willow", "Xenon", "Yonder", "Zephyr"};
    const char* kCommon[] = {"Technology Co., Ltd.", "International Trading",
                             "Industries Group", "Technology Group"};
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

  static std::vector<NameHit> MatchName(const std::string& name,
                                        const std::string& country = "",
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
  EXPECT_THAT(hits[0].normalization_steps,
              ::testing::Contains("legal_form:co ltd->ltd"));
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
    fuzzy |= t.kind == "fuzzy" && t.query_token == "huawie" &&
             t.listed_token == "huawei";
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
  for (const std::string& name : std::vector<std::string>{
           "", "   ", " ,.; ", std::string(4097, 'a')}) {
    q.name = name;
    auto r = index_->Match(q, o);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST_F(NameIndexTest, RandomBytesNoCrash) {
  std::mt19937 rng(7);
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

TEST(NameIndexBuildTest, DuplicateOrdinalRejected) {
  std::vector<IndexEntity> es = {Entity(1, "A"), Entity(1, "B")};
  EXPECT_EQ(NameIndex::Build(std::move(es)).status().code(),
            absl::StatusCode::kInvalidArgument);
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

}  // namespace
}  // namespace exportscreen::matching
