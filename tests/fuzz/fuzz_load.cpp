// Fuzz target: policy.yaml text -> engine::load_policy_text -> engine::compile_loaded.
// The policy directory is a fixed temporary tree made once per process, holding valid rule,
// parameter, table and base-policy files, so that names in the fuzzed policy.yaml can refer to
// them (rules: [rules.merit], extends: base, ...). Never crashes, hangs or leaks.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/compiler.hpp"
#include "engine/loader.hpp"

namespace fs = std::filesystem;
using namespace merit;

namespace {

const char* const kRules = R"(module m "fuzz fixture"

def a
  doc "input plus a parameter"
  cite "fuzz"
  = input.x + param.p.rate

def b: number
  cite "fuzz"
  = if a > 1 then a else 0

fn twice(v: number): number
  cite "fuzz"
  = v * 2

def c
  cite "fuzz"
  = twice(b) + count(input.items) + sum(input.items, i => i.v)

def d
  cite "fuzz"
  = let r = param.t.bench[input.name] in r.bounds[0] ?? 0
)";

const char* const kMore = R"(module n
def total = m.c + (input.bonus ?? 0)
override def a = input.x
def broken = m.a +
)";

const char* const kYamlRules = R"(module y
doc: "definitions written in YAML"
definitions:
  plain: "m.a * 2"
  full:
    expr: |
      if m.b > 3 then :high
      else :low
    doc: "a symbol"
    cite: fuzz
    type: symbol
)";

const char* const kParams = R"(doc: "parameters"
parameters:
  p.rate: 60%
  p.limit: {value: $90,000, unit: dollars, cite: "fuzz"}
  p.list: {value: [1, 2, 3], type: "list<number>", cite: fuzz}
  p.tab:
    table:
      key: [id]
      rows:
        - {id: a, v: 1}
        - {id: b, v: 2}
overrides:
  p.rate: 70%
)";

const char* const kTable = R"(table: t.bench
doc: "benchmarks"
cite: fuzz
source: "invented"
key: [id]
columns:
  id: string
  bounds: "list<number>"
rows:
  - {id: "001", bounds: [1.5, 2.5, 3.5]}
  - {id: "002", bounds: [10, 20, 30]}
)";

const char* const kBasePolicy = R"(name: base
year: "2017"
require_citations: false
parameters: [params.yaml]
tables: [table.yaml]
rules: [rules.merit]
inputs:
  x: number
  name: {type: string, doc: "a name"}
  items: "list<{id: string, v: number}>"
outputs: [m.c]
)";

const char* const kBaseParams = R"(parameters:
  p.rate: 50%
  p.limit: $80,000
)";

const char* const kMidPolicy = R"(name: mid
extends: base
rules: [more.merit]
inputs:
  bonus: {type: number, optional: true}
remove:
  definitions: [m.d]
)";

// YAML aliases that repeat or contain themselves (once a stack overflow and a 10^9-node walk).
const char* const kAliasParams = R"(parameters:
  p.self: &s [*s]
  p.bomb:
    - &a0 [1, 1, 1, 1, 1, 1, 1, 1]
    - &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
    - &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
    - &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
    - &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
    - &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
    - &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
    - &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]
    - &a8 [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]
)";

std::string g_root;  // the temporary tree; removed at exit

void write(const fs::path& p, const char* text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

void remove_tree() {
  std::error_code ec;
  if (!g_root.empty()) fs::remove_all(g_root, ec);
}

const fs::path& policy_dir() {
  static const fs::path dir = [] {
    fs::path root = fs::temp_directory_path() / ("merit-fuzz-load-" + std::to_string(::getpid()));
    g_root = root.string();
    std::atexit(remove_tree);
    for (const char* layer : {"policy", "base", "mid"}) {
      fs::path d = root / layer;
      write(d / "rules.merit", kRules);
      write(d / "more.merit", kMore);
      write(d / "defs.yaml", kYamlRules);
      write(d / "params.yaml", kParams);
      write(d / "table.yaml", kTable);
      write(d / "alias_params.yaml", kAliasParams);
    }
    write(root / "base" / "params.yaml", kBaseParams);
    write(root / "base" / "policy.yaml", kBasePolicy);
    write(root / "mid" / "policy.yaml", kMidPolicy);
    write(root / "loop" / "policy.yaml", "name: loop\nextends: loop2\n");
    write(root / "loop2" / "policy.yaml", "name: loop2\nextends: loop\n");
    fs::create_directories(root / "policy" / "adir");  // a directory where a file is expected
    return root / "policy";
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // File names in policy.yaml are read from disk. Keep them inside the fixture tree: no '/'
  // (absolute paths, /dev/zero...), no '\' (YAML escapes could spell one), no "..".
  if (text.find_first_of("/\\") != std::string::npos || text.find("..") != std::string::npos) return -1;
  const fs::path& dir = policy_dir();
  dsl::Diagnostics diags;
  engine::Policy policy = engine::load_policy_text(dir, text, diags);
  (void)policy.debug_string();
  if (!diags.has_errors()) {
    auto program = engine::compile_loaded(policy, diags);
    (void)program;
  }
  diags.sort();
  (void)diags.render();
  return 0;
}
