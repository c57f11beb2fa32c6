#include "services/cluster/version_log.h"

#include <nats/nats.h>

#include <algorithm>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/logging.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"

namespace exportscreen::cluster {
namespace {

constexpr char kStream[] = "versions";
constexpr char kKindList[] = "list";
constexpr char kKindRules[] = "rules";

std::string Subject(absl::string_view kind, absl::string_view id) {
  return absl::StrCat("versions.", kind, ".", id);
}

void OnVersionMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
    VersionChunk c;
    c.kind = MsgHeader(msg, "Es-Kind");
    c.id = MsgHeader(msg, "Es-Version");
    c.digest = MsgHeader(msg, "Es-Digest");
    if (!absl::SimpleAtoi(MsgHeader(msg, "Es-Chunk"), &c.index)) c.index = -1;
    if (!absl::SimpleAtoi(MsgHeader(msg, "Es-Chunks"), &c.count)) c.count = 0;
    c.data.assign(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
    static_cast<VersionLog*>(closure)->Consume(c, meta->Sequence.Stream);
    jsMsgMetaData_Destroy(meta);
  }
  natsMsg_Destroy(msg);
}

metrics::Family* VersionsCounter() {
  static metrics::Family* const f = metrics::Registry::Default().Get(
      "es_cluster_versions_total",
      "Versions on the JetStream versions stream, by what this replica did with them",
      metrics::Type::kCounter, {"result"});
  return f;
}

// The local stores, wrapped: a put is also published, a miss is fetched.
class SharedLists : public store::ListVersionStore {
 public:
  explicit SharedLists(VersionLog* log) : log_(log) {}
  absl::Status PutListVersion(const store::ListVersionData& data) override {
    absl::Status s = log_->local_lists().PutListVersion(data);
    if (!s.ok() && !absl::IsAlreadyExists(s)) return s;
    // Stored here (or before): the other replicas must be able to get it.
    RETURN_IF_ERROR(log_->PublishList(data));
    return s;
  }
  absl::StatusOr<store::ListVersionData> ReadListVersion(absl::string_view version) const override {
    auto r = log_->local_lists().ReadListVersion(version);
    if (!absl::IsNotFound(r.status()) || !log_->CatchUp()) return r;
    return log_->local_lists().ReadListVersion(version);
  }
  absl::StatusOr<std::vector<v1::ListVersionInfo>> ListListVersions() const override {
    return log_->local_lists().ListListVersions();
  }

 private:
  VersionLog* const log_;
};

class SharedRuleSets : public store::RuleSetStore {
 public:
  explicit SharedRuleSets(VersionLog* log) : log_(log) {}
  absl::Status PutRuleSet(const v1::StoredRuleSet& rule_set) override {
    RETURN_IF_ERROR(log_->local_rule_sets().PutRuleSet(rule_set));
    return log_->PublishRuleSet(rule_set);
  }
  absl::StatusOr<v1::StoredRuleSet> GetRuleSet(absl::string_view version) const override {
    auto r = log_->local_rule_sets().GetRuleSet(version);
    if (!absl::IsNotFound(r.status()) || !log_->CatchUp()) return r;
    return log_->local_rule_sets().GetRuleSet(version);
  }
  absl::StatusOr<std::vector<v1::RuleSetInfo>> ListRuleSets() const override {
    return log_->local_rule_sets().ListRuleSets();
  }

 private:
  VersionLog* const log_;
};

}  // namespace

VersionLog::VersionLog(NatsClient* nats, absl::Duration fetch_timeout,
                       std::unique_ptr<store::ListVersionStore> lists,
                       std::unique_ptr<store::RuleSetStore> rule_sets)
    : nats_(nats),
      fetch_timeout_(fetch_timeout),
      lists_(std::move(lists)),
      rule_sets_(std::move(rule_sets)) {}

absl::StatusOr<std::unique_ptr<VersionLog>> VersionLog::Open(
    NatsClient* nats, int stream_replicas, absl::Duration fetch_timeout,
    absl::Duration connect_timeout, std::unique_ptr<store::ListVersionStore> lists,
    std::unique_ptr<store::RuleSetStore> rule_sets) {
  std::unique_ptr<VersionLog> log(
      new VersionLog(nats, fetch_timeout, std::move(lists), std::move(rule_sets)));
  ASSIGN_OR_RETURN(log->js_, nats->NewJetStream(fetch_timeout));
  const absl::Time deadline = absl::Now() + connect_timeout;
  for (;;) {
    absl::Status s = nats->EnsureStream(kStream, {"versions.>"}, stream_replicas, absl::Minutes(2));
    if (s.ok()) s = log->Head().status();
    if (s.ok()) break;
    if (absl::Now() > deadline) return s;
    absl::SleepFor(absl::Milliseconds(250));
  }
  return log;
}

