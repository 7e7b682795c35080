// The evaluation graph: a policy compiled once, evaluated many times.
// In:  built by the planner from a checked policy.  Out: read by the interpreter.
// Invariant: immutable after planning, so one Program may be evaluated from many threads at
// once (each with its own Evaluator). Definitions are nodes in dependency order; parameters are
// folded into constants; every name is a slot or an index; there is no AST in here.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "dsl/diagnostic.hpp"
#include "dsl/types.hpp"
#include "engine/policy.hpp"
#include "engine/value.hpp"

namespace merit::engine {

// Instruction set of the interpreter's stack machine, listed once.
#define MERIT_OPCODES(X)                                                                      \
  X(Const)       /* push consts[a] */                                                         \
  X(Param)       /* push consts[a]; parameter b (recorded by traces) */                       \
  X(Input)       /* push the input record */                                                  \
  X(InputField)  /* push field a of the input record; b names it */                           \
  X(LoadDef)     /* push the value of definition a (computed earlier: dependency order) */    \
  X(Local)       /* push locals[a] */                                                         \
  X(Store)       /* pop into locals[a] */                                                     \
  X(Field)       /* pop record, push field a; b names it (for "missing input" errors) */      \
  X(IndexTable)  /* pop a keys and a table, push the row; miss -> R703 */                     \
  X(IndexList)   /* pop index and list, push element */                                       \
  /* Binary operators pop two operands; with mode kConstOperand the right one is consts[b]     */\
  /* instead (a = 1 + the parameter it came from, or 0 for a literal).                          */\
  X(Add) X(Sub) X(Mul) X(Div) X(Neg) X(Not)                                                   \
  X(Eq) X(Ne) X(Lt) X(Le) X(Gt) X(Ge)                                                         \
  X(Jump)        /* pc = a */                                                                 \
  X(JumpIfFalse) /* pop bool; if false pc = a */                                              \
  X(JumpIfTrue)  /* pop bool; if true pc = a (`or` and `not` as control flow) */               \
  X(JumpUnless)  /* compare two operands (mode: kConstOperand | comparison << 1; the right one */\
                 /* consts[b] if constant, from parameter flags - 1 if flags > 0); if the     */\
                 /* comparison is false pc = a: `if x > 100 then` in one instruction          */\
  X(MakeList)    /* pop a values, push a list */                                              \
  X(MakeRecord)  /* pop a values (field order), push a record */                              \
  X(CallBuiltin) /* a = builtin id, b = argument count, mode = rounding mode + 1 or 0 */      \
  X(Round)       /* round the top to a digits (a literal); mode = rounding mode + 1 or 0 */  \
  X(LoopBegin)   /* pop list; mode = loop kind; a = element slot; b = exit pc */              \
  X(LoopNext)    /* pop body value; fold; next element or push result; a = slot, b = body pc */\
  X(TryBegin)    /* push a handler at pc a for missing values and table misses (??) */        \
  X(TryEnd)      /* pop the handler */                                                        \
  X(Return)      /* pop the definition's value */                                             \
  /* Superinstructions (planner's last pass): each does its own work and that of the next      */\
  /* instruction, which stays in place (for jumps to it) and is skipped.                       */\
  X(LocalField)  /* Local flags; Field a (b names it)                                          */\
  X(StoreKeep)   /* Store a; Local a: keep the top and store it                                */\
  X(LocalIfFalse) /* Local a; JumpIfFalse: jump on the local's flag, nothing pushed             */\
  X(LocalIfTrue)  /* Local a; JumpIfTrue                                                        */\
  X(LocalUnless)  /* Local a; JumpUnless with a constant operand: compare the local in place    */\
  X(LocalLocal)   /* Local a; Local (or a Local* above): push both                              */\
  /* A LocalField (its Field skipped too) fused with the instruction after the Field:           */\
  X(FieldIfFalse) /* LocalField; JumpIfFalse: jump on the field's flag, nothing pushed          */\
  X(FieldIfTrue)  /* LocalField; JumpIfTrue                                                     */\
  X(FieldUnless)  /* LocalField; JumpUnless with a constant operand: compare the field in place */\
  X(FieldStore)   /* LocalField; Store: copy the field into a local                             */\
  X(DefIfFalse)   /* LoadDef a; JumpIfFalse: jump on the definition's flag, nothing pushed      */\
  X(DefIfTrue)    /* LoadDef a; JumpIfTrue                                                      */\
  /* A LoopNext of one kind (mode still holds it): no branch on the kind per element.           */\
  X(LoopNextMap) X(LoopNextFilter) X(LoopNextSum) X(LoopNextAny) X(LoopNextAll)                \
  /* The two commonest built-ins, out of CallBuiltin: no branch on the built-in's id.           */\
  X(Count)       /* count(list): pop the list, push its length                                 */\
  X(Contains)    /* contains(list, value): pop both, push whether the list has the value       */\
  X(InputFieldOr) /* TryBegin a; InputField; TryEnd (`input.x ?? fallback`): push the field and   */\
                  /* go on after the TryEnd, or jump to the fallback when it is missing           */

enum class OpCode : uint8_t {
#define MERIT_OP_ENUM(name) name,
  MERIT_OPCODES(MERIT_OP_ENUM)
#undef MERIT_OP_ENUM
};
std::string_view opcode_name(OpCode op);

// Instr::mode of a binary operator whose right operand is a constant (a literal or a parameter).
inline constexpr uint8_t kConstOperand = 1;
// JumpUnless keeps its comparison in mode >> 1, in this order; kComparisonMask[k] has bit 0 set
// if the comparison holds when left < right, bit 1 when equal, bit 2 when left > right.
enum class Comparison : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };
inline constexpr uint8_t kComparisonMask[6] = {0b010, 0b101, 0b001, 0b011, 0b100, 0b110};

