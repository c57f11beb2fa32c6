#include "services/api/audit_verify_stream.h"

#include "services/api/grpc_services.h"
#include "services/serving/audit_verification.h"

namespace exportscreen::api {
namespace {

std::atomic<int> running_streams{0};
constexpr char kMethod[] = "exportscreen.v1.AdminService/StreamVerifyAuditChain";

}  // namespace

VerifyStreamReactor::VerifyStreamReactor(const store::EntityStore* store,
                                         const v1::VerifyAuditChainRequest& request,
                                         const Observability* obs,
                                         grpc::CallbackServerContext* context)
    : store_(store), request_(request), observer_(obs, kMethod, context) {}

void VerifyStreamReactor::Reject(grpc::Status status) {
  observer_.SetStatus(status);
  Finish(std::move(status));
}

void VerifyStreamReactor::Start() {
  if (running_streams.fetch_add(1) >= kMaxVerifyStreams) {
    running_streams.fetch_sub(1);
    grpc::Status busy(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "audit chain verifications already running; retry later");
    observer_.SetStatus(busy);
    Finish(std::move(busy));
    return;
  }
  counted_ = true;
  worker_ = std::thread([this] { Run(); });
}

void VerifyStreamReactor::Run() {
  auto result = serving::VerifyAuditChain(
      *store_, request_,
      [this](const v1::VerifyAuditChainProgress& p) { Push(p, false, grpc::Status::OK); },
      &cancelled_);
  v1::VerifyAuditChainProgress last;
  if (!result.ok()) {
    Push(last, true, ToGrpcStatus(result.status()));
    return;
  }
  last.set_records_checked(result->records_checked());
  last.set_first_sequence(result->first_sequence());
  last.set_last_sequence(result->last_sequence());
  last.set_resumed(result->resumed());
  *last.mutable_result() = *std::move(result);
  Push(std::move(last), true, grpc::Status::OK);
}

void VerifyStreamReactor::Push(v1::VerifyAuditChainProgress message, bool last,
                               grpc::Status status) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  if (!last || status.ok()) {
    // A slow reader gets the newest progress, not a backlog.
    if (!last && queue_.size() > 1 && !queue_.back().has_result()) queue_.pop_back();
    queue_.push_back(std::move(message));
  }
  if (last) {
    finish_pending_ = true;
    final_status_ = std::move(status);
  }
  if (!writing_) WriteNextLocked();
}

void VerifyStreamReactor::WriteNextLocked() {
  if (!queue_.empty()) {
    writing_ = true;
    StartWrite(&queue_.front());
    return;
  }
  writing_ = false;
  if (finish_pending_ && !finished_) {
    finished_ = true;
    observer_.SetStatus(final_status_);
    Finish(final_status_);
  }
}

void VerifyStreamReactor::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  queue_.pop_front();
  if (!ok) {
    // The client is gone: stop verifying; the mark stays at the last report.
    cancelled_ = true;
    queue_.clear();
    if (!finished_) {
      finished_ = true;
      grpc::Status gone(grpc::StatusCode::CANCELLED, "client went away");
      observer_.SetStatus(gone);
      Finish(gone);
    }
    writing_ = false;
    return;
  }
  WriteNextLocked();
}

void VerifyStreamReactor::OnCancel() { cancelled_ = true; }

void VerifyStreamReactor::OnDone() {
  cancelled_ = true;
  if (worker_.joinable()) worker_.join();
  if (counted_) running_streams.fetch_sub(1);
  observer_.Done();
  delete this;
}

}  // namespace exportscreen::api
