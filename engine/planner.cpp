#include "engine/planner.hpp"

#include "engine/interpreter.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "dsl/builtins.hpp"

namespace merit::engine {

using dsl::Expr;
using dsl::ExprKind;
using dsl::Op;
using dsl::RefKind;

Value constant_value(const Datum& d, const dsl::Type& type, std::deque<std::string>& strings,
                     std::deque<std::vector<Value>>& arrays, std::deque<TableData>& tables) {
  switch (d.kind) {
    case Datum::Kind::Bool: return Value::boolean(d.flag);
    case Datum::Kind::Number: return Value::num(d.number);
    case Datum::Kind::Money: return Value::num(d.number, true);
    case Datum::Kind::String:
    case Datum::Kind::Symbol: {
      const std::string& s = strings.emplace_back(d.text);
      return Value::str(s, d.kind == Datum::Kind::Symbol);
    }
    case Datum::Kind::List: {
      auto& arr = arrays.emplace_back();
      dsl::Type elem = type && type->kind == dsl::Kind::List ? type->elem : nullptr;
      for (const auto& e : d.items) arr.push_back(constant_value(e, elem, strings, arrays, tables));
      return Value::list(arr.data(), static_cast<uint32_t>(arr.size()));
    }
    case Datum::Kind::Record: {
      // Fields in the order of the record type (sorted by name), which is also the datum's order.
      auto& arr = arrays.emplace_back();
      for (size_t i = 0; i < d.items.size(); ++i) {
        dsl::Type ft = type && type->kind == dsl::Kind::Record && i < type->fields.size() ? type->fields[i].type : nullptr;
        arr.push_back(constant_value(d.items[i], ft, strings, arrays, tables));
      }
      return Value::record(arr.data(), static_cast<uint32_t>(arr.size()));
    }
    case Datum::Kind::Table: {
      TableData& t = tables.emplace_back();
      const dsl::Type& row = type->elem;
      for (const auto& k : d.names) {
        t.key_fields.push_back(dsl::field_index(row, k));
        t.key_names.push_back(k);
      }
      for (const auto& r : d.items) t.rows.push_back(constant_value(r, row, strings, arrays, tables));
      t.finish();
      return Value::of_table(&t);
    }
  }
  return Value();
}

namespace {

// The superinstruction an instruction that pushes a value becomes when the instruction `next`
// tests that value at once: a JumpIfFalse, a JumpIfTrue, or (where there is a form for it) a
// JumpUnless with a constant operand. None otherwise.
struct TestedForms {
  OpCode if_false, if_true;
  std::optional<OpCode> unless;
};
std::optional<OpCode> tested_form(const Instr& next, const TestedForms& forms) {
  if (next.op == OpCode::JumpIfFalse) return forms.if_false;
  if (next.op == OpCode::JumpIfTrue) return forms.if_true;
  if (next.op == OpCode::JumpUnless && (next.mode & kConstOperand)) return forms.unless;
  return std::nullopt;
}

// The most frequent pairs of a scoring program (`x.points`: Local then Field; `let` bindings
// used at once: Store then Local of the same slot; a local tested or compared at once) become
// one instruction that does the second's work too and skips it. The second stays where it is,
// so a jump to it, and every address, are unchanged.
void fuse_superinstructions(std::vector<Instr>& code, const std::vector<Value>& constants) {
  // Jump threading: a jump to a Jump goes straight to where that one goes (the end of an inner
  // `if` inside an outer one's branch), and a Jump to a Return is that Return (a branch that
  // is the definition's value). Nothing moves, so every other address stays as it was.
  auto final_target = [&](uint32_t target) {
    for (size_t hops = 0; hops < code.size() && target < code.size() && code[target].op == OpCode::Jump; ++hops)
      target = code[target].a;
    return target;
  };
  for (Instr& in : code) {
    if (in.op != OpCode::Jump && in.op != OpCode::JumpIfFalse && in.op != OpCode::JumpIfTrue &&
        in.op != OpCode::JumpUnless)
      continue;
    in.a = final_target(in.a);
    if (in.op == OpCode::Jump && in.a < code.size() && code[in.a].op == OpCode::Return)
      in = Instr{OpCode::Return, 0, 0, 0, 0, in.loc};
  }
  for (size_t pc = 0; pc + 1 < code.size(); ++pc) {
    Instr& first = code[pc];
    const Instr& second = code[pc + 1];
    if (first.op == OpCode::Local && second.op == OpCode::Field && first.a <= 0xFFFF) {
      first = Instr{OpCode::LocalField, 0, static_cast<uint16_t>(first.a), second.a, second.b, second.loc};
    } else if (first.op == OpCode::Store && second.op == OpCode::Local && first.a == second.a) {
      first.op = OpCode::StoreKeep;
    }
  }
  // A local tested at once (`if eligible then`, `when x.kind == "cahps"` on a let), then two
  // locals pushed in a row: after the pass above, so that a Local that became LocalField is
  // never the second of a LocalLocal (the Local* instructions keep their slot in `a`).
  for (size_t pc = 0; pc + 1 < code.size(); ++pc) {
    Instr& first = code[pc];
    const Instr& second = code[pc + 1];
    if (first.op != OpCode::Local) continue;
    if (auto form = tested_form(second, {OpCode::LocalIfFalse, OpCode::LocalIfTrue, OpCode::LocalUnless}))
      first.op = *form;
  }
  for (size_t pc = 0; pc + 1 < code.size(); ++pc) {
    const OpCode second = code[pc + 1].op;
    if (code[pc].op == OpCode::Local && (second == OpCode::Local || second == OpCode::LocalIfFalse ||
                                         second == OpCode::LocalIfTrue || second == OpCode::LocalUnless))
      code[pc].op = OpCode::LocalLocal;
  }
  // Division by a constant 10^j (`/ param.aci.decile_width`, `/ 100`): marked for the decimal
  // point move the interpreter makes of it.
  for (Instr& in : code) {
    if (in.op != OpCode::Div || in.mode != kConstOperand) continue;
    const Value& c = constants[in.b];
    if (c.kind != ValueKind::Number || c.number.scale() != 0) continue;
    __int128 v = c.number.coefficient();
    for (int j = 0; j <= 18 && v > 0; ++j, v /= 10) {
      if (v == 1) {
        in.flags = static_cast<uint16_t>(kDivPow10 + j);
        break;
      }
      if (v % 10 != 0) break;
    }
  }
  // Loops whose lambda only reads a field of the element (sum(xs, x => x.met)) or compares it
  // with a constant (filter(xs, x => x.name == "overall")): the commonest loops of a policy.
  for (size_t pc = 0; pc + 3 < code.size(); ++pc) {
    Instr& begin = code[pc];
    if (begin.op != OpCode::LoopBegin || code[pc + 1].op != OpCode::LocalField || code[pc + 1].flags != begin.a) continue;
    auto kind = static_cast<LoopKind>(begin.mode);
    if (kind == LoopKind::Mean || kind == LoopKind::SortAsc || kind == LoopKind::SortDesc || kind == LoopKind::FindIndex)
      continue;  // folds the one-step loop leaves to the ordinary one
    auto body_ends_at = [&](size_t next) {
      return next < code.size() && code[next].op == OpCode::LoopNext && code[next].b == pc + 1 && begin.b == next + 1;
    };
    if (body_ends_at(pc + 3)) {
      begin.flags |= kLoopFieldBody;
    } else if (pc + 4 < code.size() && (code[pc + 3].op == OpCode::Eq || code[pc + 3].op == OpCode::Ne) &&
               code[pc + 3].mode == kConstOperand && code[pc + 3].a == 0 && body_ends_at(pc + 4)) {
      // A literal only: a parameter there is one a trace must record, which the step skips.
      begin.flags |= kLoopCompareBody;
    }
  }
  // A field of a local (a LocalField, its Field skipped) used at once by the instruction after
  // the Field -- tested (`if m.end_to_end then`), compared with a constant (`when m.kind ==
  // "cahps"`) or bound (`let n = r.numerator in`) -- and a definition tested at once (`if
  // eligibility.small_practice then`): one instruction. Last, so that the loop bodies marked
  // above keep their LocalField.
  for (size_t pc = 0; pc + 2 < code.size(); ++pc) {
    Instr& first = code[pc];
    const Instr& after = code[pc + 2];
    if (first.op != OpCode::LocalField) continue;
    if (auto form = tested_form(after, {OpCode::FieldIfFalse, OpCode::FieldIfTrue, OpCode::FieldUnless}))
      first.op = *form;
    else if (after.op == OpCode::Store)
      first.op = OpCode::FieldStore;
  }
  for (size_t pc = 0; pc + 1 < code.size(); ++pc) {
    Instr& first = code[pc];
    if (first.op != OpCode::LoadDef) continue;
    if (auto form = tested_form(code[pc + 1], {OpCode::DefIfFalse, OpCode::DefIfTrue, std::nullopt})) first.op = *form;
  }
  // The commonest loop kinds get a LoopNext of their own (after the loop marking above, which
  // looks for LoopNext): one step per element with no branch on the kind.
  for (Instr& in : code) {
    if (in.op != OpCode::LoopNext) continue;
    switch (static_cast<LoopKind>(in.mode)) {
      case LoopKind::Map: in.op = OpCode::LoopNextMap; break;
      case LoopKind::Filter: in.op = OpCode::LoopNextFilter; break;
      case LoopKind::Sum: in.op = OpCode::LoopNextSum; break;
      case LoopKind::Any: in.op = OpCode::LoopNextAny; break;
      case LoopKind::All: in.op = OpCode::LoopNextAll; break;
      default: break;
    }
  }
  // `input.x ?? fallback`: the handler is needed only for the one read, so it is not pushed.
  for (size_t pc = 0; pc + 2 < code.size(); ++pc)
    if (code[pc].op == OpCode::TryBegin && code[pc + 1].op == OpCode::InputField && code[pc + 2].op == OpCode::TryEnd)
      code[pc].op = OpCode::InputFieldOr;
  // count(list) and contains(list, x), a few per measure: their own instructions.
  for (Instr& in : code) {
    if (in.op != OpCode::CallBuiltin) continue;
    if (in.a == static_cast<uint32_t>(dsl::Builtin::Count) && in.b == 1) in.op = OpCode::Count;
    if (in.a == static_cast<uint32_t>(dsl::Builtin::Contains) && in.b == 2) in.op = OpCode::Contains;
  }
}

struct Emitter {
  // Program storage the emitter appends to (handed over by Planner, Program's friend).
  std::vector<Instr>& code;
  std::vector<Value>& constants;
  std::vector<dsl::Location>& locations;
  std::vector<std::string>& field_names;
  std::deque<std::string>& strs;
  const dsl::CheckUnit& unit;
  const dsl::CheckResult& checked;
  const std::vector<uint32_t>& param_const;  // parameter index -> constant index

