#include "services/serving/snapshot_manager.h"

#include <filesystem>
#include <limits>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/crypto/digest.h"
#include <algorithm>

#include "services/common/file_util.h"
#include "services/common/logging.h"
#include "services/common/metrics.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"
#include "services/engine/index_entity.h"
#include "services/rules/rule_set.h"
#include "services/serving/location_ingest.h"
#include "services/serving/list_importer.h"
#include "services/serving/manager_internal.h"
#include "services/store/version_ids.h"

namespace exportscreen::serving {
namespace internal {

metrics::Histogram* BuildSeconds() {
  static metrics::Histogram* const h = metrics::Registry::Default().GetHistogram(
      "es_snapshot_build_seconds",
      "Time to build a snapshot (compile rules, read the list version, index names)",
      {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120});
  return h;
}

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* ts) { SetProtoTime(t, ts); }

void CountByList(const std::vector<v1::ListedEntity>& entities, v1::ListVersionInfo* info) {
  info->clear_counts_by_list();
  for (const auto& e : entities) (*info->mutable_counts_by_list())[e.list()]++;
  info->set_entity_count(static_cast<int64_t>(entities.size()));
}

absl::Status ParseJson(absl::string_view json, google::protobuf::Message* msg) {
  auto s = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), msg);
  if (!s.ok()) return absl::InvalidArgumentError(s.ToString());
  return absl::OkStatus();
}

}  // namespace internal

absl::Status ReadOptionalJsonLines(
    const std::string& path,
    const std::function<absl::Status(absl::string_view json, int line)>& fn) {
  if (!std::filesystem::exists(path)) return absl::OkStatus();
  return ReadJsonLines(path, fn);
}

