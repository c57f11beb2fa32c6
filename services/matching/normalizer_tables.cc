// The normaliser's data: legal forms, the Han glossary, abbreviations
// (compiled in from rules/abbreviations.tsv), legal-word typos and company
// words. Each table is built once, on first use, and never freed.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "unicode/locid.h"
#include "unicode/unistr.h"
#include "unicode/utf8.h"
#include "services/matching/abbreviations_data.h"
#include "services/matching/arabic_spellings_data.h"
#include "services/matching/cyrillic_readings_data.h"
#include "services/matching/normalizer_internal.h"

namespace exportscreen::matching::normalizer_internal {
namespace {

// Optimal string alignment distance, capped: returns 2 for "more than 1".
int EditDistanceAtMost1(absl::string_view a, absl::string_view b) {
  if (a == b) return 0;
  size_t n = a.size(), m = b.size();
  if (n > m + 1 || m > n + 1) return 2;
  size_t i = 0;
  while (i < n && i < m && a[i] == b[i]) ++i;
  if (n == m) {
    if (a.substr(i + 1) == b.substr(i + 1)) return 1;  // substitution
    if (i + 1 < n && a[i] == b[i + 1] && a[i + 1] == b[i] && a.substr(i + 2) == b.substr(i + 2)) {
      return 1;  // transposition
    }
    return 2;
  }
  if (n > m) return a.substr(i + 1) == b.substr(i) ? 1 : 2;
  return a.substr(i) == b.substr(i + 1) ? 1 : 2;
}

}  // namespace

const PhraseTable& LegalForms() {
  static const PhraseTable* table = [] {
    auto* t = new PhraseTable;
    // Limited companies.
    for (const char* p : {"ltd",
                          "limited",
                          "co ltd",
                          "co limited",
                          "company limited",
                          "company ltd",
                          "limited company",
                          "ltd co",
                          "pte ltd",
                          "pte limited",
                          "private limited",
                          "pvt ltd",
                          "pvt limited",
                          "pty ltd",
                          "pty limited",
                          "private ltd",
                          "you xian gong si",
                          "youxian gongsi",
                          "youxiangongsi",
                          "ltda",
                          "limitada",
                          "sdn bhd",
                          "bhd",
                          "berhad",
                          "sendirian berhad",
                          "yugen kaisha",
                          "pte",
                          "pvt",
                          "pty"}) {
      t->Add(p, "ltd", true);
    }
    // Limited liability companies.
    for (const char* p : {"llc",
                          "l l c",
                          "limited liability company",
                          "limited liability co",
                          "ltd liability company",
                          "ltd liability co",
                          "ooo",
                          "obshchestvo s ogranichennoy otvetstvennostyu",
                          "obshchestvo s ogranichennoi otvetstvennostyu",
                          "obshestvo s ogranichennoy otvetstvennostyu",
                          "gmbh",
                          "mbh",
                          "srl",
                          "s r l",
                          "sarl",
                          "s a r l",
                          "sprl",
                          "sp z oo",
                          "spzoo",
                          "s de rl",
                          "s de r l",
                          "doo",
                          "d o o",
                          "kft",
                          "sro",
                          "s r o",
                          "tov",
                          "too"}) {
      bool edge = std::string(p) == "too" || std::string(p) == "tov";
      t->Add(p, "llc", true, edge);
    }
    // Joint-stock companies and other share companies.
    for (const char* p : {"jsc",
                          "ojsc",
                          "cjsc",
                          "pjsc",
                          "oao",
                          "zao",
                          "pao",
                          "joint stock company",
                          "joint stock co",
                          "open joint stock company",
                          "open joint stock co",
                          "closed joint stock co",
                          "public joint stock co",
                          "joint stock corp",
                          "closed joint stock company",
                          "public joint stock company",
                          "aktsionernoye obshchestvo",
                          "aktsionernoe obshchestvo",
                          "otkrytoye aktsionernoye obshchestvo",
                          "zakrytoye aktsionernoye obshchestvo",
                          "publichnoye aktsionernoye obshchestvo",
                          "aktiengesellschaft",
                          "societe anonyme",
                          "sociedad anonima",
                          "s a",
                          "s p a",
                          "societa per azioni",
                          "n v",
                          "plc",
                          "public limited company",
                          "k k",
                          "kabushiki kaisha",
                          "kabushikigaisha",
                          "kabushiki gaisha",
                          "zhu shi hui she",
                          "gu fen you xian gong si",
                          "gufen youxian gongsi",
                          "jusighoesa",
                          "jusikhoesa",
                          "chusik hoesa",
                          "oyj",
                          "sae",
                          "saog"}) {
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
    for (const char* p : {"co", "company", "cie", "cia", "compania", "compagnie", "companhia",
                          "gong si", "gongsi", "kompaniya"}) {
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
  static const auto* set =
      new absl::flat_hash_set<std::string>{"ltd", "llc", "jsc", "inc", "corp", "co", "llp"};
  return *set;
}

// Common company words of Chinese names after Han-Latin (toneless pinyin).
const PhraseTable& HanGlossary() {
  static const PhraseTable* table = [] {
    auto* t = new PhraseTable;
    const std::pair<const char*, const char*> kWords[] = {
        {"ji shu", "technologies"},
        {"ke ji", "technology"},
        {"dian zi", "electronics"},
        {"tong xun", "communication"},
        {"tong xin", "communication"},
        {"ji tuan", "group"},
        {"yan jiu suo", "research institute"},
        {"yan jiu yuan", "research institute"},
        {"da xue", "university"},
        {"guo ji", "international"},
        {"mao yi", "trading"},
        {"gong ye", "industry"},
        {"hang kong", "aviation"},
        {"hang tian", "aerospace"},
        {"ban dao ti", "semiconductor"},
        {"zhi zao", "manufacturing"},
        {"she bei", "equipment"},
        {"xin xi", "information"},
        {"ruan jian", "software"},
        {"wang luo", "network"},
        {"zhi neng", "intelligent"},
        {"guo fang", "defense"},
        {"ke xue", "science"},
        {"gong cheng", "engineering"},
        {"fen gong si", "branch"},
        {"zhong guo", "china"},
        {"shu ma", "digital"},
        {"shu zi", "digital"},
        {"ji qi ren", "robotics"},
        {"wu liu", "logistics"},
        {"yi qi", "instruments"},
        {"guang dian", "optoelectronics"},
        {"ji dian", "electromechanical"},
        {"kong zhi", "control"},
        {"xi tong", "systems"},
        {"fa zhan", "development"},
        {"tou zi", "investment"},
        {"zhong xin", "center"},
        {"hai yun", "shipping"},
        {"neng yuan", "energy"},
        {"shi you", "petroleum"},
        {"hua gong", "chemical"},
        {"fu wu", "service"},
        {"hai yang", "marine"},
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

}  // namespace exportscreen::matching::normalizer_internal

namespace exportscreen::matching {

// Arabic-script spellings: data in rules/arabic_spellings.tsv (compiled in).
const ArabicSpellings& ArabicSpellingTable() {
  static const ArabicSpellings* table = [] {
    auto* t = new ArabicSpellings;
    for (absl::string_view line : absl::StrSplit(kArabicSpellingsTsv, '\n')) {
      if (line.empty() || line[0] == '#') continue;
      std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
      if (f.size() < 3 || f[1].empty()) continue;
      if (f[0] == "spelling") {
        t->spellings.emplace_back(std::string(f[1]), std::string(f[2]));
      } else if (f[0] == "variant") {
        t->variants.emplace_back(std::string(f[1]), std::string(f[2]));
      } else if (f[0] == "letter" || f[0] == "reading") {
        uint32_t from = 0, to = 0;
        if (absl::SimpleHexAtoi(f[1], &from) && absl::SimpleHexAtoi(f[2], &to)) {
          (f[0] == "letter" ? t->letters : t->readings).emplace_back(from, to);
        }
      }
    }
    auto utf8 = [](uint32_t cp) {
      uint8_t buf[4];
      int32_t len = 0;
      U8_APPEND_UNSAFE(buf, len, static_cast<UChar32>(cp));
      return std::string(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
    };
    for (const auto& [from, to] : t->readings) t->readings_utf8.emplace_back(utf8(from), utf8(to));
    std::stable_sort(t->spellings.begin(), t->spellings.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    return t;
  }();
  return *table;
}

const std::vector<CyrillicReading>& CyrillicReadingTable() {
  static const std::vector<CyrillicReading>* table = [] {
    auto* t = new std::vector<CyrillicReading>;
    for (absl::string_view line : absl::StrSplit(kCyrillicReadingsTsv, '\n')) {
      if (line.empty() || line[0] == '#') continue;
      std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
      if (f.size() < 2 || f[0].empty() || f[1].empty()) continue;
      CyrillicReading r;
      r.from = std::string(f[0]);
      r.to = absl::AsciiStrToLower(f[1]);
      const icu::UnicodeString lower = icu::UnicodeString::fromUTF8(r.from);
      icu::UnicodeString upper = lower;
      upper.toUpper(icu::Locale::getRoot());
      icu::UnicodeString title = upper;
      title.replace(1, title.length() - 1, lower, 1, lower.length() - 1);
      std::string to_upper = absl::AsciiStrToUpper(r.to);
      std::string to_title = to_upper.substr(0, 1) + r.to.substr(1);
      for (const auto& [from, to] :
           {std::pair<const icu::UnicodeString&, const std::string&>{lower, r.to},
            {upper, to_upper},
            {title, to_title}}) {
        std::string utf8;
        from.toUTF8String(utf8);
        bool seen = false;
        for (const auto& c : r.cased) seen |= c.first == utf8;
        if (!seen) r.cased.emplace_back(std::move(utf8), to);
      }
      t->push_back(std::move(r));
    }
    return t;
  }();
  return *table;
}

}  // namespace exportscreen::matching

namespace exportscreen::matching::normalizer_internal {

const LegalWordTypos& LegalWords() {
  static const LegalWordTypos* t = [] {
    auto* x = new LegalWordTypos;
    for (const char* w : {"company",
                          "limited",
                          "liability",
                          "joint",
                          "stock",
                          "corporation",
                          "incorporated",
                          "obshchestvo",
                          "ogranichennoy",
                          "ogranichennoi",
                          "otvetstvennostyu",
                          "aktsionernoye",
                          "aktsionernoe",
                          "otkrytoye",
                          "zakrytoye",
                          "publichnoye",
                          "partnership",
                          "aktiengesellschaft",
                          "kabushiki",
                          "kaisha",
                          "sociedad",
                          "anonima",
                          "societe",
                          "anonyme",
                          "private",
                          "public",
                          "closed",
                          "open"}) {
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
      "bank",     "group",         "trading",    "technology",  "technologies", "industries",
      "industry", "international", "university", "institute",   "holding",      "holdings",
      "services", "shipping",      "airlines",   "ministry",    "office",       "center",
      "centre",   "association",   "enterprise", "enterprises", "factory",      "plant",
      "bureau",   "department",    "academy",    "laboratory",  "organization", "the",
      "of",       "and",           "for",        "branch",      "division",
  };
  return *set;
}

}  // namespace exportscreen::matching::normalizer_internal
