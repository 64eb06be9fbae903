#pragma once
// Which CRIU image a file name is (criu-image-format.md §2.1): its type magic,
// the protobuf message of its entries and what raw payload follows them
// (§2.3). The one table every generic image consumer (raw/, decoding to JSON)
// looks names up in; the loader keeps its own typed reads.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace google::protobuf {
class Descriptor;
}

namespace ckptfs {

// How to find (and show) the raw bytes CRIU writes after some entries.
enum class ExtraRule {
  kNone,
  kPipeData,    // pipe_data_entry.bytes (pipes-data, fifo-data)
  kSkQueue,     // sk_packet_entry.length
  kTcpStream,   // inq_len bytes, then outq_len bytes
  kGhostFile,   // content to EOF, or after each ghost_chunk_entry (chunks)
  kIpcShm,      // size bytes padded to 4, unless in_pagemaps
  kIpcSem,      // nsems u16 values padded to 8
  kIpcMsg,      // qnum x (u32 length, ipc_msg, msize bytes padded to 8)
  kBpfmapData,  // keys_bytes + values_bytes
};

using DescriptorFn = const google::protobuf::Descriptor* (*)();

struct ImageType {
  std::string_view pattern;     // file name; at most one '*' standing for the id
  uint32_t magic;               // type magic; 0 for raw images (§1.4)
  std::string_view magic_name;  // CRIU's name of the magic, as `crit show` prints it
  // The first entry's message when it differs from the others (pagemap_head,
  // ghost_file_entry); null when every entry is an `entry`.
  DescriptorFn head = nullptr;
  DescriptorFn entry = nullptr;  // null: a raw image, shown only as bytes
  ExtraRule extra = ExtraRule::kNone;

  bool structured() const { return entry != nullptr; }
};

// The catalog entry for a file of the image directory (a base name, no
// directory); null for files ckptfs does not know (logs, descriptors.json,
// plugin files, legacy images).
const ImageType* find_image_type(std::string_view file_name);

// Every entry, in match order (more specific patterns first).
std::span<const ImageType> image_catalog();

// "PSTREE" for a known type magic, else "0x%08x".
std::string magic_name(uint32_t magic);

// Glob match with at most one '*' (which may match an empty string).
bool matches_pattern(std::string_view pattern, std::string_view name);

}  // namespace ckptfs
