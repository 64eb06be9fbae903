#include "cli/sandbox.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "confine/confine.h"
#include "confine/nosymfollow.h"
#include "source/archive_cache.h"
#include "vfs/contained_link.h"

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

void plan_unfollowable_links(CliOptions& a) {
  a.mount.refuse_following_links = [mp = a.mountpoint, debug = a.mount.debug] {
    bool refused = set_nosymfollow(mp);
    if (debug)
      fmt::print(stderr, "ckptfs: mount: {}\n",
                 refused ? "nosymfollow (links are read, never followed)"
                         : fmt::format("links that would lead out are shown \"{}/...\" "
                                       "(nosymfollow: {})",
                                       kNotFollowed, std::strerror(errno)));
    return refused;
  };
}

void plan_sandbox(CliOptions& a) {
  if (a.nosandbox) return;
  Confinement c;
  for (const auto& in : a.inputs) {
    c.readable.push_back(real(in));
    std::error_code ec;
    if (std::filesystem::is_directory(in, ec)) c.keep_read_search = true;
  }
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
    auto start = std::chrono::steady_clock::now();
    std::vector<std::string> done = confine(c);
    auto took = std::chrono::steady_clock::now() - start;
    if (!debug) return;
    for (const auto& line : done) fmt::print(stderr, "ckptfs: sandbox: {}\n", line);
    fmt::print(stderr, "ckptfs: sandbox: confined in {:.3f} ms\n",
               std::chrono::duration<double, std::milli>(took).count());
  };
}

}  // namespace ckptfs
