#include "services/store/key_codec.h"

#include "gtest/gtest.h"

namespace exportscreen::store {
namespace {

TEST(KeyCodecTest, VersionedKeyRoundTrip) {
  std::string key = VersionedKey("lists-1", "EL:abc");
  absl::string_view version, id;
  ASSERT_TRUE(SplitVersionedKey(key, &version, &id));
  EXPECT_EQ(version, "lists-1");
  EXPECT_EQ(id, "EL:abc");
}

TEST(KeyCodecTest, VersionPrefixDoesNotCollideWithLongerVersion) {
  // "v1" records must not fall in the range of "v10".
  std::string a = VersionedKey("v1", "x");
  std::string b = VersionPrefix("v10");
  EXPECT_NE(a.rfind(b, 0), 0u);
  EXPECT_EQ(VersionedKey("v10", "x").rfind(b, 0), 0u);
}

TEST(KeyCodecTest, SeqKeysSortNumerically) {
  EXPECT_LT(VersionedSeqKey("v", 9), VersionedSeqKey("v", 10));
  EXPECT_LT(VersionedSeqKey("v", 255), VersionedSeqKey("v", 256));
  EXPECT_LT(DecisionKey(1), DecisionKey(1ull << 40));
}

TEST(KeyCodecTest, Fixed64RoundTrip) {
  for (uint64_t v : {0ull, 1ull, 0x0102030405060708ull, ~0ull}) {
    std::string s;
    PutFixed64BE(&s, v);
    ASSERT_EQ(s.size(), 8u);
    EXPECT_EQ(DecodeFixed64BE(s.data()), v);
  }
}

TEST(KeyCodecTest, DecisionIdRoundTrip) {
  uint64_t seq = 0;
  std::string id = DecisionId(0x1234);
  EXPECT_EQ(id, "D0000000000001234");
  ASSERT_TRUE(ParseDecisionId(id, &seq));
  EXPECT_EQ(seq, 0x1234u);
  EXPECT_FALSE(ParseDecisionId("D123", &seq));
  EXPECT_FALSE(ParseDecisionId("X0000000000001234", &seq));
  EXPECT_FALSE(ParseDecisionId("D000000000000123G", &seq));
  uint64_t back = 0;
  ASSERT_TRUE(ParseDecisionKey(DecisionKey(77), &back));
  EXPECT_EQ(back, 77u);
  EXPECT_FALSE(ParseDecisionKey("short", &back));
}

}  // namespace
}  // namespace exportscreen::store
