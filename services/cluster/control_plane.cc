#include "services/cluster/control_plane.h"

#include <nats/nats.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/logging.h"
#include "services/common/proto_time.h"
#include "services/common/status_macros.h"

namespace exportscreen::cluster {
namespace {

constexpr char kControlBucket[] = "control";
constexpr char kReplicasBucket[] = "replicas";
constexpr char kActiveKey[] = "active";

std::string PairOf(absl::string_view rules, absl::string_view lists) {
  return absl::StrCat("rules=", rules.empty() ? "(none)" : rules,
                      " lists=", lists.empty() ? "(none)" : lists);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlPlane>> ControlPlane::Open(NatsClient* nats,
                                                                 ControlOptions options) {
  std::unique_ptr<ControlPlane> c(new ControlPlane(nats, std::move(options)));
  const absl::Time deadline = absl::Now() + c->options_.connect_timeout;
  for (;;) {
    absl::StatusOr<kvStore*> control =
        nats->EnsureKeyValue(kControlBucket, c->options_.replicas, absl::ZeroDuration(), 16);
    absl::StatusOr<kvStore*> replicas =
        control.ok()
            ? nats->EnsureKeyValue(kReplicasBucket, c->options_.replicas, c->options_.bucket_ttl, 1)
            : control.status();
    if (replicas.ok()) {
      c->control_ = *control;
      c->replicas_ = *replicas;
      return c;
    }
    if (absl::Now() > deadline) return replicas.status();
    absl::SleepFor(absl::Milliseconds(250));
  }
}

ControlPlane::~ControlPlane() {
  stop_.Notify();
  if (watcher_.joinable()) watcher_.join();
  if (heartbeat_.joinable()) heartbeat_.join();
}

std::string ControlPlane::apply_error() const {
  absl::MutexLock lock(&mu_);
  return apply_error_;
}

absl::StatusOr<std::optional<std::pair<v1::ClusterControl, uint64_t>>> ControlPlane::Get() const {
  kvEntry* e = nullptr;
  natsStatus s = kvStore_Get(&e, control_, kActiveKey);
  if (s == NATS_NOT_FOUND) return std::nullopt;
  if (s != NATS_OK) return NatsError("control get", s);
  v1::ClusterControl control;
  const bool parsed = control.ParseFromArray(kvEntry_Value(e), kvEntry_ValueLen(e));
  const uint64_t revision = kvEntry_Revision(e);
  kvEntry_Destroy(e);
  if (!parsed) return absl::DataLossError("the control key does not parse");
  return std::make_pair(std::move(control), revision);
}

absl::StatusOr<std::pair<v1::ClusterControl, uint64_t>> ControlPlane::Update(const Next& next) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    ASSIGN_OR_RETURN(auto current, Get());
    const uint64_t revision = current.has_value() ? current->second : 0;
    ASSIGN_OR_RETURN(
        std::optional<v1::ClusterControl> value,
        next(current.has_value() ? current->first : v1::ClusterControl(), current.has_value()));
    if (!value.has_value()) {
      if (!current.has_value()) return std::make_pair(v1::ClusterControl(), uint64_t{0});
      return *std::move(current);
    }
    const std::string bytes = value->SerializeAsString();
    uint64_t stored = 0;
    natsStatus s = current.has_value() ? kvStore_Update(&stored, control_, kActiveKey, bytes.data(),
                                                        static_cast<int>(bytes.size()), revision)
                                       : kvStore_Create(&stored, control_, kActiveKey, bytes.data(),
                                                        static_cast<int>(bytes.size()));
    if (s == NATS_OK) return std::make_pair(*std::move(value), stored);
    // Lost the race (another replica wrote first)? Then compute again.
    ASSIGN_OR_RETURN(auto now, Get());
    const uint64_t now_revision = now.has_value() ? now->second : 0;
    if (now_revision == revision) return NatsError("control compare-and-set", s);
  }
  return absl::AbortedError("control compare-and-set: too many concurrent changes");
}

void ControlPlane::Start(Apply apply, Report report) {
  apply_ = std::move(apply);
  report_ = std::move(report);
  watcher_ = std::thread([this] { WatchLoop(); });
  heartbeat_ = std::thread([this] { HeartbeatLoop(); });
}

void ControlPlane::ApplyLatest(const v1::ClusterControl& control, uint64_t revision) {
  absl::MutexLock lock(&apply_mu_);
  uint64_t seen = seen_.load();
  while (seen < revision && !seen_.compare_exchange_weak(seen, revision)) {
  }
  if (revision <= applied_.load() || control.stack().empty()) return;
  absl::Status s = apply_(control, revision);
  {
    absl::MutexLock status_lock(&mu_);
    apply_error_ = s.ok() ? "" : std::string(s.message());
  }
  if (s.ok()) {
    applied_.store(revision);
  } else {
    ES_LOG_WARNING_RATE_LIMITED(
        "cluster: control revision ", revision,
        " not applied (still serving the last complete pair): ", s.ToString());
  }
  Heartbeat();
}

// Watches key "active"; every second (and after a watcher error) also reads
// it, which retries a revision that failed to apply and covers a watcher
// that did not survive an outage.
void ControlPlane::WatchLoop() {
  kvWatcher* w = nullptr;
  absl::Time next_poll = absl::Now();
  while (!stop_.HasBeenNotified()) {
    if (w == nullptr && kvStore_Watch(&w, control_, kActiveKey, nullptr) != NATS_OK) w = nullptr;
    if (w != nullptr) {
      kvEntry* e = nullptr;
      natsStatus s = kvWatcher_Next(&e, w, 200);
      if (s == NATS_OK && e != nullptr) {
        v1::ClusterControl control;
        if (kvEntry_Operation(e) == kvOp_Put &&
            control.ParseFromArray(kvEntry_Value(e), kvEntry_ValueLen(e))) {
          ApplyLatest(control, kvEntry_Revision(e));
        }
        kvEntry_Destroy(e);
      } else if (s != NATS_OK && s != NATS_TIMEOUT) {
        kvWatcher_Destroy(w);
        w = nullptr;
      }
    } else {
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
    }
    if (absl::Now() < next_poll) continue;
    next_poll = absl::Now() + absl::Seconds(1);
    absl::StatusOr<std::optional<std::pair<v1::ClusterControl, uint64_t>>> current = Get();
    if (current.ok() && current->has_value()) ApplyLatest((*current)->first, (*current)->second);
  }
  if (w != nullptr) {
    kvWatcher_Stop(w);
    kvWatcher_Destroy(w);
  }
}

void ControlPlane::HeartbeatLoop() {
  do {
    Heartbeat();
  } while (!stop_.WaitForNotificationWithTimeout(options_.heartbeat));
}

void ControlPlane::Heartbeat() {
  v1::ReplicaStatus status = report_();
  status.set_replica_id(options_.replica_id);
  status.set_control_revision(applied_.load());
  status.set_control_revision_seen(seen_.load());
  status.set_apply_error(apply_error());
  SetProtoTime(absl::Now(), status.mutable_heartbeat());
  const std::string bytes = status.SerializeAsString();
  uint64_t revision = 0;
  natsStatus s = kvStore_Put(&revision, replicas_, options_.replica_id.c_str(), bytes.data(),
                             static_cast<int>(bytes.size()));
  if (s != NATS_OK) {
    ES_LOG_WARNING_RATE_LIMITED("cluster: heartbeat not stored: ",
                                NatsError("replicas put", s).ToString());
  }
}

absl::StatusOr<std::vector<v1::ReplicaStatus>> ControlPlane::LiveReplicas() const {
  kvKeysList keys;
  kvWatchOptions o;
  kvWatchOptions_Init(&o);
  o.Timeout = 2000;
  natsStatus s = kvStore_Keys(&keys, replicas_, &o);
  std::vector<v1::ReplicaStatus> out;
  if (s == NATS_NOT_FOUND) return out;
  if (s != NATS_OK) return NatsError("replicas keys", s);
  const absl::Time now = absl::Now();
  for (int i = 0; i < keys.Count; ++i) {
    kvEntry* e = nullptr;
    if (kvStore_Get(&e, replicas_, keys.Keys[i]) != NATS_OK) continue;
    v1::ReplicaStatus r;
    if (r.ParseFromArray(kvEntry_Value(e), kvEntry_ValueLen(e)) &&
        now - FromProtoTime(r.heartbeat()) <= options_.live_within) {
      out.push_back(std::move(r));
    }
    kvEntry_Destroy(e);
  }
  kvKeysList_Destroy(&keys);
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.replica_id() < b.replica_id(); });
  return out;
}

