// Interpreter: Program + input -> a value (or a located runtime error) per definition.
// In:  an immutable Program and an input record bound into this Evaluator's arena.
// Out: an Outcome that lives until the next evaluate() on the same Evaluator.
// Invariant: an Evaluator pre-allocates its stacks from the Program's frame sizes and resets
// its arena between inputs, so evaluating an input does not allocate once warmed up (except to
// record errors or a trace). Use one Evaluator per thread; the Program is shared read-only.
#pragma once

#include <string>
#include <vector>

#include "dsl/diagnostic.hpp"
#include "engine/program.hpp"

namespace merit::engine {

// A runtime error inside a policy: coded and located, never a crash.
struct EvalError {
  dsl::Code code;
  dsl::Location where;
  std::string message;
  int definition = -1;          // where it happened
  dsl::Code root_code;          // for R706: the code of the error that started the chain
  int root_definition = -1;
};

// "Why": for each definition evaluated, what it actually read (in the order it read them).
struct TraceStep {
  int definition = -1;
  std::vector<int> definitions_read;
  std::vector<int> parameters_read;
  std::vector<int> inputs_read;  // top-level input fields (indices into Program::input_type())
};
struct Trace {
  std::vector<TraceStep> steps;  // in evaluation order
};

struct EvalOptions {
  bool trace = false;
  std::vector<int> rules;  // empty: every definition
};

struct Outcome {
  enum class State : uint8_t { NotEvaluated, Ok, Failed };
  std::vector<State> state;       // per definition
  std::vector<Value> values;      // per definition (valid when Ok)
  std::vector<int> error_of;      // per definition: index into errors, or -1
  std::vector<EvalError> errors;
  Trace trace;                    // filled when EvalOptions::trace
  Value input;                    // the input evaluated (valid as long as the values)
  bool ok() const { return errors.empty(); }
};

class Evaluator {
 public:
  explicit Evaluator(const Program& program);

  // Evaluates the requested definitions (and what they read) against `input`, a record value
  // made by bind_input() in this evaluator's arena(). Returns a reference into this Evaluator.
  const Outcome& evaluate(const Value& input, const EvalOptions& options = {});
  // Evaluation order for `rules` can be computed once and reused across inputs.
  const Outcome& evaluate_order(const Value& input, const std::vector<int>& order, bool trace);

  // Memory for the input: reset() it, then bind the next input into it with bind_input().
  // Evaluating the same input again reuses the memory of its previous evaluation.
  Arena& arena() { return arena_; }
  const Program& program() const { return program_; }

 private:
  // The hot loop keeps the instruction pointer and the stack top in registers; everything that
  // is rare (errors, look-ups, built-ins, loops, ?? handlers) is a `Step` function out of line.
  struct Step {
    const Instr* ip;  // next instruction
    Value* top;       // one past the top of the stack
    bool ok;          // false: the definition failed (the error is recorded)
  };
  template <bool kTrace>
  void run(const std::vector<int>& order);
  Step cold(const Instr& in, const Instr* ip, Value* top);
  Step raise(dsl::Code code, const Instr& in, std::string message, const Instr* ip, Value* top);
  // If a ?? handler of this definition takes `code`, unwinds to it and returns true.
  bool handled(dsl::Code code, Step& resume);
  Step load_failed_definition(const Instr& in, const Instr* ip, Value* top);
  // A loop marked kLoopFieldBody or kLoopCompareBody, in one step: replaces the list on top
  // with the result. False, having changed nothing, when an element or a sum is unusual (the
  // loop then runs instruction by instruction and reports it).
  bool fused_loop(const Instr& begin, Value* top);
  void fail(dsl::Code code, uint32_t loc, std::string message);

  struct Loop {
    const Value* items;
    uint32_t size;
    uint32_t index;
    Value acc;
    Value* out;
    uint32_t out_size;
    Value* keys;  // sort keys
  };
  struct Handler {
    const Instr* ip;
    Value* top;
    uint32_t loop_depth;
  };

  const Program& program_;
  Arena arena_;
  Outcome outcome_;
  std::vector<Value> stack_;
  std::vector<Value> locals_;
  std::vector<Loop> loops_;
  std::vector<Handler> handlers_;
  uint32_t nloops_ = 0;
  uint32_t nhandlers_ = 0;
  Value input_;
  Arena::Mark eval_mark_;  // the arena as it was before this input's first evaluation
  bool has_mark_ = false;
  int current_ = -1;
  // Root cause of a failed dependency being read (for R706 and for ?? to see through it).
  dsl::Code root_code_{};
  int root_definition_ = -1;
};

}  // namespace merit::engine
