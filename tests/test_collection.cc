// What a collection's table is made of, without a mount: the kubelet's file
// names, engine times, how little of an archive a probe reads, what a probe
// finds in real and synthetic checkpoints (checked against the archives'
// metadata read independently), and the names and table built from it.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "collection/kubelet_name.h"
#include "collection/naming.h"
#include "collection/probe.h"
#include "collection/table.h"
#include "source/peek.h"
#include "support/crio_archive.h"
#include "support/paths.h"
#include "support/tar_writer.h"
#include "util/time_text.h"

namespace ckptfs {
namespace {

using nlohmann::json;
using test::fixture;
using test::read_file;
using test::run;
using test::shell_quote;
using test::TempDir;
using test::write_file;

// ---- times ----

TEST(TimeText, EngineTimesBecomeUtcSeconds) {
  // date(1) is the independent reference for each conversion.
  for (const char* t : {"2024-01-28T00:10:45.673538606+05:30", "2024-02-29T18:28:17Z",
                        "2023-12-31T23:59:59-08:00", "2026-11-29T06:15:54.083444055Z"}) {
    auto r = run(std::string("date -u -d ") + shell_quote(t) + " +%Y-%m-%dT%H:%M:%SZ");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(normalise_rfc3339(t) + "\n", r.out) << t;
  }
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00Z");
}

TEST(TimeText, WhatIsNotRfc3339IsRefused) {
  for (const char* t :
       {"", "2024-02-29", "2024-02-29T18:28:17", "2024-13-01T00:00:00Z", "2024-02-29T18:28:17Zjunk",
        "counter-2024-02-29T18:28:17Z", "2024-02-29T18:28:17+0530", "2024-02-29T18:28:17."})
    EXPECT_EQ(normalise_rfc3339(t), "") << t;
}

// ---- kubelet file names ----

TEST(KubeletName, TheKubeletsExampleParses) {
  // container-archive-layout.md §1's example.
  auto k = parse_kubelet_name(
      "checkpoint-counter-7d9c4f8b6-m59ds_default-counter-2024-02-29T18:28:17Z.tar");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->pod, "counter-7d9c4f8b6-m59ds");
  EXPECT_EQ(k->namespace_, "default");
  EXPECT_EQ(k->container, "counter");
  EXPECT_EQ(k->time, "2024-02-29T18:28:17Z");
}

TEST(KubeletName, OffsetsFractionsAndPackedCopies) {
  auto k = parse_kubelet_name("checkpoint-web_prod-nginx-2024-02-29T18:28:17.5-05:00.tar.zst");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->pod, "web");
  EXPECT_EQ(k->namespace_, "prod");
  EXPECT_EQ(k->container, "nginx");
  EXPECT_EQ(k->time, "2024-02-29T23:28:17Z");
}

TEST(KubeletName, DashesInBothNamesNeedTheMetadataToSplit) {
  auto k = parse_kubelet_name("checkpoint-p_kube-system-log-shipper-2024-02-29T18:28:17Z.tar");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->namespace_and_container, "kube-system-log-shipper");
  EXPECT_EQ(k->namespace_, "") << "three dashes: the name alone cannot tell";
  EXPECT_EQ(k->container, "");
  KubeletName by_container = *k;
  split_with(by_container, "", "log-shipper");
  EXPECT_EQ(by_container.namespace_, "kube-system");
  EXPECT_EQ(by_container.container, "log-shipper");
  KubeletName by_namespace = *k;
  split_with(by_namespace, "kube-system", "");
  EXPECT_EQ(by_namespace.container, "log-shipper");
  KubeletName wrong = *k;
  split_with(wrong, "default", "nginx");
  EXPECT_EQ(wrong.namespace_, "") << "metadata that does not fit the name splits nothing";
}

