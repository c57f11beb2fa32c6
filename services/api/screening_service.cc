#include "services/api/grpc_services.h"
#include "services/api/handler_util.h"

#include "services/api/audit_verify_stream.h"
#include "services/serving/audit_verification.h"

#include <chrono>
#include <deque>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "absl/time/civil_time.h"
#include "absl/synchronization/mutex.h"
#include "exportscreen/v1/status.pb.h"
#include "google/protobuf/any.pb.h"
#include "services/api/observability.h"
#include "services/api/request_validator.h"
#include "services/common/logging.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"
#include "services/engine/dispositions.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "services/serving/operations.h"

namespace exportscreen::api {

// ---------------------------------------------------------------------------
// ScreeningService

ScreeningServiceImpl::ScreeningServiceImpl(serving::SnapshotManager* manager,
                                           store::EntityStore* store, WorkerPool* pool,
                                           Clock* clock, const Authorizer* authorizer,
                                           ServiceOptions options)
    : manager_(manager),
      store_(store),
      pool_(pool),
      authorizer_(authorizer),
      options_(options),
      screener_(options.record_decisions ? store : nullptr, clock) {
  if (options.record_decisions && options.idempotency.window > absl::ZeroDuration()) {
    screener_.set_idempotency(std::make_unique<Idempotency>(store, clock, options.idempotency));
  }
}

namespace {

// A pooled record for one Screen call, back to the pool when it goes.
struct PooledCall {
  explicit PooledCall(ScreenMessagePool* pool)
      : holder(static_cast<ScreenMessagePool::Holder*>(pool->AllocateMessages())) {}
  ~PooledCall() {
    if (holder != nullptr) holder->Release();
  }
  PooledCall(const PooledCall&) = delete;
  PooledCall& operator=(const PooledCall&) = delete;
  ScreenMessagePool::Holder* holder;
  std::string answer;  // the serialised answer, as recorded
};

}  // namespace

grpc::ServerUnaryReactor* ScreeningServiceImpl::Screen(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request_bytes,
                                                       grpc::ByteBuffer* response_bytes) {
  auto* reactor = new ObservedUnaryReactor(options_.observability,
                                           "exportscreen.v1.ScreeningService/Screen", context);
  absl::StatusOr<Caller> caller =
      AuthCall(context, *authorizer_, "Screen", kScreeners, reactor->observer());
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  // The per-method receive limit, before any parsing.
  if (request_bytes->Length() > kMaxScreenRequestBytes) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 absl::StrCat("request: is ", request_bytes->Length(),
                                              " bytes; the limit is ", kMaxScreenRequestBytes)));
    return reactor;
  }
  auto call = std::make_shared<PooledCall>(&screen_messages_);
  {
    grpc::ByteBuffer copy(*request_bytes);  // shares the slices
    grpc::Status parsed = grpc::GenericDeserialize<grpc::ProtoBufferReader, v1::ScreenRequest>(
        &copy, call->holder->request());
    if (!parsed.ok()) {
      ES_LOG_WARNING_RATE_LIMITED("Screen: body does not parse from ", context->peer(), ": ",
                                  parsed.error_message());
      reactor->Finish(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("request: is not an exportscreen.v1.ScreenRequest "
                       "(truncated, not protobuf, or a string field that is "
                       "not valid UTF-8)",
                       parsed.error_message().empty() ? "" : ": ", parsed.error_message())));
      return reactor;
    }
  }
  const v1::ScreenRequest& request = *call->holder->request();
  reactor->observer()->SetRequestId(request.request_id());
  if (absl::Status as_of = CheckAsOfAllowed(*caller, request); !as_of.ok()) {
    reactor->Finish(ToGrpcStatus(as_of));
    return reactor;
  }
  // Pin the snapshot once: the whole request uses this copy.
  std::shared_ptr<const engine::ScreeningSnapshot> snapshot = manager_->Current();
  if (snapshot == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, kNotServing));
    return reactor;
  }
  auto work = [this, context, reactor, response_bytes, call, snapshot = std::move(snapshot),
               caller_name = caller->name,
               scope = IdempotencyScope(caller->name, authorizer_->open(), context->peer())] {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status::CANCELLED);
      return;
    }
    if (DeadlinePassed(context)) {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed before screening"));
      return;
    }
    // In place: the request and the answer are the pooled record's own.
    ScreenMessagePool::Holder* holder = call->holder;
    std::unique_ptr<v1::DecisionRecord> record = holder->Lend();
    record->set_trace_parent(TraceParentOf(context));
    screener_.ScreenRecord(
        manager_->Pin(*snapshot), std::move(record), caller_name,
        [call, holder, reactor, response_bytes](absl::Status status,
                                                std::unique_ptr<v1::DecisionRecord> record) {
          if (!holder->Restore(std::move(record))) {
            reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "decision record lost"));
            return;
          }
          if (!status.ok()) {
            reactor->Finish(ToGrpcStatus(status));
            return;
          }
          reactor->observer()->SetDecision(holder->response()->decision_id(),
                                           holder->response()->decision());
          // The bytes the recorder serialised and hashed into the chain.
          *response_bytes = OwnedByteBuffer(std::move(call->answer));
          reactor->Finish(grpc::Status::OK);
        },
        &call->answer, scope);
  };
  if (request_bytes->Length() <= options_.screen_inline_max_bytes) {
    work();
    return reactor;
  }
  if (!pool_->TrySchedule(std::move(work))) FinishOverloaded(reactor);
  return reactor;
}

