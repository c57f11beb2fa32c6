// Synthetic chip location report streams (issue 8), for tests, benchmarks
// and the demo. Reproducible: same options, same stream.
//
// Chips ship in shipments of a few chips to one declared destination. Most
// chips stay put: their verifier reports them in the destination every few
// days. A few are diverted: after some reports at the destination they are
// reported in one or two transshipment hubs (SG, MY, AE, TH, VN) and then in
// CN. Every report is signed by `key` as `verifier_id`.
//
// Also the test key: TestKeySeed() is a fixed 32-byte seed whose public key
// is in seeds/locations/trust.textproto. For tests and demos only.
#ifndef EXPORTSCREEN_TOOLS_LOCGEN_LOCATION_STREAM_H_
#define EXPORTSCREEN_TOOLS_LOCGEN_LOCATION_STREAM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "exportscreen/v1/location.pb.h"
#include "exportscreen/v1/screening.pb.h"
#include "services/serving/location_signing.h"

namespace exportscreen::locgen {

struct StreamOptions {
  int chips = 5000;
  int diverted = 20;  // chips diverted (<= chips)
  int chips_per_shipment = 8;
  uint64_t seed = 1;
  // Shipments are screened at `start`; reports follow over `days` days.
  absl::Time start = absl::FromCivil(absl::CivilSecond(2026, 8, 1, 0, 0, 0), absl::UTCTimeZone());
  int days = 20;
  // Length of one simulated day (demos compress time, e.g. 1 s).
  absl::Duration day = absl::Hours(24);
  // Mean days between two reports of one chip.
  double report_interval_days = 4;
  std::string verifier_id = "test-fleet-attest";
};

struct Shipment {
  std::string shipment_id;
  std::string destination;
  std::vector<std::string> serials;
  // Serials of this shipment that are diverted, and where they end.
  std::vector<std::string> diverted;
};

struct Stream {
  std::vector<Shipment> shipments;
  // Sorted by observed_at.
  std::vector<v1::LocationReport> reports;
};

Stream Generate(const StreamOptions& options, const serving::Ed25519PrivateKey& key);

// Groups reports (in order) into bundles of up to `per_bundle` reports,
// each signed once by `key` (SignReportBundle: the reports' own signatures
// are cleared). Bundle ids: "<verifier_id>-B" + 8 digits of the bundle
// number. Every report must name `verifier_id`.
std::vector<v1::ReportBundle> MakeBundles(std::vector<v1::LocationReport> reports,
                                          size_t per_bundle, const std::string& verifier_id,
                                          const serving::Ed25519PrivateKey& key);

// The screening request of a shipment (an advanced accelerator, quantity =
// serials, with serial numbers).
v1::ScreenRequest ShipmentRequest(const Shipment& shipment);

// Fixed test seed (32 bytes). NOT a secret: for tests and demos only.
std::string TestKeySeed();
// Text-format LocationTrustConfig trusting `public_key_hex` as verifier_id.
std::string TrustConfigText(const std::string& verifier_id, const std::string& public_key_hex);

}  // namespace exportscreen::locgen

#endif  // EXPORTSCREEN_TOOLS_LOCGEN_LOCATION_STREAM_H_
