//===- RunCase.h - one ONNX node test through Kiln --------------*- C++ -*-===//
#ifndef KILN_TEST_CONFORMANCE_RUNCASE_H
#define KILN_TEST_CONFORMANCE_RUNCASE_H

#include "test/conformance/Report.h"

#include <string>

namespace kiln::conformance {

struct CaseOptions {
  double rtol = 1e-3, atol = 1e-7;
  /// "cpu": the JIT in process; "spirv", "wasm": the target's artifact
  /// (RunTarget.h).
  std::string target = "cpu";
  /// With an artifact target: when it passes, also run the JIT and compare
  /// the two targets' outputs with each other (Result::cpuCheck).
  bool checkCpu = false;
};

/// Imports the test's model (input shapes pinned to its data), compiles it
/// for the target, runs it and compares every output. Import and codegen
/// errors mean "unsupported"; wrong numbers, or an artifact that does not
/// link or run, mean "fail".
Result runCase(const std::string &dir, const CaseOptions &options);

} // namespace kiln::conformance

#endif
