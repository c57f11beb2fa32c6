// WorkerPool (services/common/thread_pool.h): runs what it accepts, refuses
// beyond its queue bound (and counts it), drains on destruction.
#include "services/common/thread_pool.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace exportscreen {
namespace {

TEST(WorkerPoolTest, RunsEveryAcceptedTask) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2, 1000);
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.TrySchedule([&] { ++ran; }));
  }  // the destructor drains
  EXPECT_EQ(ran.load(), 500);
}

TEST(WorkerPoolTest, RefusesBeyondTheQueueBoundAndCountsIt) {
  absl::Notification release, started;
  WorkerPool pool(1, 2);
  ASSERT_TRUE(pool.TrySchedule([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();  // the one thread is busy
  EXPECT_TRUE(pool.TrySchedule([] {}));
  EXPECT_TRUE(pool.TrySchedule([] {}));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_FALSE(pool.TrySchedule([] {}));  // full: refused, nothing dropped
  EXPECT_EQ(pool.rejected(), 1u);
  EXPECT_EQ(pool.queued(), 2u);
  release.Notify();
}

}  // namespace
}  // namespace exportscreen
