// Runtime value helpers: the string index the batch reader and the measure index share, and
// strings that carry their text's hash. Expected values follow from what each key was added with.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/value.hpp"

using merit::engine::TableData;
using merit::engine::TextIndex;
using merit::engine::Value;

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

TEST_CASE("strings carry their text's hash: equality and table look-ups by it", "[value]") {
  // Two copies of the same text in different memory (a measure id read from a submission and the
  // one in a table) are the same value; texts of one length that differ anywhere are not.
  std::string a = "electronicHealthRecord", b = a, c = "electronicHealthRecorD", d = "236", e = "263";
  CHECK(Value::str(a).text_hash() == static_cast<uint32_t>(merit::engine::hash_text(a.data(), a.size())));
  CHECK(Value::str(a).text_hash() == Value::str(b).text_hash());
  CHECK(merit::engine::same_value(Value::str(a), Value::str(b)));
  CHECK_FALSE(merit::engine::same_value(Value::str(a), Value::str(c)));
  CHECK_FALSE(merit::engine::same_value(Value::str(d), Value::str(e)));
  CHECK_FALSE(merit::engine::same_value(Value::str(d), Value::str(d, true)));  // a symbol is not a string
  CHECK(merit::engine::same_value(Value::str(""), Value::str(std::string())));
  // A table keyed by (id, method): rows found by keys made elsewhere, misses by near keys.
  std::vector<std::string> ids = {"001", "236", "CAHPS_1", "PI_HIE_1"};
  std::vector<std::string> methods = {"claims", "registry", "electronicHealthRecord"};
  std::vector<std::vector<Value>> fields;
  TableData t;
  t.key_fields = {0, 1};
  t.key_names = {"id", "method"};
  fields.reserve(ids.size() * methods.size());
  for (const auto& id : ids)
    for (const auto& m : methods) {
      fields.push_back({Value::str(id), Value::str(m), Value::num(merit::dsl::Decimal::from_int(
                                                           static_cast<int64_t>(fields.size())))});
      t.rows.push_back(Value::record(fields.back().data(), 3));
    }
  t.finish();
  for (size_t i = 0; i < ids.size(); ++i)
    for (size_t j = 0; j < methods.size(); ++j) {
      std::string id = ids[i], m = methods[j];  // other memory than the rows' strings
      Value keys[2] = {Value::str(id), Value::str(m)};
      const Value* row = t.find(keys, 2);
      REQUIRE(row);
      CHECK(row->items[2].number.to_int64() == static_cast<int64_t>(i * methods.size() + j));
    }
  std::string near_id = "237", method = "claims";
  Value miss[2] = {Value::str(near_id), Value::str(method)};
  CHECK(t.find(miss, 2) == nullptr);
  Value swapped[2] = {Value::str(method), Value::str(ids[0])};
  CHECK(t.find(swapped, 2) == nullptr);
}
