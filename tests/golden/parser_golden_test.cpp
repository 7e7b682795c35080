// Golden tests: every tests/golden/parser/*.merit is parsed; the AST dump and diagnostics are
// compared with the .expected file next to it. UPDATE_GOLDEN=1 rewrites the expected files.
#include <catch2/catch.hpp>

#include "dsl/parser.hpp"
#include "support/test_files.hpp"

namespace fs = std::filesystem;
using namespace merit;

TEST_CASE("parser golden files", "[parser][golden]") {
  fs::path dir = test::source_path("tests/golden/parser");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".merit") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 3);
  for (const auto& f : files) {
    SECTION(f.filename().string()) {
      dsl::Diagnostics d;
      auto rf = dsl::parse_rule_file(dsl::Source::from_text(f.filename().string(), test::read_text(f)), d);
      std::string out = dsl::dump(rf);
      if (!d.empty()) out += "--- diagnostics ---\n" + d.render();
      fs::path expected = f;
      expected.replace_extension(".expected");
      test::check_golden(expected, out);
    }
  }
}
