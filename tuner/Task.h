//===- Task.h - the kernels a model asks the tuner to schedule ----*- C++ -*-===//
//
// A tuning task is one distinct kernel of a model at phase schedules
// (kernelIdentity: body, static operands, shapes, types; not the record),
// on one target. Its kernel is cut out into a standalone module, @main
// taking the kernel's activations and holding its constants, that a runner
// can compile with any record and time; equal kernels of a model (or of
// two models) are one task.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_TASK_H
#define KILN_TUNER_TASK_H

#include "codegen/schedule/Schedule.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln::tuner {

struct Task {
  std::string identity; ///< codegen::kernelIdentity
  std::string summary;  ///< codegen::kernelSummary
  std::string name;     ///< the first kernel's name in the model
  unsigned calls = 0;   ///< how many times the model runs it
  codegen::KernelPattern pattern = codegen::KernelPattern::Generic;
  /// The record the schedules phase gave it (the template): the search's
  /// starting point and the numerical reference.
  codegen::ScheduleRecord templateRecord;
  /// The standalone module, printed in full (weights included), for runners.
  std::string moduleText;
  /// Output channels, pixels per row, rows: what the knobs are sized by.
  int64_t channels = 1, pixels = 1, rows = 1;
  int rank = 0;
  /// codegen::streamableShape: the output shape of a kernel that streams
  /// one pixel on WASM at some vector widths (only the width applies
  /// there); empty for the others.
  std::vector<int64_t> streamShape;
};

/// The tasks of `module` (phase schedules), in the order their first kernel
/// runs.
llvm::Expected<std::vector<Task>> extractTasks(mlir::ModuleOp module);

/// The kernel of a task module (the only kiln.kernel in it).
KernelOp taskKernel(mlir::ModuleOp taskModule);

} // namespace kiln::tuner

#endif
