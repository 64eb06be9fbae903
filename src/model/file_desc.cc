#include "model/file_desc.h"

#include <fmt/format.h>

namespace ckptfs {

namespace {

constexpr uint32_t kOCloexec = 02000000;
constexpr uint32_t kFdCloexec = 1;

std::string path_of(const Checkpoint& c, uint32_t file_id) {
  std::string p = reg_file_path(c, file_id);
  return p.empty() ? fmt::format("(file id {} missing)", file_id) : p;
}

// Namespace file names by CLONE_NEW* flag.
const char* ns_name(uint32_t cflag) {
  switch (cflag) {
    case 0x00020000:
      return "mnt";
    case 0x02000000:
      return "cgroup";
    case 0x04000000:
      return "uts";
    case 0x08000000:
      return "ipc";
    case 0x10000000:
      return "user";
    case 0x20000000:
      return "pid";
    case 0x40000000:
      return "net";
    case 0x00000080:
      return "time";
    default:
      return "ns";
  }
}

}  // namespace

std::string reg_file_path(const Checkpoint& c, uint32_t file_id) {
  auto it = c.files.find(file_id);
  if (it == c.files.end() || !it->second.has_reg()) return "";
  std::string p = it->second.reg().name();
  if (c.deleted_files.count(file_id)) p += " (deleted)";
  return p;
}

const char* fd_type_name(uint32_t type) {
  static const char* kNames[] = {
      "UND",       "REG",     "PIPE",     "FIFO",     "INETSK", "UNIXSK",   "EVENTFD",
      "EVENTPOLL", "INOTIFY", "SIGNALFD", "PACKETSK", "TTY",    "FANOTIFY", "NETLINKSK",
      "NS",        "TUNF",    "EXT",      "TIMERFD",  "MEMFD",  "BPFMAP",   "PIDFD"};
  return type < std::size(kNames) ? kNames[type] : "UNKNOWN";
}

FileDescription describe_fd(const Checkpoint& c, const FdEntry& fd) {
  FileDescription d;
  auto it = c.files.find(fd.file_id);
  if (it == c.files.end()) {
    d.link = fmt::format("(file id {} not in files.img)", fd.file_id);
    return d;
  }
  const criu::file_entry& f = it->second;
  switch (f.type()) {
    case 1:  // REG
      d.link = path_of(c, f.id());
      d.flags = f.reg().flags();
      d.pos = f.reg().pos();
      if (f.reg().mnt_id() >= 0) d.mnt_id = f.reg().mnt_id();
      break;
    case 2:  // PIPE
      d.link = fmt::format("pipe:[{}]", f.pipe().pipe_id());
      d.flags = f.pipe().flags();
      break;
    case 3:  // FIFO: the path comes from its REG twin
      d.link = f.fifo().has_regf_id() ? path_of(c, f.fifo().regf_id())
                                      : fmt::format("pipe:[{}]", f.fifo().pipe_id());
      if (f.fifo().has_regf_id()) {
        if (auto r = c.files.find(f.fifo().regf_id()); r != c.files.end())
          d.flags = r->second.reg().flags();
      }
      break;
    case 4:
      d.link = fmt::format("socket:[{}]", f.isk().ino());
      d.flags = f.isk().flags();
      break;
    case 5:
      d.link = fmt::format("socket:[{}]", f.usk().ino());
      d.flags = f.usk().flags();
      break;
    case 6:
      d.link = "anon_inode:[eventfd]";
      d.flags = f.efd().flags();
      break;
    case 7:
      d.link = "anon_inode:[eventpoll]";
      d.flags = f.epfd().flags();
      break;
    case 8:
      d.link = "anon_inode:inotify";
      d.flags = f.ify().flags();
      break;
    case 9:
      d.link = "anon_inode:[signalfd]";
      d.flags = f.sgfd().flags();
      break;
    case 10:
      d.link = "socket:[0]";  // packet sockets carry no inode in the image
      d.flags = f.psk().flags();
      break;
    case 11:  // TTY
      d.link = f.tty().has_regf_id() ? path_of(c, f.tty().regf_id()) : "/dev/tty";
      d.flags = f.tty().flags();
      break;
    case 12:
      d.link = "anon_inode:[fanotify]";
      d.flags = f.ffy().flags();
      break;
    case 13:
      d.link = fmt::format("socket:[{}]", f.nlsk().ino());
      d.flags = f.nlsk().flags();
      break;
    case 14:
      // The kernel prints the namespace inode, which CRIU does not keep.
      d.link = fmt::format("{}:[ckpt-ns-{}]", ns_name(f.nsf().ns_cflag()), f.nsf().ns_id());
      d.flags = f.nsf().flags();
      break;
    case 15:
      d.link = "/dev/net/tun";
      break;
    case 16:
      d.link = fmt::format("(external file {})", f.id());
      break;
    case 17:
      d.link = "anon_inode:[timerfd]";
      d.flags = f.tfd().flags();
      break;
    case 18: {  // MEMFD
      std::string name = "?";
      if (auto m = c.memfd_inodes.find(f.memfd().inode_id()); m != c.memfd_inodes.end())
        name = m->second.name();
      d.link = name == "/dev/zero" ? "/dev/zero (deleted)" : "/memfd:" + name + " (deleted)";
      d.flags = f.memfd().flags();
      d.pos = f.memfd().pos();
      break;
    }
    case 19:
      d.link = "anon_inode:bpf-map";
      d.flags = f.bpf().flags();
      d.pos = f.bpf().pos();
      break;
    case 20:
      d.link = "anon_inode:[pidfd]";
      d.flags = f.pidfd().flags();
      break;
    default:
      d.link = fmt::format("(unknown file type {})", f.type());
  }
  // /proc shows close-on-exec as O_CLOEXEC in the flags; CRIU keeps it per fd.
  d.flags &= ~kOCloexec;
  if (fd.fd_flags & kFdCloexec) d.flags |= kOCloexec;
  return d;
}

}  // namespace ckptfs
