// SHA-256 (OpenSSL): the one place the service computes digests. The
// crypto/ folder is the only one that includes OpenSSL
// (.ci/check-layers.sh).
#ifndef EXPORTSCREEN_SERVICES_CRYPTO_DIGEST_H_
#define EXPORTSCREEN_SERVICES_CRYPTO_DIGEST_H_

#include <string>

#include "absl/strings/string_view.h"

namespace exportscreen {

// Lower-case hex SHA-256 of `data`. Thread-safe (stateless).
std::string Sha256Hex(absl::string_view data);

// Incremental SHA-256 of data given in pieces. Thread-compatible.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(absl::string_view data);
  // The 32 digest bytes ("" if OpenSSL failed). Call once.
  std::string Final();

 private:
  struct Ctx;
  Ctx* ctx_;
  bool ok_;
};

}  // namespace exportscreen

#endif  // EXPORTSCREEN_SERVICES_CRYPTO_DIGEST_H_