grpc::ServerUnaryReactor* ScreeningServiceImpl::GetDecision(grpc::CallbackServerContext* context,
                                                            const v1::GetDecisionRequest* request,
                                                            v1::DecisionRecord* response) {
  auto* reactor = new ObservedUnaryReactor(options_.observability,
                                           "exportscreen.v1.ScreeningService/GetDecision", context);
  absl::StatusOr<Caller> caller =
      AuthCall(context, *authorizer_, "GetDecision", kReaders, reactor->observer());
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  const bool queued = pool_->TrySchedule([this, request, response, reactor] {
    FinishWith(reactor, store_->decisions().GetDecision(request->decision_id()), response);
  });
  if (!queued) FinishOverloaded(reactor);
  return reactor;
}

// One ScreenStream call. Reads at most `window` lines ahead of the writes
// (flow control: a slow reader stops our reads, and the client's writes
// block on HTTP/2 flow control), screens them on the worker pool, and writes
// answers one at a time in completion order (each names its line_id).
//
// Each line is evaluated on the snapshot current when it is taken up (one
// pointer load), so a stream follows an activation at once and every answer
// names the one version pair it was evaluated under; a running batch never
// keeps answering under superseded lists. A frame that does not parse is
// answered in-band as an INVALID_ARGUMENT line and the stream goes on.
class ScreenStreamReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  ScreenStreamReactor(ScreeningServiceImpl* service, grpc::CallbackServerContext* context)
      : service_(service),
        context_(context),
        observer_(service->options_.observability, "exportscreen.v1.ScreeningService/ScreenStream",
                  context) {
    absl::StatusOr<Caller> caller =
        AuthCall(context, *service->authorizer_, "ScreenStream", kScreeners, &observer_);
    if (!caller.ok()) {
      finished_ = true;
      FinishObserved(ToGrpcStatus(caller.status()));
      return;
    }
    caller_name_ = caller->name;
    caller_ = *caller;
    scope_ = IdempotencyScope(caller->name, service->authorizer_->open(), context->peer());
    trace_parent_ = TraceParentOf(context);
    if (service->manager_->Current() == nullptr) {
      finished_ = true;
      FinishObserved(grpc::Status(grpc::StatusCode::UNAVAILABLE, kNotServing));
      return;
    }
    reading_ = true;
    StartRead(&read_buffer_);
  }

  void OnReadDone(bool ok) override {
    bool start_read = false;
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (!ok) {
        reads_done_ = true;
        finish = ReadyToFinishLocked();
      } else {
        ++in_flight_;
        ++frames_;
        // A spare line object: parsing into it reuses its storage.
        std::unique_ptr<v1::ScreenStreamRequest> line;
        if (!spare_lines_.empty()) {
          line = std::move(spare_lines_.back());
          spare_lines_.pop_back();
        } else {
          line = std::make_unique<v1::ScreenStreamRequest>();
        }
        grpc::Status parsed =
            read_buffer_.Length() > kMaxScreenRequestBytes + 1024
                ? grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               absl::StrCat("frame is ", read_buffer_.Length(),
                                            " bytes; the limit is ", kMaxScreenRequestBytes))
                : grpc::GenericDeserialize<grpc::ProtoBufferReader, v1::ScreenStreamRequest>(
                      &read_buffer_, line.get());
        read_buffer_.Clear();
        if (!parsed.ok()) {
          // Answered in-band: the client learns which frame (by its
          // position) was bad, and the rest of the stream goes on.
          --in_flight_;
          QueueLocked(Outgoing(ErrorLine(absl::StrCat("#frame-", frames_),
                                         grpc::StatusCode::INVALID_ARGUMENT,
                                         absl::StrCat("frame ", frames_,
                                                      " is not a ScreenStreamRequest "
                                                      "(does not parse): ",
                                                      parsed.error_message()))));
          spare_lines_.push_back(std::move(line));
        } else if (v1::ScreenStreamRequest* raw = line.release();
                   !service_->pool_->TrySchedule([this, raw] { Process(raw); })) {
          line.reset(raw);  // not taken: still ours
          --in_flight_;
          QueueLocked(Outgoing(ErrorLine(line->line_id(), grpc::StatusCode::RESOURCE_EXHAUSTED,
                                         "server overloaded: resend this line")));
          spare_lines_.push_back(std::move(line));
        }
        start_read = WindowOpenLocked();
        if (start_read) reading_ = true;
      }
    }
    if (start_read) StartRead(&read_buffer_);
    StartNextWriteIfIdle();
    if (finish) DoFinish();
  }

  void OnWriteDone(bool ok) override {
    bool start_read = false;
    bool finish = false;
    Outgoing written;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      written = std::move(out_.front());
      out_.pop_front();
      if (!ok) {
        broken_ = true;  // client gone: drop what is queued
        out_.clear();
        // No read will be started again; without one pending, nothing else
        // would ever end the read side and the call would never finish.
        if (!reading_) reads_done_ = true;
      }
    }
    written = Outgoing();  // its bytes are gRPC's now; free ours outside the lock
    {
      absl::MutexLock lock(&mu_);
      if (!broken_ && !reads_done_ && !reading_ && WindowOpenLocked()) {
        reading_ = true;
        start_read = true;
      }
      finish = ReadyToFinishLocked();
    }
    if (start_read) StartRead(&read_buffer_);
    StartNextWriteIfIdle();
    if (finish) DoFinish();
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&mu_);
      observer_.SetLines(frames_);
    }
    observer_.Done();
    delete this;
  }

 private:
  void FinishObserved(grpc::Status status) {
    observer_.SetStatus(status);
    Finish(std::move(status));
  }

  static v1::ScreenStreamResponse ErrorLine(const std::string& line_id, grpc::StatusCode code,
                                            std::string message) {
    v1::ScreenStreamResponse r;
    r.set_line_id(line_id);
    r.mutable_error()->set_code(static_cast<int>(code));
    r.mutable_error()->set_message(std::move(message));
    return r;
  }

  // A line's answer on its way out: a screened line's serialised response
  // (the bytes recorded in the chain) under its line_id, or an error line.
  struct Outgoing {
    Outgoing() = default;
    explicit Outgoing(v1::ScreenStreamResponse m) : msg(std::move(m)) {}
    Outgoing(std::string id, std::string answer)
        : screened(true), line_id(std::move(id)), answer(std::move(answer)) {}
    bool screened = false;
    std::string line_id, answer;   // screened
    v1::ScreenStreamResponse msg;  // error line
    grpc::ByteBuffer bytes;        // the frame, while being written
  };

  // The ScreenStreamResponse frame {line_id, response} around the response's
  // serialised bytes, byte for byte as protobuf writes it (field 1, then the
  // oneof's field 2), with the answer's bytes sent without a copy.
  static grpc::ByteBuffer AnswerFrame(const std::string& line_id, std::string answer) {
    using google::protobuf::io::CodedOutputStream;
    std::string head;
    head.reserve(line_id.size() + 12);
    auto put_length = [&head](char tag, size_t n) {
      uint8_t varint[10];
      uint8_t* end = CodedOutputStream::WriteVarint64ToArray(n, varint);
      head.push_back(tag);
      head.append(reinterpret_cast<const char*>(varint), static_cast<size_t>(end - varint));
    };
    if (!line_id.empty()) {
      put_length(0x0A, line_id.size());  // field 1, length-delimited
      head.append(line_id);
    }
    put_length(0x12, answer.size());  // field 2, length-delimited
    grpc::ByteBuffer answer_bytes = OwnedByteBuffer(std::move(answer));
    std::vector<grpc::Slice> slices;
    if (!answer_bytes.Dump(&slices).ok()) slices.clear();
    slices.insert(slices.begin(), grpc::Slice(head));
    return grpc::ByteBuffer(slices.data(), slices.size());
  }

  // A cleared record (request, response and their capacity kept) for the
  // next line: answers are built in reused storage, as on the unary path.
  std::unique_ptr<v1::DecisionRecord> TakeRecord() {
    {
      absl::MutexLock lock(&mu_);
      if (!spare_.empty()) {
        auto r = std::move(spare_.back());
        spare_.pop_back();
        return r;
      }
    }
    return std::make_unique<v1::DecisionRecord>();
  }
  void Recycle(std::unique_ptr<v1::DecisionRecord> record) {
    if (!ClearRecordForReuse(record.get())) return;
    absl::MutexLock lock(&mu_);
    if (spare_.size() < static_cast<size_t>(service_->options_.stream_window)) {
      spare_.push_back(std::move(record));
    }
  }

  // Screens one line, taking `line` (back to the spares as soon as its
  // request is in the record, before its answer can complete the stream).
  void Process(v1::ScreenStreamRequest* line) {
    auto refuse = [this, line](grpc::StatusCode code, std::string message) {
      std::string line_id = std::move(*line->mutable_line_id());
      RecycleLine(line);
      Complete(Outgoing(ErrorLine(line_id, code, std::move(message))));
    };
    if (context_->IsCancelled()) {
      refuse(grpc::StatusCode::CANCELLED, "cancelled");
      return;
    }
    if (absl::Status as_of = CheckAsOfAllowed(caller_, line->request()); !as_of.ok()) {
      refuse(grpc::StatusCode::PERMISSION_DENIED, std::string(as_of.message()));
      return;
    }
    // Pinned per line: the snapshot current now (see the class comment).
    const std::shared_ptr<const engine::ScreeningSnapshot> snapshot = service_->manager_->Current();
    if (snapshot == nullptr) {
      refuse(grpc::StatusCode::UNAVAILABLE, kNotServing);
      return;
    }
    std::unique_ptr<v1::DecisionRecord> record = TakeRecord();
    record->mutable_request()->Swap(line->mutable_request());
    record->set_trace_parent(trace_parent_);
    std::string line_id = std::move(*line->mutable_line_id());
    RecycleLine(line);
    // Evaluated here; Complete runs once the decision record is durable,
    // with the answer's bytes as recorded.
    auto answer = std::make_shared<std::string>();
    std::string* answer_bytes = answer.get();
    service_->screener_.ScreenRecord(
        service_->manager_->Pin(*snapshot), std::move(record), caller_name_,
        [this, line_id = std::move(line_id), answer = std::move(answer)](
            absl::Status status, std::unique_ptr<v1::DecisionRecord> record) {
          Recycle(std::move(record));
          if (status.ok()) {
            Complete(Outgoing(line_id, std::move(*answer)));
          } else {
            Complete(Outgoing(ErrorLine(line_id, static_cast<grpc::StatusCode>(status.code()),
                                        std::string(status.message()))));
          }
        },
        answer_bytes, scope_);
  }

  void RecycleLine(v1::ScreenStreamRequest* line) {
    std::unique_ptr<v1::ScreenStreamRequest> owned(line);
    absl::MutexLock lock(&mu_);
    if (spare_lines_.size() < static_cast<size_t>(service_->options_.stream_window)) {
      spare_lines_.push_back(std::move(owned));
    }
  }

  // One line answered: queue it, keep reading and writing, finish at the end.
  void Complete(Outgoing out) {
    bool start_read = false;
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      --in_flight_;
      QueueLocked(std::move(out));
      if (!broken_ && !reads_done_ && !reading_ && WindowOpenLocked()) {
        reading_ = true;
        start_read = true;
      }
      finish = ReadyToFinishLocked();
    }
    if (start_read) StartRead(&read_buffer_);
    StartNextWriteIfIdle();
    if (finish) DoFinish();
  }

  void QueueLocked(Outgoing r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!broken_) out_.push_back(std::move(r));
  }

  bool WindowOpenLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_flight_ + static_cast<int>(out_.size()) < service_->options_.stream_window;
  }

  bool ReadyToFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !reads_done_ || reading_ || in_flight_ > 0 || writing_ || !out_.empty()) {
      return false;
    }
    finished_ = true;
    return true;
  }

  void StartNextWriteIfIdle() {
    Outgoing* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || out_.empty() || broken_) return;
      writing_ = true;
      next = &out_.front();  // stable: deque front survives push_back
    }
    if (next->screened) {
      next->bytes = AnswerFrame(next->line_id, std::move(next->answer));
      StartWrite(&next->bytes);
      return;
    }
    bool own = false;
    grpc::Status serialized =
        grpc::GenericSerialize<grpc::ProtoBufferWriter, v1::ScreenStreamResponse>(
            next->msg, &next->bytes, &own);
    if (!serialized.ok()) {
      // Cannot happen for a valid message; never send a partial answer.
      v1::ScreenStreamResponse err = ErrorLine(next->msg.line_id(), grpc::StatusCode::INTERNAL,
                                               "answer could not be serialised");
      grpc::GenericSerialize<grpc::ProtoBufferWriter, v1::ScreenStreamResponse>(err, &next->bytes,
                                                                                &own);
    }
    StartWrite(&next->bytes);
  }

  void DoFinish() {
    bool broken;
    {
      absl::MutexLock lock(&mu_);  // broken_ may be set by a write completing
      broken = broken_;
    }
    FinishObserved(broken ? grpc::Status::CANCELLED : grpc::Status::OK);
  }

  ScreeningServiceImpl* const service_;
  grpc::CallbackServerContext* const context_;
  CallObserver observer_;
  std::string caller_name_;
  std::string scope_;  // the caller's identity for request ids
  Caller caller_;
  std::string trace_parent_;  // the stream's valid traceparent, or ""
  grpc::ByteBuffer read_buffer_;
  int64_t frames_ ABSL_GUARDED_BY(mu_) = 0;

  absl::Mutex mu_;
  std::deque<Outgoing> out_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<v1::DecisionRecord>> spare_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<v1::ScreenStreamRequest>> spare_lines_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ScreeningServiceImpl::ScreenStream(
    grpc::CallbackServerContext* context) {
  return new ScreenStreamReactor(this, context);
}

}  // namespace exportscreen::api
