#pragma once
// Landlock: the filesystem the confined daemon may still reach.

#include <string>
#include <vector>

namespace ckptfs {

// The best Landlock ABI the running kernel offers; 0 when it has none.
int landlock_abi();

// Restricts this process (all its threads: called before any is started) to
// reading below each of readable and reading and writing below each of
// writable, at the kernel's best ABI. Missing paths are left out. Needs
// no_new_privs or CAP_SYS_ADMIN. Returns the ABI used (0: Landlock absent,
// nothing done); throws std::runtime_error on a failure.
int restrict_filesystem(const std::vector<std::string>& readable,
                        const std::vector<std::string>& writable);

}  // namespace ckptfs
