// Interpreter: small policies evaluated on small inputs. Expected values are worked out from the
// language's definition (docs/dsl.md), not copied from output.
#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "support/policy_fixture.hpp"

using namespace merit;

namespace {

struct Run {
  std::unique_ptr<test::Compiled> c;
  test::EvalResult r;
};

Run run(const std::string& rules, const std::string& input = "x: 1\n", const std::string& inputs = "x: number\n",
        const std::string& params = "") {
  Run out;
  out.c = test::compile_mini({rules, params, inputs, ""});
  INFO(out.c->rendered);
  REQUIRE(out.c->policy.program);
  out.r = test::eval_yaml(*out.c->policy.program, input);
  INFO(out.r.input_errors);
  REQUIRE(out.r.input_ok);
  return out;
}

std::string value(const std::string& expr, const std::string& input = "x: 1\n", const std::string& inputs = "x: number\n",
                  const std::string& params = "") {
  Run r = run("module m\ndef v = " + expr + "\n", input, inputs, params);
  if (r.r.errors.count("m.v")) return "ERROR " + r.r.errors["m.v"];
  return r.r.values["m.v"];
}

// What a traced evaluation (merit explain) of `input_yaml` records for `definition`: the step
// (what it read) and its value as text ("" when the input does not bind or it failed).
struct Traced {
  engine::TraceStep step;
  std::string value;
};
Traced traced(const engine::Program& p, const std::string& input_yaml, const std::string& definition) {
  engine::Evaluator ev(p);
  dsl::Diagnostics diags;
  engine::Value input;
  auto source = dsl::Source::from_text("in.yaml", input_yaml);
  auto doc = engine::parse_document(source, diags);
  if (!doc || !engine::bind_input(*doc, p.inputs(), p.input_type(), true, ev.arena(), input, diags, source)) return {};
  const engine::Outcome& outcome = ev.evaluate(input, {true, {}});
  int d = p.find_definition(definition);
  Traced out;
  for (const auto& step : outcome.trace.steps)
    if (step.definition == d) out.step = step;
  if (d >= 0 && outcome.state[static_cast<size_t>(d)] == engine::Outcome::State::Ok)
    out.value = engine::to_string(outcome.values[static_cast<size_t>(d)]);
  return out;
}

// Whether that traced evaluation records that `definition` read parameter `parameter`.
bool trace_reads_parameter(const engine::Program& p, const std::string& input_yaml, const std::string& definition,
                           const std::string& parameter) {
  for (int q : traced(p, input_yaml, definition).step.parameters_read)
    if (p.parameters()[static_cast<size_t>(q)].name == parameter) return true;
  return false;
}

}  // namespace

TEST_CASE("interpreter: arithmetic is exact decimal", "[interpreter]") {
  CHECK(value("0.1 + 0.2") == "0.3");
  CHECK(value("0.1 + 0.2 == 0.3") == "true");
  CHECK(value("1 / 3") == "0.333333333333333333");  // the default division scale is 18, half-even
  CHECK(value("2 / 3") == "0.666666666666666667");
  CHECK(value("1 / 3 * 3") == "0.999999999999999999");
  CHECK(value("10 / 4") == "2.5");
  CHECK(value("-input.x * 2", "x: 3.5\n") == "-7");
  CHECK(value("7 - 10") == "-3");
}

TEST_CASE("interpreter: percents and money", "[interpreter]") {
  CHECK(value("60% * $90,000") == "$54,000");
  CHECK(value("$90,000 / 3") == "$30,000");
  CHECK(value("$90,000 / $60,000") == "1.5");
  CHECK(value("$1,234.50 + $0.50") == "$1,235.00");
  CHECK(value("input.c <= $90,000", "c: 90000\n", "c: money\n") == "true");
  CHECK(value("input.c <= $90,000", "c: 90000.01\n", "c: money\n") == "false");
  CHECK(value("50% + 10%") == "0.60");
}

TEST_CASE("interpreter: thresholds compare at two decimals: 14.99 vs 15", "[interpreter]") {
  CHECK(value("input.s >= 15", "s: 14.99\n", "s: number\n") == "false");
  CHECK(value("input.s >= 15", "s: 15.00\n", "s: number\n") == "true");
  CHECK(value("round(input.s, 2) >= 15", "s: 14.995\n", "s: number\n") == "true");  // half_up by default
  CHECK(value("round(input.s, 2, :half_even) >= 15", "s: 14.985\n", "s: number\n") == "false");
  CHECK(value("round(input.s, 2, :down) >= 15", "s: 14.999\n", "s: number\n") == "false");
}

TEST_CASE("interpreter: rounding modes through the language", "[interpreter]") {
  CHECK(value("round(14.995, 2)") == "15.00");
  CHECK(value("round(14.995, 2, :half_up)") == "15.00");
  CHECK(value("round(14.995, 2, :half_even)") == "15.00");
  CHECK(value("round(14.985, 2, :half_even)") == "14.98");
  CHECK(value("round(14.995, 2, :half_down)") == "14.99");
  CHECK(value("round(14.995, 2, :down)") == "14.99");
  CHECK(value("round(14.991, 2, :up)") == "15.00");
  CHECK(value("round(-14.995, 2, :floor)") == "-15.00");
  CHECK(value("round(-14.995, 2, :ceiling)") == "-14.99");
  CHECK(value("floor(2.7)") == "2");
  CHECK(value("ceil(2.1)") == "3");
  CHECK(value("floor(-2.1)") == "-3");
  CHECK(value("abs(-2.5)") == "2.5");
  CHECK(value("round(input.x, 19)").find("ERROR R705") == 0);
}

TEST_CASE("interpreter: the policy's arithmetic settings are data", "[interpreter]") {
  auto c = test::compile_mini({"module m\ndef third = 2 / 3\ndef r = round(2.5, 0)\n", "", "x: number\n", ""});
  REQUIRE(c->policy.program);
  // Same rules, coarser division and a different default rounding.
  test::TempPolicy t;
  t.file("policy.yaml",
         "name: p\nrequire_citations: false\nrules: [r.merit]\ninputs: {x: number}\n"
         "arithmetic: {division_scale: 4, division_rounding: down, rounding: half_even}\n");
  t.file("r.merit", "module m\ndef third = 2 / 3\ndef r = round(2.5, 0)\n");
  dsl::Diagnostics d;
  auto cp = engine::compile_policy(t.dir(), d);
  INFO(d.render());
  REQUIRE(cp.program);
  auto a = test::eval_yaml(*c->policy.program, "x: 1\n");
  auto b = test::eval_yaml(*cp.program, "x: 1\n");
  CHECK(a.values["m.third"] == "0.666666666666666667");
  CHECK(b.values["m.third"] == "0.6666");
  CHECK(a.values["m.r"] == "3");  // half_up
  CHECK(b.values["m.r"] == "2");  // half_even
}

