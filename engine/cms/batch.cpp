#include "engine/cms/batch.hpp"

#include <algorithm>
#include <atomic>
#include <istream>
#include <ostream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/cms/case_file.hpp"
#include "engine/cms/fast_case.hpp"
#include "engine/cms/submission.hpp"
#include "engine/input.hpp"
#include "engine/interpreter.hpp"

namespace merit::engine::cms {

const std::vector<std::string>& batch_columns() {
  static const std::vector<std::string> columns = {
      "eligibility.eligible",   "eligibility.exclusion", "eligibility.small_practice", "weights.quality",
      "weights.cost",           "weights.ia",            "weights.aci",                "quality.percent",
      "cost.percent",           "ia.percent",            "aci.percent",                "final.small_practice_bonus",
      "final.complex_patient_bonus", "final.score",      "payment.adjustment"};
  return columns;
}

namespace {

// A value as a JSON/CSV cell: exact decimals as text, booleans, quoted strings.
std::string cell(const Value& v, bool csv) {
  switch (v.kind) {
    case ValueKind::Bool: return v.flag ? "true" : "false";
    case ValueKind::Number:
    case ValueKind::Money: return v.number.normalized().to_string();
    case ValueKind::String:
    case ValueKind::Symbol: {
      std::string s(v.text());
      if (!csv) return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (s.find_first_of(",\"\n") == std::string::npos) return s;
      std::string q = "\"";
      for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
      return q + "\"";
    }
    default: return csv ? "" : "null";
  }
}

struct Worker {
  const CompiledPolicy& policy;
  const MeasureIndex& index;
  const std::vector<int>& order;
  const std::vector<std::pair<std::string, int>>& columns;  // name, definition
  Evaluator evaluator;

  FastCaseReader fast;

  // The line's input record, case id and Part B amount: through the fast reader, or, when it
  // declines, the reference path (which reports what is wrong). False with the problems.
  bool bind_line(const std::string& line, size_t line_no, const std::string& input_name, Value& input,
                 std::string& id, std::string& paid, std::string& error) {
    id = fmt::format("line{}", line_no);
    evaluator.arena().reset();
    if (fast.read(line, evaluator.arena(), input, id, paid)) return true;
    dsl::Diagnostics diags;
    auto source = dsl::Source::from_text(fmt::format("{} line {}", input_name, line_no), line);
    auto doc = parse_document(source, diags, "json");
    if (doc && doc->kind != Document::Kind::Object)
      diags.add(dsl::Code::InputType, {source, {0, 1}}, "$: a line must be an object with profile and submission");
    // The case takes the line's parts by move: a submission is most of the line.
    auto take = [&](std::string_view key) -> Document* {
      if (!doc || doc->kind != Document::Kind::Object) return nullptr;
      for (size_t i = 0; i < doc->keys.size(); ++i)
        if (doc->keys[i] == key) return &doc->items[i];
      return nullptr;
    };
    Document* profile = take("profile");
    Document* submission = take("submission");
    if (doc && doc->kind == Document::Kind::Object && (!profile || !submission))
      diags.add(dsl::Code::InputMissing, {source, {0, 1}}, "$: a line needs 'profile' and 'submission'");
    if (const Document* c = take("case"); c && c->kind == Document::Kind::String) id = c->text;
    if (diags.has_errors()) {
      error = diags.render(false);
      return false;
    }
    paid.clear();
    if (const Document* p = take("part_b_paid"); p && p->kind == Document::Kind::Number) paid = p->text;
    CaseFile c;
    c.id = id;
    c.profile = Part{std::move(*profile), source, "$.profile"};
    c.submission = Part{std::move(*submission), source, "$.submission"};
    if (!bind_case(c, policy.policy, *policy.program, evaluator.arena(), input, diags, &index)) {
      diags.sort();
      error = diags.render(false);
      return false;
    }
    return true;
  }

