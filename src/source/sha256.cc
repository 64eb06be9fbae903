#include "source/sha256.h"

#include <openssl/evp.h>

#include <new>
#include <vector>

namespace ckptfs {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw std::bad_alloc();
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(const void* data, size_t len) {
  if (len > 0) EVP_DigestUpdate(ctx_, data, len);
}

std::string Sha256::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_, md, &n);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.hex();
}

void sha256_update_from(Sha256& h, const Blob& blob, uint64_t from,
                        const std::function<void(uint64_t, uint64_t)>& progress) {
  std::vector<char> buf(size_t{1} << 20);
  for (uint64_t off = from; off < blob.size();) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), blob.size() - off));
    blob.pread(buf.data(), n, off);
    h.update(buf.data(), n);
    off += n;
    if (progress) progress(off, blob.size());
  }
}

}  // namespace ckptfs