TEST_CASE("interpreter: conditionals, let and functions", "[interpreter]") {
  CHECK(value("if input.x > 0 then \"pos\" else \"neg\"", "x: -1\n") == "\"neg\"");
  CHECK(value("case when input.x < 10 then 1 when input.x < 20 then 2 else 3 end", "x: 15\n") == "2");
  CHECK(value("case when input.x < 10 then 1 when input.x < 20 then 2 else 3 end", "x: 20\n") == "3");
  CHECK(value("let a = input.x + 1, b = a * 2 in a + b", "x: 1\n") == "6");
  Run r = run("module m\nfn sq(v: number): number = v * v\nfn sum_sq(a: number, b: number) = sq(a) + sq(b)\n"
              "def v = sum_sq(x_plus_one, 2)\ndef x_plus_one = input.x + 1\n",
              "x: 2\n");
  CHECK(r.r.values["m.v"] == "13");
  // Short circuit: the right side of 'and' is not evaluated when the left is false.
  CHECK(value("input.x > 5 and 1 / (input.x - 1) > 0", "x: 1\n") == "false");
  CHECK(value("input.x < 5 or 1 / (input.x - 1) > 0", "x: 1\n") == "true");
}

TEST_CASE("interpreter: collections", "[interpreter]") {
  std::string inputs = "ms: \"list<{id: string, pts: number, ok: bool}>\"\n";
  std::string input =
      "ms:\n"
      "  - {id: a, pts: 5, ok: true}\n"
      "  - {id: b, pts: 9, ok: false}\n"
      "  - {id: c, pts: 7, ok: true}\n"
      "  - {id: d, pts: 9, ok: true}\n";
  auto v = [&](const std::string& e) { return value(e, input, inputs); };
  CHECK(v("map(input.ms, m => m.pts * 2)") == "[10, 18, 14, 18]");
  CHECK(v("map(filter(input.ms, m => m.ok), m => m.id)") == "[\"a\", \"c\", \"d\"]");
  CHECK(v("sum(input.ms, m => m.pts)") == "30");
  CHECK(v("sum(map(input.ms, m => m.pts))") == "30");
  CHECK(v("mean(input.ms, m => m.pts)") == "7.5");
  CHECK(v("count(input.ms)") == "4");
  CHECK(v("count(input.ms, m => m.ok)") == "3");
  CHECK(v("min(input.ms, m => m.pts)") == "5");
  CHECK(v("max(map(input.ms, m => m.pts))") == "9");
  CHECK(v("any(input.ms, m => m.pts > 8)") == "true");
  CHECK(v("all(input.ms, m => m.pts > 4)") == "true");
  CHECK(v("all(input.ms, m => m.ok)") == "false");
  // sort_by is stable: b and d tie at 9 and keep their input order.
  CHECK(v("map(sort_by(input.ms, m => m.pts, :desc), m => m.id)") == "[\"b\", \"d\", \"c\", \"a\"]");
  CHECK(v("map(sort_by(input.ms, m => m.pts), m => m.id)") == "[\"a\", \"c\", \"b\", \"d\"]");
  CHECK(v("map(take(sort_by(input.ms, m => m.pts, :desc), 2), m => m.id)") == "[\"b\", \"d\"]");
  CHECK(v("count(take(input.ms, 10))") == "4");
  CHECK(v("index_of(map(input.ms, m => m.id), \"c\")") == "2");
  CHECK(v("index_of(map(input.ms, m => m.id), \"z\")") == "-1");
  CHECK(v("find_index(input.ms, m => m.pts == 9)") == "1");
  CHECK(v("contains(map(input.ms, m => m.id), \"d\")") == "true");
  CHECK(v("concat(map(input.ms, m => m.id), [\"x\"], [])") == "[\"a\", \"b\", \"c\", \"d\", \"x\"]");
  CHECK(v("count(concat(input.ms, take(input.ms, 2)))") == "6");
  CHECK(v("input.ms[2].id") == "\"c\"");
  CHECK(v("min(3, 1, 2)") == "1");
  CHECK(v("max($1, $3)") == "$3");
  CHECK(v("clamp(120, 0, 100)") == "100");
  CHECK(v("sum(filter(input.ms, m => m.pts > 100), m => m.pts)") == "0");
  CHECK(v("any(filter(input.ms, m => false), m => true)") == "false");
  CHECK(v("all(filter(input.ms, m => false), m => false)") == "true");
}

