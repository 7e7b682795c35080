// Checker: dsl::check driven directly with hand-made CheckUnits (rule text parsed with
// dsl::parse_rule_file, parameters and inputs declared here). Expected types, codes and messages
// follow docs/dsl.md (types, money rules, names, lambdas, functions) and dsl/checker.hpp (stages,
// order). Line:column pairs are counted by hand from the rule text in each test.
#include <catch2/catch.hpp>

#include <algorithm>

#include "dsl/checker.hpp"
#include "dsl/parser.hpp"
#include "support/policy_fixture.hpp"

using namespace merit;
namespace types = dsl::types;

namespace {

struct Checked {
  dsl::CheckUnit unit;
  dsl::CheckResult result;
  dsl::Diagnostics diags;
  std::string rendered;

  int index(const std::string& qualified) const {
    for (size_t i = 0; i < unit.definitions.size(); ++i)
      if (unit.definitions[i]->qualified() == qualified) return static_cast<int>(i);
    return -1;
  }
  std::string type(const std::string& qualified) const {
    int i = index(qualified);
    if (i < 0) return "<no definition " + qualified + ">";
    return dsl::to_string(result.definition_types[i]);
  }
  size_t count(const std::string& code) const {
    return static_cast<size_t>(std::count_if(diags.items().begin(), diags.items().end(), [&](const dsl::Diagnostic& d) {
      return dsl::code_info(d.code).id == code;
    }));
  }
  bool has(const std::string& text) const { return rendered.find(text) != std::string::npos; }
  // Position of a definition in result.order, or -1.
  int position(const std::string& qualified) const {
    auto it = std::find(result.order.begin(), result.order.end(), index(qualified));
    return it == result.order.end() ? -1 : static_cast<int>(it - result.order.begin());
  }
};

struct Setup {
  std::vector<std::string> files;           // rule files: rules.merit, rules2.merit, ...
  std::vector<dsl::ParameterDecl> params;
  dsl::Type input = types::record({});
  std::vector<std::string> outputs;
  std::string stop_after;
};

std::unique_ptr<Checked> run(const Setup& s) {
  auto c = std::make_unique<Checked>();
  for (size_t i = 0; i < s.files.size(); ++i) {
    auto src = dsl::Source::from_text(i == 0 ? "rules.merit" : "rules" + std::to_string(i + 1) + ".merit", s.files[i]);
    dsl::Diagnostics parse;
    dsl::RuleFile f = dsl::parse_rule_file(src, parse);
    INFO(parse.render());
    REQUIRE_FALSE(parse.has_errors());
    c->unit.definitions.insert(c->unit.definitions.end(), f.definitions.begin(), f.definitions.end());
    c->unit.functions.insert(c->unit.functions.end(), f.functions.begin(), f.functions.end());
  }
  c->unit.parameters = s.params;
  c->unit.input = s.input;
  c->unit.outputs = s.outputs;
  c->unit.require_citations = false;
  c->result = dsl::check(c->unit, c->diags, s.stop_after);
  c->rendered = c->diags.render();
  return c;
}

std::unique_ptr<Checked> run(const std::string& rules) { return run(Setup{{rules}, {}, types::record({}), {}, ""}); }

dsl::ParameterDecl param(const std::string& name, dsl::Type t) { return {name, std::move(t), {}, {"cite"}}; }

// The single error of `expr` as the checker renders its first line, for `def v = expr` in module m.
std::string error_of(const std::string& expr) {
  auto c = run("module m\ndef v = " + expr + "\n");
  if (c->diags.items().empty()) return "no error; type " + c->type("m.v");
  std::string r = c->rendered;
  return r.substr(0, r.find('\n'));
}

}  // namespace

