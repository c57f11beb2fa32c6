// Internal to services/engine: the Screener, one evaluation of one request
// under one snapshot, and its per-thread working memory. Not part of the
// module's API (see screening_engine.h); include only from services/engine.
//
// The stages live one concept per file:
//   screening_engine.cc    Run (the order of stages), transaction attributes,
//                          transaction red flags, the decision;
//   party_screening.cc     list matching, ownership and party-list rules;
//   item_screening.cc      one item: attributes, location, classification,
//                          licence rules, review policies, exceptions, red flags;
//   chart_determination.cc the CCL x Country Chart baseline of one ECCN.
//
// Thread-compatible: a Screener lives on one thread for one request.
#ifndef EXPORTSCREEN_SERVICES_ENGINE_SCREENER_H_
#define EXPORTSCREEN_SERVICES_ENGINE_SCREENER_H_

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "exportscreen/v1/screening.pb.h"
#include "services/engine/screening_engine.h"
#include "services/rules/compiled_rules.h"

namespace exportscreen::engine::screening_internal {

using rules::Bits256;
using rules::CompiledMeta;
using rules::CompiledRules;
using rules::EvalContext;
using rules::Tri;
using rules::Vocab;
namespace slot = rules::slot;

// Near misses (explain): how many per party, and the lowest score shown.
// An analyst view, not a decision threshold (those are in rules/).
inline constexpr size_t kNearMissesPerParty = 5;
inline constexpr double kNearMissFloor = 0.5;
// A country code the rules never name: a valid destination that is in no
// group and matches no test (e.g. "BR").
inline constexpr int16_t kOtherCountry = 255;
// "Not classified by any rule": matches no ECCN test.
inline constexpr int16_t kUnclassified = 255;

inline constexpr char kSystemCitation[] = "exportscreen fail-closed policy (DESIGN.md section 3)";
inline constexpr char kSystemAction[] =
    "Resolve the missing input or failed check, then re-screen.";

// Facts are written straight into the message's strings (no temporaries):
// the response's strings are most of the engine's time.
inline void SetFact(v1::Fact* x, absl::string_view name, absl::string_view value) {
  x->mutable_name()->assign(name.data(), name.size());
  x->mutable_value()->assign(value.data(), value.size());
}
inline void SetFact(v1::Fact* x, absl::string_view name, std::string&& value) {
  x->mutable_name()->assign(name.data(), name.size());
  x->set_value(std::move(value));
}
inline void AddFact(v1::Finding* f, absl::string_view name, std::string&& value) {
  SetFact(f->add_facts(), name, std::move(value));
}
inline void AddFact(v1::Finding* f, absl::string_view name, const char* value) {
  SetFact(f->add_facts(), name, absl::string_view(value));
}
inline void AddFact(v1::Finding* f, absl::string_view name, const std::string& value) {
  SetFact(f->add_facts(), name, absl::string_view(value));
}

// One serial of an item and where it was last seen: views into the
// request, the pinned LocationIndex or the list data, valid in ScreenItem.
struct LocationObservation {
  const std::string* serial = nullptr;
  const ReportedLocation* report = nullptr;  // null: list data or unseen
  const std::string* country = nullptr;      // null: never seen
  int16_t country_id = -1;
  bool mismatch = false;  // seen outside the declared destination
};

// Working memory of one evaluation, kept per thread and reused by the next
// request on that thread (its contents never outlive a request). Besides
// saving the allocations, this keeps requests from making allocations of a
// kilobyte or more, which make glibc consolidate its fast bins and slow down
// every later allocation of the response.
struct Scratch {
  // Which rules are in force on the request's as-of date, one flag per rule
  // of each family (computed once per request, not per item).
  std::vector<uint8_t> cls_on, lic_on, rp_on, exc_on, rf_on;
  // Formatted recorded values by attribute, valid while fmt_gen == gen.
  std::vector<std::string> fmt;
  std::vector<uint32_t> fmt_gen;
  uint32_t gen = 0;
  // Per-item lists.
  std::vector<uint32_t> fired;
  std::vector<std::string> missing;
  // Rules the findings name, in order of first finding (see EmitRules).
  std::vector<const CompiledMeta*> cited;
  struct SystemCite {
    absl::string_view id, title, action;
  };
  std::vector<SystemCite> cited_system;
  std::vector<LocationObservation> observations;
};

class Screener {
 public:
  Screener(const ScreeningView& view, const v1::ScreenRequest& r, absl::CivilDay as_of,
           v1::ScreenResponse* out, Scratch* scratch)
      : snap_(view.snapshot),
        R_(view.snapshot.rules->compiled()),
        req_(r),
        as_of_(as_of),
        out_(out),
        dispositions_(view.dispositions),
        locations_(view.locations),
        cls_on_(scratch->cls_on),
        lic_on_(scratch->lic_on),
        rp_on_(scratch->rp_on),
        exc_on_(scratch->exc_on),
        rf_on_(scratch->rf_on),
        fmt_(scratch->fmt),
        fmt_gen_(scratch->fmt_gen),
        gen_(scratch->gen),
        fired_(scratch->fired),
        missing_(scratch->missing),
        cited_(scratch->cited),
        cited_system_(scratch->cited_system),
        observations_(scratch->observations) {
    cited_.clear();
    cited_system_.clear();
    // Attribute ids are dense: size the cache once per rule set.
    if (fmt_.size() < R_.attr_names.size()) {
      fmt_.resize(R_.attr_names.size());
      fmt_gen_.resize(R_.attr_names.size(), 0);
    }
    Invalidate();
  }

