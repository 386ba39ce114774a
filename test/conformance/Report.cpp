//===- Report.cpp - conformance results, expectations and reports ---------===//
#include "test/conformance/Report.h"

#include "compiler/support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln::conformance {

static const char *kNames[] = {"pass", "fail", "unsupported", "crash", "timeout"};

const char *statusName(Status status) { return kNames[static_cast<int>(status)]; }

std::optional<Status> parseStatus(llvm::StringRef name) {
  for (int i = 0; i < 5; ++i)
    if (name == kNames[i])
      return static_cast<Status>(i);
  return std::nullopt;
}

llvm::Expected<std::map<std::string, Expectation>> readExpectations(llvm::StringRef path,
                                                                    bool allowPass) {
  std::map<std::string, Expectation> out;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return makeError(path + ": " + buffer.getError().message());
  llvm::SmallVector<llvm::StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n');
  for (auto [i, line] : llvm::enumerate(lines)) {
    line = line.trim();
    if (line.empty() || line.starts_with("#"))
      continue;
    auto [name, rest] = line.split(' ');
    auto [statusText, reason] = rest.trim().split(' ');
    auto status = parseStatus(statusText);
    if (!status || (*status == Status::Pass && !allowPass))
      return makeError(path + ":" + llvm::Twine(i + 1) +
                       ": expected '<test> <status> <reason>' with "
                       "status fail, unsupported, crash or timeout" +
                       (allowPass ? " (or pass)" : ""));
    out[name.str()] = Expectation{*status, reason.trim().str()};
  }
  return out;
}

Status expectedStatus(const std::string &name, const std::map<std::string, Expectation> &expected,
                      const std::map<std::string, Expectation> *base) {
  if (auto it = expected.find(name); it != expected.end())
    return it->second.status;
  if (base)
    if (auto it = base->find(name); it != base->end())
      return it->second.status;
  return Status::Pass;
}

static std::string escapeMd(llvm::StringRef s) {
  std::string out;
  for (char c : s.take_front(300))
    out += (c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c));
  return out;
}

/// The CPU comparison of report.md (see writeReports).
static void writeCpuComparison(llvm::raw_ostream &md, llvm::StringRef target,
                               const std::vector<Result> &results,
                               const std::map<std::string, Expectation> *cpuExpected) {
  md << "\n## " << target << " against the CPU target\n\n";
  int agree = 0, checked = 0;
  std::vector<const Result *> differ;
  for (const Result &r : results) {
    if (r.cpuCheck.empty())
      continue;
    ++checked;
    if (r.cpuCheck == "agree")
      ++agree;
    else
      differ.push_back(&r);
  }
  if (checked) {
    md << "Outputs of the tests " << target << " passes, against the CPU target's (JIT) on "
       << "the same inputs, same tolerance: " << agree << " of " << checked << " agree.\n\n";
    if (!differ.empty()) {
      md << "| test | op | " << target << " against CPU |\n|---|---|---|\n";
      for (const Result *r : differ)
        md << "| " << r->name << " | " << r->op << " | " << escapeMd(r->cpuCheck) << " |\n";
      md << "\n";
    }
  } else {
    md << "Outputs not compared with the CPU's (run with --check-cpu).\n\n";
  }
  if (!cpuExpected)
    return;
  md << "Status here against the CPU's expectations file (a test it does not list "
     << "passes on the CPU):\n\n| test | op | cpu | " << target
     << " | detail |\n|---|---|---|---|---|\n";
  int same = 0;
  for (const Result &r : results) {
    auto it = cpuExpected->find(r.name);
    Status cpu = it == cpuExpected->end() ? Status::Pass : it->second.status;
    if (cpu == r.status) {
      ++same;
      continue;
    }
    md << "| " << r.name << " | " << r.op << " | " << statusName(cpu) << " | "
       << statusName(r.status) << " | " << escapeMd(r.detail) << " |\n";
  }
  md << "\n" << same << " of " << results.size() << " tests have the same status on both.\n";
}

