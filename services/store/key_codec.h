// Key encodings of every RocksDB column family, in one place. Keys are
// byte strings ordered by RocksDB's bytewise comparator; versioned records
// are prefixed by "<version>\0" so a version's records are one contiguous
// range. Thread-safe (stateless).
#ifndef EXPORTSCREEN_SERVICES_STORE_KEY_CODEC_H_
#define EXPORTSCREEN_SERVICES_STORE_KEY_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace exportscreen::store {

// Column family names.
inline constexpr char kCfEntities[] = "entities";
inline constexpr char kCfOwnership[] = "ownership";
inline constexpr char kCfItems[] = "items";
inline constexpr char kCfRuleSets[] = "rule_sets";
inline constexpr char kCfListVersions[] = "list_versions";
inline constexpr char kCfMeta[] = "meta";
inline constexpr char kCfDecisions[] = "decisions";
// Location verification (issue 8); keys in entity_store.cc's location section.
// report_id -> LocationReport.
inline constexpr char kCfLocationReports[] = "location_reports";
// serial -> LocationReport (the latest observation of the chip).
inline constexpr char kCfLocationLatest[] = "location_latest";
// verifier\0serial\0<8-byte BE observed seconds><4-byte BE nanos> -> report_id
// (replay detection).
inline constexpr char kCfLocationReplay[] = "location_replay";
// serial\0<8-byte BE location sequence> -> LocationReport: the report that
// became the serial's latest at that sequence (replay of past decisions).
inline constexpr char kCfLocationHistory[] = "location_history";
// serial\0<8-byte BE decision sequence> -> SerialDecisionRef.
inline constexpr char kCfSerialDecisions[] = "serial_decisions";
// "a"<8-byte BE sequence> -> Alert; "k"<decision_id>\0<serial> -> alert_id.
inline constexpr char kCfAlerts[] = "alerts";
// Cluster mode (issue 17): decisions of the other replicas, consumed from
// the decisions stream: "<replica>\0<8-byte BE sequence>" -> envelope.
inline constexpr char kCfReplicaDecisions[] = "replica_decisions";

// meta keys.
inline constexpr char kMetaActive[] = "active";
inline constexpr char kMetaSchema[] = "schema_version";
// "history/" + 8-byte big-endian sequence -> ActiveVersions.
inline constexpr char kMetaHistoryPrefix[] = "history/";
// "admin/" + 8-byte big-endian sequence -> AdminAction.
inline constexpr char kMetaAdminPrefix[] = "admin/";
// Chain anchor left by retention: the last expired decision (sequence, hash).
inline constexpr char kMetaChainAnchor[] = "chain_anchor";
// "checkpoint/" + 8-byte big-endian sequence -> ChainCheckpoint.
inline constexpr char kMetaCheckpointPrefix[] = "checkpoint/";
// 8-byte BE: the first decision sequence stored as an envelope
// (decision_envelope.h); absent in a store that has none yet.
inline constexpr char kMetaEnvelopeSince[] = "decision_envelope_since";
// ChainCheckpoint: how far the last verification found the chain intact.
inline constexpr char kMetaVerifiedMark[] = "chain_verified";
// "disposition/" + 8-byte big-endian sequence -> Disposition.
inline constexpr char kMetaDispositionPrefix[] = "disposition/";
// 8-byte BE: the decisions-stream sequence consumed into replica_decisions.
inline constexpr char kMetaReplicaDecisionsPosition[] = "cluster/decisions_position";
// 8-byte BE: the location sequence (one step per ingest batch that changed
// some serial's latest report).
inline constexpr char kMetaLocationSequence[] = "location_sequence";

// "<version>\0" : the prefix of all records of one list version.
std::string VersionPrefix(absl::string_view version);
// "<version>\0<id>" for entities (id = entity_id) and items (id = part number).
std::string VersionedKey(absl::string_view version, absl::string_view id);
// "<version>\0<8-byte big-endian seq>" for ownership links.
std::string VersionedSeqKey(absl::string_view version, uint64_t seq);
// Splits a versioned key. Returns false if `key` has no "\0" separator.
bool SplitVersionedKey(absl::string_view key, absl::string_view* version, absl::string_view* id);

// Decision keys: 8-byte big-endian sequence (ordered by time of recording).
std::string DecisionKey(uint64_t sequence);
bool ParseDecisionKey(absl::string_view key, uint64_t* sequence);
// Public decision ids: "D" + 16 hex digits of the sequence.
std::string DecisionId(uint64_t sequence);
bool ParseDecisionId(absl::string_view id, uint64_t* sequence);

// Cluster mode: "<replica>-D" + 16 hex digits. Replica ids are 1 to 32 of
// [a-z0-9_].
bool IsValidReplicaId(absl::string_view replica);
std::string ReplicaDecisionId(absl::string_view replica, uint64_t sequence);
// Splits a cluster decision id; false if `id` is not one.
bool ParseReplicaDecisionId(absl::string_view id, std::string* replica, uint64_t* sequence);

// Big-endian fixed 64-bit encoding.
void PutFixed64BE(std::string* dst, uint64_t v);
uint64_t DecodeFixed64BE(const char* p);

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_KEY_CODEC_H_