  void Run();

 private:
  // `facts`: how many facts the caller adds (reserved up front).
  // A finding of rule `m`. The rule's title, citation, jurisdiction and
  // action go once into the answer's rules (EmitRules), not into every
  // finding: a rule firing for ten items is described once.
  v1::Finding* Add(const CompiledMeta& m, v1::Decision sev, std::string message, int party,
                   int item, int facts = 0) {
    v1::Finding* f = out_->add_findings();
    if (facts > 0) f->mutable_facts()->Reserve(facts);
    f->set_rule_id(m.id);
    f->set_severity(sev);
    if (!message.empty()) f->set_message(std::move(message));
    f->set_party_index(party);
    f->set_item_index(item);
    if (std::find(cited_.begin(), cited_.end(), &m) == cited_.end()) {
      cited_.push_back(&m);
    }
    return f;
  }
  // A check that could not run: REVIEW, never CLEAR. `id`, `title` and
  // `action` are string literals (cited by view until EmitRules).
  v1::Finding* System(absl::string_view id, absl::string_view title, std::string message, int party,
                      int item, absl::string_view action = kSystemAction) {
    v1::Finding* f = out_->add_findings();
    f->mutable_rule_id()->assign(id.data(), id.size());
    f->set_severity(v1::DECISION_REVIEW);
    f->set_message(std::move(message));
    f->set_party_index(party);
    f->set_item_index(item);
    if (std::find_if(cited_system_.begin(), cited_system_.end(), [&](const Scratch::SystemCite& c) {
          return c.id == id;
        }) == cited_system_.end()) {
      cited_system_.push_back({id, title, action});
    }
    return f;
  }
  // The answer's rules: one RuleRef per rule a finding names.
  void EmitRules() {
    auto* rules = out_->mutable_rules();
    rules->Reserve(int(cited_.size() + cited_system_.size()));
    for (const CompiledMeta* m : cited_) {
      v1::RuleRef* r = rules->Add();
      r->set_rule_id(m->id);
      r->set_title(m->title);
      r->set_citation(m->citation);
      r->set_jurisdiction(m->jurisdiction);
      if (!m->action.empty()) r->set_action(m->action);
      if (m->uncertain) {
        r->set_uncertain(true);
        r->set_notes(m->notes);
      }
      r->set_effective_from(m->from_text);
      if (m->has_until) r->set_effective_until(m->until_text);
    }
    for (const auto& c : cited_system_) {
      v1::RuleRef* r = rules->Add();
      r->mutable_rule_id()->assign(c.id.data(), c.id.size());
      r->mutable_title()->assign(c.title.data(), c.title.size());
      r->set_citation(kSystemCitation);
      r->set_jurisdiction("INTERNAL");
      r->mutable_action()->assign(c.action.data(), c.action.size());
    }
  }
  int16_t Country(const std::string& raw) const {
    if (raw.empty()) return -1;
    const int id = R_.CountryId(raw);
    return id < 0 ? kOtherCountry : int16_t(id);
  }
  Bits256 GroupsOf(int16_t c) const {
    return (c >= 0 && c != kOtherCountry && size_t(c) < R_.groups_of_country.size())
               ? R_.groups_of_country[size_t(c)]
               : Bits256{};
  }
  // Textual value of a recorded attribute ("(unknown)" if not given),
  // formatted once per evaluation context state (see Invalidate).
  const std::string& Formatted(const rules::Recorded& r, const EvalContext& c) {
    if (r.attr >= fmt_.size()) {
      fmt_.resize(r.attr + 1);
      fmt_gen_.resize(r.attr + 1, 0);
    }
    std::string& v = fmt_[r.attr];
    if (fmt_gen_[r.attr] != gen_) {
      const Vocab vocab = R_.attr_vocab.size() > r.attr ? R_.attr_vocab[r.attr] : Vocab::kNone;
      if (r.type == rules::ValueType::kSet) {
        // As CompiledRules::Format, but visiting the set's members rather
        // than the whole vocabulary (countries: a few of ~250).
        v.clear();
        if ((c.set_known >> r.slot) & 1) {
          const auto& names = R_.vocab_names[size_t(vocab)];
          const Bits256& b = c.set[r.slot];
          for (size_t w = 0; w < b.w.size(); ++w) {
            for (uint64_t bits = b.w[w]; bits != 0; bits &= bits - 1) {
              size_t i = w * 64 + size_t(__builtin_ctzll(bits));
              if (i >= names.size()) break;
              if (!v.empty()) v.push_back(',');
              v.append(names[i]);
            }
          }
        }
      } else if (r.type == rules::ValueType::kSymbol && vocab == Vocab::kCountry &&
                 c.sym[r.slot] == kOtherCountry) {
        // A country the rules never name: show the code the request gave
        // (validated ISO alpha-2), never index the vocabulary with the
        // sentinel.
        v = r.slot == slot::kDestCountry     ? req_.destination_country()
            : r.slot == slot::kExportCountry ? req_.export_country()
                                             : std::string();
        if (v.empty()) v = rules::CompiledRules::OutOfVocabulary();
      } else {
        v = R_.Format(r, c, vocab);
      }
      if (v.empty()) v = "(unknown)";
      fmt_gen_[r.attr] = gen_;
    }
    return v;
  }
  // The context's values changed: formatted values are stale.
  void Invalidate() {
    if (++gen_ == 0) {  // wrapped: no stale entry may look current
      std::fill(fmt_gen_.begin(), fmt_gen_.end(), 0);
      gen_ = 1;
    }
  }
  void Record(v1::Finding* f, const std::vector<rules::Recorded>& rec, const EvalContext& c) {
    for (const auto& r : rec) {
      AddFact(f, R_.attr_names[r.attr], Formatted(r, c));
    }
  }

