// Parser: expression text -> AST (as an S-expression), or -> the rendered syntax error.
#include <catch2/catch.hpp>

#include "dsl/parser.hpp"

using namespace merit::dsl;

namespace {
std::string ast(const std::string& text) {
  Diagnostics d;
  auto e = parse_expression(Source::from_text("e", text), d);
  if (!e) return "ERROR: " + d.render();
  return dump(*e);
}
std::string errors(const std::string& file_text) {
  Diagnostics d;
  parse_rule_file(Source::from_text("r.merit", file_text), d);
  return d.render();
}
}  // namespace

TEST_CASE("parser: precedence and associativity", "[parser]") {
  CHECK(ast("1 + 2 * 3") == "(+ 1 (* 2 3))");
  CHECK(ast("1 - 2 - 3") == "(- (- 1 2) 3)");
  CHECK(ast("8 / 4 / 2") == "(/ (/ 8 4) 2)");
  CHECK(ast("-a * b") == "(* (- a) b)");
  CHECK(ast("a + b < c * d") == "(< (+ a b) (* c d))");
  CHECK(ast("not a and b or c") == "(or (and (not a) b) c)");
  CHECK(ast("a or b and c") == "(or a (and b c))");
  CHECK(ast("x ?? y ?? 0") == "(?? (?? x y) 0)");
  CHECK(ast("a or b ?? c") == "(?? (or a b) c)");
  CHECK(ast("(1 + 2) * 3") == "(* (+ 1 2) 3)");
}

TEST_CASE("parser: literals", "[parser]") {
  CHECK(ast("60%") == "0.60");
  CHECK(ast("0.5%") == "0.005");
  CHECK(ast("1_000") == "1000");
  CHECK(ast("$90,000") == "$90000");
  CHECK(ast("$1,234.50") == "$1234.50");
  CHECK(ast("\"a\\\"b\"") == "\"a\"b\"");
  CHECK(ast(":group") == ":group");
  CHECK(ast("[1, 2, 3,]") == "(list 1 2 3)");
  CHECK(ast("[]") == "(list)");
  CHECK(ast("{b: 1, a: \"x\"}") == "(record b: 1 a: \"x\")");
  CHECK(ast("true and false") == "(and true false)");
}

TEST_CASE("parser: paths, fields, look-ups and calls", "[parser]") {
  CHECK(ast("param.quality.data_completeness") == "param.quality.data_completeness");
  CHECK(ast("input.measures") == "input.measures");
  CHECK(ast("f(x).points") == "(. (call f x) points)");
  CHECK(ast("t[\"001\", :claims].deciles") == "(. (index t \"001\" :claims) deciles)");
  CHECK(ast("quality.score(1, 2)") == "(call quality.score 1 2)");
  CHECK(ast("map(xs, x => x.p * 2)") == "(call map xs (lambda (x) (* x.p 2)))");
  CHECK(ast("sort_by(xs, (m) => m.points, :desc)") == "(call sort_by xs (lambda (m) m.points) :desc)");
  CHECK(ast("f()") == "(call f)");
}

TEST_CASE("parser: conditional forms", "[parser]") {
  CHECK(ast("if a then 1 else 2") == "(if a 1 2)");
  CHECK(ast("if a then if b then 1 else 2 else 3") == "(if a (if b 1 2) 3)");
  CHECK(ast("case when a then 1 when b then 2 else 3 end") == "(case (when a 1) (when b 2) (else 3))");
  CHECK(ast("let x = 1, y = x + 1 in x * y") == "(let (x 1) (y (+ x 1)) (* x y))");
}

TEST_CASE("parser: syntax errors point after the last good token, with a fix", "[parser]") {
  CHECK(ast("1 +") ==
        "ERROR: e:1:4: error[E101]: expected an operand after the operator\n"
        "   |\n"
        " 1 | 1 +\n"
        "   |    ^\n"
        "1 error, 0 warnings\n");
  CHECK(ast("if a then 1") ==
        "ERROR: e:1:12: error[E101]: expected 'else'\n"
        "   |\n"
        " 1 | if a then 1\n"
        "   |            ^\n"
        "   = help: every 'if' and 'case' needs an 'else' so that it always has a value\n"
        "1 error, 0 warnings\n");
  CHECK(ast("12345678901234567890123456789012345678901") .find("number out of range") != std::string::npos);
  CHECK(ast("1 2").find("e:1:3: error[E101]: unexpected text after the end") != std::string::npos);
  CHECK(ast("1 2").find("an operator may be missing") != std::string::npos);
}

TEST_CASE("parser: one run reports every broken definition", "[parser]") {
  std::string text =
      "def a = 1 +\n"
      "def b = 2\n"
      "def c = (3\n"
      "def d = if x then 1\n"
      "def e = 5\n";
  std::string out = errors(text);
  CHECK(out.find("r.merit:1:12: error[E101]") != std::string::npos);
  CHECK(out.find("r.merit:3:11: error[E101]: expected ')'") != std::string::npos);
  CHECK(out.find("r.merit:4:20: error[E101]: expected 'else'") != std::string::npos);
  CHECK(out.find("3 errors, 0 warnings") != std::string::npos);
  Diagnostics d;
  RuleFile f = parse_rule_file(Source::from_text("r.merit", text), d);
  // The good definitions still parse.
  REQUIRE(f.definitions.size() == 2);
  CHECK(f.definitions[0]->name == "b");
  CHECK(f.definitions[1]->name == "e");
}

TEST_CASE("parser: nesting is limited instead of overflowing the stack", "[parser]") {
  std::string deep(5000, '(');
  deep += "1";
  deep += std::string(5000, ')');
  std::string out = ast(deep);
  CHECK(out.find("nested too deeply") != std::string::npos);
  std::string ok(100, '(');
  ok += "1" + std::string(100, ')');
  CHECK(ast(ok) == "1");
}

TEST_CASE("parser: declarations keep docs, citations, notes and overrides", "[parser]") {
  Diagnostics d;
  auto f = parse_rule_file(Source::from_text("r.merit",
                                             "module quality \"Quality\"\n"
                                             "override def threshold: number\n"
                                             "  doc \"The data completeness threshold.\"\n"
                                             "  cite \"42 CFR 414.1340(a)(2)\"\n"
                                             "  cite \"82 FR 53568\"\n"
                                             "  note \"[U] recalled\"\n"
                                             "  = 60%\n"
                                             "fn twice(x: number): number = x * 2\n"),
                           d);
  REQUIRE_FALSE(d.has_errors());
  CHECK(f.module == "quality");
  CHECK(f.doc == "Quality");
  REQUIRE(f.definitions.size() == 1);
  const auto& def = *f.definitions[0];
  CHECK(def.qualified() == "quality.threshold");
  CHECK(def.is_override);
  CHECK(to_string(def.declared) == "number");
  CHECK(def.doc == "The data completeness threshold.");
  CHECK(def.citations == std::vector<std::string>{"42 CFR 414.1340(a)(2)", "82 FR 53568"});
  CHECK(def.note == "[U] recalled");
  REQUIRE(f.functions.size() == 1);
  CHECK(f.functions[0]->params.size() == 1);
  CHECK(to_string(f.functions[0]->declared_result) == "number");
}
