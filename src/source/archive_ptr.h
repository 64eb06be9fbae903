#pragma once
// A libarchive reader, freed when it goes out of scope, and its last error as
// text: shared by the tar reader and the decompressing thread.

#include <archive.h>

#include <memory>
#include <string>

namespace ckptfs {

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveReadFree>;

inline std::string archive_problem(archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unreadable archive";
}

}  // namespace ckptfs
