#include "services/cluster/cluster_decision_log.h"

#include <nats/nats.h>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "services/common/logging.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"
#include "services/cluster/decision_batch.h"
#include "services/store/decision_envelope.h"
#include "services/store/key_codec.h"

namespace exportscreen::cluster {
namespace {

constexpr char kStream[] = "decisions";
constexpr char kSubjectPrefix[] = "decisions.";

void OnPublishAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) {
    std::string error;
    if (pa == nullptr) {
      error = pae != nullptr && pae->ErrText != nullptr
                  ? std::string(pae->ErrText)
                  : std::string(natsStatus_GetText(pae != nullptr ? pae->Err : NATS_ERR));
    }
    static_cast<ClusterDecisionLog*>(closure)->Acked(id, pa != nullptr, error);
  }
  natsMsg_Destroy(msg);
}

void OnDecisionMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
    static_cast<ClusterDecisionLog*>(closure)->Consume(
        natsMsg_GetSubject(msg),
        absl::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))),
        meta->Sequence.Stream);
    jsMsgMetaData_Destroy(meta);
  }
  natsMsg_Destroy(msg);
}

// The envelope of a record as the local chain stored it: the record bytes
// are its deterministic serialisation without `hash`.
absl::StatusOr<std::string> EnvelopeOf(const v1::DecisionRecord& record) {
  v1::DecisionRecord copy = record;
  copy.clear_hash();
  copy.ByteSizeLong();  // SerializeWithCachedSizes needs the sizes cached
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    copy.SerializeWithCachedSizes(&coded);
  }
  if (store::DecisionBytesHash(bytes) != record.hash()) {
    return absl::InternalError(absl::StrCat("decision ", record.decision_id(),
                                            ": the record does not reproduce its hash"));
  }
  return store::EncodeDecisionEnvelope(bytes, record.prev_hash(), record.hash());
}

metrics::Family* PublishedCounter() {
  static metrics::Family* const f = metrics::Registry::Default().Get(
      "es_cluster_decisions_published_total",
      "Decisions published to the JetStream decisions stream, by result", metrics::Type::kCounter,
      {"result"});
  return f;
}

}  // namespace

ClusterDecisionLog::ClusterDecisionLog(std::unique_ptr<store::DecisionLog> local,
                                       const store::ReplicaDecisionStore* replicas,
                                       ClusterOptions options)
    : local_(std::move(local)),
      replicas_(replicas),
      options_(std::move(options)),
      subject_(absl::StrCat(kSubjectPrefix, options_.replica_id)) {}

absl::StatusOr<std::unique_ptr<ClusterDecisionLog>> ClusterDecisionLog::Open(
    std::unique_ptr<store::DecisionLog> local, const store::ReplicaDecisionStore* replicas,
    ClusterOptions options) {
  if (!store::IsValidReplicaId(options.replica_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("replica_id: '", options.replica_id, "' is not 1 to 32 of [a-z0-9_]"));
  }
  std::unique_ptr<ClusterDecisionLog> log(
      new ClusterDecisionLog(std::move(local), replicas, std::move(options)));
  RETURN_IF_ERROR(log->Start());
  return log;
}