  dsl::SourcePtr source;
  int depth = 0;  // stack depth at this point of the code
  int max_depth = 0;
  int loops = 0, max_loops = 0;
  int handlers = 0, max_handlers = 0;
  uint32_t frame_top = 0;  // first local slot not in use
  uint32_t max_frame = 0;

  uint32_t loc(dsl::Span s) {
    locations.push_back({source, s});
    return static_cast<uint32_t>(locations.size() - 1);
  }
  size_t emit(OpCode op, uint32_t a, uint32_t b, dsl::Span s, int stack_effect, uint8_t mode = 0) {
    code.push_back(Instr{op, mode, 0, a, b, loc(s)});
    depth += stack_effect;
    max_depth = std::max(max_depth, depth);
    return code.size() - 1;
  }
  uint32_t here() const { return static_cast<uint32_t>(code.size()); }
  void patch_a(size_t at, uint32_t target) { code[at].a = target; }
  void patch_b(size_t at, uint32_t target) { code[at].b = target; }
  uint32_t constant(Value v) {
    constants.push_back(v);
    return static_cast<uint32_t>(constants.size() - 1);
  }
  uint32_t name_index(const std::string& n) {
    field_names.push_back(n);
    return static_cast<uint32_t>(field_names.size() - 1);
  }

  // Offset that maps the current definition's or inlined function's local slots into the frame.
  uint32_t slot_base = 0;
  // Slots of the inlined function's parameters that are another local passed as it is (f(x)):
  // the parameter reads the caller's slot, which nothing writes while the callee runs, instead
  // of a copy. -1: the parameter has its own slot (slot_base + index).
  std::vector<int64_t> param_slots{};
  uint32_t local_slot(int index) const {
    if (static_cast<size_t>(index) < param_slots.size() && param_slots[index] >= 0)
      return static_cast<uint32_t>(param_slots[index]);
    return slot_base + static_cast<uint32_t>(index);
  }