TEST_CASE("interpreter: decile interpolation (cms-data.md section 5.1)", "[interpreter]") {
  // CMS's published PY2017 example: measure 110, rate 54.46, deciles 3..10 bounds below.
  std::string bounds = "[11.22, 18.58, 25.00, 31.85, 38.93, 47.87, 60.00, 79.02]";
  CHECK(value("round(3 + interpolate(54.46, " + bounds + "), 2)") == "8.54");
  CHECK(value("interpolate(100, " + bounds + ")") == "7");    // the top decile: no fraction
  CHECK(value("interpolate(5, " + bounds + ")") == "-1");     // below the first bound
  CHECK(value("interpolate(11.22, " + bounds + ")") == "0");  // exactly on a bound
  // Inverse measure (lower is better): bounds descend, 'reached' means <=.
  CHECK(value("interpolate(10, [35, 25, 20, 15, 12, 9, 6, 3], true)") == "4.666666666666666667");
  CHECK(value("interpolate(0, [100, 0.92, 0.42, 0], true)") == "3");
  // A rate read from the input, with more, as many and fewer fractional digits than the bounds
  // (the comparison takes a shortcut when the bound has no more digits than the rate); the
  // position is k + (x - b[k]) / (b[k+1] - b[k]) for the last bound b[k] <= x.
  auto at = [](const std::string& x, const std::string& b, const std::string& inverse = "") {
    return value("interpolate(input.x, " + b + inverse + ")", "x: " + x + "\n");
  };
  CHECK(at("20.25", "[10.5, 20.25, 30]") == "1");
  CHECK(at("25", "[10.5, 20.25, 30]") == "1.487179487179487179");  // 4.75 / 9.75, 18 digits half-even
  CHECK(at("10.499999999999999999", "[10.5, 20.25, 30]") == "-1");
  CHECK(at("10.500000000000000001", "[10.5, 20.25, 30]") == "0");  // 10^-18 / 9.75 rounds to 0
  CHECK(at("30.000000000000000000", "[10.5, 20.25, 30]") == "2");
  CHECK(at("15", "[30, 20, 10]", ", true") == "1.5");              // (20 - 15) / (20 - 10)
  CHECK(at("19.99", "[30, 20, 10]", ", true") == "1.001");          // 0.01 / 10
  // Just above 20 on an inverse benchmark: k = 0 and (30 - x) / 10 = 0.9999999999999999999,
  // which 18 digits round (half-even) to 1.
  CHECK(at("20.000000000000000001", "[30, 20, 10]", ", true") == "1");
  // Bounds out of order: still the LAST bound reached (the built-in's definition), not the
  // first one a scan in either direction meets. 5 reaches 1 and 3 (indices 0 and 2): k = 2,
  // and 2 + (5 - 3) / (7 - 3) = 2.5; 8 reaches 1, 3 and 7: k = 3, the last bound, so 3.
  CHECK(at("5", "[1, 9, 3, 7]") == "2.5");
  CHECK(at("8", "[1, 9, 3, 7]") == "3");
  CHECK(at("2", "[1, 9, 3, 7]") == "0.125");  // k = 0: (2 - 1) / (9 - 1)
  // Inverse, out of order: 4 <= 9, 5 and 7 (indices 1, 2, 3): k = 3, the last: 3.
  CHECK(at("4", "[3, 9, 5, 7]", ", true") == "3");
}

TEST_CASE("interpreter: tables and the ?? fallback", "[interpreter]") {
  std::string params =
      "bench:\n"
      "  table:\n"
      "    key: [id, method]\n"
      "    rows:\n"
      "      - {id: \"001\", method: :claims, pts: 4}\n"
      "      - {id: \"001\", method: :registry, pts: 6}\n"
      "      - {id: \"236\", method: :claims, pts: 8}\n";
  std::string inputs = "id: string\nbonus: {type: number, optional: true}\n";
  auto v = [&](const std::string& e, const std::string& in = "id: \"001\"\n") { return value(e, in, inputs, params); };
  CHECK(v("param.bench[input.id, :registry].pts") == "6");
  CHECK(v("param.bench[\"236\", :claims].pts") == "8");
  CHECK(v("param.bench[\"999\", :claims].pts").find("ERROR R703: no row for key (\"999\", :claims)") == 0);
  CHECK(v("param.bench[\"999\", :claims].pts ?? 3") == "3");
  CHECK(v("count(rows(param.bench))") == "3");
  CHECK(v("input.bonus ?? 0") == "0");
  CHECK(v("input.bonus ?? 0", "id: x\nbonus: 2\n") == "2");
  CHECK(v("input.bonus + 1").find("ERROR R700: input field 'bonus' is missing") == 0);
}

TEST_CASE("interpreter: runtime errors are located results, not crashes", "[interpreter]") {
  Run r = run(
      "module m\n"
      "def zero = input.x - input.x\n"
      "def boom = 1 / zero\n"
      "def uses_boom = boom + 1\n"
      "def independent = 42\n"
      "def guarded = if zero == 0 then 0 else boom\n"
      "def empty = min(filter([1, 2], v => v > 5))\n"
      "def bad_take = take([1], -1)\n"
      "def bad_index = [1, 2][5]\n",
      "x: 3\n");
  CHECK(r.r.errors["m.boom"] == "R701: division by zero (1 / 0)");
  CHECK(r.r.errors["m.uses_boom"].rfind("R706: 'm.boom' failed: division by zero", 0) == 0);
  CHECK(r.r.values["m.independent"] == "42");
  CHECK(r.r.values["m.guarded"] == "0");  // reads zero, never boom
  CHECK(r.r.errors["m.empty"] == "R702: min of an empty list");
  CHECK(r.r.errors["m.bad_take"].rfind("R705", 0) == 0);
  CHECK(r.r.errors["m.bad_index"] == "R705: index 5 is outside the list (size 2)");
}

TEST_CASE("interpreter: decimal overflow is an error", "[interpreter]") {
  CHECK(value("99999999999999999999999999999999999999 * 10").rfind("ERROR R704", 0) == 0);
}

TEST_CASE("interpreter: one program, many threads", "[interpreter]") {
  auto c = test::compile_mini({"module m\ndef v = sum(map(input.xs, x => x * x)) / count(input.xs)\n", "",
                               "xs: \"list<number>\"\n", ""});
  REQUIRE(c->policy.program);
  const engine::Program& prog = *c->policy.program;
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::string last;
      for (int i = 0; i < 300; ++i) {
        auto r = test::eval_yaml(prog, fmt::format("xs: [{}, {}, {}]\n", t, t + 1, t + 2));
        last = r.values["m.v"];
      }
      results[t] = last;
    });
  for (auto& th : threads) th.join();
  // mean of squares of t, t+1, t+2 = (3t^2 + 6t + 5) / 3
  CHECK(results[0] == "1.666666666666666667");
  CHECK(results[1] == "4.666666666666666667");
  CHECK(results[2] == "9.666666666666666667");
  CHECK(results[3] == "16.666666666666666667");
}

TEST_CASE("interpreter: definitions that read no input are computed once, at compile time", "[interpreter][fold]") {
  std::string params =
      "rate: {value: 0.25}\n"
      "bench:\n"
      "  table:\n"
      "    key: [id]\n"
      "    rows:\n"
      "      - {id: \"001\", pts: 4, required: true}\n"
      "      - {id: \"002\", pts: 6, required: false}\n"
      "      - {id: \"003\", pts: 8, required: true}\n";
  Run r = run(
      "module m\n"
      "def required = filter(rows(param.bench), b => b.required)\n"   // reads no input: folded
      "def total = sum(required, b => b.pts) * param.rate\n"          // reads only folded ones: folded
      "def missing = param.bench[\"999\"].pts\n"                      // fails: left to run time
      "def scaled = total * input.x\n"                                // reads input: evaluated per case
      "def names = map(required, b => b.id)\n",
      "x: 2\n", "x: number\n", params);
  const engine::Program& p = *r.c->policy.program;
  auto folded = [&](const char* name) { return p.folded(p.find_definition(name)); };
  CHECK(folded("m.required"));
  CHECK(folded("m.total"));
  CHECK(folded("m.names"));
  CHECK_FALSE(folded("m.missing"));
  CHECK_FALSE(folded("m.scaled"));
  // (4 + 8) x 0.25 = 3; x 2 = 6; the folded list is owned by the program, not an evaluator.
  CHECK(r.r.values["m.total"] == "3");
  CHECK(r.r.values["m.scaled"] == "6");
  CHECK(r.r.values["m.names"] == "[\"001\", \"003\"]");
  CHECK(r.r.errors["m.missing"].rfind("R703: no row for key (\"999\")", 0) == 0);
  CHECK(p.disassemble().find("(folded at compile time: 3)") != std::string::npos);

  // A traced evaluation (merit explain) still runs the definition's own code: it shows the
  // parameter the folded value came from.
  CHECK(trace_reads_parameter(p, "x: 2\n", "m.total", "rate"));
}

