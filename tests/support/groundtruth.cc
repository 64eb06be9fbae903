#include "support/groundtruth.h"

#include "support/paths.h"

namespace ckptfs::test {

nlohmann::json load_groundtruth(const std::string& label) {
  return nlohmann::json::parse(read_file(fixture(label + ".groundtruth.json")));
}

nlohmann::json load_groundtruth_file(const std::string& path) {
  return nlohmann::json::parse(read_file(path));
}

uint64_t hex(const nlohmann::json& j) { return std::stoull(j.get<std::string>(), nullptr, 16); }

uint32_t ns_pid(const nlohmann::json& p) { return p["ns_pid"].back().get<uint32_t>(); }

}  // namespace ckptfs::test
