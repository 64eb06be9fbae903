#include "images/image_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "bpfmap_data.pb.h"
#include "ghost.pb.h"
#include "images/image_reader.h"
#include "ns.pb.h"
#include "pipe_data.pb.h"
#include "sk_queues.pb.h"
#include "tcp_stream.pb.h"
#include "util/base64.h"
#include "util/error.h"

namespace ckptfs {

namespace {

// Ordered, so that fields keep protobuf's (field number) order, like crit.
using Json = nlohmann::ordered_json;
namespace pb = google::protobuf;

// protobuf copies a string field's bytes into its JSON as they are, and a
// string in a crafted or corrupt image need not be UTF-8, which the JSON
// parser rejects: every ill-formed sequence becomes U+FFFD.
std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && n <= s.size() - i;
    uint32_t cp = n > 1 ? c & (0x7fu >> n) : c;
    for (size_t k = 1; ok && k < n; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      ok = (b & 0xc0) == 0x80;
      cp = cp << 6 | (b & 0x3f);
    }
    // No overlong forms, surrogates or code points past U+10FFFF.
    if (ok && n > 1)
      ok = cp >= (n == 2   ? 0x80u
                  : n == 3 ? 0x800u
                           : 0x10000u) &&
           cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

Json to_json(const ImageReader& r, const pb::Message& m) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;  // "nr_pages", as crit prints it, not "nrPages"
  std::string text;
  auto status = pb::util::MessageToJsonString(m, &text, options);
  if (!status.ok())
    fail(r.name(), "entry {}: cannot show as JSON: {}", r.entry_index(), status.ToString());
  return Json::parse(valid_utf8(text));
}

// Parses an entry as the catalog's message type (generated code, so the
// factory's prototype is the generated class).
std::unique_ptr<pb::Message> parse(const ImageReader& r, DescriptorFn type,
                                   std::string_view bytes) {
  const pb::Descriptor* d = type();
  std::unique_ptr<pb::Message> m(pb::MessageFactory::generated_factory()->GetPrototype(d)->New());
  if (!m->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) r.bad_message(d->name());
  return m;
}

// Payload of len bytes followed by padding up to a multiple of align.
std::string_view padded_extra(ImageReader& r, uint64_t len, uint64_t align) {
  std::string_view v = r.extra(len);
  r.extra((align - len % align) % align);
  return v;
}

class Decoder {
 public:
  Decoder(const std::string& name, std::string data, const ImageType& type)
      : r_(name, std::move(data), type.magic), type_(type) {}

  // Streams what out.dump(4) would print for {"magic": M, "entries": [...]}
  // (an ordered_json: keys in insertion order), one entry at a time.
  void run(const std::function<void(std::string_view)>& out) {
    std::string_view bytes;
    size_t n = 0;
    const std::string head_text =
        "{\n    \"magic\": " + Json(magic_name(r_.type_magic())).dump() + ",\n    \"entries\": [";
    auto emit = [&](const Json& entry) {
      // Strings are valid UTF-8 (valid_utf8), so the handler only guards
      // against surprises. JSON text has no raw newline inside a string:
      // indenting line by line nests the entry two levels deep.
      std::string text = entry.dump(4, ' ', false, Json::error_handler_t::replace);
      std::string nested = n++ ? ",\n" : head_text + "\n";
      nested.reserve(text.size() + text.size() / 8);
      size_t line = 0;
      while (line <= text.size()) {
        size_t eol = std::min(text.find('\n', line), text.size());
        nested.append(8, ' ').append(text, line, eol - line);
        if (eol < text.size()) nested += '\n';
        line = eol + 1;
      }
      out(nested);
    };
    if (type_.head && r_.next(bytes)) emit(head(bytes));
    while (r_.next(bytes)) emit(entry(bytes));
    out(n ? "\n    ]\n}\n" : head_text + "]\n}\n");
  }

