// raw/: every file of the image directory byte for byte, and each image ckptfs
// knows decoded to crit-style JSON. Checked against facts about the fixtures
// (the workload's pids, the pages files' sizes, the data it left in a pipe and
// a deleted file), on synthetic images for the payload rules the fixtures do
// not exercise, and through a real mount with jq and cmp.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "bpfmap_data.pb.h"
#include "core.pb.h"
#include "ghost.pb.h"
#include "images/image_catalog.h"
#include "images/image_json.h"
#include "images/image_reader.h"
#include "images/magic.h"
#include "model/checkpoint.h"
#include "ns.pb.h"
#include "pagemap.pb.h"
#include "pipe_data.pb.h"
#include "source/layout.h"
#include "source/source.h"
#include "support/image_writer.h"
#include "support/input_error.h"
#include "support/mount.h"
#include "support/paths.h"
#include "tcp_stream.pb.h"
#include "vfs/fallible_text_content.h"
#include "vfs/raw_dir.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using Json = nlohmann::json;

std::string proc_tree(const std::string& file) { return fixture("proc-tree/" + file); }

// Decodes a fixture file (or given bytes) by its name, as raw/<name>.json does.
Json decode(const std::string& name, const std::string& bytes) {
  const ImageType* t = find_image_type(fs::path(name).filename().string());
  if (!t || !t->structured()) throw std::runtime_error(name + ": not a structured image");
  return Json::parse(image_to_json(name, bytes, *t));
}
Json decode_fixture(const std::string& file) {
  return decode("proc-tree/" + file, read_file(proc_tree(file)));
}

