// Thin logging to stderr (Abseil 20220623 has no absl/log). Thread-safe:
// each line is written with one fwrite.
#ifndef EXPORTSCREEN_SERVICES_COMMON_LOGGING_H_
#define EXPORTSCREEN_SERVICES_COMMON_LOGGING_H_

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace exportscreen {

enum class LogLevel { kInfo, kWarning, kError };

inline void LogLine(LogLevel level, const std::string& msg) {
  const char* tag = level == LogLevel::kInfo      ? "I"
                    : level == LogLevel::kWarning ? "W"
                                                  : "E";
  std::string line = absl::StrCat(
      tag, " ", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                 absl::UTCTimeZone()),
      " ", msg, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace exportscreen

#define ES_LOG_INFO(...) \
  ::exportscreen::LogLine(::exportscreen::LogLevel::kInfo, absl::StrCat(__VA_ARGS__))
#define ES_LOG_WARNING(...) \
  ::exportscreen::LogLine(::exportscreen::LogLevel::kWarning, absl::StrCat(__VA_ARGS__))
#define ES_LOG_ERROR(...) \
  ::exportscreen::LogLine(::exportscreen::LogLevel::kError, absl::StrCat(__VA_ARGS__))

#endif  // EXPORTSCREEN_SERVICES_COMMON_LOGGING_H_
