// The normaliser's path for non-ASCII input: UTF-8 repair, invisible and
// apostrophe-like characters, NFKC, case folding and ICU transliteration
// (Any-Latin with BGN for Russian, then Latin-ASCII). Records which scripts
// it met (Han, Arabic) for the later stages.
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/matching/normalizer_internal.h"

namespace exportscreen::matching::normalizer_internal {
namespace {

// ---------------------------------------------------------------------------
// ICU transliterators: one prototype per process, one clone per thread.

constexpr char kAnyLatinId[] = "Russian-Latin/BGN; Any-Latin; Latin-ASCII";
constexpr char kLatinAsciiId[] = "Latin-ASCII";

struct Prototypes {
  std::unique_ptr<icu::Transliterator> any_latin;
  std::unique_ptr<icu::Transliterator> latin_ascii;
};

const Prototypes& GetPrototypes() {
  static const Prototypes* protos = [] {
    auto* p = new Prototypes;
    UErrorCode status = U_ZERO_ERROR;
    p->any_latin.reset(icu::Transliterator::createInstance(
        icu::UnicodeString::fromUTF8(kAnyLatinId), UTRANS_FORWARD, status));
    if (U_FAILURE(status)) p->any_latin.reset();
    status = U_ZERO_ERROR;
    p->latin_ascii.reset(icu::Transliterator::createInstance(
        icu::UnicodeString::fromUTF8(kLatinAsciiId), UTRANS_FORWARD, status));
    if (U_FAILURE(status)) p->latin_ascii.reset();
    // Loads the script data that Any-Latin pulls in lazily.
    if (p->any_latin != nullptr) {
      icu::UnicodeString warm = icu::UnicodeString::fromUTF8(
          "华为 ООО Газпром Ελληνική شركة חברת 삼성 トヨタ ไทย हिन्दी Müller");
      p->any_latin->transliterate(warm);
    }
    return p;
  }();
  return *protos;
}

struct ThreadTransliterators {
  std::unique_ptr<icu::Transliterator> any_latin;
  std::unique_ptr<icu::Transliterator> latin_ascii;
  bool init = false;
};

ThreadTransliterators& LocalTransliterators() {
  thread_local ThreadTransliterators t;
  if (!t.init) {
    const Prototypes& p = GetPrototypes();
    if (p.any_latin) t.any_latin.reset(p.any_latin->clone());
    if (p.latin_ascii) t.latin_ascii.reset(p.latin_ascii->clone());
    t.init = true;
  }
  return t;
}

bool IsApostropheLike(UChar32 c) {
  switch (c) {
    case 0x2018:
    case 0x2019:
    case 0x02B9:
    case 0x02BA:
    case 0x02BB:
    case 0x02BC:
    case 0x02BE:
    case 0x02BF:
    case 0x00B4:
    case 0x0060:
    case 0x0027:
      return true;
    default:
      return false;
  }
}

// Urdu and Pashto letters that Any-Latin leaves as they are, replaced by
// the Arabic letters they read as (rules/arabic_spellings.tsv, "letter").
// Returns true if it replaced any.
bool MapArabicLetters(icu::UnicodeString* u, bool record, std::vector<std::string>* steps) {
  const auto& letters = ArabicSpellingTable().letters;
  icu::UnicodeString mapped;
  bool changed = false;
  for (int32_t i = 0; i < u->length();) {
    UChar32 c = u->char32At(i);
    i += U16_LENGTH(c);
    for (const auto& [from, to] : letters) {
      if (static_cast<uint32_t>(c) == from) {
        c = static_cast<UChar32>(to);
        changed = true;
        break;
      }
    }
    mapped.append(c);
  }
  if (!changed) return false;
  *u = std::move(mapped);
  if (record) steps->push_back("arabic_letters");
  return true;
}

}  // namespace

// Decodes, repairs, NFKC-normalises, folds and transliterates non-ASCII
// input into a string the ASCII tokenizer understands. Sets *had_han.
std::string UnicodePath(absl::string_view raw, bool record, std::vector<std::string>* steps,
                        bool* had_han, bool* transliterated, bool* arabic, bool* arabic_letters) {
  icu::UnicodeString u;
  bool repaired = false;
  bool invisible = false;
  {
    const uint8_t* s = reinterpret_cast<const uint8_t*>(raw.data());
    int32_t len = static_cast<int32_t>(raw.size());
    int32_t i = 0;
    while (i < len) {
      UChar32 c;
      U8_NEXT(s, i, len, c);
      if (c < 0 || c == 0xFFFD) {
        repaired = true;
        u.append(static_cast<UChar>(' '));
      } else if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) {
        // Invisible characters (zero-width space/joiners, soft hyphen, BOM,
        // word joiner ...) would split "Hua\u200Bwei" into two tokens and
        // hide a listed name: drop them.
        invisible = true;
      } else {
        u.append(c);
      }
    }
  }
  if (repaired && record) steps->push_back("utf8_repair");
  if (invisible && record) steps->push_back("remove_invisible");

  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_SUCCESS(status) && nfkc != nullptr) {
    UErrorCode qs = U_ZERO_ERROR;
    if (!nfkc->isNormalized(u, qs) || U_FAILURE(qs)) {
      UErrorCode ns = U_ZERO_ERROR;
      icu::UnicodeString n = nfkc->normalize(u, ns);
      if (U_SUCCESS(ns)) {
        u = std::move(n);
        if (record) steps->push_back("nfkc");
      }
    }
  }
  {
    icu::UnicodeString folded(u);
    folded.foldCase();
    if (folded != u) {
      u = std::move(folded);
      if (record) steps->push_back("casefold");
    }
  }

  // Which scripts need transliteration?
  std::vector<UScriptCode> scripts;
  bool non_ascii = false;
  for (int32_t i = 0; i < u.length();) {
    UChar32 c = u.char32At(i);
    i += U16_LENGTH(c);
    if (c < 0x80) continue;
    non_ascii = true;
    UErrorCode se = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &se);
    if (U_FAILURE(se) || sc == USCRIPT_LATIN || sc == USCRIPT_COMMON || sc == USCRIPT_INHERITED) {
      continue;
    }
    if (std::find(scripts.begin(), scripts.end(), sc) == scripts.end()) {
      scripts.push_back(sc);
    }
  }
  ThreadTransliterators& tr = LocalTransliterators();
  if (!scripts.empty()) {
    for (UScriptCode sc : scripts) {
      if (sc == USCRIPT_HAN) *had_han = true;
      if (sc == USCRIPT_ARABIC) *arabic = true;
    }
    if (*arabic && MapArabicLetters(&u, record, steps)) *arabic_letters = true;
    if (tr.any_latin != nullptr) {
      tr.any_latin->transliterate(u);
      *transliterated = true;
      if (record) {
        std::vector<std::string> names;
        for (UScriptCode sc : scripts) names.push_back(uscript_getName(sc));
        std::sort(names.begin(), names.end());
        steps->push_back(absl::StrCat("transliterate:", absl::StrJoin(names, "+"), "-Latin"));
      }
    } else if (record) {
      steps->push_back("transliterate_unavailable");
    }
  } else if (non_ascii && tr.latin_ascii != nullptr) {
    tr.latin_ascii->transliterate(u);
    if (record) steps->push_back("remove_accents");
  }

  // Residue: marks and apostrophes dropped, other letters/digits kept,
  // everything else a separator.
  std::string out;
  out.reserve(raw.size());
  for (int32_t i = 0; i < u.length();) {
    UChar32 c = u.char32At(i);
    i += U16_LENGTH(c);
    if (IsApostropheLike(c)) continue;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    int8_t type = u_charType(c);
    if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK ||
        type == U_COMBINING_SPACING_MARK) {
      continue;
    }
    if (u_isalnum(c)) {
      c = u_tolower(c);
      char buf[4];
      int32_t n = 0;
      UBool err = false;
      U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, 4, c, err);
      if (!err) out.append(buf, n);
    } else {
      out.push_back(' ');
    }
  }
  return out;
}

void WarmUpTransliterators() {
  GetPrototypes();
  LocalTransliterators();
}

}  // namespace exportscreen::matching::normalizer_internal
