#include "vfs/views/proc_status.h"

#include <fmt/format.h>

#include "model/process_args.h"

namespace ckptfs {

std::string state_text(TaskState s) {
  switch (s) {
    // A frozen task was running or sleeping; CRIU does not say which.
    case TaskState::Alive:
      return "S (sleeping)";
    case TaskState::Stopped:
      return "T (stopped)";
    case TaskState::Zombie:
      return "Z (zombie)";
    case TaskState::Dead:
      return "X (dead)";
    case TaskState::Unknown:
      break;
  }
  return "? (unknown)";
}

namespace {

uint64_t caps(const google::protobuf::RepeatedField<uint32_t>& words) {
  uint64_t v = 0;
  for (int i = 0; i < words.size() && i < 2; ++i) v |= uint64_t{words[i]} << (32 * i);
  return v;
}

const criu::creds_entry* creds_of(const Process& p, const Thread& t) {
  if (t.core && t.core->thread_core().has_creds()) return &t.core->thread_core().creds();
  if (!p.threads.empty() && p.threads[0].core && p.threads[0].core->thread_core().has_creds())
    return &p.threads[0].core->thread_core().creds();
  return nullptr;
}

}  // namespace

std::string render_status(const Checkpoint& c, const Process& p, const Thread& t) {
  std::string o;
  auto line = [&o](std::string_view k, const std::string& v) {
    o += fmt::format("{}:\t{}\n", k, v);
  };
  const criu::core_entry* leader =
      p.threads.empty() || !p.threads[0].core ? nullptr : p.threads[0].core.get();
  line("Name", t.comm);
  if (p.umask) line("Umask", fmt::format("{:04o}", *p.umask));
  line("State", state_text(p.state));
  line("Tgid", std::to_string(p.pid));
  line("Pid", std::to_string(t.tid));
  line("PPid", std::to_string(p.ppid));
  if (const criu::creds_entry* cr = creds_of(p, t)) {
    line("Uid", fmt::format("{}\t{}\t{}\t{}", cr->uid(), cr->euid(), cr->suid(), cr->fsuid()));
    line("Gid", fmt::format("{}\t{}\t{}\t{}", cr->gid(), cr->egid(), cr->sgid(), cr->fsgid()));
    std::string groups;
    for (uint32_t g : cr->groups()) groups += fmt::format("{} ", g);
    line("Groups", groups);
  }
  line("NSpgid", std::to_string(p.pgid));
  line("NSsid", std::to_string(p.sid));
  if (p.mm) {
    uint64_t vm = 0;
    for (const Vma& v : p.vmas)
      if (v.kind != VmaKind::Vsyscall) vm += v.size();
    line("VmSize", fmt::format("{:8} kB", vm / 1024));
  }
  line("Threads", std::to_string(p.threads.size()));
  if (leader && leader->has_tc()) {
    uint64_t blk = leader->tc().blk_sigset();
    if (t.core && t.core->thread_core().has_blk_sigset()) blk = t.core->thread_core().blk_sigset();
    uint64_t ign = 0, cgt = 0;
    // sigactions skip SIGKILL (9) and SIGSTOP (19): map the index back to the signal.
    int sig = 1;
    for (const auto& sa : leader->tc().sigactions()) {
      while (sig == 9 || sig == 19) ++sig;
      if (sig > 64) break;
      if (sa.sigaction() == 1)
        ign |= uint64_t{1} << (sig - 1);
      else if (sa.sigaction() > 1)
        cgt |= uint64_t{1} << (sig - 1);
      ++sig;
    }
    line("SigBlk", fmt::format("{:016x}", blk));
    line("SigIgn", fmt::format("{:016x}", ign));
    line("SigCgt", fmt::format("{:016x}", cgt));
  }
  if (const criu::creds_entry* cr = creds_of(p, t)) {
    line("CapInh", fmt::format("{:016x}", caps(cr->cap_inh())));
    line("CapPrm", fmt::format("{:016x}", caps(cr->cap_prm())));
    line("CapEff", fmt::format("{:016x}", caps(cr->cap_eff())));
    line("CapBnd", fmt::format("{:016x}", caps(cr->cap_bnd())));
    line("CapAmb", fmt::format("{:016x}", caps(cr->cap_amb())));
    line("NoNewPrivs", std::to_string(cr->no_new_privs()));
  }
  // Only thread-group leaders carry the seccomp mode (format doc §5.6).
  if (leader) line("Seccomp", std::to_string(leader->thread_core().seccomp_mode()));
  if (p.state == TaskState::Zombie) line("ExitCode", std::to_string(p.exit_code));
  // Not a kernel field: where cmdline/environ came from, when not from memory.
  ProcessText cmd = read_cmdline(p);
  if (!cmd.from_memory) {
    bool spec = p.pid == c.root_pid && !c.info.spec_args.empty();
    line("Cmdline_source",
         spec ? "spec.dump process.args (" + cmd.note + ")" : "none (" + cmd.note + ")");
  }
  return o;
}

std::string render_regs(const Thread& t) {
  if (!t.core || !t.core->has_thread_info()) return "";
  const criu::user_x86_regs_entry& r = t.core->thread_info().gpregs();
  std::string o;
  auto reg = [&o](const char* n, uint64_t v) { o += fmt::format("{:<8} 0x{:016x}\n", n, v); };
  reg("rax", r.ax());
  reg("rbx", r.bx());
  reg("rcx", r.cx());
  reg("rdx", r.dx());
  reg("rsi", r.si());
  reg("rdi", r.di());
  reg("rbp", r.bp());
  reg("rsp", r.sp());
  reg("r8", r.r8());
  reg("r9", r.r9());
  reg("r10", r.r10());
  reg("r11", r.r11());
  reg("r12", r.r12());
  reg("r13", r.r13());
  reg("r14", r.r14());
  reg("r15", r.r15());
  reg("rip", r.ip());
  reg("eflags", r.flags());
  reg("cs", r.cs());
  reg("ss", r.ss());
  reg("ds", r.ds());
  reg("es", r.es());
  reg("fs", r.fs());
  reg("gs", r.gs());
  reg("fs_base", r.fs_base());
  reg("gs_base", r.gs_base());
  reg("orig_rax", r.orig_ax());
  return o;
}

}  // namespace ckptfs
