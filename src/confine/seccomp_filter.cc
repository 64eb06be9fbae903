#include "confine/seccomp_filter.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ckptfs {

namespace {

// What the filter does with a call: let it through, or fail it with an errno
// so that a library that merely tries degrades instead of taking the daemon
// down. Whatever is not listed kills the whole process (SCMP_ACT_KILL_PROCESS).
struct Rule {
  const char* name;
  int errno_value;  // 0: allowed
  const char* why;
};

// The allow-list: one line per call the serving daemon makes, and why.
// Paths are not checked here: Landlock decides which files open.
const Rule kRules[] = {
    // Serving: requests arrive on /dev/fuse, replies leave by write or splice.
    {"read", 0, "requests from /dev/fuse; checkpoint and cache files"},
    {"readv", 0, "libfuse reads a request into several buffers"},
    {"pread64", 0, "checkpoint, cache and spool files at an offset"},
    {"write", 0, "replies to /dev/fuse; the log; cache and spool files"},
    {"writev", 0, "libfuse replies (header + data)"},
    {"pwrite64", 0, "cache and spool files at an offset"},
    {"splice", 0, "libfuse replies from a file through a pipe (FUSE_CAP_SPLICE_WRITE)"},
    {"vmsplice", 0, "libfuse replies from memory through a pipe"},
    {"pipe2", 0, "libfuse's per-thread splice pipe"},
    {"poll", 0, "libfuse, and the collection's watcher, wait on fds"},
    {"ppoll", 0, "the same, as glibc may issue it"},
    {"eventfd2", 0, "wakes the collection's watcher when the daemon stops"},
    // Files: which ones is Landlock's to decide.
    {"openat", 0, "checkpoint image files (directory sources), cache and temp files"},
    {"open", 0, "the same, from code built for the old call"},
    {"close", 0, "every file opened"},
    {"close_range", 0, "glibc closes fd ranges"},
    {"dup", 0, "libraries duplicate descriptors they read"},
    {"dup3", 0, "the same"},
    {"lseek", 0, "libarchive and stdio seek in archives"},
    {"fstat", 0, "sizes of files read and written"},
    {"newfstatat", 0, "stat(2) as glibc issues it; the mount point checked as it comes up"},
    {"statx", 0, "the same, newer glibc"},
    {"fstatfs", 0, "free space of the cache's filesystem (cache_max default)"},
    {"statfs", 0, "the same by path"},
    {"getdents64", 0, "listing a collection directory and the cache"},
    {"fcntl", 0, "flags of descriptors (O_NONBLOCK, FD_CLOEXEC), pipe sizes"},
    {"ftruncate", 0, "sizing cache and spool files"},
    {"fallocate", 0, "reserving cache space before decompressing into it"},
    {"fsync", 0, "a cache entry reaches the disk before it is named"},
    {"fdatasync", 0, "the same"},
    {"sync_file_range", 0, "a cache entry written back while it is decompressed"},
    {"fadvise64", 0, "read-ahead hints on archives"},
    {"linkat", 0, "naming an unnamed (O_TMPFILE) cache entry"},
    {"renameat", 0, "moving a cache entry into place atomically"},
    {"renameat2", 0, "the same"},
    {"rename", 0, "the same, glibc's rename(3)"},
    {"unlinkat", 0, "removing stale cache entries and unnamed spools"},
    {"unlink", 0, "the same"},
    {"mkdirat", 0, "the cache directory"},
    {"mkdir", 0, "the same"},
    {"readlinkat", 0, "glibc and the sanitizers resolve /proc/self/exe"},
    {"readlink", 0, "the same"},
    {"faccessat2", 0, "access(2) checks"},
    {"faccessat", 0, "the same"},
    {"access", 0, "the same"},
    {"inotify_init1", 0, "the collection's watcher of its directory"},
    {"inotify_add_watch", 0, "the same"},
    {"inotify_rm_watch", 0, "the same"},
    {"sendto", 0, "syslog(3) on the /dev/log socket opened before confinement"},
    // Memory: executable mappings are refused below, by argument.
    {"brk", 0, "malloc"},
    {"munmap", 0, "malloc, thread stacks, mapped files"},
    {"mremap", 0, "realloc of large blocks"},
    {"madvise", 0, "malloc gives memory back"},
    {"mincore", 0, "the sanitizers check pages"},
    // Threads and their synchronisation.
    {"futex", 0, "mutexes, condition variables, joins"},
    {"set_robust_list", 0, "every new thread"},
    {"get_robust_list", 0, "the same"},
    {"rseq", 0, "every new thread (glibc 2.35+)"},
    {"sched_yield", 0, "spinning locks"},
    {"sched_getaffinity", 0, "std::thread::hardware_concurrency (page comparison threads)"},
    {"gettid", 0, "logging, thread identity"},
    {"getpid", 0, "the log's ckptfs[PID] prefix; raise(3)"},
    {"getppid", 0, "harmless identity"},
    {"tgkill", 0, "waking the loop thread (pthread_kill), raise(3)"},
    {"tkill", 0, "the same"},
    {"exit", 0, "a thread ends"},
    {"exit_group", 0, "the daemon ends"},
    {"restart_syscall", 0, "a call interrupted by a signal resumes"},
    // Signals: SIGTERM, SIGINT, SIGHUP unmount; SIGPIPE is ignored.
    {"rt_sigaction", 0, "libfuse installs and removes its handlers"},
    {"rt_sigprocmask", 0, "threads block the signals the loop handles"},
    {"rt_sigreturn", 0, "returning from a handler"},
    {"sigaltstack", 0, "glibc and the sanitizers' signal stacks"},
    // Time and identity.
    {"clock_gettime", 0, "timestamps (when the vDSO does not answer)"},
    {"clock_getres", 0, "the same"},
    {"gettimeofday", 0, "the same"},
    {"time", 0, "the same"},
    {"nanosleep", 0, "waits between polls"},
    {"clock_nanosleep", 0, "std::this_thread::sleep_for"},
    {"getrandom", 0, "hash seeds, temporary names"},
    {"getuid", 0, "libfuse compares the requester with the owner"},
    {"geteuid", 0, "the same"},
    {"getgid", 0, "the same"},
    {"getegid", 0, "the same"},
    {"uname", 0, "glibc checks the kernel version"},
    {"sysinfo", 0, "memory size"},
    {"getrusage", 0, "-d timing"},
    {"prlimit64", 0, "glibc reads the stack limit for new threads"},
    {"prctl", 0, "thread names, PR_SET_VMA, the sanitizers' own settings"},
    // Refused, with an error rather than death: the callers cope.
    {"clone3", ENOSYS, "glibc then creates threads with clone(2), whose flags can be checked"},
    {"socket", EACCES, "no network and no new sockets; libraries that try get an error"},
    {"socketpair", EACCES, "the same"},
    {"umount2", EPERM, "libfuse tries to unmount on a signal: the auto_unmount watcher does it"},
    {"ioctl", ENOTTY, "isatty(3) and friends; no device is driven from here"},
};

void add(scmp_filter_ctx ctx, const char* name, uint32_t action, unsigned count = 0,
         scmp_arg_cmp arg = {}) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return;  // not a call on this architecture
  int r = count ? seccomp_rule_add_exact(ctx, action, nr, 1, arg)
                : seccomp_rule_add_exact(ctx, action, nr, 0);
  if (r != 0)
    throw std::runtime_error(std::string("seccomp: cannot add a rule for ") + name + ": " +
                             std::strerror(-r));
}

}  // namespace

