// Helpers shared by the files of SnapshotManager (snapshot_manager.cc,
// snapshot_retirement.cc, list_import.cc). Internal to services/serving.
#ifndef EXPORTSCREEN_SERVICES_SERVING_MANAGER_INTERNAL_H_
#define EXPORTSCREEN_SERVICES_SERVING_MANAGER_INTERNAL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "exportscreen/v1/entities.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "services/common/metrics.h"

namespace exportscreen::serving::internal {

metrics::Histogram* BuildSeconds();
void SetTimestamp(absl::Time t, google::protobuf::Timestamp* ts);
// Sets info's entity count and counts by list from `entities`.
void CountByList(const std::vector<v1::ListedEntity>& entities, v1::ListVersionInfo* info);
// One protobuf JSON message; INVALID_ARGUMENT with the parser's message.
absl::Status ParseJson(absl::string_view json, google::protobuf::Message* msg);

}  // namespace exportscreen::serving::internal

namespace exportscreen::serving {
using internal::BuildSeconds;
using internal::CountByList;
using internal::ParseJson;
using internal::SetTimestamp;
}  // namespace exportscreen::serving

#endif  // EXPORTSCREEN_SERVICES_SERVING_MANAGER_INTERNAL_H_
