// A whole image directory (a bundle of files, see fuzz_target.h) through the
// loader, the tree builder and every view.

#include "fuzz/fuzz_target.h"

CKPTFS_FUZZ_TARGET(loader) {
  std::shared_ptr<const ckptfs::Source> src =
      ckptfs::fuzz::bundle_source({reinterpret_cast<const char*>(data), size});
  ckptfs::fuzz::tolerating_input_errors([&] { ckptfs::fuzz::load_and_read(src); });
  return 0;
}
