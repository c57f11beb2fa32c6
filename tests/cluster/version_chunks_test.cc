// Cluster mode (issue 17): version content on the versions stream is
// chunked, reassembled in any order, digest-checked (a corrupt chunk is
// refused) and checked against its content-addressed id; list version ids
// do not depend on record order or on the version's metadata.
#include "services/cluster/version_chunks.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "services/store/version_ids.h"

namespace exportscreen::cluster {
namespace {

store::ListVersionData SampleList(int entities) {
  store::ListVersionData d;
  for (int i = 0; i < entities; ++i) {
    v1::ListedEntity e;
    e.set_entity_id("EL:" + std::to_string(i));
    e.set_list("EL");
    e.set_primary_name("Sample Trading Company Number " + std::to_string(i) +
                       std::string(200, 'x'));
    d.entities.push_back(std::move(e));
  }
  v1::OwnershipLink l;
  l.set_owner_entity_id("EL:0");
  l.set_owned_name("Owned Co");
  l.set_percent(60);
  d.ownership.push_back(l);
  d.info.set_created_by("test");
  d.info.set_version(store::ListVersionId(d));
  return d;
}

TEST(VersionIds, ListIdIsTheContentsNotTheOrderOrMetadata) {
  store::ListVersionData a = SampleList(5);
  store::ListVersionData b = a;
  std::reverse(b.entities.begin(), b.entities.end());
  b.info.set_created_by("someone else");
  b.info.add_sources("other:file");
  EXPECT_EQ(store::ListVersionId(a), store::ListVersionId(b));
  EXPECT_EQ(store::ListVersionId(a).substr(0, 2), "L-");
  EXPECT_EQ(store::ListVersionId(a).size(), 14u);
  b.entities[0].set_primary_name("changed");
  EXPECT_NE(store::ListVersionId(a), store::ListVersionId(b));
}

TEST(VersionChunks, ReassemblesInAnyOrderAndChecksTheId) {
  store::ListVersionData d = SampleList(3000);  // about 700 KiB: several chunks
  const std::string content = EncodeListVersion(d);
  auto chunks = SplitVersion("list", d.info.version(), content);
  ASSERT_GT(chunks.size(), 1u);
  std::reverse(chunks.begin(), chunks.end());
  VersionAssembler assembler;
  std::optional<std::string> whole;
  for (size_t i = 0; i < chunks.size(); ++i) {
    auto r = assembler.Add(chunks[i]);
    ASSERT_TRUE(r.ok()) << r.status();
    if (i + 1 < chunks.size()) {
      EXPECT_FALSE(r->has_value());
    } else {
      whole = **r;
    }
  }
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(*whole, content);
  EXPECT_EQ(assembler.pending(), 0u);
  auto decoded = DecodeListVersion(d.info.version(), *whole);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->entities.size(), 3000u);
  // The same content under another id is refused.
  EXPECT_EQ(DecodeListVersion("L-000000000000", *whole).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(VersionChunks, ACorruptChunkIsRefused) {
  store::ListVersionData d = SampleList(2000);
  auto chunks = SplitVersion("list", d.info.version(), EncodeListVersion(d));
  ASSERT_GT(chunks.size(), 1u);
  chunks[1].data[10] ^= 0x01;
  VersionAssembler assembler;
  absl::Status last;
  for (auto& c : chunks) {
    auto r = assembler.Add(c);
    if (!r.ok()) last = r.status();
  }
  EXPECT_EQ(last.code(), absl::StatusCode::kDataLoss) << last;
  EXPECT_EQ(assembler.pending(), 0u);
  // A chunk that contradicts the others (another digest) is refused too.
  auto good = SplitVersion("list", d.info.version(), EncodeListVersion(d));
  ASSERT_TRUE(assembler.Add(good[0]).ok());
  VersionChunk other = good[1];
  other.digest = std::string(64, '0');
  EXPECT_EQ(assembler.Add(other).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(VersionChunks, RuleSetMustGiveItsId) {
  v1::StoredRuleSet r;
  (*r.mutable_files())["a.textproto"] = "rule {}";
  r.mutable_info()->set_version(store::RuleSetIdOf(r));
  const std::string content = EncodeRuleSet(r);
  EXPECT_TRUE(DecodeRuleSet(r.info().version(), content).ok());
  (*r.mutable_files())["a.textproto"] = "rule { forged }";
  EXPECT_EQ(DecodeRuleSet(r.info().version(), EncodeRuleSet(r)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_FALSE(IsPublishableId("L-1.2"));
  EXPECT_TRUE(IsPublishableId("L-0123456789ab"));
}

}  // namespace
}  // namespace exportscreen::cluster
