#include "collection/naming.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "model/loader.h"
#include "vfs/build.h"

namespace ckptfs {

namespace {

// The components that tell checkpoints of one container name apart, in order.
std::vector<std::string> components(const NameFacts& f) {
  return {f.pod, f.namespace_, f.checkpointed, checkpoint_base_name(f.archive)};
}

// Ties (the same name for several) broken by key order: "~2", "~3"…
void make_unique(std::vector<std::string>& names, const std::vector<NameFacts>& facts,
                 std::set<std::string> taken) {
  std::vector<size_t> order(names.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(names[a], facts[a].key) < std::tie(names[b], facts[b].key);
  });
  for (size_t i : order) {
    std::string n = names[i];
    for (int k = 2; taken.count(n); ++k) n = names[i] + "~" + std::to_string(k);
    taken.insert(n);
    names[i] = std::move(n);
  }
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : safe_name(s); }

}  // namespace

std::vector<CheckpointNames> assign_names(const std::vector<NameFacts>& facts,
                                          const std::set<std::string>& reserved) {
  std::map<std::string, std::vector<size_t>> by_container;
  for (size_t i = 0; i < facts.size(); ++i)
    by_container[safe_name(facts[i].container)].push_back(i);

  std::vector<std::string> dirs(facts.size());
  for (const auto& [base, members] : by_container) {
    if (members.size() == 1) {
      dirs[members[0]] = base;
      continue;
    }
    // For each k, how many of the group share their first k components: a
    // checkpoint takes the smallest k at which it is alone.
    std::vector<std::vector<std::string>> comps;
    for (size_t i : members) comps.push_back(components(facts[i]));
    size_t levels = comps[0].size();
    std::vector<size_t> k_of(members.size(), levels);
    for (size_t k = 1; k < levels; ++k) {
      std::map<std::string, size_t> count;
      std::vector<std::string> keys(members.size());
      for (size_t m = 0; m < members.size(); ++m) {
        for (size_t c = 0; c < k; ++c) keys[m] += comps[m][c] + '\0';
        ++count[keys[m]];
      }
      for (size_t m = 0; m < members.size(); ++m)
        if (k_of[m] == levels && count[keys[m]] == 1) k_of[m] = k;
    }
    for (size_t m = 0; m < members.size(); ++m) {
      std::string name = base;
      for (size_t c = 0; c < k_of[m]; ++c)
        if (!comps[m][c].empty()) name += "_" + safe_name(comps[m][c]);
      dirs[members[m]] = name;
    }
  }
  make_unique(dirs, facts, reserved);

  std::vector<std::string> by_pod(facts.size());
  for (size_t i = 0; i < facts.size(); ++i)
    by_pod[i] = or_dash(facts[i].namespace_) + "/" + or_dash(facts[i].pod) + "/" +
                or_dash(facts[i].container) + "/" + or_dash(facts[i].checkpointed);
  make_unique(by_pod, facts, {});

  std::vector<CheckpointNames> out(facts.size());
  for (size_t i = 0; i < facts.size(); ++i) out[i] = {dirs[i], by_pod[i]};
  return out;
}

}  // namespace ckptfs
