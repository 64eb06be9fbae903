#pragma once
// RFC 4648 base64 with padding and no line breaks: how binary payloads appear
// in JSON (the same alphabet protobuf's JSON printer uses for bytes fields).

#include <string>
#include <string_view>

namespace ckptfs {

std::string base64_encode(std::string_view bytes);

}  // namespace ckptfs
