// RocksDB implementations of ListVersionStore and RuleSetStore
// (version_store.h). A list version is one WriteBatch: its entities,
// ownership links and items under "<version>\0" keys of their column
// families, then its info record, which makes it visible. Rule sets are
// stored whole under their version. Writes are synced. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_ROCKS_VERSION_STORE_H_
#define EXPORTSCREEN_SERVICES_STORE_ROCKS_VERSION_STORE_H_

#include "services/store/store_db.h"
#include "services/store/version_store.h"

namespace exportscreen::store {

class RocksListVersionStore : public ListVersionStore {
 public:
  explicit RocksListVersionStore(const StoreDb* db) : db_(db) {}
  absl::Status PutListVersion(const ListVersionData& data) override;
  absl::StatusOr<ListVersionData> ReadListVersion(absl::string_view version) const override;
  absl::StatusOr<std::vector<v1::ListVersionInfo>> ListListVersions() const override;

 private:
  const StoreDb* db_;
};

class RocksRuleSetStore : public RuleSetStore {
 public:
  explicit RocksRuleSetStore(const StoreDb* db) : db_(db) {}
  absl::Status PutRuleSet(const v1::StoredRuleSet& rule_set) override;
  absl::StatusOr<v1::StoredRuleSet> GetRuleSet(absl::string_view version) const override;
  absl::StatusOr<std::vector<v1::RuleSetInfo>> ListRuleSets() const override;

 private:
  const StoreDb* db_;
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_ROCKS_VERSION_STORE_H_