absl::Status ClusterDecisionLog::Start() {
  ASSIGN_OR_RETURN(nats_,
                   NatsClient::Connect(options_.nats_urls, "exportscreen-" + options_.replica_id,
                                       options_.connect_timeout, [this](bool connected) {
                                         if (!connected) SetUnhealthy("NATS connection lost", 0);
                                       }));
  ASSIGN_OR_RETURN(publish_js_, nats_->NewJetStream(options_.ack_timeout, [this](jsOptions* o) {
    o->PublishAsync.AckHandler = &OnPublishAck;
    o->PublishAsync.AckHandlerClosure = this;
    o->PublishAsync.MaxPending = 8192;
  }));
  ASSIGN_OR_RETURN(sync_js_, nats_->NewJetStream(options_.ack_timeout));
  // A JetStream cluster (or stream) that just started may not have elected
  // its leaders yet: retry for up to the connect timeout.
  const absl::Time deadline = absl::Now() + options_.connect_timeout;
  absl::StatusOr<uint64_t> last_or;
  for (;;) {
    absl::Status s =
        nats_->EnsureStream(kStream, {"decisions.>"}, options_.stream_replicas, absl::Minutes(2));
    if (s.ok()) last_or = LastPublishedSequence();
    if (s.ok() && last_or.ok()) break;
    if (absl::Now() > deadline) return s.ok() ? last_or.status() : s;
    absl::SleepFor(absl::Milliseconds(250));
  }
  const uint64_t last = *last_or;
  const uint64_t head = static_cast<uint64_t>(local_->decision_count());
  if (last > head) {
    return absl::FailedPreconditionError(absl::StrCat(
        "replica ", options_.replica_id, ": the decisions stream holds its chain up to ", last,
        " but the local store only up to ", head,
        " (a lost or older store); restore the store or start under a new --replica_id"));
  }
  {
    absl::MutexLock lock(&mu_);
    if (head > last) resync_from_ = last + 1;
  }
  if (absl::Status s = Resync(); !s.ok()) {
    ES_LOG_WARNING("cluster: initial resync failed (retrying): ", s.ToString());
  }
  ASSIGN_OR_RETURN(const uint64_t position, replicas_->Position());
  consumed_.store(position);
  if (absl::Status s = StartConsumer(position); !s.ok()) {
    ES_LOG_WARNING("cluster: decisions consumer not started (retrying): ", s.ToString());
    resubscribe_ = true;  // before the resync thread starts
  }
  publisher_ = std::thread([this] { PublisherLoop(); });
  resyncer_ = std::thread([this] { ResyncLoop(); });
  ES_LOG_INFO("cluster: replica ", options_.replica_id, " publishing decisions on ", subject_,
              " (local chain head ", head, ", log head ", last, ")");
  return absl::OkStatus();
}

ClusterDecisionLog::~ClusterDecisionLog() {
  stop_.Notify();
  if (resyncer_.joinable()) resyncer_.join();
  // Drain the local recorder: its callbacks queue the last records here.
  if (publisher_.joinable()) local_.reset();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (publisher_.joinable()) publisher_.join();
  ReplaceSubscription(&sub_mu_, &sub_, nullptr);
  nats_.reset();
}

bool ClusterDecisionLog::healthy() const {
  absl::MutexLock lock(&mu_);
  return healthy_;
}

std::string ClusterDecisionLog::NotServingReason() const {
  absl::MutexLock lock(&mu_);
  return healthy_ ? "" : reason_;
}

void ClusterDecisionLog::SetUnhealthy(const std::string& why, uint64_t from_sequence) {
  absl::MutexLock lock(&mu_);
  if (healthy_) ES_LOG_WARNING("cluster: decision log unavailable: ", why);
  healthy_ = false;
  reason_ = "decision log (NATS JetStream) unavailable: " + why;
  ++unhealthy_generation_;
  if (from_sequence != 0 && (resync_from_ == 0 || from_sequence < resync_from_)) {
    resync_from_ = from_sequence;
  }
}

void ClusterDecisionLog::AppendDecisionAsync(std::unique_ptr<v1::DecisionRecord> record,
                                             DecisionDone done, std::string* response_bytes) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      refused = absl::UnavailableError("store is shutting down");
    } else if (!healthy_) {
      refused = absl::UnavailableError(reason_);
    }
  }
  if (std::string why; refused.ok() && gate_ && !gate_(&why)) {
    refused = absl::UnavailableError(why);
  }
  if (!refused.ok()) {
    // Fail closed: nothing is recorded, nothing answered.
    done(std::move(refused), std::move(record));
    return;
  }
  local_->AppendDecisionAsync(
      std::move(record),
      [this, done = std::move(done)](absl::Status s,
                                     std::unique_ptr<v1::DecisionRecord> r) mutable {
        Enqueue(std::move(s), std::move(r), std::move(done));
      },
      response_bytes);
}

// On the local recorder's thread: must not block.
void ClusterDecisionLog::Enqueue(absl::Status status, std::unique_ptr<v1::DecisionRecord> record,
                                 DecisionDone done) {
  if (!status.ok()) {
    done(std::move(status), std::move(record));
    return;
  }
  Pending p;
  absl::StatusOr<std::string> envelope = EnvelopeOf(*record);
  if (!envelope.ok()) {
    SetUnhealthy(std::string(envelope.status().message()), record->sequence());
    done(envelope.status(), std::move(record));
    return;
  }
  p.envelope = *std::move(envelope);
  p.record = std::move(record);
  p.done = std::move(done);
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(p));
}

