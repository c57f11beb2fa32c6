#include "services/serving/location_signing.h"

#include <openssl/evp.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

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

std::shared_ptr<EVP_PKEY> Wrap(EVP_PKEY* k) {
  return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
}

std::string RawPublic(EVP_PKEY* key) {
  std::string raw(32, '\0');
  size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()),
                                  &len) != 1) {
    return "";
  }
  raw.resize(len);
  return raw;
}

}  // namespace

std::string HexEncode(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

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
  // EVP (not the deprecated SHA256_* calls); one context per call.
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(),
                                                         EVP_MD_CTX_free);
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return "";
  }
  std::string buf;
  buf.reserve(64 * 1024);
  buf.append(kBundleDomain, sizeof(kBundleDomain));  // includes the 0x00
  PutStr(&buf, bundle.bundle_id());
  PutStr(&buf, bundle.verifier_id());
  PutU64(&buf, static_cast<uint64_t>(bundle.reports_size()));
  for (const auto& r : bundle.reports()) {
    AppendCanonicalReportBytes(r, &buf);
    if (buf.size() >= 60 * 1024) {
      if (EVP_DigestUpdate(ctx.get(), buf.data(), buf.size()) != 1) return "";
      buf.clear();
    }
  }
  std::string digest(32, '\0');
  unsigned int len = 0;
  if (EVP_DigestUpdate(ctx.get(), buf.data(), buf.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(digest.data()),
                         &len) != 1 ||
      len != digest.size()) {
    return "";
  }
  return digest;
}

absl::StatusOr<Ed25519PublicKey> Ed25519PublicKey::FromRaw(absl::string_view raw) {
  if (raw.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 public key must be 32 bytes, got ", raw.size()));
  }
  EVP_PKEY* k = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()),
      raw.size());
  if (k == nullptr) return absl::InvalidArgumentError("invalid Ed25519 public key");
  Ed25519PublicKey key;
  key.key_ = Wrap(k);
  return key;
}

absl::StatusOr<Ed25519PublicKey> Ed25519PublicKey::FromHex(absl::string_view hex) {
  if (hex.size() != 64) {
    return absl::InvalidArgumentError("Ed25519 public key must be 64 hex digits");
  }
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("Ed25519 public key: not hex");
    }
  }
  return FromRaw(absl::HexStringToBytes(hex));
}

bool Ed25519PublicKey::Verify(absl::string_view message,
                              absl::string_view signature) const {
  if (key_ == nullptr || signature.size() != 64) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key_.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string Ed25519PublicKey::RawHex() const {
  return key_ ? HexEncode(RawPublic(key_.get())) : "";
}

absl::StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(absl::string_view seed) {
  if (seed.size() != 32) {
    return absl::InvalidArgumentError("Ed25519 seed must be 32 bytes");
  }
  EVP_PKEY* k = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()),
      seed.size());
  if (k == nullptr) return absl::InternalError("cannot create Ed25519 key");
  Ed25519PrivateKey key;
  key.key_ = Wrap(k);
  return key;
}

absl::StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::Generate() {
  EVP_PKEY* k = nullptr;
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  bool ok = pctx != nullptr && EVP_PKEY_keygen_init(pctx) == 1 &&
            EVP_PKEY_keygen(pctx, &k) == 1;
  EVP_PKEY_CTX_free(pctx);
  if (!ok || k == nullptr) return absl::InternalError("Ed25519 keygen failed");
  Ed25519PrivateKey key;
  key.key_ = Wrap(k);
  return key;
}

std::string Ed25519PrivateKey::Sign(absl::string_view message) const {
  std::string sig(64, '\0');
  size_t len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr &&
            EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_.get()) == 1 &&
            EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(message.data()),
                           message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return "";
  sig.resize(len);
  return sig;
}

std::string Ed25519PrivateKey::PublicKeyRaw() const { return RawPublic(key_.get()); }
std::string Ed25519PrivateKey::PublicKeyHex() const { return HexEncode(PublicKeyRaw()); }

void SignLocationReport(const Ed25519PrivateKey& key, v1::LocationReport* report) {
  report->set_signature(key.Sign(CanonicalReportBytes(*report)));
}

void SignReportBundle(const Ed25519PrivateKey& key, v1::ReportBundle* bundle) {
  for (auto& r : *bundle->mutable_reports()) r.clear_signature();
  bundle->set_signature(key.Sign(BundleDigest(*bundle)));
}

}  // namespace exportscreen::serving
