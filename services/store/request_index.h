// Idempotent Screen (issue 17): the claims of request ids. A Screen call
// with a request_id claims the key digest(caller, request_id) before it is
// evaluated; the claim names a digest of the request, its owner (the
// replica and process incarnation that records it) and, once the decision
// is recorded, its decision id. A repeated call finds the claim and is
// answered with the recorded decision (services/api/idempotency.h holds
// the protocol; this is only the index).
//
// An interface: RocksRequestIndex (embedded mode, the `meta` column family)
// here, a JetStream KV bucket in cluster mode (services/cluster). Every
// write is conditional on the revision last read, so two writers racing on
// one key cannot both win. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_REQUEST_INDEX_H_
#define EXPORTSCREEN_SERVICES_STORE_REQUEST_INDEX_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace exportscreen::store {

class StoreDb;

struct RequestClaim {
  std::string body_digest;  // hex digest of the request's bytes
  std::string owner;        // "<replica>/<incarnation>"
  int64_t claimed_unix_ms = 0;
  std::string decision_id;  // empty while the decision is being recorded
  std::string Encode() const;
  static std::optional<RequestClaim> Decode(absl::string_view value);
};

class RequestIndex {
 public:
  virtual ~RequestIndex() = default;
  struct Entry {
    RequestClaim claim;
    uint64_t revision = 0;
  };
  // Creates `key` with `claim` if it does not exist: returns nullopt and
  // sets `*revision`. Otherwise returns the existing entry (nothing
  // written). `key` is [0-9a-f]+.
  virtual absl::StatusOr<std::optional<Entry>> Create(const std::string& key,
                                                      const RequestClaim& claim,
                                                      uint64_t* revision) = 0;
  // The entry of `key`, nullopt if none.
  virtual absl::StatusOr<std::optional<Entry>> Get(const std::string& key) = 0;
  // Replaces the entry if its revision is still `revision` (ABORTED if it
  // moved or is gone); returns the new revision.
  virtual absl::StatusOr<uint64_t> Replace(const std::string& key, const RequestClaim& claim,
                                           uint64_t revision) = 0;
  // As Replace, without waiting for the outcome (a decision id is written
  // into a claim from the recorder's thread, which must not block); a lost
  // write leaves the claim pending, which the protocol resolves from the
  // owner's chain.
  virtual void ReplaceLater(const std::string& key, const RequestClaim& claim,
                            uint64_t revision) = 0;
  // Deletes the entry if its revision is still `revision`.
  virtual absl::Status Release(const std::string& key, uint64_t revision) = 0;
  // Deletes the claims made before `cutoff_unix_ms` (an expired claim is
  // taken over like an absent one, so this changes no answer); returns how
  // many. The KV bucket of cluster mode expires its own (its TTL).
  virtual absl::StatusOr<int64_t> ExpireClaimsBefore(int64_t cutoff_unix_ms) {
    (void)cutoff_unix_ms;
    return 0;
  }
};

// Embedded mode: claims under "request/<key>" in the meta column family,
// value "<revision> <claim>". Expired claims stay until overwritten or
// deleted by ExpireClaimsBefore (the server's maintenance loop).
class RocksRequestIndex : public RequestIndex {
 public:
  explicit RocksRequestIndex(const StoreDb* db) : db_(db) {}
  absl::StatusOr<std::optional<Entry>> Create(const std::string& key, const RequestClaim& claim,
                                              uint64_t* revision) override;
  absl::StatusOr<std::optional<Entry>> Get(const std::string& key) override;
  absl::StatusOr<uint64_t> Replace(const std::string& key, const RequestClaim& claim,
                                   uint64_t revision) override;
  void ReplaceLater(const std::string& key, const RequestClaim& claim, uint64_t revision) override;
  absl::Status Release(const std::string& key, uint64_t revision) override;
  absl::StatusOr<int64_t> ExpireClaimsBefore(int64_t cutoff_unix_ms) override;

 private:
  absl::StatusOr<std::optional<Entry>> GetLocked(const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status PutLocked(const std::string& key, const RequestClaim& claim, uint64_t revision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const StoreDb* db_;
  absl::Mutex mu_;
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_REQUEST_INDEX_H_
