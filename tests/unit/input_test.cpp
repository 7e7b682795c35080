// Inputs: JSON and YAML documents bound to a policy's declared inputs (engine/input.hpp).
// Expected values and codes come from docs/policy-format.md ("Inputs", "Input documents") and
// the contract in engine/input.hpp (numbers read from their text, JSON paths in messages).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "support/policy_fixture.hpp"

using namespace merit;

namespace {

struct Bound {
  bool parsed = false;
  bool bound = false;
  std::string rendered;                       // input diagnostics
  std::map<std::string, std::string> values;  // definition -> value text
  std::map<std::string, std::string> errors;  // definition -> "R700: message"
  bool has(const std::string& text) const { return rendered.find(text) != std::string::npos; }
};

// Parses `text` (JSON or YAML by the file name), binds it and evaluates every definition.
Bound bind_doc(const engine::Program& program, const std::string& file, const std::string& text,
           std::optional<bool> strict = std::nullopt) {
  Bound b;
  dsl::Diagnostics diags;
  auto src = dsl::Source::from_text(file, text);
  auto doc = engine::parse_document(src, diags);
  b.parsed = doc.has_value();
  if (!doc) {
    b.rendered = diags.render();
    return b;
  }
  engine::Evaluator ev(program);
  engine::Value input;
  b.bound = engine::bind_input(*doc, program.inputs(), program.input_type(), strict.value_or(program.strict_inputs()),
                               ev.arena(), input, diags, src);
  diags.sort();
  b.rendered = diags.render();
  if (!b.bound) return b;
  const engine::Outcome& o = ev.evaluate(input);
  for (size_t d = 0; d < program.definitions().size(); ++d) {
    const auto& def = program.definitions()[d];
    if (o.state[d] == engine::Outcome::State::Ok) b.values[def.name] = engine::to_string(o.values[d], def.type);
    if (o.state[d] == engine::Outcome::State::Failed) {
      const auto& e = o.errors[o.error_of[d]];
      b.errors[def.name] = fmt::format("{}: {}", dsl::code_info(e.code).id, e.message);
    }
  }
  return b;
}

Bound json(const engine::Program& p, const std::string& text, std::optional<bool> strict = std::nullopt) {
  return bind_doc(p, "input.json", text, strict);
}
Bound yaml(const engine::Program& p, const std::string& text, std::optional<bool> strict = std::nullopt) {
  return bind_doc(p, "input.yaml", text, strict);
}

// One input of each scalar type, each read back by a definition of the same name.
const test::Compiled& scalars() {
  static auto c = test::compile_mini({"module m\n"
                                      "def x = input.x\n"
                                      "def x_plus = input.x + 0.2\n"
                                      "def c = input.c\n"
                                      "def k = input.k\n"
                                      "def is_group = input.k == :group\n"
                                      "def s = input.s\n"
                                      "def b = input.b\n",
                                      "", "x: number\nc: money\nk: symbol\ns: string\nb: bool\n", ""});
  return *c;
}

const engine::Program& scalar_program() {
  INFO(scalars().rendered);
  REQUIRE(scalars().policy.program);
  return *scalars().policy.program;
}

// A JSON document with every scalar set; `field` replaced by `value` (JSON text).
std::string doc_with(const std::string& field, const std::string& value) {
  std::map<std::string, std::string> f = {{"x", "1"}, {"c", "1"}, {"k", "\"a\""}, {"s", "\"t\""}, {"b", "true"}};
  f[field] = value;
  std::string out = "{";
  for (const auto& [k, v] : f) out += fmt::format("{}\"{}\": {}", out.size() > 1 ? ", " : "", k, v);
  return out + "}";
}

std::string x_of(const std::string& json_number) {
  Bound b = json(scalar_program(), doc_with("x", json_number));
  if (!b.bound) return "REFUSED " + b.rendered;
  return b.values["m.x"];
}

}  // namespace