TEST_CASE("interpreter: loops, tables and ?? on the fast paths", "[interpreter]") {
  // Each fold finishes on its last element; any/all/find_index stop early; a table look-up by
  // two keys, by a number key (1.0 finds 1) and a miss caught by ?? inside a loop.
  std::string params =
      "t:\n"
      "  table:\n"
      "    key: [a, b]\n"
      "    rows:\n"
      "      - {a: \"x\", b: 1, v: 10}\n"
      "      - {a: \"x\", b: 2, v: 20}\n"
      "      - {a: \"y\", b: 1, v: 30}\n";
  std::string inputs = "xs: \"list<number>\"\n";
  auto v = [&](const std::string& e) { return value(e, "xs: [3, 1, 2]\n", inputs, params); };
  CHECK(v("map(input.xs, x => x * 2)") == "[6, 2, 4]");
  CHECK(v("filter(input.xs, x => x >= 2)") == "[3, 2]");
  CHECK(v("filter(input.xs, x => x > 5)") == "[]");
  CHECK(v("sum(input.xs, x => x)") == "6");
  CHECK(v("count(input.xs, x => x > 1)") == "2");
  CHECK(v("any(input.xs, x => x == 3)") == "true");
  CHECK(v("any(input.xs, x => x == 2)") == "true");
  CHECK(v("any(input.xs, x => x == 5)") == "false");
  CHECK(v("all(input.xs, x => x > 0)") == "true");
  CHECK(v("all(input.xs, x => x > 1)") == "false");
  CHECK(v("all(input.xs, x => x != 2)") == "false");
  CHECK(v("sort_by(input.xs, x => x)") == "[1, 2, 3]");
  CHECK(v("param.t[\"x\", 2].v") == "20");
  CHECK(v("param.t[\"y\", 1.0].v") == "30");
  CHECK(v("map(input.xs, x => param.t[\"x\", x].v ?? 0)") == "[0, 10, 20]");
  CHECK(v("contains(input.xs, 2)") == "true");
  CHECK(v("contains(input.xs, 2.00)") == "true");
  CHECK(v("contains([\"a\", \"bc\"], \"b\")") == "false");
}

TEST_CASE("interpreter: loops whose body reads or compares one field run in one step", "[interpreter]") {
  // The planner marks these loops (kLoopFieldBody, kLoopCompareBody); the results must be those of
  // the loop run instruction by instruction, worked out by hand from the three records below.
  std::string inputs = "rs: \"list<{n: number, m: money, s: string, b: bool}>\"\n";
  std::string input =
      "rs:\n"
      "  - {n: 2.5, m: 10, s: \"overall\", b: true}\n"
      "  - {n: -1, m: 5.25, s: \"a\", b: false}\n"
      "  - {n: 4, m: 0, s: \"overall\", b: true}\n";
  auto v = [&](const std::string& e) { return value(e, input, inputs); };
  CHECK(v("sum(input.rs, r => r.n)") == "5.5");
  CHECK(v("sum(input.rs, r => r.m)") == "$15.25");
  CHECK(v("map(input.rs, r => r.s)") == "[\"overall\", \"a\", \"overall\"]");
  CHECK(v("map(input.rs, r => r.s == \"overall\")") == "[true, false, true]");
  CHECK(v("count(filter(input.rs, r => r.s == \"overall\"))") == "2");
  CHECK(v("map(filter(input.rs, r => r.s != \"overall\"), r => r.n)") == "[-1]");
  CHECK(v("map(filter(input.rs, r => r.b), r => r.n)") == "[2.5, 4]");
  CHECK(v("count(input.rs, r => r.b)") == "2");
  CHECK(v("count(input.rs, r => r.s == \"none\")") == "0");
  CHECK(v("any(input.rs, r => r.s == \"a\")") == "true");
  CHECK(v("any(input.rs, r => r.s == \"b\")") == "false");
  CHECK(v("all(input.rs, r => r.b)") == "false");
  CHECK(v("all(input.rs, r => r.s != \"b\")") == "true");
  CHECK(v("min(input.rs, r => r.n)") == "-1");
  CHECK(v("max(input.rs, r => r.n)") == "4");
  CHECK(v("sum(filter(input.rs, r => r.s == \"x\"), r => r.n)") == "0");
  // A sum too large for a decimal leaves the fused step; the ordinary loop reports it.
  std::string big = "rs:\n  - {n: 90000000000000000000000000000000000000, m: 0, s: \"\", b: true}\n"
                    "  - {n: 90000000000000000000000000000000000000, m: 0, s: \"\", b: true}\n";
  std::string overflow = value("sum(input.rs, r => r.n)", big, inputs);
  CHECK(overflow.rfind("ERROR", 0) == 0);
  CHECK(overflow.find("too large") != std::string::npos);
  // The plan shows which loops were fused.
  auto c = test::compile_mini({"module m\ndef v = sum(input.rs, r => r.n)\ndef w = filter(input.rs, r => r.s == \"a\")\n"
                               "def u = map(input.rs, r => r.n * 2)\n",
                               "", inputs, ""});
  REQUIRE(c->policy.program);
  std::string plan = c->policy.program->disassemble();
  CHECK(plan.find("(fused: field body)") != std::string::npos);
  CHECK(plan.find("(fused: compare body)") != std::string::npos);
  CHECK(plan.find("kind 0 slot 0 exit -> 6\n") != std::string::npos);  // map(x * 2) is not fused
  // A comparison with a parameter is not fused: a trace must record the parameter it reads.
  auto p = test::compile_mini({"module m\ndef v = filter(input.rs, r => r.n == param.k)\n",
                               "k: {value: 4, cite: \"test\"}\n", inputs, ""});
  REQUIRE(p->policy.program);
  CHECK(p->policy.program->disassemble().find("(fused") == std::string::npos);
  CHECK(value("map(filter(input.rs, r => r.n == param.k), r => r.s)", input, inputs, "k: {value: 4, cite: \"test\"}\n") ==
        "[\"overall\"]");
}

