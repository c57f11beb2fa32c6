// EntityStore: the RocksDB store of exportscreen, and the only RocksDB user.
//
// Column families (see key_codec.h): entities, ownership, items (all keyed by
// list version, so every version stays reconstructible), list_versions,
// rule_sets, meta (active versions), decisions (the audit chain).
// Values are serialised protobuf messages. Every multi-record change is one
// WriteBatch (all or nothing); multi-record reads go through one RocksDB
// snapshot so they see one consistent state.
//
// Thread-safety: all methods are thread-safe. Decision appends are
// serialised internally (they extend a hash chain).
#ifndef EXPORTSCREEN_SERVICES_STORE_ENTITY_STORE_H_
#define EXPORTSCREEN_SERVICES_STORE_ENTITY_STORE_H_

#include <cstdint>
#include <deque>
#include <thread>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "exportscreen/v1/auth.pb.h"
#include "exportscreen/v1/dispositions.pb.h"
#include "exportscreen/v1/entities.pb.h"
#include "exportscreen/v1/location.pb.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace exportscreen::store {

// What PutLocationReports did with one report.
enum class LocationPut {
  kStored,     // new: stored as evidence
  kDuplicate,  // same report_id, same content: nothing written (idempotent)
  kConflict,   // same report_id, different content: rejected (replay)
  kReplay,     // another report_id with the same (verifier, serial,
               // observed_at): rejected (replay)
};

// The records of one list version.
struct ListVersionData {
  v1::ListVersionInfo info;
  std::vector<v1::ListedEntity> entities;
  std::vector<v1::OwnershipLink> ownership;
  std::vector<v1::CatalogItem> items;
};

struct StoreOptions {
  // fsync the WAL on every decision append (power-loss durability). Off:
  // durable against process crashes (WAL in the OS page cache).
  bool sync_decisions = false;
};

class EntityStore {
 public:
  // Opens (creating if missing) the store at `path`. Errors: INTERNAL or
  // UNAVAILABLE with RocksDB's message (e.g. the DB is locked by another
  // process).
  static absl::StatusOr<std::unique_ptr<EntityStore>> Open(
      const std::string& path, StoreOptions options = {});
  ~EntityStore();
  EntityStore(const EntityStore&) = delete;
  EntityStore& operator=(const EntityStore&) = delete;

  // True if the store holds no list version and no rule set.
  absl::StatusOr<bool> IsEmpty() const;

  // --- List versions -----------------------------------------------------
  // Writes a complete list version in one WriteBatch. Errors:
  // ALREADY_EXISTS if the version exists (versions are immutable).
  absl::Status PutListVersion(const ListVersionData& data);
  // Reads a list version through one snapshot. NOT_FOUND if unknown.
  absl::StatusOr<ListVersionData> ReadListVersion(
      absl::string_view version) const;
  // All list versions, oldest first.
  absl::StatusOr<std::vector<v1::ListVersionInfo>> ListListVersions() const;

  // --- Rule sets -----------------------------------------------------------
  // Stores a rule set (content-addressed versions: storing the same version
  // twice is a no-op).
  absl::Status PutRuleSet(const v1::StoredRuleSet& rule_set);
  absl::StatusOr<v1::StoredRuleSet> GetRuleSet(absl::string_view version) const;
  absl::StatusOr<std::vector<v1::RuleSetInfo>> ListRuleSets() const;

  // --- Active versions -----------------------------------------------------
  absl::StatusOr<std::optional<v1::ActiveVersions>> GetActive() const;
  // Records `active` as the active versions and appends it to the
  // activation history, in one WriteBatch.
  absl::Status SetActive(const v1::ActiveVersions& active);
  // Activation history, oldest first.
  absl::StatusOr<std::vector<v1::ActiveVersions>> ActivationHistory() const;

  // --- Dispositions (append-only log) --------------------------------------
  // Assigns the next sequence and id ("DP" + 16 hex) and stores, synced.
  absl::Status AppendDisposition(v1::Disposition* disposition);
  // The whole log, oldest first.
  absl::StatusOr<std::vector<v1::Disposition>> ListDispositions() const;

  // --- Admin action log ---------------------------------------------------
  // Appends an action (sequence assigned here), synced.
  absl::Status AppendAdminAction(v1::AdminAction* action);
  // The newest `limit` actions, newest first.
  absl::StatusOr<std::vector<v1::AdminAction>> ListAdminActions(int limit) const;

