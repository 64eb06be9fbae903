#include "support/bench_image.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <set>
#include <stdexcept>

#include "support/image_writer.h"

namespace ckptfs::test {

namespace {

constexpr uint64_t kBase = 0x100000000000ull;  // every VMA address has 12 hex digits
constexpr uint32_t kRegular = 0x1, kStack = 0x2, kHeap = 0x20, kAnonPrivate = 0x200;
constexpr uint32_t kMapPrivate = 0x2, kMapAnon = 0x20, kMapGrowsdown = 0x100;

uint64_t mix(uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct Rng {
  uint64_t s;
  uint64_t next() { return s = mix(s); }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
};

// Words a process might hold: enough variety that zstd does not see one
// repeated string, few enough that text compresses about 3x.
constexpr const char* kWords[64] = {
    "the ",        "error ",     "GET ",     "/usr/lib/",   "HTTP/1.1 ",   "200 OK\n",
    "{\"id\":",    "\"name\":",  "true,",    "false,",      "null",        "user ",
    "session=",    "Content-",   "Type: ",   "text/html",   "json\n",      "POST ",
    "/api/v1/",    "items",      "orders/",  "password ",   "token=",      "Bearer ",
    "localhost",   ":8080 ",     "SELECT ",  "FROM ",       "WHERE ",      "id = ",
    "INSERT ",     "INTO ",      "VALUES (", "), ",         "connection ", "timeout ",
    "retry ",      "worker ",    "thread ",  "pool ",       "cache ",      "miss ",
    "hit ",        "key=",       "value=",   "2026-11-29T", "12:34:56Z ",  "INFO ",
    "WARN ",       "DEBUG ",     "main.go:", "libc.so.6 ",  "python3 ",    "node ",
    "java.lang.",  "String ",    "Object ",  "Exception\n", "at ",         "com.example.",
    "Handler.run", "(Main.java", ":42)\n",   "\n"};

void text_page(Rng& r, char* out) {
  size_t i = 0;
  while (i < kPage) {
    uint64_t bits = r.next();
    for (int k = 0; k < 10 && i < kPage; ++k, bits >>= 6) {
      const char* w = kWords[bits & 63];
      size_t n = std::min(std::strlen(w), kPage - i);
      std::memcpy(out + i, w, n);
      i += n;
    }
  }
}

void pointer_page(Rng& r, uint64_t page_seed, char* out) {
  uint64_t heap = 0x7f0000000000ull | ((page_seed & 0xffffff) << 16);
  for (size_t i = 0; i < kPage; i += 8) {
    uint64_t x = r.next(), v;
    switch (x & 3) {
      case 0:
      case 1:
        v = heap + ((x >> 8) & 0xfff0);  // a pointer near the page's heap
        break;
      case 2:
        v = (x >> 8) & 0xff;  // a small integer
        break;
      default:
        v = 0;
    }
    std::memcpy(out + i, &v, 8);
  }
}

void random_page(Rng& r, char* out) {
  for (size_t i = 0; i < kPage; i += 8) {
    uint64_t v = r.next();
    std::memcpy(out + i, &v, 8);
  }
}

void sparse_page(Rng& r, char* out) {
  std::memset(out, 0, kPage);
  for (int k = 0; k < 16; ++k) {
    uint64_t v = r.next();
    std::memcpy(out + ((v >> 32) % (kPage / 8)) * 8, &v, 8);
  }
}

// A page's bytes depend only on (seed, pid, address): any order of
// generation, any chunking, gives the same image.
void fill_page(uint64_t seed, uint32_t pid, uint64_t addr, char* out) {
  uint64_t h = mix(seed ^ mix((uint64_t{pid} << 40) ^ (addr / kPage)));
  Rng r{h};
  uint64_t kind = h % 100;
  if (kind < 25)
    random_page(r, out);
  else if (kind < 60)
    text_page(r, out);
  else if (kind < 85)
    pointer_page(r, h >> 8, out);
  else
    sparse_page(r, out);
}

// Splits total into parts (each >= min_each) by the weights.
std::vector<uint64_t> split(uint64_t total, const std::vector<uint64_t>& weights,
                            uint64_t min_each) {
  size_t n = weights.size();
  std::vector<uint64_t> out(n, min_each);
  uint64_t rest = total - min_each * n, sum = 0, given = 0;
  for (uint64_t w : weights) sum += w;
  for (size_t i = 0; i < n; ++i) {
    uint64_t add = static_cast<uint64_t>(static_cast<long double>(rest) * weights[i] / sum);
    out[i] += add;
    given += add;
  }
  for (size_t i = 0; given < rest; i = (i + 1) % n, ++given) ++out[i];
  return out;
}

void plan_process(const BenchSpec& s, BenchProc& p, uint64_t pages, uint64_t entries, Rng& r) {
  uint32_t nv = static_cast<uint32_t>(std::min<uint64_t>(s.vmas, pages));
  entries = std::clamp<uint64_t>(entries, nv, pages);
  std::vector<uint64_t> w(nv);
  for (auto& x : w) x = 500 + r.below(1000);
  std::vector<uint64_t> dumped = split(pages, w, 1);
  // Entries in proportion to the dumped pages, never more than the pages.
  std::vector<uint64_t> ents(nv, 1);
  uint64_t given = nv;
  for (uint32_t i = 0; i < nv && pages > nv; ++i) {
    uint64_t add = static_cast<uint64_t>(static_cast<long double>(entries - nv) * (dumped[i] - 1) /
                                         (pages - nv));
    ents[i] += add;
    given += add;
  }
  for (uint32_t i = 0; given < entries; i = (i + 1) % nv)
    if (ents[i] < dumped[i]) ++ents[i], ++given;

  std::vector<uint64_t> holes(nv), tails(nv, 0), gaps(nv, 0);
  uint64_t mapped = 0;
  for (uint32_t i = 0; i < nv; ++i) {
    holes[i] = static_cast<uint64_t>(
        std::llround(static_cast<double>(dumped[i]) * s.hole_percent / 100.0));
    mapped += dumped[i] + holes[i];
    if (i + 1 < nv) gaps[i] = 1 + r.below(16);
  }
  if (s.range) {
    uint64_t span = s.range / kPage;
    if (span < mapped + (nv - 1))
      throw std::invalid_argument(
          fmt::format("--range {} cannot hold {} mapped pages in {} VMAs", s.range, mapped, nv));
    uint64_t extra = span - mapped;
    uint64_t inside = nv > 1 ? extra / 2 : extra, between = extra - inside;
    for (uint32_t i = 0; i < nv; ++i) tails[i] = inside / nv + (i + 1 == nv ? inside % nv : 0);
    for (uint32_t i = 0; i + 1 < nv; ++i)
      gaps[i] = between / (nv - 1) + (i + 2 == nv ? between % (nv - 1) : 0);
  }

  uint64_t addr = kBase;
  for (uint32_t i = 0; i < nv; ++i) {
    BenchVma v;
    v.start = addr;
    v.status = kRegular | kAnonPrivate;
    if (i == 0) v.status |= kHeap;
    if (i + 1 == nv && nv > 1) v.status |= kStack;
    // Entries of near-equal size; every other boundary (up to the hole budget)
    // gets a run of non-dumped pages, the rest are adjacent entries.
    uint64_t e = ents[i], q = dumped[i] / e, rem = dumped[i] % e;
    uint64_t nholes = std::min(holes[i], (e - 1) / 2);
    uint64_t tail = tails[i] + (nholes ? 0 : holes[i]);
    std::vector<uint64_t> hole_sizes;
    if (nholes) hole_sizes = split(holes[i], std::vector<uint64_t>(nholes, 1), 1);
    uint64_t next_hole = 0;
    for (uint64_t j = 0; j < e; ++j) {
      if (j > 0 && j % 2 == 0 && next_hole < nholes) {
        v.runs.push_back({addr, hole_sizes[next_hole], false});
        addr += hole_sizes[next_hole++] * kPage;
      }
      uint64_t n = q + (j < rem ? 1 : 0);
      v.runs.push_back({addr, n, true});
      addr += n * kPage;
    }
    if (tail) {
      v.runs.push_back({addr, tail, false});
      addr += tail * kPage;
    }
    v.end = addr;
    addr += gaps[i] * kPage;
    p.vmas.push_back(std::move(v));
  }
}

void plant_markers(const BenchSpec& s, BenchProc& p, Rng& r) {
  uint64_t len = s.marker.size();
  if (s.marker.empty() || len + 2 > kPage || s.marker.find('\n') != std::string::npos)
    throw std::invalid_argument("the marker must be 1 to 4094 bytes, without a newline");
  // Planted as "\n" MARKER "\n": each is one line of its own for grep -c.
  auto free_at = [&](uint64_t a) {
    for (const BenchMarker& m : p.markers)
      if (a - 1 < m.addr + len + 1 && m.addr - 1 < a + len + 1) return false;
    return true;
  };
  std::vector<uint64_t> boundaries;  // between two adjacent dumped entries
  std::vector<const BenchRun*> dumped;
  for (const BenchVma& v : p.vmas)
    for (size_t j = 0; j < v.runs.size(); ++j) {
      if (v.runs[j].dumped) dumped.push_back(&v.runs[j]);
      if (j > 0 && v.runs[j].dumped && v.runs[j - 1].dumped) boundaries.push_back(v.runs[j].vaddr);
    }
  uint64_t straddling = std::min<uint64_t>((s.markers + 1) / 2, boundaries.size());
  for (uint64_t k = 0; k < straddling; ++k) {
    uint64_t stride = boundaries.size() / straddling;
    uint64_t a = boundaries[k * stride + r.below(stride)] - len / 2;
    if (free_at(a)) p.markers.push_back({p.pid, a, true});
  }
  for (int tries = 0; p.markers.size() < s.markers && tries < 100000; ++tries) {
    const BenchRun* run = dumped[r.below(dumped.size())];
    uint64_t a = run->vaddr + 1 + r.below(run->npages * kPage - len - 2);
    if (free_at(a)) p.markers.push_back({p.pid, a, false});
  }
  std::sort(p.markers.begin(), p.markers.end(),
            [](const BenchMarker& a, const BenchMarker& b) { return a.addr < b.addr; });
}

// Picks spec.mutate distinct dumped pages, from an Rng of their own: the
// layout and the markers are those of the unmutated spec.
void plan_mutations(BenchLayout& l) {
  if (l.spec.mutate > l.dumped_pages)
    throw std::invalid_argument(
        fmt::format("--mutate {} is more than the {} dumped pages", l.spec.mutate, l.dumped_pages));
  // Every dumped run in order, with the number of dumped pages before it.
  struct At {
    uint64_t before;
    BenchProc* proc;
    const BenchRun* run;
  };
  std::vector<At> runs;
  uint64_t total = 0;
  for (BenchProc& p : l.procs)
    for (const BenchVma& v : p.vmas)
      for (const BenchRun& r : v.runs)
        if (r.dumped) {
          runs.push_back({total, &p, &r});
          total += r.npages;
        }
  Rng r{mix(l.spec.seed ^ 0x6d7574617465ull)};
  std::vector<uint64_t> picked;
  std::set<uint64_t> seen;
  while (picked.size() < l.spec.mutate) {
    uint64_t k = r.below(total);
    if (!seen.insert(k).second) continue;
    picked.push_back(k);
  }
  for (uint64_t k : picked) {
    auto it = std::upper_bound(runs.begin(), runs.end(), k,
                               [](uint64_t x, const At& a) { return x < a.before; });
    --it;
    it->proc->mutated.push_back(it->run->vaddr + (k - it->before) * kPage);
  }
  for (BenchProc& p : l.procs) std::sort(p.mutated.begin(), p.mutated.end());
}

// A mutated page: 64 bytes at a place of its own turned over, more than a
// marker planted across them could hide.
void mutate_page(uint64_t seed, uint32_t pid, uint64_t addr, char* page) {
  uint64_t at = (mix(seed ^ mix(addr ^ pid)) % (kPage / 64)) * 64;
  for (size_t i = 0; i < 64; ++i) page[at + i] = static_cast<char>(page[at + i] ^ 0x5a);
}

}  // namespace

BenchLayout plan_bench(const BenchSpec& spec) {
  BenchLayout l;
  l.spec = spec;
  uint64_t pages = spec.size / kPage;
  if (spec.procs == 0 || spec.vmas == 0 || spec.threads == 0 || spec.threads > 64)
    throw std::invalid_argument("procs and vmas must be > 0, threads 1 to 64");
  if (pages < spec.procs) throw std::invalid_argument("--size gives fewer pages than processes");
  Rng r{mix(spec.seed)};
  for (uint32_t i = 0; i < spec.procs; ++i) {
    BenchProc p;
    p.pid = i + 1;
    p.ppid = i == 0 ? 0 : 1;
    uint64_t mine = pages / spec.procs + (i < pages % spec.procs ? 1 : 0);
    uint64_t want = spec.entries ? spec.entries / spec.procs + (i < spec.entries % spec.procs)
                                 : 16ull * spec.vmas;
    plan_process(spec, p, mine, want, r);
    plant_markers(spec, p, r);
    for (const BenchVma& v : p.vmas)
      for (const BenchRun& run : v.runs)
        if (run.dumped) l.dumped_pages += run.npages, ++l.entries;
    l.vmas += p.vmas.size();
    l.procs.push_back(std::move(p));
  }
  if (spec.mutate) plan_mutations(l);
  return l;
}

void bench_pages(const BenchLayout& l, const BenchProc& p, uint64_t vaddr, size_t npages,
                 char* out) {
  for (size_t i = 0; i < npages; ++i)
    fill_page(l.spec.seed, p.pid, vaddr + i * kPage, out + i * kPage);
  for (auto m = std::lower_bound(p.mutated.begin(), p.mutated.end(), vaddr);
       m != p.mutated.end() && *m < vaddr + npages * kPage; ++m)
    mutate_page(l.spec.seed, p.pid, *m, out + (*m - vaddr));
  const std::string planted = "\n" + l.spec.marker + "\n";
  uint64_t end = vaddr + npages * kPage;
  auto it = std::lower_bound(
      p.markers.begin(), p.markers.end(), vaddr,
      [&](const BenchMarker& m, uint64_t a) { return m.addr - 1 + planted.size() <= a; });
  for (; it != p.markers.end() && it->addr - 1 < end; ++it) {
    uint64_t from = std::max(vaddr, it->addr - 1),
             to = std::min(end, it->addr - 1 + planted.size());
    std::memcpy(out + (from - vaddr), planted.data() + (from - (it->addr - 1)), to - from);
  }
}

void write_bench_image(const BenchLayout& l, const std::string& dir) {
  ImageDirWriter w(dir);
  w.inventory();
  for (const BenchProc& p : l.procs) {
    std::vector<uint32_t> threads = {p.pid};
    for (uint32_t t = 1; t < l.spec.threads; ++t) threads.push_back(1000000 + p.pid * 64 + t);
    w.process(p.pid, p.ppid, p.pid == 1 ? "bench-init" : fmt::format("bench-{}", p.pid), threads);
    auto source = std::make_shared<const ImageDirWriter::PageSource>(
        [&l, &p](uint64_t vaddr, size_t n, char* out) { bench_pages(l, p, vaddr, n, out); });
    for (const BenchVma& v : p.vmas) {
      uint32_t flags = kMapPrivate | kMapAnon | ((v.status & kStack) ? kMapGrowsdown : 0);
      w.vma(p.pid, v.start, v.end, 3, flags, v.status);
      for (const BenchRun& run : v.runs)
        if (run.dumped) w.generated_pages(p.pid, run.vaddr, run.npages, source);
    }
  }
  w.finish();
}

std::string bench_vmas_sha256(const BenchLayout& l, const BenchProc& p) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  constexpr uint64_t kChunk = 256;
  std::vector<char> buf(kChunk * kPage), zeros(kChunk * kPage, 0);
  for (const BenchVma& v : p.vmas)
    for (const BenchRun& run : v.runs)
      for (uint64_t done = 0; done < run.npages;) {
        uint64_t n = std::min(kChunk, run.npages - done);
        if (run.dumped) bench_pages(l, p, run.vaddr + done * kPage, n, buf.data());
        EVP_DigestUpdate(ctx.get(), run.dumped ? buf.data() : zeros.data(), n * kPage);
        done += n;
      }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  std::string hex;
  for (unsigned i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

uint64_t parse_size(const std::string& s) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    throw std::invalid_argument("not a size: " + s);
  }
  std::string unit = s.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  double mult = 1;
  if (unit == "K" || unit == "k")
    mult = 1ull << 10;
  else if (unit == "M" || unit == "m")
    mult = 1ull << 20;
  else if (unit == "G" || unit == "g")
    mult = 1ull << 30;
  else if (unit == "T" || unit == "t")
    mult = 1ull << 40;
  else if (!unit.empty())
    throw std::invalid_argument("not a size: " + s);
  if (v < 0) throw std::invalid_argument("not a size: " + s);
  return static_cast<uint64_t>(v * mult);
}

}  // namespace ckptfs::test
