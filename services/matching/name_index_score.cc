// NameIndex scoring: the full token alignment of a query against one listed
// name (ScoreName) and the corroboration of a hit by country, address,
// identifiers, name kind and party type (Corroborate).
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/countries.h"
#include "services/matching/name_index_impl.h"
#include "services/matching/normalizer.h"

namespace exportscreen::matching::index_internal {
namespace {

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

}  // namespace

// The alignment of a query against one listed name: which query token
// matches which listed token, how (exact, split, joined, fuzzy, initial,
// consonant skeleton) and how well, and what that says about containment.
// The passes run in a fixed order; a token taken by one pass is not taken
// again. One Aligner per (query, name), on the stack of ScoreName.
class NameIndexImpl::Aligner {
 public:
  Aligner(const NameIndexImpl& ix, const std::vector<QueryToken>& q, uint32_t name, bool explain,
          std::vector<TokenMatch>* alignment)
      : ix_(ix),
        q_(q),
        name_(name),
        lb_(ix.name_tok_off_[name]),
        // Both sides are capped at kMaxTokens by the normaliser; stay in
        // bounds regardless.
        m_(std::min<uint32_t>(ix.name_tok_off_[name + 1] - lb_, static_cast<uint32_t>(kMaxTokens))),
        n_(std::min(q.size(), kMaxTokens)),
        explain_(explain),
        alignment_(alignment) {
    for (size_t i = 0; i < n_; ++i) q_w_[i] = q_[i].weight;
  }

  NameScore Run(bool transliterated) {
    SplitPass();
    ExactPass();
    CollectPairs();
    AcceptBestPairs();
    Totals();
    if (matched_distinct_ <= 0 || total_ <= 0) return result_;
    result_.score = std::clamp(matched_ / total_, 0.0, 1.0);
    result_.score_full = result_.score;
    if (acronym_discount_ > 0) {
      result_.score = std::clamp(matched_ / (total_ - acronym_discount_), 0.0, 1.0);
      result_.acronym_discounted = true;
    }
    result_.exact = exact_pairs_ == static_cast<int>(n_) && exact_pairs_ == static_cast<int>(m_);
    Containment(transliterated);
    return result_;
  }

 private:
  struct Pair {
    int qi, qj, li, lj;  // qj/lj: second token for joined/split, else -1
    double sim;
    const char* kind;
  };

  double ListedWeight(uint32_t k) const {
    return double(ix_.token_weight_[ix_.name_toks_[lb_ + k]]);
  }
  absl::string_view ListedText(uint32_t k) const { return ix_.TokenText(ix_.name_toks_[lb_ + k]); }

  // Takes pair p into the alignment: marks its tokens used and adds its
  // weight to the score.
  void Accept(const Pair& p) {
    double wl = ListedWeight(p.li) + (p.lj >= 0 ? ListedWeight(p.lj) : 0);
    // The query side of a fuzzy, joined or split match weighs what the
    // listed side weighs (an unknown misspelling is not extra rare).
    double wq;
    if (p.qj >= 0) {
      q_w_[p.qi] = wl / 2;
      q_w_[p.qj] = wl / 2;
      wq = wl;
    } else if (q_[p.qi].id >= 0 && std::strcmp(p.kind, "exact") == 0) {
      wq = q_w_[p.qi];
    } else {
      q_w_[p.qi] = wl;
      wq = wl;
    }
    matched_ += p.sim * (wq + wl);
    bool legal = ix_.token_legal_[ix_.name_toks_[lb_ + p.li]];
    if (!legal) {
      matched_distinct_ += p.sim * wl;
      ++result_.distinct_matched;
      const bool exact_kind = std::strcmp(p.kind, "exact") == 0;
      all_distinct_exact_ &= exact_kind;
      // The rare anchor must be matched exactly (a misspelt common word
      // can be rare in the lists: "electonics").
      rare_matched_ |= exact_kind && ix_.token_rare_[ix_.name_toks_[lb_ + p.li]] != 0;
      any_rare_ |= ix_.token_rare_[ix_.name_toks_[lb_ + p.li]] != 0 ||
                   (p.lj >= 0 && ix_.token_rare_[ix_.name_toks_[lb_ + p.lj]] != 0);
    }
    if (p.qj < 0 && p.lj < 0 && std::strcmp(p.kind, "exact") == 0) ++exact_pairs_;
    if (std::strcmp(p.kind, "skeleton") == 0) result_.skeleton = true;
    q_used_[p.qi] = 1;
    if (p.qj >= 0) q_used_[p.qj] = 1;
    l_used_[p.li] = 1;
    if (p.lj >= 0) l_used_[p.lj] = 1;
    if (explain_) {
      std::string qt(q_[p.qi].text), lt(ListedText(p.li));
      if (p.qj >= 0) absl::StrAppend(&qt, " ", q_[p.qj].text);
      if (p.lj >= 0) absl::StrAppend(&lt, " ", ListedText(p.lj));
      alignment_->push_back(TokenMatch{qt, lt, p.kind, p.sim, wl});
    }
  }

