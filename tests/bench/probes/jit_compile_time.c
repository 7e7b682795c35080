/* How long GCC's JIT library takes to compile one function the size of a year's plan: decision
   support for a compiled tier (docs/population.md, "Where this leaves the target"). Not built by
   CMake and not part of the product. By hand, on Debian 12:
     apt-get install libgccjit-12-dev
     gcc -O2 tests/bench/probes/jit_compile_time.c -o jit_probe -lgccjit
     ./jit_probe 2500 2      (statements, optimisation level)
   The function is n statements over a 64-bit accumulator, every fourth a branch. A typed plan's
   decimal arithmetic would be several statements per operation, so this is a lower bound. */
#include <libgccjit.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2500, opt = argc > 2 ? atoi(argv[2]) : 2;
  double t0 = now();
  gcc_jit_context* c = gcc_jit_context_acquire();
  gcc_jit_context_set_int_option(c, GCC_JIT_INT_OPTION_OPTIMIZATION_LEVEL, opt);
  gcc_jit_type* i64 = gcc_jit_context_get_type(c, GCC_JIT_TYPE_LONG_LONG);
  gcc_jit_type* pi64 = gcc_jit_type_get_pointer(i64);
  gcc_jit_param* p = gcc_jit_context_new_param(c, NULL, pi64, "in");
  gcc_jit_function* f = gcc_jit_context_new_function(c, NULL, GCC_JIT_FUNCTION_EXPORTED, i64, "plan", 1, &p, 0);
  gcc_jit_block* b = gcc_jit_function_new_block(f, "entry");
  gcc_jit_lvalue* acc = gcc_jit_function_new_local(f, NULL, i64, "acc");
  gcc_jit_block_add_assignment(b, NULL, acc, gcc_jit_context_zero(c, i64));
  /* n statements: every fourth a branch (a `when`), the rest loads, multiplies and adds. */
  for (int i = 0; i < n; ++i) {
    gcc_jit_rvalue* x = gcc_jit_lvalue_as_rvalue(gcc_jit_context_new_array_access(c, NULL, gcc_jit_param_as_rvalue(p), gcc_jit_context_new_rvalue_from_int(c, i64, i % 64)));
    if (i % 4 == 3) {
      gcc_jit_block* then_b = gcc_jit_function_new_block(f, NULL);
      gcc_jit_block* next_b = gcc_jit_function_new_block(f, NULL);
      gcc_jit_rvalue* cond = gcc_jit_context_new_comparison(c, NULL, GCC_JIT_COMPARISON_GT, x, gcc_jit_context_new_rvalue_from_int(c, i64, i));
      gcc_jit_block_end_with_conditional(b, NULL, cond, then_b, next_b);
      gcc_jit_block_add_assignment_op(then_b, NULL, acc, GCC_JIT_BINARY_OP_PLUS, gcc_jit_context_new_rvalue_from_int(c, i64, i));
      gcc_jit_block_end_with_jump(then_b, NULL, next_b);
      b = next_b;
    } else {
      gcc_jit_rvalue* m = gcc_jit_context_new_binary_op(c, NULL, GCC_JIT_BINARY_OP_MULT, i64, x, gcc_jit_context_new_rvalue_from_int(c, i64, i + 1));
      gcc_jit_block_add_assignment_op(b, NULL, acc, GCC_JIT_BINARY_OP_PLUS, m);
    }
  }
  gcc_jit_block_end_with_return(b, NULL, gcc_jit_lvalue_as_rvalue(acc));
  double t1 = now();
  gcc_jit_result* r = gcc_jit_context_compile(c);
  double t2 = now();
  long long (*fn)(long long*) = (long long (*)(long long*))gcc_jit_result_get_code(r, "plan");
  long long in[64]; for (int i = 0; i < 64; ++i) in[i] = i * 37;
  printf("n=%d -O%d: build %.1f ms, compile %.1f ms, result %lld\n", n, opt, (t1 - t0) * 1e3, (t2 - t1) * 1e3, fn ? fn(in) : -1);
  gcc_jit_result_release(r);
  gcc_jit_context_release(c);
  return 0;
}
