// NameIndex: an immutable in-memory fuzzy index over the names of listed
// entities (one list version). Built once, then shared read-only by all
// requests; Match() is thread-safe and never blocks on locks held by other
// matchers.
//
// CONTRACT (used by services/engine and services/serving; keep stable):
// - Build() takes plain structs (no protobuf) so matching stays below rules,
//   engine and store in the layer order.
// - Match() scores one query name against every primary name and alias; the
//   caller loops over a party's name and aliases.
// - Scores are in [0, 1]. Thresholds are NOT decided here: the caller passes
//   min_score (the rule set's review threshold) and classifies hits.
#ifndef EXPORTSCREEN_SERVICES_MATCHING_NAME_INDEX_H_
#define EXPORTSCREEN_SERVICES_MATCHING_NAME_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace exportscreen::matching {

enum class NameKind { kPrimary, kStrongAlias, kWeakAlias };

// What kind of party a name belongs to. kUnknown is neutral.
enum class PartyType { kUnknown, kOrganization, kPerson, kVessel, kAircraft };

// One listed entity as the index sees it.
struct IndexEntity {
  // Caller's id for the entity (position in the caller's entity table).
  uint32_t ordinal = 0;
  std::string primary_name;
  // Aliases with their strength (kStrongAlias or kWeakAlias).
  std::vector<std::pair<std::string, NameKind>> aliases;
  bool is_person = false;
  // The listed record's type (kPerson implies is_person).
  PartyType type = PartyType::kUnknown;
  // Records with the same non-empty merge_key are rows of one listed entity
  // (e.g. the BIS CSV repeats an entity per address): Match returns them as
  // one hit, the best-scoring row with the others in duplicate_ordinals.
  std::string merge_key;
  // ISO 3166-1 alpha-2 countries of the entity (upper case).
  std::vector<std::string> countries;
  // Free-text address parts (street, city, region), for corroboration.
  std::vector<std::string> address_parts;
  // City and region names of the entity's addresses: the index learns
  // place names from them (a place among a query's extra words is a
  // branch's location, not another name).
  std::vector<std::string> places;
  // Identifier values (registration numbers ...), for corroboration.
  std::vector<std::string> identifiers;
};

// One name to match, with the party's corroborating data.
struct PartyQuery {
  // The name (at most 4 KiB; arbitrary bytes tolerated).
  std::string name;
  // ISO alpha-2 country of the party, "" if unknown (neutral).
  std::string country;
  // Address parts of the party, empty if unknown (neutral).
  std::vector<std::string> address_parts;
  // Identifier values of the party, empty if unknown (neutral).
  std::vector<std::string> identifiers;
  // The party's type as the request gives it; kUnknown is neutral.
  PartyType type = PartyType::kUnknown;
};

// One token of the alignment between the query and the listed name.
struct TokenMatch {
  std::string query_token;   // "" if a listed token is unmatched
  std::string listed_token;  // "" if a query token is unmatched
  // "exact", "fuzzy", "joined", "split", "initial", "unmatched_query",
  // "unmatched_listed".
  std::string kind;
  double similarity = 0;  // [0, 1]
  double weight = 0;      // rarity weight of the token
};

struct NameHit {
  uint32_t ordinal = 0;
  // 0 = the primary name, i > 0 = aliases[i - 1] of the IndexEntity.
  uint32_t name_number = 0;
  NameKind kind = NameKind::kPrimary;
  std::string matched_name;  // the listed name or alias, as given to Build
  double score = 0;          // final score incl. corroboration, [0, 1]
  double name_score = 0;     // name-only score, [0, 1]
  // Unclamped score used for ordering (corroboration bonuses can lift
  // several names above 1.0; they keep their order instead of tying).
  double rank_score = 0;
  // The normalised query equals the normalised listed name (token for
  // token, or the same tokens in another order): ranked before the rest.
  bool exact = false;
  // The listed name's distinctive tokens are all in the query, which has
  // extra words (the extra words are "unmatched_query" in the alignment).
  bool contained = false;
  // The hit may be REVIEW but never BLOCK, whatever its score (type
  // conflict, weak a.k.a. only, one distinctive word with conflicting
  // countries, containment only); the reasons are in corroboration.
  bool review_only = false;
  // Other rows of the same listed entity (same merge_key), merged into
  // this hit.
  std::vector<uint32_t> duplicate_ordinals;
  std::string normalized_query;
  std::string normalized_listed;
  // Normalisation steps applied to the query, e.g. "nfkc", "casefold",
  // "transliterate:Han-Latin", "legal_form:co ltd->co", "abbrev:intl->international".
  std::vector<std::string> normalization_steps;
  std::vector<TokenMatch> alignment;
  // Corroboration notes, e.g. "country match CN", "country conflict US vs CN".
  std::vector<std::string> corroboration;
};

struct MatchOptions {
  // Hits scoring below this are not returned.
  double min_score = 0.8;
  // At most this many hits, best first.
  size_t max_hits = 10;
  // When > 0: also return up to this many best candidates scoring at least
  // near_miss_min (and below min_score) in `near_misses` of MatchDetailed.
  size_t max_near_misses = 0;
  double near_miss_min = 0.5;
};

struct MatchResult {
  std::vector<NameHit> hits;
  // Best candidates below min_score (only when options.max_near_misses > 0).
  std::vector<NameHit> near_misses;
};

class NameIndex {
 public:
  // Builds the index. Errors: INVALID_ARGUMENT on duplicate ordinals.
  static absl::StatusOr<std::unique_ptr<const NameIndex>> Build(std::vector<IndexEntity> entities);
  virtual ~NameIndex() = default;

  // Hits for one query name, best first: exact normalised matches first,
  // then by rank_score (ties broken by ordinal, then name_number, so results
  // are deterministic). At most one hit per listed entity (its best name;
  // rows sharing a merge_key are one entity). A query that contains all
  // distinctive tokens of a listed name (one of them rare) plus extra words
  // scores at least min_score. Errors: INVALID_ARGUMENT if the name is
  // empty or only whitespace/punctuation after normalisation, or longer
  // than 4 KiB.
  absl::StatusOr<std::vector<NameHit>> Match(const PartyQuery& query,
                                             const MatchOptions& options) const {
    auto r = MatchDetailed(query, options);
    if (!r.ok()) return r.status();
    return std::move(r->hits);
  }
  // Match, plus near misses when options.max_near_misses > 0.
  virtual absl::StatusOr<MatchResult> MatchDetailed(const PartyQuery& query,
                                                    const MatchOptions& options) const = 0;

  virtual size_t entity_count() const = 0;
  virtual size_t name_count() const = 0;
  // Approximate heap bytes held by the index.
  virtual size_t memory_bytes() const = 0;
};

}  // namespace exportscreen::matching

#endif  // EXPORTSCREEN_SERVICES_MATCHING_NAME_INDEX_H_
