// Internal to services/matching: the NameIndex implementation's class,
// tuning constants and token-similarity helpers. Not part of the module's
// API (see name_index.h); include only from services/matching.
//
// The implementation is one stage per file:
//   name_index.cc        Build: intern, postings, weights, lookup tables;
//   name_index_match.cc  MatchSingle: query tokens, expansions, candidate
//                        accumulation, scoring, hits;
//   name_index_variants.cc  MatchDetailed: the name, its script parts, its
//                        translated and re-read variants;
//   name_index_score.cc  ScoreName (token alignment) and Corroborate.
//
// Thread-safety: a built index is immutable; queries use per-thread scratch.
#ifndef EXPORTSCREEN_SERVICES_MATCHING_NAME_INDEX_IMPL_H_
#define EXPORTSCREEN_SERVICES_MATCHING_NAME_INDEX_IMPL_H_

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/matching/name_index.h"
#include "services/matching/normalizer.h"

namespace exportscreen::matching::index_internal {

inline constexpr double kLegalWeight = 0.3;
// Smoothing of the rarity weight so that small indexes behave like big ones.
inline constexpr double kPriorNames = 1000;
inline constexpr double kCommonPrior = 100;
inline constexpr size_t kMinFuzzyLen = 4;
inline constexpr size_t kMaxFuzzyLen = 48;
inline constexpr double kCountryMatchBonus = 0.02;
inline constexpr double kCountryConflictPenalty = 0.05;
inline constexpr double kAddressMatchBonus = 0.02;
inline constexpr double kIdentifierMatchBonus = 0.05;
inline constexpr double kMaxBonus = kCountryMatchBonus + kAddressMatchBonus + kIdentifierMatchBonus;
// Containment (a listed name inside a longer query): the listed name needs
// a matched token at least this rare (not a common word) ...
inline constexpr double kRareWeight = 4.5;
// ... whose postings are short enough to walk for every query.
inline constexpr uint32_t kContainMaxDf = 2000;
// ... and its distinctive tokens matched at least this well overall.
inline constexpr double kContainCoverage = 0.9;
// Scatter loops over long posting lists fetch the entry this many names
// ahead (Accumulate, PickCandidates).
inline constexpr size_t kPrefetchAhead = 16;
// Similarity of an Arabic-script token and a Latin token with the same
// consonant skeleton.
inline constexpr double kSkeletonSim = 0.92;
// Exact normalised matches are returned even beyond max_hits, up to this.
inline constexpr size_t kMaxExactHits = 100;
// Transliterated query tokens this short match exactly only.
inline constexpr size_t kShortTranslitLen = 5;
// Containment candidates added per query at most (bounds the cost of a
// query made of very common words).
inline constexpr size_t kMaxContainCands = 256;
// Query tokens considered for containment keys (pairs grow quadratically).
inline constexpr size_t kMaxContainQueryTokens = 24;

// Whole-name consonant skeletons shorter than this are not compared (too
// many names share them) ...
inline constexpr size_t kMinWholeSkeleton = 6;
// ... except for a query of at least two words, down to this ("طارق عزيز"
// / TARIQ AZIZ: "trkz"); the listed names are indexed down to it.
inline constexpr size_t kMinWholeSkeletonMulti = 4;
// Query tokens written with the article ("al...") whose assimilated or
// dropped forms are also tried as whole-name keys, at most.
inline constexpr size_t kMaxArticleVariants = 3;

// Consonant classes of whole-name skeletons, coarser than the token
// skeletons' (a whole-name match is review only and needs at least
// kMinWholeSkeleton consonants): the letters Latin spellings of one Arabic
// letter disagree on. "th" (tha, and ta + ha as in "طه" / TAHA) and t;
// "dh" (dhal, dad, za: "ظاهر" / DAHIR), z and d; jim as j or g (Egyptian
// "GAMAL"); p and b, v and f (no p or v in Arabic).
inline char WholeSkeletonClass(char c) {
  switch (c) {
    case 'T':
      return 't';
    case 'D':
    case 'z':
      return 'd';
    case 'j':
      return 'g';
    case 'p':
      return 'b';
    case 'v':
      return 'f';
    default:
      return c;
  }
}

// The consonant skeletons a transliterated Arabic-script query word is
// compared by: its skeleton, and without a final "h" (ه as teh marbuta,
// "القاعده"; the h of "allah" that Latin forms drop with the ta marbuta
// rule, "خير الله" / KHAYRALLAH; ح after the same rule, "طلفاح" / TILFAH),
// and with its Latin digraphs read as two letters (ArabicSkeleton).
// Empty if the word has no consonant.
inline std::vector<std::string> QuerySkeletons(absl::string_view word) {
  std::vector<std::string> out;
  std::string sk = ArabicSkeleton(word, /*listed=*/false);
  if (sk.empty()) return out;
  if (sk.size() >= 3 && sk.back() == 'h') out.push_back(sk.substr(0, sk.size() - 1));
  out.insert(out.begin(), std::move(sk));
  // Two letters read as one Latin digraph ("shrawy" for صحراوي).
  std::string split = ArabicSkeleton(word, /*listed=*/false, /*split_digraphs=*/true);
  if (split.size() >= 3 && std::find(out.begin(), out.end(), split) == out.end()) {
    out.push_back(std::move(split));
  }
  return out;
}

// The consonant skeletons of `tokens` joined, each without a final "h"
// (ta marbuta and "allah" are written with and without it), doubled
// letters across the joins once, in the coarse classes above unless
// `merge_classes` is false. "" if a token has no skeleton.
template <typename Tokens, typename Text>
std::string WholeSkeleton(const Tokens& tokens, bool listed, Text text_of,
                          bool merge_classes = true) {
  std::string out;
  for (const auto& t : tokens) {
    absl::string_view text = text_of(t);
    if (text.empty()) continue;
    std::string sk = ArabicSkeleton(text, listed);
    if (sk.empty()) return "";
    if (sk.size() > 1 && sk.back() == 'h') sk.pop_back();
    for (size_t i = 0; i < sk.size(); ++i) {
      char c = merge_classes ? WholeSkeletonClass(sk[i]) : sk[i];
      // "dj" is the French spelling of jim ("DJAMEL" / "جمال").
      if (c == 'd' && i + 1 < sk.size() && sk[i + 1] == 'j') continue;
      if (out.empty() || out.back() != c) out.push_back(c);
    }
  }
  return out;
}

// Place phrases of at most this many tokens are learnt.
inline constexpr size_t kMaxPlaceTokens = 4;
// Words allowed right before a unit head ("Trading Branch").
inline constexpr size_t kMaxUnitModifiers = 2;

// Organisation-unit words (rules/org_units.tsv): heads and connectors.
struct OrgUnitWords {
  absl::flat_hash_set<std::string> heads;
  absl::flat_hash_set<std::string> connectors;
};
const OrgUnitWords& OrgUnits();

inline uint64_t ContainKey(uint32_t a, uint32_t b) {
  if (a > b) std::swap(a, b);
  return (static_cast<uint64_t>(a) << 32) | b;
}

// Words that are common in company and person names whatever the list.
const absl::flat_hash_set<std::string>& CommonWords();

inline uint64_t Fnv(absl::string_view a, absl::string_view b = {}) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : a) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  for (char c : b) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return h;
}

