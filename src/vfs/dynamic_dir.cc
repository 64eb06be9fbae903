#include "vfs/dynamic_dir.h"

#include <utility>

namespace ckptfs {

std::shared_ptr<const DynamicDir::Entries> DynamicDir::entries() const {
  std::lock_guard lock(mu_);
  return entries_;
}

void DynamicDir::set(Entries entries) {
  std::shared_ptr<const Entries> before;
  auto after = std::make_shared<const Entries>(std::move(entries));
  std::vector<Observer> observers;
  {
    std::lock_guard lock(mu_);
    if (*entries_ == *after) return;
    before = std::exchange(entries_, after);
    observers = observers_;
  }
  // Outside the lock: an observer may call back into entries().
  for (const auto& o : observers) o(*before, *after);
}

void DynamicDir::observe(Observer o) {
  std::lock_guard lock(mu_);
  observers_.push_back(std::move(o));
}

}  // namespace ckptfs
