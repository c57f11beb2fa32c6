// ScreeningEngine: classification -> licence determination -> party-list and
// ownership consequences -> red flags -> exceptions -> one decision. All
// domain knowledge comes from the compiled rule set; this file only knows the
// stages and how request fields map to attribute slots.
#include "services/engine/screening_engine.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/rules/compiled_rules.h"

namespace exportscreen::engine {
namespace {

using rules::Bits256;
using rules::CompiledMeta;
using rules::CompiledRules;
using rules::EvalContext;
using rules::Tri;
using rules::Vocab;
namespace slot = rules::slot;

// A country code the rules never name: a valid destination that is in no
// group and matches no test (e.g. "BR").
// Near misses (explain): how many per party, and the lowest score shown.
// An analyst view, not a decision threshold (those are in rules/).
constexpr size_t kNearMissesPerParty = 5;
constexpr double kNearMissFloor = 0.5;
constexpr int16_t kOtherCountry = 255;
// "Not classified by any rule": matches no ECCN test.
constexpr int16_t kUnclassified = 255;

constexpr char kSystemCitation[] =
    "exportscreen fail-closed policy (DESIGN.md section 3)";
constexpr char kSystemAction[] =
    "Resolve the missing input or failed check, then re-screen.";

int Rank(v1::Decision d) {
  switch (d) {
    case v1::DECISION_PROHIBITED: return 4;
    case v1::DECISION_LICENSE_REQUIRED: return 3;
    case v1::DECISION_REVIEW: return 2;
    case v1::DECISION_CLEAR: return 1;
    default: return 0;
  }
}

// Facts are written straight into the message's strings (no temporaries):
// the response's strings are most of the engine's time.
void SetFact(v1::Fact* x, absl::string_view name, absl::string_view value) {
  x->mutable_name()->assign(name.data(), name.size());
  x->mutable_value()->assign(value.data(), value.size());
}
void SetFact(v1::Fact* x, absl::string_view name, std::string&& value) {
  x->mutable_name()->assign(name.data(), name.size());
  x->set_value(std::move(value));
}
void AddFact(v1::Finding* f, absl::string_view name, std::string&& value) {
  SetFact(f->add_facts(), name, std::move(value));
}
void AddFact(v1::Finding* f, absl::string_view name, const char* value) {
  SetFact(f->add_facts(), name, absl::string_view(value));
}
void AddFact(v1::Finding* f, absl::string_view name, const std::string& value) {
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
  Screener(const ScreeningSnapshot& s, const v1::ScreenRequest& r,
           absl::CivilDay as_of, v1::ScreenResponse* out, Scratch* scratch)
      : snap_(s), R_(s.rules->compiled()), req_(r), as_of_(as_of), out_(out),
        cls_on_(scratch->cls_on), lic_on_(scratch->lic_on),
        rp_on_(scratch->rp_on), exc_on_(scratch->exc_on),
        rf_on_(scratch->rf_on), fmt_(scratch->fmt), fmt_gen_(scratch->fmt_gen),
        gen_(scratch->gen), fired_(scratch->fired), missing_(scratch->missing),
        cited_(scratch->cited), cited_system_(scratch->cited_system),
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
  v1::Finding* Add(const CompiledMeta& m, v1::Decision sev,
                   std::string message, int party, int item, int facts = 0) {
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
  v1::Finding* System(absl::string_view id, absl::string_view title,
                      std::string message, int party, int item,
                      absl::string_view action = kSystemAction) {
    v1::Finding* f = out_->add_findings();
    f->mutable_rule_id()->assign(id.data(), id.size());
    f->set_severity(v1::DECISION_REVIEW);
    f->set_message(std::move(message));
    f->set_party_index(party);
    f->set_item_index(item);
    if (std::find_if(cited_system_.begin(), cited_system_.end(),
                     [&](const Scratch::SystemCite& c) { return c.id == id; }) ==
        cited_system_.end()) {
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
    return (c >= 0 && c != kOtherCountry &&
            size_t(c) < R_.groups_of_country.size())
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
      const Vocab vocab = R_.attr_vocab.size() > r.attr ? R_.attr_vocab[r.attr]
                                                        : Vocab::kNone;
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
      } else if (r.type == rules::ValueType::kSymbol &&
                 vocab == Vocab::kCountry && c.sym[r.slot] == kOtherCountry) {
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
  void Record(v1::Finding* f, const std::vector<rules::Recorded>& rec,
              const EvalContext& c) {
    for (const auto& r : rec) {
      AddFact(f, R_.attr_names[r.attr], Formatted(r, c));
    }
  }

  // [location] Facts of a firing rule that reads location attributes: the
  // reports (verifier, time, country) or unseen serials that its tests
  // concern, at most kMaxLocationFacts and a count of the rest.
  void AddLocationFacts(const rules::LocationUse& use,
                        const std::vector<LocationObservation>& observations,
                        v1::Finding* f) const;

  void FillTransaction();
  void ScreenParties();
  void FillMatch(int pi, const matching::NameHit& h, const std::string& qname,
                 const v1::ListedEntity& e, v1::PartyMatch* m);
  void ApplyPartyRules(const v1::PartyMatch& m, bool via_ownership,
                       const std::vector<int>& footnotes);
  void Ownership();
  void ScreenItem(int index);
  // The CCL x Country Chart baseline for `eccn` (classified or declared);
  // true if a licence is required.
  bool ChartDetermination(int index, const std::string& eccn,
                          v1::ItemDetermination* det);
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

template <typename T>
void ActiveFlags(const std::vector<T>& rules, absl::CivilDay d,
                 std::vector<uint8_t>* on) {
  on->resize(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) (*on)[i] = rules[i].meta.ActiveOn(d);
}

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
    const std::string& pc =
        p.country().empty() ? p.address().country() : p.country();
    int16_t c = Country(pc);
    if (c >= 0 && c != kOtherCountry) countries.Set(c);
    if (p.role() != v1::PARTY_ROLE_EXPORTER &&
        v1::AddressKind_IsValid(p.address().kind())) {
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

void Screener::ApplyPartyRules(const v1::PartyMatch& m, bool via_ownership,
                               const std::vector<int>& footnotes) {
  bool applied = false;
  for (uint32_t i = 0; i < R_.party_lists.size(); ++i) {
    const auto& r = R_.party_lists[i];
    if (!r.meta.ActiveOn(as_of_)) continue;
    if (via_ownership && !r.applies_to_affiliates) continue;
    if (m.action() != r.match_action) continue;
    if (std::find(r.lists.begin(), r.lists.end(), m.list()) == r.lists.end()) {
      continue;
    }
    if (!r.footnotes_any.empty()) {
      bool any = false;
      for (int fn : footnotes) {
        any |= std::find(r.footnotes_any.begin(), r.footnotes_any.end(), fn) !=
               r.footnotes_any.end();
      }
      if (!any) continue;
    }
    Tri t = R_.Eval(r.cond, ctx_);
    if (t == Tri::kFalse) continue;
    applied = true;
    v1::Decision sev = t == Tri::kTrue ? r.outcome : v1::DECISION_REVIEW;
    std::string policy =
        r.review_policy.empty() ? m.license_policy() : r.review_policy;
    v1::Finding* f = Add(
        r.meta, sev,
        absl::StrCat(via_ownership ? "Party owned by listed entities: "
                                   : "Party matches listed entity: ",
                     m.party_name(), " ~ ", m.listed_name(), " (", m.list(),
                     ")", t == Tri::kUnknown ? " [condition undecided]" : ""),
        m.party_index(), -1);
    AddFact(f, "list", m.list());
    AddFact(f, "entity_id", m.entity_id());
    AddFact(f, "listed_name", m.listed_name());
    if (!via_ownership) {
      AddFact(f, "query_name", m.query_name());
      AddFact(f, "matched_name", m.matched_name());
      AddFact(f, "matched_alias", m.matched_alias() ? "true" : "false");
      AddFact(f, "score", absl::StrCat(m.score()));
    } else {
      AddFact(f, "owners", absl::StrJoin(m.owner_entity_ids(), ","));
      AddFact(f, "owned_percent", absl::StrCat(m.owned_percent()));
    }
    if (!footnotes.empty()) {
      AddFact(f, "el_footnotes", absl::StrJoin(footnotes, ","));
    }
    if (!m.license_requirement().empty()) {
      AddFact(f, "license_requirement", m.license_requirement());
    }
    if (!policy.empty()) AddFact(f, "review_policy", policy);
    if (r.all_items_license_required && t == Tri::kTrue) {
      all_items_.push_back({i, m.party_index(), policy});
    }
  }
  if (!applied) {
    System("system.list_without_rule", "Listed party without consequence rule",
           absl::StrCat("Party ", m.party_name(), " matches ", m.entity_id(),
                        " on list \"", m.list(),
                        "\", which no active party-list rule covers."),
           m.party_index(), -1);
  }
}

namespace {

matching::PartyType ToMatchingType(v1::PartyType t) {
  switch (t) {
    case v1::PARTY_TYPE_ORGANIZATION:
      return matching::PartyType::kOrganization;
    case v1::PARTY_TYPE_PERSON:
      return matching::PartyType::kPerson;
    case v1::PARTY_TYPE_VESSEL:
      return matching::PartyType::kVessel;
    case v1::PARTY_TYPE_AIRCRAFT:
      return matching::PartyType::kAircraft;
    default:
      return matching::PartyType::kUnknown;
  }
}

// Hits of one party over its names: best per listed entity (rows merged by
// the index count as one entity), exact normalised matches first, then by
// the unclamped score.
void MergeHit(std::vector<std::pair<matching::NameHit, const std::string*>>* best,
              matching::NameHit h, const std::string* name) {
  auto same = [&h](const matching::NameHit& b) {
    if (b.ordinal == h.ordinal) return true;
    for (uint32_t d : b.duplicate_ordinals) {
      if (d == h.ordinal) return true;
    }
    return false;
  };
  for (auto& b : *best) {
    if (!same(b.first)) continue;
    if (std::make_pair(h.exact, h.rank_score) >
        std::make_pair(b.first.exact, b.first.rank_score)) {
      b = {std::move(h), name};
    }
    return;
  }
  best->emplace_back(std::move(h), name);
}

void SortHits(std::vector<std::pair<matching::NameHit, const std::string*>>* v) {
  std::sort(v->begin(), v->end(), [](const auto& a, const auto& b) {
    if (a.first.exact != b.first.exact) return a.first.exact;
    if (a.first.rank_score != b.first.rank_score) {
      return a.first.rank_score > b.first.rank_score;
    }
    return a.first.ordinal < b.first.ordinal;
  });
}

}  // namespace

void Screener::FillMatch(int pi, const matching::NameHit& h,
                         const std::string& qname, const v1::ListedEntity& e,
                         v1::PartyMatch* m) {
  const v1::Party& p = req_.parties(pi);
  const ReferenceData* data = snap_.data.get();
  m->set_party_index(pi);
  m->set_party_role(p.role());
  m->set_party_name(p.name());
  m->set_list(e.list());
  m->set_entity_id(e.entity_id());
  m->set_listed_name(e.primary_name());
  m->set_matched_name(h.matched_name);
  m->set_matched_alias(h.name_number > 0);
  m->set_query_name(qname);
  m->set_score(h.score);
  m->set_rank_score(h.rank_score);
  m->set_exact(h.exact);
  m->set_review_only(h.review_only);
  for (uint32_t d : h.duplicate_ordinals) {
    if (d < data->entities.size()) {
      m->add_duplicate_entity_ids(data->entities[d].entity_id());
    }
  }
  m->set_normalized_query(h.normalized_query);
  m->set_normalized_listed(h.normalized_listed);
  for (const auto& s : h.normalization_steps) m->add_normalization_steps(s);
  for (const auto& t : h.alignment) {
    auto* a = m->add_alignment();
    a->set_query_token(t.query_token);
    a->set_listed_token(t.listed_token);
    a->set_kind(t.kind);
    a->set_similarity(t.similarity);
    a->set_weight(t.weight);
  }
  for (const auto& c : h.corroboration) m->add_corroboration(c);
  *m->mutable_listed_countries() = e.countries();
  m->set_why(absl::StrCat("\"", qname, "\" ~ \"", h.matched_name,
                          "\" score ", h.score));
}

void Screener::ScreenParties() {
  const ReferenceData* data = snap_.data.get();
  matching::MatchOptions opts;
  opts.min_score = R_.review_threshold;
  opts.max_hits = req_.max_hits_per_party() > 0
                      ? static_cast<size_t>(req_.max_hits_per_party())
                      : kDefaultMaxHitsPerParty;
  if (req_.explain()) {
    opts.max_near_misses = kNearMissesPerParty;
    opts.near_miss_min = kNearMissFloor;
  }
  for (int pi = 0; pi < req_.parties_size(); ++pi) {
    const v1::Party& p = req_.parties(pi);
    if (snap_.index == nullptr || data == nullptr) {
      System("system.matching_unavailable", "Party screening unavailable",
             "No name index in the snapshot: party not screened.", pi, -1);
      continue;
    }
    matching::PartyQuery q;
    q.country = absl::AsciiStrToUpper(p.country().empty() ? p.address().country()
                                                          : p.country());
    q.type = ToMatchingType(p.type());
    for (const std::string* part :
         {&p.address().street(), &p.address().city(), &p.address().region(),
          &p.address().postal_code()}) {
      if (!part->empty()) q.address_parts.push_back(*part);
    }
    for (const auto& id : p.identifiers()) q.identifiers.push_back(id.value());
    // Best hit per entity over the party's names.
    std::vector<std::pair<matching::NameHit, const std::string*>> best;
    std::vector<std::pair<matching::NameHit, const std::string*>> near;
    auto screen_name = [&](const std::string& name) {
      if (name.empty()) return;
      q.name = name;
      auto result = snap_.index->MatchDetailed(q, opts);
      if (!result.ok()) {
        System("system.matching_failed", "Party screening failed",
               absl::StrCat("Name \"", name,
                            "\" could not be screened: ", result.status().ToString()),
               pi, -1);
        return;
      }
      for (auto& h : result->hits) MergeHit(&best, std::move(h), &name);
      for (auto& h : result->near_misses) MergeHit(&near, std::move(h), &name);
    };
    screen_name(p.name());
    for (const auto& a : p.aliases()) screen_name(a);
    SortHits(&best);
    {
      // Exact normalised matches always stay (they sort first).
      size_t exact = 0;
      while (exact < best.size() && best[exact].first.exact) ++exact;
      const size_t keep = std::max(opts.max_hits, exact);
      if (best.size() > keep) best.resize(keep);
    }
    if (req_.explain()) {
      SortHits(&near);
      size_t shown = 0;
      for (const auto& entry : near) {
        if (shown >= opts.max_near_misses) break;
        const matching::NameHit& h = entry.first;
        bool is_hit = false;
        for (const auto& b : best) {
          is_hit |= b.first.ordinal == h.ordinal;
        }
        if (is_hit || h.ordinal >= data->entities.size()) continue;
        FillMatch(pi, h, *entry.second, data->entities[h.ordinal],
                  out_->add_near_misses());
        ++shown;
      }
    }
    for (const auto& entry : best) {
      const matching::NameHit& h = entry.first;
      const std::string* qname = entry.second;
      if (h.ordinal >= data->entities.size()) {
        System("system.matching_failed", "Party screening failed",
               absl::StrCat("Index returned unknown entity ordinal ",
                            h.ordinal),
               pi, -1);
        continue;
      }
      const v1::ListedEntity& e = data->entities[h.ordinal];
      v1::PartyMatch* m = out_->add_party_matches();
      FillMatch(pi, h, *qname, e, m);
      m->set_action(h.score >= R_.block_threshold && !h.review_only
                        ? v1::MATCH_ACTION_BLOCK
                        : v1::MATCH_ACTION_REVIEW);
      m->set_license_requirement(e.license_requirement());
      m->set_license_policy(e.license_policy());
      *m->mutable_el_footnotes() = e.el_footnotes();
      *m->mutable_citations() = e.federal_register_citations();
      if (dispositions_ != nullptr) {
        // An analyst's disposition for exactly this party and this listed
        // record: shown, marked dismissed, no consequences.
        if (const v1::Disposition* d = dispositions_->Find(p, e)) {
          m->set_action(v1::MATCH_ACTION_DISMISSED);
          m->set_disposition_id(d->id());
          v1::Finding* f = System(
              "system.disposition", "Hit dismissed by an analyst's disposition",
              absl::StrCat("Party ", p.name(), " ~ ", e.primary_name(), " (",
                           e.list(), ") dismissed as a false positive by ",
                           d->analyst(), ": ", d->reason()),
              pi, -1, "None; revoke the disposition if it no longer holds.");
          f->set_severity(v1::DECISION_CLEAR);
          f->set_informational(true);
          AddFact(f, "disposition_id", d->id());
          AddFact(f, "entity_id", e.entity_id());
          AddFact(f, "analyst", d->analyst());
          continue;
        }
      }
      any_list_hit_ = true;
      std::vector<int> fns(e.el_footnotes().begin(), e.el_footnotes().end());
      ApplyPartyRules(*m, /*via_ownership=*/false, fns);
    }
  }
}

void Screener::Ownership() {
  const ReferenceData* data = snap_.data.get();
  double max_pct = 0;
  if (data == nullptr || data->ownership.empty() || R_.ownerships.empty()) {
    ctx_.SetNumber(slot::kMaxListedOwnerPercent, 0);
    ctx_.boolean[slot::kAnyListHit] = any_list_hit_ ? Tri::kTrue : Tri::kFalse;
    return;
  }
  for (int pi = 0; pi < req_.parties_size(); ++pi) {
    const v1::Party& p = req_.parties(pi);
    const std::string pc = absl::AsciiStrToUpper(
        p.country().empty() ? p.address().country() : p.country());
    for (const auto& rule : R_.ownerships) {
      double pct = 0;
      std::vector<const v1::ListedEntity*> owners;
      std::vector<std::string> keys = {OwnershipKey(p.name())};
      for (const auto& a : p.aliases()) keys.push_back(OwnershipKey(a));
      std::vector<uint32_t> seen;
      auto consider = [&](uint32_t li) {
        if (std::find(seen.begin(), seen.end(), li) != seen.end()) return;
        seen.push_back(li);
        const v1::OwnershipLink& l = data->ownership[li];
        if (!pc.empty() && !l.owned_country().empty() &&
            absl::AsciiStrToUpper(l.owned_country()) != pc) {
          return;
        }
        auto it = data->entity_by_id.find(l.owner_entity_id());
        if (it == data->entity_by_id.end()) return;
        const v1::ListedEntity& o = data->entities[it->second];
        if (std::find(rule.owner_lists.begin(), rule.owner_lists.end(),
                      o.list()) == rule.owner_lists.end()) {
          return;
        }
        pct = rule.aggregate ? pct + l.percent() : std::max(pct, l.percent());
        owners.push_back(&o);
      };
      for (const auto& key : keys) {
        if (key.empty()) continue;
        if (!data->ownership_by_owned.empty()) {
          auto it = data->ownership_by_owned.find(key);
          if (it == data->ownership_by_owned.end()) continue;
          for (uint32_t li : it->second) consider(li);
        } else {
          for (uint32_t li = 0; li < data->ownership.size(); ++li) {
            if (OwnershipKey(data->ownership[li].owned_name()) == key) {
              consider(li);
            }
          }
        }
      }
      pct = std::min(pct, 100.0);
      max_pct = std::max(max_pct, pct);
      if (owners.empty() || pct < rule.min_percent) continue;
      std::vector<std::string> owner_ids;
      for (const auto* o : owners) owner_ids.push_back(o->entity_id());
      if (!rule.meta.ActiveOn(as_of_)) {
        v1::Finding* f = Add(
            rule.meta, v1::DECISION_CLEAR,
            absl::StrCat(p.name(), " is ", pct,
                         "% owned by listed entities, but the rule is not in "
                         "force on ",
                         absl::FormatCivilTime(as_of_),
                         rule.meta.SuspendedOn(as_of_) ? " (suspended)" : ""),
            pi, -1);
        f->set_informational(true);
        AddFact(f, "owners", absl::StrJoin(owner_ids, ","));
        AddFact(f, "owned_percent", absl::StrCat(pct));
        continue;
      }
      v1::PartyMatch* m = out_->add_party_matches();
      m->set_party_index(pi);
      m->set_party_role(p.role());
      m->set_party_name(p.name());
      // The first listed owner's list and entity stand for the group; all
      // owners' footnotes apply (most restrictive wins via the rules).
      m->set_list(owners[0]->list());
      m->set_entity_id(owners[0]->entity_id());
      m->set_listed_name(owners[0]->primary_name());
      m->set_action(v1::MATCH_ACTION_BLOCK);
      m->set_score(1.0);
      std::vector<int> fns;
      for (const auto* o : owners) {
        m->add_owner_entity_ids(o->entity_id());
        for (int fn : o->el_footnotes()) {
          if (std::find(fns.begin(), fns.end(), fn) == fns.end()) {
            fns.push_back(fn);
          }
        }
      }
      std::sort(fns.begin(), fns.end());
      for (int fn : fns) m->add_el_footnotes(fn);
      m->set_owned_percent(pct);
      m->set_license_requirement(owners[0]->license_requirement());
      m->set_license_policy(owners[0]->license_policy());
      m->set_why(absl::StrCat(pct, "% owned by ",
                              absl::StrJoin(owner_ids, ", "), " (",
                              rule.meta.id, ")"));
      v1::Finding* f =
          Add(rule.meta, v1::DECISION_REVIEW,
              absl::StrCat(p.name(), " is ", pct,
                           "% owned by listed entities: treated as listed"),
              pi, -1);
      AddFact(f, "owners", absl::StrJoin(owner_ids, ","));
      AddFact(f, "owned_percent", absl::StrCat(pct));
      AddFact(f, "min_percent", absl::StrCat(rule.min_percent));
      any_list_hit_ = true;
      ApplyPartyRules(*m, /*via_ownership=*/true, fns);
    }
  }
  ctx_.SetNumber(slot::kMaxListedOwnerPercent, max_pct);
  ctx_.boolean[slot::kAnyListHit] = any_list_hit_ ? Tri::kTrue : Tri::kFalse;
}

// [location] (issue 8): reports shown per finding (then a count of the rest).
constexpr size_t kMaxLocationFacts = 5;

void Screener::AddLocationFacts(
    const rules::LocationUse& use,
    const std::vector<LocationObservation>& observations, v1::Finding* f) const {
  if (!use.any()) return;
  size_t shown = 0, more = 0;
  for (const LocationObservation& o : observations) {
    bool relevant;
    if (o.country == nullptr) {
      relevant = use.unseen;
    } else {
      relevant = (use.mismatch && o.mismatch) ||
                 (use.countries && o.country_id >= 0 &&
                  o.country_id != kOtherCountry &&
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
              absl::StrCat(*o.serial, " in ", o.report->country, " (verifier ",
                           o.report->verifier_id, ", observed ",
                           absl::FormatTime(absl::RFC3339_sec, o.report->observed_at,
                                            absl::UTCTimeZone()),
                           ", report ", o.report->report_id, ")"));
    } else {
      AddFact(f, "location_report", absl::StrCat(*o.serial, " in ", *o.country, " (list data)"));
    }
  }
  if (more > 0) AddFact(f, "location_report", absl::StrCat("... and ", more, " more"));
}

void Screener::ScreenItem(int index) {
  const v1::Item& raw = req_.items(index);
  const v1::Item* item = &raw;
  std::optional<v1::Item> merged;
  v1::ItemDetermination* det = out_->add_item_determinations();
  det->set_item_index(index);
  det->set_part_number(raw.part_number());
  if (!raw.part_number().empty() && snap_.data != nullptr) {
    auto it = snap_.data->items_by_part.find(raw.part_number());
    if (it != snap_.data->items_by_part.end()) {
      // Catalogue fills the gaps; request values win.
      merged.emplace(it->second.item());
      merged->MergeFrom(raw);
      item = &*merged;
      auto* f = det->add_computed();
      f->set_name("catalogue");
      f->set_value(it->second.spec_source().empty()
                       ? raw.part_number()
                       : absl::StrCat(raw.part_number(), " (",
                                      it->second.spec_source(), ")"));
    }
  }

  EvalContext& c = ctx_;
  Invalidate();
  // Reset item slots.
  c.num_known &= (uint64_t{1} << slot::kMinCompanyAgeYears) |
                 (uint64_t{1} << slot::kMaxListedOwnerPercent);
  c.boolean[slot::kDatacenter] = c.boolean[slot::kLicenseRequired] =
      c.boolean[slot::kLocationMismatch] = c.boolean[slot::kSerialsUnseen] =
          Tri::kUnknown;
  c.sym[slot::kKind] = c.sym[slot::kEccn] = c.sym[slot::kDeclaredEccn] = -1;
  c.set_known &= ~uint16_t((1u << slot::kFeatures) | (1u << slot::kEccnTags) |
                           (1u << slot::kLocationCountries) |
                           (1u << slot::kLocationGroups));

  // A kind number outside the proto enum (proto3 enums are open) is
  // unknown, exactly like UNSPECIFIED: rules gated on the kind cannot decide
  // (fail closed), never "some other, non-chip kind". The API rejects such
  // requests; this holds for any other caller of the engine.
  if (item->kind() != v1::ITEM_KIND_UNSPECIFIED &&
      v1::ItemKind_IsValid(item->kind())) {
    c.sym[slot::kKind] = int16_t(item->kind());
  }
  if (item->has_tpp()) c.SetNumber(slot::kTpp, item->tpp());
  if (item->has_die_area_mm2()) c.SetNumber(slot::kDieArea, item->die_area_mm2());
  if (item->has_performance_density()) {
    c.SetNumber(slot::kPerformanceDensity, item->performance_density());
  } else if (item->has_tpp() && item->has_die_area_mm2() &&
             item->die_area_mm2() > 0) {
    c.SetNumber(slot::kPerformanceDensity, item->tpp() / item->die_area_mm2());
  }
  if (item->has_memory_bandwidth_gbps()) {
    c.SetNumber(slot::kMemoryBandwidth, item->memory_bandwidth_gbps());
  }
  if (item->quantity() > 0) c.SetNumber(slot::kQuantity, double(item->quantity()));
  if (item->unit_value_usd() > 0) c.SetNumber(slot::kUnitValue, item->unit_value_usd());
  if (item->has_datacenter_marketed()) {
    c.boolean[slot::kDatacenter] =
        item->datacenter_marketed() ? Tri::kTrue : Tri::kFalse;
  }
  for (const auto& [name, value] : item->parameters()) {
    auto it = R_.param_slots.find(name);
    if (it != R_.param_slots.end()) c.SetNumber(it->second, value);
  }
  // Parameters the rules define as ratios (rules/vocabulary.textproto),
  // where the request gives the operands but not the value.
  for (const auto& p : R_.computed_params) {
    if (c.HasNumber(p.slot) || !c.HasNumber(p.numerator) ||
        !c.HasNumber(p.denominator) || !(c.num[p.denominator] > 0)) {
      continue;
    }
    const double v = c.num[p.numerator] / c.num[p.denominator];
    c.SetNumber(p.slot, v);
    SetFact(det->add_computed(), absl::StrCat("item.param.", p.name),
            absl::StrCat(v));
  }
  Bits256 features;
  for (const auto& f : item->features()) {
    int id = R_.Id(Vocab::kFeature, f);
    if (id >= 0) features.Set(id);
  }
  c.SetSet(slot::kFeatures, features);
  int declared = item->declared_eccn().empty()
                     ? -1
                     : R_.Id(Vocab::kEccn, item->declared_eccn());
  c.sym[slot::kDeclaredEccn] = int16_t(declared);
  // [location] (issue 8) BEGIN: the last location report of every serial,
  // from the snapshot's LocationFeed (authoritative when present: a serial
  // it does not hold was never seen), then the list data's
  // reported_country_by_serial. Sets item.location_countries / _groups
  // (where the chips were last seen), item.location_mismatch (some chip
  // seen outside the declared destination) and item.serials_unseen (some
  // chip never seen). With serials but no location source at all, these
  // stay unknown: rules on them cannot decide (REVIEW, never CLEAR).
  std::vector<LocationObservation>& observations = observations_;
  observations.clear();
  if (!item->serial_numbers().empty()) {
    // One index for the whole request (loaded by the first item with
    // serials); the answer names its sequence.
    if (!locations_loaded_) {
      locations_loaded_ = true;
      if (snap_.locations != nullptr) {
        locations_ = snap_.locations->Load();
        if (locations_ != nullptr) {
          out_->set_locations_sequence(locations_->sequence());
        }
      }
    }
    const LocationIndex* loc = locations_.get();
    const auto* legacy =
        snap_.data != nullptr && !snap_.data->reported_country_by_serial.empty()
            ? &snap_.data->reported_country_by_serial
            : nullptr;
    if (loc != nullptr || legacy != nullptr) {
      bool any = false, mismatch = false, unseen = false;
      const std::string* last_country = nullptr;
      int16_t last_country_id = -1;
      Bits256 countries, groups;
      for (const auto& sn : item->serial_numbers()) {
        LocationObservation o;
        o.serial = &sn;
        o.report = loc != nullptr ? loc->Find(sn) : nullptr;
        if (o.report != nullptr) {
          o.country = &o.report->country;
        } else if (legacy != nullptr) {
          auto it = legacy->find(sn);
          if (it != legacy->end()) o.country = &it->second;
        }
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
      // Without the feed, a serial missing from the list data is not
      // evidence of "never seen": leave it unknown.
      // Likewise where the chips are: only complete evidence is known.
      if (loc != nullptr || !unseen) {
        c.boolean[slot::kSerialsUnseen] = unseen ? Tri::kTrue : Tri::kFalse;
        c.SetSet(slot::kLocationCountries, countries);
        c.SetSet(slot::kLocationGroups, groups);
      }
    }
  } else {
    // No serials: no chip was seen anywhere and none is unseen.
    c.boolean[slot::kSerialsUnseen] = Tri::kFalse;
    c.SetSet(slot::kLocationCountries, Bits256{});
    c.SetSet(slot::kLocationGroups, Bits256{});
  }
  // [location] END
  if (c.HasNumber(slot::kTpp)) {
    SetFact(det->add_computed(), "item.tpp", absl::StrCat(c.num[slot::kTpp]));
  }
  if (c.HasNumber(slot::kPerformanceDensity)) {
    SetFact(det->add_computed(), "item.performance_density",
            absl::StrCat(c.num[slot::kPerformanceDensity]));
  }

  // 1. Classification: highest precedence rule that holds; higher rules that
  // could not be decided are reported (fail closed).
  const rules::CClassification* cls = nullptr;
  std::vector<const rules::CClassification*> undecided;
  std::vector<std::string>& missing = missing_;
  missing.clear();
  // Only the rules whose item.kind gates admit this item's kind (the
  // others are false for it; all of them if the kind is unknown).
  const int16_t kind = c.sym[slot::kKind];
  for (uint32_t ci : R_.classification_buckets.For(kind)) {
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
    det->mutable_computed()->Reserve(det->computed_size() +
                                     int(cls->record.size()) + 1);
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
    tags = size_t(declared) < R_.tags_of_eccn.size()
               ? R_.tags_of_eccn[size_t(declared)]
               : Bits256{};
    det->set_eccn(item->declared_eccn());
    det->set_classification_rule_id("declared");
  } else if (undecided.empty()) {
    c.sym[slot::kEccn] = kUnclassified;
  }
  if (cls != nullptr || undecided.empty()) c.SetSet(slot::kEccnTags, tags);
  Invalidate();
  if (!undecided.empty()) {
    std::vector<std::string> ids;
    for (const auto* r : undecided) ids.push_back(r->meta.id);
    v1::Finding* f = System(
        "system.classification_undecided", "Classification could not be decided",
        absl::StrCat("Missing parameters prevent deciding ",
                     absl::StrJoin(ids, ", "),
                     cls ? absl::StrCat(" (which outrank ", cls->meta.id, ")")
                         : ""),
        -1, index);
    AddFact(f, "rules", absl::StrJoin(ids, ","));
    AddFact(f, "missing", absl::StrJoin(missing, ","));
  }
  if (declared >= 0 && cls != nullptr && item->declared_eccn() != cls->eccn_name &&
      item->declared_eccn().rfind(cls->eccn_name, 0) != 0 &&
      cls->eccn_name.rfind(item->declared_eccn(), 0) != 0) {
    det->set_declared_eccn_conflict(item->declared_eccn());
    v1::Finding* f = System("system.declared_eccn_conflict",
                            "Declared ECCN disagrees with classification",
                            absl::StrCat("Declared ", item->declared_eccn(),
                                         ", rules classify ", cls->eccn_name),
                            -1, index);
    AddFact(f, "declared_eccn", item->declared_eccn());
    AddFact(f, "eccn", cls->eccn_name);
  } else if (!item->declared_eccn().empty() && declared < 0 && cls == nullptr) {
    det->set_declared_eccn_conflict(item->declared_eccn());
  }

  // 2. Licence requirements.
  std::vector<uint32_t>& fired = fired_;
  fired.clear();
  std::vector<std::string> undecided_lic;
  missing.clear();
  bool required = false;
  for (uint32_t i : R_.license_buckets.For(kind)) {
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
            int(!det->eccn().empty()) + int(r.record.size()) +
                int(!r.review_policy.empty()));
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
    v1::Finding* f = System(
        "system.license_undecided", "Licence requirement could not be decided",
        absl::StrCat("Missing inputs prevent deciding ",
                     absl::StrJoin(undecided_lic, ", ")),
        -1, index);
    AddFact(f, "rules", absl::StrJoin(undecided_lic, ","));
    AddFact(f, "missing", absl::StrJoin(missing, ","));
  }
  // Review policies that replace the policy of a fired rule.
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
                         t == Tri::kTrue
                             ? absl::StrCat("Review policy: ", p.review_policy)
                             : "Review-policy window could not be decided "
                               "(missing inputs); original policy stands",
                         -1, index, int(p.record.size()));
    f->set_informational(true);
    Record(f, p.record, c);
    if (t == Tri::kTrue) det->set_review_policy(p.review_policy);
  }
  // Party-list consequences for all items.
  for (const auto& a : all_items_) {
    required = true;
    det->add_license_rule_ids(R_.party_lists[a.rule].meta.id);
    if (det->review_policy().empty()) det->set_review_policy(a.policy);
  }
  det->set_license_required(required);
  c.boolean[slot::kLicenseRequired] = required ? Tri::kTrue : Tri::kFalse;
  Invalidate();

  // 3. Licence exceptions (only offered, never lowering the decision).
  if (required) {
    for (uint32_t ei : R_.exception_buckets.For(kind)) {
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
      for (const auto& s : e.conditions) x->add_conditions(s);
    }
  }

  // 4. Item red flags.
  std::vector<std::string> undecided_rf;
  missing.clear();
  for (uint32_t ri : R_.red_flag_buckets.For(kind)) {
    const auto& r = R_.red_flags[ri];
    if (!r.cond.item_scope || !rf_on_[ri]) continue;
    Tri t = R_.Eval(r.cond, c);
    if (t == Tri::kUnknown) {
      undecided_rf.push_back(r.meta.id);
      R_.Explain(r.cond, c, &missing);
      continue;
    }
    if (t != Tri::kTrue) continue;
    v1::Finding* f =
        Add(r.meta, r.outcome, std::string(), -1, index, int(r.record.size()));
    Record(f, r.record, c);
    // [location] the reports (or unseen serials) that fired it.
    if (!observations.empty()) AddLocationFacts(r.location, observations, f);
  }
  if (!undecided_rf.empty()) {
    v1::Finding* f = System("system.red_flag_undecided",
                            "Red-flag check could not be decided",
                            absl::StrCat("Missing inputs prevent deciding ",
                                         absl::StrJoin(undecided_rf, ", ")),
                            -1, index);
    AddFact(f, "missing", absl::StrJoin(missing, ","));
  }
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
    v1::Finding* f =
        Add(r.meta, r.outcome, std::string(), -1, -1, int(r.record.size()));
    Record(f, r.record, ctx_);
  }
  if (!undecided.empty()) {
    v1::Finding* f = System("system.red_flag_undecided",
                            "Red-flag check could not be decided",
                            absl::StrCat("Missing inputs prevent deciding ",
                                         absl::StrJoin(undecided, ", ")),
                            -1, -1);
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
            d == v1::DECISION_CLEAR
                ? "Allied fast path: every check ran and none fired"
                : "Allied fast path considered, but other checks fired",
            -1, -1);
    f->set_informational(true);
  }
  out_->set_decision(d);
}

namespace {
// True if `eccn` lies under paragraph `p` ("3B001.f.1.a" under "3B001.f.1").
bool UnderParagraph(absl::string_view eccn, absl::string_view p) {
  return absl::StartsWith(eccn, p) &&
         (eccn.size() == p.size() || eccn[p.size()] == '.');
}
}  // namespace

bool Screener::ChartDetermination(int index, const std::string& eccn,
                                  v1::ItemDetermination* det) {
  const rules::CclTable& t = R_.ccl;
  if (eccn == "EAR99" || eccn.size() < 5) return false;
  const std::string base = eccn.substr(0, 5);
  auto it = t.entries.find(base);
  if (it == t.entries.end()) {
    v1::Finding* f = System(
        "system.eccn_not_on_ccl", "ECCN not on the Commerce Control List",
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
        "system.ccl_entry_without_controls",
        "CCL entry without licence requirements in the data",
        absl::StrCat("Item ", index, ": CCL entry ", base,
                     " states no reason for control in the rule data (",
                     entry.heading.substr(0, 160), "); the requirement must be "
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
      } else if (std::none_of(k.paragraphs.begin(), k.paragraphs.end(),
                              [&](const std::string& p) {
                                return UnderParagraph(eccn, p) ||
                                       UnderParagraph(p, eccn);
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
          absl::StrCat(k.reason, k.column.empty() ? "" : " ", k.column, ": ",
                       k.superseded_note));
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
                "system.destination_not_on_chart",
                "Destination not on the Commerce Country Chart",
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
        det->add_chart_columns_checked(
            absl::StrCat(k.column, x ? ": X" : ": no X"));
        if (!x) continue;
        sev = v1::DECISION_LICENSE_REQUIRED;
        why = absl::StrCat("Country Chart column ", k.column, " has an X for ",
                           row->name);
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
        if (!in(k.destinations, k.group_ids) ||
            in(k.except_destinations, k.except_group_ids)) {
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
                         absl::StrCat("Item ", index, " (", eccn, ", CCL ", base,
                                      " ", k.reason, ") to ", dest, ": ", why),
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

void Screener::Run() {
  ActiveFlags(R_.classifications, as_of_, &cls_on_);
  ActiveFlags(R_.licenses, as_of_, &lic_on_);
  ActiveFlags(R_.review_policies, as_of_, &rp_on_);
  ActiveFlags(R_.exceptions, as_of_, &exc_on_);
  ActiveFlags(R_.red_flags, as_of_, &rf_on_);
  out_->mutable_item_determinations()->Reserve(req_.items_size());
  out_->mutable_findings()->Reserve(8 + 2 * req_.parties_size() +
                                    4 * req_.items_size());
  out_->set_request_id(req_.request_id());
  // Dispositions: one copy of the live set for the whole request.
  if (snap_.dispositions != nullptr) dispositions_ = snap_.dispositions->Load();
  out_->set_dispositions_sequence(dispositions_ ? dispositions_->sequence() : 0);
  out_->set_rule_set_version(snap_.rule_set_version);
  out_->set_list_version(snap_.list_version);
  out_->set_as_of_date(absl::FormatCivilTime(as_of_));
  if (R_.has_modelled_from && as_of_ < R_.modelled_from) {
    v1::Finding* f = System(
        "system.not_modelled_before",
        "Rules not modelled before this date",
        absl::StrCat("The rule set models ",
                     absl::FormatCivilTime(R_.modelled_from),
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

}  // namespace

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
    data->ownership_by_owned[OwnershipKey(data->ownership[i].owned_name())]
        .push_back(i);
  }
}

absl::StatusOr<v1::ScreenResponse> ScreeningEngine::Screen(
    const ScreeningSnapshot& snapshot, const v1::ScreenRequest& request,
    absl::CivilDay as_of) {
  if (snapshot.rules == nullptr) {
    return absl::FailedPreconditionError("snapshot has no rule set");
  }
  v1::ScreenResponse response;
  absl::Status s = ScreenInto(snapshot, request, as_of, &response);
  if (!s.ok()) return s;
  return response;
}

absl::Status ScreeningEngine::ScreenInto(const ScreeningSnapshot& snapshot,
                                         const v1::ScreenRequest& request,
                                         absl::CivilDay as_of,
                                         v1::ScreenResponse* response) {
  if (snapshot.rules == nullptr) {
    return absl::FailedPreconditionError("snapshot has no rule set");
  }
  thread_local Scratch scratch;
  Screener(snapshot, request, as_of, response, &scratch).Run();
  return absl::OkStatus();
}

}  // namespace exportscreen::engine