 private:
  Json head(std::string_view bytes) {
    auto m = parse(r_, type_.head, bytes);
    Json j = to_json(r_, *m);
    if (type_.extra == ExtraRule::kGhostFile) {
      auto g = r_.parse<criu::ghost_file_entry>(bytes);
      chunked_ = g.chunks();
      // Unchunked: the content runs to EOF (only regular files have any).
      if (!chunked_) {
        std::string_view rest = r_.rest();
        if (S_ISREG(g.mode()) || !rest.empty()) j["extra"] = base64_encode(rest);
      }
    }
    return j;
  }

  Json entry(std::string_view bytes) {
    auto m = parse(r_, type_.entry, bytes);
    Json j = to_json(r_, *m);
    switch (type_.extra) {
      case ExtraRule::kNone:
        break;
      case ExtraRule::kPipeData:
        j["extra"] = base64_encode(r_.extra(r_.parse<criu::pipe_data_entry>(bytes).bytes()));
        break;
      case ExtraRule::kSkQueue:
        j["extra"] = base64_encode(r_.extra(r_.parse<criu::sk_packet_entry>(bytes).length()));
        break;
      case ExtraRule::kTcpStream: {
        auto e = r_.parse<criu::tcp_stream_entry>(bytes);
        // Two queues, as crit shows them.
        std::string_view inq = r_.extra(e.inq_len()), outq = r_.extra(e.outq_len());
        j["extra"] = Json{{"inq", base64_encode(inq)}, {"outq", base64_encode(outq)}};
        break;
      }
      case ExtraRule::kGhostFile:
        // Entries after the head are chunks only in a chunked ghost file.
        if (!chunked_)
          fail(r_.name(), "entry {}: unexpected entry after an unchunked ghost file header",
               r_.entry_index());
        j["extra"] = base64_encode(r_.extra(r_.parse<criu::ghost_chunk_entry>(bytes).len()));
        break;
      case ExtraRule::kIpcShm: {
        auto e = r_.parse<criu::ipc_shm_entry>(bytes);
        // Since CRIU 3.0 the segment's pages are in pagemap-shmem-<id>.img.
        if (!e.in_pagemaps()) j["extra"] = base64_encode(padded_extra(r_, e.size(), 4));
        break;
      }
      case ExtraRule::kIpcSem: {
        auto e = r_.parse<criu::ipc_sem_entry>(bytes);
        j["extra"] = base64_encode(padded_extra(r_, uint64_t{e.nsems()} * 2, 8));
        break;
      }
      case ExtraRule::kIpcMsg:
        j["extra"] = ipc_messages(r_.parse<criu::ipc_msg_entry>(bytes).qnum());
        break;
      case ExtraRule::kBpfmapData: {
        auto e = r_.parse<criu::bpfmap_data_entry>(bytes);
        j["extra"] = base64_encode(r_.extra(uint64_t{e.keys_bytes()} + e.values_bytes()));
        break;
      }
    }
    return j;
  }

  // A queue's messages are framed like entries, each followed by its text:
  // shown as a list of ipc_msg objects with the text as their own "extra".
  Json ipc_messages(uint32_t qnum) {
    Json list = Json::array();
    size_t owner = r_.entry_index();
    for (uint32_t i = 0; i < qnum; ++i) {
      std::string_view bytes;
      if (!r_.next(bytes)) fail(r_.name(), "entry {}: message {} of {} is missing", owner, i, qnum);
      auto msg = r_.parse<criu::ipc_msg>(bytes);
      Json j = to_json(r_, msg);
      j["extra"] = base64_encode(padded_extra(r_, msg.msize(), 8));
      list.push_back(std::move(j));
    }
    return list;
  }

  ImageReader r_;
  const ImageType& type_;
  bool chunked_ = false;
};

}  // namespace

void image_to_json(const std::string& name, std::string data, const ImageType& type,
                   const std::function<void(std::string_view)>& out) {
  if (!type.structured()) fail(name, "a raw image: it has no entries to decode");
  Decoder(name, std::move(data), type).run(out);
}

std::string image_to_json(const std::string& name, std::string data, const ImageType& type) {
  std::string text;
  image_to_json(name, std::move(data), type, [&text](std::string_view s) { text.append(s); });
  return text;
}

}  // namespace ckptfs
