// NameIndex matching: MatchSingle as stages (MatchDetailed, which runs it
// on the name and its variants, is in name_index_variants.cc). Normalise
// the query, expand
// each query token (exact, fuzzy, joined, split, consonant skeleton), walk
// the postings from the rarest expansion to the most common one
// accumulating an estimated score per name (no new names once none can
// reach the threshold), rescore the best few candidates with a full token
// alignment (name_index_score.cc), keep the best name per entity.
#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/ascii.h"
#include "services/matching/name_index_impl.h"
#include "services/matching/normalizer.h"

namespace exportscreen::matching::index_internal {
namespace {

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

}  // namespace

void NameIndexImpl::FuzzyTokens(absl::string_view text, std::vector<uint32_t>* out) const {
  out->clear();
  if (text.size() < kMinFuzzyLen || text.size() > kMaxFuzzyLen || IsNumeric(text)) {
    return;
  }
  auto probe = [&](uint64_t key) {
    const auto [lo, hi] = del_dir_.Find(del_keys_, key);
    for (uint32_t k = lo; k < hi; ++k) out->push_back(del_tokens_[k]);
  };
  probe(Fnv(text));
  for (size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && text[i] == text[i - 1]) continue;
    probe(Fnv(text.substr(0, i), text.substr(i + 1)));
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

absl::StatusOr<MatchResult> NameIndexImpl::MatchSingle(const PartyQuery& query,
                                                       const MatchOptions& options) const {
  if (query.name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("name longer than ", kMaxNameBytes, " bytes (", query.name.size(), ")"));
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
  QueryPlan plan;
  // Near misses widen the search down to near_miss_min.
  plan.want_near = options.max_near_misses > 0 && options.near_miss_min < options.min_score;
  plan.search_min = plan.want_near ? std::max(0.0, options.near_miss_min) : options.min_score;
  plan.want_hits = options.max_hits + (plan.want_near ? options.max_near_misses : 0);
  plan.floor_score = std::max(0.0, plan.search_min - kMaxBonus);

  std::vector<QueryToken> q;
  plan.query_has_legal = QueryTokens(norm, &q);
  double wq_total = 0;
  for (const QueryToken& t : q) wq_total += t.weight;
  std::vector<Expansion> exps;
  Expand(&q, &wq_total, &scratch.buf, &exps);
  const std::vector<double> remaining = RemainingBounds(exps, q.size());
  for (const QueryToken& t : q) {
    bool looked_up = false;
    for (const std::string& sk : t.skeletons) looked_up |= sk.size() >= 2;
    if (!t.skeletons.empty() && !looked_up) plan.unexpanded_bound += 2 * kSkeletonSim * t.weight;
  }
  const double skipped = Accumulate(exps, remaining, wq_total, plan, &scratch);
  std::vector<Cand> cands = PickCandidates(&scratch, skipped, wq_total, plan);
  AddContainedCandidates(q, &cands);
  std::vector<uint32_t> whole_skel;
  if (norm.arabic) whole_skel = AddWholeSkeletonCandidates(q, &cands);
  const std::vector<Scored> scored =
      ScoreCandidates(query, q, cands, norm.transliterated, plan, options.min_score, whole_skel);
  CollectHits(query, q, norm, scored, options, plan, &result);
  return result;
}

bool NameIndexImpl::QueryTokens(const NormalizedName& norm, std::vector<QueryToken>* out) const {
  std::vector<QueryToken>& q = *out;
  q.reserve(norm.tokens.size());
  bool query_has_legal = false;
  for (const NormalizedToken& t : norm.tokens) {
    QueryToken qt;
    qt.text = t.text;
    qt.raw = t.unexpanded.empty() ? absl::string_view(t.text) : absl::string_view(t.unexpanded);
    qt.id = Lookup(t.text);
    qt.legal = t.legal_form;
    qt.numeric = t.numeric;
    qt.exact_only = norm.transliterated && t.text.size() <= kShortTranslitLen;
    if (norm.arabic && !t.legal_form) {
      auto add_skel = [&qt](absl::string_view w) {
        for (std::string& sk : QuerySkeletons(w)) {
          if (std::find(qt.skeletons.begin(), qt.skeletons.end(), sk) == qt.skeletons.end()) {
            qt.skeletons.push_back(std::move(sk));
          }
        }
      };
      absl::string_view w = t.text;
      add_skel(w);
      if (w.size() > 1 && w.back() == 't') add_skel(w.substr(0, w.size() - 1));
      // The article after a prefix: "wal" (and the), "bal" (in / with the),
      // "lil" (for the): "والمسلمين" / WAL-MUSLIMIN, AL-MUSLIMIN.
      for (absl::string_view prefix : {"wal", "bal", "lil"}) {
        if (w.size() >= 7 && absl::StartsWith(w, prefix)) add_skel(w.substr(3));
      }
      if (w.size() >= 5 && absl::StartsWith(w, "al")) {
        absl::string_view rest = w.substr(2);
        add_skel(rest);
        if (rest.size() > 1 && rest.back() == 't') {
          add_skel(rest.substr(0, rest.size() - 1));
        }
      }
    }
    qt.weight = qt.legal ? kLegalWeight : qt.id >= 0 ? token_weight_[qt.id] : UnknownWeight();
    query_has_legal |= qt.legal;
    q.push_back(qt);
  }
  return query_has_legal;
}

void NameIndexImpl::Expand(std::vector<QueryToken>* query, double* wq_total_io, std::string* buf,
                           std::vector<Expansion>* out) const {
  std::vector<QueryToken>& q = *query;
  double& wq_total = *wq_total_io;
  std::vector<Expansion>& exps = *out;
  // Expansions: exact, fuzzy, split (query "hua wei" -> "huawei") and
  // joined (query "huawei" -> listed "hua wei").
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
      exps.push_back({f, token_df_[f], 2 * s * token_weight_[f], -1, -1, uint32_t(i)});
    }
    for (const std::string& sk : t.skeletons) {
      if (sk.size() < 2) continue;  // one consonant: scored, not looked up
      const uint64_t key = Fnv(sk);
      const auto [lo, hi] = skel_dir_.Find(skel_keys_, key);
      for (uint32_t k = lo; k < hi; ++k) {
        const uint32_t f = skel_tokens_[k];
        if (static_cast<int32_t>(f) == t.id) continue;
        exps.push_back({f, token_df_[f], 2 * kSkeletonSim * token_weight_[f], -1, -1, uint32_t(i)});
      }
    }
    // Two Arabic-script words written as one listed word ("مطيع الله" /
    // MATIULLAH): the joined consonant skeleton.
    if (i + 1 < q.size() && !t.skeletons.empty() && !q[i + 1].skeletons.empty()) {
      for (const std::string& sk : QuerySkeletons(absl::StrCat(t.text, q[i + 1].text))) {
        if (sk.size() < 3) continue;
        const auto [lo, hi] = skel_dir_.Find(skel_keys_, Fnv(sk));
        for (uint32_t k = lo; k < hi; ++k) {
          const uint32_t f = skel_tokens_[k];
          exps.push_back(
              {f, token_df_[f], 2 * kSkeletonSim * token_weight_[f], -1, -1, uint32_t(i)});
        }
      }
    }
    if (i + 1 < q.size() && !q[i + 1].legal) {
      buf->assign(t.raw.data(), t.raw.size());
      buf->append(q[i + 1].raw.data(), q[i + 1].raw.size());
      int32_t id = Lookup(*buf);
      if (id >= 0 && !token_legal_[id]) {
        exps.push_back(
            {static_cast<uint32_t>(id), token_df_[id], 2 * token_weight_[id], -1, -1, uint32_t(i)});
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
    const auto [lo, hi] = pair_dir_.Find(pair_keys_, key);
    if (lo != hi) {
      Expansion e{0, hi - lo, 2 * t.weight, -1, -1, uint32_t(i)};
      e.pair_lo = static_cast<int32_t>(lo);
      e.pair_hi = static_cast<int32_t>(hi);
      exps.push_back(e);
    }
  }
  std::sort(exps.begin(), exps.end(), [](const Expansion& a, const Expansion& b) {
    if (a.df != b.df) return a.df < b.df;
    if (a.pair_lo != b.pair_lo) return a.pair_lo < b.pair_lo;
    return a.token < b.token;
  });
}

std::vector<double> NameIndexImpl::RemainingBounds(const std::vector<Expansion>& exps,
                                                   size_t query_tokens) {
  // remaining[i]: the most a name first seen at expansion i can gain, i.e.
  // over query tokens, the best contribution among expansions >= i (a
  // query token matches at most once; a split pair counts for two).
  std::vector<double> remaining(exps.size() + 1, 0);
  std::vector<double> best(query_tokens + 1, 0);
  double sum = 0;
  for (size_t i = exps.size(); i-- > 0;) {
    double& b = best[exps[i].qtok];
    if (exps[i].contribution > b) {
      sum += exps[i].contribution - b;
      b = exps[i].contribution;
    }
    remaining[i] = sum;
  }
  return remaining;
}

double NameIndexImpl::Accumulate(const std::vector<Expansion>& exps,
                                 const std::vector<double>& remaining, double wq_total,
                                 const QueryPlan& plan, Scratch* scratch) const {
  std::vector<float>& acc = scratch->acc;
  std::vector<uint32_t>& touched = scratch->touched;
  if (acc.size() < name_entity_.size()) acc.resize(name_entity_.size(), 0);
  touched.clear();
  const double floor_score = plan.floor_score;
  // Contributions of common expansions that were not walked: added to every
  // candidate's estimate as an optimistic bound.
  double skipped = plan.unexpanded_bound;
  bool admitting = true;
  for (size_t i = 0; i < exps.size(); ++i) {
    const Expansion& e = exps[i];
    // A name first seen now matches at most `remaining[i]`.
    const double r = remaining[i] + plan.unexpanded_bound;
    if (admitting && r / (wq_total + r / 2) < floor_score * 0.9) {
      admitting = false;
    }
    // A rare listed token still admits new names: the query may contain a
    // listed name among extra words (containment).
    const bool admit = admitting || (e.pair_lo < 0 && token_rare_[e.token] != 0);
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
    // A long posting list scatters into `acc` (4 bytes per name, megabytes
    // on a large index): the entry kPrefetchAhead names on is fetched early.
    const uint32_t* names =
        e.pair_lo >= 0 ? &pair_names_[e.pair_lo] : &post_names_[post_off_[e.token]];
    const size_t count = e.pair_lo >= 0 ? size_t(e.pair_hi - e.pair_lo)
                                        : size_t(post_off_[e.token + 1] - post_off_[e.token]);
    for (size_t k = 0; k < count; ++k) {
      if (k + kPrefetchAhead < count) __builtin_prefetch(&acc[names[k + kPrefetchAhead]], 1);
      add(names[k]);
    }
  }
  return skipped;
}

std::vector<NameIndexImpl::Cand> NameIndexImpl::PickCandidates(Scratch* scratch, double skipped,
                                                               double wq_total,
                                                               const QueryPlan& plan) const {
  std::vector<float>& acc = scratch->acc;
  const std::vector<uint32_t>& touched = scratch->touched;
  const double floor_score = plan.floor_score;
  std::vector<Cand> cands;
  cands.reserve(std::min<size_t>(touched.size(), 4096));
  for (size_t i = 0; i < touched.size(); ++i) {
    if (i + kPrefetchAhead < touched.size()) {
      __builtin_prefetch(&name_weights_[touched[i + kPrefetchAhead]]);
    }
    const uint32_t name = touched[i];
    // Not capped at 1: with common tokens skipped, capped estimates tie
    // and the cut below would drop names by number, not by merit.
    double est = (acc[name] + skipped) / (wq_total + name_weights_[name].all);
    // Listed-side coverage: a listed name contained in a longer query.
    const double dw = name_weights_[name].distinct;
    if (dw > 0 && (acc[name] + skipped) >= 2 * kContainCoverage * dw * 0.95) {
      est = std::max(est, std::max(floor_score, 0.5));
    }
    acc[name] = 0;
    if (est >= floor_score * 0.65) {
      cands.push_back({static_cast<float>(est), name});
    }
  }
  const size_t keep = std::max<size_t>(24, plan.want_hits * 3);
  auto by_est = [](const Cand& a, const Cand& b) {
    return a.est != b.est ? a.est > b.est : a.name < b.name;
  };
  if (cands.size() > keep) {
    std::nth_element(cands.begin(), cands.begin() + keep, cands.end(), by_est);
    cands.resize(keep);
  }
  std::sort(cands.begin(), cands.end(), by_est);
  return cands;
}

void NameIndexImpl::AddContainedCandidates(const std::vector<QueryToken>& q,
                                           std::vector<Cand>* cands) const {
  if (contain_ranges_.empty()) return;
  std::array<uint32_t, kMaxContainQueryTokens> ids;
  size_t n = 0;
  for (const QueryToken& t : q) {
    if (t.legal || t.id < 0 || n == ids.size()) continue;
    const uint32_t id = static_cast<uint32_t>(t.id);
    if (std::find(ids.begin(), ids.begin() + n, id) == ids.begin() + n) {
      ids[n++] = id;
    }
  }
  const size_t before = cands->size();
  auto add_range = [&](uint64_t key) {
    auto it = contain_ranges_.find(key);
    if (it == contain_ranges_.end()) return;
    for (uint32_t k = it->second.first;
         k < it->second.second && cands->size() - before < kMaxContainCands; ++k) {
      const uint32_t name = contain_names_[k];
      bool seen = false;
      for (const Cand& c : *cands) seen |= c.name == name;
      if (!seen) cands->push_back({0.0f, name});
    }
  };
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i; j < n; ++j) add_range(ContainKey(ids[i], ids[j]));
  }
}

