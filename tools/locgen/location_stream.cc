#include "tools/locgen/location_stream.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace exportscreen::locgen {
namespace {

struct Place {
  const char* country;
  const char* region;
  double lat, lon;
};

// Declared destinations of ordinary shipments (data centres).
const Place kDestinations[] = {
    {"DE", "Hessen", 50.11, 8.68},        {"JP", "Tokyo", 35.68, 139.69},
    {"GB", "London", 51.51, -0.13},       {"FR", "Ile-de-France", 48.86, 2.35},
    {"NL", "Noord-Holland", 52.37, 4.90}, {"KR", "Seoul", 37.57, 126.98},
    {"CA", "Ontario", 43.65, -79.38},     {"AU", "NSW", -33.87, 151.21},
    {"IE", "Dublin", 53.35, -6.26},       {"SE", "Stockholm", 59.33, 18.07},
    {"SG", "Central", 1.29, 103.85},      {"MY", "Johor", 1.49, 103.74},
    {"AE", "Dubai", 25.20, 55.27},        {"IN", "Maharashtra", 19.08, 72.88},
};
// Transshipment hubs and the final destination of diverted chips.
const Place kHubs[] = {{"SG", "Central", 1.29, 103.85},
                       {"MY", "Johor", 1.49, 103.74},
                       {"AE", "Dubai", 25.20, 55.27},
                       {"TH", "Bangkok", 13.76, 100.50},
                       {"VN", "Ho Chi Minh City", 10.82, 106.63}};
const Place kFinal[] = {{"CN", "Guangdong", 22.54, 114.06},
                        {"CN", "Beijing", 39.90, 116.40},
                        {"CN", "Shanghai", 31.23, 121.47}};

const char* const kModels[] = {"H100-SXM5-80GB", "H200-SXM-141GB", "B200-SXM"};

void SetTs(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t ms = absl::ToUnixMillis(t);
  const int64_t sec = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  ts->set_seconds(sec);
  ts->set_nanos(static_cast<int32_t>((ms - sec * 1000) * 1000000));
}

}  // namespace

std::string TestKeySeed() {
  // "exportscreen location TEST key!!" (32 bytes): public, test use only.
  return std::string("exportscreen location TEST key!!", 32);
}

std::string TrustConfigText(const std::string& verifier_id, const std::string& public_key_hex) {
  return absl::StrCat(
      "# Location-report trust (exportscreen.v1.LocationTrustConfig).\n"
      "# TEST verifier: its private key is the fixed test seed of tools/locgen\n"
      "# (location_stream.cc); never trust it in production.\n"
      "verifiers {\n  verifier_id: \"",
      verifier_id, "\"\n  ed25519_public_key_hex: \"", public_key_hex,
      "\"\n  description: \"test fleet attestation service (tools/locgen)\"\n}\n"
      "allowed_clock_skew_seconds: 300\n"
      "max_age_seconds: 7776000  # 90 days\n"
      "alert_countries: \"MO\"\n"
      "alert_country_groups: \"D:5\"\n");
}

