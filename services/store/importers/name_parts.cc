#include "services/store/importers/name_parts.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/store/importers/country_names.h"
#include "services/store/importers/import_util.h"

namespace exportscreen::store::importers {
namespace {

using v1::ALIAS_STRENGTH_STRONG;

// Parenthesised words that are part of a name, not an alias of it.
bool IsNameFragment(absl::string_view inner) {
  static constexpr absl::string_view kFragments[] = {
      "PRIVATE", "PVT",  "PTY",  "PTE",    "CJSC", "JSC", "LLC",  "LTD", "LIMITED", "INC",
      "PLC",     "GMBH", "SA",   "UK",     "OOO",  "OAO", "PJSC", "PAO", "AO",      "ZAO",
      "FZE",     "FZC",  "FZCO", "FZ-LLC", "SARL", "SRL", "BV",   "AG",  "CO"};
  const std::string upper = AsciiUpper(absl::StripAsciiWhitespace(inner));
  for (absl::string_view f : kFragments) {
    if (upper == f) return true;
  }
  if (absl::StartsWith(upper, "PRESIDENT OF") || absl::StartsWith(upper, "DIRECTOR OF")) {
    return true;
  }
  std::string code;
  return LookupCountryName(inner, &code);  // "(Pakistan)", "(Hong Kong)"
}

// If `inner` starts with an a.k.a./f.k.a. marker, returns its kind and sets
// `*rest` to the name after it.
absl::string_view AkaKind(absl::string_view inner, absl::string_view* rest) {
  struct Marker {
    absl::string_view text;
    absl::string_view kind;
  };
  static constexpr Marker kMarkers[] = {{"a.k.a.,", "aka"},  {"a.k.a.:", "aka"}, {"a.k.a.", "aka"},
                                        {"aka:", "aka"},     {"aka ", "aka"},    {"f.k.a.,", "fka"},
                                        {"f.k.a.:", "fka"},  {"f.k.a.", "fka"},  {"fka:", "fka"},
                                        {"formerly", "fka"}, {"n.k.a.", "nka"}};
  absl::string_view s = absl::StripLeadingAsciiWhitespace(inner);
  for (const Marker& m : kMarkers) {
    if (s.size() >= m.text.size() && absl::EqualsIgnoreCase(s.substr(0, m.text.size()), m.text)) {
      *rest = absl::StripAsciiWhitespace(s.substr(m.text.size()));
      return m.kind;
    }
  }
  return "";
}

std::string TrimName(absl::string_view s) {
  s = absl::StripAsciiWhitespace(s);
  while (!s.empty() && (s.back() == ',' || s.back() == ';')) {
    s.remove_suffix(1);
    s = absl::StripTrailingAsciiWhitespace(s);
  }
  return CleanText(s);
}

// Aliases of one name part (no "Affiliated Entity:" inside).
void AddPartAliases(absl::string_view name, v1::ListedEntity* entity) {
  name = absl::StripAsciiWhitespace(name);
  // "X -AKA- Y" / "X -AKAS- A, B, C".
  for (absl::string_view marker : {" -AKAS- ", " -AKA- "}) {
    const size_t at = name.find(marker);
    if (at == absl::string_view::npos) continue;
    AddAlias(entity, TrimName(name.substr(0, at)), ALIAS_STRENGTH_STRONG, "aka");
    const absl::string_view tail = name.substr(at + marker.size());
    if (marker == " -AKAS- ") {
      for (const std::string& part : SplitList(tail, ',')) {
        AddAlias(entity, part, ALIAS_STRENGTH_STRONG, "aka");
      }
    } else {
      AddAlias(entity, TrimName(tail), ALIAS_STRENGTH_STRONG, "aka");
    }
    return;
  }
  // Parenthesised parts, left to right (no nesting in the real data).
  size_t open = name.find('(');
  while (open != absl::string_view::npos) {
    const size_t close = name.find(')', open);
    if (close == absl::string_view::npos) break;
    const absl::string_view inner = name.substr(open + 1, close - open - 1);
    const std::string without =
        TrimName(absl::StrCat(name.substr(0, open), " ", name.substr(close + 1)));
    absl::string_view rest;
    const absl::string_view kind = AkaKind(inner, &rest);
    const bool trailing = absl::StripAsciiWhitespace(name.substr(close + 1)).empty() ||
                          absl::StripAsciiWhitespace(name.substr(close + 1)) == ".";
    if (!kind.empty()) {
      AddAlias(entity, TrimName(rest), ALIAS_STRENGTH_STRONG, kind);
      AddAlias(entity, without, ALIAS_STRENGTH_STRONG, "aka");
    } else if (trailing && !inner.empty() &&
               absl::ascii_isalnum(static_cast<unsigned char>(inner[0])) &&
               !absl::ascii_islower(static_cast<unsigned char>(inner[0])) &&
               !IsNameFragment(inner)) {
      // "Huawei Technologies Co., Ltd. (Huawei)": the acronym or short name,
      // and the name without it.
      AddAlias(entity, TrimName(inner), ALIAS_STRENGTH_STRONG, "aka");
      AddAlias(entity, without, ALIAS_STRENGTH_STRONG, "aka");
    }
    open = name.find('(', close);
  }
}

}  // namespace

void AddDerivedAliases(v1::ListedEntity* entity) {
  const std::string name = entity->primary_name();
  static constexpr char kAffiliated[] = "Affiliated Entity:";
  const size_t at = name.find(kAffiliated);
  if (at == std::string::npos) {
    AddPartAliases(name, entity);
    return;
  }
  // The affiliate is listed under its parent's heading: its own name is the
  // name a screener sees; the parent's name is deliberately not an alias of
  // the affiliate (the parent has its own record).
  const std::string affiliate =
      TrimName(absl::string_view(name).substr(at + sizeof(kAffiliated) - 1));
  AddAlias(entity, affiliate, ALIAS_STRENGTH_STRONG, "aka");
  AddPartAliases(affiliate, entity);
}

}  // namespace exportscreen::store::importers
