#include "engine/program.hpp"

#include <fmt/format.h>

namespace merit::engine {

std::string_view opcode_name(OpCode op) {
  switch (op) {
#define MERIT_OP_NAME(name) \
  case OpCode::name: return #name;
    MERIT_OPCODES(MERIT_OP_NAME)
#undef MERIT_OP_NAME
  }
  return "?";
}

int Program::find_definition(std::string_view name) const {
  for (size_t i = 0; i < definitions_.size(); ++i)
    if (definitions_[i].name == name) return static_cast<int>(i);
  return -1;
}

int Program::find_parameter(std::string_view name) const {
  for (size_t i = 0; i < parameters_.size(); ++i)
    if (parameters_[i].name == name) return static_cast<int>(i);
  return -1;
}

std::vector<int> Program::closure(const std::vector<int>& rules) const {
  std::vector<bool> need(definitions_.size(), false);
  std::vector<int> work(rules.begin(), rules.end());
  while (!work.empty()) {
    int d = work.back();
    work.pop_back();
    if (need[d]) continue;
    need[d] = true;
    for (int x : definitions_[d].reads_definitions) work.push_back(x);
  }
  std::vector<int> out;
  for (int d : order_)
    if (need[d]) out.push_back(d);
  return out;
}

std::string Program::disassemble() const {
  std::string s = fmt::format("program {} ({} definitions, {} instructions, {} constants)\n", policy_name_,
                              definitions_.size(), code_.size(), constants_.size());
  s += fmt::format("frames: stack {}, locals {}, loops {}, handlers {}\n", max_stack_, max_locals_, max_loops_,
                   max_handlers_);
  for (int i : order_) {
    const auto& d = definitions_[i];
    s += fmt::format("\n{}: {}{}{}\n", d.name, dsl::to_string(d.type), d.is_output ? "  (output)" : "",
                     folded(i) ? fmt::format("  (folded at compile time: {})", to_string(constants_[code_[entries_[i]].a], d.type))
                               : std::string());
    for (uint32_t pc = d.code_begin; pc < d.code_end; ++pc) {
      const Instr& in = code_[pc];
      std::string arg;
      switch (in.op) {
        case OpCode::Const: arg = to_string(constants_[in.a]); break;
        case OpCode::Param: arg = fmt::format("{} = {}", parameters_[in.b].name, to_string(constants_[in.a])); break;
        case OpCode::LoadDef:
        case OpCode::DefIfFalse:
        case OpCode::DefIfTrue: arg = definitions_[in.a].name; break;
        case OpCode::Field:
        case OpCode::InputField: arg = fmt::format("#{} {}", in.a, field_names_[in.b]); break;
        case OpCode::Local:
        case OpCode::Store:
        case OpCode::StoreKeep:
        case OpCode::LocalIfFalse:
        case OpCode::LocalIfTrue:
        case OpCode::LocalUnless:
        case OpCode::LocalLocal: arg = fmt::format("slot {}", in.a); break;
        case OpCode::LocalField:
        case OpCode::FieldIfFalse:
        case OpCode::FieldIfTrue:
        case OpCode::FieldUnless:
        case OpCode::FieldStore: arg = fmt::format("slot {} #{} {}", in.flags, in.a, field_names_[in.b]); break;
        case OpCode::JumpUnless: {
          static const char* names[] = {"==", "!=", "<", "<=", ">", ">="};
          std::string rhs = (in.mode & kConstOperand)
                                ? (in.flags ? fmt::format("{} = {}", parameters_[in.flags - 1].name, to_string(constants_[in.b]))
                                            : to_string(constants_[in.b]))
                                : "top";
          arg = fmt::format("unless {} {} -> {}", names[in.mode >> 1], rhs, in.a - d.code_begin);
          break;
        }
        case OpCode::Jump:
        case OpCode::JumpIfFalse:
        case OpCode::JumpIfTrue:
        case OpCode::TryBegin:
        case OpCode::InputFieldOr: arg = fmt::format("-> {}", in.a - d.code_begin); break;
        case OpCode::LoopBegin:
          arg = fmt::format("kind {} slot {} exit -> {}{}", in.mode, in.a, in.b - d.code_begin,
                            in.flags & kLoopFieldBody     ? " (fused: field body)"
                            : in.flags & kLoopCompareBody ? " (fused: compare body)"
                                                          : "");
          break;
        case OpCode::LoopNext:
        case OpCode::LoopNextMap:
        case OpCode::LoopNextFilter:
        case OpCode::LoopNextSum:
        case OpCode::LoopNextAny:
        case OpCode::LoopNextAll: arg = fmt::format("kind {} slot {} body -> {}", in.mode, in.a, in.b - d.code_begin); break;
        case OpCode::CallBuiltin: arg = fmt::format("#{} argc {}", in.a, in.b); break;
        case OpCode::Round:
          arg = fmt::format("{} digits{}{}", in.a,
                            in.flags ? fmt::format(" ({})", parameters_[in.flags - 1].name) : "",
                            in.mode ? fmt::format(", {}", dsl::rounding_name(static_cast<dsl::Rounding>(in.mode - 1))) : "");
          break;
        case OpCode::MakeList:
        case OpCode::MakeRecord:
        case OpCode::IndexTable: arg = fmt::format("{}", in.a); break;
        default:
          if (in.mode == kConstOperand && in.op >= OpCode::Add && in.op <= OpCode::Ge)
            arg = in.a ? fmt::format("{} = {}", parameters_[in.a - 1].name, to_string(constants_[in.b]))
                       : to_string(constants_[in.b]);
          if (in.op == OpCode::Div && in.flags >= kDivPow10) arg += " (moves the point)";
          break;
      }
      s += fmt::format("  {:4} {:<12} {}\n", pc - d.code_begin, opcode_name(in.op), arg);
    }
  }
  return s;
}

}  // namespace merit::engine
