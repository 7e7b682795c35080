#include "engine/cms/batch_csv.hpp"

#include <algorithm>
#include <cctype>
#include <istream>
#include <ostream>

#include <csv.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dsl/decimal.hpp"
#include "dsl/diagnostic.hpp"
#include "engine/cms/submission.hpp"
#include "engine/input.hpp"

namespace merit::engine::cms {

namespace {

constexpr std::string_view kEntityType = "entity_type";  // the submission's entityType, as the policy names it

std::string json_string(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// RFC 8259's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  size_t i = 0, n = s.size();
  auto digits = [&] {
    size_t b = i;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i - b;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') ++i;
  else if (digits() == 0) return false;
  if (i < n && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == n;
}

// A dollar amount as a JSON number's text: 90000.50, $90,000.50, -$1,250 or 90,000 (thousands
// separators in groups of three). The digits are kept as written.
std::optional<std::string> dollars(std::string_view s) {
  std::string sign;
  if (!s.empty() && s[0] == '-') {
    sign = "-";
    s.remove_prefix(1);
  }
  if (!s.empty() && s[0] == '$') s.remove_prefix(1);
  std::string_view whole = s.substr(0, s.find('.'));
  std::string out = sign;
  if (whole.find(',') != std::string_view::npos) {
    // 1-3 digits, then groups of exactly 3.
    size_t first = whole.find(',');
    if (first == 0 || first > 3) return std::nullopt;
    for (size_t i = first; i < whole.size(); i += 4)
      if (whole[i] != ',' || i + 4 > whole.size() ||
          whole.substr(i + 1, 3).find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    for (char c : s)
      if (c != ',') out += c;
  } else {
    out += s;
  }
  if (!is_json_number(out) || out.find_first_of("eE") != std::string::npos) return std::nullopt;
  return out;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

// A cell as the JSON value of its field. Text that does not fit the type is passed on as a JSON
// string, so that the binder reports it (`$.profile.<column>: expected number, found "abc"`).
std::string cell_json(dsl::Kind kind, const std::string& v) {
  switch (kind) {
    case dsl::Kind::Bool: {
      std::string l = lower(v);
      if (l == "true" || l == "1") return "true";
      if (l == "false" || l == "0") return "false";
      return json_string(v);
    }
    case dsl::Kind::Number: return is_json_number(v) ? v : json_string(v);
    case dsl::Kind::Money: {
      if (is_json_number(v)) return v;
      if (auto d = dollars(v)) return *d;
      return json_string(v);
    }
    default: return json_string(v);
  }
}

std::string type_name(const dsl::Type& t) { return dsl::to_string(t); }

}  // namespace

// ---- the columns a policy allows --------------------------------------------------------------

std::optional<CsvSchema> CsvSchema::from_policy(const CompiledPolicy& policy, std::string& error) {
  if (!policy.program) {
    error = "the policy did not compile";
    return std::nullopt;
  }
  CsvSchema schema;
  auto year = dsl::Decimal::parse(policy.policy.year);
  if (!year || !year->to_int64()) {
    error = fmt::format("the policy '{}' declares no program year ('year:'); a CSV row's submission needs one",
                        policy.policy.name);
    return std::nullopt;
  }
  schema.year = std::to_string(*year->to_int64());
  // Which inputs the submission provides: ask the submission reader, with an empty submission.
  Document empty;
  empty.kind = Document::Kind::Object;
  auto add = [&](std::string key, Document d) {
    empty.keys.push_back(std::move(key));
    empty.items.push_back(std::move(d));
  };
  Document entity, py, sets;
  entity.kind = Document::Kind::String;
  entity.text = "individual";
  py.kind = Document::Kind::Number;
  py.text = schema.year;
  sets.kind = Document::Kind::Array;
  add("entityType", entity);
  add("performanceYear", py);
  add("measurementSets", sets);
  Document from_submission;
  from_submission.kind = Document::Kind::Object;
  dsl::Diagnostics diags;
  dsl::SourcePtr source = dsl::Source::from_text("(empty submission)", "");
  if (!read_submission(empty, policy.policy, source, from_submission, diags)) {
    error = fmt::format("the policy '{}' does not read an empty submission:\n{}", policy.policy.name, diags.render(false));
    return std::nullopt;
  }
  const auto& keys = from_submission.keys;
  schema.columns.push_back({CsvColumn::Role::Case, "case", dsl::Kind::String, false});
  schema.columns.push_back({CsvColumn::Role::PartBPaid, "part_b_paid", dsl::Kind::Money, false});
  for (const auto& in : policy.program->inputs()) {
    if (std::find(keys.begin(), keys.end(), in.name) != keys.end()) {
      if (in.name == kEntityType)
        schema.columns.push_back({CsvColumn::Role::EntityType, in.name, dsl::Kind::String, false});
      else
        schema.refused.emplace_back(in.name, fmt::format("'{}' comes from the submission, and a CSV row's submission "
                                                         "is empty (performanceYear {}, no measurement sets)",
                                                         in.name, schema.year));
      continue;
    }
    switch (in.type->kind) {
      case dsl::Kind::Bool:
      case dsl::Kind::Number:
      case dsl::Kind::Money:
      case dsl::Kind::String:
      case dsl::Kind::Symbol:
        schema.columns.push_back({CsvColumn::Role::Field, in.name, in.type->kind, !in.optional});
        break;
      default:
        schema.refused.emplace_back(
            in.name, fmt::format("'{}' is a {}: a CSV cell holds one value, so lists and records cannot be CSV "
                                 "columns (give such profiles as JSON lines)",
                                 in.name, type_name(in.type)));
    }
  }
  return schema;
}

// ---- row -> JSON line -------------------------------------------------------------------------

std::string csv_row_to_json(const CsvSchema& schema, const std::vector<int>& header,
                            const std::vector<std::string>& cells, std::string& error, std::string& help) {
  if (cells.size() != header.size()) {
    error = fmt::format("the row has {} cell{}, the header {}", cells.size(), cells.size() == 1 ? "" : "s",
                        header.size());
    help = "quote a cell that holds a comma (\"a, b\"); leave a cell empty, not out, when a field is absent";
    return {};
  }
  // Built by hand around nlohmann's string escaping: a number is written as its cell's text,
  // which nlohmann::json could only hold as a double.
  std::string id, paid, entity = json_string("individual"), profile;
  for (size_t i = 0; i < cells.size(); ++i) {
    const CsvColumn& c = schema.columns[static_cast<size_t>(header[i])];
    const std::string& v = cells[i];
    if (v.empty()) continue;  // absent
    switch (c.role) {
      case CsvColumn::Role::Case: id = json_string(v); break;
      case CsvColumn::Role::EntityType: entity = json_string(v); break;
      case CsvColumn::Role::PartBPaid:
        if (is_json_number(v)) paid = v;
        else if (auto d = dollars(v)) paid = *d;
        else {
          error = fmt::format("column part_b_paid: '{}' is not an amount of dollars", v);
          help = "write it as 95832.30 or $95,832.30, or leave the cell empty";
          return {};
        }
        break;
      case CsvColumn::Role::Field:
        if (!profile.empty()) profile += ',';
        profile += json_string(c.name) + ":" + cell_json(c.kind, v);
        break;
    }
  }
  std::string line = "{";
  if (!id.empty()) line += "\"case\":" + id + ",";
  if (!paid.empty()) line += "\"part_b_paid\":" + paid + ",";
  line += "\"profile\":{" + profile + "},\"submission\":{\"entityType\":" + entity +
          ",\"performanceYear\":" + schema.year + ",\"measurementSets\":[]}}";
  return line;
}

// ---- the streambuf ----------------------------------------------------------------------------

// libcsv in strict mode, fed one physical line at a time (with its line feed).
struct CsvJsonLines::Parser {
  static constexpr unsigned char kOptions = CSV_STRICT | CSV_STRICT_FINI;
  csv_parser p{};
  std::vector<std::string> cells;               // of the row being read
  std::vector<std::vector<std::string>> rows;   // finished by the last feed

  Parser() { init(); }
  ~Parser() { csv_free(&p); }
  void init() {
    if (csv_init(&p, kOptions) != 0) throw std::bad_alloc();
  }
  void reset() {
    csv_free(&p);
    init();
    cells.clear();
    rows.clear();
  }
  static void on_cell(void* s, size_t len, void* self) {
    static_cast<Parser*>(self)->cells.emplace_back(s ? static_cast<const char*>(s) : "", s ? len : 0);
  }
  static void on_row(int, void* self) {
    auto* me = static_cast<Parser*>(self);
    me->rows.push_back(std::move(me->cells));
    me->cells.clear();
  }
  // False on malformed quoting.
  bool feed(const std::string& text) { return csv_parse(&p, text.data(), text.size(), on_cell, on_row, this) == text.size(); }
  void finish() { csv_fini(&p, on_cell, on_row, this); }
  // Between rows: libcsv's parser state ROW_NOT_BEGUN (0), and no cell of a row kept.
  bool idle() const { return p.pstate == 0 && cells.empty(); }
};

CsvJsonLines::CsvJsonLines(std::istream& csv, std::string input_name, CsvSchema schema)
    : in_(csv), name_(std::move(input_name)), schema_(std::move(schema)), parser_(std::make_unique<Parser>()) {}

CsvJsonLines::~CsvJsonLines() = default;

bool CsvJsonLines::next_line(std::string& line) {
  if (!std::getline(in_, line)) return false;
  ++line_;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line_ == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // a UTF-8 byte order mark
  return true;
}

bool CsvJsonLines::read_header(std::string& error) {
  std::string line;
  if (!next_line(line) || line.find_first_not_of(" \t") == std::string::npos) {
    error = fmt::format("{}: line 1 must be the header, the column names (the policy's profile fields)", name_);
    return false;
  }
  line += '\n';
  if (!parser_->feed(line) || parser_->rows.size() != 1 || !parser_->idle()) {
    error = fmt::format("{}: the header (line 1) is not one well-formed CSV row", name_);
    return false;
  }
  std::vector<std::string> names = std::move(parser_->rows[0]);
  parser_->rows.clear();
  std::vector<std::string> allowed;
  for (const auto& c : schema_.columns) allowed.push_back(c.name);
  std::vector<std::string> problems;
  header_.clear();
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    auto it = std::find_if(schema_.columns.begin(), schema_.columns.end(), [&](const CsvColumn& c) { return c.name == n; });
    if (n.empty()) {
      problems.push_back(fmt::format("column {} has no name", i + 1));
    } else if (std::find(names.begin(), names.begin() + static_cast<long>(i), n) != names.begin() + static_cast<long>(i)) {
      problems.push_back(fmt::format("column '{}' appears twice", n));
    } else if (it != schema_.columns.end()) {
      header_.push_back(static_cast<int>(it - schema_.columns.begin()));
      continue;
    } else if (auto r = std::find_if(schema_.refused.begin(), schema_.refused.end(), [&](const auto& x) { return x.first == n; });
               r != schema_.refused.end()) {
      problems.push_back(fmt::format("column '{}' cannot be a CSV column: {}", n, r->second));
    } else {
      std::string p = fmt::format("unknown column '{}': the policy has no profile field of that name", n);
      if (auto s = dsl::did_you_mean(n, allowed); !s.empty()) p += fmt::format("; did you mean '{}'?", s);
      else p += " (a column is a profile field of the policy, or case, part_b_paid, entity_type)";
      problems.push_back(p);
    }
    header_.push_back(-1);
  }
  for (const auto& c : schema_.columns)
    if (c.required && std::find(names.begin(), names.end(), c.name) == names.end())
      problems.push_back(fmt::format("no column for '{}', a profile field the policy requires", c.name));
  if (!problems.empty()) {
    error.clear();
    for (const auto& p : problems) error += fmt::format("{}: {}\n", name_, p);
    error.pop_back();
    return false;
  }
  buffer_ += '\n';  // line 1, the header, is an empty line for run_batch
  setg(buffer_.data(), buffer_.data(), buffer_.data() + buffer_.size());
  return true;
}

void CsvJsonLines::reject(size_t line, size_t lines, const std::string& message, const std::string& help) {
  dsl::Diagnostics diags;
  auto& d = diags.add(dsl::Code::InputSyntax, {}, message, help);
  d.notes.push_back({{}, fmt::format("in {} line {}", name_, line)});
  if (problems_) *problems_ << diags.render(false);
  ++rejected_;
  buffer_.append(lines, '\n');
}

void CsvJsonLines::convert(const std::vector<std::string>& cells, size_t line) {
  if (std::all_of(cells.begin(), cells.end(), [](const std::string& c) { return c.empty(); })) {
    buffer_ += '\n';  // a row of empty cells (a spreadsheet's trailing rows): a blank line
    return;
  }
  std::string error, help;
  std::string json = csv_row_to_json(schema_, header_, cells, error, help);
  if (!error.empty()) return reject(line, 1, error, help);
  buffer_ += json;
  buffer_ += '\n';
}

void CsvJsonLines::fill() {
  std::string line;
  while (buffer_.empty() && !eof_) {
    if (!next_line(line)) {
      eof_ = true;
      // Every line fed ends with a line feed, so a row still open here is inside a quoted cell.
      if (open_since_) {
        parser_->finish();  // libcsv reports the open quote (CSV_STRICT_FINI); the row is rejected either way
        reject(open_since_, line_ - open_since_ + 1,
               fmt::format("a quoted cell opened on line {} is not closed by the end of the input", open_since_),
               "close the quote (\"...\"); a quote inside a quoted cell is written twice (\"\")");
      }
      open_since_ = 0;
      break;
    }
    size_t at = line_;
    if (!open_since_) {
      if (line.find_first_not_of(" \t") == std::string::npos) {
        buffer_ += '\n';  // blank
        continue;
      }
      open_since_ = at;
    }
    line += '\n';
    bool ok = parser_->feed(line);
    size_t first = open_since_, lines = at - first + 1;
    if (!ok) {
      reject(first, lines, fmt::format("malformed CSV on line {}: a quote inside an unquoted cell, or text after a closing quote", at),
             "RFC 4180: a cell holding a quote is quoted, and its quotes are doubled (\"a \"\"b\"\"\")");
      parser_->reset();
      open_since_ = 0;
      continue;
    }
    if (parser_->rows.empty()) {
      if (parser_->idle()) {  // nothing but spaces
        buffer_.append(lines, '\n');
        open_since_ = 0;
      } else if (lines >= kMaxRowLines) {
        stopped_ = fmt::format("{} line {}: a quoted cell runs over {} lines; stopped reading (is a quote not closed?)",
                               name_, first, lines);
        reject(first, lines, fmt::format("a quoted cell opened on line {} runs over {} lines: stopped reading the input", first, lines),
               "close the quote (\"...\"); a quote inside a quoted cell is written twice (\"\")");
        eof_ = true;
        open_since_ = 0;
      }
      continue;  // a quoted cell goes on to the next line
    }
    if (parser_->rows.size() == 1 && parser_->idle() && lines == 1) {
      convert(parser_->rows[0], at);
    } else if (parser_->rows.size() == 1 && parser_->idle()) {
      const auto& cells = parser_->rows[0];
      std::string where;
      for (size_t i = 0; i < cells.size(); ++i)
        if (cells[i].find_first_of("\r\n") != std::string::npos) {
          where = i < header_.size() && header_[i] >= 0
                      ? fmt::format(" (column {})", schema_.columns[static_cast<size_t>(header_[i])].name)
                      : fmt::format(" (cell {})", i + 1);
          break;
        }
      reject(first, lines, fmt::format("a quoted cell{} holds a line break: the row runs over lines {} to {}", where, first, at),
             "keep each row on one line: merit batch numbers its results and errors by the CSV's lines");
    } else {
      reject(first, lines, fmt::format("line {} holds more than one row (a carriage return inside the line?)", at),
             "end lines with a line feed (or CR LF), and quote a cell that holds a carriage return");
      parser_->reset();
    }
    parser_->rows.clear();
    open_since_ = 0;
  }
}

CsvJsonLines::int_type CsvJsonLines::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  buffer_.clear();
  fill();
  setg(buffer_.data(), buffer_.data(), buffer_.data() + buffer_.size());
  if (buffer_.empty()) return traits_type::eof();
  return traits_type::to_int_type(*gptr());
}

// ---- merit batch ------------------------------------------------------------------------------

std::unique_ptr<CsvJsonLines> open_batch_csv(std::istream& csv, const std::string& input_name,
                                             const CompiledPolicy& policy, std::string& usage_error) {
  auto schema = CsvSchema::from_policy(policy, usage_error);
  if (!schema) {
    usage_error = fmt::format("{}: cannot read CSV rows under this policy: {}", input_name, usage_error);
    return nullptr;
  }
  auto reader = std::make_unique<CsvJsonLines>(csv, input_name, std::move(*schema));
  if (!reader->read_header(usage_error)) return nullptr;
  return reader;
}

CsvBatchResult run_batch_csv(CsvJsonLines& input, const std::string& input_name, const CompiledPolicy& policy,
                             std::ostream& out, std::ostream& errors, const BatchOptions& options) {
  input.report_to(errors);
  std::istream lines(&input);
  CsvBatchResult r;
  r.summary = run_batch(lines, input_name, policy, out, errors, options);
  r.summary.lines += input.rows_rejected();
  r.summary.failed += input.rows_rejected();
  r.stopped = input.stopped();
  return r;
}

}  // namespace merit::engine::cms
