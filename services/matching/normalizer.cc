#include "services/matching/normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/matching/abbreviations_data.h"

namespace exportscreen::matching {
namespace {

// ---------------------------------------------------------------------------
// Phrase tables. Keys are space-joined normalised tokens.

struct PhraseEntry {
  std::string canonical;  // space-separated replacement tokens
  bool legal = false;
  bool edge_only = false;  // only at the start or in the last 3 tokens
};

std::string BagKey(std::vector<std::string> words) {
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
        bags.try_emplace(BagKey(words),
                         PhraseEntry{std::string(canonical), legal, false});
      }
    }
  }
};

const PhraseTable& LegalForms() {
  static const PhraseTable* table = [] {
    auto* t = new PhraseTable;
    // Limited companies.
    for (const char* p :
         {"ltd", "limited", "co ltd", "co limited", "company limited",
          "company ltd", "limited company", "ltd co", "pte ltd", "pte limited",
          "private limited", "pvt ltd", "pvt limited", "pty ltd",
          "pty limited", "private ltd", "you xian gong si", "youxian gongsi",
          "youxiangongsi", "ltda", "limitada", "sdn bhd", "bhd", "berhad",
          "sendirian berhad", "yugen kaisha", "pte", "pvt", "pty"}) {
      t->Add(p, "ltd", true);
    }
    // Limited liability companies.
    for (const char* p :
         {"llc", "l l c", "limited liability company", "limited liability co",
          "ltd liability company", "ltd liability co",
          "ooo", "obshchestvo s ogranichennoy otvetstvennostyu",
          "obshchestvo s ogranichennoi otvetstvennostyu",
          "obshestvo s ogranichennoy otvetstvennostyu", "gmbh", "mbh", "srl",
          "s r l", "sarl", "s a r l", "sprl", "sp z oo", "spzoo", "s de rl",
          "s de r l", "doo", "d o o", "kft", "sro", "s r o", "tov", "too"}) {
      bool edge = std::string(p) == "too" || std::string(p) == "tov";
      t->Add(p, "llc", true, edge);
    }
    // Joint-stock companies and other share companies.
    for (const char* p :
         {"jsc", "ojsc", "cjsc", "pjsc", "oao", "zao", "pao", "joint stock company",
          "joint stock co", "open joint stock company", "open joint stock co",
          "closed joint stock co", "public joint stock co", "joint stock corp",
          "closed joint stock company", "public joint stock company",
          "aktsionernoye obshchestvo", "aktsionernoe obshchestvo",
          "otkrytoye aktsionernoye obshchestvo",
          "zakrytoye aktsionernoye obshchestvo",
          "publichnoye aktsionernoye obshchestvo", "aktiengesellschaft",
          "societe anonyme", "sociedad anonima", "s a", "s p a",
          "societa per azioni", "n v", "plc", "public limited company", "k k",
          "kabushiki kaisha", "kabushikigaisha", "kabushiki gaisha",
          "zhu shi hui she", "gu fen you xian gong si", "gufen youxian gongsi",
          "jusighoesa", "jusikhoesa", "chusik hoesa", "oyj", "sae", "saog"}) {
      t->Add(p, "jsc", true);
    }
    for (const char* p : {"bv", "b v"}) t->Add(p, "llc", true, /*edge_only=*/true);
    for (const char* p : {"ao", "sa", "ag", "nv", "spa", "kk"}) {
      t->Add(p, "jsc", true, /*edge_only=*/true);
    }
    for (const char* p : {"inc", "incorporated"}) t->Add(p, "inc", true);
    for (const char* p : {"corp", "corporation", "korporatsiya"}) {
      t->Add(p, "corp", true);
    }
    for (const char* p : {"co", "company", "cie", "cia", "compania",
                          "compagnie", "companhia", "gong si", "gongsi",
                          "kompaniya"}) {
      t->Add(p, "co", true);
    }
    for (const char* p : {"llp", "l l p", "limited partnership"}) {
      t->Add(p, "llp", true);
    }
    for (const char* p : {"lp", "l p", "kg"}) t->Add(p, "llp", true, true);
    return t;
  }();
  return *table;
}