TEST_CASE("input: JSON numbers are read exactly from their text", "[input]") {
  CHECK(x_of("0.1") == "0.1");
  CHECK(x_of("0.100000000000000005") == "0.100000000000000005");
  CHECK(x_of("12") == "12");
  CHECK(x_of("-3") == "-3");
  CHECK(x_of("1.50") == "1.50");  // the scale written is the scale kept
  Bound b = json(scalar_program(), doc_with("x", "0.1"));
  CHECK(b.values["m.x_plus"] == "0.3");  // no binary double anywhere
}

TEST_CASE("input: JSON exponents move the decimal point exactly", "[input]") {
  CHECK(x_of("1e2") == "100");
  CHECK(x_of("1E+2") == "100");
  CHECK(x_of("1.5E-2") == "0.015");
  CHECK(x_of("-2.5e1") == "-25");
  CHECK(x_of("1e-18") == "0.000000000000000001");  // 18 places: the most a number keeps
}

TEST_CASE("input: a JSON number with more than 18 decimals is refused, not rounded", "[input]") {
  for (const char* text : {"1e-20", "0.00000000000000000001", "1.0000000000000000001"}) {
    INFO(text);
    Bound b = json(scalar_program(), doc_with("x", text));
    CHECK(b.parsed);
    CHECK_FALSE(b.bound);
    CHECK(b.has(fmt::format("error[I801]: $.x: expected number, found {}\n", text)));
    // JSON carries no positions: the message names the file instead.
    CHECK(b.has("   = note: in input.json\n"));
  }
}

TEST_CASE("input: JSON strings are never numbers", "[input]") {
  // engine/input.hpp: numbers are read from number tokens; a JSON string is text.
  Bound n = json(scalar_program(), doc_with("x", "\"12\""));
  CHECK_FALSE(n.bound);
  CHECK(n.has("error[I801]: $.x: expected number, found \"12\"\n"));
  Bound m = json(scalar_program(), doc_with("c", "\"$1,000\""));
  CHECK_FALSE(m.bound);
  CHECK(m.has("error[I801]: $.c: expected money, found \"$1,000\"\n"));
  CHECK(m.has("= help: write dollars as a number, e.g. 90000.50"));
  // A quoted YAML scalar is a string as well.
  Bound y = yaml(scalar_program(), "x: \"12\"\nc: 1\nk: a\ns: t\nb: true\n");
  CHECK_FALSE(y.bound);
  CHECK(y.has("input.yaml:1:4: error[I801]: $.x: expected number, found \"12\"\n"));
}

TEST_CASE("input: money from plain numbers, symbols from strings, bools and strings exactly", "[input]") {
  const engine::Program& p = scalar_program();
  SECTION("JSON") {
    Bound b = json(p, R"({"x": 1, "c": 90000.50, "k": ":group", "s": "text", "b": false})");
    INFO(b.rendered);
    REQUIRE(b.bound);
    CHECK(b.values["m.c"] == "$90,000.50");
    CHECK(b.values["m.k"] == ":group");
    CHECK(b.values["m.is_group"] == "true");
    CHECK(b.values["m.s"] == "\"text\"");
    CHECK(b.values["m.b"] == "false");
    Bound g = json(p, doc_with("k", "\"group\""));
    CHECK(g.values["m.k"] == ":group");
    CHECK(g.values["m.is_group"] == "true");
  }
  SECTION("YAML") {
    Bound b = yaml(p, "x: 1_000\nc: $1,250,000\nk: :group\ns: plain words\nb: true\n");
    INFO(b.rendered);
    REQUIRE(b.bound);
    CHECK(b.values["m.x"] == "1000");
    CHECK(b.values["m.c"] == "$1,250,000");
    CHECK(b.values["m.k"] == ":group");
    CHECK(b.values["m.s"] == "\"plain words\"");
    CHECK(b.values["m.b"] == "true");
    Bound c = yaml(p, "x: 60%\nc: 90000\nk: group\ns: t\nb: false\n");
    INFO(c.rendered);
    REQUIRE(c.bound);
    CHECK(c.values["m.x"] == "0.60");
    CHECK(c.values["m.c"] == "$90,000");
    CHECK(c.values["m.is_group"] == "true");
    Bound n = yaml(p, "x: -2.5\nc: -$5.50\nk: a\ns: t\nb: true\n");
    INFO(n.rendered);
    REQUIRE(n.bound);
    CHECK(n.values["m.x"] == "-2.5");
    CHECK(n.values["m.c"] == "-$5.50");
  }
  SECTION("wrong types") {
    Bound b = json(p, doc_with("b", "\"true\""));
    CHECK(b.has("error[I801]: $.b: expected bool, found \"true\"\n"));
    Bound s = json(p, doc_with("s", "12"));
    CHECK(s.has("error[I801]: $.s: expected string, found 12\n"));
    Bound y = yaml(p, "x: 1\nc: 1\nk: a\ns: t\nb: yes\n");  // booleans only as true/false
    CHECK(y.has("input.yaml:5:4: error[I801]: $.b: expected bool, found \"yes\"\n"));
    Bound m = yaml(p, "x: $5\nc: 1\nk: a\ns: t\nb: true\n");  // money is not a number
    CHECK(m.has("input.yaml:1:4: error[I801]: $.x: expected number, found \"$5\"\n"));
  }
}

