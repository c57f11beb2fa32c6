// Shared by the matcher's table tests (arabic_spellings_test,
// arabic_glossary_test, cyrillic_readings_test, org_units_test): one name
// matched at the review threshold the rule set uses (0.8), with at most
// `max_hits` hits; a listed person; the hit for one listed entity.
#ifndef EXPORTSCREEN_TESTS_MATCHING_MATCH_TEST_UTIL_H_
#define EXPORTSCREEN_TESTS_MATCHING_MATCH_TEST_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
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

// A listed person named `name`.
inline matching::IndexEntity ListedPerson(uint32_t ordinal, std::string name) {
  matching::IndexEntity e;
  e.ordinal = ordinal;
  e.primary_name = std::move(name);
  e.is_person = true;
  e.type = matching::PartyType::kPerson;
  return e;
}

// The hit for `ordinal` among `hits` (a copy: `hits` is usually the
// temporary result of Match), or null.
inline std::shared_ptr<const matching::NameHit> FindHit(const std::vector<matching::NameHit>& hits,
                                                        uint32_t ordinal) {
  for (const matching::NameHit& h : hits) {
    if (h.ordinal == ordinal) return std::make_shared<const matching::NameHit>(h);
  }
  return nullptr;
}

}  // namespace exportscreen::testing

#endif  // EXPORTSCREEN_TESTS_MATCHING_MATCH_TEST_UTIL_H_