TEST_CASE("interpreter: map, filter, sum, any and all step with a LoopNext of their own kind", "[interpreter]") {
  // Bodies that are not one field (n * 2, n > 0 and ...) run element by element through the
  // kind's own LoopNext; the values are worked out by hand from the three records, with `*`
  // dropping trailing zeros and `+` keeping the larger scale (docs/architecture.md, arithmetic).
  std::string inputs = "rs: \"list<{n: number, m: money}>\"\n";
  std::string input =
      "rs:\n"
      "  - {n: 2.5, m: 10}\n"
      "  - {n: -1, m: 5.25}\n"
      "  - {n: 4, m: 0.75}\n";
  auto v = [&](const std::string& e) { return value(e, input, inputs); };
  CHECK(v("map(input.rs, r => r.n * 2)") == "[5, -2, 8]");
  CHECK(v("map(filter(input.rs, r => r.n > 0 and r.m > $1), r => r.n)") == "[2.5]");
  CHECK(v("map(filter(input.rs, r => r.n < 0 or r.n > 3), r => r.n)") == "[-1, 4]");  // the last kept
  CHECK(v("sum(input.rs, r => r.n * 2)") == "11");
  CHECK(v("sum(input.rs, r => r.m * 2)") == "$32.0");  // 20 + 10.5 + 1.5: money stays money
  CHECK(v("any(input.rs, r => r.n < 0 and r.m > $5)") == "true");                // stops at the second
  CHECK(v("any(input.rs, r => r.n > 3 and r.m > $1)") == "false");               // to the end
  CHECK(v("any(input.rs, r => r.n > 3 and r.m < $1)") == "true");                // the last one
  CHECK(v("all(input.rs, r => r.n > -2 and r.m > $0)") == "true");
  CHECK(v("all(input.rs, r => r.n > 0 or r.m > $6)") == "false");                // fails at the second
  CHECK(v("all(input.rs, r => r.n < 4 or r.m > $1)") == "false");                // fails at the last
  // One element: the first step is the last.
  CHECK(v("map(take(input.rs, 1), r => r.n + 1)") == "[3.5]");
  CHECK(v("sum(take(input.rs, 1), r => r.m + $1)") == "$11");
  CHECK(v("count(filter(take(input.rs, 1), r => r.n * 2 > 5))") == "0");
  // A sum that overflows on its last element is reported, not wrapped.
  std::string big = "rs:\n  - {n: 90000000000000000000000000000000000000, m: 0}\n"
                    "  - {n: 90000000000000000000000000000000000000, m: 0}\n";
  std::string overflow = value("sum(input.rs, r => r.n * 1)", big, inputs);
  CHECK(overflow.rfind("ERROR", 0) == 0);
  CHECK(overflow.find("too large") != std::string::npos);
  // The plan names each kind's step.
  auto c = test::compile_mini({"module m\ndef a = map(input.rs, r => r.n * 2)\ndef b = filter(input.rs, r => r.n * 2 > 1)\n"
                               "def c = sum(input.rs, r => r.n * 2)\ndef d = any(input.rs, r => r.n * 2 > 1)\n"
                               "def e = all(input.rs, r => r.n * 2 > 1)\ndef f = mean(input.rs, r => r.n * 2)\n",
                               "", inputs, ""});
  REQUIRE(c->policy.program);
  std::string plan = c->policy.program->disassemble();
  for (const char* op : {"LoopNextMap ", "LoopNextFilter ", "LoopNextSum ", "LoopNextAny ", "LoopNextAll "})
    CHECK(plan.find(op) != std::string::npos);
  CHECK(plan.find("LoopNext     kind 3") != std::string::npos);  // mean keeps the general step
}

TEST_CASE("interpreter: and, or, not as control flow, in conditions and as values", "[interpreter]") {
  // Truth tables of the connectives, in an `if` (compiled to jumps) and as values (materialised);
  // expected values from the usual definitions, for x = 1 and x = 3.
  auto both = [](const std::string& cond, const std::string& x) {
    std::string as_if = value("if " + cond + " then 1 else 0", "x: " + x + "\n");
    std::string as_value = value(cond, "x: " + x + "\n");
    return as_if + "/" + as_value;
  };
  CHECK(both("input.x > 2 and input.x < 5", "3") == "1/true");
  CHECK(both("input.x > 2 and input.x < 5", "1") == "0/false");
  CHECK(both("input.x > 2 or input.x == 1", "1") == "1/true");
  CHECK(both("input.x > 2 or input.x == 2", "1") == "0/false");
  CHECK(both("not (input.x > 2)", "1") == "1/true");
  CHECK(both("not (input.x > 2 and input.x < 5)", "3") == "0/false");
  CHECK(both("not (input.x > 2) or input.x == 3", "3") == "1/true");
  CHECK(both("(input.x == 1 or input.x == 3) and not (input.x >= 3)", "3") == "0/false");
  CHECK(both("(input.x == 1 or input.x == 3) and not (input.x >= 3)", "1") == "1/true");
  CHECK(both("input.x != 1 and (input.x <= 2 or input.x > 2)", "3") == "1/true");
  CHECK(both("input.x == 1 and true", "1") == "1/true");
  CHECK(both("false or not (input.x < 1)", "1") == "1/true");
  // Short circuit still holds through nesting and negation: 1 / 0 is never evaluated.
  CHECK(both("not (input.x == 1) and 1 / (input.x - 1) > 0", "1") == "0/false");
  CHECK(both("(input.x == 1 or 1 / (input.x - 1) > 0) and input.x < 2", "1") == "1/true");
  CHECK(both("not (input.x == 1 or 1 / (input.x - 1) > 0)", "1") == "0/false");
  // A function called with a local reads it without a copy; the argument is still the value.
  Run r = run("module m\nfn twice(v: number): number = let w = v + v in w\n"
              "fn add(a: number, b: number): number = twice(a) + b\n"
              "def v = let y = input.x * 10 in add(y, y) + twice(input.x)\n",
              "x: 2\n");
  CHECK(r.r.values["m.v"] == "64");  // add(20, 20) = twice(20) + 20 = 60, + twice(2) = 4
  // A loop element passed on, to a function with a loop of its own: counts of elements above t.
  Run loops = run("module m\nfn above(xs: list<number>, t: number): number = count(xs, v => v > t)\n"
                  "def v = map(input.xs, t => above(input.xs, t))\n",
                  "xs: [3, 1, 2]\n", "xs: \"list<number>\"\n");
  CHECK(loops.r.values["m.v"] == "[0, 2, 1]");
}

