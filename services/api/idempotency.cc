#include "services/api/idempotency.h"

#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/common/status_macros.h"
#include "services/crypto/digest.h"

namespace exportscreen::api {

namespace {

std::string Incarnation() {
  std::random_device rd;
  return absl::StrFormat("%08x%08x", rd(), rd());
}

int64_t UnixMillis(absl::Time t) { return absl::ToUnixMillis(t); }

// How far before a claim its record may carry a time (clock skew).
constexpr int64_t kSkewMillis = 60 * 1000;
// How many records of a chain a pending claim's search reads at most.
constexpr int kMaxScan = 200000;

}  // namespace

// The digest of a request's content: deterministic serialisation (map
// fields in key order), so the same request gives the same digest in every
// process, and a stored record's request can be checked against a claim.
std::string RequestBodyDigest(const v1::ScreenRequest& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  return Sha256Hex(bytes);
}

std::string IdempotencyScope(const std::string& caller, bool open_mode, const std::string& peer) {
  if (!open_mode) return caller;
  absl::string_view host = peer;
  if (absl::StartsWith(host, "ipv4:") || absl::StartsWith(host, "ipv6:")) {
    host.remove_prefix(5);
    const size_t colon = host.rfind(':');
    if (colon != absl::string_view::npos) host = host.substr(0, colon);
  }
  return absl::StrCat(caller, "@", host);
}

Idempotency::Idempotency(store::EntityStore* store, Clock* clock, IdempotencyOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      owner_(absl::StrCat(options_.replica, "/", Incarnation())) {}

bool Idempotency::Expired(const store::RequestClaim& claim) const {
  return claim.claimed_unix_ms + absl::ToInt64Milliseconds(options_.window) <
         UnixMillis(clock_->Now());
}

std::string Idempotency::OwnerReplica(const std::string& owner) const {
  return owner.substr(0, owner.find('/'));
}

absl::StatusOr<Idempotency::Outcome> Idempotency::Begin(const std::string& scope,
                                                        const std::string& caller,
                                                        const v1::ScreenRequest& request) {
  Ticket mine;
  mine.key = Sha256Hex(absl::StrCat(scope, std::string(1, '\0'), request.request_id()));
  mine.claim.body_digest = RequestBodyDigest(request);
  mine.claim.owner = owner_;
  mine.claim.claimed_unix_ms = UnixMillis(clock_->Now());
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<std::optional<store::RequestIndex::Entry>> existing =
        store_->requests().Create(mine.key, mine.claim, &mine.revision);
    if (!existing.ok()) {
      return absl::UnavailableError(
          absl::StrCat("request_id: the request-id index is unreachable (retry): ",
                       existing.status().message()));
    }
    if (!existing->has_value()) {
      absl::MutexLock lock(&mu_);
      in_flight_.insert(mine.key);
      return Outcome{mine, std::nullopt};
    }
    store::RequestIndex::Entry entry = **std::move(existing);
    if (Expired(entry.claim)) {
      absl::StatusOr<Outcome> taken = TakeOver(mine, entry.revision);
      if (taken.ok() || taken.status().code() != absl::StatusCode::kAborted) return taken;
      continue;  // someone else moved it: read again
    }
    if (entry.claim.body_digest != mine.claim.body_digest) {
      return absl::FailedPreconditionError(absl::StrCat(
          "request_id: '", request.request_id(),
          "' was used for a different request within the idempotency window (",
          absl::FormatDuration(options_.window), "); use a new request_id for a new request"));
    }
    absl::StatusOr<Outcome> resolved =
        Resolve(mine, std::move(entry), caller, request.request_id());
    if (resolved.ok() || resolved.status().code() != absl::StatusCode::kAborted) return resolved;
  }
  return absl::UnavailableError("request_id: its claim keeps changing (retry)");
}

absl::StatusOr<Idempotency::Outcome> Idempotency::TakeOver(const Ticket& mine, uint64_t revision) {
  Ticket t = mine;
  absl::StatusOr<uint64_t> r = store_->requests().Replace(t.key, t.claim, revision);
  if (!r.ok()) {
    if (r.status().code() == absl::StatusCode::kAborted) return r.status();
    return absl::UnavailableError(absl::StrCat(
        "request_id: the request-id index is unreachable (retry): ", r.status().message()));
  }
  t.revision = *r;
  absl::MutexLock lock(&mu_);
  in_flight_.insert(t.key);
  return Outcome{t, std::nullopt};
}

absl::StatusOr<Idempotency::Outcome> Idempotency::Resolve(const Ticket& mine,
                                                          store::RequestIndex::Entry entry,
                                                          const std::string& caller,
                                                          const std::string& request_id) {
  const absl::Time deadline = absl::Now() + options_.wait;
  while (entry.claim.decision_id.empty() && absl::Now() < deadline) {
    {
      absl::MutexLock lock(&mu_);
      // Claimed here by a call no longer running: do not wait for it.
      if (entry.claim.owner == owner_ && !in_flight_.contains(mine.key)) break;
    }
    if (OwnerReplica(entry.claim.owner) == options_.replica && entry.claim.owner != owner_) break;
    absl::SleepFor(absl::Milliseconds(20));
    absl::StatusOr<std::optional<store::RequestIndex::Entry>> again =
        store_->requests().Get(mine.key);
    if (!again.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "request_id: the request-id index is unreachable (retry): ", again.status().message()));
    }
    if (!again->has_value()) return absl::AbortedError("claim released");  // claim again
    entry = **std::move(again);
    if (entry.claim.body_digest != mine.claim.body_digest || Expired(entry.claim)) {
      return absl::AbortedError("claim replaced");
    }
  }
  if (!entry.claim.decision_id.empty()) {
    return Recorded(entry.claim.decision_id, caller, request_id, mine.claim.body_digest);
  }
  {
    // A call of this process still records it: its record may be in the
    // local chain before the log acknowledged it. Never answer from there.
    absl::MutexLock lock(&mu_);
    if (entry.claim.owner == owner_ && in_flight_.contains(mine.key)) {
      return absl::UnavailableError(
          absl::StrCat("request_id: '", request_id,
                       "': an earlier call with this request_id is still being "
                       "recorded here; retry"));
    }
  }
  ASSIGN_OR_RETURN(std::optional<v1::DecisionRecord> found,
                   FindInChain(entry.claim.owner, entry.claim.claimed_unix_ms, caller, request_id,
                               mine.claim.body_digest));
  if (found.has_value()) {
    store::RequestClaim done = entry.claim;
    done.decision_id = found->decision_id();
    store_->requests().ReplaceLater(mine.key, done, entry.revision);
    return Recorded(found->decision_id(), caller, request_id, mine.claim.body_digest);
  }
  bool ours_idle = false;
  if (OwnerReplica(entry.claim.owner) == options_.replica) {
    absl::MutexLock lock(&mu_);
    ours_idle = entry.claim.owner != owner_ || !in_flight_.contains(mine.key);
  }
  // This replica's own chain is complete (the log's outbox): a claim of
  // ours whose call is over and whose record is not in it was never
  // recorded.
  if (ours_idle) return TakeOver(mine, entry.revision);
  return absl::UnavailableError(
      absl::StrCat("request_id: '", request_id,
                   "': an earlier call with this request_id is still being "
                   "recorded (by replica ",
                   OwnerReplica(entry.claim.owner), "); retry"));
}

