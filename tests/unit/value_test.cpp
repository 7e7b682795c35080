// Runtime value helpers: the string index the batch reader and the measure index share.
// Expected values follow from what each key was added with.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/value.hpp"

using merit::engine::TextIndex;

TEST_CASE("TextIndex: every key finds the value it was added with, through growth", "[value]") {
  TextIndex index;
  CHECK(index.find("x") == TextIndex::kNone);  // empty
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("PI_HIE_" + std::to_string(i));
  keys.push_back("");                      // the empty string is a key like any other
  keys.push_back("eligiblePopulationExclusion");  // longer than 16 bytes
  keys.push_back("eligiblePopulationException");  // same length, differs inside
  for (size_t k = 0; k < keys.size(); ++k) index.add(keys[k], static_cast<uint32_t>(k));
  for (size_t k = 0; k < keys.size(); ++k) {
    INFO(keys[k]);
    CHECK(index.find(keys[k]) == k);
  }
  CHECK(index.find("PI_HIE_1000") == TextIndex::kNone);
  CHECK(index.find("PI_HIE_") == TextIndex::kNone);
  CHECK(index.find("eligiblePopulationExceptions") == TextIndex::kNone);
  // A key added again keeps its first value (the first row of a repeated id answers).
  index.add("PI_HIE_7", 99999);
  CHECK(index.find("PI_HIE_7") == 7);
}
