// Ed25519 keys, signatures and verification (OpenSSL 3). Keys are
// immutable after creation; Verify and Sign may be called from many threads
// at once.
#ifndef EXPORTSCREEN_SERVICES_CRYPTO_ED25519_H_
#define EXPORTSCREEN_SERVICES_CRYPTO_ED25519_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace exportscreen::crypto {

class Ed25519PublicKey {
 public:
  // From 32 raw bytes, or their 64 hex digits. INVALID_ARGUMENT otherwise.
  static absl::StatusOr<Ed25519PublicKey> FromRaw(absl::string_view raw);
  static absl::StatusOr<Ed25519PublicKey> FromHex(absl::string_view hex);
  // True iff `signature` is a valid signature of `message`.
  bool Verify(absl::string_view message, absl::string_view signature) const;
  std::string RawHex() const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

class Ed25519PrivateKey {
 public:
  // From a 32-byte seed (deterministic: test keys), or a fresh random key.
  static absl::StatusOr<Ed25519PrivateKey> FromSeed(absl::string_view seed32);
  static absl::StatusOr<Ed25519PrivateKey> Generate();
  std::string Sign(absl::string_view message) const;  // 64 bytes
  std::string PublicKeyRaw() const;                   // 32 bytes
  std::string PublicKeyHex() const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

}  // namespace exportscreen::crypto

#endif  // EXPORTSCREEN_SERVICES_CRYPTO_ED25519_H_
