#include "vfs/views/memory_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "vfs/views/info.h"

namespace ckptfs {

namespace {

// comm comes from the checkpoint: a control byte must not break the table.
std::string printable(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

}  // namespace

ProcessMemory process_memory(const Process& p) {
  ProcessMemory m;
  m.shared = p.shared_stored_bytes;
  m.dumped = p.memory.stored_bytes() - p.shared_stored_bytes;
  m.unavailable = p.pages_unavailable * kPageSize;
  for (const Vma& v : p.vmas)
    if (v.end <= kUserAddressEnd) m.mapped += v.size();  // [vsyscall] is not in the mm, as in VSZ
  return m;
}

std::string render_memory_table(const Checkpoint& c) {
  struct Row {
    std::string pid, command, dumped, shared, mapped;
  };
  std::vector<Row> rows{{"PID", "COMMAND", "DUMPED", "SHARED", "MAPPED"}};
  bool any_unavailable = false;
  for (const auto& [pid, p] : c.procs) {
    ProcessMemory m = process_memory(p);
    any_unavailable |= m.unavailable > 0;
    rows.push_back({std::to_string(pid), printable(p.comm), human_size(m.dumped),
                    human_size(m.shared), human_size(m.mapped)});
  }
  size_t w[5] = {};
  for (const Row& r : rows) {
    w[0] = std::max(w[0], r.pid.size());
    w[1] = std::max(w[1], r.command.size());
    w[2] = std::max(w[2], r.dumped.size());
    w[3] = std::max(w[3], r.shared.size());
    w[4] = std::max(w[4], r.mapped.size());
  }
  std::string out = fmt::format("Memory pages of container \"{}\" (from the pagemaps)\n\n",
                                printable(c.info.name));
  for (const Row& r : rows)
    out += fmt::format("{:>{}}  {:<{}}  {:>{}}  {:>{}}  {:>{}}\n", r.pid, w[0], r.command, w[1],
                       r.dumped, w[2], r.shared, w[3], r.mapped, w[4]);
  out += "\nSHARED pages are stored once per object and counted in every process that maps them.\n";
  if (any_unavailable)
    out += "Some pages are not in this checkpoint (parent image or lazy pages): see memory.json.\n";
  return out;
}

std::string render_memory_json(const Checkpoint& c) {
  nlohmann::ordered_json j;
  j["container_name"] = c.info.name;
  j["processes"] = nlohmann::ordered_json::array();
  for (const auto& [pid, p] : c.procs) {
    ProcessMemory m = process_memory(p);
    nlohmann::ordered_json e;
    e["pid"] = pid;
    e["command"] = p.comm;
    e["dumped_size"] = m.dumped;
    e["shared_size"] = m.shared;
    e["mapped_size"] = m.mapped;
    e["unavailable_size"] = m.unavailable;
    j["processes"].push_back(std::move(e));
  }
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace ckptfs
