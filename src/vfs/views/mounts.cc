#include "vfs/views/mounts.h"

#include <fmt/format.h>

#include <initializer_list>
#include <iterator>

#include "model/mounts.h"

namespace ckptfs {

namespace {

// MS_* as CRIU stores them in flags (per mount) and sb_flags (per superblock).
constexpr uint32_t kRdonly = 1, kNosuid = 2, kNodev = 4, kNoexec = 8, kSynchronous = 16,
                   kMandlock = 64, kDirsync = 128, kNosymfollow = 256, kNoatime = 1024,
                   kNodiratime = 2048, kRelatime = 1u << 21, kLazytime = 1u << 25;

struct Flag {
  uint32_t bit;
  const char* name;
};

std::string flag_list(uint32_t flags, std::initializer_list<Flag> known) {
  std::string s = flags & kRdonly ? "ro" : "rw";
  for (const Flag& f : known)
    if (flags & f.bit) s += fmt::format(",{}", f.name);
  return s;
}

// As the kernel escapes mountinfo fields: space, tab, newline and backslash.
std::string mangle(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\\')
      out += fmt::format("\\{:03o}", static_cast<unsigned char>(ch));
    else
      out += ch;
  }
  return out;
}

std::string or_dash(std::string s) { return s.empty() ? "-" : s; }

std::string fstype_name(const criu::mnt_entry& m) {
  if (!m.fsname().empty()) return m.fsname();
  // criu-image-format.md §15; the kernel's names for them.
  static constexpr const char* kNames[] = {
      "unknown", "proc",   "sysfs",      "devtmpfs", "binfmt_misc", "tmpfs",  "devpts",
      "simfs",   "pstore", "securityfs", "fusectl",  "debugfs",     "cgroup", "aufs",
      "mqueue",  "fuse",   "auto",       "overlay",  "autofs",      "tracefs"};
  if (m.fstype() < std::size(kNames)) return kNames[m.fstype()];
  if (m.fstype() == 23) return "cgroup2";
  return fmt::format("fstype-{}", m.fstype());
}

std::string mountinfo_line(const criu::mnt_entry& m) {
  std::string opts = flag_list(m.flags(), {{kNosuid, "nosuid"},
                                           {kNodev, "nodev"},
                                           {kNoexec, "noexec"},
                                           {kNoatime, "noatime"},
                                           {kNodiratime, "nodiratime"},
                                           {kRelatime, "relatime"},
                                           {kNosymfollow, "nosymfollow"}});
  std::string tags;
  if (m.shared_id()) tags += fmt::format(" shared:{}", m.shared_id());
  if (m.master_id()) tags += fmt::format(" master:{}", m.master_id());
  // CRIU 4.2 leaves ext_mount unset on Podman's bind mounts: ext_key says it.
  if (m.has_ext_key())
    tags += " external:" + mangle(m.ext_key());
  else if (m.ext_mount())
    tags += " external";
  std::string super = flag_list(m.sb_flags(), {{kSynchronous, "sync"},
                                               {kDirsync, "dirsync"},
                                               {kMandlock, "mand"},
                                               {kLazytime, "lazytime"}});
  if (!m.options().empty()) super += "," + mangle(m.options());
  std::string root = mangle(m.root()) + (m.deleted() ? "\\040(deleted)" : "");
  return fmt::format("{} {} {}:{} {} {} {}{} - {} {} {}\n", m.mnt_id(), m.parent_mnt_id(),
                     m.root_dev() >> 20, m.root_dev() & 0xfffff, or_dash(root),
                     or_dash(mangle(m.mountpoint())), opts, tags, mangle(fstype_name(m)),
                     or_dash(mangle(m.source())), super);
}

}  // namespace

std::string render_mounts(const Checkpoint& c) {
  std::string out;
  for (const criu::mnt_entry& m : read_criu_mounts(c)) out += mountinfo_line(m);
  std::vector<SpecMount> spec = read_spec_mounts(c);
  if (spec.empty()) return out;
  if (!out.empty()) out += "\n";
  out += "# OCI runtime spec (spec.dump): destination type source options\n";
  for (const SpecMount& s : spec) {
    std::string opts;
    for (const auto& o : s.options) opts += (opts.empty() ? "" : ",") + mangle(o);
    out += fmt::format("{} {} {} {}\n", or_dash(mangle(s.destination)), or_dash(mangle(s.type)),
                       or_dash(mangle(s.source)), or_dash(opts));
  }
  return out;
}

}  // namespace ckptfs
