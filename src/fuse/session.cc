// The daemon's life: session, mount, detach, confine, serve, unmount.
#include <fcntl.h>
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

#include "fuse/fuse_fs.h"
#include "fuse/ops.h"
#include "fuse/readahead.h"
#include "util/error.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

namespace ckptfs {

namespace {

// libfuse keeps its copy of the mount point until fuse_session_unmount(),
// which a confined daemon does not call (the auto_unmount watcher unmounts):
// that one string is libfuse's, not ours, and the leak check is told so.
bool mount_session(fuse_session* se, const std::string& mountpoint, bool unmounts_itself) {
#ifdef __SANITIZE_ADDRESS__
  if (!unmounts_itself) {
    __lsan::ScopedDisabler libfuse_keeps_it;
    return fuse_session_mount(se, mountpoint.c_str()) == 0;
  }
#endif
  (void)unmounts_itself;
  return fuse_session_mount(se, mountpoint.c_str()) == 0;
}

// libfuse reports problems through fuse_log(). While a session is made and
// mounted they are collected, to become the one line the user sees; once it
// serves they go to the daemon's log.
class LibfuseLog {
 public:
  static LibfuseLog& get() {
    static LibfuseLog l;
    return l;
  }
  void capture() {
    std::lock_guard lock(mu_);
    capturing_ = true;
    captured_.clear();
  }
  std::string release(LogSink sink) {
    std::lock_guard lock(mu_);
    capturing_ = false;
    sink_ = std::move(sink);
    return std::exchange(captured_, {});
  }
  // libfuse may build one line from several calls: a line ends at "\n".
  void say(fuse_log_level level, std::string_view text) {
    std::lock_guard lock(mu_);
    pending_ += text;
    if (!pending_.ends_with('\n')) return;
    std::string line = std::exchange(pending_, {});
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
    if (line.starts_with("fuse: ")) line.erase(0, 6);
    if (level > FUSE_LOG_ERR) {
      // Debug traces (-d) and notices: only ever wanted on the terminal.
      std::fprintf(stderr, "%s\n", line.c_str());
    } else if (capturing_) {
      captured_ += (captured_.empty() ? "" : "; ") + line;
    } else if (sink_) {
      sink_(line);
    }
  }

 private:
  LibfuseLog() { fuse_set_log_func(&LibfuseLog::hook); }
  static void hook(fuse_log_level level, const char* fmt, va_list ap) {
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    get().say(level, buf);
  }
  std::mutex mu_;
  bool capturing_ = false;
  std::string pending_, captured_;
  LogSink sink_;
};

std::string escape_opt(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == ',' || ch == '\\') o += '\\';
    o += ch;
  }
  return o;
}

std::vector<std::string> session_args(const MountOptions& opts) {
  std::string o = "ro,subtype=ckptfs,fsname=" + escape_opt(opts.fsname);
  bool allow_other = false;
  for (const auto& u : opts.fuse_opts) {
    o += "," + u;
    if (u == "allow_other") allow_other = true;
  }
  // Shared with other users, the kernel must enforce our owner-only modes.
  if (allow_other) o += ",default_permissions";
  // Archived device nodes (tmpfs dumps of /dev) are shown, never opened: an
  // untrusted checkpoint must not hand out the host's disks, even under -o dev.
  o += ",nodev,nosuid";
  std::vector<std::string> args = {"ckptfs", "-o", o};
  if (opts.debug) args.push_back("-d");
  return args;
}

// A fuse_session made from the options; nullptr and libfuse's complaint when
// it refuses them.
fuse_session* new_session(const MountOptions& opts, Context* c, std::string& why) {
  std::vector<std::string> argv_s = session_args(opts);
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  fuse_lowlevel_ops ops = make_ops();
  LibfuseLog::get().capture();
  fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, c);
  why = LibfuseLog::get().release(nullptr);
  fuse_opt_free_args(&args);
  return se;
}

// The parent half of detaching: it waits for the daemon's word, one byte,
// and exits with it. A daemon that dies before saying anything means failure:
// the parent never reports success for a mount that is not there.
class Detach {
 public:
  void fork_daemon() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) fail_errno("ckptfs", "cannot create a pipe");
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) fail_errno("ckptfs", "cannot fork");
    if (pid > 0) {
      ::close(p[1]);
      unsigned char status = 1;
      ssize_t n;
      do n = ::read(p[0], &status, 1);
      while (n < 0 && errno == EINTR);
      // _exit: this copy of the session must not unmount what the daemon serves.
      ::_exit(n == 1 ? status : 1);
    }
    ::close(p[0]);
    fd_ = p[1];
    ::setsid();
    if (::chdir("/") != 0) { /* "/" exists */
    }
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::close(null);
    }
  }
  // The mount answers: the user's command returns 0. stderr, which still is
  // the terminal the command runs in, is let go.
  void ready() {
    if (fd_ < 0) return;
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
      ::dup2(null, 2);
      ::close(null);
    }
    say(0);
  }
  void failed() { say(1); }

 private:
  void say(unsigned char status) {
    if (fd_ < 0) return;
    ssize_t n;
    do n = ::write(fd_, &status, 1);
    while (n < 0 && errno == EINTR);
    ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

// Threads of our own must leave SIGINT, SIGTERM and SIGHUP to the loop's
// threads: libfuse's handlers end the loop, but only a loop thread that the
// signal interrupts notices soon.
std::thread quiet_thread(std::function<void()> f) {
  sigset_t block, old;
  sigemptyset(&block);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&block, s);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  std::thread t(std::move(f));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return t;
}

}  // namespace