TEST_CASE("checker: inferred types of definitions", "[checker]") {
  auto table = types::table(types::record({{"id", types::string()}, {"n", types::number()}}), {"id"});
  auto c = run(Setup{{"module m\n"
                      "def n = 1 + 2\n"
                      "def pct = 60% * 2\n"
                      "def mo = $10 + $2.50\n"
                      "def b = 1 < 2\n"
                      "def s = \"x\"\n"
                      "def sym = :a\n"
                      "def l = [1, 2]\n"
                      "def e = []\n"
                      "def r = {met: 61, id: \"110\"}\n"
                      "def f = r.met\n"
                      "def row = param.t[\"a\"]\n"
                      "def cell = param.t[\"a\"].n\n"
                      "def all_rows = rows(param.t)\n"
                      "def cnt = count(l)\n"
                      "def bools = map(l, x => x > 1)\n"
                      "def dollars = sum([$1, $2])\n"
                      "def nested = [[1], []]\n"
                      "def inp = input.xs\n"},
                     {param("t", table)},
                     types::record({{"xs", types::list(types::money())}}),
                     {},
                     ""});
  INFO(c->rendered);
  REQUIRE_FALSE(c->diags.has_errors());
  CHECK(c->type("m.n") == "number");
  CHECK(c->type("m.pct") == "number");
  CHECK(c->type("m.mo") == "money");
  CHECK(c->type("m.b") == "bool");
  CHECK(c->type("m.s") == "string");
  CHECK(c->type("m.sym") == "symbol");
  CHECK(c->type("m.l") == "list<number>");
  // [] is an empty list of any element type.
  auto e = c->result.definition_types[c->index("m.e")];
  CHECK(e->kind == dsl::Kind::List);
  CHECK(dsl::assignable(e, types::list(types::number())));
  CHECK(dsl::assignable(e, types::list(types::string())));
  CHECK(c->type("m.r") == "{id: string, met: number}");  // fields sorted by name
  CHECK(c->type("m.f") == "number");
  CHECK(c->type("m.row") == "{id: string, n: number}");
  CHECK(c->type("m.cell") == "number");
  CHECK(c->type("m.all_rows") == "list<{id: string, n: number}>");
  CHECK(c->type("m.cnt") == "number");
  CHECK(c->type("m.bools") == "list<bool>");
  CHECK(c->type("m.dollars") == "money");
  CHECK(c->type("m.nested") == "list<list<number>>");
  CHECK(c->type("m.inp") == "list<money>");
}

TEST_CASE("checker: money arithmetic follows the table in dsl.md", "[checker]") {
  auto c = run("module m\n"
               "def add = $10 + $2.50\n"
               "def sub = $10 - $2.50\n"
               "def mul = $10 * 3\n"
               "def mul2 = 3 * $2.50\n"
               "def div = $10 / 4\n"
               "def ratio = $10 / $4\n"
               "def neg = -$5\n"
               "def cmp = $10 < $11\n"
               "def eq = $10 == $10.00\n");
  INFO(c->rendered);
  REQUIRE_FALSE(c->diags.has_errors());
  CHECK(c->type("m.add") == "money");
  CHECK(c->type("m.sub") == "money");
  CHECK(c->type("m.mul") == "money");
  CHECK(c->type("m.mul2") == "money");
  CHECK(c->type("m.div") == "money");
  CHECK(c->type("m.ratio") == "number");
  CHECK(c->type("m.neg") == "money");
  CHECK(c->type("m.cmp") == "bool");
  CHECK(c->type("m.eq") == "bool");
}

TEST_CASE("checker: money mixed with numbers is E400 with a help line", "[checker]") {
  // 'def v = ' is 8 bytes: the expression starts at column 9 of line 2.
  CHECK(error_of("$10 + 5") == "rules.merit:2:9: error[E400]: cannot apply '+' to money and number");
  CHECK(error_of("5 - $10") == "rules.merit:2:9: error[E400]: cannot apply '-' to number and money");
  CHECK(error_of("$10 * $2") == "rules.merit:2:9: error[E400]: cannot apply '*' to money and money");
  CHECK(error_of("10 / $2") == "rules.merit:2:9: error[E400]: cannot apply '/' to number and money");
  CHECK(error_of("$10 == 10") == "rules.merit:2:9: error[E400]: cannot compare money with number");
  CHECK(error_of("$10 < 10") == "rules.merit:2:9: error[E400]: cannot order money and number");
  CHECK(error_of("true < false") == "rules.merit:2:9: error[E400]: cannot order bool and bool");
  CHECK(error_of(":a < :b") == "rules.merit:2:9: error[E400]: cannot order symbol and symbol");
  CHECK(error_of("\"a\" < \"b\"") == "no error; type bool");  // strings are ordered

  auto cmp = run(Setup{{"module m\ndef v = input.c <= 90000\n"}, {}, types::record({{"c", types::money()}}), {}, ""});
  INFO(cmp->rendered);
  CHECK(cmp->has("rules.merit:2:9: error[E400]: cannot order money and number\n"));
  CHECK(cmp->has("   = help: compare money with money: write amounts as $90,000\n"));
  CHECK(run("module m\ndef v = $1 + 1\n")->has("= help: add money to money: write amounts as $1,000"));
  CHECK(run("module m\ndef v = $1 * $1\n")->has("= help: multiply money by a number, not by money"));
  CHECK(run("module m\ndef v = 1 / $1\n")->has("= help: divide money by a number or by money"));
}

