//===- CodegenTestUtil.h - building and running one-kernel models -*- C++ -*-===//
//
// Codegen tests write a kernel's body as TOSA text, wrap it into @main at
// phase kernels, run it through the JIT runner and compare with reference
// loops written in the test. Inputs are seeded random values.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_UNIT_CODEGEN_CODEGENTESTUTIL_H
#define KILN_TEST_UNIT_CODEGEN_CODEGENTESTUTIL_H

#include "codegen/schedule/Schedule.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "targets/jit/HostTensor.h"
#include "targets/jit/JitRunner.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

namespace kiln::codegen::testing {
using jit::HostTensor;
using jit::JitRunner;
using jit::jitVariant;
using jit::KernelStats;

/// One kernel operand: a runtime input of `type` ("tensor<1x8x8x3xf32>"),
/// or a constant (`constant` is the attribute text, e.g.
/// "dense<[0, 3, 1, 2]> : tensor<4xi32>").
struct Operand {
  std::string type;
  std::string constant = {};
};

/// A one-kernel model: body lines use %b0, %b1... for the operands and must
/// define %r (the result, of type `resultType`).
std::string kernelModel(const std::vector<Operand> &operands, const std::string &body,
                        const std::string &resultType);

/// The MLIR context and helpers tests share.
class CodegenTest : public ::testing::Test {
protected:
  CodegenTest();
  mlir::OwningOpRef<mlir::ModuleOp> parse(const std::string &ir);
  /// Runs `ir`. With `record`, attaches it to every kernel first.
  std::vector<HostTensor> run(const std::string &ir, const std::vector<HostTensor> &inputs,
                              std::optional<ScheduleRecord> record = std::nullopt,
                              ScheduleMode mode = ScheduleMode::Template);
  mlir::MLIRContext context;
  /// What compiling the kernels of the last run() cost, and the schedules in
  /// effect.
  std::vector<KernelStats> lastStats;
};

/// "tensor<1x8x8x3xf32>".
std::string tensorType(const std::vector<int64_t> &shape, const std::string &element = "f32");

/// Seeded uniform values in [lo, hi).
/// The schedules phase for `target` (templates; records replaced), as the
/// driver runs it before a target compiles kernels.
void scheduleFor(mlir::ModuleOp module, llvm::StringRef target = "host");

HostTensor randomF32(const std::vector<int64_t> &shape, unsigned seed, float lo = -1, float hi = 1);
HostTensor randomI32(const std::vector<int64_t> &shape, unsigned seed, int lo, int hi);

/// Row-major flat index.
int64_t flatIndex(const std::vector<int64_t> &shape, const std::vector<int64_t> &index);

/// Expects |got - want| <= atol + rtol * |want| everywhere; reports the first
/// mismatches.
void expectClose(const HostTensor &got, const std::vector<float> &want, float atol, float rtol);

/// A constant operand holding `t`'s data (MLIR's hex form of dense data).
Operand constantOperand(const HostTensor &t);

/// Expects identical bytes (integer and bool outputs).
void expectEqual(const HostTensor &got, const HostTensor &want);

/// A record forcing the generic template (vector width `vw`).
ScheduleRecord genericRecord(int vw);

} // namespace kiln::codegen::testing

#endif
