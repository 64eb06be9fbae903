#include "cli/options.h"

#define FUSE_USE_VERSION 314
#include <fmt/format.h>
#include <fuse_opt.h>

#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <filesystem>

#include "version.h"

namespace ckptfs {

namespace {

const char* kUsage =
    "usage: ckptfs [options] CHECKPOINT [CHECKPOINT…] MOUNTPOINT\n"
    "\n"
    "Mounts a container checkpoint (CRIU image directory, or a tar / tar.gz / tar.zst\n"
    "archive from Podman, CRI-O or containerd, or an OCI image layout directory or\n"
    "oci-archive holding a checkpoint image) read-only at MOUNTPOINT. A directory\n"
    "of checkpoints (e.g. /var/lib/kubelet/checkpoints) mounts each of them, lists\n"
    "them in MOUNTPOINT/checkpoints and follows the directory while mounted.\n"
    "\n"
    "options:\n"
    "  -f             stay in the foreground\n"
    "  -d             debug output (implies -f)\n"
    "  -s             serve with one thread\n"
    "  -o OPT[,OPT]   mount options (the mount is always read-only); besides FUSE's:\n"
    "     cache=DIR       where compressed archives are decompressed and kept for the\n"
    "                     next mount (default $XDG_CACHE_HOME/ckptfs)\n"
    "     nocache         decompress into an unnamed temporary file, keep nothing\n"
    "     cache_max=SIZE  most disk the cache may use, e.g. 20G (default: half the\n"
    "                     free space of its filesystem)\n"
    "     log=FILE        where the daemon reports problems once detached\n"
    "                     (default: syslog)\n"
    "     nosandbox       do not confine the daemon (Landlock, seccomp, no\n"
    "                     capabilities, nosymfollow): for debugging only\n"
    "  -h, --help     this help\n"
    "  -V, --version  print the version\n"
    "\n"
    "Unmount with: fusermount3 -u MOUNTPOINT\n";

[[noreturn]] void usage_error(const std::string& msg) {
  fmt::print(stderr, "ckptfs: {}\n(try ckptfs --help)\n", msg);
  std::exit(1);
}

// "20G", "512M", "4096": binary units, as df -h prints them.
uint64_t parse_size(const std::string& opt, const std::string& v) {
  size_t used = 0;
  uint64_t n = 0;
  try {
    if (v.empty() || !std::isdigit(static_cast<unsigned char>(v[0])))
      throw std::invalid_argument(v);
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

// fuse_opt_parse fills a C struct: only plain members, found by offsetof.
struct RawOptions {
  char* cache = nullptr;
  char* cache_max = nullptr;
  char* log = nullptr;
  int nocache = 0;
  int nosandbox = 0;
  int foreground = 0;
  int debug = 0;
  int single_thread = 0;
  std::vector<std::string>* positional = nullptr;
  std::vector<std::string>* fuse_opts = nullptr;
};

enum Key { kHelp, kVersion, kReadWrite };

#define CKPTFS_OPT(t, m, v) \
  { t, offsetof(RawOptions, m), v }
const fuse_opt kOptions[] = {CKPTFS_OPT("cache=%s", cache, 0),
                             CKPTFS_OPT("cache_max=%s", cache_max, 0),
                             CKPTFS_OPT("log=%s", log, 0),
                             CKPTFS_OPT("nocache", nocache, 1),
                             CKPTFS_OPT("nosandbox", nosandbox, 1),
                             CKPTFS_OPT("-f", foreground, 1),
                             CKPTFS_OPT("-d", debug, 1),
                             CKPTFS_OPT("debug", debug, 1),
                             CKPTFS_OPT("-s", single_thread, 1),
                             FUSE_OPT_KEY("-h", kHelp),
                             FUSE_OPT_KEY("--help", kHelp),
                             FUSE_OPT_KEY("-V", kVersion),
                             FUSE_OPT_KEY("--version", kVersion),
                             FUSE_OPT_KEY("rw", kReadWrite),
                             FUSE_OPT_END};
#undef CKPTFS_OPT

int take(void* data, const char* arg, int key, fuse_args*) {
  auto* o = static_cast<RawOptions*>(data);
  switch (key) {
    case FUSE_OPT_KEY_NONOPT:
      o->positional->push_back(arg);
      return 0;
    case FUSE_OPT_KEY_OPT:
      // A lone "-x" we do not know; "-o x" options are FUSE's or the kernel's.
      if (arg[0] == '-') usage_error(fmt::format("unknown option {}", arg));
      o->fuse_opts->push_back(arg);
      return 0;
    case kHelp:
      std::fputs(kUsage, stdout);
      std::exit(0);
    case kVersion:
      fmt::print("ckptfs {}\n", CKPTFS_VERSION);
      std::exit(0);
    case kReadWrite:
      usage_error("-o rw: ckptfs mounts are always read-only");
  }
  return 1;
}

}  // namespace

CliOptions parse_options(int argc, char** argv) {
  CliOptions a;
  std::vector<std::string> positional;
  RawOptions raw;
  raw.positional = &positional;
  raw.fuse_opts = &a.mount.fuse_opts;
  fuse_args args = FUSE_ARGS_INIT(argc, argv);
  if (fuse_opt_parse(&args, &raw, kOptions, take) != 0)
    usage_error("cannot parse the command line");  // libfuse said why just before
  fuse_opt_free_args(&args);
  auto take_string = [](char*& s) {
    std::string v = s ? s : "";
    std::free(s);
    s = nullptr;
    return v;
  };
  bool cache_given = raw.cache != nullptr;
  std::string cache_dir = take_string(raw.cache), cache_max = take_string(raw.cache_max);
  a.log_file = take_string(raw.log);

  if (positional.size() < 2) usage_error("need a CHECKPOINT and a MOUNTPOINT");
  a.mountpoint = std::filesystem::absolute(positional.back()).lexically_normal().string();
  if (a.mountpoint.size() > 1 && a.mountpoint.back() == '/') a.mountpoint.pop_back();
  positional.pop_back();
  a.inputs = positional;

  a.cache.persist = !raw.nocache;  // the library's default is not to; the command's is
  a.cache.defer_save = true;       // saved by the daemon once mounted
  if (cache_given || !cache_dir.empty()) {
    if (cache_dir.empty()) usage_error("-o cache= needs a directory");
    a.cache.dir_given = true;
    // The daemon saves entries after detaching, from "/": never relative.
    a.cache.dir = std::filesystem::absolute(cache_dir).lexically_normal().string();
  }
  if (!cache_max.empty()) a.cache.max_bytes = parse_size("cache_max=" + cache_max, cache_max);
  if (!a.log_file.empty())
    a.log_file = std::filesystem::absolute(a.log_file).lexically_normal().string();

  a.mount.mountpoint = a.mountpoint;
  a.mount.foreground = raw.foreground;
  a.mount.debug = raw.debug;
  a.mount.single_thread = raw.single_thread;
  a.nosandbox = raw.nosandbox;
  // A daemon that dies, however, leaves no dead mount behind: fusermount3
  // stays beside it and unmounts once it is gone.
  a.mount.fuse_opts.push_back("auto_unmount");
  a.mount.fsname = a.inputs.size() == 1 ? a.inputs[0] : "ckptfs";
  return a;
}

}  // namespace ckptfs