TEST_CASE("checker: other operand types", "[checker]") {
  CHECK(error_of("1 and true") == "rules.merit:2:9: error[E400]: 'and' needs bool operands, found number");
  CHECK(error_of("not 1") == "rules.merit:2:9: error[E400]: 'not' needs bool, found number");
  CHECK(error_of("-\"x\"") == "rules.merit:2:9: error[E400]: cannot negate string");
  CHECK(error_of("if 1 then 1 else 2") == "rules.merit:2:12: error[E400]: a condition must be bool, found number");
  CHECK(error_of("[1, 2][\"a\"]") == "rules.merit:2:9: error[E400]: a list is indexed by one number: xs[0] is the first element");
  CHECK(error_of("5[0]") == "rules.merit:2:9: error[E400]: only tables and lists can be indexed, this is number");
  CHECK(error_of("{a: 1}.b") == "rules.merit:2:16: error[E304]: record has no field 'b'");
  CHECK(run("module m\ndef v = {a: 1}.b\n")->has("= help: its fields are: a"));
}

TEST_CASE("checker: if, case, ?? and list literals need one type (E402)", "[checker]") {
  // line 2: 'def v = if true then 1 else "x"': the else branch starts at column 29
  CHECK(error_of("if true then 1 else \"x\"") ==
        "rules.merit:2:29: error[E402]: this branch is string but an earlier one is number");
  // 'case when true then 1 when false then $1 else 2 end': '$1' at column 47
  CHECK(error_of("case when true then 1 when false then $1 else 2 end") ==
        "rules.merit:2:47: error[E402]: this branch is money but an earlier one is number");
  CHECK(error_of("1 ?? \"x\"") == "rules.merit:2:14: error[E402]: this branch is string but an earlier one is number");
  CHECK(error_of("[1, \"a\"]") == "rules.merit:2:13: error[E402]: this branch is string but an earlier one is number");
  CHECK(run("module m\ndef v = if true then 1 else \"x\"\n")->has("= help: every branch must produce the same type"));
  // [] unifies with any list, in either order.
  CHECK(error_of("if true then [] else [1]") == "no error; type list<number>");
  CHECK(error_of("if true then [$1] else []") == "no error; type list<money>");
  CHECK(error_of("case when true then :a else :b end") == "no error; type symbol");
}

TEST_CASE("checker: let scoping and E305", "[checker]") {
  CHECK(error_of("let a = 2, b = a * 3 in a + b") == "no error; type number");
  CHECK(error_of("(let a = 1 in a) + (let a = $2 in 3)") == "no error; type number");  // siblings may reuse a name
  // 'def v = let a = 1, a = 2 in a': the second 'a' at column 20
  CHECK(error_of("let a = 1, a = 2 in a") == "rules.merit:2:20: error[E305]: 'a' is already bound in this scope");
  CHECK(error_of("let x = [1] in map(x, x => x)") == "rules.merit:2:31: error[E305]: 'x' is already bound in this scope");
  CHECK(error_of("let param = 1 in 2") == "rules.merit:2:13: error[E305]: 'param' is reserved and cannot name a local value");
  CHECK(error_of("let input = 1 in 2") == "rules.merit:2:13: error[E305]: 'input' is reserved and cannot name a local value");
  // A binding is visible only in the bindings after it and in the body.
  CHECK(error_of("(let a = 1 in a) + a") == "rules.merit:2:28: error[E300]: unknown name 'a'");
  CHECK(error_of("let a = b, b = 1 in a") == "rules.merit:2:17: error[E300]: unknown name 'b'");
  // A function's parameters are locals too.
  auto c = run("module m\nfn f(x: number) = let x = 1 in x\n");  // the 'x' of let at column 23
  CHECK(c->has("rules.merit:2:23: error[E305]: 'x' is already bound in this scope\n"));
}

