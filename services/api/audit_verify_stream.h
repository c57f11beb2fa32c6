// The server side of AdminService.StreamVerifyAuditChain: a write reactor
// that verifies the decision chain on a thread of its own (a verification
// of millions of records must not hold an admin-pool worker or a gRPC
// thread) and streams its progress, then the result. At most
// kMaxVerifyStreams run at once (RESOURCE_EXHAUSTED beyond). A client that
// goes away cancels the verification; the mark stays at the last report,
// so `resume` continues from there.
#ifndef EXPORTSCREEN_SERVICES_API_AUDIT_VERIFY_STREAM_H_
#define EXPORTSCREEN_SERVICES_API_AUDIT_VERIFY_STREAM_H_

#include <atomic>
#include <deque>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "exportscreen/v1/service.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/api/observability.h"
#include "services/store/entity_store.h"

namespace exportscreen::api {

inline constexpr int kMaxVerifyStreams = 2;

class VerifyStreamReactor final : public grpc::ServerWriteReactor<v1::VerifyAuditChainProgress> {
 public:
  // Starts the verification of `store`'s chain (REQUIRES: `store` outlives
  // the call). `context`'s caller must already be authorised.
  VerifyStreamReactor(const store::EntityStore* store, const v1::VerifyAuditChainRequest& request,
                      const Observability* obs, grpc::CallbackServerContext* context);
  CallObserver* observer() { return &observer_; }
  // Exactly one of the two, once.
  void Start();
  void Reject(grpc::Status status);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void Run();
  // Queues a message (and the final status, if `last`).
  void Push(v1::VerifyAuditChainProgress message, bool last, grpc::Status status);
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const store::EntityStore* const store_ = nullptr;
  const v1::VerifyAuditChainRequest request_;
  CallObserver observer_;
  std::atomic<bool> cancelled_{false};
  std::thread worker_;
  bool counted_ = false;  // holds one of kMaxVerifyStreams

  absl::Mutex mu_;
  std::deque<v1::VerifyAuditChainProgress> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_AUDIT_VERIFY_STREAM_H_