TEST(KubeletName, OtherNamesAreNotKubelets) {
  for (const char* n :
       {"webapp-checkpoint.tar.zst", "checkpoint-nounderscore-2024-02-29T18:28:17Z.tar",
        "checkpoint-p_ns-c-notatime.tar", "checkpoint-p_ns-c-2024-02-29T18:28:17Z.zip",
        "checkpoint-_ns-c-2024-02-29T18:28:17Z.tar", "checkpoint-p_-2024-02-29T18:28:17Z.tar"})
    EXPECT_FALSE(parse_kubelet_name(n)) << n;
}

// ---- peeking: how much is read ----

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// A Podman-ordered archive (metadata, then checkpoint/) whose pages member
// is 8 MiB of incompressible bytes after everything the table needs.
std::string podman_ordered_tar(const std::string& pages) {
  std::vector<test::TarEntry> e;
  e.push_back({.name = "config.dump",
               .data = R"({"name":"big","checkpointedTime":"2024-03-01T10:00:00Z"})"});
  e.push_back(
      {.name = "spec.dump", .data = R"({"annotations":{"io.container.manager":"libpod"}})"});
  e.push_back({.name = "checkpoint/", .type = AE_IFDIR});
  for (const char* img : {"core-1.img", "inventory.img", "pagemap-1.img", "pstree.img"})
    e.push_back(
        {.name = std::string("checkpoint/") + img,
         .data = read_file(fixture(std::string("proc-tree/") +
                                   (std::string(img) == "core-1.img"      ? "core-25911.img"
                                    : std::string(img) == "pagemap-1.img" ? "pagemap-25911.img"
                                                                          : img)))});
  e.push_back({.name = "checkpoint/pages-1.img", .data = pages});
  e.push_back({.name = "rootfs-diff.tar", .data = random_bytes(1 << 20, 2)});
  return test::make_tar(e);
}

PeekOptions table_peek() {
  PeekOptions o;
  o.keep = [](const std::string& n) { return n == "config.dump" || n == "spec.dump"; };
  o.enough = [](const Source& s) {
    return s.find("checkpoint/inventory.img") && s.find("config.dump") && s.find("spec.dump");
  };
  return o;
}

TEST(Peek, ACompressedArchiveIsDecompressedOnlyAsFarAsItsMetadata) {
  TempDir tmp;
  std::string pages = random_bytes(8 << 20, 1);
  std::string tar = podman_ordered_tar(pages);
  write_file(tmp / "big.tar", tar);
  ASSERT_EQ(
      run("zstd -q -3 " + shell_quote(tmp / "big.tar") + " -o " + shell_quote(tmp / "big.tar.zst"))
          .status,
      0);
  uint64_t zst_size = std::filesystem::file_size(tmp / "big.tar.zst");
  auto members = test::tar_members(tar);
  ASSERT_TRUE(members.count("checkpoint/pages-1.img"));
  uint64_t pages_offset = members["checkpoint/pages-1.img"].data;

  Peek p = peek_source(tmp / "big.tar.zst", table_peek());
  EXPECT_FALSE(p.complete);
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.source->packing, Packing::TarZstd);
  ASSERT_TRUE(p.source->find("config.dump"));
  EXPECT_EQ(p.source->find("config.dump")->blob->read_all(1 << 20),
            R"({"name":"big","checkpointedTime":"2024-03-01T10:00:00Z"})");
  EXPECT_FALSE(p.source->find("checkpoint/pages-1.img")) << "read past the metadata";
  // One block of decompressed stream beyond the last header at most, and a
  // small part of the file: the 8 MiB of pages were never decompressed.
  EXPECT_LT(p.stream_bytes, pages_offset + (256 << 10)) << "stream bytes decompressed";
  EXPECT_LT(p.file_bytes, zst_size / 8) << "of " << zst_size << " compressed bytes";
  RecordProperty("peek_file_bytes", std::to_string(p.file_bytes));
  RecordProperty("archive_bytes", std::to_string(zst_size));
}

