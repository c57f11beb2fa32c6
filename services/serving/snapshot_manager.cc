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
#include "services/common/digest.h"
#include <algorithm>

#include "services/common/logging.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"
#include "services/engine/index_entity.h"
#include "services/rules/rule_set.h"
#include "services/serving/location_ingest.h"

namespace exportscreen::serving {
namespace {

metrics::Histogram* BuildSeconds() {
  static metrics::Histogram* const h = metrics::Registry::Default().GetHistogram(
      "es_snapshot_build_seconds",
      "Time to build a snapshot (compile rules, read the list version, index names)",
      {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120});
  return h;
}

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t nanos = absl::ToUnixNanos(t);
  ts->set_seconds(nanos / 1000000000);
  ts->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

std::string RuleSetDigest(const std::map<std::string, std::string>& files) {
  std::string all;
  for (const auto& [name, content] : files) {
    absl::StrAppend(&all, name, "\n", content.size(), "\n", content);
  }
  return Sha256Hex(all);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void CountByList(const std::vector<v1::ListedEntity>& entities,
                 v1::ListVersionInfo* info) {
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

}  // namespace

absl::Status ReadOptionalJsonLines(
    const std::string& path,
    const std::function<absl::Status(absl::string_view json, int line)>& fn) {
  if (!std::filesystem::exists(path)) return absl::OkStatus();
  return ReadJsonLines(path, fn);
}

absl::Status ReadJsonLines(
    const std::string& path,
    const std::function<absl::Status(absl::string_view json, int line)>& fn) {
  ASSIGN_OR_RETURN(std::string content, ReadFile(path));
  std::istringstream in(content);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    absl::Status s = fn(text, number);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::shared_ptr<const engine::ReferenceData> MakeReferenceData(
    store::ListVersionData data) {
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

std::vector<matching::IndexEntity> MakeIndexEntities(
    const engine::ReferenceData& data) {
  std::vector<matching::IndexEntity> out;
  out.reserve(data.entities.size());
  for (uint32_t i = 0; i < data.entities.size(); ++i) {
    out.push_back(engine::ToIndexEntity(data.entities[i], i));
  }
  return out;
}

SnapshotManager::SnapshotManager(store::EntityStore* store, Clock* clock,
                                 size_t retained_snapshots)
    : store_(store),
      clock_(clock),
      retained_snapshots_(std::max<size_t>(1, retained_snapshots)) {}

std::string SnapshotManager::NewListVersionId(
    absl::string_view content_digest) const {
  return absl::StrCat(
      "L", absl::FormatTime("%Y%m%dT%H%M%E3SZ", clock_->Now(),
                            absl::UTCTimeZone()),
      "-", content_digest.substr(0, 8));
}

absl::StatusOr<std::shared_ptr<const engine::ScreeningSnapshot>>
SnapshotManager::Build(const std::string& rule_set_version,
                       const std::string& list_version) const {
  const absl::Time start = clock_->Now();
  ASSIGN_OR_RETURN(v1::StoredRuleSet stored, store_->rule_sets().GetRuleSet(rule_set_version));
  std::map<std::string, std::string> files(stored.files().begin(),
                                           stored.files().end());
  ASSIGN_OR_RETURN(std::shared_ptr<const rules::RuleSet> rule_set,
                   rules::RuleSet::Compile(files));
  ASSIGN_OR_RETURN(store::ListVersionData data,
                   store_->lists().ReadListVersion(list_version));
  const absl::Time list_created_at =
      absl::FromUnixSeconds(data.info.created_at().seconds()) +
      absl::Nanoseconds(data.info.created_at().nanos());
  auto reference = MakeReferenceData(std::move(data));
  ASSIGN_OR_RETURN(std::unique_ptr<const matching::NameIndex> index,
                   matching::NameIndex::Build(MakeIndexEntities(*reference)));
  auto snapshot = std::make_shared<engine::ScreeningSnapshot>();
  snapshot->rules = std::move(rule_set);
  snapshot->index = std::shared_ptr<const matching::NameIndex>(std::move(index));
  snapshot->data = std::move(reference);
  snapshot->rule_set_version = rule_set_version;
  snapshot->list_version = list_version;
  snapshot->locations = location_feed_;  // location evidence (issue 8)
  snapshot->dispositions = disposition_feed_;
  snapshot->loaded_at = clock_->Now();
  snapshot->load_seconds = absl::ToDoubleSeconds(snapshot->loaded_at - start);
  snapshot->list_created_at = list_created_at;
  BuildSeconds()->Observe(snapshot->load_seconds);
  return std::shared_ptr<const engine::ScreeningSnapshot>(std::move(snapshot));
}

absl::StatusOr<std::shared_ptr<const engine::ScreeningSnapshot>>
SnapshotManager::CachedBuild(const std::string& rule_set_version,
                             const std::string& list_version) const {
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
  ASSIGN_OR_RETURN(auto built, Build(rule_set_version, list_version));
  absl::MutexLock lock(&cache_mu_);
  cache_.push_back(built);
  while (cache_.size() > retained_snapshots_) cache_.pop_front();
  return built;
}

absl::StatusOr<v1::ActiveVersions> SnapshotManager::Rollback(
    const std::string& actor) {
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
    return absl::FailedPreconditionError(
        "no earlier versions in the activation history");
  }
  const v1::ActiveVersions target = *stack.back();
  RETURN_IF_ERROR(ActivateLocked(target.rule_set_version(), target.list_version(),
                                 absl::StrCat(actor, " (rollback)"), pops));
  ASSIGN_OR_RETURN(auto active, store_->activation().GetActive());
  return active.has_value() ? *active : target;
}

absl::Status SnapshotManager::Activate(const std::string& rule_set_version,
                                       const std::string& list_version,
                                       const std::string& actor) {
  absl::MutexLock lock(&mu_);
  return ActivateLocked(rule_set_version, list_version, actor);
}

absl::Status SnapshotManager::ActivateLocked(
    const std::string& rule_set_version, const std::string& list_version,
    const std::string& actor, uint32_t rollback_pops) {
  static metrics::Family* const activations = metrics::Registry::Default().Get(
      "es_snapshot_activations_total", "Activations (and rollbacks), by result",
      metrics::Type::kCounter, {"result"});
  static metrics::Histogram* const activation_seconds =
      metrics::Registry::Default().GetHistogram(
          "es_snapshot_activation_seconds",
          "Time to activate versions (build if not loaded, persist, swap)",
          {0.001, 0.01, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120});
  static metrics::Gauge* const activated_at = metrics::Registry::Default().GetGauge(
      "es_snapshot_activated_timestamp_seconds",
      "Unix time of the last successful activation");
  const absl::Time start = absl::Now();
  absl::Status status = ActivateLockedImpl(rule_set_version, list_version, actor,
                                           rollback_pops);
  activations->CounterWith({status.ok() ? "ok" : "error"})->Add();
  if (status.ok()) {
    activation_seconds->Observe(absl::ToDoubleSeconds(absl::Now() - start));
    activated_at->Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  }
  return status;
}

absl::Status SnapshotManager::ActivateLockedImpl(
    const std::string& rule_set_version, const std::string& list_version,
    const std::string& actor, uint32_t rollback_pops) {
  // A still-loaded version (recently active) is re-used: rollback is a
  // pointer swap, not a rebuild.
  std::shared_ptr<const engine::ScreeningSnapshot> snapshot;
  for (const auto& s : retired_) {
    if (s->rule_set_version == rule_set_version &&
        s->list_version == list_version) {
      snapshot = s;
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
    retired_.push_back(std::move(previous));
    while (retired_.size() > retained_snapshots_) retired_.pop_front();
  }
  ES_LOG_INFO("activated rules=", rule_set_version, " lists=", list_version,
              " by ", actor);
  return absl::OkStatus();
}

absl::Status CheckRuleSetSize(const std::map<std::string, std::string>& files) {
  size_t bytes = 0;
  for (const auto& [name, content] : files) bytes += name.size() + content.size();
  if (bytes > kMaxRuleSetBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "files: the rule set has ", bytes, " bytes; the limit is ",
        kMaxRuleSetBytes, " (it is read back whole by GetRuleSet)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::RuleSetInfo> SnapshotManager::PublishRules(
    const std::map<std::string, std::string>& files, const std::string& source,
    const std::string& actor) {
  absl::MutexLock lock(&mu_);
  return PublishRulesLocked(files, source, actor);
}

absl::StatusOr<v1::RuleSetInfo> SnapshotManager::PublishRulesLocked(
    const std::map<std::string, std::string>& files, const std::string& source,
    const std::string& actor) {
  RETURN_IF_ERROR(CheckRuleSetSize(files));
  ASSIGN_OR_RETURN(std::shared_ptr<const rules::RuleSet> compiled,
                   rules::RuleSet::Compile(files));
  v1::StoredRuleSet stored;
  const std::string digest = RuleSetDigest(files);
  v1::RuleSetInfo* info = stored.mutable_info();
  info->set_version(absl::StrCat("R-", digest.substr(0, 12)));
  SetTimestamp(clock_->Now(), info->mutable_created_at());
  info->set_content_digest(digest);
  info->set_rule_count(static_cast<int64_t>(compiled->rule_count()));
  info->set_created_by(actor);
  info->set_source(source);
  for (const auto& [name, content] : files) (*stored.mutable_files())[name] = content;
  RETURN_IF_ERROR(store_->rule_sets().PutRuleSet(stored));
  return *info;
}

namespace {

// Imports the sources lists_dir/bootstrap.txt names (lines "FORMAT FILE...",
// '#' comments) with the store's importers; appends their entities and, for
// the version id, each file's name and sha256. Rows an importer rejects are
// counted and logged, not fatal (real files carry some).
absl::Status ImportSeedLists(const std::string& lists_dir,
                             std::vector<v1::ListedEntity>* entities,
                             std::string* digest_input,
                             v1::ListVersionInfo* info) {
  const std::string manifest_path = lists_dir + "/bootstrap.txt";
  absl::StatusOr<std::string> manifest = ReadFile(manifest_path);
  if (!manifest.ok()) {
    return absl::NotFoundError(absl::StrCat(
        "--seed_lists: cannot read ", manifest_path,
        " (give --seed_lists= to seed from --seeds entities.jsonl instead)"));
  }
  absl::flat_hash_set<std::string> ids;
  for (const auto& e : *entities) ids.insert(e.entity_id());
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(*manifest, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.size() < 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          manifest_path, ":", line_no, ": expected FORMAT FILE..."));
    }
    std::vector<store::ImportInput> inputs;
    for (size_t i = 1; i < words.size(); ++i) {
      const std::string path = absl::StrCat(lists_dir, "/", words[i]);
      ASSIGN_OR_RETURN(std::string content, ReadFile(path));
      absl::StrAppend(digest_input, words[i], " ", Sha256Hex(content), "\n");
      info->add_sources(absl::StrCat("seed_lists:", words[0], ":", path));
      inputs.push_back({words[i], std::move(content)});
    }
    absl::StatusOr<store::ImportResult> parsed =
        store::ParseListFiles(words[0], inputs);
    if (!parsed.ok()) {
      return absl::Status(parsed.status().code(),
                          absl::StrCat(manifest_path, ":", line_no, ": ",
                                       parsed.status().message()));
    }
    size_t added = 0;
    for (auto& e : parsed->entities) {
      if (!ids.insert(e.entity_id()).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(manifest_path, ":", line_no, ": entity id ",
                         e.entity_id(), " already imported by an earlier line"));
      }
      entities->push_back(std::move(e));
      ++added;
    }
    ES_LOG_INFO("seed lists: ", words[0], " ", words[1], ": ", added,
                " entities, ", parsed->merged_rows, " merged rows, ",
                parsed->rejected.size(), " rejected rows, ",
                parsed->warnings.size(), " warnings");
  }
  return absl::OkStatus();
}

// The seeds' illustrative ownership links name their owners by the
// hand-written entities' ids. Against the real lists, a link whose owner id
// is unknown is resolved by its owner_name: the entity with that primary
// name, else with that strong alias (ASCII case-insensitive, first wins).
// Returns how many links stay unresolved.
int ResolveOwnersByName(const std::vector<v1::ListedEntity>& entities,
                        std::vector<v1::OwnershipLink>* links) {
  absl::flat_hash_set<std::string> ids;
  absl::flat_hash_map<std::string, std::string> by_name;
  for (const auto& e : entities) {
    ids.insert(e.entity_id());
    by_name.emplace(absl::AsciiStrToLower(e.primary_name()), e.entity_id());
  }
  for (const auto& e : entities) {
    for (const auto& a : e.aliases()) {
      if (a.strength() != v1::ALIAS_STRENGTH_STRONG) continue;
      by_name.emplace(absl::AsciiStrToLower(a.name()), e.entity_id());
    }
  }
  int unresolved = 0;
  for (auto& l : *links) {
    if (ids.contains(l.owner_entity_id())) continue;
    auto it = by_name.find(absl::AsciiStrToLower(l.owner_name()));
    if (it == by_name.end()) {
      ++unresolved;
      continue;
    }
    l.set_owner_entity_id(it->second);
  }
  return unresolved;
}

}  // namespace

absl::Status SnapshotManager::SeedEmptyStore(const BootstrapOptions& options) {
  // Rules first: a seed without valid rules must not leave a half-seeded
  // store behind, and compiling is the step most likely to fail.
  if (options.rules_dir.empty()) {
    return absl::FailedPreconditionError("no --rules directory given");
  }
  ASSIGN_OR_RETURN(auto files, rules::ReadRuleFiles(options.rules_dir));
  ASSIGN_OR_RETURN(auto compiled, rules::RuleSet::Compile(files));
  (void)compiled;

  store::ListVersionData data;
  std::string digest_input;
  if (!options.lists_dir.empty()) {
    RETURN_IF_ERROR(ImportSeedLists(options.lists_dir, &data.entities,
                                    &digest_input, &data.info));
  }
  if (!options.seeds_dir.empty()) {
    const std::string entities_path = options.seeds_dir + "/entities.jsonl";
    if (options.lists_dir.empty() && std::filesystem::exists(entities_path)) {
      ASSIGN_OR_RETURN(std::string content, ReadFile(entities_path));
      ASSIGN_OR_RETURN(store::ImportResult parsed,
                       store::ParseListFiles("entities_jsonl",
                                             {{"entities.jsonl", content}}));
      if (!parsed.rejected.empty()) {
        const auto& r = parsed.rejected.front();
        return absl::InvalidArgumentError(absl::StrCat(
            entities_path, ":", r.line, ": ", r.reason, " (",
            parsed.rejected.size(), " rejected rows)"));
      }
      data.entities = std::move(parsed.entities);
      digest_input += content;
    }
    RETURN_IF_ERROR(ReadOptionalJsonLines(
        options.seeds_dir + "/ownership.jsonl",
        [&](absl::string_view json, int) -> absl::Status {
          v1::OwnershipLink link;
          RETURN_IF_ERROR(ParseJson(json, &link));
          if (link.owned_name().empty() || link.percent() <= 0 ||
              link.percent() > 100) {
            return absl::InvalidArgumentError(
                "owned_name is empty or percent is not in (0, 100]");
          }
          digest_input.append(json.data(), json.size());
          data.ownership.push_back(std::move(link));
          return absl::OkStatus();
        }));
    RETURN_IF_ERROR(ReadOptionalJsonLines(
        options.seeds_dir + "/items.jsonl",
        [&](absl::string_view json, int) -> absl::Status {
          v1::CatalogItem item;
          RETURN_IF_ERROR(ParseJson(json, &item));
          if (item.part_number().empty()) {
            return absl::InvalidArgumentError("part_number is empty");
          }
          digest_input.append(json.data(), json.size());
          data.items.push_back(std::move(item));
          return absl::OkStatus();
        }));
  }
  if (!options.lists_dir.empty()) {
    const int unresolved = ResolveOwnersByName(data.entities, &data.ownership);
    if (unresolved > 0) {
      ES_LOG_WARNING("seeds: ", unresolved, " of ", data.ownership.size(),
                     " ownership links name an owner not on the seed lists");
    }
  }
  CountByList(data.entities, &data.info);
  data.info.set_version(NewListVersionId(Sha256Hex(digest_input)));
  SetTimestamp(clock_->Now(), data.info.mutable_created_at());
  data.info.add_sources(absl::StrCat("seeds:", options.seeds_dir));
  data.info.set_ownership_count(static_cast<int64_t>(data.ownership.size()));
  data.info.set_item_count(static_cast<int64_t>(data.items.size()));
  data.info.set_created_by("bootstrap");
  RETURN_IF_ERROR(store_->lists().PutListVersion(data));
  ASSIGN_OR_RETURN(v1::RuleSetInfo rules_info,
                   PublishRulesLocked(files, options.rules_dir, "bootstrap"));
  return ActivateLocked(rules_info.version(), data.info.version(), "bootstrap");
}

absl::Status SnapshotManager::ReloadDispositions() {
  ASSIGN_OR_RETURN(std::vector<v1::Disposition> log, store_->dispositions().ListDispositions());
  disposition_feed_->Store(std::make_shared<const engine::DispositionSet>(
      log, std::numeric_limits<uint64_t>::max()));
  return absl::OkStatus();
}

absl::StatusOr<v1::Disposition> SnapshotManager::RecordDisposition(
    v1::Disposition disposition) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(store_->dispositions().AppendDisposition(&disposition));
  RETURN_IF_ERROR(ReloadDispositions());
  return disposition;
}

absl::StatusOr<std::shared_ptr<const engine::ScreeningSnapshot>>
SnapshotManager::WithDispositionsAt(
    std::shared_ptr<const engine::ScreeningSnapshot> snapshot,
    uint64_t sequence) const {
  ASSIGN_OR_RETURN(std::vector<v1::Disposition> log, store_->dispositions().ListDispositions());
  auto copy = std::make_shared<engine::ScreeningSnapshot>(*snapshot);
  copy->dispositions = std::make_shared<const engine::DispositionFeed>(
      std::make_shared<const engine::DispositionSet>(log, sequence));
  return std::shared_ptr<const engine::ScreeningSnapshot>(std::move(copy));
}

absl::StatusOr<std::shared_ptr<const engine::ScreeningSnapshot>>
SnapshotManager::WithLocationsAt(
    std::shared_ptr<const engine::ScreeningSnapshot> snapshot,
    const v1::ScreenRequest& request, uint64_t sequence) const {
  std::vector<std::pair<std::string, engine::ReportedLocation>> seen;
  for (const v1::Item& item : request.items()) {
    for (const std::string& serial : item.serial_numbers()) {
      ASSIGN_OR_RETURN(std::optional<v1::LocationReport> report,
                       store_->locations().LocationAt(serial, sequence));
      if (report.has_value()) {
        seen.emplace_back(serial, ToReportedLocation(*report));
      }
    }
  }
  auto feed = std::make_shared<engine::LocationFeed>();
  feed->Store(engine::LocationIndex().With(std::move(seen), sequence));
  auto copy = std::make_shared<engine::ScreeningSnapshot>(*snapshot);
  copy->locations = std::move(feed);
  return std::shared_ptr<const engine::ScreeningSnapshot>(std::move(copy));
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
  not_serving_reason_ =
      status.ok() ? std::string()
                  : absl::StrCat("not serving: start-up failed: ",
                                 status.message());
  return status;
}

absl::Status SnapshotManager::BootstrapOnce(const BootstrapOptions& options) {
  absl::MutexLock lock(&mu_);
  {
    absl::MutexLock status_lock(&status_mu_);
    warnings_.clear();
  }
  RETURN_IF_ERROR(ReloadDispositions());
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
      ASSIGN_OR_RETURN(auto files, rules::ReadRuleFiles(options.rules_dir));
      return PublishRulesLocked(files, options.rules_dir, "startup");
    }();
    if (!info.ok()) {
      std::string warning = absl::StrCat(
          "rules in ", options.rules_dir, " were not loaded (", info.status().message(),
          "); still serving the active rule set ", rule_version);
      ES_LOG_WARNING(warning);
      absl::MutexLock status_lock(&status_mu_);
      warnings_.push_back(std::move(warning));
    } else if (info->version() != rule_version) {
      ES_LOG_INFO("rules in ", options.rules_dir, " changed: ", rule_version,
                  " -> ", info->version());
      rule_version = info->version();
    }
  }
  return ActivateLocked(rule_version, active->list_version(),
                        rule_version == active->rule_set_version()
                            ? active->activated_by()
                            : "startup");
}

