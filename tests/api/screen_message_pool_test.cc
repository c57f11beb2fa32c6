// ScreenMessagePool: released records come back empty, with the same
// storage (that is the point of the pool), and nothing that is not the
// lent record, or a record still lent out, is ever reused.
#include "services/api/screen_message_pool.h"

#include <memory>
#include <utility>

#include "gtest/gtest.h"

namespace exportscreen::api {
namespace {

using Holder = ScreenMessagePool::Holder;

Holder* Allocate(ScreenMessagePool* pool) { return static_cast<Holder*>(pool->AllocateMessages()); }

TEST(ScreenMessagePoolTest, ReleasedRecordIsReusedEmptyWithTheSameStorage) {
  ScreenMessagePool pool(4);
  Holder* h = Allocate(&pool);
  h->request()->set_request_id("first");
  h->request()->add_items()->set_part_number("P-1");
  std::unique_ptr<v1::DecisionRecord> record = h->Lend();
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(&record->request(), h->request());
  record->mutable_response()->set_request_id("first");
  record->mutable_response()->add_findings()->set_rule_id("rf.x");
  record->mutable_response()->add_rules()->set_rule_id("rf.x");
  record->set_decision_id("D0000000000000001");
  record->mutable_recorded_at()->set_seconds(5);
  record->set_caller("client");
  record->set_sequence(1);
  record->set_prev_hash("p");
  record->set_hash("h");
  const v1::ScreenResponse* response = h->response();
  ASSERT_TRUE(h->Restore(std::move(record)));
  h->Release();
  EXPECT_EQ(pool.idle(), 1u);

  Holder* again = Allocate(&pool);
  EXPECT_EQ(again, h);
  EXPECT_EQ(again->response(), response);  // same objects, cleared
  EXPECT_EQ(again->request()->ByteSizeLong(), 0u);
  EXPECT_EQ(again->response()->ByteSizeLong(), 0u);
  std::unique_ptr<v1::DecisionRecord> reused = again->Lend();
  EXPECT_TRUE(reused->decision_id().empty());
  EXPECT_FALSE(reused->has_recorded_at());
  EXPECT_TRUE(reused->caller().empty());
  EXPECT_EQ(reused->sequence(), 0u);
  EXPECT_TRUE(reused->hash().empty());
  EXPECT_TRUE(reused->prev_hash().empty());
  ASSERT_TRUE(again->Restore(std::move(reused)));
  again->Release();
  EXPECT_EQ(pool.created(), 1u);
  EXPECT_EQ(pool.idle(), 1u);
}

TEST(ScreenMessagePoolTest, ForeignOrUnreturnedRecordsAreNeverReused) {
  ScreenMessagePool pool(4);
  Holder* h = Allocate(&pool);
  std::unique_ptr<v1::DecisionRecord> lent = h->Lend();
  // Another record is refused (gRPC's pointers name the lent one).
  EXPECT_FALSE(h->Restore(std::make_unique<v1::DecisionRecord>()));
  // The call ends while the record is still lent: the holder is freed.
  h->Release();
  EXPECT_EQ(pool.idle(), 0u);
  lent.reset();
}

TEST(ScreenMessagePoolTest, IdleRecordsAreBounded) {
  ScreenMessagePool pool(2);
  Holder* a = Allocate(&pool);
  Holder* b = Allocate(&pool);
  Holder* c = Allocate(&pool);
  a->Release();
  b->Release();
  c->Release();
  EXPECT_EQ(pool.idle(), 2u);
  EXPECT_EQ(pool.created(), 3u);
}

TEST(ScreenMessagePoolTest, OversizedAnswersAreNotKept) {
  ScreenMessagePool pool(4, /*max_reused_findings=*/2);
  Holder* h = Allocate(&pool);
  for (int i = 0; i < 3; ++i) h->response()->add_findings();
  h->Release();
  EXPECT_EQ(pool.idle(), 0u);
}

}  // namespace
}  // namespace exportscreen::api