TEST_CASE("interpreter: cheap built-ins and list indexing on the fast path", "[interpreter]") {
  // Inputs keep these out of compile-time folding; expected values from the built-ins' definitions
  // (docs/dsl.md), errors with the codes the ordinary path gives.
  std::string inputs = "x: number\nm: money\nxs: \"list<number>\"\nopt: {type: number, optional: true}\n";
  std::string input = "x: 1\nm: 2.70\nxs: [4, 5, 6]\n";
  auto v = [&](const std::string& e) { return value(e, input, inputs); };
  CHECK(v("min(input.x, 2)") == "1");
  CHECK(v("max(input.x, 2)") == "2");
  CHECK(v("min(2, input.x)") == "1");
  CHECK(v("clamp(input.x, 2, 5)") == "2");
  CHECK(v("clamp(input.x * 10, 2, 5)") == "5");
  CHECK(v("clamp(input.x, 0, 5)") == "1");
  CHECK(v("clamp(input.x, 3, 2)").rfind("ERROR R705", 0) == 0);
  CHECK(v("floor(input.m)") == "$2");
  CHECK(v("ceil(input.m)") == "$3");
  CHECK(v("ceil(input.m * -1)") == "-$2");
  CHECK(v("take(input.xs, 2)") == "[4, 5]");
  CHECK(v("take(input.xs, 0)") == "[]");
  CHECK(v("take(input.xs, 7)") == "[4, 5, 6]");
  CHECK(v("take(input.xs, input.x - 2)").rfind("ERROR R705", 0) == 0);
  CHECK(v("input.xs[input.x]") == "5");
  CHECK(v("input.xs[input.x + 2]") == "ERROR R705: index 3 is outside the list (size 3)");
  CHECK(v("input.xs[input.x / 2]").rfind("ERROR R705", 0) == 0);
  CHECK(v("input.xs[input.x - 2]").rfind("ERROR R705", 0) == 0);  // -1
  // An index written with a zero fraction (1.00) is the whole number 1.
  CHECK(value("input.xs[input.x]", "x: 1.00\nm: 0\nxs: [4, 5, 6]\n", inputs) == "5");
  CHECK(value("take(input.xs, input.x)", "x: 2.0\nm: 0\nxs: [4, 5, 6]\n", inputs) == "[4, 5]");
  // A missing optional input: ?? takes it (also inside a loop), else it is reported.
  CHECK(v("input.opt ?? 7") == "7");
  CHECK(v("map(input.xs, x => (input.opt + x) ?? x)") == "[4, 5, 6]");
  CHECK(v("input.opt + 1").rfind("ERROR R7", 0) == 0);
  // Loops over an empty input list (not folded at compile time): the empty results by definition,
  // and mean, min and max of nothing are errors.
  auto e = [&](const std::string& expr) { return value(expr, "xs: []\nx: 1\nm: 1\n", inputs); };
  CHECK(e("map(input.xs, x => x * 2)") == "[]");
  CHECK(e("filter(input.xs, x => x > 1)") == "[]");
  CHECK(e("sort_by(input.xs, x => x, :desc)") == "[]");
  CHECK(e("sum(input.xs, x => x)") == "0");
  CHECK(e("count(input.xs, x => x > 1)") == "0");
  CHECK(e("any(input.xs, x => x > 1)") == "false");
  CHECK(e("all(input.xs, x => x > 1)") == "true");
  CHECK(e("find_index(input.xs, x => x > 1)") == "-1");
  CHECK(e("mean(input.xs, x => x)") == "ERROR R702: mean of an empty list");
  CHECK(e("max(input.xs, x => x)") == "ERROR R702: max of an empty list");
  CHECK(e("mean(input.xs, x => x) ?? 5").rfind("ERROR R702", 0) == 0);  // ?? takes missing values and misses only
  // any and all stop at the first element that decides them; a sort of one element has nothing
  // to sort but still evaluates its key; nested loops keep their own state.
  CHECK(v("any(input.xs, x => x > 4)") == "true");
  CHECK(v("all(input.xs, x => x < 5)") == "false");
  CHECK(v("any(input.xs, x => x > 10)") == "false");
  CHECK(v("all(input.xs, x => x > 0)") == "true");
  CHECK(v("map(input.xs, x => any(input.xs, y => y > x))") == "[true, true, false]");
  CHECK(v("map(input.xs, x => all(input.xs, y => y >= x))") == "[true, false, false]");
  CHECK(v("sort_by(take(input.xs, 1), x => x, :desc)") == "[4]");
  CHECK(v("sort_by(input.xs, x => x, :desc)") == "[6, 5, 4]");
  CHECK(v("sort_by(take(input.xs, 1), x => 1 / (x - 4))").rfind("ERROR R701", 0) == 0);
  // Division by a constant power of ten moves the point (exact), with trailing zeros dropped as
  // for any quotient; past 18 digits it is the ordinary division, rounded half-even.
  CHECK(value("input.x / 10", "x: 87\n") == "8.7");
  CHECK(value("input.x / 10", "x: 80\n") == "8");
  CHECK(value("input.x / 100", "x: 0.5\n") == "0.005");
  CHECK(value("input.x / 1", "x: 2.50\n") == "2.5");
  CHECK(value("input.x / 10", "x: -0.05\n") == "-0.005");
  CHECK(value("input.x / 10", "x: 0\n") == "0");
  CHECK(value("input.x / 1000", "x: 0.000000000000000123\n") == "0");       // 1.23e-19: 0 at 18 digits
  CHECK(value("input.x / 1000", "x: 0.000000000000000623\n") == "0.000000000000000001");  // 6.23e-19 rounds up
  CHECK(value("input.m / 10", "m: 2.70\n", "m: money\n") == "$0.27");
  CHECK(value("input.x / param.k", "x: 7\n", "x: number\n", "k: {value: 100, cite: \"test\"}\n") == "0.07");
  CHECK(value("input.x / 20", "x: 7\n") == "0.35");  // not a power of ten: the ordinary division
}

