// match_eval: reproducible recall / false-positive evaluation of the name
// matcher on the real public lists: by default the repository's snapshot in
// seeds/lists/ (ES_LISTS_DIR); --lists=DIR reads another folder with the
// same dated subfolders.
//
// Labelled set (fixed seed, so every run sees the same cases):
//  positives  every primary name and strong alias, queried as listed
//             (exact_primary, exact_strong_alias), plus sampled variants:
//             typo, transposition, legal_form, abbreviation, reorder,
//             joined_split, case_punct, cyrillic (Russian/Belarusian/
//             Ukrainian/Kazakh parties written in Cyrillic) and chinese
//             (real Chinese names of listed Chinese companies, below).
//  negatives  generated person and company names in several languages and
//             scripts that are on no list (a negative whose normalised
//             tokens equal a listed name's is dropped), and hard negatives:
//             listed organisation names whose distinctive words are
//             replaced by invented ones (they keep the common words).
// A positive is found if its entity is among the hits at the review
// threshold; a negative is a false positive if it has any hit there.
//
// Issue 14 kinds (generated with this tool's own word lists, never the
// normaliser's tables or rules/abbreviations.tsv): extra_words (every
// listed organisation name with branch/city/department words; persons
// are reported as info_extra_words_person), legal_shape, abbreviation_real,
// exact_*_country (the listed country given, the service's 10 hits, rows
// of one entity merged), original_script_* (the lists' own original-script
// names against an index without them; a hit on the same person's or
// entity's record on another list counts, see SameListedEntity, and
// info_original_script_*_own_record counts the query's own record only),
// neg_hard_common (common business
// words and legal forms only). False positives count the realistic
// negatives (neg_person, neg_company, neg_script, and neg_script_arabic /
// neg_script_persian: common Arabic and Persian names in Arabic script from
// data/arabic_script_names.tsv, see arabic_negatives.h); hard negatives count
// BLOCKs only.
//
// Usage: match_eval [--check] [--review=0.80] [--block=0.92]
//          [--sample=N] [--negatives=N] [--seed=S] [--lists=DIR]
//          [--show_failures=N] [--query=NAME [--query_country=CC] [--query_latin=1]]
// --query explains one name (hits and near misses) and exits.
// --check prints each issue-14 bar as met/MISSED and exits 1 if a list
// source is missing or does not parse or a floor is lost: exact names
// 100 % without country and >= 99.99 % with it, variants >= 98.5 % with
// every kind >= 95 %, extra words >= 99 %, original script >= 90 %,
// false positives <= 0.5 %, BLOCK on hard negatives <= 0.5 %.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/matching/name_index.h"
#include "services/rules/rule_set.h"
#include "services/matching/normalizer.h"
#include "tools/match_eval/arabic_negatives.h"
#include "tools/match_eval/real_lists.h"