void ClusterDecisionLog::PublisherLoop() {
  static metrics::Histogram* const ack_seconds = metrics::Registry::Default().GetHistogram(
      "es_cluster_publish_group_seconds",
      "Time from publishing a group of decisions to JetStream's last ack",
      metrics::LatencyBuckets());
  static metrics::Histogram* const group_size = metrics::Registry::Default().GetHistogram(
      "es_cluster_publish_group_size", "Decisions per published group", metrics::SizeBuckets());
  for (;;) {
    std::vector<Pending> group;
    bool healthy = false;
    std::string reason;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &ClusterDecisionLog::PublisherReady));
      if (queue_.empty()) return;  // stopping, and drained
      while (!queue_.empty() && group.size() < options_.max_group) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      healthy = healthy_;
      reason = reason_;
    }
    if (!healthy) {
      // Written locally before the log failed: the resync republishes them.
      SetUnhealthy(reason, group.front().record->sequence());
      PublishedCounter()->CounterWith({"refused"})->Add(group.size());
      for (auto& p : group) p.done(absl::UnavailableError(reason), std::move(p.record));
      continue;
    }
    const absl::Time start = absl::Now();
    PublishGroup(&group);
    ack_seconds->Observe(absl::ToDoubleSeconds(absl::Now() - start));
    group_size->Observe(static_cast<double>(group.size()));
  }
}

void ClusterDecisionLog::PublishGroup(std::vector<Pending>* group) {
  // The group as batch messages (decision_batch.h) of at most
  // options_.max_batch_bytes each, message id "<first id>+<count>".
  struct Message {
    std::string id;
    size_t begin = 0, end = 0;  // records [begin, end) of the group
  };
  std::vector<Message> messages;
  for (size_t i = 0, bytes = 0; i < group->size(); ++i) {
    const size_t size = (*group)[i].envelope.size() + 5;
    if (messages.empty() || bytes + size > options_.max_batch_bytes) {
      messages.push_back({"", i, i});
      bytes = 0;
    }
    bytes += size;
    messages.back().end = i + 1;
  }
  for (Message& m : messages) {
    m.id = absl::StrCat((*group)[m.begin].record->decision_id(), "+", m.end - m.begin);
  }
  {
    absl::MutexLock g(&group_mu_);
    group_ = group;
    answered_ = 0;
    group_messages_ = messages.size();
    group_index_.clear();
    for (const Message& m : messages) group_index_[m.id] = {m.begin, m.end};
  }
  const int64_t wait_ms = absl::ToInt64Milliseconds(options_.ack_timeout);
  if (!nats_->connected_now()) {  // never into the reconnect buffer
    for (const Message& m : messages) AnswerMessage(m.id, false, "NATS not connected");
    messages.clear();
  }
  std::string payload, raw;
  std::vector<absl::string_view> envelopes;
  for (const Message& m : messages) {
    envelopes.clear();
    for (size_t i = m.begin; i < m.end; ++i) envelopes.push_back((*group)[i].envelope);
    EncodeDecisionBatch(envelopes, &payload, &raw);
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, subject_.c_str(), nullptr, payload.data(),
                                  static_cast<int>(payload.size()));
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = m.id.c_str();
    po.MaxWait = wait_ms;
    if (s == NATS_OK) s = js_PublishMsgAsync(publish_js_, &msg, &po);
    if (s != NATS_OK) {
      if (msg != nullptr) natsMsg_Destroy(msg);
      AnswerMessage(m.id, false, std::string(NatsError("publish", s).message()));
    }
  }
  jsPubOptions co;
  jsPubOptions_Init(&co);
  co.MaxWait = wait_ms;
  if (js_PublishAsyncComplete(publish_js_, &co) != NATS_OK) {
    natsMsgList pending;
    if (js_PublishAsyncGetPendingList(&pending, publish_js_) == NATS_OK) {
      natsMsgList_Destroy(&pending);  // no ack came in time: they fail
    }
  }
  uint64_t first_failed = 0;
  std::string error;
  {
    absl::MutexLock g(&group_mu_);
    // Acks already counted by the library may still be in their handler.
    group_mu_.AwaitWithTimeout(absl::Condition(this, &ClusterDecisionLog::GroupAnswered),
                               absl::Milliseconds(200));
    group_ = nullptr;
    for (const Pending& p : *group) {
      if (p.acked) continue;
      if (first_failed == 0) {
        first_failed = p.record->sequence();
        error = p.error.empty() ? "no acknowledgement within the ack timeout" : p.error;
      }
    }
  }
  if (first_failed != 0) SetUnhealthy(error, first_failed);
  size_t ok = 0;
  for (Pending& p : *group) {
    if (p.acked) {
      ++ok;
      p.done(absl::OkStatus(), std::move(p.record));
    } else {
      p.done(absl::UnavailableError(
                 absl::StrCat("decision log (NATS JetStream) did not acknowledge the record: ",
                              p.error.empty() ? error : p.error)),
             std::move(p.record));
    }
  }
  PublishedCounter()->CounterWith({"ok"})->Add(ok);
  PublishedCounter()->CounterWith({"error"})->Add(group->size() - ok);
}