TEST(Peek, APlainTarIsReadHeaderByHeader) {
  // proc-tree.tar holds bare images: no metadata to stop at, so every header
  // is read; the 11 MB of pages data are skipped, not read.
  std::string path = fixture("proc-tree.tar");
  Peek p = peek_source(path, table_peek());
  EXPECT_TRUE(p.complete);
  EXPECT_EQ(p.error, "");
  auto members = test::tar_members(read_file(path));
  EXPECT_EQ(p.source->members.size(), members.size());
  uint64_t size = std::filesystem::file_size(path);
  EXPECT_LT(p.file_bytes, size / 3) << "of " << size;
  const Member* pages = p.source->find("pages-2.img");
  ASSERT_TRUE(pages);
  EXPECT_EQ(pages->blob->size(), members["pages-2.img"].size);
  EXPECT_THROW(pages->blob->read_all(1 << 30), std::exception) << "data that was not read";
}

TEST(Peek, ADirectoryIsWalkedNotRead) {
  Peek p = peek_source(fixture("proc-tree"), table_peek());
  EXPECT_TRUE(p.complete);
  EXPECT_EQ(p.file_bytes, 0u);
  EXPECT_TRUE(p.source->find("inventory.img"));
}

TEST(Peek, WhatIsNoArchiveThrowsABrokenOneSaysWhere) {
  TempDir tmp;
  write_file(tmp / "notes.txt", "just some text, long enough to sniff\n");
  EXPECT_THROW(peek_source(tmp / "notes.txt", table_peek()), std::exception);
  // A plain tar cut inside its third member's data: two members, then the error.
  std::string tar = read_file(fixture("proc-tree.tar"));
  auto members = test::tar_members(tar);
  std::vector<std::pair<uint64_t, std::string>> order;
  for (const auto& [n, m] : members) order.emplace_back(m.header, n);
  std::sort(order.begin(), order.end());
  const auto& third = members[order[2].second];
  write_file(tmp / "cut.tar", tar.substr(0, third.data + third.size / 2));
  PeekOptions all = table_peek();
  all.keep = [](const std::string&) { return true; };
  Peek p = peek_source(tmp / "cut.tar", all);
  EXPECT_FALSE(p.complete);
  EXPECT_NE(p.error.find("truncated"), std::string::npos) << p.error;
  EXPECT_NE(p.error.find(tmp / "cut.tar"), std::string::npos) << p.error;
  EXPECT_EQ(p.source->members.size(), 2u);
}

// ---- probing real and synthetic checkpoints ----

// A member of an archive, read with tar(1).
std::string member(const std::string& archive, const std::string& name) {
  auto r = run("tar -xOf " + shell_quote(archive) + " " + shell_quote(name));
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out;
}

