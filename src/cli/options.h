#pragma once
// The command line, parsed with libfuse's own option parser (fuse_opt_parse):
// -o lists, escapes and "--" behave as for every FUSE file system. ckptfs's
// options are taken out; the rest go to libfuse and the kernel, which check
// them (check_fuse_options) before anything is loaded.

#include <string>
#include <vector>

#include "fuse/fuse_fs.h"
#include "source/source.h"

namespace ckptfs {

struct CliOptions {
  std::vector<std::string> inputs;
  std::string mountpoint;  // absolute
  CacheSettings cache;
  std::string log_file;    // -o log=FILE; "" = syslog once detached
  bool nosandbox = false;  // -o nosandbox: the daemon is not confined (debugging)
  MountOptions mount;
};

// Exits with status 0 for --help and --version, and 1 with one line for a
// command line that cannot be right.
CliOptions parse_options(int argc, char** argv);

}  // namespace ckptfs