llvm::Error writeReports(llvm::StringRef dir, const std::vector<Result> &results, double rtol,
                         double atol, llvm::StringRef target,
                         const std::map<std::string, Expectation> *cpuExpected) {
  if (auto ec = llvm::sys::fs::create_directories(dir))
    return makeError("cannot create " + dir + ": " + ec.message());
  std::map<std::string, std::array<int, 5>> perOp;
  std::array<int, 5> totals{};
  for (const Result &r : results) {
    perOp[r.op][static_cast<int>(r.status)]++;
    totals[static_cast<int>(r.status)]++;
  }
  std::error_code ec;
  llvm::raw_fd_ostream md((dir + "/report.md").str(), ec);
  if (ec)
    return makeError("cannot write report.md: " + ec.message());
  md << "# ONNX backend node tests through Kiln (" << target << " target)\n\n"
     << "Tolerance: |got - expected| <= " << atol << " + " << rtol
     << " * |expected| for floats; exact for integers and bools.\n\n"
     << "| tests | pass | fail | unsupported | crash | timeout |\n|---|---|---|---|---|---|\n| "
     << results.size();
  for (int n : totals)
    md << " | " << n;
  md << " |\n\n## Per op\n\n| op | tests | pass | fail | unsupported | crash | timeout |\n"
     << "|---|---|---|---|---|---|---|\n";
  for (const auto &[op, counts] : perOp) {
    int total = 0;
    for (int n : counts)
      total += n;
    md << "| " << op << " | " << total;
    for (int n : counts)
      md << " | " << n;
    md << " |\n";
  }
  md << "\n## Not passing\n\n| test | op | status | detail |\n|---|---|---|---|\n";
  for (const Result &r : results)
    if (r.status != Status::Pass)
      md << "| " << r.name << " | " << r.op << " | " << statusName(r.status) << " | "
         << escapeMd(r.detail) << " |\n";
  if (target != "cpu")
    writeCpuComparison(md, target, results, cpuExpected);

  llvm::json::Array tests;
  for (const Result &r : results)
    tests.push_back(llvm::json::Object{{"name", r.name},
                                       {"op", r.op},
                                       {"status", statusName(r.status)},
                                       {"detail", r.detail},
                                       {"seconds", r.seconds},
                                       {"cpu_check", r.cpuCheck}});
  llvm::json::Object counts;
  for (int i = 0; i < 5; ++i)
    counts[kNames[i]] = totals[i];
  llvm::json::Object root{{"target", target},
                          {"rtol", rtol},
                          {"atol", atol},
                          {"total", int64_t(results.size())},
                          {"counts", std::move(counts)},
                          {"tests", std::move(tests)}};
  llvm::raw_fd_ostream js((dir + "/report.json").str(), ec);
  if (ec)
    return makeError("cannot write report.json: " + ec.message());
  js << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return llvm::Error::success();
}

llvm::Error writeExpectations(llvm::StringRef path, const std::vector<Result> &results,
                              const std::map<std::string, Expectation> &previous,
                              const std::map<std::string, Expectation> *base) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return makeError("cannot write " + path + ": " + ec.message());
  os << "# ONNX node tests that Kiln does not pass, with the reason. Every test not\n"
     << "# listed must pass. Regenerate with kiln-conformance --update-expectations,\n"
     << "# then write a real reason where the detail is not one.\n";
  if (base)
    os << "# This target's file lists the tests whose status differs from the CPU's\n"
       << "# (expected.txt) and every failure past the shared importer; a test not\n"
       << "# listed here ends as expected.txt says.\n";
  os << "# <test> <status> <reason>\n";
  for (const Result &r : results) {
    // Over the CPU's file: every status that differs from it, and every
    // failure of the target's own (past the shared importer), so that the
    // line stays right when the CPU's file changes.
    llvm::StringRef detail(r.detail);
    bool importer = detail.starts_with("import") || detail.starts_with("non-tensor data");
    bool own = r.status != Status::Pass && !importer;
    if (r.status == (base ? expectedStatus(r.name, {}, base) : Status::Pass) && !(base && own))
      continue;
    std::string reason = r.detail;
    auto it = previous.find(r.name);
    if (it != previous.end() && it->second.status == r.status && !it->second.reason.empty())
      reason = it->second.reason;
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    os << r.name << " " << statusName(r.status) << " " << llvm::StringRef(reason).take_front(200)
       << "\n";
  }
  return llvm::Error::success();
}

} // namespace kiln::conformance