// inventory.img's modification time as GNU tar lists it, in UTC.
std::string inventory_time(const std::string& archive, const std::string& name) {
  auto r = run("TZ=UTC tar --full-time -tvf " + shell_quote(archive) + " " + shell_quote(name) +
               " | awk '{ print $4 \"T\" $5 \"Z\" }'");
  EXPECT_EQ(r.status, 0) << r.err;
  std::string s = r.out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

TEST(Probe, APodmanExportSaysWhatItsMetadataSays) {
  for (const char* f : {"webapp-checkpoint.tar.zst", "pair-a.tar.zst"}) {
    SCOPED_TRACE(f);
    std::string path = fixture(f);
    json config = json::parse(member(path, "config.dump"));
    json spec = json::parse(member(path, "spec.dump"));
    ASSERT_EQ(spec["annotations"]["io.container.manager"], "libpod");
    Probe p = probe_checkpoint(path);
    EXPECT_EQ(p.error, "");
    EXPECT_EQ(p.kind, "tar+zstd");
    EXPECT_EQ(p.size, std::filesystem::file_size(path));
    ASSERT_EQ(p.checkpoints.size(), 1u);
    const ProbedCheckpoint& c = p.checkpoints[0];
    EXPECT_EQ(c.container, config["name"].get<std::string>());
    EXPECT_EQ(c.engine, "Podman");
    EXPECT_EQ(c.pod, "");
    EXPECT_EQ(c.namespace_, "");
    // Podman records no checkpoint time: CRIU's inventory.img says when.
    EXPECT_FALSE(config.contains("checkpointedTime") &&
                 !config["checkpointedTime"].get<std::string>().starts_with("0001"));
    EXPECT_EQ(c.checkpointed, inventory_time(path, "checkpoint/inventory.img"));
    EXPECT_EQ(c.checkpointed_source, "inventory.img modification time");
    EXPECT_LT(p.file_bytes, std::filesystem::file_size(path) + 1);
  }
}

TEST(Probe, BareImagesAreNamedAfterTheirFile) {
  for (const char* f : {"proc-tree.tar", "proc-tree"}) {
    Probe p = probe_checkpoint(fixture(f));
    EXPECT_EQ(p.error, "") << f;
    ASSERT_EQ(p.checkpoints.size(), 1u) << f;
    EXPECT_EQ(p.checkpoints[0].container, "proc-tree");
    EXPECT_EQ(p.checkpoints[0].engine, "none");
  }
}

TEST(Probe, CrioMetadataIsAuthoritativeOverTheKubeletName) {
  TempDir tmp;
  test::CrioMeta m;
  // The file name says other things than the metadata inside.
  std::string name = "checkpoint-other-pod_other-ns-other-2020-01-01T00:00:00Z.tar";
  write_file(tmp / name, test::crio_archive(m));
  Probe p = probe_checkpoint(tmp / name);
  EXPECT_EQ(p.error, "");
  ASSERT_EQ(p.checkpoints.size(), 1u);
  const ProbedCheckpoint& c = p.checkpoints[0];
  EXPECT_EQ(c.engine, "CRI-O");
  EXPECT_EQ(c.container, m.container);
  EXPECT_EQ(c.pod, m.pod);
  EXPECT_EQ(c.namespace_, m.namespace_);
  EXPECT_EQ(c.checkpointed, "2024-02-29T18:28:17Z") << "23:58:17+05:30 in UTC";
  EXPECT_EQ(c.checkpointed_source, "config.dump");
}

TEST(Probe, TheKubeletNameFillsWhatTheMetadataLacks) {
  TempDir tmp;
  // A Podman export renamed as the kubelet names checkpoints: no pod or
  // namespace inside; the name's container matches the metadata's.
  std::string name = "checkpoint-shop-5f6d_prod-webapp-2026-11-29T06:20:00Z.tar.zst";
  std::filesystem::copy_file(fixture("webapp-checkpoint.tar.zst"), tmp / name);
  Probe p = probe_checkpoint(tmp / name);
  ASSERT_EQ(p.checkpoints.size(), 1u);
  EXPECT_EQ(p.checkpoints[0].container, "webapp");
  EXPECT_EQ(p.checkpoints[0].pod, "shop-5f6d");
  EXPECT_EQ(p.checkpoints[0].namespace_, "prod");
  EXPECT_EQ(p.checkpoints[0].checkpointed_source, "inventory.img modification time");
}

TEST(Probe, NotACheckpointGetsNoDirectoryABrokenArchiveDoes) {
  TempDir tmp;
  write_file(tmp / "notes.txt", "just some text, long enough to sniff\n");
  write_file(tmp / "text.tar", test::make_tar({{.name = "readme.txt", .data = "hello\n"}}));
  write_file(tmp / "empty.tar", "");
  std::filesystem::create_symlink(fixture("proc-tree.tar"), tmp / "link.tar");
  for (const char* n : {"notes.txt", "text.tar", "empty.tar", "link.tar"}) {
    Probe p = probe_checkpoint(tmp / n);
    EXPECT_TRUE(p.checkpoints.empty()) << n;
    EXPECT_NE(p.error.find("not a checkpoint"), std::string::npos) << n << ": " << p.error;
    EXPECT_NE(p.error.find(tmp / n), std::string::npos) << "names the file: " << p.error;
  }
  // A plain tar cut in its first member: an archive, broken.
  std::string tar = read_file(fixture("proc-tree.tar"));
  write_file(tmp / "cut.tar", tar.substr(0, 700));
  Probe cut = probe_checkpoint(tmp / "cut.tar");
  ASSERT_EQ(cut.checkpoints.size(), 1u);
  EXPECT_EQ(cut.checkpoints[0].container, "cut");
  EXPECT_NE(cut.error.find("truncated"), std::string::npos) << cut.error;
}

TEST(Probe, APodArchiveHoldsOneCheckpointPerContainer) {
  TempDir tmp;
  std::vector<test::TarEntry> e;
  e.push_back({.name = "pod.options", .data = R"({"version":1})"});
  for (const char* ctr : {"web", "db"}) {
    e.push_back({.name = std::string(ctr) + "/config.dump", .data = json({{"name", ctr}}).dump()});
    e.push_back({.name = std::string(ctr) + "/spec.dump",
                 .data = R"({"annotations":{"io.container.manager":"libpod"}})"});
    for (const char* img : {"inventory.img", "pstree.img"})
      e.push_back({.name = std::string(ctr) + "/checkpoint/" + img,
                   .data = read_file(fixture(std::string("proc-tree/") + img))});
  }
  write_file(tmp / "pod.tar", test::make_tar(e));
  Probe p = probe_checkpoint(tmp / "pod.tar");
  EXPECT_EQ(p.error, "");
  ASSERT_EQ(p.checkpoints.size(), 2u);
  std::set<std::string> names = {p.checkpoints[0].container, p.checkpoints[1].container};
  EXPECT_EQ(names, (std::set<std::string>{"web", "db"}));
}

// ---- names ----

NameFacts facts(std::string c, std::string pod, std::string ns, std::string t, std::string a) {
  return {c, pod, ns, t, a, "/d/" + a};
}

TEST(Naming, AContainerNameAloneWhenItIsUnique) {
  auto n =
      assign_names({facts("web", "", "", "", "a.tar"), facts("db", "p", "ns", "", "b.tar")}, {});
  EXPECT_EQ(n[0].dir, "web");
  EXPECT_EQ(n[1].dir, "db");
  EXPECT_EQ(n[0].by_pod, "-/-/web/-");
  EXPECT_EQ(n[1].by_pod, "ns/p/db/-");
}

TEST(Naming, PodThenNamespaceThenTimeThenFileTellClashesApart) {
  std::vector<NameFacts> f = {
      facts("c", "p1", "ns", "2024-01-01T00:00:00Z", "1.tar"),
      facts("c", "p2", "ns", "2024-01-01T00:00:00Z", "2.tar"),
      facts("c", "p2", "other", "2024-01-01T00:00:00Z", "3.tar"),
      facts("c", "p1", "ns", "2024-01-02T00:00:00Z", "4.tar"),
      facts("c", "p1", "ns", "2024-01-02T00:00:00Z", "5.tar"),
  };
  auto n = assign_names(f, {});
  EXPECT_EQ(n[0].dir, "c_p1_ns_2024-01-01T00:00:00Z");
  EXPECT_EQ(n[1].dir, "c_p2_ns");
  EXPECT_EQ(n[2].dir, "c_p2_other");
  EXPECT_EQ(n[3].dir, "c_p1_ns_2024-01-02T00:00:00Z_4");
  EXPECT_EQ(n[4].dir, "c_p1_ns_2024-01-02T00:00:00Z_5");
  EXPECT_EQ(n[3].by_pod, "ns/p1/c/2024-01-02T00:00:00Z");
  EXPECT_EQ(n[4].by_pod, "ns/p1/c/2024-01-02T00:00:00Z~2");
}

TEST(Naming, NamesDoNotDependOnOrderAndOthersContainersDoNotRenameOnes) {
  std::vector<NameFacts> f = {facts("c", "p1", "", "", "1.tar"), facts("c", "p2", "", "", "2.tar"),
                              facts("web", "", "", "", "w.tar")};
  auto a = assign_names(f, {});
  std::vector<NameFacts> g = {f[2], f[1], f[0], facts("db", "", "", "", "d.tar")};
  auto b = assign_names(g, {});
  EXPECT_EQ(a[0].dir, b[2].dir);
  EXPECT_EQ(a[1].dir, b[1].dir);
  EXPECT_EQ(a[2].dir, b[0].dir) << "a db added does not rename web";
}

TEST(Naming, ExactCopiesAndReservedNamesStayUnique) {
  std::vector<NameFacts> f = {facts("checkpoints", "", "", "", "x.tar"),
                              {"x", "", "", "", "same.tar", "/d1/same.tar"},
                              {"x", "", "", "", "same.tar", "/d2/same.tar"},
                              facts("a/b", "", "", "", "s.tar"),
                              facts("..", "", "", "", "t.tar")};
  auto n = assign_names(f, {"checkpoints", "checkpoints.json", "by-pod"});
  std::set<std::string> all;
  for (const auto& x : n) {
    EXPECT_TRUE(all.insert(x.dir).second) << x.dir;
    EXPECT_EQ(x.dir.find('/'), std::string::npos) << x.dir;
    EXPECT_NE(x.dir, "..");
  }
  EXPECT_EQ(n[0].dir, "checkpoints~2");
  EXPECT_EQ(n[1].dir, "x_same");
  EXPECT_EQ(n[2].dir, "x_same~2") << "ordered by path";
}

// ---- the table ----

TEST(Table, ColumnsAlignAndJsonCarriesTheSameFacts) {
  TableRow a;
  a.name = "web";
  a.by_pod = "by-pod/-/-/web/2024-01-01T00:00:00Z";
  a.archive = "web.tar.zst";
  a.path = "/d/web.tar.zst";
  a.kind = "tar+zstd";
  a.size = 2048;
  a.container = "web";
  a.engine = "Podman";
  a.checkpointed = "2024-01-01T00:00:00Z";
  a.state = RowState::Ready;
  TableRow b;
  b.archive = "notes.txt";
  b.path = "/d/notes.txt";
  b.state = RowState::Failed;
  b.error = "/d/notes.txt: not a checkpoint";
  std::string t = render_table({a, b});
  std::vector<std::string> lines;
  for (size_t i = 0, j; (j = t.find('\n', i)) != std::string::npos; i = j + 1)
    lines.push_back(t.substr(i, j - i));
  ASSERT_EQ(lines.size(), 3u) << t;
  EXPECT_TRUE(lines[0].starts_with("NAME")) << lines[0];
  size_t state_col = lines[0].find("STATE");
  EXPECT_EQ(lines[1].substr(state_col), "ready");
  EXPECT_EQ(lines[2].substr(state_col), "error: /d/notes.txt: not a checkpoint");
  EXPECT_EQ(lines[1].substr(lines[0].find("SIZE"), 7), "2.0 KiB");
  EXPECT_EQ(lines[2].substr(0, 2), "- ");

  json j = json::parse(render_json({a, b}));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "web");
  EXPECT_EQ(j[0]["archive"], "web.tar.zst");
  EXPECT_EQ(j[0]["container"], "web");
  EXPECT_TRUE(j[0]["pod"].is_null());
  EXPECT_TRUE(j[0]["namespace"].is_null());
  EXPECT_EQ(j[0]["engine"], "Podman");
  EXPECT_EQ(j[0]["checkpointed"], "2024-01-01T00:00:00Z");
  EXPECT_TRUE(j[0]["error"].is_null());
  EXPECT_EQ(j[0]["state"], "ready");
  EXPECT_TRUE(j[1]["name"].is_null());
  EXPECT_EQ(j[1]["error"], "/d/notes.txt: not a checkpoint");
  EXPECT_EQ(j[1]["state"], "error");
}

}  // namespace
}  // namespace ckptfs
