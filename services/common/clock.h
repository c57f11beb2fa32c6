// Injected time. Production code takes a `Clock*`; tests pass a FakeClock.
// RealClock is thread-safe; FakeClock is thread-safe (guarded by a mutex).
#ifndef EXPORTSCREEN_SERVICES_COMMON_CLOCK_H_
#define EXPORTSCREEN_SERVICES_COMMON_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace exportscreen {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // The current day in UTC (rule dates are UTC civil days).
  absl::CivilDay Today() const { return absl::ToCivilDay(Now(), absl::UTCTimeZone()); }
  // A process-wide real clock. Never null, never destroyed.
  static Clock* Real();
};

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// Parses "YYYY-MM-DD" strictly. Returns false on anything else.
bool ParseCivilDay(absl::string_view text, absl::CivilDay* day);

}  // namespace exportscreen

#endif  // EXPORTSCREEN_SERVICES_COMMON_CLOCK_H_
