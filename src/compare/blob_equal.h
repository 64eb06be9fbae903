#pragma once
// Byte equality of two blobs, read in chunks: files of any size compare in a
// fixed amount of memory.

#include <cstdint>

#include "source/blob.h"

namespace ckptfs {

bool blobs_equal(const Blob& a, const Blob& b);

}  // namespace ckptfs