  void fields(const Expr& e, size_t first_name, const std::vector<int>& indices) {
    for (size_t i = 0; i < indices.size(); ++i) {
      size_t n = first_name + i;
      emit(OpCode::Field, static_cast<uint32_t>(indices[i]), name_index(e.names[n]), e.name_spans[n], 0);
    }
  }

  void path(const Expr& e) {
    const auto& c = e.checked;
    dsl::Span head{e.span.begin, e.name_spans[c.path_consumed - 1].end};
    switch (c.ref) {
      case RefKind::Local: emit(OpCode::Local, local_slot(c.index), 0, head, +1); break;
      case RefKind::Parameter: emit(OpCode::Param, param_const[c.index], c.index, head, +1); break;
      case RefKind::Definition: emit(OpCode::LoadDef, c.index, 0, head, +1); break;
      case RefKind::Input:
        if (!c.field_indices.empty()) {  // input.x: one instruction instead of Input + Field
          size_t n = c.path_consumed;
          emit(OpCode::InputField, static_cast<uint32_t>(c.field_indices[0]), name_index(e.names[n]), e.name_spans[n], +1);
          std::vector<int> rest(c.field_indices.begin() + 1, c.field_indices.end());
          fields(e, n + 1, rest);
          return;
        }
        emit(OpCode::Input, 0, 0, head, +1);
        break;
      default: break;
    }
    fields(e, c.path_consumed, c.field_indices);
  }

