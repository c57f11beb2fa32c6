// The engine's item stage: one item of the request, from its attributes
// (request, catalogue, location reports) through classification, licence
// rules and the CCL baseline, review policies and exceptions to item red
// flags. Findings come out in the order of these stages.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "services/engine/screener.h"

namespace exportscreen::engine::screening_internal {

// What the stages of one item share.
struct Screener::ItemState {
  int index;
  const v1::Item* item;
  v1::ItemDetermination* det;
  int declared;  // id of the declared ECCN, -1 if none or unknown
  int16_t kind;  // item.kind slot (-1: unknown)
  const rules::CClassification* cls = nullptr;
};

void Screener::ScreenItem(int index) {
  std::optional<v1::Item> merged;
  v1::ItemDetermination* det = out_->add_item_determinations();
  const v1::Item* item = ItemWithCatalogue(index, det, &merged);

  EvalContext& c = ctx_;
  Invalidate();
  ResetItemSlots();
  const int declared = FillItemAttributes(*item, det);
  FillItemLocation(*item);
  if (c.HasNumber(slot::kTpp)) {
    SetFact(det->add_computed(), "item.tpp", absl::StrCat(c.num[slot::kTpp]));
  }
  if (c.HasNumber(slot::kPerformanceDensity)) {
    SetFact(det->add_computed(), "item.performance_density",
            absl::StrCat(c.num[slot::kPerformanceDensity]));
  }

  ItemState s{index, item, det, declared, c.sym[slot::kKind]};
  Classify(&s);
  bool required = LicenseRequirements(s);
  ApplyReviewPolicies(s);
  // Party-list consequences for all items.
  for (const auto& a : all_items_) {
    required = true;
    det->add_license_rule_ids(R_.party_lists[a.rule].meta.id);
    if (det->review_policy().empty()) det->set_review_policy(a.policy);
  }
  det->set_license_required(required);
  c.boolean[slot::kLicenseRequired] = required ? Tri::kTrue : Tri::kFalse;
  Invalidate();
  if (required) OfferExceptions(s);
  ItemRedFlags(s);
}

const v1::Item* Screener::ItemWithCatalogue(int index, v1::ItemDetermination* det,
                                            std::optional<v1::Item>* merged) {
  const v1::Item& raw = req_.items(index);
  const v1::Item* item = &raw;
  det->set_item_index(index);
  det->set_part_number(raw.part_number());
  if (!raw.part_number().empty() && snap_.data != nullptr) {
    auto it = snap_.data->items_by_part.find(raw.part_number());
    if (it != snap_.data->items_by_part.end()) {
      // Catalogue fills the gaps; request values win.
      merged->emplace(it->second.item());
      (*merged)->MergeFrom(raw);
      item = &**merged;
      auto* f = det->add_computed();
      f->set_name("catalogue");
      f->set_value(it->second.spec_source().empty()
                       ? raw.part_number()
                       : absl::StrCat(raw.part_number(), " (", it->second.spec_source(), ")"));
    }
  }
  return item;
}

void Screener::ResetItemSlots() {
  EvalContext& c = ctx_;
  c.num_known &=
      (uint64_t{1} << slot::kMinCompanyAgeYears) | (uint64_t{1} << slot::kMaxListedOwnerPercent);
  c.boolean[slot::kDatacenter] = c.boolean[slot::kLicenseRequired] =
      c.boolean[slot::kLocationMismatch] = c.boolean[slot::kSerialsUnseen] = Tri::kUnknown;
  c.sym[slot::kKind] = c.sym[slot::kEccn] = c.sym[slot::kDeclaredEccn] = -1;
  c.set_known &= ~uint16_t((1u << slot::kFeatures) | (1u << slot::kEccnTags) |
                           (1u << slot::kLocationCountries) | (1u << slot::kLocationGroups));
}

int Screener::FillItemAttributes(const v1::Item& item_ref, v1::ItemDetermination* det) {
  EvalContext& c = ctx_;
  const v1::Item* item = &item_ref;
  // A kind number outside the proto enum (proto3 enums are open) is
  // unknown, exactly like UNSPECIFIED: rules gated on the kind cannot decide
  // (fail closed), never "some other, non-chip kind". The API rejects such
  // requests; this holds for any other caller of the engine.
  if (item->kind() != v1::ITEM_KIND_UNSPECIFIED && v1::ItemKind_IsValid(item->kind())) {
    c.sym[slot::kKind] = int16_t(item->kind());
  }
  if (item->has_tpp()) c.SetNumber(slot::kTpp, item->tpp());
  if (item->has_die_area_mm2()) c.SetNumber(slot::kDieArea, item->die_area_mm2());
  if (item->has_performance_density()) {
    c.SetNumber(slot::kPerformanceDensity, item->performance_density());
  } else if (item->has_tpp() && item->has_die_area_mm2() && item->die_area_mm2() > 0) {
    c.SetNumber(slot::kPerformanceDensity, item->tpp() / item->die_area_mm2());
  }
  if (item->has_memory_bandwidth_gbps()) {
    c.SetNumber(slot::kMemoryBandwidth, item->memory_bandwidth_gbps());
  }
  if (item->quantity() > 0) c.SetNumber(slot::kQuantity, double(item->quantity()));
  if (item->unit_value_usd() > 0) c.SetNumber(slot::kUnitValue, item->unit_value_usd());
  if (item->has_datacenter_marketed()) {
    c.boolean[slot::kDatacenter] = item->datacenter_marketed() ? Tri::kTrue : Tri::kFalse;
  }
  for (const auto& [name, value] : item->parameters()) {
    auto it = R_.param_slots.find(name);
    if (it != R_.param_slots.end()) c.SetNumber(it->second, value);
  }
  // Parameters the rules define as ratios (rules/vocabulary.textproto),
  // where the request gives the operands but not the value.
  for (const auto& p : R_.computed_params) {
    if (c.HasNumber(p.slot) || !c.HasNumber(p.numerator) || !c.HasNumber(p.denominator) ||
        !(c.num[p.denominator] > 0)) {
      continue;
    }
    const double v = c.num[p.numerator] / c.num[p.denominator];
    c.SetNumber(p.slot, v);
    SetFact(det->add_computed(), absl::StrCat("item.param.", p.name), absl::StrCat(v));
  }
  Bits256 features;
  for (const auto& f : item->features()) {
    int id = R_.Id(Vocab::kFeature, f);
    if (id >= 0) features.Set(id);
  }
  c.SetSet(slot::kFeatures, features);
  int declared = item->declared_eccn().empty() ? -1 : R_.Id(Vocab::kEccn, item->declared_eccn());
  c.sym[slot::kDeclaredEccn] = int16_t(declared);
  return declared;
}

void Screener::FillItemLocation(const v1::Item& item_ref) {
  EvalContext& c = ctx_;
  const v1::Item* item = &item_ref;
  // [location] (issue 8) BEGIN: the last location report of every serial,
  // from the location index pinned with the view (authoritative: a serial
  // it does not hold was never seen). Sets item.location_countries / _groups
  // (where the chips were last seen), item.location_mismatch (some chip
  // seen outside the declared destination) and item.serials_unseen (some
  // chip never seen). With serials but no location source at all, these
  // stay unknown: rules on them cannot decide (REVIEW, never CLEAR).
  std::vector<LocationObservation>& observations = observations_;
  observations.clear();
  if (!item->serial_numbers().empty()) {
    // One index for the whole request (pinned with the view); the answer
    // names its sequence once an item with serials used it.
    if (!locations_loaded_) {
      locations_loaded_ = true;
      if (locations_ != nullptr) out_->set_locations_sequence(locations_->sequence());
    }
    const LocationIndex* loc = locations_.get();
    if (loc != nullptr) {
      bool any = false, mismatch = false, unseen = false;
      const std::string* last_country = nullptr;
      int16_t last_country_id = -1;
      Bits256 countries, groups;
      for (const auto& sn : item->serial_numbers()) {
        LocationObservation o;
        o.serial = &sn;
        o.report = loc->Find(sn);
        if (o.report != nullptr) o.country = &o.report->country;
        if (o.country == nullptr) {
          unseen = true;
          observations.push_back(o);
          continue;
        }
        any = true;
        // Chips of one shipment are mostly in one country: resolve once.
        if (last_country == nullptr || *last_country != *o.country) {
          last_country = o.country;
          last_country_id = Country(*o.country);
        }
        o.country_id = last_country_id;
        if (o.country_id >= 0 && o.country_id != kOtherCountry) {
          countries.Set(o.country_id);
        }
        groups.Or(GroupsOf(o.country_id));
        o.mismatch = !(*o.country == req_.destination_country() ||
                       o.country_id == c.sym[slot::kDestCountry]);
        mismatch |= o.mismatch;
        observations.push_back(o);
      }
      if (any) c.boolean[slot::kLocationMismatch] = mismatch ? Tri::kTrue : Tri::kFalse;
      c.boolean[slot::kSerialsUnseen] = unseen ? Tri::kTrue : Tri::kFalse;
      c.SetSet(slot::kLocationCountries, countries);
      c.SetSet(slot::kLocationGroups, groups);
    }
  } else {
    // No serials: no chip was seen anywhere and none is unseen.
    c.boolean[slot::kSerialsUnseen] = Tri::kFalse;
    c.SetSet(slot::kLocationCountries, Bits256{});
    c.SetSet(slot::kLocationGroups, Bits256{});
  }
  // [location] END
}

void Screener::Classify(ItemState* s) {
  EvalContext& c = ctx_;
  v1::ItemDetermination* det = s->det;
  const v1::Item* item = s->item;
  const int declared = s->declared;
  const rules::CClassification* cls = nullptr;
  std::vector<const rules::CClassification*> undecided;
  std::vector<std::string>& missing = missing_;
  missing.clear();
  // Only the rules whose item.kind gates admit this item's kind (the
  // others are false for it; all of them if the kind is unknown).
  for (uint32_t ci : R_.classification_buckets.For(s->kind)) {
    if (!cls_on_[ci]) continue;
    const auto& r = R_.classifications[ci];
    Tri t = R_.Eval(r.cond, c);
    if (t == Tri::kTrue) {
      cls = &r;
      break;
    }
    if (t == Tri::kUnknown) {
      undecided.push_back(&r);
      R_.Explain(r.cond, c, &missing);
    }
  }
  Bits256 tags;
  if (cls != nullptr) {
    c.sym[slot::kEccn] = cls->eccn;
    tags = R_.tags_of_eccn[cls->eccn];
    det->set_eccn(cls->eccn_name);
    det->set_classification_rule_id(cls->meta.id);
    // Formatted values of this item's context: the ECCN is set now, the
    // tags just below (nothing is formatted in between).
    Invalidate();
    det->mutable_computed()->Reserve(det->computed_size() + int(cls->record.size()) + 1);
    for (const auto& rec : cls->record) {
      // TPP and performance density are already among the computed values.
      if (rec.type == rules::ValueType::kNumber &&
          (rec.slot == slot::kTpp || rec.slot == slot::kPerformanceDensity) &&
          c.HasNumber(rec.slot)) {
        continue;
      }
      SetFact(det->add_computed(), R_.attr_names[rec.attr], Formatted(rec, c));
    }
    if (!cls->paragraph.empty()) {
      SetFact(det->add_computed(), "paragraph", cls->paragraph);
    }
  } else if (undecided.empty() && declared >= 0) {
    // Nothing classifies it from parameters: rely on the declared ECCN.
    c.sym[slot::kEccn] = int16_t(declared);
    tags =
        size_t(declared) < R_.tags_of_eccn.size() ? R_.tags_of_eccn[size_t(declared)] : Bits256{};
    det->set_eccn(item->declared_eccn());
    det->set_classification_rule_id("declared");
  } else if (undecided.empty()) {
    c.sym[slot::kEccn] = kUnclassified;
  }
  if (cls != nullptr || undecided.empty()) c.SetSet(slot::kEccnTags, tags);
  Invalidate();
  s->cls = cls;
  ReportClassificationProblems(*s, undecided);
}

void Screener::ReportClassificationProblems(
    const ItemState& s, const std::vector<const rules::CClassification*>& undecided) {
  const rules::CClassification* cls = s.cls;
  const v1::Item* item = s.item;
  v1::ItemDetermination* det = s.det;
  const int declared = s.declared;
  const int index = s.index;
  const std::vector<std::string>& missing = missing_;
  if (!undecided.empty()) {
    std::vector<std::string> ids;
    for (const auto* r : undecided) ids.push_back(r->meta.id);
    v1::Finding* f =
        System("system.classification_undecided", "Classification could not be decided",
               absl::StrCat("Missing parameters prevent deciding ", absl::StrJoin(ids, ", "),
                            cls ? absl::StrCat(" (which outrank ", cls->meta.id, ")") : ""),
               -1, index);
    AddFact(f, "rules", absl::StrJoin(ids, ","));
    AddFact(f, "missing", absl::StrJoin(missing, ","));
  }
  if (declared >= 0 && cls != nullptr && item->declared_eccn() != cls->eccn_name &&
      item->declared_eccn().rfind(cls->eccn_name, 0) != 0 &&
      cls->eccn_name.rfind(item->declared_eccn(), 0) != 0) {
    det->set_declared_eccn_conflict(item->declared_eccn());
    v1::Finding* f = System(
        "system.declared_eccn_conflict", "Declared ECCN disagrees with classification",
        absl::StrCat("Declared ", item->declared_eccn(), ", rules classify ", cls->eccn_name), -1,
        index);
    AddFact(f, "declared_eccn", item->declared_eccn());
    AddFact(f, "eccn", cls->eccn_name);
  } else if (!item->declared_eccn().empty() && declared < 0 && cls == nullptr) {
    det->set_declared_eccn_conflict(item->declared_eccn());
  }
}

bool Screener::LicenseRequirements(const ItemState& s) {
  EvalContext& c = ctx_;
  const rules::CClassification* cls = s.cls;
  const v1::Item* item = s.item;
  v1::ItemDetermination* det = s.det;
  const int index = s.index;
  std::vector<uint32_t>& fired = fired_;
  fired.clear();
  std::vector<std::string> undecided_lic;
  std::vector<std::string>& missing = missing_;
  missing.clear();
  bool required = false;
  for (uint32_t i : R_.license_buckets.For(s.kind)) {
    if (!lic_on_[i]) continue;
    const auto& r = R_.licenses[i];
    Tri t = R_.Eval(r.cond, c);
    if (t == Tri::kUnknown) {
      undecided_lic.push_back(r.meta.id);
      R_.Explain(r.cond, c, &missing);
      continue;
    }
    if (t != Tri::kTrue) continue;
    fired.push_back(i);
    if (r.outcome != v1::DECISION_REVIEW) {
      required = true;
      det->add_license_rule_ids(r.meta.id);
    }
    v1::Finding* f =
        Add(r.meta, r.outcome,
            absl::StrCat("Item ", index, " (", det->eccn().empty() ? "unclassified" : det->eccn(),
                         ") to ", req_.destination_country()),
            -1, index,
            int(!det->eccn().empty()) + int(r.record.size()) + int(!r.review_policy.empty()));
    if (!det->eccn().empty()) AddFact(f, "eccn", det->eccn());
    Record(f, r.record, c);
    if (!r.review_policy.empty()) {
      AddFact(f, "review_policy", r.review_policy);
      if (det->review_policy().empty()) det->set_review_policy(r.review_policy);
    }
  }
  // The CCL baseline, for the classified ECCN and a declared one that
  // differs (both are checked: fail closed).
  if (R_.ccl.present) {
    const std::string* first = nullptr;
    if (cls != nullptr) {
      first = &cls->eccn_name;
    } else if (!item->declared_eccn().empty()) {
      first = &item->declared_eccn();
    }
    if (first != nullptr) required |= ChartDetermination(index, *first, det);
    if (cls != nullptr && !item->declared_eccn().empty() &&
        item->declared_eccn() != cls->eccn_name) {
      required |= ChartDetermination(index, item->declared_eccn(), det);
    }
  }
  if (!undecided_lic.empty()) {
    v1::Finding* f =
        System("system.license_undecided", "Licence requirement could not be decided",
               absl::StrCat("Missing inputs prevent deciding ", absl::StrJoin(undecided_lic, ", ")),
               -1, index);
    AddFact(f, "rules", absl::StrJoin(undecided_lic, ","));
    AddFact(f, "missing", absl::StrJoin(missing, ","));
  }
  return required;
}

void Screener::ApplyReviewPolicies(const ItemState& s) {
  const EvalContext& c = ctx_;
  v1::ItemDetermination* det = s.det;
  const int index = s.index;
  const std::vector<uint32_t>& fired = fired_;
  for (size_t pi = 0; pi < R_.review_policies.size(); ++pi) {
    if (!rp_on_[pi]) continue;
    const auto& p = R_.review_policies[pi];
    bool relevant = false;
    for (uint32_t li : p.replaces) {
      relevant |= std::find(fired.begin(), fired.end(), li) != fired.end();
    }
    if (!relevant) continue;
    Tri t = R_.Eval(p.cond, c);
    if (t == Tri::kFalse) continue;
    v1::Finding* f = Add(p.meta, v1::DECISION_CLEAR,
                         t == Tri::kTrue ? absl::StrCat("Review policy: ", p.review_policy)
                                         : "Review-policy window could not be decided "
                                           "(missing inputs); original policy stands",
                         -1, index, int(p.record.size()));
    f->set_informational(true);
    Record(f, p.record, c);
    if (t == Tri::kTrue) det->set_review_policy(p.review_policy);
  }
}

void Screener::OfferExceptions(const ItemState& s) {
  const EvalContext& c = ctx_;
  v1::ItemDetermination* det = s.det;
  const std::vector<uint32_t>& fired = fired_;
  for (uint32_t ei : R_.exception_buckets.For(s.kind)) {
    if (!exc_on_[ei]) continue;
    const auto& e = R_.exceptions[ei];
    bool relevant = e.for_licenses.empty();
    for (uint32_t li : e.for_licenses) {
      relevant |= std::find(fired.begin(), fired.end(), li) != fired.end();
    }
    // An all-items party requirement admits no exception.
    if (!relevant || !all_items_.empty()) continue;
    if (R_.Eval(e.cond, c) != Tri::kTrue) continue;
    v1::LicenseException* x = det->add_exceptions();
    x->set_code(e.code);
    x->set_rule_id(e.meta.id);
    x->set_citation(e.meta.citation);
    x->set_notice_required(e.notice_required);
    for (const auto& text : e.conditions) x->add_conditions(text);
  }
}

void Screener::ItemRedFlags(const ItemState& s) {
  const EvalContext& c = ctx_;
  const int index = s.index;
  const std::vector<LocationObservation>& observations = observations_;
  std::vector<std::string> undecided_rf;
  std::vector<std::string>& missing = missing_;
  missing.clear();
  for (uint32_t ri : R_.red_flag_buckets.For(s.kind)) {
    const auto& r = R_.red_flags[ri];
    if (!r.cond.item_scope || !rf_on_[ri]) continue;
    Tri t = R_.Eval(r.cond, c);
    if (t == Tri::kUnknown) {
      undecided_rf.push_back(r.meta.id);
      R_.Explain(r.cond, c, &missing);
      continue;
    }
    if (t != Tri::kTrue) continue;
    v1::Finding* f = Add(r.meta, r.outcome, std::string(), -1, index, int(r.record.size()));
    Record(f, r.record, c);
    // [location] the reports (or unseen serials) that fired it.
    if (!observations.empty()) AddLocationFacts(r.location, observations, f);
  }
  if (!undecided_rf.empty()) {
    v1::Finding* f =
        System("system.red_flag_undecided", "Red-flag check could not be decided",
               absl::StrCat("Missing inputs prevent deciding ", absl::StrJoin(undecided_rf, ", ")),
               -1, index);
    AddFact(f, "missing", absl::StrJoin(missing, ","));
  }
}

// [location] (issue 8): reports shown per finding (then a count of the rest).
constexpr size_t kMaxLocationFacts = 5;

void Screener::AddLocationFacts(const rules::LocationUse& use,
                                const std::vector<LocationObservation>& observations,
                                v1::Finding* f) const {
  if (!use.any()) return;
  size_t shown = 0, more = 0;
  for (const LocationObservation& o : observations) {
    bool relevant;
    if (o.country == nullptr) {
      relevant = use.unseen;
    } else {
      relevant = (use.mismatch && o.mismatch) ||
                 (use.countries && o.country_id >= 0 && o.country_id != kOtherCountry &&
                  use.country_mask.Test(o.country_id)) ||
                 (use.groups && GroupsOf(o.country_id).Intersects(use.group_mask));
    }
    if (!relevant) continue;
    if (shown == kMaxLocationFacts) {
      ++more;
      continue;
    }
    ++shown;
    if (o.country == nullptr) {
      AddFact(f, "serial_unseen", absl::StrCat(*o.serial, " (no location report)"));
    } else if (o.report != nullptr) {
      AddFact(f, "location_report",
              absl::StrCat(
                  *o.serial, " in ", o.report->country, " (verifier ", o.report->verifier_id,
                  ", observed ",
                  absl::FormatTime(absl::RFC3339_sec, o.report->observed_at, absl::UTCTimeZone()),
                  ", report ", o.report->report_id, ")"));
    } else {
      AddFact(f, "location_report", absl::StrCat(*o.serial, " in ", *o.country, " (list data)"));
    }
  }
  if (more > 0) AddFact(f, "location_report", absl::StrCat("... and ", more, " more"));
}

}  // namespace exportscreen::engine::screening_internal