TEST_CASE("checker: lambdas only as arguments of collection built-ins", "[checker]") {
  auto c = run("module m\n"
               "fn g(x: number) = x\n"
               "def a = g(y => y)\n"                // 3: the lambda at column 11
               "def b = round(x => x, 2)\n"         // 4: column 15
               "def c = map(x => x, [1])\n"         // 5: column 13
               "def d = map([1], (p, q) => p)\n"    // 6: column 18
               "def e = sum([1, 2], x => x * 2)\n"  // fine
               "def f = sort_by([1], x => x, :desc)\n");
  INFO(c->rendered);
  CHECK(c->has("rules.merit:3:11: error[E400]: a lambda can only be passed to a built-in such as map or filter\n"));
  CHECK(c->has("rules.merit:4:15: error[E400]: 'round' does not take a lambda here\n"));
  CHECK(c->has("= help: usage: round(x, digits) | round(x, digits, :mode)"));
  CHECK(c->has("rules.merit:5:13: error[E400]: 'map' does not take a lambda here\n"));
  CHECK(c->has("rules.merit:6:18: error[E401]: this lambda must take exactly one parameter\n"));
  CHECK(c->has("= help: usage: map(list, x => value)"));
  CHECK(c->type("m.e") == "number");
  CHECK(c->type("m.f") == "list<number>");
  // map(x => x, [1]) also lacks a lambda in the second position: a second E400 on that call.
  CHECK(c->has("rules.merit:5:21: error[E400]: map: expected a lambda"));
  CHECK(c->count("E400") == 4);
  CHECK(c->count("E401") == 1);

  // Outside any call a lambda does not even parse (E101).
  dsl::Diagnostics d;
  dsl::parse_rule_file(dsl::Source::from_text("x.merit", "def f = x => x\n"), d);
  CHECK(d.has_errors());
  CHECK(dsl::code_info(d.items().front().code).id == "E101");
}

TEST_CASE("checker: built-in arity is E401 with the usage line", "[checker]") {
  CHECK(error_of("round(1)") == "rules.merit:2:9: error[E401]: 'round' takes 2 to 3 arguments, given 1");
  CHECK(run("module m\ndef v = round(1)\n")->has("   = help: usage: round(x, digits) | round(x, digits, :mode)\n"));
  CHECK(error_of("abs(1, 2)") == "rules.merit:2:9: error[E401]: 'abs' takes 1 argument, given 2");
  CHECK(run("module m\ndef v = abs(1, 2)\n")->has("   = help: usage: abs(x)\n"));
  CHECK(error_of("clamp(1, 2)") == "rules.merit:2:9: error[E401]: 'clamp' takes 3 arguments, given 2");
  CHECK(error_of("take([1])") == "rules.merit:2:9: error[E401]: 'take' takes 2 arguments, given 1");
  CHECK(error_of("round(1.5, 0, :half_even)") == "no error; type number");
  // The mode must be written out (E404).
  CHECK(error_of("round(1.5, 0, :sideways)") == "rules.merit:2:23: error[E404]: unknown rounding mode ':sideways'");
}

TEST_CASE("checker: user functions: arity, argument types, results", "[checker]") {
  auto c = run("module m\n"
               "fn rate(met: number, eligible: number): number = met / eligible\n"  // 2
               "fn twice(x: money) = x * 2\n"                                      // 3
               "fn bad(x: number): string = x\n"                                   // 4: body at column 29
               "def a = rate(1)\n"                                                 // 5
               "def b = rate(1, \"x\")\n"                                          // 6: "x" at column 17
               "def c = rate(1, 2)\n"                                              // 7
               "def d = twice($5)\n"                                               // 8
               "def e = m.rate(3, 4)\n");                                          // 9
  INFO(c->rendered);
  CHECK(c->has("rules.merit:5:9: error[E401]: 'm.rate' takes 2 arguments, given 1\n"));
  CHECK(c->has("   = help: its parameters are (met: number, eligible: number)\n"));
  CHECK(c->has("rules.merit:6:17: error[E400]: argument 'eligible' of 'm.rate' must be number, found string\n"));
  CHECK(c->has("rules.merit:4:29: error[E403]: function 'm.bad' is declared to return string but its expression is number\n"));
  CHECK(c->type("m.c") == "number");
  CHECK(c->type("m.d") == "money");  // without a declared result, the body's type
  CHECK(c->type("m.e") == "number");
  CHECK(c->count("E400") == 1);
  CHECK(c->count("E401") == 1);
  CHECK(c->count("E403") == 1);
}

