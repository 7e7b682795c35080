// merit import-cms: CMS's qpp-measures-data files -> the policy's reference tables (YAML table
// files), checked (C900-C905). See docs/inputs.md, "Reference tables", and engine/cms/import.hpp.
// Exit codes: 0 written (warnings allowed), 1 errors in the data (nothing written), 2 usage or I/O.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/cms/import.hpp"
#include "tools/cli.hpp"

namespace fs = std::filesystem;

namespace merit::cli {
namespace {

struct ImportArgs {
  int year = 0;
  std::string measures, benchmarks, out, extends, source_note;
  std::vector<std::string> only;
  bool override_tables = false;
  std::string format = "yaml";
};

// Rows written to a table file: the importer writes one `  - {...}` line per row.
size_t count_rows(const fs::path& file) {
  std::ifstream in(file);
  size_t n = 0;
  bool in_rows = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "rows:") in_rows = true;
    if (in_rows && line.rfind("  - {", 0) == 0) ++n;  // YAML rows
    if (line.rfind("  {", 0) == 0) ++n;                 // JSON rows
  }
  return n;
}

// `--extends` names a policy directory. When it exists relative to the current directory, write
// it relative to the output directory (where policy.yaml's `extends:` is resolved); otherwise
// write it as given (a sibling name such as "2018", or a path relative to the output directory).
std::string extends_from(const std::string& given, const fs::path& out) {
  std::error_code ec;
  if (given.empty() || fs::path(given).is_absolute() || !fs::exists(fs::path(given) / "policy.yaml", ec)) return given;
  fs::path rel = fs::absolute(given, ec).lexically_normal().lexically_relative(fs::absolute(out, ec).lexically_normal());
  std::string r = rel.generic_string();
  if (r.empty()) return given;
  // A name without a '/' would be read as a sibling of the output directory: keep it a path.
  return r.find('/') == std::string::npos ? "./" + r : r;
}

std::string shell_quote(const std::string& s) {
  bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || std::string_view("_./,:=+-").find(ch) != std::string_view::npos;
  });
  if (plain) return s;
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// The command line that writes the same files (for `{command}` in --source-note).
std::string command_line(const ImportArgs& a) {
  std::string s = fmt::format("merit import-cms {} {} {} -o {}", a.year, shell_quote(a.measures),
                              shell_quote(a.benchmarks), shell_quote(a.out));
  if (!a.only.empty()) s += " --measures " + shell_quote(fmt::format("{}", fmt::join(a.only, ",")));
  if (a.override_tables) s += " --override";
  if (a.format != "yaml") s += " --format " + a.format;
  if (!a.extends.empty()) s += " --extends " + shell_quote(a.extends);
  if (!a.source_note.empty()) s += " --source-note " + shell_quote(a.source_note);
  return s;
}

int run(const ImportArgs& a, const Common& c) {
  std::error_code ec;
  for (const auto& f : {a.measures, a.benchmarks})
    if (!fs::is_regular_file(f, ec)) {
      std::cerr << fmt::format("merit: cannot read '{}'\n", f);
      return kUsage;
    }
  engine::cms::ImportOptions o;
  o.year = a.year;
  for (const auto& id : a.only)
    if (!id.empty()) o.only_measures.push_back(id);
  o.override_tables = a.override_tables;
  o.json = a.format == "json";
  o.extends = extends_from(a.extends, a.out);
  o.source_note = a.source_note;
  if (auto at = o.source_note.find("{command}"); at != std::string::npos)
    o.source_note.replace(at, 9, command_line(a));
  dsl::Diagnostics diags;
  bool ok = engine::cms::import_cms(a.measures, a.benchmarks, o, a.out, diags);
  diags.sort();
  print_diags(diags, c);
  if (!ok) {
    bool io = std::any_of(diags.items().begin(), diags.items().end(),
                          [](const dsl::Diagnostic& d) { return d.code == dsl::Code::IoError; });
    std::cerr << fmt::format("merit import-cms: nothing written to {}\n", a.out);
    return io ? kUsage : kInvalid;
  }
  const char* tables[] = {"quality.measures", "quality.benchmarks", "ia.activities", "aci.measures", "cost.measures"};
  auto names = engine::cms::import_file_names(o.json);
  std::vector<std::string> parts;
  for (size_t i = 0; i < names.size(); ++i)
    parts.push_back(fmt::format("{} {}", tables[i], count_rows(fs::path(a.out) / names[i])));
  std::cerr << fmt::format("merit import-cms {}: wrote {}{} (rows: {})\n", a.year, a.out,
                           o.extends.empty() ? "" : " with policy.yaml", fmt::join(parts, ", "));
  return kOk;
}

const CommandRegistrar registrar{CommandSpec{
    "import-cms", [](CLI::App& app, const Common& common) -> std::function<int()> {
      auto args = std::make_shared<ImportArgs>();
      auto* cmd = app.add_subcommand("import-cms", "Convert CMS's measures and benchmarks files into checked table files");
      cmd->add_option("year", args->year, "Performance year (benchmarks of other years are skipped)")
          ->required()
          ->check(CLI::Range(2017, 2100));
      cmd->add_option("measures-json", args->measures, "CMS measures-data.json")->required();
      cmd->add_option("benchmarks-json", args->benchmarks, "CMS benchmarks.json")->required();
      cmd->add_option("-o,--out", args->out, "Output directory (created if needed)")->required();
      cmd->add_option("--measures", args->only,
                      "Keep only these quality and cost measure ids (comma-separated); IA and ACI/PI tables stay "
                      "complete")
          ->delimiter(',');
      cmd->add_option("--format", args->format,
                      "yaml (default: readable, with declared checks) or json (loads several times faster; for CMS's "
                      "full tables)")
          ->check(CLI::IsMember({"yaml", "json"}));
      cmd->add_flag("--override", args->override_tables,
                    "Write 'override: true' in each table file (to replace a base policy's tables)");
      cmd->add_option("--extends", args->extends,
                      "Also write policy.yaml extending this policy directory (use with --override when it already "
                      "has these tables)");
      cmd->add_option("--source-note", args->source_note,
                      "Text appended to each file's 'source:'; {command} stands for this command line");
      cmd->footer(
          "Writes quality-measures.yaml, quality-benchmarks.yaml, ia-activities.yaml, aci-measures.yaml and\n"
          "cost-measures.yaml (docs/inputs.md, \"Reference tables\"); nothing is written when the data has errors.\n"
          "Examples:\n"
          "  merit import-cms 2018 ../shared/cms/2018/measures-data.json ../shared/cms/2018/benchmarks.json -o /tmp/t2018\n"
          "  merit import-cms 2018 measures-data.json benchmarks.json -o policies/2018/data --measures 001,236,MSPB_1 \\\n"
          "      --source-note 'regenerate: {command}'\n"
          "  merit import-cms 2018 measures-data.json benchmarks.json -o /tmp/full-2018 --override --extends "
          "policies/2018\n"
          "Exit codes: 0 written (warnings allowed), 1 errors in the data (nothing written), 2 usage or I/O error.");
      return [args, &common] { return run(*args, common); };
    }}};

}  // namespace
}  // namespace merit::cli