void ClusterDecisionLog::Acked(absl::string_view msg_id, bool ok, const std::string& error) {
  AnswerMessage(msg_id, ok, error);
}

void ClusterDecisionLog::AnswerMessage(absl::string_view msg_id, bool ok,
                                       const std::string& error) {
  absl::MutexLock g(&group_mu_);
  if (group_ == nullptr) return;
  auto it = group_index_.find(msg_id);
  if (it == group_index_.end() || it->second.answered) return;
  it->second.answered = true;
  for (size_t i = it->second.begin; i < it->second.end; ++i) {
    Pending& p = (*group_)[i];
    if (ok) {
      p.acked = true;
    } else {
      p.error = error.empty() ? "publish failed" : error;
    }
  }
  ++answered_;
}

void ClusterDecisionLog::ResyncLoop() {
  int tick = 0;
  while (!stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200))) {
    if (!healthy()) {
      resubscribe_ = true;  // after an outage, subscribe afresh
      if (absl::Status s = Resync(); !s.ok()) {
        ES_LOG_WARNING_RATE_LIMITED("cluster: resync failed: ", s.ToString());
      }
      continue;
    }
    if (resubscribe_) {
      absl::Status s = StartConsumer(consumed_.load());
      if (s.ok()) {
        resubscribe_ = false;
      } else {
        ES_LOG_WARNING_RATE_LIMITED("cluster: resubscribing failed: ", s.ToString());
      }
      continue;
    }
    if (++tick % 5 == 0) CheckConsumer();  // every second
  }
}

void ClusterDecisionLog::CheckConsumer() {
  const uint64_t consumed = consumed_.load();
  absl::StatusOr<uint64_t> last = StreamLastSequence();
  if (!last.ok()) return;
  if (*last > consumed && consumed == checked_consumed_) {
    ES_LOG_WARNING("cluster: decisions consumer stalled at ", consumed, " (stream at ", *last,
                   "): resubscribing");
    StartConsumer(consumed).IgnoreError();
  }
  checked_consumed_ = consumed;
}

absl::StatusOr<uint64_t> ClusterDecisionLog::StreamLastSequence() const {
  return cluster::StreamLastSequence(sync_js_, kStream);
}

absl::Status ClusterDecisionLog::Resync() {
  for (;;) {
    uint64_t from = 0;
    uint64_t generation = 0;
    {
      absl::MutexLock lock(&mu_);
      if (healthy_) return absl::OkStatus();
      from = resync_from_;
      generation = unhealthy_generation_;
    }
    if (!nats_->connected()) return absl::UnavailableError("NATS not connected");
    // JetStream answers (also when nothing is to be republished).
    ASSIGN_OR_RETURN(const uint64_t last, LastPublishedSequence());
    int64_t republished = 0;
    if (from != 0) {
      absl::Status publish_status;
      RETURN_IF_ERROR(local_->ScanStored(from, [&](uint64_t,
                                                   const absl::StatusOr<store::StoredDecision>& d) {
        if (!d.ok()) {
          publish_status = d.status();
          return false;
        }
        v1::DecisionRecord r;
        if (!r.ParseFromString(std::string(d->record_bytes))) {
          publish_status = absl::DataLossError("a local decision does not parse");
          return false;
        }
        publish_status = PublishSync(
            r.decision_id(), store::EncodeDecisionEnvelope(d->record_bytes, d->prev_hash, d->hash));
        ++republished;
        return publish_status.ok();
      }));
      RETURN_IF_ERROR(publish_status);
    }
    absl::MutexLock lock(&mu_);
    if (generation != unhealthy_generation_) continue;  // failed again meanwhile
    healthy_ = true;
    resync_from_ = 0;
    reason_.clear();
    ES_LOG_INFO("cluster: decision log available (log head ", last, ", republished ", republished,
                " local records from ", from, ")");
    return absl::OkStatus();
  }
}

