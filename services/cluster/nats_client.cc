#include "services/cluster/nats_client.h"

#include <nats/nats.h>

#include "absl/strings/str_cat.h"
#include "services/common/logging.h"

namespace exportscreen::cluster {

absl::Status NatsError(absl::string_view what, int nats_status, int js_error) {
  const char* last = nats_GetLastError(nullptr);
  return absl::UnavailableError(
      absl::StrCat("NATS ", what, ": ", natsStatus_GetText(static_cast<natsStatus>(nats_status)),
                   js_error != 0 ? absl::StrCat(" (JetStream error ", js_error, ")") : "",
                   last != nullptr && *last != '\0' ? absl::StrCat(" (", last, ")") : ""));
}

absl::StatusOr<std::unique_ptr<NatsClient>> NatsClient::Connect(
    const std::vector<std::string>& urls, const std::string& name, absl::Duration connect_timeout,
    std::function<void(bool)> on_state) {
  std::unique_ptr<NatsClient> c(new NatsClient());
  c->on_state_ = std::move(on_state);
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s != NATS_OK) return NatsError("options", s);
  std::vector<const char*> servers;
  for (const auto& u : urls) servers.push_back(u.c_str());
  if (s == NATS_OK)
    s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, absl::ToInt64Milliseconds(connect_timeout));
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // forever
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 100);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, 2000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts, 3);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, &NatsClient::OnDisconnected, c.get());
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, &NatsClient::OnReconnected, c.get());
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, &NatsClient::OnClosed, c.get());
  if (s == NATS_OK) s = natsConnection_Connect(&c->nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    c->nc_ = nullptr;
    return NatsError(absl::StrCat("connect to ", urls.empty() ? "(none)" : urls[0], "..."), s);
  }
  c->connected_.store(true);
  auto js = c->NewJetStream(absl::Seconds(5));
  if (!js.ok()) return js.status();
  c->admin_js_ = *js;
  return c;
}

NatsClient::~NatsClient() {
  if (nc_ != nullptr) {
    natsConnection_Close(nc_);
    // Callbacks run on the library's thread after Close returns: wait for
    // the last one (closed) before this object goes away.
    closed_.WaitForNotificationWithTimeout(absl::Seconds(5));
  }
  for (kvStore* kv : buckets_) kvStore_Destroy(kv);
  for (jsCtx* js : contexts_) jsCtx_Destroy(js);
  if (nc_ != nullptr) natsConnection_Destroy(nc_);
}

std::string MsgHeader(natsMsg* msg, const char* key) {
  const char* v = nullptr;
  if (natsMsgHeader_Get(msg, key, &v) != NATS_OK || v == nullptr) return "";
  return v;
}

bool NatsClient::connected_now() const {
  return nc_ != nullptr && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

void NatsClient::CloseIfDisconnected() {
  if (nc_ != nullptr && !connected_.load()) natsConnection_Close(nc_);
}

void NatsClient::OnDisconnected(natsConnection*, void* self) {
  auto* c = static_cast<NatsClient*>(self);
  if (c->connected_.exchange(false)) ES_LOG_WARNING("NATS: disconnected; reconnecting");
  if (c->on_state_) c->on_state_(false);
}

void NatsClient::OnClosed(natsConnection*, void* self) {
  static_cast<NatsClient*>(self)->closed_.Notify();
}

void NatsClient::OnReconnected(natsConnection*, void* self) {
  auto* c = static_cast<NatsClient*>(self);
  c->connected_.store(true);
  ES_LOG_INFO("NATS: reconnected");
  if (c->on_state_) c->on_state_(true);
}

absl::StatusOr<jsCtx*> NatsClient::NewJetStream(absl::Duration wait,
                                                const std::function<void(jsOptions*)>& init) {
  jsOptions o;
  jsOptions_Init(&o);
  if (init) init(&o);
  o.Wait = absl::ToInt64Milliseconds(wait);
  jsCtx* js = nullptr;
  natsStatus s = natsConnection_JetStream(&js, nc_, &o);
  if (s != NATS_OK) return NatsError("JetStream context", s);
  contexts_.push_back(js);
  return js;
}

absl::Status NatsClient::EnsureStream(const std::string& name,
                                      const std::vector<std::string>& subjects, int replicas,
                                      absl::Duration duplicates_window) {
  jsStreamInfo* si = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, admin_js_, name.c_str(), nullptr, &err);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return absl::OkStatus();
  }
  if (s != NATS_NOT_FOUND && err != JSStreamNotFoundErr)
    return NatsError("stream info " + name, s, err);
  std::vector<const char*> subj;
  for (const auto& x : subjects) subj.push_back(x.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = subj.data();
  cfg.SubjectsLen = static_cast<int>(subj.size());
  cfg.Storage = js_FileStorage;
  cfg.Replicas = replicas;
  cfg.Duplicates = absl::ToInt64Nanoseconds(duplicates_window);
  err = static_cast<jsErrCode>(0);
  s = js_AddStream(&si, admin_js_, &cfg, nullptr, &err);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    ES_LOG_INFO("NATS: created stream ", name, " (replicas ", replicas, ")");
    return absl::OkStatus();
  }
  if (err == JSStreamNameExistErr) return absl::OkStatus();  // another replica made it
  return NatsError("add stream " + name, s, err);
}

absl::StatusOr<natsSubscription*> SubscribeOrdered(jsCtx* js, const char* stream,
                                                   const char* filter, uint64_t position,
                                                   natsMsgHandler handler, void* closure) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream;
  so.Ordered = true;
  if (position > 0) {
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = position + 1;
  }
  jsErrCode err = static_cast<jsErrCode>(0);
  natsSubscription* sub = nullptr;
  natsStatus s = js_Subscribe(&sub, js, filter, handler, closure, nullptr, &so, &err);
  if (s != NATS_OK) return NatsError(absl::StrCat("subscribe to stream ", stream), s, err);
  return sub;
}

absl::StatusOr<uint64_t> StreamLastSequence(jsCtx* js, const char* stream) {
  jsStreamInfo* si = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js, stream, nullptr, &err);
  if (s != NATS_OK) return NatsError(absl::StrCat("stream info ", stream), s, err);
  const uint64_t last = si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  return last;
}

void ReplaceSubscription(absl::Mutex* mu, natsSubscription** slot, natsSubscription* sub) {
  natsSubscription* old = nullptr;
  {
    absl::MutexLock lock(mu);
    old = *slot;
    *slot = sub;
  }
  if (old != nullptr) {
    natsSubscription_Unsubscribe(old);
    natsSubscription_Destroy(old);
  }
}

absl::StatusOr<kvStore*> NatsClient::EnsureKeyValue(const std::string& bucket, int replicas,
                                                    absl::Duration ttl, int history) {
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, admin_js_, bucket.c_str());
  if (s != NATS_OK) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = bucket.c_str();
    cfg.History = static_cast<uint8_t>(history);
    cfg.TTL = ttl > absl::ZeroDuration() ? absl::ToInt64Nanoseconds(ttl) : 0;
    cfg.StorageType = js_FileStorage;
    cfg.Replicas = replicas;
    s = js_CreateKeyValue(&kv, admin_js_, &cfg);
    // Another replica may have created it meanwhile (with the same config).
    if (s != NATS_OK) s = js_KeyValue(&kv, admin_js_, bucket.c_str());
    if (s != NATS_OK) return NatsError("key-value bucket " + bucket, s);
    ES_LOG_INFO("NATS: key-value bucket ", bucket, " ready (replicas ", replicas, ")");
  }
  buckets_.push_back(kv);
  return kv;
}

}  // namespace exportscreen::cluster