namespace {

// Parses JSON-lines files of `Msg`; bad lines become rejections with their
// line numbers (nothing is silently dropped).
template <typename Msg>
std::vector<Msg> ParseJsonLinesFiles(const std::vector<store::ImportInput>& files,
                                     const std::function<std::string(const Msg&)>& check,
                                     store::ImportResult* result) {
  std::vector<Msg> out;
  for (const auto& f : files) {
    int64_t line_no = 0;
    for (absl::string_view line : absl::StrSplit(f.content, '\n')) {
      ++line_no;
      absl::string_view text = absl::StripAsciiWhitespace(line);
      if (text.empty() || text[0] == '#') {
        ++result->skipped_lines;
        continue;
      }
      Msg msg;
      absl::Status parsed = ParseJson(text, &msg);
      std::string problem = parsed.ok() ? check(msg) : std::string(parsed.message());
      if (!problem.empty()) {
        result->rejected.push_back({f.name, line_no, problem});
        continue;
      }
      out.push_back(std::move(msg));
    }
  }
  return out;
}

std::string OwnershipKeyOf(const v1::OwnershipLink& l) {
  return absl::StrCat(l.owner_entity_id(), "|", l.owner_name(), "|", l.owned_name(),
                      "|", l.owned_country());
}

}  // namespace

