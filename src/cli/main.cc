// ckptfs [options] CHECKPOINT… MOUNTPOINT
// Everything that can fail because of the input happens here, before the
// daemon detaches: errors reach the terminal and nothing is left mounted.

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "fuse/fuse_fs.h"
#include "model/loader.h"
#include "source/source.h"
#include "util/error.h"
#include "vfs/build.h"

namespace {

const char* kUsage =
    "usage: ckptfs [options] CHECKPOINT [CHECKPOINT…] MOUNTPOINT\n"
    "\n"
    "Mounts a container checkpoint (CRIU image directory, or a tar / tar.gz / tar.zst\n"
    "archive from Podman, CRI-O or containerd) read-only at MOUNTPOINT.\n"
    "\n"
    "options:\n"
    "  -f             stay in the foreground\n"
    "  -d             debug output (implies -f)\n"
    "  -o OPT[,OPT]   FUSE mount options (the mount is always read-only)\n"
    "  -h, --help     this help\n"
    "  -V, --version  print the version\n"
    "\n"
    "Unmount with: fusermount3 -u MOUNTPOINT\n";

struct Args {
  std::vector<std::string> inputs;
  std::string mountpoint;
  ckptfs::MountOptions mount;
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

Args parse(int argc, char** argv) {
  Args a;
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
  raise_fd_limit();
  std::vector<std::unique_ptr<ckptfs::Checkpoint>> checkpoints;
  std::unique_ptr<ckptfs::Tree> tree;
  try {
    for (const auto& in : a.inputs) {
      if (::access(in.c_str(), F_OK) != 0) ckptfs::fail(in, "no such file or directory");
    }
    check_mountpoint(a.mountpoint);
    for (const auto& in : a.inputs) {
      try {
        std::shared_ptr<const ckptfs::Source> src = ckptfs::open_source(in);
        auto loaded = ckptfs::load_checkpoints(src, ckptfs::checkpoint_base_name(in));
        for (auto& c : loaded) checkpoints.push_back(std::move(c));
      } catch (const std::exception& e) {
        fmt::print(stderr, "ckptfs: {}\n", naming_input(in, e.what()));
        return 1;
      }
    }
    // Names are directories in the tree: keep them unique across inputs too.
    ckptfs::make_names_unique(checkpoints);
    tree = ckptfs::build_tree(checkpoints);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ckptfs: {}\n", e.what());
    return 1;
  }
  a.mount.mountpoint = a.mountpoint;
  a.mount.fsname = a.inputs.size() == 1 ? a.inputs[0] : "ckptfs";
  return ckptfs::mount_and_serve(*tree, a.mount);
}
