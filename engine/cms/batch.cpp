#include "engine/cms/batch.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <iterator>
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

// A value as a JSON/CSV cell, appended to `out`: exact decimals as text, booleans, quoted strings.
void append_cell(std::string& out, const Value& v, bool csv) {
  switch (v.kind) {
    case ValueKind::Bool: out += v.flag ? "true" : "false"; return;
    case ValueKind::Number:
    case ValueKind::Money: v.number.normalized().append_to(out); return;
    case ValueKind::String:
    case ValueKind::Symbol: {
      std::string_view s = v.text();
      if (!csv) {
        out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } else if (s.find_first_of(",\"\n") == std::string_view::npos) {
        out += s;
      } else {
        out += '"';
        for (char c : s) out += c == '"' ? std::string_view("\"\"") : std::string_view(&c, 1);
        out += '"';
      }
      return;
    }
    default: out += csv ? "" : "null"; return;
  }
}

// The next chunk of input lines, read in blocks: each line is a view into one buffer that keeps
// kPadding readable bytes after its last line, so that the JSON parser reads lines in place
// instead of copying each (a line is about 2 KB). Lines and their numbers are those getline gives.
class LineChunks {
 public:
  static constexpr size_t kPadding = 64;  // simdjson's SIMDJSON_PADDING
  explicit LineChunks(std::istream& in) : in_(in) {}

  // Up to `max` non-blank lines; false when the input is exhausted and none are left.
  bool next(size_t max, std::vector<std::string_view>& lines, std::vector<size_t>& numbers) {
    data_.resize(size_);  // drop the padding of the previous chunk
    data_.erase(0, start_);
    size_ = data_.size();
    start_ = 0;
    std::vector<std::pair<size_t, size_t>> spans;  // offsets: views are made once data_ stops growing
    numbers.clear();
    size_t pos = 0;
    while (spans.size() < max) {
      const char* base = data_.data();
      const void* nl = pos < size_ ? std::memchr(base + pos, '\n', size_ - pos) : nullptr;
      size_t end;
      if (nl) {
        end = static_cast<size_t>(static_cast<const char*>(nl) - base);
      } else if (!eof_) {
        data_.resize(size_ + kBlock);
        in_.read(data_.data() + size_, static_cast<std::streamsize>(kBlock));
        size_ += static_cast<size_t>(in_.gcount());
        data_.resize(size_);
        if (!in_) eof_ = true;
        continue;
      } else if (pos < size_) {
        end = size_;  // the last line, without a newline
      } else {
        break;
      }
      ++line_no_;
      std::string_view line(base + pos, end - pos);
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
        spans.emplace_back(pos, end - pos);
        numbers.push_back(line_no_);
      }
      pos = end + (end < size_ ? 1 : 0);
    }
    start_ = pos;
    data_.append(kPadding, '\0');
    lines.clear();
    for (auto [at, n] : spans) lines.emplace_back(data_.data() + at, n);
    return !lines.empty();
  }
  // Bytes that may be read from `line` on: to the end of the buffer, padding included.
  size_t readable(std::string_view line) const { return static_cast<size_t>(data_.data() + data_.size() - line.data()); }
  size_t line_no() const { return line_no_; }

 private:
  static constexpr size_t kBlock = 1 << 20;
  std::istream& in_;
  std::string data_;
  size_t size_ = 0;   // bytes of input in data_ (the padding follows)
  size_t start_ = 0;  // first byte not yet handed out
  size_t line_no_ = 0;
  bool eof_ = false;
};

struct Worker {
  const CompiledPolicy& policy;
  const MeasureIndex& index;
  const std::vector<int>& order;
  const std::vector<std::pair<std::string, int>>& columns;  // name, definition
  Evaluator evaluator;

  FastCaseReader fast;
  std::string id{}, paid{};  // the line's case id and Part B amount (kept to reuse their memory)

  // The line's input record, case id and Part B amount: through the fast reader, or, when it
  // declines, the reference path (which reports what is wrong). False with the problems.
  bool bind_line(std::string_view line, size_t readable, size_t line_no, const std::string& input_name, Value& input,
                 std::string& id, std::string& paid, std::string& error) {
    id = fmt::format("line{}", line_no);
    evaluator.arena().reset();
    if (fast.read(line, readable, evaluator.arena(), input, id, paid)) return true;
    dsl::Diagnostics diags;
    auto source = dsl::Source::from_text(fmt::format("{} line {}", input_name, line_no), std::string(line));
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
  bool score(std::string_view line, size_t readable, size_t line_no, const std::string& input_name, bool csv,
             std::string& result, std::string& error) {
    Value input;
    if (!bind_line(line, readable, line_no, input_name, input, id, paid, error)) return false;
    const Outcome& o = evaluator.evaluate_order(input, order, false);
    result.clear();
    append_cell(result, Value::str(id), csv);
    result += csv ? "," : ",\"line\":";
    if (!csv) result.insert(0, "{\"case\":");
    fmt::format_to(std::back_inserter(result), "{}", line_no);
    for (const auto& [name, d] : columns) {
      result += ',';
      if (!csv) {
        result += '"';
        result += name;
        result += "\":";
      }
      if (o.state[static_cast<size_t>(d)] == Outcome::State::Ok)
        append_cell(result, o.values[static_cast<size_t>(d)], csv);
      else
        result += csv ? "ERROR" : "null";
    }
    if (csv) {
      result += ',';
      result += paid;
    } else {
      if (!paid.empty()) {
        result += ",\"part_b_paid\":";
        result += paid;
      }
      result += '}';
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
  LineChunks chunks(in);
  std::vector<std::string_view> lines;
  std::vector<std::string> results, problems;  // kept across chunks: their memory is reused
  std::vector<size_t> numbers;
  std::vector<char> ok;
  while (chunks.next(options.chunk, lines, numbers)) {
    results.resize(lines.size());
    problems.resize(lines.size());
    for (auto& p : problems) p.clear();
    ok.assign(lines.size(), 0);
    std::atomic<size_t> next{0};
    auto work = [&](Worker& w) {
      for (size_t i; (i = next.fetch_add(1)) < lines.size();)
        ok[i] = w.score(lines[i], chunks.readable(lines[i]), numbers[i], input_name, options.csv, results[i], problems[i]);
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
    if (options.progress) options.progress(chunks.line_no());
  }
  return summary;
}

}  // namespace merit::engine::cms
