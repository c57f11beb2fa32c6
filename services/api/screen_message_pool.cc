#include "services/api/screen_message_pool.h"

#include <utility>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"

namespace exportscreen::api {

ScreenMessagePool::Holder::Holder(ScreenMessagePool* pool,
                                  std::unique_ptr<v1::DecisionRecord> record)
    : pool_(pool), own_(record.get()), record_(std::move(record)) {
  set_request(own_->mutable_request());
  set_response(own_->mutable_response());
}

bool ScreenMessagePool::Holder::Restore(std::unique_ptr<v1::DecisionRecord> record) {
  if (record.get() != own_ || record_ != nullptr) {
    // Not ours: never adopt it (gRPC's pointers would dangle), and leave
    // the holder unusable so Release frees rather than reuses it.
    record.reset();
    return false;
  }
  record_ = std::move(record);
  return true;
}

void ScreenMessagePool::Holder::Release() { pool_->Return(this); }

ScreenMessagePool::ScreenMessagePool(size_t max_idle, int max_reused_findings)
    : max_idle_(max_idle), max_reused_findings_(max_reused_findings) {}

ScreenMessagePool::~ScreenMessagePool() {
  absl::MutexLock lock(&mu_);
  for (Holder* h : idle_) delete h;
  idle_.clear();
}

grpc::MessageHolder<v1::ScreenRequest, v1::ScreenResponse>* ScreenMessagePool::AllocateMessages() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      Holder* h = idle_.back();
      idle_.pop_back();
      return h;
    }
    ++created_;
  }
  return new Holder(this, std::make_unique<v1::DecisionRecord>());
}

bool ClearRecordForReuse(v1::DecisionRecord* record, int max_findings) {
  v1::DecisionRecord& r = *record;
  if (r.response().findings_size() > max_findings || r.request().items_size() > max_findings) {
    return false;
  }
  // Clear field by field: DecisionRecord::Clear() would delete the request
  // and response sub-messages, which gRPC's pointers may name. Their own
  // Clear() keeps their sub-messages and string capacity for the next call.
  r.mutable_request()->Clear();
  r.mutable_response()->Clear();
  r.clear_decision_id();
  r.clear_recorded_at();
  r.clear_caller();
  r.clear_sequence();
  r.clear_prev_hash();
  r.clear_hash();
  // Only the (now empty) request and response may remain: a field added to
  // DecisionRecord later and not cleared above must never carry into the
  // next call, so such a record is not reused.
  std::vector<const google::protobuf::FieldDescriptor*> present;
  r.GetReflection()->ListFields(r, &present);
  for (const auto* field : present) {
    if (field->number() != v1::DecisionRecord::kRequestFieldNumber &&
        field->number() != v1::DecisionRecord::kResponseFieldNumber) {
      return false;
    }
  }
  return r.GetReflection()->GetUnknownFields(r).empty() && r.request().ByteSizeLong() == 0 &&
         r.response().ByteSizeLong() == 0;
}

void ScreenMessagePool::Return(Holder* holder) {
  // A record still lent out (the call ended while the recorder held it)
  // is not ours to touch: the holder is freed, the record's owner frees it.
  if (holder->record_ == nullptr ||
      !ClearRecordForReuse(holder->record_.get(), max_reused_findings_)) {
    delete holder;
    return;
  }
  absl::MutexLock lock(&mu_);
  if (idle_.size() >= max_idle_) {
    delete holder;
    return;
  }
  idle_.push_back(holder);
}

size_t ScreenMessagePool::idle() const {
  absl::MutexLock lock(&mu_);
  return idle_.size();
}

size_t ScreenMessagePool::created() const {
  absl::MutexLock lock(&mu_);
  return created_;
}

}  // namespace exportscreen::api