  void call_function(const Expr& e) {
    int fi = e.checked.index;
    const auto& fn = *unit.functions[fi];
    uint32_t base = frame_top;
    frame_top += checked.function_locals[fi];
    max_frame = std::max(max_frame, frame_top);
    std::vector<int64_t> slots(e.kids.size(), -1);
    for (size_t i = 0; i < e.kids.size(); ++i) {
      const Expr& arg = *e.kids[i];
      if (arg.kind == ExprKind::Path && arg.checked.ref == RefKind::Local && arg.checked.field_indices.empty()) {
        slots[i] = local_slot(arg.checked.index);
        continue;
      }
      expr(arg);
      emit(OpCode::Store, base + static_cast<uint32_t>(i), 0, arg.span, -1);
    }
    uint32_t saved_base = slot_base;
    dsl::SourcePtr saved_source = source;
    std::swap(param_slots, slots);
    slot_base = base;
    source = fn.source;
    expr(*fn.body);
    slot_base = saved_base;
    source = saved_source;
    std::swap(param_slots, slots);
    frame_top = base;
  }

  LoopKind loop_kind(dsl::Builtin id, const Expr& e) {
    switch (id) {
      case dsl::Builtin::Map: return LoopKind::Map;
      case dsl::Builtin::Filter: return LoopKind::Filter;
      case dsl::Builtin::Sum: return LoopKind::Sum;
      case dsl::Builtin::Mean: return LoopKind::Mean;
      case dsl::Builtin::Count: return LoopKind::Count;
      case dsl::Builtin::Any: return LoopKind::Any;
      case dsl::Builtin::All: return LoopKind::All;
      case dsl::Builtin::Min: return LoopKind::Min;
      case dsl::Builtin::Max: return LoopKind::Max;
      case dsl::Builtin::FindIndex: return LoopKind::FindIndex;
      case dsl::Builtin::SortBy:
        return e.kids.size() == 3 && e.kids[2]->text == "desc" ? LoopKind::SortDesc : LoopKind::SortAsc;
      default: return LoopKind::Map;
    }
  }

