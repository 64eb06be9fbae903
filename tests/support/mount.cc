#include "support/mount.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace ckptfs::test {

bool is_mounted(const std::string& path) {
  // The kernel's own answer: mountinfo escapes spaces as \040, which a
  // parser has to get right (the CLI's once did not).
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), AT_NO_AUTOMOUNT, STATX_TYPE, &stx) != 0)
    return errno == ENOTCONN;  // a FUSE mount whose daemon is gone
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

bool wait_for_cache_entry(const std::string& dir) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().filename().string().ends_with(".ckptfs-cache")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

Mount::Mount(const std::vector<std::string>& checkpoints,
             const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {ckptfs_binary(), "-f"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  args.insert(args.end(), checkpoints.begin(), checkpoints.end());
  args.push_back(dir_.path());
  std::string logfile = logdir_.path() + "/log";
  // Each mount gets its own persisted cache: tests do not see each other's, nor
  // fill the user's ~/.cache. Tests of the cache pass -o cache=DIR.
  std::string cache = logdir_.path() + "/cache";
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setenv("XDG_CACHE_HOME", cache.c_str(), 1);
    std::freopen(logfile.c_str(), "w", stderr);
    std::freopen("/dev/null", "r", stdin);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (is_mounted(dir_.path())) {
      struct stat st {};
      if (::stat(dir_.path().c_str(), &st) == 0 && st.st_ino == 1) {
        mounted_ = true;
        return;
      }
    }
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream in(logfile);
      std::string all((std::istreambuf_iterator<char>(in)), {});
      throw std::runtime_error("ckptfs exited before mounting: " + all);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("ckptfs did not mount within 30 s");
}

bool Mount::unmount() {
  bool ok = true;
  if (mounted_) {
    ok = run("fusermount3 -u " + shell_quote(dir_.path())).status == 0;
    mounted_ = false;
  }
  if (pid_ > 0) {
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        ok = false;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    pid_ = -1;
  }
  try {
    log_ = read_file(logdir_.path() + "/log");
  } catch (...) {
  }
  return ok;
}

Mount::~Mount() {
  if (mounted_ || pid_ > 0) {
    if (!unmount() && is_mounted(dir_.path())) run("fusermount3 -u -z " + shell_quote(dir_.path()));
  }
}

}  // namespace ckptfs::test
