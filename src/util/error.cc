#include "util/error.h"

#include <cerrno>
#include <cstring>

namespace ckptfs {

void fail_errno(std::string_view file, std::string_view what) {
  int err = errno;
  throw SystemError(fmt::format("{}: {}: {}", file, what, std::strerror(err)), err);
}

}  // namespace ckptfs
