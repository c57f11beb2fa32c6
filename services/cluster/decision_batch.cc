#include "services/cluster/decision_batch.h"

#include <zstd.h>

#include <cstdint>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace exportscreen::cluster {
namespace {

constexpr absl::string_view kBatchMagic("\0ESB1", 5);
constexpr absl::string_view kCompressedMagic("\0ESZ1", 5);
constexpr int kLevel = 1;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a varint32 at `*pos`; false if truncated or longer than 5 bytes.
bool GetVarint32(absl::string_view data, size_t* pos, uint32_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (*pos >= data.size()) return false;
    const auto byte = static_cast<uint8_t>(data[(*pos)++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      if (result > UINT32_MAX) return false;
      *v = static_cast<uint32_t>(result);
      return true;
    }
  }
  return false;
}

}  // namespace

size_t DecisionBatchSize(const std::vector<size_t>& envelope_sizes) {
  size_t n = kBatchMagic.size();
  for (size_t s : envelope_sizes) n += VarintSize(s) + s;
  return n;
}

void EncodeDecisionBatch(const std::vector<absl::string_view>& envelopes, std::string* out,
                         std::string* raw) {
  raw->clear();
  std::vector<size_t> sizes;
  sizes.reserve(envelopes.size());
  for (absl::string_view e : envelopes) sizes.push_back(e.size());
  raw->reserve(DecisionBatchSize(sizes));
  raw->append(kBatchMagic.data(), kBatchMagic.size());
  for (absl::string_view e : envelopes) {
    PutVarint(e.size(), raw);
    raw->append(e.data(), e.size());
  }
  // One compression context per thread (the publisher's), reused.
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(),
                                                                       &ZSTD_freeCCtx);
  out->resize(kCompressedMagic.size() + ZSTD_compressBound(raw->size()));
  const size_t n = cctx == nullptr
                       ? 0
                       : ZSTD_compressCCtx(cctx.get(), out->data() + kCompressedMagic.size(),
                                           out->size() - kCompressedMagic.size(), raw->data(),
                                           raw->size(), kLevel);
  if (cctx == nullptr || ZSTD_isError(n) != 0 || raw->size() > kMaxDecisionBatchBytes ||
      kCompressedMagic.size() + n >= raw->size()) {
    out->swap(*raw);  // uncompressed
    return;
  }
  out->replace(0, kCompressedMagic.size(), kCompressedMagic.data(), kCompressedMagic.size());
  out->resize(kCompressedMagic.size() + n);
}

absl::StatusOr<std::vector<absl::string_view>> DecodeDecisionMessage(absl::string_view data,
                                                                     std::string* storage) {
  if (absl::StartsWith(data, kCompressedMagic)) {
    data.remove_prefix(kCompressedMagic.size());
    const unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        size > kMaxDecisionBatchBytes) {
      return absl::DataLossError("decision batch: compressed frame unreadable or too large");
    }
    storage->resize(static_cast<size_t>(size));
    const size_t n = ZSTD_decompress(storage->data(), storage->size(), data.data(), data.size());
    if (ZSTD_isError(n) != 0 || n != size) {
      return absl::DataLossError(
          absl::StrCat("decision batch: does not decompress (",
                       ZSTD_isError(n) != 0 ? ZSTD_getErrorName(n) : "short frame", ")"));
    }
    data = *storage;
    if (!absl::StartsWith(data, kBatchMagic)) {
      return absl::DataLossError("decision batch: compressed content is not a batch");
    }
  }
  if (!absl::StartsWith(data, kBatchMagic)) return std::vector<absl::string_view>{data};
  std::vector<absl::string_view> out;
  size_t pos = kBatchMagic.size();
  while (pos < data.size()) {
    uint32_t length = 0;
    if (!GetVarint32(data, &pos, &length) || length == 0 || length > data.size() - pos) {
      return absl::DataLossError(absl::StrCat("decision batch: envelope ", out.size() + 1,
                                              " truncated or malformed at byte ", pos));
    }
    out.push_back(data.substr(pos, length));
    pos += length;
  }
  if (out.empty()) return absl::DataLossError("decision batch: no envelope");
  return out;
}

}  // namespace exportscreen::cluster