absl::Status ControlPlane::WaitAllServing(const v1::ActiveVersions& active, uint64_t revision,
                                          absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<std::string> lagging;
  for (;;) {
    lagging.clear();
    absl::StatusOr<std::vector<v1::ReplicaStatus>> live = LiveReplicas();
    if (live.ok()) {
      for (const v1::ReplicaStatus& r : *live) {
        if (r.rule_set_version() == active.rule_set_version() &&
            r.list_version() == active.list_version() && r.control_revision() >= revision) {
          continue;
        }
        lagging.push_back(absl::StrCat(
            r.replica_id(), " (serves ", PairOf(r.rule_set_version(), r.list_version()),
            r.apply_error().empty() ? "" : absl::StrCat("; cannot apply: ", r.apply_error()), ")"));
      }
      if (lagging.empty()) return absl::OkStatus();
    } else {
      lagging = {std::string(live.status().message())};
    }
    if (absl::Now() > deadline) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("activated ", PairOf(active.rule_set_version(), active.list_version()),
                   " (control revision ", revision, "), but after ", absl::FormatDuration(timeout),
                   " not every live replica serves it: ", absl::StrJoin(lagging, ", ")));
}

absl::StatusOr<v1::ClusterStatus> ControlPlane::Status() const {
  v1::ClusterStatus out;
  ASSIGN_OR_RETURN(auto current, Get());
  if (current.has_value()) {
    out.set_control_revision(current->second);
    out.set_stack_depth(current->first.stack_size());
    if (!current->first.stack().empty()) *out.mutable_active() = *current->first.stack().rbegin();
  }
  ASSIGN_OR_RETURN(std::vector<v1::ReplicaStatus> live, LiveReplicas());
  for (auto& r : live) *out.add_replicas() = std::move(r);
  return out;
}

}  // namespace exportscreen::cluster
