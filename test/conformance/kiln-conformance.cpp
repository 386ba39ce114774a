//===- kiln-conformance.cpp - the ONNX node tests through Kiln ------------===//
//
// Runs every ONNX backend node test (Debian's libonnx-testdata): import,
// compile to kernels, run in process with Halide's JIT, compare with the
// expected outputs. Each test runs in a forked child (its own process
// group: an artifact target's tools and runner die with it), so a crash or
// a hang is recorded as such and the run goes on; `--jobs` children at a time.
//
//   kiln-conformance [--data DIR] [--filter REGEX] [--shard I/N] [--jobs N]
//                    [--timeout S] [--report-dir DIR] [--expectations FILE]
//                    [--update-expectations] [--target cpu|spirv|wasm]
//                    [--check-cpu] [--cpu-expectations FILE]
//
// --target=spirv and --target=wasm compile each test with that target's own
// code and run the artifact a user would get (RunTarget.h): on lavapipe
// through the generated Vulkan host, in Node through the generated loader.
// With --cpu-expectations (the CPU's file), such a target's --expectations
// lists only the tests whose status differs from the CPU's, `pass` included:
// what the shared importer cannot take is the CPU file's business.
//
// With --expectations, exits 1 when a test's status differs from the file
// (a pass that regressed, or a listed failure that now passes).
//
//===----------------------------------------------------------------------===//
#include "test/conformance/Report.h"
#include "test/conformance/RunCase.h"
#include "test/conformance/RunTarget.h"
#include "test/conformance/TestData.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstring>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kiln::conformance;
namespace cl = llvm::cl;

namespace {

struct Child {
  pid_t pid;
  int fd;
  size_t index;
  std::chrono::steady_clock::time_point start;
  std::string output;
};

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// In the child: run the case and write "<status>\n<cpu check>\n<detail>"
/// to the pipe.
[[noreturn]] void runChild(const std::string &dir, int fd, const CaseOptions &options) {
  setpgid(0, 0);
  Result r = runCase(dir, options);
  std::string text = std::string(statusName(r.status)) + "\n" + r.cpuCheck + "\n" + r.detail;
  for (size_t done = 0; done < text.size();) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0)
      break;
    done += n;
  }
  _exit(0);
}

