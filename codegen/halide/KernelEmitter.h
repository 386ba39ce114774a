//===- KernelEmitter.h - kiln.kernel regions to Halide pipelines --*- C++ -*-===//
//
// Emits one kiln.kernel as a Halide pipeline: an ImageParam per kernel
// input, a Func per op (through the emitter table in codegen/halide/emit/), and a
// pure output Func per result. Buffers of static shape and dense strides
// are declared as constraints, so that Halide folds every extent into a
// constant (and small intermediates go on the stack).
//
// Includes Halide: for codegen and targets only, never compiler/ or dialects/.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_KERNELEMITTER_H
#define KILN_CODEGEN_KERNELEMITTER_H

#include "codegen/halide/emit/EmitContext.h"
#include "dialects/kiln/KilnOps.h"
#include "llvm/Support/Error.h"

#include "Halide.h"

#include <string>
#include <vector>

namespace kiln::codegen {

struct EmittedKernel {
  std::string name;
  /// One per kernel operand, in order; named in0, in1, ...
  std::vector<Halide::ImageParam> inputs;
  std::vector<std::vector<int64_t>> inputShapes;
  /// One pure Func per kernel result, in order; named out0, out1, ...
  std::vector<Halide::Func> outputs;
  std::vector<std::vector<int64_t>> outputShapes;
  /// The reductions the schedule templates place (convs, matmuls).
  std::vector<Stage> stages;
  /// The outputs as one pipeline, unscheduled until applySchedule.
  Halide::Pipeline pipeline;

  /// The pipeline's input arguments, in kernel-operand order.
  std::vector<Halide::Argument> arguments() const;
};

/// Emits `kernel`. Unsupported ops or types give an error naming the kernel
/// and the op ("kernel 'conv2d_3': tosa.fft2d: unsupported op").
llvm::Expected<EmittedKernel> emitKernel(KernelOp kernel);

} // namespace kiln::codegen

#endif
