// ckptfs-mkbench: writes the deterministic synthetic CRIU image directory
// scripts/bench measures (see support/bench_image.h), and prints a manifest
// on stdout: sizes, every marker address, and with --sha the SHA-256 each
// process's vmas/ files must concatenate to.

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "support/bench_image.h"

using namespace ckptfs::test;

namespace {

const char* kUsage = R"(usage: ckptfs-mkbench [options] --out DIR
Writes a synthetic CRIU image directory into DIR (created; must be empty).
  --procs N        processes (default 4)
  --threads N      threads per process, leader included (default 2)
  --size SIZE      dumped bytes over all processes, e.g. 2G (default 64M)
  --vmas N         VMAs per process (default 64)
  --entries N      pagemap entries over all processes (default 16 per VMA)
  --holes PCT      non-dumped pages inside VMAs, % of dumped pages (default 3)
  --range SIZE     address span of each process, e.g. 64G (default compact)
  --markers N      markers per process, half straddling adjacent entries (default 8)
  --marker TEXT    the marker string (default CKPTFS_BENCH_MARKER)
  --seed N         content seed (default 1)
  --mutate N       change N dumped pages (64 bytes each), keeping the layout and
                   markers of the same options without it: the second checkpoint
                   of a pair to compare; the manifest lists them ("mutated PID ADDR")
  --sha            print the SHA-256 of each process's concatenated vmas/ files
)";

}  // namespace

int main(int argc, char** argv) {
  BenchSpec spec;
  std::string out;
  bool sha = false;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--out")
        out = value();
      else if (a == "--procs")
        spec.procs = static_cast<uint32_t>(std::stoul(value()));
      else if (a == "--threads")
        spec.threads = static_cast<uint32_t>(std::stoul(value()));
      else if (a == "--size")
        spec.size = parse_size(value());
      else if (a == "--vmas")
        spec.vmas = static_cast<uint32_t>(std::stoul(value()));
      else if (a == "--entries")
        spec.entries = std::stoull(value());
      else if (a == "--holes")
        spec.hole_percent = std::stod(value());
      else if (a == "--range")
        spec.range = parse_size(value());
      else if (a == "--markers")
        spec.markers = static_cast<uint32_t>(std::stoul(value()));
      else if (a == "--marker")
        spec.marker = value();
      else if (a == "--seed")
        spec.seed = std::stoull(value());
      else if (a == "--mutate")
        spec.mutate = std::stoull(value());
      else if (a == "--sha")
        sha = true;
      else if (a == "-h" || a == "--help") {
        std::cout << kUsage;
        return 0;
      } else
        throw std::invalid_argument("unknown option " + a);
    }
    if (out.empty()) throw std::invalid_argument("--out DIR is required");
    namespace fs = std::filesystem;
    fs::create_directories(out);
    if (!fs::is_empty(out)) throw std::invalid_argument(out + " is not empty");

    auto t0 = std::chrono::steady_clock::now();
    BenchLayout l = plan_bench(spec);
    write_bench_image(l, out);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cerr << fmt::format("ckptfs-mkbench: {} MiB of pages in {:.1f} s\n",
                             (l.dumped_pages * 4096) >> 20, secs);

    uint64_t markers = 0, straddling = 0;
    for (const BenchProc& p : l.procs)
      for (const BenchMarker& m : p.markers) ++markers, straddling += m.straddles;
    fmt::print(
        "procs {}\nvmas {}\nentries {}\ndumped_bytes {}\nmarker {}\nmarkers {}\n"
        "straddling {}\n",
        l.procs.size(), l.vmas, l.entries, l.dumped_pages * 4096, spec.marker, markers, straddling);
    for (const BenchProc& p : l.procs)
      for (const BenchMarker& m : p.markers)
        fmt::print("marker_at {} {:x} {}\n", m.pid, m.addr, m.straddles ? 1 : 0);
    fmt::print("mutations {}\n", spec.mutate);
    for (const BenchProc& p : l.procs)
      for (uint64_t m : p.mutated) fmt::print("mutated {} {:x}\n", p.pid, m);
    if (sha)
      for (const BenchProc& p : l.procs)
        fmt::print("sha256 {} {}\n", p.pid, bench_vmas_sha256(l, p));
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ckptfs-mkbench: " << e.what() << "\n";
    return 1;
  }
}
