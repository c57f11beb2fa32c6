// absl::Time <-> google.protobuf.Timestamp: the one conversion of the
// service. Writing goes through protobuf's TimeUtil (normalised nanos, also
// before 1970). Reading adds seconds and nanos in absl::Time, which spans
// the whole Timestamp range: TimeUtil's int64-nanosecond reading would
// overflow past the year 2262, and timestamps from clients (location
// reports) may be anything. Thread-safe (stateless).
#ifndef EXPORTSCREEN_SERVICES_COMMON_PROTO_TIME_H_
#define EXPORTSCREEN_SERVICES_COMMON_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"

namespace exportscreen {

inline google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

inline void SetProtoTime(absl::Time t, google::protobuf::Timestamp* ts) { *ts = ToProtoTime(t); }

inline absl::Time FromProtoTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace exportscreen

#endif  // EXPORTSCREEN_SERVICES_COMMON_PROTO_TIME_H_
