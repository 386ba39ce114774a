//===- KernelInfo.h - what codegen reads from a kernel, without Halide -*- C++ -*-===//
//
// Compile-time facts about kiln.kernel regions that codegen, the JIT runner
// and the targets share: the bytes of constants (dense or dense_resource),
// which operands codegen bakes in as constants (a transpose's perms, a pad's
// paddings) and the key that identifies one compiled function.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_KERNELINFO_H
#define KILN_CODEGEN_KERNELINFO_H

#include "dialects/kiln/KilnOps.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln::codegen {

/// The constant `value` holds at compile time: a tosa.const or
/// arith.constant, seen through a kiln.kernel block argument to the operand
/// that feeds the kernel.
std::optional<mlir::ElementsAttr> constantValue(mlir::Value value);

/// The elements of a dense or dense_resource attribute as row-major
/// little-endian bytes; i1 as one byte (0 or 1) per element; splats
/// expanded.
llvm::Expected<std::vector<uint8_t>> constantBytes(mlir::ElementsAttr attr);

/// The elements of an integer constant, widened to int64.
std::optional<std::vector<int64_t>> constantInts(mlir::Value value);

/// True for operands whose value codegen reads at compile time and bakes
/// into the pipeline (tosa.transpose perms, tosa.pad padding and pad_const).
/// Such operands must be constants; equal kernel bodies with different
/// values there are different functions (see kernelKey).
bool isStaticOperand(mlir::OpOperand &operand);

/// Identifies one compiled function: the kernel body (ops, attributes,
/// shapes, types), the values of its static operands and its schedule
/// record. Two kernels with equal keys can share one compiled function.
std::string kernelKey(KernelOp kernel);

/// kernelKey without the schedule record: what a tuning database keys a
/// kernel's measurements by (codegen/schedule/TuningDb.h). Equal for the
/// same kernel in two models, so a kernel shared by models is tuned once.
std::string kernelIdentity(KernelOp kernel);

} // namespace kiln::codegen

#endif
