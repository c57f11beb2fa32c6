// EntityStore: the RocksDB store of exportscreen, and the only RocksDB user.
//
// One database (store_db.h; column families in key_codec.h) holding one
// store per kind of record, each behind its own class and contract:
//   lists()        ListVersionStore: list versions (entities, ownership,
//                  items), immutable once stored          version_store.h
//   rule_sets()    RuleSetStore: content-addressed rule sets
//   activation()   ActivationStore: the active versions and their history
//   decisions()    DecisionLog: the audit chain of answered decisions
//   dispositions() DispositionStore: analysts' false-positive log
//   admin_log()    AdminLog: who did what
//   locations()    LocationEvidence: chip-location reports
//   alerts()       AlertStore: diversion, re-screening, stale-list alerts
// ListVersionStore, RuleSetStore, DecisionLog and LocationEvidence are
// interfaces (RocksDB implementations rocks_*.h), so that a log-backed
// implementation can be added without touching callers. This class opens
// the database, wires the stores together (a decision's serial index is
// written with the decision) and owns backups (backup.cc).
//
// Thread-safety: every store is thread-safe; the accessors may be called
// from any thread and return references valid for the store's lifetime.
#ifndef EXPORTSCREEN_SERVICES_STORE_ENTITY_STORE_H_
#define EXPORTSCREEN_SERVICES_STORE_ENTITY_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/store/activation_store.h"
#include "services/store/admin_log.h"
#include "services/store/alert_store.h"
#include "services/store/chain_verifier.h"
#include "services/store/decision_log.h"
#include "services/store/disposition_store.h"
#include "services/store/location_evidence.h"
#include "services/store/replica_decisions.h"
#include "services/store/request_index.h"
#include "services/store/version_store.h"

namespace exportscreen::store {

class StoreDb;
class RocksLocationEvidence;

struct StoreOptions {
  // fsync the WAL on every decision append (power-loss durability). Off:
  // durable against process crashes (WAL in the OS page cache).
  bool sync_decisions = false;
  // Cluster mode (issue 17): this replica's id, carried by its decision ids
  // ("<replica>-D<16 hex>"); "" = embedded mode ("D<16 hex>").
  std::string replica_id;
};

class EntityStore {
 public:
  // Opens (creating if missing) the store at `path`. Errors: INTERNAL or
  // UNAVAILABLE with RocksDB's message (e.g. the DB is locked by another
  // process), DATA_LOSS if the chain head does not decode.
  static absl::StatusOr<std::unique_ptr<EntityStore>> Open(const std::string& path,
                                                           StoreOptions options = {});
  // Drains the decision log (every queued append is written and answered).
  ~EntityStore();
  EntityStore(const EntityStore&) = delete;
  EntityStore& operator=(const EntityStore&) = delete;

  // True if the store holds no list version and no rule set.
  absl::StatusOr<bool> IsEmpty() const;

  ListVersionStore& lists() const { return *lists_; }
  RuleSetStore& rule_sets() const { return *rule_sets_; }
  ActivationStore& activation() const { return *activation_; }
  DecisionLog& decisions() const { return *decisions_; }
  DispositionStore& dispositions() const { return *dispositions_; }
  AdminLog& admin_log() const { return *admin_log_; }
  LocationEvidence& locations() const;
  AlertStore& alerts() const { return *alerts_; }
  // Cluster mode: the other replicas' decisions (replica_decisions.h).
  ReplicaDecisionStore& replica_decisions() const { return *replica_decisions_; }
  // StoreOptions::replica_id: this replica's id; "" in embedded mode.
  const std::string& replica_id() const { return replica_id_; }
  // Idempotent Screen: the claims of request ids (request_index.h); the
  // RocksDB one unless replaced (cluster mode: a shared one). Replace
  // before serving.
  RequestIndex& requests() const { return *requests_; }
  void ReplaceRequestIndex(std::unique_ptr<RequestIndex> index) { requests_ = std::move(index); }
  // Cluster mode: replaces the decision log by `wrap(the RocksDB log)`
  // (e.g. one that also publishes every record to a replicated log). Call
  // before any decision is appended.
  absl::Status WrapDecisionLog(const std::function<absl::StatusOr<std::unique_ptr<DecisionLog>>(
                                   std::unique_ptr<DecisionLog>)>& wrap);
  // Cluster mode: replaces the list-version and rule-set stores by what
  // `wrap` makes of the RocksDB ones (e.g. stores that also publish every
  // version to a replicated log and fetch a missing one from it). `wrap`
  // takes them and puts the replacements in their place. Call before
  // anything reads or stores a version.
  absl::Status WrapVersionStores(
      const std::function<absl::Status(std::unique_ptr<ListVersionStore>* lists,
                                       std::unique_ptr<RuleSetStore>* rule_sets)>& wrap) {
    return wrap(&lists_, &rule_sets_);
  }

