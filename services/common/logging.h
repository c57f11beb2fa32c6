// Thin logging to stderr (Abseil 20220623 has no absl/log). Thread-safe:
// each line is written with one fwrite.
#ifndef EXPORTSCREEN_SERVICES_COMMON_LOGGING_H_
#define EXPORTSCREEN_SERVICES_COMMON_LOGGING_H_

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace exportscreen {

enum class LogLevel { kInfo, kWarning, kError };

inline void LogLine(LogLevel level, const std::string& msg) {
  const char* tag = level == LogLevel::kInfo ? "I" : level == LogLevel::kWarning ? "W" : "E";
  std::string line = absl::StrCat(
      tag, " ", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), " ",
      msg, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

// True at most `per_second` times a second per `state` (a static of the
// call site): rate-limits a log line that callers can trigger at will.
struct LogRateLimit {
  std::atomic<int64_t> second{0};
  std::atomic<int> count{0};
  std::atomic<int64_t> suppressed{0};
};
inline bool LogAllowed(LogRateLimit* state, int per_second, int64_t* suppressed_before) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  int64_t seen = state->second.load(std::memory_order_relaxed);
  if (seen != now && state->second.compare_exchange_strong(seen, now, std::memory_order_relaxed)) {
    state->count.store(0, std::memory_order_relaxed);
  }
  if (state->count.fetch_add(1, std::memory_order_relaxed) < per_second) {
    *suppressed_before = state->suppressed.exchange(0, std::memory_order_relaxed);
    return true;
  }
  state->suppressed.fetch_add(1, std::memory_order_relaxed);
  return false;
}

}  // namespace exportscreen

// Logs at most 10 lines a second from this call site, saying how many were
// suppressed before.
#define ES_LOG_WARNING_RATE_LIMITED(...)                                                      \
  do {                                                                                        \
    static ::exportscreen::LogRateLimit es_rate_limit_;                                       \
    int64_t es_suppressed_ = 0;                                                               \
    if (::exportscreen::LogAllowed(&es_rate_limit_, 10, &es_suppressed_)) {                   \
      ::exportscreen::LogLine(                                                                \
          ::exportscreen::LogLevel::kWarning,                                                 \
          absl::StrCat(__VA_ARGS__,                                                           \
                       es_suppressed_ > 0                                                     \
                           ? absl::StrCat(" (", es_suppressed_, " similar lines suppressed)") \
                           : std::string()));                                                 \
    }                                                                                         \
  } while (0)

#define ES_LOG_INFO(...) \
  ::exportscreen::LogLine(::exportscreen::LogLevel::kInfo, absl::StrCat(__VA_ARGS__))
#define ES_LOG_WARNING(...) \
  ::exportscreen::LogLine(::exportscreen::LogLevel::kWarning, absl::StrCat(__VA_ARGS__))
#define ES_LOG_ERROR(...) \
  ::exportscreen::LogLine(::exportscreen::LogLevel::kError, absl::StrCat(__VA_ARGS__))

#endif  // EXPORTSCREEN_SERVICES_COMMON_LOGGING_H_
