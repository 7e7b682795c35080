#include "engine/cms/case_file.hpp"

#include <fmt/format.h>

#include "engine/cms/submission.hpp"
#include "engine/loader.hpp"

namespace merit::engine::cms {

namespace fs = std::filesystem;
using dsl::Code;

namespace {

dsl::Location at(const Document& d, const dsl::SourcePtr& src) {
  if (!d.has_offset || !src) return {src, {0, 0}};
  return {src, {d.offset, d.offset + 1}};
}

std::optional<Part> read_part_file(const fs::path& path, const dsl::Location& from, dsl::Diagnostics& diags) {
  auto text = read_file(path, diags, from);
  if (!text) return std::nullopt;
  Part p;
  p.source = dsl::Source::from_text(path.string(), std::move(*text));
  auto doc = parse_document(p.source, diags);
  if (!doc) return std::nullopt;
  p.doc = std::move(*doc);
  return p;
}

// `profile:` or `submission:` of a case: an inline mapping, or a path relative to the case file.
std::optional<Part> read_part(const Document& root, std::string_view key, const fs::path& dir,
                              const dsl::SourcePtr& src, dsl::Diagnostics& diags) {
  const Document* d = root.find(key);
  if (!d) {
    diags.add(Code::InputMissing, at(root, src), fmt::format("$.{}: a case needs '{}:'", key, key),
              fmt::format("write the {} inline as a mapping, or give the path of a .yaml or .json file", key));
    return std::nullopt;
  }
  if (d->kind == Document::Kind::String) return read_part_file(dir / d->text, at(*d, src), diags);
  if (d->kind != Document::Kind::Object) {
    diags.add(Code::InputType, at(*d, src), fmt::format("$.{}: expected a mapping or a file path", key));
    return std::nullopt;
  }
  return Part{*d, src, fmt::format("$.{}", key)};
}

std::string scalar_text(const Document& d) { return d.kind == Document::Kind::Object || d.kind == Document::Kind::Array ? "" : d.text; }

const std::vector<std::string> kCaseKeys = {"case",       "title",          "source", "year",      "policy",   "profile", "part_b_paid",
                                            "submission", "tolerance",     "expected", "expected_error", "uncertain", "notes"};

}  // namespace

std::optional<CaseFile> read_case(const fs::path& file, const PolicyRoots& roots, dsl::Diagnostics& diags) {
  auto text = read_file(file, diags, {});
  if (!text) return std::nullopt;
  auto src = dsl::Source::from_text(file.string(), std::move(*text));
  auto root = parse_document(src, diags, "yaml");
  if (!root) return std::nullopt;
  if (root->kind != Document::Kind::Object) {
    diags.add(Code::InputType, at(*root, src), "$: a case file is a mapping (case, source, year, profile, submission, expected)");
    return std::nullopt;
  }
  size_t errors_before = diags.error_count();
  CaseFile c;
  c.file = file;
  c.tolerance = *dsl::Decimal::parse("0.005");
  for (size_t i = 0; i < root->keys.size(); ++i) {
    const std::string& k = root->keys[i];
    if (std::find(kCaseKeys.begin(), kCaseKeys.end(), k) == kCaseKeys.end()) {
      auto& d = diags.add(Code::InputUnknown, at(root->items[i], src), fmt::format("$.{}: unknown key in a case file", k));
      if (auto s = dsl::did_you_mean(k, kCaseKeys); !s.empty()) d.help = fmt::format("did you mean '{}'?", s);
    }
  }
  auto str = [&](std::string_view key) {
    const Document* d = root->find(key);
    return d ? scalar_text(*d) : std::string();
  };
  c.id = str("case");
  if (c.id.empty()) c.id = file.stem().string();
  c.title = str("title");
  c.source = str("source");
  c.uncertain = str("uncertain");
  c.year = str("year");
  c.expected_error = str("expected_error");
  fs::path dir = file.parent_path();
  if (const Document* p = root->find("policy")) c.policy_dir = dir / p->text;
  else if (!c.year.empty()) c.policy_dir = roots.for_year(c.year);
  if (const Document* t = root->find("tolerance")) {
    if (auto v = dsl::Decimal::parse(t->text)) c.tolerance = *v;
    else diags.add(Code::InputType, at(*t, src), "$.tolerance: expected a number such as 0.005");
  }
  auto profile = read_part(*root, "profile", dir, src, diags);
  auto submission = read_part(*root, "submission", dir, src, diags);
  if (profile) c.profile = std::move(*profile);
  if (submission) c.submission = std::move(*submission);
  if (const Document* e = root->find("expected")) {
    if (e->kind != Document::Kind::Object) {
      diags.add(Code::InputType, at(*e, src), "$.expected: expected a mapping of rule names to values");
    } else {
      for (size_t i = 0; i < e->keys.size(); ++i) {
        Expectation x;
        x.rule = e->keys[i];
        x.where = i < e->key_offsets.size() ? dsl::Location{src, {e->key_offsets[i], e->key_offsets[i] + 1}}
                                            : at(e->items[i], src);
        const Document& v = e->items[i];
        if (v.kind == Document::Kind::Object && v.find("value")) {
          x.value = *v.find("value");
          if (const Document* t = v.find("tolerance")) {
            if (auto d = dsl::Decimal::parse(t->text)) x.tolerance = *d;
            else diags.add(Code::InputType, at(*t, src), fmt::format("$.expected.{}.tolerance: expected a number", x.rule));
          }
        } else {
          x.value = v;
        }
        c.expected.push_back(std::move(x));
      }
    }
  }
  if (diags.error_count() > errors_before) return std::nullopt;
  return c;
}

std::optional<CaseFile> case_from_files(const fs::path& submission, const fs::path& profile, dsl::Diagnostics& diags) {
  CaseFile c;
  c.file = submission;
  c.id = submission.stem().string();
  c.tolerance = *dsl::Decimal::parse("0.005");
  auto s = read_part_file(submission, {}, diags);
  auto p = read_part_file(profile, {}, diags);
  if (!s || !p) return std::nullopt;
  c.submission = std::move(*s);
  c.profile = std::move(*p);
  return c;
}

bool bind_case(const CaseFile& c, const Policy& policy, const Program& program, Arena& arena, Value& out,
               dsl::Diagnostics& diags, const MeasureIndex* index) {
  if (c.profile.doc.kind != Document::Kind::Object) {
    diags.add(Code::InputType, at(c.profile.doc, c.profile.source),
              fmt::format("{}: the profile must be a mapping of fields", c.profile.path));
    return false;
  }
  // The profile may not set what the submission provides: one source per field.
  Document merged = c.profile.doc;
  size_t before = diags.error_count();
  if (!read_submission(c.submission.doc, policy, c.submission.source, merged, diags, c.submission.path, index)) return false;
  for (size_t i = 0; i < c.profile.doc.keys.size(); ++i)
    for (size_t j = c.profile.doc.keys.size(); j < merged.keys.size(); ++j)
      if (merged.keys[j] == c.profile.doc.keys[i])
        diags.add(Code::InputUnknown, at(c.profile.doc.items[i], c.profile.source),
                  fmt::format("{}.{}: comes from the submission, not the profile", c.profile.path, merged.keys[j]),
                  "remove it from the profile");
  if (diags.error_count() > before) return false;
  return bind_input(merged, program.inputs(), program.input_type(), program.strict_inputs(), arena, out, diags,
                    c.profile.source, c.profile.path);
}

std::vector<int> expected_rules(const CaseFile& c, const Program& program, dsl::Diagnostics& diags) {
  std::vector<int> out;
  std::vector<std::string> all;
  for (const auto& d : program.definitions()) all.push_back(d.name);
  for (const auto& x : c.expected) {
    int i = program.find_definition(x.rule);
    if (i < 0) {
      auto& d = diags.add(Code::UnknownRule, x.where, fmt::format("$.expected: no rule named '{}'", x.rule));
      if (auto s = dsl::did_you_mean(x.rule, all); !s.empty()) d.help = fmt::format("did you mean '{}'?", s);
      continue;
    }
    out.push_back(i);
  }
  return out;
}

std::vector<Comparison> compare(const CaseFile& c, const Program& program, const Outcome& outcome, Arena& arena) {
  std::vector<Comparison> out;
  for (const auto& x : c.expected) {
    Comparison r;
    r.rule = x.rule;
    int i = program.find_definition(x.rule);
    if (i < 0) {
      r.detail = "no such rule";
      out.push_back(r);
      continue;
    }
    const auto& def = program.definitions()[static_cast<size_t>(i)];
    dsl::Diagnostics bind_diags;
    Value want;
    bool bound = bind_value(x.value, def.type, arena, want, bind_diags, c.profile.source, "$.expected." + x.rule, true);
    r.expected = bound ? to_string(want, def.type) : x.value.text;
    if (outcome.state[static_cast<size_t>(i)] != Outcome::State::Ok) {
      int e = outcome.error_of[static_cast<size_t>(i)];
      r.actual = "(failed)";
      r.detail = e >= 0 ? outcome.errors[static_cast<size_t>(e)].message : "not evaluated";
      out.push_back(r);
      continue;
    }
    const Value& got = outcome.values[static_cast<size_t>(i)];
    r.actual = to_string(got, def.type);
    if (!bound) {
      r.detail = fmt::format("the expected value is not a {}", dsl::to_string(def.type));
    } else if ((got.kind == ValueKind::Number || got.kind == ValueKind::Money) && got.kind == want.kind) {
      dsl::Decimal diff;
      add(got.number, want.number.negated(), diff);
      dsl::Decimal tol = x.tolerance.value_or(c.tolerance);
      r.ok = compare(diff.abs(), tol) <= 0;
      r.detail = fmt::format("difference {} (tolerance {})", diff.normalized().to_string(), tol.to_string());
    } else {
      r.ok = equal_values(got, want);
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace merit::engine::cms
