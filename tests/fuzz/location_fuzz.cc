// libFuzzer target: location reports and signed bundles as they arrive on
// LocationService (binary protobuf), through every stateless check
// (verifier, Ed25519 signature, bundle digest, times, fields) against the
// repository's trust configuration; the first byte chooses report or
// bundle. Invariant: no crash; a report that passes every check is
// converted to the engine's evidence without loss.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/time/time.h"
#include "services/serving/location_ingest.h"
#include "services/serving/location_signing.h"

namespace {

using namespace exportscreen;

const serving::LocationTrust& Trust() {
  static const serving::LocationTrust* trust = [] {
    auto t = serving::LocationTrust::FromFile(ES_SOURCE_DIR "/seeds/locations/trust.textproto");
    if (!t.ok()) std::abort();
    return t->release();
  }();
  return *trust;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const char* body = reinterpret_cast<const char*>(data + 1);
  const absl::Time now = absl::FromUnixSeconds(1780000000);
  if (data[0] % 2 == 0) {
    v1::LocationReport r;
    if (!r.ParseFromArray(body, int(size - 1))) return 0;
    if (Trust().Check(r, now).empty()) {
      (void)serving::ToReportedLocation(r);
    }
    (void)serving::CanonicalReportBytes(r);
  } else {
    v1::ReportBundle b;
    if (!b.ParseFromArray(body, int(size - 1))) return 0;
    (void)serving::BundleDigest(b);
    (void)Trust().CheckBundle(b);
  }
  return 0;
}
