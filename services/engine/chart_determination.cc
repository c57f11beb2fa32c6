// The engine's CCL baseline: the Commerce Control List entry of an ECCN,
// its controls' paragraph scope, and the Commerce Country Chart row of the
// destination (15 CFR 738), as compiled from the rule data.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/engine/screener.h"

namespace exportscreen::engine::screening_internal {

namespace {
// True if `eccn` lies under paragraph `p` ("3B001.f.1.a" under "3B001.f.1").
bool UnderParagraph(absl::string_view eccn, absl::string_view p) {
  return absl::StartsWith(eccn, p) && (eccn.size() == p.size() || eccn[p.size()] == '.');
}
}  // namespace

bool Screener::ChartDetermination(int index, const std::string& eccn, v1::ItemDetermination* det) {
  const rules::CclTable& t = R_.ccl;
  if (eccn == "EAR99" || eccn.size() < 5) return false;
  const std::string base = eccn.substr(0, 5);
  auto it = t.entries.find(base);
  if (it == t.entries.end()) {
    v1::Finding* f =
        System("system.eccn_not_on_ccl", "ECCN not on the Commerce Control List",
               absl::StrCat("Item ", index, ": ECCN ", eccn,
                            " is not on the Commerce Control List of the rule set (",
                            t.meta.from_text, "..); its controls cannot be determined"),
               -1, index, "Check the classification; a licence may be required.");
    AddFact(f, "eccn", eccn);
    return false;
  }
  const rules::CCclEntry& entry = it->second;
  if (det->ccl_entry().empty()) det->set_ccl_entry(base);
  if (entry.controls.empty()) {
    v1::Finding* f = System(
        "system.ccl_entry_without_controls", "CCL entry without licence requirements in the data",
        absl::StrCat("Item ", index, ": CCL entry ", base,
                     " states no reason for control in the rule data (",
                     entry.heading.substr(0, 160),
                     "); the requirement must be "
                     "determined by hand"),
        -1, index, "Read the entry (it may refer to the ITAR or another part).");
    AddFact(f, "eccn", eccn);
    return false;
  }
  const std::string& dest = req_.destination_country();
  const rules::CChartRow* row = t.Row(dest);
  bool required = false;
  bool row_missing_reported = false;
  for (const rules::CCclControl& k : entry.controls) {
    // Paragraph scope.
    bool scope_assumed = false;
    if (!k.paragraphs.empty()) {
      if (eccn.size() == 5) {
        scope_assumed = true;  // no paragraph given: applies (conservative)
      } else if (std::none_of(k.paragraphs.begin(), k.paragraphs.end(), [&](const std::string& p) {
                   return UnderParagraph(eccn, p) || UnderParagraph(p, eccn);
                 })) {
        continue;
      }
    }
    if (std::any_of(k.except_paragraphs.begin(), k.except_paragraphs.end(),
                    [&](const std::string& p) { return UnderParagraph(eccn, p); })) {
      continue;
    }
    if (k.superseded_by != nullptr) {
      // Hand-written rules decide this control (their findings cite them).
      det->add_chart_columns_checked(
          absl::StrCat(k.reason, k.column.empty() ? "" : " ", k.column, ": ", k.superseded_note));
      continue;
    }
    v1::Decision sev = v1::DECISION_UNSPECIFIED;
    std::string why;
    switch (k.kind) {
      case rules::CCclControl::Kind::kNone:
        continue;
      case rules::CCclControl::Kind::kColumn: {
        if (row == nullptr) {
          if (!row_missing_reported) {
            row_missing_reported = true;
            v1::Finding* f = System(
                "system.destination_not_on_chart", "Destination not on the Commerce Country Chart",
                absl::StrCat("Item ", index, " (", eccn, "): destination ", dest,
                             " has no Country Chart row; column controls "
                             "cannot be checked (738.3(b))"),
                -1, index);
            AddFact(f, "destination", dest);
          }
          continue;
        }
        if (row->embargoed) {
          sev = v1::DECISION_REVIEW;
          why = absl::StrCat(row->name, " is embargoed: ", row->pointer);
          det->add_chart_columns_checked(absl::StrCat(k.column, ": embargoed row"));
          break;
        }
        const bool x = k.column_bit >= 0 && ((row->marks >> k.column_bit) & 1);
        det->add_chart_columns_checked(absl::StrCat(k.column, x ? ": X" : ": no X"));
        if (!x) continue;
        sev = v1::DECISION_LICENSE_REQUIRED;
        why = absl::StrCat("Country Chart column ", k.column, " has an X for ", row->name);
        break;
      }
      case rules::CCclControl::Kind::kWorldwide:
        sev = v1::DECISION_LICENSE_REQUIRED;
        why = absl::StrCat("controlled to every destination: ", k.chart_text);
        break;
      case rules::CCclControl::Kind::kDestinations: {
        const int16_t c = ctx_.sym[slot::kDestCountry];
        const Bits256 groups = GroupsOf(c);
        const auto in = [&](const std::vector<std::string>& codes,
                            const std::vector<int>& group_ids) {
          for (int g : group_ids) {
            if (groups.Test(g)) return true;
          }
          for (const std::string& d : codes) {
            if (d == dest || (row != nullptr && d == row->country)) return true;
          }
          return false;
        };
        if (!in(k.destinations, k.group_ids) || in(k.except_destinations, k.except_group_ids)) {
          continue;
        }
        sev = v1::DECISION_LICENSE_REQUIRED;
        why = absl::StrCat("destination in scope: ", k.chart_text);
        break;
      }
      case rules::CCclControl::Kind::kReference:
        sev = v1::DECISION_REVIEW;
        why = absl::StrCat("the entry refers elsewhere: ", k.chart_text);
        break;
    }
    if (sev == v1::DECISION_LICENSE_REQUIRED) {
      required = true;
      det->add_reasons_for_control(k.reason);
    }
    v1::Finding* f = Add(k.replaced_by != nullptr ? *k.replaced_by : t.meta, sev,
                         absl::StrCat("Item ", index, " (", eccn, ", CCL ", base, " ", k.reason,
                                      ") to ", dest, ": ", why),
                         -1, index, 6);
    AddFact(f, "eccn", eccn);
    AddFact(f, "ccl_entry", base);
    AddFact(f, "reason_for_control", k.reason);
    if (!k.column.empty()) AddFact(f, "chart_column", k.column);
    AddFact(f, "control", k.control_text);
    if (scope_assumed) {
      AddFact(f, "paragraph_scope",
              absl::StrCat("no paragraph declared; the control applies to ",
                           absl::StrJoin(k.paragraphs, ", ")));
    }
    if (k.prose) AddFact(f, "scope_read_from_prose", "true");
    if (k.replaced_by != nullptr) AddFact(f, "printed_scope", k.chart_text);
  }
  if (required) det->add_license_rule_ids(t.meta.id);
  return required;
}

}  // namespace exportscreen::engine::screening_internal
