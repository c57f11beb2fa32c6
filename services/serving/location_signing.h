// Ed25519 signatures of chip location reports (issue 8).
//
// Canonical encoding (version 1) of a LocationReport, the bytes a verifier
// signs. All integers big-endian; "str" = 4-byte length + UTF-8 bytes:
//
//   "exportscreen.location_report.v1" 0x00
//   str report_id, str chip_vendor, str chip_model, str serial_number,
//   str country, str region, str verifier_id
//   u8  has_position (0 or 1)
//   if has_position: f64 lat_deg, f64 lon_deg, f64 uncertainty_m
//                    (IEEE-754 binary64 bit patterns)
//   i64 observed_at.seconds, i32 observed_at.nanos
//
// `signature`, `received_at` and `bundle_id` are not signed. The encoding
// does not depend on protobuf serialisation, so any client can reproduce it.
//
// Report bundles (v1.ReportBundle, version 1): one signature covers N
// reports. The verifier signs the 32-byte digest
//
//   SHA-256( "exportscreen.location_bundle.v1" 0x00
//            str bundle_id, str verifier_id, u64 count,
//            canonical(report[0]) || ... || canonical(report[count-1]) )
//
// with Ed25519 (the message passed to Ed25519 is the 32 digest bytes). Each
// canonical(report) is the report encoding above (it starts with its own
// domain tag and is length-prefixed field by field, so the concatenation is
// unambiguous); the reports' own `signature` fields must be empty and every
// report's verifier_id must equal the bundle's (checked at ingest).
// Changing, dropping, adding or reordering any report changes the digest.
//
// Thread-safety: keys are immutable after creation; Verify and Sign may be
// called from many threads at once.
#ifndef EXPORTSCREEN_SERVICES_SERVING_LOCATION_SIGNING_H_
#define EXPORTSCREEN_SERVICES_SERVING_LOCATION_SIGNING_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exportscreen/v1/location.pb.h"
#include "services/crypto/ed25519.h"

namespace exportscreen::serving {

std::string CanonicalReportBytes(const v1::LocationReport& report);
// Appends the canonical encoding to *out.
void AppendCanonicalReportBytes(const v1::LocationReport& report, std::string* out);
// The 32-byte bundle digest (the bytes the bundle signature signs).
std::string BundleDigest(const v1::ReportBundle& bundle);

// The key classes live in crypto/ (the one folder that uses OpenSSL).
using crypto::Ed25519PrivateKey;
using crypto::Ed25519PublicKey;

// Sets report->signature to the signature of its canonical encoding.
void SignLocationReport(const Ed25519PrivateKey& key, v1::LocationReport* report);
// Clears the reports' own signatures and sets bundle->signature to the
// signature of BundleDigest(*bundle).
void SignReportBundle(const Ed25519PrivateKey& key, v1::ReportBundle* bundle);

std::string HexEncode(absl::string_view bytes);

}  // namespace exportscreen::serving

#endif  // EXPORTSCREEN_SERVICES_SERVING_LOCATION_SIGNING_H_
