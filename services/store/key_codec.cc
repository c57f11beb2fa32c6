#include "services/store/key_codec.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace exportscreen::store {

std::string VersionPrefix(absl::string_view version) {
  std::string key(version);
  key.push_back('\0');
  return key;
}

std::string VersionedKey(absl::string_view version, absl::string_view id) {
  std::string key = VersionPrefix(version);
  key.append(id.data(), id.size());
  return key;
}

std::string VersionedSeqKey(absl::string_view version, uint64_t seq) {
  std::string key = VersionPrefix(version);
  PutFixed64BE(&key, seq);
  return key;
}

bool SplitVersionedKey(absl::string_view key, absl::string_view* version, absl::string_view* id) {
  size_t sep = key.find('\0');
  if (sep == absl::string_view::npos) return false;
  *version = key.substr(0, sep);
  *id = key.substr(sep + 1);
  return true;
}

void PutFixed64BE(std::string* dst, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    dst->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

uint64_t DecodeFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string DecisionKey(uint64_t sequence) {
  std::string key;
  PutFixed64BE(&key, sequence);
  return key;
}

bool ParseDecisionKey(absl::string_view key, uint64_t* sequence) {
  if (key.size() != 8) return false;
  *sequence = DecodeFixed64BE(key.data());
  return true;
}

std::string DecisionId(uint64_t sequence) { return absl::StrFormat("D%016x", sequence); }

bool ParseDecisionId(absl::string_view id, uint64_t* sequence) {
  if (id.size() != 17 || id[0] != 'D') return false;
  for (char c : id.substr(1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return absl::SimpleHexAtoi(id.substr(1), sequence);
}

bool IsValidReplicaId(absl::string_view replica) {
  if (replica.empty() || replica.size() > 32) return false;
  for (char c : replica) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string ReplicaDecisionId(absl::string_view replica, uint64_t sequence) {
  return absl::StrCat(replica, "-", DecisionId(sequence));
}

bool ParseReplicaDecisionId(absl::string_view id, std::string* replica, uint64_t* sequence) {
  const size_t dash = id.rfind('-');
  if (dash == absl::string_view::npos) return false;
  if (!IsValidReplicaId(id.substr(0, dash))) return false;
  if (!ParseDecisionId(id.substr(dash + 1), sequence)) return false;
  *replica = std::string(id.substr(0, dash));
  return true;
}

}  // namespace exportscreen::store
