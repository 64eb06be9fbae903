#pragma once
// What the confined daemon may still touch, from the command line: the
// checkpoints given (read), the cache and temp directories (read and write).

#include "cli/options.h"

namespace ckptfs {

// Sets a.mount.before_serving to confine the daemon (src/confine), unless
// -o nosandbox. Under -d, says on stderr what was done.
void plan_sandbox(CliOptions& a);

}  // namespace ckptfs
