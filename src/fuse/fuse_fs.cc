#define FUSE_USE_VERSION 314
#include "fuse/fuse_fs.h"

#include <fmt/format.h>
#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cfloat>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "util/error.h"

namespace ckptfs {

namespace {

// The checkpoint never changes while mounted: let the kernel cache forever.
constexpr double kForever = DBL_MAX;

struct Context {
  const Tree* tree = nullptr;
  uid_t uid = 0;
  gid_t gid = 0;
  // The kernel can open files and directories without asking us (with
  // keep_cache and cached readdir, the defaults it then uses): saves two
  // round trips per file for cat, grep -r and yara -r over many small files.
  bool zero_message_open = false;
  bool zero_message_opendir = false;
  std::mutex log_mu;
  std::set<uint64_t> logged;  // report a broken file once, not per read
};

Context& ctx(fuse_req_t req) { return *static_cast<Context*>(fuse_req_userdata(req)); }

// The one place where exceptions become errno values.
template <typename F>
void guarded(fuse_req_t req, uint64_t ino, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    Context& c = ctx(req);
    {
      std::lock_guard lock(c.log_mu);
      if (c.logged.insert(ino).second) fmt::print(stderr, "ckptfs: inode {}: {}\n", ino, e.what());
    }
    fuse_reply_err(req, EIO);
  }
}

void fill_attr(const Context& c, const Node& n, struct stat& st) {
  std::memset(&st, 0, sizeof st);
  st.st_ino = n.ino;
  st.st_uid = c.uid;
  st.st_gid = c.gid;
  st.st_blksize = 4096;
  st.st_mtim.tv_sec = st.st_ctim.tv_sec = st.st_atim.tv_sec = n.mtime;
  switch (n.type) {
    case NodeType::Dir: {
      st.st_mode = S_IFDIR | n.mode;
      nlink_t subdirs = 0;
      for (const auto& [name, ino] : n.children)
        if (c.tree->get(ino)->type == NodeType::Dir) ++subdirs;
      st.st_nlink = 2 + subdirs;
      break;
    }
    case NodeType::File:
      st.st_mode = S_IFREG | n.mode;
      st.st_nlink = 1;
      st.st_size = static_cast<off_t>(n.content->size());
      st.st_blocks = static_cast<blkcnt_t>((n.content->allocated() + 511) / 512);
      break;
    case NodeType::Symlink:
      st.st_mode = S_IFLNK | 0777;
      st.st_nlink = 1;
      st.st_size = static_cast<off_t>(n.target.size());
      break;
    case NodeType::Special:
      st.st_mode = n.special | n.mode;
      st.st_nlink = 1;
      st.st_rdev = static_cast<dev_t>(n.rdev);
      break;
  }
}

// What a dirent carries (inode number and type): never needs a size.
void dirent_attr(const Node& n, struct stat& st) {
  st = {};
  st.st_ino = n.ino;
  switch (n.type) {
    case NodeType::Dir:
      st.st_mode = S_IFDIR;
      break;
    case NodeType::File:
      st.st_mode = S_IFREG;
      break;
    case NodeType::Symlink:
      st.st_mode = S_IFLNK;
      break;
    case NodeType::Special:
      st.st_mode = n.special;
      break;
  }
}

const Node* node_or_reply(fuse_req_t req, fuse_ino_t ino) {
  const Node* n = ctx(req).tree->get(ino);
  if (!n) fuse_reply_err(req, ENOENT);
  return n;
}

void op_init(void* userdata, fuse_conn_info* conn) {
  auto* c = static_cast<Context*>(userdata);
  c->zero_message_open = conn->capable & FUSE_CAP_NO_OPEN_SUPPORT;
  c->zero_message_opendir = conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT;
  // Large reads: mem and the per-VMA files are read in big sequential runs.
  conn->max_read = 0;
  if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE;
  conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  guarded(req, parent, [&] {
    const Node* n = ctx(req).tree->lookup(parent, name);
    if (!n) return (void)fuse_reply_err(req, ENOENT);
    fuse_entry_param e{};
    e.ino = n->ino;
    e.attr_timeout = kForever;
    e.entry_timeout = kForever;
    fill_attr(ctx(req), *n, e.attr);
    fuse_reply_entry(req, &e);
  });
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  guarded(req, ino, [&] {
    const Node* n = node_or_reply(req, ino);
    if (!n) return;
    struct stat st;
    fill_attr(ctx(req), *n, st);
    fuse_reply_attr(req, &st, kForever);
  });
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  const Node* n = node_or_reply(req, ino);
  if (!n) return;
  if (n->type != NodeType::Symlink) return (void)fuse_reply_err(req, EINVAL);
  fuse_reply_readlink(req, n->target.c_str());
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  const Node* n = node_or_reply(req, ino);
  if (!n) return;
  if (n->type != NodeType::Dir) return (void)fuse_reply_err(req, ENOTDIR);
  if (ctx(req).zero_message_opendir) return (void)fuse_reply_err(req, ENOSYS);
  fi->cache_readdir = 1;
  fi->keep_cache = 1;
  fuse_reply_open(req, fi);
}

// Entries are numbered: 0 ".", 1 "..", 2.. the children; off is the next index.
void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
  guarded(req, ino, [&] {
    const Node* n = node_or_reply(req, ino);
    if (!n) return;
    Context& c = ctx(req);
    std::string buf(size, '\0');
    size_t used = 0;
    size_t total = n->children.size() + 2;
    for (size_t i = static_cast<size_t>(off); i < total; ++i) {
      const Node* child;
      const char* name;
      if (i == 0) {
        child = n, name = ".";
      } else if (i == 1) {
        child = c.tree->get(n->parent), name = "..";
      } else {
        child = c.tree->get(n->children[i - 2].second);
        name = n->children[i - 2].first.c_str();
      }
      size_t want;
      if (plus) {
        fuse_entry_param e{};
        // "." and ".." must not take a lookup reference: report them without
        // ino. Nor does a file whose size would have to be rendered first: ino
        // 0 tells the kernel to look it up only when someone stats it.
        bool sized = child->type != NodeType::File || child->content->size_known();
        if (i >= 2 && sized) {
          e.ino = child->ino;
          e.attr_timeout = kForever;
          e.entry_timeout = kForever;
          fill_attr(c, *child, e.attr);
        } else {
          dirent_attr(*child, e.attr);
        }
        want = fuse_add_direntry_plus(req, buf.data() + used, size - used, name, &e,
                                      static_cast<off_t>(i + 1));
      } else {
        struct stat st;
        dirent_attr(*child, st);
        want = fuse_add_direntry(req, buf.data() + used, size - used, name, &st,
                                 static_cast<off_t>(i + 1));
      }
      if (want > size - used) break;
      used += want;
    }
    fuse_reply_buf(req, buf.data(), used);
  });
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  readdir_common(req, ino, size, off, false);
}
void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  readdir_common(req, ino, size, off, true);
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  const Node* n = node_or_reply(req, ino);
  if (!n) return;
  if (n->type == NodeType::Dir) return (void)fuse_reply_err(req, EISDIR);
  if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
    return (void)fuse_reply_err(req, EROFS);
  // The mount is read-only, so the kernel refuses writable opens itself once
  // it stops asking (the check above covers the first open).
  if (ctx(req).zero_message_open) return (void)fuse_reply_err(req, ENOSYS);
  fi->keep_cache = 1;
  fuse_reply_open(req, fi);
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  guarded(req, ino, [&] {
    const Node* n = node_or_reply(req, ino);
    if (!n) return;
    if (n->type != NodeType::File) return (void)fuse_reply_err(req, EISDIR);
    // A short reply inside st_size reads as EOF to the kernel: Content::read
    // always fills up to min(size, st_size - off).
    // One buffer per loop thread: reads of up to max_pages (1 MiB) would
    // otherwise be a fresh mmap, and 256 page faults, each.
    thread_local std::vector<char> buf;
    if (buf.size() < size) buf.resize(size);
    size_t got = n->content->read(buf.data(), size, static_cast<uint64_t>(off));
    fuse_reply_buf(req, buf.data(), got);
  });
}

