// The checkpoint file itself: sniffing (plain / gzip / zstd / xz / bzip2 tar
// or neither), the tar index, layout detection, then everything the loader
// and the views do with what was found. The bytes are a memfd opened by its
// /proc path, so plain tars are mapped in place as a real file would be.

#include <sys/mman.h>
#include <unistd.h>

#include "fuzz/fuzz_target.h"
#include "source/layout.h"
#include "source/nested_tar.h"

CKPTFS_FUZZ_TARGET(archive) {
  int fd = ::memfd_create("fuzz-archive", MFD_CLOEXEC);
  if (fd < 0) return 0;
  for (size_t done = 0; done < size;) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) {
      ::close(fd);
      return 0;
    }
    done += static_cast<size_t>(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  ckptfs::fuzz::tolerating_input_errors([&] {
    std::shared_ptr<const ckptfs::Source> src = ckptfs::open_source(path);
    ckptfs::detect_layouts(*src);
    ckptfs::fuzz::load_and_read(src);
  });
  // The same bytes as a tar stored inside a checkpoint, held in memory.
  ckptfs::fuzz::tolerating_input_errors([&] {
    ckptfs::MemoryBlob blob(std::string(reinterpret_cast<const char*>(data), size), "nested.tar");
    ckptfs::read_nested_tar(blob);
  });
  ::close(fd);
  return 0;
}
