#include "services/serving/list_importer.h"
#include "services/common/file_util.h"

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

#include "services/common/logging.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"
#include "services/engine/index_entity.h"
#include "services/rules/rule_set.h"
#include "services/serving/location_ingest.h"
#include "services/serving/manager_internal.h"
#include "services/store/version_ids.h"

namespace exportscreen::serving {

namespace {

// Imports the sources lists_dir/bootstrap.txt names (lines "FORMAT FILE...",
// '#' comments) with the store's importers; appends their entities and
// names each source in `info`. Rows an importer rejects are
// counted and logged, not fatal (real files carry some).
absl::Status ImportSeedLists(const std::string& lists_dir, std::vector<v1::ListedEntity>* entities,
                             v1::ListVersionInfo* info) {
  const std::string manifest_path = lists_dir + "/bootstrap.txt";
  absl::StatusOr<std::string> manifest = ReadFileToString(manifest_path);
  if (!manifest.ok()) {
    return absl::NotFoundError(
        absl::StrCat("--seed_lists: cannot read ", manifest_path,
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
      return absl::InvalidArgumentError(
          absl::StrCat(manifest_path, ":", line_no, ": expected FORMAT FILE..."));
    }
    std::vector<store::ImportInput> inputs;
    for (size_t i = 1; i < words.size(); ++i) {
      const std::string path = absl::StrCat(lists_dir, "/", words[i]);
      ASSIGN_OR_RETURN(std::string content, ReadFileToString(path));
      info->add_sources(absl::StrCat("seed_lists:", words[0], ":", path));
      inputs.push_back({words[i], std::move(content)});
    }
    absl::StatusOr<store::ImportResult> parsed = store::ParseListFiles(words[0], inputs);
    if (!parsed.ok()) {
      return absl::Status(parsed.status().code(), absl::StrCat(manifest_path, ":", line_no, ": ",
                                                               parsed.status().message()));
    }
    size_t added = 0;
    for (auto& e : parsed->entities) {
      if (!ids.insert(e.entity_id()).second) {
        return absl::InvalidArgumentError(absl::StrCat(manifest_path, ":", line_no, ": entity id ",
                                                       e.entity_id(),
                                                       " already imported by an earlier line"));
      }
      entities->push_back(std::move(e));
      ++added;
    }
    ES_LOG_INFO("seed lists: ", words[0], " ", words[1], ": ", added, " entities, ",
                parsed->merged_rows, " merged rows, ", parsed->rejected.size(), " rejected rows, ",
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

absl::Status StoreListVersion(store::EntityStore* store, store::ListVersionData* data) {
  data->info.set_version(store::ListVersionId(*data));
  absl::Status s = store->lists().PutListVersion(*data);
  if (!absl::IsAlreadyExists(s)) return s;
  // Content-addressed: the same content is stored already (imported before,
  // here or on another replica); that version is the result.
  ASSIGN_OR_RETURN(store::ListVersionData existing,
                   store->lists().ReadListVersion(data->info.version()));
  data->info = std::move(existing.info);
  return absl::OkStatus();
}

absl::StatusOr<store::ListVersionData> BuildSeedListVersion(const BootstrapOptions& options,
                                                            absl::Time now) {
  store::ListVersionData data;
  if (!options.lists_dir.empty()) {
    RETURN_IF_ERROR(ImportSeedLists(options.lists_dir, &data.entities, &data.info));
  }
  if (!options.seeds_dir.empty()) {
    const std::string entities_path = options.seeds_dir + "/entities.jsonl";
    if (options.lists_dir.empty() && std::filesystem::exists(entities_path)) {
      ASSIGN_OR_RETURN(std::string content, ReadFileToString(entities_path));
      ASSIGN_OR_RETURN(store::ImportResult parsed,
                       store::ParseListFiles("entities_jsonl", {{"entities.jsonl", content}}));
      if (!parsed.rejected.empty()) {
        const auto& r = parsed.rejected.front();
        return absl::InvalidArgumentError(absl::StrCat(entities_path, ":", r.line, ": ", r.reason,
                                                       " (", parsed.rejected.size(),
                                                       " rejected rows)"));
      }
      data.entities = std::move(parsed.entities);
    }
    RETURN_IF_ERROR(ReadOptionalJsonLines(
        options.seeds_dir + "/ownership.jsonl", [&](absl::string_view json, int) -> absl::Status {
          v1::OwnershipLink link;
          RETURN_IF_ERROR(ParseJson(json, &link));
          if (link.owned_name().empty() || link.percent() <= 0 || link.percent() > 100) {
            return absl::InvalidArgumentError("owned_name is empty or percent is not in (0, 100]");
          }
          data.ownership.push_back(std::move(link));
          return absl::OkStatus();
        }));
    RETURN_IF_ERROR(ReadOptionalJsonLines(
        options.seeds_dir + "/items.jsonl", [&](absl::string_view json, int) -> absl::Status {
          v1::CatalogItem item;
          RETURN_IF_ERROR(ParseJson(json, &item));
          if (item.part_number().empty()) {
            return absl::InvalidArgumentError("part_number is empty");
          }
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
  SetTimestamp(now, data.info.mutable_created_at());
  data.info.add_sources(absl::StrCat("seeds:", options.seeds_dir));
  data.info.set_ownership_count(static_cast<int64_t>(data.ownership.size()));
  data.info.set_item_count(static_cast<int64_t>(data.items.size()));
  data.info.set_created_by("bootstrap");
  return data;
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
  return absl::StrCat(l.owner_entity_id(), "|", l.owner_name(), "|", l.owned_name(), "|",
                      l.owned_country());
}

}  // namespace

absl::StatusOr<ImportOutcome> ListImporter::ImportReferenceData(
    absl::string_view format, const std::vector<store::ImportInput>& files, bool replace,
    bool activate, bool dry_run, const std::string& actor) {
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
  auto current = manager_->Current();
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
      if (it == old.end())
        ++outcome.added;
      else if (it->second != l.percent())
        ++outcome.changed;
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
      if (it == old.end())
        ++outcome.added;
      else if (!google::protobuf::util::MessageDifferencer::Equals(*it->second, i))
        ++outcome.changed;
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
  RETURN_IF_ERROR(StoreAndActivate(current.get(), &next, activate, actor, &outcome));
  return outcome;
}

absl::StatusOr<ImportOutcome> ListImporter::Import(absl::string_view format,
                                                   const std::vector<store::ImportInput>& files,
                                                   bool replace_lists, bool activate, bool dry_run,
                                                   const std::string& actor) {
  if (format == "ownership_jsonl" || format == "items_jsonl") {
    absl::MutexLock lock(&mu_);
    return ImportReferenceData(format, files, replace_lists, activate, dry_run, actor);
  }
  ImportOutcome outcome;
  ASSIGN_OR_RETURN(outcome.parsed, store::ParseListFiles(format, files));
  outcome.records = static_cast<int64_t>(outcome.parsed.entities.size());
  absl::MutexLock lock(&mu_);
  auto current = manager_->Current();
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
  RETURN_IF_ERROR(StoreAndActivate(current.get(), &next, activate, actor, &outcome));
  return outcome;
}

absl::Status ListImporter::StoreAndActivate(const engine::ScreeningSnapshot* base,
                                            store::ListVersionData* next, bool activate,
                                            const std::string& actor, ImportOutcome* outcome) {
  RETURN_IF_ERROR(StoreListVersion(store_, next));
  outcome->info = next->info;
  if (!activate) return absl::OkStatus();
  if (base == nullptr) {
    return absl::FailedPreconditionError(
        "list version stored but no rule set is active to activate it with");
  }
  RETURN_IF_ERROR(manager_->ActivateIf(base->rule_set_version, base->list_version,
                                       base->rule_set_version, next->info.version(), actor));
  outcome->activated = true;
  return absl::OkStatus();
}

}  // namespace exportscreen::serving
