// Cluster mode (issue 17) of ScreeningServer: the decision log, the shared
// version stores and the control plane on NATS JetStream.
#include "absl/strings/str_cat.h"
#include "services/common/logging.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"
#include "services/cluster/kv_request_index.h"
#include "services/server/server.h"
#include "services/store/key_codec.h"

namespace exportscreen::server {

absl::Status ScreeningServer::StartCluster() {
  const ServerOptions& options = options_;
  if (options.nats_urls.empty()) {
    if (!options.replica_id.empty()) {
      return absl::InvalidArgumentError("replica_id: only with --nats (cluster mode)");
    }
    return absl::OkStatus();
  }
  if (!store::IsValidReplicaId(options.replica_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("replica_id: '", options.replica_id,
                     "' must be 1 to 32 of [a-z0-9_] (required with --nats)"));
  }
  if (options.stream_replicas < 1 || options.stream_replicas > 5) {
    return absl::InvalidArgumentError("stream_replicas: must be 1 to 5");
  }
  if (options.nats_ack_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("nats_ack_timeout: must be positive");
  }
  if (options.activation_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("activation_timeout: must be positive");
  }
  cluster::ClusterOptions co;
  co.nats_urls = options.nats_urls;
  co.replica_id = options.replica_id;
  co.stream_replicas = options.stream_replicas;
  co.ack_timeout = options.nats_ack_timeout;
  RETURN_IF_ERROR(
      store_->WrapDecisionLog([&](std::unique_ptr<store::DecisionLog> local)
                                  -> absl::StatusOr<std::unique_ptr<store::DecisionLog>> {
        ASSIGN_OR_RETURN(
            std::unique_ptr<cluster::ClusterDecisionLog> log,
            cluster::ClusterDecisionLog::Open(std::move(local), &store_->replica_decisions(), co));
        cluster_log_ = log.get();
        return std::unique_ptr<store::DecisionLog>(std::move(log));
      }));
  RETURN_IF_ERROR(StartSharedVersions());
  RETURN_IF_ERROR(StartSharedRecords());
  // No answer from a replica that has not applied the shared records yet
  // (a revocation not yet applied would leave a hit dismissed).
  cluster_log_->SetAppendGate([this](std::string* why) { return SharedRecordsCaughtUp(why); });
  return StartRequestIndex();
}

// Idempotent Screen: the claims of request ids in KV bucket `requests`,
// shared by every replica (TTL = the idempotency window).
absl::Status ScreeningServer::StartRequestIndex() {
  if (options_.idempotency_window <= absl::ZeroDuration()) return absl::OkStatus();
  ASSIGN_OR_RETURN(
      std::unique_ptr<store::RequestIndex> index,
      cluster::KvRequestIndex::Open(options_.nats_urls, options_.replica_id,
                                    options_.stream_replicas, options_.idempotency_window,
                                    std::max(absl::Seconds(5), options_.nats_ack_timeout)));
  store_->ReplaceRequestIndex(std::move(index));
  return absl::OkStatus();
}

// The versions stream (the store's version stores wrapped) and the control
// plane, on a connection of their own.
absl::Status ScreeningServer::StartSharedVersions() {
  const ServerOptions& options = options_;
  const absl::Duration connect_timeout = absl::Seconds(15);
  ASSIGN_OR_RETURN(cluster_nats_,
                   cluster::NatsClient::Connect(options.nats_urls,
                                                "exportscreen-" + options.replica_id + "-control",
                                                connect_timeout, {}));
  RETURN_IF_ERROR(store_->WrapVersionStores(
      [&](std::unique_ptr<store::ListVersionStore>* lists,
          std::unique_ptr<store::RuleSetStore>* rule_sets) -> absl::Status {
        ASSIGN_OR_RETURN(
            version_log_,
            cluster::VersionLog::Open(cluster_nats_.get(), options.stream_replicas,
                                      std::max(absl::Seconds(5), options.nats_ack_timeout),
                                      connect_timeout, std::move(*lists), std::move(*rule_sets)));
        *lists = version_log_->NewListStore();
        *rule_sets = version_log_->NewRuleSetStore();
        return absl::OkStatus();
      }));
  cluster::ControlOptions control;
  control.replica_id = options.replica_id;
  control.replicas = options.stream_replicas;
  control.connect_timeout = connect_timeout;
  ASSIGN_OR_RETURN(control_, cluster::ControlPlane::Open(cluster_nats_.get(), control));
  return absl::OkStatus();
}

void ScreeningServer::SetUpSharedActivation() {
  if (control_ == nullptr) return;
  serving::SharedActivation shared;
  shared.update = [this](const serving::SharedActivation::Next& next) {
    return control_->Update(next);
  };
  shared.ensure_published = [this](const std::string& rules, const std::string& lists) {
    return version_log_->EnsurePublished(rules, lists);
  };
  shared.wait_all = [this](const v1::ActiveVersions& active, uint64_t revision) {
    return control_->WaitAllServing(active, revision, options_.activation_timeout);
  };
  manager_->set_shared_activation(std::move(shared));
}

// After the local start-up (which may have seeded an empty store): consume
// the versions stream, create the control key from this replica's pair if
// no replica did yet, then follow the key.
void ScreeningServer::StartControl() {
  if (absl::Status s = version_log_->StartConsumer(); !s.ok()) {
    ES_LOG_WARNING("cluster: versions consumer not started (retrying): ", s.ToString());
  }
  if (auto current = manager_->Current(); current != nullptr) {
    auto created =
        control_->Update([&](const v1::ClusterControl&,
                             bool exists) -> absl::StatusOr<std::optional<v1::ClusterControl>> {
          if (exists) return std::nullopt;
          RETURN_IF_ERROR(
              version_log_->EnsurePublished(current->rule_set_version, current->list_version));
          v1::ActiveVersions active;
          active.set_rule_set_version(current->rule_set_version);
          active.set_list_version(current->list_version);
          SetProtoTime(options_.clock->Now(), active.mutable_activated_at());
          active.set_activated_by(absl::StrCat("bootstrap ", options_.replica_id));
          return serving::PushActivation(v1::ClusterControl(), active);
        });
    if (!created.ok()) {
      ES_LOG_WARNING("cluster: control key not read or created: ", created.status().ToString());
    }
  }
  control_->Start(
      [this](const v1::ClusterControl& control, uint64_t revision) -> absl::Status {
        const v1::ActiveVersions& top = *control.stack().rbegin();
        absl::Status s = manager_->ApplyShared(top);
        if (s.ok()) {
          ES_LOG_INFO("cluster: serving control revision ", revision,
                      ": rules=", top.rule_set_version(), " lists=", top.list_version());
        }
        UpdateHealth();
        return s;
      },
      [this] { return ReplicaReport(); });
}

v1::ReplicaStatus ScreeningServer::ReplicaReport() const {
  v1::ReplicaStatus r;
  if (auto snapshot = manager_->Current(); snapshot != nullptr) {
    r.set_rule_set_version(snapshot->rule_set_version);
    r.set_list_version(snapshot->list_version);
  }
  const size_t colon = options_.listen.rfind(':');
  r.set_address(absl::StrCat(options_.listen.substr(0, colon), ":", port_));
  const ProbeResult ready = Ready();
  r.set_serving(ready.ok);
  r.set_not_serving_reason(ready.reason);
  if (cluster_log_ != nullptr) {
    r.set_decisions_consumed(cluster_log_->consumed());
    if (auto head = cluster_log_->LogHead(); head.ok()) r.set_decisions_head(*head);
    if (r.decisions_head() > r.decisions_consumed()) {
      r.set_decisions_lag(r.decisions_head() - r.decisions_consumed());
    }
  }
  AddStreamPositions(&r);
  r.set_versions_consumed(version_log_->consumed());
  if (auto head = version_log_->Head(); head.ok()) r.set_versions_head(*head);
  if (r.versions_head() > r.versions_consumed()) {
    r.set_versions_lag(r.versions_head() - r.versions_consumed());
  }
  return r;
}

}  // namespace exportscreen::server
