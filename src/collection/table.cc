#include "collection/table.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "util/human_size.h"

namespace ckptfs {

namespace {

const char* state_name(RowState s) {
  switch (s) {
    case RowState::NotOpened:
      return "not yet opened";
    case RowState::Ready:
      return "ready";
    case RowState::Failed:
      return "error";
  }
  return "?";
}

// One cell: never empty, never more than one line (names come from archives).
std::string cell(const std::string& s) {
  if (s.empty()) return "-";
  std::string out = s;
  for (char& ch : out)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  return out;
}

}  // namespace

std::string render_table(const std::vector<TableRow>& rows) {
  std::vector<std::vector<std::string>> cells;
  cells.push_back({"NAME", "NAMESPACE", "POD", "CONTAINER", "ENGINE", "CHECKPOINTED", "SIZE",
                   "ARCHIVE", "STATE"});
  for (const TableRow& r : rows) {
    std::string state = r.state == RowState::Failed ? "error: " + r.error : state_name(r.state);
    cells.push_back({cell(r.name.value_or("")), cell(r.namespace_), cell(r.pod), cell(r.container),
                     cell(r.engine), cell(r.checkpointed),
                     r.kind.empty() && r.size == 0 ? "-" : human_size(r.size), cell(r.archive),
                     cell(state)});
  }
  std::vector<size_t> width(cells[0].size(), 0);
  for (const auto& line : cells)
    for (size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
  std::string out;
  for (const auto& line : cells) {
    std::string l;
    for (size_t c = 0; c < line.size(); ++c) {
      l += line[c];
      if (c + 1 < line.size()) l.append(width[c] - line[c].size() + 2, ' ');
    }
    out += l + "\n";
  }
  return out;
}

std::string render_json(const std::vector<TableRow>& rows) {
  using nlohmann::json;
  // Written field by field rather than through a json document: a table of
  // thousands of rows would otherwise need megabytes for a moment.
  auto quoted = [](const std::string& v) {
    // Invalid UTF-8 in a name from an archive becomes U+FFFD rather than an
    // exception: the table must always render.
    return json(v).dump(-1, ' ', false, json::error_handler_t::replace);
  };
  auto opt = [&](const std::string& v) { return v.empty() ? std::string("null") : quoted(v); };
  std::string out = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const TableRow& r = rows[i];
    out += i ? ",\n  {" : "\n  {";
    auto field = [&](const char* key, const std::string& value, bool last = false) {
      out += "\n    \"";
      out += key;
      out += "\": ";
      out += value;
      if (!last) out += ",";
    };
    field("name", r.name ? quoted(*r.name) : "null");
    field("archive", quoted(r.archive));
    field("path", quoted(r.path));
    field("kind", opt(r.kind));
    field("size", std::to_string(r.size));
    field("container", opt(r.container));
    field("pod", opt(r.pod));
    field("namespace", opt(r.namespace_));
    field("engine", opt(r.engine));
    field("checkpointed", opt(r.checkpointed));
    field("checkpointed_source", opt(r.checkpointed_source));
    field("by_pod", r.by_pod ? quoted(*r.by_pod) : "null");
    field("state", quoted(state_name(r.state)));
    field("error", r.state == RowState::Failed ? quoted(r.error) : "null", true);
    out += "\n  }";
  }
  out += rows.empty() ? "]\n" : "\n]\n";
  return out;
}

}  // namespace ckptfs
