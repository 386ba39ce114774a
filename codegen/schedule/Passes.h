//===- Passes.h - codegen passes (no Halide) ---------------------*- C++ -*-===//
#ifndef KILN_CODEGEN_PASSES_H
#define KILN_CODEGEN_PASSES_H

#include "dialects/kiln/KilnAttrs.h"
#include "dialects/kiln/KilnOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace kiln {

#define GEN_PASS_DECL
#include "codegen/schedule/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/schedule/Passes.h.inc"

/// The schedules phase, as every target and the JIT runner run it: weights
/// packed for vector loads (kiln-pack-weights), then a schedule record on
/// every kernel for `target` (kiln-assign-schedules); with `overwrite`,
/// records already attached are replaced. Called only by the pipeline's
/// schedules phase (compiler/pipeline/Pipeline.h: runSchedulesPhase).
void buildCodegenSchedulesPipeline(mlir::OpPassManager &pm, llvm::StringRef target,
                                   ScheduleMode mode, bool overwrite = false);

} // namespace kiln

#endif