Stream Generate(const StreamOptions& o, const serving::Ed25519PrivateKey& key) {
  std::mt19937_64 rng(o.seed);
  auto uniform = [&](double a, double b) {
    return std::uniform_real_distribution<double>(a, b)(rng);
  };
  auto pick = [&](size_t n) {
    return static_cast<size_t>(std::uniform_int_distribution<size_t>(0, n - 1)(rng));
  };
  Stream out;
  const int chips = std::max(0, o.chips);
  // Which chips are diverted: a random subset of the given size.
  std::vector<int> order(chips);
  for (int i = 0; i < chips; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<bool> diverted(chips, false);
  for (int i = 0; i < std::min(o.diverted, chips); ++i) diverted[order[i]] = true;

  const int per = std::max(1, o.chips_per_shipment);
  int64_t report_seq = 0;
  for (int first = 0; first < chips; first += per) {
    Shipment s;
    s.shipment_id = absl::StrFormat("S%06d", first / per);
    bool any_diverted = false;
    for (int c = first; c < std::min(chips, first + per); ++c) any_diverted |= diverted[c];
    // Diverted chips were shipped (cleared or licensed) to an ordinary
    // destination, then resold through a hub.
    static const size_t kDivertedFrom[] = {12, 13, 4, 8};  // AE, IN, NL, IE
    const Place& dest = any_diverted ? kDestinations[kDivertedFrom[pick(std::size(kDivertedFrom))]]
                                     : kDestinations[pick(std::size(kDestinations))];
    s.destination = dest.country;
    const char* model = kModels[pick(std::size(kModels))];
    for (int c = first; c < std::min(chips, first + per); ++c) {
      const std::string serial = absl::StrFormat("GPU-%s-%08d", model, c);
      s.serials.push_back(serial);
      if (diverted[c]) s.diverted.push_back(serial);
      // Route: (place, from day). Stays: destination only.
      std::vector<std::pair<const Place*, double>> route;
      route.push_back({&dest, uniform(0.5, 3)});
      if (diverted[c]) {
        double day = uniform(4, 8);
        const Place* hub = &kHubs[pick(std::size(kHubs))];
        if (std::string(hub->country) == dest.country) hub = &kHubs[3];  // TH
        route.push_back({hub, day});
        route.push_back({&kFinal[pick(std::size(kFinal))], day + uniform(2, 5)});
      }
      double day = route[0].second;
      size_t leg = 0;
      while (day < o.days) {
        while (leg + 1 < route.size() && day >= route[leg + 1].second) ++leg;
        const Place& p = *route[leg].first;
        v1::LocationReport r;
        r.set_report_id(absl::StrFormat("%s-%010d", o.verifier_id, report_seq++));
        r.set_chip_vendor("NVIDIA");
        r.set_chip_model(model);
        r.set_serial_number(serial);
        r.set_country(p.country);
        r.set_region(p.region);
        auto* pos = r.mutable_position();
        pos->set_lat_deg(p.lat + uniform(-0.2, 0.2));
        pos->set_lon_deg(p.lon + uniform(-0.2, 0.2));
        pos->set_uncertainty_m(std::round(uniform(20, 150)) * 1000);
        SetTs(o.start + o.day * day, r.mutable_observed_at());
        r.set_verifier_id(o.verifier_id);
        serving::SignLocationReport(key, &r);
        out.reports.push_back(std::move(r));
        // Diverted chips are reported at each change of place.
        double next = day + std::max(0.25, uniform(0.5, 1.5) * o.report_interval_days);
        if (leg + 1 < route.size() && next > route[leg + 1].second) {
          next = route[leg + 1].second;
        }
        day = next;
      }
    }
    out.shipments.push_back(std::move(s));
  }
  std::stable_sort(out.reports.begin(), out.reports.end(),
                   [](const v1::LocationReport& a, const v1::LocationReport& b) {
                     return a.observed_at().seconds() != b.observed_at().seconds()
                                ? a.observed_at().seconds() < b.observed_at().seconds()
                                : a.observed_at().nanos() < b.observed_at().nanos();
                   });
  return out;
}

std::vector<v1::ReportBundle> MakeBundles(std::vector<v1::LocationReport> reports,
                                          size_t per_bundle, const std::string& verifier_id,
                                          const serving::Ed25519PrivateKey& key) {
  per_bundle = std::max<size_t>(1, per_bundle);
  std::vector<v1::ReportBundle> out;
  out.reserve((reports.size() + per_bundle - 1) / per_bundle);
  for (size_t begin = 0; begin < reports.size(); begin += per_bundle) {
    v1::ReportBundle b;
    b.set_bundle_id(absl::StrFormat("%s-B%08d", verifier_id, out.size()));
    b.set_verifier_id(verifier_id);
    const size_t end = std::min(reports.size(), begin + per_bundle);
    b.mutable_reports()->Reserve(static_cast<int>(end - begin));
    for (size_t i = begin; i < end; ++i) *b.add_reports() = std::move(reports[i]);
    serving::SignReportBundle(key, &b);
    out.push_back(std::move(b));
  }
  return out;
}

v1::ScreenRequest ShipmentRequest(const Shipment& s) {
  v1::ScreenRequest req;
  req.set_request_id(s.shipment_id);
  req.set_exporter("Example Exports Inc.");
  req.set_destination_country(s.destination);
  auto* party = req.add_parties();
  party->set_role(v1::PARTY_ROLE_ULTIMATE_CONSIGNEE);
  party->set_name(absl::StrCat("Datacentre Operator ", s.destination, " ", s.shipment_id));
  party->set_country(s.destination);
  party->mutable_address()->set_country(s.destination);
  auto* item = req.add_items();
  item->set_description("AI accelerator module");
  item->set_kind(v1::ITEM_KIND_IC);
  item->set_tpp(15800);
  item->set_die_area_mm2(814);
  item->set_datacenter_marketed(true);
  item->set_quantity(static_cast<int64_t>(s.serials.size()));
  for (const auto& sn : s.serials) item->add_serial_numbers(sn);
  return req;
}

}  // namespace exportscreen::locgen
