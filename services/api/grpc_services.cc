#include "services/api/grpc_services.h"

#include <chrono>
#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "exportscreen/v1/status.pb.h"
#include "google/protobuf/any.pb.h"
#include "services/api/request_validator.h"
#include "services/common/logging.h"
#include "services/common/status_macros.h"
#include "services/serving/operations.h"

namespace exportscreen::api {
namespace {

constexpr char kNotServing[] =
    "not serving: no rule set and list version are active yet";

bool DeadlinePassed(const grpc::CallbackServerContext* context) {
  return context->deadline() != std::chrono::system_clock::time_point::max() &&
         context->deadline() <= std::chrono::system_clock::now();
}

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t nanos = absl::ToUnixNanos(t);
  ts->set_seconds(nanos / 1000000000);
  ts->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message(status.message());
  if (auto payload = status.GetPayload(kBadRequestPayloadUrl)) {
    v1::RpcStatus rich;
    rich.set_code(static_cast<int>(code));
    rich.set_message(message);
    google::protobuf::Any* any = rich.add_details();
    any->set_type_url(kBadRequestPayloadUrl);
    any->set_value(std::string(*payload));
    return grpc::Status(code, message, rich.SerializeAsString());
  }
  return grpc::Status(code, message);
}

// ---------------------------------------------------------------------------
// ScreeningService

ScreeningServiceImpl::ScreeningServiceImpl(serving::SnapshotManager* manager,
                                           WorkerPool* pool, Clock* clock,
                                           ServiceOptions options)
    : manager_(manager),
      pool_(pool),
      options_(options),
      screener_(options.record_decisions ? manager->store() : nullptr, clock) {}

grpc::ServerUnaryReactor* ScreeningServiceImpl::Screen(
    grpc::CallbackServerContext* context, const v1::ScreenRequest* request,
    v1::ScreenResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Pin the snapshot once: the whole request uses this copy.
  std::shared_ptr<const engine::ScreeningSnapshot> snapshot =
      manager_->Current();
  if (snapshot == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, kNotServing));
    return reactor;
  }
  const bool queued = pool_->TrySchedule(
      [this, context, request, response, reactor,
       snapshot = std::move(snapshot)] {
        if (context->IsCancelled()) {
          reactor->Finish(grpc::Status::CANCELLED);
          return;
        }
        if (DeadlinePassed(context)) {
          reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                       "deadline passed before screening"));
          return;
        }
        absl::StatusOr<v1::ScreenResponse> result =
            screener_.Screen(*snapshot, *request, context->peer());
        if (!result.ok()) {
          reactor->Finish(ToGrpcStatus(result.status()));
          return;
        }
        *response = std::move(*result);
        reactor->Finish(grpc::Status::OK);
      });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "server overloaded: retry with backoff"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* ScreeningServiceImpl::GetDecision(
    grpc::CallbackServerContext* context, const v1::GetDecisionRequest* request,
    v1::DecisionRecord* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool queued = pool_->TrySchedule([this, request, response, reactor] {
    auto record = manager_->store()->GetDecision(request->decision_id());
    if (!record.ok()) {
      reactor->Finish(ToGrpcStatus(record.status()));
      return;
    }
    *response = std::move(*record);
    reactor->Finish(grpc::Status::OK);
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "server overloaded: retry with backoff"));
  }
  return reactor;
}