// A directory over a sorted array of 64-bit hash keys (del_keys_,
// pair_keys_, skel_keys_): the top bits of a key name a bucket, and the
// bucket's few keys are scanned. A lookup costs one directory slot and one
// or two cache lines of keys instead of a binary search's ~log2(n) misses
// (tens of microseconds per query on a 1M-entity index). About one slot per
// two keys (2 bytes per key).
class KeyDirectory {
 public:
  void Build(const std::vector<uint64_t>& sorted_keys) {
    int bits = 1;
    while (bits < 28 && (size_t{1} << (bits + 1)) < sorted_keys.size()) ++bits;
    shift_ = 64 - bits;
    start_.assign((size_t{1} << bits) + 1, 0);
    size_t k = 0;
    for (size_t b = 0; b < (size_t{1} << bits); ++b) {
      start_[b] = static_cast<uint32_t>(k);
      while (k < sorted_keys.size() && (sorted_keys[k] >> shift_) == b) ++k;
    }
    start_.back() = static_cast<uint32_t>(sorted_keys.size());
  }
  // [lo, hi): the positions in `keys` (the array Build saw) equal to `key`.
  std::pair<uint32_t, uint32_t> Find(const std::vector<uint64_t>& keys, uint64_t key) const {
    if (start_.empty()) return {0, 0};
    const size_t b = key >> shift_;
    uint32_t lo = start_[b];
    const uint32_t end = start_[b + 1];
    while (lo < end && keys[lo] < key) ++lo;
    uint32_t hi = lo;
    while (hi < end && keys[hi] == key) ++hi;
    return {lo, hi};
  }
  size_t bytes() const { return start_.capacity() * sizeof(uint32_t); }