TEST_CASE("input: nested records and lists, with JSON paths in messages", "[input]") {
  auto c = test::compile_mini({"module m\n"
                               "def total = sum(input.measures, x => x.rate)\n"
                               "def first = input.measures[0].id\n"
                               "def city = input.site.address.city\n",
                               "",
                               "measures: \"list<{id: string, rate: number}>\"\n"
                               "site: \"{name: string, address: {city: string, zip: string}}\"\n",
                               ""});
  INFO(c->rendered);
  REQUIRE(c->policy.program);
  const engine::Program& p = *c->policy.program;
  const std::string site = R"("site": {"name": "n", "address": {"city": "Oslo", "zip": "0150"}})";

  SECTION("good") {
    Bound b = json(p, R"({"measures": [{"id": "a", "rate": 1.5}, {"id": "b", "rate": 2}], )" + site + "}");
    INFO(b.rendered);
    REQUIRE(b.bound);
    CHECK(b.values["m.total"] == "3.5");
    CHECK(b.values["m.first"] == "\"a\"");
    CHECK(b.values["m.city"] == "\"Oslo\"");
  }
  SECTION("a wrong element deep inside") {
    Bound b = json(p, R"({"measures": [{"id": "a", "rate": 1}, {"id": "b", "rate": 2}, {"id": "c", "rate": "x"}], )" +
                          site + "}");
    CHECK_FALSE(b.bound);
    CHECK(b.has("error[I801]: $.measures[2].rate: expected number, found \"x\"\n"));
  }
  SECTION("a missing field of a record") {
    Bound b = json(p, R"({"measures": [{"id": "a"}], "site": {"name": "n", "address": {"city": "Oslo"}}})");
    CHECK_FALSE(b.bound);
    CHECK(b.has("error[I802]: $.measures[0].rate: required field is missing\n"));
    CHECK(b.has("error[I802]: $.site.address.zip: required field is missing\n"));
  }
  SECTION("an unknown field of a record") {
    Bound b = json(p, R"({"measures": [{"id": "a", "rate": 1, "rat": 2}], )" + site + "}");
    CHECK_FALSE(b.bound);
    CHECK(b.has("error[I803]: $.measures[0].rat: the policy has no such field\n"));
    CHECK(b.has("= help: did you mean 'rate'?"));
    // Without strict inputs, unknown fields at any depth are ignored.
    Bound lax = json(p, R"({"measures": [{"id": "a", "rate": 1, "rat": 2}], "extra": 1, )" + site + "}", false);
    INFO(lax.rendered);
    CHECK(lax.bound);
    CHECK(lax.values["m.total"] == "1");
  }
  SECTION("a record where a list belongs") {
    Bound b = json(p, R"({"measures": {}, )" + site + "}");
    CHECK(b.has("error[I801]: $.measures: expected list<{id: string, rate: number}>, found an object\n"));
  }
  SECTION("YAML messages carry the line and column") {
    Bound b = yaml(p,
                   "measures:\n"                   // 1
                   "  - {id: a, rate: 1}\n"        // 2
                   "  - {id: b, rate: x}\n"        // 3: 'x' at column 19
                   "site:\n"                       // 4
                   "  name: n\n"                   // 5
                   "  address: {city: Oslo, zip: \"0150\"}\n");  // 6
    CHECK_FALSE(b.bound);
    CHECK(b.has("input.yaml:3:19: error[I801]: $.measures[1].rate: expected number, found \"x\"\n"));
  }
}

