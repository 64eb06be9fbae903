#include "vfs/views/diff_summary.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace ckptfs {

namespace {

using nlohmann::json;

// Values come from the checkpoint: one line each, control bytes escaped, long
// ones cut (summary.json has them whole).
std::string shown(const std::string& v, size_t max = 200) {
  std::string s;
  for (unsigned char c : v) {
    if (s.size() >= max) {
      s += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f)
      s += fmt::format("\\x{:02x}", c);
    else
      s += static_cast<char>(c);
  }
  return s.empty() ? "\"\"" : s;
}

char sign(ChangeKind k) {
  switch (k) {
    case ChangeKind::Added:
      return '+';
    case ChangeKind::Removed:
      return '-';
    case ChangeKind::Changed:
      break;
  }
  return '~';
}

std::string fields_text(const std::vector<FieldChange>& fields) {
  std::string s;
  for (const FieldChange& f : fields)
    s += fmt::format("{}{}: {} -> {}", s.empty() ? "" : "; ", f.field, shown(f.a), shown(f.b));
  return s;
}

void changes_text(std::string& out, const char* title, const std::vector<Change>& changes,
                  const char* indent = "  ") {
  if (changes.empty()) {
    out += fmt::format("{}{}: no change\n", indent, title);
    return;
  }
  out += fmt::format("{}{}: {} change{}\n", indent, title, changes.size(),
                     changes.size() == 1 ? "" : "s");
  for (const Change& c : changes) {
    std::string what = c.kind == ChangeKind::Added     ? shown(c.b)
                       : c.kind == ChangeKind::Removed ? shown(c.a)
                                                       : fields_text(c.fields);
    out += fmt::format("{}  {} {}: {}\n", indent, sign(c.kind), shown(c.key), what);
  }
}

std::string pages_text(const ProcessSummary& p) {
  return fmt::format("{} changed ({} bytes differ), {} added, {} removed", p.pages_changed.pages,
                     p.pages_changed.bytes_differ, p.pages_added.pages, p.pages_removed.pages);
}

const char* status(const ProcessSummary& p) {
  if (!p.in_a) return "added";
  if (!p.in_b) return "removed";
  return p.changed() ? "changed" : "unchanged";
}

json field_json(const FieldChange& f) { return {{"field", f.field}, {"a", f.a}, {"b", f.b}}; }

json fields_json(const std::vector<FieldChange>& fields) {
  json j = json::array();
  for (const FieldChange& f : fields) j.push_back(field_json(f));
  return j;
}

json changes_json(const std::vector<Change>& changes) {
  json j = json::array();
  for (const Change& c : changes) {
    json e = {{"change", change_kind_name(c.kind)}, {"key", c.key}};
    if (c.kind != ChangeKind::Added) e["a"] = c.a;
    if (c.kind != ChangeKind::Removed) e["b"] = c.b;
    if (c.kind == ChangeKind::Changed) e["fields"] = fields_json(c.fields);
    j.push_back(std::move(e));
  }
  return j;
}

json totals_json(const PageTotals& t, bool changed) {
  json j = {{"pages", t.pages}, {"bytes", t.pages * kPageSize}};
  if (changed) j["bytes_differ"] = t.bytes_differ;
  return j;
}

}  // namespace

bool summary_has_changes(const Summary& s) {
  bool any = !s.container.empty() || !s.metadata_files.empty() || !s.rootfs_diff.empty() ||
             !s.devshm.empty() || !s.deleted_files.empty() || !s.ghost_files.empty() ||
             !s.pipes.empty() || !s.socket_queues.empty() || !s.images.empty();
  for (const ProcessSummary& p : s.processes) any = any || p.changed();
  return any;
}

