#include "engine/cms/batch.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
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
        // Printable ASCII without quotes or backslashes (every generated id) needs no escaping;
        // anything else is escaped by nlohmann (invalid UTF-8 replaced).
        bool plain = std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
        if (plain) {
          out += '"';
          out += s;
          out += '"';
        } else {
          out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
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

// A chunk of input lines and what scoring them gives. Its lines are views into its own buffer,
// which keeps kPadding readable bytes after the last line, so that the JSON parser reads lines in
// place instead of copying each (a line is about 2 KB).
struct Chunk {
  static constexpr size_t kPadding = 64;  // simdjson's SIMDJSON_PADDING
  std::string data;
  std::vector<std::string_view> lines;
  std::vector<size_t> numbers;
  std::vector<std::string> results, problems;  // kept from chunk to chunk: their memory is reused
  std::vector<char> ok;
  // Bytes that may be read from `line` on: to the end of the buffer, padding included.
  size_t readable(std::string_view line) const { return static_cast<size_t>(data.data() + data.size() - line.data()); }
};

// Splits the input into chunks of lines, reading it in 1 MB blocks; a line cut by a block or by
// the end of a chunk is carried to the next chunk. Lines and their numbers are those getline gives.
class LineChunks {
 public:
  explicit LineChunks(std::istream& in) : in_(in) {}

  // Up to `max` non-blank lines into `c`; false when the input is exhausted and none are left.
  bool next(size_t max, Chunk& c) {
    std::string& data = c.data;
    data.assign(carry_);
    size_t size = data.size();
    std::vector<std::pair<size_t, size_t>> spans;  // offsets: views are made once data stops growing
    c.numbers.clear();
    size_t pos = 0;
    while (spans.size() < max) {
      const void* nl = pos < size ? std::memchr(data.data() + pos, '\n', size - pos) : nullptr;
      size_t end;
      if (nl) {
        end = static_cast<size_t>(static_cast<const char*>(nl) - data.data());
      } else if (!eof_) {
        data.resize(size + kBlock);
        in_.read(data.data() + size, static_cast<std::streamsize>(kBlock));
        size += static_cast<size_t>(in_.gcount());
        data.resize(size);
        if (!in_) eof_ = true;
        continue;
      } else if (pos < size) {
        end = size;  // the last line, without a newline
      } else {
        break;
      }
      ++line_no_;
      std::string_view line(data.data() + pos, end - pos);
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
        spans.emplace_back(pos, end - pos);
        c.numbers.push_back(line_no_);
      }
      pos = end + (end < size ? 1 : 0);
    }
    carry_.assign(data, pos, std::string::npos);
    data.resize(pos);
    data.append(Chunk::kPadding, '\0');
    c.lines.clear();
    for (auto [at, n] : spans) c.lines.emplace_back(data.data() + at, n);
    return !c.lines.empty();
  }
  size_t line_no() const { return line_no_; }

 private:
  static constexpr size_t kBlock = 1 << 20;
  std::istream& in_;
  std::string carry_;  // the start of the next chunk's first line
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
  // A pipeline: while the workers score chunk k, this thread writes chunk k - 1's results and reads
  // chunk k + 1, then joins the scoring of chunk k. The input is read and the output written on
  // the side, so neither leaves a core idle (a chunk's last lines are its only wait).
  LineChunks reader(in);
  Chunk chunks[2];
  struct Shared {
    std::mutex m;
    std::condition_variable wake, finished;
    Chunk* chunk = nullptr;  // null once scored: a worker waking late must not take it up again
    uint64_t generation = 0;
    unsigned active = 0;  // workers inside a chunk: the next one may reset `next` only when none is
    bool stop = false;
    std::atomic<size_t> next{0}, done{0};
  } shared;
  auto score_lines = [&](Worker& w, Chunk& c) {
    size_t n = c.lines.size(), scored = 0;
    for (size_t i; (i = shared.next.fetch_add(1)) < n; ++scored)
      c.ok[i] = w.score(c.lines[i], c.readable(c.lines[i]), c.numbers[i], input_name, options.csv, c.results[i], c.problems[i]);
    if (scored && shared.done.fetch_add(scored) + scored == n) {
      std::lock_guard<std::mutex> lock(shared.m);
      shared.finished.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < workers.size(); ++t)
    pool.emplace_back([&, t] {
      uint64_t seen = 0;
      for (;;) {
        Chunk* c;
        {
          std::unique_lock<std::mutex> lock(shared.m);
          shared.wake.wait(lock, [&] { return shared.stop || shared.generation != seen; });
          if (shared.stop) return;
          seen = shared.generation;
          c = shared.chunk;
          if (!c) continue;  // scored without this worker, and withdrawn
          ++shared.active;
        }
        score_lines(workers[t], *c);
        std::lock_guard<std::mutex> lock(shared.m);
        --shared.active;
        shared.finished.notify_all();
      }
    });
  auto start_scoring = [&](Chunk& c) {
    c.results.resize(c.lines.size());
    c.problems.resize(c.lines.size());
    for (auto& p : c.problems) p.clear();
    c.ok.assign(c.lines.size(), 0);
    std::lock_guard<std::mutex> lock(shared.m);
    shared.next = 0;
    shared.done = 0;
    shared.chunk = &c;
    ++shared.generation;
    shared.wake.notify_all();
  };
  auto wait_scored = [&](Chunk& c) {
    std::unique_lock<std::mutex> lock(shared.m);
    shared.finished.wait(lock, [&] { return shared.done.load() == c.lines.size() && shared.active == 0; });
    shared.chunk = nullptr;  // under the same lock: no worker can join it now
  };
  auto write = [&](Chunk& c) {
    for (size_t i = 0; i < c.lines.size(); ++i) {
      ++summary.lines;
      if (c.ok[i]) {
        out << c.results[i] << '\n';
        ++summary.scored;
      } else {
        ++summary.failed;
      }
      if (!c.problems[i].empty()) errors << c.problems[i];
    }
  };

  size_t k = 0;
  bool more = reader.next(options.chunk, chunks[0]);
  size_t read_through = reader.line_no();
  if (more) start_scoring(chunks[0]);
  while (more) {
    Chunk& current = chunks[k % 2];
    Chunk& following = chunks[(k + 1) % 2];
    bool has_following = reader.next(options.chunk, following);  // while the workers score `current`
    size_t following_through = reader.line_no();
    score_lines(workers[0], current);
    wait_scored(current);
    if (has_following) start_scoring(following);  // the workers go on while this thread writes
    write(current);
    if (options.progress) options.progress(read_through);
    read_through = following_through;
    more = has_following;
    ++k;
  }
  {
    std::lock_guard<std::mutex> lock(shared.m);
    shared.stop = true;
    shared.wake.notify_all();
  }
  for (auto& th : pool) th.join();
  return summary;
}

}  // namespace merit::engine::cms
