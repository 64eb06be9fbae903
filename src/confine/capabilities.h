#pragma once
// Capabilities: the root-started daemon needs none once mounted.

namespace ckptfs {

// Drops the bounding set, then every effective, permitted and inheritable
// capability, and the ambient ones. Returns whether there were any to drop.
bool drop_capabilities();

}  // namespace ckptfs
