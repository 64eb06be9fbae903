#pragma once
// What the confined daemon may still touch, from the command line: the
// checkpoints given (read), the cache and temp directories (read and write).

#include "cli/options.h"

namespace ckptfs {

// Sets a.mount.before_serving to confine the daemon (src/confine), unless
// -o nosandbox. Under -d, says on stderr what was done.
void plan_sandbox(CliOptions& a);

// Sets a.mount.refuse_following_links: the mount is made nosymfollow where
// the kernel lets us (root), whether or not the daemon is confined; where it
// does not, the tree contains its links itself.
void plan_unfollowable_links(CliOptions& a);

}  // namespace ckptfs