  // Cluster mode: locations() becomes `wrap(the RocksDB evidence)` (e.g.
  // one that publishes every report to a replicated log and stores what
  // the log delivers); the RocksDB one stays the decisions' serial index
  // and the wrapper's local store. Call before anything reads locations.
  absl::Status WrapLocations(
      const std::function<absl::StatusOr<std::unique_ptr<LocationEvidence>>(LocationEvidence*)>&
          wrap);

  // Operations (issue 15). RocksDB figures that matter to an operator, by
  // Prometheus-style name (summed over the column families): write stalls,
  // pending compaction, SST and memtable sizes.
  std::vector<std::pair<std::string, double>> Stats() const;

  // Online, consistent, incremental backup of the whole store into
  // `backup_dir` (created if missing), as a new directory
  // `checkpoint-<id>` there: a RocksDB checkpoint (live SST files
  // hard-linked when `backup_dir` is on the store's filesystem, copied
  // otherwise; MANIFEST and WAL copied; no flush), complete once its
  // BACKUP_INFO is written. Screening and recording go on meanwhile; the
  // backup is the state at one point. Unchanged SST files are shared
  // between backups. A directory already holding RocksDB BackupEngine
  // backups (earlier versions) gets another BackupEngine backup, copied at
  // `rate_limit_bytes` per second (0 = no limit). Runs at the lowest CPU
  // and I/O priority. Errors: INTERNAL with the cause.
  struct BackupInfo {
    uint32_t backup_id = 0;
    int64_t timestamp = 0;  // unix seconds
    uint64_t size_bytes = 0;
    uint32_t file_count = 0;
    uint64_t decision_count = 0;  // decisions in the chain when it began
    int backups_kept = 0;
  };
  absl::StatusOr<BackupInfo> Backup(const std::string& backup_dir,
                                    uint64_t rate_limit_bytes = 0) const;
  // Offline: restores backup `backup_id` (0 = the latest) of `backup_dir`
  // (either format) into `db_path`, which must not exist or be empty
  // (FAILED_PRECONDITION otherwise: a restore never overwrites a store).
  // The restored store is a copy (it shares no file with the backup) and
  // every block is read against its checksum (DATA_LOSS/INTERNAL if one
  // fails or a file is missing or truncated).
  static absl::StatusOr<BackupInfo> RestoreBackup(const std::string& backup_dir, uint32_t backup_id,
                                                  const std::string& db_path);

 private:
  explicit EntityStore(std::unique_ptr<StoreDb> db);
  absl::StatusOr<BackupInfo> CheckpointBackup(const std::string& backup_dir) const;
  absl::StatusOr<BackupInfo> BackupEngineBackup(const std::string& backup_dir,
                                                uint64_t rate_limit_bytes) const;
  static absl::StatusOr<BackupInfo> RestoreBackupEngine(const std::string& backup_dir,
                                                        uint32_t backup_id,
                                                        const std::string& db_path);

  std::unique_ptr<StoreDb> db_;
  std::unique_ptr<ListVersionStore> lists_;
  std::unique_ptr<RuleSetStore> rule_sets_;
  std::unique_ptr<ActivationStore> activation_;
  std::unique_ptr<DispositionStore> dispositions_;
  std::unique_ptr<AdminLog> admin_log_;
  std::unique_ptr<RocksLocationEvidence> locations_;
  std::unique_ptr<LocationEvidence> shared_locations_;  // cluster mode
  std::unique_ptr<AlertStore> alerts_;
  std::unique_ptr<ReplicaDecisionStore> replica_decisions_;
  std::string replica_id_;
  std::unique_ptr<RequestIndex> requests_;
  // Last: destroyed first, so that its recorder drains while the stores it
  // writes through are alive.
  std::unique_ptr<DecisionLog> decisions_;
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_ENTITY_STORE_H_
