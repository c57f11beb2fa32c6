#include "services/cluster/version_chunks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/crypto/digest.h"
#include "services/store/version_ids.h"

namespace exportscreen::cluster {
namespace {

absl::StatusOr<v1::VersionContent> Parse(absl::string_view id, absl::string_view content) {
  v1::VersionContent v;
  if (!v.ParseFromArray(content.data(), static_cast<int>(content.size()))) {
    return absl::DataLossError(absl::StrCat("version ", id, ": the content does not parse"));
  }
  return v;
}

}  // namespace

bool IsPublishableId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::string EncodeListVersion(const store::ListVersionData& data) {
  v1::VersionContent v;
  v1::ListVersionContent* l = v.mutable_list();
  *l->mutable_info() = data.info;
  l->mutable_entities()->Add(data.entities.begin(), data.entities.end());
  l->mutable_ownership()->Add(data.ownership.begin(), data.ownership.end());
  l->mutable_items()->Add(data.items.begin(), data.items.end());
  return store::DeterministicBytes(v);
}

std::string EncodeRuleSet(const v1::StoredRuleSet& rule_set) {
  v1::VersionContent v;
  *v.mutable_rule_set() = rule_set;
  return store::DeterministicBytes(v);
}

std::vector<VersionChunk> SplitVersion(absl::string_view kind, absl::string_view id,
                                       absl::string_view content, size_t chunk_bytes) {
  const std::string digest = Sha256Hex(content);
  const size_t count = std::max<size_t>(1, (content.size() + chunk_bytes - 1) / chunk_bytes);
  std::vector<VersionChunk> out;
  for (size_t i = 0; i < count; ++i) {
    VersionChunk c;
    c.kind = std::string(kind);
    c.id = std::string(id);
    c.digest = digest;
    c.index = static_cast<int>(i);
    c.count = static_cast<int>(count);
    c.data = std::string(content.substr(std::min(content.size(), i * chunk_bytes), chunk_bytes));
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> VersionAssembler::Add(VersionChunk chunk) {
  if (chunk.count < 1 || chunk.count > 1 << 16 || chunk.index < 0 || chunk.index >= chunk.count) {
    partial_.erase(chunk.id);
    return absl::InvalidArgumentError(absl::StrCat("version ", chunk.id, ": chunk ", chunk.index,
                                                   " of ", chunk.count, " is out of range"));
  }
  Partial& p = partial_[chunk.id];
  if (p.chunks.empty()) {
    p.kind = chunk.kind;
    p.digest = chunk.digest;
    p.chunks.resize(static_cast<size_t>(chunk.count));
  } else if (p.kind != chunk.kind || p.digest != chunk.digest ||
             p.chunks.size() != static_cast<size_t>(chunk.count)) {
    // A different publication of the same id: start again from this one.
    partial_.erase(chunk.id);
    return absl::InvalidArgumentError(
        absl::StrCat("version ", chunk.id, ": chunk ", chunk.index,
                     " contradicts the earlier chunks (kind, digest or count)"));
  }
  auto& slot = p.chunks[static_cast<size_t>(chunk.index)];
  if (!slot.has_value()) ++p.have;
  slot = std::move(chunk.data);
  if (p.have < static_cast<int>(p.chunks.size())) return std::optional<std::string>();
  std::string content;
  for (auto& c : p.chunks) content += *c;
  const std::string digest = p.digest;
  partial_.erase(chunk.id);
  if (Sha256Hex(content) != digest) {
    return absl::DataLossError(
        absl::StrCat("version ", chunk.id, ": the chunks do not match their digest (refused)"));
  }
  return std::optional<std::string>(std::move(content));
}

absl::StatusOr<store::ListVersionData> DecodeListVersion(absl::string_view id,
                                                         absl::string_view content) {
  absl::StatusOr<v1::VersionContent> v = Parse(id, content);
  if (!v.ok()) return v.status();
  if (!v->has_list()) return absl::DataLossError(absl::StrCat(id, ": not a list version"));
  v1::ListVersionContent* l = v->mutable_list();
  store::ListVersionData data;
  data.info = std::move(*l->mutable_info());
  data.entities.assign(std::make_move_iterator(l->mutable_entities()->begin()),
                       std::make_move_iterator(l->mutable_entities()->end()));
  data.ownership.assign(std::make_move_iterator(l->mutable_ownership()->begin()),
                        std::make_move_iterator(l->mutable_ownership()->end()));
  data.items.assign(std::make_move_iterator(l->mutable_items()->begin()),
                    std::make_move_iterator(l->mutable_items()->end()));
  if (data.info.version() != id) {
    return absl::DataLossError(
        absl::StrCat(id, ": the content names version ", data.info.version()));
  }
  // Content-addressed ids ("L-...") must be the content's; older ids (from
  // before content addressing) are checked by the digest only.
  if (id.substr(0, 2) == "L-" && store::ListVersionId(data) != id) {
    return absl::DataLossError(
        absl::StrCat(id, ": the content's id is ", store::ListVersionId(data), " (refused)"));
  }
  return data;
}

absl::StatusOr<v1::StoredRuleSet> DecodeRuleSet(absl::string_view id, absl::string_view content) {
  absl::StatusOr<v1::VersionContent> v = Parse(id, content);
  if (!v.ok()) return v.status();
  if (!v->has_rule_set()) return absl::DataLossError(absl::StrCat(id, ": not a rule set"));
  if (v->rule_set().info().version() != id || store::RuleSetIdOf(v->rule_set()) != id) {
    return absl::DataLossError(absl::StrCat(id, ": the rule files' id is ",
                                            store::RuleSetIdOf(v->rule_set()), " (refused)"));
  }
  return std::move(*v->mutable_rule_set());
}

}  // namespace exportscreen::cluster