namespace exportscreen::tools {
namespace {

using matching::IndexEntity;
using matching::NameKind;

constexpr uint32_t kNegative = UINT32_MAX;

struct Flags {
  bool check = false;
  double review = 0.80;
  double block = 0.92;
  size_t sample = 1500;     // variants per kind
  size_t negatives = 2000;  // per negative kind
  uint64_t seed = 20260731;
  std::string lists = ES_LISTS_DIR;
  size_t show_failures = 0;
  std::string query;          // --query: explain one name (hits and near misses)
  std::string query_country;  // --query_country: the party's country
  size_t query_near = 5;      // --query_near: near misses asked for
  // --query_latin=1: --query against the index the original_script kinds
  // use (the lists' original-script names left out).
  bool query_latin = false;
  // --arabic_names: the hand-compiled common Arabic and Persian names of
  // the Arabic-script negatives.
  std::string arabic_names = ES_SOURCE_DIR "/tools/match_eval/data/arabic_script_names.tsv";
};

struct Case {
  std::string kind;
  std::string query;
  uint32_t target = kNegative;
  std::string listed;        // the source name, for failure reports
  std::string country;       // the party's country ("" = not given)
  bool latin_index = false;  // run against the index without non-Latin aliases
  bool top10 = false;        // found only within the service's default 10 hits
  // The same listed person or entity on another list's record (see
  // SameListedEntity): a hit on one of these also finds it.
  std::vector<uint32_t> also;
};

Case C(std::string kind, std::string query, uint32_t target, std::string listed) {
  Case c;
  c.kind = std::move(kind);
  c.query = std::move(query);
  c.target = target;
  c.listed = std::move(listed);
  return c;
}

using Rng = std::mt19937_64;

size_t Pick(Rng& rng, size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
template <typename T>
const T& PickOf(Rng& rng, const std::vector<T>& v) {
  return v[Pick(rng, v.size())];
}

std::string Key(absl::string_view name) {
  matching::NormalizedName n;
  matching::NormalizeName(name, false, &n);
  std::vector<std::string> t;
  for (const auto& tok : n.tokens) {
    if (!tok.legal_form) t.push_back(tok.text);
  }
  std::sort(t.begin(), t.end());
  return absl::StrJoin(t, " ");
}

bool IsAlphaWord(absl::string_view w) {
  if (w.empty()) return false;
  for (char c : w) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Indices of space-separated words with at least `min_len` letters only.
std::vector<size_t> WordIndices(const std::vector<std::string>& words, size_t min_len) {
  std::vector<size_t> out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i].size() >= min_len && IsAlphaWord(words[i])) out.push_back(i);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Variant generators. Each returns "" if it does not apply to the name.

std::string Typo(const std::string& name, Rng& rng) {
  std::vector<std::string> w = absl::StrSplit(name, ' ');
  auto idx = WordIndices(w, 5);
  if (idx.empty()) return "";
  std::string& t = w[PickOf(rng, idx)];
  size_t pos = 1 + Pick(rng, t.size() - 1);  // keep the first letter
  char letter = static_cast<char>('a' + Pick(rng, 26));
  if (absl::ascii_isupper(static_cast<unsigned char>(t[pos]))) {
    letter = absl::ascii_toupper(letter);
  }
  switch (Pick(rng, 3)) {
    case 0:
      if (t[pos] == letter) letter = letter == 'a' ? 'e' : 'a';
      t[pos] = letter;
      break;
    case 1:
      t.erase(pos, 1);
      break;
    default:
      t.insert(pos, 1, letter);
  }
  return absl::StrJoin(w, " ");
}

std::string Transpose(const std::string& name, Rng& rng) {
  std::vector<std::string> w = absl::StrSplit(name, ' ');
  auto idx = WordIndices(w, 5);
  if (idx.empty()) return "";
  std::string& t = w[PickOf(rng, idx)];
  for (int attempt = 0; attempt < 8; ++attempt) {
    size_t pos = 1 + Pick(rng, t.size() - 2);
    if (t[pos] != t[pos + 1]) {
      std::swap(t[pos], t[pos + 1]);
      return absl::StrJoin(w, " ");
    }
  }
  return "";
}

std::string LegalFormChange(const std::string& name, bool person, Rng& rng) {
  if (person) return "";
  struct Rule {
    const char* from;
    std::vector<const char*> to;
  };
  static const std::vector<Rule> kRules = {
      {"Co., Ltd.", {"Company Limited", "Co Ltd", "", "LLC", "Limited"}},
      {"Co. Ltd.", {"Company Limited", "", "Ltd"}},
      {"Company Limited", {"Co., Ltd.", "", "Ltd."}},
      {"L.L.C.", {"LLC", "Limited Liability Company", ""}},
      {"LLC", {"L.L.C.", "Limited Liability Company", "", "Ltd"}},
      {"Ltd.", {"Limited", "", "LLC"}},
      {"Ltd", {"Limited", "", "Co., Ltd."}},
      {"Limited", {"Ltd.", "", "Co Ltd"}},
      {"Inc.", {"Incorporated", "", "Corp."}},
      {"Corporation", {"Corp.", "", "Inc."}},
      {"GmbH", {"", "Ltd", "LLC"}},
      {"JSC", {"Joint Stock Company", "OAO", "", "PJSC"}},
      {"OAO", {"JSC", "Open Joint Stock Company", ""}},
      {"OOO", {"LLC", "", "O.O.O."}},
      {"S.A.", {"SA", "", "Sociedad Anonima"}},
  };
  // Whole-word occurrences only ("JSC" not inside "PJSC"), and not the
  // start of a longer legal form ("Limited Liability Company").
  auto find_word = [&](const char* from) -> size_t {
    size_t n = strlen(from);
    for (size_t at = name.find(from); at != std::string::npos; at = name.find(from, at + 1)) {
      bool left = at == 0 || name[at - 1] == ' ';
      bool right = at + n == name.size() || name[at + n] == ' ' || name[at + n] == ',';
      if (left && right && name.compare(at + n, 10, " Liability") != 0) {
        return at;
      }
    }
    return std::string::npos;
  };
  std::vector<const Rule*> applicable;
  for (const Rule& r : kRules) {
    if (find_word(r.from) != std::string::npos) applicable.push_back(&r);
  }
  if (applicable.empty()) {
    static const std::vector<const char*> kAdd = {"Ltd", "LLC", "Co., Ltd.", "GmbH", "Inc.", "JSC"};
    return absl::StrCat(name, " ", PickOf(rng, kAdd));
  }
  const Rule& r = *PickOf(rng, applicable);
  std::string out = name;
  size_t at = find_word(r.from);
  out.replace(at, strlen(r.from), PickOf(rng, r.to));
  std::string trimmed(absl::StripAsciiWhitespace(out));
  while (!trimmed.empty() && (trimmed.back() == ',' || trimmed.back() == ' ')) {
    trimmed.pop_back();
  }
  return trimmed;
}

std::string Abbreviate(const std::string& name, Rng& rng) {
  static const std::vector<std::pair<const char*, const char*>> kAbbrev = {
      {"International", "Intl"}, {"Technology", "Tech"},    {"Technologies", "Tech."},
      {"University", "Univ."},   {"Corporation", "Corp."},  {"Company", "Co."},
      {"Institute", "Inst."},    {"Manufacturing", "Mfg."}, {"National", "Natl"},
      {"Industries", "Inds."},   {"Engineering", "Engg"},   {"Department", "Dept."},
      {"Association", "Assn."},  {"Management", "Mgmt"},    {"Services", "Svcs"},
      {"Holdings", "Hldgs"},     {"Group", "Grp"},          {"Science", "Sci."},
      {" and ", " & "},          {"Limited", "Ltd"},
  };
  std::vector<std::pair<const char*, const char*>> applicable;
  std::string upper = absl::AsciiStrToUpper(name);
  for (const auto& p : kAbbrev) {
    if (absl::StrContains(name, p.first)) applicable.push_back(p);
  }
  if (applicable.empty()) {
    // Upper-case lists: match case-insensitively, write the abbreviation
    // in upper case.
    for (const auto& p : kAbbrev) {
      std::string from = absl::AsciiStrToUpper(p.first);
      size_t at = upper.find(from);
      if (at != std::string::npos) {
        std::string out = name;
        out.replace(at, from.size(), absl::AsciiStrToUpper(p.second));
        return out;
      }
    }
    return "";
  }
  const auto& p = PickOf(rng, applicable);
  std::string out = name;
  size_t at = out.find(p.first);
  out.replace(at, strlen(p.first), p.second);
  return out;
}

std::string Reorder(const std::string& name, bool person, Rng& rng) {
  if (person) {
    size_t comma = name.find(',');
    if (comma != std::string::npos && name.find(',', comma + 1) == std::string::npos) {
      std::string last(absl::StripAsciiWhitespace(name.substr(0, comma)));
      std::string first(absl::StripAsciiWhitespace(name.substr(comma + 1)));
      if (!first.empty() && !last.empty()) return absl::StrCat(first, " ", last);
    }
    std::vector<std::string> w = absl::StrSplit(name, ' ', absl::SkipEmpty());
    if (w.size() < 2) return "";
    std::reverse(w.begin(), w.end());
    return absl::StrJoin(w, " ");
  }
  std::vector<std::string> w = absl::StrSplit(name, ' ', absl::SkipEmpty());
  if (w.size() < 2) return "";
  std::rotate(w.begin(), w.begin() + 1, w.end());
  return absl::StrJoin(w, " ");
}

std::string JoinSplit(const std::string& name, Rng& rng) {
  std::vector<std::string> w = absl::StrSplit(name, ' ', absl::SkipEmpty());
  std::vector<size_t> joinable;
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    if (IsAlphaWord(w[i]) && IsAlphaWord(w[i + 1]) && w[i].size() >= 2 && w[i + 1].size() >= 2 &&
        w[i].size() + w[i + 1].size() <= 14) {
      joinable.push_back(i);
    }
  }
  auto splittable = WordIndices(w, 8);
  bool join = !joinable.empty() && (splittable.empty() || Pick(rng, 2) == 0);
  if (join) {
    size_t i = PickOf(rng, joinable);
    w[i] += w[i + 1];
    w.erase(w.begin() + i + 1);
    return absl::StrJoin(w, " ");
  }
  if (splittable.empty()) return "";
  size_t i = PickOf(rng, splittable);
  size_t at = w[i].size() / 2;
  w[i] = absl::StrCat(w[i].substr(0, at), " ", w[i].substr(at));
  return absl::StrJoin(w, " ");
}

std::string CasePunct(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '.' || c == ',' || c == '(' || c == ')' || c == '"' || c == '\'') {
      continue;
    }
    out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  out = std::string(absl::StripAsciiWhitespace(out));
  return out == name ? "" : out;
}

// Latin (BGN-like romanisation) to Russian Cyrillic, as a clerk would write
// the name in Cyrillic.
std::string ToCyrillicLetters(const std::string& name);

// A Russian party's name as written in Russian: legal forms in their
// Russian abbreviations, the rest letter by letter.
std::string ToCyrillic(const std::string& name) {
  static const std::vector<std::pair<const char*, const char*>> kLegal = {
      {"open joint stock company", "ОАО"},
      {"open joint-stock company", "ОАО"},
      {"closed joint stock company", "ЗАО"},
      {"closed joint-stock company", "ЗАО"},
      {"public joint stock company", "ПАО"},
      {"public joint-stock company", "ПАО"},
      {"joint stock company", "АО"},
      {"joint-stock company", "АО"},
      {"limited liability company", "ООО"},
      {"ojsc", "ОАО"},
      {"cjsc", "ЗАО"},
      {"pjsc", "ПАО"},
      {"jsc", "АО"},
      {"llc", "ООО"},
      {"oao", "ОАО"},
      {"zao", "ЗАО"},
      {"ooo", "ООО"},
      {"pao", "ПАО"},
      {"ao", "АО"},
      {"corporation", "корпорация"},
      {"ltd", "Лтд"},
      {"ltd.", "Лтд"}};
  std::vector<std::string> words =
      absl::StrSplit(absl::AsciiStrToLower(name), ' ', absl::SkipEmpty());
  std::string out;
  for (size_t i = 0; i < words.size();) {
    bool done = false;
    for (const auto& [from, to] : kLegal) {
      std::vector<std::string> f = absl::StrSplit(from, ' ');
      if (i + f.size() > words.size()) continue;
      bool eq = true;
      for (size_t k = 0; k < f.size() && eq; ++k) {
        std::string w = words[i + k];
        while (!w.empty() && (w.back() == ',' || w.back() == '.')) w.pop_back();
        eq = w == f[k];
      }
      if (!eq) continue;
      absl::StrAppend(&out, out.empty() ? "" : " ", to);
      i += f.size();
      done = true;
      break;
    }
    if (done) continue;
    absl::StrAppend(&out, out.empty() ? "" : " ", ToCyrillicLetters(words[i]));
    ++i;
  }
  return out;
}

std::string ToCyrillicLetters(const std::string& name) {
  static const std::vector<std::pair<const char*, const char*>> kMulti = {
      {"shch", "щ"}, {"zh", "ж"}, {"kh", "х"}, {"ts", "ц"}, {"ch", "ч"},  {"sh", "ш"},
      {"yu", "ю"},   {"ya", "я"}, {"ye", "е"}, {"yo", "ё"}, {"iy", "ий"}, {"yy", "ый"}};
  static const absl::flat_hash_map<char, const char*> kSingle = {
      {'a', "а"}, {'b', "б"}, {'v', "в"},  {'g', "г"}, {'d', "д"}, {'e', "е"}, {'z', "з"},
      {'i', "и"}, {'y', "й"}, {'k', "к"},  {'l', "л"}, {'m', "м"}, {'n', "н"}, {'o', "о"},
      {'p', "п"}, {'r', "р"}, {'s', "с"},  {'t', "т"}, {'u', "у"}, {'f', "ф"}, {'h', "х"},
      {'c', "к"}, {'w', "в"}, {'x', "кс"}, {'q', "к"}, {'j', "дж"}};
  std::string lower = absl::AsciiStrToLower(name);
  std::string out;
  // A foreign initial "e" is written "э" in Russian.
  if (!lower.empty() && lower[0] == 'e') {
    out = "э";
    lower = lower.substr(1);
  }
  size_t letters = 0;
  for (size_t i = 0; i < lower.size();) {
    bool done = false;
    for (const auto& [from, to] : kMulti) {
      size_t n = strlen(from);
      if (lower.compare(i, n, from) == 0) {
        out += to;
        i += n;
        done = true;
        ++letters;
        break;
      }
    }
    if (done) continue;
    auto it = kSingle.find(lower[i]);
    if (it != kSingle.end()) {
      out += it->second;
      ++letters;
    } else {
      out.push_back(lower[i]);
    }
    ++i;
  }
  return letters >= 1 ? out : "";
}

// Real Chinese names of listed Chinese companies (listed English name ->
// Chinese name as registered).
const std::vector<std::pair<const char*, const char*>>& ChineseNames() {
  static const auto* v = new std::vector<std::pair<const char*, const char*>>{
      {"Huawei Technologies Co., Ltd.", "华为技术有限公司"},
      {"Sichuan University", "四川大学"},
      {"China Electronics Technology Group Corporation", "中国电子科技集团公司"},
      {"Beijing Huawei Digital Technologies Co., Ltd.", "北京华为数字技术有限公司"},
      {"Shanghai Huawei Technologies Co., Ltd.", "上海华为技术有限公司"},
      {"Zhejiang Huawei Communications Technology Co., Ltd.", "浙江华为通信技术有限公司"},
      {"Beijing Huada Jiutian Technology Co., Ltd.", "北京华大九天科技股份有限公司"},
      {"Huawei Marine Networks Co., Ltd.", "华为海洋网络有限公司"},
      {"Shenzhen Huawei Technology Service", "深圳华为技术服务"},
      {"Nanchang Huawei Communication Technology", "南昌华为通信技术"},
  };
  return *v;
}

// ---------------------------------------------------------------------------
// Generators for issue 14. Their word lists are this tool's own (hand
// written here), never the normaliser's tables or rules/abbreviations.tsv,
// so a kind cannot pass because generator and matcher share a table.

// A listed name with ordinary extra words before or after it (a branch,
// division, city or department).
std::string ExtraWords(const std::string& name, Rng& rng) {
  static const std::vector<std::string> kUnits = {
      "Branch",      "Research Branch",  "Sales Office",      "Representative Office",
      "Division",    "Department",       "Service Center",    "Subsidiary",
      "Plant No. 2", "Trading Branch",   "Export Department", "Liaison Office",
      "R&D Center",  "Procurement Dept", "Factory",           "Regional Office"};
  static const std::vector<std::string> kPlaces = {
      "Shenzhen", "Moscow",   "Dubai",       "Tehran",    "Hong Kong", "Minsk",
      "Istanbul", "Karachi",  "Almaty",      "Singapore", "Beijing",   "Kuala Lumpur",
      "Yerevan",  "Tashkent", "Novosibirsk", "Guangzhou", "Sharjah",   "Tianjin"};
  const std::string& place = PickOf(rng, kPlaces);
  const std::string& unit = PickOf(rng, kUnits);
  switch (Pick(rng, 5)) {
    case 0:
      return absl::StrCat(name, " ", place, " ", unit);
    case 1:
      return absl::StrCat(name, " ", unit);
    case 2:
      return absl::StrCat(place, " ", unit, " of ", name);
    case 3:
      return absl::StrCat(name, " (", place, ")");
    default:
      return absl::StrCat(place, " ", name, " ", unit);
  }
}

// Legal forms in other shapes: a typo inside the form, split by a stray
// space, glued onto the last word, or in another order / position.
std::string LegalShape(const std::string& name, bool person, Rng& rng) {
  if (person) return "";
  struct Shape {
    const char* form;                 // as written in listed names
    std::vector<const char*> shapes;  // its other shapes
  };
  static const std::vector<Shape> kShapes = {
      {"Limited", {"Limted", "Limitd", "Limietd", "Lim ited", "Limi ted"}},
      {"LIMITED", {"LIMTED", "LIMITTED", "LIM ITED", "LIMI TED"}},
      {"Company", {"Compnay", "Comapny", "Compa ny", "Com pany"}},
      {"COMPANY", {"COMPNAY", "COMAPNY", "COMP ANY"}},
      {"Corporation", {"Corporaton", "Corportion", "Corpo ration", "Coporation"}},
      {"CORPORATION", {"CORPORATON", "CORPROATION", "CORPO RATION"}},
      {"Incorporated", {"Incorporatd", "Incorpo rated"}},
      {"Co., Ltd.", {"Ltd. Co.", "Co.,Ltd.", "Co Ltd", "Co. L td."}},
      {"CO., LTD.", {"LTD. CO.", "CO.,LTD", "CO. L TD"}},
      {"Company Limited", {"Limited Company", "Compnay Limited", "Company Limted"}},
      {"COMPANY LIMITED", {"LIMITED COMPANY", "COMPANY LIMTED"}},
      {"Joint Stock Company", {"Joint Stock Compnay", "Joint-Stock Co", "Stock Joint Company"}},
      {"JOINT STOCK COMPANY", {"JOINT STOCK COMPNAY", "JOINTSTOCK COMPANY"}},
      {"LLC", {"L L C", "L.L.C"}},
      {"Ltd.", {"L td.", "Ltd,"}},
      {"LTD", {"L TD"}},
      {"GmbH", {"Gm bH", "G.m.b.H."}},
  };
  // A form glued onto the last word, or moved to the front.
  static const std::vector<const char*> kGlue = {"Ltd",  "LLC", "Limited", "Inc",
                                                 "GmbH", "LTD", "Corp"};
  std::vector<std::pair<const Shape*, size_t>> found;
  for (const Shape& sh : kShapes) {
    size_t at = name.find(sh.form);
    if (at == std::string::npos) continue;
    size_t end = at + strlen(sh.form);
    bool left = at == 0 || name[at - 1] == ' ' || name[at - 1] == ',';
    bool right = end == name.size() || name[end] == ' ' || name[end] == ',' || name[end] == '.';
    if (left && right) found.emplace_back(&sh, at);
  }
  const size_t mode = Pick(rng, 3);
  if (!found.empty() && mode != 2) {
    const auto& f = PickOf(rng, found);
    std::string out = name;
    out.replace(f.second, strlen(f.first->form), PickOf(rng, f.first->shapes));
    return out;
  }
  // Glue the form to the last word or put it first.
  std::vector<std::string> w = absl::StrSplit(name, ' ', absl::SkipEmpty());
  if (w.empty() || Key(name).empty()) return "";
  const char* form = PickOf(rng, kGlue);
  if (!found.empty()) {
    // The name has a form: move it to the front.
    const auto& f = found.front();
    std::string rest = name;
    rest.erase(f.second, strlen(f.first->form));
    rest = std::string(absl::StripAsciiWhitespace(rest));
    while (!rest.empty() && (rest.back() == ',' || rest.back() == ' ')) rest.pop_back();
    if (rest.empty()) return "";
    return absl::StrCat(f.first->form, " ", rest);
  }
  std::string& last = w.back();
  while (!last.empty() && (last.back() == ',' || last.back() == '.')) last.pop_back();
  if (last.size() < 3 || !IsAlphaWord(last)) return "";
  last += form;
  return absl::StrJoin(w, " ");
}

// Abbreviations as written in trade registers and on the lists themselves
// (this tool's own list, independent of rules/abbreviations.tsv).
std::string AbbreviateReal(const std::string& name, Rng& rng) {
  static const std::vector<std::pair<const char*, const char*>> kWords = {
      {"International", "Int'l"},   {"INTERNATIONAL", "INTL."},
      {"Laboratory", "Lab."},       {"LABORATORY", "LAB"},
      {"Manufacturing", "Mfg"},     {"MANUFACTURING", "MFG."},
      {"Television", "TV"},         {"Construction", "Constr."},
      {"CONSTRUCTION", "CONSTR"},   {"Brothers", "Bros."},
      {"Chemical", "Chem."},        {"CHEMICAL", "CHEM"},
      {"Pharmaceutical", "Pharm."}, {"Telecommunications", "Telecom"},
      {"Development", "Dev."},      {"DEVELOPMENT", "DEV"},
      {"Organization", "Org."},     {"Equipment", "Equip."},
      {"EQUIPMENT", "EQUIP"},       {"Petrochemical", "Petrochem."},
      {"Technology", "Tech"},       {"TECHNOLOGY", "TECH."},
      {"Center", "Ctr."},           {"Systems", "Sys."},
      {"SYSTEMS", "SYS"},           {"Management", "Mgmt."},
      {"Department", "Dept"},       {"Import", "Imp."},
      {"Engineering", "Eng."},      {"ENGINEERING", "ENGG"},
      {"Industries", "Ind."},       {"INDUSTRIES", "IND"},
      {"Science", "Sci"},           {"Government", "Govt."},
      {"Association", "Assoc."},    {"University", "Univ"},
      {"UNIVERSITY", "UNIV."},      {"Institute", "Inst"},
      {"INSTITUTE", "INST."},       {"National", "Nat'l"}};
  std::vector<std::pair<const char*, const char*>> applicable;
  for (const auto& p : kWords) {
    size_t at = name.find(p.first);
    if (at == std::string::npos) continue;
    size_t end = at + strlen(p.first);
    bool left = at == 0 || name[at - 1] == ' ';
    bool right = end == name.size() || !absl::ascii_isalpha(static_cast<unsigned char>(name[end]));
    if (left && right) applicable.push_back(p);
  }
  if (applicable.empty()) return "";
  const auto& p = PickOf(rng, applicable);
  std::string out = name;
  out.replace(out.find(p.first), strlen(p.first), p.second);
  return out;
}

// Script of a name: "cyrillic", "arabic", "han" or "" (by its letters).
std::string ScriptOf(absl::string_view s) {
  size_t cyr = 0, arab = 0, han = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (i + len > s.size()) break;
    cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    if (cp >= 0x0400 && cp <= 0x04FF) ++cyr;
    if ((cp >= 0x0600 && cp <= 0x06FF) || (cp >= 0xFB50 && cp <= 0xFEFF)) ++arab;
    if (cp >= 0x4E00 && cp <= 0x9FFF) ++han;
    i += len;
  }
  if (cyr >= 2 && cyr >= arab && cyr >= han) return "cyrillic";
  if (arab >= 2 && arab >= han) return "arabic";
  if (han >= 2) return "han";
  return "";
}

