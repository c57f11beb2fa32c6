#include "services/engine/dispositions.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/crypto/digest.h"

namespace exportscreen::engine {
namespace {

std::string Fold(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      out.push_back(c);  // keep non-ASCII bytes: other scripts stay distinct
    }
  }
  return out;
}

}  // namespace

std::string PartyKey(const v1::Party& party) {
  const std::string& country =
      party.country().empty() ? party.address().country() : party.country();
  return absl::StrCat(Fold(party.name()), "|", Fold(country), "|", Fold(party.address().street()),
                      "|", Fold(party.address().city()), "|", Fold(party.address().region()), "|",
                      Fold(party.address().postal_code()));
}

std::string EntityFingerprint(const v1::ListedEntity& entity) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    entity.SerializeToCodedStream(&coded);
  }
  return Sha256Hex(bytes);
}

DispositionSet::DispositionSet(const std::vector<v1::Disposition>& log, uint64_t up_to_sequence) {
  absl::flat_hash_map<std::string, std::string> key_by_id;
  for (const v1::Disposition& d : log) {
    if (d.sequence() > up_to_sequence) continue;
    sequence_ = std::max(sequence_, d.sequence());
    if (!d.revokes_id().empty()) {
      auto it = key_by_id.find(d.revokes_id());
      if (it != key_by_id.end()) by_key_.erase(it->second);
      continue;
    }
    std::string key = absl::StrCat(d.entity_id(), "\n", d.party_key());
    key_by_id[d.id()] = key;
    by_key_[key] = d;
  }
}

const v1::Disposition* DispositionSet::Find(const v1::Party& party,
                                            const v1::ListedEntity& entity) const {
  if (by_key_.empty()) return nullptr;
  auto it = by_key_.find(absl::StrCat(entity.entity_id(), "\n", PartyKey(party)));
  if (it == by_key_.end()) return nullptr;
  if (it->second.entity_fingerprint() != EntityFingerprint(entity)) return nullptr;
  return &it->second;
}

}  // namespace exportscreen::engine
