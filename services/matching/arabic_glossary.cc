#include "services/matching/arabic_glossary.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/matching/arabic_glossary_data.h"
#include "unicode/utf8.h"

namespace exportscreen::matching {
namespace {

// Letters folded as the glossary compares them; 0 drops the code point.
uint32_t FoldLetter(uint32_t c) {
  if ((c >= 0x064B && c <= 0x065F) || c == 0x0670 || c == 0x0640 || c == 0x200C || c == 0x200D) {
    return 0;  // harakat, superscript alef, tatweel, zero-width (non-)joiner
  }
  switch (c) {
    case 0x0622:  // alef with madda, hamza above / below, wasla
    case 0x0623:
    case 0x0625:
    case 0x0671:
      return 0x0627;
    case 0x0649:  // alef maksura; Persian, Urdu, Pashto yehs; yeh with hamza
    case 0x06CC:
    case 0x06D2:
    case 0x06D0:
    case 0x06CD:
    case 0x0626:
      return 0x064A;
    case 0x06A9:  // keheh
      return 0x0643;
    case 0x0629:  // teh marbuta (Arabic, Urdu), heh doachashmee, heh goal
    case 0x06C3:
    case 0x06BE:
    case 0x06C1:
      return 0x0647;
    case 0x0624:  // waw with hamza
      return 0x0648;
    case 0x0679:  // Urdu tteh, ddal, rreh
      return 0x062A;
    case 0x0688:
      return 0x062F;
    case 0x0691:
      return 0x0631;
    default:
      return c;
  }
}

bool IsArabicLetter(uint32_t c) {
  return (c >= 0x0600 && c <= 0x06FF) || (c >= 0x0750 && c <= 0x077F) || c == 0x200C || c == 0x200D;
}

// Folded code points of `word`; false if it has anything but Arabic-script
// letters (a Latin or mixed word is never translated).
bool FoldedLetters(absl::string_view word, std::u32string* out) {
  out->clear();
  const auto* s = reinterpret_cast<const uint8_t*>(word.data());
  const int32_t n = static_cast<int32_t>(word.size());
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c < 0 || !IsArabicLetter(static_cast<uint32_t>(c))) return false;
    const uint32_t f = FoldLetter(static_cast<uint32_t>(c));
    if (f != 0) out->push_back(f);
  }
  return !out->empty();
}

std::string Utf8(const std::u32string& letters, size_t from = 0) {
  std::string out;
  for (size_t i = from; i < letters.size(); ++i) {
    uint8_t buf[4];
    int32_t len = 0;
    U8_APPEND_UNSAFE(buf, len, static_cast<UChar32>(letters[i]));
    out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
  }
  return out;
}

using Table = absl::flat_hash_map<std::string, std::vector<std::string>>;

const Table& Glossary() {
  static const Table* table = [] {
    auto* t = new Table;
    std::u32string letters;
    for (absl::string_view line : absl::StrSplit(kArabicGlossaryTsv, '\n')) {
      if (line.empty() || line[0] == '#') continue;
      std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
      if (f.size() < 2 || !FoldedLetters(f[0], &letters)) continue;
      std::vector<std::string>& alts = (*t)[Utf8(letters)];
      for (absl::string_view a : absl::StrSplit(f[1], '|', absl::SkipEmpty())) {
        alts.emplace_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(a)));
      }
    }
    return t;
  }();
  return *table;
}

// English words that only join others: a name whose only translated words
// are these is not tried again.
bool IsFunctionWord(absl::string_view w) {
  return w == "in" || w == "of" || w == "from" || w == "and";
}

const std::vector<std::string>* Lookup(const std::u32string& letters) {
  const Table& table = Glossary();
  constexpr uint32_t kAlef = 0x0627, kLam = 0x0644, kWaw = 0x0648, kBeh = 0x0628;
  // The word as written, then without a prefix, longest first: وال بال (and
  // / in + the), ال (the), لل (for the), و ب ل (and, in, for); only a
  // remainder of two letters or more.
  static const std::vector<std::u32string> kPrefixes = {
      {},    {kWaw, kAlef, kLam}, {kBeh, kAlef, kLam}, {kAlef, kLam}, {kLam, kLam}, {kWaw}, {kBeh},
      {kLam}};
  for (const std::u32string& p : kPrefixes) {
    if (!p.empty() && (letters.size() < p.size() + 2 || letters.compare(0, p.size(), p) != 0)) {
      continue;
    }
    auto it = table.find(Utf8(letters, p.size()));
    if (it != table.end()) return &it->second;
  }
  return nullptr;
}

bool HasArabicLeadByte(absl::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 0xD8 && c <= 0xDB) || c == 0xDD) return true;
  }
  return false;
}

}  // namespace

std::string FoldArabicWord(absl::string_view word) {
  std::u32string letters;
  return FoldedLetters(word, &letters) ? Utf8(letters) : std::string();
}

std::vector<std::string> ArabicGlossaryLookup(absl::string_view word) {
  std::u32string letters;
  if (!FoldedLetters(word, &letters)) return {};
  const std::vector<std::string>* alts = Lookup(letters);
  return alts == nullptr ? std::vector<std::string>() : *alts;
}

GlossaryVariants ArabicGlossaryVariants(absl::string_view name) {
  GlossaryVariants out;
  if (!HasArabicLeadByte(name)) return out;
  // Each word: its translations, or itself as written.
  std::vector<std::vector<std::string>> words;
  size_t most = 1;
  bool content = false;
  std::u32string letters;
  for (absl::string_view word :
       absl::StrSplit(name, absl::ByAnyChar(" \t\n\r"), absl::SkipEmpty())) {
    const std::vector<std::string>* alts =
        FoldedLetters(word, &letters) ? Lookup(letters) : nullptr;
    if (alts == nullptr || alts->empty()) {
      words.push_back({std::string(word)});
      continue;
    }
    out.translated.push_back(absl::StrCat(word, " -> ", absl::StrJoin(*alts, "|")));
    for (const std::string& a : *alts) content |= !IsFunctionWord(a);
    words.push_back(*alts);
    most = std::max(most, alts->size());
  }
  if (!content) {
    out.translated.clear();
    return out;
  }
  // Variant i takes every word's i-th translation (its last if it has
  // fewer): each translation of each word is tried, in at most
  // kMaxGlossaryVariants names.
  for (size_t i = 0; i < std::min(most, kMaxGlossaryVariants); ++i) {
    std::string v;
    for (const auto& alts : words) {
      absl::StrAppend(&v, v.empty() ? "" : " ", alts[std::min(i, alts.size() - 1)]);
    }
    out.names.push_back(std::move(v));
  }
  return out;
}

}  // namespace exportscreen::matching