  void call_builtin(const Expr& e) {
    auto id = static_cast<dsl::Builtin>(e.checked.index);
    const auto& spec = dsl::builtin_spec(id);
    bool lambda = spec.lambda_position >= 0 && static_cast<int>(e.kids.size()) > spec.lambda_position &&
                  e.kids[spec.lambda_position]->kind == ExprKind::Lambda;
    if (lambda) {
      const Expr& lam = *e.kids[spec.lambda_position];
      uint32_t slot = slot_base + static_cast<uint32_t>(lam.checked.field_indices[0]);
      expr(*e.kids[0]);
      auto kind = static_cast<uint8_t>(loop_kind(id, e));
      size_t begin = emit(OpCode::LoopBegin, slot, 0, e.span, 0, kind);  // list -> (loop state)
      if (e.checked.type && e.checked.type->kind == dsl::Kind::Money) code[begin].flags = kLoopMoney;
      loops++;
      max_loops = std::max(max_loops, loops);
      uint32_t body = here();
      int d0 = depth;
      expr(*lam.kids[0]);
      emit(OpCode::LoopNext, slot, body, e.span, 0, kind);
      // LoopBegin takes the list and the loop leaves one result: the depth is as after the list.
      depth = d0;
      loops--;
      patch_b(begin, here());
      return;
    }
    int n = static_cast<int>(e.kids.size());
    uint8_t mode = 0;
    // round(x, 2) with literal digits, or with a parameter's (round(x, param.final.round_digits)):
    // one instruction, in the interpreter's fast loop. A parameter is kept in flags (index + 1)
    // for traces.
    if (id == dsl::Builtin::Round) {
      const Expr& d = *e.kids[1];
      std::optional<int64_t> digits;
      int param = -1;
      if (d.kind == ExprKind::Number) {
        digits = d.number.to_int64();
      } else if (int q = whole_parameter(d); q >= 0) {
        const Value& v = constants[param_const[q]];
        if (v.kind == ValueKind::Number) digits = v.number.to_int64();
        param = q;
      }
      if (digits && *digits >= 0 && *digits <= dsl::Decimal::kMaxScale) {
        if (n == 3) mode = static_cast<uint8_t>(static_cast<int>(*dsl::rounding_from_name(e.kids[2]->text)) + 1);
        expr(*e.kids[0]);
        size_t at = emit(OpCode::Round, static_cast<uint32_t>(*digits), 0, e.span, 0, mode);
        code[at].flags = static_cast<uint16_t>(param + 1);
        return;
      }
    }
    if (id == dsl::Builtin::Round && n == 3) {
      mode = static_cast<uint8_t>(static_cast<int>(*dsl::rounding_from_name(e.kids[2]->text)) + 1);
      n = 2;
    }
    for (int i = 0; i < n; ++i) expr(*e.kids[i]);
    size_t at = emit(OpCode::CallBuiltin, static_cast<uint32_t>(id), static_cast<uint32_t>(n), e.span, 1 - n, mode);
    if (e.checked.type && e.checked.type->kind == dsl::Kind::Money) code[at].flags = 1;
  }

  void expr(const Expr& e) {
    switch (e.kind) {
      case ExprKind::Number: emit(OpCode::Const, constant(Value::num(e.number)), 0, e.span, +1); return;
      case ExprKind::Money: emit(OpCode::Const, constant(Value::num(e.number, true)), 0, e.span, +1); return;
      case ExprKind::Bool: emit(OpCode::Const, constant(Value::boolean(e.flag)), 0, e.span, +1); return;
      case ExprKind::String:
      case ExprKind::Symbol: {
        const std::string& s = strs.emplace_back(e.text);
        emit(OpCode::Const, constant(Value::str(s, e.kind == ExprKind::Symbol)), 0, e.span, +1);
        return;
      }
      case ExprKind::List:
        for (const auto& k : e.kids) expr(*k);
        emit(OpCode::MakeList, static_cast<uint32_t>(e.kids.size()), 0, e.span, 1 - static_cast<int>(e.kids.size()));
        return;
      case ExprKind::Record: {
        std::vector<size_t> order(e.kids.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return e.names[a] < e.names[b]; });
        for (size_t i : order) expr(*e.kids[i]);
        emit(OpCode::MakeRecord, static_cast<uint32_t>(e.kids.size()), 0, e.span, 1 - static_cast<int>(e.kids.size()));
        return;
      }
      case ExprKind::Path: path(e); return;
      case ExprKind::Field:
        expr(*e.kids[0]);
        fields(e, 0, e.checked.field_indices);
        return;
      case ExprKind::Index: {
        for (const auto& k : e.kids) expr(*k);
        int nkeys = static_cast<int>(e.kids.size()) - 1;
        if (e.kids[0]->checked.type->kind == dsl::Kind::List)
          emit(OpCode::IndexList, 0, 0, e.span, -1);
        else
          emit(OpCode::IndexTable, static_cast<uint32_t>(nkeys), 0, e.span, -nkeys);
        return;
      }
      case ExprKind::Call:
        if (e.checked.ref == RefKind::Function)
          call_function(e);
        else
          call_builtin(e);
        return;
      case ExprKind::Lambda: return;  // only inside call_builtin
      case ExprKind::Unary:
        expr(*e.kids[0]);
        emit(e.op == Op::Neg ? OpCode::Neg : OpCode::Not, 0, 0, e.span, 0);
        return;
      case ExprKind::Binary: binary(e); return;
      case ExprKind::Coalesce: {
        size_t t = emit(OpCode::TryBegin, 0, 0, e.span, 0);
        handlers++;
        max_handlers = std::max(max_handlers, handlers);
        expr(*e.kids[0]);
        handlers--;
        emit(OpCode::TryEnd, 0, 0, e.span, 0);
        size_t j = emit(OpCode::Jump, 0, 0, e.span, 0);
        patch_a(t, here());
        depth--;  // the handler starts with the stack as it was at TryBegin
        expr(*e.kids[1]);
        patch_a(j, here());
        return;
      }
      case ExprKind::If: {
        Jumps jf = branch_unless(*e.kids[0]);
        expr(*e.kids[1]);
        size_t j = emit(OpCode::Jump, 0, 0, e.span, 0);
        patch_all(jf, here());
        depth--;
        expr(*e.kids[2]);
        patch_a(j, here());
        return;
      }
      case ExprKind::Case: {
        std::vector<size_t> to_end;
        for (size_t i = 0; i + 1 < e.kids.size(); i += 2) {
          Jumps jf = branch_unless(*e.kids[i]);
          expr(*e.kids[i + 1]);
          to_end.push_back(emit(OpCode::Jump, 0, 0, e.span, 0));
          depth--;
          patch_all(jf, here());
        }
        expr(*e.kids.back());
        for (size_t j : to_end) patch_a(j, here());
        return;
      }
      case ExprKind::Let:
        for (size_t i = 0; i < e.names.size(); ++i) {
          expr(*e.kids[i]);
          emit(OpCode::Store, slot_base + static_cast<uint32_t>(e.checked.field_indices[i]), 0, e.name_spans[i], -1);
        }
        expr(*e.kids.back());
        return;
    }
  }