// Records of the same listed person or entity on different lists (the UN
// list and OFAC's SDN list carry many of the same people, each with its own
// record): for each ordinal, the other ordinals that share one Latin name
// of at least two words, compared as a set of lower-case ASCII words
// ("BELKALEM, Mohamed" = "MOHAMED BELKALEM"). A plain fold of the lists'
// own names, independent of the matcher's normaliser and tables.
std::map<uint32_t, std::vector<uint32_t>> SameListedEntity(
    const std::vector<matching::IndexEntity>& entities) {
  auto key = [](absl::string_view name) {
    std::vector<std::string> words;
    std::string w;
    for (char ch : name) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(ch))) {
        w.push_back(absl::ascii_tolower(static_cast<unsigned char>(ch)));
      } else if (!w.empty()) {
        words.push_back(std::move(w));
        w.clear();
      }
    }
    if (!w.empty()) words.push_back(std::move(w));
    std::sort(words.begin(), words.end());
    return words.size() >= 2 ? absl::StrJoin(words, " ") : std::string();
  };
  std::map<std::string, std::vector<uint32_t>> by_key;
  for (const matching::IndexEntity& e : entities) {
    std::vector<std::string> keys = {key(e.primary_name)};
    for (const auto& a : e.aliases) {
      if (ScriptOf(a.first).empty()) keys.push_back(key(a.first));
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const std::string& k : keys) {
      if (!k.empty()) by_key[k].push_back(e.ordinal);
    }
  }
  std::map<uint32_t, std::vector<uint32_t>> out;
  for (const auto& [k, ordinals] : by_key) {
    for (uint32_t a : ordinals) {
      for (uint32_t b : ordinals) {
        if (a != b) out[a].push_back(b);
      }
    }
  }
  return out;
}

