#include "fuse/ops.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cfloat>
#include <climits>
#include <cstring>
#include <vector>

#include "fuse/readahead.h"
#include "vfs/contained_link.h"

namespace ckptfs {

namespace {

// What does not change while mounted may be cached for ever; a watched
// collection's changes are pushed to the kernel as they happen.
constexpr double kForever = DBL_MAX;

Context& ctx(fuse_req_t req) { return *static_cast<Context*>(fuse_req_userdata(req)); }

// The one place where exceptions become errno values. ino names the file
// whose content failed, so a second broken file in one directory is
// reported too.
template <typename F>
void guarded(fuse_req_t req, uint64_t ino, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    ctx(req).report(ino, e.what());
    fuse_reply_err(req, EIO);
  }
}

uint64_t content_size(const InodeRef& r) {
  uint64_t size = r.node->content->size();
  // A size off_t cannot hold (a damaged header claiming 2^64 bytes) would
  // show as negative: what is readable is the first 2^63 - 1 bytes.
  return std::min<uint64_t>(size, static_cast<uint64_t>(LLONG_MAX));
}

void fill_attr(const Context& c, const InodeRef& r, struct stat& st) {
  const Node& n = *r.node;
  std::memset(&st, 0, sizeof st);
  st.st_ino = r.ino;
  st.st_uid = c.uid;
  st.st_gid = c.gid;
  st.st_blksize = 4096;
  st.st_mtim.tv_sec = st.st_ctim.tv_sec = st.st_atim.tv_sec = n.mtime;
  st.st_nlink = r.nlink();
  switch (n.type) {
    case NodeType::Dir:
      st.st_mode = S_IFDIR | n.mode;
      break;
    case NodeType::File: {
      st.st_mode = S_IFREG | n.mode;
      uint64_t size = content_size(r);
      st.st_size = static_cast<off_t>(size);
      uint64_t allocated = std::min(n.content->allocated(), size);
      st.st_blocks = static_cast<blkcnt_t>((allocated + 511) / 512);
      break;
    }
    case NodeType::Symlink:
      st.st_mode = S_IFLNK | 0777;
      st.st_size = static_cast<off_t>(n.target.size());
      break;
    case NodeType::Special:
      st.st_mode = n.special | n.mode;
      st.st_rdev = static_cast<dev_t>(n.rdev);
      break;
  }
}

// What a dirent carries (inode number and type): never needs a size.
void dirent_attr(const InodeRef& r, struct stat& st) {
  st = {};
  st.st_ino = r.ino;
  switch (r.node->type) {
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
      st.st_mode = r.node->special;
      break;
  }
}

std::optional<InodeRef> ref_or_reply(fuse_req_t req, fuse_ino_t ino) {
  auto r = ctx(req).space->get(ino);
  if (!r) fuse_reply_err(req, ENOENT);
  return r;
}

void op_init(void* userdata, fuse_conn_info* conn) {
  auto* c = static_cast<Context*>(userdata);
  c->zero_message_open = conn->capable & FUSE_CAP_NO_OPEN_SUPPORT;
  // Not for directories: fusermount3's auto_unmount watcher unmounts a dead
  // daemon's mount only when opening its root fails with ENOTCONN, and an
  // opendir the kernel answers itself would succeed and keep the dead mount.
  c->zero_message_opendir = false;
  // libfuse aborts INIT when init() disagrees with -o max_read.
  conn->max_read = c->max_read;
  // The kernel keeps the smaller of this and the window its backing device
  // has when INIT is answered, which widen_readahead() has just raised (it
  // asked with the 128 KiB default): without this, the widening is undone.
  conn->max_readahead = kReadaheadKib * 1024;
  if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE;
  conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Context& c = ctx(req);
  // Where a contained link's walk stops, even if the checkpoint has a file
  // of that name (it is not listed either).
  if (c.contain_links && name == kNotFollowed) return (void)fuse_reply_err(req, ENOENT);
  std::optional<InodeRef> r;
  try {
    r = c.space->lookup(parent, name);
  } catch (const std::exception& e) {
    c.report(parent, e.what());
    return (void)fuse_reply_err(req, EIO);
  }
  if (!r) return (void)fuse_reply_err(req, ENOENT);
  guarded(req, r->ino, [&] {
    fuse_entry_param e{};
    e.ino = r->ino;
    e.attr_timeout = kForever;
    e.entry_timeout = kForever;
    fill_attr(c, *r, e.attr);
    fuse_reply_entry(req, &e);
  });
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  guarded(req, ino, [&] {
    auto r = ref_or_reply(req, ino);
    if (!r) return;
    struct stat st;
    fill_attr(ctx(req), *r, st);
    fuse_reply_attr(req, &st, kForever);
  });
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  auto r = ref_or_reply(req, ino);
  if (!r) return;
  if (r->node->type != NodeType::Symlink) return (void)fuse_reply_err(req, EINVAL);
  if (!ctx(req).contain_links) return (void)fuse_reply_readlink(req, r->node->target.c_str());
  fuse_reply_readlink(req, contained_link_target(r->node->target).c_str());
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto r = ref_or_reply(req, ino);
  if (!r) return;
  if (r->node->type != NodeType::Dir) return (void)fuse_reply_err(req, ENOTDIR);
  if (ctx(req).zero_message_opendir) return (void)fuse_reply_err(req, ENOSYS);
  fi->cache_readdir = 1;
  fi->keep_cache = 1;
  fuse_reply_open(req, fi);
}

// Entries are numbered: 0 ".", 1 "..", 2.. the listing; off is the next index.
void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
  guarded(req, ino, [&] {
    auto dir = ref_or_reply(req, ino);
    if (!dir) return;
    Context& c = ctx(req);
    std::string buf(size, '\0');
    size_t used = 0;
    auto add = [&](const char* name, const InodeRef& child, bool self_or_parent, size_t next) {
      size_t want;
      if (plus) {
        fuse_entry_param e{};
        // "." and ".." must not take a lookup reference: report them without
        // ino. Nor does a file whose size would have to be rendered first: ino
        // 0 tells the kernel to look it up only when someone stats it.
        bool sized = child.node->type != NodeType::File || child.node->content->size_known();
        if (!self_or_parent && sized) {
          e.ino = child.ino;
          e.attr_timeout = kForever;
          e.entry_timeout = kForever;
          fill_attr(c, child, e.attr);
        } else {
          dirent_attr(child, e.attr);
        }
        want = fuse_add_direntry_plus(req, buf.data() + used, size - used, name, &e,
                                      static_cast<off_t>(next));
      } else {
        struct stat st;
        dirent_attr(child, st);
        want = fuse_add_direntry(req, buf.data() + used, size - used, name, &st,
                                 static_cast<off_t>(next));
      }
      if (want > size - used) return false;
      used += want;
      return true;
    };
    size_t i = static_cast<size_t>(off);
    bool room = true;
    if (i == 0) room = add(".", *dir, true, ++i);
    if (room && i == 1) {
      auto parent = c.space->get(dir->parent);
      room = add("..", parent ? *parent : *dir, true, ++i);
    }
    if (room)
      c.space->list(ino, i - 2, [&](const std::string& name, const InodeRef& child) {
        if (c.contain_links && name == kNotFollowed) return ++i, true;
        return add(name.c_str(), child, false, ++i);
      });
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
  auto r = ref_or_reply(req, ino);
  if (!r) return;
  if (r->node->type == NodeType::Dir) return (void)fuse_reply_err(req, EISDIR);
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
    auto r = ref_or_reply(req, ino);
    if (!r) return;
    if (r->node->type != NodeType::File) return (void)fuse_reply_err(req, EISDIR);
    // A short reply inside st_size reads as EOF to the kernel: Content::read
    // always fills up to min(size, st_size - off).
    // One buffer per loop thread: reads of up to max_pages (1 MiB) would
    // otherwise be a fresh mmap, and 256 page faults, each.
    thread_local std::vector<char> buf;
    if (buf.size() < size) buf.resize(size);
    size_t got = r->node->content->read(buf.data(), size, static_cast<uint64_t>(off));
    fuse_reply_buf(req, buf.data(), got);
  });
}