  // Pass 0: query words split inside a listed word ("mosto trest"), before
  // an abbreviation expansion of the first half can take an exact match.
  void SplitPass() {
    for (size_t i = 0; i + 1 < n_; ++i) {
      if (q_[i].legal || q_[i + 1].legal || q_used_[i] || q_used_[i + 1]) continue;
      const size_t len = q_[i].raw.size() + q_[i + 1].raw.size();
      for (uint32_t k = 0; k < m_; ++k) {
        absl::string_view lt = ListedText(k);
        if (l_used_[k] || lt.size() != len) {
          continue;
        }
        if (lt.substr(0, q_[i].raw.size()) == q_[i].raw &&
            lt.substr(q_[i].raw.size()) == q_[i + 1].raw) {
          Accept(Pair{int(i), int(i + 1), int(k), -1, 1.0, "split"});
          break;
        }
      }
    }
  }

  // Pass 1: exact token matches (by id), in query order.
  void ExactPass() {
    for (size_t i = 0; i < n_; ++i) {
      if (q_[i].id < 0 || q_used_[i]) continue;
      for (uint32_t k = 0; k < m_; ++k) {
        if (!l_used_[k] && ix_.name_toks_[lb_ + k] == static_cast<uint32_t>(q_[i].id)) {
          Accept(Pair{static_cast<int>(i), -1, static_cast<int>(k), -1, 1.0, "exact"});
          break;
        }
      }
    }
  }

  // Pass 2: fuzzy, joined, split and initials among the rest (candidates).
  void CollectPairs() {
    std::string& buf = LocalScratch().buf;
    for (size_t i = 0; i < n_; ++i) {
      if (q_used_[i] || q_[i].legal) continue;
      for (uint32_t k = 0; k < m_; ++k) {
        if (l_used_[k] || ix_.token_legal_[ix_.name_toks_[lb_ + k]]) continue;
        absl::string_view lt = ListedText(k);
        // A trailing acronym ("(HQN)") is never matched by an Arabic-script
        // word's skeleton: "حقانی" must not take "hqn" from "haqqani".
        if (!q_[i].skeletons.empty() && ix_.name_tok_acronym_[lb_ + k] == 0) {
          const std::string lsk = ArabicSkeleton(lt, /*listed=*/true);
          if (!lsk.empty() && std::find(q_[i].skeletons.begin(), q_[i].skeletons.end(), lsk) !=
                                  q_[i].skeletons.end()) {
            // "altkryty" ~ "al tikriti": the article is matched too.
            if (k > 0 && !l_used_[k - 1] && ListedText(k - 1) == "al" &&
                absl::StartsWith(q_[i].text, "al")) {
              pairs_.push_back({int(i), -1, int(k - 1), int(k), kSkeletonSim, "skeleton"});
            } else {
              pairs_.push_back({int(i), -1, int(k), -1, kSkeletonSim, "skeleton"});
            }
          }
          // "bd allh" ~ "abdallah": two query words, one listed word.
          if (!lsk.empty() && i + 1 < n_ && !q_used_[i + 1] && !q_[i + 1].skeletons.empty()) {
            if (joined_for_ != i) {
              joined_for_ = i;
              joined_skeletons_ = QuerySkeletons(absl::StrCat(q_[i].text, q_[i + 1].text));
            }
            const std::vector<std::string>& jsk = joined_skeletons_;
            if (std::find(jsk.begin(), jsk.end(), lsk) != jsk.end()) {
              pairs_.push_back({int(i), int(i + 1), int(k), -1, kSkeletonSim, "skeleton"});
            }
          }
        }
        if (q_[i].exact_only) continue;
        double s = FuzzySim(q_[i].text, lt);
        if (s > 0) pairs_.push_back({int(i), -1, int(k), -1, s, "fuzzy"});
        if (q_[i].text.size() == 1 && lt.size() > 1 && lt[0] == q_[i].text[0]) {
          pairs_.push_back({int(i), -1, int(k), -1, 0.5, "initial"});
        } else if (lt.size() == 1 && q_[i].text.size() > 1 && q_[i].text[0] == lt[0]) {
          pairs_.push_back({int(i), -1, int(k), -1, 0.5, "initial"});
        }
        // Query "hua wei" vs listed "huawei".
        if (i + 1 < n_ && !q_used_[i + 1] && !q_[i + 1].legal) {
          buf.assign(q_[i].raw.data(), q_[i].raw.size());
          buf.append(q_[i + 1].raw.data(), q_[i + 1].raw.size());
          double js = FuzzySim(buf, lt);
          if (js > 0) pairs_.push_back({int(i), int(i + 1), int(k), -1, js, "split"});
        }
        // Query "huawei" vs listed "hua wei".
        if (k + 1 < m_ && !l_used_[k + 1] && !ix_.token_legal_[ix_.name_toks_[lb_ + k + 1]]) {
          absl::string_view lt2 = ListedText(k + 1);
          if (lt.size() + lt2.size() == q_[i].text.size() &&
              q_[i].text.substr(0, lt.size()) == lt && q_[i].text.substr(lt.size()) == lt2) {
            pairs_.push_back({int(i), -1, int(k), int(k + 1), 1.0, "joined"});
          }
        }
      }
    }
  }

