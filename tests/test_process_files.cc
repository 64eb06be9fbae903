// /procs/<pid>/ beyond memory: cmdline, environ, status, fds, threads,
// per-VMA files, ps — checked against the fixtures' ground truth through a
// real mount, with the tools investigators use (yara, strings, readlink).

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>

#include "support/fixture_test.h"
#include "support/groundtruth.h"
#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

class ProcessFiles : public MountedFixtureTest<std::pair<std::string, std::string>> {
 protected:
  std::string input(const std::pair<std::string, std::string>& p) const override { return p.first; }
  std::string label(const std::pair<std::string, std::string>& p) const override {
    return p.second;
  }
  std::string link(const std::string& path) const {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n < 0 ? "<" + std::string(strerror(errno)) + ">"
                 : std::string(buf, static_cast<size_t>(n));
  }
  std::map<std::string, std::string> status(const std::string& path) const {
    std::map<std::string, std::string> m;
    std::istringstream in(read_file(path));
    for (std::string l; std::getline(in, l);) {
      auto colon = l.find(":\t");
      if (colon != std::string::npos) m[l.substr(0, colon)] = l.substr(colon + 2);
    }
    return m;
  }
};

TEST_P(ProcessFiles, CmdlineAndEnvironAreTheProcesssOwn) {
  for (const auto& p : gt_["processes"]) {
    std::string expected;
    for (const auto& a : p["cmdline"]) expected += a.get<std::string>() + '\0';
    EXPECT_EQ(read_file(proc(p, "cmdline")), expected);
    std::string env = read_file(proc(p, "environ"));
    std::set<std::string> entries;
    for (size_t i = 0, j; i < env.size(); i = j + 1) {
      j = env.find('\0', i);
      if (j == std::string::npos) j = env.size();
      entries.insert(env.substr(i, j - i));
    }
    for (const auto& [k, v] : p["env"].items())
      EXPECT_TRUE(entries.count(k + "=" + v.get<std::string>())) << k << " in pid " << ns_pid(p);
  }
}

TEST_P(ProcessFiles, FdLinksPosAndFlagsMatchTheLiveProcess) {
  for (const auto& p : gt_["processes"]) {
    std::set<std::string> listed;
    auto r = run("ls " + shell_quote(proc(p, "fd")));
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) listed.insert(l);
    std::set<std::string> expected;
    for (const auto& fd : p["fds"]) {
      std::string n = std::to_string(fd["fd"].get<int>());
      expected.insert(n);
      EXPECT_EQ(link(proc(p, "fd/" + n)), fd["target"].get<std::string>()) << "fd " << n;
      auto info = status(proc(p, "fdinfo/" + n));
      EXPECT_EQ(info["pos"], fd["pos"].get<std::string>()) << "fd " << n;
      EXPECT_EQ(info["flags"], fd["flags"].get<std::string>()) << "fd " << n;
    }
    EXPECT_EQ(listed, expected);
  }
}

TEST_P(ProcessFiles, CwdExeAndThreads) {
  for (const auto& p : gt_["processes"]) {
    EXPECT_EQ(link(proc(p, "cwd")), p["cwd"].get<std::string>());
    EXPECT_EQ(link(proc(p, "exe")), p["cmdline"][0].get<std::string>());
    std::set<std::string> tids;
    for (const auto& t : p["threads"]) {
      std::string tid = std::to_string(t["ns_tid"].back().get<uint32_t>());
      tids.insert(tid);
      EXPECT_EQ(read_file(proc(p, "task/" + tid + "/comm")), t["comm"].get<std::string>() + "\n");
      auto st = status(proc(p, "task/" + tid + "/status"));
      EXPECT_EQ(st["Pid"], tid);
      EXPECT_EQ(st["Name"], t["comm"].get<std::string>());
      std::string regs = read_file(proc(p, "task/" + tid + "/regs"));
      EXPECT_NE(regs.find("rip      0x"), std::string::npos) << regs;
      EXPECT_NE(regs.find("fs_base  0x"), std::string::npos);
      EXPECT_NE(regs.find("orig_rax 0x"), std::string::npos);
      EXPECT_EQ(std::count(regs.begin(), regs.end(), '\n'), 27);
    }
    auto r = run("ls " + shell_quote(proc(p, "task")));
    std::set<std::string> listed;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) listed.insert(l);
    EXPECT_EQ(listed, tids);
  }
}

