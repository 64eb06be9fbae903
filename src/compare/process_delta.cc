#include "compare/process_delta.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <algorithm>
#include <map>
#include <set>

#include "compare/keyed_changes.h"
#include "model/file_desc.h"
#include "model/process_args.h"
#include "model/socket_desc.h"

namespace ckptfs {

namespace {

// argv as a shell shows it: NULs between the words become spaces.
std::string words(const std::string& nul_separated) {
  std::string s = nul_separated;
  while (!s.empty() && s.back() == '\0') s.pop_back();
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

std::set<std::string> split_nul(const std::string& s) {
  std::set<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find('\0', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.insert(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Environments are sets of variables: what differs is the ones only on each
// side (a changed value is one of each), not two long strings.
void environ_field(std::vector<FieldChange>& out, const std::string& a, const std::string& b) {
  if (a == b) return;
  std::set<std::string> va = split_nul(a), vb = split_nul(b);
  std::string only_a, only_b;
  for (const auto& v : va)
    if (!vb.count(v)) only_a += (only_a.empty() ? "" : " ") + v;
  for (const auto& v : vb)
    if (!va.count(v)) only_b += (only_b.empty() ? "" : " ") + v;
  if (only_a.empty() && only_b.empty()) only_a = only_b = "(the same variables, in another order)";
  out.push_back({"environ", only_a, only_b});
}

const char* state_name(TaskState s) {
  switch (s) {
    case TaskState::Alive:
      return "alive";
    case TaskState::Stopped:
      return "stopped";
    case TaskState::Zombie:
      return "zombie";
    case TaskState::Dead:
      return "dead";
    case TaskState::Unknown:
      break;
  }
  return "unknown";
}

std::string cap_words(const google::protobuf::RepeatedField<uint32_t>& w) {
  uint64_t v = 0;
  for (int i = 0; i < w.size() && i < 2; ++i) v |= uint64_t{w[i]} << (32 * i);
  return fmt::format("{:016x}", v);
}

const criu::creds_entry* creds_of(const Thread& t) {
  return t.core && t.core->thread_core().has_creds() ? &t.core->thread_core().creds() : nullptr;
}

std::string creds_text(const criu::creds_entry* c) {
  if (!c) return "(not recorded)";
  std::string groups;
  for (uint32_t g : c->groups()) groups += fmt::format("{}{}", groups.empty() ? "" : ",", g);
  return fmt::format(
      "uid {}/{}/{}/{} gid {}/{}/{}/{} groups [{}] cap_inh {} cap_prm {} cap_eff {} cap_bnd {} "
      "cap_amb {} secbits {:#x} no_new_privs {}",
      c->uid(), c->euid(), c->suid(), c->fsuid(), c->gid(), c->egid(), c->sgid(), c->fsgid(),
      groups, cap_words(c->cap_inh()), cap_words(c->cap_prm()), cap_words(c->cap_eff()),
      cap_words(c->cap_bnd()), cap_words(c->cap_amb()), c->secbits(), c->no_new_privs());
}

std::string tids(const Process& p) {
  std::string s;
  for (const Thread& t : p.threads) s += fmt::format("{}{}", s.empty() ? "" : " ", t.tid);
  return s;
}

// Each general-purpose register that differs, by its name in the image.
void register_fields(std::vector<FieldChange>& out, const google::protobuf::Message& a,
                     const google::protobuf::Message& b) {
  const auto* desc = a.GetDescriptor();
  const auto* ra = a.GetReflection();
  const auto* rb = b.GetReflection();
  for (int i = 0; i < desc->field_count(); ++i) {
    const auto* f = desc->field(i);
    if (f->is_repeated()) continue;
    uint64_t x = 0, y = 0;
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_UINT64) {
      x = ra->GetUInt64(a, f);
      y = rb->GetUInt64(b, f);
    } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_UINT32) {
      x = ra->GetUInt32(a, f);
      y = rb->GetUInt32(b, f);
    } else {
      continue;
    }
    if (x != y) out.push_back({f->name(), fmt::format("{:#x}", x), fmt::format("{:#x}", y)});
  }
}

// FNV-1a: a short name for a blob of state, not a security measure.
std::string state_hash(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  return fmt::format("state #{:016x}", h);
}

Change thread_change(const Thread& a, const Thread& b) {
  Change c;
  c.key = fmt::format("thread {}", a.tid);
  c.a = a.comm;
  c.b = b.comm;
  field_change(c.fields, "comm", a.comm, b.comm);
  const criu::core_entry empty;
  const criu::core_entry& ca = a.core ? *a.core : empty;
  const criu::core_entry& cb = b.core ? *b.core : empty;
  register_fields(c.fields, ca.thread_info().gpregs(), cb.thread_info().gpregs());
  // The FPU/SSE/AVX state is ~1 KiB of registers: named by a hash of it.
  std::string fa = ca.thread_info().fpregs().SerializeAsString();
  std::string fb = cb.thread_info().fpregs().SerializeAsString();
  if (fa != fb) c.fields.push_back({"fpregs", state_hash(fa), state_hash(fb)});
  uint64_t sig_a =
      ca.thread_core().has_blk_sigset() ? ca.thread_core().blk_sigset() : ca.tc().blk_sigset();
  uint64_t sig_b =
      cb.thread_core().has_blk_sigset() ? cb.thread_core().blk_sigset() : cb.tc().blk_sigset();
  if (sig_a != sig_b)
    c.fields.push_back(
        {"blocked signals", fmt::format("{:016x}", sig_a), fmt::format("{:016x}", sig_b)});
  return c;
}

std::string mapping_text(const Vma& v) {
  return fmt::format("{:x}-{:x} {} {:08x} {}", v.start, v.end, v.perms(), v.pgoff,
                     v.path.empty() ? "[anon]" : v.path);
}

struct Fd {
  FileDescription desc;
  uint32_t type = 0;
};

struct Socket {
  SocketDesc desc;
  QueuedBytes queued;
  std::string owners;  // "fd 3, fd 7"
};

std::map<uint32_t, Fd> fds_of(const Side& s) {
  std::map<uint32_t, Fd> out;
  if (s.p)
    for (const FdEntry& fd : s.p->fds) out[fd.fd] = {describe_fd(s.c, fd), fd.type};
  return out;
}

// The sockets the process holds, by inode (by file id for packet sockets,
// which have none: "file <id>").
std::map<std::string, Socket> sockets_of(const Side& s) {
  std::map<std::string, Socket> out;
  if (!s.p) return out;
  std::map<uint32_t, std::string> names = unix_socket_names(s.c);
  for (const FdEntry& fd : s.p->fds) {
    auto f = s.c.files.find(fd.file_id);
    if (f == s.c.files.end()) continue;
    std::optional<SocketDesc> d = describe_socket(f->second, names);
    if (!d) continue;
    std::string key =
        d->ino ? fmt::format("socket:[{}]", d->ino) : fmt::format("file {}", f->first);
    Socket& sock = out[key];
    sock.owners += fmt::format("{}fd {}", sock.owners.empty() ? "" : ", ", fd.fd);
    sock.queued = queued_bytes(s.queued, f->first, *d);
    sock.desc = std::move(*d);
  }
  return out;
}

}  // namespace

ProcessSummary compare_process(uint32_t pid, const Side& a, const Side& b) {
  ProcessSummary s;
  s.pid = pid;
  s.in_a = a.p != nullptr;
  s.in_b = b.p != nullptr;
  s.comm = b.p ? b.p->comm : a.p ? a.p->comm : "";
  if (a.p && b.p) {
    const Process& pa = *a.p;
    const Process& pb = *b.p;
    field_change(s.fields, "comm", pa.comm, pb.comm);
    field_change(s.fields, "ppid", std::to_string(pa.ppid), std::to_string(pb.ppid));
    field_change(s.fields, "state", state_name(pa.state), state_name(pb.state));
    field_change(s.fields, "cmdline", words(read_cmdline(pa).bytes), words(read_cmdline(pb).bytes));
    environ_field(s.fields, read_environ(pa).bytes, read_environ(pb).bytes);
    field_change(s.fields, "threads", tids(pa), tids(pb));
    field_change(s.fields, "credentials",
                 creds_text(pa.threads.empty() ? nullptr : creds_of(pa.threads[0])),
                 creds_text(pb.threads.empty() ? nullptr : creds_of(pb.threads[0])));
    field_change(s.fields, "cwd", pa.cwd, pb.cwd);
    field_change(s.fields, "root", pa.root, pb.root);
    field_change(s.fields, "exe", pa.exe, pb.exe);
    field_change(s.fields, "umask", pa.umask ? fmt::format("{:04o}", *pa.umask) : "",
                 pb.umask ? fmt::format("{:04o}", *pb.umask) : "");
  }

  std::map<uint32_t, const Thread*> ta, tb;
  if (a.p)
    for (const Thread& t : a.p->threads) ta.emplace(t.tid, &t);
  if (b.p)
    for (const Thread& t : b.p->threads) tb.emplace(t.tid, &t);
  if (a.p && b.p)
    keyed_changes(
        s.threads, ta, tb, [](uint32_t tid) { return fmt::format("thread {}", tid); },
        [](const Thread* t) { return t->comm; },
        [](std::vector<FieldChange>& out, const Thread* x, const Thread* y) {
          out = thread_change(*x, *y).fields;
        });

  std::map<uint64_t, const Vma*> ma, mb;
  if (a.p)
    for (const Vma& v : a.p->vmas) ma.emplace(v.start, &v);
  if (b.p)
    for (const Vma& v : b.p->vmas) mb.emplace(v.start, &v);
  keyed_changes(
      s.mappings, ma, mb, [](uint64_t start) { return fmt::format("{:x}", start); },
      [](const Vma* v) { return mapping_text(*v); },
      [](std::vector<FieldChange>& out, const Vma* x, const Vma* y) {
        field_change(out, "end", fmt::format("{:x}", x->end), fmt::format("{:x}", y->end));
        field_change(out, "perms", x->perms(), y->perms());
        field_change(out, "offset", fmt::format("{:08x}", x->pgoff),
                     fmt::format("{:08x}", y->pgoff));
        field_change(out, "file", x->path, y->path);
      });

  keyed_changes(
      s.descriptors, fds_of(a), fds_of(b), [](uint32_t fd) { return fmt::format("fd {}", fd); },
      [](const Fd& f) { return f.desc.link; },
      [](std::vector<FieldChange>& out, const Fd& x, const Fd& y) {
        field_change(out, "target", x.desc.link, y.desc.link);
        field_change(out, "type", fd_type_name(x.type), fd_type_name(y.type));
        field_change(out, "pos", std::to_string(x.desc.pos), std::to_string(y.desc.pos));
        field_change(out, "flags", fmt::format("0{:o}", x.desc.flags),
                     fmt::format("0{:o}", y.desc.flags));
      });

  keyed_changes(
      s.sockets, sockets_of(a), sockets_of(b), [](const std::string& k) { return k; },
      [](const Socket& x) {
        return fmt::format("{} {} {} -> {} ({})", x.desc.netid, x.desc.state, x.desc.local,
                           x.desc.peer, x.owners);
      },
      [](std::vector<FieldChange>& out, const Socket& x, const Socket& y) {
        field_change(out, "netid", x.desc.netid, y.desc.netid);
        field_change(out, "state", x.desc.state, y.desc.state);
        field_change(out, "local", x.desc.local, y.desc.local);
        field_change(out, "peer", x.desc.peer, y.desc.peer);
        field_change(out, "recv-q", std::to_string(x.queued.recv), std::to_string(y.queued.recv));
        field_change(out, "send-q", std::to_string(x.queued.send), std::to_string(y.queued.send));
        field_change(out, "fds", x.owners, y.owners);
      });
  return s;
}

}  // namespace ckptfs
