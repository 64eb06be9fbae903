#include "model/sysv_shm.h"

#include <charconv>

#include "images/image_reader.h"
#include "images/magic.h"
#include "ns.pb.h"
#include "util/error.h"

namespace ckptfs {

namespace {

// "ipcns-shm-9.img" -> 9.
bool namespace_id(std::string_view file, uint32_t& id) {
  constexpr std::string_view kPrefix = "ipcns-shm-", kSuffix = ".img";
  if (!file.starts_with(kPrefix) || !file.ends_with(kSuffix)) return false;
  std::string_view digits =
      file.substr(kPrefix.size(), file.size() - kPrefix.size() - kSuffix.size());
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  return ec == std::errc() && end == digits.data() + digits.size() && !digits.empty();
}

}  // namespace

SysvShmTable load_sysv_shm(const Source& src, const Layout& layout) {
  SysvShmTable out;
  for (const auto& [name, m] : src.members) {
    uint32_t ns = 0;
    if (m.type != MemberType::File || !name.starts_with(layout.image_dir) ||
        !namespace_id(std::string_view(name).substr(layout.image_dir.size()), ns))
      continue;
    ImageReader r = ImageReader::from_blob(name, *m.blob, magic::kIpcShm);
    auto& segments = out[ns];
    criu::ipc_shm_entry e;
    while (r.next(e)) {
      // Before CRIU 3.0 the segment's bytes followed its entry (size rounded
      // up to 4); since then they are in pagemap-shmem-<id>.img.
      if (!e.in_pagemaps()) {
        r.extra(e.size());
        r.extra((4 - e.size() % 4) % 4);
      }
      if (!e.has_desc()) fail(name, "entry {}: no ipc_desc_entry", r.entry_index());
      SysvShmSegment s{e.desc().id(), e.desc().key(), e.size()};
      if (!segments.emplace(s.id, s).second)
        fail(name, "entry {}: shmid {} is listed twice", r.entry_index(), s.id);
    }
  }
  return out;
}

const std::map<uint32_t, SysvShmSegment>* sysv_segments(const SysvShmTable& t, uint32_t ipc_ns_id) {
  auto it = t.find(ipc_ns_id);
  if (it != t.end()) return &it->second;
  return t.size() == 1 ? &t.begin()->second : nullptr;
}

}  // namespace ckptfs
