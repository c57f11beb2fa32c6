// A NATS connection with its JetStream context (issue 17, cluster mode):
// the C client (libnats) behind RAII, reconnecting forever, with the
// connection state readable and a callback on every change. The only
// place that includes libnats besides this folder's .cc files.
#ifndef EXPORTSCREEN_SERVICES_CLUSTER_NATS_CLIENT_H_
#define EXPORTSCREEN_SERVICES_CLUSTER_NATS_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

typedef struct __natsConnection natsConnection;
typedef struct __jsCtx jsCtx;
typedef struct jsOptions jsOptions;
typedef struct __kvStore kvStore;
typedef struct __natsSubscription natsSubscription;
typedef struct __natsMsg natsMsg;
typedef void (*natsMsgHandler)(natsConnection* nc, natsSubscription* sub, natsMsg* msg,
                               void* closure);

namespace exportscreen::cluster {

// The value of header `key` of `msg` ("" if absent).
std::string MsgHeader(natsMsg* msg, const char* key);

class NatsClient {
 public:
  // Connects to one of `urls` ("nats://host:port"); UNAVAILABLE if none
  // answers within `connect_timeout`. Reconnects forever afterwards.
  // `on_state` runs (on a client thread) on every disconnect and reconnect.
  static absl::StatusOr<std::unique_ptr<NatsClient>> Connect(
      const std::vector<std::string>& urls, const std::string& name, absl::Duration connect_timeout,
      std::function<void(bool connected)> on_state);
  ~NatsClient();

  bool connected() const { return connected_.load(); }
  // The connection's state as the library has it now (the callbacks behind
  // connected() run a little later). Publish only when true: a message
  // published while the library reconnects is buffered and sent after the
  // reconnect, when its caller has long been told UNAVAILABLE.
  bool connected_now() const;
  // At shutdown: closes the connection now if it is down, so that what is
  // torn down next (unsubscribes, heartbeats, publishes) fails at once
  // instead of each waiting its timeout for a reconnect.
  void CloseIfDisconnected();
  natsConnection* connection() const { return nc_; }
  // A JetStream context with `wait` as its API timeout and `init` applied
  // to its options first (e.g. asynchronous publish handlers).
  absl::StatusOr<jsCtx*> NewJetStream(absl::Duration wait,
                                      const std::function<void(jsOptions*)>& init = {});

  // Creates stream `name` over `subjects` (file storage, `replicas`) if it
  // does not exist. UNAVAILABLE/INTERNAL with the server's error.
  absl::Status EnsureStream(const std::string& name, const std::vector<std::string>& subjects,
                            int replicas, absl::Duration duplicates_window);
  // Binds to KV bucket `bucket`, creating it (file storage, `replicas`,
  // values expire after `ttl` unless zero, `history` revisions per key) if
  // missing. The handle lives as long as the client.
  absl::StatusOr<kvStore*> EnsureKeyValue(const std::string& bucket, int replicas,
                                          absl::Duration ttl, int history);

 private:
  NatsClient() = default;
  static void OnDisconnected(natsConnection* nc, void* self);
  static void OnReconnected(natsConnection* nc, void* self);
  static void OnClosed(natsConnection* nc, void* self);

  natsConnection* nc_ = nullptr;
  jsCtx* admin_js_ = nullptr;
  std::vector<jsCtx*> contexts_;   // destroyed before the connection
  std::vector<kvStore*> buckets_;  // destroyed before the contexts
  std::atomic<bool> connected_{false};
  std::function<void(bool)> on_state_;
  // The connection's last callback ran: none will touch this object again.
  absl::Notification closed_;
};

// An ordered push consumer of `stream` (subjects `filter`) from the message
// after stream sequence `position` (0: from the first), delivering to
// `handler` on a client thread. Unsubscribe and destroy it with
// ReplaceSubscription(mu, slot, nullptr).
absl::StatusOr<natsSubscription*> SubscribeOrdered(jsCtx* js, const char* stream,
                                                   const char* filter, uint64_t position,
                                                   natsMsgHandler handler, void* closure);
// The last sequence of `stream` (its head).
absl::StatusOr<uint64_t> StreamLastSequence(jsCtx* js, const char* stream);

// Puts `sub` in `*slot` (guarded by `mu`) and unsubscribes and destroys
// the subscription it held, outside the lock (a callback may be waiting
// for it).
void ReplaceSubscription(absl::Mutex* mu, natsSubscription** slot, natsSubscription* sub);

// "NATS <what>: <status text> (<last error>)" as UNAVAILABLE.
absl::Status NatsError(absl::string_view what, int nats_status, int js_error = 0);

}  // namespace exportscreen::cluster

#endif  // EXPORTSCREEN_SERVICES_CLUSTER_NATS_CLIENT_H_
