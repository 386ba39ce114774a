//===- Report.h - conformance results, expectations and reports -*- C++ -*-===//
#ifndef KILN_TEST_CONFORMANCE_REPORT_H
#define KILN_TEST_CONFORMANCE_REPORT_H

#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace kiln::conformance {

/// How one node test ended. A crash is a bug to fix, never an accepted state.
enum class Status { Pass, Fail, Unsupported, Crash, Timeout };
const char *statusName(Status status);
std::optional<Status> parseStatus(llvm::StringRef name);

struct Result {
  std::string name, op;
  Status status = Status::Crash;
  std::string detail; ///< first mismatch, import error, signal...
  double seconds = 0;
  /// With an artifact target and --check-cpu, for a test that passes:
  /// "agree", "differ: <first mismatch>" or "cpu does not pass: <why>".
  std::string cpuCheck;
};

/// test name -> (expected status, reason), from the expectations file:
///   test_name <status> <reason...>
/// Tests not listed are expected to pass. Blank lines and # comments ignored.
/// With `allowPass` (a target's file over the CPU's, expectedStatus), a line
/// may say `pass`: the target passes a test the CPU does not.
struct Expectation {
  Status status;
  std::string reason;
};
llvm::Expected<std::map<std::string, Expectation>> readExpectations(llvm::StringRef path,
                                                                    bool allowPass = false);

/// What a test should end as: its line in `expected`, else (for a target
/// other than the CPU, whose file lists only where it differs from the
/// CPU's) its line in `base`, else pass.
Status expectedStatus(const std::string &name, const std::map<std::string, Expectation> &expected,
                      const std::map<std::string, Expectation> *base = nullptr);

/// Writes report.md (counts, per-op table, failures with their first
/// mismatch) and report.json into `dir`. For a target other than the CPU,
/// report.md also compares it with the CPU: the tests whose outputs the two
/// disagree on (Result::cpuCheck), and, given the CPU's expectations file,
/// the tests whose status differs.
llvm::Error writeReports(llvm::StringRef dir, const std::vector<Result> &results, double rtol,
                         double atol, llvm::StringRef target = "cpu",
                         const std::map<std::string, Expectation> *cpuExpected = nullptr);

/// Writes the expectations file that makes `results` the new baseline,
/// keeping reasons already written for tests whose status did not change.
/// With `base` (the CPU's expectations), only the tests whose status differs
/// from what `base` expects are written, `pass` included.
llvm::Error writeExpectations(llvm::StringRef path, const std::vector<Result> &results,
                              const std::map<std::string, Expectation> &previous,
                              const std::map<std::string, Expectation> *base = nullptr);

} // namespace kiln::conformance

#endif
