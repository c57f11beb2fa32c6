// DispositionStore: the append-only log of analysts' dispositions (false
// positives recorded and revoked), in the meta column family under
// "disposition/<8-byte seq>". Synced appends; thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_DISPOSITION_STORE_H_
#define EXPORTSCREEN_SERVICES_STORE_DISPOSITION_STORE_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "exportscreen/v1/dispositions.pb.h"

namespace exportscreen::store {

class StoreDb;

class DispositionStore {
 public:
  explicit DispositionStore(const StoreDb* db) : db_(db) {}
  // Assigns the next sequence and id ("DP" + 16 hex digits) and stores it.
  absl::Status AppendDisposition(v1::Disposition* disposition);
  // The whole log, oldest first.
  absl::StatusOr<std::vector<v1::Disposition>> ListDispositions() const;

  // Cluster mode (issue 17): appends go through `publish` (the replicated
  // log), which returns the record's log sequence once ApplyDisposition
  // stored it here; AppendDisposition then returns it as stored (sequence
  // and id the log's). Set before any append.
  using Publish = std::function<absl::StatusOr<uint64_t>(const v1::Disposition&)>;
  void set_publish(Publish publish) { publish_ = std::move(publish); }
  // Cluster mode: stores `disposition` as log sequence `sequence` (id "DP"
  // + 16 hex of it), synced. ALREADY_EXISTS if stored before (idempotent).
  absl::Status ApplyDisposition(v1::Disposition disposition, uint64_t sequence);
  // The highest sequence stored (0: none): the log position applied.
  absl::StatusOr<uint64_t> LastSequence() const;

 private:
  const StoreDb* db_;
  Publish publish_;
  absl::Mutex mu_;  // serialises appends (sequence)
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_DISPOSITION_STORE_H_
