#include "services/serving/location_signing.h"

#include <cstdint>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/crypto/digest.h"

namespace exportscreen::serving {
namespace {

constexpr char kDomain[] = "exportscreen.location_report.v1";
constexpr char kBundleDomain[] = "exportscreen.location_bundle.v1";

void PutU32(std::string* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xff));
}
void PutStr(std::string* out, const std::string& s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}
void PutF64(std::string* out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  PutU64(out, bits);
}

}  // namespace

std::string HexEncode(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

void AppendCanonicalReportBytes(const v1::LocationReport& r, std::string* out) {
  out->append(kDomain, sizeof(kDomain));  // includes the 0x00
  PutStr(out, r.report_id());
  PutStr(out, r.chip_vendor());
  PutStr(out, r.chip_model());
  PutStr(out, r.serial_number());
  PutStr(out, r.country());
  PutStr(out, r.region());
  PutStr(out, r.verifier_id());
  out->push_back(r.has_position() ? 1 : 0);
  if (r.has_position()) {
    PutF64(out, r.position().lat_deg());
    PutF64(out, r.position().lon_deg());
    PutF64(out, r.position().uncertainty_m());
  }
  PutU64(out, static_cast<uint64_t>(r.observed_at().seconds()));
  PutU32(out, static_cast<uint32_t>(r.observed_at().nanos()));
}

std::string CanonicalReportBytes(const v1::LocationReport& r) {
  std::string out;
  out.reserve(128 + r.report_id().size() + r.serial_number().size());
  AppendCanonicalReportBytes(r, &out);
  return out;
}

std::string BundleDigest(const v1::ReportBundle& bundle) {
  Sha256 sha;
  std::string buf;
  buf.reserve(64 * 1024);
  buf.append(kBundleDomain, sizeof(kBundleDomain));  // includes the 0x00
  PutStr(&buf, bundle.bundle_id());
  PutStr(&buf, bundle.verifier_id());
  PutU64(&buf, static_cast<uint64_t>(bundle.reports_size()));
  for (const auto& r : bundle.reports()) {
    AppendCanonicalReportBytes(r, &buf);
    if (buf.size() >= 60 * 1024) {
      sha.Update(buf);
      buf.clear();
    }
  }
  sha.Update(buf);
  return sha.Final();
}

void SignLocationReport(const Ed25519PrivateKey& key, v1::LocationReport* report) {
  report->set_signature(key.Sign(CanonicalReportBytes(*report)));
}

void SignReportBundle(const Ed25519PrivateKey& key, v1::ReportBundle* bundle) {
  for (auto& r : *bundle->mutable_reports()) r.clear_signature();
  bundle->set_signature(key.Sign(BundleDigest(*bundle)));
}

}  // namespace exportscreen::serving
