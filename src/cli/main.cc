// ckptfs [options] CHECKPOINT… MOUNTPOINT
// Everything that can fail because of the input happens here, before the
// daemon detaches: errors reach the terminal and nothing is left mounted.

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuse/fuse_fs.h"
#include "version.h"
#include "model/loader.h"
#include "source/source.h"
#include "util/error.h"
#include "util/human_size.h"
#include "vfs/build.h"

namespace {

const char* kUsage =
    "usage: ckptfs [options] CHECKPOINT [CHECKPOINT…] MOUNTPOINT\n"
    "\n"
    "Mounts a container checkpoint (CRIU image directory, or a tar / tar.gz / tar.zst\n"
    "archive from Podman, CRI-O or containerd, or an OCI image layout directory or\n"
    "oci-archive holding a checkpoint image) read-only at MOUNTPOINT.\n"
    "\n"
    "options:\n"
    "  -f             stay in the foreground\n"
    "  -d             debug output (implies -f)\n"
    "  -o OPT[,OPT]   mount options (the mount is always read-only); besides FUSE's:\n"
    "     cache=DIR       where compressed archives are decompressed and kept for the\n"
    "                     next mount (default $XDG_CACHE_HOME/ckptfs)\n"
    "     nocache         decompress into an unnamed temporary file, keep nothing\n"
    "     cache_max=SIZE  most disk the cache may use, e.g. 20G (default: half the\n"
    "                     free space of its filesystem)\n"
    "  -h, --help     this help\n"
    "  -V, --version  print the version\n"
    "\n"
    "Unmount with: fusermount3 -u MOUNTPOINT\n";

struct Args {
  std::vector<std::string> inputs;
  std::string mountpoint;
  ckptfs::MountOptions mount;
  ckptfs::CacheSettings cache;
};

[[noreturn]] void usage_error(const std::string& msg) {
  fmt::print(stderr, "ckptfs: {}\n(try ckptfs --help)\n", msg);
  std::exit(1);
}

void split_opts(const std::string& s, std::vector<std::string>& out) {
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
}

// "20G", "512M", "4096": binary units, as df -h prints them.
uint64_t parse_size(const std::string& opt, const std::string& v) {
  size_t used = 0;
  uint64_t n = 0;
  try {
    n = std::stoull(v, &used);
  } catch (const std::exception&) {
    usage_error(fmt::format("-o {}: not a size", opt));
  }
  std::string unit = v.substr(used);
  static const std::string kUnits = "KMGT";
  size_t k = unit.empty() ? 0 : kUnits.find(static_cast<char>(std::toupper(unit[0])));
  if (!unit.empty() && (k == std::string::npos ||
                        (unit.size() > 1 && unit.substr(1) != "B" && unit.substr(1) != "iB")))
    usage_error(fmt::format("-o {}: unknown unit {}", opt, unit));
  int shift = unit.empty() ? 0 : 10 * static_cast<int>(k + 1);
  if (n == 0 || n > (UINT64_MAX >> shift)) usage_error(fmt::format("-o {}: out of range", opt));
  return n << shift;
}

// Options that are ckptfs's, not FUSE's: taken out of the list handed to FUSE.
void take_cache_options(Args& a) {
  std::vector<std::string> rest;
  for (const auto& o : a.mount.fuse_opts) {
    if (o == "nocache") {
      a.cache.persist = false;
    } else if (o.starts_with("cache=")) {
      a.cache.dir = o.substr(6);
      a.cache.dir_given = true;
      if (a.cache.dir.empty()) usage_error("-o cache= needs a directory");
      // The daemon saves entries after detaching, from "/": never relative.
      a.cache.dir = std::filesystem::absolute(a.cache.dir).lexically_normal().string();
    } else if (o.starts_with("cache_max=")) {
      a.cache.max_bytes = parse_size(o, o.substr(10));
    } else {
      rest.push_back(o);
    }
  }
  a.mount.fuse_opts = std::move(rest);
}

Args parse(int argc, char** argv) {
  Args a;
  a.cache.persist = true;     // the library's default is not to; the command's is
  a.cache.defer_save = true;  // saved by the daemon once mounted
  std::vector<std::string> pos;
  bool opts_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (!opts_done && s == "--") {
      opts_done = true;
    } else if (!opts_done && (s == "-h" || s == "--help")) {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (!opts_done && (s == "-V" || s == "--version")) {
      fmt::print("ckptfs {}\n", CKPTFS_VERSION);
      std::exit(0);
    } else if (!opts_done && s == "-f") {
      a.mount.foreground = true;
    } else if (!opts_done && s == "-d") {
      a.mount.debug = true;
    } else if (!opts_done && s.starts_with("-o")) {
      std::string v = s.size() > 2 ? s.substr(2) : (i + 1 < argc ? argv[++i] : "");
      if (v.empty()) usage_error("-o needs an argument");
      split_opts(v, a.mount.fuse_opts);
    } else if (!opts_done && s.size() > 1 && s[0] == '-') {
      usage_error(fmt::format("unknown option {}", s));
    } else {
      pos.push_back(s);
    }
  }
  if (pos.size() < 2) usage_error("need a CHECKPOINT and a MOUNTPOINT");
  a.mountpoint = pos.back();
  pos.pop_back();
  a.inputs = pos;
  take_cache_options(a);
  for (auto& o : a.mount.fuse_opts)
    if (o == "rw") usage_error("-o rw: ckptfs mounts are always read-only");
  return a;
}

bool is_mount_point(const std::string& path) {
  char* real = ::realpath(path.c_str(), nullptr);
  if (!real) return false;
  std::string r = real;
  std::free(real);
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // Field 5 is the mount point, with spaces etc. escaped as \040.
    std::vector<std::string> f;
    size_t i = 0;
    for (int k = 0; k < 5 && i != std::string::npos; ++k) {
      size_t j = line.find(' ', i);
      f.push_back(line.substr(i, j == std::string::npos ? std::string::npos : j - i));
      i = j == std::string::npos ? j : j + 1;
    }
    if (f.size() == 5 && f[4] == r) return true;
  }
  return false;
}

void check_mountpoint(const std::string& mp) {
  struct stat st {};
  if (::stat(mp.c_str(), &st) != 0) ckptfs::fail(mp, "mount point does not exist");
  if (!S_ISDIR(st.st_mode)) ckptfs::fail(mp, "mount point is not a directory");
  if (::access(mp.c_str(), W_OK) != 0 && ::getuid() != 0)
    ckptfs::fail(mp, "mount point is not writable by you");
  if (is_mount_point(mp)) ckptfs::fail(mp, "something is already mounted there (unmount it first)");
}

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

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  // Temporary files (large raw/*.json) are made after detaching, from "/".
  if (const char* t = std::getenv("TMPDIR"); t && *t && *t != '/')
    ::setenv("TMPDIR", std::filesystem::absolute(t).c_str(), 1);
  raise_fd_limit();
  std::vector<std::unique_ptr<ckptfs::Checkpoint>> checkpoints;
  std::unique_ptr<ckptfs::Tree> tree;
  try {
    for (const auto& in : a.inputs) {
      if (::access(in.c_str(), F_OK) != 0) ckptfs::fail(in, "no such file or directory");
    }
    check_mountpoint(a.mountpoint);
    Timer timer(a.mount.debug);
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
        timer.lap(fmt::format("{}: {} members of a {} indexed", in, src->members.size(),
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
  a.mount.mountpoint = a.mountpoint;
  a.mount.fsname = a.inputs.size() == 1 ? a.inputs[0] : "ckptfs";
  return ckptfs::mount_and_serve(*tree, a.mount);
}
