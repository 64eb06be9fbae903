#include "cli/sandbox.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "confine/confine.h"
#include "source/archive_cache.h"

namespace ckptfs {

namespace {

// The real path: Landlock rules hold on inodes, and a symlinked input is
// read through its target.
std::string real(const std::string& p) {
  std::error_code ec;
  auto r = std::filesystem::canonical(p, ec);
  return ec ? p : r.string();
}

}  // namespace

void plan_sandbox(CliOptions& a) {
  if (a.nosandbox) return;
  Confinement c;
  for (const auto& in : a.inputs) c.readable.push_back(real(in));
  if (a.cache.persist) {
    std::string dir = a.cache.dir.empty() ? default_cache_dir() : a.cache.dir;
    // A rule needs the directory to exist; the cache creates it the same way
    // (owner-only, and its parent: ~/.cache may not exist yet).
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
      ::mkdir(std::filesystem::path(dir).parent_path().c_str(), 0700);
      ::mkdir(dir.c_str(), 0700);
    }
    c.writable.push_back(real(dir));
  } else if (!a.cache.dir.empty()) {
    c.writable.push_back(real(a.cache.dir));
  }
  const char* t = std::getenv("TMPDIR");
  c.writable.push_back(real(t && *t ? t : "/tmp"));
  c.mountpoint = a.mountpoint;
  bool debug = a.mount.debug;
  a.mount.unmount_on_exit = false;  // confined, it may not: the auto_unmount watcher does
  a.mount.before_serving = [c, debug] {
    for (const auto& line : confine(c))
      if (debug) fmt::print(stderr, "ckptfs: sandbox: {}\n", line);
  };
}

}  // namespace ckptfs
