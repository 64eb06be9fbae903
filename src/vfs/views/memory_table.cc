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
  m.shared_dumped = p.shared_stored_bytes;
  m.dumped = p.memory.stored_bytes() - p.shared_stored_bytes;
  m.unavailable = p.pages_unavailable * kPageSize;
  for (const Vma& v : p.vmas) {
    if (v.end <= kUserAddressEnd) m.mapped += v.size();  // [vsyscall] is not in the mm, as in VSZ
    if (v.shared) m.shared_mapped += v.size();
  }
  return m;
}

std::string render_memory_table(const Checkpoint& c) {
  struct Row {
    std::string cell[6];
  };
  std::vector<Row> rows{{{"PID", "COMMAND", "DUMPED", "SHARED-DUMPED", "SHARED-MAPPED", "MAPPED"}}};
  bool any_unavailable = false;
  for (const auto& [pid, p] : c.procs) {
    ProcessMemory m = process_memory(p);
    any_unavailable |= m.unavailable > 0;
    rows.push_back(
        {{std::to_string(pid), printable(p.comm), human_size(m.dumped), human_size(m.shared_dumped),
          human_size(m.shared_mapped), human_size(m.mapped)}});
  }
  size_t w[6] = {};
  for (const Row& r : rows)
    for (size_t i = 0; i < 6; ++i) w[i] = std::max(w[i], r.cell[i].size());
  std::string out = fmt::format("Memory pages of container \"{}\" (from the pagemaps)\n\n",
                                printable(c.info.name));
  for (const Row& r : rows)
    out +=
        fmt::format("{:>{}}  {:<{}}  {:>{}}  {:>{}}  {:>{}}  {:>{}}\n", r.cell[0], w[0], r.cell[1],
                    w[1], r.cell[2], w[2], r.cell[3], w[3], r.cell[4], w[4], r.cell[5], w[5]);
  out +=
      "\n"
      "DUMPED         the process's own pages stored in the checkpoint\n"
      "SHARED-DUMPED  stored pages of the shared memory objects it maps (MAP_SHARED\n"
      "               anonymous, memfd, SysV): stored once per object, counted in\n"
      "               every process that maps them\n"
      "SHARED-MAPPED  size of its MAP_SHARED mappings, stored or not, files included\n"
      "               (checkpointctl's \"Shared memory size\")\n"
      "MAPPED         size of all its mappings (VSZ)\n";
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
    e["shared_dumped_size"] = m.shared_dumped;
    e["shared_mapped_size"] = m.shared_mapped;
    e["mapped_size"] = m.mapped;
    e["unavailable_size"] = m.unavailable;
    j["processes"].push_back(std::move(e));
  }
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace ckptfs
