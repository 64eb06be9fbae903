// Every structured image of the catalog decoded to JSON (raw/<image>.json):
// the first byte picks the image type, the rest is the image.

#include <vector>

#include "fuzz/fuzz_target.h"
#include "images/image_catalog.h"
#include "images/image_json.h"

CKPTFS_FUZZ_TARGET(image_json) {
  static const std::vector<const ckptfs::ImageType*> types = [] {
    std::vector<const ckptfs::ImageType*> v;
    for (const auto& t : ckptfs::image_catalog())
      if (t.structured()) v.push_back(&t);
    return v;
  }();
  if (size == 0) return 0;
  const ckptfs::ImageType& type = *types[data[0] % types.size()];
  std::string image(reinterpret_cast<const char*>(data) + 1, size - 1);
  ckptfs::fuzz::tolerating_input_errors(
      [&] { ckptfs::image_to_json("fuzz.img", std::move(image), type); });
  return 0;
}
