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
// alignment, add corroboration, keep the best name per entity
// (name_index_match.cc, name_index_score.cc). This file builds the index.
#include "services/matching/name_index.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/matching/name_index_impl.h"
#include "services/matching/org_units_data.h"
#include "services/matching/normalizer.h"

namespace exportscreen::matching {
namespace index_internal {
namespace {

template <typename T>
size_t VecBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

}  // namespace

const absl::flat_hash_set<std::string>& CommonWords() {
  static const auto* set = new absl::flat_hash_set<std::string>{"technology",
                                                                "technologies",
                                                                "international",
                                                                "trading",
                                                                "group",
                                                                "industries",
                                                                "industry",
                                                                "industrial",
                                                                "bank",
                                                                "university",
                                                                "institute",
                                                                "research",
                                                                "engineering",
                                                                "electronics",
                                                                "electronic",
                                                                "services",
                                                                "service",
                                                                "holding",
                                                                "holdings",
                                                                "enterprise",
                                                                "enterprises",
                                                                "shipping",
                                                                "general",
                                                                "national",
                                                                "import",
                                                                "export",
                                                                "development",
                                                                "investment",
                                                                "systems",
                                                                "science",
                                                                "equipment",
                                                                "manufacturing",
                                                                "the",
                                                                "of",
                                                                "and",
                                                                "for",
                                                                "de",
                                                                "la",
                                                                "al",
                                                                "el",
                                                                "china",
                                                                "beijing",
                                                                "shanghai",
                                                                "shenzhen",
                                                                "iran",
                                                                "russia",
                                                                "global",
                                                                "network",
                                                                "communication",
                                                                "communications",
                                                                "center",
                                                                "company",
                                                                "logistics",
                                                                "energy",
                                                                "oil",
                                                                "gas",
                                                                "petroleum",
                                                                "chemical",
                                                                "trade",
                                                                "commercial",
                                                                "aviation",
                                                                "electric",
                                                                "machinery",
                                                                "materials",
                                                                "products",
                                                                "solutions",
                                                                "management",
                                                                "construction",
                                                                "world",
                                                                "new",
                                                                "east",
                                                                "west",
                                                                "north",
                                                                "south",
                                                                "star",
                                                                "sea",
                                                                "ship",
                                                                "trust",
                                                                "capital",
                                                                "finance",
                                                                "financial",
                                                                "mohammad",
                                                                "mohammed",
                                                                "muhammad",
                                                                "ali",
                                                                "ahmad",
                                                                "ahmed",
                                                                "hassan",
                                                                "hussein",
                                                                "abdul",
                                                                "bin",
                                                                "ibn",
                                                                "abu",
                                                                "van",
                                                                "der",
                                                                "von",
                                                                "da",
                                                                "do",
                                                                "dos",
                                                                "y"};
  return *set;
}

absl::StatusOr<std::unique_ptr<const NameIndex>> NameIndexImpl::Create(
    std::vector<IndexEntity> entities) {
  auto index = std::unique_ptr<NameIndexImpl>(new NameIndexImpl);
  absl::Status s = index->SetEntities(std::move(entities));
  if (!s.ok()) return s;
  index->BuildMergeGroups();
  index->InternNames();
  index->BuildPostings();
  index->ComputeWeights();
  index->BuildDeletions();
  index->BuildPairs();
  index->BuildSkeletons();
  index->BuildContainKeys();
  index->BuildPlaces();
  index->BuildWholeSkeletons();
  index->memory_bytes_ = index->EstimateMemory();
  return std::unique_ptr<const NameIndex>(std::move(index));
}

absl::Status NameIndexImpl::SetEntities(std::vector<IndexEntity> entities) {
  {
    absl::flat_hash_set<uint32_t> seen;
    seen.reserve(entities.size());
    for (const IndexEntity& e : entities) {
      if (!seen.insert(e.ordinal).second) {
        return absl::InvalidArgumentError(absl::StrCat("duplicate entity ordinal ", e.ordinal));
      }
    }
  }
  entities_ = std::move(entities);
  // Deterministic order regardless of the caller's order.
  std::sort(entities_.begin(), entities_.end(),
            [](const IndexEntity& a, const IndexEntity& b) { return a.ordinal < b.ordinal; });
  return absl::OkStatus();
}

void NameIndexImpl::BuildMergeGroups() {
  absl::flat_hash_map<std::string, uint32_t> first;
  entity_group_.resize(entities_.size());
  for (uint32_t e = 0; e < entities_.size(); ++e) {
    entity_group_[e] = e;
    const std::string& key = entities_[e].merge_key;
    if (key.empty()) continue;
    auto [it, inserted] = first.try_emplace(key, e);
    if (!inserted) {
      entity_group_[e] = it->second;
      auto& members = group_members_[it->second];
      if (members.empty()) members.push_back(it->second);
      members.push_back(e);
    }
  }
}

namespace {

// True if `text` ends with one word of 2-8 letters and digits in
// parentheses after at least two other words, and that word is the last
// normalised token: the lists write a name's acronym so ("HAQQANI NETWORK
// (HQN)", "AL-QAIDA IN THE ARABIAN PENINSULA (AQAP)").
bool TrailingAcronym(absl::string_view text, const NormalizedName& norm) {
  text = absl::StripAsciiWhitespace(text);
  if (norm.tokens.size() < 3 || !absl::EndsWith(text, ")")) return false;
  const size_t open = text.rfind('(');
  if (open == absl::string_view::npos) return false;
  absl::string_view inside = text.substr(open + 1, text.size() - open - 2);
  if (inside.size() < 2 || inside.size() > 8) return false;
  int letters = 0;
  for (char c : inside) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
    letters += absl::ascii_isalpha(static_cast<unsigned char>(c)) ? 1 : 0;
  }
  return letters >= 2 && !norm.tokens.back().legal_form &&
         norm.tokens.back().text == absl::AsciiStrToLower(inside);
}

}  // namespace

void NameIndexImpl::InternNames() {
  NormalizedName norm;
  name_tok_off_.push_back(0);
  auto add_name = [&](uint32_t entity, uint32_t number, const std::string& text) {
    NormalizeName(text, /*record_steps=*/false, &norm);
    if (norm.tokens.empty()) return;
    name_entity_.push_back(entity);
    name_number_.push_back(number);
    const bool acronym = TrailingAcronym(text, norm);
    for (size_t i = 0; i < norm.tokens.size(); ++i) {
      const NormalizedToken& t = norm.tokens[i];
      name_tok_acronym_.push_back(acronym && i + 1 == norm.tokens.size() ? 1 : 0);
      auto [it, inserted] = vocab_.try_emplace(t.text, static_cast<uint32_t>(token_df_.size()));
      if (inserted) {
        token_df_.push_back(0);
        token_legal_.push_back(t.legal_form ? 1 : 0);
        token_off_.push_back(static_cast<uint32_t>(token_chars_.size()));
        token_chars_.append(t.text);
      }
      name_toks_.push_back(it->second);
    }
    name_tok_off_.push_back(static_cast<uint32_t>(name_toks_.size()));
  };
  for (uint32_t e = 0; e < entities_.size(); ++e) {
    const IndexEntity& ent = entities_[e];
    add_name(e, 0, ent.primary_name);
    for (uint32_t a = 0; a < ent.aliases.size(); ++a) {
      add_name(e, a + 1, ent.aliases[a].first);
    }
  }
  token_off_.push_back(static_cast<uint32_t>(token_chars_.size()));
}

void NameIndexImpl::BuildPostings() {
  const uint32_t num_names = static_cast<uint32_t>(name_entity_.size());
  const uint32_t num_tokens = static_cast<uint32_t>(token_df_.size());
  post_off_.assign(num_tokens + 1, 0);
  for (uint32_t n = 0; n < num_names; ++n) {
    for (uint32_t k = name_tok_off_[n]; k < name_tok_off_[n + 1]; ++k) {
      uint32_t t = name_toks_[k];
      bool dup = false;
      for (uint32_t j = name_tok_off_[n]; j < k; ++j) dup |= name_toks_[j] == t;
      if (!dup) ++token_df_[t];
    }
  }
  for (uint32_t t = 0; t < num_tokens; ++t) {
    post_off_[t + 1] = post_off_[t] + token_df_[t];
  }
  post_names_.resize(post_off_[num_tokens]);
  {
    std::vector<uint32_t> fill(post_off_.begin(), post_off_.end() - 1);
    for (uint32_t n = 0; n < num_names; ++n) {
      for (uint32_t k = name_tok_off_[n]; k < name_tok_off_[n + 1]; ++k) {
        uint32_t t = name_toks_[k];
        bool dup = false;
        for (uint32_t j = name_tok_off_[n]; j < k; ++j) dup |= name_toks_[j] == t;
        if (!dup) post_names_[fill[t]++] = n;
      }
    }
  }
}

void NameIndexImpl::ComputeWeights() {
  const uint32_t num_names = static_cast<uint32_t>(name_entity_.size());
  const uint32_t num_tokens = static_cast<uint32_t>(token_df_.size());
  const double n_eff = num_names + kPriorNames;
  unknown_weight_ = std::log1p(n_eff);
  token_weight_.resize(num_tokens);
  token_rare_.assign(num_tokens, 0);
  token_in_person_.assign(num_tokens, 0);
  for (uint32_t n = 0; n < num_names; ++n) {
    const IndexEntity& e = entities_[name_entity_[n]];
    if (!e.is_person && e.type != PartyType::kPerson) continue;
    for (uint32_t k = name_tok_off_[n]; k < name_tok_off_[n + 1]; ++k) {
      token_in_person_[name_toks_[k]] = 1;
    }
  }
  const auto& common = CommonWords();
  for (uint32_t t = 0; t < num_tokens; ++t) {
    if (token_legal_[t]) {
      token_weight_[t] = kLegalWeight;
      continue;
    }
    double df = token_df_[t];
    bool is_common = common.contains(TokenText(t));
    if (is_common) df += kCommonPrior;
    token_weight_[t] = static_cast<float>(std::log1p(n_eff / df));
    token_rare_[t] = !is_common && token_weight_[t] >= kRareWeight && token_df_[t] <= kContainMaxDf;
  }
  name_weights_.resize(num_names);
  for (uint32_t n = 0; n < num_names; ++n) {
    double w = 0, d = 0;
    for (uint32_t k = name_tok_off_[n]; k < name_tok_off_[n + 1]; ++k) {
      w += token_weight_[name_toks_[k]];
      if (!token_legal_[name_toks_[k]]) d += token_weight_[name_toks_[k]];
    }
    name_weights_[n] = {static_cast<float>(w), static_cast<float>(d)};
  }
}

void NameIndexImpl::BuildDeletions() {
  const uint32_t num_tokens = static_cast<uint32_t>(token_df_.size());
  std::vector<std::pair<uint64_t, uint32_t>> dels;
  for (uint32_t t = 0; t < num_tokens; ++t) {
    absl::string_view s = TokenText(t);
    if (token_legal_[t] || s.size() < kMinFuzzyLen || s.size() > kMaxFuzzyLen || IsNumeric(s)) {
      continue;
    }
    dels.emplace_back(Fnv(s), t);
    for (size_t i = 0; i < s.size(); ++i) {
      if (i > 0 && s[i] == s[i - 1]) continue;  // same deletion
      dels.emplace_back(Fnv(s.substr(0, i), s.substr(i + 1)), t);
    }
  }
  std::sort(dels.begin(), dels.end());
  del_keys_.reserve(dels.size());
  del_tokens_.reserve(dels.size());
  for (const auto& [k, t] : dels) {
    del_keys_.push_back(k);
    del_tokens_.push_back(t);
  }
  del_dir_.Build(del_keys_);
}

void NameIndexImpl::BuildPairs() {
  const uint32_t num_names = static_cast<uint32_t>(name_entity_.size());
  std::vector<std::pair<uint64_t, uint32_t>> pairs;
  for (uint32_t n = 0; n < num_names; ++n) {
    for (uint32_t k = name_tok_off_[n]; k + 1 < name_tok_off_[n + 1]; ++k) {
      uint32_t a = name_toks_[k], b = name_toks_[k + 1];
      if (token_legal_[a] || token_legal_[b]) continue;
      pairs.emplace_back(Fnv(TokenText(a), TokenText(b)), n);
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  pair_keys_.reserve(pairs.size());
  pair_names_.reserve(pairs.size());
  for (const auto& [k, n] : pairs) {
    pair_keys_.push_back(k);
    pair_names_.push_back(n);
  }
  pair_dir_.Build(pair_keys_);
}

const OrgUnitWords& OrgUnits() {
  static const OrgUnitWords* words = [] {
    auto* w = new OrgUnitWords;
    for (absl::string_view line : absl::StrSplit(kOrgUnitsTsv, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (line.empty() || line[0] == '#') continue;
      std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
      if (f.size() < 2) continue;
      if (f[1] == "head") w->heads.insert(std::string(f[0]));
      if (f[1] == "connector") w->connectors.insert(std::string(f[0]));
    }
    return w;
  }();
  return *words;
}

void NameIndexImpl::BuildWholeSkeletons() {
  const uint32_t num_names = static_cast<uint32_t>(name_entity_.size());
  std::vector<absl::string_view> toks;
  for (uint32_t n = 0; n < num_names; ++n) {
    toks.clear();
    for (uint32_t k = name_tok_off_[n]; k < name_tok_off_[n + 1]; ++k) {
      if (!token_legal_[name_toks_[k]]) toks.push_back(TokenText(name_toks_[k]));
    }
    std::string key = WholeSkeleton(toks, /*listed=*/true, [](absl::string_view t) { return t; });
    if (key.size() >= kMinWholeSkeletonMulti) whole_skel_.emplace_back(Fnv(key), n);
  }
  std::sort(whole_skel_.begin(), whole_skel_.end());
}

void NameIndexImpl::BuildPlaces() {
  NormalizedName norm;
  std::string phrase;
  for (const IndexEntity& e : entities_) {
    for (const std::string& place : e.places) {
      for (absl::string_view part : absl::StrSplit(place, ',')) {
        NormalizeName(part, /*record_steps=*/false, &norm);
        if (norm.tokens.empty() || norm.tokens.size() > kMaxPlaceTokens) continue;
        phrase.clear();
        for (const NormalizedToken& t : norm.tokens) {
          if (!phrase.empty()) phrase.push_back(' ');
          phrase += t.text;
        }
        if (phrase.size() >= 3) places_.insert(phrase);
      }
    }
  }
}

void NameIndexImpl::BuildContainKeys() {
  const uint32_t num_names = static_cast<uint32_t>(name_entity_.size());
  std::vector<std::pair<uint64_t, uint32_t>> keys;
  std::vector<uint32_t> distinct;
  for (uint32_t n = 0; n < num_names; ++n) {
    const IndexEntity& e = entities_[name_entity_[n]];
    if (e.is_person || e.type == PartyType::kPerson) continue;
    distinct.clear();
    for (uint32_t k = name_tok_off_[n]; k < name_tok_off_[n + 1]; ++k) {
      if (!token_legal_[name_toks_[k]]) distinct.push_back(name_toks_[k]);
    }
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    if (distinct.empty()) continue;
    // The two rarest (smallest df, then smallest id): the shortest lists.
    std::sort(distinct.begin(), distinct.end(), [this](uint32_t a, uint32_t b) {
      return token_df_[a] != token_df_[b] ? token_df_[a] < token_df_[b] : a < b;
    });
    const uint32_t a = distinct[0];
    const uint32_t b = distinct.size() > 1 ? distinct[1] : distinct[0];
    keys.emplace_back(ContainKey(a, b), n);
  }
  std::sort(keys.begin(), keys.end());
  contain_names_.reserve(keys.size());
  for (size_t i = 0; i < keys.size();) {
    size_t j = i;
    while (j < keys.size() && keys[j].first == keys[i].first) {
      contain_names_.push_back(keys[j].second);
      ++j;
    }
    contain_ranges_[keys[i].first] = {static_cast<uint32_t>(i), static_cast<uint32_t>(j)};
    i = j;
  }
}

void NameIndexImpl::BuildSkeletons() {
  const uint32_t num_tokens = static_cast<uint32_t>(token_df_.size());
  std::vector<std::pair<uint64_t, uint32_t>> skels;
  for (uint32_t t = 0; t < num_tokens; ++t) {
    if (token_legal_[t]) continue;
    std::string sk = ArabicSkeleton(TokenText(t), /*listed=*/true);
    if (sk.size() >= 2) skels.emplace_back(Fnv(sk), t);
  }
  std::sort(skels.begin(), skels.end());
  skel_keys_.reserve(skels.size());
  skel_tokens_.reserve(skels.size());
  for (const auto& kt : skels) {
    skel_keys_.push_back(kt.first);
    skel_tokens_.push_back(kt.second);
  }
  skel_dir_.Build(skel_keys_);
}

size_t NameIndexImpl::EstimateMemory() const {
  size_t bytes = 0;
  for (const IndexEntity& e : entities_) {
    bytes += sizeof(IndexEntity) + e.primary_name.capacity();
    for (const auto& a : e.aliases) bytes += sizeof(a) + a.first.capacity();
    for (const auto& s : e.countries) bytes += sizeof(s) + s.capacity();
    for (const auto& s : e.address_parts) bytes += sizeof(s) + s.capacity();
    for (const auto& s : e.identifiers) bytes += sizeof(s) + s.capacity();
  }
  bytes +=
      vocab_.capacity() * (sizeof(std::string) + sizeof(uint32_t) + 1) + token_chars_.capacity();
  bytes += VecBytes(token_off_) + VecBytes(token_df_) + VecBytes(token_weight_) +
           VecBytes(token_legal_) + VecBytes(name_entity_) + VecBytes(name_number_) +
           VecBytes(name_tok_off_) + VecBytes(name_toks_) + VecBytes(name_tok_acronym_) +
           VecBytes(name_weights_) + VecBytes(token_rare_) + VecBytes(token_in_person_) +
           VecBytes(entity_group_) + VecBytes(post_off_) + VecBytes(post_names_) +
           VecBytes(del_keys_) + VecBytes(del_tokens_) + VecBytes(pair_keys_) +
           VecBytes(skel_keys_) + del_dir_.bytes() + pair_dir_.bytes() + skel_dir_.bytes() +
           VecBytes(skel_tokens_) + VecBytes(pair_names_) + VecBytes(contain_names_) +
           VecBytes(whole_skel_) +
           contain_ranges_.size() * (sizeof(uint64_t) + 2 * sizeof(uint32_t));
  for (const std::string& p : places_) bytes += sizeof(p) + p.capacity();
  return bytes;
}

}  // namespace index_internal

absl::StatusOr<std::unique_ptr<const NameIndex>> NameIndex::Build(
    std::vector<IndexEntity> entities) {
  return index_internal::NameIndexImpl::Create(std::move(entities));
}

}  // namespace exportscreen::matching
