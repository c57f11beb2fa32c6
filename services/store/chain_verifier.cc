#include "services/common/proto_time.h"
#include "services/store/chain_verifier.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "services/common/status_macros.h"
#include "services/store/key_codec.h"

namespace exportscreen::store {
namespace {

// The chain state carried from record to record.
class ChainWalk {
 public:
  ChainWalk(ChainVerification* v, uint64_t expected_seq, std::string prev_hash,
            uint64_t envelope_since, absl::flat_hash_map<uint64_t, std::string> checkpoints)
      : v_(v),
        expected_seq_(expected_seq),
        prev_hash_(std::move(prev_hash)),
        envelope_since_(envelope_since),
        checkpoints_(std::move(checkpoints)) {}

  // Checks one stored record; false (with v_ filled) at the first broken link.
  bool Check(uint64_t seq, const absl::StatusOr<StoredDecision>& d) {
    ++v_->records_checked;
    const std::string id = DecisionId(seq);
    if (!d.ok())
      return Fail(seq, absl::StrCat("record ", id, " does not parse: ", d.status().message()));
    if (d->legacy && envelope_since_ != 0 && seq >= envelope_since_) {
      return Fail(seq, absl::StrCat("record ", id,
                                    " was modified (stored in the format before "
                                    "envelopes, after the store moved to envelopes at ",
                                    envelope_since_, ")"));
    }
    if (DecisionBytesHash(d->record_bytes) != d->hash) {
      return Fail(seq, absl::StrCat("record ", id, " was modified (hash mismatch)"));
    }
    if (d->record_sequence != seq || d->record_prev_hash != d->prev_hash) {
      return Fail(seq, absl::StrCat("record ", id,
                                    " was modified (its envelope does not match its record)"));
    }
    if (seq != expected_seq_) {
      return Fail(seq, absl::StrCat("sequence gap: expected ", expected_seq_, ", found ", seq,
                                    " (record deleted or reordered)"));
    }
    if (d->prev_hash != prev_hash_) {
      return Fail(seq, absl::StrCat("record ", id, " does not chain to its predecessor",
                                    first_ ? " (or to the retention anchor)" : "",
                                    " (records reordered or replaced)"));
    }
    if (auto cp = checkpoints_.find(seq); cp != checkpoints_.end() && cp->second != d->hash) {
      return Fail(seq, absl::StrCat("record ", id, " differs from checkpoint ", seq,
                                    " (chain rewritten after the checkpoint)"));
    }
    first_ = false;
    expected_seq_ = seq + 1;
    prev_hash_ = std::string(d->hash);
    v_->last_sequence = seq;
    return true;
  }

  bool Fail(uint64_t seq, std::string problem) {
    v_->ok = false;
    v_->first_broken_sequence = seq;
    v_->problem = std::move(problem);
    return false;
  }

  bool first() const { return first_; }
  uint64_t expected_seq() const { return expected_seq_; }
  const std::string& prev_hash() const { return prev_hash_; }

 private:
  ChainVerification* v_;
  uint64_t expected_seq_;
  std::string prev_hash_;
  const uint64_t envelope_since_;
  const absl::flat_hash_map<uint64_t, std::string> checkpoints_;
  bool first_ = true;
};

// Where to start: after the verified mark when resuming and the mark still
// names the stored record at its sequence, else after the retention anchor,
// else at 1. Sets v->first_sequence / resumed; returns (sequence, prev hash).
absl::StatusOr<std::pair<uint64_t, std::string>> StartPoint(DecisionLog& log, bool resume,
                                                            ChainVerification* v) {
  ASSIGN_OR_RETURN(std::optional<v1::ChainCheckpoint> anchor, log.GetChainAnchor());
  uint64_t seq = anchor.has_value() ? anchor->sequence() + 1 : 1;
  std::string prev = anchor.has_value() ? anchor->hash() : "";
  if (resume) {
    ASSIGN_OR_RETURN(std::optional<v1::ChainCheckpoint> mark, log.GetVerifiedMark());
    if (mark.has_value() && mark->sequence() >= seq) {
      bool matches = false;
      RETURN_IF_ERROR(log.ScanStored(mark->sequence(), [&](uint64_t s, const auto& d) {
        matches = s == mark->sequence() && d.ok() && d->hash == mark->hash() &&
                  DecisionBytesHash(d->record_bytes) == d->hash;
        return false;
      }));
      if (matches) {
        seq = mark->sequence() + 1;
        prev = mark->hash();
        v->resumed = true;
      }
    }
  }
  v->first_sequence = seq;
  return std::make_pair(seq, prev);
}

}  // namespace

absl::StatusOr<ChainVerification> VerifyDecisionChain(DecisionLog& log,
                                                      const VerifyOptions& options) {
  ChainVerification v;
  ASSIGN_OR_RETURN(auto start, StartPoint(log, options.resume, &v));
  // Checkpoints recorded (and published) earlier must still hold.
  ASSIGN_OR_RETURN(std::vector<v1::ChainCheckpoint> checkpoints, log.ListCheckpoints());
  absl::flat_hash_map<uint64_t, std::string> checkpoint_hash;
  for (const auto& cp : checkpoints) checkpoint_hash[cp.sequence()] = cp.hash();
  // The count is read before the scan: records appended during it are
  // checked by the next verification.
  const uint64_t recorded = static_cast<uint64_t>(log.decision_count());
  ChainWalk walk(&v, start.first, start.second, log.envelope_since(), std::move(checkpoint_hash));
  bool cancelled = false;
  absl::Status mark_status;
  absl::Status scan = log.ScanStored(start.first, [&](uint64_t seq, const auto& d) {
    if (seq > recorded) return false;
    if (!walk.Check(seq, d)) return false;
    if (options.progress_every != 0 && v.records_checked % options.progress_every == 0) {
      v1::ChainCheckpoint mark;
      mark.set_sequence(seq);
      mark.set_hash(walk.prev_hash());
      SetProtoTime(options.now(), mark.mutable_at());
      mark_status = log.SetVerifiedMark(mark);
      if (!mark_status.ok()) return false;
      v.head_hash = walk.prev_hash();
      if (options.progress) options.progress(v);
    }
    if (options.cancelled != nullptr && options.cancelled->load(std::memory_order_relaxed)) {
      cancelled = true;
      return false;
    }
    return true;
  });
  RETURN_IF_ERROR(scan);
  RETURN_IF_ERROR(mark_status);
  v.head_hash = walk.prev_hash();
  if (cancelled) {
    return absl::CancelledError(absl::StrCat("verification cancelled after ", v.records_checked,
                                             " records (resume continues from ", v.last_sequence,
                                             ")"));
  }
  // Records the store counted that the scan did not find at the end.
  if (v.ok && walk.expected_seq() - 1 != recorded && recorded >= start.first) {
    walk.Fail(walk.expected_seq(),
              absl::StrCat("chain ends at ", walk.expected_seq() - 1,
                           " but the store has recorded ", recorded, " decisions (tail deleted)"));
  }
  if (v.ok && v.last_sequence != 0) {
    v1::ChainCheckpoint mark;
    mark.set_sequence(v.last_sequence);
    mark.set_hash(v.head_hash);
    SetProtoTime(options.now(), mark.mutable_at());
    RETURN_IF_ERROR(log.SetVerifiedMark(mark));
  }
  return v;
}

}  // namespace exportscreen::store