  // --- Decisions (audit chain) --------------------------------------------
  // Assigns the next sequence and decision id, chains the record to the
  // previous one (prev_hash, hash) and writes it. Fills those fields in
  // `record` and returns the decision id.
  absl::StatusOr<std::string> AppendDecision(v1::DecisionRecord* record);
  // Asynchronous append (group commit): the store's recorder thread chains
  // and writes everything queued in one WriteBatch per round, then runs
  // each `done` (on that thread) with the status and the record (decision
  // id and hashes filled). Answer from `done`, never before, so an answered
  // decision is always in the WAL. `done` must not block.
  using DecisionDone =
      std::function<void(absl::Status, std::unique_ptr<v1::DecisionRecord>)>;
  void AppendDecisionAsync(std::unique_ptr<v1::DecisionRecord> record,
                           DecisionDone done);
  // NOT_FOUND if unknown, INVALID_ARGUMENT if the id is malformed.
  absl::StatusOr<v1::DecisionRecord> GetDecision(absl::string_view id) const;
  int64_t decision_count() const;
  // Visits stored decisions in sequence order, from `from_sequence` (1 =
  // first) onwards, newest first if `reverse` (then from_sequence = 0 means
  // the newest). Stops when fn returns false. Reads through one snapshot.
  absl::Status ScanDecisions(
      uint64_t from_sequence, bool reverse,
      const std::function<bool(const v1::DecisionRecord&)>& fn) const;
  // Retention: deletes decisions recorded before `cutoff` (oldest first, in
  // one WriteBatch with the new chain anchor = the last deleted record's
  // sequence and hash, so verification of the rest still holds). Returns
  // how many were deleted. The newest record is never deleted.
  absl::StatusOr<int64_t> ExpireDecisionsBefore(absl::Time cutoff);
  absl::StatusOr<std::optional<v1::ChainCheckpoint>> GetChainAnchor() const;
  // Records a checkpoint of the current chain head (no-op if empty) and
  // returns it.
  absl::StatusOr<std::optional<v1::ChainCheckpoint>> Checkpoint(absl::Time now);
  absl::StatusOr<std::vector<v1::ChainCheckpoint>> ListCheckpoints() const;

  // --- Location verification (issue 8) ------------------------------------
  // Column families location_reports, location_latest, location_replay,
  // serial_decisions and alerts (key_codec.h). Reports reaching the store
  // have been verified (signature, verifier, time) by the caller; the store
  // enforces identity: idempotent on report_id, no second report for the
  // same (verifier, serial, observed_at).
  //
  // Stores `reports` in one WriteBatch (with their replay keys and the
  // latest-per-serial records). Writes `outcome[i]` for reports[i] (also
  // for duplicates inside the batch: the first one wins). `latest` receives
  // the reports that became the latest of their serial in this batch.
  // Thread-safe (serialised internally).
  // Each call that changes some serial's latest report is one step of the
  // location sequence; the new latest reports are also kept by sequence
  // (LocationAt). `sequence` (optional) receives the sequence after the
  // call.
  absl::Status PutLocationReports(const std::vector<v1::LocationReport>& reports,
                                  std::vector<LocationPut>* outcome,
                                  std::vector<v1::LocationReport>* latest,
                                  uint64_t* sequence = nullptr);
  // The current location sequence (0: no report yet).
  absl::StatusOr<uint64_t> LocationSequence();
  // The latest report of `serial` as of location sequence `sequence` (what
  // a decision that saw that sequence saw), or nullopt.
  absl::StatusOr<std::optional<v1::LocationReport>> LocationAt(
      absl::string_view serial, uint64_t sequence) const;
  absl::StatusOr<std::optional<v1::LocationReport>> GetLocationReport(
      absl::string_view report_id) const;
  // The latest report of a serial, or nullopt.
  absl::StatusOr<std::optional<v1::LocationReport>> LatestLocation(
      absl::string_view serial) const;
  // Visits the latest report of every serial (one snapshot, serial order).
  absl::Status ScanLatestLocations(
      const std::function<void(const v1::LocationReport&)>& fn) const;
  // Screened shipments that contained `serial`, oldest first. Filled when
  // decisions are appended (same WriteBatch as the decision).
  absl::StatusOr<std::vector<v1::SerialDecisionRef>> DecisionsForSerial(
      absl::string_view serial) const;
  // Appends the alerts that are new: an alert whose (decision_id,
  // serial_number) already has one is dropped. Assigns sequence, alert_id.
  // `appended` receives the stored alerts. One WriteBatch.
  absl::Status AppendAlerts(std::vector<v1::Alert> alerts,
                            std::vector<v1::Alert>* appended);
  // Newest first, at most `limit`.
  absl::StatusOr<std::vector<v1::Alert>> ListAlerts(
      int limit, bool unacknowledged_only) const;

