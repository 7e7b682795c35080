// Test helpers: reading files from the source tree and comparing with golden files.
#pragma once

#include <filesystem>
#include <string>

namespace merit::test {

// Path of a file in the source tree (tests run from any directory).
std::filesystem::path source_path(const std::string& relative);
std::string read_text(const std::filesystem::path& path);

// Compares `actual` with the golden file. With UPDATE_GOLDEN=1 in the environment the golden
// file is (re)written instead and the check passes; reviewers read the git diff.
// On a mismatch the test fails and prints the whole actual text and the first differing line.
void check_golden(const std::filesystem::path& golden, const std::string& actual);

}  // namespace merit::test