void check_fuse_options(const MountOptions& opts) {
  std::string why;
  fuse_session* se = new_session(opts, nullptr, why);
  if (!se)
    throw InputError(fmt::format("mount options: {}", why.empty() ? "refused by libfuse" : why));
  fuse_session_destroy(se);
}

namespace {

// Detached (unless in the foreground) and confined, serves until unmounted or
// signalled; the mount itself is the caller's to undo.
int serve(fuse_session* se, Context& c, const MountOptions& opts) {
  bool foreground = opts.foreground || opts.debug;
  Detach detach;
  try {
    if (!foreground) detach.fork_daemon();
    c.contain_links = !(opts.refuse_following_links && opts.refuse_following_links());
    if (opts.before_serving) opts.before_serving();
  } catch (const std::exception& e) {
    fmt::print(stderr, "ckptfs: {}\n", e.what());
    detach.failed();
    return 1;
  }
  // Problems found while serving: the terminal in the foreground, the chosen
  // log once detached.
  LogSink sink = foreground || !opts.log ? stderr_log() : opts.log;
  c.log = sink;
  // Detached, the mount is up when it answers: the kernel sends INIT first,
  // and libfuse may still refuse it there (a max_read it disagrees with); the
  // user's command returns only then. In the foreground nobody waits for us,
  // and a check of our own could race the user's first unmount (EBUSY): a
  // refused INIT ends the loop with an error and libfuse's line on stderr.
  std::atomic<bool> up = foreground;
  pthread_t loop_thread = ::pthread_self();
  if (!foreground) LibfuseLog::get().capture();
  std::thread ready;
  if (!foreground)
    ready = quiet_thread([&] {
      struct stat st {};
      int r = ::stat(opts.mountpoint.c_str(), &st);
      int err = errno;
      std::string lib = LibfuseLog::get().release(sink);
      if (r == 0 && st.st_ino == Tree::kRootIno) {
        up = true;
        if (!lib.empty()) sink(lib);
        detach.ready();
        return;
      }
      fmt::print(stderr, "ckptfs: {}: the mount did not come up: {}\n", opts.mountpoint,
                 !lib.empty() ? lib
                 : r == 0     ? "another file system answers there"
                              : std::strerror(err));
      detach.failed();
      fuse_session_exit(se);
      ::pthread_kill(loop_thread, SIGTERM);
    });
  std::atomic<bool> stopping = false;
  std::vector<std::thread> background;
  for (const auto& task : opts.background)
    background.push_back(quiet_thread([&c, &stopping, task] {
      try {
        task(stopping);
      } catch (const std::exception& e) {
        if (c.log) c.log(e.what());
      }
    }));
  int rc;
  if (opts.single_thread) {
    rc = fuse_session_loop(se) < 0 ? 1 : 0;
  } else {
    fuse_loop_config* cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(cfg, 0);
    fuse_loop_cfg_set_max_threads(cfg, 16);
    // A signal ends the loop with a positive value: a clean, requested exit.
    rc = fuse_session_loop_mt(se, cfg) < 0 ? 1 : 0;
    fuse_loop_cfg_destroy(cfg);
  }
  stopping = true;
  if (ready.joinable()) ready.join();
  c.se = nullptr;
  for (auto& t : background) t.join();
  return up ? rc : 1;
}

}  // namespace

int mount_and_serve(InodeSpace& space, const MountOptions& opts) {
  Context c;
  // init() must ask for the max_read the mount options set, or libfuse
  // refuses INIT (libfuse does not fill it in for us).
  for (const auto& o : opts.fuse_opts)
    if (o.starts_with("max_read="))
      c.max_read = static_cast<unsigned>(std::strtoul(o.c_str() + 9, nullptr, 10));
  c.space = &space;
  c.uid = ::getuid();
  c.gid = ::getgid();
  std::string why;
  fuse_session* se = new_session(opts, &c, why);
  if (!se) {
    fmt::print(stderr, "ckptfs: mount options: {}\n", why);
    return 1;
  }
  int rc = 1;
  if (fuse_set_signal_handlers(se) != 0) {
    fmt::print(stderr, "ckptfs: cannot set signal handlers\n");
  } else {
    LibfuseLog::get().capture();
    bool mounted = mount_session(se, opts.mountpoint, opts.unmount_on_exit);
    why = LibfuseLog::get().release(nullptr);
    if (!mounted) {
      fmt::print(stderr, "ckptfs: {}: cannot mount there: {}\n", opts.mountpoint,
                 why.empty() ? "refused" : why);
    } else {
      // Cold reads in READs of max_pages (1 MiB), not 128 KiB ones.
      std::string ra = widen_readahead(opts.mountpoint, kReadaheadKib);
      if (!ra.empty() && opts.debug) fmt::print(stderr, "ckptfs: readahead left as is: {}\n", ra);
      c.se = se;
      space.set_listener(&c);
      rc = serve(se, c, opts);
      space.set_listener(nullptr);
      if (opts.unmount_on_exit) fuse_session_unmount(se);
    }
    fuse_remove_signal_handlers(se);
  }
  fuse_session_destroy(se);
  return rc;
}

}  // namespace ckptfs
