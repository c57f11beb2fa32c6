#include "services/store/version_ids.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/crypto/digest.h"

namespace exportscreen::store {
namespace {

template <typename Msg>
void AppendSorted(absl::string_view kind, const std::vector<Msg>& records, std::string* out) {
  std::vector<std::string> bytes;
  bytes.reserve(records.size());
  for (const Msg& r : records) bytes.push_back(DeterministicBytes(r));
  std::sort(bytes.begin(), bytes.end());
  absl::StrAppend(out, kind, " ", bytes.size(), "\n");
  for (const std::string& b : bytes) absl::StrAppend(out, b.size(), "\n", b);
}

}  // namespace

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

std::string RuleSetDigest(const std::map<std::string, std::string>& files) {
  std::string all;
  for (const auto& [name, content] : files) {
    absl::StrAppend(&all, name, "\n", content.size(), "\n", content);
  }
  return Sha256Hex(all);
}

std::string RuleSetId(absl::string_view digest) { return absl::StrCat("R-", digest.substr(0, 12)); }

std::string RuleSetIdOf(const v1::StoredRuleSet& rule_set) {
  std::map<std::string, std::string> files(rule_set.files().begin(), rule_set.files().end());
  return RuleSetId(RuleSetDigest(files));
}

std::string ListContentDigest(const ListVersionData& data) {
  std::string all;
  AppendSorted("entities", data.entities, &all);
  AppendSorted("ownership", data.ownership, &all);
  AppendSorted("items", data.items, &all);
  return Sha256Hex(all);
}

std::string ListVersionId(const ListVersionData& data) {
  return absl::StrCat("L-", ListContentDigest(data).substr(0, 12));
}

}  // namespace exportscreen::store
