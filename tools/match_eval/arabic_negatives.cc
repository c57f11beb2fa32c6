// Arabic-script realistic negatives (see arabic_negatives.h). The coarse
// romanisation here is this tool's own: it reduces an Arabic-script word and
// a Latin spelling to the same consonant classes where the spellings of one
// Arabic letter disagree (a coarser class only drops more generated names,
// which keeps the check on the safe side).
#include "tools/match_eval/arabic_negatives.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace exportscreen::tools {
namespace {

std::vector<uint32_t> CodePoints(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (i + len > s.size()) break;
    uint32_t cp = len == 1 ? c : c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

// Consonant class of an Arabic-script letter, 0 for letters a Latin
// spelling drops or writes as a vowel (alif, waw, ya, ain, hamza, ha, hha,
// ta marbuta) and for marks.
char ArabicLetterClass(uint32_t cp) {
  switch (cp) {
    case 0x0628:  // ba
    case 0x067E:  // pe
      return 'B';
    case 0x062A:  // ta
    case 0x0637:  // ta (emphatic)
    case 0x062B:  // tha
      return 'T';
    case 0x062C:  // jim
    case 0x0686:  // che
    case 0x0698:  // zhe
    case 0x0642:  // qaf
    case 0x063A:  // ghayn
    case 0x0643:  // kaf
    case 0x06A9:  // keheh (Persian kaf)
    case 0x06AF:  // gaf
    case 0x062E:  // kha
      return 'K';
    case 0x062F:  // dal
    case 0x0630:  // dhal
    case 0x0636:  // dad
    case 0x0638:  // za
    case 0x0632:  // zay
      return 'D';
    case 0x0633:  // sin
    case 0x0635:  // sad
    case 0x0634:  // shin
      return 'S';
    case 0x0631:
      return 'R';
    case 0x0644:
      return 'L';
    case 0x0645:
      return 'M';
    case 0x0646:
      return 'N';
    case 0x0641:
      return 'F';
    default:
      return 0;
  }
}

void PushCollapsed(std::string* out, char c) {
  if (c != 0 && (out->empty() || out->back() != c)) out->push_back(c);
}

std::string Collapse(const std::string& s) {
  std::string out;
  for (char c : s) PushCollapsed(&out, c);
  return out;
}

bool IsLatinVowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

// Words that carry no consonant of the name: particles and the article
// written apart (Latin and Arabic script).
bool IsParticle(const std::string& w) {
  static const absl::flat_hash_set<std::string> kParticles = {
      "al", "el",  "ul",  "ud",  "ad",   "ar", "as",   "ash", "at",  "az",  "an",
      "un", "bin", "ben", "ibn", "bint", "bn", "ould", "بن",  "ابن", "بنت", "ال"};
  return kParticles.contains(w);
}

}  // namespace

std::string ArabicClasses(const std::string& arabic_word) {
  std::vector<uint32_t> cps = CodePoints(arabic_word);
  size_t start = 0;
  // The article "ال" written on the word.
  if (cps.size() > 3 && cps[0] == 0x0627 && cps[1] == 0x0644) start = 2;
  std::string out;
  for (size_t i = start; i < cps.size(); ++i) PushCollapsed(&out, ArabicLetterClass(cps[i]));
  return out;
}

std::string LatinClasses(const std::string& latin_word) {
  std::string w = absl::AsciiStrToLower(latin_word);
  // The article glued on ("ALTAMIMI", "ELHADDAD").
  if (w.size() > 4 && (w[0] == 'a' || w[0] == 'e') && w[1] == 'l' && !IsLatinVowel(w[2])) {
    w = w.substr(2);
  }
  std::string out;
  for (size_t i = 0; i < w.size(); ++i) {
    const char c = w[i];
    const char next = i + 1 < w.size() ? w[i + 1] : 0;
    if (next == 'h' && (c == 'k' || c == 'g' || c == 'z')) {
      PushCollapsed(&out, 'K');
      ++i;
    } else if (next == 'h' && (c == 's' || c == 'c')) {
      PushCollapsed(&out, 'S');
      ++i;
    } else if (next == 'h' && c == 't') {
      PushCollapsed(&out, 'T');
      ++i;
    } else if (next == 'h' && c == 'd') {
      PushCollapsed(&out, 'D');
      ++i;
    } else if (next == 'h' && c == 'p') {
      PushCollapsed(&out, 'F');
      ++i;
    } else if (c == 'd' && next == 'j') {
      PushCollapsed(&out, 'K');
      ++i;
    } else if (c == 'b' || c == 'p') {
      PushCollapsed(&out, 'B');
    } else if (c == 't') {
      PushCollapsed(&out, 'T');
    } else if (c == 'd' || c == 'z') {
      PushCollapsed(&out, 'D');
    } else if (c == 's' || c == 'c') {
      PushCollapsed(&out, 'S');
    } else if (c == 'k' || c == 'q' || c == 'g' || c == 'j') {
      PushCollapsed(&out, 'K');
    } else if (c == 'x') {
      PushCollapsed(&out, 'K');
      PushCollapsed(&out, 'S');
    } else if (c == 'f') {
      PushCollapsed(&out, 'F');
    } else if (c == 'r' || c == 'l' || c == 'm' || c == 'n') {
      PushCollapsed(&out, absl::ascii_toupper(c));
    }
    // Vowels, y, w, v (waw), h and anything else: dropped.
  }
  return out;
}

namespace {

// The consonant classes of a Latin listed name, word by word (particles
// and words without consonants left out).
std::vector<std::string> LatinUnits(const std::string& name) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty() && !IsParticle(absl::AsciiStrToLower(word))) {
      std::string c = LatinClasses(word);
      if (!c.empty()) out.push_back(std::move(c));
    }
    word.clear();
  };
  for (char ch : name) {
    if (absl::ascii_isalpha(static_cast<unsigned char>(ch))) {
      word.push_back(ch);
    } else {
      flush();
    }
  }
  flush();
  return out;
}

