// ScreenMessagePool: the gRPC MessageAllocator of the unary Screen RPC.
// Each call's request and response live inside one pooled
// v1::DecisionRecord: gRPC parses the request straight into
// record.request, the engine answers into record.response, the recorder
// writes that same record, and gRPC serialises record.response as the
// reply. Nothing is copied, and because protobuf's Clear() keeps
// sub-messages and string capacity, a reused record answers the next call
// with almost no allocation (the answer's ~190 messages and ~300 strings
// are rewritten in place; see bench/engine BM_Screen10Items4PartiesReused).
//
// Thread-safety: AllocateMessages and Release may run on any threads.
#ifndef EXPORTSCREEN_SERVICES_API_SCREEN_MESSAGE_POOL_H_
#define EXPORTSCREEN_SERVICES_API_SCREEN_MESSAGE_POOL_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "exportscreen/v1/entities.pb.h"
#include "exportscreen/v1/screening.pb.h"
#include "grpcpp/support/message_allocator.h"

namespace exportscreen::api {

// Empties `record` for the next call while keeping its request and response
// objects and their capacity. False if it must not be reused: its answer had
// more than `max_findings` findings (or its request more items), or it holds
// a field this function does not know how to clear.
bool ClearRecordForReuse(v1::DecisionRecord* record, int max_findings = 1024);

class ScreenMessagePool final
    : public grpc::MessageAllocator<v1::ScreenRequest, v1::ScreenResponse> {
 public:
  // Keeps at most `max_idle` records between calls; a record whose answer
  // grew past `max_reused_findings` findings is freed rather than kept.
  explicit ScreenMessagePool(size_t max_idle = 256, int max_reused_findings = 1024);
  ~ScreenMessagePool() override;

  class Holder final : public grpc::MessageHolder<v1::ScreenRequest, v1::ScreenResponse> {
   public:
    // The record owning request() and response(), lent out for evaluation
    // and recording. It must come back (the same object: the pointers gRPC
    // holds point into it) through Restore before the call finishes.
    std::unique_ptr<v1::DecisionRecord> Lend() { return std::move(record_); }
    // Returns false (and keeps nothing) if `record` is not the lent object.
    bool Restore(std::unique_ptr<v1::DecisionRecord> record);
    void Release() override;

   private:
    friend class ScreenMessagePool;
    Holder(ScreenMessagePool* pool, std::unique_ptr<v1::DecisionRecord> record);
    ScreenMessagePool* const pool_;
    v1::DecisionRecord* const own_;  // the pooled object, lent or not
    std::unique_ptr<v1::DecisionRecord> record_;
  };

  grpc::MessageHolder<v1::ScreenRequest, v1::ScreenResponse>* AllocateMessages() override;

  // Counters (tests, status).
  size_t idle() const;
  size_t created() const;

 private:
  void Return(Holder* holder);

  const size_t max_idle_;
  const int max_reused_findings_;
  mutable absl::Mutex mu_;
  std::vector<Holder*> idle_ ABSL_GUARDED_BY(mu_);
  size_t created_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_SCREEN_MESSAGE_POOL_H_
