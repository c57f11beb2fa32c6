// Storage of immutable, versioned content: list versions (entities,
// ownership links, catalogue items) and rule sets. Interfaces, so that a
// log-backed implementation (cluster mode) can stand beside the RocksDB one
// (rocks_version_store.h) without touching callers.
//
// Contract shared by the implementations: a version, once stored, never
// changes; a version is visible only when all of its records are; reads of
// one version see one consistent state. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_VERSION_STORE_H_
#define EXPORTSCREEN_SERVICES_STORE_VERSION_STORE_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exportscreen/v1/entities.pb.h"

namespace exportscreen::store {

// The records of one list version.
struct ListVersionData {
  v1::ListVersionInfo info;
  std::vector<v1::ListedEntity> entities;
  std::vector<v1::OwnershipLink> ownership;
  std::vector<v1::CatalogItem> items;
};

class ListVersionStore {
 public:
  virtual ~ListVersionStore() = default;
  // Stores a complete list version at once. INVALID_ARGUMENT if the id is
  // empty or holds NUL; ALREADY_EXISTS if the version exists.
  virtual absl::Status PutListVersion(const ListVersionData& data) = 0;
  // NOT_FOUND if unknown.
  virtual absl::StatusOr<ListVersionData> ReadListVersion(absl::string_view version) const = 0;
  // All list versions, oldest first (by creation time, then id).
  virtual absl::StatusOr<std::vector<v1::ListVersionInfo>> ListListVersions() const = 0;
};

class RuleSetStore {
 public:
  virtual ~RuleSetStore() = default;
  // Content-addressed: storing a version that exists is a no-op.
  // INVALID_ARGUMENT if the version is empty.
  virtual absl::Status PutRuleSet(const v1::StoredRuleSet& rule_set) = 0;
  // NOT_FOUND if unknown.
  virtual absl::StatusOr<v1::StoredRuleSet> GetRuleSet(absl::string_view version) const = 0;
  // All rule sets' infos, oldest first.
  virtual absl::StatusOr<std::vector<v1::RuleSetInfo>> ListRuleSets() const = 0;
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_VERSION_STORE_H_
