#include "services/cluster/shared_stream.h"

#include <nats/nats.h>

#include "absl/strings/str_cat.h"
#include "services/common/logging.h"
#include "services/common/status_macros.h"

namespace exportscreen::cluster {
namespace {

void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
    StreamMessage m;
    m.sequence = meta->Sequence.Stream;
    m.subject = natsMsg_GetSubject(msg);
    m.msg_id = MsgHeader(msg, "Nats-Msg-Id");
    m.replica = MsgHeader(msg, "Es-Replica");
    m.data.assign(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
    jsMsgMetaData_Destroy(meta);
    static_cast<SharedStream*>(closure)->Deliver(std::move(m));
  }
  natsMsg_Destroy(msg);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SharedStream>> SharedStream::Open(
    NatsClient* nats, const std::string& name, std::string replica_id, int replicas,
    absl::Duration ack_timeout, absl::Duration connect_timeout) {
  std::unique_ptr<SharedStream> s(new SharedStream(nats, name, std::move(replica_id), ack_timeout));
  ASSIGN_OR_RETURN(s->js_, nats->NewJetStream(ack_timeout));
  const absl::Time deadline = absl::Now() + connect_timeout;
  for (;;) {
    absl::Status st = nats->EnsureStream(name, {name + ".>"}, replicas, absl::Minutes(2));
    if (st.ok()) st = s->Head().status();
    if (st.ok()) break;
    if (absl::Now() > deadline) return st;
    absl::SleepFor(absl::Milliseconds(250));
  }
  return s;
}

SharedStream::~SharedStream() { Stop(); }

void SharedStream::Stop() {
  stop_.store(true);
  if (watcher_.joinable()) watcher_.join();
  ReplaceSubscription(&sub_mu_, &sub_, nullptr);
  // A delivery running now holds mu_: once this has it, none runs again.
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

absl::StatusOr<uint64_t> SharedStream::Head() const {
  return StreamLastSequence(js_, name_.c_str());
}

std::string SharedStream::error() const {
  absl::MutexLock lock(&mu_);
  return error_;
}

void SharedStream::Diverged(uint64_t head, uint64_t applied) {
  absl::MutexLock lock(&mu_);
  if (diverged_.load()) return;
  failed_ = true;
  error_ = absl::StrCat(name_, " stream holds messages up to sequence ", head,
                        " but this replica applied up to ", applied,
                        ": the stream was recreated or lost (restore it from a backup, or start "
                        "this replica on a new store)");
  ES_LOG_ERROR("cluster: ", error_);
  diverged_.store(true);
  stuck_.store(true);
}

absl::StatusOr<PublishAck> SharedStream::Publish(const std::string& subject_tail,
                                                 const std::string& msg_id,
                                                 const std::string& data) {
  if (!nats_->connected_now()) {
    return absl::UnavailableError(
        absl::StrCat("publish on stream ", name_, ": NATS not connected (nothing published)"));
  }
  const std::string subject = absl::StrCat(name_, ".", subject_tail);
  natsMsg* msg = nullptr;
  natsStatus s =
      natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Es-Replica", replica_id_.c_str());
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = msg_id.c_str();
  po.MaxWait = absl::ToInt64Milliseconds(ack_timeout_);
  jsPubAck* ack = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  if (s == NATS_OK) s = js_PublishMsg(&ack, js_, msg, &po, &err);
  PublishAck result;
  if (ack != nullptr) {
    result.sequence = ack->Sequence;
    result.duplicate = ack->Duplicate;
    jsPubAck_Destroy(ack);
  }
  if (msg != nullptr) natsMsg_Destroy(msg);
  if (s != NATS_OK) {
    return NatsError(absl::StrCat("publish on stream ", name_, " (not acknowledged)"), s, err);
  }
  return result;
}

absl::StatusOr<uint64_t> SharedStream::PublishApplied(const std::string& msg_id,
                                                      const std::string& data) {
  ASSIGN_OR_RETURN(PublishAck ack, Publish(replica_id_, msg_id, data));
  if (!WaitApplied(ack.sequence, ack_timeout_ + absl::Seconds(5))) {
    const std::string why = error();
    return absl::UnavailableError(absl::StrCat(
        name_, " stream: acknowledged as sequence ", ack.sequence,
        " but not applied on this replica in time (", why.empty() ? "consumer behind" : why,
        "); it is in the log and will be applied"));
  }
  return ack.sequence;
}

std::string SharedStream::NewMsgId() {
  return absl::StrCat(name_, "-", replica_id_, "-", absl::ToUnixNanos(absl::Now()), "-",
                      msg_counter_.fetch_add(1));
}

void SharedStream::Start(uint64_t position, Apply apply) {
  apply_ = std::move(apply);
  consumed_.store(position);
  absl::StatusOr<uint64_t> head = Head();
  // Unknown head (NATS down): caught up only once it is known (WatchLoop).
  start_head_.store(head.ok() ? *head : UINT64_MAX);
  if (head.ok() && *head < position) Diverged(*head, position);
  if (absl::Status s = Subscribe(); !s.ok()) {
    ES_LOG_WARNING("cluster: ", name_, " consumer not started (retrying): ", s.ToString());
  }
  started_.store(true);
  ES_LOG_INFO("cluster: consuming stream ", name_, " after ", position, " (head ",
              head.ok() ? absl::StrCat(*head) : "unknown", ")");
  watcher_ = std::thread([this] { WatchLoop(); });
}

bool SharedStream::WaitApplied(uint64_t sequence, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [this, sequence] { return consumed_.load() >= sequence; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

void SharedStream::Deliver(StreamMessage msg) {
  absl::MutexLock lock(&mu_);
  if (stopped_ || failed_ || diverged_.load() || msg.sequence <= consumed_.load()) {
    return;  // or a redelivery
  }
  // The streams are never trimmed: their sequences have no gaps. A gap is
  // an old subscription's message after a resubscription: not applied.
  absl::Status s = msg.sequence == consumed_.load() + 1
                       ? apply_(msg)
                       : absl::DataLossError(absl::StrCat("gap after ", consumed_.load()));
  if (!s.ok() && !absl::IsAlreadyExists(s)) {
    failed_ = true;
    error_ = absl::StrCat(name_, " stream sequence ", msg.sequence, " not applied: ", s.ToString());
    stuck_.store(true);
    ES_LOG_WARNING("cluster: ", error_, " (retrying)");
    return;
  }
  error_.clear();
  consumed_.store(msg.sequence);
  if (!diverged_.load()) stuck_.store(false);
}

absl::Status SharedStream::Subscribe() {
  {
    absl::MutexLock lock(&mu_);
    failed_ = false;
  }
  const std::string filter = name_ + ".>";
  ASSIGN_OR_RETURN(natsSubscription * sub, SubscribeOrdered(js_, name_.c_str(), filter.c_str(),
                                                            consumed_.load(), &OnMessage, this));
  ReplaceSubscription(&sub_mu_, &sub_, sub);
  return absl::OkStatus();
}

// Every second: learns the start head if it was unknown; resubscribes after
// a failed apply, or when the stream is ahead and nothing came in.
void SharedStream::WatchLoop() {
  uint64_t last_checked = consumed_.load();
  int ticks = 0;
  while (!stop_.load()) {
    absl::SleepFor(absl::Milliseconds(100));
    if (++ticks % 10 != 0) continue;
    absl::StatusOr<uint64_t> head = Head();
    if (head.ok() && start_head_.load() == UINT64_MAX) start_head_.store(*head);
    const uint64_t consumed = consumed_.load();
    if (head.ok() && *head < consumed) {
      Diverged(*head, consumed);
      continue;
    }
    if (diverged_.load()) continue;  // for good: a person must act
    bool failed;
    {
      absl::MutexLock lock(&mu_);
      failed = failed_;
    }
    if (failed || (head.ok() && *head > consumed && consumed == last_checked)) {
      ES_LOG_WARNING("cluster: ", name_, " consumer ", failed ? "failed" : "stalled", " at ",
                     consumed, " (stream at ", head.ok() ? absl::StrCat(*head) : "?",
                     "): resubscribing");
      if (absl::Status s = Subscribe(); !s.ok()) {
        ES_LOG_WARNING_RATE_LIMITED("cluster: ", name_, " resubscribe failed: ", s.ToString());
      }
    }
    last_checked = consumed;
  }
}

}  // namespace exportscreen::cluster
