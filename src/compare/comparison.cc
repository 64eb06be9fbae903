#include "compare/comparison.h"

#include <algorithm>
#include <stdexcept>

#include "compare/file_delta.h"
#include "compare/process_delta.h"

namespace ckptfs {

std::atomic<uint64_t> Comparison::page_diffs_run_ = 0;

Comparison::Comparison(const Checkpoint& a, const Checkpoint& b, std::string name_a,
                       std::string name_b, PageDiffOptions options)
    : a_(a), b_(b), name_a_(std::move(name_a)), name_b_(std::move(name_b)), options_(options) {
  for (const auto& [pid, p] : a.procs) pids_.push_back(pid);
  for (const auto& [pid, p] : b.procs) pids_.push_back(pid);
  std::sort(pids_.begin(), pids_.end());
  pids_.erase(std::unique(pids_.begin(), pids_.end()), pids_.end());
  for (uint32_t pid : pids_) pages_[pid];  // the map never changes after this
}

const Process* Comparison::process_a(uint32_t pid) const {
  auto it = a_.procs.find(pid);
  return it == a_.procs.end() ? nullptr : &it->second;
}

const Process* Comparison::process_b(uint32_t pid) const {
  auto it = b_.procs.find(pid);
  return it == b_.procs.end() ? nullptr : &it->second;
}

const PageDiff& Comparison::pages(uint32_t pid) const {
  auto it = pages_.find(pid);
  if (it == pages_.end()) throw std::out_of_range("no process " + std::to_string(pid));
  return it->second.get([&] { return compute_pages(pid); });
}

PageDiff Comparison::compute_pages(uint32_t pid) const {
  ++page_diffs_run_;
  // Offsets are virtual addresses of one architecture's layout; another's
  // pages at the same numbers are not the same memory.
  if (a_.arch != b_.arch)
    fail(fmt::format("procs/{}", pid), "cannot compare the memory of {} ({}) with {} ({})", name_a_,
         a_.arch, name_b_, b_.arch);
  return diff_pages(process_a(pid), process_b(pid), options_);
}

const Summary& Comparison::summary() const {
  return summary_.get([&] { return compute_summary(); });
}

Summary Comparison::compute_summary() const {
  Summary s;
  s.name_a = name_a_;
  s.name_b = name_b_;
  s.id_a = a_.info.id;
  s.id_b = b_.info.id;
  s.same_container = s.id_a.empty() || s.id_b.empty() || s.id_a == s.id_b;
  s.container = compare_container_info(a_.info, b_.info);
  s.metadata_files = compare_metadata_files(a_, b_);

  const QueuedData& qa = queued_a_.get([&] { return load_queued_data(a_); });
  const QueuedData& qb = queued_b_.get([&] { return load_queued_data(b_); });
  for (uint32_t pid : pids_) {
    ProcessSummary p =
        compare_process(pid, Side{a_, qa, process_a(pid)}, Side{b_, qb, process_b(pid)});
    const PageDiff& d = pages(pid);
    p.pages_added = d.added;
    p.pages_removed = d.removed;
    p.pages_changed = d.changed;
    s.processes.push_back(std::move(p));
  }

  s.rootfs_diff = compare_stored_tar(a_, b_, "rootfs-diff.tar");
  s.devshm = compare_stored_tar(a_, b_, "devshm-checkpoint.tar");
  s.deleted_files = compare_deleted_files(a_, b_);
  QueuedChanges q = compare_queued(a_, qa, b_, qb);
  s.ghost_files = std::move(q.ghost_files);
  s.pipes = std::move(q.pipes);
  s.socket_queues = std::move(q.socket_queues);
  s.images = compare_images(a_, b_);
  return s;
}

}  // namespace ckptfs