// The consonant classes of the words of one data-file entry ("عبد الله"
// is two words), particles left out.
void AppendArabicUnits(const std::string& entry, std::vector<std::string>* out) {
  for (absl::string_view w : absl::StrSplit(entry, ' ', absl::SkipEmpty())) {
    std::string word(w);
    if (IsParticle(word)) continue;
    std::string c = ArabicClasses(word);
    if (!c.empty()) out->push_back(std::move(c));
  }
}

std::string SortedKey(std::vector<std::string> units) {
  std::sort(units.begin(), units.end());
  return absl::StrJoin(units, " ");
}

// Every unit of `need` matched to a distinct word of `have`, where one
// word of `need` may be two adjacent words of `have` written together and,
// with `join_need`, one word of `have` two adjacent words of `need`
// ("ABDULLAH" / "عبد الله").
bool Covers(const std::vector<std::string>& have, const std::vector<std::string>& need,
            bool join_need) {
  std::vector<bool> used(have.size(), false);
  for (size_t j = 0; j < need.size(); ++j) {
    const std::string& u = need[j];
    const std::string joined_need =
        join_need && j + 1 < need.size() ? Collapse(u + need[j + 1]) : "";
    bool ok = false;
    for (size_t i = 0; i < have.size() && !ok; ++i) {
      if (used[i]) continue;
      if (have[i] == u) {
        used[i] = ok = true;
      } else if (i + 1 < have.size() && !used[i + 1] && Collapse(have[i] + have[i + 1]) == u) {
        used[i] = used[i + 1] = ok = true;
      } else if (!joined_need.empty() && have[i] == joined_need) {
        used[i] = ok = true;
        ++j;
      }
    }
    if (!ok) return false;
  }
  return true;
}

struct ListedIndex {
  std::vector<std::vector<std::string>> units;                       // per listed name
  absl::flat_hash_set<std::string> whole;                            // in-order concatenations
  absl::flat_hash_set<std::string> sorted;                           // unit multisets
  absl::flat_hash_map<std::string, std::vector<uint32_t>> postings;  // unit -> names
};

ListedIndex IndexListed(const std::vector<std::string>& names) {
  ListedIndex ix;
  for (const std::string& n : names) {
    std::vector<std::string> u = LatinUnits(n);
    if (u.empty()) continue;
    const uint32_t id = static_cast<uint32_t>(ix.units.size());
    ix.whole.insert(Collapse(absl::StrJoin(u, "")));
    ix.sorted.insert(SortedKey(u));
    for (size_t i = 0; i < u.size(); ++i) {
      ix.postings[u[i]].push_back(id);
      if (i + 1 < u.size()) ix.postings[Collapse(u[i] + u[i + 1])].push_back(id);
    }
    ix.units.push_back(std::move(u));
  }
  return ix;
}

