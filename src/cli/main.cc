// ckptfs [options] CHECKPOINT… MOUNTPOINT
// Everything that can fail because of the input happens here, before the
// daemon detaches: errors reach the terminal and nothing is left mounted.

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/fuse_access.h"
#include "cli/mountpoint.h"
#include "cli/options.h"
#include "cli/sandbox.h"
#include "collection/collection.h"
#include "fuse/fuse_fs.h"
#include "model/loader.h"
#include "source/archive_cache.h"
#include "source/source.h"
#include "util/error.h"
#include "util/human_size.h"
#include "util/log.h"
#include "vfs/build.h"

namespace {

// The loader names images relative to the checkpoint ("pstree.img: missing from
// the checkpoint"): alone, that does not say which checkpoint, and with several
// inputs the user cannot tell. Name the input unless the message already does.
std::string naming_input(const std::string& input, const std::string& msg) {
  if (msg.starts_with(input)) return msg;
  if (char* real = ::realpath(input.c_str(), nullptr)) {
    std::string r = real;
    std::free(real);
    if (msg.starts_with(r)) return msg;  // directory members are named by their real path
  }
  return input + ": " + msg;
}

// Bytes and percent on stderr while a compressed archive is read, when stderr
// is a terminal and the pass takes long enough to wonder about.
class Progress {
 public:
  explicit Progress(std::string input) : input_(std::move(input)), on_(::isatty(2) == 1) {}
  ~Progress() {
    if (shown_) std::fputs("\r\033[K", stderr);
  }
  void operator()(uint64_t done, uint64_t total) {
    if (!on_ || total == 0) return;
    auto now = Clock::now();
    if (now - start_ < std::chrono::milliseconds(500) ||
        now - last_ < std::chrono::milliseconds(200))
      return;
    last_ = now;
    shown_ = true;
    fmt::print(stderr, "\rckptfs: reading {}: {} of {} ({}%)\033[K", input_,
               ckptfs::human_size(done), ckptfs::human_size(total), done * 100 / total);
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::string input_;
  bool on_;
  bool shown_ = false;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_{};
};

// -d: where mount time goes.
class Timer {
 public:
  explicit Timer(bool on) : on_(on) {}
  void lap(const std::string& what) {
    if (!on_) return;
    auto now = std::chrono::steady_clock::now();
    fmt::print(stderr, "ckptfs: {} in {:.3f} s\n", what,
               std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Directory sources open one file per image lazily; let them.
void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// A directory of checkpoints among the inputs: everything is served as one
// collection (collection/collection.h), probed now, opened on first look,
// and followed while mounted. Checkpoints are not compared here (no diff/):
// they come and go.
int mount_collection(ckptfs::CliOptions& a, Timer& timer) {
  std::unique_ptr<ckptfs::Collection> collection;
  try {
    ckptfs::CollectionOptions o;
    o.inputs = a.inputs;
    o.cache = a.cache;
    o.ignore = {a.mountpoint, a.cache.dir.empty() ? ckptfs::default_cache_dir() : a.cache.dir};
    collection = std::make_unique<ckptfs::Collection>(std::move(o));
  } catch (const std::exception& e) {
    fmt::print(stderr, "ckptfs: {}\n", e.what());
    return 1;
  }
  timer.lap("collection probed");
  if (!collection->not_live().empty())
    fmt::print(stderr, "ckptfs: warning: {}: archives added later will not appear\n",
               collection->not_live());
  // The daemon's log as serve() chooses it: the terminal in the foreground.
  bool foreground = a.mount.foreground || a.mount.debug;
  collection->set_log(foreground || !a.mount.log ? ckptfs::stderr_log() : a.mount.log);
  ckptfs::Collection* c = collection.get();
  a.mount.background.push_back([c](const std::atomic<bool>& stopping) { c->follow(stopping); });
  a.mount.background.push_back(
      [c](const std::atomic<bool>& stopping) { c->save_caches(stopping); });
  ckptfs::InodeSpace space(collection->tree());
  return ckptfs::mount_and_serve(space, a.mount);
}

}  // namespace

int main(int argc, char** argv) {
  ckptfs::CliOptions a = ckptfs::parse_options(argc, argv);
  // Temporary files (large raw/*.json) are made after detaching, from "/".
  if (const char* t = std::getenv("TMPDIR"); t && *t && *t != '/')
    ::setenv("TMPDIR", std::filesystem::absolute(t).c_str(), 1);
  raise_fd_limit();
  std::vector<std::unique_ptr<ckptfs::Checkpoint>> checkpoints;
  std::shared_ptr<ckptfs::Tree> tree;
  try {
    for (const auto& in : a.inputs) {
      if (::access(in.c_str(), F_OK) != 0) ckptfs::fail(in, "no such file or directory");
    }
    ckptfs::check_fuse_access(a.mountpoint, a.mount.fuse_opts);
    ckptfs::check_mountpoint(a.mountpoint);
    ckptfs::check_fuse_options(a.mount);
    a.mount.log = a.log_file.empty() ? ckptfs::syslog_log() : ckptfs::file_log(a.log_file);
    ckptfs::plan_unfollowable_links(a);
    ckptfs::plan_sandbox(a);
    Timer timer(a.mount.debug);
    if (std::any_of(a.inputs.begin(), a.inputs.end(), ckptfs::is_collection_directory))
      return mount_collection(a, timer);
    for (const auto& in : a.inputs) {
      try {
        std::shared_ptr<const ckptfs::Source> src;
        {
          Progress progress(in);
          ckptfs::SourceLimits limits;
          limits.cache = a.cache;
          limits.progress = std::ref(progress);
          src = ckptfs::open_source(in, limits);
        }
        timer.lap(fmt::format("{}: {} members indexed ({})", in, src->members.size(),
                              ckptfs::packing_name(src->packing)));
        auto loaded = ckptfs::load_checkpoints(src, ckptfs::checkpoint_base_name(in));
        timer.lap(fmt::format("{}: images decoded", in));
        for (auto& c : loaded) checkpoints.push_back(std::move(c));
        if (src->save_cache) a.mount.background.push_back(src->save_cache);
      } catch (const std::exception& e) {
        fmt::print(stderr, "ckptfs: {}\n", naming_input(in, e.what()));
        return 1;
      }
    }
    // Names are directories in the tree: keep them unique across inputs too.
    ckptfs::make_names_unique(checkpoints);
    tree = ckptfs::build_tree(checkpoints);
    timer.lap("tree built");
  } catch (const std::exception& e) {
    fmt::print(stderr, "ckptfs: {}\n", e.what());
    return 1;
  }
  ckptfs::InodeSpace space(tree);
  return ckptfs::mount_and_serve(space, a.mount);
}
