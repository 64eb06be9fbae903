#pragma once
// CRIU image magics (criu-image-format.md §1.3, §2.1). Host byte order;
// ckptfs reads little-endian dumps only.

#include <cstdint>

namespace ckptfs::magic {

inline constexpr uint32_t kCommon = 0x54564319;   // IMG_COMMON_MAGIC
inline constexpr uint32_t kService = 0x55105940;  // IMG_SERVICE_MAGIC

inline constexpr uint32_t kInventory = 0x58313116;
inline constexpr uint32_t kPstree = 0x50273030;
inline constexpr uint32_t kCore = 0x55053847;
inline constexpr uint32_t kIds = 0x54432030;
inline constexpr uint32_t kMm = 0x57492820;
inline constexpr uint32_t kPagemap = 0x56084025;
inline constexpr uint32_t kFdinfo = 0x56213732;
inline constexpr uint32_t kFiles = 0x56303138;
inline constexpr uint32_t kFs = 0x51403912;
inline constexpr uint32_t kRemapFpath = 0x59133954;
inline constexpr uint32_t kGhostFile = 0x52583605;
inline constexpr uint32_t kMemfdInode = 0x48453499;
inline constexpr uint32_t kTcpStream = 0x51465506;
inline constexpr uint32_t kSkQueues = 0x56264026;
inline constexpr uint32_t kPipesData = 0x56453709;
inline constexpr uint32_t kFifoData = 0x59333054;
inline constexpr uint32_t kMountpoints = 0x55563928;
inline constexpr uint32_t kUtsns = 0x54473203;
inline constexpr uint32_t kIpcShm = 0x46283044;
inline constexpr uint32_t kTimens = 0x43114433;
inline constexpr uint32_t kStats = 0x57093306;
inline constexpr uint32_t kSeccomp = 0x64413049;

}  // namespace ckptfs::magic