absl::StatusOr<ImportOutcome> SnapshotManager::ImportReferenceData(
    absl::string_view format, const std::vector<store::ImportInput>& files,
    bool replace, bool activate, bool dry_run, const std::string& actor) {
  ImportOutcome outcome;
  const bool ownership = format == "ownership_jsonl";
  std::vector<v1::OwnershipLink> links;
  std::vector<v1::CatalogItem> items;
  if (ownership) {
    links = ParseJsonLinesFiles<v1::OwnershipLink>(
        files,
        [](const v1::OwnershipLink& l) -> std::string {
          if (l.owned_name().empty()) return "owned_name: is empty";
          if (l.owner_entity_id().empty() && l.owner_name().empty()) {
            return "owner_entity_id or owner_name: is required";
          }
          if (!(l.percent() > 0 && l.percent() <= 100)) {
            return "percent: must be in (0, 100]";
          }
          return "";
        },
        &outcome.parsed);
    outcome.records = static_cast<int64_t>(links.size());
  } else {
    items = ParseJsonLinesFiles<v1::CatalogItem>(
        files,
        [](const v1::CatalogItem& i) -> std::string {
          return i.part_number().empty() ? "part_number: is empty" : "";
        },
        &outcome.parsed);
    outcome.records = static_cast<int64_t>(items.size());
  }
  absl::MutexLock lock(&mu_);
  auto current = Current();
  if (current == nullptr) {
    return absl::FailedPreconditionError("no active list version to derive from");
  }
  ASSIGN_OR_RETURN(store::ListVersionData next,
                   store_->lists().ReadListVersion(current->list_version));
  next.info.set_parent_version(current->list_version);
  if (ownership) {
    absl::flat_hash_map<std::string, double> old;
    for (const auto& l : next.ownership) old[OwnershipKeyOf(l)] = l.percent();
    absl::flat_hash_set<std::string> seen;
    for (const auto& l : links) {
      auto it = old.find(OwnershipKeyOf(l));
      if (it == old.end()) ++outcome.added;
      else if (it->second != l.percent()) ++outcome.changed;
      seen.insert(OwnershipKeyOf(l));
    }
    if (replace) {
      for (const auto& [key, pct] : old) outcome.removed += !seen.contains(key);
      next.ownership = std::move(links);
    } else {
      std::vector<v1::OwnershipLink> merged;
      for (auto& l : next.ownership) {
        if (!seen.contains(OwnershipKeyOf(l))) merged.push_back(std::move(l));
      }
      for (auto& l : links) merged.push_back(std::move(l));
      next.ownership = std::move(merged);
    }
  } else {
    absl::flat_hash_map<std::string, const v1::CatalogItem*> old;
    for (const auto& i : next.items) old[i.part_number()] = &i;
    absl::flat_hash_set<std::string> seen;
    for (const auto& i : items) {
      auto it = old.find(i.part_number());
      if (it == old.end()) ++outcome.added;
      else if (!google::protobuf::util::MessageDifferencer::Equals(*it->second, i)) ++outcome.changed;
      seen.insert(i.part_number());
    }
    std::vector<v1::CatalogItem> merged;
    for (auto& i : next.items) {
      if (seen.contains(i.part_number())) continue;
      if (replace) {
        ++outcome.removed;
        continue;
      }
      merged.push_back(std::move(i));
    }
    for (auto& i : items) merged.push_back(std::move(i));
    next.items = std::move(merged);
  }
  std::string digest_input;
  for (const auto& f : files) absl::StrAppend(&digest_input, f.name, f.content);
  next.info.clear_sources();
  for (const auto& f : files) next.info.add_sources(absl::StrCat(format, ":", f.name));
  next.info.set_ownership_count(static_cast<int64_t>(next.ownership.size()));
  next.info.set_item_count(static_cast<int64_t>(next.items.size()));
  next.info.set_created_by(actor);
  SetTimestamp(clock_->Now(), next.info.mutable_created_at());
  if (dry_run) {
    next.info.clear_version();
    outcome.info = next.info;
    return outcome;
  }
  next.info.set_version(NewListVersionId(Sha256Hex(digest_input)));
  RETURN_IF_ERROR(store_->lists().PutListVersion(next));
  outcome.info = next.info;
  if (activate) {
    RETURN_IF_ERROR(ActivateLocked(current->rule_set_version, next.info.version(), actor));
    outcome.activated = true;
  }
  return outcome;
}