// Whether the generated name corresponds to a listed name: the same
// classes as a whole or in another order; the generated name (its entries,
// "عبد الله" one unit) within the listed one; or the listed name (two words
// or more, no initials) within the generated one (its words).
bool CorrespondsToListed(const ListedIndex& ix, const std::vector<std::string>& entry_units,
                         const std::vector<std::string>& word_units) {
  if (ix.whole.contains(Collapse(absl::StrJoin(entry_units, ""))) ||
      ix.sorted.contains(SortedKey(entry_units)) || ix.sorted.contains(SortedKey(word_units))) {
    return true;
  }
  absl::flat_hash_set<uint32_t> seen;
  std::vector<std::string> keys = entry_units;
  keys.insert(keys.end(), word_units.begin(), word_units.end());
  for (const std::string& u : keys) {
    auto it = ix.postings.find(u);
    if (it == ix.postings.end()) continue;
    for (uint32_t id : it->second) {
      if (!seen.insert(id).second) continue;
      const std::vector<std::string>& listed = ix.units[id];
      if (Covers(listed, entry_units, /*join_need=*/false)) return true;
      bool initials = false;
      for (const std::string& l : listed) initials |= l.size() < 2;
      if (listed.size() >= 2 && !initials && Covers(word_units, listed, /*join_need=*/true)) {
        return true;
      }
    }
  }
  return false;
}

using Words = std::map<std::string, std::vector<std::string>>;

absl::StatusOr<Words> ReadData(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  Words words;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    if (kv.second.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", line));
    words[kv.first].push_back(kv.second);
  }
  for (const char* k : {"ar_given", "ar_family", "ar_org_head", "ar_org_tail", "fa_given",
                        "fa_family", "fa_org_head", "fa_org_tail"}) {
    if (words[k].empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no ", k));
  }
  return words;
}

}  // namespace

absl::StatusOr<ArabicNegatives> MakeArabicScriptNegatives(
    const std::string& data_path, const std::vector<std::string>& listed_names, size_t per_kind,
    uint64_t seed) {
  absl::StatusOr<Words> data = ReadData(data_path);
  if (!data.ok()) return data.status();
  Words& w = *data;
  const ListedIndex ix = IndexListed(listed_names);
  std::mt19937_64 rng(seed ^ 0x41726162u);
  auto pick = [&](const char* cls) -> const std::string& {
    const std::vector<std::string>& v = w[cls];
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
  };
  ArabicNegatives out;
  // One name: its words (for the query) and whether it is a person (the
  // business words are not part of the correspondence check).
  auto generate = [&](bool persian, size_t i, std::vector<std::string>* name_words,
                      std::vector<std::string>* person) {
    const char* given = persian ? "fa_given" : "ar_given";
    const char* family = persian ? "fa_family" : "ar_family";
    name_words->clear();
    person->clear();
    const size_t shape = i % 10;
    if (shape == 9) {  // a small business named after its owner
      if (persian) {
        *person = {pick(family)};
        *name_words = {pick("fa_org_head"), pick("fa_org_tail"), (*person)[0]};
      } else {
        *person = {pick(given), pick(family)};
        *name_words = {pick("ar_org_head"), (*person)[0], (*person)[1], pick("ar_org_tail")};
      }
      return;
    }
    if (shape < 5) {
      *person = {pick(given), pick(family)};
    } else if (shape < 8 || persian) {
      *person = {pick(given), pick(given), pick(family)};
    } else {
      *person = {pick(given), "بن", pick(given)};  // patronymic
    }
    *name_words = *person;
  };
  for (bool persian : {false, true}) {
    const size_t want = persian ? per_kind / 2 : per_kind;
    const std::string kind = persian ? "neg_script_persian" : "neg_script_arabic";
    std::vector<std::string> name_words, person;
    size_t made = 0;
    for (size_t i = 0; made < want && i < 4 * want; ++i) {
      generate(persian, i, &name_words, &person);
      std::vector<std::string> entry_units, word_units;
      for (const std::string& p : person) {
        AppendArabicUnits(p, &word_units);
        std::vector<std::string> words;
        AppendArabicUnits(p, &words);
        if (!words.empty()) entry_units.push_back(Collapse(absl::StrJoin(words, "")));
      }
      if (entry_units.empty() || CorrespondsToListed(ix, entry_units, word_units)) {
        ++out.dropped;
        continue;
      }
      out.cases.emplace_back(kind, absl::StrJoin(name_words, " "));
      ++made;
    }
  }
  return out;
}

}  // namespace exportscreen::tools