VersionLog::~VersionLog() {
  stop_.store(true);
  if (watcher_.joinable()) watcher_.join();
  ReplaceSubscription(&sub_mu_, &sub_, nullptr);
}

std::unique_ptr<store::ListVersionStore> VersionLog::NewListStore() {
  return std::make_unique<SharedLists>(this);
}

std::unique_ptr<store::RuleSetStore> VersionLog::NewRuleSetStore() {
  return std::make_unique<SharedRuleSets>(this);
}

absl::StatusOr<uint64_t> VersionLog::Head() const { return StreamLastSequence(js_, kStream); }

bool VersionLog::CatchUp() const {
  if (!started_.load()) return false;  // start-up: the local store only
  absl::StatusOr<uint64_t> head = Head();
  if (!head.ok()) return false;
  const absl::Time deadline = absl::Now() + fetch_timeout_;
  while (consumed_.load() < *head) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

absl::StatusOr<bool> VersionLog::InStream(absl::string_view kind, absl::string_view id) const {
  if (!IsPublishableId(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("version id '", id, "' cannot be shared (not [A-Za-z0-9_-], 1 to 64)"));
  }
  natsMsg* msg = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&msg, js_, kStream, Subject(kind, id).c_str(), nullptr, &err);
  if (s == NATS_NOT_FOUND || err == JSNoMessageFoundErr) return false;
  if (s != NATS_OK) return NatsError(absl::StrCat("last message of version ", id), s, err);
  natsMsg_Destroy(msg);
  return true;
}

absl::Status VersionLog::Publish(absl::string_view kind, absl::string_view id,
                                 absl::string_view content) {
  const std::string subject = Subject(kind, id);
  for (const VersionChunk& c : SplitVersion(kind, id, content)) {
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, c.data.data(),
                                  static_cast<int>(c.data.size()));
    const std::string index = absl::StrCat(c.index), count = absl::StrCat(c.count);
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Es-Kind", c.kind.c_str());
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Es-Version", c.id.c_str());
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Es-Digest", c.digest.c_str());
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Es-Chunk", index.c_str());
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Es-Chunks", count.c_str());
    const std::string msg_id = absl::StrCat(subject, ".", c.digest.substr(0, 16), ".", c.index);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = msg_id.c_str();
    po.MaxWait = absl::ToInt64Milliseconds(fetch_timeout_);
    jsPubAck* ack = nullptr;
    jsErrCode err = static_cast<jsErrCode>(0);
    if (s == NATS_OK) s = js_PublishMsg(&ack, js_, msg, &po, &err);
    if (ack != nullptr) jsPubAck_Destroy(ack);
    if (msg != nullptr) natsMsg_Destroy(msg);
    if (s != NATS_OK) return NatsError(absl::StrCat("publish version ", id), s, err);
  }
  VersionsCounter()->CounterWith({"published"})->Add();
  ES_LOG_INFO("cluster: published ", kind, " version ", id, " (", content.size(), " bytes)");
  return absl::OkStatus();
}

absl::Status VersionLog::PublishList(const store::ListVersionData& data) {
  ASSIGN_OR_RETURN(bool present, InStream(kKindList, data.info.version()));
  if (present) return absl::OkStatus();
  return Publish(kKindList, data.info.version(), EncodeListVersion(data));
}

absl::Status VersionLog::PublishRuleSet(const v1::StoredRuleSet& rule_set) {
  ASSIGN_OR_RETURN(bool present, InStream(kKindRules, rule_set.info().version()));
  if (present) return absl::OkStatus();
  return Publish(kKindRules, rule_set.info().version(), EncodeRuleSet(rule_set));
}

absl::Status VersionLog::EnsurePublished(const std::string& rule_set_version,
                                         const std::string& list_version) {
  ASSIGN_OR_RETURN(bool rules_present, InStream(kKindRules, rule_set_version));
  if (!rules_present) {
    ASSIGN_OR_RETURN(v1::StoredRuleSet rules, rule_sets_->GetRuleSet(rule_set_version));
    RETURN_IF_ERROR(Publish(kKindRules, rule_set_version, EncodeRuleSet(rules)));
  }
  ASSIGN_OR_RETURN(bool list_present, InStream(kKindList, list_version));
  if (!list_present) {
    ASSIGN_OR_RETURN(store::ListVersionData lists, lists_->ReadListVersion(list_version));
    RETURN_IF_ERROR(Publish(kKindList, list_version, EncodeListVersion(lists)));
  }
  return absl::OkStatus();
}

