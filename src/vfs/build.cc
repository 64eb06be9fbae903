#include "vfs/build.h"

#include <fmt/format.h>

#include <algorithm>

#include "vfs/memory_content.h"
#include "vfs/views/info.h"
#include "vfs/views/maps.h"

namespace ckptfs {

namespace {

// A directory name from metadata an attacker may control.
std::string safe_name(std::string s) {
  std::replace(s.begin(), s.end(), '/', '_');
  s.erase(std::remove(s.begin(), s.end(), '\0'), s.end());
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s;
}

std::shared_ptr<Content> text(std::function<std::string()> f) { return std::make_shared<TextContent>(std::move(f)); }

void add_process(Tree& t, uint64_t procs_dir, const Process& p) {
  uint64_t d = t.mkdir(procs_dir, std::to_string(p.pid));
  t.add_file(d, "comm", text([&p] { return p.comm + "\n"; }));
  t.add_file(d, "maps", text([&p] { return render_maps(p); }));
  t.add_file(d, "mem", std::make_shared<MemoryContent>(p.memory), kSecretMode);
}

void add_checkpoint(Tree& t, uint64_t top, const Checkpoint& c) {
  uint64_t containers = t.mkdir(top, "containers");
  uint64_t cdir = t.mkdir(containers, safe_name(c.name));
  t.add_file(cdir, "info", text([&c] { return render_info(c); }));
  t.add_file(cdir, "info.json", text([&c] { return render_info_json(c); }));
  uint64_t procs = t.mkdir(top, "procs");
  for (const auto& [pid, p] : c.procs) add_process(t, procs, p);
}

}  // namespace

std::unique_ptr<Tree> build_tree(const std::vector<std::unique_ptr<Checkpoint>>& checkpoints) {
  int64_t mtime = 0;
  for (const auto& c : checkpoints) mtime = std::max(mtime, c->mtime);
  auto t = std::make_unique<Tree>(mtime);
  if (checkpoints.size() == 1) {
    add_checkpoint(*t, Tree::kRootIno, *checkpoints[0]);
  } else {
    for (const auto& c : checkpoints) add_checkpoint(*t, t->mkdir(Tree::kRootIno, safe_name(c->name)), *c);
  }
  t->seal();
  return t;
}

}  // namespace ckptfs
