//===- RunCase.h - one ONNX node test through Kiln --------------*- C++ -*-===//
#ifndef KILN_TEST_CONFORMANCE_RUNCASE_H
#define KILN_TEST_CONFORMANCE_RUNCASE_H

#include "test/conformance/Report.h"

#include <string>

namespace kiln::conformance {

/// Imports the test's model (input shapes pinned to its data), compiles it to
/// kernels, runs it with the JIT and compares every output. Import and
/// codegen errors mean "unsupported"; wrong numbers mean "fail".
Result runCase(const std::string &dir, double rtol, double atol);

} // namespace kiln::conformance

#endif
