// One process's memory: mm-<pid>.img, pagemap-<pid>.img, pages-<id>.img and
// pagemap-shmem-<id>.img from the input (a bundle, see fuzz_target.h) become
// its AddressSpace; the images around them (inventory, pstree, core) are
// made valid here when the input lacks them, so that mutations go to the
// pagemap -> address-space builder rather than dying in pstree.img.

#include <charconv>

#include "core.pb.h"
#include "fuzz/fuzz_target.h"
#include "images/magic.h"
#include "inventory.pb.h"
#include "model/loader.h"
#include "pstree.pb.h"
#include "vfs/build.h"

namespace {

std::string le32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

std::string image(uint32_t type_magic, const google::protobuf::Message& m) {
  std::string s = m.SerializeAsString();
  return le32(ckptfs::magic::kCommon) + le32(type_magic) + le32(static_cast<uint32_t>(s.size())) +
         s;
}

void add_default(ckptfs::Source& src, const std::string& name, std::string bytes) {
  if (src.find(name)) return;
  ckptfs::Member m;
  m.blob = std::make_shared<ckptfs::MemoryBlob>(std::move(bytes), name);
  src.members.emplace(name, std::move(m));
}

// The pid of the first mm-<pid>.img in the input, else 1.
uint32_t input_pid(const ckptfs::Source& src) {
  for (const auto& [name, m] : src.members) {
    if (!name.starts_with("mm-")) continue;
    uint32_t pid = 0;
    auto [end, ec] = std::from_chars(name.data() + 3, name.data() + name.size(), pid);
    if (ec == std::errc() && pid != 0) return pid;
  }
  return 1;
}

// The address space's own queries, around every extent the loader built.
void probe(const ckptfs::AddressSpace& as) {
  char buf[64];
  size_t n = 0;
  for (const ckptfs::Extent& e : as.extents()) {
    if (++n > 256) break;
    uint64_t end = e.start + e.length;
    as.read(e.start - std::min<uint64_t>(e.start, 8), buf, sizeof buf);
    as.read(end - std::min<uint64_t>(end, 32), buf, sizeof buf);
    as.next_data(end);
    as.next_hole(e.start);
    as.stored_bytes_in(e.start, end + ckptfs::kPageSize);
  }
}

}  // namespace

CKPTFS_FUZZ_TARGET(address_space) {
  std::shared_ptr<ckptfs::Source> src =
      ckptfs::fuzz::bundle_source({reinterpret_cast<const char*>(data), size});
  uint32_t pid = input_pid(*src);
  criu::inventory_entry inv;
  inv.set_img_version(2);
  add_default(*src, "inventory.img",
              le32(ckptfs::magic::kInventory) + le32(static_cast<uint32_t>(inv.ByteSizeLong())) +
                  inv.SerializeAsString());
  criu::pstree_entry ps;
  ps.set_pid(pid);
  ps.set_pgid(pid);
  ps.set_sid(pid);
  add_default(*src, "pstree.img", image(ckptfs::magic::kPstree, ps));
  criu::core_entry core;
  core.set_mtype(1);
  core.mutable_tc()->set_task_state(1);
  core.mutable_tc()->set_comm("fuzz");
  add_default(*src, "core-" + std::to_string(pid) + ".img", image(ckptfs::magic::kCore, core));

  ckptfs::fuzz::tolerating_input_errors([&] {
    auto checkpoints = ckptfs::load_checkpoints(src, "fuzz");
    for (const auto& c : checkpoints)
      for (const auto& [p, proc] : c->procs) probe(proc.memory);
    ckptfs::fuzz::read_tree(*ckptfs::build_tree(checkpoints));
  });
  return 0;
}
