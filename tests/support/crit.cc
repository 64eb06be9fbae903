#include "support/crit.h"

#include <filesystem>
#include <stdexcept>

namespace ckptfs::test {

nlohmann::json crit_decode(const std::string& image) {
  CommandResult r = run("crit decode -i " + shell_quote(image));
  if (r.status != 0) throw std::runtime_error("crit decode -i " + image + ": " + r.err);
  return nlohmann::json::parse(r.out);
}

uint64_t crit_u64(const nlohmann::json& v) {
  if (v.is_string()) return std::stoull(v.get<std::string>(), nullptr, 0);
  return v.get<uint64_t>();
}

std::string image_dir_of(const std::string& input, const TempDir& tmp) {
  if (std::filesystem::is_directory(input)) return input;
  std::string out = tmp / "images";
  std::filesystem::create_directories(out);
  // tar sniffs the compression itself.
  CommandResult r = run("tar -xf " + shell_quote(input) + " -C " + shell_quote(out));
  if (r.status != 0) throw std::runtime_error("tar -xf " + input + ": " + r.err);
  if (std::filesystem::exists(out + "/checkpoint/inventory.img")) return out + "/checkpoint";
  return out;
}

}  // namespace ckptfs::test