// Common business words and legal forms only: a hard negative with no
// distinctive word of any listed name.
const std::vector<std::string> kCommonBusiness = {
    "International", "Trading",       "Technology", "Technologies", "Industrial",    "Industries",
    "Group",         "General",       "Global",     "Engineering",  "Electronics",   "Import",
    "Export",        "Import Export", "Services",   "Systems",      "Logistics",     "Energy",
    "Development",   "Investment",    "Holding",    "Commercial",   "Machinery",     "Equipment",
    "Solutions",     "Science",       "Shipping",   "Construction", "Materials",     "Products",
    "Management",    "Chemical",      "Aviation",   "Network",      "Communication", "Petroleum",
    "Research"};
const std::vector<std::string> kCommonLegal = {"Co., Ltd.", "Company Limited",
                                               "LLC",       "Ltd",
                                               "JSC",       "Corporation",
                                               "Inc.",      "GmbH",
                                               "FZE",       "Limited",
                                               "Co.",       "OOO",
                                               "S.A.",      ""};

// ---------------------------------------------------------------------------
// Negative vocabularies.

const std::vector<std::string> kFirst = {
    "James",     "John",      "Robert",     "Michael",  "William",  "David",      "Richard",
    "Joseph",    "Thomas",    "Charles",    "Mary",     "Patricia", "Jennifer",   "Linda",
    "Elizabeth", "Barbara",   "Susan",      "Jessica",  "Sarah",    "Karen",      "Lukas",
    "Jonas",     "Felix",     "Maximilian", "Leonie",   "Hannah",   "Lena",       "Katharina",
    "Juergen",   "Wolfgang",  "Klaus",      "Louis",    "Gabriel",  "Jules",      "Camille",
    "Chloe",     "Manon",     "Pierre",     "Francois", "Isabelle", "Santiago",   "Mateo",
    "Alejandro", "Sofia",     "Valentina",  "Lucia",    "Javier",   "Carmen",     "Diego",
    "Lorenzo",   "Francesco", "Giulia",     "Chiara",   "Matteo",   "Alessandro", "Aleksandr",
    "Dmitriy",   "Sergey",    "Andrey",     "Maksim",   "Ivan",     "Nikolay",    "Olga",
    "Tatyana",   "Natalya",   "Yelena",     "Irina",    "Wei",      "Fang",       "Jing",
    "Min",       "Jun",       "Hui",        "Xiu",      "Lei",      "Yan",        "Tao",
    "Qiang",     "Haruto",    "Yuto",       "Sota",     "Yui",      "Hina",       "Aoi",
    "Takeshi",   "Hiroshi",   "Kenji",      "Minjun",   "Seojun",   "Jiwoo",      "Seoyeon",
    "Jiho",      "Hyun",      "Omar",       "Khalid",   "Youssef",  "Fatima",     "Layla",
    "Karim",     "Tariq",     "Samir",      "Nadia",    "Rania",    "Aarav",      "Vivaan",
    "Aditya",    "Priya",     "Ananya",     "Rohan",    "Arjun",    "Kavya",      "Emre",
    "Burak",     "Elif",      "Zeynep",     "Mehmet",   "Ayse",     "Joao",       "Pedro",
    "Lucas",     "Beatriz",   "Mariana",    "Sven",     "Ingrid",   "Astrid",     "Piotr",
    "Katarzyna", "Tomasz",    "Agnieszka",  "Jan",      "Eva",      "Pieter",     "Sanne"};
