// Messages of the `decisions` stream (cluster mode, issue 17). A message
// holds either one decision envelope (store/decision_envelope.h: it starts
// with "\0ESD1"; the resync republishes records one by one in this form) or
// a batch of consecutive envelopes of one replica's chain, which the
// publisher sends so that JetStream stores, replicates and acknowledges a
// group of decisions as one message (one Raft entry and one ack instead of
// one per decision, and one RocksDB write per message on each consumer):
//   "\0ESB1", then for each envelope: varint32 length, envelope bytes;
// or, when that is smaller (decision records repeat names, rule ids and
// explanations, so it nearly always is), the same batch compressed:
//   "\0ESZ1", then one zstd frame (level 1) of the "\0ESB1" form, whose
//   content size the frame states (at most kMaxDecisionBatchBytes).
// Every byte of a replica's records goes through NATS some 10 times (the
// publish, R=3 replication, file storage, delivery to each replica), so
// the bytes are what the cluster's CPU pays for. Compression does not touch
// what is hashed: the envelopes come out byte for byte.
// None of the forms can be taken for another (the fifth byte differs), and
// a protobuf record never starts with a 0 byte.
#ifndef EXPORTSCREEN_SERVICES_CLUSTER_DECISION_BATCH_H_
#define EXPORTSCREEN_SERVICES_CLUSTER_DECISION_BATCH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace exportscreen::cluster {

// The largest uncompressed batch a message may hold.
inline constexpr size_t kMaxDecisionBatchBytes = 16 << 20;

// A message holding `envelopes`, in order, in `out` (replaced): compressed
// if that is smaller. `raw` is scratch space (the uncompressed form).
void EncodeDecisionBatch(const std::vector<absl::string_view>& envelopes, std::string* out,
                         std::string* raw);
// The bytes the uncompressed batch of envelopes of these sizes takes.
size_t DecisionBatchSize(const std::vector<size_t>& envelope_sizes);

// The envelopes a message holds: one for a single envelope, each of a
// batch in order; views into `data`, or into `storage` for a compressed
// batch. DATA_LOSS if a batch is truncated or malformed, does not
// decompress, is larger than kMaxDecisionBatchBytes, or holds no envelope.
absl::StatusOr<std::vector<absl::string_view>> DecodeDecisionMessage(absl::string_view data,
                                                                     std::string* storage);

}  // namespace exportscreen::cluster

#endif  // EXPORTSCREEN_SERVICES_CLUSTER_DECISION_BATCH_H_
