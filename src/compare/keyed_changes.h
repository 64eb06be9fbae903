#pragma once
// The one way items of two sides become Changes: matched by key, an item on
// one side only is added or removed, one on both is changed when any of its
// fields differ.

#include <map>
#include <string>
#include <vector>

#include "compare/change.h"

namespace ckptfs {

inline void field_change(std::vector<FieldChange>& out, const char* name, const std::string& a,
                         const std::string& b) {
  if (a != b) out.push_back({name, a, b});
}

// key_text(key) names an item, describe(item) says what it is on its side,
// compare(fields, item_a, item_b) appends the fields that differ.
template <typename Key, typename Item, typename KeyText, typename Describe, typename Compare>
void keyed_changes(std::vector<Change>& out, const std::map<Key, Item>& a,
                   const std::map<Key, Item>& b, KeyText key_text, Describe describe,
                   Compare compare) {
  auto ia = a.begin(), ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      out.push_back({ChangeKind::Removed, key_text(ia->first), describe(ia->second), "", {}});
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      out.push_back({ChangeKind::Added, key_text(ib->first), "", describe(ib->second), {}});
      ++ib;
    } else {
      Change c{
          ChangeKind::Changed, key_text(ia->first), describe(ia->second), describe(ib->second), {}};
      compare(c.fields, ia->second, ib->second);
      if (!c.fields.empty()) out.push_back(std::move(c));
      ++ia, ++ib;
    }
  }
}

}  // namespace ckptfs
