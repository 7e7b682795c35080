// Diagnostics: the channel for a policy author's (or input provider's) mistakes.
// They are accumulated, never thrown; a stage that reports "ok" means "could continue",
// not "valid" -- ask Diagnostics::has_errors(). Runtime errors inside a policy are results of
// evaluation (engine/interpreter.hpp, EvalError), rendered through the same Diagnostic type.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/source.hpp"

namespace merit::dsl {

enum class Severity { Error, Warning, Note };

enum class Code {
#define MERIT_CODE(name, code, sev, summary) name,
#include "dsl/diagnostic_codes.def"
#undef MERIT_CODE
};

struct CodeInfo {
  Code code;
  std::string_view id;  // stable, e.g. "E301"
  Severity severity;
  std::string_view summary;
};

const CodeInfo& code_info(Code c);
const std::vector<CodeInfo>& all_codes();
std::string_view severity_name(Severity s);

struct Diagnostic {
  struct Note {
    Location where;  // may be invalid: then it is a free-standing note
    std::string message;
  };
  Code code{};
  Severity severity = Severity::Error;
  Location where;
  std::string message;
  std::string help;  // how to fix it; shown as "= help: ..."
  std::vector<Note> notes;
};

// A sorted, bounded collection. Stops recording errors past `error_limit` (and says so once).
class Diagnostics {
 public:
  explicit Diagnostics(size_t error_limit = 50) : error_limit_(error_limit) {}

  Diagnostic& add(Code code, Location where, std::string message, std::string help = {});
  void append(const Diagnostics& other);

  bool has_errors() const { return errors_ > 0; }
  size_t error_count() const { return errors_; }
  size_t warning_count() const { return warnings_; }
  bool truncated() const { return truncated_; }
  const std::vector<Diagnostic>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

  // Sort by file, then place, then code: the order they are shown in.
  void sort();
  // Everything, rendered with source lines and carets, plus a one-line summary.
  std::string render(bool color = false) const;

 private:
  std::vector<Diagnostic> items_;
  Diagnostic overflow_sink_;
  size_t error_limit_;
  size_t errors_ = 0;
  size_t warnings_ = 0;
  bool truncated_ = false;
};

// One diagnostic: "file:line:col: error[E301]: message", the source line, a caret under the span.
std::string render(const Diagnostic& d, bool color = false);

// The closest candidate by edit distance, or "" when none is close enough.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace merit::dsl
