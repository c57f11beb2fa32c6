// FakeNameIndex: a NameIndex for engine tests. Matches a query name against
// primary names and aliases after a trivial normalisation (ASCII letters and
// digits, lower case): an equal name scores 1.0, nothing else matches.
// Optionally fails every Match (to test fail-closed behaviour) or reports a
// fixed score (to test REVIEW-band hits). Thread-safe (immutable).
#ifndef EXPORTSCREEN_TESTS_TESTING_FAKE_NAME_INDEX_H_
#define EXPORTSCREEN_TESTS_TESTING_FAKE_NAME_INDEX_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "exportscreen/v1/entities.pb.h"
#include "services/matching/name_index.h"

namespace exportscreen::testing {

class FakeNameIndex : public matching::NameIndex {
 public:
  // `entities[i]` gets ordinal i.
  explicit FakeNameIndex(const std::vector<v1::ListedEntity>& entities,
                         absl::Status fail = absl::OkStatus(), double score = 1.0)
      : fail_(std::move(fail)), score_(score) {
    for (uint32_t i = 0; i < entities.size(); ++i) {
      Add(entities[i].primary_name(), i, 0);
      for (int a = 0; a < entities[i].aliases_size(); ++a) {
        Add(entities[i].aliases(a).name(), i, uint32_t(a + 1));
      }
    }
  }

  static std::string Normalize(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
        out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
      }
    }
    return out;
  }

  absl::StatusOr<matching::MatchResult> MatchDetailed(
      const matching::PartyQuery& query, const matching::MatchOptions& options) const override {
    if (!fail_.ok()) return fail_;
    matching::MatchResult result;
    std::vector<matching::NameHit>& hits = result.hits;
    if (score_ < options.min_score) return result;
    std::string key = Normalize(query.name);
    auto it = names_.find(key);
    if (it == names_.end()) return result;
    for (const auto& [ordinal, number, name] : it->second) {
      matching::NameHit h;
      h.ordinal = ordinal;
      h.name_number = number;
      h.kind = number == 0 ? matching::NameKind::kPrimary : matching::NameKind::kStrongAlias;
      h.matched_name = name;
      h.score = h.name_score = h.rank_score = score_;
      h.normalized_query = key;
      h.normalized_listed = key;
      hits.push_back(std::move(h));
      if (hits.size() >= options.max_hits) break;
    }
    return result;
  }
  size_t entity_count() const override { return 0; }
  size_t name_count() const override { return names_.size(); }
  size_t memory_bytes() const override { return 0; }

 private:
  void Add(const std::string& name, uint32_t ordinal, uint32_t number) {
    auto& v = names_[Normalize(name)];
    for (const auto& e : v) {
      if (std::get<0>(e) == ordinal) return;  // best (first) name per entity
    }
    v.emplace_back(ordinal, number, name);
  }
  absl::flat_hash_map<std::string, std::vector<std::tuple<uint32_t, uint32_t, std::string>>> names_;
  absl::Status fail_;
  double score_;
};

}  // namespace exportscreen::testing

#endif  // EXPORTSCREEN_TESTS_TESTING_FAKE_NAME_INDEX_H_
