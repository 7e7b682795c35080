#include "support/test_files.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace merit::test {

std::filesystem::path source_path(const std::string& relative) {
  return std::filesystem::path(MERIT_SOURCE_DIR) / relative;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void check_golden(const std::filesystem::path& golden, const std::string& actual) {
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::filesystem::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << actual;
    SUCCEED("rewrote " << golden.string());
    return;
  }
  if (!std::filesystem::exists(golden)) {
    FAIL("missing golden file " << golden.string() << " (run with UPDATE_GOLDEN=1)\nactual:\n" << actual);
  }
  std::string expected = read_text(golden);
  if (expected == actual) {
    SUCCEED();
    return;
  }
  std::istringstream e(expected), a(actual);
  std::string le, la;
  int line = 0;
  while (true) {
    ++line;
    bool he = static_cast<bool>(std::getline(e, le)), ha = static_cast<bool>(std::getline(a, la));
    if (!he && !ha) break;
    if (!he || !ha || le != la) break;
  }
  FAIL(fmt::format("{} differs at line {}\n  expected: {}\n  actual:   {}\n--- whole actual text ---\n{}",
                   golden.string(), line, le, la, actual));
}

}  // namespace merit::test
