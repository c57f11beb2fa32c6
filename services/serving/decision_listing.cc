// ListDecisions (operations.h): the stored decisions, newest first, filtered
// and paged. Embedded mode reads the store's one chain; its page token is the
// sequence to continue from. Cluster mode (issue 17) reads every replica
// chain the store holds, this replica's own and those it consumed from the
// decisions stream, and merges them newest first; its page token is
// "m1:" followed by "<replica>=<sequence>" for each chain not yet exhausted
// (the sequence to continue from, newest first), comma-separated.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/status_macros.h"
#include "services/serving/operations.h"
#include "services/store/key_codec.h"

namespace exportscreen::serving {
namespace {

constexpr char kMergedToken[] = "m1:";
// A token names each chain at most once, and names only chains that exist:
// no request can make a page read more chains than the store holds.
constexpr size_t kMaxTokenChains = 256;

int PageLimit(const v1::ListDecisionsRequest& request) {
  return request.limit() > 0 ? std::min(request.limit(), 1000) : 100;
}

// One chain's share of a merged page.
struct ChainPage {
  std::string replica;
  uint64_t from = 0;  // where this page's scan starts (0 = newest)
  std::vector<v1::DecisionRecord> matched;
  uint64_t resume = 0;  // continue here after `matched` (0: exhausted)
  size_t taken = 0;     // how many of `matched` the merged page used
};

absl::Status ParseMergedToken(const std::string& token, std::vector<ChainPage>* chains) {
  const absl::string_view body = absl::StripPrefix(token, kMergedToken);
  if (body.size() == token.size()) return absl::InvalidArgumentError("page_token: malformed");
  for (absl::string_view part : absl::StrSplit(body, ',', absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    ChainPage c;
    if (kv.size() != 2 || !store::IsValidReplicaId(kv[0]) || !absl::SimpleAtoi(kv[1], &c.from) ||
        c.from == 0) {
      return absl::InvalidArgumentError("page_token: malformed");
    }
    c.replica = std::string(kv[0]);
    for (const ChainPage& seen : *chains) {
      if (seen.replica == c.replica) return absl::InvalidArgumentError("page_token: malformed");
    }
    if (chains->size() == kMaxTokenChains)
      return absl::InvalidArgumentError("page_token: malformed");
    chains->push_back(std::move(c));
  }
  return absl::OkStatus();
}

// Up to `limit` matching records of one chain from chain->from, newest first.
absl::Status ScanChain(const store::DecisionLog& log, const DecisionFilter& filter, int limit,
                       ChainPage* chain) {
  size_t bytes = 0;
  chain->resume = 0;
  return log.ScanDecisions(chain->from, /*reverse=*/true, [&](const v1::DecisionRecord& r) {
    if (static_cast<int>(chain->matched.size()) >= limit ||
        (!chain->matched.empty() && bytes + r.ByteSizeLong() > kMaxReadAnswerBytes)) {
      chain->resume = r.sequence();
      return false;
    }
    switch (filter.Check(r)) {
      case DecisionFilter::Verdict::kOlder:
        return false;
      case DecisionFilter::Verdict::kSkip:
        return true;
      case DecisionFilter::Verdict::kMatch:
        break;
    }
    bytes += r.ByteSizeLong() + 8;
    chain->matched.push_back(r);
    return true;
  });
}

// Newer first: recorded time, then decision id (ids differ across chains).
bool Newer(const v1::DecisionRecord& a, const v1::DecisionRecord& b) {
  if (a.recorded_at().seconds() != b.recorded_at().seconds()) {
    return a.recorded_at().seconds() > b.recorded_at().seconds();
  }
  if (a.recorded_at().nanos() != b.recorded_at().nanos()) {
    return a.recorded_at().nanos() > b.recorded_at().nanos();
  }
  return a.response().decision_id() > b.response().decision_id();
}

// Merges the chains' pages newest first (each chain's order kept) into `out`
// and sets the token for the rest.
void MergePages(std::vector<ChainPage>* chains, int limit, v1::ListDecisionsResponse* out) {
  size_t bytes = 0;
  while (out->records_size() < limit) {
    ChainPage* next = nullptr;
    for (ChainPage& c : *chains) {
      if (c.taken < c.matched.size() &&
          (next == nullptr || Newer(c.matched[c.taken], next->matched[next->taken]))) {
        next = &c;
      }
    }
    if (next == nullptr) break;
    const v1::DecisionRecord& r = next->matched[next->taken];
    if (out->records_size() > 0 && bytes + r.ByteSizeLong() > kMaxReadAnswerBytes) break;
    bytes += r.ByteSizeLong() + 8;
    *out->add_records() = r;
    ++next->taken;
  }
  std::vector<std::string> rest;
  for (const ChainPage& c : *chains) {
    const uint64_t at = c.taken < c.matched.size() ? c.matched[c.taken].sequence() : c.resume;
    if (at != 0) rest.push_back(absl::StrCat(c.replica, "=", at));
  }
  if (!rest.empty()) out->set_next_page_token(absl::StrCat(kMergedToken, absl::StrJoin(rest, ",")));
}

absl::StatusOr<v1::ListDecisionsResponse> ListMerged(const store::EntityStore& store,
                                                     const v1::ListDecisionsRequest& request) {
  std::vector<ChainPage> chains;
  ASSIGN_OR_RETURN(std::vector<std::string> others, store.replica_decisions().Replicas());
  if (request.page_token().empty()) {
    chains.emplace_back().replica = store.replica_id();
    for (std::string& r : others) {
      if (r != store.replica_id()) chains.emplace_back().replica = std::move(r);
    }
  } else {
    RETURN_IF_ERROR(ParseMergedToken(request.page_token(), &chains));
    for (const ChainPage& c : chains) {
      if (c.replica != store.replica_id() &&
          std::find(others.begin(), others.end(), c.replica) == others.end()) {
        return absl::InvalidArgumentError("page_token: names no replica chain held here");
      }
    }
  }
  if (!request.replica().empty()) {
    if (!store::IsValidReplicaId(request.replica())) {
      return absl::InvalidArgumentError("replica: not a replica id (1 to 32 of [a-z0-9_])");
    }
    std::erase_if(chains, [&](const ChainPage& c) { return c.replica != request.replica(); });
  }
  const DecisionFilter filter(request);
  const int limit = PageLimit(request);
  for (ChainPage& c : chains) {
    if (c.replica == store.replica_id()) {
      RETURN_IF_ERROR(ScanChain(store.decisions(), filter, limit, &c));
    } else {
      std::unique_ptr<store::DecisionLog> chain = store.replica_decisions().Chain(c.replica);
      RETURN_IF_ERROR(ScanChain(*chain, filter, limit, &c));
    }
  }
  v1::ListDecisionsResponse out;
  MergePages(&chains, limit, &out);
  return out;
}

}  // namespace

DecisionFilter::DecisionFilter(const v1::ListDecisionsRequest& request)
    : party_lower_(absl::AsciiStrToLower(request.party_name())),
      rule_id_(request.rule_id()),
      list_code_(request.list_code()),
      destination_(request.destination_country()),
      classes_(request.decisions().begin(), request.decisions().end()),
      from_s_(request.has_from_time() ? request.from_time().seconds() : INT64_MIN),
      until_s_(request.has_until_time() ? request.until_time().seconds() : INT64_MAX) {}

DecisionFilter::Verdict DecisionFilter::Check(const v1::DecisionRecord& r,
                                              bool ignore_classes) const {
  const int64_t t = r.recorded_at().seconds();
  if (t < from_s_) return Verdict::kOlder;
  if (t >= until_s_) return Verdict::kSkip;
  if (!ignore_classes && !classes_.empty() && !classes_.contains(r.response().decision())) {
    return Verdict::kSkip;
  }
  if (!rule_id_.empty()) {
    bool found = false;
    for (const auto& f : r.response().findings()) found |= f.rule_id() == rule_id_;
    if (!found) return Verdict::kSkip;
  }
  if (!destination_.empty() && r.request().destination_country() != destination_) {
    return Verdict::kSkip;
  }
  if (!list_code_.empty()) {
    bool found = false;
    for (const auto& m : r.response().party_matches()) found |= m.list() == list_code_;
    if (!found) return Verdict::kSkip;
  }
  if (!party_lower_.empty()) {
    bool found = false;
    for (const auto& p : r.request().parties()) {
      found |= absl::StrContains(absl::AsciiStrToLower(p.name()), party_lower_);
    }
    if (!found) return Verdict::kSkip;
  }
  return Verdict::kMatch;
}

absl::Status ScanAllChains(const store::EntityStore& store,
                           const std::function<ScanStep(const v1::DecisionRecord&)>& fn) {
  bool stop = false;
  auto visit = [&](const v1::DecisionRecord& r) {
    const ScanStep step = fn(r);
    stop = step == ScanStep::kStop;
    return step == ScanStep::kNext;
  };
  RETURN_IF_ERROR(store.decisions().ScanDecisions(0, /*reverse=*/true, visit));
  if (stop || store.replica_id().empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<std::string> others, store.replica_decisions().Replicas());
  for (const std::string& replica : others) {
    if (replica == store.replica_id()) continue;
    RETURN_IF_ERROR(store.replica_decisions().Chain(replica)->ScanDecisions(0, true, visit));
    if (stop) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ListDecisionsResponse> ListDecisions(const store::EntityStore& store,
                                                        const v1::ListDecisionsRequest& request) {
  if (!store.replica_id().empty()) return ListMerged(store, request);
  if (!request.replica().empty()) {
    return absl::InvalidArgumentError("replica: this server is not in cluster mode");
  }
  uint64_t from = 0;  // newest
  if (!request.page_token().empty() && !absl::SimpleAtoi(request.page_token(), &from)) {
    return absl::InvalidArgumentError("page_token: malformed");
  }
  ChainPage chain;
  chain.from = from;
  RETURN_IF_ERROR(
      ScanChain(store.decisions(), DecisionFilter(request), PageLimit(request), &chain));
  v1::ListDecisionsResponse out;
  for (v1::DecisionRecord& r : chain.matched) *out.add_records() = std::move(r);
  if (chain.resume != 0) out.set_next_page_token(std::to_string(chain.resume));
  return out;
}

}  // namespace exportscreen::serving
