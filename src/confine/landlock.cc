#include "confine/landlock.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace ckptfs {

namespace {

// Debian 12's headers stop at ABI 2; the kernel may offer more. The values
// are the kernel's (include/uapi/linux/landlock.h), stable by design.
constexpr uint64_t kTruncate = 1ULL << 14;          // ABI 3
constexpr uint64_t kIoctlDev = 1ULL << 15;          // ABI 5
constexpr uint64_t kBindTcp = 1ULL << 0;            // ABI 4, network rights
constexpr uint64_t kConnectTcp = 1ULL << 1;         // ABI 4
constexpr uint64_t kScopeAbstractUnix = 1ULL << 0;  // ABI 6, scopes
constexpr uint64_t kScopeSignal = 1ULL << 1;        // ABI 6

// The ruleset attribute as of ABI 6; older kernels take a prefix of it.
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

// What a rule may grant on a file (the rest only mean something on a directory).
constexpr uint64_t kFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                 LANDLOCK_ACCESS_FS_READ_FILE | kTruncate | kIoctlDev;

constexpr uint64_t kRead = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
// The cache: entries written unnamed (O_TMPFILE), linked and renamed into
// place, stale ones removed; the temp directory: spools and nested archives.
constexpr uint64_t kReadWrite = kRead | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                                LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_DIR |
                                LANDLOCK_ACCESS_FS_REFER | kTruncate;

// Everything the ABI can deny: what no rule grants is denied.
uint64_t handled_fs(int abi) {
  uint64_t all = (LANDLOCK_ACCESS_FS_REFER << 1) - 1;  // ABI 1 and 2
  if (abi < 2) all &= ~LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) all |= kTruncate;
  if (abi >= 5) all |= kIoctlDev;
  return all;
}

void add_rule(int ruleset, const std::string& path, uint64_t rights, uint64_t handled) {
  int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return;  // nothing there to grant
  struct stat st {};
  if (::fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) rights &= kFileRights;
  landlock_path_beneath_attr rule{};
  rule.allowed_access = rights & handled;
  rule.parent_fd = fd;
  long r = ::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
  int err = errno;
  ::close(fd);
  if (r != 0)
    throw std::runtime_error("landlock: cannot allow " + path + ": " + std::strerror(err));
}

}  // namespace

int landlock_abi() {
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

int restrict_filesystem(const std::vector<std::string>& readable,
                        const std::vector<std::string>& writable) {
  int abi = landlock_abi();
  if (abi < 1) return 0;
  RulesetAttr attr{};
  attr.handled_access_fs = handled_fs(abi);
  size_t size = sizeof attr.handled_access_fs;
  if (abi >= 4) {
    // No TCP at all (seccomp refuses sockets too: two locks, one door).
    attr.handled_access_net = kBindTcp | kConnectTcp;
    size = offsetof(RulesetAttr, scoped);
  }
  if (abi >= 6) {
    // No signals to processes outside, no abstract unix sockets.
    attr.scoped = kScopeAbstractUnix | kScopeSignal;
    size = sizeof attr;
  }
  long ruleset = ::syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0)
    throw std::runtime_error(std::string("landlock: cannot create a ruleset: ") +
                             std::strerror(errno));
  int fd = static_cast<int>(ruleset);
  try {
    for (const auto& p : readable) add_rule(fd, p, kRead, attr.handled_access_fs);
    for (const auto& p : writable) add_rule(fd, p, kReadWrite, attr.handled_access_fs);
  } catch (...) {
    ::close(fd);
    throw;
  }
  long r = ::syscall(SYS_landlock_restrict_self, fd, 0);
  int err = errno;
  ::close(fd);
  if (r != 0) throw std::runtime_error(std::string("landlock: ") + std::strerror(err));
  return abi;
}

}  // namespace ckptfs