TEST_CASE("interpreter: a local tested or compared at once, and two locals pushed, in one step", "[interpreter]") {
  // Expected values from the rules' text: each `let` is used by the next instruction, which the
  // planner fuses (LocalIfFalse, LocalIfTrue, LocalUnless, LocalLocal); both sides of each branch.
  const std::string rules =
      "module m\n"
      "def flag = let b = input.x > 2, c = input.x * 10 in if b then c else 20\n"
      "def either = let b = input.x > 2, c = input.x - input.x in if b or input.x == 1 then 1 else c\n"
      "def kind = let s = input.s, t = input.x in case when s == \"a\" then t when s != \"b\" then 2 else 3 end\n"
      "def above = let y = input.x * 2, s = input.s in if y >= param.limit then \"high\" else s\n"
      "def pair = let a = input.x + 1, b = input.x * 3 in a - b\n";
  const std::string inputs = "x: number\ns: string\n";
  const std::string params = "limit: {value: 5, cite: \"test\"}\n";
  auto at = [&](const std::string& input) { return run(rules, input, inputs, params); };
  Run low = at("x: 1\ns: a\n");
  CHECK(low.r.values["m.flag"] == "20");
  CHECK(low.r.values["m.either"] == "1");
  CHECK(low.r.values["m.kind"] == "1");
  CHECK(low.r.values["m.above"] == "\"a\"");     // 2 < 5: s
  CHECK(low.r.values["m.pair"] == "-1");         // 2 - 3
  Run high = at("x: 3\ns: c\n");
  CHECK(high.r.values["m.flag"] == "30");
  CHECK(high.r.values["m.either"] == "1");
  CHECK(high.r.values["m.kind"] == "2");
  CHECK(high.r.values["m.above"] == "\"high\"");  // 6 >= 5
  CHECK(high.r.values["m.pair"] == "-5");         // 4 - 9
  Run mid = at("x: 2\ns: b\n");
  CHECK(mid.r.values["m.either"] == "0");
  CHECK(mid.r.values["m.kind"] == "3");
  CHECK(mid.r.values["m.above"] == "\"b\"");  // 4 < 5: s

  const engine::Program& p = *low.c->policy.program;
  std::string plan = p.disassemble();
  for (const char* op : {"LocalIfFalse", "LocalIfTrue", "LocalUnless", "LocalLocal"}) {
    INFO(op);
    CHECK(plan.find(op) != std::string::npos);
  }
  // Traced, the comparison with a parameter is recorded (the JumpUnless runs as itself).
  CHECK(trace_reads_parameter(p, "x: 3\ns: c\n", "m.above", "limit"));
}

TEST_CASE("interpreter: jumps go straight to their final target", "[interpreter]") {
  // Expected values from the rules' text. An `if` inside a branch ends with a Jump to the outer
  // one's Jump, and a branch that is the definition's value with a Jump to its Return: the
  // planner threads both, so no jump lands on a Jump or a Return.
  const std::string rules =
      "module m\n"
      "def nested = if input.x > 2 then (if input.x > 5 then 1 else 2) else 3\n"
      "def cases = case when input.x == 1 then 10 when input.x == 2 then (if input.x > 0 then 20 else 21) else 30 end\n"
      "def scaled = input.x * $2 + $0.50\n";
  auto at = [&](const std::string& x) { return run(rules, "x: " + x + "\n"); };
  Run one = at("1"), two = at("2"), three = at("3"), six = at("6");
  CHECK(one.r.values["m.nested"] == "3");
  CHECK(three.r.values["m.nested"] == "2");
  CHECK(six.r.values["m.nested"] == "1");
  CHECK(one.r.values["m.cases"] == "10");
  CHECK(two.r.values["m.cases"] == "20");
  CHECK(six.r.values["m.cases"] == "30");
  CHECK(one.r.values["m.scaled"] == "$2.50");  // a number times money is money
  CHECK(six.r.values["m.scaled"] == "$12.50");

  const engine::Program& p = *one.c->policy.program;
  const auto& code = p.code();
  size_t jumps = 0;
  for (const engine::Instr& in : code) {
    if (in.op != engine::OpCode::Jump && in.op != engine::OpCode::JumpIfFalse && in.op != engine::OpCode::JumpIfTrue &&
        in.op != engine::OpCode::JumpUnless)
      continue;
    ++jumps;
    REQUIRE(in.a < code.size());
    CHECK(code[in.a].op != engine::OpCode::Jump);
    if (in.op == engine::OpCode::Jump) CHECK(code[in.a].op != engine::OpCode::Return);
  }
  CHECK(jumps > 0);
}

