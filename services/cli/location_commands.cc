#include "services/cli/location_commands.h"

#include <fstream>
#include <iostream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "exportscreen/v1/location.grpc.pb.h"
#include "services/cli/commands.h"

namespace exportscreen::cli {

int CmdLocationImport(const std::vector<std::string>& args, std::shared_ptr<grpc::Channel> channel,
                      const ContextFactory& new_context) {
  if (args.size() != 1) return UsageError("location import takes one FILE (JSONL)");
  const std::string& path = args[0];
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "error: cannot read " << path << "\n";
    return 1;
  }
  // Parse everything first: a bad line stops the import before anything
  // is sent. The first line decides whether the file holds reports or
  // bundles (a LocationReport line never parses as a ReportBundle: it has
  // report_id, which a bundle lacks).
  std::vector<v1::LocationReport> reports;
  std::vector<v1::ReportBundle> bundles;
  // Per report of the stream: its line and position in its bundle (-1 for
  // a single report).
  std::vector<std::pair<int, int>> line_of;
  int kind = 0;  // 0 unknown, 1 reports, 2 bundles
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    absl::string_view t = absl::StripAsciiWhitespace(line);
    if (t.empty() || t[0] == '#') continue;
    v1::ReportBundle b;
    std::string error;
    const bool is_bundle =
        ParseJson(std::string(t), &b, &error) && (!b.bundle_id().empty() || b.reports_size() > 0);
    if (kind == 0) kind = is_bundle ? 2 : 1;
    if (is_bundle != (kind == 2)) {
      std::cerr << "error: " << path << ":" << n << ": a "
                << (is_bundle ? "v1.ReportBundle" : "non-bundle line") << " in a file of "
                << (kind == 2 ? "bundles" : "reports") << "\n";
      return 1;
    }
    if (is_bundle) {
      for (int i = 0; i < b.reports_size(); ++i) line_of.emplace_back(n, i);
      bundles.push_back(std::move(b));
      continue;
    }
    v1::LocationReport r;
    if (!ParseJson(std::string(t), &r, &error)) {
      std::cerr << "error: " << path << ":" << n << ": not a v1.LocationReport: " << error << "\n";
      return 1;
    }
    reports.push_back(std::move(r));
    line_of.emplace_back(n, -1);
  }
  auto stub = v1::LocationService::NewStub(channel);
  auto ctx = new_context();
  v1::IngestSummary summary;
  grpc::Status status;
  if (kind == 2) {
    std::unique_ptr<grpc::ClientWriter<v1::ReportBundle>> writer(
        stub->IngestBundles(ctx.get(), &summary));
    for (const auto& b : bundles) {
      if (!writer->Write(b)) break;  // the server ended the call: see Finish()
    }
    writer->WritesDone();
    status = writer->Finish();
  } else {
    std::unique_ptr<grpc::ClientWriter<v1::LocationReport>> writer(
        stub->IngestReports(ctx.get(), &summary));
    for (const auto& r : reports) {
      if (!writer->Write(r)) break;  // the server ended the call: see Finish()
    }
    writer->WritesDone();
    status = writer->Finish();
  }
  if (!status.ok()) {
    std::cerr << "error: " << StatusCodeName(status.error_code()) << ": " << status.error_message()
              << "\n";
    return 1;
  }
  for (const auto& rej : summary.rejected()) {
    const bool known = rej.index() >= 0 && rej.index() < int64_t(line_of.size());
    const int n = known ? line_of[rej.index()].first : -1;
    std::cout << path << ":" << n;
    if (known && line_of[rej.index()].second >= 0) {
      std::cout << ": bundle " << rej.bundle_id() << " report " << line_of[rej.index()].second;
    }
    std::cout << ": " << rej.report_id() << ": rejected: " << rej.reason() << "\n";
  }
  if (kind == 2) std::cout << "bundles " << summary.bundles_received() << ", ";
  std::cout << "received " << summary.received() << ", accepted " << summary.accepted()
            << ", already stored " << summary.duplicates() << ", rejected "
            << summary.rejected_size() << ", alerts raised " << summary.alerts_raised() << "\n";
  for (const auto& id : summary.alert_ids()) std::cout << "alert " << id << "\n";
  return summary.rejected_size() > 0 ? 5 : 0;
}

int CmdAlerts(const std::vector<std::string>& args, std::shared_ptr<grpc::Channel> channel,
              const ContextFactory& new_context, int limit) {
  if (!args.empty()) return UsageError("alerts takes no arguments (use --limit)");
  auto stub = v1::LocationService::NewStub(channel);
  auto ctx = new_context();
  v1::ListAlertsRequest request;
  request.set_limit(limit);
  v1::ListAlertsResponse response;
  grpc::Status status = stub->ListAlerts(ctx.get(), request, &response);
  if (!status.ok()) {
    std::cerr << "error: " << StatusCodeName(status.error_code()) << ": " << status.error_message()
              << "\n";
    return 1;
  }
  for (const auto& a : response.alerts()) std::cout << ToJson(a) << "\n";
  if (response.alerts().empty()) std::cerr << "no alerts\n";
  return 0;
}

}  // namespace exportscreen::cli
