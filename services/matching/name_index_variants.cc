// NameIndex matching, MatchDetailed: the name as written (MatchSingle,
// name_index_match.cc), then each script's part of a name written in two
// scripts, the name with its Arabic organisation words translated
// (rules/arabic_glossary.tsv) and with an Arabic letter in another reading
// (rules/arabic_spellings.tsv), and a Cyrillic name with a letter in another
// reading (rules/cyrillic_readings.tsv). Parts merge like the name's own hits;
// translated and re-read hits are only added, as REVIEW, into free slots.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/matching/arabic_glossary.h"
#include "services/matching/name_index_impl.h"
#include "services/matching/normalizer.h"

namespace exportscreen::matching::index_internal {

namespace {

bool HasAsciiLetter(absl::string_view s) {
  for (char c : s) {
    if (absl::ascii_isalpha(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

// True if `s` has a letter of a script other than Latin (UTF-8 lead bytes
// from U+0340 on, except the punctuation block U+2000-U+2FFF: curly quotes
// and dashes are not another script).
bool HasNonAscii(absl::string_view s) {
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0xCD && c != 0xE2) return true;
  }
  return false;
}

// A name written in two scripts with one in parentheses, as the lists
// write original-script names ("Ibrahim Hassan Tali Asiri (إبراهيم حسن
// طالع عسيري)", "حسن غول (Hassan Ghul; Hassan Gul)"): the text outside
// the parentheses and each ';'-separated name inside, at most
// kMaxScriptParts. Empty if the name is not of that shape.
inline constexpr size_t kMaxScriptParts = 4;
std::vector<std::string> ScriptParts(absl::string_view name) {
  std::vector<std::string> parts;
  const size_t open = name.find('(');
  const size_t close = name.rfind(')');
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open) {
    return parts;
  }
  std::string outside = absl::StrCat(name.substr(0, open), " ", name.substr(close + 1));
  absl::string_view inside = name.substr(open + 1, close - open - 1);
  const bool mixed = (HasNonAscii(outside) && HasAsciiLetter(inside)) ||
                     (HasAsciiLetter(outside) && !HasNonAscii(outside) && HasNonAscii(inside));
  if (!mixed) return parts;
  parts.push_back(std::move(outside));
  for (absl::string_view p : absl::StrSplit(inside, ';')) {
    if (parts.size() >= kMaxScriptParts) break;
    p = absl::StripAsciiWhitespace(p);
    if (!p.empty()) parts.emplace_back(p);
  }
  return parts;
}

// Adds `from`'s hits to `into`, one per listed entity (the better one).
void MergeHits(std::vector<NameHit>&& from, std::vector<NameHit>* into) {
  for (NameHit& h : from) {
    bool merged = false;
    for (NameHit& g : *into) {
      if (g.ordinal != h.ordinal) continue;
      merged = true;
      if ((h.exact && !g.exact) || (h.exact == g.exact && h.rank_score > g.rank_score)) {
        g = std::move(h);
      }
      break;
    }
    if (!merged) into->push_back(std::move(h));
  }
}

// Adds the hits (or near misses, `as_hits` false) of a translated or
// re-read variant of the query to `into`, each REVIEW and not exact, only
// for entities (any merged row of them) without a hit already, and only
// into free slots (at most `cap`): an added hit never evicts, replaces or
// weakens what the name as written found. A near miss of the name as
// written that the variant finds as a hit becomes that REVIEW hit (the
// near-miss filter after the tries drops it from near_misses).
void AddTranslatedHits(std::vector<NameHit>&& from, const std::string& note,
                       const MatchResult& found, bool as_hits, size_t cap,
                       std::vector<NameHit>* into) {
  auto same = [](const NameHit& a, const NameHit& b) {
    if (a.ordinal == b.ordinal) return true;
    for (uint32_t d : a.duplicate_ordinals) {
      if (d == b.ordinal) return true;
    }
    for (uint32_t d : b.duplicate_ordinals) {
      if (d == a.ordinal) return true;
    }
    return false;
  };
  auto has = [&](const std::vector<NameHit>& v, const NameHit& h) {
    for (const NameHit& g : v) {
      if (same(g, h)) return true;
    }
    return false;
  };
  for (NameHit& h : from) {
    if (into->size() >= cap) break;
    if (has(found.hits, h) || (!as_hits && has(found.near_misses, h)) || has(*into, h)) continue;
    h.exact = false;
    h.review_only = true;
    h.corroboration.push_back(note);
    into->push_back(std::move(h));
  }
}

// Adds `name` with each "reading" of rules/arabic_spellings.tsv applied
// (every FROM letter written as TO), one try per reading present, with the
// note its hits carry.
void AddLetterReadings(absl::string_view name,
                       std::vector<std::pair<std::string, std::string>>* tries) {
  for (const auto& [f, t] : ArabicSpellingTable().readings_utf8) {
    if (!absl::StrContains(name, f)) continue;
    tries->emplace_back(absl::StrReplaceAll(name, {{f, t}}),
                        absl::StrCat("review only: Arabic letter ", f, " read as ", t,
                                     " (rules/arabic_spellings.tsv)"));
  }
}

// Adds `name` with each reading of rules/cyrillic_readings.tsv applied
// (every FROM, in any case, written as TO), one try per reading present.
void AddCyrillicReadings(absl::string_view name,
                         std::vector<std::pair<std::string, std::string>>* tries) {
  if (!HasNonAscii(name)) return;  // the common case: no Cyrillic letter
  for (const CyrillicReading& r : CyrillicReadingTable()) {
    bool present = false;
    for (const auto& c : r.cased) present |= absl::StrContains(name, c.first);
    if (!present) continue;
    std::vector<std::pair<absl::string_view, absl::string_view>> subs;
    for (const auto& c : r.cased) subs.emplace_back(c.first, c.second);
    tries->emplace_back(absl::StrReplaceAll(name, subs),
                        absl::StrCat("review only: Cyrillic ", r.from, " read as ", r.to,
                                     " (rules/cyrillic_readings.tsv)"));
  }
}

void SortAndCap(std::vector<NameHit>* hits, size_t cap, bool keep_exact) {
  std::stable_sort(hits->begin(), hits->end(), [](const NameHit& a, const NameHit& b) {
    if (a.exact != b.exact) return a.exact;
    if (a.rank_score != b.rank_score) return a.rank_score > b.rank_score;
    return a.ordinal < b.ordinal;
  });
  std::vector<NameHit> kept;
  for (NameHit& h : *hits) {
    if (kept.size() < cap ||
        (keep_exact && h.exact && kept.size() < index_internal::kMaxExactHits)) {
      kept.push_back(std::move(h));
    }
  }
  *hits = std::move(kept);
}

}  // namespace

absl::StatusOr<MatchResult> NameIndexImpl::MatchDetailed(const PartyQuery& query,
                                                         const MatchOptions& options) const {
  absl::StatusOr<MatchResult> result = MatchSingle(query, options);
  if (!result.ok()) return result;
  const std::vector<std::string> parts = ScriptParts(query.name);
  // The name with its Arabic organisation words translated
  // (rules/arabic_glossary.tsv), and with an Arabic letter in another
  // reading (rules/arabic_spellings.tsv, "reading"): only entities found
  // no other way are added, each REVIEW.
  const GlossaryVariants translated = ArabicGlossaryVariants(query.name);
  std::vector<std::pair<std::string, std::string>> tries;
  for (const std::string& name : translated.names) {
    tries.emplace_back(name, absl::StrCat("review only: Arabic words translated (",
                                          absl::StrJoin(translated.translated, ", "), ")"));
  }
  AddLetterReadings(query.name, &tries);
  AddCyrillicReadings(query.name, &tries);
  if (parts.empty() && tries.empty()) return result;
  // Each script's name on its own too: hits can only be added.
  for (const std::string& part : parts) {
    PartyQuery q = query;
    q.name = part;
    absl::StatusOr<MatchResult> r = MatchSingle(q, options);
    if (!r.ok()) continue;  // e.g. a part with no letters
    MergeHits(std::move(r->hits), &result->hits);
    MergeHits(std::move(r->near_misses), &result->near_misses);
  }
  for (const auto& [name, note] : tries) {
    PartyQuery q = query;
    q.name = name;
    absl::StatusOr<MatchResult> r = MatchSingle(q, options);
    if (!r.ok()) continue;
    AddTranslatedHits(std::move(r->hits), note, *result, /*as_hits=*/true, options.max_hits,
                      &result->hits);
    AddTranslatedHits(std::move(r->near_misses), note, *result, /*as_hits=*/false,
                      options.max_near_misses, &result->near_misses);
  }
  SortAndCap(&result->hits, options.max_hits, /*keep_exact=*/true);
  // A near miss of one part may be a hit of another.
  std::vector<NameHit> near;
  for (NameHit& h : result->near_misses) {
    bool is_hit = false;
    for (const NameHit& g : result->hits) is_hit |= g.ordinal == h.ordinal;
    if (!is_hit) near.push_back(std::move(h));
  }
  result->near_misses = std::move(near);
  SortAndCap(&result->near_misses, options.max_near_misses, /*keep_exact=*/false);
  return result;
}

}  // namespace exportscreen::matching::index_internal