void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info*) {
  guarded(req, ino, [&] {
    const Node* n = node_or_reply(req, ino);
    if (!n) return;
    if (n->type != NodeType::File) return (void)fuse_reply_err(req, EINVAL);
    if (off < 0) return (void)fuse_reply_err(req, ENXIO);
    uint64_t o = static_cast<uint64_t>(off);
    const Content& c = *n->content;
    if (whence == SEEK_DATA) {
      auto d = c.seek_data(o);
      if (!d) return (void)fuse_reply_err(req, ENXIO);
      return (void)fuse_reply_lseek(req, static_cast<off_t>(*d));
    }
    if (whence == SEEK_HOLE) {
      if (o >= c.size()) return (void)fuse_reply_err(req, ENXIO);
      return (void)fuse_reply_lseek(req, static_cast<off_t>(c.seek_hole(o)));
    }
    fuse_reply_err(req, EINVAL);
  });
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
  struct statvfs s {};
  s.f_bsize = 4096;
  s.f_frsize = 4096;
  s.f_files = ctx(req).tree->size();
  s.f_namemax = 255;
  s.f_flag = ST_RDONLY;
  fuse_reply_statfs(req, &s);
}

void op_getxattr(fuse_req_t req, fuse_ino_t, const char*, size_t) { fuse_reply_err(req, ENODATA); }
void op_listxattr(fuse_req_t req, fuse_ino_t, size_t size) {
  if (size == 0) return (void)fuse_reply_xattr(req, 0);
  fuse_reply_buf(req, nullptr, 0);
}

