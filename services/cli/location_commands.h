// screenctl commands of chip location verification (issue 8):
//   location import FILE   stream a JSONL file of v1.LocationReport to
//                          LocationService.IngestReports, or a JSONL file of
//                          v1.ReportBundle (detected: a line that parses as a
//                          ReportBundle, e.g. locgen --bundle=N) to
//                          IngestBundles; print the summary
//   alerts                 list diversion alerts (newest first)
// Thread-compatible.
#ifndef EXPORTSCREEN_SERVICES_CLI_LOCATION_COMMANDS_H_
#define EXPORTSCREEN_SERVICES_CLI_LOCATION_COMMANDS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"

namespace exportscreen::cli {

using ContextFactory = std::function<std::unique_ptr<grpc::ClientContext>()>;

// Exit: 0 every report accepted (or already stored), 5 some rejected (each
// printed with its line and reason; for bundles also the report's position
// in its bundle), 1 unreadable file, bad JSON, a file mixing reports and
// bundles, or RPC error, 64 usage.
int CmdLocationImport(const std::vector<std::string>& args, std::shared_ptr<grpc::Channel> channel,
                      const ContextFactory& new_context);
// Prints alerts as JSON lines. Exit 0, or 1 on RPC error.
int CmdAlerts(const std::vector<std::string>& args, std::shared_ptr<grpc::Channel> channel,
              const ContextFactory& new_context, int limit);

}  // namespace exportscreen::cli

#endif  // EXPORTSCREEN_SERVICES_CLI_LOCATION_COMMANDS_H_