  // Pass 2, continued: the candidate pairs are taken best first.
  void AcceptBestPairs() {
    if (!pairs_.empty()) {
      std::stable_sort(pairs_.begin(), pairs_.end(), [&](const Pair& a, const Pair& b) {
        double wa = a.sim * (ListedWeight(a.li) + (a.lj >= 0 ? ListedWeight(a.lj) : 0));
        double wb = b.sim * (ListedWeight(b.li) + (b.lj >= 0 ? ListedWeight(b.lj) : 0));
        return wa > wb;
      });
      for (const Pair& p : pairs_) {
        if (q_used_[p.qi] || (p.qj >= 0 && q_used_[p.qj]) || l_used_[p.li] ||
            (p.lj >= 0 && l_used_[p.lj])) {
          continue;
        }
        Accept(p);
      }
    }
  }

  // Pass 3: legal forms of different kinds are neutral to each other (a
  // missing or different legal form costs only its small weight).
  void Totals() {
    for (size_t i = 0; i < n_; ++i) {
      total_ += q_w_[i];
      if (!q_used_[i]) {
        ++result_.extra_query;
        if (explain_) {
          alignment_->push_back(
              TokenMatch{std::string(q_[i].text), "", "unmatched_query", 0, q_w_[i]});
        }
      }
    }
    for (uint32_t k = 0; k < m_; ++k) {
      total_ += ListedWeight(k);
      if (!l_used_[k] && ix_.name_tok_acronym_[lb_ + k] != 0) {
        acronym_discount_ += std::max(0.0, ListedWeight(k) - kLegalWeight);
      }
      const bool legal = ix_.token_legal_[ix_.name_toks_[lb_ + k]] != 0;
      if (!legal) total_distinct_ += ListedWeight(k);
      if (!l_used_[k]) {
        if (!legal) ++unmatched_listed_distinct_;
        if (explain_) {
          alignment_->push_back(
              TokenMatch{"", std::string(ListedText(k)), "unmatched_listed", 0, ListedWeight(k)});
        }
      }
    }
  }