TEST_CASE("input: required and optional inputs", "[input]") {
  auto c = test::compile_mini({"module m\n"
                               "def v = input.bonus\n"
                               "def w = input.bonus ?? 0\n"
                               "def z = input.clinicians + (input.bonus ?? 0)\n",
                               "",
                               "clinicians: {type: number, doc: \"clinicians in the practice\"}\n"
                               "bonus: {type: number, optional: true}\n",
                               ""});
  INFO(c->rendered);
  REQUIRE(c->policy.program);
  const engine::Program& p = *c->policy.program;

  SECTION("an optional input left out: reading it is R700, ?? catches it") {
    for (const char* text : {R"({"clinicians": 4})", R"({"clinicians": 4, "bonus": null})"}) {
      INFO(text);
      Bound b = json(p, text);
      INFO(b.rendered);
      REQUIRE(b.bound);
      CHECK(b.values.count("m.v") == 0);
      CHECK(b.errors["m.v"].starts_with("R700: "));
      CHECK(b.values["m.w"] == "0");
      CHECK(b.values["m.z"] == "4");
    }
  }
  SECTION("an optional input given") {
    Bound b = json(p, R"({"clinicians": 4, "bonus": 5})");
    REQUIRE(b.bound);
    CHECK(b.values["m.v"] == "5");
    CHECK(b.values["m.w"] == "5");
    CHECK(b.values["m.z"] == "9");
  }
  SECTION("a required input missing or null is I802, and nothing is evaluated") {
    for (const char* text : {R"({"bonus": 1})", R"({"clinicians": null})"}) {
      INFO(text);
      Bound b = json(p, text);
      CHECK_FALSE(b.bound);
      CHECK(b.values.empty());
      CHECK(b.has("error[I802]: $.clinicians: required input is missing\n"));
      CHECK(b.has("= help: add 'clinicians:' to the input (clinicians in the practice)"));
    }
    Bound y = yaml(p, "bonus: 1\n");
    CHECK(y.has("input.yaml:1:1: error[I802]: $.clinicians: required input is missing\n"));
    Bound t = yaml(p, "clinicians: ~\n");
    CHECK(t.has("error[I802]: $.clinicians: required input is missing\n"));
  }
}

TEST_CASE("input: strict and non-strict unknown fields", "[input]") {
  auto c = test::compile_mini({"module m\ndef a = input.clinicians\n", "", "clinicians: number\n", ""});
  INFO(c->rendered);
  REQUIRE(c->policy.program);
  const engine::Program& p = *c->policy.program;
  CHECK(p.strict_inputs());  // the default

  Bound b = yaml(p, "clinicians: 1\nclinician: 2\n");
  CHECK_FALSE(b.bound);
  CHECK(b.has("input.yaml:2:1: error[I803]: $.clinician: the policy declares no such input\n"));
  CHECK(b.has("= help: did you mean 'clinicians'?"));
  Bound far = json(p, R"({"clinicians": 1, "practice_name": "x"})");
  CHECK(far.has("error[I803]: $.practice_name: the policy declares no such input\n"));
  CHECK(far.has("= help: remove it from the input, or declare it under 'inputs:' in policy.yaml"));

  Bound lax = yaml(p, "clinicians: 1\nclinician: 2\n", false);
  INFO(lax.rendered);
  CHECK(lax.bound);
  CHECK(lax.values["m.a"] == "1");

  SECTION("strict_inputs: false in policy.yaml") {
    test::TempPolicy t;
    t.file("policy.yaml", "name: p\nrequire_citations: false\nstrict_inputs: false\nrules: [r.merit]\n"
                          "inputs:\n  clinicians: number\n")
        .file("r.merit", "module m\ndef a = input.clinicians\n");
    dsl::Diagnostics diags;
    auto cp = engine::compile_policy(t.dir(), diags);
    INFO(diags.render());
    REQUIRE(cp.program);
    CHECK_FALSE(cp.program->strict_inputs());
    Bound l = yaml(*cp.program, "clinicians: 1\nclinician: 2\n");
    CHECK(l.bound);
  }
}