TEST_P(ProcessFiles, StatusUsesTheKernelsNamesAndValues) {
  for (const auto& p : gt_["processes"]) {
    auto st = status(proc(p, "status"));
    EXPECT_EQ(st["Name"], p["comm"].get<std::string>());
    EXPECT_EQ(st["State"], "S (sleeping)");
    EXPECT_EQ(st["Tgid"], std::to_string(ns_pid(p)));
    EXPECT_EQ(st["Pid"], std::to_string(ns_pid(p)));
    EXPECT_EQ(st["PPid"], std::to_string(p["ns_ppid"].get<uint32_t>()));
    EXPECT_EQ(st["Uid"], p["uid"].get<std::string>());
    EXPECT_EQ(st["Gid"], p["gid"].get<std::string>());
    EXPECT_EQ(st["Threads"], std::to_string(p["threads"].size()));
    for (const char* k :
         {"SigBlk", "SigIgn", "SigCgt", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
      EXPECT_EQ(st[k].size(), 16u) << k;
    EXPECT_TRUE(st.count("NoNewPrivs"));
    EXPECT_TRUE(st.count("Seccomp"));
  }
}

TEST_P(ProcessFiles, ChildrenAndPs) {
  std::string ps = read_file(*mount_ / "ps");
  EXPECT_EQ(std::count(ps.begin(), ps.end(), '\n'), static_cast<long>(gt_["processes"].size()) + 1)
      << ps;
  for (const auto& p : gt_["processes"]) {
    std::string children;
    for (const auto& q : gt_["processes"])
      if (q["ns_ppid"] == ns_pid(p)) children += std::to_string(ns_pid(q)) + " ";
    EXPECT_EQ(read_file(proc(p, "children")), children);
    EXPECT_NE(ps.find(" " + std::to_string(ns_pid(p)) + " "), std::string::npos);
  }
  EXPECT_NE(ps.find(" \\_ "), std::string::npos) << "a forest like ps -ef --forest";
  EXPECT_NE(ps.find("--marker=CKPTFS_ARGV_MARKER"), std::string::npos) << "full command lines";
}

std::string vma_file(const std::string& dir, uint64_t start, uint64_t end) {
  char prefix[64];
  std::snprintf(prefix, sizeof prefix, "%llx-%llx.", static_cast<unsigned long long>(start),
                static_cast<unsigned long long>(end));
  auto r = run("ls " + shell_quote(dir));
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);)
    if (l.rfind(prefix, 0) == 0) return dir + "/" + l;
  return "";
}

TEST_P(ProcessFiles, EveryVmaFileHashesLikeTheDumpedView) {
  for (const auto& p : gt_["processes"]) {
    for (const auto& v : p["vmas"]) {
      std::string f = vma_file(proc(p, "vmas"), hex(v["start"]), hex(v["end"]));
      ASSERT_FALSE(f.empty()) << v["start"];
      EXPECT_EQ(sha256_hex(read_file(f)), v["sha256_dumped_view"].get<std::string>()) << f;
    }
  }
  // Names say what the region is.
  const auto& p = gt_["processes"][0];
  auto r = run("ls " + shell_quote(proc(p, "vmas")));
  for (const char* suffix : {".rw-p.heap\n", ".rw-p.stack\n", ".r-xp.vdso\n", ".rw-s.shmem\n",
                             ".rw-p.anon\n", ".rw-p.mapped.bin\n", ".r-xp.libc.so.6\n"})
    EXPECT_NE(r.out.find(suffix), std::string::npos) << suffix << " in\n" << r.out;
}

TEST_P(ProcessFiles, YaraAndStringsFindTheMarkersInVmas) {
  TempDir tmp;
  write_file(tmp / "rules.yar",
             "rule heap { strings: $a = \"CKPTFS_HEAP_MARKER\" condition: $a }\n"
             "rule anon { strings: $a = \"CKPTFS_ANON_MARKER\" condition: $a }\n"
             "rule shmem { strings: $a = \"CKPTFS_SHMEM_CHILD_MARKER\" condition: $a }\n");
  const auto& p = gt_["processes"][0];
  auto r = run("yara -r " + shell_quote(tmp / "rules.yar") + " " + shell_quote(proc(p, "vmas")));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("heap "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(".rw-p.heap"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("anon "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("shmem "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(".rw-s.shmem"), std::string::npos) << r.out;
  // Every marker of the process is found by strings over the VMA files.
  r = run("cat " + shell_quote(proc(p, "vmas")) + "/* | strings -n 8");
  ASSERT_EQ(r.status, 0);
  size_t missing = 0;
  for (const auto& m : p["markers"])
    if (r.out.find(m["marker"].get<std::string>()) == std::string::npos) ++missing;
  EXPECT_EQ(missing, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ProcessFiles,
    ::testing::Values(std::pair<std::string, std::string>{"proc-tree", "proc-tree"},
                      std::pair<std::string, std::string>{"webapp-checkpoint.tar.zst", "webapp"}),
    [](const auto& test_case) {
      return test_case.param.second == "webapp" ? std::string("Podman") : std::string("ProcTree");
    });

}  // namespace
}  // namespace ckptfs::test
