// Migration of the audit chain to envelopes: a store written by the code
// before envelopes (tests/data/legacy_decision_store, see its README)
// opens, verifies to the head hash that code reported, and grows on in
// envelopes; changes to its legacy records are still found; a record in
// the legacy format written after the boundary is refused.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/store/entity_store.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen::store {
namespace {

namespace fs = std::filesystem;

constexpr char kLegacyHead[] = "23b32a28f9fcff2c0dfbaa5816b19cca758594eb489d0ebbfae634f7f0f706aa";

std::string CopyFixture(const testing::TempDir& dir) {
  const std::string db = dir.path() + "/db";
  fs::copy(std::string(ES_SOURCE_DIR) + "/tests/data/legacy_decision_store/db", db,
           fs::copy_options::recursive);
  return db;
}

TEST(LegacyStoreTest, OldStoreVerifiesAndGrowsOnInEnvelopes) {
  testing::TempDir dir;
  const std::string path = CopyFixture(dir);
  auto store = EntityStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  DecisionLog& log = (*store)->decisions();
  EXPECT_EQ(log.decision_count(), 16);
  EXPECT_EQ(log.envelope_since(), 0u);
  auto v = VerifyDecisionChain(log);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->records_checked, 16u);
  EXPECT_EQ(v->head_hash, kLegacyHead);
  // Every legacy record reads back whole, with the hash it was stored with.
  auto first = log.GetDecision("D0000000000000001");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->sequence(), 1u);
  EXPECT_EQ(first->hash().size(), 64u);
  EXPECT_EQ(DecisionRecordHash(*first), first->hash());

  v1::DecisionRecord next;
  next.mutable_request()->set_request_id("after-migration");
  ASSERT_TRUE(log.AppendDecision(&next).ok());
  EXPECT_EQ(next.sequence(), 17u);
  EXPECT_EQ(next.prev_hash(), kLegacyHead);
  EXPECT_EQ(log.envelope_since(), 17u);
  v = VerifyDecisionChain(log);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->records_checked, 17u);
  EXPECT_EQ(v->head_hash, next.hash());
}

TEST(LegacyStoreTest, ChangedLegacyRecordIsFound) {
  testing::TempDir dir;
  auto store = EntityStore::Open(CopyFixture(dir));
  ASSERT_TRUE(store.ok());
  DecisionLog& log = (*store)->decisions();
  auto r = log.GetDecision("D0000000000000005");
  ASSERT_TRUE(r.ok());
  v1::DecisionRecord changed = *r;
  changed.mutable_response()->set_decision(v1::DECISION_CLEAR);
  changed.mutable_request()->set_request_id("rewritten");
  ASSERT_TRUE(log.RawPutDecisionForTest(5, changed.SerializeAsString()).ok());
  auto v = VerifyDecisionChain(log);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_broken_sequence, 5u);
  EXPECT_NE(v->problem.find("modified"), std::string::npos) << v->problem;
}

TEST(LegacyStoreTest, LegacyFormatAfterTheBoundaryIsRefused) {
  testing::TempDir dir;
  auto store = EntityStore::Open(CopyFixture(dir));
  ASSERT_TRUE(store.ok());
  DecisionLog& log = (*store)->decisions();
  v1::DecisionRecord a, b;
  ASSERT_TRUE(log.AppendDecision(&a).ok());  // 17: the first envelope
  ASSERT_TRUE(log.AppendDecision(&b).ok());  // 18
  // A forger rewrites 18 in the old format with a self-consistent hash
  // (it is the last record: no successor link breaks).
  v1::DecisionRecord forged = b;
  forged.mutable_request()->set_request_id("forged");
  forged.set_hash(DecisionRecordHash(forged));
  ASSERT_TRUE(log.RawPutDecisionForTest(18, forged.SerializeAsString()).ok());
  auto v = VerifyDecisionChain(log);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_broken_sequence, 18u);
  EXPECT_NE(v->problem.find("before envelopes"), std::string::npos) << v->problem;
}

TEST(VerifyResumeTest, ResumesFromTheVerifiedMarkAndReportsProgress) {
  testing::TempDir dir;
  auto store = EntityStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  DecisionLog& log = (*store)->decisions();
  for (int i = 0; i < 25; ++i) {
    v1::DecisionRecord r;
    r.mutable_request()->set_request_id(absl::StrCat("r", i));
    ASSERT_TRUE(log.AppendDecision(&r).ok());
  }
  // Stop after the first progress report (at 10): the mark is at 10.
  std::atomic<bool> stop{false};
  VerifyOptions first;
  first.progress_every = 10;
  int reports = 0;
  first.progress = [&](const ChainVerification& so_far) {
    ++reports;
    EXPECT_EQ(so_far.last_sequence, 10u);
    stop = true;
  };
  first.cancelled = &stop;
  auto cancelled = VerifyDecisionChain(log, first);
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(reports, 1);
  auto mark = log.GetVerifiedMark();
  ASSERT_TRUE(mark.ok() && mark->has_value());
  EXPECT_EQ((*mark)->sequence(), 10u);
  // Resume: checks 11..25 only.
  VerifyOptions resume;
  resume.resume = true;
  auto v = VerifyDecisionChain(log, resume);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_TRUE(v->resumed);
  EXPECT_EQ(v->first_sequence, 11u);
  EXPECT_EQ(v->records_checked, 15u);
  EXPECT_EQ(v->last_sequence, 25u);
  // Resume trusts the part already verified: a change at 3, made after
  // the mark moved to 25, is found by a full verification (the default),
  // not by a resumed one.
  auto r3 = log.GetDecision("D0000000000000003");
  ASSERT_TRUE(r3.ok());
  v1::DecisionRecord changed = *r3;
  changed.mutable_request()->set_request_id("changed");
  changed.clear_hash();
  std::string bytes;
  ASSERT_TRUE(changed.SerializeToString(&bytes));
  ASSERT_TRUE(
      log.RawPutDecisionForTest(3, EncodeDecisionEnvelope(bytes, changed.prev_hash(), r3->hash()))
          .ok());
  v = VerifyDecisionChain(log, resume);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << "resume from 25 does not re-read 3";
  VerifyOptions full;
  v = VerifyDecisionChain(log, full);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_broken_sequence, 3u);
}

}  // namespace
}  // namespace exportscreen::store
