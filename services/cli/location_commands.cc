#include "services/cli/location_commands.h"

#include <fstream>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "exportscreen/v1/location.grpc.pb.h"
#include "services/cli/commands.h"

namespace exportscreen::cli {

int CmdLocationImport(const std::vector<std::string>& args,
                      std::shared_ptr<grpc::Channel> channel,
                      const ContextFactory& new_context) {
  if (args.size() != 1) return UsageError("location import takes one FILE (JSONL)");
  const std::string& path = args[0];
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "error: cannot read " << path << "\n";
    return 1;
  }
  // Parse everything first: a bad line stops the import before anything
  // is sent.
  std::vector<v1::LocationReport> reports;
  std::vector<int> line_of;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    absl::string_view t = absl::StripAsciiWhitespace(line);
    if (t.empty() || t[0] == '#') continue;
    v1::LocationReport r;
    std::string error;
    if (!ParseJson(std::string(t), &r, &error)) {
      std::cerr << "error: " << path << ":" << n
                << ": not a v1.LocationReport: " << error << "\n";
      return 1;
    }
    reports.push_back(std::move(r));
    line_of.push_back(n);
  }
  auto stub = v1::LocationService::NewStub(channel);
  auto ctx = new_context();
  v1::IngestSummary summary;
  std::unique_ptr<grpc::ClientWriter<v1::LocationReport>> writer(
      stub->IngestReports(ctx.get(), &summary));
  for (const auto& r : reports) {
    if (!writer->Write(r)) break;  // the server ended the call: see Finish()
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) {
    std::cerr << "error: " << StatusCodeName(status.error_code()) << ": "
              << status.error_message() << "\n";
    return 1;
  }
  for (const auto& rej : summary.rejected()) {
    const int n = rej.index() >= 0 && rej.index() < int64_t(line_of.size())
                      ? line_of[rej.index()]
                      : -1;
    std::cout << path << ":" << n << ": " << rej.report_id()
              << ": rejected: " << rej.reason() << "\n";
  }
  std::cout << "received " << summary.received() << ", accepted "
            << summary.accepted() << ", already stored " << summary.duplicates()
            << ", rejected " << summary.rejected_size() << ", alerts raised "
            << summary.alerts_raised() << "\n";
  for (const auto& id : summary.alert_ids()) std::cout << "alert " << id << "\n";
  return summary.rejected_size() > 0 ? 5 : 0;
}

int CmdAlerts(const std::vector<std::string>& args,
              std::shared_ptr<grpc::Channel> channel,
              const ContextFactory& new_context, int limit) {
  if (!args.empty()) return UsageError("alerts takes no arguments (use --limit)");
  auto stub = v1::LocationService::NewStub(channel);
  auto ctx = new_context();
  v1::ListAlertsRequest request;
  request.set_limit(limit);
  v1::ListAlertsResponse response;
  grpc::Status status = stub->ListAlerts(ctx.get(), request, &response);
  if (!status.ok()) {
    std::cerr << "error: " << StatusCodeName(status.error_code()) << ": "
              << status.error_message() << "\n";
    return 1;
  }
  for (const auto& a : response.alerts()) std::cout << ToJson(a) << "\n";
  if (response.alerts().empty()) std::cerr << "no alerts\n";
  return 0;
}

}  // namespace exportscreen::cli
