#include "services/store/decision_envelope.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "services/crypto/digest.h"
#include "services/store/store_db.h"

namespace exportscreen::store {
namespace {

constexpr absl::string_view kMagic("\0ESD1", 5);
// DecisionRecord field numbers the chain needs (entities.proto).
constexpr int kSequenceField = 6;
constexpr int kPrevHashField = 7;
constexpr int kHashField = 8;

// Reads `sequence` and `prev_hash` from serialised record bytes by walking
// the top-level fields (nested messages are skipped by length). False if
// the bytes are not well-formed wire format.
bool ScanChainFields(absl::string_view bytes, uint64_t* sequence, absl::string_view* prev_hash) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  *sequence = 0;
  *prev_hash = absl::string_view();
  for (;;) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return in.CurrentPosition() == static_cast<int>(bytes.size());
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const auto type = WireFormatLite::GetTagWireType(tag);
    if (field == kSequenceField && type == WireFormatLite::WIRETYPE_VARINT) {
      if (!in.ReadVarint64(sequence)) return false;
    } else if (field == kPrevHashField && type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t len = 0;
      if (!in.ReadVarint32(&len)) return false;
      const int at = in.CurrentPosition();
      if (len > bytes.size() - static_cast<size_t>(at)) return false;
      *prev_hash = bytes.substr(static_cast<size_t>(at), len);
      if (!in.Skip(static_cast<int>(len))) return false;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
}

bool ReadShortString(absl::string_view* in, absl::string_view* out) {
  if (in->empty()) return false;
  const size_t len = static_cast<unsigned char>((*in)[0]);
  if (in->size() < 1 + len) return false;
  *out = in->substr(1, len);
  in->remove_prefix(1 + len);
  return true;
}

absl::StatusOr<StoredDecision> DecodeLegacy(absl::string_view value) {
  v1::DecisionRecord record;
  if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError("cannot parse decision");
  }
  // The recorder appended the hash field last (tag, length 64, 64 hex
  // digits) to the exact bytes it hashed: hash those bytes. A record in an
  // older layout is re-serialised, as that code hashed it.
  const std::string& h = record.hash();
  const size_t tail = 2 + h.size();
  std::string bytes;
  if (h.size() == 64 && value.size() >= tail &&
      static_cast<unsigned char>(value[value.size() - tail]) == ((kHashField << 3) | 2) &&
      static_cast<unsigned char>(value[value.size() - tail + 1]) == h.size() &&
      value.substr(value.size() - h.size()) == h) {
    bytes.assign(value.data(), value.size() - tail);
  } else {
    record.clear_hash();
    bytes = Serialize(record);
  }
  StoredDecision d;
  d.legacy = true;
  // Views into `owned`, which is longer than any small-string buffer, so
  // they survive moves of `d`.
  d.owned = bytes;
  d.owned += h.empty() ? std::string(64, '-') : h;
  d.record_bytes = absl::string_view(d.owned).substr(0, bytes.size());
  d.hash = absl::string_view(d.owned).substr(bytes.size(), h.size());
  if (!ScanChainFields(d.record_bytes, &d.record_sequence, &d.record_prev_hash)) {
    return absl::DataLossError("cannot parse decision");
  }
  d.prev_hash = d.record_prev_hash;
  return d;
}

}  // namespace

std::string EncodeDecisionEnvelope(absl::string_view record_bytes, absl::string_view prev_hash,
                                   absl::string_view hash) {
  std::string out;
  out.reserve(kMagic.size() + 2 + prev_hash.size() + hash.size() + record_bytes.size());
  out.append(kMagic.data(), kMagic.size());
  out.push_back(static_cast<char>(prev_hash.size()));
  out.append(prev_hash.data(), prev_hash.size());
  out.push_back(static_cast<char>(hash.size()));
  out.append(hash.data(), hash.size());
  out.append(record_bytes.data(), record_bytes.size());
  return out;
}

namespace {

// DecisionRecord's fields as written below (entities.proto), in number order.
constexpr int kDecisionIdField = 1, kRequestField = 2, kResponseField = 3, kRecordedAtField = 4,
              kCallerField = 5, kTraceParentField = 9, kRecordFieldCount = 9;

// True if the fields of DecisionRecord are those written by hand below; a
// new field makes the composition fall back to the full serialisation (the
// chain test compares the two byte for byte).
bool RecordLayoutKnown(const v1::DecisionRecord& record) {
  static const bool known = v1::DecisionRecord::descriptor()->field_count() == kRecordFieldCount;
  return known && record.GetReflection()->GetUnknownFields(record).empty();
}

size_t LengthDelimitedSize(size_t n) {
  return 1 + google::protobuf::io::CodedOutputStream::VarintSize64(n) + n;
}

}  // namespace