  // Test seam for tamper-evidence tests: raw access to a decision's stored
  // bytes. Never used by the service.
  // Operations (issue 15). RocksDB figures that matter to an operator, by
  // Prometheus-style name (summed over the column families):
  // write stalls, pending compaction, SST and memtable sizes.
  std::vector<std::pair<std::string, double>> Stats() const;

  // Online, consistent, incremental backup of the whole store into
  // `backup_dir` (a RocksDB BackupEngine directory, created if missing;
  // files already there from earlier backups are shared). Screening and
  // recording go on meanwhile; the backup is the state at one point (live
  // SST files plus the WAL). Errors: the engine's, as INTERNAL/UNAVAILABLE.
  struct BackupInfo {
    uint32_t backup_id = 0;
    int64_t timestamp = 0;  // unix seconds
    uint64_t size_bytes = 0;
    uint32_t file_count = 0;
    uint64_t decision_count = 0;  // decisions in the chain when it began
    int backups_kept = 0;
  };
  // `rate_limit_bytes` (0 = none) caps the copy rate, trading backup time
  // for less I/O and checksum CPU taken from screening. The copy runs at the
  // lowest CPU and I/O priority.
  absl::StatusOr<BackupInfo> Backup(const std::string& backup_dir,
                                    uint64_t rate_limit_bytes = 0) const;
  // Offline: restores backup `backup_id` (0 = the latest) of `backup_dir`
  // into `db_path`, which must not exist or be empty (FAILED_PRECONDITION
  // otherwise: a restore never overwrites a store). Checksums are verified.
  static absl::StatusOr<BackupInfo> RestoreBackup(const std::string& backup_dir,
                                                  uint32_t backup_id,
                                                  const std::string& db_path);

  absl::Status RawPutDecisionForTest(uint64_t sequence, const std::string& bytes);
  absl::Status RawDeleteDecisionForTest(uint64_t sequence);

 private:
  EntityStore(std::unique_ptr<rocksdb::DB> db,
              std::vector<rocksdb::ColumnFamilyHandle*> handles,
              StoreOptions options);
  rocksdb::ColumnFamilyHandle* cf(absl::string_view name) const;
  absl::StatusOr<BackupInfo> BackupOnThisThread(const std::string& backup_dir,
                                                uint64_t rate_limit_bytes) const;
  absl::Status LoadChainHead();
  struct PendingDecision {
    std::unique_ptr<v1::DecisionRecord> record;
    std::function<void(absl::Status, std::unique_ptr<v1::DecisionRecord>)> done;
  };
  absl::Status WriteDecisionGroup(const std::vector<v1::DecisionRecord*>& group);
  void RecorderLoop();
  bool RecorderReady() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
    return stopping_ || !queue_.empty();
  }
  // Location section: adds the serial -> decision index entries of `record`
  // to `batch` (called by WriteDecisionGroup).
  absl::Status IndexDecisionSerials(const v1::DecisionRecord& record,
                                    rocksdb::WriteBatch* batch);
  absl::StatusOr<uint64_t> LocationSequenceLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(location_mu_);
  absl::Mutex location_mu_;
  uint64_t location_seq_ ABSL_GUARDED_BY(location_mu_) = 0;
  bool location_seq_loaded_ ABSL_GUARDED_BY(location_mu_) = false;
  absl::Mutex alerts_mu_;
  uint64_t next_alert_ ABSL_GUARDED_BY(alerts_mu_) = 0;  // 0: not loaded

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::string> handle_names_;
  const StoreOptions options_;

  absl::Mutex history_mu_;
  absl::Mutex queue_mu_;
  std::deque<PendingDecision> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread recorder_;
  mutable absl::Mutex chain_mu_;
  uint64_t next_sequence_ ABSL_GUARDED_BY(chain_mu_) = 1;
  std::string chain_head_hash_ ABSL_GUARDED_BY(chain_mu_);
};

// Result of checking the decision chain.
struct ChainVerification {
  bool ok = true;
  uint64_t records_checked = 0;
  // The first broken link: its sequence and why (modified, missing,
  // reordered ...). 0 if ok.
  uint64_t first_broken_sequence = 0;
  std::string problem;
  std::string head_hash;
};

// Recomputes every record's hash and checks the links (sequence contiguity,
// prev_hash = previous hash). Names the first broken link.
absl::StatusOr<ChainVerification> VerifyDecisionChain(const EntityStore& store);

// Hash of a decision record as chained: SHA-256 over the record serialised
// with its `hash` field cleared (prev_hash included). Deterministic
// serialisation.
std::string DecisionRecordHash(const v1::DecisionRecord& record);

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_ENTITY_STORE_H_
