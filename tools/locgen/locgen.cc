// locgen: writes a reproducible stream of signed chip location reports
// (JSONL of exportscreen.v1.LocationReport, sorted by time), the screening
// requests of the shipments they belong to (JSONL of ScreenRequest), the
// trust configuration of the signing key, and the ground truth (which
// serials are diverted).
//
// The signing key is the fixed TEST seed of location_stream.cc unless
// --random_key (then a fresh key is generated and only its public half is
// written, into the trust file). With --bundle=N the reports are written as
// JSONL of exportscreen.v1.ReportBundle instead: bundles of N reports in
// time order, each signed once (the reports carry no signature of their
// own); `screenctl location import` detects such a file. Single-threaded.
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "services/serving/location_signing.h"
#include "tools/locgen/location_stream.h"

ABSL_FLAG(int, chips, 5000, "chips");
ABSL_FLAG(int, diverted, 20, "chips diverted through transshipment hubs to CN");
ABSL_FLAG(int, chips_per_shipment, 8, "chips per shipment");
ABSL_FLAG(uint64_t, seed, 1, "random seed");
ABSL_FLAG(int, days, 20, "days of reports after the shipments");
ABSL_FLAG(absl::Duration, day, absl::Hours(24),
          "length of a simulated day (e.g. 1s for a live demo: screen the "
          "shipments, then generate with --start=now and import after --days s)");
ABSL_FLAG(std::string, start, "2026-08-01T00:00:00Z", "shipment time (RFC 3339, or \"now\")");
ABSL_FLAG(std::string, verifier_id, "test-fleet-attest", "verifier id");
ABSL_FLAG(bool, random_key, false, "sign with a fresh random key instead of the test key");
ABSL_FLAG(std::string, reports_out, "reports.jsonl", "reports (JSONL)");
ABSL_FLAG(int, bundle, 0,
          "if > 0: write signed bundles of this many reports (JSONL of "
          "ReportBundle) instead of individually signed reports");
ABSL_FLAG(std::string, shipments_out, "", "shipment screening requests (JSONL); empty = none");
ABSL_FLAG(std::string, trust_out, "", "trust config (text format); empty = none");
ABSL_FLAG(std::string, truth_out, "", "diverted serials with their shipment (TSV); empty = none");

namespace {
bool WriteJsonLines(const std::string& path,
                    const std::vector<const google::protobuf::Message*>& msgs) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return false;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  std::string line;
  for (const auto* m : msgs) {
    line.clear();
    if (!google::protobuf::util::MessageToJsonString(*m, &line, opts).ok()) return false;
    out << line << "\n";
  }
  return static_cast<bool>(out);
}
}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace exportscreen;
  locgen::StreamOptions o;
  o.chips = absl::GetFlag(FLAGS_chips);
  o.diverted = absl::GetFlag(FLAGS_diverted);
  o.chips_per_shipment = absl::GetFlag(FLAGS_chips_per_shipment);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.days = absl::GetFlag(FLAGS_days);
  o.verifier_id = absl::GetFlag(FLAGS_verifier_id);
  o.day = absl::GetFlag(FLAGS_day);
  std::string err;
  if (absl::GetFlag(FLAGS_start) == "now") {
    o.start = absl::Now();
  } else if (!absl::ParseTime(absl::RFC3339_full, absl::GetFlag(FLAGS_start), &o.start, &err)) {
    std::cerr << "locgen: --start: " << err << "\n";
    return 64;
  }
  auto key = absl::GetFlag(FLAGS_random_key)
                 ? serving::Ed25519PrivateKey::Generate()
                 : serving::Ed25519PrivateKey::FromSeed(locgen::TestKeySeed());
  if (!key.ok()) {
    std::cerr << "locgen: " << key.status() << "\n";
    return 1;
  }
  locgen::Stream stream = locgen::Generate(o, *key);
  const size_t report_count = stream.reports.size();
  std::vector<const google::protobuf::Message*> msgs;
  std::vector<v1::ReportBundle> bundles;
  const int per_bundle = absl::GetFlag(FLAGS_bundle);
  if (per_bundle < 0) {
    std::cerr << "locgen: --bundle must be >= 0\n";
    return 64;
  }
  if (per_bundle > 0) {
    bundles =
        locgen::MakeBundles(std::move(stream.reports), size_t(per_bundle), o.verifier_id, *key);
    stream.reports.clear();
    for (const auto& b : bundles) msgs.push_back(&b);
  } else {
    for (const auto& r : stream.reports) msgs.push_back(&r);
  }
  if (!WriteJsonLines(absl::GetFlag(FLAGS_reports_out), msgs)) {
    std::cerr << "locgen: cannot write " << absl::GetFlag(FLAGS_reports_out) << "\n";
    return 1;
  }
  if (!absl::GetFlag(FLAGS_shipments_out).empty()) {
    std::vector<v1::ScreenRequest> reqs;
    for (const auto& s : stream.shipments) reqs.push_back(locgen::ShipmentRequest(s));
    msgs.clear();
    for (const auto& r : reqs) msgs.push_back(&r);
    if (!WriteJsonLines(absl::GetFlag(FLAGS_shipments_out), msgs)) return 1;
  }
  if (!absl::GetFlag(FLAGS_trust_out).empty()) {
    std::ofstream t(absl::GetFlag(FLAGS_trust_out), std::ios::trunc);
    t << locgen::TrustConfigText(o.verifier_id, key->PublicKeyHex());
    if (!t) return 1;
  }
  int diverted = 0;
  if (!absl::GetFlag(FLAGS_truth_out).empty()) {
    std::ofstream t(absl::GetFlag(FLAGS_truth_out), std::ios::trunc);
    t << "serial\tshipment\tdeclared_destination\n";
    for (const auto& s : stream.shipments) {
      for (const auto& sn : s.diverted) {
        t << sn << "\t" << s.shipment_id << "\t" << s.destination << "\n";
        ++diverted;
      }
    }
  }
  std::cerr << "locgen: " << report_count << " reports";
  if (per_bundle > 0) std::cerr << " in " << bundles.size() << " bundles";
  std::cerr << ", " << stream.shipments.size() << " shipments, " << o.chips << " chips ("
            << o.diverted << " diverted), public key " << key->PublicKeyHex() << "\n";
  return 0;
}