TEST_CASE("input: duplicate keys are I800 in both formats", "[input]") {
  const engine::Program& p = scalar_program();
  Bound j = json(p, R"({"x": 1, "c": 1, "k": "a", "s": "t", "b": true, "x": 2})");
  CHECK_FALSE(j.parsed);
  CHECK(j.has("error[I800]: malformed JSON: duplicate key \"x\"\n"));
  Bound y = yaml(p,
                 "x: 1\n"    // 1
                 "c: 1\n"    // 2
                 "k: a\n"    // 3
                 "s: t\n"    // 4
                 "b: true\n" // 5
                 "x: 2\n");  // 6
  CHECK_FALSE(y.parsed);
  CHECK(y.has("input.yaml:6:1: error[I800]: duplicate key 'x' in this mapping\n"));
  Bound nested = yaml(p, "x: 1\nc: 1\nk: a\ns: t\nb: true\nextra: {a: 1, a: 2}\n");
  CHECK_FALSE(nested.parsed);
  CHECK(nested.has("input.yaml:6:15: error[I800]: duplicate key 'a' in this mapping\n"));
}

TEST_CASE("input: malformed documents are I800 with a position", "[input]") {
  const engine::Program& p = scalar_program();
  Bound trailing = json(p, R"({"x": 1,})");  // the '}' at column 9 is where a key should be
  CHECK_FALSE(trailing.parsed);
  INFO(trailing.rendered);
  CHECK(trailing.has("input.json:1:9: error[I800]: malformed JSON: syntax error"));
  Bound lines = json(p, "{\n  \"x\": 1\n  \"c\": 2\n}\n");  // a missing comma before "c" (line 3)
  INFO(lines.rendered);
  // nlohmann reports the offset after the token it could not use; merit points at that token's
  // last byte, so the column is somewhere in "c" (3 to 5). The line is exact.
  CHECK((lines.has("input.json:3:3: error[I800]: malformed JSON: syntax error") ||
         lines.has("input.json:3:4: error[I800]: malformed JSON: syntax error") ||
         lines.has("input.json:3:5: error[I800]: malformed JSON: syntax error")));
  Bound empty = json(p, "");
  CHECK_FALSE(empty.parsed);
  CHECK(empty.has("error[I800]: malformed JSON"));
  Bound y = yaml(p, "x: [1, 2\n");
  CHECK_FALSE(y.parsed);
  CHECK(y.has("error[I800]: malformed YAML"));
  // Well-formed, but not an object of fields.
  Bound list = json(p, "[1, 2]");
  CHECK(list.parsed);
  CHECK_FALSE(list.bound);
  CHECK(list.has("error[I801]: $: the input must be an object of fields\n"));
}

TEST_CASE("input: deep nesting is refused without crashing", "[input]") {
  const engine::Program& p = scalar_program();
  for (size_t depth : {300u, 100000u}) {
    INFO(depth);
    Bound j = json(p, "{\"x\": " + std::string(depth, '[') + std::string(depth, ']') + "}");
    CHECK_FALSE(j.parsed);
    CHECK(j.has("error[I800]: malformed JSON: document nested too deeply (limit 256)"));
    Bound y = yaml(p, "x: " + std::string(depth, '[') + std::string(depth, ']') + "\n");
    CHECK_FALSE(y.parsed);
    CHECK(y.has("error[I800]: malformed YAML"));
  }
  // Within the limit, nesting is fine (and the value is simply of the wrong type here).
  Bound ok = json(p, "{\"x\": " + std::string(200, '[') + std::string(200, ']') + "}");
  CHECK(ok.parsed);
  CHECK(ok.has("error[I801]: $.x: expected number, found a list"));
}