// One ScreenStream call. Reads at most `window` lines ahead of the writes
// (flow control: a slow reader stops our reads, and the client's writes
// block on HTTP/2 flow control), screens them on the worker pool, and writes
// answers one at a time in completion order (each names its line_id).
class ScreenStreamReactor final
    : public grpc::ServerBidiReactor<v1::ScreenStreamRequest,
                                     v1::ScreenStreamResponse> {
 public:
  ScreenStreamReactor(ScreeningServiceImpl* service,
                      grpc::CallbackServerContext* context)
      : service_(service),
        context_(context),
        snapshot_(service->manager_->Current()) {
    if (snapshot_ == nullptr) {
      finished_ = true;
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, kNotServing));
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
        auto line = std::make_shared<v1::ScreenStreamRequest>(
            std::move(read_buffer_));
        read_buffer_.Clear();
        if (!service_->pool_->TrySchedule([this, line] { Process(*line); })) {
          --in_flight_;
          QueueLocked(ErrorLine(line->line_id(),
                                grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "server overloaded: resend this line"));
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
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      out_.pop_front();
      if (!ok) {
        broken_ = true;  // client gone: drop what is queued
        out_.clear();
      }
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

  void OnDone() override { delete this; }

 private:
  static v1::ScreenStreamResponse ErrorLine(const std::string& line_id,
                                            grpc::StatusCode code,
                                            std::string message) {
    v1::ScreenStreamResponse r;
    r.set_line_id(line_id);
    r.mutable_error()->set_code(static_cast<int>(code));
    r.mutable_error()->set_message(std::move(message));
    return r;
  }

  void Process(const v1::ScreenStreamRequest& line) {
    v1::ScreenStreamResponse out;
    out.set_line_id(line.line_id());
    if (context_->IsCancelled()) {
      out = ErrorLine(line.line_id(), grpc::StatusCode::CANCELLED, "cancelled");
    } else {
      absl::StatusOr<v1::ScreenResponse> result =
          service_->screener_.Screen(*snapshot_, line.request(),
                                     context_->peer());
      if (result.ok()) {
        *out.mutable_response() = std::move(*result);
      } else {
        out = ErrorLine(line.line_id(),
                        static_cast<grpc::StatusCode>(result.status().code()),
                        std::string(result.status().message()));
      }
    }
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

  void QueueLocked(v1::ScreenStreamResponse r)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!broken_) out_.push_back(std::move(r));
  }

  bool WindowOpenLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_flight_ + static_cast<int>(out_.size()) <
           service_->options_.stream_window;
  }

  bool ReadyToFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !reads_done_ || reading_ || in_flight_ > 0 || writing_ ||
        !out_.empty()) {
      return false;
    }
    finished_ = true;
    return true;
  }

  void StartNextWriteIfIdle() {
    const v1::ScreenStreamResponse* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || out_.empty() || broken_) return;
      writing_ = true;
      next = &out_.front();  // stable: deque front survives push_back
    }
    StartWrite(next);
  }

  void DoFinish() {
    Finish(broken_ ? grpc::Status::CANCELLED : grpc::Status::OK);
  }

  ScreeningServiceImpl* const service_;
  grpc::CallbackServerContext* const context_;
  const std::shared_ptr<const engine::ScreeningSnapshot> snapshot_;
  v1::ScreenStreamRequest read_buffer_;

  absl::Mutex mu_;
  std::deque<v1::ScreenStreamResponse> out_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::ServerBidiReactor<v1::ScreenStreamRequest, v1::ScreenStreamResponse>*
ScreeningServiceImpl::ScreenStream(grpc::CallbackServerContext* context) {
  return new ScreenStreamReactor(this, context);
}

// ---------------------------------------------------------------------------
// AdminService

void FillServingStatus(const serving::SnapshotManager& manager,
                       v1::ServingStatus* status) {
  auto snapshot = manager.Current();
  status->set_decision_count(manager.store()->decision_count());
  if (snapshot == nullptr) {
    status->set_serving(false);
    status->set_not_serving_reason(kNotServing);
    return;
  }
  status->set_serving(true);
  status->set_rule_set_version(snapshot->rule_set_version);
  status->set_list_version(snapshot->list_version);
  status->set_rule_count(static_cast<int64_t>(snapshot->rules->rule_count()));
  status->set_entity_count(static_cast<int64_t>(snapshot->data->entities.size()));
  status->set_name_count(static_cast<int64_t>(snapshot->index->name_count()));
  for (const auto& e : snapshot->data->entities) {
    (*status->mutable_entity_counts_by_list())[e.list()]++;
  }
  status->set_item_count(static_cast<int64_t>(snapshot->data->items_by_part.size()));
  status->set_ownership_count(static_cast<int64_t>(snapshot->data->ownership.size()));
  SetTimestamp(snapshot->loaded_at, status->mutable_loaded_at());
  status->set_load_seconds(snapshot->load_seconds);
}

