// ListDecisions (serving/decision_listing.cc): embedded mode pages one chain;
// cluster mode (issue 17) merges every replica chain the store holds newest
// first, pages without loss or repetition, and refuses malformed input.
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/serving/operations.h"
#include "tests/testing/replica_records.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen::serving {
namespace {

std::vector<std::string> AllPages(const store::EntityStore& store, v1::ListDecisionsRequest request,
                                  int* pages) {
  std::vector<std::string> ids;
  *pages = 0;
  for (int i = 0; i < 100; ++i) {
    auto page = ListDecisions(store, request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    ++*pages;
    for (const auto& r : page->records()) ids.push_back(r.decision_id());
    if (page->next_page_token().empty()) break;
    request.set_page_token(page->next_page_token());
  }
  return ids;
}

class ClusterListingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.replica_id = "r2";
    auto opened = store::EntityStore::Open(dir_.path(), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    for (int i = 0; i < 3; ++i) {  // r2's own chain
      v1::DecisionRecord r;
      r.mutable_response()->set_decision(i == 1 ? v1::DECISION_REVIEW : v1::DECISION_CLEAR);
      ASSERT_TRUE(store_->decisions().AppendDecision(&r).ok());
    }
    uint64_t position = 0;
    for (const auto& chain :
         {testing::RecordOnReplica("r1", 5), testing::RecordOnReplica("r3", 4)}) {
      for (const auto& e : chain)
        ASSERT_TRUE(store_->replica_decisions().Put({e}, ++position).ok());
    }
  }
  testing::TempDir dir_;
  std::unique_ptr<store::EntityStore> store_;
};

TEST_F(ClusterListingTest, MergesEveryChainNewestFirstAndPagesWithoutLossOrRepetition) {
  v1::ListDecisionsRequest all;
  all.set_limit(1000);
  int pages = 0;
  const std::vector<std::string> one = AllPages(*store_, all, &pages);
  EXPECT_EQ(pages, 1);
  ASSERT_EQ(one.size(), 12u);
  EXPECT_EQ(std::set<std::string>(one.begin(), one.end()).size(), 12u);
  // Each chain's own order (newest first) is kept within the merge.
  for (const char* replica : {"r1", "r2", "r3"}) {
    std::vector<std::string> mine;
    for (const auto& id : one) {
      if (id.rfind(std::string(replica) + "-", 0) == 0) mine.push_back(id);
    }
    EXPECT_TRUE(std::is_sorted(mine.rbegin(), mine.rend())) << replica;
  }
  for (int limit : {1, 2, 4, 5, 11}) {
    v1::ListDecisionsRequest paged;
    paged.set_limit(limit);
    EXPECT_EQ(AllPages(*store_, paged, &pages), one) << "limit " << limit;
    EXPECT_EQ(pages, (12 + limit - 1) / limit) << "limit " << limit;
  }
}

TEST_F(ClusterListingTest, OneReplicaFiltersAndMalformedInput) {
  v1::ListDecisionsRequest r3;
  r3.set_replica("r3");
  r3.set_limit(3);
  int pages = 0;
  EXPECT_EQ(AllPages(*store_, r3, &pages),
            (std::vector<std::string>{"r3-D0000000000000004", "r3-D0000000000000003",
                                      "r3-D0000000000000002", "r3-D0000000000000001"}));
  v1::ListDecisionsRequest review;
  review.add_decisions(v1::DECISION_REVIEW);
  EXPECT_EQ(AllPages(*store_, review, &pages), (std::vector<std::string>{"r2-D0000000000000002"}));
  for (const char* token :
       {"17", "m1:r1", "m1:r1=0", "m1:R1=3", "m1:r1=x", "x1:r1=3", "m1:r1=3,r1=2", "m1:r9=3"}) {
    v1::ListDecisionsRequest bad;
    bad.set_page_token(token);
    auto got = ListDecisions(*store_, bad);
    EXPECT_TRUE(absl::IsInvalidArgument(got.status())) << token;
    EXPECT_NE(got.status().message().find("page_token"), std::string::npos) << token;
  }
  v1::ListDecisionsRequest bad_replica;
  bad_replica.set_replica("R 1");
  auto got = ListDecisions(*store_, bad_replica);
  EXPECT_TRUE(absl::IsInvalidArgument(got.status()));
  EXPECT_NE(got.status().message().find("replica"), std::string::npos);
}

TEST(EmbeddedListingTest, PagesTheOneChainWithNumericTokens) {
  testing::TempDir dir;
  auto store = store::EntityStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  for (int i = 0; i < 7; ++i) {
    v1::DecisionRecord r;
    r.mutable_response()->set_decision(v1::DECISION_CLEAR);
    ASSERT_TRUE((*store)->decisions().AppendDecision(&r).ok());
  }
  v1::ListDecisionsRequest request;
  request.set_limit(3);
  auto first = ListDecisions(**store, request);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->records_size(), 3);
  EXPECT_EQ(first->records(0).decision_id(), "D0000000000000007");
  EXPECT_EQ(first->next_page_token(), "4");
  int pages = 0;
  EXPECT_EQ(AllPages(**store, request, &pages).size(), 7u);
  EXPECT_EQ(pages, 3);
  request.set_replica("r1");
  EXPECT_TRUE(absl::IsInvalidArgument(ListDecisions(**store, request).status()));
}

TEST(EmbeddedListingTest, FiltersByListCodeAndDestination) {
  testing::TempDir dir;
  auto store = store::EntityStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  const struct {
    const char* destination;
    const char* list;
  } rows[] = {{"DE", ""}, {"CN", "EL"}, {"CN", "SDN"}, {"RU", "EL"}, {"CN", ""}};
  for (const auto& row : rows) {
    v1::DecisionRecord r;
    r.mutable_request()->set_destination_country(row.destination);
    if (*row.list) r.mutable_response()->add_party_matches()->set_list(row.list);
    ASSERT_TRUE((*store)->decisions().AppendDecision(&r).ok());
  }
  auto ids = [&](const char* list, const char* destination) {
    v1::ListDecisionsRequest request;
    request.set_list_code(list);
    request.set_destination_country(destination);
    std::vector<std::string> out;
    auto page = ListDecisions(**store, request);
    EXPECT_TRUE(page.ok()) << page.status();
    for (const auto& r : page->records()) out.push_back(r.decision_id());
    return out;
  };
  EXPECT_EQ(ids("EL", ""), (std::vector<std::string>{"D0000000000000004", "D0000000000000002"}));
  EXPECT_EQ(ids("", "CN"), (std::vector<std::string>{"D0000000000000005", "D0000000000000003",
                                                     "D0000000000000002"}));
  EXPECT_EQ(ids("EL", "CN"), (std::vector<std::string>{"D0000000000000002"}));
  EXPECT_TRUE(ids("UVL", "").empty());
}

}  // namespace
}  // namespace exportscreen::serving
