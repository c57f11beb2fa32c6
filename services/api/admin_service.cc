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
// AdminService

void FillServingStatus(const serving::SnapshotManager& manager, const store::EntityStore& store,
                       v1::ServingStatus* status) {
  auto snapshot = manager.Current();
  status->set_decision_count(store.decisions().decision_count());
  for (std::string& w : manager.Warnings()) status->add_warnings(std::move(w));
  if (snapshot == nullptr) {
    status->set_serving(false);
    std::string reason = manager.NotServingReason();
    status->set_not_serving_reason(reason.empty() ? kNotServing : reason);
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

AdminServiceImpl::AdminServiceImpl(const AdminServing& serving, WorkerPool* admin_pool,
                                   const Authorizer* authorizer, Clock* clock)
    : manager_(serving.manager),
      importer_(serving.importer),
      publisher_(serving.publisher),
      dispositions_(serving.dispositions),
      store_(serving.store),
      admin_pool_(admin_pool),
      authorizer_(authorizer),
      clock_(clock) {}

grpc::ServerUnaryReactor* AdminServiceImpl::GetServingStatus(grpc::CallbackServerContext* context,
                                                             const v1::GetServingStatusRequest*,
                                                             v1::ServingStatus* response) {
  auto* reactor = new ObservedUnaryReactor(
      observability_, "exportscreen.v1.AdminService/GetServingStatus", context);
  absl::StatusOr<Caller> caller =
      AuthCall(context, *authorizer_, "GetServingStatus", kAnyone, reactor->observer());
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  FillServingStatus(*manager_, *store_, response);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

// Inline (not on the admin pool, which an activation may hold while it
// waits for the replicas): a few bounded reads of the KV buckets.
grpc::ServerUnaryReactor* AdminServiceImpl::GetClusterStatus(grpc::CallbackServerContext* context,
                                                             const v1::GetClusterStatusRequest*,
                                                             v1::ClusterStatus* response) {
  auto* reactor = new ObservedUnaryReactor(
      observability_, "exportscreen.v1.AdminService/GetClusterStatus", context);
  absl::StatusOr<Caller> caller =
      AuthCall(context, *authorizer_, "GetClusterStatus", kAnyone, reactor->observer());
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  if (!cluster_status_) {
    reactor->Finish(ToGrpcStatus(
        absl::FailedPreconditionError("not in cluster mode (the server runs without --nats)")));
    return reactor;
  }
  absl::StatusOr<v1::ClusterStatus> status = cluster_status_();
  if (status.ok()) *response = *std::move(status);
  reactor->Finish(ToGrpcStatus(status.status()));
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ImportList(grpc::CallbackServerContext* context,
                                                       const v1::ImportListRequest* request,
                                                       v1::ImportListResponse* response) {
  std::string summary = absl::StrCat("format=", request->format(), " files=");
  for (const auto& f : request->files()) absl::StrAppend(&summary, f.name(), ",");
  absl::StrAppend(&summary, " activate=", request->activate(), " dry_run=", request->dry_run());
  return RunAdmin(context, "ImportList", kOperators, /*record=*/true, summary,
                  [this, request, response](const Caller& caller) -> absl::Status {
                    if (request->files().empty()) {
                      return absl::InvalidArgumentError("files: at least one file is required");
                    }
                    std::vector<store::ImportInput> files;
                    for (const auto& f : request->files()) files.push_back({f.name(), f.content()});
                    ASSIGN_OR_RETURN(
                        auto outcome,
                        importer_->Import(request->format(), files, request->replace_lists(),
                                          request->activate(), request->dry_run(), caller.name));
                    response->set_list_version(request->dry_run() ? "" : outcome.info.version());
                    for (const auto& e : outcome.parsed.entities) {
                      (*response->mutable_counts_by_list())[e.list()]++;
                    }
                    response->set_accepted(outcome.records);
                    for (const auto& r : outcome.parsed.rejected) {
                      auto* row = response->add_rejected();
                      row->set_file(r.file);
                      row->set_line(r.line);
                      row->set_reason(r.reason);
                    }
                    response->set_added(outcome.added);
                    response->set_removed(outcome.removed);
                    response->set_changed(outcome.changed);
                    response->set_activated(outcome.activated);
                    if (outcome.activated) AfterActivation();
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListVersions(grpc::CallbackServerContext* context,
                                                         const v1::ListVersionsRequest*,
                                                         v1::ListVersionsResponse* response) {
  return RunAdmin(context, "ListVersions", kAnyone, false, "",
                  [this, response](const Caller&) -> absl::Status {
                    ASSIGN_OR_RETURN(auto lists, store_->lists().ListListVersions());
                    ASSIGN_OR_RETURN(auto rules, store_->rule_sets().ListRuleSets());
                    ASSIGN_OR_RETURN(auto active, store_->activation().GetActive());
                    for (auto& l : lists) *response->add_list_versions() = std::move(l);
                    for (auto& r : rules) *response->add_rule_sets() = std::move(r);
                    if (active.has_value()) *response->mutable_active() = *active;
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::RunAdmin(
    grpc::CallbackServerContext* context, absl::string_view method,
    std::initializer_list<v1::Role> roles, bool record, std::string summary,
    std::function<absl::Status(const Caller&)> fn) {
  auto* reactor = new ObservedUnaryReactor(
      observability_, absl::StrCat("exportscreen.v1.AdminService/", method), context);
  absl::StatusOr<Caller> caller =
      AuthCall(context, *authorizer_, method, roles, reactor->observer());
  if (!caller.ok()) {
    if (record) {
      Record(method, "(unauthenticated or not allowed)", AuditPeer(*context), summary,
             caller.status());
    }
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  const bool queued = admin_pool_->TrySchedule(
      [this, reactor, record, method = std::string(method), summary = std::move(summary),
       peer = AuditPeer(*context), caller = *std::move(caller), fn = std::move(fn)] {
        absl::Status status = fn(caller);
        if (record) Record(method, caller.name, peer, summary, status);
        reactor->Finish(ToGrpcStatus(status));
      });
  if (!queued) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many admin operations queued"));
  }
  return reactor;
}

void AdminServiceImpl::AfterActivation() {
  if (on_activate_) on_activate_();
  if (rescreen_lookback_ <= absl::ZeroDuration() || rescreen_max_ <= 0) return;
  const bool queued = admin_pool_->TrySchedule([this] {
    auto alerts =
        serving::RescreenRecentClearDecisions(*manager_, rescreen_lookback_, rescreen_max_, clock_);
    if (!alerts.ok()) {
      ES_LOG_ERROR("continuous screening failed: ", alerts.status().ToString());
    } else if (!alerts->empty()) {
      ES_LOG_WARNING("continuous screening: ", alerts->size(),
                     " past CLEAR decisions changed; alerts raised");
    }
  });
  if (!queued) ES_LOG_ERROR("continuous screening not queued: admin pool full");
}

void AdminServiceImpl::RescreenIfSuperseded(const v1::DecisionRecord& record) {
  if (record.response().decision() != v1::DECISION_CLEAR) return;
  if (rescreen_lookback_ <= absl::ZeroDuration() || rescreen_max_ <= 0) return;
  auto current = manager_->Current();
  if (current == nullptr || (record.response().rule_set_version() == current->rule_set_version &&
                             record.response().list_version() == current->list_version)) {
    return;
  }
  const bool queued =
      admin_pool_->TrySchedule([this, record = std::make_shared<const v1::DecisionRecord>(record)] {
        auto alerts = serving::RescreenDecision(*manager_, *record, clock_);
        if (!alerts.ok()) {
          ES_LOG_ERROR("continuous screening of ", record->decision_id(),
                       " failed: ", alerts.status().ToString());
        } else if (!alerts->empty()) {
          ES_LOG_WARNING("continuous screening: ", record->decision_id(),
                         " (recorded under superseded versions) changed; alert raised");
        }
      });
  if (!queued) {
    ES_LOG_ERROR("continuous screening of ", record.decision_id(), " not queued: admin pool full");
  }
}

v1::AdminAction NewAdminAction(absl::Time at, absl::string_view method, const std::string& actor,
                               const std::string& peer, const std::string& summary,
                               const absl::Status& result) {
  v1::AdminAction action;
  SetTimestamp(at, action.mutable_at());
  action.set_actor(actor);
  action.set_peer(peer);
  action.set_method(std::string(method));
  action.set_request_summary(summary);
  action.set_status_code(static_cast<int>(result.code()));
  action.set_status_message(std::string(result.message()).substr(0, 2000));
  return action;
}

void AdminServiceImpl::Record(absl::string_view method, const std::string& actor,
                              const std::string& peer, const std::string& summary,
                              const absl::Status& result) {
  RecordAdminAction(*manager_, store_, clock_->Now(), method, actor, peer, summary, result);
}

void RecordAdminAction(const serving::SnapshotManager& manager, store::EntityStore* store,
                       absl::Time at, absl::string_view method, const std::string& actor,
                       const std::string& peer, const std::string& summary,
                       const absl::Status& result) {
  v1::AdminAction action = NewAdminAction(at, method, actor, peer, summary, result);
  if (auto current = manager.Current()) {
    action.set_rule_set_version(current->rule_set_version);
    action.set_list_version(current->list_version);
  }
  absl::Status s = store->admin_log().AppendAdminAction(&action);
  if (!s.ok()) ES_LOG_ERROR("cannot record admin action ", method, ": ", s.ToString());
}

grpc::ServerUnaryReactor* AdminServiceImpl::RecordDisposition(
    grpc::CallbackServerContext* context, const v1::RecordDispositionRequest* request,
    v1::Disposition* response) {
  return RunAdmin(
      context, "RecordDisposition", kDispositioners, true,
      absl::StrCat("decision=", request->decision_id(), " party=", request->party_index(),
                   " entity=", request->entity_id()),
      [this, request, response](const Caller& caller) -> absl::Status {
        if (absl::StripAsciiWhitespace(request->reason()).empty()) {
          return absl::InvalidArgumentError("reason: is required");
        }
        ASSIGN_OR_RETURN(v1::DecisionRecord record,
                         store_->decisions().GetDecision(request->decision_id()));
        if (request->party_index() < 0 ||
            request->party_index() >= record.request().parties_size()) {
          return absl::InvalidArgumentError("party_index: out of range");
        }
        bool hit = false;
        for (const auto& m : record.response().party_matches()) {
          hit |= m.party_index() == request->party_index() && m.entity_id() == request->entity_id();
        }
        if (!hit) {
          return absl::FailedPreconditionError(
              absl::StrCat("decision ", request->decision_id(), " has no hit of party ",
                           request->party_index(), " on ", request->entity_id()));
        }
        auto current = manager_->Current();
        if (current == nullptr) return absl::UnavailableError("not serving");
        auto it = current->data->entity_by_id.find(request->entity_id());
        if (it == current->data->entity_by_id.end()) {
          return absl::FailedPreconditionError(
              absl::StrCat(request->entity_id(), " is not in the active list version"));
        }
        const v1::Party& party = record.request().parties(request->party_index());
        v1::Disposition d;
        d.set_entity_id(request->entity_id());
        d.set_party_name(party.name());
        d.set_party_country(party.country());
        d.set_party_address(absl::StrJoin(
            {party.address().street(), party.address().city(), party.address().region(),
             party.address().postal_code(), party.address().country()},
            ", "));
        d.set_party_key(engine::PartyKey(party));
        d.set_entity_fingerprint(engine::EntityFingerprint(current->data->entities[it->second]));
        d.set_reason(request->reason());
        d.set_analyst(caller.name);
        SetTimestamp(clock_->Now(), d.mutable_created_at());
        ASSIGN_OR_RETURN(*response, dispositions_->Record(std::move(d)));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::RevokeDisposition(
    grpc::CallbackServerContext* context, const v1::RevokeDispositionRequest* request,
    v1::Disposition* response) {
  return RunAdmin(
      context, "RevokeDisposition", kDispositioners, true,
      absl::StrCat("disposition=", request->disposition_id()),
      [this, request, response](const Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(auto log, store_->dispositions().ListDispositions());
        bool found = false;
        for (const auto& d : log) found |= d.id() == request->disposition_id();
        if (!found) {
          return absl::NotFoundError(absl::StrCat("disposition ", request->disposition_id()));
        }
        v1::Disposition revoke;
        revoke.set_revokes_id(request->disposition_id());
        revoke.set_reason(request->reason());
        revoke.set_analyst(caller.name);
        SetTimestamp(clock_->Now(), revoke.mutable_created_at());
        ASSIGN_OR_RETURN(*response, dispositions_->Record(std::move(revoke)));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListDispositions(
    grpc::CallbackServerContext* context, const v1::ListDispositionsRequest*,
    v1::ListDispositionsResponse* response) {
  return RunAdmin(context, "ListDispositions", kReaders, false, "",
                  [this, response](const Caller&) -> absl::Status {
                    ASSIGN_OR_RETURN(auto log, store_->dispositions().ListDispositions());
                    for (auto& d : log) *response->add_dispositions() = std::move(d);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListAdminActions(
    grpc::CallbackServerContext* context, const v1::ListAdminActionsRequest* request,
    v1::ListAdminActionsResponse* response) {
  return RunAdmin(context, "ListAdminActions", kReaders, false, "",
                  [this, request, response](const Caller&) -> absl::Status {
                    const int limit =
                        request->limit() > 0 ? std::min(request->limit(), 10000) : 100;
                    ASSIGN_OR_RETURN(auto actions, store_->admin_log().ListAdminActions(limit));
                    for (auto& a : actions) *response->add_actions() = std::move(a);
                    return absl::OkStatus();
                  });
}

namespace {

// `dir` resolved under `root`: relative names below it, absolute paths only
// inside it; no ".." component. INVALID_ARGUMENT naming the field otherwise.
absl::StatusOr<std::string> ResolveBackupDir(const std::string& root, const std::string& dir) {
  if (root.empty()) {
    return absl::FailedPreconditionError(
        "backups are disabled on this server (--backup_root is empty)");
  }
  if (dir.empty()) return absl::InvalidArgumentError("dir: is required");
  if (dir.size() > 4096 || dir.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("dir: is not a usable path");
  }
  const std::filesystem::path p(dir);
  for (const auto& part : p) {
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat("dir: '", dir, "' must not contain '..'"));
    }
  }
  std::error_code ec;
  const std::filesystem::path root_abs = std::filesystem::absolute(root, ec).lexically_normal();
  if (ec) return absl::InternalError(absl::StrCat("--backup_root: ", ec.message()));
  if (p.is_relative()) return (root_abs / p).lexically_normal().string();
  const std::filesystem::path abs = p.lexically_normal();
  auto r = root_abs.begin();
  auto a = abs.begin();
  for (; r != root_abs.end() && !r->empty(); ++r, ++a) {
    if (a == abs.end() || *a != *r) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dir: '", dir, "' is outside the server's --backup_root ", root_abs.string()));
    }
  }
  return abs.string();
}

}  // namespace

grpc::ServerUnaryReactor* AdminServiceImpl::Backup(grpc::CallbackServerContext* context,
                                                   const v1::BackupRequest* request,
                                                   v1::BackupResponse* response) {
  return RunAdmin(
      context, "Backup", kOperators, true, absl::StrCat("dir=", request->dir()),
      [this, request, response](const Caller&) -> absl::Status {
        static metrics::Family* const backups = metrics::Registry::Default().Get(
            "es_backups_total", "Store backups, by result", metrics::Type::kCounter, {"result"});
        static metrics::Gauge* const last_seconds = metrics::Registry::Default().GetGauge(
            "es_backup_last_seconds", "Duration of the last successful backup");
        static metrics::Gauge* const last_at = metrics::Registry::Default().GetGauge(
            "es_backup_last_success_timestamp_seconds", "Unix time of the last successful backup");
        ASSIGN_OR_RETURN(const std::string dir, ResolveBackupDir(backup_root_, request->dir()));
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) {
          backups->CounterWith({"error"})->Add();
          return absl::FailedPreconditionError(
              absl::StrCat("dir: cannot create ", dir, ": ", ec.message()));
        }
        const absl::Time start = absl::Now();
        absl::StatusOr<store::EntityStore::BackupInfo> info =
            store_->Backup(dir, backup_rate_limit_);
        backups->CounterWith({info.ok() ? "ok" : "error"})->Add();
        if (!info.ok()) return info.status();
        const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
        last_seconds->Set(seconds);
        last_at->Set(static_cast<double>(info->timestamp));
        response->set_backup_id(info->backup_id);
        response->set_dir(dir);
        response->set_created_at_unix(info->timestamp);
        response->set_size_bytes(info->size_bytes);
        response->set_file_count(info->file_count);
        response->set_decision_count(info->decision_count);
        response->set_backups_kept(info->backups_kept);
        response->set_seconds(seconds);
        ES_LOG_INFO("backup ", info->backup_id, " into ", dir, ": ", info->size_bytes, " bytes, ",
                    info->file_count, " files, ", info->decision_count, " decisions, ", seconds,
                    "s");
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::PublishRuleSet(grpc::CallbackServerContext* context,
                                                           const v1::PublishRuleSetRequest* request,
                                                           v1::RuleSetInfo* response) {
  return RunAdmin(
      context, "PublishRuleSet", kOperators, true,
      absl::StrCat("source=", request->source(), " files=", request->files_size(),
                   " validate_only=", request->validate_only()),
      [this, request, response](const Caller& caller) -> absl::Status {
        if (request->files().empty()) {
          return absl::InvalidArgumentError("files: at least one rule file is required");
        }
        std::map<std::string, std::string> files(request->files().begin(), request->files().end());
        RETURN_IF_ERROR(serving::CheckRuleSetSize(files));
        if (request->validate_only()) {
          ASSIGN_OR_RETURN(auto compiled, rules::RuleSet::Compile(files));
          response->set_rule_count(static_cast<int64_t>(compiled->rule_count()));
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(*response, publisher_->Publish(files, request->source(), caller.name));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetRuleSet(grpc::CallbackServerContext* context,
                                                       const v1::GetRuleSetRequest* request,
                                                       v1::StoredRuleSet* response) {
  return RunAdmin(context, "GetRuleSet", kAnyone, false, "",
                  [this, request, response](const Caller& caller) -> absl::Status {
                    ASSIGN_OR_RETURN(*response, store_->rule_sets().GetRuleSet(request->version()));
                    return absl::OkStatus();
                  });
}

absl::StatusOr<std::string> AdminServiceImpl::FromOrActive(
    const std::string& from, std::string engine::ScreeningSnapshot::*active_version) const {
  if (!from.empty()) return from;
  auto current = manager_->Current();
  if (current == nullptr) return absl::FailedPreconditionError("nothing active");
  return (*current).*active_version;
}

grpc::ServerUnaryReactor* AdminServiceImpl::DiffRuleSets(grpc::CallbackServerContext* context,
                                                         const v1::DiffRequest* request,
                                                         v1::DiffResponse* response) {
  return RunAdmin(
      context, "DiffRuleSets", kAnyone, false, "",
      [this, request, response](const Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(
            std::string from,
            FromOrActive(request->from_version(), &engine::ScreeningSnapshot::rule_set_version));
        ASSIGN_OR_RETURN(*response, serving::DiffRuleSets(*store_, from, request->to_version()));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::DiffListVersions(grpc::CallbackServerContext* context,
                                                             const v1::DiffRequest* request,
                                                             v1::DiffResponse* response) {
  return RunAdmin(context, "DiffListVersions", kAnyone, false, "",
                  [this, request, response](const Caller& caller) -> absl::Status {
                    ASSIGN_OR_RETURN(std::string from,
                                     FromOrActive(request->from_version(),
                                                  &engine::ScreeningSnapshot::list_version));
                    ASSIGN_OR_RETURN(
                        *response, serving::DiffListVersions(*store_, from, request->to_version()));
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::Activate(grpc::CallbackServerContext* context,
                                                     const v1::ActivateRequest* request,
                                                     v1::ActiveVersions* response) {
  return RunAdmin(
      context, "Activate", kOperators, true,
      absl::StrCat("rules=", request->rule_set_version(), " lists=", request->list_version()),
      [this, request, response](const Caller& caller) -> absl::Status {
        auto current = manager_->Current();
        std::string rules = request->rule_set_version();
        std::string lists = request->list_version();
        if ((rules.empty() || lists.empty()) && current == nullptr) {
          return absl::FailedPreconditionError(
              "nothing active: name both rule_set_version and list_version");
        }
        if (rules.empty()) rules = current->rule_set_version;
        if (lists.empty()) lists = current->list_version;
        RETURN_IF_ERROR(manager_->Activate(rules, lists, caller.name));
        AfterActivation();
        ASSIGN_OR_RETURN(auto active, store_->activation().GetActive());
        if (active.has_value()) *response = *active;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::Rollback(grpc::CallbackServerContext* context,
                                                     const v1::RollbackRequest*,
                                                     v1::ActiveVersions* response) {
  return RunAdmin(context, "Rollback", kOperators, true, "",
                  [this, response](const Caller& caller) -> absl::Status {
                    ASSIGN_OR_RETURN(*response, manager_->Rollback(caller.name));
                    AfterActivation();
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::DryRun(grpc::CallbackServerContext* context,
                                                   const v1::DryRunRequest* request,
                                                   v1::DryRunResponse* response) {
  return RunAdmin(
      context, "DryRun", kOperators, true,
      absl::StrCat("rules=", request->rule_set_version(), " lists=", request->list_version(),
                   " last_n=", request->last_n(), " requests=", request->requests_size()),
      [this, request, response](const Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(*response, serving::DryRun(*manager_, *request, clock_));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListDecisions(grpc::CallbackServerContext* context,
                                                          const v1::ListDecisionsRequest* request,
                                                          v1::ListDecisionsResponse* response) {
  return RunAdmin(context, "ListDecisions", kReaders, false, "",
                  [this, request, response](const Caller& caller) -> absl::Status {
                    ASSIGN_OR_RETURN(*response, serving::ListDecisions(*store_, *request));
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* AdminServiceImpl::VerifyAuditChain(
    grpc::CallbackServerContext* context, const v1::VerifyAuditChainRequest* request,
    v1::VerifyAuditChainResponse* response) {
  return RunAdmin(context, "VerifyAuditChain", kReaders, /*record=*/true, "",
                  [this, request, response](const Caller& caller) -> absl::Status {
                    ASSIGN_OR_RETURN(*response, serving::VerifyAuditChain(*store_, *request));
                    return absl::OkStatus();
                  });
}

grpc::ServerWriteReactor<v1::VerifyAuditChainProgress>* AdminServiceImpl::StreamVerifyAuditChain(
    grpc::CallbackServerContext* context, const v1::VerifyAuditChainRequest* request) {
  auto* reactor = new VerifyStreamReactor(store_, *request, observability_, context);
  absl::StatusOr<Caller> caller =
      AuthCall(context, *authorizer_, "StreamVerifyAuditChain", kReaders, reactor->observer());
  if (!caller.ok()) {
    reactor->Reject(ToGrpcStatus(caller.status()));
  } else {
    reactor->Start();
  }
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ReplayDecision(grpc::CallbackServerContext* context,
                                                           const v1::ReplayDecisionRequest* request,
                                                           v1::ReplayDecisionResponse* response) {
  return RunAdmin(context, "ReplayDecision", kReaders, false, "",
                  [this, request, response](const Caller& caller) -> absl::Status {
                    ASSIGN_OR_RETURN(*response,
                                     serving::ReplayDecision(*manager_, request->decision_id()));
                    return absl::OkStatus();
                  });
}

}  // namespace exportscreen::api
