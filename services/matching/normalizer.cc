// NameNormalizer: NormalizeName as a sequence of named stages over ASCII
// tokens (the ICU path for other input is in normalizer_unicode.cc, the
// tables in normalizer_tables.cc).
#include "services/matching/normalizer.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/matching/normalizer_internal.h"

namespace exportscreen::matching {
namespace {

using normalizer_internal::Abbreviations;
using normalizer_internal::BagKey;
using normalizer_internal::CanonicalLegal;
using normalizer_internal::CompanyWords;
using normalizer_internal::CorrectLegalWord;
using normalizer_internal::HanGlossary;
using normalizer_internal::LegalForms;
using normalizer_internal::LegalWords;
using normalizer_internal::LegalWordTypos;
using normalizer_internal::PhraseEntry;
using normalizer_internal::PhraseTable;
using normalizer_internal::UnicodePath;

// ---------------------------------------------------------------------------
// ASCII tokenizer.

bool IsAsciiAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

struct TokenizeResult {
  std::vector<std::string> tokens;
  int commas = 0;
  size_t comma_at = 0;  // tokens before the first comma
  bool punctuation = false;
  bool upper = false;
  // Per token: next to an '&', spaces aside ("R&D", "R & D", "AT&T"). Such
  // a letter is part of its own short word, never of a spelled-out run
  // ("M Y M R&D" is "mym r and d", not "mymr and d").
  std::vector<bool> ampersand_glued;
};

void FlushToken(std::string* cur, std::vector<std::string>* tokens, bool* punctuation) {
  if (cur->empty()) return;
  if (cur->find('.') == std::string::npos) {
    tokens->push_back(std::move(*cur));
    cur->clear();
    return;
  }
  *punctuation = true;
  std::vector<absl::string_view> parts = absl::StrSplit(*cur, '.', absl::SkipEmpty());
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
  bool after_ampersand = false;  // the last character other than a space was '&'
  bool last_was_word = false;    // the last character other than a space ended a token
  bool cur_glued = false;        // `cur` began right after '&' (spaces aside)
  auto glue = [&r](size_t i) {
    if (r.ampersand_glued.size() <= i) r.ampersand_glued.resize(i + 1, false);
    r.ampersand_glued[i] = true;
  };
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsAsciiAlnum(c) || c >= 0x80) {
      if (c >= 'A' && c <= 'Z') {
        r.upper = true;
        c = static_cast<unsigned char>(c - 'A' + 'a');
      }
      if (cur.empty()) cur_glued = after_ampersand;
      after_ampersand = false;
      last_was_word = true;
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
    const size_t before = r.tokens.size();
    FlushToken(&cur, &r.tokens, &r.punctuation);
    if (cur_glued && r.tokens.size() > before) glue(before);
    cur_glued = false;
    if (c == '&' && last_was_word && !r.tokens.empty()) glue(r.tokens.size() - 1);
    if (c != ' ') {
      after_ampersand = c == '&';
      last_was_word = false;
    }
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
  const size_t before = r.tokens.size();
  FlushToken(&cur, &r.tokens, &r.punctuation);
  if (cur_glued && r.tokens.size() > before) glue(before);
  r.ampersand_glued.resize(r.tokens.size(), false);
  return r;
}

// Replaces phrases of `table` in `tokens` (greedy, longest first).
void ApplyPhrases(const PhraseTable& table, absl::string_view step_name, bool record,
                  std::vector<NormalizedToken>* tokens, std::vector<std::string>* steps) {
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
      for (size_t len = std::min(table.max_len, n - i); len >= 1 && !done; --len) {
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
      while (i + run < n && run < table.max_len && !(*tokens)[i + run].legal_form &&
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
          steps->push_back(
              absl::StrCat(step_name, "_reordered:", absl::StrJoin(words, " "), "->", e.canonical));
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

// ---------------------------------------------------------------------------
// NormalizeName's stages, in the order it runs them.

// Input over kMaxNameBytes is cut at a character boundary.
absl::string_view TruncateToLimit(absl::string_view raw, bool record_steps,
                                  std::vector<std::string>* steps) {
  if (raw.size() > kMaxNameBytes) {
    size_t cut = kMaxNameBytes;
    // Back up to a UTF-8 character boundary.
    while (cut > 0 && (static_cast<unsigned char>(raw[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    raw = raw.substr(0, cut);
    if (record_steps) steps->push_back("truncated");
  }
  return raw;
}

bool IsAscii(absl::string_view raw) {
  for (char c : raw) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Spelled-out names ("H-U-A-W-E-I", "H U A W E I"): a run of three or more
// single-letter tokens is one word (initials of persons are rarely three).
void JoinSpelledLetters(TokenizeResult* result, bool record_steps,
                        std::vector<std::string>* steps) {
  TokenizeResult& tr = *result;
  std::vector<std::string> joined;
  joined.reserve(tr.tokens.size());
  bool any = false;
  for (size_t i = 0; i < tr.tokens.size();) {
    size_t j = i;
    while (j < tr.tokens.size() && tr.tokens[j].size() == 1 &&
           absl::ascii_isalpha(static_cast<unsigned char>(tr.tokens[j][0])) &&
           !(j < tr.ampersand_glued.size() && tr.ampersand_glued[j])) {
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
  tr.ampersand_glued.clear();  // indices of the tokens before joining
  if (any && record_steps) steps->push_back("join_letters");
}

// "LAST, First" -> "first last" when the part after the comma looks like
// given names (no legal forms or company words).
void PersonOrder(TokenizeResult* result, bool record_steps, std::vector<std::string>* steps) {
  TokenizeResult& tr = *result;
  if (!(tr.commas == 1 && tr.comma_at >= 1 && tr.comma_at <= 3)) return;
  size_t after = tr.tokens.size() - tr.comma_at;
  bool person = after >= 1 && after <= 4;
  const PhraseTable& legal = LegalForms();
  for (size_t i = 0; person && i < tr.tokens.size(); ++i) {
    const std::string& t = tr.tokens[i];
    if (legal.map.contains(t) || CompanyWords().contains(t)) person = false;
  }
  if (person) {
    std::rotate(tr.tokens.begin(), tr.tokens.begin() + tr.comma_at, tr.tokens.end());
    if (record_steps) steps->push_back("person_order:last, first->first last");
  }
}

// Legal forms glued to a neighbouring word ("capitalllc", "jscsirius",
// "jointstock", "landcompany").
void SplitGluedLegalForms(std::vector<NormalizedToken>* tokens, bool record_steps,
                          std::vector<std::string>* steps) {
  std::vector<NormalizedToken>& toks = *tokens;
  static const char* kAbbrevForms[] = {"llc",  "ltd",  "jsc", "ojsc", "pjsc",
                                       "cjsc", "gmbh", "oao", "zao",  "ooo"};
  // Glued at the end only ("huaweiinc"; "incorporated" is no "inc ...").
  static const char* kSuffixForms[] = {"inc", "corp", "plc"};
  const LegalWordTypos& lw = LegalWords();
  std::vector<NormalizedToken> split;
  bool any = false;
  for (NormalizedToken& t : toks) {
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
        if ((head && tail) || (head && k >= 7) || (tail && w.size() - k >= 7 && k >= 4)) {
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
      steps->push_back(absl::StrCat("legal_form_split:", w, "->", a.text, " ", b.text));
    }
    split.push_back(std::move(a));
    split.push_back(std::move(b));
  }
  (void)any;
  toks = std::move(split);
}

// A legal form split by a stray space ("limi ted", "l td", "gm bh"):
// rejoined when the halves make a legal word or form and stand at the
// end of the name (or next to another legal word).
void JoinSplitLegalForms(std::vector<NormalizedToken>* tokens, bool record_steps,
                         std::vector<std::string>* steps) {
  std::vector<NormalizedToken>& toks = *tokens;
  if (toks.size() < 3) return;
  const LegalWordTypos& lw = LegalWords();
  const PhraseTable& forms = LegalForms();
  std::vector<NormalizedToken> joined;
  const size_t n = toks.size();
  for (size_t i = 0; i < n; ++i) {
    if (i + 1 < n && i >= 1) {
      const std::string& a = toks[i].text;
      const std::string& b = toks[i + 1].text;
      std::string cat = a + b;
      const bool at_end = i + 4 >= n;
      const bool word = lw.words.contains(cat) && !lw.words.contains(a) && !lw.words.contains(b);
      const bool form = cat.size() >= 3 && forms.map.contains(cat) && !forms.map.contains(a) &&
                        !forms.map.contains(b) && !forms.first_words.contains(a) &&
                        !forms.map.find(cat)->second.edge_only;
      if (at_end && (word || form) && !absl::ascii_isdigit(a[0]) && !absl::ascii_isdigit(b[0])) {
        if (record_steps) {
          steps->push_back(absl::StrCat("legal_form_join:", a, " ", b, "->", cat));
        }
        NormalizedToken t;
        t.text = std::move(cat);
        joined.push_back(std::move(t));
        ++i;
        continue;
      }
    }
    joined.push_back(std::move(toks[i]));
  }
  toks = std::move(joined);
}

// Misspelt words of multi-word legal forms: next to another legal word,
// or among the last two words of the name (where legal forms stand); a
// name word that happens to be close elsewhere is left alone.
void FixLegalWordTypos(std::vector<NormalizedToken>* tokens, bool record_steps,
                       std::vector<std::string>* steps) {
  std::vector<NormalizedToken>& toks = *tokens;
  if (toks.size() < 2) return;
  const LegalWordTypos& lw = LegalWords();
  for (size_t i = 0; i < toks.size(); ++i) {
    std::string& text = toks[i].text;
    if (text.size() < 5 || lw.words.contains(text)) continue;
    bool next_to_legal = (i + 2 >= toks.size() && text.size() >= 6) ||
                         (i > 0 && lw.words.contains(toks[i - 1].text)) ||
                         (i + 1 < toks.size() && lw.words.contains(toks[i + 1].text)) ||
                         (i > 0 && LegalForms().map.contains(toks[i - 1].text)) ||
                         (i + 1 < toks.size() && LegalForms().map.contains(toks[i + 1].text));
    if (!next_to_legal) continue;
    std::string fixed = CorrectLegalWord(text);
    if (fixed.empty()) continue;
    if (record_steps) {
      steps->push_back(absl::StrCat("legal_word_typo:", text, "->", fixed));
    }
    text = std::move(fixed);
  }
}

// Abbreviations of ordinary words, expanded (the short form is kept).
void ExpandAbbreviations(std::vector<NormalizedToken>* tokens, bool record_steps,
                         std::vector<std::string>* steps) {
  const auto& abbrev = Abbreviations();
  for (NormalizedToken& t : *tokens) {
    if (t.legal_form) continue;
    auto it = abbrev.find(t.text);
    if (it == abbrev.end()) continue;
    if (record_steps) {
      steps->push_back(absl::StrCat("abbrev:", t.text, "->", it->second));
    }
    t.unexpanded = std::move(t.text);
    t.text = it->second;
  }
}

// The token cap, names made only of legal forms, numeric tokens.
void FinishTokens(NormalizedName* out, bool record_steps) {
  // Splitting glued legal forms can add tokens: keep the cap.
  if (out->tokens.size() > kMaxTokens) {
    out->tokens.resize(kMaxTokens);
    if (record_steps) out->steps.push_back("truncated");
  }
  // A name made only of legal forms keeps them as ordinary tokens, so that
  // it stays matchable by its exact text.
  if (out->DistinctiveCount() == 0) {
    for (NormalizedToken& t : out->tokens) t.legal_form = false;
  }
  for (NormalizedToken& t : out->tokens) {
    t.numeric = !t.text.empty() && std::all_of(t.text.begin(), t.text.end(),
                                               [](char c) { return c >= '0' && c <= '9'; });
  }
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

std::string ArabicSkeleton(absl::string_view t, bool listed, bool split_digraphs) {
  // Spelling rewrites first (both sides: equal names stay equal).
  std::string w;
  w.reserve(t.size() + 2);
  const auto& spellings = ArabicSpellingTable().spellings;
  for (size_t i = 0; i < t.size();) {
    bool rewritten = false;
    for (const auto& [from, to] : spellings) {
      if (t.compare(i, from.size(), from) == 0) {
        w.append(to);
        i += from.size();
        rewritten = true;
        break;
      }
    }
    if (!rewritten) w.push_back(t[i++]);
  }
  if (listed && w.size() >= 4 && (absl::EndsWith(w, "ah") || absl::EndsWith(w, "eh"))) {
    w.pop_back();
  }
  std::string out;
  for (size_t i = 0; i < w.size(); ++i) {
    char c = w[i];
    if (c >= '0' && c <= '9') return "";
    if (!split_digraphs && i + 1 < w.size() && w[i + 1] == 'h' &&
        (c == 'k' || c == 's' || c == 'g' || c == 't' || c == 'd')) {
      char code = c == 'k' ? 'x' : c == 's' ? '$' : c == 'g' ? 'G' : c == 't' ? 'T' : 'D';
      if (out.empty() || out.back() != code) out.push_back(code);
      ++i;
      continue;
    }
    if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y' || c == 'w') {
      continue;
    }
    if (c == 'q') c = 'k';
    if (out.empty() || out.back() != c) out.push_back(c);
  }
  return out;
}

bool IsCanonicalLegalForm(absl::string_view token) { return CanonicalLegal().contains(token); }

bool IsLegalFormWord(absl::string_view word) {
  const auto& map = LegalForms().map;
  auto it = map.find(word);
  return it != map.end() && it->second.legal;
}

void WarmUpNormalizer() {
  normalizer_internal::WarmUpTransliterators();
  LegalForms();
  LegalWords();
  HanGlossary();
  Abbreviations();
  CompanyWords();
}

void NormalizeName(absl::string_view raw, bool record_steps, NormalizedName* out) {
  out->tokens.clear();
  out->steps.clear();
  out->transliterated = false;
  out->arabic = false;
  out->arabic_letters = false;
  std::vector<std::string>* steps = &out->steps;
  raw = TruncateToLimit(raw, record_steps, steps);
  const bool ascii = IsAscii(raw);
  bool had_han = false;
  std::string converted;
  absl::string_view text = raw;
  if (!ascii) {
    converted = UnicodePath(raw, record_steps, steps, &had_han, &out->transliterated, &out->arabic,
                            &out->arabic_letters);
    text = converted;
  }
  TokenizeResult tr = Tokenize(text);
  if (ascii && tr.upper && record_steps) steps->push_back("casefold");
  if (tr.punctuation && record_steps) steps->push_back("punctuation");
  JoinSpelledLetters(&tr, record_steps, steps);
  if (tr.tokens.size() > kMaxTokens) {
    tr.tokens.resize(kMaxTokens);
    if (tr.comma_at > kMaxTokens) tr.commas = 0;
    if (record_steps) steps->push_back("truncated");
  }
  PersonOrder(&tr, record_steps, steps);

  out->tokens.reserve(tr.tokens.size());
  for (std::string& t : tr.tokens) {
    NormalizedToken nt;
    nt.text = std::move(t);
    out->tokens.push_back(std::move(nt));
  }
  SplitGluedLegalForms(&out->tokens, record_steps, steps);
  JoinSplitLegalForms(&out->tokens, record_steps, steps);
  FixLegalWordTypos(&out->tokens, record_steps, steps);
  ApplyPhrases(LegalForms(), "legal_form", record_steps, &out->tokens, steps);
  if (had_han) {
    ApplyPhrases(HanGlossary(), "glossary", record_steps, &out->tokens, steps);
  }
  ExpandAbbreviations(&out->tokens, record_steps, steps);
  FinishTokens(out, record_steps);
}

}  // namespace exportscreen::matching