std::string render_diff_summary(const Summary& s) {
  std::string o =
      fmt::format("Comparison of {} (A) with {} (B)\n", shown(s.name_a), shown(s.name_b));
  if (!s.same_container)
    o += fmt::format(
        "DIFFERENT CONTAINERS: A is container {}, B is container {}. Compared anyway: "
        "processes are matched by PID, which need not mean the same program.\n",
        shown(s.id_a), shown(s.id_b));
  else if (!s.id_a.empty())
    o += fmt::format("Same container: {}\n", shown(s.id_a));
  o += summary_has_changes(s) ? "Result: the checkpoints differ.\n" : "Result: no difference.\n";

  o += "\n== Container\n";
  if (s.container.empty()) o += "  metadata: no change\n";
  for (const FieldChange& f : s.container)
    o += fmt::format("  {}: {} -> {}\n", f.field, shown(f.a), shown(f.b));
  changes_text(o, "metadata files", s.metadata_files);

  size_t added = 0, removed = 0, changed = 0, in_a = 0, in_b = 0;
  for (const ProcessSummary& p : s.processes) {
    in_a += p.in_a;
    in_b += p.in_b;
    added += !p.in_a;
    removed += !p.in_b;
    changed += p.in_a && p.in_b && p.changed();
  }
  o += fmt::format(
      "\n== Processes: {} in A, {} in B; {} added, {} removed, {} changed, {} unchanged\n", in_a,
      in_b, added, removed, changed, s.processes.size() - added - removed - changed);
  for (const ProcessSummary& p : s.processes)
    o += fmt::format("  {:<9} {} ({})\n", status(p), p.pid, shown(p.comm));

  for (const ProcessSummary& p : s.processes) {
    if (!p.changed()) continue;
    o += fmt::format("\n== Process {} ({}): {}\n", p.pid, shown(p.comm), status(p));
    o += fmt::format("  pages: {} (list: procs/{}/pages)\n", pages_text(p), p.pid);
    for (const FieldChange& f : p.fields)
      o += fmt::format("  {}: {} -> {}\n", f.field, shown(f.a), shown(f.b));
    if (p.in_a && p.in_b) changes_text(o, "threads", p.threads);
    changes_text(o, "mappings", p.mappings);
    changes_text(o, "descriptors", p.descriptors);
    changes_text(o, "sockets", p.sockets);
  }

  o += "\n== Files\n";
  changes_text(o, "rootfs-diff/", s.rootfs_diff);
  changes_text(o, "deleted.files", s.deleted_files);
  changes_text(o, "devshm/", s.devshm);
  changes_text(o, "deleted files still open (files/deleted/)", s.ghost_files);
  changes_text(o, "pipe data (files/pipes/)", s.pipes);
  changes_text(o, "socket queues (files/sockets/)", s.socket_queues);
  o += "\n== CRIU images (pages-*.img are compared above, page by page)\n";
  changes_text(o, "image files", s.images);
  return o;
}

std::string render_diff_summary_json(const Summary& s) {
  json j;
  j["a"] = {{"name", s.name_a}, {"id", s.id_a}};
  j["b"] = {{"name", s.name_b}, {"id", s.id_b}};
  j["same_container"] = s.same_container;
  j["differ"] = summary_has_changes(s);
  j["container"] = {{"fields", fields_json(s.container)},
                    {"files", changes_json(s.metadata_files)}};
  json procs = json::array();
  for (const ProcessSummary& p : s.processes) {
    procs.push_back({{"pid", p.pid},
                     {"comm", p.comm},
                     {"status", status(p)},
                     {"fields", fields_json(p.fields)},
                     {"threads", changes_json(p.threads)},
                     {"mappings", changes_json(p.mappings)},
                     {"descriptors", changes_json(p.descriptors)},
                     {"sockets", changes_json(p.sockets)},
                     {"pages",
                      {{"added", totals_json(p.pages_added, false)},
                       {"removed", totals_json(p.pages_removed, false)},
                       {"changed", totals_json(p.pages_changed, true)}}}});
  }
  j["processes"] = std::move(procs);
  j["files"] = {{"rootfs_diff", changes_json(s.rootfs_diff)},
                {"deleted_files", changes_json(s.deleted_files)},
                {"devshm", changes_json(s.devshm)},
                {"ghost_files", changes_json(s.ghost_files)},
                {"pipes", changes_json(s.pipes)},
                {"socket_queues", changes_json(s.socket_queues)}};
  j["images"] = changes_json(s.images);
  // Paths and values from the checkpoint need not be UTF-8.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace ckptfs
