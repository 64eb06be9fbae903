// CRIU's framing (src/images/image_reader): magics, entry lengths, payloads.

#include "fuzz/fuzz_target.h"
#include "images/image_reader.h"
#include "source/blob.h"

CKPTFS_FUZZ_TARGET(image_reader) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  ckptfs::fuzz::tolerating_input_errors([&] {
    ckptfs::MemoryBlob blob(std::move(bytes), "fuzz.img");
    auto r = ckptfs::ImageReader::from_blob("fuzz.img", blob, 0);
    std::string_view message;
    while (r.next(message)) {
      // Some entries are followed by a payload whose length the message
      // gives: let an odd first byte stand for such a length.
      auto first = message.empty() ? 0u : static_cast<unsigned char>(message[0]);
      if (first & 1) r.extra(uint64_t{first} << (first % 48));
    }
    r.rest();
  });
  return 0;
}
