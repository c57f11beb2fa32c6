#include "services/common/clock.h"

#include "absl/strings/numbers.h"

namespace exportscreen {

Clock* Clock::Real() {
  static Clock* const clock = new RealClock();
  return clock;
}

bool ParseCivilDay(absl::string_view text, absl::CivilDay* day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  int y = 0, m = 0, d = 0;
  if (!absl::SimpleAtoi(text.substr(0, 4), &y) || !absl::SimpleAtoi(text.substr(5, 2), &m) ||
      !absl::SimpleAtoi(text.substr(8, 2), &d)) {
    return false;
  }
  absl::CivilDay parsed(y, m, d);
  // CivilDay normalises out-of-range fields; reject those (e.g. 2025-02-30).
  if (parsed.year() != y || parsed.month() != m || parsed.day() != d) {
    return false;
  }
  *day = parsed;
  return true;
}

}  // namespace exportscreen
