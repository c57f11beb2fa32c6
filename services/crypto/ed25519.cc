#include "services/crypto/ed25519.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace exportscreen::crypto {
namespace {

std::shared_ptr<EVP_PKEY> Wrap(EVP_PKEY* k) { return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free); }

std::string RawPublic(EVP_PKEY* key) {
  std::string raw(32, '\0');
  size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &len) != 1) {
    return "";
  }
  raw.resize(len);
  return raw;
}

}  // namespace

absl::StatusOr<Ed25519PublicKey> Ed25519PublicKey::FromRaw(absl::string_view raw) {
  if (raw.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 public key must be 32 bytes, got ", raw.size()));
  }
  EVP_PKEY* k = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
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

bool Ed25519PublicKey::Verify(absl::string_view message, absl::string_view signature) const {
  if (key_ == nullptr || signature.size() != 64) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key_.get()) == 1 &&
            EVP_DigestVerify(
                ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string Ed25519PublicKey::RawHex() const {
  return key_ ? absl::BytesToHexString(RawPublic(key_.get())) : "";
}

absl::StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(absl::string_view seed) {
  if (seed.size() != 32) {
    return absl::InvalidArgumentError("Ed25519 seed must be 32 bytes");
  }
  EVP_PKEY* k = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  if (k == nullptr) return absl::InternalError("cannot create Ed25519 key");
  Ed25519PrivateKey key;
  key.key_ = Wrap(k);
  return key;
}

absl::StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::Generate() {
  EVP_PKEY* k = nullptr;
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  bool ok = pctx != nullptr && EVP_PKEY_keygen_init(pctx) == 1 && EVP_PKEY_keygen(pctx, &k) == 1;
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
  bool ok =
      ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_.get()) == 1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return "";
  sig.resize(len);
  return sig;
}

std::string Ed25519PrivateKey::PublicKeyRaw() const { return RawPublic(key_.get()); }
std::string Ed25519PrivateKey::PublicKeyHex() const {
  return absl::BytesToHexString(PublicKeyRaw());
}

}  // namespace exportscreen::crypto
