#include "services/serving/operations.h"
#include "services/serving/disposition_registry.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "exportscreen/v1/rules.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/common/status_macros.h"
#include "services/engine/screening_engine.h"

namespace exportscreen::serving {
namespace {

constexpr int kMaxDiffEntries = 10000;

struct RuleEntry {
  std::string fingerprint;
  std::string label;
};

// Every rule or declaration of a rule set, keyed by a stable id.
absl::StatusOr<std::map<std::string, RuleEntry>> RuleEntries(const v1::StoredRuleSet& rule_set) {
  std::map<std::string, RuleEntry> out;
  for (const auto& [file, content] : rule_set.files()) {
    v1::RuleFile parsed;
    if (!google::protobuf::TextFormat::ParseFromString(content, &parsed)) {
      return absl::DataLossError(absl::StrCat("stored rule file ", file, " does not parse"));
    }
    const auto* reflection = parsed.GetReflection();
    const auto* descriptor = parsed.GetDescriptor();
    for (int f = 0; f < descriptor->field_count(); ++f) {
      const auto* field = descriptor->field(f);
      if (!field->is_repeated() ||
          field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        continue;
      }
      for (int i = 0; i < reflection->FieldSize(parsed, field); ++i) {
        const auto& msg = reflection->GetRepeatedMessage(parsed, field, i);
        const auto* md = msg.GetDescriptor();
        std::string id, label;
        if (const auto* meta_field = md->FindFieldByName("meta")) {
          const auto& meta = msg.GetReflection()->GetMessage(msg, meta_field);
          const auto* mr = meta.GetReflection();
          const auto* mdsc = meta.GetDescriptor();
          if (const auto* idf = mdsc->FindFieldByName("id")) id = mr->GetString(meta, idf);
          if (const auto* tf = mdsc->FindFieldByName("title")) label = mr->GetString(meta, tf);
        }
        if (id.empty()) {
          for (const char* key : {"id", "code", "name"}) {
            const auto* kf = md->FindFieldByName(key);
            if (kf != nullptr && !kf->is_repeated() &&
                kf->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
              id = absl::StrCat(field->name(), ":", msg.GetReflection()->GetString(msg, kf));
              break;
            }
          }
        }
        if (id.empty()) id = absl::StrCat(field->name(), "#", file, "#", i);
        std::string fingerprint;
        msg.SerializeToString(&fingerprint);
        out[id] = {std::move(fingerprint), label};
      }
    }
  }
  return out;
}

template <typename Map>
v1::DiffResponse DiffMaps(
    const Map& from, const Map& to,
    const std::function<bool(const typename Map::mapped_type&, const typename Map::mapped_type&)>&
        same,
    const std::function<std::string(const typename Map::mapped_type&)>& label) {
  v1::DiffResponse out;
  auto add = [&out](const std::string& id, const char* change, std::string l) {
    if (out.entries_size() >= kMaxDiffEntries) return;
    auto* e = out.add_entries();
    e->set_id(id);
    e->set_change(change);
    e->set_label(std::move(l));
  };
  for (const auto& [id, value] : from) {
    auto it = to.find(id);
    if (it == to.end()) {
      out.set_removed(out.removed() + 1);
      add(id, "removed", label(value));
    } else if (!same(value, it->second)) {
      out.set_changed(out.changed() + 1);
      add(id, "changed", label(it->second));
    }
  }
  for (const auto& [id, value] : to) {
    if (!from.contains(id)) {
      out.set_added(out.added() + 1);
      add(id, "added", label(value));
    }
  }
  return out;
}

std::set<std::string> FiringRuleIds(const v1::ScreenResponse& r) {
  std::set<std::string> ids;
  for (const auto& f : r.findings()) {
    if (!f.informational()) ids.insert(f.rule_id());
  }
  return ids;
}

std::set<std::string> HitEntityIds(const v1::ScreenResponse& r) {
  std::set<std::string> ids;
  for (const auto& m : r.party_matches()) {
    if (m.action() != v1::MATCH_ACTION_DISMISSED) ids.insert(m.entity_id());
  }
  return ids;
}

std::vector<std::string> Minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

absl::CivilDay AsOf(const v1::ScreenRequest& request, const v1::ScreenResponse* stored,
                    Clock* clock) {
  absl::CivilDay day = clock->Today();
  if (stored != nullptr && ParseCivilDay(stored->as_of_date(), &day)) return day;
  if (ParseCivilDay(request.as_of_date(), &day)) return day;
  return clock->Today();
}

}  // namespace

absl::StatusOr<v1::DiffResponse> DiffRuleSets(const store::EntityStore& store,
                                              const std::string& from_version,
                                              const std::string& to_version) {
  ASSIGN_OR_RETURN(auto from_set, store.rule_sets().GetRuleSet(from_version));
  ASSIGN_OR_RETURN(auto to_set, store.rule_sets().GetRuleSet(to_version));
  ASSIGN_OR_RETURN(auto from, RuleEntries(from_set));
  ASSIGN_OR_RETURN(auto to, RuleEntries(to_set));
  v1::DiffResponse out = DiffMaps<std::map<std::string, RuleEntry>>(
      from, to,
      [](const RuleEntry& a, const RuleEntry& b) { return a.fingerprint == b.fingerprint; },
      [](const RuleEntry& e) { return e.label; });
  out.set_from_version(from_version);
  out.set_to_version(to_version);
  return out;
}

absl::StatusOr<v1::DiffResponse> DiffListVersions(const store::EntityStore& store,
                                                  const std::string& from_version,
                                                  const std::string& to_version) {
  ASSIGN_OR_RETURN(auto from_data, store.lists().ReadListVersion(from_version));
  ASSIGN_OR_RETURN(auto to_data, store.lists().ReadListVersion(to_version));
  std::map<std::string, const v1::ListedEntity*> from, to;
  for (const auto& e : from_data.entities) from[e.entity_id()] = &e;
  for (const auto& e : to_data.entities) to[e.entity_id()] = &e;
  v1::DiffResponse out = DiffMaps<std::map<std::string, const v1::ListedEntity*>>(
      from, to,
      [](const v1::ListedEntity* a, const v1::ListedEntity* b) {
        return google::protobuf::util::MessageDifferencer::Equals(*a, *b);
      },
      [](const v1::ListedEntity* e) { return e->primary_name(); });
  out.set_from_version(from_version);
  out.set_to_version(to_version);
  return out;
}

std::vector<std::string> CompareResponses(const v1::ScreenResponse& stored,
                                          const v1::ScreenResponse& replayed) {
  v1::ScreenResponse a = stored, b = replayed;
  for (v1::ScreenResponse* r : {&a, &b}) {
    r->clear_decision_id();
    r->clear_evaluated_at();
  }
  std::vector<std::string> differences;
  if (google::protobuf::util::MessageDifferencer::Equals(a, b)) return differences;
  std::string report;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  differencer.Compare(a, b);
  for (absl::string_view line : absl::StrSplit(report, '\n')) {
    if (!line.empty()) differences.emplace_back(line);
  }
  if (differences.empty()) differences.push_back("responses differ");
  return differences;
}

absl::StatusOr<v1::DryRunResponse> DryRun(const SnapshotManager& manager,
                                          const v1::DryRunRequest& request, Clock* clock) {
  auto current = manager.Current();
  std::string rule_version = request.rule_set_version();
  std::string list_version = request.list_version();
  if (rule_version.empty() || list_version.empty()) {
    if (current == nullptr) {
      return absl::FailedPreconditionError("no active versions: name both candidate versions");
    }
    if (rule_version.empty()) rule_version = current->rule_set_version;
    if (list_version.empty()) list_version = current->list_version;
  }
  ASSIGN_OR_RETURN(auto candidate, manager.Build(rule_version, list_version));
  v1::DryRunResponse out;
  out.set_rule_set_version(rule_version);
  out.set_list_version(list_version);
  size_t change_bytes = 0;

  // The candidate versions with today's evidence, pinned once for the run.
  const engine::ScreeningView candidate_view = manager.Pin(*candidate);
  auto evaluate = [&](const v1::ScreenRequest& req, const v1::ScreenResponse* stored,
                      const std::string& decision_id) {
    out.set_screened(out.screened() + 1);
    auto fresh = engine::ScreeningEngine::Screen(candidate_view, req, AsOf(req, stored, clock));
    if (!fresh.ok()) {
      out.set_errors(out.errors() + 1);
      return;
    }
    const auto old_rules = stored ? FiringRuleIds(*stored) : std::set<std::string>();
    const auto new_rules = FiringRuleIds(*fresh);
    const auto old_hits = stored ? HitEntityIds(*stored) : std::set<std::string>();
    const auto new_hits = HitEntityIds(*fresh);
    const v1::Decision old_decision = stored ? stored->decision() : v1::DECISION_UNSPECIFIED;
    if (stored != nullptr && old_decision == fresh->decision() && old_rules == new_rules &&
        old_hits == new_hits) {
      return;
    }
    out.set_changed(out.changed() + (stored == nullptr ? 0 : 1));
    if (out.changes_truncated() || change_bytes >= kMaxReadAnswerBytes) {
      out.set_changes_truncated(true);
      return;
    }
    auto* change = out.add_changes();
    change->set_decision_id(decision_id);
    change->set_request_id(req.request_id());
    change->set_old_decision(old_decision);
    change->set_new_decision(fresh->decision());
    for (auto& id : Minus(new_rules, old_rules)) change->add_added_rule_ids(id);
    for (auto& id : Minus(old_rules, new_rules)) change->add_removed_rule_ids(id);
    for (auto& id : Minus(new_hits, old_hits)) change->add_added_entity_ids(id);
    for (auto& id : Minus(old_hits, new_hits)) change->add_removed_entity_ids(id);
    change->set_why(absl::StrCat(
        v1::Decision_Name(old_decision), " -> ", v1::Decision_Name(fresh->decision()),
        change->added_entity_ids_size()
            ? absl::StrCat("; new hits: ", absl::StrJoin(change->added_entity_ids(), ", "))
            : "",
        change->added_rule_ids_size()
            ? absl::StrCat("; rules now firing: ", absl::StrJoin(change->added_rule_ids(), ", "))
            : "",
        change->removed_rule_ids_size()
            ? absl::StrCat("; rules no longer firing: ",
                           absl::StrJoin(change->removed_rule_ids(), ", "))
            : ""));
    change_bytes += change->ByteSizeLong();
  };

  if (request.requests_size() > 0) {
    for (const auto& req : request.requests()) evaluate(req, nullptr, "");
    return out;
  }
  int last_n = request.last_n() > 0 ? std::min(request.last_n(), 100000) : 1000;
  RETURN_IF_ERROR(manager.store()->decisions().ScanDecisions(
      0, /*reverse=*/true, [&](const v1::DecisionRecord& record) {
        evaluate(record.request(), &record.response(), record.decision_id());
        return --last_n > 0;
      }));
  return out;
}

absl::StatusOr<v1::ReplayDecisionResponse> ReplayDecision(const SnapshotManager& manager,
                                                          const std::string& decision_id) {
  ASSIGN_OR_RETURN(v1::DecisionRecord record,
                   manager.store()->decisions().GetDecision(decision_id));
  const v1::ScreenResponse& stored = record.response();
  ASSIGN_OR_RETURN(auto built,
                   manager.CachedBuild(stored.rule_set_version(), stored.list_version()));
  // The view it was answered under: the dispositions in force then, and
  // the location evidence it saw (the store's history at the sequence it
  // recorded; 0: before any report, so nothing was seen), never today's.
  engine::ScreeningView view{*built};
  ASSIGN_OR_RETURN(view.dispositions,
                   DispositionsAt(*manager.store(), stored.dispositions_sequence()));
  bool has_serials = false;
  for (const auto& item : record.request().items()) {
    has_serials |= item.serial_numbers_size() > 0;
  }
  if (has_serials) {
    ASSIGN_OR_RETURN(view.locations,
                     manager.LocationsAt(record.request(), stored.locations_sequence()));
  }
  absl::CivilDay as_of;
  if (!ParseCivilDay(stored.as_of_date(), &as_of)) {
    return absl::DataLossError(absl::StrCat("stored decision ", decision_id, " has no as_of_date"));
  }
  ASSIGN_OR_RETURN(v1::ScreenResponse replayed,
                   engine::ScreeningEngine::Screen(view, record.request(), as_of));
  replayed.set_decision_id(stored.decision_id());
  *replayed.mutable_evaluated_at() = stored.evaluated_at();
  v1::ReplayDecisionResponse out;
  for (auto& d : CompareResponses(stored, replayed)) out.add_differences(std::move(d));
  out.set_identical(out.differences().empty());
  *out.mutable_stored() = stored;
  *out.mutable_replayed() = std::move(replayed);
  return out;
}

namespace {

// The RESCREEN_CHANGE alert for `record` under `current`, if it is a CLEAR
// decision answered under other versions whose answer is no longer CLEAR.
std::optional<v1::Alert> RescreenAlert(const engine::ScreeningView& view,
                                       const v1::DecisionRecord& record, absl::Time now) {
  const v1::ScreenResponse& old = record.response();
  if (old.decision() != v1::DECISION_CLEAR) return std::nullopt;
  if (old.rule_set_version() == view.snapshot.rule_set_version &&
      old.list_version() == view.snapshot.list_version) {
    return std::nullopt;  // answered by the active versions already
  }
  // The shipment is judged today, unless the request pinned a date.
  absl::CivilDay as_of = absl::ToCivilDay(now, absl::UTCTimeZone());
  ParseCivilDay(record.request().as_of_date(), &as_of);
  auto fresh = engine::ScreeningEngine::Screen(view, record.request(), as_of);
  if (!fresh.ok() || fresh->decision() == v1::DECISION_CLEAR) return std::nullopt;
  v1::Alert alert;
  alert.set_kind(v1::ALERT_KIND_RESCREEN_CHANGE);
  const int64_t nanos = absl::ToUnixNanos(now);
  alert.mutable_created_at()->set_seconds(nanos / 1000000000);
  alert.set_decision_id(record.decision_id());
  alert.set_declared_destination(record.request().destination_country());
  alert.set_old_decision(old.decision());
  alert.set_new_decision(fresh->decision());
  alert.set_rule_set_version(view.snapshot.rule_set_version);
  alert.set_list_version(view.snapshot.list_version);
  for (auto& id : Minus(HitEntityIds(*fresh), HitEntityIds(old))) {
    alert.add_entity_ids(id);
  }
  for (auto& id : Minus(FiringRuleIds(*fresh), FiringRuleIds(old))) {
    alert.add_rule_ids(id);
  }
  alert.set_message(absl::StrCat(
      "Re-screened after activation of rules ", view.snapshot.rule_set_version, " / lists ",
      view.snapshot.list_version, ": ", v1::Decision_Name(old.decision()), " -> ",
      v1::Decision_Name(fresh->decision()),
      alert.entity_ids_size()
          ? absl::StrCat("; now matches ", absl::StrJoin(alert.entity_ids(), ", "))
          : "",
      alert.rule_ids_size() ? absl::StrCat("; rules ", absl::StrJoin(alert.rule_ids(), ", "))
                            : ""));
  return alert;
}

}  // namespace

absl::StatusOr<std::vector<v1::Alert>> RescreenRecentClearDecisions(const SnapshotManager& manager,
                                                                    absl::Duration lookback,
                                                                    int max_decisions,
                                                                    Clock* clock) {
  auto current = manager.Current();
  if (current == nullptr) return absl::FailedPreconditionError("nothing active");
  // Today's evidence, pinned once for the whole re-screen.
  const engine::ScreeningView current_view = manager.Pin(*current);
  const absl::Time now = clock->Now();
  const int64_t since = absl::ToUnixSeconds(now - lookback);
  std::vector<v1::Alert> alerts;
  int seen = 0;
  RETURN_IF_ERROR(manager.store()->decisions().ScanDecisions(
      0, /*reverse=*/true, [&](const v1::DecisionRecord& record) {
        if (record.recorded_at().seconds() < since || ++seen > max_decisions) {
          return false;
        }
        if (auto alert = RescreenAlert(current_view, record, now)) {
          alerts.push_back(*std::move(alert));
        }
        return true;
      }));
  std::vector<v1::Alert> stored;
  RETURN_IF_ERROR(manager.store()->alerts().AppendAlerts(std::move(alerts), &stored));
  return stored;
}

absl::StatusOr<std::vector<v1::Alert>> RescreenDecision(const SnapshotManager& manager,
                                                        const v1::DecisionRecord& record,
                                                        Clock* clock) {
  auto current = manager.Current();
  if (current == nullptr) return absl::FailedPreconditionError("nothing active");
  std::vector<v1::Alert> alerts;
  if (auto alert = RescreenAlert(manager.Pin(*current), record, clock->Now())) {
    alerts.push_back(*std::move(alert));
  }
  std::vector<v1::Alert> stored;
  if (alerts.empty()) return stored;
  RETURN_IF_ERROR(manager.store()->alerts().AppendAlerts(std::move(alerts), &stored));
  return stored;
}

}  // namespace exportscreen::serving
