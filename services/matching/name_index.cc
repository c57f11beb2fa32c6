// NameIndex implementation: flat arrays over interned tokens.
//
// Layout (all immutable after Build):
//   tokens     interned normalised tokens: text arena, document frequency,
//              rarity weight, legal-form flag
//   names      one row per primary name or alias: entity position, alias
//              number, kind, token ids (CSR), total weight
//   postings   token id -> names containing it (CSR)
//   deletions  hash(token minus <= 1 character) -> token id, sorted, for
//              typo-tolerant token lookup (symmetric deletion neighbourhood)
//   pairs      hash(two adjacent tokens joined) -> name id, sorted, for
//              queries that join words the list splits ("huawei"/"hua wei")
//
// Match: normalise, expand each query token (exact, fuzzy, joined), walk the
// postings from the rarest expansion to the most common one accumulating an
// estimated score per name (stopping to admit new names once no new name can
// reach the threshold), rescore the best few candidates with a full token
// alignment, add corroboration, keep the best name per entity.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/matching/name_index.h"
#include "services/matching/normalizer.h"

namespace exportscreen::matching {
namespace {

constexpr double kLegalWeight = 0.3;
// Smoothing of the rarity weight so that small indexes behave like big ones.
constexpr double kPriorNames = 1000;
constexpr double kCommonPrior = 100;
constexpr size_t kMinFuzzyLen = 4;
constexpr size_t kMaxFuzzyLen = 48;
constexpr double kCountryMatchBonus = 0.02;
constexpr double kCountryConflictPenalty = 0.05;
constexpr double kAddressMatchBonus = 0.02;
constexpr double kIdentifierMatchBonus = 0.05;
constexpr double kMaxBonus =
    kCountryMatchBonus + kAddressMatchBonus + kIdentifierMatchBonus;
// Containment (a listed name inside a longer query): the listed name needs
// a matched token at least this rare (not a common word) ...
constexpr double kRareWeight = 4.5;
// ... whose postings are short enough to walk for every query.
constexpr uint32_t kContainMaxDf = 2000;
// ... and its distinctive tokens matched at least this well overall.
constexpr double kContainCoverage = 0.9;
// Similarity of an Arabic-script token and a Latin token with the same
// consonant skeleton.
constexpr double kSkeletonSim = 0.92;
// Exact normalised matches are returned even beyond max_hits, up to this.
constexpr size_t kMaxExactHits = 100;
// Transliterated query tokens this short match exactly only.
constexpr size_t kShortTranslitLen = 5;

const char* TypeName(PartyType t) {
  switch (t) {
    case PartyType::kUnknown:
      return "unknown";
    case PartyType::kOrganization:
      return "organization";
    case PartyType::kPerson:
      return "person";
    case PartyType::kVessel:
      return "vessel";
    case PartyType::kAircraft:
      return "aircraft";
  }
  return "?";
}

// Words that are common in company and person names whatever the list.
const absl::flat_hash_set<std::string>& CommonWords() {
  static const auto* set = new absl::flat_hash_set<std::string>{
      "technology", "technologies", "international", "trading", "group",
      "industries", "industry", "industrial", "bank", "university",
      "institute", "research", "engineering", "electronics", "electronic",
      "services", "service", "holding", "holdings", "enterprise",
      "enterprises", "shipping", "general", "national", "import", "export",
      "development", "investment", "systems", "science", "equipment",
      "manufacturing", "the", "of", "and", "for", "de", "la", "al", "el",
      "china", "beijing", "shanghai", "shenzhen", "iran", "russia", "global",
      "network", "communication", "communications", "center", "company",
      "logistics", "energy", "oil", "gas", "petroleum", "chemical", "trade",
      "commercial", "aviation", "electric", "machinery", "materials",
      "products", "solutions", "management", "construction", "world",
      "new", "east", "west", "north", "south", "star", "sea", "ship",
      "trust", "capital", "finance", "financial", "mohammad", "mohammed",
      "muhammad", "ali", "ahmad", "ahmed", "hassan", "hussein", "abdul",
      "bin", "ibn", "abu", "van", "der", "von", "da", "do", "dos", "y"};
  return *set;
}

uint64_t Fnv(absl::string_view a, absl::string_view b = {}) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : a) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  for (char c : b) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return h;
}

// Optimal string alignment distance (Damerau with adjacent transpositions),
// returns max_d + 1 if larger than max_d.
int OsaDistance(absl::string_view a, absl::string_view b, int max_d) {
  const int n = static_cast<int>(a.size());
  const int m = static_cast<int>(b.size());
  if (std::abs(n - m) > max_d) return max_d + 1;
  if (n > static_cast<int>(kMaxFuzzyLen) || m > static_cast<int>(kMaxFuzzyLen)) {
    return max_d + 1;
  }
  int rows[3][kMaxFuzzyLen + 1];
  int* prev2 = rows[0];
  int* prev = rows[1];
  int* cur = rows[2];
  for (int j = 0; j <= m; ++j) prev[j] = j;
  for (int i = 1; i <= n; ++i) {
    cur[0] = i;
    int row_min = cur[0];
    for (int j = 1; j <= m; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        v = std::min(v, prev2[j - 2] + 1);
      }
      cur[j] = v;
      row_min = std::min(row_min, v);
    }
    if (row_min > max_d) return max_d + 1;
    int* t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[m];
}

int AllowedEdits(size_t max_len) {
  if (max_len < kMinFuzzyLen) return 0;
  if (max_len <= 5) return 1;
  if (max_len <= 9) return 2;
  return 3;
}

