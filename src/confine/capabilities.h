#pragma once
// Capabilities: the root-started daemon needs none once mounted.

namespace ckptfs {

// Drops the bounding set, then every effective, permitted and inheritable
// capability, and the ambient ones; with read_search, CAP_DAC_READ_SEARCH
// stays effective and permitted. Returns whether there were any to drop.
bool drop_capabilities(bool read_search = false);

}  // namespace ckptfs