const absl::flat_hash_set<std::string>& CanonicalLegal() {
  static const auto* set = new absl::flat_hash_set<std::string>{
      "ltd", "llc", "jsc", "inc", "corp", "co", "llp"};
  return *set;
}

// Common company words of Chinese names after Han-Latin (toneless pinyin).
const PhraseTable& HanGlossary() {
  static const PhraseTable* table = [] {
    auto* t = new PhraseTable;
    const std::pair<const char*, const char*> kWords[] = {
        {"ji shu", "technologies"},  {"ke ji", "technology"},
        {"dian zi", "electronics"},  {"tong xun", "communication"},
        {"tong xin", "communication"}, {"ji tuan", "group"},
        {"yan jiu suo", "research institute"},
        {"yan jiu yuan", "research institute"},
        {"da xue", "university"},     {"guo ji", "international"},
        {"mao yi", "trading"},        {"gong ye", "industry"},
        {"hang kong", "aviation"},    {"hang tian", "aerospace"},
        {"ban dao ti", "semiconductor"}, {"zhi zao", "manufacturing"},
        {"she bei", "equipment"},     {"xin xi", "information"},
        {"ruan jian", "software"},    {"wang luo", "network"},
        {"zhi neng", "intelligent"},  {"guo fang", "defense"},
        {"ke xue", "science"},        {"gong cheng", "engineering"},
        {"fen gong si", "branch"},    {"zhong guo", "china"},
        {"shu ma", "digital"},        {"shu zi", "digital"},
        {"ji qi ren", "robotics"},    {"wu liu", "logistics"},
        {"yi qi", "instruments"},     {"guang dian", "optoelectronics"},
        {"ji dian", "electromechanical"}, {"kong zhi", "control"},
        {"xi tong", "systems"},       {"fa zhan", "development"},
        {"tou zi", "investment"},     {"zhong xin", "center"},
        {"hai yun", "shipping"},      {"neng yuan", "energy"},
        {"shi you", "petroleum"},     {"hua gong", "chemical"},
        {"fu wu", "service"},         {"hai yang", "marine"},
    };
    for (const auto& [p, c] : kWords) t->Add(p, c, false);
    return t;
  }();
  return *table;
}

