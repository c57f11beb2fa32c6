// ScreeningEngine: classification -> licence determination -> party-list and
// ownership consequences -> red flags -> exceptions -> one decision. All
// domain knowledge comes from the compiled rule set; this file only knows the
// stages and how request fields map to attribute slots. This file holds the
// order of the stages (Screener::Run), the transaction's attributes and red
// flags and the decision; the stages themselves are listed in screener.h.
#include "services/engine/screening_engine.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/engine/screener.h"
#include "services/rules/compiled_rules.h"

namespace exportscreen::engine {
namespace screening_internal {
namespace {

int Rank(v1::Decision d) {
  switch (d) {
    case v1::DECISION_PROHIBITED:
      return 4;
    case v1::DECISION_LICENSE_REQUIRED:
      return 3;
    case v1::DECISION_REVIEW:
      return 2;
    case v1::DECISION_CLEAR:
      return 1;
    default:
      return 0;
  }
}

template <typename T>
void ActiveFlags(const std::vector<T>& rules, absl::CivilDay d, std::vector<uint8_t>* on) {
  on->resize(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) (*on)[i] = rules[i].meta.ActiveOn(d);
}

}  // namespace

void Screener::FillTransaction() {
  int16_t dest = Country(req_.destination_country());
  ctx_.sym[slot::kDestCountry] = dest;
  if (dest >= 0) {
    Bits256 g = GroupsOf(dest);
    ctx_.SetSet(slot::kDestGroups, g);
    const auto& names = R_.vocab_names[size_t(Vocab::kGroup)];
    for (size_t i = 0; i < names.size(); ++i) {
      if (g.Test(int(i))) out_->add_destination_groups(names[i]);
    }
  } else {
    System("system.destination_missing", "Destination country missing",
           "No destination country: destination rules cannot run.", -1, -1);
  }
  ctx_.sym[slot::kExportCountry] =
      Country(req_.export_country().empty() ? "US" : req_.export_country());

  Bits256 end_uses;
  for (const auto& code : req_.end_use_codes()) {
    int id = R_.Id(Vocab::kEndUse, code);
    if (id < 0) {
      System("system.unknown_end_use", "Unknown end-use code",
             absl::StrCat("End-use code \"", code,
                          "\" is not declared in the rule set; its controls "
                          "cannot be evaluated."),
             -1, -1);
    } else {
      end_uses.Set(id);
    }
  }
  ctx_.SetSet(slot::kEndUses, end_uses);
  ctx_.boolean[slot::kLocationAttested] =
      req_.location_attestation().provided() ? Tri::kTrue : Tri::kFalse;

  Bits256 hq, hq_groups, countries, kinds;
  int min_age = -1;
  for (const auto& p : req_.parties()) {
    const std::string& pc = p.country().empty() ? p.address().country() : p.country();
    int16_t c = Country(pc);
    if (c >= 0 && c != kOtherCountry) countries.Set(c);
    if (p.role() != v1::PARTY_ROLE_EXPORTER && v1::AddressKind_IsValid(p.address().kind())) {
      kinds.Set(p.address().kind());
    }
    bool end_user_side = p.role() != v1::PARTY_ROLE_EXPORTER &&
                         p.role() != v1::PARTY_ROLE_FREIGHT_FORWARDER &&
                         p.role() != v1::PARTY_ROLE_INTERMEDIATE_CONSIGNEE;
    if (end_user_side) {
      // Headquarters unknown: the party's own country is the best evidence.
      for (const std::string* raw :
           {p.headquarters_country().empty() ? &pc : &p.headquarters_country(),
            &p.ultimate_parent_country()}) {
        int16_t h = Country(*raw);
        if (h < 0) continue;
        if (h != kOtherCountry) hq.Set(h);
        hq_groups.Or(GroupsOf(h));
      }
    }
    if (p.incorporated_year() > 0) {
      int age = int(as_of_.year()) - p.incorporated_year();
      if (min_age < 0 || age < min_age) min_age = std::max(age, 0);
    }
  }
  kinds.w[0] &= ~uint64_t{1};  // UNSPECIFIED is not a kind of premises
  ctx_.SetSet(slot::kHqCountries, hq);
  ctx_.SetSet(slot::kHqGroups, hq_groups);
  ctx_.SetSet(slot::kPartyCountries, countries);
  ctx_.SetSet(slot::kAddressKinds, kinds);
  if (min_age >= 0) ctx_.SetNumber(slot::kMinCompanyAgeYears, min_age);
}

void Screener::TransactionRedFlags() {
  std::vector<std::string> undecided;
  std::vector<std::string> missing;
  for (size_t ri = 0; ri < R_.red_flags.size(); ++ri) {
    const auto& r = R_.red_flags[ri];
    if (r.cond.item_scope || !rf_on_[ri]) continue;
    Tri t = R_.Eval(r.cond, ctx_);
    if (t == Tri::kUnknown) {
      undecided.push_back(r.meta.id);
      R_.Explain(r.cond, ctx_, &missing);
      continue;
    }
    if (t != Tri::kTrue) continue;
    v1::Finding* f = Add(r.meta, r.outcome, std::string(), -1, -1, int(r.record.size()));
    Record(f, r.record, ctx_);
  }
  if (!undecided.empty()) {
    v1::Finding* f = System(
        "system.red_flag_undecided", "Red-flag check could not be decided",
        absl::StrCat("Missing inputs prevent deciding ", absl::StrJoin(undecided, ", ")), -1, -1);
    AddFact(f, "missing", absl::StrJoin(missing, ","));
  }
}

void Screener::Decide() {
  v1::Decision d = v1::DECISION_CLEAR;
  for (const auto& f : out_->findings()) {
    if (!f.informational() && Rank(f.severity()) > Rank(d)) d = f.severity();
  }
  // Fast path: documented, never a skip.
  for (const auto& r : R_.fast_paths) {
    if (!r.meta.ActiveOn(as_of_)) continue;
    if (R_.Eval(r.cond, ctx_) != Tri::kTrue) continue;
    v1::Finding* f =
        Add(r.meta, v1::DECISION_CLEAR,
            d == v1::DECISION_CLEAR ? "Allied fast path: every check ran and none fired"
                                    : "Allied fast path considered, but other checks fired",
            -1, -1);
    f->set_informational(true);
  }
  out_->set_decision(d);
}

void Screener::Run() {
  ActiveFlags(R_.classifications, as_of_, &cls_on_);
  ActiveFlags(R_.licenses, as_of_, &lic_on_);
  ActiveFlags(R_.review_policies, as_of_, &rp_on_);
  ActiveFlags(R_.exceptions, as_of_, &exc_on_);
  ActiveFlags(R_.red_flags, as_of_, &rf_on_);
  out_->mutable_item_determinations()->Reserve(req_.items_size());
  out_->mutable_findings()->Reserve(8 + 2 * req_.parties_size() + 4 * req_.items_size());
  out_->set_request_id(req_.request_id());
  // Dispositions: the set pinned with the view.
  out_->set_dispositions_sequence(dispositions_ ? dispositions_->sequence() : 0);
  out_->set_rule_set_version(snap_.rule_set_version);
  out_->set_list_version(snap_.list_version);
  out_->set_as_of_date(absl::FormatCivilTime(as_of_));
  if (R_.has_modelled_from && as_of_ < R_.modelled_from) {
    v1::Finding* f =
        System("system.not_modelled_before", "Rules not modelled before this date",
               absl::StrCat("The rule set models ", absl::FormatCivilTime(R_.modelled_from),
                            " onwards; as of ", absl::FormatCivilTime(as_of_),
                            " its answer cannot be relied on"),
               -1, -1, "Determine the requirements in force on that date by hand.");
    AddFact(f, "modelled_from", absl::FormatCivilTime(R_.modelled_from));
  }
  FillTransaction();
  ScreenParties();
  Ownership();
  for (int i = 0; i < req_.items_size(); ++i) ScreenItem(i);
  Invalidate();
  TransactionRedFlags();
  if (req_.parties_size() == 0) {
    System("system.no_parties", "No parties to screen",
           "The request names no party; party screening did not run.", -1, -1);
  }
  Decide();
  EmitRules();
}

}  // namespace screening_internal

std::string OwnershipKey(absl::string_view name) {
  std::string k;
  k.reserve(name.size());
  for (char ch : name) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(ch))) {
      k.push_back(absl::ascii_tolower(static_cast<unsigned char>(ch)));
    }
  }
  return k;
}

