// Cluster mode (issue 17): version content on the `versions` stream, in
// chunks. A version (list version or rule set) is serialised as one
// v1.VersionContent (deterministic bytes), cut into chunks of at most
// kChunkBytes, each message carrying the version id, its kind, its index,
// the chunk count and the SHA-256 of the whole content. The consumer
// reassembles, checks the digest and that the content gives its id
// (content addressing), and only then stores it: a corrupt or forged chunk
// is refused, never stored. No libnats here (unit-testable).
#ifndef EXPORTSCREEN_SERVICES_CLUSTER_VERSION_CHUNKS_H_
#define EXPORTSCREEN_SERVICES_CLUSTER_VERSION_CHUNKS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exportscreen/v1/cluster.pb.h"
#include "services/store/version_store.h"

namespace exportscreen::cluster {

inline constexpr size_t kChunkBytes = 256 << 10;  // NATS' default max payload is 1 MiB

struct VersionChunk {
  std::string kind;  // "list" or "rules"
  std::string id;
  std::string digest;  // SHA-256 hex of the whole content
  int index = 0;
  int count = 1;
  std::string data;
};

// True if `id` may be a subject token ([A-Za-z0-9_-], 1 to 64).
bool IsPublishableId(absl::string_view id);

// The content and its chunks.
std::string EncodeListVersion(const store::ListVersionData& data);
std::string EncodeRuleSet(const v1::StoredRuleSet& rule_set);
std::vector<VersionChunk> SplitVersion(absl::string_view kind, absl::string_view id,
                                       absl::string_view content, size_t chunk_bytes = kChunkBytes);

// Reassembles chunks, per version id. Not thread-safe.
class VersionAssembler {
 public:
  // Adds one chunk. Returns the whole content once the last one arrived
  // (digest-checked), nullopt while some are missing. DATA_LOSS if the
  // content does not match its digest, INVALID_ARGUMENT if the chunk
  // contradicts the earlier ones of its version (both drop what was
  // gathered for that version).
  absl::StatusOr<std::optional<std::string>> Add(VersionChunk chunk);
  size_t pending() const { return partial_.size(); }

 private:
  struct Partial {
    std::string kind, digest;
    std::vector<std::optional<std::string>> chunks;
    int have = 0;
  };
  absl::flat_hash_map<std::string, Partial> partial_;
};

// Decodes reassembled content of `kind` and checks that it is version `id`
// (list versions "L-...": the normalised content's id; rule sets: the
// files' id). DATA_LOSS otherwise.
absl::StatusOr<store::ListVersionData> DecodeListVersion(absl::string_view id,
                                                         absl::string_view content);
absl::StatusOr<v1::StoredRuleSet> DecodeRuleSet(absl::string_view id, absl::string_view content);

}  // namespace exportscreen::cluster

#endif  // EXPORTSCREEN_SERVICES_CLUSTER_VERSION_CHUNKS_H_