const std::vector<std::string> kLast = {
    "Smith",     "Johnson",    "Williams",  "Brown",     "Jones",    "Garcia",    "Miller",
    "Davis",     "Wilson",     "Anderson",  "Taylor",    "Moore",    "Mueller",   "Schmidt",
    "Schneider", "Fischer",    "Weber",     "Meyer",     "Wagner",   "Becker",    "Hoffmann",
    "Martin",    "Bernard",    "Dubois",    "Durand",    "Lefebvre", "Moreau",    "Laurent",
    "Rodriguez", "Martinez",   "Lopez",     "Gonzalez",  "Perez",    "Sanchez",   "Ramirez",
    "Torres",    "Rossi",      "Russo",     "Ferrari",   "Esposito", "Bianchi",   "Romano",
    "Colombo",   "Ivanov",     "Smirnov",   "Kuznetsov", "Popov",    "Vasilyev",  "Petrov",
    "Sokolov",   "Mikhaylov",  "Novikov",   "Fedorov",   "Wang",     "Li",        "Zhang",
    "Liu",       "Chen",       "Yang",      "Huang",     "Zhao",     "Wu",        "Zhou",
    "Sato",      "Suzuki",     "Takahashi", "Tanaka",    "Watanabe", "Ito",       "Yamamoto",
    "Nakamura",  "Kim",        "Lee",       "Park",      "Choi",     "Jung",      "Kang",
    "Cho",       "Yoon",       "Haddad",    "Mansour",   "Khoury",   "Nasser",    "Saleh",
    "Hamdan",    "Aziz",       "Sharma",    "Patel",     "Singh",    "Kumar",     "Gupta",
    "Mehta",     "Reddy",      "Yilmaz",    "Kaya",      "Demir",    "Sahin",     "Celik",
    "Silva",     "Santos",     "Oliveira",  "Souza",     "Pereira",  "Costa",     "Nowak",
    "Kowalski",  "Wisniewski", "Jansen",    "de Vries",  "van Dijk", "Andersson", "Johansson",
    "Nielsen",   "Hansen"};
const std::vector<std::string> kHanSurname = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵",
                                              "吴", "周", "徐", "孙", "马", "朱", "胡"};
const std::vector<std::string> kHanGiven = {
    "伟", "芳", "娜", "敏", "静", "丽",   "强",   "磊",   "军",   "洋",   "勇",
    "艳", "杰", "涛", "明", "超", "秀英", "桂英", "建华", "志强", "晓东", "海燕"};
const std::vector<std::string> kHanCity = {"北京", "上海", "深圳", "广州", "杭州",
                                           "成都", "武汉", "南京", "苏州", "青岛"};
const std::vector<std::string> kHanBrand = {"星辰", "蓝海", "恒达", "瑞丰", "锦程", "鼎盛",
                                            "宏远", "卓越", "天润", "金桥", "博雅", "新源",
                                            "汇通", "远航", "晨光", "诚信", "安泰", "华美"};
const std::vector<std::string> kHanIndustry = {"贸易", "物流", "机械", "化工",
                                               "食品", "纺织", "家具", "餐饮"};
const std::vector<std::string> kCities = {"Berlin", "Lyon",   "Osaka",    "Austin",   "Porto",
                                          "Milan",  "Munich", "Seoul",    "Toronto",  "Denver",
                                          "Leeds",  "Gdansk", "Valencia", "Bergen",   "Graz",
                                          "Nagoya", "Pune",   "Izmir",    "Curitiba", "Adelaide"};
const std::vector<std::string> kIndustry = {
    "Technology",   "Trading",   "Logistics", "Foods",      "Textiles",    "Pharma",
    "Consulting",   "Software",  "Energy",    "Machinery",  "Electronics", "Systems",
    "Solutions",    "Furniture", "Media",     "Travel",     "Dental",      "Bakery",
    "Construction", "Holdings",  "Capital",   "Industries", "Engineering"};
const std::vector<std::string> kLegal = {"GmbH", "Ltd",    "LLC",    "S.A.",  "Co., Ltd.",
                                         "Inc.", "S.p.A.", "B.V.",   "K.K.",  "Pty Ltd",
                                         "OOO",  "AG",     "S.R.L.", "Corp.", ""};
const std::vector<std::string> kSyllables = {"ka",  "lo",  "mi",  "ra",  "ven", "tor", "xi",  "qua",
                                             "bel", "dro", "fin", "gal", "zer", "nov", "pel", "tri",
                                             "sor", "ul",  "vex", "mar", "cul", "dan", "or",  "is",
                                             "te",  "lu",  "bra", "cen", "dor", "fel"};

std::string Brand(Rng& rng, const absl::flat_hash_set<std::string>& listed) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string b;
    size_t n = 2 + Pick(rng, 2);
    for (size_t i = 0; i < n; ++i) b += PickOf(rng, kSyllables);
    if (b.size() < 5 || listed.contains(b)) continue;
    b[0] = absl::ascii_toupper(b[0]);
    return b;
  }
  return "Zyxqorva";
}

// ---------------------------------------------------------------------------

struct Stats {
  size_t total = 0;
  size_t found = 0;    // positives: target hit; negatives: any hit
  size_t blocked = 0;  // score >= block
  std::vector<std::string> failures;
};