TEST_CASE("checker: declared types must match (E403)", "[checker]") {
  // 'def v: money = 5': the expression at column 16
  auto c = run("module m\ndef v: money = 5\n");
  CHECK(c->has("rules.merit:2:16: error[E403]: 'm.v' is declared money but its expression is number\n"));
  CHECK(c->has("= help: change the declared type or the expression"));
  auto ok = run("module m\n"
                "def l: list<number> = []\n"
                "def r: {b: string, a: number} = {a: 1, b: \"x\"}\n"
                "def m2: money = $1 * 2\n");
  INFO(ok->rendered);
  CHECK_FALSE(ok->diags.has_errors());
  CHECK(ok->type("m.l") == "list<number>");  // the declared type is the definition's type
  CHECK(ok->type("m.r") == "{a: number, b: string}");
}

TEST_CASE("checker: unknown names and their hints", "[checker]") {
  auto c = run(Setup{{"module m\n"
                      "def score = 1\n"
                      "fn helper(x: number) = x\n"
                      "def a = clinicians + 1\n"   // 4: column 9
                      "def b = limit\n"            // 5
                      "def c = scor\n"             // 6
                      "def d = abs\n"              // 7
                      "def e = param.limt\n"       // 8
                      "def f = input.clinician\n"  // 9: 'clinician' at column 15
                      "def g = foo(1)\n"           // 10
                      "def h = helpr(1)\n"},       // 11
                     {param("limit", types::money())},
                     types::record({{"clinicians", types::number()}}),
                     {},
                     ""});
  INFO(c->rendered);
  CHECK(c->has("rules.merit:4:9: error[E300]: unknown name 'clinicians'\n"));
  CHECK(c->has("= help: did you mean 'input.clinicians'? inputs are read as input.<field>\n"));
  CHECK(c->has("rules.merit:5:9: error[E300]: unknown name 'limit'\n"));
  CHECK(c->has("= help: did you mean 'param.limit'? parameters are read as param.<name>\n"));
  CHECK(c->has("rules.merit:6:9: error[E300]: unknown name 'scor'\n"));
  CHECK(c->has("= help: did you mean 'score'?\n"));
  CHECK(c->has("rules.merit:7:9: error[E300]: unknown name 'abs'\n"));
  CHECK(c->has("= help: 'abs' is a function: call it with arguments, abs(...)\n"));
  CHECK(c->has("rules.merit:8:9: error[E301]: unknown parameter 'limt'\n"));
  CHECK(c->has("= help: did you mean 'param.limit'?\n"));
  CHECK(c->has("rules.merit:10:9: error[E303]: unknown function 'foo'\n"));
  CHECK(c->has("rules.merit:11:9: error[E303]: unknown function 'helpr'\n"));
  CHECK(c->has("= help: did you mean 'helper'?\n"));

  auto in = run(Setup{{"module m\ndef f = input.clinician\n"}, {}, types::record({{"clinicians", types::number()}}), {}, ""});
  INFO(in->rendered);
  CHECK(in->has("rules.merit:2:15: error[E302]: the policy declares no input field 'clinician'\n"));
  CHECK(in->has("= help: did you mean 'clinicians'?\n"));
}

TEST_CASE("checker: the bare-input hint through the whole pipeline", "[checker]") {
  auto c = test::compile_mini({"module m\ndef a = x * 2\n", "", "x: number\n", ""});
  INFO(c->rendered);
  CHECK_FALSE(c->policy.program);
  CHECK(c->rendered.starts_with("rules.merit:2:9: error[E300]: unknown name 'x'\n"));
  CHECK(c->rendered.find("= help: did you mean 'input.x'? inputs are read as input.<field>") != std::string::npos);
}