absl::Status ClusterDecisionLog::PublishSync(const std::string& id, const std::string& envelope) {
  if (!nats_->connected_now())
    return absl::UnavailableError("republish " + id + ": NATS not connected");
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = id.c_str();
  po.MaxWait = absl::ToInt64Milliseconds(options_.ack_timeout);
  jsPubAck* ack = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_Publish(&ack, sync_js_, subject_.c_str(), envelope.data(),
                            static_cast<int>(envelope.size()), &po, &err);
  if (ack != nullptr) jsPubAck_Destroy(ack);
  if (s != NATS_OK) return NatsError("republish " + id, s, err);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ClusterDecisionLog::LastPublishedSequence() {
  natsMsg* msg = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&msg, sync_js_, kStream, subject_.c_str(), nullptr, &err);
  if (s == NATS_NOT_FOUND || err == JSNoMessageFoundErr) return 0;
  if (s != NATS_OK) return NatsError("last message of " + subject_, s, err);
  // A batch's last envelope is the newest record it holds.
  std::string storage;
  auto envelopes = DecodeDecisionMessage(
      absl::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))),
      &storage);
  uint64_t seq = 0;
  bool decoded = false;
  if (envelopes.ok()) {
    absl::StatusOr<store::StoredDecision> last = store::DecodeStoredDecision(envelopes->back());
    decoded = last.ok();
    if (decoded) seq = last->record_sequence;
  }
  natsMsg_Destroy(msg);
  if (!decoded)
    return absl::DataLossError("the log's last decision of this replica does not decode");
  return seq;
}

absl::Status ClusterDecisionLog::StartConsumer(uint64_t position) {
  ASSIGN_OR_RETURN(natsSubscription * sub, SubscribeOrdered(sync_js_, kStream, "decisions.>",
                                                            position, &OnDecisionMessage, this));
  ReplaceSubscription(&sub_mu_, &sub_, sub);
  return absl::OkStatus();
}

void ClusterDecisionLog::Consume(absl::string_view subject, absl::string_view data,
                                 uint64_t stream_sequence) {
  const absl::string_view replica = absl::StripPrefix(subject, kSubjectPrefix);
  if (replica != options_.replica_id) {
    std::string storage;
    absl::StatusOr<std::vector<absl::string_view>> envelopes =
        DecodeDecisionMessage(data, &storage);
    absl::Status s = envelopes.status();
    if (s.ok()) {
      std::vector<store::ReplicaDecisionStore::Entry> entries(envelopes->size());
      for (size_t i = 0; i < entries.size(); ++i) {
        store::ReplicaDecisionStore::Entry& e = entries[i];
        e.replica = std::string(replica);
        e.envelope = std::string((*envelopes)[i]);
        auto decoded = store::DecodeStoredDecision(e.envelope);
        e.sequence = decoded.ok() ? decoded->record_sequence : 0;
      }
      // One write for the whole message (with the stream position).
      s = replicas_->Put(entries, stream_sequence);
    }
    if (!s.ok()) {
      // A record that fails its digest check is not stored (and logged).
      ES_LOG_WARNING_RATE_LIMITED("cluster: decisions stream sequence ", stream_sequence,
                                  " not stored: ", s.ToString());
    }
  }
  // Monotonic (a replaced subscription may still deliver a message).
  uint64_t seen = consumed_.load();
  while (seen < stream_sequence && !consumed_.compare_exchange_weak(seen, stream_sequence)) {
  }
}

absl::StatusOr<v1::DecisionRecord> ClusterDecisionLog::GetDecision(absl::string_view id) const {
  std::string replica;
  uint64_t seq = 0;
  if (!store::ParseReplicaDecisionId(id, &replica, &seq) || replica == options_.replica_id) {
    return local_->GetDecision(id);
  }
  auto found = replicas_->Get(replica, seq);
  if (!absl::IsNotFound(found.status())) return found;
  // Not consumed yet? Wait until this replica has read the stream as far
  // as it reaches now (bounded by the ack timeout).
  absl::StatusOr<uint64_t> last = StreamLastSequence();
  if (!last.ok()) return found;
  const absl::Time deadline = absl::Now() + options_.ack_timeout;
  while (consumed_.load() < *last && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  return replicas_->Get(replica, seq);
}

}  // namespace exportscreen::cluster