bool IsNumeric(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Similarity of two different tokens in [0, 1): 0 if not similar enough.
double FuzzySim(absl::string_view a, absl::string_view b) {
  if (a == b) return 1.0;
  const size_t min_len = std::min(a.size(), b.size());
  const size_t max_len = std::max(a.size(), b.size());
  if (min_len < kMinFuzzyLen || max_len > kMaxFuzzyLen) return 0;
  if (IsNumeric(a) || IsNumeric(b)) return 0;
  const int allowed = AllowedEdits(max_len);
  const int d = OsaDistance(a, b, allowed);
  if (d > allowed) return 0;
  double sim = 1.0 - 0.6 * d / static_cast<double>(max_len);
  // A different first letter is a stronger signal of a different word.
  if (a[0] != b[0]) sim -= max_len <= 5 ? 0.15 : 0.05;
  return sim;
}

// Per-thread scratch reused across queries (no per-query heap storms).
struct Scratch {
  std::vector<float> acc;
  std::vector<uint32_t> touched;
  NormalizedName query;
  std::string buf;
};

Scratch& LocalScratch() {
  thread_local Scratch s;
  return s;
}

std::string KindName(NameKind k) {
  switch (k) {
    case NameKind::kPrimary:
      return "primary";
    case NameKind::kStrongAlias:
      return "strong_alias";
    case NameKind::kWeakAlias:
      return "weak_alias";
  }
  return "?";
}

// Alphanumeric, upper-case form of an identifier for comparison.
std::string CanonicalId(absl::string_view id) {
  std::string out;
  for (char c : id) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

class NameIndexImpl final : public NameIndex {
 public:
  static absl::StatusOr<std::unique_ptr<const NameIndex>> Create(
      std::vector<IndexEntity> entities);

  absl::StatusOr<MatchResult> MatchDetailed(
      const PartyQuery& query, const MatchOptions& options) const override;
  size_t entity_count() const override { return entities_.size(); }
  size_t name_count() const override { return name_entity_.size(); }
  size_t memory_bytes() const override { return memory_bytes_; }

 private:
  struct QueryToken {
    absl::string_view text;
    absl::string_view raw;  // before abbreviation expansion (for rejoining)
    int32_t id = -1;  // vocabulary id, -1 if unknown
    bool legal = false;
    bool numeric = false;
    bool exact_only = false;  // short transliterated token: no fuzzy match
    // Arabic-script query token: consonant skeletons (with and without the
    // article "al", and without a final ta marbuta "t"), else empty.
    std::vector<std::string> skeletons;
    double weight = 0;
  };
  // What ScoreName found besides the score.
  struct NameScore {
    double score = 0;
    bool exact = false;      // same tokens, all matched exactly
    bool contained = false;  // listed distinctive tokens all in the query
    int distinct_matched = 0;  // matched non-legal listed tokens
    bool rare_matched = false;  // a rare listed token matched (any kind)
    bool skeleton = false;      // some token matched by consonant skeleton
    int extra_query = 0;       // unmatched query tokens
  };
  struct Expansion {
    uint32_t token;      // vocabulary token whose postings to walk
    uint32_t df;         // postings length
    double contribution; // estimated score numerator contribution
    int32_t pair_lo = -1;  // >= 0: walk pairs_ range instead of postings
    int32_t pair_hi = -1;
    uint32_t qtok = 0;     // query token the expansion stands for
  };
  struct Alignment {
    double name_score = 0;
    std::vector<TokenMatch> tokens;
  };

  absl::string_view TokenText(uint32_t id) const {
    return absl::string_view(token_chars_.data() + token_off_[id],
                             token_off_[id + 1] - token_off_[id]);
  }
  int32_t Lookup(absl::string_view text) const {
    auto it = vocab_.find(text);
    return it == vocab_.end() ? -1 : static_cast<int32_t>(it->second);
  }
  double UnknownWeight() const { return unknown_weight_; }
  void FuzzyTokens(absl::string_view text, std::vector<uint32_t>* out) const;
  NameScore ScoreName(const std::vector<QueryToken>& q, uint32_t name,
                      bool explain, std::vector<TokenMatch>* alignment,
                      bool transliterated = false) const;
  // Adds corroboration (country, address, identifier) to *score (left
  // unclamped), applies the containment floor (min_score) and decides
  // whether the hit is review-only; notes say why.
  void Corroborate(const PartyQuery& query, uint32_t name,
                   const NameScore& ns, bool query_has_legal, double min_score,
                   double* score, bool* review_only,
                   std::vector<std::string>* notes) const;

  std::vector<IndexEntity> entities_;
  // entity position -> its merge group (position of the group's first row)
  // and the group's other rows, for groups of more than one row.
  std::vector<uint32_t> entity_group_;
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> group_members_;
  // Tokens.
  absl::flat_hash_map<std::string, uint32_t> vocab_;
  std::string token_chars_;
  std::vector<uint32_t> token_off_;
  std::vector<uint32_t> token_df_;
  std::vector<float> token_weight_;
  std::vector<uint8_t> token_legal_;
  std::vector<uint8_t> token_rare_;  // weight >= kRareWeight, df small
  std::vector<uint8_t> token_in_person_;  // in some listed person's name
  double unknown_weight_ = 1;
  // Names.
  std::vector<uint32_t> name_entity_;
  std::vector<uint32_t> name_number_;
  std::vector<uint32_t> name_tok_off_;
  std::vector<uint32_t> name_toks_;
  std::vector<float> name_weight_;
  std::vector<float> name_distinct_weight_;  // non-legal tokens only
  // Postings.
  std::vector<uint32_t> post_off_;
  std::vector<uint32_t> post_names_;
  // Deletion neighbourhood and joined pairs.
  std::vector<uint64_t> del_keys_;
  std::vector<uint32_t> del_tokens_;
  std::vector<uint64_t> pair_keys_;
  std::vector<uint32_t> pair_names_;
  // Consonant skeleton -> token (Arabic-script queries).
  std::vector<uint64_t> skel_keys_;
  std::vector<uint32_t> skel_tokens_;
  size_t memory_bytes_ = 0;
};

template <typename T>
size_t VecBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

absl::StatusOr<std::unique_ptr<const NameIndex>> NameIndexImpl::Create(
    std::vector<IndexEntity> entities) {
  auto index = std::unique_ptr<NameIndexImpl>(new NameIndexImpl);
  NameIndexImpl& x = *index;
  {
    absl::flat_hash_set<uint32_t> seen;
    seen.reserve(entities.size());
    for (const IndexEntity& e : entities) {
      if (!seen.insert(e.ordinal).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("duplicate entity ordinal ", e.ordinal));
      }
    }
  }
  x.entities_ = std::move(entities);
  // Deterministic order regardless of the caller's order.
  std::sort(x.entities_.begin(), x.entities_.end(),
            [](const IndexEntity& a, const IndexEntity& b) {
              return a.ordinal < b.ordinal;
            });

  // Merge groups.
  {
    absl::flat_hash_map<std::string, uint32_t> first;
    x.entity_group_.resize(x.entities_.size());
    for (uint32_t e = 0; e < x.entities_.size(); ++e) {
      x.entity_group_[e] = e;
      const std::string& key = x.entities_[e].merge_key;
      if (key.empty()) continue;
      auto [it, inserted] = first.try_emplace(key, e);
      if (!inserted) {
        x.entity_group_[e] = it->second;
        auto& members = x.group_members_[it->second];
        if (members.empty()) members.push_back(it->second);
        members.push_back(e);
      }
    }
  }
  // Normalise and intern.
  NormalizedName norm;
  x.name_tok_off_.push_back(0);
  auto add_name = [&](uint32_t entity, uint32_t number,
                      const std::string& text) {
    NormalizeName(text, /*record_steps=*/false, &norm);
    if (norm.tokens.empty()) return;
    x.name_entity_.push_back(entity);
    x.name_number_.push_back(number);
    for (const NormalizedToken& t : norm.tokens) {
      auto [it, inserted] = x.vocab_.try_emplace(
          t.text, static_cast<uint32_t>(x.token_df_.size()));
      if (inserted) {
        x.token_df_.push_back(0);
        x.token_legal_.push_back(t.legal_form ? 1 : 0);
        x.token_off_.push_back(static_cast<uint32_t>(x.token_chars_.size()));
        x.token_chars_.append(t.text);
      }
      x.name_toks_.push_back(it->second);
    }
    x.name_tok_off_.push_back(static_cast<uint32_t>(x.name_toks_.size()));
  };
  for (uint32_t e = 0; e < x.entities_.size(); ++e) {
    const IndexEntity& ent = x.entities_[e];
    add_name(e, 0, ent.primary_name);
    for (uint32_t a = 0; a < ent.aliases.size(); ++a) {
      add_name(e, a + 1, ent.aliases[a].first);
    }
  }
  x.token_off_.push_back(static_cast<uint32_t>(x.token_chars_.size()));
  const uint32_t num_names = static_cast<uint32_t>(x.name_entity_.size());
  const uint32_t num_tokens = static_cast<uint32_t>(x.token_df_.size());

  // Document frequencies (a token counted once per name) and postings.
  x.post_off_.assign(num_tokens + 1, 0);
  for (uint32_t n = 0; n < num_names; ++n) {
    for (uint32_t k = x.name_tok_off_[n]; k < x.name_tok_off_[n + 1]; ++k) {
      uint32_t t = x.name_toks_[k];
      bool dup = false;
      for (uint32_t j = x.name_tok_off_[n]; j < k; ++j) dup |= x.name_toks_[j] == t;
      if (!dup) ++x.token_df_[t];
    }
  }
  for (uint32_t t = 0; t < num_tokens; ++t) {
    x.post_off_[t + 1] = x.post_off_[t] + x.token_df_[t];
  }
  x.post_names_.resize(x.post_off_[num_tokens]);
  {
    std::vector<uint32_t> fill(x.post_off_.begin(), x.post_off_.end() - 1);
    for (uint32_t n = 0; n < num_names; ++n) {
      for (uint32_t k = x.name_tok_off_[n]; k < x.name_tok_off_[n + 1]; ++k) {
        uint32_t t = x.name_toks_[k];
        bool dup = false;
        for (uint32_t j = x.name_tok_off_[n]; j < k; ++j) dup |= x.name_toks_[j] == t;
        if (!dup) x.post_names_[fill[t]++] = n;
      }
    }
  }
  // Weights.
  const double n_eff = num_names + kPriorNames;
  x.unknown_weight_ = std::log1p(n_eff);
  x.token_weight_.resize(num_tokens);
  x.token_rare_.assign(num_tokens, 0);
  x.token_in_person_.assign(num_tokens, 0);
  for (uint32_t n = 0; n < num_names; ++n) {
    const IndexEntity& e = x.entities_[x.name_entity_[n]];
    if (!e.is_person && e.type != PartyType::kPerson) continue;
    for (uint32_t k = x.name_tok_off_[n]; k < x.name_tok_off_[n + 1]; ++k) {
      x.token_in_person_[x.name_toks_[k]] = 1;
    }
  }
  const auto& common = CommonWords();
  for (uint32_t t = 0; t < num_tokens; ++t) {
    if (x.token_legal_[t]) {
      x.token_weight_[t] = kLegalWeight;
      continue;
    }
    double df = x.token_df_[t];
    bool is_common = common.contains(x.TokenText(t));
    if (is_common) df += kCommonPrior;
    x.token_weight_[t] = static_cast<float>(std::log1p(n_eff / df));
    x.token_rare_[t] = !is_common && x.token_weight_[t] >= kRareWeight &&
                       x.token_df_[t] <= kContainMaxDf;
  }
  x.name_weight_.resize(num_names);
  x.name_distinct_weight_.resize(num_names);
  for (uint32_t n = 0; n < num_names; ++n) {
    double w = 0, d = 0;
    for (uint32_t k = x.name_tok_off_[n]; k < x.name_tok_off_[n + 1]; ++k) {
      w += x.token_weight_[x.name_toks_[k]];
      if (!x.token_legal_[x.name_toks_[k]]) d += x.token_weight_[x.name_toks_[k]];
    }
    x.name_weight_[n] = static_cast<float>(w);
    x.name_distinct_weight_[n] = static_cast<float>(d);
  }
  // Deletion neighbourhood of every fuzzy-able token.
  {
    std::vector<std::pair<uint64_t, uint32_t>> dels;
    for (uint32_t t = 0; t < num_tokens; ++t) {
      absl::string_view s = x.TokenText(t);
      if (x.token_legal_[t] || s.size() < kMinFuzzyLen ||
          s.size() > kMaxFuzzyLen || IsNumeric(s)) {
        continue;
      }
      dels.emplace_back(Fnv(s), t);
      for (size_t i = 0; i < s.size(); ++i) {
        if (i > 0 && s[i] == s[i - 1]) continue;  // same deletion
        dels.emplace_back(Fnv(s.substr(0, i), s.substr(i + 1)), t);
      }
    }
    std::sort(dels.begin(), dels.end());
    x.del_keys_.reserve(dels.size());
    x.del_tokens_.reserve(dels.size());
    for (const auto& [k, t] : dels) {
      x.del_keys_.push_back(k);
      x.del_tokens_.push_back(t);
    }
  }
  // Joined adjacent pairs.
  {
    std::vector<std::pair<uint64_t, uint32_t>> pairs;
    for (uint32_t n = 0; n < num_names; ++n) {
      for (uint32_t k = x.name_tok_off_[n]; k + 1 < x.name_tok_off_[n + 1];
           ++k) {
        uint32_t a = x.name_toks_[k], b = x.name_toks_[k + 1];
        if (x.token_legal_[a] || x.token_legal_[b]) continue;
        pairs.emplace_back(Fnv(x.TokenText(a), x.TokenText(b)), n);
      }
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    x.pair_keys_.reserve(pairs.size());
    x.pair_names_.reserve(pairs.size());
    for (const auto& [k, n] : pairs) {
      x.pair_keys_.push_back(k);
      x.pair_names_.push_back(n);
    }
  }
  // Consonant skeletons of alphabetic tokens (Arabic-script queries).
  {
    std::vector<std::pair<uint64_t, uint32_t>> skels;
    for (uint32_t t = 0; t < num_tokens; ++t) {
      if (x.token_legal_[t]) continue;
      std::string sk = ArabicSkeleton(x.TokenText(t), /*listed=*/true);
      if (sk.size() >= 2) skels.emplace_back(Fnv(sk), t);
    }
    std::sort(skels.begin(), skels.end());
    x.skel_keys_.reserve(skels.size());
    x.skel_tokens_.reserve(skels.size());
    for (const auto& kt : skels) {
      x.skel_keys_.push_back(kt.first);
      x.skel_tokens_.push_back(kt.second);
    }
  }
  // Memory estimate.
  size_t bytes = 0;
  for (const IndexEntity& e : x.entities_) {
    bytes += sizeof(IndexEntity) + e.primary_name.capacity();
    for (const auto& a : e.aliases) bytes += sizeof(a) + a.first.capacity();
    for (const auto& s : e.countries) bytes += sizeof(s) + s.capacity();
    for (const auto& s : e.address_parts) bytes += sizeof(s) + s.capacity();
    for (const auto& s : e.identifiers) bytes += sizeof(s) + s.capacity();
  }
  bytes += x.vocab_.capacity() * (sizeof(std::string) + sizeof(uint32_t) + 1) +
           x.token_chars_.capacity();
  bytes += VecBytes(x.token_off_) + VecBytes(x.token_df_) +
           VecBytes(x.token_weight_) + VecBytes(x.token_legal_) +
           VecBytes(x.name_entity_) + VecBytes(x.name_number_) +
           VecBytes(x.name_tok_off_) + VecBytes(x.name_toks_) +
           VecBytes(x.name_weight_) + VecBytes(x.name_distinct_weight_) +
           VecBytes(x.token_rare_) + VecBytes(x.token_in_person_) +
           VecBytes(x.entity_group_) +
           VecBytes(x.post_off_) +
           VecBytes(x.post_names_) + VecBytes(x.del_keys_) +
           VecBytes(x.del_tokens_) + VecBytes(x.pair_keys_) +
           VecBytes(x.skel_keys_) + VecBytes(x.skel_tokens_) +
           VecBytes(x.pair_names_);
  x.memory_bytes_ = bytes;
  return std::unique_ptr<const NameIndex>(std::move(index));
}

void NameIndexImpl::FuzzyTokens(absl::string_view text,
                                std::vector<uint32_t>* out) const {
  out->clear();
  if (text.size() < kMinFuzzyLen || text.size() > kMaxFuzzyLen ||
      IsNumeric(text)) {
    return;
  }
  auto probe = [&](uint64_t key) {
    auto lo = std::lower_bound(del_keys_.begin(), del_keys_.end(), key);
    for (auto it = lo; it != del_keys_.end() && *it == key; ++it) {
      out->push_back(del_tokens_[it - del_keys_.begin()]);
    }
  };
  probe(Fnv(text));
  for (size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && text[i] == text[i - 1]) continue;
    probe(Fnv(text.substr(0, i), text.substr(i + 1)));
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

// Full alignment of the query against one listed name. Returns the name
// score; fills `alignment` when explain is set.
NameIndexImpl::NameScore NameIndexImpl::ScoreName(
    const std::vector<QueryToken>& q, uint32_t name, bool explain,
    std::vector<TokenMatch>* alignment, bool transliterated) const {
  NameScore result;
  const uint32_t lb = name_tok_off_[name];
  // Both sides are capped at kMaxTokens by the normaliser; stay in bounds
  // regardless.
  const uint32_t m = std::min<uint32_t>(name_tok_off_[name + 1] - lb,
                                        static_cast<uint32_t>(kMaxTokens));
  const size_t n = std::min(q.size(), kMaxTokens);
  // Small fixed-size bookkeeping (names and queries are capped at 64).
  std::array<int8_t, kMaxTokens> q_used{};
  std::array<int8_t, kMaxTokens> l_used{};
  std::array<double, kMaxTokens> q_w{};
  for (size_t i = 0; i < n; ++i) q_w[i] = q[i].weight;
  double matched = 0;          // numerator
  double matched_distinct = 0; // weight of matched non-legal listed tokens
  int exact_pairs = 0;
  bool rare_matched = false;
  bool any_rare = false;
  bool all_distinct_exact = true;  // every matched non-legal token exact
  struct Pair {
    int qi, qj, li, lj;  // qj/lj: second token for joined/split, else -1
    double sim;
    const char* kind;
  };
  std::vector<Pair> pairs;
  auto lw = [&](uint32_t k) { return double(token_weight_[name_toks_[lb + k]]); };
  auto ltext = [&](uint32_t k) { return TokenText(name_toks_[lb + k]); };
  auto accept = [&](const Pair& p) {
    double wl = lw(p.li) + (p.lj >= 0 ? lw(p.lj) : 0);
    // The query side of a fuzzy, joined or split match weighs what the
    // listed side weighs (an unknown misspelling is not extra rare).
    double wq;
    if (p.qj >= 0) {
      q_w[p.qi] = wl / 2;
      q_w[p.qj] = wl / 2;
      wq = wl;
    } else if (q[p.qi].id >= 0 && std::strcmp(p.kind, "exact") == 0) {
      wq = q_w[p.qi];
    } else {
      q_w[p.qi] = wl;
      wq = wl;
    }
    matched += p.sim * (wq + wl);
    bool legal = token_legal_[name_toks_[lb + p.li]];
    if (!legal) {
      matched_distinct += p.sim * wl;
      ++result.distinct_matched;
      const bool exact_kind = std::strcmp(p.kind, "exact") == 0;
      all_distinct_exact &= exact_kind;
      // The rare anchor must be matched exactly (a misspelt common word
      // can be rare in the lists: "electonics").
      rare_matched |= exact_kind && token_rare_[name_toks_[lb + p.li]] != 0;
      any_rare |= token_rare_[name_toks_[lb + p.li]] != 0 ||
                  (p.lj >= 0 && token_rare_[name_toks_[lb + p.lj]] != 0);
    }
    if (p.qj < 0 && p.lj < 0 && std::strcmp(p.kind, "exact") == 0) ++exact_pairs;
    if (std::strcmp(p.kind, "skeleton") == 0) result.skeleton = true;
    q_used[p.qi] = 1;
    if (p.qj >= 0) q_used[p.qj] = 1;
    l_used[p.li] = 1;
    if (p.lj >= 0) l_used[p.lj] = 1;
    if (explain) {
      std::string qt(q[p.qi].text), lt(ltext(p.li));
      if (p.qj >= 0) absl::StrAppend(&qt, " ", q[p.qj].text);
      if (p.lj >= 0) absl::StrAppend(&lt, " ", ltext(p.lj));
      alignment->push_back(TokenMatch{qt, lt, p.kind, p.sim, wl});
    }
  };
  // Pass 0: query words split inside a listed word ("mosto trest"), before
  // an abbreviation expansion of the first half can take an exact match.
  std::string& buf = LocalScratch().buf;
  for (size_t i = 0; i + 1 < n; ++i) {
    if (q[i].legal || q[i + 1].legal || q_used[i] || q_used[i + 1]) continue;
    const size_t len = q[i].raw.size() + q[i + 1].raw.size();
    for (uint32_t k = 0; k < m; ++k) {
      absl::string_view lt = ltext(k);
      if (l_used[k] || lt.size() != len) {
        continue;
      }
      if (lt.substr(0, q[i].raw.size()) == q[i].raw &&
          lt.substr(q[i].raw.size()) == q[i + 1].raw) {
        accept(Pair{int(i), int(i + 1), int(k), -1, 1.0, "split"});
        break;
      }
    }
  }
  // Pass 1: exact token matches (by id), in query order.
  for (size_t i = 0; i < n; ++i) {
    if (q[i].id < 0 || q_used[i]) continue;
    for (uint32_t k = 0; k < m; ++k) {
      if (!l_used[k] && name_toks_[lb + k] == static_cast<uint32_t>(q[i].id)) {
        accept(Pair{static_cast<int>(i), -1, static_cast<int>(k), -1, 1.0,
                    "exact"});
        break;
      }
    }
  }
  // Pass 2: fuzzy, joined, split and initials among the rest, best first.
  for (size_t i = 0; i < n; ++i) {
    if (q_used[i] || q[i].legal) continue;
    for (uint32_t k = 0; k < m; ++k) {
      if (l_used[k] || token_legal_[name_toks_[lb + k]]) continue;
      absl::string_view lt = ltext(k);
      if (!q[i].skeletons.empty()) {
        const std::string lsk = ArabicSkeleton(lt, /*listed=*/true);
        if (!lsk.empty() &&
            std::find(q[i].skeletons.begin(), q[i].skeletons.end(), lsk) !=
                q[i].skeletons.end()) {
          // "altkryty" ~ "al tikriti": the article is matched too.
          if (k > 0 && !l_used[k - 1] && ltext(k - 1) == "al" &&
              absl::StartsWith(q[i].text, "al")) {
            pairs.push_back({int(i), -1, int(k - 1), int(k), kSkeletonSim,
                             "skeleton"});
          } else {
            pairs.push_back({int(i), -1, int(k), -1, kSkeletonSim, "skeleton"});
          }
        }
        // "bd allh" ~ "abdallah": two query words, one listed word.
        if (!lsk.empty() && i + 1 < n && !q_used[i + 1] &&
            !q[i + 1].skeletons.empty()) {
          std::string joined(q[i].text);
          joined.append(q[i + 1].text.data(), q[i + 1].text.size());
          if (ArabicSkeleton(joined, /*listed=*/false) == lsk) {
            pairs.push_back({int(i), int(i + 1), int(k), -1, kSkeletonSim,
                             "skeleton"});
          }
        }
      }
      if (q[i].exact_only) continue;
      double s = FuzzySim(q[i].text, lt);
      if (s > 0) pairs.push_back({int(i), -1, int(k), -1, s, "fuzzy"});
      if (q[i].text.size() == 1 && lt.size() > 1 && lt[0] == q[i].text[0]) {
        pairs.push_back({int(i), -1, int(k), -1, 0.5, "initial"});
      } else if (lt.size() == 1 && q[i].text.size() > 1 &&
                 q[i].text[0] == lt[0]) {
        pairs.push_back({int(i), -1, int(k), -1, 0.5, "initial"});
      }
      // Query "hua wei" vs listed "huawei".
      if (i + 1 < n && !q_used[i + 1] && !q[i + 1].legal) {
        buf.assign(q[i].raw.data(), q[i].raw.size());
        buf.append(q[i + 1].raw.data(), q[i + 1].raw.size());
        double js = FuzzySim(buf, lt);
        if (js > 0) pairs.push_back({int(i), int(i + 1), int(k), -1, js, "split"});
      }
      // Query "huawei" vs listed "hua wei".
      if (k + 1 < m && !l_used[k + 1] && !token_legal_[name_toks_[lb + k + 1]]) {
        absl::string_view lt2 = ltext(k + 1);
        if (lt.size() + lt2.size() == q[i].text.size() &&
            q[i].text.substr(0, lt.size()) == lt &&
            q[i].text.substr(lt.size()) == lt2) {
          pairs.push_back({int(i), -1, int(k), int(k + 1), 1.0, "joined"});
        }
      }
    }
  }
  if (!pairs.empty()) {
    std::stable_sort(pairs.begin(), pairs.end(),
                     [&](const Pair& a, const Pair& b) {
                       double wa = a.sim * (lw(a.li) + (a.lj >= 0 ? lw(a.lj) : 0));
                       double wb = b.sim * (lw(b.li) + (b.lj >= 0 ? lw(b.lj) : 0));
                       return wa > wb;
                     });
    for (const Pair& p : pairs) {
      if (q_used[p.qi] || (p.qj >= 0 && q_used[p.qj]) || l_used[p.li] ||
          (p.lj >= 0 && l_used[p.lj])) {
        continue;
      }
      accept(p);
    }
  }
  // Pass 3: legal forms of different kinds are neutral to each other (a
  // missing or different legal form costs only its small weight).
  double total = 0;
  double total_distinct = 0;
  int unmatched_listed_distinct = 0;
  for (size_t i = 0; i < n; ++i) {
    total += q_w[i];
    if (!q_used[i]) {
      ++result.extra_query;
      if (explain) {
        alignment->push_back(TokenMatch{std::string(q[i].text), "",
                                        "unmatched_query", 0, q_w[i]});
      }
    }
  }
  for (uint32_t k = 0; k < m; ++k) {
    total += lw(k);
    const bool legal = token_legal_[name_toks_[lb + k]] != 0;
    if (!legal) total_distinct += lw(k);
    if (!l_used[k]) {
      if (!legal) ++unmatched_listed_distinct;
      if (explain) {
        alignment->push_back(TokenMatch{"", std::string(ltext(k)),
                                        "unmatched_listed", 0, lw(k)});
      }
    }
  }
  if (matched_distinct <= 0 || total <= 0) return result;
  result.score = std::clamp(matched / total, 0.0, 1.0);
  result.exact = exact_pairs == static_cast<int>(n) &&
                 exact_pairs == static_cast<int>(m);
  // Containment: every distinctive listed token found, one of them rare.
  // Persons are not "contained" (their extra words are other given names:
  // the symmetric score judges them); a listed name with one distinctive
  // word needs it exactly and at least 3 characters long.
  // Persons are not contained (a person's name among other words is
  // judged by the symmetric score: the other words are other names). A
  // name of common words only is contained when it has at least three of
  // them, all exact. A name with one distinctive word needs it exact, at
  // least 3 characters (5 after transliteration) and in no listed
  // person's name (not a given name such as "Lena" or "Martin").
  const IndexEntity& ent = entities_[name_entity_[name]];
  const bool person = ent.is_person || ent.type == PartyType::kPerson;
  bool single_ok = true;
  if (result.distinct_matched == 1) {
    single_ok = all_distinct_exact;
    for (uint32_t k = 0; k < m; ++k) {
      const uint32_t tok = name_toks_[lb + k];
      if (token_legal_[tok]) continue;
      if (ltext(k).size() < (transliterated ? 5u : 3u) ||
          token_in_person_[tok] != 0) {
        single_ok = false;
      }
    }
  }
  const bool org = !person;
  const bool anchored =
      rare_matched || (result.distinct_matched >= 3 && all_distinct_exact);
  result.contained = org && single_ok && anchored &&
                     unmatched_listed_distinct == 0 && total_distinct > 0 &&
                     matched_distinct >= kContainCoverage * total_distinct;
  result.rare_matched = any_rare;
  return result;
}

void NameIndexImpl::Corroborate(const PartyQuery& query, uint32_t name,
                                const NameScore& ns, bool query_has_legal,
                                double min_score, double* score,
                                bool* review_only,
                                std::vector<std::string>* notes) const {
  const uint32_t entity = name_entity_[name];
  const IndexEntity& e = entities_[entity];
  bool country_conflict = false;
  if (!query.country.empty() && !e.countries.empty()) {
    std::string qc = absl::AsciiStrToUpper(query.country);
    if (std::find(e.countries.begin(), e.countries.end(), qc) !=
        e.countries.end()) {
      *score += kCountryMatchBonus;
      notes->push_back(absl::StrCat("country match ", qc));
    } else {
      country_conflict = true;
      *score -= kCountryConflictPenalty;
      notes->push_back(
          absl::StrCat("country conflict ", qc, " vs ", e.countries.front()));
    }
  }
  if (!query.address_parts.empty() && !e.address_parts.empty()) {
    NormalizedName a;
    absl::flat_hash_set<std::string> listed;
    for (const std::string& part : e.address_parts) {
      NormalizeName(part, false, &a);
      for (auto& t : a.tokens) {
        if (t.text.size() >= 3) listed.insert(t.text);
      }
    }
    std::string hit;
    for (const std::string& part : query.address_parts) {
      NormalizeName(part, false, &a);
      for (auto& t : a.tokens) {
        if (t.text.size() >= 3 && !CommonWords().contains(t.text) &&
            listed.contains(t.text)) {
          hit = t.text;
          break;
        }
      }
      if (!hit.empty()) break;
    }
    if (!hit.empty()) {
      *score += kAddressMatchBonus;
      notes->push_back(absl::StrCat("address match ", hit));
    }
  }
  if (!query.identifiers.empty() && !e.identifiers.empty()) {
    bool match = false;
    for (const std::string& qi : query.identifiers) {
      std::string a = CanonicalId(qi);
      if (a.size() < 4) continue;
      for (const std::string& li : e.identifiers) {
        if (a == CanonicalId(li)) match = true;
      }
    }
    if (match) {
      *score += kIdentifierMatchBonus;
      notes->push_back("identifier match");
    }
  }
  // A listed name inside a longer query is at least REVIEW (fail closed:
  // extra words such as a branch or a city must not hide it).
  if (ns.contained && ns.extra_query > 0) {
    notes->push_back(absl::StrCat("listed name contained, ", ns.extra_query,
                                  " extra query word(s)"));
    if (*score < min_score) {
      *score = min_score;
      *review_only = true;
      notes->push_back("review only: containment");
    }
  }
  // Review, never block.
  const PartyType listed_type =
      e.type != PartyType::kUnknown
          ? e.type
          : (e.is_person ? PartyType::kPerson : PartyType::kUnknown);
  PartyType query_type = query.type;
  if (query_type == PartyType::kUnknown && query_has_legal) {
    query_type = PartyType::kOrganization;  // a legal form: a company
  }
  if (query_type != PartyType::kUnknown && listed_type != PartyType::kUnknown &&
      query_type != listed_type) {
    *review_only = true;
    notes->push_back(absl::StrCat("review only: type conflict ",
                                  TypeName(query_type), " vs listed ",
                                  TypeName(listed_type)));
  }
  const uint32_t number = name_number_[name];
  if (number > 0 && e.aliases[number - 1].second == NameKind::kWeakAlias) {
    *review_only = true;
    notes->push_back("review only: weak a.k.a.");
  }
  if (ns.skeleton) {
    *review_only = true;
    notes->push_back("review only: Arabic-script consonant skeleton match");
  }
  if (!ns.exact && !ns.rare_matched) {
    *review_only = true;
    notes->push_back("review only: only common words match");
  }
  if (country_conflict && ns.distinct_matched <= 1) {
    *review_only = true;
    notes->push_back("review only: one distinctive word, countries conflict");
  }
}

absl::StatusOr<MatchResult> NameIndexImpl::MatchDetailed(
    const PartyQuery& query, const MatchOptions& options) const {
  if (query.name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "name longer than ", kMaxNameBytes, " bytes (", query.name.size(), ")"));
  }
  Scratch& scratch = LocalScratch();
  NormalizedName& norm = scratch.query;
  NormalizeName(query.name, /*record_steps=*/true, &norm);
  if (norm.tokens.empty()) {
    return absl::InvalidArgumentError(
        "name is empty or has no letters or digits after normalisation");
  }
  MatchResult result;
  if (norm.DistinctiveCount() == 0 || name_entity_.empty()) return result;
  // Near misses widen the search down to near_miss_min.
  const bool want_near = options.max_near_misses > 0 &&
                         options.near_miss_min < options.min_score;
  const double search_min =
      want_near ? std::max(0.0, options.near_miss_min) : options.min_score;
  const size_t want_hits =
      options.max_hits + (want_near ? options.max_near_misses : 0);

  // Query tokens and their weights.
  std::vector<QueryToken> q;
  q.reserve(norm.tokens.size());
  bool query_has_legal = false;
  for (const NormalizedToken& t : norm.tokens) {
    QueryToken qt;
    qt.text = t.text;
    qt.raw = t.unexpanded.empty() ? absl::string_view(t.text)
                                  : absl::string_view(t.unexpanded);
    qt.id = Lookup(t.text);
    qt.legal = t.legal_form;
    qt.numeric = t.numeric;
    qt.exact_only = norm.transliterated && t.text.size() <= kShortTranslitLen;
    if (norm.arabic && !t.legal_form) {
      auto add_skel = [&qt](absl::string_view w) {
        std::string sk = ArabicSkeleton(w, /*listed=*/false);
        if (!sk.empty() &&
            std::find(qt.skeletons.begin(), qt.skeletons.end(), sk) ==
                qt.skeletons.end()) {
          qt.skeletons.push_back(std::move(sk));
        }
      };
      absl::string_view w = t.text;
      add_skel(w);
      if (w.size() > 1 && w.back() == 't') add_skel(w.substr(0, w.size() - 1));
      if (w.size() >= 5 && absl::StartsWith(w, "al")) {
        absl::string_view rest = w.substr(2);
        add_skel(rest);
        if (rest.size() > 1 && rest.back() == 't') {
          add_skel(rest.substr(0, rest.size() - 1));
        }
      }
    }
    qt.weight = qt.legal ? kLegalWeight
                : qt.id >= 0 ? token_weight_[qt.id]
                             : UnknownWeight();
    query_has_legal |= qt.legal;
    q.push_back(qt);
  }
  double wq_total = 0;
  for (const QueryToken& t : q) wq_total += t.weight;

  // Expansions: exact, fuzzy, split (query "hua wei" -> "huawei") and
  // joined (query "huawei" -> listed "hua wei").
  std::vector<Expansion> exps;
  std::vector<uint32_t> fuzzy;
  for (size_t i = 0; i < q.size(); ++i) {
    const QueryToken& t = q[i];
    if (t.legal) continue;
    if (t.id >= 0) {
      uint32_t id = static_cast<uint32_t>(t.id);
      exps.push_back({id, token_df_[id], 2 * t.weight, -1, -1, uint32_t(i)});
    }
    if (!t.exact_only) {
      FuzzyTokens(t.text, &fuzzy);
    } else {
      fuzzy.clear();
    }
    for (uint32_t f : fuzzy) {
      if (static_cast<int32_t>(f) == t.id || token_legal_[f]) continue;
      double s = FuzzySim(t.text, TokenText(f));
      if (s <= 0) continue;
      exps.push_back(
          {f, token_df_[f], 2 * s * token_weight_[f], -1, -1, uint32_t(i)});
    }
    for (const std::string& sk : t.skeletons) {
      if (sk.size() < 2) continue;  // one consonant: scored, not looked up
      const uint64_t key = Fnv(sk);
      auto lo = std::lower_bound(skel_keys_.begin(), skel_keys_.end(), key);
      for (auto it = lo; it != skel_keys_.end() && *it == key; ++it) {
        const uint32_t f = skel_tokens_[it - skel_keys_.begin()];
        if (static_cast<int32_t>(f) == t.id) continue;
        exps.push_back({f, token_df_[f], 2 * kSkeletonSim * token_weight_[f],
                        -1, -1, uint32_t(i)});
      }
    }
    if (i + 1 < q.size() && !q[i + 1].legal) {
      scratch.buf.assign(t.raw.data(), t.raw.size());
      scratch.buf.append(q[i + 1].raw.data(), q[i + 1].raw.size());
      int32_t id = Lookup(scratch.buf);
      if (id >= 0 && !token_legal_[id]) {
        exps.push_back({static_cast<uint32_t>(id), token_df_[id],
                        2 * token_weight_[id], -1, -1, uint32_t(i)});
        // Unknown halves of a known word ("hua wei" -> "huawei") weigh what
        // the word weighs, not the maximum weight of an unknown token: the
        // candidate bound below must not prune the split match.
        for (size_t h : {i, i + 1}) {
          if (q[h].id < 0) {
            wq_total -= q[h].weight;
            q[h].weight = token_weight_[id] / 2;
            wq_total += q[h].weight;
          }
        }
      }
    }
    uint64_t key = Fnv(t.text);
    auto lo = std::lower_bound(pair_keys_.begin(), pair_keys_.end(), key);
    auto hi = std::upper_bound(lo, pair_keys_.end(), key);
    if (lo != hi) {
      Expansion e{0, static_cast<uint32_t>(hi - lo), 2 * t.weight, -1, -1,
                  uint32_t(i)};
      e.pair_lo = static_cast<int32_t>(lo - pair_keys_.begin());
      e.pair_hi = static_cast<int32_t>(hi - pair_keys_.begin());
      exps.push_back(e);
    }
  }
  std::sort(exps.begin(), exps.end(), [](const Expansion& a, const Expansion& b) {
    if (a.df != b.df) return a.df < b.df;
    if (a.pair_lo != b.pair_lo) return a.pair_lo < b.pair_lo;
    return a.token < b.token;
  });
  // remaining[i]: the most a name first seen at expansion i can gain, i.e.
  // over query tokens, the best contribution among expansions >= i (a
  // query token matches at most once; a split pair counts for two).
  std::vector<double> remaining(exps.size() + 1, 0);
  {
    std::vector<double> best(q.size() + 1, 0);
    double sum = 0;
    for (size_t i = exps.size(); i-- > 0;) {
      double& b = best[exps[i].qtok];
      if (exps[i].contribution > b) {
        sum += exps[i].contribution - b;
        b = exps[i].contribution;
      }
      remaining[i] = sum;
    }
  }

  // Accumulate estimated scores.
  std::vector<float>& acc = scratch.acc;
  std::vector<uint32_t>& touched = scratch.touched;
  if (acc.size() < name_entity_.size()) acc.resize(name_entity_.size(), 0);
  touched.clear();
  const double floor_score = std::max(0.0, search_min - kMaxBonus);
  // Contributions of common expansions that were not walked: added to every
  // candidate's estimate as an optimistic bound.
  double skipped = 0;
  bool admitting = true;
  for (size_t i = 0; i < exps.size(); ++i) {
    const Expansion& e = exps[i];
    // A name first seen now matches at most `remaining[i]`.
    const double r = remaining[i];
    if (admitting && r / (wq_total + r / 2) < floor_score * 0.9) {
      admitting = false;
    }
    // A rare listed token still admits new names: the query may contain a
    // listed name among extra words (containment).
    const bool admit = admitting ||
                       (e.pair_lo < 0 && token_rare_[e.token] != 0);
    if (!admit && e.df > 4 * touched.size() + 256) {
      if (e.pair_lo >= 0 || touched.size() > 4096) {
        skipped += e.contribution;
        continue;
      }
      // Few candidates, long postings: look the token up in each
      // candidate's own (short) token list instead.
      const float contribution = static_cast<float>(e.contribution);
      for (uint32_t name : touched) {
        for (uint32_t k = name_tok_off_[name]; k < name_tok_off_[name + 1]; ++k) {
          if (name_toks_[k] == e.token) {
            acc[name] += contribution;
            break;
          }
        }
      }
      continue;
    }
    const float contribution = static_cast<float>(e.contribution);
    auto add = [&](uint32_t name) {
      if (acc[name] == 0) {
        if (!admit) return;
        touched.push_back(name);
      }
      acc[name] += contribution;
    };
    if (e.pair_lo >= 0) {
      for (int32_t k = e.pair_lo; k < e.pair_hi; ++k) add(pair_names_[k]);
    } else {
      for (uint32_t k = post_off_[e.token]; k < post_off_[e.token + 1]; ++k) {
        add(post_names_[k]);
      }
    }
  }
  // Pick the most promising candidates.
  struct Cand {
    float est;
    uint32_t name;
  };
  std::vector<Cand> cands;
  cands.reserve(std::min<size_t>(touched.size(), 4096));
  for (uint32_t name : touched) {
    double est = std::min(1.0, (acc[name] + skipped) /
                                   (wq_total + name_weight_[name]));
    // Listed-side coverage: a listed name contained in a longer query.
    const double dw = name_distinct_weight_[name];
    if (dw > 0 && (acc[name] + skipped) >= 2 * kContainCoverage * dw * 0.95) {
      est = std::max(est, std::max(floor_score, 0.5));
    }
    acc[name] = 0;
    if (est >= floor_score * 0.65) {
      cands.push_back({static_cast<float>(est), name});
    }
  }
  const size_t keep = std::max<size_t>(24, want_hits * 3);
  auto by_est = [](const Cand& a, const Cand& b) {
    return a.est != b.est ? a.est > b.est : a.name < b.name;
  };
  if (cands.size() > keep) {
    std::nth_element(cands.begin(), cands.begin() + keep, cands.end(), by_est);
    cands.resize(keep);
  }
  std::sort(cands.begin(), cands.end(), by_est);

  // Full scoring.
  struct Scored {
    double score;  // unclamped, incl. corroboration and floors
    double name_score;
    uint32_t name;
    NameScore ns;
    bool review_only;
  };
  std::vector<Scored> scored;
  std::vector<std::string> notes;
  for (const Cand& c : cands) {
    NameScore ns = ScoreName(q, c.name, false, nullptr, norm.transliterated);
    if (ns.score < floor_score && !ns.contained) continue;
    Scored sc{ns.score, ns.score, c.name, ns, false};
    notes.clear();
    Corroborate(query, c.name, ns, query_has_legal,
                /*min_score=*/options.min_score, &sc.score, &sc.review_only,
                &notes);
    scored.push_back(sc);
  }
  std::sort(scored.begin(), scored.end(), [&](const Scored& a, const Scored& b) {
    if (a.ns.exact != b.ns.exact) return a.ns.exact;
    if (a.score != b.score) return a.score > b.score;
    uint32_t ea = entities_[name_entity_[a.name]].ordinal;
    uint32_t eb = entities_[name_entity_[b.name]].ordinal;
    if (ea != eb) return ea < eb;
    return name_number_[a.name] < name_number_[b.name];
  });
  absl::flat_hash_set<uint32_t> seen_groups;
  for (const Scored& s : scored) {
    const bool is_hit = s.score >= options.min_score;
    if (!is_hit && (!want_near || s.score < search_min)) continue;
    std::vector<NameHit>& out = is_hit ? result.hits : result.near_misses;
    const size_t cap = is_hit ? options.max_hits : options.max_near_misses;
    // Exact normalised matches are never cut off by max_hits (several
    // listed entities can share a name; the one meant must stay).
    const bool keep_exact = is_hit && s.ns.exact && out.size() < kMaxExactHits;
    if (out.size() >= cap && !keep_exact) continue;
    uint32_t ent = name_entity_[s.name];
    if (!seen_groups.insert(entity_group_[ent]).second) continue;
    const IndexEntity& e = entities_[ent];
    NameHit h;
    h.ordinal = e.ordinal;
    h.name_number = name_number_[s.name];
    h.kind = h.name_number == 0 ? NameKind::kPrimary
                                : e.aliases[h.name_number - 1].second;
    h.matched_name = h.name_number == 0 ? e.primary_name
                                        : e.aliases[h.name_number - 1].first;
    h.rank_score = s.score;
    h.score = std::clamp(s.score, 0.0, 1.0);
    h.name_score = s.name_score;
    h.exact = s.ns.exact;
    h.contained = s.ns.contained && s.ns.extra_query > 0;
    h.review_only = s.review_only;
    h.normalized_query = norm.Joined();
    for (uint32_t k = name_tok_off_[s.name]; k < name_tok_off_[s.name + 1]; ++k) {
      if (!h.normalized_listed.empty()) h.normalized_listed.push_back(' ');
      absl::StrAppend(&h.normalized_listed, TokenText(name_toks_[k]));
    }
    h.normalization_steps = norm.steps;
    ScoreName(q, s.name, true, &h.alignment, norm.transliterated);
    h.corroboration.push_back(absl::StrCat("name kind ", KindName(h.kind)));
    double ignored = s.name_score;
    bool ignored_review = false;
    Corroborate(query, s.name, s.ns, query_has_legal, options.min_score, &ignored,
                &ignored_review, &h.corroboration);
    if (auto it = group_members_.find(entity_group_[ent]);
        it != group_members_.end()) {
      for (uint32_t member : it->second) {
        if (member != ent) h.duplicate_ordinals.push_back(entities_[member].ordinal);
      }
      h.corroboration.push_back(absl::StrCat(
          "merged ", it->second.size() - 1, " duplicate row(s) of the listed entity"));
    }
    out.push_back(std::move(h));
    if (!s.ns.exact && result.hits.size() >= options.max_hits &&
        (!want_near || result.near_misses.size() >= options.max_near_misses)) {
      break;
    }
  }
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<const NameIndex>> NameIndex::Build(
    std::vector<IndexEntity> entities) {
  return NameIndexImpl::Create(std::move(entities));
}

}  // namespace exportscreen::matching