absl::Status ReadJsonLines(
    const std::string& path,
    const std::function<absl::Status(absl::string_view json, int line)>& fn) {
  ASSIGN_OR_RETURN(std::string content, ReadFileToString(path));
  std::istringstream in(content);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    absl::Status s = fn(text, number);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::shared_ptr<const engine::ReferenceData> MakeReferenceData(store::ListVersionData data) {
  auto ref = std::make_shared<engine::ReferenceData>();
  ref->entities = std::move(data.entities);
  ref->entity_by_id.reserve(ref->entities.size());
  for (uint32_t i = 0; i < ref->entities.size(); ++i) {
    ref->entity_by_id.emplace(ref->entities[i].entity_id(), i);
  }
  ref->ownership = std::move(data.ownership);
  engine::IndexOwnership(ref.get());
  for (auto& item : data.items) {
    std::string key = item.part_number();
    ref->items_by_part.emplace(std::move(key), std::move(item));
  }
  return ref;
}

std::vector<matching::IndexEntity> MakeIndexEntities(const engine::ReferenceData& data) {
  std::vector<matching::IndexEntity> out;
  out.reserve(data.entities.size());
  for (uint32_t i = 0; i < data.entities.size(); ++i) {
    out.push_back(engine::ToIndexEntity(data.entities[i], i));
  }
  return out;
}

namespace {

// Heap bytes of the in-memory list data (protobuf's own accounting of each
// message, plus the hash maps' slots).
size_t ReferenceDataBytes(const engine::ReferenceData& data) {
  size_t bytes = 0;
  for (const auto& e : data.entities) bytes += e.SpaceUsedLong();
  for (const auto& o : data.ownership) bytes += o.SpaceUsedLong();
  for (const auto& [part, item] : data.items_by_part)
    bytes += part.capacity() + item.SpaceUsedLong();
  for (const auto& [id, pos] : data.entity_by_id) bytes += id.capacity() + 16;
  bytes += data.entity_by_id.capacity() * (sizeof(std::string) + 8);
  for (const auto& [key, v] : data.ownership_by_owned)
    bytes += key.capacity() + v.capacity() * 4 + 64;
  return bytes;
}

}  // namespace

SnapshotManager::SnapshotManager(store::EntityStore* store, Clock* clock, size_t retained_snapshots,
                                 DispositionRegistry* dispositions)
    : store_(store),
      clock_(clock),
      retained_snapshots_(std::max<size_t>(1, retained_snapshots)),
      dispositions_(dispositions),
      publisher_(store, clock) {
  retirer_ = std::thread([this] { RetirerLoop(); });
}

SnapshotManager::~SnapshotManager() {
  {
    absl::MutexLock lock(&retire_mu_);
    stopping_ = true;
  }
  retirer_.join();
}

absl::StatusOr<std::shared_ptr<const engine::ScreeningSnapshot>> SnapshotManager::Build(
    const std::string& rule_set_version, const std::string& list_version) const {
  const absl::Time start = clock_->Now();
  ASSIGN_OR_RETURN(v1::StoredRuleSet stored, store_->rule_sets().GetRuleSet(rule_set_version));
  std::map<std::string, std::string> files(stored.files().begin(), stored.files().end());
  ASSIGN_OR_RETURN(std::shared_ptr<const rules::RuleSet> rule_set, rules::RuleSet::Compile(files));
  ASSIGN_OR_RETURN(store::ListVersionData data, store_->lists().ReadListVersion(list_version));
  const absl::Time list_created_at = FromProtoTime(data.info.created_at());
  auto reference = MakeReferenceData(std::move(data));
  ASSIGN_OR_RETURN(std::unique_ptr<const matching::NameIndex> index,
                   matching::NameIndex::Build(MakeIndexEntities(*reference)));
  auto snapshot = std::make_shared<engine::ScreeningSnapshot>();
  snapshot->rules = std::move(rule_set);
  snapshot->index = std::shared_ptr<const matching::NameIndex>(std::move(index));
  snapshot->data = std::move(reference);
  snapshot->rule_set_version = rule_set_version;
  snapshot->list_version = list_version;
  snapshot->loaded_at = clock_->Now();
  snapshot->load_seconds = absl::ToDoubleSeconds(snapshot->loaded_at - start);
  snapshot->list_created_at = list_created_at;
  snapshot->memory_bytes = snapshot->index->memory_bytes() + ReferenceDataBytes(*snapshot->data);
  if (const size_t n = snapshot->data->entities.size(); n > 0) {
    const double per_entity = static_cast<double>(snapshot->memory_bytes) / static_cast<double>(n);
    double seen = bytes_per_entity_.load();
    while (per_entity > seen && !bytes_per_entity_.compare_exchange_weak(seen, per_entity)) {
    }
  }
  BuildSeconds()->Observe(snapshot->load_seconds);
  return std::shared_ptr<const engine::ScreeningSnapshot>(std::move(snapshot));
}

absl::StatusOr<std::shared_ptr<const engine::ScreeningSnapshot>> SnapshotManager::CachedBuild(
    const std::string& rule_set_version, const std::string& list_version) const {
  auto matches = [&](const std::shared_ptr<const engine::ScreeningSnapshot>& s) {
    return s != nullptr && s->rule_set_version == rule_set_version &&
           s->list_version == list_version;
  };
  if (auto current = Current(); matches(current)) return current;
  {
    absl::MutexLock lock(&cache_mu_);
    for (const auto& s : cache_) {
      if (matches(s)) return s;
    }
  }
  RETURN_IF_ERROR(ReserveFor(list_version));
  ASSIGN_OR_RETURN(auto built, Build(rule_set_version, list_version));
  absl::MutexLock lock(&cache_mu_);
  cache_.push_back(built);
  while (cache_.size() > retained_snapshots_) {
    Retire(std::move(cache_.front()));
    cache_.pop_front();
  }
  return built;
}

absl::StatusOr<v1::ActiveVersions> SnapshotManager::Rollback(const std::string& actor) {
  if (shared()) return RollbackShared();
  absl::MutexLock lock(&mu_);
  auto current = Current();
  if (current == nullptr) {
    return absl::FailedPreconditionError("nothing is active");
  }
  ASSIGN_OR_RETURN(auto history, store_->activation().ActivationHistory());
  // The history is a stack: activations push, rollbacks pop what they undid.
  std::vector<const v1::ActiveVersions*> stack;
  for (const auto& e : history) {
    if (e.rollback_pops() > 0) {
      for (uint32_t i = 0; i < e.rollback_pops() && stack.size() > 1; ++i) {
        stack.pop_back();
      }
    } else {
      stack.push_back(&e);
    }
  }
  // Undo the top, and any activations below it of the very same versions.
  auto same = [&](const v1::ActiveVersions* e) {
    return e->rule_set_version() == current->rule_set_version &&
           e->list_version() == current->list_version;
  };
  uint32_t pops = 0;
  while (!stack.empty() && same(stack.back())) {
    stack.pop_back();
    ++pops;
  }
  if (stack.empty() || pops == 0) {
    return absl::FailedPreconditionError("no earlier versions in the activation history");
  }
  const v1::ActiveVersions target = *stack.back();
  RETURN_IF_ERROR(ActivateLocked(target.rule_set_version(), target.list_version(),
                                 absl::StrCat(actor, " (rollback)"), pops));
  ASSIGN_OR_RETURN(auto active, store_->activation().GetActive());
  return active.has_value() ? *active : target;
}

absl::Status SnapshotManager::Activate(const std::string& rule_set_version,
                                       const std::string& list_version, const std::string& actor) {
  if (shared()) return ActivateShared(rule_set_version, list_version, actor);
  absl::MutexLock lock(&mu_);
  return ActivateLocked(rule_set_version, list_version, actor);
}

absl::Status SnapshotManager::ActivateIf(const std::string& expected_rule_set,
                                         const std::string& expected_list,
                                         const std::string& rule_set_version,
                                         const std::string& list_version,
                                         const std::string& actor) {
  if (shared()) {
    const std::pair<std::string, std::string> expected(expected_rule_set, expected_list);
    return ActivateShared(rule_set_version, list_version, actor, &expected);
  }
  absl::MutexLock lock(&mu_);
  auto current = Current();
  if (current == nullptr || current->rule_set_version != expected_rule_set ||
      current->list_version != expected_list) {
    return absl::AbortedError(absl::StrCat(
        "the active versions changed (now ",
        current == nullptr ? std::string("none")
                           : absl::StrCat(current->rule_set_version, " / ", current->list_version),
        "); ", list_version, " is stored but was not activated"));
  }
  return ActivateLocked(rule_set_version, list_version, actor);
}

absl::Status SnapshotManager::ActivateLocked(const std::string& rule_set_version,
                                             const std::string& list_version,
                                             const std::string& actor, uint32_t rollback_pops) {
  static metrics::Family* const activations = metrics::Registry::Default().Get(
      "es_snapshot_activations_total", "Activations (and rollbacks), by result",
      metrics::Type::kCounter, {"result"});
  static metrics::Histogram* const activation_seconds = metrics::Registry::Default().GetHistogram(
      "es_snapshot_activation_seconds",
      "Time to activate versions (build if not loaded, persist, swap)",
      {0.001, 0.01, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120});
  static metrics::Gauge* const activated_at = metrics::Registry::Default().GetGauge(
      "es_snapshot_activated_timestamp_seconds", "Unix time of the last successful activation");
  const absl::Time start = absl::Now();
  absl::Status status = ActivateLockedImpl(rule_set_version, list_version, actor, rollback_pops);
  activations->CounterWith({status.ok() ? "ok" : "error"})->Add();
  if (status.ok()) {
    activation_seconds->Observe(absl::ToDoubleSeconds(absl::Now() - start));
    activated_at->Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  }
  return status;
}

absl::Status SnapshotManager::ActivateLockedImpl(const std::string& rule_set_version,
                                                 const std::string& list_version,
                                                 const std::string& actor, uint32_t rollback_pops) {
  // A still-loaded version (recently active) is re-used: rollback is a
  // pointer swap, not a rebuild.
  std::shared_ptr<const engine::ScreeningSnapshot> snapshot;
  {
    absl::MutexLock lock(&retire_mu_);
    for (const auto& s : retired_) {
      if (s->rule_set_version == rule_set_version && s->list_version == list_version) {
        snapshot = s;
      }
    }
  }
  if (snapshot == nullptr) {
    ASSIGN_OR_RETURN(snapshot, CachedBuild(rule_set_version, list_version));
  }
  v1::ActiveVersions active;
  active.set_rule_set_version(rule_set_version);
  active.set_list_version(list_version);
  SetTimestamp(clock_->Now(), active.mutable_activated_at());
  active.set_activated_by(actor);
  active.set_rollback_pops(rollback_pops);
  // Persist first: if the write fails, nothing changes in memory either.
  RETURN_IF_ERROR(store_->activation().SetActive(active));
  auto previous = current_.exchange(std::move(snapshot), std::memory_order_acq_rel);
  if (previous != nullptr) {
    absl::MutexLock lock(&retire_mu_);
    retired_.push_back(std::move(previous));
    while (retired_.size() > retained_snapshots_) {
      dying_.push_back(std::move(retired_.front()));
      retired_.pop_front();
    }
  }
  ES_LOG_INFO("activated rules=", rule_set_version, " lists=", list_version, " by ", actor);
  return absl::OkStatus();
}

engine::ScreeningView SnapshotManager::Pin(const engine::ScreeningSnapshot& snapshot) const {
  static const auto* const kNone = new std::shared_ptr<const engine::DispositionSet>(
      std::make_shared<const engine::DispositionSet>(std::vector<v1::Disposition>(), 0));
  return engine::ScreeningView{snapshot, location_feed_->Load(),
                               dispositions_ != nullptr ? dispositions_->Current() : *kNone};
}

absl::StatusOr<std::shared_ptr<const engine::LocationIndex>> SnapshotManager::LocationsAt(
    const v1::ScreenRequest& request, uint64_t sequence) const {
  std::vector<std::pair<std::string, engine::ReportedLocation>> seen;
  for (const v1::Item& item : request.items()) {
    for (const std::string& serial : item.serial_numbers()) {
      ASSIGN_OR_RETURN(std::optional<v1::LocationReport> report,
                       store_->locations().LocationAt(serial, sequence));
      if (report.has_value()) seen.emplace_back(serial, ToReportedLocation(*report));
    }
  }
  return engine::LocationIndex().With(std::move(seen), sequence);
}

std::string SnapshotManager::NotServingReason() const {
  absl::MutexLock lock(&status_mu_);
  return not_serving_reason_;
}

std::vector<std::string> SnapshotManager::Warnings() const {
  absl::MutexLock lock(&status_mu_);
  return warnings_;
}

absl::Status SnapshotManager::Bootstrap(const BootstrapOptions& options) {
  absl::Status status = BootstrapOnce(options);
  absl::MutexLock lock(&status_mu_);
  not_serving_reason_ = status.ok()
                            ? std::string()
                            : absl::StrCat("not serving: start-up failed: ", status.message());
  return status;
}

absl::Status SnapshotManager::BootstrapOnce(const BootstrapOptions& options) {
  absl::MutexLock lock(&mu_);
  {
    absl::MutexLock status_lock(&status_mu_);
    warnings_.clear();
  }
  if (dispositions_ != nullptr) RETURN_IF_ERROR(dispositions_->Reload());
  ASSIGN_OR_RETURN(bool empty, store_->IsEmpty());
  if (empty) return SeedEmptyStore(options);
  ASSIGN_OR_RETURN(std::optional<v1::ActiveVersions> active, store_->activation().GetActive());
  if (!active.has_value()) {
    return absl::FailedPreconditionError(
        "store has data but no active versions; activate a version");
  }
  std::string rule_version = active->rule_set_version();
  if (options.reload_rules && !options.rules_dir.empty()) {
    // Fail safe: a rule directory that does not read or compile keeps the
    // stored active pair serving, with the errors (FILE:LINE) as a warning.
    absl::StatusOr<v1::RuleSetInfo> info = [&]() -> absl::StatusOr<v1::RuleSetInfo> {
      mu_.AssertHeld();  // called right here, under BootstrapOnce's lock
      ASSIGN_OR_RETURN(auto files, rules::ReadRuleFiles(options.rules_dir));
      return publisher_.Publish(files, options.rules_dir, "startup");
    }();
    if (!info.ok()) {
      std::string warning = absl::StrCat("rules in ", options.rules_dir, " were not loaded (",
                                         info.status().message(),
                                         "); still serving the active rule set ", rule_version);
      ES_LOG_WARNING(warning);
      absl::MutexLock status_lock(&status_mu_);
      warnings_.push_back(std::move(warning));
    } else if (info->version() != rule_version) {
      ES_LOG_INFO("rules in ", options.rules_dir, " changed: ", rule_version, " -> ",
                  info->version());
      rule_version = info->version();
    }
  }
  return ActivateLocked(
      rule_version, active->list_version(),
      rule_version == active->rule_set_version() ? active->activated_by() : "startup");
}

absl::Status SnapshotManager::SeedEmptyStore(const BootstrapOptions& options) {
  // Rules first: a seed without valid rules must not leave a half-seeded
  // store behind, and compiling is the step most likely to fail.
  if (options.rules_dir.empty()) {
    return absl::FailedPreconditionError("no --rules directory given");
  }
  ASSIGN_OR_RETURN(auto files, rules::ReadRuleFiles(options.rules_dir));
  ASSIGN_OR_RETURN(auto compiled, rules::RuleSet::Compile(files));
  (void)compiled;
  ASSIGN_OR_RETURN(store::ListVersionData data, BuildSeedListVersion(options, clock_->Now()));
  RETURN_IF_ERROR(StoreListVersion(store_, &data));
  ASSIGN_OR_RETURN(v1::RuleSetInfo rules_info,
                   publisher_.Publish(files, options.rules_dir, "bootstrap"));
  return ActivateLocked(rules_info.version(), data.info.version(), "bootstrap");
}

}  // namespace exportscreen::serving