  // The parameter `e` reads whole (`param.x`, not a field of it), or -1; its index fits an
  // instruction's 16-bit flags (a trace records it from there).
  static int whole_parameter(const Expr& e) {
    bool whole = e.kind == ExprKind::Path && e.checked.ref == RefKind::Parameter && e.checked.field_indices.empty() &&
                 e.checked.index < 65535;
    return whole ? e.checked.index : -1;
  }

  // Emits both operands of a binary operator, except a constant right operand (a literal, or a
  // parameter folded to its value), which the operator reads from the constant pool itself:
  // one instruction fewer. Returns the constant's index and parameter (or -1).
  std::pair<int, int> operands(const Expr& e) {
    expr(*e.kids[0]);
    const Expr& rhs = *e.kids[1];
    int const_index = -1, param = -1;
    bool comparison = e.op >= Op::Eq && e.op <= Op::Ge;
    if (rhs.kind == ExprKind::Number || rhs.kind == ExprKind::Money) {
      const_index = static_cast<int>(constant(Value::num(rhs.number, rhs.kind == ExprKind::Money)));
    } else if (comparison && (rhs.kind == ExprKind::String || rhs.kind == ExprKind::Symbol || rhs.kind == ExprKind::Bool)) {
      // m.kind == "proportion": the literal is the comparison's constant operand.
      const_index = static_cast<int>(constant(rhs.kind == ExprKind::Bool ? Value::boolean(rhs.flag)
                                                                          : Value::str(strs.emplace_back(rhs.text),
                                                                                       rhs.kind == ExprKind::Symbol)));
    } else if (int q = whole_parameter(rhs); q >= 0 && dsl::is_numeric(rhs.checked.type)) {
      param = q;
      const_index = static_cast<int>(param_const[param]);
    }
    if (const_index < 0) expr(rhs);
    return {const_index, param};
  }

  // Jumps whose target is patched later (all to the same place).
  using Jumps = std::vector<size_t>;
  void patch_all(const Jumps& jumps, uint32_t target) {
    for (size_t at : jumps) patch_a(at, target);
  }
  static bool is_logical(const Expr& e, Op op) { return e.kind == ExprKind::Binary && e.op == op; }

