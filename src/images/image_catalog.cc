#include "images/image_catalog.h"

#include <fmt/format.h>

#include <array>

#include "bpfmap_data.pb.h"
#include "cgroup.pb.h"
#include "core.pb.h"
#include "cpuinfo.pb.h"
#include "fdinfo.pb.h"
#include "filelocks.pb.h"
#include "fs.pb.h"
#include "ghost.pb.h"
#include "ids.pb.h"
#include "inventory.pb.h"
#include "memfd.pb.h"
#include "mm.pb.h"
#include "mnt.pb.h"
#include "ns.pb.h"
#include "pagemap.pb.h"
#include "pipe_data.pb.h"
#include "pstree.pb.h"
#include "remap.pb.h"
#include "seccomp.pb.h"
#include "sk_queues.pb.h"
#include "stats.pb.h"
#include "tcp_stream.pb.h"
#include "tty.pb.h"

namespace ckptfs {

namespace {

template <typename Msg>
constexpr DescriptorFn d() {
  return &Msg::descriptor;
}

// Type magics and names from CRIU's magic.h (criu-image-format.md §2.1).
// First match wins: raw netns-ct-/netns-exp- must come before netns-*.
// pagemap-*.img deliberately covers pagemap-shmem-*.img (same format, §8.6).
constexpr std::array kCatalog = {
    ImageType{"inventory.img", 0x58313116, "INVENTORY", nullptr, d<criu::inventory_entry>()},
    ImageType{"pstree.img", 0x50273030, "PSTREE", nullptr, d<criu::pstree_entry>()},
    ImageType{"core-*.img", 0x55053847, "CORE", nullptr, d<criu::core_entry>()},
    ImageType{"ids-*.img", 0x54432030, "IDS", nullptr, d<criu::task_kobj_ids_entry>()},
    ImageType{"mm-*.img", 0x57492820, "MM", nullptr, d<criu::mm_entry>()},
    ImageType{"pagemap-*.img", 0x56084025, "PAGEMAP", d<criu::pagemap_head>(),
              d<criu::pagemap_entry>()},
    ImageType{"fdinfo-*.img", 0x56213732, "FDINFO", nullptr, d<criu::fdinfo_entry>()},
    ImageType{"files.img", 0x56303138, "FILES", nullptr, d<criu::file_entry>()},
    ImageType{"fs-*.img", 0x51403912, "FS", nullptr, d<criu::fs_entry>()},
    ImageType{"remap-fpath.img", 0x59133954, "REMAP_FPATH", nullptr,
              d<criu::remap_file_path_entry>()},
    ImageType{"ghost-file-*.img", 0x52583605, "GHOST_FILE", d<criu::ghost_file_entry>(),
              d<criu::ghost_chunk_entry>(), ExtraRule::kGhostFile},
    ImageType{"memfd.img", 0x48453499, "MEMFD_INODE", nullptr, d<criu::memfd_inode_entry>()},
    ImageType{"tcp-stream-*.img", 0x51465506, "TCP_STREAM", nullptr, d<criu::tcp_stream_entry>(),
              ExtraRule::kTcpStream},
    ImageType{"sk-queues.img", 0x56264026, "SK_QUEUES", nullptr, d<criu::sk_packet_entry>(),
              ExtraRule::kSkQueue},
    ImageType{"pipes-data.img", 0x56453709, "PIPES_DATA", nullptr, d<criu::pipe_data_entry>(),
              ExtraRule::kPipeData},
    ImageType{"fifo-data.img", 0x59333054, "FIFO_DATA", nullptr, d<criu::pipe_data_entry>(),
              ExtraRule::kPipeData},
    ImageType{"tty-info.img", 0x59453036, "TTY_INFO", nullptr, d<criu::tty_info_entry>()},
    ImageType{"tty-data.img", 0x59413026, "TTY_DATA", nullptr, d<criu::tty_data_entry>()},
    ImageType{"filelocks.img", 0x54323616, "FILE_LOCKS", nullptr, d<criu::file_lock_entry>()},
    ImageType{"mountpoints-*.img", 0x55563928, "MNTS", nullptr, d<criu::mnt_entry>()},
    ImageType{"utsns-*.img", 0x54473203, "UTSNS", nullptr, d<criu::utsns_entry>()},
    ImageType{"ipcns-var-*.img", 0x53115007, "IPC_VAR", nullptr, d<criu::ipc_var_entry>()},
    ImageType{"ipcns-shm-*.img", 0x46283044, "IPCNS_SHM", nullptr, d<criu::ipc_shm_entry>(),
              ExtraRule::kIpcShm},
    ImageType{"ipcns-msg-*.img", 0x55453737, "IPCNS_MSG", nullptr, d<criu::ipc_msg_entry>(),
              ExtraRule::kIpcMsg},
    ImageType{"ipcns-sem-*.img", 0x59573019, "IPCNS_SEM", nullptr, d<criu::ipc_sem_entry>(),
              ExtraRule::kIpcSem},
    ImageType{"userns-*.img", 0x55474906, "USERNS", nullptr, d<criu::userns_entry>()},
    ImageType{"timens-*.img", 0x43114433, "TIMENS", nullptr, d<criu::timens_entry>()},
    ImageType{"pidns-*.img", 0x61157326, "PIDNS", nullptr, d<criu::pidns_entry>()},
    ImageType{"netns-ct-*.img", 0, "RAW"},
    ImageType{"netns-exp-*.img", 0, "RAW"},
    ImageType{"netns-*.img", 0x55933752, "NETNS", nullptr, d<criu::netns_entry>()},
    ImageType{"netdev-*.img", 0x57373951, "NETDEV", nullptr, d<criu::net_device_entry>()},
    ImageType{"cgroup.img", 0x59383330, "CGROUP", nullptr, d<criu::cgroup_entry>()},
    ImageType{"seccomp.img", 0x64413049, "SECCOMP", nullptr, d<criu::seccomp_entry>()},
    ImageType{"cpuinfo.img", 0x61404013, "CPUINFO", nullptr, d<criu::cpuinfo_entry>()},
    ImageType{"bpfmap-data.img", 0x64324033, "BPFMAP_DATA", nullptr, d<criu::bpfmap_data_entry>(),
              ExtraRule::kBpfmapData},
    // Service files (head magic 0x55105940), written to CRIU's work directory.
    ImageType{"stats-dump", 0x57093306, "STATS", nullptr, d<criu::stats_entry>()},
    ImageType{"stats-restore", 0x57093306, "STATS", nullptr, d<criu::stats_entry>()},
    // Raw images (§1.4): no magic, no entries; known so that they are not
    // mistaken for something ckptfs fails to understand.
    ImageType{"pages-*.img", 0, "RAW"},
    ImageType{"ifaddr-*.img", 0, "RAW"},
    ImageType{"route-*.img", 0, "RAW"},
    ImageType{"route6-*.img", 0, "RAW"},
    ImageType{"rule-*.img", 0, "RAW"},
    ImageType{"iptables-*.img", 0, "RAW"},
    ImageType{"ip6tables-*.img", 0, "RAW"},
    ImageType{"nftables-*.img", 0, "RAW"},
    ImageType{"tmpfs-dev-*.tar.gz.img", 0, "RAW"},
    ImageType{"tmpfs-*.tar.gz.img", 0, "RAW"},
};

}  // namespace

bool matches_pattern(std::string_view pattern, std::string_view name) {
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == name;
  std::string_view prefix = pattern.substr(0, star), suffix = pattern.substr(star + 1);
  return name.size() >= prefix.size() + suffix.size() && name.starts_with(prefix) &&
         name.ends_with(suffix);
}

const ImageType* find_image_type(std::string_view file_name) {
  for (const ImageType& t : kCatalog)
    if (matches_pattern(t.pattern, file_name)) return &t;
  return nullptr;
}

std::span<const ImageType> image_catalog() { return kCatalog; }

std::string magic_name(uint32_t magic) {
  for (const ImageType& t : kCatalog)
    if (t.magic == magic && t.structured()) return std::string(t.magic_name);
  return fmt::format("0x{:08x}", magic);
}

}  // namespace ckptfs
