// The semantic diff of two policies (docs/diff.md): what changed between two loaded and compiled
// program years -- parameters, rules, reference tables -- and, over a set of case files, what the
// change does to each clinician's score, with the change of the final score attributed exactly to
// each changed parameter, table and rule.
// In:  two CompiledPolicy values (each compiled without errors); optionally case files.
// Out: a StaticDiff / Behaviour made of plain strings and exact decimals, rendered as a terminal
//      view, a markdown memo or JSON.
// Invariant: the diff compares the policies the loader and checker produced (values, types and
// checked expression trees), never their text; the parts of an attribution sum exactly to the
// total change (decimal arithmetic, no doubles).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dsl/decimal.hpp"
#include "dsl/diagnostic.hpp"
#include "engine/compiler.hpp"
#include "engine/input.hpp"

namespace merit::engine::diff {

enum class Change { Added, Removed, Changed };
std::string_view change_name(Change c);  // "added", "removed", "changed"

// One side of a parameter (or of a table's metadata).
struct ParamSide {
  std::string value, type, unit, doc, note;
  std::vector<std::string> citations;
};

struct ParamDiff {
  std::string name;
  Change change = Change::Changed;
  std::optional<ParamSide> before, after;
  std::vector<std::string> fields;  // Changed: which of value, type, unit, cite, doc, note differ
  bool value_changed() const;       // value or type (what changes a score)
};

struct ColumnChange {
  std::string column, before, after;
};
struct RowChange {
  std::vector<std::string> key;           // display text of each key column, in key order (B's)
  std::vector<std::string> renamed_from;  // A's key, when the row was matched through an id alias
  std::vector<ColumnChange> columns;
};
struct BoolFlips {
  std::string column;
  size_t to_true = 0, to_false = 0;
};

// A table parameter, row by row: rows are matched by the table's key columns (and, for a one-column
// key, through the submission format's id_prefix_aliases: 2017's ACI_EP_1 is 2018's PI_EP_1).
struct TableDiff {
  std::string name;
  Change change = Change::Changed;
  std::vector<std::string> key_before, key_after;  // key columns
  size_t rows_before = 0, rows_after = 0;
  std::vector<std::vector<std::string>> added, removed;  // keys
  std::vector<RowChange> changed;                        // rows whose columns differ, or that were renamed
  size_t renamed = 0;                                    // rows matched through the submission's id_prefix_aliases
  std::vector<std::string> columns_added, columns_removed;
  std::vector<ColumnChange> columns_retyped;                // column, old type, new type
  std::vector<std::pair<std::string, size_t>> per_column;   // column -> rows changed there (column order)
  std::vector<BoolFlips> flips;                             // bool columns: rows that became true / false
  std::vector<std::string> meta_fields;                     // cite, doc, note
  ParamSide meta_before, meta_after;                        // value left empty
  bool key_changed() const { return change == Change::Changed && key_before != key_after; }
  bool rows_changed() const;  // rows, columns or key differ (what changes a score)
  std::string noun() const;   // "measures", "activities", "benchmarks", "rows" (presentation only)
};

// A definition or a function.
struct DefDiff {
  std::string name, module;
  bool function = false;
  Change change = Change::Changed;
  bool logic_changed = false;
  std::string type_before, type_after;  // the checker's type (functions: the signature)
  std::string before, after;            // whole expressions; differing parts between kMarkOpen/kMarkClose
  std::vector<std::pair<std::string, std::string>> parts;  // each smallest differing pair (unmarked; "": nothing on that side)
  std::vector<std::string> reads_added, reads_removed;     // "input.x", "param.y", "module.def"
  std::vector<std::string> citations_before, citations_after;
  std::string doc_before, doc_after, note_before, note_after;
  bool citations_changed() const { return citations_before != citations_after; }
  bool doc_changed() const { return doc_before != doc_after; }
  bool note_changed() const { return note_before != note_after; }
  bool type_changed() const { return change == Change::Changed && type_before != type_after; }
};

// Settings, inputs and the like: one line each.
struct ItemDiff {
  std::string what;  // "arithmetic.division_scale", "input.rural", "outputs", "submission"
  Change change = Change::Changed;
  std::string before, after;
};

// A definition, function or parameter whose type differs: the two rule sets cannot be aligned
// name by name there (a rule reading it may need to change with it).
struct Misalignment {
  std::string kind;  // "definition", "function", "parameter"
  std::string name, before, after;
};

struct PolicyLabel {
  std::string label;  // as the user named it: "2018", "policies/2018"
  std::string name, year;
};

struct StaticDiff {
  PolicyLabel a, b;
  std::vector<ItemDiff> settings;  // arithmetic, submission, outputs
  std::vector<ItemDiff> inputs;
  std::vector<ParamDiff> parameters;  // not tables; by name
  std::vector<TableDiff> tables;      // by name
  std::vector<DefDiff> definitions;   // by name
  std::vector<DefDiff> functions;     // by name
  std::vector<Misalignment> misaligned;
  bool empty() const;
};

// Compares two compiled policies. Both must be fresh from compile_policy (their trees checked
// against their own policy: the comparison reads each tree's resolved references).
StaticDiff compare(const CompiledPolicy& a, const CompiledPolicy& b, PolicyLabel la, PolicyLabel lb);

// --only params|rules|data and --module NAME.
struct Filter {
  bool params = true, rules = true, data = true;
  std::string module;  // definitions and functions of this module; parameters and tables named "<module>."
  bool selects_all() const { return params && rules && data && module.empty(); }
};
// Parses "params", "rules", "data" (or comma lists of them); false and a message on an unknown word.
bool parse_only(const std::vector<std::string>& words, Filter& f, std::string& error);
StaticDiff filtered(const StaticDiff& d, const Filter& f);

// ---- behaviour: scores of case files under both policies, and the attribution ----

// One step of the attribution: the changes applied together (usually one; several when a change
// does not compile without the next ones).
struct Step {
  std::vector<std::string> changes;  // "param payment.performance_threshold", "def quality.score"...
  std::string note;                  // why changes were merged, when they were
  std::string label() const;
};

struct Metric {
  std::string name;                  // final.score, quality.percent, ...
  std::optional<dsl::Decimal> a, b;  // absent: no such rule, or it failed
  std::string a_text, b_text;        // value, "-" (no rule) or the error code
};

struct Crossing {
  std::string threshold;  // "performance", "exceptional"
  std::string param;      // payment.performance_threshold ...
  std::optional<dsl::Decimal> a_threshold, b_threshold;
  std::optional<bool> a_at_or_above, b_at_or_above;
  int direction() const;  // +1 below -> at or above; -1 the other way; 0 no crossing (or unknown)
};

struct CaseDiff {
  std::string id, file;
  std::string error;  // the case could not be scored under A or B (then nothing else is set)
  std::vector<Metric> metrics;
  std::vector<Crossing> crossings;
  std::optional<dsl::Decimal> delta;               // final.score B - A
  std::vector<dsl::Decimal> contributions;         // per step; sums to delta
  std::optional<dsl::Decimal> adjustment_delta;    // payment.adjustment B - A, when both policies have it
  std::vector<dsl::Decimal> adjustment_contributions;  // per step; sums to adjustment_delta
  std::vector<std::string> notes;                  // steps whose score failed (carried over)
};

struct Behaviour {
  std::vector<Step> steps;
  std::vector<CaseDiff> cases;
  size_t skipped = 0;  // bad-input cases (expected_error) left out
  std::vector<std::string> skipped_files;
};

// The rules reported per case (metrics).
extern const std::vector<std::string> kCaseMetrics;
// The rules whose change is attributed: final.score (which every case needs) and
// payment.adjustment (when both policies have it).
extern const std::vector<std::string> kAttributed;

// One change of the attribution: its label ("param payment.performance_threshold") and how it
// turns a copy of A's policy one step nearer B's.
struct ChangeItem {
  std::string label;
  std::function<void(Policy&)> apply;
};
// The changes `d` reports that can move a score, in the attribution order (engine/diff/
// behaviour.cpp states it; docs/diff.md). `b` is the policy `d` was computed against; the items
// refer into it, so it must outlive them.
std::vector<ChangeItem> change_items(const CompiledPolicy& b, const StaticDiff& d);

// The thresholds whose crossings `merit diff --cases` and `merit impact` report: a label and
// the policy parameter that holds the threshold (a policy without it has no such crossing).
struct ThresholdParameter {
  std::string label, param;
};
const std::vector<ThresholdParameter>& threshold_parameters();

// For scoring a case under another year's policy: sets the submission's performanceYear (also
// inside the API's {"data": {"submission": ...}}) to `year`, which the submission reader checks.
void set_performance_year(Document& submission, const std::string& year);

// Scores each case file under A and B and attributes the changes of final.score and
// payment.adjustment (engine/diff/behaviour.cpp states the order of the steps). `a` and `b` must be
// the policies `d` was computed from, unfiltered; their trees are re-checked along the way, so
// compute the static diff first. A case that cannot be read or scored is reported in its CaseDiff.
Behaviour compare_cases(const CompiledPolicy& a, const CompiledPolicy& b, const StaticDiff& d,
                        const std::vector<std::filesystem::path>& case_files);

// ---- rendering ----

struct RenderOptions {
  bool color = false;  // ANSI colours (terminal view only)
  bool list = false;   // list every added, removed and changed row of every table
  Filter filter;       // shown in the header when it selects less than everything
  int heading = 1;     // markdown: level of the memo's title (its sections are one deeper)
};

std::string render_text(const StaticDiff& d, const Behaviour* cases, const RenderOptions& o);
std::string render_markdown(const StaticDiff& d, const Behaviour* cases, const RenderOptions& o);
std::string render_json(const StaticDiff& d, const Behaviour* cases, const RenderOptions& o);

// Exact decimal helpers shared by the renderers.
std::string signed_text(const dsl::Decimal& d);  // "+2.5", "-1", "0"
dsl::Decimal sum(const std::vector<dsl::Decimal>& xs);

}  // namespace merit::engine::diff