// Word abbreviations: data in rules/abbreviations.tsv (compiled in), so the
// table is reviewed and tested as data, not code.
const absl::flat_hash_map<std::string, std::string>& Abbreviations() {
  static const auto* map = [] {
    auto* m = new absl::flat_hash_map<std::string, std::string>;
    for (absl::string_view line : absl::StrSplit(kAbbreviationsTsv, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (line.empty() || line[0] == '#') continue;
      std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
      if (f.size() < 2 || f[0].empty() || f[1].empty()) continue;
      m->try_emplace(std::string(f[0]), std::string(f[1]));
    }
    return m;
  }();
  return *map;
}

// Words of multi-word legal forms, with their one-deletion neighbourhoods,
// so that "compnay" or "limted" still forms a legal phrase.
struct LegalWordTypos {
  absl::flat_hash_map<std::string, std::vector<std::string>> by_key;
  absl::flat_hash_set<std::string> words;
};

const LegalWordTypos& LegalWords() {
  static const LegalWordTypos* t = [] {
    auto* x = new LegalWordTypos;
    for (const char* w :
         {"company", "limited", "liability", "joint", "stock", "corporation",
          "incorporated", "obshchestvo", "ogranichennoy", "ogranichennoi",
          "otvetstvennostyu", "aktsionernoye", "aktsionernoe", "otkrytoye",
          "zakrytoye", "publichnoye", "partnership", "aktiengesellschaft",
          "kabushiki", "kaisha", "sociedad", "anonima", "societe", "anonyme",
          "private", "public", "closed", "open"}) {
      std::string word(w);
      x->words.insert(word);
      x->by_key[word].push_back(word);
      for (size_t i = 0; i < word.size(); ++i) {
        std::string del = word.substr(0, i) + word.substr(i + 1);
        x->by_key[del].push_back(word);
      }
    }
    return x;
  }();
  return *t;
}

// Optimal string alignment distance, capped: returns 2 for "more than 1".
int EditDistanceAtMost1(absl::string_view a, absl::string_view b) {
  if (a == b) return 0;
  size_t n = a.size(), m = b.size();
  if (n > m + 1 || m > n + 1) return 2;
  size_t i = 0;
  while (i < n && i < m && a[i] == b[i]) ++i;
  if (n == m) {
    if (a.substr(i + 1) == b.substr(i + 1)) return 1;  // substitution
    if (i + 1 < n && a[i] == b[i + 1] && a[i + 1] == b[i] &&
        a.substr(i + 2) == b.substr(i + 2)) {
      return 1;  // transposition
    }
    return 2;
  }
  if (n > m) return a.substr(i + 1) == b.substr(i) ? 1 : 2;
  return a.substr(i) == b.substr(i + 1) ? 1 : 2;
}

// Corrects a misspelt legal-form word (>= 5 letters, one edit); "" if none.
std::string CorrectLegalWord(absl::string_view token) {
  if (token.size() < 5) return "";
  const LegalWordTypos& lw = LegalWords();
  if (lw.words.contains(token)) return "";
  auto probe = [&](const std::string& key) -> std::string {
    auto it = lw.by_key.find(key);
    if (it == lw.by_key.end()) return "";
    for (const std::string& w : it->second) {
      if (EditDistanceAtMost1(token, w) <= 1) return w;
    }
    return "";
  };
  std::string key(token);
  std::string hit = probe(key);
  for (size_t i = 0; hit.empty() && i < token.size(); ++i) {
    key.assign(token.data(), i);
    key.append(token.data() + i + 1, token.size() - i - 1);
    hit = probe(key);
  }
  return hit;
}

// Words that make a "X, Y" name a company rather than "LAST, First".
const absl::flat_hash_set<std::string>& CompanyWords() {
  static const auto* set = new absl::flat_hash_set<std::string>{
      "bank",      "group",     "trading",  "technology", "technologies",
      "industries", "industry", "international", "university", "institute",
      "holding",   "holdings",  "services", "shipping",   "airlines",
      "ministry",  "office",    "center",   "centre",     "association",
      "enterprise", "enterprises", "factory", "plant",    "bureau",
      "department", "academy",  "laboratory", "organization", "the",
      "of",        "and",       "for",      "branch",     "division",
  };
  return *set;
}

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
    case 0x2018: case 0x2019: case 0x02B9: case 0x02BA: case 0x02BB:
    case 0x02BC: case 0x02BE: case 0x02BF: case 0x00B4: case 0x0060:
    case 0x0027:
      return true;
    default:
      return false;
  }
}

