#pragma once
// The readahead window of a FUSE mount's backing device.

#include <string>

namespace ckptfs {

// A FUSE mount's backing device starts with the kernel's default readahead
// window, 128 KiB: a cold sequential read then reaches the daemon as 128 KiB
// READs, whatever max_pages allows (1 MiB with libfuse's defaults), eight
// round trips where one would do, and nothing in INIT can raise it. Root may
// raise it through /sys/class/bdi/MAJ:MIN/read_ahead_kb, as for any block
// device. Called between mounting and serving (files opened later get the
// new window; reading mountinfo sends no request to the mount, which does
// not answer yet). Returns "" or why not (not root, no sysfs): the mount
// works either way, only slower on first reads.
std::string widen_readahead(const std::string& mountpoint, unsigned kib);

// The window ckptfs asks for: 4 READs of max_pages (1 MiB) in flight.
constexpr unsigned kReadaheadKib = 4096;

}  // namespace ckptfs