// Every mutation: the checkpoint is evidence and stays as it is.
void erofs(fuse_req_t req) { fuse_reply_err(req, EROFS); }
void op_setattr(fuse_req_t req, fuse_ino_t, struct stat*, int, fuse_file_info*) { erofs(req); }
void op_mknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) { erofs(req); }
void op_mkdir(fuse_req_t req, fuse_ino_t, const char*, mode_t) { erofs(req); }
void op_unlink(fuse_req_t req, fuse_ino_t, const char*) { erofs(req); }
void op_symlink(fuse_req_t req, const char*, fuse_ino_t, const char*) { erofs(req); }
void op_rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned) {
  erofs(req);
}
void op_link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) { erofs(req); }
void op_write(fuse_req_t req, fuse_ino_t, const char*, size_t, off_t, fuse_file_info*) {
  erofs(req);
}
void op_create(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) { erofs(req); }
void op_setxattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) { erofs(req); }
void op_removexattr(fuse_req_t req, fuse_ino_t, const char*) { erofs(req); }
void op_fallocate(fuse_req_t req, fuse_ino_t, int, off_t, off_t, fuse_file_info*) { erofs(req); }

fuse_lowlevel_ops make_ops() {
  fuse_lowlevel_ops ops{};
  ops.init = op_init;
  ops.lookup = op_lookup;
  ops.getattr = op_getattr;
  ops.readlink = op_readlink;
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.readdirplus = op_readdirplus;
  ops.open = op_open;
  ops.read = op_read;
  ops.lseek = op_lseek;
  ops.statfs = op_statfs;
  ops.getxattr = op_getxattr;
  ops.listxattr = op_listxattr;
  ops.setattr = op_setattr;
  ops.mknod = op_mknod;
  ops.mkdir = op_mkdir;
  ops.unlink = op_unlink;
  ops.rmdir = op_unlink;
  ops.symlink = op_symlink;
  ops.rename = op_rename;
  ops.link = op_link;
  ops.write = op_write;
  ops.create = op_create;
  ops.setxattr = op_setxattr;
  ops.removexattr = op_removexattr;
  ops.fallocate = op_fallocate;
  return ops;
}

std::string escape_opt(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == ',' || ch == '\\') o += '\\';
    o += ch;
  }
  return o;
}

}  // namespace

int mount_and_serve(const Tree& tree, const MountOptions& opts) {
  Context c;
  c.tree = &tree;
  c.uid = ::getuid();
  c.gid = ::getgid();
  std::string o = "ro,subtype=ckptfs,fsname=" + escape_opt(opts.fsname);
  bool allow_other = false;
  for (const auto& u : opts.fuse_opts) {
    o += "," + u;
    if (u.find("allow_other") != std::string::npos) allow_other = true;
  }
  // Shared with other users, the kernel must enforce our owner-only modes.
  if (allow_other) o += ",default_permissions";
  // Archived device nodes (tmpfs dumps of /dev) are shown, never opened: an
  // untrusted checkpoint must not hand out the host's disks, even under -o dev.
  o += ",nodev,nosuid";

  std::vector<std::string> argv_s = {"ckptfs", "-o", o};
  if (opts.debug) argv_s.push_back("-d");
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());

  fuse_lowlevel_ops ops = make_ops();
  fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, &c);
  if (!se) {
    fmt::print(stderr, "ckptfs: {}: invalid mount options\n", o);
    return 1;
  }
  int rc = 1;
  if (fuse_set_signal_handlers(se) == 0) {
    if (fuse_session_mount(se, opts.mountpoint.c_str()) == 0) {
      fuse_daemonize(opts.foreground || opts.debug ? 1 : 0);
      std::thread background;
      if (!opts.background.empty())
        background = std::thread([&opts] {
          for (const auto& task : opts.background) {
            try {
              task();
            } catch (const std::exception& e) {
              if (opts.debug) fmt::print(stderr, "ckptfs: {}\n", e.what());
            }
          }
        });
      fuse_loop_config* cfg = fuse_loop_cfg_create();
      fuse_loop_cfg_set_clone_fd(cfg, 0);
      fuse_loop_cfg_set_max_threads(cfg, 16);
      // A signal ends the loop with a positive value: a clean, requested exit.
      rc = fuse_session_loop_mt(se, cfg) < 0 ? 1 : 0;
      fuse_loop_cfg_destroy(cfg);
      fuse_session_unmount(se);
      if (background.joinable()) background.join();
    } else {
      fmt::print(stderr, "ckptfs: {}: cannot mount there\n", opts.mountpoint);
    }
    fuse_remove_signal_handlers(se);
  }
  fuse_session_destroy(se);
  fuse_opt_free_args(&args);
  return rc;
}

}  // namespace ckptfs