void IndexOwnership(ReferenceData* data) {
  data->ownership_by_owned.clear();
  for (uint32_t i = 0; i < data->ownership.size(); ++i) {
    data->ownership_by_owned[OwnershipKey(data->ownership[i].owned_name())].push_back(i);
  }
}

absl::StatusOr<v1::ScreenResponse> ScreeningEngine::Screen(const ScreeningView& view,
                                                           const v1::ScreenRequest& request,
                                                           absl::CivilDay as_of) {
  if (view.snapshot.rules == nullptr) {
    return absl::FailedPreconditionError("snapshot has no rule set");
  }
  v1::ScreenResponse response;
  absl::Status s = ScreenInto(view, request, as_of, &response);
  if (!s.ok()) return s;
  return response;
}

absl::Status ScreeningEngine::ScreenInto(const ScreeningView& view,
                                         const v1::ScreenRequest& request, absl::CivilDay as_of,
                                         v1::ScreenResponse* response) {
  if (view.snapshot.rules == nullptr) {
    return absl::FailedPreconditionError("snapshot has no rule set");
  }
  thread_local screening_internal::Scratch scratch;
  screening_internal::Screener(view, request, as_of, response, &scratch).Run();
  return absl::OkStatus();
}

}  // namespace exportscreen::engine