absl::StatusOr<Idempotency::Outcome> Idempotency::Recorded(const std::string& id,
                                                           const std::string& caller,
                                                           const std::string& request_id,
                                                           const std::string& body_digest) {
  absl::StatusOr<v1::DecisionRecord> record = store_->decisions().GetDecision(id);
  if (!record.ok() || !store_->decisions().Durable(id)) {
    return absl::UnavailableError(
        absl::StrCat("request_id: '", request_id, "' was answered as decision ", id,
                     ", which is not yet readable on this replica (retry)", record.ok() ? "" : ": ",
                     record.ok() ? "" : record.status().message()));
  }
  if (record->request().request_id() != request_id || record->caller() != caller ||
      RequestBodyDigest(record->request()) != body_digest) {
    return absl::InternalError(absl::StrCat("request_id: the request-id index names decision ", id,
                                            ", which answered another request"));
  }
  return Outcome{std::nullopt, *std::move(record)};
}

absl::StatusOr<std::optional<v1::DecisionRecord>> Idempotency::FindInChain(
    const std::string& owner, int64_t claimed_ms, const std::string& caller,
    const std::string& request_id, const std::string& body_digest) {
  const std::string replica = OwnerReplica(owner);
  std::unique_ptr<store::DecisionLog> other;
  const store::DecisionLog* chain = &store_->decisions();
  if (replica != options_.replica) {
    other = store_->replica_decisions().Chain(replica);
    chain = other.get();
  }
  std::optional<v1::DecisionRecord> found;
  int read = 0;
  bool truncated = false;
  absl::Status s = chain->ScanDecisions(0, /*reverse=*/true, [&](const v1::DecisionRecord& r) {
    if (absl::ToUnixMillis(absl::FromUnixSeconds(r.recorded_at().seconds()) +
                           absl::Nanoseconds(r.recorded_at().nanos())) < claimed_ms - kSkewMillis) {
      return false;
    }
    // The same request only: the same id with the same caller and content.
    if (r.request().request_id() == request_id && r.caller() == caller &&
        RequestBodyDigest(r.request()) == body_digest) {
      found = r;
      return false;
    }
    if (++read < kMaxScan) return true;
    truncated = true;
    return false;
  });
  if (!s.ok() && s.code() != absl::StatusCode::kNotFound) {
    return absl::UnavailableError(absl::StrCat("request_id: the chain of replica ", replica,
                                               " could not be read (retry): ", s.message()));
  }
  if (!found.has_value() && truncated) {
    // Not searched to the claim's time: unknown, not absent.
    return absl::UnavailableError(
        absl::StrCat("request_id: '", request_id, "': its earlier record was not found within ",
                     kMaxScan, " records of replica ", replica, "; retry"));
  }
  return found;
}

void Idempotency::Finish(const Ticket& ticket, const absl::Status& status,
                         const v1::DecisionRecord* record) {
  {
    absl::MutexLock lock(&mu_);
    in_flight_.erase(ticket.key);
  }
  if (status.ok() && record != nullptr && !record->decision_id().empty()) {
    store::RequestClaim done = ticket.claim;
    done.decision_id = record->decision_id();
    store_->requests().ReplaceLater(ticket.key, done, ticket.revision);
    return;
  }
  // Written locally but not acknowledged (cluster mode) or not written at
  // all: the claim stays pending and Resolve finds out from the chain.
  if (!status.ok() && record != nullptr && !record->decision_id().empty()) return;
  (void)store_->requests().Release(ticket.key, ticket.revision);
}

}  // namespace exportscreen::api
