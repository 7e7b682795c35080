#include "engine/interpreter.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include <fmt/format.h>

#include "dsl/builtins.hpp"

namespace merit::engine {

using dsl::Code;
using dsl::Decimal;

Evaluator::Evaluator(const Program& program) : program_(program) {
  stack_.resize(program.max_stack() + 1);
  locals_.resize(program.max_locals() + 1);
  loops_.resize(program.max_loops() + 1);
  handlers_.resize(program.max_handlers() + 1);
  size_t n = program.definitions().size();
  outcome_.state.resize(n);
  outcome_.values.resize(n);
  outcome_.error_of.resize(n);
}

const Outcome& Evaluator::evaluate(const Value& input, const EvalOptions& options) {
  if (options.rules.empty()) return evaluate_order(input, program_.order(), options.trace);
  return evaluate_order(input, program_.closure(options.rules), options.trace);
}

const Outcome& Evaluator::evaluate_order(const Value& input, const std::vector<int>& order, bool trace) {
  // What the previous evaluation of the same input built in the arena is dead now: take its
  // memory back, so evaluating the same input again and again never grows the arena. A new
  // input (the arena was reset, or the input is another value) starts a new mark.
  if (has_mark_ && eval_mark_.generation == arena_.generation() && input.items == input_.items &&
      input.kind == input_.kind)
    arena_.release(eval_mark_);
  else
    eval_mark_ = arena_.mark();
  has_mark_ = true;
  input_ = input;
  outcome_.input = input;
  std::fill(outcome_.state.begin(), outcome_.state.end(), Outcome::State::NotEvaluated);
  std::fill(outcome_.error_of.begin(), outcome_.error_of.end(), -1);
  outcome_.errors.clear();
  outcome_.trace.steps.clear();
  if (trace)
    run<true>(order);
  else
    run<false>(order);
  return outcome_;
}

void Evaluator::fail(Code code, uint32_t loc, std::string message) {
  outcome_.errors.push_back({code, program_.location(loc), std::move(message), current_, code, current_});
  outcome_.state[current_] = Outcome::State::Failed;
  outcome_.error_of[current_] = static_cast<int>(outcome_.errors.size() - 1);
}

namespace {

// 10^-j for j = 0..18: x / 10^j is x * 10^-j, exact at these scales, and the multiplication's
// fast path (64-bit coefficients) drops trailing zeros as a quotient's are dropped.
const std::array<Decimal, 19> kTenthPowers = [] {
  std::array<Decimal, 19> t;
  for (int j = 0; j < 19; ++j) t[static_cast<size_t>(j)] = *Decimal::from_parts(1, j);
  return t;
}();

// A list index or a count (`m.strata[0]`, `take(xs, 6)`): a whole number of 18 digits at most,
// read inline; anything else through Decimal::to_int64.
inline std::optional<int64_t> whole_number(const Decimal& d) {
  if (d.scale() == 0 && dsl::detail::small(d.coefficient())) return static_cast<int64_t>(d.coefficient());
  return d.to_int64();
}

bool catchable(Code c) { return c == Code::MissingInput || c == Code::TableMiss; }

Value num_like(const Value& like, Decimal d) { return Value::num(d, like.kind == ValueKind::Money); }

std::string key_text(const Value* keys, uint32_t n) {
  std::string s;
  for (uint32_t i = 0; i < n; ++i) s += (i ? ", " : "") + to_string(keys[i]);
  return s;
}

// Traces record a parameter that a binary operator read as its constant operand, or a Round its
// digits.
void note_parameter(TraceStep* step, const Instr& in) {
  int p = -1;
  if (in.op == OpCode::JumpUnless && in.flags > 0) p = in.flags - 1;
  if (in.mode == kConstOperand && in.a > 0 && in.op >= OpCode::Add && in.op <= OpCode::Ge) p = static_cast<int>(in.a - 1);
  if (in.op == OpCode::Round && in.flags > 0) p = in.flags - 1;
  if (p < 0) return;
  if (std::find(step->parameters_read.begin(), step->parameters_read.end(), p) == step->parameters_read.end())
    step->parameters_read.push_back(p);
}

}  // namespace

// An error at `in`: a `??` handler of this definition takes missing values and table misses
// (also when they are the root cause of a failed dependency); anything else fails the definition.
Evaluator::Step Evaluator::raise(Code code, const Instr& in, std::string message, const Instr* ip, Value* top) {
  Code effective = code == Code::FailedDependency ? root_code_ : code;
  if (nhandlers_ > 0 && catchable(effective)) {
    const Handler& h = handlers_[--nhandlers_];
    nloops_ = h.loop_depth;
    return {h.ip, h.top, true};
  }
  fail(code, in.loc, std::move(message));
  nloops_ = nhandlers_ = 0;
  if (code == Code::FailedDependency) {
    outcome_.errors.back().root_code = root_code_;
    outcome_.errors.back().root_definition = root_definition_;
  }
  (void)ip;
  return {nullptr, top, false};
}

bool Evaluator::handled(Code code, Step& resume) {
  Code effective = code == Code::FailedDependency ? root_code_ : code;
  if (nhandlers_ == 0 || !catchable(effective)) return false;
  const Handler& h = handlers_[--nhandlers_];
  nloops_ = h.loop_depth;
  resume = {h.ip, h.top, true};
  return true;
}

Evaluator::Step Evaluator::load_failed_definition(const Instr& in, const Instr* ip, Value* top) {
  const auto& dep = program_.definitions()[in.a];
  if (outcome_.state[in.a] == Outcome::State::Failed) {
    const EvalError& cause = outcome_.errors[outcome_.error_of[in.a]];
    root_code_ = cause.root_code;
    root_definition_ = cause.root_definition;
    if (Step caught; handled(Code::FailedDependency, caught)) return caught;
    return raise(Code::FailedDependency, in, fmt::format("'{}' failed: {}", dep.name, cause.message), ip, top);
  }
  root_code_ = Code::FailedDependency;
  return raise(Code::FailedDependency, in, fmt::format("'{}' was not evaluated", dep.name), ip, top);
}

// A `??` handler catches the error before its message is formatted (the message is dropped).
#define MERIT_RAISE(code_, msg_)                 \
  do {                                          \
    if (Step caught; handled((code_), caught)) \
      return caught;                            \
    return raise((code_), in, (msg_), ip, top); \
  } while (0)

namespace {
// A value whose checked type is a record is a record with exactly that type's fields: records
// unify and are assigned only when their fields match by name, constructors sort fields by name,
// and the input binder and table loader build records from the declared types. A field read
// trusts that in release builds (the kind and size checks cost 2.5 % of a case); debug builds,
// which the sanitizer CI runs, verify it and report a violation as an error instead.
#ifdef NDEBUG
inline constexpr bool kVerifyRecordTypes = false;
#else
inline constexpr bool kVerifyRecordTypes = true;
#endif
[[gnu::always_inline]] inline bool has_field(const Value& r, uint32_t field) {
  if constexpr (kVerifyRecordTypes)
    if (r.kind != ValueKind::Record || field >= r.size) return false;
  return !r.items[field].is_missing();
}

// Whether JumpUnless's comparison (kept in mode >> 1) holds: (in)equality needs no order.
// Always inline: the hot loop is past the compiler's own inlining budget (a call cost 0.6 %).
[[gnu::always_inline]] inline bool comparison_holds(uint8_t mode, const Value& x, const Value& y) {
  auto comparison = static_cast<Comparison>(mode >> 1);
  return comparison == Comparison::Eq   ? same_value(x, y)
         : comparison == Comparison::Ne ? !same_value(x, y)
                                        : (kComparisonMask[mode >> 1] >> (compare_inline(x, y) + 1)) & 1;
}

// A loop over an empty list: its result, or false for mean, min and max (an error).
bool empty_loop_result(const Instr& begin, Value& out) {
  switch (static_cast<LoopKind>(begin.mode)) {
    case LoopKind::Map:
    case LoopKind::Filter:
    case LoopKind::SortAsc:
    case LoopKind::SortDesc: out = Value::list(nullptr, 0); return true;
    case LoopKind::Sum: out = Value::num(Decimal(), begin.flags & kLoopMoney); return true;
    case LoopKind::Count: out = Value::num(Decimal()); return true;
    case LoopKind::Any: out = Value::boolean(false); return true;
    case LoopKind::All: out = Value::boolean(true); return true;
    case LoopKind::FindIndex: out = Value::num(Decimal::from_int(-1)); return true;
    default: return false;
  }
}
}  // namespace

// Everything the hot loop leaves out: errors of hot instructions are raised there directly.
Evaluator::Step Evaluator::cold(const Instr& in, const Instr* ip, Value* top) {
  const Instr* code = program_.code().data();
  const Arithmetic& arith = program_.arithmetic();
  switch (in.op) {
    case OpCode::Field: {
      const Value& r = top[-1];
      if (r.kind != ValueKind::Record || in.a >= r.size)
        MERIT_RAISE(Code::MissingInput, fmt::format("no value to read field '{}' from", program_.field_name(in.b)));
      MERIT_RAISE(Code::MissingInput, fmt::format("input field '{}' is missing", program_.field_name(in.b)));
    }
    case OpCode::Round: MERIT_RAISE(Code::DecimalOverflow, "round: result too large");
    case OpCode::InputField:
      MERIT_RAISE(Code::MissingInput, fmt::format("input field '{}' is missing", program_.field_name(in.b)));
    case OpCode::IndexTable: {  // the hot loop found no row: say which key
      uint32_t n = in.a;
      MERIT_RAISE(Code::TableMiss, fmt::format("no row for key ({})", key_text(top - n, n)));
    }
    case OpCode::IndexList: {
      const Value& list = top[-2];
      auto i = whole_number(top[-1].number);
      if (!i || *i < 0 || static_cast<uint64_t>(*i) >= list.size)
        MERIT_RAISE(Code::BadArgument,
                    fmt::format("index {} is outside the list (size {})", top[-1].number.to_string(), list.size));
      Value v = list.items[*i];
      --top;
      top[-1] = v;
      return {ip, top, true};
    }
    // The fast loop computes arithmetic and comes here only when it failed: say why.
    case OpCode::Add:
    case OpCode::Sub:
    case OpCode::Mul:
    case OpCode::Div: {
      bool k = in.mode == kConstOperand;
      const Value& a = k ? top[-1] : top[-2];
      const Value& b = k ? program_.constants()[in.b] : top[-1];
      if (in.op == OpCode::Div && b.number.is_zero())
        MERIT_RAISE(Code::DivisionByZero, fmt::format("division by zero ({} / 0)", to_string(a)));
      MERIT_RAISE(Code::DecimalOverflow, "result is too large for an exact decimal (38 digits)");
    }
    case OpCode::MakeList:
    case OpCode::MakeRecord: {
      Value* items = arena_.values(in.a);
      top -= in.a;
      std::copy(top, top + in.a, items);
      *top++ = in.op == OpCode::MakeList ? Value::list(items, in.a) : Value::record(items, in.a);
      return {ip, top, true};
    }
    case OpCode::TryBegin:
      handlers_[nhandlers_++] = Handler{code + in.a, top, nloops_};
      return {ip, top, true};
    case OpCode::TryEnd:
      --nhandlers_;
      return {ip, top, true};
        case OpCode::CallBuiltin: {
          uint32_t argc = in.b;
          Value* args = &top[-static_cast<int>(argc)];
          Value result;
          switch (static_cast<dsl::Builtin>(in.a)) {
            case dsl::Builtin::Min:
            case dsl::Builtin::Max: {
              bool is_min = static_cast<dsl::Builtin>(in.a) == dsl::Builtin::Min;
              const Value* xs = argc == 1 ? args[0].items : args;
              uint32_t n = argc == 1 ? args[0].size : argc;
              if (n == 0) MERIT_RAISE(Code::EmptyCollection, fmt::format("{} of an empty list", is_min ? "min" : "max"));
              result = xs[0];
              for (uint32_t i = 1; i < n; ++i) {
                int c = dsl::compare(xs[i].number, result.number);
                if (is_min ? c < 0 : c > 0) result = xs[i];
              }
              break;
            }
            case dsl::Builtin::Clamp:
              if (dsl::compare(args[1].number, args[2].number) > 0)
                MERIT_RAISE(Code::BadArgument, fmt::format("clamp: low {} is above high {}", to_string(args[1]), to_string(args[2])));
              result = args[0];
              if (dsl::compare(result.number, args[1].number) < 0) result = args[1];
              if (dsl::compare(result.number, args[2].number) > 0) result = args[2];
              break;
            case dsl::Builtin::Round:
            case dsl::Builtin::Floor:
            case dsl::Builtin::Ceil: {
              int digits = 0;
              dsl::Rounding mode = arith.default_rounding;
              auto id = static_cast<dsl::Builtin>(in.a);
              if (id == dsl::Builtin::Round) {
                auto dg = args[1].number.to_int64();
                if (!dg || *dg < 0 || *dg > Decimal::kMaxScale)
                  MERIT_RAISE(Code::BadArgument, fmt::format("round: digits must be a whole number from 0 to 18, not {}",
                                                             args[1].number.to_string()));
                digits = static_cast<int>(*dg);
                if (in.mode) mode = static_cast<dsl::Rounding>(in.mode - 1);
              } else {
                mode = id == dsl::Builtin::Floor ? dsl::Rounding::Floor : dsl::Rounding::Ceiling;
              }
              Decimal r;
              if (!dsl::round(args[0].number, digits, mode, r)) MERIT_RAISE(Code::DecimalOverflow, "round: result too large");
              result = num_like(args[0], r);
              break;
            }
            case dsl::Builtin::Abs: result = num_like(args[0], args[0].number.abs()); break;
            case dsl::Builtin::Interpolate: {
              const Value& x = args[0];
              const Value& b = args[1];
              bool inverse = argc == 3 && args[2].flag;
              int k = -1;
              // x against the bounds from the last: the first one reached is the last bound x
              // reaches, for bounds in any order, and the scan stops there. x's coefficient is read
              // once, and a bound with no more fractional digits than x (a benchmark's 2 against a
              // rate's 18) brought to x's scale in one exact multiplication; anything else through
              // dsl::compare.
              const __int128 xc = x.number.coefficient();
              const int xs = x.number.scale();
              for (uint32_t i = b.size; i-- > 0;) {
                const Decimal& bound = b.items[i].number;
                const int gap = xs - bound.scale();
                __int128 y = bound.coefficient();
                int c;
                if (gap >= 0 && gap <= 18 && y < dsl::detail::kSmall && y > -dsl::detail::kSmall) {
                  y *= dsl::detail::kPow10[gap];  // |y| < 10^36: exact
                  c = xc < y ? -1 : (xc > y ? 1 : 0);
                } else {
                  c = dsl::compare(x.number, bound);
                }
                if (inverse ? c <= 0 : c >= 0) {
                  k = static_cast<int>(i);
                  break;
                }
              }
              Decimal pos = Decimal::from_int(k);
              if (k >= 0 && static_cast<uint32_t>(k) + 1 < b.size) {
                Decimal num, den, frac;
                const Decimal& lo = b.items[k].number;
                const Decimal& hi = b.items[k + 1].number;
                bool ok = inverse ? (dsl::sub(lo, x.number, num) && dsl::sub(lo, hi, den))
                                  : (dsl::sub(x.number, lo, num) && dsl::sub(hi, lo, den));
                if (!ok) MERIT_RAISE(Code::DecimalOverflow, "interpolate: numbers too large");
                if (!den.is_zero() && !num.is_zero()) {
                  if (!dsl::div(num, den, arith.division_scale, arith.division_rounding, frac) ||
                      !dsl::add(pos, frac, pos))
                    MERIT_RAISE(Code::DecimalOverflow, "interpolate: numbers too large");
                }
              }
              result = Value::num(pos);
              break;
            }
            case dsl::Builtin::Sum:
            case dsl::Builtin::Mean: {
              const Value& xs = args[0];
              bool mean = static_cast<dsl::Builtin>(in.a) == dsl::Builtin::Mean;
              if (mean && xs.size == 0) MERIT_RAISE(Code::EmptyCollection, "mean of an empty list");
              Decimal acc;
              for (uint32_t i = 0; i < xs.size; ++i)
                if (!dsl::add(acc, xs.items[i].number, acc)) MERIT_RAISE(Code::DecimalOverflow, "sum too large");
              if (mean && !dsl::div(acc, Decimal::from_int(xs.size), arith.division_scale, arith.division_rounding, acc))
                MERIT_RAISE(Code::DecimalOverflow, "mean too large");
              result = Value::num(acc, in.flags & 1);
              break;
            }
            case dsl::Builtin::Count: result = Value::num(Decimal::from_int(args[0].size)); break;
            case dsl::Builtin::Take: {
              auto n = args[1].number.to_int64();
              if (!n || *n < 0)
                MERIT_RAISE(Code::BadArgument, fmt::format("take: the count must be a whole number >= 0, not {}",
                                                           args[1].number.to_string()));
              result = Value::list(args[0].items, static_cast<uint32_t>(std::min<int64_t>(*n, args[0].size)));
              break;
            }
            case dsl::Builtin::IndexOf:
            case dsl::Builtin::Contains: {
              int found = -1;
              for (uint32_t i = 0; i < args[0].size && found < 0; ++i)
                if (equal_values(args[0].items[i], args[1])) found = static_cast<int>(i);
              result = static_cast<dsl::Builtin>(in.a) == dsl::Builtin::Contains ? Value::boolean(found >= 0)
                                                                                  : Value::num(Decimal::from_int(found));
              break;
            }
            case dsl::Builtin::Concat: {
              size_t n = 0;
              for (uint32_t i = 0; i < argc; ++i) n += args[i].size;
              Value* items = arena_.values(n);
              size_t at = 0;
              for (uint32_t i = 0; i < argc; ++i)
                for (uint32_t j = 0; j < args[i].size; ++j) items[at++] = args[i].items[j];
              result = Value::list(items, static_cast<uint32_t>(n));
              break;
            }
            case dsl::Builtin::Rows:
              result = Value::list(args[0].table->rows.data(), static_cast<uint32_t>(args[0].table->rows.size()));
              break;
            default: MERIT_RAISE(Code::BadArgument, "built-in needs a lambda");
          }
          top -= argc;
          *top++ = result;
          return {ip, top, true};
        }
        case OpCode::LoopBegin: {
          Value list = *--top;
          auto kind = static_cast<LoopKind>(in.mode);
          if (list.size == 0) {
            Value r;
            if (!empty_loop_result(in, r))
              MERIT_RAISE(Code::EmptyCollection, fmt::format("{} of an empty list",
                                                             kind == LoopKind::Mean ? "mean" : kind == LoopKind::Min ? "min" : "max"));
            *top++ = r;
            return {code + in.b, top, true};
          }
          Loop& L = loops_[nloops_++];
          L = Loop{list.items, list.size, 0, Value(), nullptr, 0, nullptr};
          if (kind == LoopKind::Map || kind == LoopKind::Filter || kind == LoopKind::SortAsc || kind == LoopKind::SortDesc)
            L.out = arena_.values(list.size);
          if (kind == LoopKind::SortAsc || kind == LoopKind::SortDesc) L.keys = arena_.values(list.size);
          if (kind == LoopKind::Sum || kind == LoopKind::Mean || kind == LoopKind::Count) L.acc = Value::num(Decimal());
          locals_[in.a] = list.items[0];
          return {ip, top, true};
        }
        case OpCode::LoopNext:
        case OpCode::LoopNextMap:
        case OpCode::LoopNextFilter:
        case OpCode::LoopNextSum:
        case OpCode::LoopNextAny:
        case OpCode::LoopNextAll: {
          Loop& L = loops_[nloops_ - 1];
          Value v = *--top;
          auto kind = static_cast<LoopKind>(in.mode);
          bool done = false;
          switch (kind) {
            case LoopKind::Map: L.out[L.index] = v; break;
            case LoopKind::Filter:
              if (v.flag) L.out[L.out_size++] = L.items[L.index];
              break;
            case LoopKind::Sum:
            case LoopKind::Mean:
              if (!dsl::add(L.acc.number, v.number, L.acc.number)) MERIT_RAISE(Code::DecimalOverflow, "sum too large");
              L.acc.kind = v.kind;
              break;
            case LoopKind::Count:
              if (v.flag && !dsl::add(L.acc.number, Decimal::from_int(1), L.acc.number))
                MERIT_RAISE(Code::DecimalOverflow, "count too large");
              break;
            case LoopKind::Any:
              if (v.flag) {
                L.acc = Value::boolean(true);
                done = true;
              }
              break;
            case LoopKind::All:
              if (!v.flag) {
                L.acc = Value::boolean(false);
                done = true;
              }
              break;
            case LoopKind::Min:
            case LoopKind::Max: {
              int c = L.index == 0 ? 0 : dsl::compare(v.number, L.acc.number);
              if (L.index == 0 || (kind == LoopKind::Min ? c < 0 : c > 0)) L.acc = v;
              break;
            }
            case LoopKind::SortAsc:
            case LoopKind::SortDesc: L.keys[L.index] = v; break;
            case LoopKind::FindIndex:
              if (v.flag) {
                L.acc = Value::num(Decimal::from_int(L.index));
                done = true;
              }
              break;
          }
          ++L.index;
          if (!done && L.index < L.size) {
            locals_[in.a] = L.items[L.index];
            return {code + in.b, top, true};
          }
          Value r;
          switch (kind) {
            case LoopKind::Map: r = Value::list(L.out, L.size); break;
            case LoopKind::Filter: r = Value::list(L.out, L.out_size); break;
            case LoopKind::Mean: {
              Decimal m;
              if (!dsl::div(L.acc.number, Decimal::from_int(L.size), arith.division_scale, arith.division_rounding, m))
                MERIT_RAISE(Code::DecimalOverflow, "mean too large");
              r = num_like(L.acc, m);
              break;
            }
            case LoopKind::Any: r = done ? L.acc : Value::boolean(false); break;
            case LoopKind::All: r = done ? L.acc : Value::boolean(true); break;
            case LoopKind::FindIndex: r = done ? L.acc : Value::num(Decimal::from_int(-1)); break;
            case LoopKind::SortAsc:
            case LoopKind::SortDesc: {
              // Stable: equal keys keep their order (the index breaks ties).
              auto* idx = reinterpret_cast<uint32_t*>(arena_.values((L.size * sizeof(uint32_t) + sizeof(Value) - 1) / sizeof(Value)));
              for (uint32_t i = 0; i < L.size; ++i) idx[i] = i;
              bool desc = kind == LoopKind::SortDesc;
              const Value* keys = L.keys;
              std::sort(idx, idx + L.size, [&](uint32_t a, uint32_t b) {
                int c = compare_inline(keys[a], keys[b]);
                if (c != 0) return desc ? c > 0 : c < 0;
                return a < b;
              });
              for (uint32_t i = 0; i < L.size; ++i) L.out[i] = L.items[idx[i]];
              r = Value::list(L.out, L.size);
              break;
            }
            default: r = L.acc; break;
          }
          --nloops_;
          *top++ = r;
          return {ip, top, true};
        }
    default: break;
  }
  MERIT_RAISE(Code::BadArgument, "internal: unexpected instruction");
}
#undef MERIT_RAISE

bool Evaluator::fused_loop(const Instr& begin, Value* top) {
  const Instr* body = &begin + 1;
  const uint32_t field = body[0].a;
  const bool compare = begin.flags & kLoopCompareBody;
  const Value* constant = compare ? &program_.constants()[body[2].b] : nullptr;
  const bool negate = compare && body[2].op == OpCode::Ne;
  const Value list = top[-1];
  // Element i's value of the body: the field, or whether it equals the constant. Null when the
  // element is not a record with that field (the instruction-by-instruction loop reports it).
  auto element = [&](uint32_t i, Value& out) {
    const Value& r = list.items[i];
    if (!has_field(r, field)) return false;
    out = compare ? Value::boolean(same_value(r.items[field], *constant) != negate) : r.items[field];
    return true;
  };
  Value v, result;
  switch (static_cast<LoopKind>(begin.mode)) {
    case LoopKind::Map: {
      Value* out = arena_.values(list.size);
      for (uint32_t i = 0; i < list.size; ++i)
        if (!element(i, out[i])) return false;
      result = Value::list(out, list.size);
      break;
    }
    case LoopKind::Filter: {
      Value* out = arena_.values(list.size);
      uint32_t kept = 0;
      for (uint32_t i = 0; i < list.size; ++i) {
        if (!element(i, v)) return false;
        if (v.flag) out[kept++] = list.items[i];
      }
      result = Value::list(out, kept);
      break;
    }
    case LoopKind::Any:
    case LoopKind::All: {
      bool any = static_cast<LoopKind>(begin.mode) == LoopKind::Any;
      result = Value::boolean(!any);
      for (uint32_t i = 0; i < list.size; ++i) {
        if (!element(i, v)) return false;
        if (v.flag == any) {
          result = Value::boolean(any);
          break;
        }
      }
      break;
    }
    case LoopKind::Count: {
      int64_t n = 0;
      for (uint32_t i = 0; i < list.size; ++i) {
        if (!element(i, v)) return false;
        n += v.flag;
      }
      result = Value::num(Decimal::from_int(n));
      break;
    }
    case LoopKind::Sum: {
      Decimal acc;
      for (uint32_t i = 0; i < list.size; ++i) {
        if (!element(i, v) || !dsl::add(acc, v.number, acc)) return false;
      }
      result = Value::num(acc, v.kind == ValueKind::Money);  // as the loop does: the last element's kind
      break;
    }
    case LoopKind::Min:
    case LoopKind::Max: {
      bool is_min = static_cast<LoopKind>(begin.mode) == LoopKind::Min;
      for (uint32_t i = 0; i < list.size; ++i) {
        if (!element(i, v)) return false;
        int c = i == 0 ? 0 : dsl::compare(v.number, result.number);
        if (i == 0 || (is_min ? c < 0 : c > 0)) result = v;
      }
      break;
    }
    default: return false;  // mean, sort_by, find_index: the ordinary loop
  }
  top[-1] = result;
  return true;
}

// The hot loop. kTrace is a template parameter so that tracing costs nothing when off.
// Dispatch is "threaded" (GCC/Clang labels as values): each instruction ends with its own
// indirect jump to the next one, which branch predictors follow far better than one shared
// switch. Instructions without a label here go to `cold`.
template <bool kTrace>
void Evaluator::run(const std::vector<int>& order) {
  const Instr* const code = program_.code().data();
  const Value* const consts = program_.constants().data();
  const uint32_t* const entries = kTrace ? program_.traced_entries().data() : program_.entries().data();
  const Arithmetic& arith = program_.arithmetic();
  Value* const stack = stack_.data();
  Value* const locals = locals_.data();
  Loop* const loops = loops_.data();
  Outcome::State* const state = outcome_.state.data();
  Value* const values = outcome_.values.data();

  constexpr size_t kOpCount = 0
#define MERIT_COUNT_OP(name) +1
      MERIT_OPCODES(MERIT_COUNT_OP);
#undef MERIT_COUNT_OP
  void* dispatch[kOpCount];
  std::fill(dispatch, dispatch + kOpCount, &&cold_op);
#define MERIT_HOT(name) dispatch[static_cast<size_t>(OpCode::name)] = &&op_##name;
  MERIT_HOT(Const) MERIT_HOT(Param) MERIT_HOT(Input) MERIT_HOT(InputField) MERIT_HOT(LoadDef) MERIT_HOT(Local)
  MERIT_HOT(Store) MERIT_HOT(Field) MERIT_HOT(Add) MERIT_HOT(Sub) MERIT_HOT(Mul) MERIT_HOT(Div) MERIT_HOT(Round)
  MERIT_HOT(Neg) MERIT_HOT(Not) MERIT_HOT(Eq) MERIT_HOT(Ne) MERIT_HOT(Lt) MERIT_HOT(Le) MERIT_HOT(Gt) MERIT_HOT(Ge)
  MERIT_HOT(Jump) MERIT_HOT(JumpIfFalse) MERIT_HOT(JumpIfTrue) MERIT_HOT(JumpUnless) MERIT_HOT(Return)
  MERIT_HOT(IndexTable) MERIT_HOT(IndexList) MERIT_HOT(MakeList) MERIT_HOT(MakeRecord) MERIT_HOT(TryBegin) MERIT_HOT(TryEnd)
  MERIT_HOT(LoopBegin) MERIT_HOT(LoopNext) MERIT_HOT(CallBuiltin) MERIT_HOT(LocalField) MERIT_HOT(StoreKeep)
  MERIT_HOT(LocalIfFalse) MERIT_HOT(LocalIfTrue) MERIT_HOT(LocalUnless) MERIT_HOT(LocalLocal)
  MERIT_HOT(FieldIfFalse) MERIT_HOT(FieldIfTrue) MERIT_HOT(FieldUnless) MERIT_HOT(FieldStore)
  MERIT_HOT(DefIfFalse) MERIT_HOT(DefIfTrue)
  MERIT_HOT(LoopNextMap) MERIT_HOT(LoopNextFilter) MERIT_HOT(LoopNextSum) MERIT_HOT(LoopNextAny) MERIT_HOT(LoopNextAll)
  MERIT_HOT(Count) MERIT_HOT(Contains) MERIT_HOT(InputFieldOr)
  // A trace records the parameter a JumpUnless compares with and the definitions read: traced,
  // LocalUnless and FieldUnless are only their Local and LocalField, and the JumpUnless after
  // them runs as itself; DefIfFalse and DefIfTrue are their LoadDef.
  if constexpr (kTrace) {
    dispatch[static_cast<size_t>(OpCode::LocalUnless)] = &&op_Local;
    dispatch[static_cast<size_t>(OpCode::FieldUnless)] = &&op_LocalField;
    dispatch[static_cast<size_t>(OpCode::DefIfFalse)] = &&op_LoadDef;
    dispatch[static_cast<size_t>(OpCode::DefIfTrue)] = &&op_LoadDef;
    dispatch[static_cast<size_t>(OpCode::InputFieldOr)] = &&op_TryBegin;
  }
#undef MERIT_HOT
// One pointer, to the next instruction: the one running is ip[-1] (`in`), so that the pointer
// the dispatch needs stays in a register.
#define MERIT_NEXT()                                        \
  do {                                                      \
    goto* dispatch[static_cast<size_t>((ip++)->op)];        \
  } while (0)
#define in (ip - 1)

  // nloops_ and nhandlers_ are 0 between definitions: loops and ?? handlers are balanced on
  // success, and raise() clears them when a definition fails.
  nloops_ = nhandlers_ = 0;
  for (int def : order) {
    current_ = def;
    TraceStep* step = nullptr;
    if constexpr (kTrace) {
      outcome_.trace.steps.push_back({def, {}, {}, {}});
      step = &outcome_.trace.steps.back();
    }
    const Instr* ip = code + entries[def];
    Value* top = stack;
    MERIT_NEXT();

  op_Const:
    *top++ = consts[in->a];
    MERIT_NEXT();
  op_Param:
    if constexpr (kTrace)
      if (std::find(step->parameters_read.begin(), step->parameters_read.end(), int(in->b)) == step->parameters_read.end())
        step->parameters_read.push_back(static_cast<int>(in->b));
    *top++ = consts[in->a];
    MERIT_NEXT();
  op_Input:
    *top++ = input_;
    MERIT_NEXT();
  op_InputField:
    if constexpr (kTrace)
      if (std::find(step->inputs_read.begin(), step->inputs_read.end(), int(in->a)) == step->inputs_read.end())
        step->inputs_read.push_back(static_cast<int>(in->a));
    if (input_.items[in->a].is_missing()) {  // a missing optional input
      if (nhandlers_ == 0) goto cold_op;       // which reports it
      const Handler& h = handlers_[--nhandlers_];  // a ?? handler takes it
      nloops_ = h.loop_depth;
      ip = h.ip;
      top = h.top;
      MERIT_NEXT();
    }
    *top++ = input_.items[in->a];
    MERIT_NEXT();
  op_InputFieldOr: {  // ip is at the InputField; its TryEnd follows
    const Value& v = input_.items[ip->a];
    if (v.is_missing()) {
      ip = code + in->a;
      MERIT_NEXT();
    }
    *top++ = v;
    ip += 2;
    MERIT_NEXT();
  }
  op_LoadDef:
    if constexpr (kTrace)
      if (std::find(step->definitions_read.begin(), step->definitions_read.end(), int(in->a)) == step->definitions_read.end())
        step->definitions_read.push_back(static_cast<int>(in->a));
    if (state[in->a] == Outcome::State::Ok) {
      *top++ = values[in->a];
      MERIT_NEXT();
    }
    {
      Step s = load_failed_definition(*in, ip, top);
      if (!s.ok) goto next_definition;
      ip = s.ip;
      top = s.top;
    }
    MERIT_NEXT();
  op_Local:
    *top++ = locals[in->a];
    MERIT_NEXT();
  op_Store:
    locals[in->a] = *--top;
    MERIT_NEXT();
  op_Field: {
    const Value& r = top[-1];
    if (!has_field(r, in->a)) goto cold_op;
    top[-1] = r.items[in->a];
    MERIT_NEXT();
  }
  // One label per operator, so that no second branch on the operator is needed.
#define MERIT_ARITHMETIC(name, operation, money_operand)                          \
  op_##name: {                                                                    \
    bool k = in->mode == kConstOperand;                                           \
    if constexpr (kTrace) note_parameter(step, *in);                              \
    Value& a = k ? top[-1] : top[-2];                                             \
    const Value& b = k ? consts[in->b] : top[-1];                                 \
    Decimal r;                                                                    \
    if (!operation(a.number, b.number, r)) goto cold_op; /* overflow: reported there */ \
    if (money_operand && b.kind == ValueKind::Money) a.kind = ValueKind::Money;   \
    a.number = r;                                                                 \
    if (!k) --top;                                                                \
    MERIT_NEXT();                                                                 \
  }
  // A number times money is money (the money on the left keeps its kind as it is).
  MERIT_ARITHMETIC(Add, dsl::add, false)
  MERIT_ARITHMETIC(Sub, dsl::sub, false)
  MERIT_ARITHMETIC(Mul, dsl::mul, true)
#undef MERIT_ARITHMETIC
  op_Div: {
    bool k = in->mode == kConstOperand;
    if constexpr (kTrace) note_parameter(step, *in);
    Value& a = k ? top[-1] : top[-2];
    const Value& b = k ? consts[in->b] : top[-1];
    Decimal r;
    if (in->flags >= kDivPow10 && a.number.scale() + (in->flags - kDivPow10) <= arith.division_scale &&
        dsl::mul(a.number, kTenthPowers[in->flags - kDivPow10], r)) {
      // x / 10^j: the same digits, the point moved j places; normalised as div's results are.
    } else if (!dsl::div(a.number, b.number, arith.division_scale, arith.division_rounding, r)) {
      goto cold_op;  // division by zero or overflow is reported there
    }
    if (b.kind == ValueKind::Money) a.kind = ValueKind::Number;  // money / money
    a.number = r;
    if (!k) --top;
    MERIT_NEXT();
  }
  op_Round: {
    if constexpr (kTrace) note_parameter(step, *in);  // digits from a parameter
    Decimal r;
    auto mode = in->mode ? static_cast<dsl::Rounding>(in->mode - 1) : arith.default_rounding;
    if (!dsl::round(top[-1].number, static_cast<int>(in->a), mode, r)) goto cold_op;  // overflow
    top[-1].number = r;
    MERIT_NEXT();
  }
  op_Neg:
    top[-1].number = top[-1].number.negated();
    MERIT_NEXT();
  op_Not:
    top[-1].flag = !top[-1].flag;
    MERIT_NEXT();
  // One label per comparison, so that no second branch on the operator is needed.
#define MERIT_COMPARE(name, test)                                                                          \
  op_##name: {                                                                                             \
    bool k = in->mode == kConstOperand;                                                                    \
    if constexpr (kTrace) note_parameter(step, *in);                                                       \
    Value& x = k ? top[-1] : top[-2];                                                                      \
    const Value& y = k ? consts[in->b] : top[-1];                                                          \
    bool holds = (test);                                                                                   \
    if (!k) --top;                                                                                         \
    top[-1].kind = ValueKind::Bool;                                                                        \
    top[-1].flag = holds;                                                                                  \
    MERIT_NEXT();                                                                                          \
  }
  // (In)equality needs no order: strings of different lengths differ without a memcmp.
  MERIT_COMPARE(Eq, same_value(x, y))
  MERIT_COMPARE(Ne, !same_value(x, y))
  MERIT_COMPARE(Lt, compare_inline(x, y) < 0)
  MERIT_COMPARE(Le, compare_inline(x, y) <= 0)
  MERIT_COMPARE(Gt, compare_inline(x, y) > 0)
  MERIT_COMPARE(Ge, compare_inline(x, y) >= 0)
#undef MERIT_COMPARE
  op_Jump:
    ip = code + in->a;
    MERIT_NEXT();
  op_JumpIfFalse:
    if (!(--top)->flag) ip = code + in->a;
    MERIT_NEXT();
  op_JumpIfTrue:
    if ((--top)->flag) ip = code + in->a;
    MERIT_NEXT();
  op_JumpUnless: {
    bool k = in->mode & kConstOperand;
    if constexpr (kTrace) note_parameter(step, *in);
    const Value& x = k ? top[-1] : top[-2];
    const Value& y = k ? consts[in->b] : top[-1];
    bool holds = comparison_holds(in->mode, x, y);
    top -= k ? 1 : 2;
    if (!holds) ip = code + in->a;
    MERIT_NEXT();
  }
  op_LocalField: {
    const Value& r = locals[in->flags];
    if (has_field(r, in->a)) {
      *top++ = r.items[in->a];
      ++ip;  // the Field, done
      MERIT_NEXT();
    }
    *top++ = r;  // only the Local: the Field that follows reports the problem
    MERIT_NEXT();
  }
  op_StoreKeep:
    locals[in->a] = top[-1];
    ++ip;  // the Local, done
    MERIT_NEXT();
  op_LocalIfFalse:
    ip = locals[in->a].flag ? ip + 1 : code + ip->a;  // ip: the JumpIfFalse, done here
    MERIT_NEXT();
  op_LocalIfTrue:
    ip = locals[in->a].flag ? code + ip->a : ip + 1;
    MERIT_NEXT();
  op_LocalUnless: {  // as JumpUnless with a constant operand, the left one read in place
    const Instr& jump = *ip;
    const Value& x = locals[in->a];
    const Value& y = consts[jump.b];
    ip = comparison_holds(jump.mode, x, y) ? ip + 1 : code + jump.a;
    MERIT_NEXT();
  }
  op_LocalLocal:
    top[0] = locals[in->a];
    top[1] = locals[ip->a];
    top += 2;
    ++ip;  // the second Local, done
    MERIT_NEXT();
  // A LocalField fused with the instruction after its Field, which is ip[1] here (ip is at the
  // Field). When the field cannot be read, only the Local is done, as LocalField does: the
  // Field then reports the problem, and the instruction after it runs as itself.
#define MERIT_FIELD_OF_LOCAL(v)   \
  const Value& r = locals[in->flags]; \
  if (!has_field(r, in->a)) {         \
    *top++ = r;                       \
    MERIT_NEXT();                     \
  }                                   \
  const Value& v = r.items[in->a]
  op_FieldIfFalse: {
    MERIT_FIELD_OF_LOCAL(v);
    ip = v.flag ? ip + 2 : code + ip[1].a;
    MERIT_NEXT();
  }
  op_FieldIfTrue: {
    MERIT_FIELD_OF_LOCAL(v);
    ip = v.flag ? code + ip[1].a : ip + 2;
    MERIT_NEXT();
  }
  op_FieldUnless: {
    MERIT_FIELD_OF_LOCAL(v);
    const Instr& jump = ip[1];
    ip = comparison_holds(jump.mode, v, consts[jump.b]) ? ip + 2 : code + jump.a;
    MERIT_NEXT();
  }
  op_FieldStore: {
    MERIT_FIELD_OF_LOCAL(v);
    locals[ip[1].a] = v;
    ip += 2;
    MERIT_NEXT();
  }
#undef MERIT_FIELD_OF_LOCAL
  op_DefIfFalse:
    if (state[in->a] != Outcome::State::Ok) goto op_LoadDef;  // which reports the failure
    ip = values[in->a].flag ? ip + 1 : code + ip->a;
    MERIT_NEXT();
  op_DefIfTrue:
    if (state[in->a] != Outcome::State::Ok) goto op_LoadDef;
    ip = values[in->a].flag ? code + ip->a : ip + 1;
    MERIT_NEXT();
  op_IndexTable: {  // a miss goes to cold, which raises R703 (or a ?? handler takes it)
    uint32_t n = in->a;
    const Value* row = top[-static_cast<int>(n) - 1].table->find(top - n, n);
    if (!row) goto cold_op;
    top -= n;
    top[-1] = *row;
    MERIT_NEXT();
  }
  op_IndexList: {  // out of range (or not a whole number) goes to cold, which reports it
    auto i = whole_number(top[-1].number);
    const Value& list = top[-2];
    if (!i || *i < 0 || static_cast<uint64_t>(*i) >= list.size) goto cold_op;
    --top;
    top[-1] = list.items[*i];
    MERIT_NEXT();
  }
  op_MakeList:
  op_MakeRecord: {
    Value* items = arena_.values(in->a);
    top -= in->a;
    std::copy(top, top + in->a, items);
    *top++ = in->op == OpCode::MakeList ? Value::list(items, in->a) : Value::record(items, in->a);
    MERIT_NEXT();
  }
  op_TryBegin:
    handlers_[nhandlers_++] = Handler{code + in->a, top, nloops_};
    MERIT_NEXT();
  op_TryEnd:
    --nhandlers_;
    MERIT_NEXT();
  // Loops: an empty list (but for mean, min and max), each step, any/all stopping early and the
  // last step of the common folds (and of a one-element sort) run here; the last step of mean,
  // min, max and longer sorts, find_index's early exit and overflow go to cold, which does the
  // whole step.
  op_LoopBegin: {
    if (top[-1].size == 0) {
      if (!empty_loop_result(*in, top[-1])) goto cold_op;  // mean, min or max of nothing: cold reports it
      ip = code + in->b;
      MERIT_NEXT();
    }
    if ((in->flags & (kLoopFieldBody | kLoopCompareBody)) && fused_loop(*in, top)) {
      ip = code + in->b;
      MERIT_NEXT();
    }
    Value list = *--top;
    auto kind = static_cast<LoopKind>(in->mode);
    Loop& L = loops[nloops_++];
    L = Loop{list.items, list.size, 0, Value(), nullptr, 0, nullptr};
    if (kind == LoopKind::Map || kind == LoopKind::Filter || kind == LoopKind::SortAsc || kind == LoopKind::SortDesc)
      L.out = arena_.values(list.size);
    if (kind == LoopKind::SortAsc || kind == LoopKind::SortDesc) L.keys = arena_.values(list.size);
    if (kind == LoopKind::Sum || kind == LoopKind::Mean || kind == LoopKind::Count) L.acc = Value::num(Decimal());
    locals[in->a] = list.items[0];
    MERIT_NEXT();
  }
  op_LoopNext: {
    Loop& L = loops[nloops_ - 1];
    if (L.index + 1 >= L.size) {  // the last element: the common folds finish here
      const Value& v = top[-1];
      switch (static_cast<LoopKind>(in->mode)) {
        case LoopKind::Map:
          L.out[L.index] = v;
          top[-1] = Value::list(L.out, L.size);
          break;
        case LoopKind::Filter:
          if (v.flag) L.out[L.out_size++] = L.items[L.index];
          top[-1] = Value::list(L.out, L.out_size);
          break;
        case LoopKind::Any: top[-1] = Value::boolean(v.flag); break;
        case LoopKind::All: top[-1] = Value::boolean(v.flag); break;
        case LoopKind::Sum: {
          Decimal r;
          if (!dsl::add(L.acc.number, v.number, r)) goto cold_op;  // overflow: cold reports it
          top[-1] = Value::num(r, v.kind == ValueKind::Money);
          break;
        }
        case LoopKind::Count: {
          Decimal r = L.acc.number;
          if (v.flag && !dsl::add(L.acc.number, Decimal::from_int(1), r)) goto cold_op;
          top[-1] = Value::num(r);
          break;
        }
        case LoopKind::SortAsc:
        case LoopKind::SortDesc:  // one element (its key evaluated): nothing to sort; more in cold
          if (L.size != 1) goto cold_op;
          top[-1] = Value::list(L.items, 1);
          break;
        default: goto cold_op;
      }
      --nloops_;
      MERIT_NEXT();
    }
    const Value& v = top[-1];
    switch (static_cast<LoopKind>(in->mode)) {
      case LoopKind::Map: L.out[L.index] = v; break;
      case LoopKind::Filter:
        if (v.flag) L.out[L.out_size++] = L.items[L.index];
        break;
      case LoopKind::SortAsc:
      case LoopKind::SortDesc: L.keys[L.index] = v; break;
      case LoopKind::Sum:
      case LoopKind::Mean: {
        Decimal r;
        if (!dsl::add(L.acc.number, v.number, r)) goto cold_op;
        L.acc.number = r;
        L.acc.kind = v.kind;
        break;
      }
      case LoopKind::Count:
        if (v.flag) {
          Decimal r;
          if (!dsl::add(L.acc.number, Decimal::from_int(1), r)) goto cold_op;
          L.acc.number = r;
        }
        break;
      case LoopKind::Any:  // an early exit: the loop's result, and on after the LoopNext
      case LoopKind::All:
        if (v.flag == (static_cast<LoopKind>(in->mode) == LoopKind::Any)) {
          top[-1] = Value::boolean(v.flag);
          --nloops_;
          MERIT_NEXT();
        }
        break;
      case LoopKind::FindIndex:
        if (v.flag) goto cold_op;
        break;
      case LoopKind::Min:
      case LoopKind::Max: {
        int c = L.index == 0 ? 0 : dsl::compare(v.number, L.acc.number);
        if (L.index == 0 || (static_cast<LoopKind>(in->mode) == LoopKind::Min ? c < 0 : c > 0)) L.acc = v;
        break;
      }
    }
    --top;
    ++L.index;
    locals[in->a] = L.items[L.index];
    ip = code + in->b;
    MERIT_NEXT();
  }
  // One kind each. Not the last element: fold it, bind the next one and go back to the body.
  // The last: the loop's value replaces the body's. Sum's overflow is reported by cold, which
  // runs the step again (nothing was changed before it goes there).
#define MERIT_LOOP_ADVANCE(L)                \
  if (++(L).index < (L).size) {              \
    --top;                                   \
    locals[in->a] = (L).items[(L).index];    \
    ip = code + in->b;                       \
    MERIT_NEXT();                            \
  }                                          \
  --nloops_
  op_LoopNextMap: {
    Loop& L = loops[nloops_ - 1];
    L.out[L.index] = top[-1];
    MERIT_LOOP_ADVANCE(L);
    top[-1] = Value::list(L.out, L.size);
    MERIT_NEXT();
  }
  op_LoopNextFilter: {
    Loop& L = loops[nloops_ - 1];
    if (top[-1].flag) L.out[L.out_size++] = L.items[L.index];
    MERIT_LOOP_ADVANCE(L);
    top[-1] = Value::list(L.out, L.out_size);
    MERIT_NEXT();
  }
  op_LoopNextSum: {
    Loop& L = loops[nloops_ - 1];
    Decimal r;
    if (!dsl::add(L.acc.number, top[-1].number, r)) goto cold_op;
    L.acc.number = r;
    L.acc.kind = top[-1].kind;  // money stays money
    MERIT_LOOP_ADVANCE(L);
    top[-1] = L.acc;
    MERIT_NEXT();
  }
  // any and all: the first element that decides (true for any, false for all) ends the loop.
#define MERIT_LOOP_UNTIL(name, decisive)    \
  op_##name: {                              \
    Loop& L = loops[nloops_ - 1];           \
    if (top[-1].flag == (decisive)) {       \
      top[-1] = Value::boolean(decisive);   \
      --nloops_;                            \
      MERIT_NEXT();                         \
    }                                       \
    MERIT_LOOP_ADVANCE(L);                  \
    top[-1] = Value::boolean(!(decisive));  \
    MERIT_NEXT();                           \
  }
  MERIT_LOOP_UNTIL(LoopNextAny, true)
  MERIT_LOOP_UNTIL(LoopNextAll, false)