  // [location] Facts of a firing rule that reads location attributes: the
  // reports (verifier, time, country) or unseen serials that its tests
  // concern, at most kMaxLocationFacts and a count of the rest.
  void AddLocationFacts(const rules::LocationUse& use,
                        const std::vector<LocationObservation>& observations, v1::Finding* f) const;

  void FillTransaction();
  void ScreenParties();
  void FillMatch(int pi, const matching::NameHit& h, const std::string& qname,
                 const v1::ListedEntity& e, v1::PartyMatch* m);
  void ApplyPartyRules(const v1::PartyMatch& m, bool via_ownership,
                       const std::vector<int>& footnotes);
  void Ownership();
  void ScreenItem(int index);

  // --- item_screening.cc: ScreenItem's stages, in order ---
  struct ItemState;
  // The request's item, completed from the catalogue by part number (the
  // merged copy lives in *merged); names the catalogue entry in det.
  const v1::Item* ItemWithCatalogue(int index, v1::ItemDetermination* det,
                                    std::optional<v1::Item>* merged);
  // Forgets the previous item's slots (transaction slots stay).
  void ResetItemSlots();
  // Kind, numbers, parameters, features and declared ECCN of the item;
  // returns the declared ECCN's id (-1 if none or unknown).
  int FillItemAttributes(const v1::Item& item, v1::ItemDetermination* det);
  // [location] item.location_* and item.serials_unseen (see there).
  void FillItemLocation(const v1::Item& item);
  // 1. Classification: highest precedence rule that holds.
  void Classify(ItemState* s);
  void ReportClassificationProblems(const ItemState& s,
                                    const std::vector<const rules::CClassification*>& undecided);
  // 2. Licence requirements: licence rules and the CCL baseline; true if a
  // licence is required.
  bool LicenseRequirements(const ItemState& s);
  // Review policies that replace the policy of a fired rule.
  void ApplyReviewPolicies(const ItemState& s);
  // 3. Licence exceptions (only offered, never lowering the decision).
  void OfferExceptions(const ItemState& s);
  // 4. Item red flags.
  void ItemRedFlags(const ItemState& s);
  // The CCL x Country Chart baseline for `eccn` (classified or declared);
  // true if a licence is required.
  bool ChartDetermination(int index, const std::string& eccn, v1::ItemDetermination* det);
  void TransactionRedFlags();
  void Decide();

  const ScreeningSnapshot& snap_;
  const CompiledRules& R_;
  const v1::ScreenRequest& req_;
  absl::CivilDay as_of_;
  v1::ScreenResponse* out_;
  EvalContext ctx_;
  // Party-list rules that make every item licence-required.
  struct AllItems {
    uint32_t rule;
    int party;
    std::string policy;
  };
  std::vector<AllItems> all_items_;
  bool any_list_hit_ = false;
  std::shared_ptr<const DispositionSet> dispositions_;
  // [location] the location index of this request (see ScreenItem).
  std::shared_ptr<const LocationIndex> locations_;
  bool locations_loaded_ = false;
  // Per request: the destination's groups as text (a fact of every licence
  // finding).
  // In Scratch (see there).
  std::vector<uint8_t>&cls_on_, &lic_on_, &rp_on_, &exc_on_, &rf_on_;
  std::vector<std::string>& fmt_;
  std::vector<uint32_t>& fmt_gen_;
  uint32_t& gen_;
  std::vector<uint32_t>& fired_;
  std::vector<std::string>& missing_;
  std::vector<const CompiledMeta*>& cited_;
  std::vector<Scratch::SystemCite>& cited_system_;
  std::vector<LocationObservation>& observations_;
};

}  // namespace exportscreen::engine::screening_internal

#endif  // EXPORTSCREEN_SERVICES_ENGINE_SCREENER_H_