TEST_CASE("interpreter: a field of a local or a definition used at once, in one step", "[interpreter]") {
  // Expected values from the rules' text, both sides of each branch. The planner fuses a
  // LocalField with the JumpIfFalse, JumpIfTrue, JumpUnless (constant) or Store after its Field
  // (FieldIfFalse, FieldIfTrue, FieldUnless, FieldStore), and a LoadDef with a JumpIfFalse or
  // JumpIfTrue (DefIfFalse, DefIfTrue).
  const std::string rules =
      "module m\n"
      "def tested = map(input.rs, r => if r.b then r.n else 0)\n"
      "def either = map(input.rs, r => if r.b or r.n > 3 then 1 else 2)\n"
      "def kinds = map(input.rs, r => case when r.s == \"a\" then 1 when r.n >= param.k then 2 else 3 end)\n"
      "def bound = map(input.rs, r => let n = r.n, s = r.s in if s == \"a\" then n * 10 else n)\n"
      "def big = input.x > 2\n"
      "def by_def = if big then \"big\" else \"small\"\n"
      "def by_def_or = if big or input.x == 1 then 1 else 0\n";
  const std::string inputs = "x: number\nrs: \"list<{n: number, s: string, b: bool}>\"\n";
  const std::string params = "k: {value: 4, cite: \"test\"}\n";
  const std::string rs = "rs:\n  - {n: 2, s: \"a\", b: true}\n  - {n: 4, s: \"b\", b: false}\n  - {n: 1, s: \"c\", b: false}\n";
  Run one = run(rules, "x: 1\n" + rs, inputs, params);
  CHECK(one.r.values["m.tested"] == "[2, 0, 0]");
  CHECK(one.r.values["m.either"] == "[1, 1, 2]");   // b; n = 4 > 3; neither
  CHECK(one.r.values["m.kinds"] == "[1, 2, 3]");    // s == "a"; 4 >= k; 1 < k
  CHECK(one.r.values["m.bound"] == "[20, 4, 1]");
  CHECK(one.r.values["m.by_def"] == "\"small\"");
  CHECK(one.r.values["m.by_def_or"] == "1");        // x == 1
  Run two = run(rules, "x: 2\n" + rs, inputs, params);
  CHECK(two.r.values["m.by_def"] == "\"small\"");
  CHECK(two.r.values["m.by_def_or"] == "0");
  Run three = run(rules, "x: 3\n" + rs, inputs, params);
  CHECK(three.r.values["m.by_def"] == "\"big\"");
  CHECK(three.r.values["m.by_def_or"] == "1");

  const engine::Program& p = *one.c->policy.program;
  std::string plan = p.disassemble();
  for (const char* op : {"FieldIfFalse", "FieldIfTrue", "FieldUnless", "FieldStore", "DefIfFalse", "DefIfTrue"}) {
    INFO(op);
    CHECK(plan.find(op) != std::string::npos);
  }
  // A definition that tests another one that reads input is not computed at compile time.
  CHECK_FALSE(p.folded(p.find_definition("m.by_def")));
  // Traced, the comparison with a parameter and the definition tested are recorded.
  CHECK(trace_reads_parameter(p, "x: 1\n" + rs, "m.kinds", "k"));
  Traced by_def = traced(p, "x: 3\n" + rs, "m.by_def");
  CHECK(by_def.value == "\"big\"");
  const auto& read = by_def.step.definitions_read;
  CHECK(std::find(read.begin(), read.end(), p.find_definition("m.big")) != read.end());
}

TEST_CASE("interpreter: count, contains and `input.x ?? fallback` are one instruction each", "[interpreter]") {
  // Expected values from the rules' text, both branches of each: the fallback taken when the
  // optional input is absent, the input's value when present; contains of strings of the same
  // length ("ab" and "ba"), of numbers at other scales (2.50 is 2.5) and of an empty list.
  const std::string rules =
      "module m\n"
      "def bonus = input.bonus ?? 7\n"
      "def doubled = (input.bonus ?? 1) * 2\n"
      "def n = count(input.ids)\n"
      "def has_ab = contains(input.ids, \"ab\")\n"
      "def has_ba = contains(input.ids, \"ba\")\n"
      "def has_x = contains(input.ids, input.x)\n"
      "def has_rate = contains([1, 2.5, 4], input.rate)\n"
      "def in_none = contains(filter(input.ids, i => i == \"zz\"), \"ab\")\n";
  const std::string inputs =
      "bonus: {type: number, optional: true}\nids: \"list<string>\"\nx: string\nrate: number\n";
  const std::string list = "ids: [\"ab\", \"abc\", \"cd\"]\nrate: 2.50\n";
  Run absent = run(rules, list + "x: cd\n", inputs, "");
  CHECK(absent.r.values["m.bonus"] == "7");
  CHECK(absent.r.values["m.doubled"] == "2");
  CHECK(absent.r.values["m.n"] == "3");
  CHECK(absent.r.values["m.has_ab"] == "true");
  CHECK(absent.r.values["m.has_ba"] == "false");
  CHECK(absent.r.values["m.has_x"] == "true");
  CHECK(absent.r.values["m.has_rate"] == "true");
  CHECK(absent.r.values["m.in_none"] == "false");
  Run present = run(rules, list + "x: \"c\"\nbonus: 3\n", inputs, "");
  CHECK(present.r.values["m.bonus"] == "3");
  CHECK(present.r.values["m.doubled"] == "6");
  CHECK(present.r.values["m.has_x"] == "false");  // "c" is a prefix of "cd", not an element

  const engine::Program& p = *absent.c->policy.program;
  std::string plan = p.disassemble();
  for (const char* op : {"InputFieldOr", "Count", "Contains"}) {
    INFO(op);
    CHECK(plan.find(op) != std::string::npos);
  }
  CHECK(plan.find("CallBuiltin") == std::string::npos);
  // Traced, the fused read still records the input it read, present or not.
  int bonus = -1;
  for (size_t i = 0; i < p.input_type()->fields.size(); ++i)
    if (p.input_type()->fields[i].name == "bonus") bonus = static_cast<int>(i);
  REQUIRE(bonus >= 0);
  for (const std::string& in : {list + "x: cd\n", list + "x: cd\nbonus: 3\n"}) {
    Traced t = traced(p, in, "m.bonus");
    CHECK(std::find(t.step.inputs_read.begin(), t.step.inputs_read.end(), bonus) != t.step.inputs_read.end());
  }
  CHECK(traced(p, list + "x: cd\n", "m.bonus").value == "7");
  CHECK(traced(p, list + "x: cd\nbonus: 3\n", "m.bonus").value == "3");
}

TEST_CASE("interpreter: round with a parameter's digits is one instruction, and traces read the parameter", "[interpreter]") {
  // Expected values from round's definition (docs/dsl.md): 1.005 to 2 places half up is 1.01, half
  // down 1.00; digits outside 0..18 are an error (R705), as with digits computed at run time.
  const std::string rules =
      "module m\n"
      "def up = round(input.x, param.d, :half_up)\n"
      "def down = round(input.x, param.d, :half_down)\n"
      "def bad = round(input.x, param.big)\n";
  const std::string params = "d: {value: 2, cite: \"test\"}\nbig: {value: 19, cite: \"test\"}\n";
  Run r = run(rules, "x: 1.005\n", "x: number\n", params);
  CHECK(r.r.values["m.up"] == "1.01");
  CHECK(r.r.values["m.down"] == "1.00");
  CHECK(r.r.errors["m.bad"].rfind("R705", 0) == 0);
  const engine::Program& p = *r.c->policy.program;
  std::string plan = p.disassemble();
  CHECK(plan.find("Round        2 digits (d), half_up") != std::string::npos);
  CHECK(plan.find("CallBuiltin") != std::string::npos);  // 19 digits: the general call, which reports it
  CHECK(trace_reads_parameter(p, "x: 1.005\n", "m.up", "d"));
  CHECK(trace_reads_parameter(p, "x: 1.005\n", "m.down", "d"));
}