  // Code that jumps when `cond` is `when` (false for branch_unless, true for branch_if) and falls
  // through otherwise, leaving nothing on the stack. `and`, `or` and `not` become control flow
  // instead of booleans pushed and tested again; a comparison becomes one JumpUnless.
  Jumps branch(const Expr& cond, bool when) {
    // `a and b` jumps when false if either is false; `a or b` likewise when true (the same with
    // the roles swapped). Otherwise the left one decides only to fall through to the right one.
    if (is_logical(cond, Op::And) || is_logical(cond, Op::Or)) {
      bool either = is_logical(cond, Op::Or) == when;
      if (either) {
        Jumps out = branch(*cond.kids[0], when);
        Jumps right = branch(*cond.kids[1], when);
        out.insert(out.end(), right.begin(), right.end());
        return out;
      }
      Jumps past = branch(*cond.kids[0], !when);
      Jumps out = branch(*cond.kids[1], when);
      patch_all(past, here());
      return out;
    }
    if (cond.kind == ExprKind::Unary && cond.op == Op::Not) return branch(*cond.kids[0], !when);
    if (cond.kind == ExprKind::Binary && cond.op >= Op::Eq && cond.op <= Op::Ge) {
      // Jump if it holds = jump unless its negation holds (comparison is a total order).
      static constexpr Comparison kNegation[6] = {Comparison::Ne, Comparison::Eq, Comparison::Ge,
                                                  Comparison::Gt, Comparison::Le, Comparison::Lt};
      auto comparison = static_cast<int>(cond.op) - static_cast<int>(Op::Eq);
      return {compare_and_jump(cond, when ? kNegation[comparison] : static_cast<Comparison>(comparison))};
    }
    expr(cond);
    return {emit(when ? OpCode::JumpIfTrue : OpCode::JumpIfFalse, 0, 0, cond.span, -1)};
  }
  Jumps branch_unless(const Expr& cond) { return branch(cond, false); }
  Jumps branch_if(const Expr& cond) { return branch(cond, true); }
  // Both operands of `cond`, then a JumpUnless on `comparison` (a target patched later).
  size_t compare_and_jump(const Expr& cond, Comparison comparison) {
    auto [const_index, param] = operands(cond);
    bool k = const_index >= 0;
    size_t at = emit(OpCode::JumpUnless, 0, k ? static_cast<uint32_t>(const_index) : 0, cond.span, k ? -1 : -2,
                     static_cast<uint8_t>((k ? kConstOperand : 0) | (static_cast<uint8_t>(comparison) << 1)));
    code[at].flags = static_cast<uint16_t>(param + 1);
    return at;
  }

  void binary(const Expr& e) {
    if (e.op == Op::And || e.op == Op::Or) {
      // The left operand as control flow; the right one's value is the result when it decides.
      bool is_and = e.op == Op::And;
      Jumps decided = is_and ? branch_unless(*e.kids[0]) : branch_if(*e.kids[0]);
      expr(*e.kids[1]);
      size_t j = emit(OpCode::Jump, 0, 0, e.span, 0);
      patch_all(decided, here());
      depth--;
      emit(OpCode::Const, constant(Value::boolean(!is_and)), 0, e.span, +1);
      patch_a(j, here());
      return;
    }
    auto [const_index, param] = operands(e);
    OpCode op = OpCode::Add;
    switch (e.op) {
      case Op::Add: op = OpCode::Add; break;
      case Op::Sub: op = OpCode::Sub; break;
      case Op::Mul: op = OpCode::Mul; break;
      case Op::Div: op = OpCode::Div; break;
      case Op::Eq: op = OpCode::Eq; break;
      case Op::Ne: op = OpCode::Ne; break;
      case Op::Lt: op = OpCode::Lt; break;
      case Op::Le: op = OpCode::Le; break;
      case Op::Gt: op = OpCode::Gt; break;
      case Op::Ge: op = OpCode::Ge; break;
      default: break;
    }
    if (const_index >= 0)
      emit(op, static_cast<uint32_t>(param + 1), static_cast<uint32_t>(const_index), e.span, 0, kConstOperand);
    else
      emit(op, 0, 0, e.span, -1);
  }
};

}  // namespace

