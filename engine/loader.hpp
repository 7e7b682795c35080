// Loader: a policy directory on disk -> the plain Policy model.
// In:  policies/<name>/policy.yaml, the parameter, rule and table files it names, and the
//      policies it extends.  Out: one merged Policy (base first, this layer's changes applied).
// Invariant: YAML is read strictly -- an unknown key, a duplicate key, a wrong node type or a
// missing field is a located diagnostic, never ignored. yaml-cpp is private to this file's .cpp.
// A returned Policy is whatever could be read: "returned" means "could continue", not "valid";
// look at Diagnostics::has_errors().
#pragma once

#include <filesystem>

#include "dsl/diagnostic.hpp"
#include "engine/policy.hpp"

namespace merit::engine {

struct LoadOptions {
  size_t max_extends_depth = 16;
};

Policy load_policy(const std::filesystem::path& dir, dsl::Diagnostics& diags, const LoadOptions& = {});

// The same with policy.yaml's text given (it is read as if it were `dir`/policy.yaml); files it
// names are still read from `dir`. Used by the fuzzer and by tests.
Policy load_policy_text(const std::filesystem::path& dir, std::string policy_yaml, dsl::Diagnostics& diags,
                        const LoadOptions& = {});

// Where `extends: X` of the policy in `dir` points: a sibling directory X, or a relative path.
std::filesystem::path resolve_extends(const std::filesystem::path& dir, const std::string& extends);

// Reads a whole file; nullopt (and an E100 diagnostic) if it cannot be read.
std::optional<std::string> read_file(const std::filesystem::path& path, dsl::Diagnostics& diags,
                                     const dsl::Location& referenced_from = {});

}  // namespace merit::engine