TEST_CASE("checker: param.* takes the longest prefix that names a parameter", "[checker]") {
  auto c = run(Setup{{"module m\n"
                      "def a = param.quality.floor\n"
                      "def b = param.quality.weights.cost\n"
                      "def c = param.w.a\n"
                      "def d = param.quality.weights\n"},
                     {param("quality.floor", types::number()),
                      param("quality", types::record({{"floor", types::string()}, {"weights", types::string()}})),
                      param("quality.weights", types::record({{"cost", types::money()}})),
                      param("w", types::record({{"a", types::boolean()}}))},
                     types::record({}),
                     {},
                     ""});
  INFO(c->rendered);
  REQUIRE_FALSE(c->diags.has_errors());
  CHECK(c->type("m.a") == "number");  // 'quality.floor', not the field 'floor' of 'quality'
  CHECK(c->type("m.b") == "money");   // 'quality.weights' then the field 'cost'
  CHECK(c->type("m.c") == "bool");    // 'w' then the field 'a'
  CHECK(c->type("m.d") == "{cost: money}");
  CHECK(c->result.reads_parameters[c->index("m.a")] == std::vector<int>{0});
  CHECK(c->result.reads_parameters[c->index("m.b")] == std::vector<int>{2});
  CHECK(c->result.reads_parameters[c->index("m.c")] == std::vector<int>{3});
  CHECK_FALSE(c->result.used_parameter[1]);
}

TEST_CASE("checker: definitions: current module first, then full names, then fields", "[checker]") {
  auto c = run(Setup{{"module quality\ndef percent = 50\ndef rec = {a: $1}\n",
                      "module final\n"
                      "def percent = \"mine\"\n"
                      "def mine = percent\n"
                      "def theirs = quality.percent\n"
                      "def field = quality.rec.a\n"},
                     {},
                     types::record({}),
                     {},
                     ""});
  INFO(c->rendered);
  REQUIRE_FALSE(c->diags.has_errors());
  CHECK(c->type("final.mine") == "string");
  CHECK(c->type("final.theirs") == "number");
  CHECK(c->type("final.field") == "money");
}

TEST_CASE("checker: functions may not recurse (E501)", "[checker]") {
  auto self = run("module m\nfn f(x: number): number = f(x)\n");  // 'f' at column 4
  INFO(self->rendered);
  CHECK(self->has("rules.merit:2:4: error[E501]: function 'm.f' calls itself\n"));
  CHECK(self->has("= help: rules are evaluated without recursion; express the repetition with map, filter or sum"));
  auto pair = run("module m\n"
                  "fn a(x: number): number = b(x)\n"
                  "fn b(x: number): number = a(x)\n"
                  "fn c(x: number): number = a(x)\n");
  INFO(pair->rendered);
  CHECK(pair->count("E501") == 1);
  CHECK(pair->has("rules.merit:2:4: error[E501]: functions call each other in a cycle: m.a -> m.b -> m.a\n"));
}

TEST_CASE("checker: definition cycles are E500 with the path", "[checker]") {
  auto c = run("module m\n"
               "def a = b + 1\n"   // 2
               "def b = c + 1\n"   // 3
               "def c = a + 1\n"   // 4
               "def s = s + 1\n"   // 5
               "def ok = 1\n");
  INFO(c->rendered);
  CHECK(c->count("E500") == 2);
  CHECK(c->has("rules.merit:2:5: error[E500]: definitions depend on each other in a cycle: m.a -> m.b -> m.c -> m.a\n"));
  CHECK(c->has("rules.merit:3:5: note: 'm.b' is part of the cycle\n"));
  CHECK(c->has("rules.merit:4:5: note: 'm.c' is part of the cycle\n"));
  CHECK(c->has("rules.merit:5:5: error[E500]: 'm.s' depends on itself\n"));
  // A cycle through a function counts: what a function reads is read by its callers.
  auto via = run("module m\nfn f(x: number) = x + d\ndef d = f(1)\n");
  INFO(via->rendered);
  CHECK(via->has("error[E500]: 'm.d' depends on itself"));
}

