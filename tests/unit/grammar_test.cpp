// Grammar tables, PEGTL's verify_rule style: input -> success / local failure / global failure,
// plus the bytes left over. Local failures let alternatives backtrack; global failures are the
// committed errors the user sees.
#include <catch2/catch.hpp>
#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze.hpp>

#include "dsl/grammar.hpp"
#include "dsl/parser.hpp"

namespace p = tao::pegtl;
namespace g = merit::dsl::grammar;

namespace {

enum class Result { Success, Local, Global };

struct Row {
  const char* input;
  Result result;
  size_t remaining;  // bytes not consumed (on success or local failure)
};

template <typename Rule>
void verify(const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    p::memory_input in(row.input, "test");
    Result got;
    size_t remaining = 0;
    try {
      got = p::parse<Rule>(in) ? Result::Success : Result::Local;
      remaining = in.size();
    } catch (const p::parse_error&) {
      got = Result::Global;
    }
    INFO("input: \"" << row.input << "\"");
    CHECK(static_cast<int>(got) == static_cast<int>(row.result));
    if (got == row.result && got == Result::Success) CHECK(remaining == row.remaining);
  }
}

constexpr auto S = Result::Success;
constexpr auto L = Result::Local;
constexpr auto G = Result::Global;

}  // namespace

TEST_CASE("the grammar has no rules that loop without consuming input", "[grammar]") {
  CHECK(merit::dsl::analyze_grammar() == 0);
}

TEST_CASE("grammar: comments and whitespace", "[grammar]") {
  verify<g::sep>({{"", S, 0}, {"   x", S, 1}, {"# note\nx", S, 1}, {"# only a comment", S, 0}, {"\n\t \r\n", S, 0}});
}

TEST_CASE("grammar: names are identifiers that are not keywords", "[grammar]") {
  verify<g::name>({{"points", S, 0}, {"_x1 ", S, 1}, {"iff", S, 0}, {"if", L, 0}, {"then", L, 0},
                   {"case_a", S, 0}, {"1abc", L, 0}, {"", L, 0}, {"endless", S, 0}});
}

TEST_CASE("grammar: number and percent literals", "[grammar]") {
  verify<g::number>({{"12", S, 0}, {"12.5 ", S, 0}, {"60%", S, 0}, {"1_000", S, 0}, {"0.5%  x", S, 1},
                     {"12abc", L, 0}, {"1.", S, 1}, {".5", L, 0}, {"-3", L, 0}, {"1__0", L, 0}});
}

TEST_CASE("grammar: money literals", "[grammar]") {
  verify<g::money>({{"$90,000", S, 0}, {"$1,234.50", S, 0}, {"$5", S, 0}, {"$1,23", S, 3}, {"$", G, 0},
                    {"$x", G, 0}, {"90", L, 0}});
}

TEST_CASE("grammar: strings and symbols", "[grammar]") {
  verify<g::string_lit>({{"\"abc\"", S, 0}, {"\"a \\\"q\\\" b\"", S, 0}, {"\"\"", S, 0}, {"\"open", G, 0},
                         {"\"line\nbreak\"", G, 0}, {"abc", L, 0}});
  verify<g::symbol>({{":group", S, 0}, {":a_1 x", S, 1}, {":", L, 0}, {": x", L, 0}});
}

TEST_CASE("grammar: types", "[grammar]") {
  verify<g::type_expr>({{"number", S, 0}, {"list<number>", S, 0}, {"list< {a: number, b: list<string>} >", S, 0},
                        {"{}", S, 0}, {"list<", G, 0}, {"list<number", G, 0}, {"{a number}", G, 0}});
}

TEST_CASE("grammar: expressions", "[grammar]") {
  verify<g::expr>({
      {"1 + 2 * 3", S, 0},
      {"a.b.c", S, 0},
      {"f(x, y => y * 2)", S, 0},
      {"(x, y) => 1", G, 0},            // a lambda is not an expression: "(x" commits to a parenthesis
      {"-x", S, 0},
      {"not a and b or c", S, 0},
      {"a ?? b ?? 0", S, 0},
      {"t[\"001\", :claims].points", S, 0},
      {"x < 1", S, 0},
      {"x < 1 < 2", S, 3},              // comparisons do not chain: "< 2" is left over
      {"1 +", G, 0},
      {"(1 + 2", G, 0},
      {"f(1, 2", G, 0},
      {"[1, 2,]", S, 0},
      {"{a: 1, b: 2}", S, 0},
      {"{a 1}", G, 0},
      {"a.", G, 0},
      {"", L, 0},
      {"then", L, 0},
  });
}

TEST_CASE("grammar: if, case and let commit after their keyword", "[grammar]") {
  verify<g::if_expr>({{"if a then 1 else 2", S, 0}, {"if a then 1", G, 0}, {"if then", G, 0}, {"iff", L, 0}});
  verify<g::case_expr>({{"case when a then 1 else 2 end", S, 0}, {"case when a then 1 when b then 2 else 3 end", S, 0},
                        {"case else 1 end", G, 0}, {"case when a then 1 else 2", G, 0}});
  verify<g::let_expr>({{"let x = 1 in x", S, 0}, {"let x = 1, y = x in y", S, 0}, {"let x = 1", G, 0},
                       {"let x 1 in x", G, 0}, {"let in x", G, 0}});
}

TEST_CASE("grammar: lambdas and arguments", "[grammar]") {
  verify<g::lambda>({{"x => x", S, 0}, {"(a, b) => a", S, 0}, {"x =>", G, 0}, {"x", L, 0}, {"(a + b)", L, 0}});
  verify<g::argument>({{"x => x + 1", S, 0}, {"(a + b) * 2", S, 0}, {"(a) * 2", S, 0}});
}

TEST_CASE("grammar: declarations", "[grammar]") {
  verify<g::def_decl>({{"def a = 1", S, 0}, {"def a: number doc \"d\" cite \"c\" = 1", S, 0},
                       {"def a", G, 0}, {"def = 1", G, 0}, {"def a = ", G, 0}, {"define", L, 0}});
  verify<g::fn_decl>({{"fn f(x: number): number = x", S, 0}, {"fn f() = 1", S, 0}, {"fn f(x) = x", G, 0},
                      {"fn f = 1", G, 0}});
  verify<g::rule_file>({{"module m\ndef a = 1\nfn f(x: number) = x\n", S, 0}, {"", S, 0}, {"# just a comment\n", S, 0},
                        {"def a = 1 2", G, 0}, {"override x", G, 0}, {"module", G, 0}});
}