void load_seccomp_filter() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (!ctx) throw std::runtime_error("seccomp: cannot create a filter");
  try {
    for (const auto& r : kRules)
      add(ctx, r.name,
          r.errno_value ? SCMP_ACT_ERRNO(static_cast<uint32_t>(r.errno_value)) : SCMP_ACT_ALLOW);
    // Mappings: data, never code (no PROT_EXEC: nothing new becomes runnable;
    // a library that wants to load code gets EPERM).
    for (const char* name : {"mmap", "mprotect"}) {
      add(ctx, name, SCMP_ACT_ALLOW, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
      add(ctx, name, SCMP_ACT_ERRNO(EPERM), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
    }
    // clone(2): threads only (libfuse's workers, background tasks). A new
    // process gets EPERM: libfuse forks only to run fusermount3, whose work
    // the auto_unmount watcher does. The sanitizers' leak check at exit forks
    // a tracer of our threads: sanitized builds let it (see below).
#ifndef CKPTFS_SANITIZED
    add(ctx, "clone", SCMP_ACT_ALLOW, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    add(ctx, "clone", SCMP_ACT_ERRNO(EPERM), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
#else
    // LeakSanitizer at exit: a tracer (clone without CLONE_THREAD) attaches
    // to every thread with ptrace, lists /proc/self/task (with the old
    // getdents(2), not getdents64), waits. Test builds only.
    for (const char* name : {"clone", "ptrace", "wait4", "waitid", "kill", "getdents"})
      add(ctx, name, SCMP_ACT_ALLOW);
#endif
    int r = seccomp_load(ctx);
    if (r != 0) throw std::runtime_error(std::string("seccomp: ") + std::strerror(-r));
  } catch (...) {
    seccomp_release(ctx);
    throw;
  }
  seccomp_release(ctx);
}

}  // namespace ckptfs
