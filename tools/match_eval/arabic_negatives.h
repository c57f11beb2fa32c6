// Arabic-script realistic negatives for match_eval: common Arabic and
// Persian personal names (and small business names) written in Arabic
// script, combined at random from a hand-compiled data file
// (tools/match_eval/data/arabic_script_names.tsv), with the names that
// correspond to a listed name dropped.
//
// Independent of the matcher: the correspondence check uses this file's own
// coarse romanisation (Arabic letters and Latin spellings both reduced to
// consonant classes), never services/matching's transliteration, skeletons
// or tables, so a loosening of the matcher cannot also loosen the check.
// Thread-compatible (plain functions).
#ifndef EXPORTSCREEN_TOOLS_MATCH_EVAL_ARABIC_NEGATIVES_H_
#define EXPORTSCREEN_TOOLS_MATCH_EVAL_ARABIC_NEGATIVES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace exportscreen::tools {

struct ArabicNegatives {
  // (kind, query): kinds "neg_script_arabic" and "neg_script_persian".
  std::vector<std::pair<std::string, std::string>> cases;
  size_t dropped = 0;  // generated names that correspond to a listed name
};

// Generates `per_kind` Arabic and `per_kind` / 2 Persian names from the data
// file at `data_path` with the seed `seed`, dropping those that correspond to
// one of `listed_names` (the lists' Latin names): the same consonant classes
// as a whole, or every word of one found among the other's words.
absl::StatusOr<ArabicNegatives> MakeArabicScriptNegatives(
    const std::string& data_path, const std::vector<std::string>& listed_names, size_t per_kind,
    uint64_t seed);

// This file's coarse romanisation, exposed for tests and --query use:
// consonant classes of an Arabic-script word and of a Latin word.
std::string ArabicClasses(const std::string& arabic_word);
std::string LatinClasses(const std::string& latin_word);

}  // namespace exportscreen::tools

#endif  // EXPORTSCREEN_TOOLS_MATCH_EVAL_ARABIC_NEGATIVES_H_
