// Shared helpers of the check stages (not part of the dsl's public interface).
#pragma once

#include <map>
#include <string>

#include "dsl/checker.hpp"

namespace merit::dsl::detail {

// Name lookup tables built once per check.
struct NameIndex {
  std::map<std::string, int, std::less<>> definitions;  // qualified -> index
  std::map<std::string, int, std::less<>> functions;
  std::map<std::string, int, std::less<>> parameters;
  explicit NameIndex(const CheckUnit& u);
};

Location at(const SourcePtr& s, Span span);

void stage_resolve(const CheckUnit&, CheckResult&, Diagnostics&);
void stage_types(const CheckUnit&, CheckResult&, Diagnostics&);
void stage_cycles(const CheckUnit&, CheckResult&, Diagnostics&);
void stage_lint(const CheckUnit&, CheckResult&, Diagnostics&);

}  // namespace merit::dsl::detail