Result finish(Child &child, int waitStatus, const std::string &dir, bool timedOut) {
  Result r;
  r.seconds = secondsSince(child.start);
  auto test = describeTest(dir);
  r.name = test ? test->name : dir;
  r.op = test ? test->op : "?";
  if (!test)
    llvm::consumeError(test.takeError());
  if (timedOut) {
    r.status = Status::Timeout;
    r.detail = "killed after the timeout";
  } else if (WIFSIGNALED(waitStatus)) {
    r.status = Status::Crash;
    r.detail = std::string("signal ") + strsignal(WTERMSIG(waitStatus));
  } else {
    llvm::StringRef out(child.output);
    auto [statusText, rest] = out.split('\n');
    auto [cpuCheck, detail] = rest.split('\n');
    r.cpuCheck = cpuCheck.str();
    auto status = parseStatus(statusText);
    r.status = status ? *status : Status::Crash;
    r.detail = status ? detail.str() : "child exited without a result";
  }
  return r;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::opt<std::string> data("data", cl::desc("Folder of ONNX node tests"),
                            cl::init("/usr/share/libonnx-testdata/data/node"));
  cl::opt<std::string> filter("filter", cl::desc("Only tests whose name matches this regex"));
  cl::opt<std::string> shard(
      "shard", cl::desc("I/N: only every N-th test from the I-th (0-based), in name order, "
                        "after --filter (a fixed sample: scripts/test.sh)"));
  cl::opt<unsigned> jobs("jobs", cl::desc("Tests run at once"), cl::init(2));
  cl::opt<double> timeout("timeout", cl::desc("Seconds per test"), cl::init(120));
  cl::opt<std::string> reportDir("report-dir", cl::desc("Where report.md/json go"),
                                 cl::init("conformance-report"));
  cl::opt<std::string> expectationsPath("expectations",
                                        cl::desc("Expected non-passing tests, with reasons"));
  cl::opt<bool> update("update-expectations", cl::desc("Rewrite --expectations to match this run"));
  cl::opt<double> rtol("rtol", cl::desc("Relative tolerance for floats"), cl::init(1e-3));
  cl::opt<double> atol("atol", cl::desc("Absolute tolerance for floats"), cl::init(1e-7));
  cl::opt<std::string> target("target",
                              cl::desc("cpu (the JIT, in process), spirv (lavapipe, or the "
                                       "driver VK_ICD_FILENAMES names) or wasm (Node)"),
                              cl::init("cpu"));
  cl::opt<bool> checkCpu("check-cpu",
                         cl::desc("spirv/wasm: compare each passing test's outputs with the "
                                  "CPU target's too (report.md)"));
  cl::opt<std::string> cpuExpectationsPath(
      "cpu-expectations",
      cl::desc("spirv/wasm: the CPU's expectations file. --expectations then lists only where "
               "the target differs from it (a test it does not list ends as this file says); "
               "report.md lists the tests whose status differs"));
  cl::ParseCommandLineOptions(argc, argv, "Kiln ONNX conformance runner\n");
  if (target != "cpu" && !isArtifactTarget(target)) {
    llvm::errs() << "kiln-conformance: error: unknown --target '" << target
                 << "' (expected cpu, spirv or wasm)\n";
    return 1;
  }
  if (target == "cpu" && (checkCpu || !cpuExpectationsPath.empty())) {
    llvm::errs() << "kiln-conformance: error: --check-cpu and --cpu-expectations compare "
                    "another target with the CPU: give --target=spirv or wasm\n";
    return 1;
  }
  CaseOptions caseOptions;
  caseOptions.rtol = rtol;
  caseOptions.atol = atol;
  caseOptions.target = target;
  caseOptions.checkCpu = checkCpu;
  std::optional<std::map<std::string, Expectation>> cpuExpected;
  if (!cpuExpectationsPath.empty()) {
    auto e = readExpectations(cpuExpectationsPath);
    if (!e) {
      llvm::errs() << "kiln-conformance: error: " << llvm::toString(e.takeError()) << "\n";
      return 1;
    }
    cpuExpected = std::move(*e);
  }

  std::vector<std::string> dirs = findTests(data);
  if (dirs.empty()) {
    llvm::errs() << "kiln-conformance: error: no tests under " << data
                 << " (install libonnx-testdata)\n";
    return 1;
  }
  if (!filter.empty()) {
    llvm::Regex re(filter);
    std::string reError;
    if (!re.isValid(reError)) {
      llvm::errs() << "kiln-conformance: error: bad --filter: " << reError << "\n";
      return 1;
    }
    llvm::erase_if(dirs,
                   [&](const std::string &d) { return !re.match(d.substr(d.rfind('/') + 1)); });
  }
  if (!shard.empty() && update) {
    llvm::errs() << "kiln-conformance: error: --update-expectations needs the whole suite, "
                    "not a --shard\n";
    return 1;
  }
  if (!shard.empty()) {
    unsigned index = 0, count = 0;
    auto [i, n] = llvm::StringRef(shard).split('/');
    if (i.getAsInteger(10, index) || n.getAsInteger(10, count) || count == 0 || index >= count) {
      llvm::errs() << "kiln-conformance: error: bad --shard '" << shard
                   << "': expected I/N with 0 <= I < N\n";
      return 1;
    }
    std::vector<std::string> kept;
    for (size_t k = index; k < dirs.size(); k += count)
      kept.push_back(dirs[k]);
    dirs = std::move(kept);
  }
  std::map<std::string, Expectation> expected;
  if (!expectationsPath.empty() && !update) {
    auto e = readExpectations(expectationsPath, /*allowPass=*/cpuExpected.has_value());
    if (!e) {
      llvm::errs() << "kiln-conformance: error: " << llvm::toString(e.takeError()) << "\n";
      return 1;
    }
    expected = std::move(*e);
  }

  std::vector<Result> results(dirs.size());
  std::vector<Child> running;
  size_t next = 0, done = 0;
  std::array<int, 5> counts{};
  bool tty = isatty(STDOUT_FILENO);
  auto start = std::chrono::steady_clock::now();
  while (done < dirs.size()) {
    while (running.size() < std::max(1u, unsigned(jobs)) && next < dirs.size()) {
      int fds[2];
      if (pipe(fds) != 0) {
        perror("pipe");
        return 1;
      }
      pid_t pid = fork();
      if (pid == 0) {
        close(fds[0]);
        runChild(dirs[next], fds[1], caseOptions);
      }
      close(fds[1]);
      running.push_back(Child{pid, fds[0], next++, std::chrono::steady_clock::now(), ""});
    }
    std::vector<pollfd> polls;
    for (Child &c : running)
      polls.push_back(pollfd{c.fd, POLLIN, 0});
    poll(polls.data(), polls.size(), 200);
    for (size_t i = 0; i < running.size();) {
      Child &c = running[i];
      char buf[4096];
      bool closed = false;
      if (polls[i].revents & (POLLIN | POLLHUP)) {
        ssize_t n = read(c.fd, buf, sizeof buf);
        if (n > 0)
          c.output.append(buf, n);
        else
          closed = true;
      }
      bool timedOut = !closed && secondsSince(c.start) > timeout;
      if (timedOut) {
        kill(-c.pid, SIGKILL); // the child's group: its compilers and runner too
        kill(c.pid, SIGKILL);
      }
      if (!closed && !timedOut) {
        ++i;
        continue;
      }
      int status = 0;
      waitpid(c.pid, &status, 0);
      close(c.fd);
      Result r = finish(c, status, dirs[c.index], timedOut);
      counts[static_cast<int>(r.status)]++;
      ++done;
      if (tty || done % 50 == 0 || done == dirs.size())
        llvm::outs() << (tty ? "\r" : "") << "[" << done << "/" << dirs.size() << "] pass "
                     << counts[0] << ", fail " << counts[1] << ", unsupported " << counts[2]
                     << ", crash " << counts[3] << ", timeout " << counts[4] << " ("
                     << llvm::format("%.0f", secondsSince(start)) << " s)" << (tty ? "   " : "\n");
      llvm::outs().flush();
      results[c.index] = std::move(r);
      polls.erase(polls.begin() + i);
      running.erase(running.begin() + i);
    }
  }
  if (tty)
    llvm::outs() << "\n";

  if (auto err = writeReports(reportDir, results, rtol, atol, target,
                              cpuExpected ? &*cpuExpected : nullptr)) {
    llvm::errs() << "kiln-conformance: error: " << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  llvm::outs() << "report: " << reportDir << "/report.md, " << reportDir << "/report.json\n";
  if (expectationsPath.empty())
    return 0;
  if (update) {
    auto previous = readExpectations(expectationsPath, /*allowPass=*/cpuExpected.has_value());
    std::map<std::string, Expectation> old;
    if (previous)
      old = std::move(*previous);
    else
      llvm::consumeError(previous.takeError());
    if (auto err = writeExpectations(expectationsPath, results, old,
                                     cpuExpected ? &*cpuExpected : nullptr)) {
      llvm::errs() << "kiln-conformance: error: " << llvm::toString(std::move(err)) << "\n";
      return 1;
    }
    llvm::outs() << "updated " << expectationsPath << "\n";
    return 0;
  }
  // Only the tests this run covered are held to the file (--filter runs).
  int surprises = 0;
  for (const Result &r : results) {
    Status want = expectedStatus(r.name, expected, cpuExpected ? &*cpuExpected : nullptr);
    if (r.status == want)
      continue;
    ++surprises;
    llvm::outs() << "UNEXPECTED: " << r.name << " is " << statusName(r.status) << ", expected "
                 << statusName(want) << (r.detail.empty() ? "" : ": ") << r.detail << "\n";
  }
  // --check-cpu: a test both targets pass must give the same outputs on both.
  int disagreements = 0;
  for (const Result &r : results)
    if (llvm::StringRef(r.cpuCheck).starts_with("differ")) {
      ++disagreements;
      llvm::outs() << "DISAGREE: " << r.name << ": " << target << " and cpu " << r.cpuCheck << "\n";
    }
  surprises += disagreements;
  llvm::outs() << (surprises ? "conformance: " + std::to_string(surprises) +
                                   " tests differ from the expectations or the cpu\n"
                             : "conformance: every test as expected (" + std::to_string(counts[0]) +
                                   " pass)\n");
  return surprises ? 1 : 0;
}