std::string unbase64(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    size_t v = kAlphabet.find(c);
    if (v == std::string::npos) continue;  // '=', line breaks
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

// protobuf's JSON mapping prints 64-bit integers as strings.
uint64_t num(const Json& j) {
  return j.is_string() ? std::stoull(j.get<std::string>()) : j.get<uint64_t>();
}

std::string serialized(const google::protobuf::Message& m) { return m.SerializeAsString(); }

// ---- the catalog ----

TEST(RawImagesCatalog, NamesMapToTheirImageTypes) {
  struct Case {
    std::string file;
    std::string magic_name;  // "" = unknown file
    bool structured;
  };
  for (const Case& c : std::vector<Case>{
           {"inventory.img", "INVENTORY", true},
           {"pstree.img", "PSTREE", true},
           {"core-25913.img", "CORE", true},
           {"pagemap-25911.img", "PAGEMAP", true},
           {"pagemap-shmem-1068.img", "PAGEMAP", true},
           {"pages-2.img", "RAW", false},
           {"ghost-file-1a.img", "GHOST_FILE", true},
           {"ipcns-var-11.img", "IPC_VAR", true},
           {"ipcns-sem-11.img", "IPCNS_SEM", true},
           {"netns-3.img", "NETNS", true},
           {"netns-ct-3.img", "RAW", false},
           {"route6-3.img", "RAW", false},
           {"tmpfs-dev-44.tar.gz.img", "RAW", false},
           {"stats-dump", "STATS", true},
           {"dump.log", "", false},
           {"descriptors.json", "", false},
           {"amdgpu-pages-1.img", "", false},
           {"reg-files.img", "", false},
       }) {
    const ImageType* t = find_image_type(c.file);
    if (c.magic_name.empty()) {
      EXPECT_EQ(t, nullptr) << c.file;
      continue;
    }
    ASSERT_NE(t, nullptr) << c.file;
    EXPECT_EQ(t->magic_name, c.magic_name) << c.file;
    EXPECT_EQ(t->structured(), c.structured) << c.file;
  }
}

TEST(RawImagesCatalog, AgreesWithTheLoadersMagics) {
  std::map<std::string, uint32_t> loader = {
      {"inventory.img", magic::kInventory},
      {"pstree.img", magic::kPstree},
      {"core-1.img", magic::kCore},
      {"ids-1.img", magic::kIds},
      {"mm-1.img", magic::kMm},
      {"pagemap-1.img", magic::kPagemap},
      {"fdinfo-2.img", magic::kFdinfo},
      {"files.img", magic::kFiles},
      {"fs-1.img", magic::kFs},
      {"remap-fpath.img", magic::kRemapFpath},
      {"ghost-file-1.img", magic::kGhostFile},
      {"memfd.img", magic::kMemfdInode},
      {"tcp-stream-1.img", magic::kTcpStream},
      {"sk-queues.img", magic::kSkQueues},
      {"pipes-data.img", magic::kPipesData},
      {"fifo-data.img", magic::kFifoData},
      {"mountpoints-1.img", magic::kMountpoints},
      {"utsns-1.img", magic::kUtsns},
      {"ipcns-shm-1.img", magic::kIpcShm},
      {"timens-0.img", magic::kTimens},
      {"stats-dump", magic::kStats},
      {"seccomp.img", magic::kSeccomp},
  };
  for (const auto& [file, m] : loader) {
    const ImageType* t = find_image_type(file);
    ASSERT_NE(t, nullptr) << file;
    EXPECT_EQ(t->magic, m) << file;
  }
  EXPECT_EQ(magic_name(magic::kPstree), "PSTREE");
  EXPECT_EQ(magic_name(0x12345678), "0x12345678");
}

// ---- decoding the real fixtures ----

// Every structured image of both fixtures, read through the same Source the
// mount uses (so the webapp archive's cgroup, mountpoints, ipcns, utsns too).
TEST(RawImagesDecode, EveryStructuredImageOfTheFixturesDecodes) {
  CKPTFS_REQUIRE_FIXTURES();
  std::set<std::string> kinds;
  for (const char* input : {"proc-tree", "webapp-checkpoint.tar.zst"}) {
    std::shared_ptr<const Source> src = open_source(fixture(input));
    Layout layout = detect_layouts(*src)[0];
    size_t decoded = 0;
    for (const auto& [name, m] : src->members) {
      if (!name.starts_with(layout.image_dir) || m.type != MemberType::File) continue;
      std::string file = name.substr(layout.image_dir.size());
      const ImageType* t = find_image_type(file);
      if (!t || !t->structured()) continue;
      SCOPED_TRACE(std::string(input) + ": " + name);
      Json j;
      ASSERT_NO_THROW(j = Json::parse(image_to_json(name, m.blob->read_all(kMaxImageSize), *t)));
      EXPECT_EQ(j["magic"], t->magic_name);
      ASSERT_TRUE(j["entries"].is_array());
      EXPECT_FALSE(j["entries"].empty());
      kinds.insert(std::string(t->pattern));
      ++decoded;
    }
    EXPECT_GE(decoded, 25u) << input;
  }
  // The fixtures exercise these patterns; the others have synthetic tests below.
  for (const char* p : {"inventory.img",   "pstree.img",      "core-*.img",        "ids-*.img",
                        "mm-*.img",        "pagemap-*.img",   "fdinfo-*.img",      "files.img",
                        "fs-*.img",        "remap-fpath.img", "ghost-file-*.img",  "memfd.img",
                        "sk-queues.img",   "pipes-data.img",  "mountpoints-*.img", "utsns-*.img",
                        "ipcns-var-*.img", "timens-*.img",    "cgroup.img",        "seccomp.img",
                        "stats-dump"})
    EXPECT_TRUE(kinds.count(p)) << p;
}

TEST(RawImagesDecode, PstreeHasTheWorkloadsThreeProcesses) {
  CKPTFS_REQUIRE_FIXTURES();
  Json j = decode_fixture("pstree.img");
  EXPECT_EQ(j["magic"], "PSTREE");
  std::vector<uint32_t> pids;
  for (const auto& e : j["entries"]) pids.push_back(e["pid"]);
  EXPECT_EQ(pids, (std::vector<uint32_t>{25911, 25915, 25916}));
  // Field names as crit prints them, threads listed, the root's explicit ppid 0 kept.
  EXPECT_EQ(j["entries"][0]["ppid"], 0);
  EXPECT_EQ(j["entries"][0]["threads"], (Json{25911, 25913, 25914}));
}

// nr_pages is field 5 in CRIU >= 4.2 (field 2 is written as 0): the JSON must
// carry the real counts, and they must account for every byte of the pages file.
TEST(RawImagesDecode, PagemapCountsAddUpToThePagesFile) {
  CKPTFS_REQUIRE_FIXTURES();
  for (const char* file :
       {"pagemap-25911.img", "pagemap-25915.img", "pagemap-25916.img", "pagemap-shmem-1068.img"}) {
    SCOPED_TRACE(file);
    Json j = decode_fixture(file);
    EXPECT_EQ(j["magic"], "PAGEMAP");
    const Json& entries = j["entries"];
    ASSERT_GE(entries.size(), 2u);
    ASSERT_TRUE(entries[0].contains("pages_id"));
    EXPECT_FALSE(entries[0].contains("vaddr"));
    uint64_t present = 0;
    for (size_t i = 1; i < entries.size(); ++i) {
      const Json& e = entries[i];
      ASSERT_TRUE(e.contains("nr_pages")) << e.dump();
      EXPECT_GT(num(e["nr_pages"]), 0u) << e.dump();
      if (num(e["flags"]) & 4) present += num(e["nr_pages"]);
    }
    std::string pages = proc_tree("pages-" + std::to_string(num(entries[0]["pages_id"])) + ".img");
    EXPECT_EQ(present * 4096, fs::file_size(pages));
  }
}

TEST(RawImagesDecode, FilesHoldTheRegularFile) {
  CKPTFS_REQUIRE_FIXTURES();
  Json j = decode_fixture("files.img");
  EXPECT_EQ(j["magic"], "FILES");
  bool found = false;
  for (const auto& e : j["entries"])
    found |=
        e["type"] == 1 && e.contains("reg") && e["reg"]["name"] == "/tmp/ckptfs-work/regular.txt";
  EXPECT_TRUE(found) << j.dump(2);
}

TEST(RawImagesDecode, PayloadsAppearAsExtra) {
  CKPTFS_REQUIRE_FIXTURES();
  Json ghost = decode_fixture("ghost-file-1.img");
  ASSERT_EQ(ghost["entries"].size(), 1u);
  EXPECT_EQ(unbase64(ghost["entries"][0]["extra"]), "CKPTFS_DELETED_FILE_CONTENT\n");

  Json pipes = decode_fixture("pipes-data.img");
  ASSERT_EQ(pipes["entries"].size(), 1u);
  EXPECT_EQ(unbase64(pipes["entries"][0]["extra"]), "CKPTFS_PIPE_DATA\n");

  std::set<std::string> packets;
  Json queues = decode_fixture("sk-queues.img");
  for (const auto& e : queues["entries"]) packets.insert(unbase64(e["extra"]));
  EXPECT_EQ(packets,
            (std::set<std::string>{"CKPTFS_UNIX_SK_DATA_A2B\n", "CKPTFS_UNIX_SK_DATA_B2A\n"}));
}

TEST(RawImagesDecode, InventoryAndServiceImagesDecode) {
  CKPTFS_REQUIRE_FIXTURES();
  Json inv = decode_fixture("inventory.img");  // no head magic (§3)
  EXPECT_EQ(inv["magic"], "INVENTORY");
  EXPECT_EQ(inv["entries"][0]["img_version"], 2);
  Json stats = decode_fixture("stats-dump");  // service head magic (§18)
  EXPECT_EQ(stats["magic"], "STATS");
  EXPECT_TRUE(stats["entries"][0].contains("dump"));
}

// ---- broken images ----

TEST(RawImagesDecode, TruncatedImageIsAnInputErrorNamingTheFile) {
  CKPTFS_REQUIRE_FIXTURES();
  std::string bytes = read_file(proc_tree("pstree.img"));
  const ImageType& t = *find_image_type("pstree.img");
  for (size_t cut : {bytes.size() - 3, size_t{10}, size_t{6}, size_t{2}}) {
    SCOPED_TRACE(cut);
    std::string e = error_of([&] { image_to_json("ckpt/pstree.img", bytes.substr(0, cut), t); });
    EXPECT_TRUE(Mentions(e, "ckpt/pstree.img: ", {"truncated"}) ||
                Mentions(e, "ckpt/pstree.img: ", {"past the end"}))
        << e;
  }
  EXPECT_TRUE(Mentions(
      error_of([&] { image_to_json("ckpt/core-1.img", bytes, *find_image_type("core-1.img")); }),
      "ckpt/core-1.img: ", {"wrong magic"}));
  // A payload cut short: pipes-data says 17 bytes follow.
  std::string pipes = read_file(proc_tree("pipes-data.img"));
  EXPECT_TRUE(Mentions(error_of([&] {
                         image_to_json("ckpt/pipes-data.img", pipes.substr(0, pipes.size() - 1),
                                       *find_image_type("pipes-data.img"));
                       }),
                       "ckpt/pipes-data.img: ", {"entry 0", "payload"}));
  // Garbage where a message should be.
  std::string garbage = image(magic::kCommon, magic::kPstree, {std::string("\xff\xff\xff", 3)});
  EXPECT_TRUE(Mentions(error_of([&] { image_to_json("ckpt/pstree.img", garbage, t); }),
                       "ckpt/pstree.img: ", {"entry 0", "pstree_entry"}));
}

TEST(RawImagesDecode, EmptyImageHasNoEntries) {
  Json j = decode("pipes-data.img", image(magic::kCommon, magic::kPipesData, {}));
  EXPECT_EQ(j["magic"], "PIPES_DATA");
  EXPECT_TRUE(j["entries"].is_array() && j["entries"].empty());
}

// Found by fuzzing: protobuf prints some ill-formed UTF-8 in a string into
// its JSON as it is, and the JSON parser then rejected the whole image (a
// crafted comm or mount path hid it). Each bad byte now shows as U+FFFD.
TEST(RawImagesDecode, IllFormedUtf8InAStringShowsAsReplacementCharacters) {
  criu::core_entry core;
  core.set_mtype(1);
  core.mutable_tc()->set_comm(
      "b\xc1\xbc"  // an overlong '<', which protobuf lets through
      "c\xc3\xa9");
  Json j = decode("core-1.img", image(magic::kCommon, magic::kCore, {serialized(core)}));
  EXPECT_EQ(j["entries"][0]["tc"]["comm"], "b\uFFFD\uFFFDc\u00e9");
}

// ---- payload rules the fixtures do not exercise (§2.3) ----

TEST(RawImagesPayloads, TcpStreamShowsBothQueues) {
  criu::tcp_stream_entry e;
  e.set_inq_len(3);
  e.set_outq_len(5);
  std::string img =
      image(magic::kCommon, magic::kTcpStream, {}) + entry(serialized(e)) + "in!" + "out!!";
  Json j = decode("tcp-stream-1f.img", img);
  EXPECT_EQ(unbase64(j["entries"][0]["extra"]["inq"]), "in!");
  EXPECT_EQ(unbase64(j["entries"][0]["extra"]["outq"]), "out!!");
}

TEST(RawImagesPayloads, ChunkedGhostFileShowsEachChunk) {
  criu::ghost_file_entry g;
  g.set_mode(0100644);
  g.set_chunks(true);
  g.set_size(20000);
  criu::ghost_chunk_entry c1, c2;
  c1.set_len(4), c1.set_off(0);
  c2.set_len(2), c2.set_off(16384);
  std::string img = image(magic::kCommon, magic::kGhostFile, {serialized(g)}) +
                    entry(serialized(c1)) + "abcd" + entry(serialized(c2)) + "ef";
  Json j = decode("ghost-file-2.img", img);
  ASSERT_EQ(j["entries"].size(), 3u);
  EXPECT_EQ(j["entries"][0]["chunks"], true);
  EXPECT_FALSE(j["entries"][0].contains("extra"));
  EXPECT_EQ(unbase64(j["entries"][1]["extra"]), "abcd");
  EXPECT_EQ(num(j["entries"][2]["off"]), 16384u);
  EXPECT_EQ(unbase64(j["entries"][2]["extra"]), "ef");
}

TEST(RawImagesPayloads, FifoDataAndBpfmapData) {
  criu::pipe_data_entry p;
  p.set_pipe_id(7);
  p.set_bytes(4);
  Json fifo = decode("fifo-data.img",
                     image(magic::kCommon, magic::kFifoData, {}) + entry(serialized(p)) + "fifo");
  EXPECT_EQ(fifo["magic"], "FIFO_DATA");
  EXPECT_EQ(unbase64(fifo["entries"][0]["extra"]), "fifo");

  criu::bpfmap_data_entry b;
  b.set_map_id(1);
  b.set_keys_bytes(2);
  b.set_values_bytes(3);
  Json bpf = decode("bpfmap-data.img",
                    image(magic::kCommon, 0x64324033, {}) + entry(serialized(b)) + "KKvvv");
  EXPECT_EQ(unbase64(bpf["entries"][0]["extra"]), "KKvvv");
}

TEST(RawImagesPayloads, IpcPayloadsSkipTheirPadding) {
  // Semaphores: nsems u16 values padded to 8 bytes; two entries prove the padding is skipped.
  criu::ipc_sem_entry s;
  s.set_nsems(3);
  std::string sems = std::string("\x01\x00\x02\x00\x03\x00", 6);
  std::string sem_img = image(magic::kCommon, 0x59573019, {}) + entry(serialized(s)) + sems +
                        "\0\0"s + entry(serialized(s)) + sems + "\0\0"s;
  Json sem = decode("ipcns-sem-11.img", sem_img);
  ASSERT_EQ(sem["entries"].size(), 2u);
  EXPECT_EQ(unbase64(sem["entries"][1]["extra"]), sems);

  // Shared memory: size bytes padded to 4, only when not in a shmem pagemap.
  criu::ipc_shm_entry in_file, in_pagemap;
  in_file.set_size(5);
  in_pagemap.set_size(4096);
  in_pagemap.set_in_pagemaps(true);
  std::string shm_img = image(magic::kCommon, magic::kIpcShm, {}) + entry(serialized(in_file)) +
                        "hello\0\0\0"s + entry(serialized(in_pagemap));
  Json shm = decode("ipcns-shm-11.img", shm_img);
  ASSERT_EQ(shm["entries"].size(), 2u);
  EXPECT_EQ(unbase64(shm["entries"][0]["extra"]), "hello");
  EXPECT_FALSE(shm["entries"][1].contains("extra"));

  // Message queues: qnum x (u32 length, ipc_msg, msize bytes padded to 8).
  criu::ipc_msg_entry q;
  q.set_qnum(2);
  criu::ipc_msg m1, m2;
  m1.set_mtype(1), m1.set_msize(3);
  m2.set_mtype(2), m2.set_msize(8);
  std::string msg_img = image(magic::kCommon, 0x55453737, {}) + entry(serialized(q)) +
                        entry(serialized(m1)) + "one\0\0\0\0\0"s + entry(serialized(m2)) +
                        "eightbyt";
  Json msg = decode("ipcns-msg-11.img", msg_img);
  ASSERT_EQ(msg["entries"].size(), 1u);
  const Json& list = msg["entries"][0]["extra"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(num(list[0]["mtype"]), 1u);
  EXPECT_EQ(unbase64(list[0]["extra"]), "one");
  EXPECT_EQ(unbase64(list[1]["extra"]), "eightbyt");
}

// Before CRIU 4.2 the count was field 2: shown under its current name.
TEST(RawImagesPayloads, OldPagemapShowsCompatCount) {
  criu::pagemap_head h;
  h.set_pages_id(1);
  criu::pagemap_entry e;
  e.set_vaddr(0x1000);
  e.set_compat_nr_pages(3);
  Json j = decode("pagemap-1.img",
                  image(magic::kCommon, magic::kPagemap, {serialized(h), serialized(e)}));
  EXPECT_EQ(j["entries"][1]["compat_nr_pages"], 3);
  EXPECT_FALSE(j["entries"][1].contains("nr_pages"));
}

// ---- the raw/ directory, without FUSE ----

struct RawTree {
  explicit RawTree(const std::string& input) : tree(0) {
    auto src = open_source(input);
    c.layout = detect_layouts(*src)[0];
    c.source = std::move(src);
    add_raw_dir(tree, Tree::kRootIno, c);
    tree.seal();
  }
  const Content* file(const std::string& name) const {
    const Node* n = tree.resolve("raw/" + name);
    return n && n->type == NodeType::File ? n->content.get() : nullptr;
  }
  std::string read(const std::string& name) const {
    const Content* f = file(name);
    if (!f) throw std::runtime_error("no raw/" + name);
    std::string s(f->size(), '\0');
    s.resize(f->read(s.data(), s.size(), 0));
    return s;
  }
  Checkpoint c;
  Tree tree;
};

TEST(RawImagesTree, ListsEveryFileAndDecodesOnlyImages) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir dir;
  fs::copy(fixture("proc-tree"), dir.path(), fs::copy_options::recursive);
  write_file(dir / "mystery.img", "not an image we know");
  RawTree raw(dir.path());
  for (const auto& f : fs::directory_iterator(fixture("proc-tree"))) {
    std::string name = f.path().filename();
    SCOPED_TRACE(name);
    EXPECT_EQ(raw.read(name), read_file(f.path()));
    const ImageType* t = find_image_type(name);
    EXPECT_EQ(raw.file(name + ".json") != nullptr, t && t->structured());
  }
  EXPECT_EQ(raw.read("mystery.img"), "not an image we know");
  EXPECT_EQ(raw.file("mystery.img.json"), nullptr);
  EXPECT_NE(raw.file("dump.log"), nullptr);
  EXPECT_EQ(raw.file("dump.log.json"), nullptr);
  EXPECT_EQ(raw.file("pages-2.img.json"), nullptr);
  EXPECT_EQ(Json::parse(raw.read("pstree.img.json"))["magic"], "PSTREE");
  EXPECT_EQ(raw.tree.resolve("raw")->mode, 0500u);
  EXPECT_EQ(raw.tree.resolve("raw/pages-2.img")->mode, 0400u);
}

TEST(RawImagesTree, ContainerArchiveAddsStatsFromTheMetadataDir) {
  RawTree raw(example());
  EXPECT_EQ(Json::parse(raw.read("stats-dump.json"))["magic"], "STATS");
  EXPECT_NE(raw.file("descriptors.json"), nullptr);
  EXPECT_EQ(raw.file("descriptors.json.json"), nullptr);
  EXPECT_NE(raw.file("tmpfs-dev-44.tar.gz.img"), nullptr);
  EXPECT_EQ(raw.file("config.dump"), nullptr);  // engine metadata is not the image dir
}

TEST(RawImagesTree, CorruptImageFailsOnlyItsJsonAndKeepsFailing) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir dir;
  fs::copy(fixture("proc-tree"), dir.path(), fs::copy_options::recursive);
  fs::permissions(dir / "seccomp.img", fs::perms::owner_write, fs::perm_options::add);
  fs::resize_file(dir / "seccomp.img", 10);
  RawTree raw(dir.path());
  const Content* bad = raw.file("seccomp.img.json");
  ASSERT_NE(bad, nullptr);
  // stat must work (a readdir stats every entry); reads fail every time.
  EXPECT_EQ(bad->size(), FallibleTextContent::kFailedSize);
  char buf[16];
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(
        Mentions(error_of([&] { bad->read(buf, sizeof buf, 0); }), "seccomp.img: ", {"truncated"}));
  EXPECT_EQ(raw.read("seccomp.img").size(), 10u);
  EXPECT_EQ(Json::parse(raw.read("pstree.img.json"))["magic"], "PSTREE");
}

