#include "vfs/views/info.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace ckptfs {

namespace {

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

void tree_lines(const Checkpoint& c, uint32_t pid, const std::string& prefix, bool last,
                std::string& out, int depth) {
  auto it = c.procs.find(pid);
  if (it == c.procs.end() || depth > 4096) return;
  const Process& p = it->second;
  out += fmt::format("{}{}[{}]  {}\n", prefix, last ? "└── " : "├── ", p.pid, p.comm);
  std::string next = prefix + (last ? "    " : "│   ");
  for (size_t i = 0; i < p.children.size(); ++i)
    tree_lines(c, p.children[i], next, i + 1 == p.children.size(), out, depth + 1);
}

nlohmann::ordered_json tree_json(const Checkpoint& c, uint32_t pid, int depth) {
  nlohmann::ordered_json j;
  auto it = c.procs.find(pid);
  if (it == c.procs.end()) return j;
  j["pid"] = pid;
  j["command"] = it->second.comm;
  if (!it->second.children.empty() && depth < 4096) {
    j["children"] = nlohmann::ordered_json::array();
    for (uint32_t child : it->second.children)
      j["children"].push_back(tree_json(c, child, depth + 1));
  }
  return j;
}

}  // namespace

std::string render_info(const Checkpoint& c) {
  const ContainerInfo& i = c.info;
  std::string out;
  auto row = [&](const char* k, const std::string& v) { out += fmt::format("{:<18}{}\n", k, v); };
  row("Container:", i.name);
  row("Engine:", i.engine);
  row("Image:", or_dash(i.image));
  row("ID:", or_dash(i.id));
  row("Runtime:", or_dash(i.runtime));
  row("Created:", or_dash(i.created));
  row("Checkpointed:", i.checkpointed.empty() ? "-"
                       : i.checkpointed_source.empty()
                           ? i.checkpointed
                           : fmt::format("{} ({})", i.checkpointed, i.checkpointed_source));
  if (!i.pod.empty()) row("Pod:", i.pod);
  if (!i.namespace_.empty()) row("Namespace:", i.namespace_);
  row("CRIU version:",
      i.criu_version.empty() ? "unknown (not recorded in the checkpoint)" : i.criu_version);
  row("Checkpoint size:",
      fmt::format("{} ({} bytes)", human_size(i.checkpoint_size), i.checkpoint_size));
  row("Memory pages:",
      fmt::format("{} ({} bytes)", human_size(i.memory_pages_size), i.memory_pages_size));
  row("Root FS diff:",
      i.has_rootfs_diff
          ? fmt::format("{} ({} bytes)", human_size(i.rootfs_diff_size), i.rootfs_diff_size)
          : "-");
  row("Processes:", fmt::format("{}", c.procs.size()));
  out += "Process tree:\n";
  tree_lines(c, c.root_pid, "", true, out, 0);
  return out;
}

std::string render_info_json(const Checkpoint& c) {
  const ContainerInfo& i = c.info;
  nlohmann::ordered_json j;
  j["container_name"] = i.name;
  j["image"] = i.image;
  j["id"] = i.id;
  j["runtime"] = i.runtime;
  j["created"] = i.created;
  if (!i.checkpointed.empty()) j["checkpointed"] = i.checkpointed;
  if (!i.checkpointed_source.empty()) j["checkpointed_source"] = i.checkpointed_source;
  j["engine"] = i.engine;
  if (!i.pod.empty()) j["pod"] = i.pod;
  if (!i.namespace_.empty()) j["namespace"] = i.namespace_;
  if (!i.criu_version.empty()) j["criu_version"] = i.criu_version;
  j["checkpoint_size"] = {{"total_size", i.checkpoint_size},
                          {"memory_pages_size", i.memory_pages_size}};
  if (i.has_rootfs_diff) j["checkpoint_size"]["root_fs_diff_size"] = i.rootfs_diff_size;
  j["process_tree"] = tree_json(c, c.root_pid, 0);
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace ckptfs