TEST_CASE("checker: unused definitions (W600) only when outputs are declared", "[checker]") {
  const std::string rules =
      "module m\n"
      "def a = b + param.p\n"   // 2
      "def b = helper(1)\n"     // 3
      "def c = 3\n"             // 4: unused
      "fn helper(x: number) = x\n"
      "fn unused_fn(x: number) = x\n";  // 6
  std::vector<dsl::ParameterDecl> params = {param("p", types::number()), param("q", types::number())};
  auto none = run(Setup{{rules}, params, types::record({}), {}, ""});
  INFO(none->rendered);
  CHECK(none->diags.items().empty());

  auto with = run(Setup{{rules}, params, types::record({}), {"m.a"}, ""});
  INFO(with->rendered);
  CHECK_FALSE(with->diags.has_errors());
  CHECK(with->count("W600") == 1);
  CHECK(with->has("rules.merit:4:5: warning[W600]: 'm.c' is not used by any output\n"));
  CHECK(with->count("W601") == 1);
  CHECK(with->has("rules.merit:6:4: warning[W601]: function 'm.unused_fn' is never called by an output\n"));
  CHECK(with->count("W602") == 1);
  CHECK(with->has("warning[W602]: parameter 'q' is never read"));

  // A misspelled output is E502, and nothing is called unused until it is fixed.
  auto typo = run(Setup{{rules}, params, types::record({}), {"m.aa"}, ""});
  INFO(typo->rendered);
  CHECK(typo->count("E502") == 1);
  CHECK(typo->has("error[E502]: 'outputs' names 'm.aa', which is not defined"));
  CHECK(typo->has("= help: did you mean 'm.a'?"));
  CHECK(typo->count("W600") == 0);
}

TEST_CASE("checker: stop_after runs only the stages up to the one named", "[checker]") {
  const std::string rules =
      "module m\n"
      "def a = 1 + \"x\"\n"   // types: E400
      "def b = b\n"           // cycles: E500
      "def c = 3\n";          // lint: W600 with outputs
  auto stage = [&](const std::string& stop) {
    return run(Setup{{rules}, {}, types::record({}), {"m.a", "m.b"}, stop});
  };
  auto resolve = stage("resolve");
  INFO(resolve->rendered);
  CHECK(resolve->diags.items().empty());
  CHECK(resolve->result.order.empty());
  CHECK_FALSE(resolve->result.definition_types[0]);  // not typed

  auto typed = stage("types");
  CHECK(typed->count("E400") == 1);
  CHECK(typed->count("E500") == 0);
  CHECK(typed->count("W600") == 0);
  CHECK(typed->result.order.empty());

  auto cycles = stage("cycles");
  CHECK(cycles->count("E400") == 1);
  CHECK(cycles->count("E500") == 1);
  CHECK(cycles->count("W600") == 0);
  CHECK(cycles->result.order.size() == 3);

  auto all = stage("");
  CHECK(all->count("E400") == 1);
  CHECK(all->count("E500") == 1);
  CHECK(all->count("W600") == 1);

  // An unresolved name has the error type: it does not cascade into type errors.
  auto names = run("module m\ndef a = nope + \"x\"\ndef c = -nope\n");
  INFO(names->rendered);
  CHECK(names->count("E300") == 2);
  CHECK(names->count("E400") == 0);

  CHECK(dsl::kCheckStages.size() == 4);
  CHECK(std::string(dsl::kCheckStages[0].name) == "resolve");
  CHECK(std::string(dsl::kCheckStages[1].name) == "types");
  CHECK(std::string(dsl::kCheckStages[2].name) == "cycles");
  CHECK(std::string(dsl::kCheckStages[3].name) == "lint");
}

TEST_CASE("checker: order lists dependencies before dependents", "[checker]") {
  auto c = run("module m\n"
               "def d = c + a\n"
               "def c = b + 1\n"
               "def b = a + 1\n"
               "def y = f(1)\n"
               "fn f(x: number) = x + z\n"
               "def a = 1\n"
               "def z = 2\n");
  INFO(c->rendered);
  REQUIRE_FALSE(c->diags.has_errors());
  REQUIRE(c->result.order.size() == 6);
  std::vector<int> sorted = c->result.order;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int>{0, 1, 2, 3, 4, 5});  // each definition once
  CHECK(c->position("m.a") < c->position("m.b"));
  CHECK(c->position("m.b") < c->position("m.c"));
  CHECK(c->position("m.c") < c->position("m.d"));
  CHECK(c->position("m.a") < c->position("m.d"));
  // Through a function: y calls f, which reads z.
  CHECK(c->position("m.z") < c->position("m.y"));
  CHECK(c->result.reads_definitions[c->index("m.y")] == std::vector<int>{c->index("m.z")});
  CHECK(c->result.definition_calls[c->index("m.y")] == std::vector<int>{0});
  std::vector<int> d_reads = {c->index("m.c"), c->index("m.a")};
  std::sort(d_reads.begin(), d_reads.end());
  CHECK(c->result.reads_definitions[c->index("m.d")] == d_reads);
}