  // One input line -> its result line, or false and the problems in `error`.
  bool score(const std::string& line, size_t line_no, const std::string& input_name, bool csv, std::string& result,
             std::string& error) {
    Value input;
    std::string id, paid;
    if (!bind_line(line, line_no, input_name, input, id, paid, error)) return false;
    const Outcome& o = evaluator.evaluate_order(input, order, false);
    if (csv) {
      result = cell(Value::str(id), true) + "," + std::to_string(line_no);
      for (const auto& [name, d] : columns)
        result += "," + (o.state[static_cast<size_t>(d)] == Outcome::State::Ok ? cell(o.values[static_cast<size_t>(d)], true)
                                                                              : std::string("ERROR"));
      result += "," + paid;
    } else {
      result = fmt::format("{{\"case\":{},\"line\":{}", cell(Value::str(id), false), line_no);
      for (const auto& [name, d] : columns)
        result += fmt::format(",\"{}\":{}", name,
                              o.state[static_cast<size_t>(d)] == Outcome::State::Ok
                                  ? cell(o.values[static_cast<size_t>(d)], false)
                                  : std::string("null"));
      if (!paid.empty()) result += fmt::format(",\"part_b_paid\":{}", paid);
      result += "}";
    }
    if (!o.ok()) {
      // The result is written (failed rules are null/ERROR) and the rule errors are reported.
      std::string msgs;
      for (const auto& e : o.errors) msgs += fmt::format("  error[{}] {}\n", dsl::code_info(e.code).id, e.message);
      error = fmt::format("{} line {}: some rules failed\n{}", input_name, line_no, msgs);
    }
    return true;
  }
};

}  // namespace

BatchSummary run_batch(std::istream& in, const std::string& input_name, const CompiledPolicy& policy, std::ostream& out,
                       std::ostream& errors, const BatchOptions& options) {
  const Program& program = *policy.program;
  std::vector<std::pair<std::string, int>> columns;
  std::vector<int> wanted;
  for (const auto& name : batch_columns())
    if (int d = program.find_definition(name); d >= 0) {
      columns.emplace_back(name, d);
      wanted.push_back(d);
    }
  // The evaluation order of what the columns need, computed once for every line.
  std::vector<int> closure = program.closure(wanted);
  std::vector<char> needed(program.definitions().size(), 0);
  for (int d : closure) needed[static_cast<size_t>(d)] = 1;
  std::vector<int> order;
  for (int d : program.order())
    if (needed[static_cast<size_t>(d)]) order.push_back(d);
  MeasureIndex index(policy.policy);

  BatchSummary summary;
  summary.threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<Worker> workers;
  workers.reserve(summary.threads);
  for (unsigned t = 0; t < summary.threads; ++t) workers.push_back(Worker{policy, index, order, columns, Evaluator(program),
                             FastCaseReader(policy.policy, program, index)});

  if (options.csv) {
    out << "case,line";
    for (const auto& [name, d] : columns) out << "," << name;
    out << ",part_b_paid\n";
  }
  std::vector<std::string> lines, results, problems;
  std::vector<size_t> numbers;
  std::vector<char> ok;
  size_t line_no = 0;
  std::string line;
  bool more = true;
  while (more) {
    lines.clear();
    numbers.clear();
    while (lines.size() < options.chunk && (more = static_cast<bool>(std::getline(in, line)))) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      lines.push_back(std::move(line));
      numbers.push_back(line_no);
    }
    if (lines.empty()) break;
    results.assign(lines.size(), {});
    problems.assign(lines.size(), {});
    ok.assign(lines.size(), 0);
    std::atomic<size_t> next{0};
    auto work = [&](Worker& w) {
      for (size_t i; (i = next.fetch_add(1)) < lines.size();)
        ok[i] = w.score(lines[i], numbers[i], input_name, options.csv, results[i], problems[i]);
    };
    if (workers.size() == 1 || lines.size() < 64) {
      work(workers[0]);
    } else {
      std::vector<std::thread> pool;
      for (size_t t = 1; t < workers.size(); ++t) pool.emplace_back(work, std::ref(workers[t]));
      work(workers[0]);
      for (auto& th : pool) th.join();
    }
    for (size_t i = 0; i < lines.size(); ++i) {
      ++summary.lines;
      if (ok[i]) {
        out << results[i] << '\n';
        ++summary.scored;
      } else {
        ++summary.failed;
      }
      if (!problems[i].empty()) errors << problems[i];
    }
    if (options.progress) options.progress(line_no);
  }
  return summary;
}

}  // namespace merit::engine::cms
