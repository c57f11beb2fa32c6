// The stored form of one decision of the audit chain.
//
// An envelope holds the exact serialised record bytes, the previous
// record's hash and this record's hash, where
//   hash = hex(SHA-256(record bytes))
// and the record bytes are the deterministic serialisation of the
// DecisionRecord with `prev_hash` and `sequence` set and `hash` clear. The
// chain is verified over the stored bytes themselves, never over a
// re-serialisation of the parsed message (protobuf serialisation is not
// canonical across versions, so a later proto change could make intact old
// records look modified).
//
// Layout: "\0ESD1", u8 length + previous hash, u8 length + hash, record
// bytes to the end. A protobuf message cannot start with a 0 byte (field 0
// does not exist), so envelopes and the legacy format (before 2026-12: the
// serialised record with its `hash` field appended) are told apart by the
// first byte; DecodeDecision reads both.
#ifndef EXPORTSCREEN_SERVICES_STORE_DECISION_ENVELOPE_H_
#define EXPORTSCREEN_SERVICES_STORE_DECISION_ENVELOPE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exportscreen/v1/entities.pb.h"

namespace exportscreen::store {

// Encodes an envelope.
std::string EncodeDecisionEnvelope(absl::string_view record_bytes, absl::string_view prev_hash,
                                   absl::string_view hash);

// The envelope of `record` (sequence and prev_hash set, hash clear) in one
// buffer, byte for byte EncodeDecisionEnvelope(Serialize(record), prev, hash),
// with the record bytes written around `response_bytes`, which must be the
// deterministic serialisation of record.response(): the answer is
// serialised once, and those bytes are both hashed into the chain and sent.
// `hash` receives the record's hash (DecisionBytesHash of the record bytes).
std::string EncodeDecisionEnvelopeAround(const v1::DecisionRecord& record,
                                         absl::string_view response_bytes, std::string* hash);

// Hex SHA-256 of record bytes: the hash of a record.
std::string DecisionBytesHash(absl::string_view record_bytes);

// The legacy definition, for records stored before envelopes: the hash of
// the deterministic re-serialisation of `record` without `hash`.
std::string DecisionRecordHash(const v1::DecisionRecord& record);

// One stored decision, decoded without parsing the record (for chain
// verification). Views into the stored value, or into `owned` for legacy
// records that must be re-serialised.
struct StoredDecision {
  bool legacy = false;
  absl::string_view record_bytes;  // the bytes `hash` covers
  absl::string_view prev_hash;     // as the envelope states it
  absl::string_view hash;          // as the envelope states it
  // From the record bytes themselves (a wire-format scan, no parse).
  uint64_t record_sequence = 0;
  absl::string_view record_prev_hash;
  std::string owned;
};

// Decodes a stored value (either format). DATA_LOSS if it is neither a
// well-formed envelope nor a parseable legacy record. `value` must outlive
// the result.
absl::StatusOr<StoredDecision> DecodeStoredDecision(absl::string_view value);

// The full record of a stored value (either format), with `hash` set.
absl::StatusOr<v1::DecisionRecord> ParseStoredDecision(absl::string_view value);

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_DECISION_ENVELOPE_H_
