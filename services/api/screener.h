// Screener: the transport-free screening path shared by the unary and the
// streaming RPC: validate -> evaluate on one pinned view (snapshot + evidence) -> check the
// answer -> record the decision (audit chain) -> answer. No gRPC here.
//
// Fail closed: an answer that cannot be recorded, or that comes back without
// a decision or with other versions than the snapshot's, is an error, never
// CLEAR. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_API_SCREENER_H_
#define EXPORTSCREEN_SERVICES_API_SCREENER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "exportscreen/v1/entities.pb.h"
#include "exportscreen/v1/screening.pb.h"
#include "services/common/clock.h"
#include "services/api/idempotency.h"
#include "services/engine/snapshot.h"
#include "services/store/entity_store.h"

namespace exportscreen::api {

class Screener {
 public:
  // REQUIRES: store (may be null: recording off) and clock outlive this.
  Screener(store::EntityStore* store, Clock* clock) : store_(store), clock_(clock) {}

  // Screens `request` (validated here) under `view` (pinned by the caller:
  // SnapshotManager::Pin). Errors: INVALID_ARGUMENT (field named), INTERNAL,
  // or the store's error.
  // Blocks until the decision is recorded.
  absl::StatusOr<v1::ScreenResponse> Screen(const engine::ScreeningView& view,
                                            v1::ScreenRequest request,
                                            const std::string& caller) const;

  // As Screen, without blocking and in place (the RPCs' path, with pooled
  // records): `record->request()` is the request (normalised and validated
  // here), evaluated on the calling thread (`view` need only live until
  // this returns); the answer is written into `record->mutable_response()`,
  // reusing whatever storage a previous answer left there. `done` gets the
  // record back with the status: OK once the decision is durable (on the
  // store's recorder thread; at once with recording off); otherwise the
  // error, and the response must not be sent.
  // If `response_bytes` is not null, on OK it holds the serialised response:
  // with recording, the very bytes inside the recorded (hash-chained)
  // record, to be sent as they are (the answer is serialised once).
  using RecordDone = std::function<void(absl::Status, std::unique_ptr<v1::DecisionRecord>)>;
  // With idempotency on (set_idempotency) and a request_id, `scope` (the
  // caller's identity for request ids, IdempotencyScope; "" = `caller`)
  // and the request_id select the claim (idempotency.h): a repeated call
  // gets the recorded decision (its record and response bytes) instead of
  // a new one, or an error (FAILED_PRECONDITION naming request_id for
  // another body, UNAVAILABLE while the first is still being recorded).
  void ScreenRecord(const engine::ScreeningView& view, std::unique_ptr<v1::DecisionRecord> record,
                    const std::string& caller, RecordDone done,
                    std::string* response_bytes = nullptr, const std::string& scope = "") const;

  // Idempotent Screen (issue 17); only with recording. Set before serving.
  void set_idempotency(std::unique_ptr<Idempotency> idempotency) {
    idempotency_ = std::move(idempotency);
  }

  // Called with every decision once it is durable, on the recorder thread,
  // before `done` (continuous screening uses it to re-screen a decision that
  // was evaluated on a snapshot an activation superseded while it was in
  // flight). Set before serving; must be cheap and must not block.
  using OnRecorded = std::function<void(const v1::DecisionRecord&)>;
  void set_on_recorded(OnRecorded fn) { on_recorded_ = std::move(fn); }

 private:
  absl::Status EvaluateInto(const engine::ScreeningView& view, v1::ScreenRequest* request,
                            v1::ScreenResponse* response, bool validated = false) const;
  // Claims the request id; true if the call is done (answered from the
  // claim or refused), else `done` is wrapped to finish the claim.
  bool ClaimRequestId(const engine::ScreeningView& view,
                      std::unique_ptr<v1::DecisionRecord>* record, const std::string& caller,
                      const std::string& scope, RecordDone* done,
                      std::string* response_bytes) const;

  store::EntityStore* const store_;
  Clock* const clock_;
  OnRecorded on_recorded_;
  std::unique_ptr<Idempotency> idempotency_;
};

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_SCREENER_H_