std::string EncodeDecisionEnvelopeAround(const v1::DecisionRecord& record,
                                         absl::string_view response_bytes, std::string* hash) {
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  if (!RecordLayoutKnown(record) || !record.has_response()) {
    const std::string bytes = Serialize(record);
    *hash = DecisionBytesHash(bytes);
    return EncodeDecisionEnvelope(bytes, record.prev_hash(), *hash);
  }
  // Fields in number order, each as protobuf writes it (proto3: empty
  // strings and zero integers are left out, set messages always written).
  const size_t request_size = record.has_request() ? record.request().ByteSizeLong() : 0;
  const size_t recorded_at_size =
      record.has_recorded_at() ? record.recorded_at().ByteSizeLong() : 0;
  size_t total = LengthDelimitedSize(response_bytes.size());
  if (!record.decision_id().empty()) total += LengthDelimitedSize(record.decision_id().size());
  if (record.has_request()) total += LengthDelimitedSize(request_size);
  if (record.has_recorded_at()) total += LengthDelimitedSize(recorded_at_size);
  if (!record.caller().empty()) total += LengthDelimitedSize(record.caller().size());
  if (record.sequence() != 0) total += 1 + CodedOutputStream::VarintSize64(record.sequence());
  if (!record.prev_hash().empty()) total += LengthDelimitedSize(record.prev_hash().size());
  if (!record.hash().empty()) total += LengthDelimitedSize(record.hash().size());
  if (!record.trace_parent().empty()) total += LengthDelimitedSize(record.trace_parent().size());

  constexpr size_t kHashSize = 64;  // hex SHA-256
  const absl::string_view prev = record.prev_hash();
  std::string out;
  const size_t header = kMagic.size() + 2 + prev.size() + kHashSize;
  out.resize(header + total);
  char* p = out.data();
  std::memcpy(p, kMagic.data(), kMagic.size());
  p += kMagic.size();
  *p++ = static_cast<char>(prev.size());
  std::memcpy(p, prev.data(), prev.size());
  p += prev.size();
  *p++ = static_cast<char>(kHashSize);
  char* const hash_at = p;
  {
    google::protobuf::io::ArrayOutputStream stream(out.data() + header, static_cast<int>(total));
    CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    auto write_string = [&coded](int field, const std::string& v) {
      if (!v.empty()) WireFormatLite::WriteString(field, v, &coded);
    };
    auto write_message = [&coded](int field, const google::protobuf::MessageLite& m, size_t size) {
      WireFormatLite::WriteTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, &coded);
      coded.WriteVarint32(static_cast<uint32_t>(size));
      m.SerializeWithCachedSizes(&coded);
    };
    write_string(kDecisionIdField, record.decision_id());
    if (record.has_request()) write_message(kRequestField, record.request(), request_size);
    WireFormatLite::WriteTag(kResponseField, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, &coded);
    coded.WriteVarint32(static_cast<uint32_t>(response_bytes.size()));
    coded.WriteRaw(response_bytes.data(), static_cast<int>(response_bytes.size()));
    if (record.has_recorded_at()) {
      write_message(kRecordedAtField, record.recorded_at(), recorded_at_size);
    }
    write_string(kCallerField, record.caller());
    if (record.sequence() != 0)
      WireFormatLite::WriteUInt64(kSequenceField, record.sequence(), &coded);
    write_string(kPrevHashField, record.prev_hash());
    write_string(kHashField, record.hash());
    write_string(kTraceParentField, record.trace_parent());
  }
  *hash = DecisionBytesHash(absl::string_view(out).substr(header));
  if (hash->size() != kHashSize) {  // cannot happen for SHA-256 hex
    const std::string bytes = Serialize(record);
    return EncodeDecisionEnvelope(bytes, prev, *hash);
  }
  std::memcpy(hash_at, hash->data(), kHashSize);
  return out;
}

std::string DecisionBytesHash(absl::string_view record_bytes) { return Sha256Hex(record_bytes); }

std::string DecisionRecordHash(const v1::DecisionRecord& record) {
  v1::DecisionRecord copy = record;
  copy.clear_hash();
  return Sha256Hex(Serialize(copy));
}

absl::StatusOr<StoredDecision> DecodeStoredDecision(absl::string_view value) {
  if (value.empty() || value[0] != '\0') return DecodeLegacy(value);
  absl::string_view rest = value;
  StoredDecision d;
  if (rest.substr(0, kMagic.size()) != kMagic) {
    return absl::DataLossError("decision envelope of an unknown format");
  }
  rest.remove_prefix(kMagic.size());
  if (!ReadShortString(&rest, &d.prev_hash) || !ReadShortString(&rest, &d.hash)) {
    return absl::DataLossError("truncated decision envelope");
  }
  d.record_bytes = rest;
  if (!ScanChainFields(d.record_bytes, &d.record_sequence, &d.record_prev_hash)) {
    return absl::DataLossError("cannot parse decision");
  }
  return d;
}

absl::StatusOr<v1::DecisionRecord> ParseStoredDecision(absl::string_view value) {
  v1::DecisionRecord record;
  if (value.empty() || value[0] != '\0') {
    if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return absl::DataLossError("cannot parse decision");
    }
    return record;
  }
  auto d = DecodeStoredDecision(value);
  if (!d.ok()) return d.status();
  if (!record.ParseFromArray(d->record_bytes.data(), static_cast<int>(d->record_bytes.size()))) {
    return absl::DataLossError("cannot parse decision");
  }
  record.set_hash(std::string(d->hash));
  return record;
}

}  // namespace exportscreen::store
