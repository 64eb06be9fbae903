#include "vfs/build.h"

#include <fmt/format.h>

#include <algorithm>

#include "model/file_desc.h"
#include "model/mounts.h"
#include "model/process_args.h"
#include "vfs/archived_trees.h"
#include "vfs/build_extras.h"
#include "vfs/core_content.h"
#include "vfs/diff_tree.h"
#include "vfs/hexdump_content.h"
#include "vfs/raw_dir.h"
#include "vfs/views/info.h"
#include "vfs/views/maps.h"
#include "vfs/views/memory_table.h"
#include "vfs/views/mounts.h"
#include "vfs/views/proc_status.h"
#include "vfs/views/ps.h"
#include "vfs/vma_content.h"

namespace ckptfs {

std::string safe_name(std::string s) {
  std::replace(s.begin(), s.end(), '/', '_');
  s.erase(std::remove(s.begin(), s.end(), '\0'), s.end());
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s;
}

namespace {

// The OCI spec's argv/env joined like /proc: NUL after each element.
std::string nul_joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += a + '\0';
  return s;
}

void add_fds(Tree& t, uint64_t d, const Checkpoint& c, const Process& p) {
  uint64_t fd_dir = t.mkdir(d, "fd", 0500);
  uint64_t info_dir = t.mkdir(d, "fdinfo", 0500);
  for (const FdEntry& fd : p.fds) {
    FileDescription desc = describe_fd(c, fd);
    std::string name = std::to_string(fd.fd);
    if (t.lookup_unsealed(fd_dir, name)) continue;  // a corrupt image listing an fd twice
    t.add_symlink(fd_dir, name, desc.link);
    std::string info = fmt::format("pos:\t{}\nflags:\t0{:o}\n", desc.pos, desc.flags);
    if (desc.mnt_id) info += fmt::format("mnt_id:\t{}\n", *desc.mnt_id);
    t.add_file(info_dir, name, std::make_shared<TextContent>(std::move(info)));
  }
}

void add_process(Tree& t, uint64_t procs_dir, const Checkpoint& c, const Process& p) {
  uint64_t d = t.mkdir(procs_dir, std::to_string(p.pid));
  t.add_file(d, "comm", lazy_text([&p] { return p.comm + "\n"; }));
  t.add_file(d, "maps", lazy_text([&p] { return render_maps(p); }));
  t.add_file(d, "mem", std::make_shared<AddressRangeContent>(p.memory, 0, kUserAddressEnd),
             kSecretMode);
  t.add_file(d, "core", std::make_shared<CoreContent>(p), kSecretMode);
  t.add_file(d, "hexdump", std::make_shared<HexdumpContent>(p.memory, p.vmas), kSecretMode);
  bool spec_fallback = p.pid == c.root_pid;
  t.add_file(d, "cmdline", lazy_text([&p, &c, spec_fallback] {
               ProcessText cmd = read_cmdline(p);
               return cmd.from_memory || !spec_fallback ? cmd.bytes : nul_joined(c.info.spec_args);
             }),
             kSecretMode);
  t.add_file(d, "environ", lazy_text([&p, &c, spec_fallback] {
               ProcessText env = read_environ(p);
               return env.from_memory || !spec_fallback ? env.bytes : nul_joined(c.info.spec_env);
             }),
             kSecretMode);
  if (!p.threads.empty()) {
    const Thread& leader = p.threads[0];
    t.add_file(d, "status", lazy_text([&c, &p, &leader] { return render_status(c, p, leader); }));
  }
  t.add_file(d, "children", lazy_text([&p] {
               std::string s;
               for (uint32_t child : p.children) s += std::to_string(child) + " ";
               return s;
             }));
  // Like /proc, an unknown path is a dangling link rather than a missing one.
  if (!p.cwd.empty()) t.add_symlink(d, "cwd", p.cwd);
  if (!p.root.empty()) t.add_symlink(d, "root", p.root);
  if (!p.exe.empty()) t.add_symlink(d, "exe", p.exe);
  add_fds(t, d, c, p);

  uint64_t tasks = t.mkdir(d, "task");
  for (const Thread& th : p.threads) {
    std::string name = std::to_string(th.tid);
    if (t.lookup_unsealed(tasks, name)) continue;
    uint64_t td = t.mkdir(tasks, name);
    t.add_file(td, "comm", lazy_text([&th] { return th.comm + "\n"; }));
    t.add_file(td, "status", lazy_text([&c, &p, &th] { return render_status(c, p, th); }));
    t.add_file(td, "regs", lazy_text([&th] { return render_regs(th); }), kSecretMode);
  }

  uint64_t vmas = t.mkdir(d, "vmas", 0500);
  for (const Vma& v : p.vmas) {
    if (v.end > kUserAddressEnd) continue;  // [vsyscall]: outside mem, never dumped
    t.add_file(vmas, vma_file_name(v),
               std::make_shared<AddressRangeContent>(p.memory, v.start, v.end), kSecretMode);
  }
}

void add_checkpoint(Tree& t, uint64_t top, const Checkpoint& c) {
  uint64_t containers = t.mkdir(top, "containers");
  // The container's own name, not the checkpoint's in the mount ("x-2" when
  // two checkpoints of x are mounted): so diff -r of two checkpoints of one
  // container compares containers/x with containers/x.
  uint64_t cdir = t.mkdir(containers, safe_name(c.info.name));
  t.add_file(cdir, "info", lazy_text([&c] { return render_info(c); }));
  t.add_file(cdir, "info.json", lazy_text([&c] { return render_info_json(c); }));
  t.add_file(cdir, "memory", lazy_text([&c] { return render_memory_table(c); }));
  t.add_file(cdir, "memory.json", lazy_text([&c] { return render_memory_json(c); }));
  add_container_metadata(t, cdir, c);
  add_files_and_net(t, top, c);
  if (has_mount_info(c)) t.add_file(cdir, "mounts", lazy_text([&c] { return render_mounts(c); }));
  add_archived_trees(t, top, cdir, c);
  t.add_file(cdir, "ps", lazy_text([&c] { return render_ps(c); }));
  t.add_file(top, "ps", lazy_text([&c] { return render_ps(c); }));
  uint64_t procs = t.mkdir(top, "procs");
  for (const auto& [pid, p] : c.procs) add_process(t, procs, c, p);
  add_raw_dir(t, top, c);
}

}  // namespace

