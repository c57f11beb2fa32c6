#include "services/serving/audit_verification.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/status_macros.h"

namespace exportscreen::serving {

absl::StatusOr<v1::VerifyAuditChainResponse> VerifyAuditChain(
    const store::EntityStore& store, const v1::VerifyAuditChainRequest& request,
    const std::function<void(const v1::VerifyAuditChainProgress&)>& progress,
    const std::atomic<bool>* cancelled) {
  store::DecisionLog& log = store.decisions();
  const int64_t recorded = log.decision_count();
  const absl::Time start = absl::Now();
  store::VerifyOptions options;
  options.resume = request.resume();
  options.cancelled = cancelled;
  options.progress_every = kVerifyProgressEvery;
  if (progress) {
    options.progress = [&](const store::ChainVerification& so_far) {
      v1::VerifyAuditChainProgress p;
      p.set_records_checked(static_cast<int64_t>(so_far.records_checked));
      p.set_first_sequence(so_far.first_sequence);
      p.set_last_sequence(so_far.last_sequence);
      p.set_decision_count(recorded);
      p.set_resumed(so_far.resumed);
      const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
      if (seconds > 0) p.set_records_per_second(so_far.records_checked / seconds);
      progress(p);
    };
  }
  ASSIGN_OR_RETURN(store::ChainVerification v, store::VerifyDecisionChain(log, options));
  v1::VerifyAuditChainResponse out;
  out.set_ok(v.ok);
  out.set_records_checked(static_cast<int64_t>(v.records_checked));
  out.set_first_broken_sequence(v.first_broken_sequence);
  out.set_problem(v.problem);
  out.set_head_hash(v.head_hash);
  out.set_first_sequence(v.first_sequence);
  out.set_last_sequence(v.last_sequence);
  out.set_resumed(v.resumed);
  // Cluster mode (issue 17): every other replica's chain, as consumed from
  // the decisions stream, verified whole (each chain is one replica's).
  ASSIGN_OR_RETURN(std::vector<std::string> replicas, store.replica_decisions().Replicas());
  for (const std::string& replica : replicas) {
    std::unique_ptr<store::DecisionLog> chain = store.replica_decisions().Chain(replica);
    store::VerifyOptions chain_options;
    chain_options.cancelled = cancelled;
    ASSIGN_OR_RETURN(store::ChainVerification c, store::VerifyDecisionChain(*chain, chain_options));
    out.set_records_checked(out.records_checked() + static_cast<int64_t>(c.records_checked));
    if (!c.ok && out.ok()) {
      out.set_ok(false);
      out.set_first_broken_sequence(c.first_broken_sequence);
      out.set_problem(absl::StrCat("replica ", replica, ": ", c.problem));
    }
  }
  return out;
}

}  // namespace exportscreen::serving
