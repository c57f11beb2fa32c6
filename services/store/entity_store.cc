#include "services/store/entity_store.h"

#include <cstdlib>
#include <map>

#include "services/common/status_macros.h"
#include "services/store/key_codec.h"
#include "services/store/rocks_decision_log.h"
#include "services/store/rocks_location_evidence.h"
#include "services/store/rocks_version_store.h"
#include "services/store/store_db.h"

namespace exportscreen::store {

absl::StatusOr<std::unique_ptr<EntityStore>> EntityStore::Open(const std::string& path,
                                                               StoreOptions options) {
  ASSIGN_OR_RETURN(std::unique_ptr<StoreDb> db, StoreDb::Open(path));
  std::unique_ptr<EntityStore> store(new EntityStore(std::move(db)));
  const StoreDb* d = store->db_.get();
  store->lists_ = std::make_unique<RocksListVersionStore>(d);
  store->rule_sets_ = std::make_unique<RocksRuleSetStore>(d);
  store->activation_ = std::make_unique<ActivationStore>(d);
  store->dispositions_ = std::make_unique<DispositionStore>(d);
  store->admin_log_ = std::make_unique<AdminLog>(d);
  store->locations_ = std::make_unique<RocksLocationEvidence>(d);
  store->alerts_ = std::make_unique<AlertStore>(d);
  ASSIGN_OR_RETURN(store->decisions_,
                   RocksDecisionLog::Open(d, options.sync_decisions, store->locations_.get(),
                                          options.replica_id));
  store->replica_decisions_ = std::make_unique<ReplicaDecisionStore>(d);
  store->replica_id_ = options.replica_id;
  store->requests_ = std::make_unique<RocksRequestIndex>(d);
  return store;
}

absl::Status EntityStore::WrapDecisionLog(
    const std::function<absl::StatusOr<std::unique_ptr<DecisionLog>>(std::unique_ptr<DecisionLog>)>&
        wrap) {
  ASSIGN_OR_RETURN(decisions_, wrap(std::move(decisions_)));
  return absl::OkStatus();
}

EntityStore::EntityStore(std::unique_ptr<StoreDb> db) : db_(std::move(db)) {}

EntityStore::~EntityStore() {
  decisions_.reset();  // drains the recorder before the database closes
}

LocationEvidence& EntityStore::locations() const {
  if (shared_locations_ != nullptr) return *shared_locations_;
  return *locations_;
}

absl::Status EntityStore::WrapLocations(
    const std::function<absl::StatusOr<std::unique_ptr<LocationEvidence>>(LocationEvidence*)>&
        wrap) {
  auto wrapped = wrap(locations_.get());
  if (!wrapped.ok()) return wrapped.status();
  shared_locations_ = *std::move(wrapped);
  return absl::OkStatus();
}

absl::StatusOr<bool> EntityStore::IsEmpty() const {
  for (const char* name : {kCfListVersions, kCfRuleSets}) {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(name)));
    it->SeekToFirst();
    RETURN_IF_ERROR(FromRocks(it->status(), "scan"));
    if (it->Valid()) return false;
  }
  return true;
}

std::vector<std::pair<std::string, double>> EntityStore::Stats() const {
  // (metric name, RocksDB property); integer properties summed over the
  // column families.
  static const std::pair<const char*, const char*> kProps[] = {
      {"es_rocksdb_write_stopped", "rocksdb.is-write-stopped"},
      {"es_rocksdb_delayed_write_rate_bytes", "rocksdb.actual-delayed-write-rate"},
      {"es_rocksdb_compaction_pending", "rocksdb.compaction-pending"},
      {"es_rocksdb_pending_compaction_bytes", "rocksdb.estimate-pending-compaction-bytes"},
      {"es_rocksdb_running_compactions", "rocksdb.num-running-compactions"},
      {"es_rocksdb_running_flushes", "rocksdb.num-running-flushes"},
      {"es_rocksdb_sst_bytes", "rocksdb.total-sst-files-size"},
      {"es_rocksdb_live_sst_bytes", "rocksdb.live-sst-files-size"},
      {"es_rocksdb_memtable_bytes", "rocksdb.cur-size-all-mem-tables"},
      {"es_rocksdb_immutable_memtables", "rocksdb.num-immutable-mem-table"},
  };
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [metric, property] : kProps) {
    uint64_t sum = 0;
    for (rocksdb::ColumnFamilyHandle* h : db_->handles()) {
      uint64_t v = 0;
      if (db_->db()->GetIntProperty(h, property, &v)) sum += v;
    }
    out.emplace_back(metric, static_cast<double>(sum));
  }
  // Write stalls so far (slowdowns and stops), from the column families'
  // statistics maps.
  double slowdowns = 0, stops = 0;
  for (rocksdb::ColumnFamilyHandle* h : db_->handles()) {
    std::map<std::string, std::string> cfstats;
    if (!db_->db()->GetMapProperty(h, "rocksdb.cfstats", &cfstats)) continue;
    if (auto it = cfstats.find("io_stalls.total_slowdown"); it != cfstats.end()) {
      slowdowns += std::strtod(it->second.c_str(), nullptr);
    }
    if (auto it = cfstats.find("io_stalls.total_stop"); it != cfstats.end()) {
      stops += std::strtod(it->second.c_str(), nullptr);
    }
  }
  out.emplace_back("es_rocksdb_write_slowdowns", slowdowns);
  out.emplace_back("es_rocksdb_write_stops", stops);
  return out;
}

}  // namespace exportscreen::store