// ---- through a real mount ----

TEST(RawImagesMount, ContainerArchiveJsonParsesAndBytesMatch) {
  Mount m(example());
  auto jq = run("cd " + shell_quote(m / "raw") +
                " && n=0; for f in *.json; do n=$((n+1)); jq -e . \"$f\" >/dev/null || echo BAD "
                "$f; done; echo $n");
  ASSERT_EQ(jq.status, 0) << jq.err;
  // Every structured image of the archive (descriptors.json is data, not a decoding).
  EXPECT_EQ(jq.out.find("BAD"), std::string::npos) << jq.out << jq.err;
  EXPECT_GE(std::stoi(jq.out.substr(jq.out.rfind(' ') + 1)), 30) << jq.out;

  TempDir x;
  auto tar = run("tar --zstd -xf " + shell_quote(example()) + " -C " + shell_quote(x.path()) +
                 " checkpoint/pages-2.img checkpoint/pipes-data.img");
  ASSERT_EQ(tar.status, 0) << tar.err;
  for (const char* f : {"pages-2.img", "pipes-data.img"}) {
    auto cmp = run("cmp " + shell_quote(m / ("raw/" + std::string(f))) + " " +
                   shell_quote(x / ("checkpoint/" + std::string(f))));
    EXPECT_EQ(cmp.status, 0) << f << ": " << cmp.out << cmp.err;
  }
  auto pstree = run("jq -r '.entries[].pid' " + shell_quote(m / "raw/pstree.img.json"));
  EXPECT_EQ(pstree.out, "1\n8\n9\n");
  EXPECT_EQ(run("test -e " + shell_quote(m / "raw/pages-2.img.json")).status, 1);
  EXPECT_TRUE(m.unmount()) << m.log();
}

