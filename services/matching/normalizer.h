// Name normaliser: turns a raw party or listed name (arbitrary bytes, any
// script) into lower-case ASCII tokens that the fuzzy index compares.
//
// Steps, each recorded (when asked) for match explanations:
//   utf8_repair      invalid UTF-8 bytes become separators
//   nfkc             Unicode NFKC (full-width forms, ligatures ...)
//   casefold         Unicode case folding (ASCII lower-casing on the fast path)
//   transliterate:X  non-Latin scripts (Cyrillic via BGN, Greek, Arabic,
//                    Hebrew, Han to toneless pinyin, Hangul, Kana ...) to Latin
//   remove_accents   Latin-ASCII (accents, ligatures, sharp s ...)
//   punctuation      punctuation and spacing removed, "L.L.C." joined
//   person_order     "LAST, First" reordered to "first last"
//   legal_form_split:a->b c  a legal form glued to a word ("capitalllc")
//   legal_word_typo:a->b  a misspelt word of a legal form ("compnay")
//   legal_form:a->b  legal forms canonicalised ("co ltd" -> "ltd", "ooo" ->
//                    "llc", "aktsionernoe obshchestvo" -> "jsc" ...)
//   glossary:a->b    common company words of transliterated Han text
//                    ("ji shu" -> "technology"), only after Han-Latin
//   abbrev:a->b      common abbreviations ("intl" -> "international")
//   truncated        more than kMaxTokens tokens
// Numbers are kept as tokens (they are significant).
//
// Pure-ASCII input never touches ICU. Non-ASCII input uses ICU
// transliterators, which are created once per process and cloned once per
// thread (ICU transliterators are not safe for concurrent use).
//
// Thread-safety: all functions are thread-safe.
#ifndef EXPORTSCREEN_SERVICES_MATCHING_NORMALIZER_H_
#define EXPORTSCREEN_SERVICES_MATCHING_NORMALIZER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace exportscreen::matching {

struct NormalizedToken {
  std::string text;         // lower-case ASCII (or residual Unicode letters)
  bool legal_form = false;  // a canonical legal-form token ("ltd", "llc" ...)
  bool numeric = false;     // all digits
  // The token before abbreviation expansion ("intl" for "international"),
  // "" if not expanded; the index uses it to rejoin split words.
  std::string unexpanded;
};

struct NormalizedName {
  std::vector<NormalizedToken> tokens;
  // Steps applied, in order (only filled when record_steps is true).
  std::vector<std::string> steps;
  // The name was (partly) in a non-Latin script and transliterated: short
  // tokens (<= 5 letters) are then compared exactly, not fuzzily.
  bool transliterated = false;
  // The name was (partly) in Arabic script: its transliteration has no
  // short vowels ("hsyn" for Hussein), so the index also compares
  // consonant skeletons (ArabicSkeleton).
  bool arabic = false;
  // Urdu, Pashto or Persian letters were read as the Arabic letters they
  // are transliterated like (rules/arabic_spellings.tsv, "letter"): every
  // match of the name is then REVIEW, never BLOCK.
  bool arabic_letters = false;
  // Tokens joined by single spaces.
  std::string Joined() const;
  // Number of tokens that are not legal forms.
  size_t DistinctiveCount() const;
};

// Names longer than this many bytes are cut (at a character boundary)
// before normalisation; NameIndex::Match rejects them instead.
inline constexpr size_t kMaxNameBytes = 4096;
// At most this many tokens are kept.
inline constexpr size_t kMaxTokens = 64;

// Normalises `raw` into `out` (cleared first). Never fails: input without
// letters or digits yields no tokens.
void NormalizeName(absl::string_view raw, bool record_steps, NormalizedName* out);

// Consonant skeleton of a Latin token for comparing Arabic-script names
// with their Latin forms: vowels and y/w dropped, q as k, doubled letters
// once, "kh"/"sh"/"gh"/"th"/"dh" kept as one sound; for listed (Latin)
// tokens a final "ah"/"eh" (ta marbuta) loses its h. "" if no consonant.
// Both sides first go through the "spelling" rewrites of
// rules/arabic_spellings.tsv (French "ch" and "c": "FAYCAL" as "faysal").
// `split_digraphs`: "kh", "sh", "gh", "th", "dh" count as two consonants
// (a transliterated query word whose two letters only look like one:
// "صحراوي" as "shrawy" / SAHRAOUI, "تحریک" as "thryk" / TEHRIK).
std::string ArabicSkeleton(absl::string_view token, bool listed, bool split_digraphs = false);

// Arabic-script spelling data (rules/arabic_spellings.tsv, compiled in).
struct ArabicSpellings {
  // Latin spelling rewrites for consonant skeletons, longest FROM first.
  std::vector<std::pair<std::string, std::string>> spellings;
  // Other spellings of transliterated letters (qaf "q" as "g") tried for
  // whole-name keys, each alone.
  std::vector<std::pair<std::string, std::string>> variants;
  // Urdu / Pashto letter -> the Arabic letter it reads as (code points).
  std::vector<std::pair<uint32_t, uint32_t>> letters;
  // Another reading of an Arabic letter (code points): the index tries the
  // query once more with every FROM written as TO ("ضیا" read "زیا" /
  // ZIA in Persian) and adds the entities found only so, as REVIEW.
  std::vector<std::pair<uint32_t, uint32_t>> readings;
  // The same readings as UTF-8 strings (encoded once, at load).
  std::vector<std::pair<std::string, std::string>> readings_utf8;
};
const ArabicSpellings& ArabicSpellingTable();

// Another reading of a Cyrillic letter (rules/cyrillic_readings.tsv,
// compiled in): the index tries a query once more with every FROM written
// as TO and adds the entities found only so, as REVIEW.
struct CyrillicReading {
  std::string from;  // lower case, as in the table ("дж")
  std::string to;    // Latin, lower case ("j")
  // FROM in lower, upper and title case with TO in the same case
  // (дж -> j, ДЖ -> J, Дж -> J), each once.
  std::vector<std::pair<std::string, std::string>> cased;
};
const std::vector<CyrillicReading>& CyrillicReadingTable();

// True if `token` is one of the canonical legal-form tokens.
bool IsCanonicalLegalForm(absl::string_view token);

// True if `word` alone is a legal form anywhere in a name ("ao", "ltd",
// "gmbh"), including the forms recognised only at a name's edge.
bool IsLegalFormWord(absl::string_view word);

// Loads ICU data and the transliterators now (they are otherwise loaded on
// first non-ASCII use, which costs tens of milliseconds).
void WarmUpNormalizer();

}  // namespace exportscreen::matching

#endif  // EXPORTSCREEN_SERVICES_MATCHING_NORMALIZER_H_
