// Arabic-script organisation words translated (rules/arabic_glossary.tsv):
// an organisation's name written in Arabic is usually the translation of
// its listed English name ("الجماعة الإسلامية المسلحة" / ARMED ISLAMIC
// GROUP), which no transliteration reaches. The index tries such a name
// once more in each translated variant and adds only the entities found
// no other way, as REVIEW (NameIndexImpl::MatchDetailed).
//
// Thread-safety: all functions are thread-safe (the table is built once).
#ifndef EXPORTSCREEN_SERVICES_MATCHING_ARABIC_GLOSSARY_H_
#define EXPORTSCREEN_SERVICES_MATCHING_ARABIC_GLOSSARY_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace exportscreen::matching {

// At most this many translated variants of one name are tried: variant i
// takes every word's i-th translation (its last if it has fewer).
inline constexpr size_t kMaxGlossaryVariants = 4;

struct GlossaryVariants {
  // The name with its glossary words translated, every other word as
  // written; empty when no word other than a function word ("in", "and")
  // is in the glossary.
  std::vector<std::string> names;
  // The words translated, as "WORD -> english", for the explanation.
  std::vector<std::string> translated;
};
GlossaryVariants ArabicGlossaryVariants(absl::string_view name);

// The translations of one Arabic-script word as the matcher reads it (the
// article and the prefixes و ب ل لل removed, letters folded); empty if the
// word is not in the glossary.
std::vector<std::string> ArabicGlossaryLookup(absl::string_view word);

// An Arabic-script word with its letters folded as the glossary compares
// them (hamza seats, final yeh, teh marbuta, Persian letters, harakat).
std::string FoldArabicWord(absl::string_view word);

}  // namespace exportscreen::matching

#endif  // EXPORTSCREEN_SERVICES_MATCHING_ARABIC_GLOSSARY_H_
