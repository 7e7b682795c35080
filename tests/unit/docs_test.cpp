// Keeps the documentation true: every ```merit block in the docs must parse as a rule file.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "dsl/parser.hpp"
#include "engine/loader.hpp"
#include "support/test_files.hpp"

namespace {

struct Block {
  size_t line = 0;  // 1-based line of the first line of code (after the fence)
  std::string text;
};

// The ```merit blocks of a Markdown text. A fence is a line that starts with ``` in column 1.
// An unterminated block is reported with line 0 so that the test fails visibly.
std::vector<Block> merit_blocks(const std::string& markdown) {
  std::vector<Block> out;
  bool in_merit = false, in_other = false;
  Block cur;
  size_t line_no = 0, start = 0;
  while (start <= markdown.size()) {
    size_t nl = markdown.find('\n', start);
    std::string line = markdown.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    bool fence = line.rfind("```", 0) == 0;
    if (in_merit) {
      if (fence) {
        out.push_back(cur);
        in_merit = false;
      } else {
        cur.text += line + "\n";
      }
    } else if (in_other) {
      if (fence) in_other = false;
    } else if (fence) {
      std::string info = line.substr(3);
      while (!info.empty() && (info.back() == ' ' || info.back() == '\t')) info.pop_back();
      if (info == "merit") {
        in_merit = true;
        cur = Block{line_no + 1, {}};
      } else {
        in_other = true;
      }
    }
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  if (in_merit) out.push_back(Block{0, cur.text});
  return out;
}

}  // namespace

TEST_CASE("the block extractor finds merit blocks and skips other fences", "[docs]") {
  std::string md =
      "text\n```merit\ndef a = 1\n```\n```yaml\nx: 1\n```\n```\ndef not_merit\n```\n```merit\nfn f(x: number) = x\n```\n";
  auto blocks = merit_blocks(md);
  REQUIRE(blocks.size() == 2);
  CHECK(blocks[0].line == 3);
  CHECK(blocks[0].text == "def a = 1\n");
  CHECK(blocks[1].text == "fn f(x: number) = x\n");
}

TEST_CASE("every merit example in the docs parses as a rule file", "[docs]") {
  for (const std::string file : {"docs/dsl.md", "docs/tutorial.md", "docs/policy-format.md"}) {
    std::string md = merit::test::read_text(merit::test::source_path(file));
    INFO(file);
    REQUIRE(!md.empty());
    auto blocks = merit_blocks(md);
    REQUIRE(!blocks.empty());
    for (const auto& b : blocks) {
      merit::dsl::Diagnostics diags;
      auto src = merit::dsl::Source::from_text(file + ":" + std::to_string(b.line), b.text);
      merit::dsl::RuleFile parsed = merit::dsl::parse_rule_file(src, diags);
      INFO("block at " << file << ":" << b.line << " (line 0: the block is not closed)\n"
                       << b.text << "\n--- diagnostics ---\n"
                       << diags.render());
      CHECK(b.line != 0);
      CHECK(!diags.has_errors());
      // A rule file: definitions or functions, optionally after a module line.
      CHECK(parsed.definitions.size() + parsed.functions.size() > 0);
    }
  }
}

// Each program year's page names every parameter, table, definition and function of that
// year's policy, so an analyst can find where each rule lives (docs/years/<year>.md).
TEST_CASE("every name of a year's policy appears on its docs/years page", "[docs]") {
  for (const char* year : {"2017", "2018"}) {
    merit::dsl::Diagnostics diags;
    auto policy = merit::engine::load_policy(merit::test::source_path(std::string("policies/") + year), diags);
    REQUIRE_FALSE(diags.has_errors());
    std::string page = merit::test::read_text(merit::test::source_path(std::string("docs/years/") + year + ".md"));
    std::vector<std::string> names;
    for (const auto& p : policy.parameters) names.push_back(p.name);
    for (const auto& d : policy.definitions) names.push_back(d->qualified());
    for (const auto& f : policy.functions) names.push_back(f->qualified());
    for (const auto& n : names) {
      INFO("docs/years/" << year << ".md does not mention `" << n << "`");
      CHECK(page.find("`" + n + "`") != std::string::npos);
    }
  }
}
