// Shared by the matcher's table tests (arabic_spellings_test,
// arabic_glossary_test): one name matched at the review threshold the rule
// set uses (0.8), with at most `max_hits` hits.
#ifndef EXPORTSCREEN_TESTS_MATCHING_MATCH_TEST_UTIL_H_
#define EXPORTSCREEN_TESTS_MATCHING_MATCH_TEST_UTIL_H_

#include <cstddef>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/matching/name_index.h"

namespace exportscreen::testing {

inline std::vector<matching::NameHit> MatchAtReview(
    const matching::NameIndex& index, const std::string& name,
    size_t max_hits = matching::MatchOptions().max_hits) {
  matching::PartyQuery q;
  q.name = name;
  matching::MatchOptions o;
  o.min_score = 0.8;
  o.max_hits = max_hits;
  auto hits = index.Match(q, o);
  EXPECT_TRUE(hits.ok()) << name;
  return hits.ok() ? *hits : std::vector<matching::NameHit>{};
}

}  // namespace exportscreen::testing

#endif  // EXPORTSCREEN_TESTS_MATCHING_MATCH_TEST_UTIL_H_