TEST(RawImagesMount, CorruptImageFailsOnlyItsJson) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir dir;
  fs::copy(fixture("proc-tree"), dir.path(), fs::copy_options::recursive);
  fs::permissions(dir / "seccomp.img", fs::perms::owner_write, fs::perm_options::add);
  fs::resize_file(dir / "seccomp.img", 10);
  Mount m(dir.path());
  auto ls = run("ls -l " + shell_quote(m / "raw"));
  EXPECT_EQ(ls.status, 0) << ls.err;
  EXPECT_NE(ls.out.find("seccomp.img.json"), std::string::npos) << ls.out;
  auto bad = run("cat " + shell_quote(m / "raw/seccomp.img.json"));
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("Input/output error"), std::string::npos) << bad.err;
  EXPECT_EQ(run("cat " + shell_quote(m / "raw/seccomp.img.json")).status,
            bad.status);  // stays failed
  EXPECT_EQ(run("jq -e . " + shell_quote(m / "raw/pstree.img.json")).status, 0);
  EXPECT_EQ(
      run("cmp " + shell_quote(m / "raw/seccomp.img") + " " + shell_quote(dir / "seccomp.img"))
          .status,
      0);
  EXPECT_EQ(read_file(m / "procs/25911/comm"), "ckpt_workload\n");
  EXPECT_TRUE(m.unmount());
  EXPECT_NE(m.log().find("seccomp.img"), std::string::npos) << m.log();
}

}  // namespace
}  // namespace ckptfs::test