int Run(const Flags& flags) {
  auto t0 = std::chrono::steady_clock::now();
  auto loaded = LoadRealLists(flags.lists);
  if (!loaded.ok()) {
    std::fprintf(stderr, "load failed: %s\n", loaded.status().ToString().c_str());
    return 2;
  }
  RealLists lists = std::move(*loaded);
  for (const auto& line : lists.report) std::printf("loaded %s\n", line.c_str());
  if (flags.check && lists.skipped_sources > 0) {
    std::fprintf(stderr, "check: FAIL: %d list source(s) missing or unreadable in %s\n",
                 lists.skipped_sources, flags.lists.c_str());
    return 1;
  }
  const std::vector<IndexEntity> entities = lists.entities;  // copy for cases
  size_t names = 0;
  for (const auto& e : entities) names += 1 + e.aliases.size();
  auto t1 = std::chrono::steady_clock::now();
  if (!flags.query.empty() && flags.query_latin) {
    for (IndexEntity& e : lists.entities) {
      std::erase_if(e.aliases, [](const auto& a) { return !ScriptOf(a.first).empty(); });
    }
  }
  auto built = matching::NameIndex::Build(std::move(lists.entities));
  if (!built.ok()) {
    std::fprintf(stderr, "build failed: %s\n", built.status().ToString().c_str());
    return 2;
  }
  const matching::NameIndex& index = **built;
  if (!flags.query.empty()) {
    matching::PartyQuery q;
    q.name = flags.query;
    q.country = flags.query_country;
    matching::MatchOptions o;
    o.min_score = flags.review;
    o.max_near_misses = flags.query_near;
    o.max_hits = 10;
    o.near_miss_min = 0.3;
    auto r = index.MatchDetailed(q, o);
    if (!r.ok()) {
      std::printf("%s\n", r.status().ToString().c_str());
      return 1;
    }
    auto print = [](const char* what, const matching::NameHit& h) {
      std::printf("%s %.3f (rank %.3f)%s%s %s [%s]\n", what, h.score, h.rank_score,
                  h.exact ? " exact" : "", h.review_only ? " review-only" : "",
                  h.matched_name.c_str(), absl::StrJoin(h.corroboration, "; ").c_str());
      for (const auto& t : h.alignment) {
        std::printf("    %-10s %s ~ %s (%.2f, w %.2f)\n", t.kind.c_str(), t.query_token.c_str(),
                    t.listed_token.c_str(), t.similarity, t.weight);
      }
    };
    for (const auto& h : r->hits) print("hit", h);
    for (const auto& h : r->near_misses) print("near miss", h);
    return 0;
  }
  auto t2 = std::chrono::steady_clock::now();
  std::printf("entities %zu, names %zu (indexed %zu), load %.1f s, build %.2f s\n", entities.size(),
              names, index.name_count(), std::chrono::duration<double>(t1 - t0).count(),
              std::chrono::duration<double>(t2 - t1).count());

  // Listed tokens and name keys (to keep negatives off the lists).
  absl::flat_hash_set<std::string> listed_tokens;
  absl::flat_hash_set<std::string> listed_keys;
  absl::flat_hash_map<std::string, size_t> token_df;
  std::map<std::string, uint32_t> name_to_entity;  // exact listed name
  {
    matching::NormalizedName n;
    auto visit = [&](const std::string& name, uint32_t ord) {
      matching::NormalizeName(name, false, &n);
      absl::flat_hash_set<std::string> seen;
      for (const auto& t : n.tokens) {
        listed_tokens.insert(t.text);
        if (seen.insert(t.text).second) ++token_df[t.text];
      }
      listed_keys.insert(Key(name));
      name_to_entity.emplace(name, ord);
    };
    for (const auto& e : entities) {
      visit(e.primary_name, e.ordinal);
      for (const auto& a : e.aliases) visit(a.first, e.ordinal);
    }
  }

  Rng rng(flags.seed);
  std::vector<Case> cases;
  // Exact names.
  struct Named {
    uint32_t ordinal;
    std::string name;
    bool person;
    bool slavic;
  };
  std::vector<Named> pool;
  for (const auto& e : entities) {
    bool slavic = false;
    for (const auto& c : e.countries) {
      slavic |= c == "RU" || c == "BY" || c == "UA" || c == "KZ";
    }
    auto add = [&](const std::string& name, const char* kind) {
      if (Key(name).empty()) return;  // no letters or digits at all
      cases.push_back(C(kind, name, e.ordinal, name));
      // The same name with the listed country given, answered as the
      // service answers (its default of 10 hits per party).
      if (!e.countries.empty()) {
        Case c = C(absl::StrCat(kind, "_country"), name, e.ordinal, name);
        c.country = e.countries.front();
        c.top10 = true;
        cases.push_back(c);
      }
      pool.push_back({e.ordinal, name, e.is_person, slavic});
    };
    add(e.primary_name, "exact_primary");
    for (const auto& a : e.aliases) {
      if (a.second == NameKind::kStrongAlias) add(a.first, "exact_strong_alias");
    }
  }
  std::shuffle(pool.begin(), pool.end(), rng);
  // Every listed name (primary and strong a.k.a.) with extra words.
  // Organisations (branches, divisions, offices); persons are reported
  // apart (extra words of a person are other names, judged by the
  // symmetric score, not by containment).
  for (const Named& p : pool) {
    std::string v = ExtraWords(p.name, rng);
    cases.push_back(C(p.person ? "info_extra_words_person" : "extra_words", v, p.ordinal, p.name));
  }
  // Real original-script names (UN NAME_ORIGINAL_SCRIPT, SDN a.k.a.s in
  // other scripts), queried against an index without them.
  const std::map<uint32_t, std::vector<uint32_t>> same_entity = SameListedEntity(entities);
  std::vector<IndexEntity> latin_entities = entities;
  for (IndexEntity& e : latin_entities) {
    std::vector<std::pair<std::string, NameKind>> kept;
    for (auto& a : e.aliases) {
      std::string script = ScriptOf(a.first);
      if (script.empty()) {
        kept.push_back(std::move(a));
        continue;
      }
      Case c = C(absl::StrCat("original_script_", script), a.first, e.ordinal, e.primary_name);
      c.latin_index = true;
      if (auto it = same_entity.find(e.ordinal); it != same_entity.end()) c.also = it->second;
      cases.push_back(c);
    }
    e.aliases = std::move(kept);
  }
  auto latin_built = matching::NameIndex::Build(std::move(latin_entities));
  if (!latin_built.ok()) {
    std::fprintf(stderr, "build failed: %s\n", latin_built.status().ToString().c_str());
    return 2;
  }
  const matching::NameIndex& latin_index = **latin_built;

  // Variants: walk the shuffled pool per kind until `sample` cases.
  const std::vector<std::string> kKinds = {
      "typo",         "transposition", "legal_form", "abbreviation", "reorder",
      "joined_split", "case_punct",    "cyrillic",   "legal_shape",  "abbreviation_real"};
  for (size_t k = 0; k < kKinds.size(); ++k) {
    const std::string& kind = kKinds[k];
    size_t made = 0;
    size_t start = Pick(rng, pool.size());
    for (size_t s = 0; s < pool.size() && made < flags.sample; ++s) {
      const Named& p = pool[(start + s) % pool.size()];
      std::string v;
      if (kind == "typo")
        v = Typo(p.name, rng);
      else if (kind == "transposition")
        v = Transpose(p.name, rng);
      else if (kind == "legal_form")
        v = LegalFormChange(p.name, p.person, rng);
      else if (kind == "abbreviation")
        v = Abbreviate(p.name, rng);
      else if (kind == "reorder")
        v = Reorder(p.name, p.person, rng);
      else if (kind == "joined_split")
        v = JoinSplit(p.name, rng);
      else if (kind == "case_punct")
        v = CasePunct(p.name);
      else if (kind == "legal_shape")
        v = LegalShape(p.name, p.person, rng);
      else if (kind == "abbreviation_real")
        v = AbbreviateReal(p.name, rng);
      else if (kind == "cyrillic" && p.slavic &&
               (p.person || Key(p.name).find(' ') == std::string::npos)) {
        // Persons, and organisations with a one-word name besides the
        // legal form (longer ones are English translations, which a
        // Russian writer would not transliterate letter by letter).
        v = ToCyrillic(p.name);
      }
      if (v.empty() || Key(v).empty()) continue;
      cases.push_back(C(kind, v, p.ordinal, p.name));
      ++made;
    }
  }
  for (const auto& [english, chinese] : ChineseNames()) {
    auto it = name_to_entity.find(english);
    if (it == name_to_entity.end()) continue;
    cases.push_back(C("chinese", chinese, it->second, english));
  }

  // Negatives.
  size_t dropped = 0;
  auto add_negative = [&](const std::string& kind, const std::string& q) {
    if (listed_keys.contains(Key(q))) {
      ++dropped;
      return;
    }
    cases.push_back(C(kind, q, kNegative, ""));
  };
  for (size_t i = 0; i < flags.negatives; ++i) {
    std::string first = PickOf(rng, kFirst), last = PickOf(rng, kLast);
    switch (i % 4) {
      case 0:
        add_negative("neg_person", absl::StrCat(first, " ", last));
        break;
      case 1:
        add_negative("neg_person", absl::StrCat(absl::AsciiStrToUpper(last), ", ", first));
        break;
      case 2:
        add_negative("neg_person", absl::StrCat(first, " ", PickOf(rng, kFirst), " ", last));
        break;
      default:
        add_negative("neg_person",
                     absl::StrCat(first, " ", std::string(1, PickOf(rng, kFirst)[0]), ". ", last));
    }
  }
  for (size_t i = 0; i < flags.negatives; ++i) {
    std::string q = Brand(rng, listed_tokens);
    if (i % 3 == 0) q = absl::StrCat(PickOf(rng, kCities), " ", q);
    absl::StrAppend(&q, " ", PickOf(rng, kIndustry));
    if (i % 4 == 0) absl::StrAppend(&q, " ", PickOf(rng, kIndustry));
    std::string legal = PickOf(rng, kLegal);
    if (!legal.empty()) absl::StrAppend(&q, " ", legal);
    add_negative("neg_company", q);
  }
  for (size_t i = 0; i < flags.negatives; ++i) {
    switch (i % 4) {
      case 0:
        add_negative("neg_script", PickOf(rng, kHanSurname) + PickOf(rng, kHanGiven));
        break;
      case 1:
        add_negative("neg_script", PickOf(rng, kHanCity) + PickOf(rng, kHanBrand) +
                                       PickOf(rng, kHanIndustry) + "有限公司");
        break;
      case 2: {
        std::string c = ToCyrillic(absl::StrCat(PickOf(rng, kFirst), " ", PickOf(rng, kLast)));
        if (!c.empty()) add_negative("neg_script", c);
        break;
      }
      default: {
        std::string c = ToCyrillicLetters(Brand(rng, listed_tokens));
        if (!c.empty()) add_negative("neg_script", "ООО " + c);
      }
    }
  }
  {
    // Arabic-script negatives: common Arabic and Persian names (own data
    // file, own RNG so the other kinds' cases are unchanged), those that
    // correspond to a listed Latin name dropped by the generator's own
    // romanisation.
    std::vector<std::string> latin_names;
    for (const auto& e : entities) {
      if (ScriptOf(e.primary_name).empty()) latin_names.push_back(e.primary_name);
      for (const auto& a : e.aliases) {
        if (ScriptOf(a.first).empty()) latin_names.push_back(a.first);
      }
    }
    auto arabic =
        MakeArabicScriptNegatives(flags.arabic_names, latin_names, flags.negatives, flags.seed);
    if (!arabic.ok()) {
      std::fprintf(stderr, "arabic-script negatives: %s\n", arabic.status().ToString().c_str());
      return 2;
    }
    for (const auto& [kind, q] : arabic->cases) add_negative(kind, q);
    std::printf(
        "arabic-script negatives: %zu generated names dropped as corresponding to a "
        "listed name\n",
        arabic->dropped);
  }
  for (size_t i = 0; i < flags.negatives; ++i) {
    // Only common business words and legal forms.
    std::string q = PickOf(rng, kCommonBusiness);
    for (size_t k = 0, n = 1 + Pick(rng, 3); k < n; ++k) {
      absl::StrAppend(&q, " ", PickOf(rng, kCommonBusiness));
    }
    std::string legal = PickOf(rng, kCommonLegal);
    if (!legal.empty()) absl::StrAppend(&q, " ", legal);
    add_negative("neg_hard_common", q);
  }
  {
    // Hard negatives: listed organisation names, distinctive words replaced.
    std::vector<const Named*> orgs;
    for (const Named& p : pool) {
      if (!p.person) orgs.push_back(&p);
    }
    size_t made = 0;
    for (size_t s = 0; s < orgs.size() && made < flags.negatives; ++s) {
      std::vector<std::string> w = absl::StrSplit(orgs[s]->name, ' ', absl::SkipEmpty());
      size_t common = 0, replaced = 0;
      for (std::string& word : w) {
        std::string norm = Key(word);
        auto it = token_df.find(norm);
        bool is_common = norm.empty() || (it != token_df.end() && it->second >= 20);
        if (is_common) {
          common += !norm.empty();
          continue;
        }
        word = Brand(rng, listed_tokens);
        ++replaced;
      }
      if (common == 0 || replaced == 0) continue;
      add_negative("neg_hard", absl::StrJoin(w, " "));
      ++made;
    }
  }

  // Run.
  std::map<std::string, Stats> stats;
  matching::MatchOptions opts;
  opts.min_score = flags.review;
  opts.max_hits = 200;
  std::vector<double> latencies;
  latencies.reserve(cases.size());
  auto t3 = std::chrono::steady_clock::now();
  for (const Case& c : cases) {
    matching::PartyQuery q;
    q.name = c.query;
    q.country = c.country;
    opts.max_hits = c.top10 ? 10 : 200;
    const matching::NameIndex& idx = c.latin_index ? latin_index : index;
    auto a = std::chrono::steady_clock::now();
    auto hits = idx.Match(q, opts);
    latencies.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
    Stats& st = stats[c.kind];
    ++st.total;
    bool found = false, blocked = false, found_record = false;
    std::string detail;
    if (hits.ok()) {
      for (const auto& h : *hits) {
        bool dup = std::find(h.duplicate_ordinals.begin(), h.duplicate_ordinals.end(), c.target) !=
                   h.duplicate_ordinals.end();
        bool same = std::find(c.also.begin(), c.also.end(), h.ordinal) != c.also.end();
        if (c.target == kNegative || h.ordinal == c.target || dup || same) {
          found_record = found_record || !same || h.ordinal == c.target || dup;
          if (found) continue;  // only looking for the record itself now
          found = true;
          blocked = h.score >= flags.block && !h.review_only;
          detail = absl::StrFormat("%.3f %s", h.score, h.matched_name);
          if (found_record) break;
        }
      }
      if (absl::StartsWith(c.kind, "original_script")) {
        // The strict figure: the query's own record, not another list's.
        Stats& strict = stats[absl::StrCat("info_", c.kind, "_own_record")];
        ++strict.total;
        strict.found += found_record;
      }
      if (!found && !hits->empty()) {
        detail = absl::StrFormat("top %.3f %s", (*hits)[0].score, (*hits)[0].matched_name);
      }
    } else {
      detail = hits.status().ToString();
    }
    st.found += found;
    st.blocked += blocked;
    bool failure = c.target == kNegative ? found : !found;
    if (failure && st.failures.size() < flags.show_failures) {
      st.failures.push_back(absl::StrCat("\"", c.query, "\"",
                                         c.country.empty() ? "" : " [" + c.country + "]",
                                         " (listed \"", c.listed, "\") -> ", detail));
    }
  }
  auto t4 = std::chrono::steady_clock::now();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()))];
  };

  std::printf(
      "\nthresholds: review %.2f, block %.2f; seed %llu; variant sample "
      "%zu per kind; negatives %zu per kind (%zu generated negatives "
      "dropped as listed)\n",
      flags.review, flags.block, static_cast<unsigned long long>(flags.seed), flags.sample,
      flags.negatives, dropped);
  std::printf("%-26s %8s %8s %9s %9s\n", "kind", "cases", "hits", "rate", ">=block");
  size_t exact_total = 0, exact_found = 0, var_total = 0, var_found = 0, neg_total = 0,
         neg_found = 0, hard_total = 0, hard_blocked = 0, script_total = 0, script_found = 0,
         exact_plain_total = 0, exact_plain_found = 0, arabic_neg_total = 0, arabic_neg_found = 0;
  double extra_rate = 100;
  double min_kind = 100;
  std::string min_kind_name;
  bool extra_ok = true;
  for (const auto& [kind, st] : stats) {
    const double rate = 100.0 * st.found / std::max<size_t>(1, st.total);
    std::printf("%-26s %8zu %8zu %8.2f%% %8.2f%%\n", kind.c_str(), st.total, st.found, rate,
                100.0 * st.blocked / std::max<size_t>(1, st.total));
    if (absl::StartsWith(kind, "exact_")) {
      exact_total += st.total;
      exact_found += st.found;
      if (!absl::EndsWith(kind, "_country")) {
        exact_plain_total += st.total;
        exact_plain_found += st.found;
      }
    } else if (kind == "neg_hard" || kind == "neg_hard_common") {
      hard_total += st.total;
      hard_blocked += st.blocked;
    } else if (absl::StartsWith(kind, "neg_")) {
      neg_total += st.total;
      neg_found += st.found;
      if (kind == "neg_script_arabic" || kind == "neg_script_persian") {
        arabic_neg_total += st.total;
        arabic_neg_found += st.found;
      }
    } else if (absl::StartsWith(kind, "original_script") || kind == "chinese") {
      script_total += st.total;
      script_found += st.found;
    } else if (kind == "extra_words") {
      extra_ok = st.found == st.total;
      extra_rate = rate;
    } else if (absl::StartsWith(kind, "info_")) {
      // Reported, not part of any bar.
    } else {
      var_total += st.total;
      var_found += st.found;
      if (rate < min_kind) {
        min_kind = rate;
        min_kind_name = kind;
      }
    }
    for (const auto& f : st.failures) std::printf("    %s: %s\n", kind.c_str(), f.c_str());
  }
  double exact_recall = 100.0 * exact_found / std::max<size_t>(1, exact_total);
  double var_recall = 100.0 * var_found / std::max<size_t>(1, var_total);
  double fp_rate = 100.0 * neg_found / std::max<size_t>(1, neg_total);
  double hard_block = 100.0 * hard_blocked / std::max<size_t>(1, hard_total);
  double script_recall = 100.0 * script_found / std::max<size_t>(1, script_total);
  double arabic_fp = 100.0 * arabic_neg_found / std::max<size_t>(1, arabic_neg_total);
  std::printf(
      "\nrecall exact %.3f%% (%zu/%zu), variants %.2f%% (%zu/%zu, "
      "lowest kind %s %.2f%%), original script %.2f%% (%zu/%zu), "
      "extra words %s; false positives (realistic) %.2f%% (%zu/%zu), "
      "of which Arabic-script %.2f%% (%zu/%zu), BLOCK on hard negatives %.2f%% (%zu/%zu)\n",
      exact_recall, exact_found, exact_total, var_recall, var_found, var_total,
      min_kind_name.c_str(), min_kind, script_recall, script_found, script_total,
      extra_ok ? "all >= REVIEW" : "MISSED", fp_rate, neg_found, neg_total, arabic_fp,
      arabic_neg_found, arabic_neg_total, hard_block, hard_blocked, hard_total);
  std::printf(
      "match latency over %zu queries: p50 %.1f us, p99 %.1f us, "
      "max %.1f us; total %.1f s\n",
      latencies.size(), pct(0.5), pct(0.99), latencies.back(),
      std::chrono::duration<double>(t4 - t3).count());
  if (flags.check) {
    // Issue 14's bars, each reported; not all are met yet (see README,
    // "Numbers"), so the exit code guards the floors reached instead: a
    // change that loses ground fails, one that closes a bar is visible.
    struct Bar {
      const char* what;
      bool met;
    };
    const Bar bars[] = {
        {"exact names 100% without country", exact_plain_found == exact_plain_total},
        {"exact names 100% with the listed country", exact_found == exact_total},
        {"variants >= 98.5%", var_recall >= 98.5},
        {"every variant kind >= 95%", min_kind >= 95.0},
        {"extra words 100% at least REVIEW", extra_ok},
        {"real original-script names >= 90%", script_recall >= 90.0},
        {"false positives (realistic) <= 0.5%", fp_rate <= 0.5},
        {"false positives (Arabic-script negatives) <= 0.5%", arabic_fp <= 0.5},
        {"BLOCK on hard negatives <= 0.5%", hard_block <= 0.5}};
    for (const Bar& b : bars) {
      std::printf("bar %-45s %s\n", b.what, b.met ? "met" : "MISSED");
    }
    const double exact_rate = 100.0 * exact_found / std::max<size_t>(1, exact_total);
    bool ok = exact_plain_found == exact_plain_total && exact_rate >= 100.0 && var_recall >= 98.5 &&
              min_kind >= 95.0 && extra_rate >= 99.99 && script_recall >= 90.0 && fp_rate <= 0.5 &&
              hard_block <= 0.5;
    std::printf(
        "check: %s (floors: exact 100%% with and without country, "
        "variants >= 98.5%% and every kind >= 95%%, extra words >= "
        "99.99%%, original script >= 90%%, FP <= 0.5%%, BLOCK on hard "
        "negatives <= 0.5%%)\n",
        ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
  }
  return 0;
}

}  // namespace
}  // namespace exportscreen::tools

