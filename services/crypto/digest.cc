#include "services/crypto/digest.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"

namespace exportscreen {

std::string Sha256Hex(absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), len));
}

struct Sha256::Ctx {
  EVP_MD_CTX* md;
};

Sha256::Sha256() : ctx_(new Ctx{EVP_MD_CTX_new()}) {
  ok_ = ctx_->md != nullptr && EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) == 1;
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_->md);
  delete ctx_;
}

void Sha256::Update(absl::string_view data) {
  ok_ = ok_ && EVP_DigestUpdate(ctx_->md, data.data(), data.size()) == 1;
}

std::string Sha256::Final() {
  std::string digest(32, '\0');
  unsigned int len = 0;
  ok_ = ok_ &&
        EVP_DigestFinal_ex(ctx_->md, reinterpret_cast<unsigned char*>(digest.data()), &len) == 1 &&
        len == digest.size();
  return ok_ ? digest : "";
}

}  // namespace exportscreen
