// Stage "cycles": function recursion, definition cycles, transitive reads, and the order in
// which definitions can be computed (dependencies first).
#include <algorithm>

#include <fmt/format.h>

#include "dsl/check_context.hpp"

namespace merit::dsl::detail {

namespace {

// Iterative DFS that reports every back edge's cycle once. `edges(i)` lists successors.
template <typename Edges, typename Report>
std::vector<int> postorder(size_t n, Edges edges, Report report_cycle) {
  std::vector<int> state(n, 0), order;  // 0 new, 1 on stack, 2 done
  std::vector<std::pair<int, size_t>> stack;
  for (size_t root = 0; root < n; ++root) {
    if (state[root]) continue;
    stack.emplace_back(static_cast<int>(root), 0);
    state[root] = 1;
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      const std::vector<int>& out = edges(v);
      if (next < out.size()) {
        int w = out[next++];
        if (state[w] == 0) {
          state[w] = 1;
          stack.emplace_back(w, 0);
        } else if (state[w] == 1) {
          std::vector<int> cycle;
          auto it = std::find_if(stack.begin(), stack.end(), [&](auto& p) { return p.first == w; });
          for (; it != stack.end(); ++it) cycle.push_back(it->first);
          report_cycle(cycle);
        }
      } else {
        state[v] = 2;
        order.push_back(v);
        stack.pop_back();
      }
    }
  }
  return order;
}

void merge_sorted(std::vector<int>& into, const std::vector<int>& from) {
  into.insert(into.end(), from.begin(), from.end());
  std::sort(into.begin(), into.end());
  into.erase(std::unique(into.begin(), into.end()), into.end());
}

}  // namespace

void stage_cycles(const CheckUnit& unit, CheckResult& r, Diagnostics& diags) {
  const auto& fns = unit.functions;
  const auto& defs = unit.definitions;

  // Functions may not recurse: the planner inlines every call.
  std::vector<int> fn_order = postorder(
      fns.size(), [&](int i) -> const std::vector<int>& { return r.function_calls[i]; },
      [&](const std::vector<int>& cycle) {
        const auto& f = *fns[cycle.front()];
        std::string path;
        for (int i : cycle) path += fns[i]->qualified() + " -> ";
        path += f.qualified();
        diags.add(Code::FunctionRecursion, at(f.source, f.name_span),
                  cycle.size() == 1 ? fmt::format("function '{}' calls itself", f.qualified())
                                    : fmt::format("functions call each other in a cycle: {}", path),
                  "rules are evaluated without recursion; express the repetition with map, filter or sum");
      });

  // What each function reads, including through the functions it calls (callees come first).
  std::vector<std::vector<int>> fn_defs = r.function_reads_definitions, fn_params = r.function_reads_parameters;
  for (int f : fn_order)
    for (int g : r.function_calls[f]) {
      if (g == f) continue;
      merge_sorted(fn_defs[f], fn_defs[g]);
      merge_sorted(fn_params[f], fn_params[g]);
    }
  for (size_t d = 0; d < defs.size(); ++d) {
    std::sort(r.reads_definitions[d].begin(), r.reads_definitions[d].end());
    std::sort(r.reads_parameters[d].begin(), r.reads_parameters[d].end());
    for (int f : r.definition_calls[d]) {
      merge_sorted(r.reads_definitions[d], fn_defs[f]);
      merge_sorted(r.reads_parameters[d], fn_params[f]);
    }
  }

  r.order = postorder(
      defs.size(), [&](int i) -> const std::vector<int>& { return r.reads_definitions[i]; },
      [&](const std::vector<int>& cycle) {
        const auto& first = *defs[cycle.front()];
        std::string path;
        for (int i : cycle) path += defs[i]->qualified() + " -> ";
        path += first.qualified();
        auto& d = diags.add(Code::DefinitionCycle, at(first.source, first.name_span),
                            cycle.size() == 1
                                ? fmt::format("'{}' depends on itself", first.qualified())
                                : fmt::format("definitions depend on each other in a cycle: {}", path),
                            "break the cycle: one of these values must be computed without the others");
        for (size_t k = 1; k < cycle.size(); ++k)
          d.notes.push_back({at(defs[cycle[k]]->source, defs[cycle[k]]->name_span),
                             fmt::format("'{}' is part of the cycle", defs[cycle[k]]->qualified())});
      });
}

}  // namespace merit::dsl::detail
