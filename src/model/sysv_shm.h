#pragma once
// SysV shared memory segments as CRIU saved them with their IPC namespace
// (ipcns-shm-<ns>.img, format doc §16): what /proc/<pid>/maps needs to name
// an attached segment "/SYSV<key> (deleted)".

#include <cstdint>
#include <map>

#include "source/layout.h"
#include "source/source.h"

namespace ckptfs {

struct SysvShmSegment {
  uint32_t id = 0;   // shmid: the VMA's shmid, and the inode maps shows
  uint32_t key = 0;  // the key shmget() was called with (0 = IPC_PRIVATE)
  uint64_t size = 0;
};

// By IPC namespace id (the number in the image name), then by shmid.
using SysvShmTable = std::map<uint32_t, std::map<uint32_t, SysvShmSegment>>;

// Every ipcns-shm-*.img of the checkpoint. A checkpoint whose tasks share
// the dumping host's IPC namespace has none: CRIU saves SysV segments only
// with a namespace it dumps.
SysvShmTable load_sysv_shm(const Source& src, const Layout& layout);

// The segments of the namespace with this id; when the id names none and the
// checkpoint has exactly one IPC namespace image, that one (images of CRIU
// before ns_per_id were named by a task's pid). Null when there is none.
const std::map<uint32_t, SysvShmSegment>* sysv_segments(const SysvShmTable& t, uint32_t ipc_ns_id);

}  // namespace ckptfs
