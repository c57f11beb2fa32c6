// Idempotent Screen (issue 17): a repeated request_id from the same caller
// within the window is answered with the decision recorded for it (same
// decision id, same answer bytes), on any replica, instead of a new one.
//
// Protocol over store::RequestIndex (the claims; a JetStream KV bucket in
// cluster mode, RocksDB in embedded mode):
//  1. key = sha256(scope \0 request_id), body = sha256(the request's bytes
//     as received). Create the claim {body, owner, now, no decision}: the
//     one call that creates it records; nobody else can.
//  2. The claim exists: another body -> FAILED_PRECONDITION naming
//     request_id. A decision id -> that decision (GetDecision; UNAVAILABLE
//     while it is not readable or not yet durable here). Pending -> wait
//     up to `wait` for its id; then look for the record in the owner's
//     chain (this replica's own, or the owner's as consumed from the log).
//     Found: answer it (and write its id into the claim). Not found: if the
//     owner is this replica and the claiming call is no longer in flight
//     here (an earlier process, or a call that failed before its record
//     was written), take the claim over (compare-and-set) and record;
//     otherwise UNAVAILABLE (retryable): never a second record, never an
//     answer without one.
//  3. After recording, the decision id is written into the claim; a call
//     rejected before anything was recorded releases its claim.
//  A claim older than the window is overwritten (compare-and-set).
// Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_API_IDEMPOTENCY_H_
#define EXPORTSCREEN_SERVICES_API_IDEMPOTENCY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "exportscreen/v1/entities.pb.h"
#include "exportscreen/v1/screening.pb.h"
#include "services/common/clock.h"
#include "services/store/entity_store.h"

namespace exportscreen::api {

struct IdempotencyOptions {
  absl::Duration window = absl::Minutes(10);  // zero: off
  absl::Duration wait = absl::Seconds(2);     // for a pending claim
  std::string replica = "local";              // the owner's replica id
};

// sha256 of the request's deterministic serialisation (map fields sorted).
std::string RequestBodyDigest(const v1::ScreenRequest& request);

class Idempotency {
 public:
  // REQUIRES: store and clock outlive this.
  Idempotency(store::EntityStore* store, Clock* clock, IdempotencyOptions options);

  struct Ticket {
    std::string key;
    store::RequestClaim claim;
    uint64_t revision = 0;
  };
  struct Outcome {
    std::optional<Ticket> ticket;                // record a new decision
    std::optional<v1::DecisionRecord> recorded;  // answer this one
  };
  // `request` as received (before normalisation); `scope` the caller's
  // identity for request ids, `caller` the name recorded in decisions.
  absl::StatusOr<Outcome> Begin(const std::string& scope, const std::string& caller,
                                const v1::ScreenRequest& request);
  // The ticket's call ended: `record` (may be null) as the log returned it.
  void Finish(const Ticket& ticket, const absl::Status& status, const v1::DecisionRecord* record);

 private:
  absl::StatusOr<Outcome> Resolve(const Ticket& mine, store::RequestIndex::Entry entry,
                                  const std::string& caller, const std::string& request_id);
  // Decision `id`, if readable and durable here and the record of this very
  // request (id, caller and content digest).
  absl::StatusOr<Outcome> Recorded(const std::string& id, const std::string& caller,
                                   const std::string& request_id, const std::string& body_digest);
  // The owner's record of this request (caller, request_id, content digest)
  // claimed at `claimed_ms`; UNAVAILABLE if the search could not reach it.
  absl::StatusOr<std::optional<v1::DecisionRecord>> FindInChain(const std::string& owner,
                                                                int64_t claimed_ms,
                                                                const std::string& caller,
                                                                const std::string& request_id,
                                                                const std::string& body_digest);
  absl::StatusOr<Outcome> TakeOver(const Ticket& mine, uint64_t revision);
  bool Expired(const store::RequestClaim& claim) const;
  std::string OwnerReplica(const std::string& owner) const;

  store::EntityStore* const store_;
  Clock* const clock_;
  const IdempotencyOptions options_;
  const std::string owner_;  // "<replica>/<incarnation>"
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> in_flight_ ABSL_GUARDED_BY(mu_);
};

// The caller's identity for request ids: the principal; in open mode
// (every caller "anonymous") the peer's host ("ipv4:127.0.0.1:5555" ->
// "anonymous@127.0.0.1"), the port left out (a retry comes on a new
// connection).
std::string IdempotencyScope(const std::string& caller, bool open_mode, const std::string& peer);

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_IDEMPOTENCY_H_
