// The rule language's grammar, one named PEGTL rule per construct.
// Included only by parser.cpp and the grammar tests: PEGTL stays private to the dsl library.
// Conventions: every token rule swallows the whitespace and comments after it (`sep`), so a rule
// never starts with whitespace; `must<>`/`if_must<>` appear only after the token that commits to
// a construct, so alternatives in `sor<>` still fail locally and backtrack.
#pragma once

#include <tao/pegtl.hpp>

namespace merit::dsl::grammar {

namespace p = tao::pegtl;

// ---- whitespace and comments -------------------------------------------------------------
// `#` starts a comment that runs to the end of the line.
struct comment : p::seq<p::one<'#'>, p::until<p::eolf>> {};
struct sep : p::star<p::sor<p::space, comment>> {};
template <typename R>
struct tok : p::seq<R, sep> {};

// ---- keywords ------------------------------------------------------------------------------
struct kw_module : TAO_PEGTL_KEYWORD("module") {};
struct kw_def : TAO_PEGTL_KEYWORD("def") {};
struct kw_fn : TAO_PEGTL_KEYWORD("fn") {};
struct kw_override : TAO_PEGTL_KEYWORD("override") {};
struct kw_doc : TAO_PEGTL_KEYWORD("doc") {};
struct kw_cite : TAO_PEGTL_KEYWORD("cite") {};
struct kw_note : TAO_PEGTL_KEYWORD("note") {};
struct kw_if : TAO_PEGTL_KEYWORD("if") {};
struct kw_then : TAO_PEGTL_KEYWORD("then") {};
struct kw_else : TAO_PEGTL_KEYWORD("else") {};
struct kw_case : TAO_PEGTL_KEYWORD("case") {};
struct kw_when : TAO_PEGTL_KEYWORD("when") {};
struct kw_end : TAO_PEGTL_KEYWORD("end") {};
struct kw_let : TAO_PEGTL_KEYWORD("let") {};
struct kw_in : TAO_PEGTL_KEYWORD("in") {};
struct kw_and : TAO_PEGTL_KEYWORD("and") {};
struct kw_or : TAO_PEGTL_KEYWORD("or") {};
struct kw_not : TAO_PEGTL_KEYWORD("not") {};
struct kw_true : TAO_PEGTL_KEYWORD("true") {};
struct kw_false : TAO_PEGTL_KEYWORD("false") {};
struct keyword
    : p::sor<kw_module, kw_def, kw_fn, kw_override, kw_doc, kw_cite, kw_note, kw_if, kw_then,
             kw_else, kw_case, kw_when, kw_end, kw_let, kw_in, kw_and, kw_or, kw_not, kw_true,
             kw_false> {};

// An identifier that is not a keyword ("iff" is a name, "if" is not).
struct name : p::seq<p::not_at<keyword>, p::identifier> {};

// ---- punctuation -------------------------------------------------------------------------
struct lparen : tok<p::one<'('>> {};
struct rparen : tok<p::one<')'>> {};
struct lbracket : tok<p::one<'['>> {};
struct rbracket : tok<p::one<']'>> {};
struct lbrace : tok<p::one<'{'>> {};
struct rbrace : tok<p::one<'}'>> {};
struct comma : tok<p::one<','>> {};
struct colon : tok<p::one<':'>> {};
struct dot : p::seq<p::one<'.'>, p::not_at<p::digit>> {};
struct arrow : tok<p::string<'=', '>'>> {};
struct equals : tok<p::seq<p::one<'='>, p::not_at<p::one<'=', '>'>>>> {};
struct langle : tok<p::one<'<'>> {};
struct rangle : tok<p::one<'>'>> {};

// ---- literals -------------------------------------------------------------------------------
// 12, 12.5, 1_000, 60% (a percent literal is the number divided by 100, exactly).
struct digits : p::seq<p::digit, p::star<p::opt<p::one<'_'>>, p::digit>> {};
struct fraction : p::seq<p::one<'.'>, p::digit, p::star<p::digit>> {};
struct percent_sign : p::one<'%'> {};
struct number_text : p::seq<digits, p::opt<fraction>, p::opt<percent_sign>> {};
struct number : p::seq<number_text, p::not_at<p::identifier_other>, sep> {};
// $90,000 or $1,234.50: groups after a comma are exactly three digits.
struct money_digits : p::seq<p::plus<p::digit>, p::star<p::one<','>, p::rep<3, p::digit>, p::not_at<p::digit>>> {};
struct money_text : p::seq<p::one<'$'>, p::must<money_digits>, p::opt<fraction>> {};
struct money : p::seq<money_text, sep> {};
struct escaped : p::seq<p::one<'\\'>, p::one<'"', '\\', 'n', 't'>> {};
struct string_char : p::sor<escaped, p::seq<p::not_one<'"', '\\', '\n'>>> {};
struct string_body : p::star<string_char> {};
struct string_close : p::one<'"'> {};
struct string_text : p::if_must<p::one<'"'>, string_body, string_close> {};
struct string_lit : p::seq<string_text, sep> {};
struct symbol_name : p::identifier {};
struct symbol : p::seq<p::one<':'>, symbol_name, sep> {};
struct bool_true : tok<kw_true> {};
struct bool_false : tok<kw_false> {};

// ---- types ----------------------------------------------------------------------------------
struct type_expr;
struct type_name : p::seq<name, sep> {};  // bool, number, money, string, symbol
struct type_list_open : p::seq<TAO_PEGTL_KEYWORD("list"), sep, langle> {};
struct type_list : p::if_must<type_list_open, type_expr, rangle> {};
struct type_field_name : p::seq<name, sep> {};
struct type_field : p::if_must<type_field_name, colon, type_expr> {};
struct type_record_open : lbrace {};
struct type_record_close : rbrace {};
struct type_record
    : p::if_must<type_record_open, p::opt<p::list<type_field, comma>, p::opt<comma>>, type_record_close> {};
struct type_expr : p::sor<type_list, type_record, type_name> {};

// ---- expressions ----------------------------------------------------------------------------
struct expr;

struct list_open : lbracket {};
struct list_close : rbracket {};
struct list_lit : p::if_must<list_open, p::opt<p::list<expr, comma>, p::opt<comma>>, list_close> {};

struct record_key : p::seq<name, sep> {};
struct record_entry : p::if_must<record_key, colon, expr> {};
struct record_open : lbrace {};
struct record_close : rbrace {};
struct record_lit
    : p::if_must<record_open, p::opt<p::list<record_entry, comma>, p::opt<comma>>, record_close> {};

struct if_cond : p::seq<expr> {};
struct if_then : p::seq<expr> {};
struct if_else : p::seq<expr> {};
struct if_expr : p::if_must<tok<kw_if>, if_cond, tok<kw_then>, if_then, tok<kw_else>, if_else> {};

struct case_cond : p::seq<expr> {};
struct case_value : p::seq<expr> {};
struct case_arm : p::if_must<tok<kw_when>, case_cond, tok<kw_then>, case_value> {};
struct case_else : p::seq<expr> {};
struct case_start : tok<kw_case> {};
struct case_arms : p::plus<case_arm> {};
struct case_expr : p::if_must<case_start, case_arms, tok<kw_else>, case_else, tok<kw_end>> {};

struct let_name : p::seq<name, sep> {};
struct let_value : p::seq<expr> {};
struct let_binding : p::if_must<let_name, equals, let_value> {};
struct let_start : tok<kw_let> {};
struct let_body : p::seq<expr> {};
struct let_bindings : p::list_must<let_binding, comma> {};
struct let_expr : p::if_must<let_start, let_bindings, tok<kw_in>, let_body> {};

// A lambda is allowed only as an argument: x => e, or (x, y) => e.
struct lambda_param : p::seq<name, sep> {};
struct lambda_params
    : p::sor<p::seq<lparen, p::list<lambda_param, comma>, rparen>, lambda_param> {};
struct lambda_body : p::seq<expr> {};
struct lambda_start : p::success {};
struct lambda : p::seq<lambda_start, lambda_params, p::if_must<arrow, lambda_body>> {};

struct argument : p::sor<lambda, expr> {};
struct call_open : lparen {};
struct call_close : rparen {};
struct call_args : p::if_must<call_open, p::opt<p::list<argument, comma>, p::opt<comma>>, call_close> {};

// a, a.b.c, f(x), quality.points(x): dotted names, optionally called.
struct path_segment : name {};
struct path_more : p::seq<dot, p::must<path_segment>> {};
struct path_start : p::success {};
struct path_or_call : p::seq<path_start, path_segment, p::star<path_more>, sep, p::opt<call_args>> {};

struct paren_open : lparen {};
struct paren_close : rparen {};
struct paren_expr : p::if_must<paren_open, expr, paren_close> {};

struct primary
    : p::sor<money, number, string_lit, symbol, bool_true, bool_false, list_lit, record_lit,
             if_expr, case_expr, let_expr, paren_expr, path_or_call> {};

struct field_name : p::seq<name, sep> {};
struct field_suffix : p::seq<tok<dot>, p::must<field_name>> {};
struct index_open : lbracket {};
struct index_close : rbracket {};
struct index_keys : p::list<expr, comma> {};
struct index_suffix : p::if_must<index_open, index_keys, index_close> {};
struct postfix : p::seq<primary, p::star<p::sor<field_suffix, index_suffix>>> {};

struct op_neg : tok<p::one<'-'>> {};
struct unary;
struct negation : p::if_must<op_neg, unary> {};
struct unary : p::sor<negation, postfix> {};

struct op_mul : tok<p::one<'*'>> {};
struct op_div : tok<p::one<'/'>> {};
struct mul_rhs : unary {};
struct mul_op : p::sor<op_mul, op_div> {};
struct mul_tail : p::if_must<mul_op, mul_rhs> {};
struct mul_expr : p::seq<unary, p::star<mul_tail>> {};

struct op_add : tok<p::one<'+'>> {};
struct op_sub : tok<p::one<'-'>> {};
struct add_rhs : mul_expr {};
struct add_op : p::sor<op_add, op_sub> {};
struct add_tail : p::if_must<add_op, add_rhs> {};
struct add_expr : p::seq<mul_expr, p::star<add_tail>> {};

struct op_eq : tok<p::string<'=', '='>> {};
struct op_ne : tok<p::string<'!', '='>> {};
struct op_le : tok<p::string<'<', '='>> {};
struct op_ge : tok<p::string<'>', '='>> {};
struct op_lt : tok<p::one<'<'>> {};
struct op_gt : tok<p::one<'>'>> {};
struct cmp_op : p::sor<op_eq, op_ne, op_le, op_ge, op_lt, op_gt> {};
struct cmp_rhs : add_expr {};
struct cmp_tail : p::if_must<cmp_op, cmp_rhs> {};
struct cmp_expr : p::seq<add_expr, p::opt<cmp_tail>> {};

struct op_not : tok<kw_not> {};
struct not_expr;
struct negated : p::if_must<op_not, not_expr> {};
struct not_expr : p::sor<negated, cmp_expr> {};

struct and_rhs : not_expr {};
struct and_tail : p::if_must<tok<kw_and>, and_rhs> {};
struct and_expr : p::seq<not_expr, p::star<and_tail>> {};

struct or_rhs : and_expr {};
struct or_tail : p::if_must<tok<kw_or>, or_rhs> {};
struct or_expr : p::seq<and_expr, p::star<or_tail>> {};

struct op_coalesce : tok<p::string<'?', '?'>> {};
struct coalesce_rhs : or_expr {};
struct coalesce_tail : p::if_must<op_coalesce, coalesce_rhs> {};
struct expr : p::seq<or_expr, p::star<coalesce_tail>> {};

// ---- declarations ---------------------------------------------------------------------------
struct attr_doc : p::if_must<tok<kw_doc>, string_lit> {};
struct attr_cite : p::if_must<tok<kw_cite>, string_lit> {};
struct attr_note : p::if_must<tok<kw_note>, string_lit> {};
struct attribute : p::sor<attr_doc, attr_cite, attr_note> {};

struct decl_type : p::if_must<colon, type_expr> {};
struct def_name : p::seq<name, sep> {};
struct def_body : p::seq<expr> {};
struct def_start : tok<kw_def> {};
struct def_decl
    : p::if_must<def_start, def_name, p::opt<decl_type>, p::star<attribute>, equals, def_body> {};

struct fn_name : p::seq<name, sep> {};
struct fn_param_name : p::seq<name, sep> {};
struct fn_param : p::if_must<fn_param_name, colon, type_expr> {};
struct fn_params_open : lparen {};
struct fn_params_close : rparen {};
struct fn_params : p::if_must<fn_params_open, p::opt<p::list<fn_param, comma>>, fn_params_close> {};
struct fn_body : p::seq<expr> {};
struct fn_start : tok<kw_fn> {};
struct fn_decl
    : p::if_must<fn_start, fn_name, fn_params, p::opt<decl_type>, p::star<attribute>, equals, fn_body> {};

struct override_mark : tok<kw_override> {};
struct item_decl : p::sor<def_decl, fn_decl> {};
struct overriding_item : p::if_must<override_mark, item_decl> {};
struct item : p::sor<overriding_item, def_decl, fn_decl> {};

struct module_name : p::seq<name, p::star<p::one<'.'>, name>, sep> {};
struct module_doc : string_lit {};
struct module_decl : p::if_must<tok<kw_module>, module_name, p::opt<module_doc>> {};

struct file_end : p::eof {};
struct items : p::seq<p::star<item>, p::must<file_end>> {};
struct resume_items : p::seq<sep, items> {};
struct rule_file : p::seq<sep, p::opt<module_decl>, items> {};

// Entry points for DSL text embedded in YAML.
struct expression_end : p::eof {};
struct expression_only : p::seq<sep, expr, p::must<expression_end>> {};
struct type_only : p::seq<sep, type_expr, p::must<expression_end>> {};
struct literal_only : p::seq<sep, p::sor<money, number, string_lit, symbol, bool_true, bool_false>, p::must<expression_end>> {};

}  // namespace merit::dsl::grammar
