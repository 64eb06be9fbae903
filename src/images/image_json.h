#pragma once
// A whole CRIU image decoded to JSON the way `crit show` lays it out:
//   {"magic": "PSTREE", "entries": [ {...}, ... ]}
// Each entry is protobuf's own JSON mapping of the message (proto field names,
// 64-bit integers as strings, bytes as base64). Raw payloads CRIU writes after
// an entry (§2.3) appear in that entry under "extra", base64 encoded.
// Pure: bytes in, text out.

#include <functional>
#include <string>
#include <string_view>

#include "images/image_catalog.h"

namespace ckptfs {

// name is what error messages start with (the file's path in the checkpoint).
// type must be structured(). Throws InputError naming the file when the image
// is truncated, has the wrong magic, or holds a message that does not parse.
std::string image_to_json(const std::string& name, std::string data, const ImageType& type);
// The same text, handed to out piece by piece as each entry is decoded: memory
// holds one entry's JSON at a time, however many entries the image has.
void image_to_json(const std::string& name, std::string data, const ImageType& type,
                   const std::function<void(std::string_view)>& out);

}  // namespace ckptfs
