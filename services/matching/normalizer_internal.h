// Internal to services/matching: the normaliser's data tables and its
// ICU path. Not part of the module's API (see normalizer.h); include only
// from services/matching/normalizer*.cc.
//   normalizer_tables.cc   legal forms, the Han glossary, abbreviations,
//                          legal-word typos, company words (built once);
//   normalizer_unicode.cc  non-ASCII input: repair, NFKC, transliteration;
//   normalizer.cc          NormalizeName's stages over ASCII tokens.
// Thread-safety: the tables are immutable after first use; transliterators
// are per thread.
#ifndef EXPORTSCREEN_SERVICES_MATCHING_NORMALIZER_INTERNAL_H_
#define EXPORTSCREEN_SERVICES_MATCHING_NORMALIZER_INTERNAL_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "services/matching/normalizer.h"

namespace exportscreen::matching::normalizer_internal {

// Phrase tables. Keys are space-joined normalised tokens.

struct PhraseEntry {
  std::string canonical;  // space-separated replacement tokens
  bool legal = false;
  bool edge_only = false;  // only at the start or in the last 3 tokens
};

inline std::string BagKey(std::vector<std::string> words) {
  std::sort(words.begin(), words.end());
  return absl::StrJoin(words, " ");
}

struct PhraseTable {
  absl::flat_hash_map<std::string, PhraseEntry> map;
  absl::flat_hash_set<std::string> first_words;
  // Multi-word phrases by their sorted words ("limited company ltd" in any
  // order), for legal forms written in another order than listed.
  absl::flat_hash_map<std::string, PhraseEntry> bags;
  absl::flat_hash_set<std::string> bag_words;
  size_t max_len = 1;
  void Add(absl::string_view phrase, absl::string_view canonical, bool legal,
           bool edge_only = false) {
    std::vector<std::string> words = absl::StrSplit(phrase, ' ');
    max_len = std::max(max_len, words.size());
    first_words.insert(words[0]);
    map[phrase] = PhraseEntry{std::string(canonical), legal, edge_only};
    if (legal && words.size() >= 2 && !edge_only) {
      bool spelled = true;  // "l l c", "s a": letters, not words
      for (const auto& w : words) spelled &= w.size() == 1;
      if (!spelled) {
        for (const auto& w : words) bag_words.insert(w);
        bags.try_emplace(BagKey(words), PhraseEntry{std::string(canonical), legal, false});
      }
    }
  }
};

// Legal forms ("co ltd" -> "co", legal) and their canonical tokens.
const PhraseTable& LegalForms();
const absl::flat_hash_set<std::string>& CanonicalLegal();
// Chinese words transliterated from Han script -> their English gloss.
const PhraseTable& HanGlossary();
// Abbreviations of ordinary words (rules/abbreviations.tsv).
const absl::flat_hash_map<std::string, std::string>& Abbreviations();

// Words of multi-word legal forms, with their one-deletion neighbourhoods,
// so that "compnay" or "limted" still forms a legal phrase.
struct LegalWordTypos {
  absl::flat_hash_map<std::string, std::vector<std::string>> by_key;
  absl::flat_hash_set<std::string> words;
};
const LegalWordTypos& LegalWords();
// The legal word `token` is one edit away from, "" if none.
std::string CorrectLegalWord(absl::string_view token);
// Words that make a "X, Y" name a company rather than "LAST, First".
const absl::flat_hash_set<std::string>& CompanyWords();

// Decodes, repairs, NFKC-normalises, folds and transliterates non-ASCII
// input into a string the ASCII tokenizer understands. Sets *had_han.
std::string UnicodePath(absl::string_view raw, bool record, std::vector<std::string>* steps,
                        bool* had_han, bool* transliterated, bool* arabic, bool* arabic_letters);
// Loads the ICU data and this thread's transliterators.
void WarmUpTransliterators();

}  // namespace exportscreen::matching::normalizer_internal

#endif  // EXPORTSCREEN_SERVICES_MATCHING_NORMALIZER_INTERNAL_H_
