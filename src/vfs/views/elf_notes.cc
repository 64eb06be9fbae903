#include "vfs/views/elf_notes.h"

#include <elf.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace ckptfs {

// The descriptors are the kernel's x86_64 structs, written with memcpy of
// native integers: that is only their byte order on a little-endian host.
static_assert(std::endian::native == std::endian::little,
              "ELF core notes assume a little-endian host");

namespace {

// x86_64 sizes and offsets of struct elf_prpsinfo / elf_prstatus
// (include/linux/elfcore.h with the x86_64 ELF_NGREG = 27).
constexpr size_t kPrpsinfoSize = 136, kPrstatusSize = 336, kPrRegOffset = 112, kNgreg = 27;
constexpr size_t kPrFnameSize = 16, kPrArgSize = 80;
constexpr size_t kFxsaveSize = 512, kXsaveHeaderOffset = 512, kYmmhOffset = 576;
constexpr size_t kXsaveAvxSize = kYmmhOffset + 256;
// Bytes 464..471 of the FXSAVE image: the kernel's ptrace / core ABI puts the
// XCR0 the note's layout follows there (asm/user.h), and gdb reads it back.
constexpr size_t kXcr0Offset = 464;
constexpr uint64_t kXfeatureX87 = 1, kXfeatureSse = 2, kXfeatureYmm = 4;

template <typename T>
void put(std::string& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}

template <typename Repeated>
void put_words(std::string& b, size_t off, const Repeated& words, size_t max_words) {
  size_t n = std::min<size_t>(static_cast<size_t>(words.size()), max_words);
  for (size_t i = 0; i < n; ++i) put(b, off + i * sizeof(words[0]), words[static_cast<int>(i)]);
}

const criu::thread_info_x86* regs(const Thread& t) {
  return t.core && t.core->has_thread_info() ? &t.core->thread_info() : nullptr;
}

const criu::thread_core_entry* thread_core(const Thread& t) {
  return t.core && t.core->has_thread_core() ? &t.core->thread_core() : nullptr;
}

// The kernel's fill_psinfo() indexes "RSDTZW" with the task state.
void put_state(std::string& b, TaskState s) {
  int8_t state = 6;  // past "RSDTZW": sname '.'
  char sname = '.';
  switch (s) {
    case TaskState::Alive:
      state = 0, sname = 'R';
      break;
    case TaskState::Stopped:
      state = 3, sname = 'T';
      break;
    case TaskState::Zombie:
      state = 4, sname = 'Z';
      break;
    case TaskState::Dead:
    case TaskState::Unknown:
      break;
  }
  put(b, 0, state);
  put(b, 1, sname);
  put<int8_t>(b, 2, sname == 'Z');
}

// Like fill_psinfo(): at most ELF_PRARGSZ - 1 bytes of argv with NULs as spaces.
std::string psargs(const Process& p) {
  if (!p.mm) return "";
  uint64_t start = p.mm->mm_arg_start(), end = p.mm->mm_arg_end();
  if (end <= start || start >= kUserAddressEnd) return "";
  uint64_t len = std::min<uint64_t>({end - start, kPrArgSize - 1, kUserAddressEnd - start});
  std::string s(len, '\0');
  try {
    p.memory.read(start, s.data(), s.size());
  } catch (const std::exception&) {
    // The notes are built when the core is first stat'ed: an unreadable pages
    // file must not hide the registers. The PT_LOAD that holds argv still
    // reports the error when it is read.
    return "";
  }
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

uint64_t pending_mask(const criu::signal_queue_entry& q) {
  uint64_t mask = 0;
  for (const auto& si : q.signals()) {
    int32_t signo = 0;
    if (si.siginfo().size() < sizeof signo) continue;
    std::memcpy(&signo, si.siginfo().data(), sizeof signo);
    if (signo >= 1 && signo <= 64) mask |= 1ull << (signo - 1);
  }
  return mask;
}

std::string fxsave(const criu::user_x86_fpregs_entry& f) {
  std::string b(kFxsaveSize, '\0');
  put(b, 0, static_cast<uint16_t>(f.cwd()));
  put(b, 2, static_cast<uint16_t>(f.swd()));
  put(b, 4, static_cast<uint16_t>(f.twd()));
  put(b, 6, static_cast<uint16_t>(f.fop()));
  put(b, 8, f.rip());
  put(b, 16, f.rdp());
  put(b, 24, f.mxcsr());
  put(b, 28, f.mxcsr_mask());
  put_words(b, 32, f.st_space(), 32);
  put_words(b, 160, f.xmm_space(), 64);
  put_words(b, 416, f.padding(), 24);
  return b;
}

}  // namespace

std::string elf_note(const char* name, uint32_t type, const std::string& desc) {
  auto pad4 = [](size_t n) { return (n + 3) & ~size_t{3}; };
  uint32_t namesz = static_cast<uint32_t>(std::strlen(name) + 1);
  std::string b(12 + pad4(namesz) + pad4(desc.size()), '\0');
  put(b, 0, namesz);
  put(b, 4, static_cast<uint32_t>(desc.size()));
  put(b, 8, type);
  std::memcpy(b.data() + 12, name, namesz - 1);
  std::memcpy(b.data() + 12 + pad4(namesz), desc.data(), desc.size());
  return b;
}

std::string prpsinfo_desc(const Process& p) {
  std::string b(kPrpsinfoSize, '\0');
  put_state(b, p.state);
  const Thread* leader = p.threads.empty() ? nullptr : &p.threads.front();
  const criu::thread_core_entry* tc = leader ? thread_core(*leader) : nullptr;
  if (tc) put(b, 3, static_cast<int8_t>(tc->sched_nice()));
  if (leader && leader->core && leader->core->has_tc())
    put<uint64_t>(b, 8, leader->core->tc().flags());
  if (tc && tc->has_creds()) {
    put(b, 16, tc->creds().uid());
    put(b, 20, tc->creds().gid());
  }
  put(b, 24, p.pid);
  put(b, 28, p.ppid);
  put(b, 32, p.pgid);
  put(b, 36, p.sid);
  std::memcpy(b.data() + 40, p.comm.data(), std::min(p.comm.size(), kPrFnameSize - 1));
  std::string args = psargs(p);
  std::memcpy(b.data() + 56, args.data(), args.size());
  return b;
}

std::string prstatus_desc(const Process& p, const Thread& t) {
  std::string b(kPrstatusSize, '\0');
  const criu::thread_core_entry* tc = thread_core(t);
  if (tc) put(b, 16, pending_mask(tc->signals_p()));
  // Older dumps keep the blocked mask only in the leader's task_core_entry.
  if (tc && tc->has_blk_sigset())
    put(b, 24, tc->blk_sigset());
  else if (t.core && t.core->has_tc())
    put<uint64_t>(b, 24, t.core->tc().blk_sigset());
  put(b, 32, t.tid);
  put(b, 36, p.ppid);
  put(b, 40, p.pgid);
  put(b, 44, p.sid);
  if (const criu::thread_info_x86* ti = regs(t)) {
    const criu::user_x86_regs_entry& r = ti->gpregs();
    // struct user_regs_struct order, which is also the proto's field order.
    const uint64_t reg[kNgreg] = {r.r15(),   r.r14(), r.r13(), r.r12(),     r.bp(),      r.bx(),
                                  r.r11(),   r.r10(), r.r9(),  r.r8(),      r.ax(),      r.cx(),
                                  r.dx(),    r.si(),  r.di(),  r.orig_ax(), r.ip(),      r.cs(),
                                  r.flags(), r.sp(),  r.ss(),  r.fs_base(), r.gs_base(), r.ds(),
                                  r.es(),    r.fs(),  r.gs()};
    std::memcpy(b.data() + kPrRegOffset, reg, sizeof reg);
    put<int32_t>(b, kPrRegOffset + sizeof reg, ti->has_fpregs() ? 1 : 0);
  }
  return b;
}

std::string fpregset_desc(const Thread& t) {
  const criu::thread_info_x86* ti = regs(t);
  if (!ti || !ti->has_fpregs()) return "";
  return fxsave(ti->fpregs());
}

// Only the legacy area, the header and YMM_Hi128 sit at architectural offsets;
// AVX-512, PKRU etc. move with the CPU (CPUID leaf 0xd). So the note claims
// XCR0 = x87|SSE|AVX and is exactly the 832-byte AVX layout gdb expects for
// that XCR0; later components are left out rather than placed by guesswork.
std::string xstate_desc(const Thread& t) {
  const criu::thread_info_x86* ti = regs(t);
  if (!ti || !ti->has_fpregs() || !ti->fpregs().has_xsave()) return "";
  const criu::user_x86_xsave_entry& x = ti->fpregs().xsave();
  // Without the YMM halves the note would say nothing NT_FPREGSET does not.
  if (x.ymmh_space_size() != 64) return "";
  constexpr uint64_t xcr0 = kXfeatureX87 | kXfeatureSse | kXfeatureYmm;
  std::string b = fxsave(ti->fpregs());
  b.resize(kXsaveAvxSize, '\0');
  put(b, kXcr0Offset, xcr0);
  put(b, kXsaveHeaderOffset, x.xstate_bv() & xcr0);
  put_words(b, kYmmhOffset, x.ymmh_space(), 64);
  return b;
}

std::string auxv_desc(const Process& p) {
  if (!p.mm) return "";
  std::string b;
  const auto& w = p.mm->mm_saved_auxv();
  for (int i = 0; i + 1 < w.size() && w[i] != AT_NULL; i += 2) {
    uint64_t pair[2] = {w[i], w[i + 1]};
    b.append(reinterpret_cast<const char*>(pair), sizeof pair);
  }
  // CRIU 4.2 leaves out the terminating pair; readers stop at AT_NULL.
  b.append(16, '\0');
  return b;
}

// The kernel lists every VMA with a vm_file: regular files, memfds, shared
// anonymous memory (/dev/zero) and SysV segments, named by d_path(), which
// carries " (deleted)" for unlinked files. Those are exactly the VMAs the
// model names with a path rather than a [bracket] or nothing.
std::string file_desc(const Process& p) {
  std::vector<const Vma*> files;
  for (const Vma& v : p.vmas)
    if (!v.path.empty() && v.path[0] != '[' && v.end <= kUserAddressEnd) files.push_back(&v);
  if (files.empty()) return "";
  std::string b((2 + 3 * files.size()) * sizeof(uint64_t), '\0');
  put<uint64_t>(b, 0, files.size());
  put<uint64_t>(b, 8, kPageSize);
  for (size_t i = 0; i < files.size(); ++i) {
    size_t off = 16 + i * 24;
    put(b, off, files[i]->start);
    put(b, off + 8, files[i]->end);
    put(b, off + 16, files[i]->pgoff / kPageSize);
  }
  for (const Vma* v : files) b.append(v->path.c_str(), v->path.size() + 1);
  return b;
}

std::string build_core_notes(const Process& p) {
  std::string out;
  auto add = [&out](const char* name, uint32_t type, const std::string& desc) {
    if (!desc.empty()) out += elf_note(name, type, desc);
  };
  bool first = true;
  for (const Thread& t : p.threads) {
    add("CORE", NT_PRSTATUS, prstatus_desc(p, t));
    if (first) {
      add("CORE", NT_PRPSINFO, prpsinfo_desc(p));
      add("CORE", NT_AUXV, auxv_desc(p));
      add("CORE", NT_FILE, file_desc(p));
    }
    add("CORE", NT_FPREGSET, fpregset_desc(t));
    add("LINUX", NT_X86_XSTATE, xstate_desc(t));
    first = false;
  }
  if (first) add("CORE", NT_PRPSINFO, prpsinfo_desc(p));
  return out;
}

}  // namespace ckptfs
