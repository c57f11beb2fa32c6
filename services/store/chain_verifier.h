// Verification of the decision chain (decision_log.h): every record's hash
// recomputed over its stored bytes, the links (sequence contiguity,
// prev_hash = the previous record's hash), the published checkpoints, the
// envelope boundary and the tail. Names the first broken link.
//
// Scales to any size: it streams the log once without parsing records,
// reports progress as it goes, records how far it found the chain intact
// (the verified mark), and can resume from that mark.
#ifndef EXPORTSCREEN_SERVICES_STORE_CHAIN_VERIFIER_H_
#define EXPORTSCREEN_SERVICES_STORE_CHAIN_VERIFIER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/store/decision_log.h"

namespace exportscreen::store {

// Result of checking the decision chain.
struct ChainVerification {
  bool ok = true;
  uint64_t records_checked = 0;
  // The first broken link: its sequence and why (modified, missing,
  // reordered ...). 0 if ok.
  uint64_t first_broken_sequence = 0;
  std::string problem;
  std::string head_hash;
  // Where this verification started (1, after the retention anchor, or
  // after the verified mark when resuming) and ended.
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  bool resumed = false;
};

struct VerifyOptions {
  // Start after the verified mark of an earlier verification (if it still
  // matches the stored record at its sequence) instead of the beginning.
  bool resume = false;
  // Every `progress_every` records: `progress` is called and the verified
  // mark moves to the last record checked (0: neither).
  uint64_t progress_every = 0;
  std::function<void(const ChainVerification& so_far)> progress;
  // Set (from another thread) to stop early: the result so far is
  // returned with CANCELLED.
  const std::atomic<bool>* cancelled = nullptr;
  absl::Time (*now)() = &absl::Now;
};

absl::StatusOr<ChainVerification> VerifyDecisionChain(DecisionLog& log,
                                                      const VerifyOptions& options = {});

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_CHAIN_VERIFIER_H_
