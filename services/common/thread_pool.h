// WorkerPool: a fixed set of threads draining a bounded FIFO queue. gRPC
// callback handlers must never block, so screening work is posted here.
// Admission control: TrySchedule() refuses work when the queue is full
// instead of queueing without bound. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_COMMON_THREAD_POOL_H_
#define EXPORTSCREEN_SERVICES_COMMON_THREAD_POOL_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace exportscreen {

class WorkerPool {
 public:
  // REQUIRES: threads >= 1, max_queue >= 1.
  WorkerPool(int threads, size_t max_queue);
  // Drains queued work, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `fn`; returns false (and drops nothing already queued) if the
  // queue is full or the pool is shutting down.
  bool TrySchedule(std::function<void()> fn);
  size_t queued() const;
  // Calls of TrySchedule() refused so far (queue full or shutting down).
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
  size_t max_queue() const { return max_queue_; }

 private:
  void Loop();
  bool ReadyLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_queue_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> rejected_{0};
};

}  // namespace exportscreen

#endif  // EXPORTSCREEN_SERVICES_COMMON_THREAD_POOL_H_