void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info*) {
  guarded(req, ino, [&] {
    auto r = ref_or_reply(req, ino);
    if (!r) return;
    if (r->node->type != NodeType::File) return (void)fuse_reply_err(req, EINVAL);
    if (off < 0) return (void)fuse_reply_err(req, ENXIO);
    uint64_t o = static_cast<uint64_t>(off);
    const Content& content = *r->node->content;
    uint64_t size = content_size(*r);
    if (whence == SEEK_DATA) {
      auto d = o < size ? content.seek_data(o) : std::nullopt;
      if (!d || *d >= size) return (void)fuse_reply_err(req, ENXIO);
      return (void)fuse_reply_lseek(req, static_cast<off_t>(*d));
    }
    if (whence == SEEK_HOLE) {
      if (o >= size) return (void)fuse_reply_err(req, ENXIO);
      return (void)fuse_reply_lseek(req, static_cast<off_t>(std::min(content.seek_hole(o), size)));
    }
    fuse_reply_err(req, EINVAL);
  });
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
  struct statvfs s {};
  s.f_bsize = 4096;
  s.f_frsize = 4096;
  s.f_files = ctx(req).space->size();
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

}  // namespace

void Context::report(uint64_t ino, const std::string& what) {
  {
    std::lock_guard lock(log_mu_);
    if (!logged_.insert(ino).second) return;
  }
  if (log) log(fmt::format("inode {}: {}", ino, what));
}

void Context::entry_gone(uint64_t dir, const std::string& name) {
  if (fuse_session* s = se.load())
    fuse_lowlevel_notify_inval_entry(s, dir, name.c_str(), name.size());
}

void Context::changed(uint64_t ino) {
  if (fuse_session* s = se.load()) fuse_lowlevel_notify_inval_inode(s, ino, 0, 0);
}

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

}  // namespace ckptfs