#undef MERIT_LOOP_UNTIL
#undef MERIT_LOOP_ADVANCE
  op_Count:
    top[-1] = Value::num(Decimal::from_int(top[-1].size));
    MERIT_NEXT();
  op_Contains: {
    const Value& xs = top[-2];
    const Value& x = top[-1];
    bool found = false;
    if (x.kind == ValueKind::String) {  // ids and methods (five per quality measure): hash first, inline
      for (uint32_t i = 0; i < xs.size && !found; ++i) {
        const Value& y = xs.items[i];
        found = same_text(y, x) && y.kind == x.kind;
      }
    } else {
      for (uint32_t i = 0; i < xs.size && !found; ++i) found = same_value(xs.items[i], x);
    }
    --top;
    top[-1] = Value::boolean(found);
    MERIT_NEXT();
  }
  op_CallBuiltin:  // the common cheap ones here (count and contains have their own); the rest, and every error, in cold
    switch (static_cast<dsl::Builtin>(in->a)) {
      case dsl::Builtin::Min:
      case dsl::Builtin::Max: {  // of two numbers; of a list in cold
        if (in->b != 2) goto cold_op;
        int c = dsl::compare(top[-1].number, top[-2].number);
        if (static_cast<dsl::Builtin>(in->a) == dsl::Builtin::Min ? c < 0 : c > 0) top[-2] = top[-1];
        --top;
        MERIT_NEXT();
      }
      case dsl::Builtin::Clamp: {
        const Value& low = top[-2];
        const Value& high = top[-1];
        if (dsl::compare(low.number, high.number) > 0) goto cold_op;  // cold reports it
        Value& x = top[-3];
        if (dsl::compare(x.number, low.number) < 0) x = low;
        if (dsl::compare(x.number, high.number) > 0) x = high;
        top -= 2;
        MERIT_NEXT();
      }
      case dsl::Builtin::Floor:
      case dsl::Builtin::Ceil: {
        Decimal r;
        auto mode = static_cast<dsl::Builtin>(in->a) == dsl::Builtin::Floor ? dsl::Rounding::Floor : dsl::Rounding::Ceiling;
        if (!dsl::round(top[-1].number, 0, mode, r)) goto cold_op;  // overflow
        top[-1].number = r;
        MERIT_NEXT();
      }
      case dsl::Builtin::Take: {
        auto n = whole_number(top[-1].number);
        if (!n || *n < 0) goto cold_op;  // cold reports it
        --top;
        top[-1].size = static_cast<uint32_t>(std::min<int64_t>(*n, top[-1].size));
        MERIT_NEXT();
      }
      default: goto cold_op;
    }
  op_Return:
    values[def] = *--top;
    state[def] = Outcome::State::Ok;
    goto next_definition;
  cold_op: {
    if constexpr (kTrace) note_parameter(step, *in);
    Step s = cold(*in, ip, top);
    if (!s.ok) goto next_definition;
    ip = s.ip;
    top = s.top;
    MERIT_NEXT();
  }
  next_definition:;
  }
#undef in
#undef MERIT_NEXT
}

template void Evaluator::run<true>(const std::vector<int>&);
template void Evaluator::run<false>(const std::vector<int>&);

}  // namespace merit::engine
