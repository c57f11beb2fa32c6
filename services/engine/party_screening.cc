// The engine's party stage: each party's names against the list index (best
// hit per listed entity, near misses when asked, analysts' dispositions),
// ownership by listed entities, and the party-list rules those hits fire.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/engine/screener.h"

namespace exportscreen::engine::screening_internal {

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
        any |=
            std::find(r.footnotes_any.begin(), r.footnotes_any.end(), fn) != r.footnotes_any.end();
      }
      if (!any) continue;
    }
    Tri t = R_.Eval(r.cond, ctx_);
    if (t == Tri::kFalse) continue;
    applied = true;
    v1::Decision sev = t == Tri::kTrue ? r.outcome : v1::DECISION_REVIEW;
    std::string policy = r.review_policy.empty() ? m.license_policy() : r.review_policy;
    v1::Finding* f = Add(r.meta, sev,
                         absl::StrCat(via_ownership ? "Party owned by listed entities: "
                                                    : "Party matches listed entity: ",
                                      m.party_name(), " ~ ", m.listed_name(), " (", m.list(), ")",
                                      t == Tri::kUnknown ? " [condition undecided]" : ""),
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
           absl::StrCat("Party ", m.party_name(), " matches ", m.entity_id(), " on list \"",
                        m.list(), "\", which no active party-list rule covers."),
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
// the index count as one entity): a hit that may block before a review-only
// one, then exact normalised matches first, then by the unclamped score.
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
    // A hit that may block is never replaced by a review-only one (an
    // Arabic-script alias's skeleton hit must not weaken the Latin name's).
    if (h.review_only != b.first.review_only) {
      if (!h.review_only) b = {std::move(h), name};
      return;
    }
    if (std::make_pair(h.exact, h.rank_score) > std::make_pair(b.first.exact, b.first.rank_score)) {
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

void Screener::FillMatch(int pi, const matching::NameHit& h, const std::string& qname,
                         const v1::ListedEntity& e, v1::PartyMatch* m) {
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
  m->set_why(absl::StrCat("\"", qname, "\" ~ \"", h.matched_name, "\" score ", h.score));
}

void Screener::ScreenParties() {
  const ReferenceData* data = snap_.data.get();
  matching::MatchOptions opts;
  opts.min_score = R_.review_threshold;
  opts.max_hits = req_.max_hits_per_party() > 0 ? static_cast<size_t>(req_.max_hits_per_party())
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
    q.country = absl::AsciiStrToUpper(p.country().empty() ? p.address().country() : p.country());
    q.type = ToMatchingType(p.type());
    for (const std::string* part : {&p.address().street(), &p.address().city(),
                                    &p.address().region(), &p.address().postal_code()}) {
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
        System(
            "system.matching_failed", "Party screening failed",
            absl::StrCat("Name \"", name, "\" could not be screened: ", result.status().ToString()),
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
        FillMatch(pi, h, *entry.second, data->entities[h.ordinal], out_->add_near_misses());
        ++shown;
      }
    }
    for (const auto& entry : best) {
      const matching::NameHit& h = entry.first;
      const std::string* qname = entry.second;
      if (h.ordinal >= data->entities.size()) {
        System("system.matching_failed", "Party screening failed",
               absl::StrCat("Index returned unknown entity ordinal ", h.ordinal), pi, -1);
        continue;
      }
      const v1::ListedEntity& e = data->entities[h.ordinal];
      v1::PartyMatch* m = out_->add_party_matches();
      FillMatch(pi, h, *qname, e, m);
      m->set_action(h.score >= R_.block_threshold && !h.review_only ? v1::MATCH_ACTION_BLOCK
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
              absl::StrCat("Party ", p.name(), " ~ ", e.primary_name(), " (", e.list(),
                           ") dismissed as a false positive by ", d->analyst(), ": ", d->reason()),
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
    const std::string pc =
        absl::AsciiStrToUpper(p.country().empty() ? p.address().country() : p.country());
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
        if (std::find(rule.owner_lists.begin(), rule.owner_lists.end(), o.list()) ==
            rule.owner_lists.end()) {
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
        v1::Finding* f = Add(rule.meta, v1::DECISION_CLEAR,
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
      m->set_why(absl::StrCat(pct, "% owned by ", absl::StrJoin(owner_ids, ", "), " (",
                              rule.meta.id, ")"));
      v1::Finding* f =
          Add(rule.meta, v1::DECISION_REVIEW,
              absl::StrCat(p.name(), " is ", pct, "% owned by listed entities: treated as listed"),
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

}  // namespace exportscreen::engine::screening_internal