AdminServiceImpl::AdminServiceImpl(serving::SnapshotManager* manager,
                                   WorkerPool* admin_pool)
    : manager_(manager), admin_pool_(admin_pool) {}

grpc::ServerUnaryReactor* AdminServiceImpl::GetServingStatus(
    grpc::CallbackServerContext* context, const v1::GetServingStatusRequest*,
    v1::ServingStatus* response) {
  FillServingStatus(*manager_, response);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ImportList(
    grpc::CallbackServerContext* context, const v1::ImportListRequest* request,
    v1::ImportListResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::string actor = context->peer();
  const bool queued = admin_pool_->TrySchedule([this, request, response,
                                                reactor, actor] {
    if (request->files().empty()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                   "files: at least one file is required"));
      return;
    }
    std::vector<store::ImportInput> files;
    for (const auto& f : request->files()) files.push_back({f.name(), f.content()});
    auto outcome = manager_->ImportList(request->format(), files,
                                        request->replace_lists(),
                                        request->activate(), request->dry_run(),
                                        actor);
    if (!outcome.ok()) {
      reactor->Finish(ToGrpcStatus(outcome.status()));
      return;
    }
    response->set_list_version(request->dry_run() ? "" : outcome->info.version());
    for (const auto& e : outcome->parsed.entities) {
      (*response->mutable_counts_by_list())[e.list()]++;
    }
    response->set_accepted(static_cast<int64_t>(outcome->parsed.entities.size()));
    for (const auto& r : outcome->parsed.rejected) {
      auto* row = response->add_rejected();
      row->set_file(r.file);
      row->set_line(r.line);
      row->set_reason(r.reason);
    }
    response->set_added(outcome->added);
    response->set_removed(outcome->removed);
    response->set_changed(outcome->changed);
    response->set_activated(outcome->activated);
    if (outcome->activated && on_activate_) on_activate_();
    reactor->Finish(grpc::Status::OK);
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "another admin operation is running"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListVersions(
    grpc::CallbackServerContext* context, const v1::ListVersionsRequest*,
    v1::ListVersionsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto lists = manager_->store()->ListListVersions();
  auto rules = manager_->store()->ListRuleSets();
  auto active = manager_->store()->GetActive();
  if (!lists.ok() || !rules.ok() || !active.ok()) {
    reactor->Finish(ToGrpcStatus(!lists.ok()   ? lists.status()
                                 : !rules.ok() ? rules.status()
                                               : active.status()));
    return reactor;
  }
  for (auto& l : *lists) *response->add_list_versions() = std::move(l);
  for (auto& r : *rules) *response->add_rule_sets() = std::move(r);
  if (active->has_value()) *response->mutable_active() = **active;
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::RunAdmin(
    grpc::CallbackServerContext* context, std::function<absl::Status()> fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool queued = admin_pool_->TrySchedule(
      [reactor, fn = std::move(fn)] { reactor->Finish(ToGrpcStatus(fn())); });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "too many admin operations queued"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::PublishRuleSet(
    grpc::CallbackServerContext* context,
    const v1::PublishRuleSetRequest* request, v1::RuleSetInfo* response) {
  std::string actor = context->peer();
  return RunAdmin(context, [this, request, response, actor]() -> absl::Status {
    if (request->files().empty()) {
      return absl::InvalidArgumentError("files: at least one rule file is required");
    }
    std::map<std::string, std::string> files(request->files().begin(),
                                             request->files().end());
    if (request->validate_only()) {
      ASSIGN_OR_RETURN(auto compiled, rules::RuleSet::Compile(files));
      response->set_rule_count(static_cast<int64_t>(compiled->rule_count()));
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(*response, manager_->PublishRules(files, request->source(), actor));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetRuleSet(
    grpc::CallbackServerContext* context, const v1::GetRuleSetRequest* request,
    v1::StoredRuleSet* response) {
  return RunAdmin(context, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, manager_->store()->GetRuleSet(request->version()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::DiffRuleSets(
    grpc::CallbackServerContext* context, const v1::DiffRequest* request,
    v1::DiffResponse* response) {
  return RunAdmin(context, [this, request, response]() -> absl::Status {
    std::string from = request->from_version();
    if (from.empty()) {
      auto current = manager_->Current();
      if (current == nullptr) return absl::FailedPreconditionError("nothing active");
      from = current->rule_set_version;
    }
    ASSIGN_OR_RETURN(*response, serving::DiffRuleSets(*manager_->store(), from,
                                                      request->to_version()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::DiffListVersions(
    grpc::CallbackServerContext* context, const v1::DiffRequest* request,
    v1::DiffResponse* response) {
  return RunAdmin(context, [this, request, response]() -> absl::Status {
    std::string from = request->from_version();
    if (from.empty()) {
      auto current = manager_->Current();
      if (current == nullptr) return absl::FailedPreconditionError("nothing active");
      from = current->list_version;
    }
    ASSIGN_OR_RETURN(*response, serving::DiffListVersions(
                                    *manager_->store(), from, request->to_version()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::Activate(
    grpc::CallbackServerContext* context, const v1::ActivateRequest* request,
    v1::ActiveVersions* response) {
  std::string actor = context->peer();
  return RunAdmin(context, [this, request, response, actor]() -> absl::Status {
    auto current = manager_->Current();
    std::string rules = request->rule_set_version();
    std::string lists = request->list_version();
    if ((rules.empty() || lists.empty()) && current == nullptr) {
      return absl::FailedPreconditionError(
          "nothing active: name both rule_set_version and list_version");
    }
    if (rules.empty()) rules = current->rule_set_version;
    if (lists.empty()) lists = current->list_version;
    RETURN_IF_ERROR(manager_->Activate(rules, lists, actor));
    if (on_activate_) on_activate_();
    ASSIGN_OR_RETURN(auto active, manager_->store()->GetActive());
    if (active.has_value()) *response = *active;
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::Rollback(
    grpc::CallbackServerContext* context, const v1::RollbackRequest*,
    v1::ActiveVersions* response) {
  std::string actor = context->peer();
  return RunAdmin(context, [this, response, actor]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, manager_->Rollback(actor));
    if (on_activate_) on_activate_();
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::DryRun(
    grpc::CallbackServerContext* context, const v1::DryRunRequest* request,
    v1::DryRunResponse* response) {
  return RunAdmin(context, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, serving::DryRun(*manager_, *request, clock_));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListDecisions(
    grpc::CallbackServerContext* context,
    const v1::ListDecisionsRequest* request,
    v1::ListDecisionsResponse* response) {
  return RunAdmin(context, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(*response, serving::ListDecisions(*manager_->store(), *request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::VerifyAuditChain(
    grpc::CallbackServerContext* context, const v1::VerifyAuditChainRequest*,
    v1::VerifyAuditChainResponse* response) {
  return RunAdmin(context, [this, response]() -> absl::Status {
    ASSIGN_OR_RETURN(auto v, store::VerifyDecisionChain(*manager_->store()));
    response->set_ok(v.ok);
    response->set_records_checked(static_cast<int64_t>(v.records_checked));
    response->set_first_broken_sequence(v.first_broken_sequence);
    response->set_problem(v.problem);
    response->set_head_hash(v.head_hash);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ReplayDecision(
    grpc::CallbackServerContext* context,
    const v1::ReplayDecisionRequest* request,
    v1::ReplayDecisionResponse* response) {
  return RunAdmin(context, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(*response,
                     serving::ReplayDecision(*manager_, request->decision_id()));
    return absl::OkStatus();
  });
}

}  // namespace exportscreen::api