  // Containment: every distinctive listed token found, one of them rare.
  // Persons are not contained (a person's name among other words is
  // judged by the symmetric score: the other words are other names). A
  // name of common words only is contained when it has at least three of
  // them, all exact. A name with one distinctive word needs it exact, at
  // least 3 characters (5 after transliteration) and in no listed
  // person's name (not a given name such as "Lena" or "Martin").
  void Containment(bool transliterated) {
    const IndexEntity& ent = ix_.entities_[ix_.name_entity_[name_]];
    const bool person = ent.is_person || ent.type == PartyType::kPerson;
    bool single_ok = true;
    if (result_.distinct_matched == 1) {
      single_ok = all_distinct_exact_;
      for (uint32_t k = 0; k < m_; ++k) {
        const uint32_t tok = ix_.name_toks_[lb_ + k];
        if (ix_.token_legal_[tok]) continue;
        if (ListedText(k).size() < (transliterated ? 5u : 3u) || ix_.token_in_person_[tok] != 0) {
          single_ok = false;
        }
      }
    }
    const bool org = !person;
    const bool anchored = rare_matched_ || (result_.distinct_matched >= 3 && all_distinct_exact_);
    const bool covered = unmatched_listed_distinct_ == 0 && total_distinct_ > 0 &&
                         matched_distinct_ >= kContainCoverage * total_distinct_;
    result_.contained = org && single_ok && anchored && covered;
    // A weak name (common or short words, a given name) is contained too
    // when all its words are found exactly and every extra query word is a
    // unit, a place, a legal form, a number or a connector: "GE Hong Kong
    // Regional Office", "LENA (Yerevan)". Not across scripts (short
    // transliterated tokens are noise there).
    if (!result_.contained && org && covered && all_distinct_exact_ && !transliterated &&
        result_.extra_query > 0 && ix_.ExtrasQualifyName(q_, q_used_.data(), n_)) {
      result_.contained = true;
      result_.qualified = true;
    }
    result_.rare_matched = any_rare_;
  }

  const NameIndexImpl& ix_;
  const std::vector<QueryToken>& q_;
  const uint32_t name_;
  const uint32_t lb_;
  const uint32_t m_;
  const size_t n_;
  const bool explain_;
  std::vector<TokenMatch>* alignment_;
  // Small fixed-size bookkeeping (names and queries are capped at 64).
  std::array<int8_t, kMaxTokens> q_used_{};
  std::array<int8_t, kMaxTokens> l_used_{};
  std::array<double, kMaxTokens> q_w_{};
  double matched_ = 0;           // numerator
  double matched_distinct_ = 0;  // weight of matched non-legal listed tokens
  int exact_pairs_ = 0;
  bool rare_matched_ = false;
  bool any_rare_ = false;
  bool all_distinct_exact_ = true;  // every matched non-legal token exact
  std::vector<Pair> pairs_;
  double total_ = 0;
  double acronym_discount_ = 0;
  // Skeletons of query words joined_for_ and joined_for_ + 1 written as one.
  size_t joined_for_ = SIZE_MAX;
  std::vector<std::string>
      joined_skeletons_;  // an unmatched trailing acronym's weight beyond kLegalWeight
  double total_distinct_ = 0;
  int unmatched_listed_distinct_ = 0;
  NameScore result_;
};

bool NameIndexImpl::ExtrasQualifyName(const std::vector<QueryToken>& q, const int8_t* used,
                                      size_t n) const {
  const OrgUnitWords& units = OrgUnits();
  std::array<bool, kMaxTokens> ok{};
  bool any_extra = false;
  for (size_t i = 0; i < n; ++i) {
    if (used[i]) {
      ok[i] = true;
      continue;
    }
    any_extra = true;
    const QueryToken& t = q[i];
    const std::string text(t.text);
    // A legal form the query's position hid from the normaliser ("Yerevan
    // AO ISS ...") is still a legal form of the listed vocabulary.
    const bool legal_word =
        (t.id >= 0 && token_legal_[static_cast<uint32_t>(t.id)]) || IsLegalFormWord(t.text);
    if (t.legal || legal_word || t.numeric || units.connectors.contains(text)) {
      ok[i] = true;
    }
    if (units.heads.contains(text)) {
      ok[i] = true;
      // Up to kMaxUnitModifiers words before the head ("Trading Branch",
      // "R and D Center": connectors do not count).
      size_t modifiers = 0;
      for (size_t k = i; k-- > 0 && !used[k] && modifiers < kMaxUnitModifiers;) {
        ok[k] = true;
        if (!units.connectors.contains(std::string(q[k].text))) ++modifiers;
      }
    }
  }
  if (!any_extra) return false;
  std::string phrase;
  std::string code;
  for (size_t i = 0; i < n;) {
    if (used[i]) {
      ++i;
      continue;
    }
    size_t len = 0;
    for (size_t l = std::min(kMaxPlaceTokens, n - i); l >= 1 && len == 0; --l) {
      phrase.clear();
      bool free = true;
      for (size_t k = i; k < i + l; ++k) {
        free &= !used[k];
        if (k > i) phrase.push_back(' ');
        phrase.append(q[k].text.data(), q[k].text.size());
      }
      // Country names always; a listed address's one-word city only if
      // no listed person carries the word ("Pereira", "Martin").
      const bool person_word =
          l == 1 && q[i].id >= 0 && token_in_person_[static_cast<uint32_t>(q[i].id)] != 0;
      if (free && phrase.size() >= 3 &&
          (countries::LookupName(phrase, &code) || (!person_word && places_.contains(phrase)))) {
        len = l;
      }
    }
    if (len == 0) {
      ++i;
      continue;
    }
    for (size_t k = i; k < i + len; ++k) ok[k] = true;
    i += len;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!ok[i]) return false;
  }
  return true;
}

