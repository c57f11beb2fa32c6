#include "services/store/importers/import_util.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/store/importers/country_names.h"

namespace exportscreen::store::importers {
namespace {

// Length of the valid UTF-8 sequence at `s[i]`, or 0 if invalid.
size_t ValidUtf8Length(absl::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  const size_t n = s.size();
  const auto cont = [&](size_t k) { return k < n && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    if (c == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(i + 1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    if (c == 0xF0 && b(i + 1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(i + 1) >= 0x90) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

int ToInt(absl::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

template <typename T>
void DedupRepeated(T* field) {
  absl::flat_hash_set<std::string> seen;
  int out = 0;
  for (int i = 0; i < field->size(); ++i) {
    if (field->Get(i).empty() || !seen.insert(field->Get(i)).second) continue;
    if (out != i) field->Mutable(out)->swap(*field->Mutable(i));
    ++out;
  }
  while (field->size() > out) field->RemoveLast();
}

}  // namespace

bool IsCleanUtf8(absl::string_view in) {
  if (in.size() >= 3 && in.substr(0, 3) == "\xEF\xBB\xBF") return false;
  size_t i = 0;
  const size_t n = in.size();
  while (i < n) {
    // Fast skip of ASCII.
    if (static_cast<unsigned char>(in[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t len = ValidUtf8Length(in, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string SanitizeUtf8(absl::string_view in, int64_t* replaced) {
  *replaced = 0;
  if (in.size() >= 3 && in.substr(0, 3) == "\xEF\xBB\xBF") in.remove_prefix(3);
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const size_t len = ValidUtf8Length(in, i);
    if (len == 0) {
      out.append("\xEF\xBF\xBD");
      ++*replaced;
      ++i;
      continue;
    }
    out.append(in.data() + i, len);
    i += len;
  }
  return out;
}

std::string CleanText(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  bool pending_space = false;
  for (char c : in) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string OfacField(absl::string_view in) {
  std::string text = CleanText(in);
  if (text == "-0-") return "";
  return text;
}

std::vector<std::string> SplitList(absl::string_view in, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= in.size()) {
    size_t end = in.find(sep, start);
    if (end == absl::string_view::npos) end = in.size();
    std::string item = CleanText(in.substr(start, end - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

bool ParseDate(absl::string_view in, std::string* iso) {
  in = absl::StripAsciiWhitespace(in);
  int y = 0, m = 0, d = 0;
  // "2015-04-07-04:00", "2015-04-07T00:00:00Z": a date with a time or zone.
  if (in.size() > 10 &&
      (in[10] == 'T' || in[10] == '-' || in[10] == '+' || in[10] == 'Z' || in[10] == ' ')) {
    in = in.substr(0, 10);
  }
  if (in.size() == 10 && in[4] == '-' && in[7] == '-' && AllDigits(in.substr(0, 4)) &&
      AllDigits(in.substr(5, 2)) && AllDigits(in.substr(8, 2))) {
    y = ToInt(in.substr(0, 4));
    m = ToInt(in.substr(5, 2));
    d = ToInt(in.substr(8, 2));
  } else {
    const size_t s1 = in.find('/');
    const size_t s2 = s1 == absl::string_view::npos ? s1 : in.find('/', s1 + 1);
    if (s2 == absl::string_view::npos) return false;
    const absl::string_view ms = in.substr(0, s1);
    const absl::string_view ds = in.substr(s1 + 1, s2 - s1 - 1);
    const absl::string_view ys = in.substr(s2 + 1);
    if (!AllDigits(ms) || !AllDigits(ds) || !AllDigits(ys) || ms.size() > 2 || ds.size() > 2 ||
        ys.size() != 4) {
      return false;
    }
    y = ToInt(ys);
    m = ToInt(ms);
    d = ToInt(ds);
  }
  if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31) {
    return false;
  }
  const absl::CivilDay day(y, m, d);
  if (day.month() != m || day.day() != d) return false;  // e.g. 02/30
  *iso = absl::FormatCivilTime(day);
  return true;
}

std::vector<std::string> ParseFrCitations(absl::string_view in) {
  std::vector<absl::string_view> tokens;
  size_t i = 0;
  while (i < in.size()) {
    while (i < in.size() && (in[i] == ' ' || in[i] == ',' || in[i] == ';' || in[i] == '\t' ||
                             in[i] == '\r' || in[i] == '\n')) {
      ++i;
    }
    size_t j = i;
    while (j < in.size() && !(in[j] == ' ' || in[j] == ',' || in[j] == ';' || in[j] == '\t' ||
                              in[j] == '\r' || in[j] == '\n')) {
      ++j;
    }
    if (j > i) tokens.push_back(in.substr(i, j - i));
    i = j;
  }
  std::vector<std::string> out;
  absl::flat_hash_set<std::string> seen;
  for (size_t t = 0; t + 2 < tokens.size(); ++t) {
    const absl::string_view fr = tokens[t + 1];
    if (!AllDigits(tokens[t]) || !(fr == "FR" || fr == "F.R." || fr == "F.R" || fr == "FR.")) {
      continue;
    }
    absl::string_view page = tokens[t + 2];
    size_t k = 0;
    while (k < page.size() && IsDigit(page[k])) ++k;
    if (k == 0) continue;
    std::string citation = absl::StrCat(tokens[t], " FR ", page.substr(0, k));
    if (seen.insert(citation).second) out.push_back(std::move(citation));
    t += 2;
  }
  if (!out.empty()) return out;
  for (std::string& item : SplitList(in, ';')) {
    for (std::string& part : SplitList(item, ',')) {
      if (seen.insert(part).second) out.push_back(std::move(part));
    }
  }
  return out;
}

std::vector<int> ParseElFootnotes(absl::string_view in) {
  std::vector<int> out;
  for (size_t i = 1; i < in.size(); ++i) {
    const char c = in[i];
    if (c < '1' || c > '5') continue;
    if (i + 1 < in.size()) {
      const char next = in[i + 1];
      if (IsDigit(next) || next == '(') continue;
      if (next == '.' && i + 2 < in.size() && IsDigit(in[i + 2])) continue;
    }
    // The marker may be separated from what it follows by one space:
    // "734.9(e)1", "734.9(e) 1", "734.9(g), 3", "the EAR2", "EAR) 4".
    size_t j = i - 1;
    if (in[j] == ' ' && j > 0) --j;
    const char prev = in[j];
    const bool after_paren = prev == ')' || (prev == ',' && j >= 1 && in[j - 1] == ')');
    const bool after_ear = j >= 2 && in.substr(j - 2, 3) == "EAR";
    if (!after_paren && !after_ear) continue;
    out.push_back(c - '0');
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string StableDigest(std::initializer_list<absl::string_view> parts) {
  uint64_t h = 14695981039346656037ull;
  bool first = true;
  for (absl::string_view part : parts) {
    if (!first) {
      h ^= 0x1F;
      h *= 1099511628211ull;
    }
    first = false;
    for (char c : part) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kHex[h & 0xF];
    h >>= 4;
  }
  return out;
}

std::string AsciiUpper(absl::string_view in) {
  std::string out(in);
  absl::AsciiStrToUpper(&out);
  return out;
}

void AddAlias(v1::ListedEntity* entity, absl::string_view name, v1::AliasStrength strength,
              absl::string_view kind) {
  std::string clean = CleanText(name);
  if (clean.empty()) return;
  v1::Alias* alias = entity->add_aliases();
  alias->set_name(std::move(clean));
  alias->set_strength(strength);
  alias->set_kind(std::string(kind));
}

void NormalizeEntity(v1::ListedEntity* entity) {
  entity->set_primary_name(CleanText(entity->primary_name()));
  // Countries: upper-case ISO-2, unique, in first-seen order.
  {
    auto* countries = entity->mutable_countries();
    for (std::string& c : *countries) {
      c = AsciiUpper(absl::StripAsciiWhitespace(c));
      if (!IsIsoAlpha2(c)) c.clear();
    }
    DedupRepeated(countries);
  }
  for (v1::Address& a : *entity->mutable_addresses()) {
    a.set_country(AsciiUpper(a.country()));
  }
  // Aliases: drop empties, the primary name itself and repeats (a strong
  // alias wins over a weak one of the same name).
  {
    auto* aliases = entity->mutable_aliases();
    absl::flat_hash_map<std::string, int> index;  // lower-case name -> out
    const std::string primary = absl::AsciiStrToLower(entity->primary_name());
    int out = 0;
    for (int i = 0; i < aliases->size(); ++i) {
      v1::Alias& a = *aliases->Mutable(i);
      a.set_name(CleanText(a.name()));
      std::string key = absl::AsciiStrToLower(a.name());
      if (key.empty() || key == primary) continue;
      auto it = index.find(key);
      if (it != index.end()) {
        v1::Alias& kept = *aliases->Mutable(it->second);
        if (a.strength() == v1::ALIAS_STRENGTH_STRONG) {
          kept.set_strength(v1::ALIAS_STRENGTH_STRONG);
        }
        continue;
      }
      index.emplace(std::move(key), out);
      if (out != i) aliases->SwapElements(out, i);
      ++out;
    }
    while (aliases->size() > out) aliases->RemoveLast();
  }
  DedupRepeated(entity->mutable_programs());
  DedupRepeated(entity->mutable_federal_register_citations());
  DedupRepeated(entity->mutable_dates_of_birth());
  {
    auto* notes = entity->mutable_el_footnotes();
    std::sort(notes->begin(), notes->end());
    notes->erase(std::unique(notes->begin(), notes->end()), notes->end());
  }
}

int64_t ImportSink::AddEntity(v1::ListedEntity entity) {
  ++result_->records_read;
  entity.set_entity_id(absl::StrCat(entity.list(), ":", entity.source_id()));
  auto [it, inserted] =
      ids_.try_emplace(entity.entity_id(), Origin{entity.source_file(), entity.source_line()});
  if (!inserted) {
    --result_->records_read;  // Reject counts it.
    std::string where = it->second.file == entity.source_file()
                            ? absl::StrCat("line ", it->second.line)
                            : absl::StrCat(it->second.file, " line ", it->second.line);
    Reject(entity.source_file(), entity.source_line(),
           absl::StrCat("duplicate id ", entity.entity_id(), ", first at ", where));
    return -1;
  }
  NormalizeEntity(&entity);
  result_->entities.push_back(std::move(entity));
  return static_cast<int64_t>(result_->entities.size()) - 1;
}

void ImportSink::Reject(absl::string_view file, int64_t line, std::string reason) {
  ++result_->records_read;
  result_->rejected.push_back(ImportRejection{std::string(file), line, std::move(reason)});
}

void ImportSink::Warn(absl::string_view file, int64_t line, std::string reason) {
  result_->warnings.push_back(ImportRejection{std::string(file), line, std::move(reason)});
}

std::string ImportSink::UniqueDigestId(absl::string_view list, absl::string_view digest) {
  std::string id(digest);
  for (int n = 2; !digest_ids_.insert(absl::StrCat(list, ":", id)).second; ++n) {
    id = absl::StrCat(digest, "-", n);
  }
  return id;
}

}  // namespace exportscreen::store::importers
