#include "vfs/views/info.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace ckptfs {

namespace {

using ojson = nlohmann::ordered_json;

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

// Engine metadata and image annotations are the input's words: keep them
// from moving the terminal's cursor or colours when info is cat'ed.
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  return out;
}

std::string sized(uint64_t bytes) { return fmt::format("{} ({} bytes)", human_size(bytes), bytes); }

// checkpointctl's FormatTime: µs below a millisecond, then ms, then s, with
// up to 5 significant digits.
std::string duration(uint32_t us) {
  if (us < 1000) return fmt::format("{} µs", us);
  double v = us < 1000000 ? us / 1000.0 : us / 1e6;
  std::string s = fmt::format("{:.5g}", v);
  if (s.find('.') != std::string::npos && s.find('e') == std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s + (us < 1000000 ? " ms" : " s");
}

// "  label:   value" lines, values aligned; a value's further lines are
// indented to its column.
class Section {
 public:
  void row(const std::string& label, const std::string& value) {
    rows_.emplace_back(label + ":", printable(value));
  }
  void render(const std::string& title, std::string& out) const {
    if (rows_.empty()) return;
    out += title + ":\n";
    size_t width = 0;
    for (const auto& [l, v] : rows_) width = std::max(width, l.size());
    std::string pad(width + 4, ' ');
    for (const auto& [l, v] : rows_) {
      // A value that starts on a line of its own (pretty-printed JSON) has
      // none after its label.
      if (v.empty() || v.starts_with('\n'))
        out += "  " + l;
      else
        out += fmt::format("  {:<{}}", l, width + 2);
      size_t i = 0;
      while (true) {
        if (v.empty()) {
          out += "\n";
          break;
        }
        size_t j = v.find('\n', i);
        out += v.substr(i, j == std::string::npos ? std::string::npos : j - i) + "\n";
        if (j == std::string::npos || j + 1 == v.size()) break;
        i = j + 1;
        out += pad;
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> rows_;
};

// CRI-O keeps labels, annotations, metadata and volumes as JSON strings;
// kubectl its last applied configuration. Shown pretty-printed.
std::string annotation_value(const std::string& v) {
  if (v.empty() || (v.front() != '{' && v.front() != '[')) return v;
  auto j = nlohmann::ordered_json::parse(v, nullptr, false);
  if (j.is_discarded() || !(j.is_object() || j.is_array())) return v;
  return "\n" + j.dump(2, ' ', false, ojson::error_handler_t::replace);
}

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

ojson tree_json(const Checkpoint& c, uint32_t pid, int depth) {
  ojson j;
  auto it = c.procs.find(pid);
  if (it == c.procs.end()) return j;
  j["pid"] = pid;
  j["command"] = it->second.comm;
  if (!it->second.children.empty() && depth < 4096) {
    j["children"] = ojson::array();
    for (uint32_t child : it->second.children)
      j["children"].push_back(tree_json(c, child, depth + 1));
  }
  return j;
}

bool has_plugin(const ContainerInfo& i, std::string_view name) {
  return std::find(i.criu_plugins.begin(), i.criu_plugins.end(), name) != i.criu_plugins.end();
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void oci_text(const OciImage& img, const ContainerInfo& i, std::string& out) {
  Section s;
  if (!img.ref_name.empty()) s.row("Reference", img.ref_name);
  s.row("Read from", img.layout);
  s.row("Manifest", img.manifest.digest);
  s.row("Config", img.config.digest);
  if (!img.created.empty()) s.row("Created", img.created);
  if (!img.os.empty() || !img.architecture.empty())
    s.row("Platform", img.os + "/" + img.architecture);
  for (const OciLayer& l : img.layers)
    s.row("Layer", fmt::format("{}\n{}, {}; {}", l.blob.digest,
                               l.compression == "none" ? "uncompressed" : l.compression,
                               sized(l.blob.size), l.verification));
  s.render("OCI image", out);
  Section a;
  for (const LabelledAnnotation& an : i.image_annotations) a.row(an.label, an.value);
  a.render("Image annotations", out);
}

ojson oci_json(const OciImage& img, const ContainerInfo& i) {
  ojson j;
  j["read_from"] = img.layout;
  if (!img.ref_name.empty()) j["ref_name"] = img.ref_name;
  j["manifest_digest"] = img.manifest.digest;
  j["config_digest"] = img.config.digest;
  if (!img.created.empty()) j["created"] = img.created;
  if (!img.architecture.empty()) j["architecture"] = img.architecture;
  if (!img.os.empty()) j["os"] = img.os;
  j["layers"] = ojson::array();
  for (const OciLayer& l : img.layers)
    j["layers"].push_back({{"digest", l.blob.digest},
                           {"media_type", l.blob.media_type},
                           {"size", l.blob.size},
                           {"compression", l.compression},
                           {"verification", l.verification}});
  j["annotations"] = ojson::object();
  for (const auto& [k, v] : img.annotations) j["annotations"][k] = v;
  j["checkpoint_annotations"] = ojson::array();
  for (const LabelledAnnotation& a : i.image_annotations)
    if (a.label != a.key)
      j["checkpoint_annotations"].push_back(
          {{"label", a.label}, {"key", a.key}, {"value", a.value}});
  return j;
}

}  // namespace

std::string render_info(const Checkpoint& c) {
  const ContainerInfo& i = c.info;
  std::string out;
  auto row = [&](const char* k, const std::string& v) {
    out += fmt::format("{:<18}{}\n", k, printable(v));
  };
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
  if (!i.ip.empty()) row("IP:", i.ip);
  if (!i.mac.empty()) row("MAC:", i.mac);
  row("CRIU version:",
      i.criu_version.empty() ? "unknown (not recorded in the checkpoint)" : i.criu_version);
  if (!i.criu_plugins.empty())
    row("CRIU plugins:",
        joined(i.criu_plugins) + (has_plugin(i, "cuda_plugin")
                                      ? " (CUDA: GPU memory was moved to the processes' memory, "
                                        "so it is part of the memory pages)"
                                      : ""));
  row("Checkpoint size:", sized(i.checkpoint_size));
  row("Memory pages:", sized(i.memory_pages_size));
  if (i.amdgpu_pages_size) row("AMD GPU pages:", sized(i.amdgpu_pages_size));
  row("Root FS diff:", i.has_rootfs_diff ? sized(i.rootfs_diff_size) : "-");
  row("Processes:", fmt::format("{}", c.procs.size()));

  Section net;
  for (const NetworkInterface& n : i.networks) {
    std::string v = or_dash(n.ip);
    if (!n.gateway.empty()) v += ", gateway " + n.gateway;
    if (!n.mac.empty()) v += ", MAC " + n.mac;
    net.row(n.network + (n.name.empty() ? "" : "/" + n.name), v);
  }
  net.render("Networks", out);
  if (i.dump_stats) {
    const DumpStats& d = *i.dump_stats;
    Section s;
    s.row("Freezing time", duration(d.freezing_time));
    s.row("Frozen time", duration(d.frozen_time));
    s.row("Memdump time", duration(d.memdump_time));
    s.row("Memwrite time", duration(d.memwrite_time));
    s.row("Pages scanned", std::to_string(d.pages_scanned));
    s.row("Pages written", std::to_string(d.pages_written));
    s.render("CRIU dump statistics", out);
  }
  Section gpu;
  for (const PluginFiles& f : i.plugin_files)
    gpu.row(fmt::format("{} ({})", f.what, f.pattern),
            fmt::format("{} file{}, {}", f.files, f.files == 1 ? "" : "s", sized(f.bytes)));
  gpu.render("GPU plugin files", out);
  if (i.oci) oci_text(*i.oci, i, out);
  Section ann;
  for (const auto& [k, v] : i.annotations) ann.row(k, annotation_value(v));
  ann.render("Annotations", out);
  out += "Process tree:\n";
  tree_lines(c, c.root_pid, "", true, out, 0);
  return out;
}

std::string render_info_json(const Checkpoint& c) {
  const ContainerInfo& i = c.info;
  ojson j;
  j["container_name"] = i.name;
  j["image"] = i.image;
  j["id"] = i.id;
  j["runtime"] = i.runtime;
  j["created"] = i.created;
  if (!i.checkpointed.empty()) j["checkpointed"] = i.checkpointed;
  if (!i.checkpointed_source.empty()) j["checkpointed_source"] = i.checkpointed_source;
  j["engine"] = i.engine;
  if (!i.ip.empty()) j["ip"] = i.ip;
  if (!i.mac.empty()) j["mac"] = i.mac;
  if (!i.networks.empty()) {
    // checkpointctl's shape: one entry per network, its interfaces by name.
    ojson nets = ojson::array();
    for (const NetworkInterface& n : i.networks) {
      if (nets.empty() || nets.back()["name"] != n.network)
        nets.push_back({{"name", n.network}, {"interfaces", ojson::object()}});
      ojson iface = ojson::object();
      if (!n.ip.empty()) iface["ip"] = n.ip;
      if (!n.mac.empty()) iface["mac"] = n.mac;
      if (!n.gateway.empty()) iface["gateway"] = n.gateway;
      nets.back()["interfaces"][n.name] = iface;
    }
    j["networks"] = nets;
  }
  if (!i.pod.empty()) j["pod"] = i.pod;
  if (!i.namespace_.empty()) j["namespace"] = i.namespace_;
  if (!i.criu_version.empty()) j["criu_version"] = i.criu_version;
  if (!i.criu_plugins.empty()) j["criu_plugins"] = i.criu_plugins;
  j["checkpoint_size"] = {{"total_size", i.checkpoint_size},
                          {"memory_pages_size", i.memory_pages_size}};
  if (i.amdgpu_pages_size) j["checkpoint_size"]["amd_gpu_memory_pages_size"] = i.amdgpu_pages_size;
  if (i.has_rootfs_diff) j["checkpoint_size"]["root_fs_diff_size"] = i.rootfs_diff_size;
  if (!i.plugin_files.empty()) {
    j["gpu_plugin_files"] = ojson::array();
    for (const PluginFiles& f : i.plugin_files)
      j["gpu_plugin_files"].push_back(
          {{"kind", f.what}, {"pattern", f.pattern}, {"files", f.files}, {"size", f.bytes}});
  }
  if (i.dump_stats) {
    const DumpStats& d = *i.dump_stats;
    j["statistics"] = {{"freezing_time", d.freezing_time}, {"frozen_time", d.frozen_time},
                       {"memdump_time", d.memdump_time},   {"memwrite_time", d.memwrite_time},
                       {"pages_scanned", d.pages_scanned}, {"pages_written", d.pages_written}};
  }
  if (!i.pod.empty() || !i.namespace_.empty() || !i.annotations.empty()) {
    ojson m = ojson::object();
    if (!i.pod.empty()) m["pod_name"] = i.pod;
    if (!i.namespace_.empty()) m["kubernetes_namespace"] = i.namespace_;
    if (!i.annotations.empty()) {
      m["annotations"] = ojson::object();
      for (const auto& [k, v] : i.annotations) m["annotations"][k] = v;
    }
    j["metadata"] = m;
  }
  if (i.oci) j["oci_image"] = oci_json(*i.oci, i);
  j["process_tree"] = tree_json(c, c.root_pid, 0);
  return j.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

}  // namespace ckptfs