absl::StatusOr<ImportOutcome> SnapshotManager::ImportList(
    absl::string_view format, const std::vector<store::ImportInput>& files,
    bool replace_lists, bool activate, bool dry_run, const std::string& actor) {
  if (format == "ownership_jsonl" || format == "items_jsonl") {
    return ImportReferenceData(format, files, replace_lists, activate, dry_run, actor);
  }
  ImportOutcome outcome;
  ASSIGN_OR_RETURN(outcome.parsed, store::ParseListFiles(format, files));
  outcome.records = static_cast<int64_t>(outcome.parsed.entities.size());
  absl::MutexLock lock(&mu_);
  auto current = Current();
  store::ListVersionData base;
  if (current != nullptr) {
    ASSIGN_OR_RETURN(base, store_->lists().ReadListVersion(current->list_version));
  }
  absl::flat_hash_set<std::string> replaced_lists;
  if (replace_lists) {
    for (const auto& e : outcome.parsed.entities) replaced_lists.insert(e.list());
  }
  absl::flat_hash_map<std::string, const v1::ListedEntity*> old_by_id;
  for (const auto& e : base.entities) old_by_id.emplace(e.entity_id(), &e);

  store::ListVersionData next;
  absl::flat_hash_set<std::string> new_ids;
  for (const auto& e : outcome.parsed.entities) new_ids.insert(e.entity_id());
  for (const auto& e : base.entities) {
    if (new_ids.contains(e.entity_id())) continue;  // superseded
    if (replaced_lists.contains(e.list())) {
      ++outcome.removed;
      continue;
    }
    next.entities.push_back(e);
  }
  for (const auto& e : outcome.parsed.entities) {
    auto it = old_by_id.find(e.entity_id());
    if (it == old_by_id.end()) {
      ++outcome.added;
    } else if (!google::protobuf::util::MessageDifferencer::Equals(*it->second, e)) {
      ++outcome.changed;
    }
    next.entities.push_back(e);
  }
  next.ownership = std::move(base.ownership);
  next.items = std::move(base.items);

  std::string digest_input;
  for (const auto& f : files) absl::StrAppend(&digest_input, f.name, f.content);
  CountByList(next.entities, &next.info);
  next.info.set_ownership_count(static_cast<int64_t>(next.ownership.size()));
  next.info.set_item_count(static_cast<int64_t>(next.items.size()));
  next.info.set_created_by(actor);
  next.info.set_parent_version(base.info.version());
  for (const auto& f : files) {
    next.info.add_sources(absl::StrCat(format, ":", f.name));
  }
  SetTimestamp(clock_->Now(), next.info.mutable_created_at());
  if (dry_run) {
    outcome.info = next.info;
    return outcome;
  }
  next.info.set_version(NewListVersionId(Sha256Hex(digest_input)));
  RETURN_IF_ERROR(store_->lists().PutListVersion(next));
  outcome.info = next.info;
  if (activate) {
    if (current == nullptr) {
      return absl::FailedPreconditionError(
          "list version stored but no rule set is active to activate it with");
    }
    RETURN_IF_ERROR(
        ActivateLocked(current->rule_set_version, next.info.version(), actor));
    outcome.activated = true;
  }
  return outcome;
}

}  // namespace exportscreen::serving