void VersionLog::Consume(const VersionChunk& chunk, uint64_t stream_sequence) {
  {
    absl::MutexLock lock(&mu_);
    if (!HaveLocally(chunk.kind, chunk.id)) {
      absl::StatusOr<std::optional<std::string>> content = assembler_.Add(chunk);
      if (!content.ok()) {
        refused_.fetch_add(1);
        VersionsCounter()->CounterWith({"refused"})->Add();
        ES_LOG_WARNING("cluster: versions stream sequence ", stream_sequence,
                       " refused: ", content.status().ToString());
      } else if (content->has_value()) {
        StoreComplete(chunk.kind, chunk.id, **content);
      }
    }
  }
  uint64_t seen = consumed_.load();
  while (seen < stream_sequence && !consumed_.compare_exchange_weak(seen, stream_sequence)) {
  }
}

bool VersionLog::HaveLocally(const std::string& kind, const std::string& id) {
  const std::string key = absl::StrCat(kind, "/", id);
  if (known_.contains(key)) return true;
  bool have = false;
  if (kind == kKindList) {
    // The infos only (a version is visible once all of its records are).
    absl::StatusOr<std::vector<v1::ListVersionInfo>> infos = lists_->ListListVersions();
    have =
        infos.ok() && std::any_of(infos->begin(), infos->end(),
                                  [&](const v1::ListVersionInfo& i) { return i.version() == id; });
  } else {
    have = rule_sets_->GetRuleSet(id).ok();
  }
  if (have) known_.insert(key);
  return have;
}

void VersionLog::StoreComplete(const std::string& kind, const std::string& id,
                               const std::string& content) {
  absl::Status s;
  if (kind == kKindList) {
    absl::StatusOr<store::ListVersionData> data = DecodeListVersion(id, content);
    s = data.ok() ? lists_->PutListVersion(*data) : data.status();
  } else if (kind == kKindRules) {
    absl::StatusOr<v1::StoredRuleSet> rules = DecodeRuleSet(id, content);
    s = rules.ok() ? rule_sets_->PutRuleSet(*rules) : rules.status();
  } else {
    s = absl::DataLossError(absl::StrCat("version ", id, ": unknown kind '", kind, "'"));
  }
  if (s.ok() || absl::IsAlreadyExists(s)) {
    known_.insert(absl::StrCat(kind, "/", id));
    VersionsCounter()->CounterWith({"stored"})->Add();
    ES_LOG_INFO("cluster: stored ", kind, " version ", id, " from the versions stream");
    return;
  }
  refused_.fetch_add(1);
  VersionsCounter()->CounterWith({"refused"})->Add();
  ES_LOG_WARNING("cluster: ", kind, " version ", id, " from the stream not stored: ", s.ToString());
}

absl::Status VersionLog::Subscribe() {
  ASSIGN_OR_RETURN(
      natsSubscription * sub,
      SubscribeOrdered(js_, kStream, "versions.>", consumed_.load(), &OnVersionMessage, this));
  ReplaceSubscription(&sub_mu_, &sub_, sub);
  return absl::OkStatus();
}

absl::Status VersionLog::StartConsumer() {
  absl::Status s = Subscribe();
  started_.store(true);
  watcher_ = std::thread([this] { WatchLoop(); });
  return s;
}

// Resubscribes when the stream is ahead and nothing came in for a second
// (an ordered consumer that did not survive an outage).
void VersionLog::WatchLoop() {
  uint64_t last_checked = consumed_.load();
  int ticks = 0;
  while (!stop_.load()) {
    absl::SleepFor(absl::Milliseconds(100));
    if (++ticks % 10 != 0) continue;
    absl::StatusOr<uint64_t> head = Head();
    const uint64_t consumed = consumed_.load();
    if (head.ok() && *head > consumed && consumed == last_checked) {
      ES_LOG_WARNING("cluster: versions consumer stalled at ", consumed, " (stream at ", *head,
                     "): resubscribing");
      if (absl::Status s = Subscribe(); !s.ok()) {
        ES_LOG_WARNING_RATE_LIMITED("cluster: versions resubscribe failed: ", s.ToString());
      }
    }
    last_checked = consumed;
  }
}

}  // namespace exportscreen::cluster
