// Audit-chain verification for the API: the store's chain verifier
// (services/store/chain_verifier.h) with its results in the API's messages,
// progress at a fixed interval and a measured rate. Transport-free; the
// unary and the streaming gRPC handlers both call it. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_SERVING_AUDIT_VERIFICATION_H_
#define EXPORTSCREEN_SERVICES_SERVING_AUDIT_VERIFICATION_H_

#include <atomic>
#include <functional>

#include "absl/status/statusor.h"
#include "exportscreen/v1/service.pb.h"
#include "services/store/entity_store.h"

namespace exportscreen::serving {

// Records between two progress reports (each also moves the verified mark).
inline constexpr uint64_t kVerifyProgressEvery = 100000;

// Verifies the decision chain of `store` (from the verified mark if
// request.resume()). `progress` (may be empty) is called every
// kVerifyProgressEvery records. `cancelled` (may be null) stops it early:
// CANCELLED, with the mark at the last report.
absl::StatusOr<v1::VerifyAuditChainResponse> VerifyAuditChain(
    const store::EntityStore& store, const v1::VerifyAuditChainRequest& request,
    const std::function<void(const v1::VerifyAuditChainProgress&)>& progress = {},
    const std::atomic<bool>* cancelled = nullptr);

}  // namespace exportscreen::serving

#endif  // EXPORTSCREEN_SERVICES_SERVING_AUDIT_VERIFICATION_H_
