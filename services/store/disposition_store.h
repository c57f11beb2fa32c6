// DispositionStore: the append-only log of analysts' dispositions (false
// positives recorded and revoked), in the meta column family under
// "disposition/<8-byte seq>". Synced appends; thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_DISPOSITION_STORE_H_
#define EXPORTSCREEN_SERVICES_STORE_DISPOSITION_STORE_H_

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

 private:
  const StoreDb* db_;
  absl::Mutex mu_;  // serialises appends (sequence)
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_DISPOSITION_STORE_H_
