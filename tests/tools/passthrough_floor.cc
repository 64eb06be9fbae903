// ckptfs-passthrough-floor: the least a FUSE file system can do, for
// scripts/bench. It serves a directory of the disk read-only, with the same
// libfuse low-level API and the same kernel-facing choices as ckptfs (caching
// for ever, keep_cache, cached readdir, opens without a round trip), and
// nothing else: whatever a warm read through it costs over the same files on
// ext4 is the kernel's FUSE page-cache path, not a daemon's work. ckptfs's
// own warm reads are measured against this floor.
//
//   ckptfs-passthrough-floor [--splice] [--open] [-f] [-o OPT,...] DIR MOUNTPOINT
//     --splice  reply to READ from the file descriptor (splice), not a copy
//     --open    answer OPEN/OPENDIR (default: ENOSYS, as ckptfs does when the
//               kernel lets it, so the kernel stops asking)
// Every other argument goes to libfuse (-f, -d, -s, -o max_read=N, ...).
#define FUSE_USE_VERSION 314
#include <dirent.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cfloat>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

// Inode numbers are indexes into a table of paths relative to the root: the
// tree is small and read-only, and nothing is ever forgotten.
namespace {

std::vector<std::string> paths;  // deque-like use: entries never move once read
std::mutex mu;
int root_fd = -1;
bool splice_reply = false, answer_open = false;

std::string path_of(fuse_ino_t ino) {
  std::lock_guard lock(mu);
  return ino >= 1 && ino <= paths.size() ? paths[ino - 1] : std::string();
}

fuse_ino_t ino_of(const std::string& p) {
  std::lock_guard lock(mu);
  for (size_t i = 0; i < paths.size(); i++)
    if (paths[i] == p) return i + 1;
  paths.push_back(p);
  return paths.size();
}

int stat_ino(fuse_ino_t ino, struct stat* st) {
  std::string p = path_of(ino);
  if (p.empty()) return ENOENT;
  if (fstatat(root_fd, p.c_str(), st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
  st->st_ino = ino;
  return 0;
}

void op_init(void* u, struct fuse_conn_info* conn) {
  (void)u;
  if (splice_reply) conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  std::string pp = path_of(parent);
  if (pp.empty()) return (void)fuse_reply_err(req, ENOENT);
  fuse_entry_param e{};
  e.ino = ino_of(pp + "/" + name);
  int err = stat_ino(e.ino, &e.attr);
  if (err) return (void)fuse_reply_err(req, err);
  e.attr_timeout = e.entry_timeout = DBL_MAX;
  fuse_reply_entry(req, &e);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  (void)fi;
  struct stat st;
  int err = stat_ino(ino, &st);
  if (err) return (void)fuse_reply_err(req, err);
  fuse_reply_attr(req, &st, DBL_MAX);
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  (void)ino;
  if (!answer_open) return (void)fuse_reply_err(req, ENOSYS);
  fi->cache_readdir = 1;
  fi->keep_cache = 1;
  fuse_reply_open(req, fi);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info* fi) {
  (void)fi;
  std::string p = path_of(ino);
  if (p.empty()) return (void)fuse_reply_err(req, ENOENT);
  int fd = openat(root_fd, p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = fd < 0 ? nullptr : fdopendir(fd);
  if (!d) return (void)fuse_reply_err(req, errno);
  std::vector<char> buf(size);
  size_t used = 0;
  off_t i = 0;
  struct dirent* de;
  while ((de = readdir(d))) {
    if (i++ < off) continue;
    struct stat st {};
    st.st_ino = 1;  // not looked up: the kernel asks LOOKUP when it needs it
    st.st_mode = (mode_t)DTTOIF(de->d_type);
    size_t want = fuse_add_direntry(req, buf.data() + used, size - used, de->d_name, &st, i);
    if (want > size - used) break;
    used += want;
  }
  closedir(d);
  fuse_reply_buf(req, buf.data(), used);
}

void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  (void)ino;
  if (!answer_open) return (void)fuse_reply_err(req, ENOSYS);
  fi->keep_cache = 1;
  fuse_reply_open(req, fi);
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info* fi) {
  (void)fi;
  std::string p = path_of(ino);
  int fd = p.empty() ? -1 : openat(root_fd, p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return (void)fuse_reply_err(req, p.empty() ? ENOENT : errno);
  if (splice_reply) {
    struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);
    bv.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    bv.buf[0].fd = fd;
    bv.buf[0].pos = off;
    fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
  } else {
    thread_local std::vector<char> buf;
    if (buf.size() < size) buf.resize(size);
    ssize_t n = pread(fd, buf.data(), size, off);
    if (n < 0)
      fuse_reply_err(req, errno);
    else
      fuse_reply_buf(req, buf.data(), static_cast<size_t>(n));
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  // Our flags out, libfuse's in; the last two non-options are DIR MOUNTPOINT.
  std::vector<char*> rest;
  const char* pos[2] = {nullptr, nullptr};
  int npos = 0;
  for (int i = 0; i < argc; i++) {
    if (i > 0 && strcmp(argv[i], "--splice") == 0) {
      splice_reply = true;
    } else if (i > 0 && strcmp(argv[i], "--open") == 0) {
      answer_open = true;
    } else if (i > 0 && strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
      rest.push_back(argv[i++]);
      rest.push_back(argv[i]);
    } else if (i > 0 && argv[i][0] != '-') {
      if (npos == 2) {
        fprintf(stderr, "usage: %s [--splice] [--open] [FUSE options] DIR MOUNTPOINT\n", argv[0]);
        return 2;
      }
      pos[npos++] = argv[i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (npos != 2) {
    fprintf(stderr, "usage: %s [--splice] [--open] [FUSE options] DIR MOUNTPOINT\n", argv[0]);
    return 2;
  }
  root_fd = open(pos[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    perror(pos[0]);
    return 1;
  }
  ino_of(".");  // FUSE_ROOT_ID == 1
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(rest.size()), rest.data());
  fuse_cmdline_opts opts;
  if (fuse_parse_cmdline(&args, &opts) != 0) return 2;
  fuse_opt_add_arg(&args, "-oro,subtype=passthrough-floor,fsname=floor");
  fuse_lowlevel_ops ops{};
  ops.init = op_init;
  ops.lookup = op_lookup;
  ops.getattr = op_getattr;
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.open = op_open;
  ops.read = op_read;
  fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, nullptr);
  if (!se || fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, pos[1]) != 0) return 1;
  fuse_daemonize(opts.foreground);
  int rc;
  if (opts.singlethread) {
    rc = fuse_session_loop(se);
  } else {
    fuse_loop_config* cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(cfg, 0);
    fuse_loop_cfg_set_max_threads(cfg, 16);
    rc = fuse_session_loop_mt(se, cfg);
    fuse_loop_cfg_destroy(cfg);
  }
  fuse_session_unmount(se);
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);
  return rc < 0 ? 1 : 0;
}