NameIndexImpl::NameScore NameIndexImpl::ScoreName(const std::vector<QueryToken>& q, uint32_t name,
                                                  bool explain, std::vector<TokenMatch>* alignment,
                                                  bool transliterated) const {
  return Aligner(*this, q, name, explain, alignment).Run(transliterated);
}

void NameIndexImpl::Corroborate(const PartyQuery& query, uint32_t name, const NameScore& ns,
                                bool query_has_legal, double min_score, double* score,
                                bool* review_only, std::vector<std::string>* notes) const {
  const uint32_t entity = name_entity_[name];
  const IndexEntity& e = entities_[entity];
  bool country_conflict = false;
  if (!query.country.empty() && !e.countries.empty()) {
    std::string qc = absl::AsciiStrToUpper(query.country);
    if (std::find(e.countries.begin(), e.countries.end(), qc) != e.countries.end()) {
      *score += kCountryMatchBonus;
      notes->push_back(absl::StrCat("country match ", qc));
    } else {
      country_conflict = true;
      *score -= kCountryConflictPenalty;
      notes->push_back(absl::StrCat("country conflict ", qc, " vs ", e.countries.front()));
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
        if (t.text.size() >= 3 && !CommonWords().contains(t.text) && listed.contains(t.text)) {
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
    notes->push_back(
        absl::StrCat("listed name contained, ", ns.extra_query, " extra query word(s)"));
    if (ns.qualified) {
      // A weak name found only through its unit and place words: REVIEW,
      // never BLOCK.
      *review_only = true;
      notes->push_back("review only: extra words are units or places of the listed name");
    }
    if (*score < min_score) {
      *score = min_score;
      *review_only = true;
      notes->push_back("review only: containment");
    }
  }
  // An Arabic-script name with the listed name's whole consonant skeleton
  // (token boundaries differ: "عبدالرحمان" / "ABDUL RAHMAN"): REVIEW,
  // never BLOCK (unvowelled script is ambiguous).
  if (ns.whole_skeleton) {
    notes->push_back("Arabic-script name, same consonant skeleton as the listed name");
    *review_only = true;
    if (*score < min_score) *score = min_score;
  }
  // Review, never block.
  const PartyType listed_type = e.type != PartyType::kUnknown
                                    ? e.type
                                    : (e.is_person ? PartyType::kPerson : PartyType::kUnknown);
  PartyType query_type = query.type;
  if (query_type == PartyType::kUnknown && query_has_legal) {
    query_type = PartyType::kOrganization;  // a legal form: a company
  }
  if (query_type != PartyType::kUnknown && listed_type != PartyType::kUnknown &&
      query_type != listed_type) {
    *review_only = true;
    notes->push_back(absl::StrCat("review only: type conflict ", TypeName(query_type),
                                  " vs listed ", TypeName(listed_type)));
  }
  const uint32_t number = name_number_[name];
  if (number > 0 && e.aliases[number - 1].second == NameKind::kWeakAlias) {
    *review_only = true;
    notes->push_back("review only: weak a.k.a.");
  }
  if (ns.acronym_discounted) {
    *review_only = true;
    notes->push_back("review only: the listed name's acronym in parentheses is not in the query");
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

}  // namespace exportscreen::matching::index_internal
