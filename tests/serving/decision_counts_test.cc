// DecisionCounts (serving/decision_counts.h): the console's per-class counts
// stay equal to a full count while decisions are added, per filter, after
// retention deleted the oldest records, over every replica chain, and an
// incomplete count is never kept.
#include <array>
#include <string>

#include "gtest/gtest.h"
#include "services/common/proto_time.h"
#include "services/serving/decision_counts.h"
#include "services/serving/operations.h"
#include "tests/testing/replica_records.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen::serving {
namespace {

// The reference: every record of every chain, filtered, counted afresh.
std::array<int64_t, 5> FullCount(const store::EntityStore& store,
                                 const v1::ListDecisionsRequest& request) {
  std::array<int64_t, 5> out{};
  const DecisionFilter filter(request);
  EXPECT_TRUE(ScanAllChains(store, [&](const v1::DecisionRecord& r) {
                if (filter.Check(r, true) == DecisionFilter::Verdict::kMatch) {
                  ++out[r.response().decision()];
                }
                return ScanStep::kNext;
              }).ok());
  return out;
}

class DecisionCountsTest : public ::testing::Test {
 protected:
  void Open(const std::string& replica = "") {
    store::StoreOptions options;
    options.replica_id = replica;
    auto opened = store::EntityStore::Open(dir_.path(), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }
  // Decision i: classes in turn, a party name "Acme" on every third,
  // recorded at `at` + i seconds.
  void Append(int n, absl::Time at) {
    static const v1::Decision kClasses[] = {v1::DECISION_CLEAR, v1::DECISION_REVIEW,
                                            v1::DECISION_LICENSE_REQUIRED, v1::DECISION_CLEAR};
    for (int i = 0; i < n; ++i, ++appended_) {
      v1::DecisionRecord r;
      r.mutable_response()->set_decision(kClasses[appended_ % 4]);
      r.mutable_request()->add_parties()->set_name(appended_ % 3 == 0 ? "Acme Trading" : "Other");
      *r.mutable_recorded_at() = ToProtoTime(at + absl::Seconds(i));
      ASSERT_TRUE(store_->decisions().AppendDecision(&r).ok());
    }
  }
  absl::StatusOr<DecisionCountsResult> Count(const v1::ListDecisionsRequest& request,
                                             absl::Duration budget = absl::Seconds(30)) {
    return counts_.Count(*store_, request, budget);
  }
  testing::TempDir dir_;
  std::unique_ptr<store::EntityStore> store_;
  DecisionCounts counts_;
  int appended_ = 0;
};

TEST_F(DecisionCountsTest, RepeatedCountReadsOnlyNewDecisionsAndEqualsFullCount) {
  Open();
  const absl::Time t0 = absl::FromUnixSeconds(1'780'000'000);
  Append(50, t0);
  v1::ListDecisionsRequest all;
  all.add_decisions(v1::DECISION_REVIEW);  // the class filter is ignored
  auto first = Count(all);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->complete);
  EXPECT_EQ(first->scanned, 50);
  EXPECT_EQ(first->counts, FullCount(*store_, v1::ListDecisionsRequest()));
  EXPECT_EQ(first->counts[v1::DECISION_CLEAR], 25);

  Append(7, t0 + absl::Minutes(5));
  auto second = Count(all);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->scanned, 7);
  EXPECT_EQ(second->counts, FullCount(*store_, v1::ListDecisionsRequest()));
  auto third = Count(all);
  EXPECT_EQ(third->scanned, 0);
  EXPECT_EQ(third->counts, second->counts);

  // Another filter is counted on its own.
  v1::ListDecisionsRequest acme;
  acme.set_party_name("acme");
  auto a = Count(acme);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->scanned, 57);
  EXPECT_EQ(a->counts, FullCount(*store_, acme));
  EXPECT_NE(a->counts, second->counts);
  // A time range: older records end the scan, and later counts still hold.
  v1::ListDecisionsRequest recent;
  *recent.mutable_from_time() = ToProtoTime(t0 + absl::Seconds(40));
  auto r1 = Count(recent);
  EXPECT_EQ(r1->counts, FullCount(*store_, recent));
  Append(3, t0 + absl::Minutes(10));
  auto r2 = Count(recent);
  EXPECT_EQ(r2->scanned, 3);
  EXPECT_EQ(r2->counts, FullCount(*store_, recent));
}

TEST_F(DecisionCountsTest, RetentionMovingTheAnchorRecountsThatChain) {
  Open();
  const absl::Time t0 = absl::FromUnixSeconds(1'780'000'000);
  Append(40, t0);
  v1::ListDecisionsRequest all;
  auto before = Count(all);
  ASSERT_TRUE(before.ok());
  auto expired = store_->decisions().ExpireDecisionsBefore(t0 + absl::Seconds(20));
  ASSERT_TRUE(expired.ok()) << expired.status();
  ASSERT_EQ(*expired, 20);
  auto after = Count(all);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->scanned, 20);  // counted again from scratch
  EXPECT_EQ(after->counts, FullCount(*store_, all));
  EXPECT_NE(after->counts, before->counts);
}

TEST_F(DecisionCountsTest, AnIncompleteCountIsReturnedButNotKept) {
  Open();
  Append(3000, absl::FromUnixSeconds(1'780'000'000));
  v1::ListDecisionsRequest all;
  auto partial = Count(all, absl::ZeroDuration());
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->complete);
  EXPECT_LT(partial->scanned, 3000);
  auto full = Count(all);
  ASSERT_TRUE(full.ok());
  EXPECT_TRUE(full->complete);
  EXPECT_EQ(full->scanned, 3000);
  EXPECT_EQ(full->counts, FullCount(*store_, all));
}

TEST_F(DecisionCountsTest, ClusterModeCountsEveryReplicaChainAndFollowsEachHead) {
  Open("r2");
  Append(3, absl::FromUnixSeconds(1'780'000'000));
  const auto r1 = testing::RecordOnReplica("r1", 9);
  const auto r3 = testing::RecordOnReplica("r3", 4);
  uint64_t position = 0;
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(store_->replica_decisions().Put({r1[i]}, ++position).ok());
  for (const auto& e : r3) ASSERT_TRUE(store_->replica_decisions().Put({e}, ++position).ok());
  v1::ListDecisionsRequest all;
  auto first = Count(all);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->scanned, 12);
  EXPECT_EQ(first->counts, FullCount(*store_, all));
  for (int i = 5; i < 9; ++i)
    ASSERT_TRUE(store_->replica_decisions().Put({r1[i]}, ++position).ok());
  auto second = Count(all);
  EXPECT_EQ(second->scanned, 4);
  EXPECT_EQ(second->counts, FullCount(*store_, all));
  EXPECT_EQ(second->counts[v1::DECISION_CLEAR], first->counts[v1::DECISION_CLEAR] + 4);
  // One replica's chain alone.
  v1::ListDecisionsRequest only_r3;
  only_r3.set_replica("r3");
  auto r3_count = Count(only_r3);
  EXPECT_EQ(r3_count->scanned, 4);
  EXPECT_EQ(r3_count->counts[v1::DECISION_CLEAR], 4);
}

}  // namespace
}  // namespace exportscreen::serving
