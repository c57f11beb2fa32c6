#include "services/cluster/kv_request_index.h"

#include <nats/nats.h>

#include "absl/strings/str_cat.h"
#include "services/common/logging.h"
#include "services/common/status_macros.h"

namespace exportscreen::cluster {

namespace {
constexpr char kBucket[] = "requests";
constexpr char kKeyPrefix[] = "r.";
}  // namespace

absl::StatusOr<std::unique_ptr<store::RequestIndex>> KvRequestIndex::Open(
    const std::vector<std::string>& urls, const std::string& replica_id, int replicas,
    absl::Duration window, absl::Duration timeout) {
  std::unique_ptr<KvRequestIndex> index(new KvRequestIndex());
  ASSIGN_OR_RETURN(
      index->nats_,
      NatsClient::Connect(urls, "exportscreen-" + replica_id + "-requests", timeout, {}));
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::StatusOr<kvStore*> kv = index->nats_->EnsureKeyValue(kBucket, replicas, window, 1);
    if (kv.ok()) {
      index->kv_ = *kv;
      break;
    }
    if (absl::Now() > deadline) return kv.status();
    absl::SleepFor(absl::Milliseconds(250));
  }
  index->writer_ = std::thread([p = index.get()] { p->WriterLoop(); });
  return std::unique_ptr<store::RequestIndex>(std::move(index));
}

KvRequestIndex::~KvRequestIndex() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (writer_.joinable()) writer_.join();
}

absl::StatusOr<std::optional<store::RequestIndex::Entry>> KvRequestIndex::Get(
    const std::string& key) {
  kvEntry* e = nullptr;
  const std::string k = kKeyPrefix + key;
  natsStatus s = kvStore_Get(&e, kv_, k.c_str());
  if (s == NATS_NOT_FOUND) return std::nullopt;
  if (s != NATS_OK) return NatsError("request index get", s);
  std::optional<store::RequestClaim> claim = store::RequestClaim::Decode(absl::string_view(
      static_cast<const char*>(kvEntry_Value(e)), static_cast<size_t>(kvEntry_ValueLen(e))));
  Entry entry;
  entry.revision = kvEntry_Revision(e);
  kvEntry_Destroy(e);
  if (!claim.has_value()) {
    return absl::DataLossError(absl::StrCat("request index: entry ", key, " does not decode"));
  }
  entry.claim = *std::move(claim);
  return entry;
}

absl::StatusOr<std::optional<store::RequestIndex::Entry>> KvRequestIndex::Create(
    const std::string& key, const store::RequestClaim& claim, uint64_t* revision) {
  const std::string k = kKeyPrefix + key;
  const std::string value = claim.Encode();
  for (int attempt = 0; attempt < 3; ++attempt) {
    natsStatus s =
        kvStore_Create(revision, kv_, k.c_str(), value.data(), static_cast<int>(value.size()));
    if (s == NATS_OK) return std::nullopt;
    // Exists (wrong last sequence), or NATS is not answering: read it.
    ASSIGN_OR_RETURN(std::optional<Entry> existing, Get(key));
    if (existing.has_value()) return existing;
    if (s != NATS_ERR) return NatsError("request index create", s);
  }
  return absl::UnavailableError("request index: the claim could not be created");
}

absl::StatusOr<uint64_t> KvRequestIndex::Replace(const std::string& key,
                                                 const store::RequestClaim& claim,
                                                 uint64_t revision) {
  const std::string k = kKeyPrefix + key;
  const std::string value = claim.Encode();
  uint64_t next = 0;
  natsStatus s =
      kvStore_Update(&next, kv_, k.c_str(), value.data(), static_cast<int>(value.size()), revision);
  if (s == NATS_OK) return next;
  ASSIGN_OR_RETURN(std::optional<Entry> now, Get(key));
  if (!now.has_value() || now->revision != revision) {
    return absl::AbortedError("request index: the claim moved");
  }
  return NatsError("request index update", s);
}

void KvRequestIndex::ReplaceLater(const std::string& key, const store::RequestClaim& claim,
                                  uint64_t revision) {
  absl::MutexLock lock(&mu_);
  ops_.push_back(Op{key, claim, revision});
}

absl::Status KvRequestIndex::Release(const std::string& key, uint64_t revision) {
  absl::MutexLock lock(&mu_);
  ops_.push_back(Op{key, std::nullopt, revision});
  return absl::OkStatus();
}

void KvRequestIndex::WriterLoop() {
  for (;;) {
    Op op;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !ops_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (ops_.empty()) return;  // stopping, all written
      op = std::move(ops_.front());
      ops_.pop_front();
    }
    if (op.claim.has_value()) {
      absl::StatusOr<uint64_t> r = Replace(op.key, *op.claim, op.revision);
      if (!r.ok()) {
        // The claim stays pending; a repeated call finds the record in the
        // owner's chain.
        ES_LOG_WARNING_RATE_LIMITED("request index: decision id not written: ",
                                    r.status().ToString());
      }
      continue;
    }
    // Released: overwritten (compare-and-set) by a claim that is already
    // expired, which the next call takes over; no delete, so that no
    // tombstone stands in the way of a later create.
    store::RequestClaim released;
    released.body_digest = "released";
    released.owner = "-";
    released.claimed_unix_ms = 0;
    (void)Replace(op.key, released, op.revision);
  }
}

}  // namespace exportscreen::cluster