// LoopBegin flags. The two body shapes are marked by the planner's last pass: the interpreter
// then runs the whole loop in one step (no dispatch per element) when every element is usual.
inline constexpr uint16_t kLoopMoney = 1;        // the loop's number result is money
inline constexpr uint16_t kLoopFieldBody = 2;    // body: LocalField (element) f; Field; LoopNext
inline constexpr uint16_t kLoopCompareBody = 4;  // body: LocalField f; Field; Eq|Ne literal; LoopNext

// Div by a constant that is a whole power of ten, 10^j (j <= 18): flags = kDivPow10 + j. The
// quotient is then exact at the dividend's scale plus j (a move of the decimal point) whenever
// that is at most the division scale; otherwise the division runs as usual.
inline constexpr uint16_t kDivPow10 = 1;

enum class LoopKind : uint8_t { Map, Filter, Sum, Mean, Count, Any, All, Min, Max, SortAsc, SortDesc, FindIndex };

struct Instr {
  OpCode op;
  uint8_t mode = 0;
  uint16_t flags = 0;  // LoopBegin: kLoopMoney | kLoopFieldBody | kLoopCompareBody; Div: kDivPow10
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t loc = 0;  // index into Program::locations
};

struct ProgramDefinition {
  std::string name;  // qualified
  std::string doc;
  std::vector<std::string> citations;
  std::string note;
  dsl::Location where;
  dsl::Type type;
  uint32_t code_begin = 0;
  uint32_t code_end = 0;
  std::vector<int> reads_definitions;  // static dependencies
  std::vector<int> reads_parameters;
  bool is_output = false;
};

struct ProgramParameter {
  std::string name;
  dsl::Type type;
  uint32_t constant = 0;
  std::string doc, unit, note, origin;
  std::vector<std::string> citations;
  dsl::Location where;
};

class Program {
 public:
  Program() = default;
  Program(Program&&) = default;
  Program& operator=(Program&&) = default;
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  const std::vector<ProgramDefinition>& definitions() const { return definitions_; }
  const std::vector<ProgramParameter>& parameters() const { return parameters_; }
  const std::vector<int>& order() const { return order_; }  // dependencies first
  // First instruction of each definition, in a compact array the interpreter reads per definition:
  // for an untraced evaluation (where a definition folded at compile time is `Const; Return`)
  // and for a traced one (every definition's own code, so a trace shows what it read).
  const std::vector<uint32_t>& entries() const { return entries_; }
  const std::vector<uint32_t>& traced_entries() const { return traced_entries_; }
  // Whether the definition's value was computed once at compile time (it reads no input).
  bool folded(int definition) const { return entries_[definition] != traced_entries_[definition]; }
  const std::vector<Instr>& code() const { return code_; }
  const std::vector<Value>& constants() const { return constants_; }
  const dsl::Location& location(uint32_t i) const { return locations_[i]; }
  const std::string& field_name(uint32_t i) const { return field_names_[i]; }
  const Arithmetic& arithmetic() const { return arithmetic_; }
  const dsl::Type& input_type() const { return input_type_; }
  const std::vector<InputDecl>& inputs() const { return inputs_; }
  const std::string& policy_name() const { return policy_name_; }
  const std::string& year() const { return year_; }
  bool strict_inputs() const { return strict_inputs_; }
  int find_definition(std::string_view name) const;
  int find_parameter(std::string_view name) const;

  // Frame sizes the interpreter pre-allocates once per Evaluator.
  uint32_t max_stack() const { return max_stack_; }
  uint32_t max_locals() const { return max_locals_; }
  uint32_t max_loops() const { return max_loops_; }
  uint32_t max_handlers() const { return max_handlers_; }

  // Definitions `rules` need, with everything they read, in evaluation order.
  std::vector<int> closure(const std::vector<int>& rules) const;
  // Human-readable listing of the compiled code (merit dump-plan, golden tests).
  std::string disassemble() const;

 private:
  friend class Planner;
  std::string policy_name_, year_;
  std::vector<ProgramDefinition> definitions_;
  std::vector<ProgramParameter> parameters_;
  std::vector<int> order_;
  std::vector<uint32_t> entries_, traced_entries_;
  std::vector<Instr> code_;
  std::vector<Value> constants_;
  std::vector<dsl::Location> locations_;
  std::vector<std::string> field_names_;
  Arithmetic arithmetic_;
  dsl::Type input_type_;
  std::vector<InputDecl> inputs_;
  bool strict_inputs_ = true;
  uint32_t max_stack_ = 0, max_locals_ = 0, max_loops_ = 0, max_handlers_ = 0;
  // Storage behind constant strings, lists, records and tables (stable addresses).
  std::deque<std::string> strings_;
  std::deque<std::vector<Value>> arrays_;
  std::deque<TableData> tables_;
};

}  // namespace merit::engine
