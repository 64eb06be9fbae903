#include "vfs/views/ps.h"

#include <fmt/format.h>

#include "model/process_args.h"
#include "vfs/views/proc_status.h"

namespace ckptfs {

std::string command_line(const Process& p) {
  ProcessText t = read_cmdline(p);
  std::string s = t.bytes;
  while (!s.empty() && s.back() == '\0') s.pop_back();
  for (char& ch : s)
    if (ch == '\0' || ch == '\n') ch = ' ';
  return s.empty() ? "[" + p.comm + "]" : s;
}

namespace {

uint32_t uid_of(const Process& p) {
  if (p.threads.empty() || !p.threads[0].core) return 0;
  return p.threads[0].core->thread_core().creds().uid();
}

void walk(const Checkpoint& c, uint32_t pid, int depth, std::string& out) {
  auto it = c.procs.find(pid);
  if (it == c.procs.end() || depth > 4096) return;
  const Process& p = it->second;
  std::string indent =
      depth == 0 ? "" : std::string(static_cast<size_t>(depth - 1) * 4, ' ') + " \\_ ";
  out += fmt::format("{:>5} {:>7} {:>7} {} {:>4} {}{}\n", uid_of(p), p.pid, p.ppid,
                     state_text(p.state).substr(0, 1), p.threads.size(), indent, command_line(p));
  for (uint32_t child : p.children) walk(c, child, depth + 1, out);
}

}  // namespace

std::string render_ps(const Checkpoint& c) {
  std::string out =
      fmt::format("{:>5} {:>7} {:>7} {} {:>4} {}\n", "UID", "PID", "PPID", "S", "THR", "CMD");
  walk(c, c.root_pid, 0, out);
  // Tasks whose parent is not in the checkpoint (shouldn't happen, but show them).
  for (const auto& [pid, p] : c.procs)
    if (pid != c.root_pid && !c.procs.count(p.ppid)) walk(c, pid, 0, out);
  return out;
}

}  // namespace ckptfs
