// Messages of the decisions stream (services/cluster/decision_batch.h): a
// batch round-trips its envelopes in order, a single envelope reads as
// itself, and a truncated or malformed batch is DATA_LOSS, never a shorter
// list of records.
#include "services/cluster/decision_batch.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/store/decision_envelope.h"

namespace exportscreen::cluster {
namespace {

std::vector<std::string> Envelopes(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    // Record bytes of growing size: lengths on 1 and 2 varint bytes.
    std::string record(static_cast<size_t>(40 + i * 60), static_cast<char>('a' + i % 26));
    out.push_back(store::EncodeDecisionEnvelope(record, std::string(64, 'p'),
                                                store::DecisionBytesHash(record)));
  }
  return out;
}

TEST(DecisionBatchTest, RoundTripsEnvelopesInOrder) {
  const std::vector<std::string> envelopes = Envelopes(7);
  std::vector<absl::string_view> views(envelopes.begin(), envelopes.end());
  std::string batch, raw, storage;
  EncodeDecisionBatch(views, &batch, &raw);
  std::vector<size_t> sizes;
  for (const auto& e : envelopes) sizes.push_back(e.size());
  EXPECT_EQ(raw.size(), DecisionBatchSize(sizes));
  EXPECT_LT(batch.size(), raw.size() / 3) << "repetitive records compress";
  EXPECT_EQ(batch.substr(0, 5), std::string("\0ESZ1", 5));
  auto decoded = DecodeDecisionMessage(batch, &storage);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->size(), envelopes.size());
  for (size_t i = 0; i < envelopes.size(); ++i) EXPECT_EQ((*decoded)[i], envelopes[i]);
}

TEST(DecisionBatchTest, ASingleEnvelopeIsOneRecord) {
  const std::string one = Envelopes(1)[0];
  std::string storage;
  auto decoded = DecodeDecisionMessage(one, &storage);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0], one);
}

TEST(DecisionBatchTest, IncompressibleEnvelopesGoUncompressed) {
  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 3000; ++i) {
    x = x * 1103515245 + 12345;
    noise.push_back(static_cast<char>(x >> 24));
  }
  const std::string e = store::EncodeDecisionEnvelope(noise, "p", store::DecisionBytesHash(noise));
  std::string batch, raw, storage;
  EncodeDecisionBatch({e}, &batch, &raw);
  EXPECT_EQ(batch.substr(0, 5), std::string("\0ESB1", 5));
  auto decoded = DecodeDecisionMessage(batch, &storage);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0], e);
}

TEST(DecisionBatchTest, TruncatedOrMalformedBatchesAreDataLoss) {
  const std::vector<std::string> envelopes = Envelopes(3);
  std::string batch, compressed, storage;
  EncodeDecisionBatch({envelopes[0], envelopes[1], envelopes[2]}, &compressed, &batch);
  for (size_t cut = 5; cut < batch.size(); cut += 7) {
    auto decoded = DecodeDecisionMessage(batch.substr(0, cut), &storage);
    // A cut exactly between two envelopes is a shorter, well-formed batch;
    // anywhere else it is refused.
    if (decoded.ok()) {
      EXPECT_LT(decoded->size(), 3u);
    } else {
      EXPECT_TRUE(absl::IsDataLoss(decoded.status())) << decoded.status();
    }
  }
  // A compressed batch cut or altered anywhere is refused.
  for (size_t cut = 5; cut < compressed.size(); cut += 3) {
    EXPECT_TRUE(
        absl::IsDataLoss(DecodeDecisionMessage(compressed.substr(0, cut), &storage).status()))
        << cut;
  }
  std::string flipped = compressed;
  flipped[flipped.size() / 2] ^= 0x55;
  auto f = DecodeDecisionMessage(flipped, &storage);
  if (f.ok()) {  // zstd has no checksum at level 1 defaults: the bytes differ
    ASSERT_EQ(f->size(), 3u);
    EXPECT_FALSE((*f)[0] == envelopes[0] && (*f)[1] == envelopes[1] && (*f)[2] == envelopes[2]);
  }
  EXPECT_TRUE(absl::IsDataLoss(DecodeDecisionMessage(batch.substr(0, 5), &storage).status()));
  std::string zero = batch.substr(0, 5) + std::string(1, '\0');
  EXPECT_TRUE(absl::IsDataLoss(DecodeDecisionMessage(zero, &storage).status()));
  std::string huge = batch.substr(0, 5) + "\xff\xff\xff\xff\x7f";
  EXPECT_TRUE(absl::IsDataLoss(DecodeDecisionMessage(huge, &storage).status()));
}

}  // namespace
}  // namespace exportscreen::cluster