// Decodes, repairs, NFKC-normalises, folds and transliterates non-ASCII
// input into a string the ASCII tokenizer understands. Sets *had_han.
std::string UnicodePath(absl::string_view raw, bool record,
                        std::vector<std::string>* steps, bool* had_han,
                        bool* transliterated, bool* arabic) {
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
    if (U_FAILURE(se) || sc == USCRIPT_LATIN || sc == USCRIPT_COMMON ||
        sc == USCRIPT_INHERITED) {
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
    if (tr.any_latin != nullptr) {
      tr.any_latin->transliterate(u);
      *transliterated = true;
      if (record) {
        std::vector<std::string> names;
        for (UScriptCode sc : scripts) names.push_back(uscript_getName(sc));
        std::sort(names.begin(), names.end());
        steps->push_back(
            absl::StrCat("transliterate:", absl::StrJoin(names, "+"), "-Latin"));
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

// ---------------------------------------------------------------------------
// ASCII tokenizer.

bool IsAsciiAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

struct TokenizeResult {
  std::vector<std::string> tokens;
  int commas = 0;
  size_t comma_at = 0;  // tokens before the first comma
  bool punctuation = false;
  bool upper = false;
};

void FlushToken(std::string* cur, std::vector<std::string>* tokens,
                bool* punctuation) {
  if (cur->empty()) return;
  if (cur->find('.') == std::string::npos) {
    tokens->push_back(std::move(*cur));
    cur->clear();
    return;
  }
  *punctuation = true;
  std::vector<absl::string_view> parts =
      absl::StrSplit(*cur, '.', absl::SkipEmpty());
  bool all_single = parts.size() >= 2;
  for (absl::string_view p : parts) all_single &= p.size() == 1;
  if (all_single) {
    tokens->push_back(absl::StrJoin(parts, ""));  // "l.l.c." -> "llc"
  } else {
    for (absl::string_view p : parts) tokens->emplace_back(p);
  }
  cur->clear();
}

TokenizeResult Tokenize(absl::string_view s) {
  TokenizeResult r;
  std::string cur;
  bool last_space = true;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsAsciiAlnum(c) || c >= 0x80) {
      if (c >= 'A' && c <= 'Z') {
        r.upper = true;
        c = static_cast<unsigned char>(c - 'A' + 'a');
      }
      cur.push_back(static_cast<char>(c));
      last_space = false;
      continue;
    }
    if (c == '\'' || c == '`') {
      r.punctuation = true;
      continue;
    }
    if (c == '.') {
      cur.push_back('.');
      continue;
    }
    FlushToken(&cur, &r.tokens, &r.punctuation);
    if (c == ' ') {
      if (last_space) r.punctuation = true;
      last_space = true;
      continue;
    }
    r.punctuation = true;
    last_space = true;
    if (c == '&') {
      r.tokens.push_back("and");
    } else if (c == ',') {
      if (r.commas++ == 0) r.comma_at = r.tokens.size();
    }
  }
  FlushToken(&cur, &r.tokens, &r.punctuation);
  return r;
}

// Replaces phrases of `table` in `tokens` (greedy, longest first).
void ApplyPhrases(const PhraseTable& table, absl::string_view step_name,
                  bool record, std::vector<NormalizedToken>* tokens,
                  std::vector<std::string>* steps) {
  std::vector<NormalizedToken> out;
  out.reserve(tokens->size());
  const size_t n = tokens->size();
  std::string key;
  size_t i = 0;
  bool changed = false;
  while (i < n) {
    const NormalizedToken& t = (*tokens)[i];
    bool done = false;
    if (!t.legal_form && table.first_words.contains(t.text)) {
      for (size_t len = std::min(table.max_len, n - i); len >= 1 && !done;
           --len) {
        key.clear();
        bool ok = true;
        for (size_t k = 0; k < len; ++k) {
          if ((*tokens)[i + k].legal_form) {
            ok = false;
            break;
          }
          if (k) key.push_back(' ');
          key.append((*tokens)[i + k].text);
        }
        if (!ok) continue;
        auto it = table.map.find(key);
        if (it == table.map.end()) continue;
        const PhraseEntry& e = it->second;
        if (e.edge_only && !(i == 0 || i + len + 3 > n)) continue;
        if (e.edge_only && n < 2) continue;
        for (absl::string_view c : absl::StrSplit(e.canonical, ' ')) {
          NormalizedToken nt;
          nt.text = std::string(c);
          nt.legal_form = e.legal;
          out.push_back(std::move(nt));
        }
        if (record && key != e.canonical) {
          steps->push_back(absl::StrCat(step_name, ":", key, "->", e.canonical));
        }
        changed |= key != e.canonical || e.legal;
        i += len;
        done = true;
      }
    }
    if (!done && !t.legal_form && table.bag_words.contains(t.text)) {
      // The words of a multi-word form in another order ("limited company"
      // for "company limited"): the longest run of form words that is one.
      size_t run = 0;
      while (i + run < n && run < table.max_len &&
             !(*tokens)[i + run].legal_form &&
             table.bag_words.contains((*tokens)[i + run].text)) {
        ++run;
      }
      for (size_t len = run; len >= 2 && !done; --len) {
        std::vector<std::string> words;
        for (size_t k = 0; k < len; ++k) words.push_back((*tokens)[i + k].text);
        auto it = table.bags.find(BagKey(words));
        if (it == table.bags.end()) continue;
        const PhraseEntry& e = it->second;
        for (absl::string_view c : absl::StrSplit(e.canonical, ' ')) {
          NormalizedToken nt;
          nt.text = std::string(c);
          nt.legal_form = e.legal;
          out.push_back(std::move(nt));
        }
        if (record) {
          steps->push_back(absl::StrCat(step_name, "_reordered:",
                                        absl::StrJoin(words, " "), "->",
                                        e.canonical));
        }
        i += len;
        done = true;
      }
    }
    if (!done) {
      out.push_back(std::move((*tokens)[i]));
      ++i;
    }
  }
  (void)changed;
  *tokens = std::move(out);
}

}  // namespace

std::string NormalizedName::Joined() const {
  std::string s;
  for (const auto& t : tokens) {
    if (!s.empty()) s.push_back(' ');
    s.append(t.text);
  }
  return s;
}

size_t NormalizedName::DistinctiveCount() const {
  size_t n = 0;
  for (const auto& t : tokens) n += t.legal_form ? 0 : 1;
  return n;
}

std::string ArabicSkeleton(absl::string_view t, bool listed) {
  std::string w(t);
  if (listed && w.size() >= 4 &&
      (absl::EndsWith(w, "ah") || absl::EndsWith(w, "eh"))) {
    w.pop_back();
  }
  std::string out;
  for (size_t i = 0; i < w.size(); ++i) {
    char c = w[i];
    if (c >= '0' && c <= '9') return "";
    if (i + 1 < w.size() && w[i + 1] == 'h' &&
        (c == 'k' || c == 's' || c == 'g' || c == 't' || c == 'd')) {
      char code = c == 'k' ? 'x' : c == 's' ? '$' : c == 'g' ? 'G' : c == 't' ? 'T' : 'D';
      if (out.empty() || out.back() != code) out.push_back(code);
      ++i;
      continue;
    }
    if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y' ||
        c == 'w') {
      continue;
    }
    if (c == 'q') c = 'k';
    if (out.empty() || out.back() != c) out.push_back(c);
  }
  return out;
}