std::unique_ptr<Tree> build_tree(const std::vector<std::unique_ptr<Checkpoint>>& checkpoints) {
  int64_t mtime = 0;
  for (const auto& c : checkpoints) mtime = std::max(mtime, c->mtime);
  auto t = std::make_unique<Tree>(mtime);
  if (checkpoints.size() == 1) {
    add_checkpoint(*t, Tree::kRootIno, *checkpoints[0]);
  } else {
    // diff/ first: a checkpoint named "diff" becomes "diff~2", never the other way.
    uint64_t diff = t->add_dir(Tree::kRootIno, "diff", 0555);
    std::vector<std::string> names;
    for (const auto& c : checkpoints) {
      // A new directory each, even when two names sanitise to one.
      uint64_t top = t->add_dir(Tree::kRootIno, safe_name(c->name), 0555);
      names.push_back(t->get(Tree::kRootIno)->children.back().first);
      add_checkpoint(*t, top, *c);
    }
    add_diff_dirs(*t, diff, checkpoints, names);
  }
  t->seal();
  return t;
}

std::unique_ptr<Tree> build_checkpoint_tree(const Checkpoint& c) {
  auto t = std::make_unique<Tree>(c.mtime);
  add_checkpoint(*t, Tree::kRootIno, c);
  t->seal();
  return t;
}

}  // namespace ckptfs