 private:
  int shift_ = 63;
  std::vector<uint32_t> start_;
};

// Optimal string alignment distance (Damerau with adjacent transpositions),
// returns max_d + 1 if larger than max_d.
inline int OsaDistance(absl::string_view a, absl::string_view b, int max_d) {
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

inline int AllowedEdits(size_t max_len) {
  if (max_len < kMinFuzzyLen) return 0;
  if (max_len <= 5) return 1;
  if (max_len <= 9) return 2;
  return 3;
}

inline bool IsNumeric(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Similarity of two different tokens in [0, 1): 0 if not similar enough.
inline double FuzzySim(absl::string_view a, absl::string_view b) {
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

inline Scratch& LocalScratch() {
  thread_local Scratch s;
  return s;
}

class NameIndexImpl final : public NameIndex {
 public:
  static absl::StatusOr<std::unique_ptr<const NameIndex>> Create(std::vector<IndexEntity> entities);

  absl::StatusOr<MatchResult> MatchDetailed(const PartyQuery& query,
                                            const MatchOptions& options) const override;
  size_t entity_count() const override { return entities_.size(); }
  size_t name_count() const override { return name_entity_.size(); }
  size_t memory_bytes() const override { return memory_bytes_; }

 private:
  struct QueryToken {
    absl::string_view text;
    absl::string_view raw;  // before abbreviation expansion (for rejoining)
    int32_t id = -1;        // vocabulary id, -1 if unknown
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
    bool exact = false;         // same tokens, all matched exactly
    bool contained = false;     // listed distinctive tokens all in the query
    int distinct_matched = 0;   // matched non-legal listed tokens
    bool rare_matched = false;  // a rare listed token matched (any kind)
    bool skeleton = false;      // some token matched by consonant skeleton
    // An Arabic-script query whose whole consonant skeleton (all tokens
    // joined) is the listed name's: "عبدالرحمان زاهد" / "ABDUL RAHMAN
    // ZAHED", where token boundaries differ.
    bool whole_skeleton = false;
    int extra_query = 0;  // unmatched query tokens
    // The listed name's trailing acronym in parentheses ("HAQQANI NETWORK
    // (HQN)") was not in the query and weighed as little as a legal form:
    // `score` is then the discounted score and `score_full` the score with
    // its full weight (ScoreCandidates keeps the full one when it is a hit
    // by itself; a hit only through the discount is REVIEW).
    bool acronym_discounted = false;
    double score_full = 0;
    // Contained only because every extra query word is a unit, place,
    // legal form, number or connector (a weak name's branch or office).
    bool qualified = false;
  };
  struct Expansion {
    uint32_t token;        // vocabulary token whose postings to walk
    uint32_t df;           // postings length
    double contribution;   // estimated score numerator contribution
    int32_t pair_lo = -1;  // >= 0: walk pairs_ range instead of postings
    int32_t pair_hi = -1;
    uint32_t qtok = 0;  // query token the expansion stands for
  };
  struct Alignment {
    double name_score = 0;
    std::vector<TokenMatch> tokens;
  };
  // How one query searches: thresholds and what it asks for.
  struct QueryPlan {
    bool want_near = false;  // near misses asked for below min_score
    double search_min = 0;   // lowest score searched for
    size_t want_hits = 0;    // hits plus near misses asked for
    double floor_score = 0;  // lowest name score that may still qualify
    bool query_has_legal = false;
    // What query tokens without any expansion can still gain in scoring:
    // an Arabic-script word of one consonant ("علي", "يحيى") is matched by
    // skeleton but never looked up. Added to every bound and estimate so
    // that pruning stays optimistic.
    double unexpanded_bound = 0;
  };
  // A candidate name and its estimated score.
  struct Cand {
    float est;
    uint32_t name;
  };
  // A candidate after full scoring.
  struct Scored {
    double score;  // unclamped, incl. corroboration and floors
    double name_score;
    uint32_t name;
    NameScore ns;
    bool review_only;
  };

  // --- name_index.cc: Create's stages, in order ---
  absl::Status SetEntities(std::vector<IndexEntity> entities);
  // Rows with the same merge_key form one group (one hit per group).
  void BuildMergeGroups();
  // Normalises every name and interns its tokens.
  void InternNames();
  // Document frequencies (a token counted once per name) and postings.
  void BuildPostings();
  // Token rarity weights and name weights.
  void ComputeWeights();
  // Deletion neighbourhood of every fuzzy-able token.
  void BuildDeletions();
  // Joined adjacent pairs.
  void BuildPairs();
  // Consonant skeletons of alphabetic tokens (Arabic-script queries).
  void BuildSkeletons();
  // Containment keys: every organisation name under the unordered pair of
  // its two rarest distinctive tokens (or its one distinctive token).
  void BuildContainKeys();
  // Place phrases (normalised city and region names of listed addresses).
  void BuildPlaces();
  // Whole-name consonant skeletons of every name (Arabic-script queries).
  void BuildWholeSkeletons();
  size_t EstimateMemory() const;

  // One query name, as written (MatchDetailed adds the script parts).
  absl::StatusOr<MatchResult> MatchSingle(const PartyQuery& query,
                                          const MatchOptions& options) const;
  // --- name_index_match.cc: MatchSingle's stages, in order ---
  // Query tokens and their weights; returns whether one is a legal form.
  bool QueryTokens(const NormalizedName& norm, std::vector<QueryToken>* q) const;
  // Expansions of the query tokens (sorted rarest first); may lower the
  // weight of unknown halves of a known word, and *wq_total with them.
  void Expand(std::vector<QueryToken>* q, double* wq_total, std::string* buf,
              std::vector<Expansion>* exps) const;
  // remaining[i]: the most a name first seen at expansion i can gain.
  static std::vector<double> RemainingBounds(const std::vector<Expansion>& exps,
                                             size_t query_tokens);
  // Walks the postings into scratch->acc / touched; returns the skipped
  // (not walked) contributions.
  double Accumulate(const std::vector<Expansion>& exps, const std::vector<double>& remaining,
                    double wq_total, const QueryPlan& plan, Scratch* scratch) const;
  // The most promising candidates, best estimate first (clears acc).
  std::vector<Cand> PickCandidates(Scratch* scratch, double skipped, double wq_total,
                                   const QueryPlan& plan) const;
  // Adds to *cands every organisation name whose containment key (its two
  // rarest distinctive tokens) is among the query's exact tokens: a listed
  // name of common words inside a longer query is never pruned by the
  // score bound (the extra words dilute the estimate, not containment).
  void AddContainedCandidates(const std::vector<QueryToken>& q, std::vector<Cand>* cands) const;
  // For an Arabic-script query: adds the names whose whole consonant
  // skeleton equals the query's, and returns them (sorted).
  std::vector<uint32_t> AddWholeSkeletonCandidates(const std::vector<QueryToken>& q,
                                                   std::vector<Cand>* cands) const;
  // A short whole skeleton (under kMinWholeSkeleton consonants) counts only
  // where `name` has no legal form and each of its tokens is one or more
  // whole query words (`words`, as keyed), compared without the coarse
  // classes: "شمس الدين" / SHAMSUDDIN, not "ياسمين الرفاعي" / SIMON REVIVO
  // (f and v).
  bool ShortSkeletonAligned(const std::vector<std::string>& words, uint32_t name) const;
  // A key made with the article left out or a letter respelt counts only
  // where `name` is one token or one of its tokens has the consonant
  // skeleton of one of the query words (`words`, as keyed): "عبد الرحمن
  // خالد" / ABDUR RAHMAN KHALID, not "جعفر الأنصاري" / JAVIER NENOS REA.
  bool VariantSkeletonAnchored(const std::vector<std::string>& words, uint32_t name) const;
  // Full scores with corroboration, in hit order.
  std::vector<Scored> ScoreCandidates(const PartyQuery& query, const std::vector<QueryToken>& q,
                                      const std::vector<Cand>& cands, bool transliterated,
                                      const QueryPlan& plan, double min_score,
                                      const std::vector<uint32_t>& whole_skel) const;
  // Hits and near misses, one per merge group, within the options' caps.
  void CollectHits(const PartyQuery& query, const std::vector<QueryToken>& q,
                   const NormalizedName& norm, const std::vector<Scored>& scored,
                   const MatchOptions& options, const QueryPlan& plan, MatchResult* result) const;
  // The hit of one scored name, with its explanation.
  NameHit MakeHit(const PartyQuery& query, const std::vector<QueryToken>& q,
                  const NormalizedName& norm, const Scored& s, const MatchOptions& options,
                  const QueryPlan& plan) const;

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
  // Full alignment of the query against one listed name (see Aligner in
  // name_index_score.cc). Returns the name score; fills `alignment` when
  // explain is set.
  NameScore ScoreName(const std::vector<QueryToken>& q, uint32_t name, bool explain,
                      std::vector<TokenMatch>* alignment, bool transliterated = false) const;
  class Aligner;
  // True if every query token not in `used` is an organisation-unit word
  // (rules/org_units.tsv), one of at most kMaxUnitModifiers words right
  // before a unit head, a connector, a legal form, a number, or part of a
  // place phrase (a listed address's city or region, or a country name);
  // and at least one such token exists.
  bool ExtrasQualifyName(const std::vector<QueryToken>& q, const int8_t* used, size_t n) const;
  // Adds corroboration (country, address, identifier) to *score (left
  // unclamped), applies the containment floor (min_score) and decides
  // whether the hit is review-only; notes say why.
  void Corroborate(const PartyQuery& query, uint32_t name, const NameScore& ns,
                   bool query_has_legal, double min_score, double* score, bool* review_only,
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
  std::vector<uint8_t> token_rare_;       // weight >= kRareWeight, df small
  std::vector<uint8_t> token_in_person_;  // in some listed person's name
  double unknown_weight_ = 1;
  // Names.
  std::vector<uint32_t> name_entity_;
  std::vector<uint32_t> name_number_;
  std::vector<uint32_t> name_tok_off_;
  std::vector<uint32_t> name_toks_;
  // Parallel to name_toks_: 1 for a listed name's trailing acronym in
  // parentheses ("HAQQANI NETWORK (HQN)", "... (JNIM)"), else 0.
  std::vector<uint8_t> name_tok_acronym_;
  // Per name: the weight of all its tokens and of its non-legal tokens,
  // side by side (PickCandidates reads both for each candidate: one cache
  // line instead of two on a large index).
  struct NameWeights {
    float all = 0;
    float distinct = 0;
  };
  std::vector<NameWeights> name_weights_;
  // Postings.
  std::vector<uint32_t> post_off_;
  std::vector<uint32_t> post_names_;
  // Deletion neighbourhood and joined pairs.
  std::vector<uint64_t> del_keys_;
  std::vector<uint32_t> del_tokens_;
  KeyDirectory del_dir_;
  std::vector<uint64_t> pair_keys_;
  std::vector<uint32_t> pair_names_;
  KeyDirectory pair_dir_;
  // Consonant skeleton -> token (Arabic-script queries).
  std::vector<uint64_t> skel_keys_;
  std::vector<uint32_t> skel_tokens_;
  KeyDirectory skel_dir_;
  // Containment key -> [begin, end) in contain_names_.
  absl::flat_hash_map<uint64_t, std::pair<uint32_t, uint32_t>> contain_ranges_;
  std::vector<uint32_t> contain_names_;
  // Whole-name skeleton hash -> name, sorted by hash.
  std::vector<std::pair<uint64_t, uint32_t>> whole_skel_;
  // Normalised place phrases ("kuala lumpur"), at most kMaxPlaceTokens.
  absl::flat_hash_set<std::string> places_;
  size_t memory_bytes_ = 0;
};

}  // namespace exportscreen::matching::index_internal

#endif  // EXPORTSCREEN_SERVICES_MATCHING_NAME_INDEX_IMPL_H_
