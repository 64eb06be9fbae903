#include "support/rejected.h"

#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ckptfs::test {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

namespace fs = std::filesystem;

CommandResult run_ckptfs(const std::vector<std::string>& args, const std::string& cwd) {
  std::string cmd = cwd.empty() ? "" : "cd " + shell_quote(cwd) + " && ";
  cmd += "timeout 30 " + shell_quote(ckptfs_binary());
  for (const auto& a : args) cmd += " " + shell_quote(a);
  return run(cmd);
}

// How many mounts sit exactly at path (is_mounted() only says whether any do).
int mount_count(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string field;
    for (int k = 0; k < 5; ++k) f >> field;
    if (field == path) ++n;
  }
  return n;
}

// Pids of live ckptfs processes (ours: argv[0] is the binary under test) with
// path among their arguments. Zombies have an empty cmdline and do not count.
std::vector<pid_t> ckptfs_processes_for(const std::string& path) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), {});
    std::vector<std::string> argv;
    for (size_t i = 0; i < all.size();) {
      size_t j = all.find('\0', i);
      if (j == std::string::npos) j = all.size();
      argv.push_back(all.substr(i, j - i));
      i = j + 1;
    }
    if (argv.empty() || argv[0] != ckptfs_binary()) continue;
    if (std::find(argv.begin() + 1, argv.end(), path) != argv.end())
      out.push_back(std::atoi(e->d_name));
  }
  ::closedir(d);
  return out;
}

::testing::AssertionResult Rejected(const CommandResult& r, const std::string& mountpoint,
                                    const std::vector<std::string>& names,
                                    const std::vector<std::string>& problem) {
  auto fail = [&](const std::string& why) {
    return ::testing::AssertionFailure() << why << "\n  status: " << r.status << "\n  stderr: ["
                                         << r.err << "]\n  stdout: [" << r.out << "]";
  };
  if (r.status == 124) return fail("ckptfs hung (killed by timeout 30)");
  if (r.status > 128) return fail("ckptfs crashed (signal " + std::to_string(r.status - 128) + ")");
  if (r.status != 1) return fail("exit status is not 1");
  if (std::count(r.err.begin(), r.err.end(), '\n') != 1 || !r.err.ends_with('\n'))
    return fail("stderr is not exactly one line");
  if (!r.err.starts_with("ckptfs: ")) return fail("stderr does not start with \"ckptfs: \"");
  for (const auto& n : names)
    if (r.err.find(n) == std::string::npos) return fail("stderr does not name " + n);
  for (const auto& w : problem)
    if (lower(r.err).find(lower(w)) == std::string::npos)
      return fail("stderr does not say \"" + w + "\"");
  if (!r.out.empty()) return fail("something was printed on stdout");
  if (fs::exists(mountpoint) && mount_count(fs::canonical(mountpoint)) != 0)
    return fail(mountpoint + " is mounted afterwards");
  if (!ckptfs_processes_for(mountpoint).empty())
    return fail("a ckptfs process is left for " + mountpoint);
  return ::testing::AssertionSuccess();
}

}  // namespace ckptfs::test