Program Planner::plan(const Policy& policy, const dsl::CheckUnit& unit, const dsl::CheckResult& checked) {
  Program p;
  p.policy_name_ = policy.name;
  p.year_ = policy.year;
  p.arithmetic_ = policy.arithmetic;
  p.input_type_ = unit.input;
  p.inputs_ = policy.inputs;
  p.strict_inputs_ = policy.strict_inputs;
  p.locations_.push_back({});  // location 0: none

  std::vector<uint32_t> param_const;
  for (size_t i = 0; i < unit.parameters.size(); ++i) {
    const Parameter& src = policy.parameters[i];
    ProgramParameter pp;
    pp.name = src.name;
    pp.type = src.type;
    pp.doc = src.doc;
    pp.unit = src.unit;
    pp.note = src.note;
    pp.origin = src.origin;
    pp.citations = src.citations;
    pp.where = src.where;
    p.constants_.push_back(constant_value(src.value, src.type, p.strings_, p.arrays_, p.tables_));
    pp.constant = static_cast<uint32_t>(p.constants_.size() - 1);
    param_const.push_back(pp.constant);
    p.parameters_.push_back(std::move(pp));
  }

  Emitter em{p.code_, p.constants_, p.locations_, p.field_names_, p.strings_, unit, checked, param_const, {}};
  std::vector<bool> is_output(unit.definitions.size(), unit.outputs.empty());
  for (const auto& o : unit.outputs)
    for (size_t i = 0; i < unit.definitions.size(); ++i)
      if (unit.definitions[i]->qualified() == o) is_output[i] = true;

  p.definitions_.resize(unit.definitions.size());
  // Code is laid out in dependency order, so the listing reads top-down like the graph.
  for (int i : checked.order) {
    const auto& d = *unit.definitions[i];
    ProgramDefinition& pd = p.definitions_[i];
    pd.name = d.qualified();
    pd.doc = d.doc;
    pd.citations = d.citations;
    pd.note = d.note;
    pd.where = {d.source, d.name_span};
    pd.type = checked.definition_types[i];
    pd.reads_definitions = checked.reads_definitions[i];
    pd.reads_parameters = checked.reads_parameters[i];
    pd.is_output = is_output[i];
    pd.code_begin = static_cast<uint32_t>(p.code_.size());
    em.source = d.expr_source();
    em.depth = 0;
    em.slot_base = 0;
    em.frame_top = static_cast<uint32_t>(checked.definition_locals[i]);
    em.max_frame = std::max(em.max_frame, em.frame_top);
    em.expr(*d.body);
    em.emit(OpCode::Return, 0, 0, d.body->span, -1);
    pd.code_end = static_cast<uint32_t>(p.code_.size());
  }
  fuse_superinstructions(p.code_, p.constants_);
  p.order_ = checked.order;
  for (const auto& d : p.definitions_) p.entries_.push_back(d.code_begin);
  p.max_stack_ = static_cast<uint32_t>(em.max_depth + 2);
  p.max_locals_ = em.max_frame + 1;
  p.max_loops_ = static_cast<uint32_t>(em.max_loops + 1);
  p.max_handlers_ = static_cast<uint32_t>(em.max_handlers + 1);
  p.traced_entries_ = p.entries_;
  fold_constant_definitions(p);
  return p;
}

namespace {

// A value computed in an evaluator's arena, copied into the program's own storage.
Value own_value(const Value& v, std::deque<std::string>& strings, std::deque<std::vector<Value>>& arrays) {
  switch (v.kind) {
    case ValueKind::String:
    case ValueKind::Symbol: return Value::str(strings.emplace_back(v.text()), v.kind == ValueKind::Symbol);
    case ValueKind::List:
    case ValueKind::Record: {
      auto& items = arrays.emplace_back();
      items.reserve(v.size);
      for (uint32_t i = 0; i < v.size; ++i) items.push_back(own_value(v.items[i], strings, arrays));
      Value out = v;
      out.items = items.data();
      return out;
    }
    default: return v;  // numbers, booleans, missing; tables already belong to the program
  }
}

}  // namespace

void Planner::fold_constant_definitions(Program& p) {
  size_t n = p.definitions_.size();
  std::vector<char> constant(n, 0);
  std::vector<int> order;
  for (int d : p.order_) {
    const ProgramDefinition& def = p.definitions_[d];
    bool reads_input = false;
    for (uint32_t pc = def.code_begin; pc < def.code_end && !reads_input; ++pc) {
      const Instr& in = p.code_[pc];
      bool loads_definition = in.op == OpCode::LoadDef || in.op == OpCode::DefIfFalse || in.op == OpCode::DefIfTrue;
      reads_input = in.op == OpCode::Input || in.op == OpCode::InputField || (loads_definition && !constant[in.a]);
    }
    if (reads_input) continue;
    constant[d] = 1;
    order.push_back(d);
  }
  if (order.empty()) return;
  Evaluator evaluator(p);
  Value no_input = Value::record(nullptr, 0);
  const Outcome& outcome = evaluator.evaluate_order(no_input, order, false);
  for (int d : order) {
    if (outcome.state[d] != Outcome::State::Ok) continue;  // reports its error at run time
    uint32_t k = static_cast<uint32_t>(p.constants_.size());
    p.constants_.push_back(own_value(outcome.values[d], p.strings_, p.arrays_));
    uint32_t loc = p.code_[p.definitions_[d].code_begin].loc;
    p.entries_[d] = static_cast<uint32_t>(p.code_.size());
    p.code_.push_back(Instr{OpCode::Const, 0, 0, k, 0, loc});
    p.code_.push_back(Instr{OpCode::Return, 0, 0, 0, 0, loc});
  }
}

}  // namespace merit::engine