std::vector<uint32_t> NameIndexImpl::AddWholeSkeletonCandidates(const std::vector<QueryToken>& q,
                                                                std::vector<Cand>* cands) const {
  std::vector<uint32_t> names;
  // The words of the name (legal forms aside) and those written with the
  // article.
  std::vector<absl::string_view> words;
  std::vector<size_t> article;
  for (const QueryToken& t : q) {
    if (t.legal || t.text.empty()) continue;
    if (t.text.size() >= 4 && absl::StartsWith(t.text, "al") &&
        article.size() < kMaxArticleVariants) {
      article.push_back(words.size());
    }
    words.push_back(t.text);
  }
  const size_t min_len = words.size() >= 2 ? kMinWholeSkeletonMulti : kMinWholeSkeleton;
  // Keys tried: the name as transliterated; with the article of some words
  // assimilated or left out ("شمس الدين" / SHAMSUDDIN, "عبد الرحمن" /
  // ABDUR RAHMAN); with a letter in another Latin spelling (qaf as "g",
  // rules/arabic_spellings.tsv). Each adds candidates, none removes one.
  std::vector<const std::pair<std::string, std::string>*> variants = {nullptr};
  for (const auto& v : ArabicSpellingTable().variants) {
    bool present = false;
    for (absl::string_view w : words) present |= absl::StrContains(w, v.first);
    if (present) variants.push_back(&v);
  }
  std::vector<uint64_t> tried;
  std::vector<std::string> texts(words.size());
  for (const auto* variant : variants) {
    for (uint32_t mask = 0; mask < (1u << article.size()); ++mask) {
      for (size_t i = 0; i < words.size(); ++i) {
        absl::string_view w = words[i];
        for (size_t a = 0; a < article.size(); ++a) {
          if (article[a] == i && (mask & (1u << a))) w.remove_prefix(2);
        }
        texts[i] = variant == nullptr ? std::string(w)
                                      : absl::StrReplaceAll(w, {{variant->first, variant->second}});
      }
      const std::string key = WholeSkeleton(
          texts, /*listed=*/false, [](const std::string& t) { return absl::string_view(t); });
      if (key.size() < min_len) continue;
      const uint64_t h = Fnv(key);
      if (std::find(tried.begin(), tried.end(), h) != tried.end()) continue;
      tried.push_back(h);
      const bool short_key = key.size() < kMinWholeSkeleton;
      const bool variant_key = variant != nullptr || mask != 0;
      auto lo =
          std::lower_bound(whole_skel_.begin(), whole_skel_.end(), std::make_pair(h, uint32_t{0}));
      for (auto it = lo;
           it != whole_skel_.end() && it->first == h && names.size() < kMaxContainCands; ++it) {
        if (short_key ? !ShortSkeletonAligned(texts, it->second)
                      : variant_key && !VariantSkeletonAnchored(texts, it->second)) {
          continue;
        }
        names.push_back(it->second);
        bool seen = false;
        for (const Cand& c : *cands) seen |= c.name == it->second;
        if (!seen) cands->push_back({0.0f, it->second});
      }
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

bool NameIndexImpl::ShortSkeletonAligned(const std::vector<std::string>& words,
                                         uint32_t name) const {
  auto one = [](absl::string_view w, bool listed) {
    return WholeSkeleton(
        std::array<absl::string_view, 1>{w}, listed, [](absl::string_view t) { return t; },
        /*merge_classes=*/false);
  };
  size_t next = 0;
  for (uint32_t k = name_tok_off_[name]; k < name_tok_off_[name + 1]; ++k) {
    const uint32_t tok = name_toks_[k];
    if (token_legal_[tok]) return false;
    const std::string listed = one(TokenText(tok), /*listed=*/true);
    std::string acc;
    while (acc.size() < listed.size() && next < words.size()) {
      const std::string piece = one(words[next++], /*listed=*/false);
      acc.append(piece, !acc.empty() && !piece.empty() && acc.back() == piece[0] ? 1 : 0);
    }
    if (acc != listed) return false;
  }
  return next == words.size();
}

bool NameIndexImpl::VariantSkeletonAnchored(const std::vector<std::string>& words,
                                            uint32_t name) const {
  const uint32_t lo = name_tok_off_[name], hi = name_tok_off_[name + 1];
  if (hi - lo == 1) return true;
  for (const std::string& w : words) {
    const std::string sk = ArabicSkeleton(w, /*listed=*/false);
    if (sk.size() < 2) continue;
    for (uint32_t k = lo; k < hi; ++k) {
      if (!token_legal_[name_toks_[k]] &&
          ArabicSkeleton(TokenText(name_toks_[k]), /*listed=*/true) == sk) {
        return true;
      }
    }
  }
  return false;
}

std::vector<NameIndexImpl::Scored> NameIndexImpl::ScoreCandidates(
    const PartyQuery& query, const std::vector<QueryToken>& q, const std::vector<Cand>& cands,
    bool transliterated, const QueryPlan& plan, double min_score,
    const std::vector<uint32_t>& whole_skel) const {
  const double floor_score = plan.floor_score;
  std::vector<Scored> scored;
  std::vector<std::string> notes;
  for (const Cand& c : cands) {
    NameScore ns = ScoreName(q, c.name, false, nullptr, transliterated);
    if (ns.acronym_discounted) {
      // A hit without the discount (its corroboration bonuses included) is
      // scored as before the discount existed.
      NameScore full = ns;
      full.score = ns.score_full;
      full.acronym_discounted = false;
      double s = full.score;
      bool review_only = false;
      notes.clear();
      Corroborate(query, c.name, full, plan.query_has_legal, min_score, &s, &review_only, &notes);
      if (s >= min_score) ns = full;
    }
    // Only where the token alignment fell short (an exact same-script
    // match stays what it is).
    ns.whole_skeleton = !ns.exact && ns.score < min_score &&
                        std::binary_search(whole_skel.begin(), whole_skel.end(), c.name);
    if (ns.score < floor_score && !ns.contained && !ns.whole_skeleton) continue;
    Scored sc{ns.score, ns.score, c.name, ns, false};
    notes.clear();
    Corroborate(query, c.name, ns, plan.query_has_legal,
                /*min_score=*/min_score, &sc.score, &sc.review_only, &notes);
    // A hit only through the acronym discount ranks at the threshold (as
    // the containment floor does), below any hit of the same entity's
    // other names.
    if (ns.acronym_discounted && sc.score >= min_score) sc.score = min_score;
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
  return scored;
}

void NameIndexImpl::CollectHits(const PartyQuery& query, const std::vector<QueryToken>& q,
                                const NormalizedName& norm, const std::vector<Scored>& scored,
                                const MatchOptions& options, const QueryPlan& plan,
                                MatchResult* result) const {
  absl::flat_hash_set<uint32_t> seen_groups;
  for (const Scored& s : scored) {
    const bool is_hit = s.score >= options.min_score;
    if (!is_hit && (!plan.want_near || s.score < plan.search_min)) continue;
    std::vector<NameHit>& out = is_hit ? result->hits : result->near_misses;
    const size_t cap = is_hit ? options.max_hits : options.max_near_misses;
    // Exact normalised matches are never cut off by max_hits (several
    // listed entities can share a name; the one meant must stay).
    const bool keep_exact = is_hit && s.ns.exact && out.size() < kMaxExactHits;
    if (out.size() >= cap && !keep_exact) continue;
    uint32_t ent = name_entity_[s.name];
    if (!seen_groups.insert(entity_group_[ent]).second) continue;
    out.push_back(MakeHit(query, q, norm, s, options, plan));
    if (!s.ns.exact && result->hits.size() >= options.max_hits &&
        (!plan.want_near || result->near_misses.size() >= options.max_near_misses)) {
      break;
    }
  }
}

NameHit NameIndexImpl::MakeHit(const PartyQuery& query, const std::vector<QueryToken>& q,
                               const NormalizedName& norm, const Scored& s,
                               const MatchOptions& options, const QueryPlan& plan) const {
  const uint32_t ent = name_entity_[s.name];
  const IndexEntity& e = entities_[ent];
  NameHit h;
  h.ordinal = e.ordinal;
  h.name_number = name_number_[s.name];
  h.kind = h.name_number == 0 ? NameKind::kPrimary : e.aliases[h.name_number - 1].second;
  h.matched_name = h.name_number == 0 ? e.primary_name : e.aliases[h.name_number - 1].first;
  h.rank_score = s.score;
  h.score = std::clamp(s.score, 0.0, 1.0);
  h.name_score = s.name_score;
  h.exact = s.ns.exact;
  h.contained = s.ns.contained && s.ns.extra_query > 0;
  h.review_only = s.review_only;
  if (norm.arabic_letters && !h.review_only) {
    // Letters mapped by rules/arabic_spellings.tsv ("letter"): REVIEW.
    h.review_only = true;
    h.corroboration.push_back("review only: Urdu/Pashto letters read as Arabic letters");
  }
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
  Corroborate(query, s.name, s.ns, plan.query_has_legal, options.min_score, &ignored,
              &ignored_review, &h.corroboration);
  if (auto it = group_members_.find(entity_group_[ent]); it != group_members_.end()) {
    for (uint32_t member : it->second) {
      if (member != ent) h.duplicate_ordinals.push_back(entities_[member].ordinal);
    }
    h.corroboration.push_back(
        absl::StrCat("merged ", it->second.size() - 1, " duplicate row(s) of the listed entity"));
  }
  return h;
}

}  // namespace exportscreen::matching::index_internal
