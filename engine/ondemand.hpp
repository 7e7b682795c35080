// Small helpers over simdjson's On-Demand API for the fast JSON paths (engine/input.cpp,
// engine/cms/fast_case.cpp, engine/payments/payments.cpp). Internal: include only from a .cpp
// that links simdjson. Every helper reads simdjson's results without exceptions (a result
// converted to its value throws when it holds an error).
#pragma once

#include <algorithm>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "engine/value.hpp"

namespace merit::engine::ondemand_util {

namespace od = simdjson::ondemand;

// Nesting the reference parser (nlohmann's SAX reader in engine/input.cpp) refuses beyond.
inline constexpr int kMaxDepth = 256;

// A null value.
inline bool is_null(od::value& v) {
  bool null = false;
  return !v.is_null().get(null) && null;
}

// An object's keys so far (unescaped), to refuse a duplicate as the reference parser does.
// The first 16 live inline: most objects have fewer, and a line has a few hundred objects.
struct Keys {
  std::string_view inline_keys[16];
  size_t count = 0;
  std::vector<std::string_view> more;
  bool fresh(std::string_view k) {
    for (size_t i = 0; i < count && i < 16; ++i)  // same_bytes: short keys compared inline, no memcmp call
      if (inline_keys[i].size() == k.size() && same_bytes(inline_keys[i].data(), k.data(), static_cast<uint32_t>(k.size())))
        return false;
    if (std::find(more.begin(), more.end(), k) != more.end()) return false;
    if (count < 16) inline_keys[count] = k;
    else more.push_back(k);
    ++count;
    return true;
  }
};

// Checks a value the reference path reads but this one does not need: well-formed JSON, no
// duplicate keys (the reference parser refuses them), no nesting deeper than it allows.
inline bool valid_value(od::value v, int depth) {
  od::json_type type;
  if (v.type().get(type) || depth > kMaxDepth) return false;
  switch (type) {
    case od::json_type::object: {
      od::object o;
      if (v.get_object().get(o)) return false;
      Keys keys;
      for (auto field : o) {
        std::string_view key;
        od::value child;
        if (field.unescaped_key().get(key) || !keys.fresh(key)) return false;
        if (field.value().get(child) || !valid_value(child, depth + 1)) return false;
      }
      return true;
    }
    case od::json_type::array: {
      od::array a;
      if (v.get_array().get(a)) return false;
      for (auto element : a) {
        od::value child;
        if (element.get(child) || !valid_value(child, depth + 1)) return false;
      }
      return true;
    }
    case od::json_type::string: {
      std::string_view s;
      return !v.get_string().get(s);
    }
    case od::json_type::number: {
      od::number n;
      return !v.get_number().get(n);
    }
    case od::json_type::boolean: {
      bool b;
      return !v.get_bool().get(b);
    }
    case od::json_type::null: return is_null(v);
  }
  return false;
}

}  // namespace merit::engine::ondemand_util