// The fast JSON path (simdjson) must build the same Document as the reference parser, and
// decline exactly where the reference refuses the text (then the reference reports the error).
namespace {

bool same_document(const engine::Document& a, const engine::Document& b) {
  if (a.kind != b.kind || a.flag != b.flag || a.quoted != b.quoted || a.text != b.text || a.keys != b.keys ||
      a.items.size() != b.items.size())
    return false;
  for (size_t i = 0; i < a.items.size(); ++i)
    if (!same_document(a.items[i], b.items[i])) return false;
  return true;
}

// Returns whether the fast path took the text; fails the test when the two parsers disagree.
bool check_parsers_agree(const std::string& name, const std::string& text, bool* reference_took = nullptr) {
  INFO(name);
  dsl::Diagnostics diags;
  auto reference = engine::detail::parse_json_reference(dsl::Source::from_text(name, text), diags);
  auto fast = engine::detail::parse_json_fast(text);
  if (reference_took) *reference_took = reference.has_value();
  if (!reference) CHECK_FALSE(fast);
  if (fast) {
    REQUIRE(reference);
    CHECK(same_document(*fast, *reference));
  }
  return fast.has_value();
}

}  // namespace

TEST_CASE("the fast JSON parser agrees with the reference parser", "[input][json]") {
  // Well-formed texts the fast path must take.
  for (const char* text : {R"({"a": 1, "b": -0, "c": 2.50, "d": 1e2, "e": -1.5E-3, "f": 0.000001})",
                           R"({"s": "x}\"]\\ \u00e9 \ud83d\ude00", "t": "", "u": "\n\t"})",
                           R"([1, [2, [3, {"k": [true, false, null]}]], {}, []])",
                           "  \n{\"a\": {\"b\": {\"c\": [ ]}}}\n  ", R"({"18": 123456789012345678})"}) {
    CHECK(check_parsers_agree(text, text));
  }
  // Texts the reference refuses: the fast path declines them all.
  for (const char* text : {R"({"a": 1} {"b": 2})", R"({"a": 1, "a": 2})", R"({"a": 01})", R"({"a": 1,})",
                           R"({"a": "unterminated})", R"({"a": tru})", "{\"a\": \"\x01\"}", R"({"a": 1} x)", "{",
                           R"({"a": [1, 2})", R"({"a": 1}])", "", "  "}) {
    CHECK_FALSE(check_parsers_agree(text, text));
  }
  // Deep nesting: the reference stops at 256 levels, the fast path declines.
  CHECK_FALSE(check_parsers_agree("deep", std::string(300, '[') + std::string(300, ']')));
  // Numbers beyond 64 bits: both parsers agree (the fast path may decline; the text is kept).
  check_parsers_agree("big", R"({"n": 123456789012345678901234567890, "m": -98765432109876543210.5})");
  // Scalars at the root go the reference way (they are not inputs anyway).
  CHECK_FALSE(engine::detail::parse_json_fast("12"));

  // Every JSON file of the repository's tests and examples, and CMS's sample submissions when
  // they sit beside the repository: the fast path takes every well-formed one.
  namespace fs = std::filesystem;
  fs::path root = MERIT_SOURCE_DIR;
  size_t files = 0, well_formed = 0, taken = 0;
  for (fs::path dir : {root / "tests", root / "policies", root / ".." / "shared" / "cms" / "samples"}) {
    if (!fs::exists(dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file() || e.path().extension() != ".json" || e.file_size() > (4u << 20)) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      ++files;
      bool reference_took = false;
      if (check_parsers_agree(e.path().string(), text, &reference_took)) ++taken;
      if (reference_took) ++well_formed;
    }
  }
  CHECK(files > 10);
  // The fuzz corpora hold malformed files on purpose; of the well-formed ones the fast path
  // declines only those with numbers beyond 64 bits.
  CHECK(taken * 10 >= well_formed * 9);
}