int main(int argc, char** argv) {
  exportscreen::tools::Flags flags;
  // Default thresholds are the rule set's (rules/thresholds.textproto): the
  // evaluation measures what the service does.
  std::string rules_dir = ES_SOURCE_DIR "/rules";
  for (int i = 1; i < argc; ++i) {
    if (absl::StartsWith(argv[i], "--rules=")) rules_dir = argv[i] + 8;
  }
  if (auto files = exportscreen::rules::ReadRuleFiles(rules_dir); files.ok()) {
    if (auto rs = exportscreen::rules::RuleSet::Compile(*files); rs.ok()) {
      flags.review = (*rs)->match_review_threshold();
      flags.block = (*rs)->match_block_threshold();
    } else {
      std::fprintf(stderr, "rules in %s do not compile: %s\n", rules_dir.c_str(),
                   std::string(rs.status().message()).c_str());
      return 2;
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::pair<std::string, std::string> kv = absl::StrSplit(arg, absl::MaxSplits('=', 1));
    const std::string& k = kv.first;
    const std::string& v = kv.second;
    bool ok = true;
    if (k == "--check")
      flags.check = true;
    else if (k == "--review")
      ok = absl::SimpleAtod(v, &flags.review);
    else if (k == "--block")
      ok = absl::SimpleAtod(v, &flags.block);
    else if (k == "--sample")
      ok = absl::SimpleAtoi(v, &flags.sample);
    else if (k == "--negatives")
      ok = absl::SimpleAtoi(v, &flags.negatives);
    else if (k == "--seed")
      ok = absl::SimpleAtoi(v, &flags.seed);
    else if (k == "--lists")
      flags.lists = v;
    else if (k == "--show_failures")
      ok = absl::SimpleAtoi(v, &flags.show_failures);
    else if (k == "--rules")
      ok = true;
    else if (k == "--query")
      flags.query = v;
    else if (k == "--query_country")
      flags.query_country = v;
    else if (k == "--query_near")
      ok = absl::SimpleAtoi(v, &flags.query_near);
    else if (k == "--query_latin")
      ok = absl::SimpleAtob(v, &flags.query_latin);
    else if (k == "--arabic_names")
      flags.arabic_names = v;
    else
      ok = false;
    if (!ok) {
      std::fprintf(stderr,
                   "usage: match_eval [--check] [--rules=DIR] [--review=X] [--block=Y] "
                   "[--sample=N] [--negatives=N] [--seed=S] [--lists=DIR] "
                   "[--show_failures=N] [--query=NAME [--query_country=CC] [--query_latin=1]]\n");
      return 2;
    }
  }
  return exportscreen::tools::Run(flags);
}
