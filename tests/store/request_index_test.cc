// The embedded request-id index (services/store/request_index.h): claims are
// created once, replaced and released only at the revision read, and the
// claims past the idempotency window are deleted by ExpireClaimsBefore
// unless renewed meanwhile; other meta records are left alone.
#include "services/store/request_index.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "services/store/entity_store.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen::store {
namespace {

RequestClaim Claim(int64_t at_ms, const std::string& decision_id = "") {
  RequestClaim c;
  c.body_digest = "abc123";
  c.owner = "embedded/1";
  c.claimed_unix_ms = at_ms;
  c.decision_id = decision_id;
  return c;
}

TEST(RequestIndexTest, ClaimsAreConditionalOnTheirRevision) {
  testing::TempDir dir;
  auto store = EntityStore::Open(dir.path(), StoreOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  RequestIndex& index = (*store)->requests();
  uint64_t revision = 0;
  auto created = index.Create("aa01", Claim(1000), &revision);
  ASSERT_TRUE(created.ok());
  EXPECT_FALSE(created->has_value());
  EXPECT_EQ(revision, 1u);
  auto again = index.Create("aa01", Claim(2000), &revision);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->claim.claimed_unix_ms, 1000);
  EXPECT_TRUE(absl::IsAborted(index.Replace("aa01", Claim(3000), 7).status()));
  auto replaced = index.Replace("aa01", Claim(1000, "D0000000000000001"), 1);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(*replaced, 2u);
  ASSERT_TRUE(index.Release("aa01", 1).ok());  // stale revision: kept
  EXPECT_TRUE((*index.Get("aa01")).has_value());
  ASSERT_TRUE(index.Release("aa01", 2).ok());
  EXPECT_FALSE((*index.Get("aa01")).has_value());
}

TEST(RequestIndexTest, ExpiryDeletesOnlyClaimsBeforeTheCutoff) {
  testing::TempDir dir;
  auto store = EntityStore::Open(dir.path(), StoreOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  RequestIndex& index = (*store)->requests();
  uint64_t revision = 0;
  for (int i = 0; i < 2500; ++i) {  // more than one deletion batch
    char key[16];
    std::snprintf(key, sizeof(key), "%04x", i);
    ASSERT_TRUE(index.Create(key, Claim(i < 2100 ? 1000 + i : 900000 + i), &revision).ok());
  }
  // A claim renewed (taken over) after the cutoff is kept.
  ASSERT_TRUE(index.Replace("0001", Claim(950000), 1).ok());
  auto deleted = index.ExpireClaimsBefore(500000);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 2099);
  EXPECT_FALSE((*index.Get("0000")).has_value());
  EXPECT_TRUE((*index.Get("0001")).has_value());
  EXPECT_FALSE((*index.Get("0833")).has_value());  // 2099, the last old one
  EXPECT_TRUE((*index.Get("0834")).has_value());   // 2100, the first new one
  auto none = index.ExpireClaimsBefore(500000);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  // Every later claim goes with a later cutoff; the store still works.
  EXPECT_EQ(*index.ExpireClaimsBefore(2000000), 401);
  EXPECT_TRUE((*store)->decisions().decision_count() == 0);
}

}  // namespace
}  // namespace exportscreen::store