bool IsCanonicalLegalForm(absl::string_view token) {
  return CanonicalLegal().contains(token);
}

void WarmUpNormalizer() {
  GetPrototypes();
  LegalForms();
  LegalWords();
  HanGlossary();
  Abbreviations();
  CompanyWords();
  LocalTransliterators();
}

void NormalizeName(absl::string_view raw, bool record_steps,
                   NormalizedName* out) {
  out->tokens.clear();
  out->steps.clear();
  out->transliterated = false;
  out->arabic = false;
  std::vector<std::string>* steps = &out->steps;
  if (raw.size() > kMaxNameBytes) {
    size_t cut = kMaxNameBytes;
    // Back up to a UTF-8 character boundary.
    while (cut > 0 && (static_cast<unsigned char>(raw[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    raw = raw.substr(0, cut);
    if (record_steps) steps->push_back("truncated");
  }
  bool ascii = true;
  for (char c : raw) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  bool had_han = false;
  std::string converted;
  absl::string_view text = raw;
  if (!ascii) {
    converted = UnicodePath(raw, record_steps, steps, &had_han,
                            &out->transliterated, &out->arabic);
    text = converted;
  }
  TokenizeResult tr = Tokenize(text);
  if (ascii && tr.upper && record_steps) steps->push_back("casefold");
  if (tr.punctuation && record_steps) steps->push_back("punctuation");
  // Spelled-out names ("H-U-A-W-E-I", "H U A W E I"): a run of three or more
  // single-letter tokens is one word (initials of persons are rarely three).
  {
    std::vector<std::string> joined;
    joined.reserve(tr.tokens.size());
    bool any = false;
    for (size_t i = 0; i < tr.tokens.size();) {
      size_t j = i;
      while (j < tr.tokens.size() && tr.tokens[j].size() == 1 &&
             absl::ascii_isalpha(static_cast<unsigned char>(tr.tokens[j][0]))) {
        ++j;
      }
      if (j - i >= 3) {
        std::string word;
        for (size_t k = i; k < j; ++k) word += tr.tokens[k];
        if (tr.comma_at > i && tr.comma_at < j) {
          tr.commas = 0;  // a comma between the letters: no "LAST, First"
        } else if (tr.comma_at >= j) {
          tr.comma_at -= (j - i - 1);
        }
        joined.push_back(std::move(word));
        any = true;
        i = j;
      } else {
        joined.push_back(std::move(tr.tokens[i]));
        ++i;
      }
    }
    tr.tokens = std::move(joined);
    if (any && record_steps) steps->push_back("join_letters");
  }
  if (tr.tokens.size() > kMaxTokens) {
    tr.tokens.resize(kMaxTokens);
    if (tr.comma_at > kMaxTokens) tr.commas = 0;
    if (record_steps) steps->push_back("truncated");
  }

  // "LAST, First" -> "first last" when the part after the comma looks like
  // given names (no legal forms or company words).
  if (tr.commas == 1 && tr.comma_at >= 1 && tr.comma_at <= 3) {
    size_t after = tr.tokens.size() - tr.comma_at;
    bool person = after >= 1 && after <= 4;
    const PhraseTable& legal = LegalForms();
    for (size_t i = 0; person && i < tr.tokens.size(); ++i) {
      const std::string& t = tr.tokens[i];
      if (legal.map.contains(t) || CompanyWords().contains(t)) person = false;
    }
    if (person) {
      std::rotate(tr.tokens.begin(), tr.tokens.begin() + tr.comma_at,
                  tr.tokens.end());
      if (record_steps) steps->push_back("person_order:last, first->first last");
    }
  }

  out->tokens.reserve(tr.tokens.size());
  for (std::string& t : tr.tokens) {
    NormalizedToken nt;
    nt.text = std::move(t);
    out->tokens.push_back(std::move(nt));
  }
  // Legal forms glued to a neighbouring word ("capitalllc", "jscsirius",
  // "jointstock", "landcompany").
  {
    static const char* kAbbrevForms[] = {"llc", "ltd", "jsc", "ojsc", "pjsc",
                                         "cjsc", "gmbh", "oao", "zao", "ooo"};
    // Glued at the end only ("huaweiinc"; "incorporated" is no "inc ...").
    static const char* kSuffixForms[] = {"inc", "corp", "plc"};
    const LegalWordTypos& lw = LegalWords();
    std::vector<NormalizedToken> split;
    bool any = false;
    for (NormalizedToken& t : out->tokens) {
      const std::string& w = t.text;
      size_t cut = 0;  // split position, 0 = none
      if (w.size() >= 6) {
        // No word ends in these forms: glued even to a short name ("cevltd").
        for (const char* f : kAbbrevForms) {
          size_t n = std::strlen(f);
          if (w.size() >= n + 3 && w.compare(w.size() - n, n, f) == 0) cut = w.size() - n;
          if (w.size() >= std::max<size_t>(7, n + 4) && w.compare(0, n, f) == 0) cut = n;
          if (cut) break;
        }
        for (const char* f : kSuffixForms) {
          size_t n = std::strlen(f);
          if (!cut && w.size() >= n + 4 && w.compare(w.size() - n, n, f) == 0) {
            cut = w.size() - n;
          }
        }
        for (size_t k = 4; !cut && w.size() >= 7 && k + 3 <= w.size(); ++k) {
          bool head = lw.words.contains(w.substr(0, k));
          bool tail = lw.words.contains(w.substr(k));
          if ((head && tail) || (head && k >= 7) ||
              (tail && w.size() - k >= 7 && k >= 4)) {
            cut = k;
          }
        }
      }
      if (!cut) {
        split.push_back(std::move(t));
        continue;
      }
      any = true;
      NormalizedToken a, b;
      a.text = w.substr(0, cut);
      b.text = w.substr(cut);
      if (record_steps) {
        steps->push_back(absl::StrCat("legal_form_split:", w, "->", a.text, " ",
                                      b.text));
      }
      split.push_back(std::move(a));
      split.push_back(std::move(b));
    }
    (void)any;
    out->tokens = std::move(split);
  }
  // A legal form split by a stray space ("limi ted", "l td", "gm bh"):
  // rejoined when the halves make a legal word or form and stand at the
  // end of the name (or next to another legal word).
  if (out->tokens.size() >= 3) {
    const LegalWordTypos& lw = LegalWords();
    const PhraseTable& forms = LegalForms();
    std::vector<NormalizedToken> joined;
    const size_t n = out->tokens.size();
    for (size_t i = 0; i < n; ++i) {
      if (i + 1 < n && i >= 1) {
        const std::string& a = out->tokens[i].text;
        const std::string& b = out->tokens[i + 1].text;
        std::string cat = a + b;
        const bool at_end = i + 4 >= n;
        const bool word = lw.words.contains(cat) && !lw.words.contains(a) &&
                          !lw.words.contains(b);
        const bool form = cat.size() >= 3 && forms.map.contains(cat) &&
                          !forms.map.contains(a) && !forms.map.contains(b) &&
                          !forms.first_words.contains(a) &&
                          !forms.map.find(cat)->second.edge_only;
        if (at_end && (word || form) && !absl::ascii_isdigit(a[0]) &&
            !absl::ascii_isdigit(b[0])) {
          if (record_steps) {
            steps->push_back(
                absl::StrCat("legal_form_join:", a, " ", b, "->", cat));
          }
          NormalizedToken t;
          t.text = std::move(cat);
          joined.push_back(std::move(t));
          ++i;
          continue;
        }
      }
      joined.push_back(std::move(out->tokens[i]));
    }
    out->tokens = std::move(joined);
  }
  // Misspelt words of multi-word legal forms: next to another legal word,
  // or among the last two words of the name (where legal forms stand); a
  // name word that happens to be close elsewhere is left alone.
  if (out->tokens.size() >= 2) {
    const LegalWordTypos& lw = LegalWords();
    for (size_t i = 0; i < out->tokens.size(); ++i) {
      std::string& text = out->tokens[i].text;
      if (text.size() < 5 || lw.words.contains(text)) continue;
      bool next_to_legal =
          (i + 2 >= out->tokens.size() && text.size() >= 6) ||
          (i > 0 && lw.words.contains(out->tokens[i - 1].text)) ||
          (i + 1 < out->tokens.size() &&
           lw.words.contains(out->tokens[i + 1].text)) ||
          (i > 0 && LegalForms().map.contains(out->tokens[i - 1].text)) ||
          (i + 1 < out->tokens.size() &&
           LegalForms().map.contains(out->tokens[i + 1].text));
      if (!next_to_legal) continue;
      std::string fixed = CorrectLegalWord(text);
      if (fixed.empty()) continue;
      if (record_steps) {
        steps->push_back(absl::StrCat("legal_word_typo:", text, "->", fixed));
      }
      text = std::move(fixed);
    }
  }
  ApplyPhrases(LegalForms(), "legal_form", record_steps, &out->tokens, steps);
  if (had_han) {
    ApplyPhrases(HanGlossary(), "glossary", record_steps, &out->tokens, steps);
  }
  const auto& abbrev = Abbreviations();
  for (NormalizedToken& t : out->tokens) {
    if (t.legal_form) continue;
    auto it = abbrev.find(t.text);
    if (it == abbrev.end()) continue;
    if (record_steps) {
      steps->push_back(absl::StrCat("abbrev:", t.text, "->", it->second));
    }
    t.unexpanded = std::move(t.text);
    t.text = it->second;
  }
  // Splitting glued legal forms can add tokens: keep the cap.
  if (out->tokens.size() > kMaxTokens) {
    out->tokens.resize(kMaxTokens);
    if (record_steps) steps->push_back("truncated");
  }
  // A name made only of legal forms keeps them as ordinary tokens, so that
  // it stays matchable by its exact text.
  if (out->DistinctiveCount() == 0) {
    for (NormalizedToken& t : out->tokens) t.legal_form = false;
  }
  for (NormalizedToken& t : out->tokens) {
    t.numeric = !t.text.empty() &&
                std::all_of(t.text.begin(), t.text.end(), [](char c) {
                  return c >= '0' && c <= '9';
                });
  }
}

}  // namespace exportscreen::matching
