// What the kernel caches and asks for on the daemon's behalf: cold reads come
// in READs larger than the kernel's default 128 KiB readahead (the daemon
// widens its mount's window), still returning every byte; and a directory
// listed once is listed again from the kernel's cache, without a request.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "support/bench_image.h"
#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

// The daemon's -d log: how many requests of each opcode, and the largest
// reply to each.
struct Requests {
  std::map<std::string, int> count;
  std::map<std::string, long> largest_reply;
};

Requests requests(const std::string& log) {
  static const std::regex req(R"(unique: (\d+), opcode: (\w+) )");
  static const std::regex rep(R"(unique: (\d+), success, outsize: (\d+))");
  Requests r;
  std::map<std::string, std::string> opcode_of;
  std::istringstream in(log);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, req)) {
      opcode_of[m[1]] = m[2];
      r.count[m[2]]++;
    } else if (std::regex_search(line, m, rep) && opcode_of.count(m[1])) {
      long& l = r.largest_reply[opcode_of[m[1]]];
      l = std::max(l, std::stol(m[2]));
    }
  }
  return r;
}

TEST(KernelCaching, ColdReadsComeInReadsLargerThanTheDefaultReadahead) {
  BenchSpec spec;
  spec.procs = 1;
  spec.threads = 1;
  spec.size = 8ull << 20;
  spec.vmas = 2;
  spec.hole_percent = 0;
  BenchLayout layout = plan_bench(spec);
  TempDir img;
  write_bench_image(layout, img.path());
  Mount m({img.path()}, {"-d"});

  struct stat st {};
  ASSERT_EQ(::stat(m.path().c_str(), &st), 0);
  std::string knob = "/sys/class/bdi/" + std::to_string(major(st.st_dev)) + ":" +
                     std::to_string(minor(st.st_dev)) + "/read_ahead_kb";
  EXPECT_EQ(read_file(knob), "4096\n") << knob;

  // Every byte, read cold by a real tool, as the generator wrote it.
  std::string vmas = m / ("procs/" + std::to_string(layout.procs[0].pid) + "/vmas");
  auto r = run("cat " + shell_quote(vmas) + "/* | sha256sum");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 64), bench_vmas_sha256(layout, layout.procs[0]));

  // With the kernel's default 128 KiB window the largest READ is 256 KiB (a
  // synchronous and an asynchronous window merged); the reply header is 16
  // bytes.
  Requests q = requests(m.log_so_far());
  ASSERT_GT(q.count["READ"], 0);
  EXPECT_GT(q.largest_reply["READ"], 256 * 1024 + 16)
      << q.count["READ"] << " READs, none larger than 256 KiB";
}

TEST(KernelCaching, ADirectoryListedTwiceIsAskedForOnce) {
  Mount m({example()}, {"-d"});
  auto first = run("ls -R " + shell_quote(m.path()));
  ASSERT_EQ(first.status, 0) << first.err;
  Requests a = requests(m.log_so_far());
  int listings = a.count["READDIRPLUS"] + a.count["READDIR"];
  ASSERT_GT(listings, 0);

  // The kernel learns the end of a directory only from an empty reply, so
  // the first listing asks at least twice per directory (entries, then
  // nothing); the second one must come from the kernel's cache alone.
  auto second = run("ls -R " + shell_quote(m.path()));
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
  Requests b = requests(m.log_so_far());
  EXPECT_EQ(b.count["READDIRPLUS"] + b.count["READDIR"], listings)
      << "the second ls -R asked the daemon again";
  EXPECT_EQ(b.count["LOOKUP"], a.count["LOOKUP"]) << "the second ls -R looked names up again";
}

}  // namespace
}  // namespace ckptfs::test
