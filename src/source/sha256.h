#pragma once
// SHA-256, the digest OCI images name their blobs by, through OpenSSL's EVP
// interface (hardware SHA extensions where the CPU has them: ~1.7 GB/s).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "source/blob.h"

struct evp_md_ctx_st;

namespace ckptfs {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t len);
  // 64 lowercase hex digits. Finishes the hash: call once.
  std::string hex();

 private:
  evp_md_ctx_st* ctx_;
};

std::string sha256_hex(std::string_view data);

// Feeds [from, blob.size()) of blob into h, a MiB at a time; progress (bytes
// done, blob size) after each.
void sha256_update_from(Sha256& h, const Blob& blob, uint64_t from,
                        const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace ckptfs
